/* timeline.h — the multi-resolution summary the timeline draws from.
 *
 * Built in one pass over a trace (ls_analysis_load_observed) plus a scan of
 * the chunk headers. Nothing here holds the events themselves:
 *
 *  - a chunk index (one entry per events chunk);
 *  - per time bucket at a base resolution of 2^k buckets over the trace
 *    (k grows with the event count, 2^10..2^19): heap min/max/last (the heap
 *    checkpoint), allocations and allocated bytes, events; coarser levels are
 *    made by pairwise merge (a min/max pyramid), so a query for N columns
 *    costs O(N) at any zoom;
 *  - per resource kind: open count min/max per bucket (2^12 buckets);
 *  - per thread (up to TIMELINE_MAX_THREADS lanes): events per bucket (2^12);
 *  - resource lifetimes, a bounded list (TIMELINE_MAX_LIFETIMES; the count of
 *    those left out is kept);
 *  - for the exact steps when zoomed in: one varint per free/realloc (the
 *    bytes it released, which a free event alone does not say), in global
 *    time order, with the stream offset at each base bucket. When the visible
 *    range is narrower than the base buckets, the chunks overlapping it are
 *    decoded again, merged in the analysis' order, and replayed from the
 *    bucket's checkpoint: every step, exactly.
 *
 * Memory bound: about 60 bytes per base bucket (at most 2^19, so ~32 MiB
 * with the pyramid), 4 bytes x 2^12 per resource kind and per thread lane,
 * 48 bytes per kept lifetime, ~1.5 bytes per free, and the decoded window
 * (at most TIMELINE_EXACT_MAX_EVENTS steps; a view of more than a quarter of
 * that many events draws from the buckets, so that the window reaches past
 * it on both sides and a pan does not decode again). GC pauses, marks and spans come
 * from the ls_analysis it holds.
 *
 * Plain C, no GLib. A timeline is not thread-safe (queries may decode and
 * cache); use it from one thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TIMELINE_H
#define LEAKSCOPE_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis.h"
#include "growth.h"
#include "trace-index.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TIMELINE_MAX_THREADS 64u         /* lanes; later threads share the last one */
#define TIMELINE_MAX_KINDS 16u           /* resource kinds with their own series */
#define TIMELINE_MAX_LIFETIMES (1u << 20)
#define TIMELINE_EXACT_MAX_EVENTS (1u << 21) /* events decoded for the exact view */

typedef struct timeline timeline;

/* One resource's life: closed == false means never closed (end = trace end). */
typedef struct timeline_lifetime {
    uint64_t begin, end;
    uint64_t handle;
    uint32_t kind;      /* string id */
    uint32_t open_stack, close_stack;   /* stack ids; close_stack 0: none (ls_resource_close_stack) */
    uint32_t open_thread, close_thread; /* OS thread ids; close_thread 0: not closed, or closed unseen */
    bool closed;
} timeline_lifetime;

/* Opens `path`, runs the analysis and builds the summary. On failure returns
 * the status (the same as ls_analysis_load would) with *err filled, and sets
 * *out to NULL. A truncated file opens (analysis->truncated tells). */
trace_status timeline_open(const char *path, timeline **out, trace_error *err);
void timeline_free(timeline *tl);                   /* NULL ok */

/* Progress of timeline_open_progress, called from the loading thread every
 * 65536 events: `done` events read of about `total` (from the chunk headers;
 * done may pass it). Return false to stop: the open then fails with
 * TRACE_ERR_ARGS ("stopped by the caller"). */
typedef bool (*timeline_progress_fn)(void *user, uint64_t done, uint64_t total);

/* timeline_open with a progress/cancel callback (may be NULL). */
trace_status timeline_open_progress(const char *path, timeline_progress_fn progress, void *user, timeline **out,
                                    trace_error *err);

/* timeline_open_progress that also finds the growth-trend suspects
 * (growth.h) in the same pass over the events, for timeline_growth. */
trace_status timeline_open_growth(const char *path, timeline_progress_fn progress, void *user, timeline **out,
                                  trace_error *err);

/* Called from the loading thread as timeline_open_index reads (every
 * 4,194,304 events): `building` is the timeline being built, its heap final
 * in base buckets [0, done). Only timeline_refinement_take may read it,
 * during the call. */
typedef void (*timeline_partial_fn)(void *user, const timeline *building, uint32_t done);

/* timeline_open_progress (timeline_open_growth when `growth`) of an index
 * already open (the timeline takes a reference), so that a caller who drew
 * its sketch first (timeline_open_sketch) does not walk the file again;
 * `partial` (may be NULL) sees it being built, with `user` as `progress`
 * does. */
trace_status timeline_open_index(ls_index *idx, timeline_progress_fn progress, timeline_partial_fn partial,
                                 void *user, bool growth, timeline **out, trace_error *err);

/* A first picture of the trace drawn from its events chunks' summaries
 * (format 3.1 headers) without decoding an event: the heap per column is a
 * range that holds the heap there (each thread's running total bounded in
 * each part of its chunks, summed over the threads), the events,
 * allocations and threads per column are the summaries' counts spread
 * over the time of the parts they were counted in, the totals (events,
 * allocations, bytes, the heap at the end) exact; the peak is the highest
 * the ranges allow (ls_analysis.sketch). It has no exact steps, no resource
 * series, lifetimes, GC pauses, marks or spans, no leaks by stack: draw
 * those from timeline_open_index's timeline. NULL when the trace cannot
 * have one (a chunk without a summary, or whose writer did not know every
 * release's size; damage) or out of memory. */
timeline *timeline_open_sketch(ls_index *idx);

/* The heap of base buckets [from, done) of a timeline being built
 * (timeline_partial_fn), copied to be handed to another thread; NULL when
 * out of memory or there is nothing new. */
typedef struct timeline_refinement timeline_refinement;
timeline_refinement *timeline_refinement_take(const timeline *building, uint32_t from, uint32_t done);
void timeline_refinement_free(timeline_refinement *r); /* NULL ok */
/* The base bucket a refinement ends at (the `from` of the next one). */
uint32_t timeline_refinement_end(const timeline_refinement *r);

/* Puts a refinement's exact heap into sketch: the refined sketch then
 * holds the heap read from the events up to the refinement's end, the
 * summaries' ranges after it (timeline_sketch_exact_until says where), and
 * its peak is the larger of the two. Ignored when the two are not of one
 * index (their buckets differ). */
void timeline_sketch_refine(timeline *sketch, const timeline_refinement *r);

/* Where a sketch's heap stops being the events' (ns on the trace's clock;
 * timeline_begin when it was never refined). */
uint64_t timeline_sketch_exact_until(const timeline *tl);

/* Whether tl is a sketch, and whether a sketch misses nothing: the trace
 * holds no events but allocations, frees, reallocs and thread names (read
 * from the chunks that hold them, up to 1024 chunks), so that its empty
 * resource, GC, mark and span tracks are the trace's own. A timeline read
 * from the events is no sketch: both false. */
bool timeline_is_sketch(const timeline *tl);
bool timeline_sketch_complete(const timeline *tl);
/* Whether tl is a sketch of a trace that holds events of `kind` (a
 * trace_event_kind) it does not show: their track waits for the events. */
bool timeline_sketch_missing(const timeline *tl, uint32_t kind);

/* The suspects of a timeline opened with timeline_open_growth, owned by
 * it; NULL when opened otherwise or there was no memory for them. */
const ls_growth *timeline_growth(const timeline *tl);

/* The analysis behind the timeline (totals, GC pauses, marks, spans, strings).
 * Owned by the timeline. */
const ls_analysis *timeline_analysis(const timeline *tl);

/* The trace's time range, ns on the file's clock: first and last event
 * (begin == end for a trace with one event or none). */
uint64_t timeline_begin(const timeline *tl);
uint64_t timeline_end(const timeline *tl);

/* Heap bytes per column. The range [t0, t1) is cut into n equal columns;
 * out_min[i]/out_max[i] get the lowest and highest live heap during column i
 * (including the value it enters with). Columns outside the trace get the
 * heap at the nearer end. Cost O(n) from the pyramid, or a decode of the
 * chunks under the range when it is narrower than the base buckets (cached
 * while the view stays inside it). Returns true when the values are exact
 * per event, false when they come from buckets (also when decoding failed).
 * Preconditions: t1 > t0, n > 0, arrays of n. */
bool timeline_heap_range(timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, uint64_t *out_min,
                         uint64_t *out_max);

/* The heap's steps in [t0, t1]: up to `max` (ts, heap after) pairs, the
 * first being the heap at t0. Returns the count, or -1 when the range holds
 * more than `max` steps or more than a quarter of TIMELINE_EXACT_MAX_EVENTS
 * events (draw timeline_heap_range's envelope then) or decoding failed. */
int64_t timeline_heap_steps(timeline *tl, uint64_t t0, uint64_t t1, uint32_t max, uint64_t *out_ts,
                            uint64_t *out_heap);

/* Allocations and allocated bytes per column of [t0, t1) cut into n.
 * out_count or out_bytes may be NULL. Exact per event when the range lies
 * in the decoded window (timeline_heap_range decodes it for a narrow view:
 * call it first), each allocation in its own column; else from buckets: a
 * column narrower than a base bucket gets its share of that bucket. */
void timeline_alloc_range(const timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, double *out_count,
                          double *out_bytes);

/* Resource kinds with a series (at most TIMELINE_MAX_KINDS, most opened
 * first): their string ids. */
uint32_t timeline_resource_kinds(const timeline *tl, uint32_t *out_kinds, uint32_t max);

/* Open resources of series `k` (index into timeline_resource_kinds) per
 * column: min and max open count in each column. */
void timeline_resource_range(const timeline *tl, uint32_t k, uint64_t t0, uint64_t t1, uint32_t n,
                             uint32_t *out_min, uint32_t *out_max);

/* Resource lifetimes overlapping [t0, t1], in order of their begin: writes up
 * to `max` into out (may be NULL with max 0) and returns how many there are
 * in all. *dropped (may be NULL) gets the number of lifetimes not kept
 * because of TIMELINE_MAX_LIFETIMES. */
uint64_t timeline_lifetimes(const timeline *tl, uint64_t t0, uint64_t t1, timeline_lifetime *out,
                            uint64_t max, uint64_t *dropped);

/* The first span (index into timeline_analysis(tl)->spans, in order of
 * their begin) that ends at or after t or is still open then; every span
 * before it ended before t (nspans if none is left). */
uint32_t timeline_span_from(const timeline *tl, uint64_t t);

/* Thread lanes: count, and the tid of lane i (the last lane holds every
 * thread beyond TIMELINE_MAX_THREADS - 1 when there are more). */
uint32_t timeline_thread_lanes(const timeline *tl);
uint32_t timeline_thread_lane_tid(const timeline *tl, uint32_t lane);

/* Events of every lane per column of [t0, t1) cut into n: lane l's
 * column i at out_events[l * n + i] (timeline_thread_lanes(tl) * n values).
 * Exact when the range lies in the decoded window (as timeline_alloc_range),
 * else a column narrower than a bucket gets its share. */
void timeline_threads_range(const timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, double *out_events);

/* How many times the exact window was decoded (each replay of the chunks
 * under a view, whether it succeeded or not): a pan within the window
 * decodes nothing. */
uint64_t timeline_decodes(const timeline *tl);

/* Memory the summary holds, in bytes (not counting the analysis). */
uint64_t timeline_memory(const timeline *tl);

#ifdef __cplusplus
}
#endif
#endif
