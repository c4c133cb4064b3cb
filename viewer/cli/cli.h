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
#include "units.h" /* ls_format_bytes, ls_format_duration */

/* Exit codes shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_BAD_INPUT = 2 };

int cli_report(int argc, char **argv);
int cli_record(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_dump(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_convert(int argc, char **argv);

/* convert --to pprof: writes the heap profile of trace `file` to out
 * (cli-pprof.c). Returns CLI_OK; CLI_BAD_INPUT with the error printed when
 * the trace cannot be read; CLI_FAIL with errno set when out cannot be
 * written (the caller names it) or memory ran out. */
int cli_convert_pprof(const char *file, FILE *out);

/* Writes the report of `a` (text, or JSON when `json`) to `out` with the
 * default --top and --frames; syms may be NULL (addresses only). For the
 * fuzz target of the whole report pipeline. */
void cli_report_write(const ls_analysis *a, sym_table *syms, FILE *out, bool json);

/* One line on stderr: "leakscope: " + message. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads a trace or prints the one-line error naming the file and offset.
 * Returns NULL on failure (exit with CLI_BAD_INPUT). */
ls_analysis *cli_load(const char *path);


/* "1.5s", "200ms", "30us", "100ns", "2min", "3" (seconds) -> ns. False if malformed. */
bool cli_parse_duration(const char *s, uint64_t *out);
/* The same with a unit required: "20" is refused, "20ms" is not. */
bool cli_parse_duration_unit(const char *s, uint64_t *out);
/* "0", "42": a plain count. False if malformed. */
bool cli_parse_count(const char *s, uint64_t *out);
/* "1048576", "512K", "64M", "2G" -> bytes. False if malformed. */
bool cli_parse_bytes(const char *s, uint64_t *out);

/* The length (1 to 4) of the valid UTF-8 character at the start of s (len
 * bytes), or 0 when it is not one: a stray byte, an overlong form, a
 * surrogate, past U+10FFFF, or cut short by len. For text from the trace
 * in formats that must be UTF-8. */
size_t cli_utf8_char(const char *s, size_t len);

/* Writes s (len bytes; may contain anything) as a JSON string literal;
 * bytes that are not UTF-8 become U+FFFD. */
void cli_json_string(FILE *f, const char *s, size_t len);

/* Writes s with control characters escaped (\xNN), for text output of
 * untrusted strings. */
void cli_text_string(FILE *f, const char *s);

#endif
