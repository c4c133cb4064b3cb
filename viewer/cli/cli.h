/* cli.h — the `leakscope` command's subcommands and shared helpers.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_CLI_H
#define LEAKSCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "symbols.h"

/* Exit codes shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_BAD_INPUT = 2 };

int cli_report(int argc, char **argv);
int cli_record(int argc, char **argv);
int cli_dump(int argc, char **argv);
int cli_export(int argc, char **argv);

/* One line on stderr: "leakscope: " + message. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads a trace or prints the one-line error naming the file and offset.
 * Returns NULL on failure (exit with CLI_BAD_INPUT). */
ls_analysis *cli_load(const char *path);

/* Human units: "12.3 MiB", "1.25 s". Write into buf and return it. */
const char *cli_bytes(uint64_t n, char *buf, size_t len);
const char *cli_duration(uint64_t ns, char *buf, size_t len);

/* Writes s (len bytes; may contain anything) as a JSON string literal. */
void cli_json_string(FILE *f, const char *s, size_t len);

/* Writes s with control characters escaped (\xNN), for text output of
 * untrusted strings. */
void cli_text_string(FILE *f, const char *s);

/* A symbol table with the analysis' modules. NULL on out of memory. */
sym_table *cli_symbols(const ls_analysis *a);

#endif
