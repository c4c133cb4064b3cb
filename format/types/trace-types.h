/* trace-types.h — what a reader reports, as plain data: its errors, the
 * chunks it describes, the damage it skipped; and the reader and a decoded
 * chunk as opaque types.
 *
 * The analysis model hands these on to its clients (the CLI, render/, the
 * viewer), which may see them through the model's headers but never call
 * the reader: trace-reader.h is not on their include path (meson.build,
 * docs/ARCHITECTURE.md). So this header declares no function.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_TYPES_H
#define LEAKSCOPE_TRACE_TYPES_H

#include "trace-format.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct trace_reader trace_reader;
typedef struct trace_chunk trace_chunk;

typedef struct trace_error {
    trace_status status;
    uint64_t offset;      /* byte offset in the file where the problem is */
    char message[256];    /* one line, without the file name, e.g. "chunk at byte offset 123: checksum mismatch" */
} trace_error;

typedef struct trace_chunk_info {
    uint64_t offset;      /* file offset of the chunk's skippable-frame magic */
    uint64_t end;         /* file offset just past the chunk */
    uint32_t kind;        /* enum trace_chunk_kind */
    uint32_t thread;
    uint64_t first_ts, last_ts; /* ns */
    uint32_t count;       /* records in the chunk */
    uint32_t raw_size, comp_size, seq;
    uint32_t header_size;
    /* Dictionary ids defined by the chunks before this one in file order
     * (only those its events may use), and whether a damaged dictionary chunk
     * may have defined more (then a larger id is lost, not corrupt). */
    uint64_t strings_defined, stacks_defined;
    bool dict_gap;
} trace_chunk_info;

#define TRACE_SUMMARY_SEGMENTS 16u

/* One part of an events chunk: consecutive events of the chunk's thread
 * (format 3.1 chunk headers, FORMAT.md). Heap and resource values are running
 * deltas from the chunk's start (the value before its first event is 0). */
typedef struct trace_segment_summary {
    uint64_t first_ts, last_ts;           /* ns: its first and last event's time */
    uint32_t events;                      /* events in it (>= 1) */
    int64_t heap_end, heap_min, heap_max; /* bytes: the running heap delta after its last event; the lowest and highest
                                           * it takes in the segment, including the value it starts with */
    int64_t res_end, res_min, res_max;    /* open resources (res_open less res_close), the same way */
} trace_segment_summary;

/* The summary of an events chunk, from its header (FORMAT.md §4.1.3): what
 * a reader may know of the chunk without decoding it. */
typedef struct trace_chunk_summary {
    bool present;                 /* the header had one */
    bool heap_known;              /* every release's size was known to the writer: the heap deltas are exact */
    uint32_t kind_counts[16];     /* events of each kind, indexed by the kind's id (TRACE_ALLOC = 1 ...) */
    uint64_t alloc_bytes;         /* sizes made live: alloc, realloc's new block */
    uint64_t released_bytes;      /* sizes released: free, realloc's old block (those known) */
    uint32_t unknown_releases;    /* releases whose size the writer did not know (0 when heap_known) */
    uint32_t nsegments;           /* 1..TRACE_SUMMARY_SEGMENTS when present, else 0 */
    trace_segment_summary seg[TRACE_SUMMARY_SEGMENTS];
} trace_chunk_summary;

/* Bytes the reader skipped because they could not be used (FORMAT.md §7.1):
 * a chunk whose checksum fails, bytes that are no chunk, chunks missing from
 * the sequence, a repeated chunk, an END total that differs from what was
 * read. Reading goes on after each. */
typedef struct trace_damage {
    uint64_t offset, end;      /* the bytes skipped: [offset, end) (equal: nothing skipped here) */
    trace_status status;       /* CHECKSUM, CORRUPT or UNKNOWN_KIND */
    char problem[128];         /* one line, e.g. "checksum mismatch" */
    uint32_t kind;             /* chunk kind when known, else 0 */
    uint32_t thread;           /* the events' thread when known, else 0 */
    bool events_known;         /* events_lost is exact */
    uint64_t events_lost;      /* events not read because of it */
    uint64_t first_ts, last_ts;/* ns: the time lost (from the header), or the
                                * neighbours' span; last_ts UINT64_MAX: to the end */
    uint32_t chunks;           /* chunks lost, from the sequence numbers (0: unknown) */
    uint32_t more;             /* past TRACE_DAMAGE_MAX entries: how many more this one covers */
} trace_damage;

#define TRACE_DAMAGE_MAX 256u

#ifdef __cplusplus
}
#endif
#endif
