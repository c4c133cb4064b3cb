/* trace-summary.h — the summary of an events chunk in its header (format
 * 3.1, FORMAT.md §4.1.3): how the writer makes it from the chunk's events
 * and how both the writer and the reader code it. The one place of its
 * rules. Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_SUMMARY_H
#define LEAKSCOPE_TRACE_SUMMARY_H

#include "trace-types.h"

#include <stddef.h>
#include <stdint.h>

/* The writer counts the chunk's events in granules of this many, and a
 * segment is a run of whole granules (the last granule may be short). A
 * pause of a thread of TRACE_SUMMARY_PAUSE_NS or more also ends a granule,
 * while there is room for TRACE_SUMMARY_PAUSES more, so that a pause can
 * fall between two segments. */
#define TRACE_SUMMARY_GRANULE 256u
#define TRACE_SUMMARY_PAUSES 256u
#define TRACE_SUMMARY_PAUSE_NS 100000u
#define TRACE_SUMMARY_GRANULES_MAX (65536u / TRACE_SUMMARY_GRANULE + TRACE_SUMMARY_PAUSES)

/* A heap delta this large either way (64 TiB) the writer counts as unknown
 * and adds nothing for: a chunk's 65,536 events then keep its running sums
 * below 2^62, never near overflow. */
#define TRACE_SUMMARY_DELTA_MAX ((int64_t)1 << 46)

/* The most bytes a coded summary takes (after its u32 length). */
#define TRACE_SUMMARY_CODED_MAX (4u * 10u + 12u * 10u + 3u * 10u + TRACE_SUMMARY_SEGMENTS * 9u * 10u)

/* A granule as the writer keeps it: times in file units. */
typedef struct trace_summary_granule {
    uint64_t first_ts, last_ts;
    uint32_t first;        /* the chunk's index of its first event */
    int64_t heap_end, heap_min, heap_max;
    int64_t res_end, res_min, res_max;
} trace_summary_granule;

/* Fills s's segments from the chunk's `ngran` granules (count events in
 * all): min(16, ngran) segments of whole granules, cut where they narrow
 * the picture most (FORMAT.md §4.1.3, the writer's segments). */
void trace_summary_segments(trace_chunk_summary *s, const trace_summary_granule *g, uint32_t ngran,
                            uint32_t count);

/* Codes s (times in file units; `first` the chunk's first timestamp) at
 * out (room for TRACE_SUMMARY_CODED_MAX); returns the bytes written. */
size_t trace_summary_encode(const trace_chunk_summary *s, uint64_t first, uint8_t *out);

/* Decodes and checks the `len` coded bytes at p of an events chunk of
 * `count` events from `first` to `last` (file units) against every rule of
 * FORMAT.md §4.1.3; times come out in ns (x unit). False, with *why set to
 * the rule broken, when one is. */
bool trace_summary_decode(const uint8_t *p, size_t len, uint64_t first, uint64_t last, uint32_t count,
                          uint64_t unit, trace_chunk_summary *out, const char **why);

#endif
