/* trace-reader.h — reads .trace files (format/FORMAT.md) without trusting them.
 *
 * Every length is checked against what the file holds before anything is
 * allocated; every failure comes back as a status plus a message naming the
 * byte offset. A reader and its chunks belong to one thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_READER_H
#define LEAKSCOPE_TRACE_READER_H

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
} trace_chunk_info;

/* Opens `path` and validates its file header. On failure returns the status,
 * sets *out to NULL and fills *err (if not NULL). */
trace_status trace_reader_open(const char *path, trace_reader **out, trace_error *err);
void trace_reader_close(trace_reader *r);                 /* NULL ok */

const trace_file_info *trace_reader_info(const trace_reader *r);
uint64_t trace_reader_file_size(const trace_reader *r);

/* The last error of this reader or of a chunk loaded through it. */
const trace_error *trace_reader_error(const trace_reader *r);

/* Reads the header of the next chunk in file order (without its payload).
 * Returns OK, END after the last chunk of a complete file, ERR_TRUNCATED when
 * the file stops inside a chunk (ci->offset tells where the whole part ends),
 * or another error. Unknown chunk kinds and foreign skippable frames are
 * skipped and counted (trace_reader_skipped). */
trace_status trace_reader_next_chunk(trace_reader *r, trace_chunk_info *ci);

/* Number of chunks of unknown kinds skipped so far. */
uint32_t trace_reader_skipped(const trace_reader *r);

/* True once an END chunk was seen. Its totals: */
bool trace_reader_complete(const trace_reader *r, uint64_t *events, uint64_t *lost);

/* Dictionary sizes validated so far (ids 1..n are defined). */
uint64_t trace_reader_strings_defined(const trace_reader *r);
uint64_t trace_reader_stacks_defined(const trace_reader *r);

/* A decoded chunk. Create once and reuse: its buffers grow to the largest
 * chunk loaded. */
trace_chunk *trace_chunk_new(void);
void trace_chunk_free(trace_chunk *c);                    /* NULL ok */

/* Reads, verifies (checksum, sizes) and decompresses the chunk described by
 * `ci` (from trace_reader_next_chunk, possibly long ago: chunks can be loaded
 * in any order). Dictionary chunks must be loaded in file order before the
 * event chunks that use their ids. */
trace_status trace_chunk_load(trace_chunk *c, trace_reader *r, const trace_chunk_info *ci);

/* The next record of a loaded chunk: OK, END when the chunk is exhausted
 * (after checking that every column was consumed exactly), or an error with
 * the payload offset in the reader's error. */
trace_status trace_chunk_next(trace_chunk *c, trace_event *ev);

/* The info of the loaded chunk. */
const trace_chunk_info *trace_chunk_info_of(const trace_chunk *c);

#ifdef __cplusplus
}
#endif
#endif
