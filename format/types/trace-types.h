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
