/* timeline-query.c — range queries over the timeline's buckets (see
 * timeline.h). Every query costs O(columns), plus O(side buckets) for the
 * resource series, whatever the zoom and the trace size.
 *
 * SPDX-License-Identifier: MIT
 */
#include "timeline-private.h"

const ls_analysis *timeline_analysis(const timeline *tl) { return tl->a; }
uint64_t timeline_begin(const timeline *tl) { return tl->t0; }
uint64_t timeline_end(const timeline *tl) { return tl->t1; }

/* Heap envelope per column from the pyramid level whose buckets are at most
 * one column wide, so a column reads at most three buckets. */
static void heap_from_buckets(const timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, uint64_t *mn,
                              uint64_t *mx)
{
    uint64_t cw = (t1 - t0) / n;
    uint32_t L = 0;
    while (L + 1 < tl->nlv && tl->w <= (cw >> (L + 1)))
        L++;
    const tl_level *lv = &tl->lv[L];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = tl_edge(t0, t1, n, i), b = tl_edge(t0, t1, n, i + 1);
        uint64_t z = b > a ? b - 1 : a;
        if (z < tl->t0) {
            mn[i] = mx[i] = 0;
            continue;
        }
        if (a > tl->t1) {
            mn[i] = mx[i] = tl->last[tl->nb - 1];
            continue;
        }
        uint32_t lo = tl_bucket(tl, a) >> L, hi = tl_bucket(tl, z) >> L;
        uint64_t lmin = UINT64_MAX, lmax = 0;
        for (uint32_t j = lo; j <= hi; j++) {
            if (lv->min[j] < lmin)
                lmin = lv->min[j];
            if (lv->max[j] > lmax)
                lmax = lv->max[j];
        }
        mn[i] = lmin;
        mx[i] = lmax;
    }
}

/* Index of the first step at or after t in the decoded window. */
static uint32_t window_find(const tl_window *w, uint64_t t)
{
    uint32_t lo = 0, hi = w->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint64_t window_heap_before(const tl_window *w, uint32_t idx)
{
    return idx ? w->heap[idx - 1] : w->enter;
}

bool timeline_heap_range(timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, uint64_t *out_min,
                         uint64_t *out_max)
{
    if ((t1 - t0) / n >= tl->w || !tl_window_ensure(tl, t0, t1)) {
        heap_from_buckets(tl, t0, t1, n, out_min, out_max);
        return false;
    }
    const tl_window *w = &tl->win;
    uint32_t idx = window_find(w, t0);
    uint64_t cur = window_heap_before(w, idx);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t b = tl_edge(t0, t1, n, i + 1);
        uint64_t lmin = cur, lmax = cur;
        while (idx < w->n && w->ts[idx] < b) {
            cur = w->heap[idx++];
            if (cur < lmin)
                lmin = cur;
            if (cur > lmax)
                lmax = cur;
        }
        out_min[i] = lmin;
        out_max[i] = lmax;
    }
    return true;
}

int64_t timeline_heap_steps(timeline *tl, uint64_t t0, uint64_t t1, uint32_t max, uint64_t *out_ts,
                            uint64_t *out_heap)
{
    if (!max || t1 < tl->t0 || t0 > tl->t1)
        return -1;
    /* More events than steps wanted: no need to decode anything to say so. */
    uint32_t b0 = tl_bucket(tl, t0), b1 = tl_bucket(tl, t1);
    if (tl->ev_prefix[b1 + 1] - tl->ev_prefix[b0] > 4ull * max + 64 || !tl_window_ensure(tl, t0, t1))
        return -1;
    const tl_window *w = &tl->win;
    uint32_t idx = window_find(w, t0);
    uint32_t end = window_find(w, t1 + (t1 < UINT64_MAX));
    if ((uint64_t)(end - idx) + 1 > max)
        return -1;
    out_ts[0] = t0;
    out_heap[0] = window_heap_before(w, idx);
    uint32_t k = 1;
    for (uint32_t i = idx; i < end; i++, k++) {
        out_ts[k] = w->ts[i];
        out_heap[k] = w->heap[i];
    }
    return k;
}

/* Cumulative count at time t from a per-bucket prefix array: whole buckets
 * before t plus the share of t's bucket that lies before t. */
static double cumulative(const uint64_t *prefix, uint32_t nbk, uint64_t width, uint64_t start, uint64_t last,
                         uint64_t t)
{
    if (t <= start)
        return 0;
    if (t > last) /* past the last event: everything, not a share */
        return (double)prefix[nbk];
    uint64_t d = t - start;
    uint64_t b = d / width;
    if (b >= nbk)
        return (double)prefix[nbk];
    double frac = (double)(d - b * width) / (double)width;
    return (double)prefix[b] + frac * (double)(prefix[b + 1] - prefix[b]);
}

static void share_range(const timeline *tl, const uint64_t *prefix, uint32_t nbk, uint64_t width, uint64_t t0,
                        uint64_t t1, uint32_t n, double *out)
{
    double prev = cumulative(prefix, nbk, width, tl->t0, tl->t1, t0);
    for (uint32_t i = 0; i < n; i++) {
        double next = cumulative(prefix, nbk, width, tl->t0, tl->t1, tl_edge(t0, t1, n, i + 1));
        out[i] = next - prev;
        prev = next;
    }
}

/* The first of `n` times (in increasing order) at or after t. */
static uint32_t first_at(const uint64_t *ts, uint32_t n, uint64_t t)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first time of column c + 1 when [t0, t1) is cut into n (c < n): the
 * least ts with (ts - t0) * n / (t1 - t0) > c, so a column holds the times
 * whose share of the range it is (the test's and the buckets' rule). */
static uint64_t column_next(uint64_t t0, uint64_t t1, uint32_t n, uint32_t c)
{
    unsigned __int128 num = (unsigned __int128)(t1 - t0) * (c + 1);
    return t0 + (uint64_t)((num + n - 1) / n);
}

/* The decoded window's steps in [t0, t1) per column: one walk of the
 * view's part, times in increasing order (the one order), a division per
 * column rather than per step (a view holds ~100 steps a column there). */
void timeline_alloc_range(const timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, double *out_count,
                          double *out_bytes)
{
    const tl_window *w = &tl->win;
    if (tl_window_covers(w, t0, t1)) { /* decoded: every allocation in its own column */
        uint32_t i = first_at(w->ts, w->n, t0);
        for (uint32_t c = 0; c < n; c++) {
            uint64_t next = column_next(t0, t1, n, c);
            double count = 0, bytes = 0;
            for (; i < w->n && w->ts[i] < next; i++) {
                count += w->alloc[i] != 0;
                bytes += (double)w->alloc[i];
            }
            if (out_count)
                out_count[c] = count;
            if (out_bytes)
                out_bytes[c] = bytes;
        }
        return;
    }
    if (out_count)
        share_range(tl, tl->alloc_prefix, tl->nb, tl->w, t0, t1, n, out_count);
    if (out_bytes)
        share_range(tl, tl->bytes_prefix, tl->nb, tl->w, t0, t1, n, out_bytes);
}

uint32_t timeline_resource_kinds(const timeline *tl, uint32_t *out_kinds, uint32_t max)
{
    uint32_t n = tl->nkinds < max ? tl->nkinds : max;
    for (uint32_t k = 0; k < n; k++)
        out_kinds[k] = tl->kinds[k];
    return n;
}

void timeline_resource_range(const timeline *tl, uint32_t k, uint64_t t0, uint64_t t1, uint32_t n,
                             uint32_t *out_min, uint32_t *out_max)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = tl_edge(t0, t1, n, i), b = tl_edge(t0, t1, n, i + 1);
        uint64_t z = b > a ? b - 1 : a;
        if (k >= tl->nkinds || z < tl->t0) {
            out_min[i] = out_max[i] = 0;
            continue;
        }
        uint32_t lo = tl_bucket(tl, a) >> tl->side_shift, hi = tl_bucket(tl, z) >> tl->side_shift;
        uint32_t lmin = UINT32_MAX, lmax = 0;
        for (uint32_t j = lo; j <= hi; j++) {
            if (tl->res_min[k][j] < lmin)
                lmin = tl->res_min[k][j];
            if (tl->res_max[k][j] > lmax)
                lmax = tl->res_max[k][j];
        }
        out_min[i] = lmin;
        out_max[i] = lmax;
    }
}

uint64_t timeline_lifetimes(const timeline *tl, uint64_t t0, uint64_t t1, timeline_lifetime *out, uint64_t max,
                            uint64_t *dropped)
{
    if (dropped)
        *dropped = tl->life_dropped;
    /* Sorted by begin: everything after the first begin > t1 is out. */
    uint64_t lo = 0, hi = tl->nlife;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (tl->life[mid].begin <= t1)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t count = 0;
    for (uint64_t i = 0; i < lo; i++) {
        if (tl->life[i].end < t0)
            continue;
        if (count < max)
            out[count] = tl->life[i];
        count++;
    }
    return count;
}

uint32_t timeline_thread_lanes(const timeline *tl) { return tl->nlanes; }

uint32_t timeline_thread_lane_tid(const timeline *tl, uint32_t lane)
{
    return lane < tl->nlanes ? tl->lane_tid[lane] : 0;
}

void timeline_threads_range(const timeline *tl, uint64_t t0, uint64_t t1, uint32_t n, double *out_events)
{
    const tl_window *w = &tl->win;
    if (!tl->nlanes)
        return;
    if (tl_window_covers(w, t0, t1)) { /* decoded: every event in its own column, one walk for every lane */
        for (size_t i = 0; i < (size_t)tl->nlanes * n; i++)
            out_events[i] = 0;
        uint32_t i = first_at(w->ev_ts, w->nev, t0);
        for (uint32_t c = 0; c < n; c++) {
            uint64_t next = column_next(t0, t1, n, c);
            for (; i < w->nev && w->ev_ts[i] < next; i++)
                out_events[(size_t)w->ev_lane[i] * n + c] += 1;
        }
        return;
    }
    for (uint32_t lane = 0; lane < tl->nlanes; lane++)
        share_range(tl, tl->lane_prefix[lane], tl->nside, tl->w << tl->side_shift, t0, t1, n,
                    out_events + (size_t)lane * n);
}
