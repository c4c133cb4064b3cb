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

#include "trace-types.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One line for a damage entry, the same in every output, e.g. "byte offset
 * 812 (1400 bytes skipped): checksum mismatch: 10980 events lost (thread
 * 4242, 0.512 s to 0.618 s)"; times since start_ts (the file header's, ns).
 * Writes into buf and returns it. */
const char *trace_damage_describe(const trace_damage *d, uint64_t start_ts, char *buf, size_t len);

typedef struct trace_id_range {
    uint8_t dict;              /* 0 strings, 1 stacks */
    uint64_t lo, hi;           /* ids lo..hi (inclusive) are lost */
} trace_id_range;

#define TRACE_LOST_RANGES_MAX 64u

/* Opens `path` and validates its file header. On failure returns the status,
 * sets *out to NULL and fills *err (if not NULL). */
trace_status trace_reader_open(const char *path, trace_reader **out, trace_error *err);
void trace_reader_close(trace_reader *r);                 /* NULL ok */

/* A second reader of r's file for loading, on another thread, chunks r
 * described with trace_reader_next_chunk: it shares nothing mutable with r
 * (its own descriptor, decompression state, error and lost-id count) and
 * knows r's dictionary ids and damage as they were at the call. Walking
 * chunk headers on it is not what it is for. Returns OK, NOMEM or IO
 * (errno set); *out is NULL on failure. */
trace_status trace_reader_dup(const trace_reader *r, trace_reader **out);

const trace_file_info *trace_reader_info(const trace_reader *r);
uint64_t trace_reader_file_size(const trace_reader *r);

/* The last error of this reader or of a chunk loaded through it. */
const trace_error *trace_reader_error(const trace_reader *r);

/* Reads the header of the next usable chunk in file order and verifies its
 * checksum (reading the payload, in pieces, without keeping it). Returns OK,
 * END after the last chunk, ERR_TRUNCATED when the file stops inside a chunk
 * (ci->offset tells where the whole part ends), or another error (I/O, a
 * file too damaged to resynchronise). Damaged chunks are skipped and recorded
 * (trace_reader_damage); chunk kinds of a newer minor version and foreign
 * skippable frames are skipped and counted (trace_reader_skipped). */
trace_status trace_reader_next_chunk(trace_reader *r, trace_chunk_info *ci);

/* The summary in the header of the chunk the last trace_reader_next_chunk
 * returned (an events chunk of a 3.1 file; FORMAT.md §4.1.3), checked
 * against every rule a header alone allows (a summary that breaks one made
 * the header damage). Returns out->present: false when it had none. */
bool trace_reader_chunk_summary(const trace_reader *r, trace_chunk_summary *out);

/* The chunk headers of the file in file order, walked without reading a
 * payload or checking a crc, for a first picture of a long trace before
 * its chunks are verified (trace_reader_next_chunk verifies each one): fn
 * gets each frame's header, as trace_reader_next_chunk would, and its
 * summary (NULL without one), each checked against the rules a header
 * alone allows. The walk stops at the end of the file, at the first frame
 * that breaks a rule (damage, the cut of a crash: from there only a
 * verified walk can go on) or when fn returns false; it does not move r
 * for trace_reader_next_chunk (nor its error). Returns OK, or ERR_IO when a
 * read fails. */
typedef bool (*trace_header_fn)(void *user, const trace_chunk_info *ci, const trace_chunk_summary *summary);
trace_status trace_reader_headers(trace_reader *r, trace_header_fn fn, void *user);

/* Number of chunks of unknown kinds (of a newer minor version) and foreign
 * skippable frames skipped so far. */
uint32_t trace_reader_skipped(const trace_reader *r);

/* The damage found so far, in file order (complete once next_chunk returned
 * END or ERR_TRUNCATED). */
uint32_t trace_reader_damage_count(const trace_reader *r);
const trace_damage *trace_reader_damage(const trace_reader *r, uint32_t i);

/* Event fields decoded so far that named a dictionary id lost with damage;
 * they were given as id 0 ("none"), never as another id. */
uint64_t trace_reader_lost_id_refs(const trace_reader *r);

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

/* Decodes the heap snapshot chunk (kind TRACE_CHUNK_HEAP) described by
 * `ci` (from trace_reader_next_chunk): checks its crc, decompresses it and
 * validates every rule of FORMAT.md §4.4, bounding each allocation by the
 * payload's size before making it. On success *out is a new snapshot (free
 * it with trace_heap_snapshot_free, trace-format.h); on failure *out is NULL and the
 * reader's error names the chunk's byte offset (and the payload byte). */
trace_status trace_heap_snapshot_load(trace_reader *r, const trace_chunk_info *ci, trace_heap_graph **out);

/* The info of the loaded chunk. */
const trace_chunk_info *trace_chunk_info_of(const trace_chunk *c);

#ifdef __cplusplus
}
#endif
#endif
