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
#include "growth.h"
#include "leakclass.h"
#include "calltree.h"
#include "range.h"
#include "symbols.h"
#include "units.h" /* ls_format_bytes, ls_format_duration */

/* Exit codes shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_BAD_INPUT = 2 };

int cli_report(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_dump(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_flamegraph(int argc, char **argv);
int cli_diff(int argc, char **argv);

/* The allocations of trace `file` as folded (collapsed) stacks of metric m
 * (cli-flamegraph.c says the format) to f. CLI_OK; CLI_BAD_INPUT after the
 * one line naming the trace; CLI_FAIL on a write error or out of memory
 * (the caller names the output). */
int cli_folded_write(const char *file, ls_metric m, FILE *f);
/* --metric's value for command `cmd`, or false after the one line. */
bool cli_parse_metric(const char *cmd, const char *val, ls_metric *m);

/* An output written beside OUT and renamed onto it when whole, so that a
 * failure leaves OUT as it was. */
typedef struct cli_output {
    FILE *f;
    const char *cmd, *path;
    char *tmp;
} cli_output;
/* Opens the file beside `path` (mode 0644 less the umask). False after the
 * one line "CMD: cannot write PATH: reason". */
bool cli_output_open(cli_output *o, const char *cmd, const char *path);
/* Closes it; when rc is CLI_OK and everything was written, renames it onto
 * the path, else removes it. Returns rc, or CLI_FAIL after the one line
 * when the output could not be written (rc CLI_FAIL included). */
int cli_output_close(cli_output *o, int rc);

/* convert --to pprof: writes the heap profile of trace `file` to out
 * (cli-pprof.c). Returns CLI_OK; CLI_BAD_INPUT with the error printed when
 * the trace cannot be read; CLI_FAIL with errno set when out cannot be
 * written (the caller names it) or memory ran out. */
int cli_convert_pprof(const char *file, FILE *out);

/* Writes the report of `a`, its growth suspects `g` (growth.h; NULL: no
 * GROWING section) and its leak classes `lc` (leakclass.h; NULL: the trace
 * has no heap snapshot) as text, or JSON when `json`, to `out` with the
 * default --top and --frames; syms may be NULL (addresses only). For the
 * fuzz target of the whole report pipeline. */
void cli_report_write(const ls_analysis *a, const ls_growth *g, const ls_leak_classes *lc, sym_table *syms, FILE *out,
                      bool json);

/* One line on stderr: "leakscope: " + message, with control characters
 * escaped as cli_text_string does (file names are untrusted text too). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads a trace or prints the one-line error naming the file and offset.
 * Returns NULL on failure (exit with CLI_BAD_INPUT). */
ls_analysis *cli_load(const char *path);
/* cli_load, and *syms the symbol table of its modules (sym_table_free),
 * their debug information read meanwhile on another thread. */
ls_analysis *cli_load_with_symbols(const char *path, sym_table **syms);

/* For outputs with no room for the damage (export, convert): one warning line
 * on stderr when the trace is damaged. */
void cli_warn_damaged(const char *path, const ls_analysis *a);

/* "1.5s", "200ms", "30us", "100ns", "2min", "3" (seconds) -> ns. False if malformed. */
bool cli_parse_duration(const char *s, uint64_t *out);
/* The same with a unit required: "20" is refused, "20ms" is not. */
bool cli_parse_duration_unit(const char *s, uint64_t *out);
/* The one reading of --from T and --to T (report, export, flamegraph):
 * times after the trace's start (cli_parse_duration), in a trace `end` ns
 * long (UINT64_MAX before it is read: the syntax and the order only).
 * Without --from (NULL) the range starts at 0, without --to it runs to the
 * end; a --to past the end is kept (the caller cuts it, or draws past it).
 * Fills *from_ns and *to_ns and returns true, or false after the one line
 * "CMD: --from: 'x' is not a time (...)", "CMD: --from T is past the
 * trace's end (E)" or "CMD: --to must be after --from". */
bool cli_parse_range(const char *cmd, const char *from, const char *to, uint64_t end, uint64_t *from_ns,
                     uint64_t *to_ns);
/* The range --from/--to (cli_parse_range; a --to past the end stops there)
 * of the loaded trace `a`, read with its history (range.h: every metric
 * exact): true with *out (ls_range_free it), or false after the one line
 * naming the option or the file. */
bool cli_range_load(const char *cmd, const ls_analysis *a, const char *from, const char *to, ls_range **out);
/* "0", "42": a plain count. False if malformed. */
bool cli_parse_count(const char *s, uint64_t *out);
/* A --top or --frames value: 1 to 1000000. False if malformed or out of range. */
bool cli_parse_positive(const char *s, unsigned *out);
/* "1048576", "512K", "64M", "2G" -> bytes. False if malformed. */
bool cli_parse_bytes(const char *s, uint64_t *out);

/* Writes s (len bytes; may contain anything) as a JSON string literal;
 * bytes that are not UTF-8 become U+FFFD. */
void cli_json_string(FILE *f, const char *s, size_t len);

/* Writes call stack `stack_id` of `a` as JSON: a list of {function, file,
 * line, module, address, inlined}, innermost first, inlined frames
 * included (report --json's `stack`). syms may be NULL (addresses only). */
void cli_json_stack(FILE *f, const ls_analysis *a, sym_table *syms, uint32_t stack_id);

/* Writes s with control characters escaped (\xNN), for text output of
 * untrusted strings. */
void cli_text_string(FILE *f, const char *s);

/* The columns cli_text_string(s) takes on a terminal (a UTF-8 character is
 * one, an escaped byte four), and s written so, padded with spaces to
 * `width` columns, on the left when `right` (aligned right). Tables align
 * by columns, not bytes: "530.50 µs" is nine columns and ten bytes. */
int cli_text_width(const char *s);
void cli_text_padded(FILE *f, const char *s, int width, bool right);

#endif
