/* units.h — how Leakscope writes bytes and durations: one rule for the
 * report, check, the viewer's panels and the pictures.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_UNITS_H
#define LEAKSCOPE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "1.50 KiB", "12.3 MiB", "100 GiB": binary units, three
 * significant digits. Writes into buf (len >= 16 holds every value) and
 * returns it. */
const char *ls_format_bytes(uint64_t n, char *buf, size_t len);

/* "530 ns", "1.25 µs", "20.00 ms", "3.07 s", "2 min 5.0 s": two decimals. Writes into buf
 * (len >= 24 holds every value) and returns it. */
const char *ls_format_duration(uint64_t ns, char *buf, size_t len);

/* "7", "25,000", "1,132,504": a count with thousands separators. Writes
 * into buf (len >= 27 holds every value) and returns it. */
const char *ls_format_count(uint64_t n, char *buf, size_t len);

/* A change: "+1.50 KiB", "-500 B", "0 B" (bytes); "+3", "-1", "0" (counts). */
const char *ls_format_signed(int64_t d, int bytes, char *buf, size_t len);

/* A histogram bucket's edge (histogram.h): bytes for sizes (kind 0,
 * LS_HIST_SIZES), a duration for lifetimes. */
const char *ls_format_hist_edge(int kind, uint64_t v, char *buf, size_t len);

/* Bucket k of a histogram of `kind` as the report reads it, from <= value
 * < to: "64 B–128 B", "512 B–1.00 KiB", "1.00 µs–2.00 µs"; the last
 * bucket "8.00 EiB and up". What a chart's bar and a diff's changed bucket
 * say. Writes into buf (len >= 64 holds every value) and returns it. */
const char *ls_format_hist_span(int kind, unsigned k, char *buf, size_t len);

#endif
