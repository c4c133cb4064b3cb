/* timeline-sketch.c — a timeline drawn from the events chunks' summaries
 * (format 3.1 headers, FORMAT.md) without decoding an event: the first
 * picture of a long trace, and the whole-trace export of one that holds
 * nothing the summaries leave out (timeline.h: timeline_open_sketch).
 *
 * The heap at time t is the sum over the threads of each thread's running
 * total of its chunks' heap deltas. A summary knows a thread's total at
 * the ends of its segments and bounds it inside each (heap_min, heap_max),
 * so for each base bucket the sum over the threads of the lowest and the
 * highest each can have had there holds the heap in that bucket. Each
 * piece of a thread's time (a segment, or the gap to its next one, where
 * its total stands still) adds its bounds to the buckets it covers: the
 * buckets wholly inside a piece through a difference array, the one or two
 * it shares with its neighbours through a per-thread accumulator that
 * keeps the lowest and highest of the pieces meeting there.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "timeline-private.h"
#include "grow.h"
#include "merge.h"
#include "trace-reader.h"

#include <stdlib.h>
#include <string.h>

/* Saturating addition: hostile summaries may sum past int64 (the reader
 * bounds each value, not their sums over a file). */
static inline int64_t sadd(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

typedef struct sketch_build {
    timeline *tl;
    int64_t *dlo, *dhi;    /* nb + 1: differences over the buckets wholly inside a piece */
    int64_t *blo, *bhi;    /* nb: the shared buckets' bounds, added as each thread leaves them */
    int64_t *dend;         /* nb: the thread totals' changes, at the bucket of each segment's end */
    double *dev, *dalloc, *dbytes; /* nb + 1: events, allocations, bytes per bucket, as rates over ranges */
    double *dlane;         /* nside + 1 per lane: the lane's events */
    /* the thread being added */
    bool acc_on;
    uint32_t acc_b;
    int64_t acc_lo, acc_hi;
} sketch_build;

static void acc_flush(sketch_build *S)
{
    if (!S->acc_on)
        return;
    S->blo[S->acc_b] = sadd(S->blo[S->acc_b], S->acc_lo);
    S->bhi[S->acc_b] = sadd(S->bhi[S->acc_b], S->acc_hi);
    S->acc_on = false;
}

static void acc_take(sketch_build *S, uint32_t b, int64_t lo, int64_t hi)
{
    if (S->acc_on && S->acc_b == b) {
        if (lo < S->acc_lo)
            S->acc_lo = lo;
        if (hi > S->acc_hi)
            S->acc_hi = hi;
        return;
    }
    acc_flush(S);
    S->acc_on = true;
    S->acc_b = b;
    S->acc_lo = lo;
    S->acc_hi = hi;
}

/* The thread's total lies in [lo, hi] over [ta, tb]. */
static void piece(sketch_build *S, uint64_t ta, uint64_t tb, int64_t lo, int64_t hi)
{
    uint32_t ba = tl_bucket(S->tl, ta), bb = tl_bucket(S->tl, tb);
    acc_take(S, ba, lo, hi);
    if (bb <= ba)
        return;
    if (bb > ba + 1) {
        S->dlo[ba + 1] = sadd(S->dlo[ba + 1], lo);
        S->dlo[bb] = sadd(S->dlo[bb], -lo);
        S->dhi[ba + 1] = sadd(S->dhi[ba + 1], hi);
        S->dhi[bb] = sadd(S->dhi[bb], -hi);
    }
    acc_flush(S);
    acc_take(S, bb, lo, hi);
}

/* `amount` spread evenly over the time [ta, tb], onto buckets of width w
 * from t0 (n of them) as a rate per bucket: d[first] += r, d[last + 1] -= r.
 * What falls in the partial first and last buckets is their share. */
static void spread(double *d, uint64_t t0, uint64_t w, uint32_t n, uint64_t ta, uint64_t tb, double amount)
{
    uint64_t a = ta > t0 ? (ta - t0) / w : 0, b = tb > t0 ? (tb - t0) / w : 0;
    if (a >= n)
        a = n - 1;
    if (b >= n)
        b = n - 1;
    double r = amount / (double)(b - a + 1);
    d[a] += r;
    d[b + 1] -= r;
}

static int by_thread(const void *x, const void *y, void *chunks)
{
    const trace_chunk_info *c = chunks;
    const trace_chunk_info *p = &c[*(const uint32_t *)x], *q = &c[*(const uint32_t *)y];
    if (p->thread != q->thread)
        return p->thread < q->thread ? -1 : 1;
    if (p->first_ts != q->first_ts)
        return p->first_ts < q->first_ts ? -1 : 1;
    return p->offset < q->offset ? -1 : p->offset > q->offset;
}

#define SKETCH_NAME_CHUNKS 1024u /* chunks decoded for the threads' names, at most */

/* Whether idx can have a sketch, whether it misses nothing (only heap
 * events and the threads' names, from few chunks), and how many chunks
 * hold a name. */
static bool eligible(const ls_index *idx, uint32_t *missing, uint32_t *name_chunks)
{
    if (!idx->summaries || !idx->nchunks || idx->ndamage)
        return false;
    *missing = 0;
    *name_chunks = 0;
    for (uint32_t i = 0; i < idx->nchunks; i++) {
        const trace_chunk_summary *s = &idx->summaries[i];
        if (!s->present || !s->heap_known || !s->nsegments || s->nsegments > TRACE_SUMMARY_SEGMENTS)
            return false;
        *name_chunks += s->kind_counts[TRACE_THREAD_NAME] > 0;
        for (uint32_t k = 0; k < 16; k++)
            if (s->kind_counts[k] && k != TRACE_ALLOC && k != TRACE_FREE && k != TRACE_REALLOC)
                *missing |= 1u << k;
    }
    if (*name_chunks <= SKETCH_NAME_CHUNKS && !idx->unverified)
        *missing &= ~(1u << TRACE_THREAD_NAME); /* read from those chunks */
    return true;
}

/* The threads' names: the chunks that hold one decoded, in the one order
 * (merge.h), each thread's last name kept as the analysis keeps it. */
static bool sketch_names(ls_analysis *a, const ls_index *idx, uint32_t name_chunks)
{
    trace_chunk_info *sel = malloc((size_t)name_chunks * sizeof *sel);
    trace_reader *r = NULL;
    if (!sel || trace_reader_dup(idx->reader, &r) != TRACE_OK) {
        free(sel);
        return false;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < idx->nchunks && n < name_chunks; i++)
        if (idx->summaries[i].kind_counts[TRACE_THREAD_NAME])
            sel[n++] = idx->chunks[i];
    ls_merge *m = ls_merge_new(r, sel, n, 0, UINT64_MAX);
    if (!m) {
        trace_reader_close(r);
        free(sel);
        return false;
    }
    ls_merge_own_reader(m);
    trace_event ev;
    trace_status st;
    while ((st = ls_merge_next(m, &ev)) == TRACE_OK) {
        if (ev.kind != TRACE_THREAD_NAME)
            continue;
        for (uint32_t t = 0; t < a->nthreads; t++)
            if (a->threads[t].tid == ev.thread)
                a->threads[t].name = (uint32_t)ev.str;
    }
    ls_merge_free(m);
    free(sel);
    return st == TRACE_END;
}

static void build_free(sketch_build *S)
{
    free(S->dlo);
    free(S->dhi);
    free(S->blo);
    free(S->bhi);
    free(S->dend);
    free(S->dev);
    free(S->dalloc);
    free(S->dbytes);
    free(S->dlane);
}

/* Lanes in the order of the threads' first events (the tid at equal
 * times), the first TIMELINE_MAX_THREADS - 1 their own, the rest sharing
 * the last; thread i of `threads` gets lane_of[i]. False when out of
 * memory. */
static bool assign_lanes(timeline *tl, const ls_thread *threads, uint32_t n, uint32_t *lane_of)
{
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return false;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    /* insertion by first event: threads are few next to the chunks */
    for (uint32_t i = 1; i < n; i++) {
        uint32_t v = order[i], j = i;
        while (j > 0 && (threads[order[j - 1]].first_ts > threads[v].first_ts ||
                         (threads[order[j - 1]].first_ts == threads[v].first_ts &&
                          threads[order[j - 1]].tid > threads[v].tid))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    tl->nlanes = n < TIMELINE_MAX_THREADS ? n : TIMELINE_MAX_THREADS;
    for (uint32_t r = 0; r < n; r++) {
        uint32_t lane = r < TIMELINE_MAX_THREADS ? r : TIMELINE_MAX_THREADS - 1;
        lane_of[order[r]] = lane;
        if (r < TIMELINE_MAX_THREADS)
            tl->lane_tid[lane] = threads[order[r]].tid;
    }
    free(order);
    return true;
}

/* Rates per bucket (differences) to prefix sums of whole counts. */
static bool rate_prefix(uint64_t **out, const double *d, uint32_t n)
{
    uint64_t *p = malloc(((size_t)n + 1) * sizeof *p);
    if (!p)
        return false;
    double run = 0, sum = 0;
    p[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        run += d[i];
        sum += run > 0 ? run : 0;
        uint64_t v = sum < 1.8e19 ? (uint64_t)(sum + 0.5) : UINT64_MAX;
        p[i + 1] = v > p[i] ? v : p[i];
    }
    *out = p;
    return true;
}

static bool sketch_fill(timeline *tl, const ls_index *idx)
{
    ls_analysis *a = tl->a;
    const uint32_t nb = tl->nb;
    sketch_build S = { .tl = tl };
    uint32_t *order = malloc((size_t)idx->nchunks * sizeof *order);
    bool ok = false;
    S.dlo = calloc((size_t)nb + 1, sizeof *S.dlo);
    S.dhi = calloc((size_t)nb + 1, sizeof *S.dhi);
    S.blo = calloc(nb, sizeof *S.blo);
    S.bhi = calloc(nb, sizeof *S.bhi);
    S.dend = calloc(nb, sizeof *S.dend);
    S.dev = calloc((size_t)nb + 1, sizeof *S.dev);
    S.dalloc = calloc((size_t)nb + 1, sizeof *S.dalloc);
    S.dbytes = calloc((size_t)nb + 1, sizeof *S.dbytes);
    if (!order || !S.dlo || !S.dhi || !S.blo || !S.bhi || !S.dend || !S.dev || !S.dalloc || !S.dbytes)
        goto done;
    for (uint32_t i = 0; i < idx->nchunks; i++)
        order[i] = i;
    qsort_r(order, idx->nchunks, sizeof *order, by_thread, idx->chunks);

    /* The threads, in tid order here: their events and times. */
    uint32_t nthreads = 0, cap = 0;
    for (uint32_t i = 0; i < idx->nchunks; i++) {
        const trace_chunk_info *c = &idx->chunks[order[i]];
        if (!i || c->thread != idx->chunks[order[i - 1]].thread) {
            if (!ls_grow32((void **)&a->threads, &cap, sizeof *a->threads, nthreads + 1))
                goto done;
            a->threads[nthreads++] = (ls_thread){ .tid = c->thread, .first_ts = c->first_ts };
        }
        ls_thread *t = &a->threads[nthreads - 1];
        t->events += c->count;
        if (c->last_ts > t->last_ts)
            t->last_ts = c->last_ts;
    }
    a->nthreads = nthreads;
    uint32_t *lane_of = malloc((nthreads ? nthreads : 1) * sizeof *lane_of);
    if (!lane_of || !assign_lanes(tl, a->threads, nthreads, lane_of)) {
        free(lane_of);
        goto done;
    }
    S.dlane = calloc((size_t)(tl->nlanes ? tl->nlanes : 1) * (tl->nside + 1), sizeof *S.dlane);
    if (!S.dlane) {
        free(lane_of);
        goto done;
    }

    int64_t heap_end = 0;
    uint32_t thread = 0;
    for (uint32_t i = 0; i < idx->nchunks;) {
        uint32_t tid = idx->chunks[order[i]].thread;
        double *lane = S.dlane + (size_t)lane_of[thread] * (tl->nside + 1);
        int64_t v = 0;
        bool started = false;
        uint64_t prev_end = 0;
        for (; i < idx->nchunks && idx->chunks[order[i]].thread == tid; i++) {
            const trace_chunk_info *c = &idx->chunks[order[i]];
            const trace_chunk_summary *cs = &idx->summaries[order[i]];
            uint64_t allocs = (uint64_t)cs->kind_counts[TRACE_ALLOC] + cs->kind_counts[TRACE_REALLOC];
            a->allocations += allocs;
            a->reallocs += cs->kind_counts[TRACE_REALLOC];
            a->frees += cs->kind_counts[TRACE_FREE];
            a->allocated_bytes += cs->alloc_bytes;
            a->freed_bytes += cs->released_bytes;
            a->events += c->count;
            /* a segment's heap values run from the chunk's start */
            int64_t base = v, before = 0;
            for (uint32_t k = 0; k < cs->nsegments; k++) {
                const trace_segment_summary *g = &cs->seg[k];
                if (started && g->first_ts > prev_end)
                    piece(&S, prev_end, g->first_ts, v, v);
                piece(&S, g->first_ts, g->last_ts, sadd(base, g->heap_min), sadd(base, g->heap_max));
                v = sadd(base, g->heap_end);
                uint32_t eb = tl_bucket(tl, g->last_ts);
                S.dend[eb] = sadd(S.dend[eb], sadd(g->heap_end, -before));
                before = g->heap_end;
                started = true;
                prev_end = g->last_ts;
                double share = c->count ? (double)g->events / c->count : 0;
                spread(S.dev, tl->t0, tl->w, nb, g->first_ts, g->last_ts, g->events);
                spread(S.dalloc, tl->t0, tl->w, nb, g->first_ts, g->last_ts, share * (double)allocs);
                spread(S.dbytes, tl->t0, tl->w, nb, g->first_ts, g->last_ts, share * (double)cs->alloc_bytes);
                spread(lane, tl->t0, tl->w << tl->side_shift, tl->nside, g->first_ts, g->last_ts, g->events);
            }
        }
        if (started)
            piece(&S, prev_end, tl->t1, v, v);
        acc_flush(&S);
        heap_end = sadd(heap_end, v);
        thread++;
    }
    free(lane_of);

    /* Level 0, the checkpoints, the peak. */
    int64_t run_lo = 0, run_hi = 0, run_end = 0;
    uint64_t peak = 0, peak_ts = tl->t0;
    for (uint32_t b = 0; b < nb; b++) {
        run_lo = sadd(run_lo, S.dlo[b]);
        run_hi = sadd(run_hi, S.dhi[b]);
        run_end = sadd(run_end, S.dend[b]);
        int64_t lo = sadd(run_lo, S.blo[b]), hi = sadd(run_hi, S.bhi[b]);
        uint64_t mn = lo > 0 ? (uint64_t)lo : 0, mx = hi > 0 ? (uint64_t)hi : 0;
        if (mx < mn)
            mx = mn;
        uint64_t at = run_end > 0 ? (uint64_t)run_end : 0;
        tl->lv[0].min[b] = mn;
        tl->lv[0].max[b] = mx;
        tl->last[b] = at < mn ? mn : at > mx ? mx : at;
        tl->inexact[b] = 1; /* no exact steps: there is no stream to replay */
        if (mx > peak) {
            peak = mx;
            peak_ts = tl_bucket_start(tl, b);
        }
    }
    tl_build_pyramid(tl);
    if (!rate_prefix(&tl->ev_prefix, S.dev, nb) || !rate_prefix(&tl->alloc_prefix, S.dalloc, nb) ||
        !rate_prefix(&tl->bytes_prefix, S.dbytes, nb))
        goto done;
    for (uint32_t l = 0; l < tl->nlanes; l++)
        if (!rate_prefix(&tl->lane_prefix[l], S.dlane + (size_t)l * (tl->nside + 1), tl->nside))
            goto done;

    a->heap_bytes = a->leaked_bytes = heap_end > 0 ? (uint64_t)heap_end : 0;
    a->peak_heap_bytes = peak > a->heap_bytes ? peak : a->heap_bytes;
    a->peak_heap_ts = peak > a->heap_bytes ? peak_ts : tl->t1;
    a->first_ts = tl->t0;
    a->last_ts = tl->t1;
    a->lost_events = a->complete ? a->index->end_lost : 0;
    a->sketch = true;
    ok = true;
done:
    free(order);
    build_free(&S);
    return ok;
}

timeline *timeline_open_sketch(ls_index *idx)
{
    uint32_t missing, name_chunks;
    if (!eligible(idx, &missing, &name_chunks))
        return NULL;
    timeline *tl = calloc(1, sizeof *tl);
    if (!tl)
        return NULL;
    tl->sketch = true;
    tl->sketch_missing = missing;
    if (!(tl->path = strdup(idx->path)) || !(tl->a = ls_analysis_unread(idx)) || !tl_take_chunks(tl, idx) ||
        !tl_alloc_base(tl, idx->chunk_events) || !sketch_fill(tl, idx)) {
        timeline_free(tl);
        return NULL;
    }
    /* A chunk that cannot be read for its names: the sketch lacks them. */
    if (!(missing >> TRACE_THREAD_NAME & 1) && name_chunks && !sketch_names(tl->a, idx, name_chunks))
        tl->sketch_missing |= 1u << TRACE_THREAD_NAME;
    return tl;
}

struct timeline_refinement {
    uint32_t from, n, nb;
    uint64_t t0, w;
    uint64_t *min, *max, *last;
};

timeline_refinement *timeline_refinement_take(const timeline *building, uint32_t from, uint32_t done)
{
    if (done > building->nb)
        done = building->nb;
    if (from >= done)
        return NULL;
    timeline_refinement *r = calloc(1, sizeof *r);
    uint32_t n = done - from;
    if (!r || !(r->min = malloc((size_t)n * 8)) || !(r->max = malloc((size_t)n * 8)) ||
        !(r->last = malloc((size_t)n * 8))) {
        timeline_refinement_free(r);
        return NULL;
    }
    *r = (timeline_refinement){ from, n, building->nb, building->t0, building->w, r->min, r->max, r->last };
    memcpy(r->min, building->lv[0].min + from, (size_t)n * 8);
    memcpy(r->max, building->lv[0].max + from, (size_t)n * 8);
    memcpy(r->last, building->last + from, (size_t)n * 8);
    return r;
}

void timeline_refinement_free(timeline_refinement *r)
{
    if (!r)
        return;
    free(r->min);
    free(r->max);
    free(r->last);
    free(r);
}

uint32_t timeline_refinement_end(const timeline_refinement *r) { return r->from + r->n; }

void timeline_sketch_refine(timeline *tl, const timeline_refinement *r)
{
    if (!tl->sketch || !r || r->nb != tl->nb || r->t0 != tl->t0 || r->w != tl->w || r->from + r->n > tl->nb)
        return;
    memcpy(tl->lv[0].min + r->from, r->min, (size_t)r->n * 8);
    memcpy(tl->lv[0].max + r->from, r->max, (size_t)r->n * 8);
    memcpy(tl->last + r->from, r->last, (size_t)r->n * 8);
    if (r->from + r->n > tl->sketch_exact)
        tl->sketch_exact = r->from + r->n;
    /* the levels above, over the buckets that changed */
    for (uint32_t l = 1; l < tl->nlv; l++) {
        const tl_level *lo = &tl->lv[l - 1];
        tl_level *hi = &tl->lv[l];
        uint32_t a = r->from >> l, b = (r->from + r->n - 1) >> l;
        for (uint32_t i = a; i <= b && i < hi->n; i++) {
            hi->min[i] = lo->min[2 * i] < lo->min[2 * i + 1] ? lo->min[2 * i] : lo->min[2 * i + 1];
            hi->max[i] = lo->max[2 * i] > lo->max[2 * i + 1] ? lo->max[2 * i] : lo->max[2 * i + 1];
        }
    }
    uint64_t peak = 0;
    uint32_t at = 0;
    for (uint32_t b = 0; b < tl->nb; b++)
        if (tl->lv[0].max[b] > peak) {
            peak = tl->lv[0].max[b];
            at = b;
        }
    ls_analysis *a = tl->a;
    if (peak > a->heap_bytes) {
        a->peak_heap_bytes = peak;
        a->peak_heap_ts = tl_bucket_start(tl, at);
    }
}

uint64_t timeline_sketch_exact_until(const timeline *tl)
{
    return tl->sketch_exact ? tl_bucket_start(tl, tl->sketch_exact - 1) + tl->w : tl->t0;
}

bool timeline_is_sketch(const timeline *tl) { return tl->sketch; }

bool timeline_sketch_complete(const timeline *tl) { return tl->sketch && !tl->sketch_missing; }

bool timeline_sketch_missing(const timeline *tl, uint32_t kind)
{
    return tl->sketch && kind < 32 && (tl->sketch_missing >> kind & 1);
}
