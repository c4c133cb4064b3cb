/* trace-writer.h — writes .trace files (format/FORMAT.md).
 *
 * Not thread-safe: one thread owns a writer. The recorder's background thread
 * is that owner; tests and generators use it directly.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_WRITER_H
#define LEAKSCOPE_TRACE_WRITER_H

#include "trace-format.h"
#include "trace-packed.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct trace_writer trace_writer;

/* Events per chunk before the writer ends the chunk by itself. */
#define TRACE_WRITER_CHUNK_EVENTS 65536u

/* Creates `path` (mode 0600) and writes the file header from `info`
 * (version fields are ignored: the writer writes its own). A file already
 * at `path` is replaced, not truncated: the new file is made beside it and
 * renamed over it once it holds the header, so a hard link to the old one
 * keeps its content (and the directory must be writable). Only a regular
 * file is replaced: errno ELOOP for a symlink, EISDIR for a directory,
 * EINVAL for anything else (a FIFO, which is never opened: that would
 * block; a device, a socket). On failure returns an error status, leaves
 * errno set, *out NULL and `path` as it was. */
trace_status trace_writer_create(const char *path, const trace_file_info *info, trace_writer **out);

/* The same, with `place` (NULL: none) given the new file's descriptor
 * before anything is written: it returns the descriptor to write to, that
 * one or a duplicate elsewhere (then it has closed the first), and never
 * fails. */
trace_status trace_writer_create_placed(const char *path, const trace_file_info *info, int (*place)(int fd),
                                        trace_writer **out);

/* Same on an open, writable file descriptor, which the writer owns from then
 * on (trace_writer_close closes it, also on failure here; trace_writer_fd_intact
 * tells which file it was given). */
trace_status trace_writer_fdopen(int fd, const trace_file_info *info, trace_writer **out);

/* Where every writer's memory comes from: the C library's allocator unless
 * this is called, once, before the first writer is made. A recorder inside
 * another program must not take that program's heap (its blocks would move,
 * and they would be in the program's heap snapshot): it gives `resize`,
 * which allocates zeroed memory (p NULL, old_bytes 0), grows (new_bytes >
 * old_bytes: the first old_bytes kept) and releases (new_bytes 0: returns
 * NULL), and returns NULL when it cannot (p then kept). */
void trace_writer_set_memory(void *(*resize)(void *p, size_t old_bytes, size_t new_bytes));

/* Dictionary definitions. Ids start at 1 and must be defined in order, each
 * once (ERR_ARGS otherwise). Definitions are buffered and always reach the file
 * before any event chunk written after the call. `len`, `depth`, `path_len`
 * and `build_id_len` are clamped to the format's limits. */
trace_status trace_writer_add_string(trace_writer *w, uint64_t id, const void *s, size_t len);
trace_status trace_writer_add_stack(trace_writer *w, uint64_t id, const uint64_t *frames, uint32_t depth);
trace_status trace_writer_add_module(trace_writer *w, uint64_t ts, uint64_t bias, uint64_t start,
                                     uint64_t end, const char *path, size_t path_len,
                                     const uint8_t *build_id, size_t build_id_len);

/* Appends one event (kind, ts and the kind's fields are used) to the open
 * chunk of `thread`. A different thread than the open chunk's, or a full
 * chunk, ends the open chunk first. Timestamps are forced monotonic within a
 * thread's chunk. String and stack ids must already be defined. */
trace_status trace_writer_add_event(trace_writer *w, uint32_t thread, const trace_event *ev);

/* Appends the packed records (trace-packed.h) in the `n` words at `words`
 * of `thread`, as trace_writer_add_event would one by one (the same bytes
 * in the file), in a fraction of the time. A record that add_event would refuse is skipped;
 * then the result is TRACE_ERR_ARGS, after the rest were added. A word
 * with both form bits set, or a record cut short by the end, ends the
 * batch with TRACE_ERR_ARGS. */
trace_status trace_writer_add_packed(trace_writer *w, uint32_t thread, const uint64_t *words, size_t n,
                                     const trace_tick_map *map);

/* The heap delta of an allocation or release (FORMAT.md §4.1.3) that the
 * caller does not know. */
#define TRACE_DELTA_UNKNOWN INT64_MIN

/* trace_writer_add_event, with the event's heap delta for the chunk's
 * summary (FORMAT.md §4.1.3), as the analysis counts it: an allocation's
 * size less the size of a live block at its address it replaces, less a
 * free's or a realloc's old block's size (0 for an address not live), or
 * TRACE_DELTA_UNKNOWN (then the chunk's heap is not known). Ignored for
 * other kinds. add_event gives none: a chunk with such an allocation or
 * release says its heap is not known. */
trace_status trace_writer_add_event_delta(trace_writer *w, uint32_t thread, const trace_event *ev, int64_t delta);

/* trace_writer_add_packed, with deltas[k] the heap delta of the k-th record
 * (one entry per record, whatever its kind), as add_event_delta takes it;
 * NULL: none known. */
trace_status trace_writer_add_packed_deltas(trace_writer *w, uint32_t thread, const uint64_t *words, size_t n,
                                            const trace_tick_map *map, const int64_t *deltas);

/* Appends a heap snapshot chunk (FORMAT.md §4.4) after flushing what is
 * buffered (dictionary, the open event chunk), so that it follows every
 * event written before the call. `s` must follow the snapshot rules
 * (sorted, non-overlapping blocks; roots and edges in order, each pointing
 * into its `to` block; words inside their range or block): ERR_ARGS, and
 * nothing written, otherwise. Roots come before edges in the payload; when
 * the payload would pass TRACE_CHUNK_RAW_MAX, the edges (then the roots)
 * that do not fit are left out and TRACE_HEAP_REFS_INCOMPLETE is set; ranges
 * and blocks that alone do not fit: ERR_LIMIT, nothing written. */
trace_status trace_writer_add_heap_snapshot(trace_writer *w, const trace_heap_graph *s);

/* Fast mode, from the next event chunk on: columns stay varints (LZ4 still
 * compresses the chunk) instead of being entropy-coded, for about half the
 * writer's CPU per event and files about 1.7x the size. For a writer that
 * falls behind. */
void trace_writer_set_fast(trace_writer *w, bool fast);

/* Writes buffered dictionary records, then the open event chunk, if any. */
trace_status trace_writer_flush(trace_writer *w);

/* Flushes, writes the END chunk (total events and `lost_events`), closes the
 * descriptor and frees the writer. Returns the first error seen over the
 * writer's life, if any. NULL is ok. */
trace_status trace_writer_close(trace_writer *w, uint64_t lost_events);

/* Frees the writer and closes its descriptor without writing anything more:
 * the file ends at the last chunk written, as after a crash. */
void trace_writer_abandon(trace_writer *w);

/* The errno of the first I/O failure, 0 if none. */
int trace_writer_errno(const trace_writer *w);

/* The file descriptor the writer writes to. */
int trace_writer_fd(const trace_writer *w);

/* Whether that descriptor still refers to the file the writer was given
 * (the same device and inode as then, checked now with fstat; errno kept).
 * The writer checks it before every chunk: once false, the writer has
 * failed (TRACE_ERR_IO, errno EBADF), never writes again, and close and
 * abandon leave the descriptor alone, since its number may be someone
 * else's file by now. NULL: false. */
bool trace_writer_fd_intact(trace_writer *w);


#ifdef __cplusplus
}
#endif
#endif
