/* merge.h — the one order of a trace's events, and a cursor that yields it.
 *
 * Every client that reads events across threads (the analysis, the
 * timeline's exact replay, the viewer's range queries) goes through this
 * cursor, so they all see the events in the same order:
 *
 *  - within one thread, file order: a thread's chunks in the order they were
 *    written, each chunk's events as stored. The recorder stamps with a clock
 *    that can read the same tick twice, so an allocation at the end of one
 *    chunk and its free at the start of the next may share a timestamp; only
 *    file order keeps the free after it;
 *  - across threads, by timestamp; at equal timestamps releases (free,
 *    res_close) first, since the recorder stamps a free before the real free
 *    and an allocation after the real allocation, so an address freed by one
 *    thread and reused by another is seen freed first; then by thread id, so
 *    the order never depends on which chunks a query happened to decode.
 *
 * A thread's timestamps are forced monotonic (an event is never earlier
 * than the one before it on its thread), so the events of any time range
 * come out in the same relative order as in a merge of the whole file.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_MERGE_H
#define LEAKSCOPE_MERGE_H

#include "trace-types.h"

typedef struct ls_merge ls_merge;

/* A merged cursor over the events chunks among `chunks[0..n)` (in any
 * order; the array is copied) whose time range meets [from, to], read
 * through `r`, whose dictionaries must already be loaded. It yields the
 * events with from <= ts <= to, in the one order. It decodes a chunk only
 * when its turn may have come, so at most one chunk per thread is held.
 * Returns NULL when out of memory. */
ls_merge *ls_merge_new(trace_reader *r, const trace_chunk_info *chunks, uint32_t n, uint64_t from, uint64_t to);

/* The next event: TRACE_OK (*ev filled; it stays valid until the next
 * call), TRACE_END after the last, or the error of a chunk that failed to
 * load or decode (the message is ls_merge_error(m)). After an error,
 * the next call goes on past the chunk that failed. */
trace_status ls_merge_next(ls_merge *m, trace_event *ev);

/* Decodes chunks ahead on a worker thread of its own (merge.c says how),
 * when the machine has more than one processor and the cursor more than one
 * chunk, unless $LEAKSCOPE_JOBS is 1; call before the first ls_merge_next.
 * The events and their order are the same either way. False when it does not
 * (the cursor works as before). */
bool ls_merge_decode_ahead(ls_merge *m);

/* The description of the error ls_merge_next returned last. */
const trace_error *ls_merge_error(const ls_merge *m);

/* Event fields naming a dictionary id lost with damage, in the chunks read
 * so far (trace_reader_lost_id_refs, over every reader the cursor used). */
uint64_t ls_merge_lost_id_refs(const ls_merge *m);

/* ls_merge_next without the copy: *ev points at the cursor's event, valid
 * until the next call (the whole-trace analysis reads every event this way). */
trace_status ls_merge_next_ref(ls_merge *m, const trace_event **ev);

/* After an error from ls_merge_next: the chunk that failed, and how many of
 * its events were decoded before the failure (those in the range were
 * yielded). NULL otherwise. */
const trace_chunk_info *ls_merge_failed_chunk(const ls_merge *m, uint32_t *decoded);

/* The reader the cursor reads through; after ls_merge_own_reader the
 * cursor closes it when freed. */
trace_reader *ls_merge_reader(const ls_merge *m);
void ls_merge_own_reader(ls_merge *m);

void ls_merge_free(ls_merge *m); /* NULL ok */

#endif
