/* range.h — what happened in a time range, and the event nearest a time:
 * the analysis of a selection, for the viewer's panels and `leakscope
 * report --from/--to`. Plain C on the trace index; any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RANGE_H
#define LEAKSCOPE_RANGE_H

#include "histogram.h"
#include "trace-index.h"

typedef struct ls_range_site {
    uint32_t stack;                          /* stack id */
    uint64_t allocations, allocated_bytes;   /* made in the range */
    uint64_t frees, freed_bytes;             /* of its blocks, freed in the range */
    uint64_t live_blocks, live_bytes;        /* made in the range, still live at its end */
    uint64_t temporary, temporary_bytes;     /* made in the range and temporary (see ls_range_summarize) */
    uint64_t peak_blocks, peak_bytes;        /* live at the range's peak, made in it or before (with history) */
} ls_range_site;

typedef struct ls_range {
    uint64_t t0, t1;            /* the range, ns on the trace's clock, both ends in */
    uint64_t events;            /* events in the range (taken) */
    uint64_t allocations, allocated_bytes;
    uint64_t frees;             /* frees, and reallocs releasing a block */
    uint64_t freed_bytes;       /* of the freed blocks whose size is known (see ls_range_summarize) */
    uint64_t frees_unknown;     /* frees of blocks made before what was read */
    uint64_t live_blocks, live_bytes; /* made in the range, still live at its end */
    uint64_t temporary, temporary_bytes; /* the sites' sums */
    /* With history: the highest total of live bytes within the range (the
     * heap as the range began counts), first reached at peak_ts, and the
     * blocks live then; by site in ls_range_site.peak_*, which sum to it.
     * Without history all 0 and has_peak false: the older blocks are not
     * known. */
    bool has_peak;
    uint64_t peak_bytes, peak_blocks, peak_ts;
    /* The sizes of the allocations made in the range, and the lifetimes of
     * those of its blocks freed in it (histogram.h's buckets, whole and
     * per stack; the blocks still live at its end are live_*, as the whole
     * trace's leaks are). NULL when out of memory for them. */
    ls_histograms *hist;
    bool partial;               /* stopped at the event budget: ... */
    uint64_t covered_to;        /* ... the counts cover [t0, covered_to] (t1 when whole) */
    ls_range_site *sites;       /* by call stack: most live bytes first, then most allocated */
    uint32_t nsites;
} ls_range;

/* How a range is read. */
typedef struct ls_range_opts {
    /* Read every event before t0 too (not counted), so that each block freed
     * in the range has its size and call stack and the peak counts the
     * blocks made before: exact, at the cost of reading from the start.
     * Without it only the range is read (and a little past it, see
     * ls_range_summarize), frees of older blocks count in frees_unknown and
     * there is no peak. */
    bool history;
    /* At most this many events of the range are taken (0: no limit); past
     * that the summary covers [t0, covered_to], whole timestamps only, and
     * `partial` is set. */
    uint64_t max_events;
    /* Asked every few thousand events (may be NULL): true stops the read
     * with TRACE_ERR_ARGS, "cancelled". Called on the reading thread. */
    bool (*cancelled)(void *user);
    void *user;
} ls_range_opts;

/* Summarizes [t0, t1] of idx as `opts` says (NULL: no history, no limit).
 *
 * Temporary allocations follow the whole trace's rule (ls_stack_use):
 * a block made in the range and freed by the same thread with no other
 * allocation or free of that thread in between. At the edges: a pair is
 * the range's when its allocation is in the range, wherever its free is, so
 * a block made before t0 and freed inside is not, and one made inside and
 * freed after t1 is (the events after t1 are read, not counted, until every
 * thread's last allocation in the range is settled: freed or not as its
 * next step, or the thread's last event reached). So the temporary
 * allocations of ranges that split a trace add up to the whole trace's.
 * Events at one timestamp are all in or all out, in the one order.
 *
 * Memory is bounded by the blocks live at once (and the stacks and
 * threads), not by the events read. Returns OK with *out (ls_range_free
 * it), or an error with *err filled. */
trace_status ls_range_summarize(const ls_index *idx, uint64_t t0, uint64_t t1, const ls_range_opts *opts,
                                ls_range **out, trace_error *err);
void ls_range_free(ls_range *r); /* NULL ok */

/* The range's call sites as per-stack values (nstacks entries, indexed by
 * stack id; calloc'd, to free; NULL on out of memory), for the call tree
 * of a range (calltree.h: ls_calltree_build_use): allocations and bytes
 * made in the range, as live (the "leaked" metrics) what of them was still
 * live at its end, the range's temporary allocations and its peak (0
 * without history). Sites with an id at or past nstacks are left out. */
struct ls_stack_use *ls_range_stack_use(const ls_range *r, uint32_t nstacks);

/* The event nearest to `t` among those in [lo, hi] whose kind is in `kinds`
 * (bits 1 << TRACE_xxx), and with handle_kind != 0 only resource events of
 * that kind (a string id, matched by family: ls_resource_family) and
 * `handle`. At most max_events are looked at (0: no limit). Returns OK with
 * *ev filled (no pointers in it), END when there is none, or an error. */
trace_status ls_range_nearest(const ls_index *idx, uint64_t lo, uint64_t hi, uint64_t t, uint32_t kinds,
                              uint32_t handle_kind, uint64_t handle, uint64_t max_events, trace_event *ev,
                              trace_error *err);

/* What became of the block `alloc` (an alloc or realloc event, as a
 * cursor gave it) made: OK with *release the event that released it (a
 * free, or a realloc that moved it), END when nothing did (live at the end:
 * a leak, or a truncated trace), TRACE_ERR_LIMIT when max_events events
 * after it (0: no limit) held no release. */
trace_status ls_range_release_of(const ls_index *idx, const trace_event *alloc, uint64_t max_events,
                                 trace_event *release, trace_error *err);

#endif
