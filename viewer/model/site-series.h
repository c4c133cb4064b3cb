/* site-series.h — the heap by call site over time: the live bytes of the
 * call stacks that held the most, and of the whole heap, as series the
 * timeline draws stacked ("a leak is a band that keeps growing, a cache a
 * band that fills and stays flat"). Plain C, no printing.
 *
 * Built by a second pass of the analysis (ls_analysis_run) whose observer
 * sees every change in what is live (ls_observer.block), so the pairing of
 * frees with allocations is the analysis's own. A series keeps, for each of
 * LS_SITE_SERIES_BUCKETS equal buckets of the trace's time, the live bytes
 * at the bucket's end: a query at any zoom reads one value per pixel
 * column (O(width)), and zoomed in past a bucket the series steps at bucket
 * edges. Memory: (stacks + 1) x 8 x LS_SITE_SERIES_BUCKETS bytes.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_SITE_SERIES_H
#define LEAKSCOPE_SITE_SERIES_H

#include "analysis.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LS_SITE_SERIES_BUCKETS 16384u
#define LS_SITE_SERIES_MAX 64u       /* stacks followed at most */

typedef struct ls_site_series ls_site_series;

/* The stack ids of `a` that held the most at once, largest first: ranked by
 * the larger of what each had live at the heap's peak and at the end
 * (ls_stack_use.peak_bytes, live_bytes), equal values by id; those with
 * neither are left out. At most `max` into out[]; returns how many. */
uint32_t ls_site_series_rank(const ls_analysis *a, uint32_t *out, uint32_t max);

/* Follows stacks[0 .. n) (n <= LS_SITE_SERIES_MAX) and the whole heap over
 * [t0, t1] (the trace's first and last event: ls_analysis.first_ts,
 * last_ts) of idx through a second analysis pass; any thread (the index
 * gives it a cursor of its own). `stop` (may be NULL) is asked at the first
 * event and every 65536 after whether to give up: then TRACE_ERR_ARGS ("stopped by the
 * caller"). Returns OK with *out (free with ls_site_series_free), or the
 * pass's error with *err filled. */
trace_status ls_site_series_build(ls_index *idx, uint64_t t0, uint64_t t1, const uint32_t *stacks, uint32_t n,
                                  bool (*stop)(void *user), void *user, ls_site_series **out, trace_error *err);
void ls_site_series_free(ls_site_series *s); /* NULL ok */

/* How many stacks are followed, and which (i < count). */
uint32_t ls_site_series_count(const ls_site_series *s);
uint32_t ls_site_series_stack(const ls_site_series *s, uint32_t i);

/* What series i had live at time t, as of the end of t's bucket (times
 * outside the trace: its first or last bucket). i < count: stack i;
 * i == count: the whole heap. */
uint64_t ls_site_series_at(const ls_site_series *s, uint32_t i, uint64_t t);

/* The highest value of series i over the trace. */
uint64_t ls_site_series_max(const ls_site_series *s, uint32_t i);

#ifdef __cplusplus
}
#endif
#endif
