/* growth.c — growth-trend suspects (growth.h).
 *
 * Per stack: what it has live now, and, from its first change on, its
 * value at the end of each of LS_GROWTH_BUCKETS time buckets (filled
 * lazily: when the stack changes in a later bucket, the buckets it skipped
 * held what it has now). Memory: one series (512 bytes) per stack that
 * allocated, and one per stack that opened a resource, so bounded by the
 * trace's stack dictionary, never by its events.
 *
 * Iterations: every mark (of the label asked for, else of any label)
 * starts an epoch; the first time a stack changes in an epoch, its value
 * then (its value at that mark) is logged. The value at mark j is the
 * first logged value of an epoch >= j, or what the stack ended with:
 * exact, one entry per stack per epoch in
 * which it changed at most, so bounded by the events.
 *
 * SPDX-License-Identifier: MIT
 */
#include "growth.h"
#include "grow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB LS_GROWTH_BUCKETS

typedef struct site {
    uint64_t bytes, blocks, open;   /* now */
    uint64_t *heap;                 /* NB values of its live bytes, once it allocated (the trend
                                       is judged on bytes; blocks are only needed at the end) */
    uint64_t *res;                  /* NB open handles, once it opened one */
    uint32_t filled, rfilled;       /* buckets before these are filled */
    uint32_t first, rfirst;         /* bucket of its first allocation / open */
    uint32_t kind;                  /* the first resource kind it opened */
    uint32_t epoch;                 /* 1 + the last epoch it logged in; 0 none */
} site;

typedef struct mark_log {
    uint32_t stack, epoch;
    uint64_t bytes;                 /* live at mark `epoch` */
} mark_log;

struct ls_growth_builder {
    uint64_t t0, t1;
    /* The bucket found last and the times it holds, [lo, hi]: events come
     * in time order, so most find theirs with two compares, not a 128-bit
     * division (a quarter of an event's analysis before). */
    uint64_t b_lo, b_hi;
    uint32_t b_last;
    uint32_t nstacks;
    site *sites;
    char *iteration_mark;           /* the label asked for, or NULL: any mark starts an epoch */
    uint8_t *mark_label;            /* with it: per string id, 1 when the string is that label */
    uint32_t nstrings;
    uint32_t marks;                 /* marks that started an epoch: the current epoch */
    mark_log *log;
    size_t nlog, logcap;
    bool log_full;                  /* LS_GROWTH_LOG_MAX reached: the iterations are not followed */
    bool nomem;
};

/* ---- the trend of a series: the one rule ---- */

static void fit(const double *x, const double *y, uint32_t n, double *slope, double *r2)
{
    double mx = 0, my = 0;
    for (uint32_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0, syy = 0;
    for (uint32_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    *slope = sxx > 0 ? sxy / sxx : 0;
    *r2 = sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : 0;
}

ls_trend ls_trend_of(const double *x, const double *y, uint32_t n)
{
    ls_trend t = { 0 };
    if (n < 4)
        return t;
    double late_r2;
    fit(x, y, n, &t.slope, &t.r2);
    uint32_t h = n / 2;
    fit(x + h, y + h, n - h, &t.late_slope, &late_r2);
    if (t.slope <= 0 || !isfinite(t.slope) || !isfinite(t.late_slope))
        return (ls_trend){ .slope = isfinite(t.slope) ? t.slope : 0 };
    /* A site that stopped growing has a flat later half: its late slope,
     * against the whole run's, says how much of the growth is still going. */
    double persist = t.late_slope / t.slope;
    if (persist < 0)
        persist = 0;
    if (persist > 1)
        persist = 1;
    t.confidence = persist * t.r2;
    t.growing = t.late_slope > 0 && y[n - 1] > y[h] && t.confidence >= LS_GROWTH_CONFIDENT;
    return t;
}

/* ---- the builder ---- */

/* The first time of bucket b (b <= NB), as an offset from t0: the least x
 * with x * NB / span >= b. */
static uint64_t bucket_start(const ls_growth_builder *g, uint32_t b)
{
    unsigned __int128 span = (unsigned __int128)(g->t1 - g->t0) + 1;
    return (uint64_t)(((unsigned __int128)b * span + NB - 1) / NB);
}

static uint32_t bucket_find(ls_growth_builder *g, uint64_t ts)
{
    if (ts <= g->t0)
        return 0;
    if (ts >= g->t1)
        return NB - 1;
    unsigned __int128 q = (unsigned __int128)(ts - g->t0) * NB / ((unsigned __int128)(g->t1 - g->t0) + 1);
    uint32_t b = q >= NB ? NB - 1 : (uint32_t)q;
    g->b_last = b;
    g->b_lo = g->t0 + bucket_start(g, b);
    g->b_hi = g->t0 + bucket_start(g, b + 1) - 1;
    return b;
}

/* The bucket of time ts. The cache holds a bucket that bucket_find found a
 * time in (never empty, b_hi > t0 >= 0), or nothing (b_hi = 0). */
static inline uint32_t bucket_of(ls_growth_builder *g, uint64_t ts)
{
    if (ts - g->b_lo <= g->b_hi - g->b_lo && g->b_hi)
        return g->b_last;
    return bucket_find(g, ts);
}

ls_growth_builder *ls_growth_builder_new(const ls_index *idx, const char *iteration_mark)
{
    ls_growth_builder *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (iteration_mark) {
        g->nstrings = idx->nstrings;
        g->iteration_mark = strdup(iteration_mark);
        g->mark_label = calloc(idx->nstrings + 1, 1);
        if (!g->iteration_mark || !g->mark_label) {
            ls_growth_builder_free(g);
            return NULL;
        }
        for (uint32_t i = 1; i < idx->nstrings; i++)
            g->mark_label[i] = !strcmp(ls_index_string(idx, i), iteration_mark);
    }
    g->t0 = idx->first_ts;
    g->t1 = idx->last_ts > idx->first_ts ? idx->last_ts : idx->first_ts;
    g->nstacks = idx->nstacks ? idx->nstacks : 1;
    g->sites = calloc(g->nstacks, sizeof *g->sites);
    if (!g->sites) {
        ls_growth_builder_free(g);
        return NULL;
    }
    return g;
}

void ls_growth_builder_free(ls_growth_builder *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; g->sites && i < g->nstacks; i++) {
        free(g->sites[i].heap);
        free(g->sites[i].res);
    }
    free(g->sites);
    free(g->log);
    free(g->iteration_mark);
    free(g->mark_label);
    free(g);
}

/* The buckets before b held what the site has now. */
static void fill_heap(site *s, uint32_t b)
{
    for (; s->filled < b; s->filled++)
        s->heap[s->filled] = s->bytes;
}

static void fill_res(site *s, uint32_t b)
{
    for (; s->rfilled < b; s->rfilled++)
        s->res[s->rfilled] = s->open;
}

static void observe_block(void *user, const ls_analysis *a, const trace_event *ev, uint32_t stack, int64_t bytes)
{
    (void)a;
    ls_growth_builder *g = user;
    int delta = bytes < 0 ? -1 : 1;
    uint64_t size = bytes < 0 ? (uint64_t)-(bytes + 1) + 1 : (uint64_t)bytes;
    if (stack >= g->nstacks) /* unknown ids: 0, as the analysis counts their leaks */
        stack = 0;
    if (g->nomem)
        return;
    site *s = &g->sites[stack];
    uint32_t b = bucket_of(g, ev->ts);
    if (!s->heap) {
        if (delta < 0) /* allocated before the builder could see it: cannot happen in one pass */
            return;
        if (!(s->heap = calloc(NB, sizeof *s->heap))) {
            g->nomem = true;
            return;
        }
        s->first = s->filled = b;
    }
    fill_heap(s, b);
    if (g->marks && s->epoch != g->marks + 1 && !g->log_full) {
        if (g->nlog == LS_GROWTH_LOG_MAX) {
            g->log_full = true; /* bounded: the time trend goes on, the iterations are given up */
        } else if (!ls_grow((void **)&g->log, &g->logcap, sizeof *g->log, g->nlog + 1)) {
            g->nomem = true;
            return;
        } else {
            g->log[g->nlog++] = (mark_log){ stack, g->marks, s->bytes };
            s->epoch = g->marks + 1;
        }
    }
    if (delta > 0) {
        s->bytes += size;
        s->blocks++;
    } else {
        s->bytes -= size < s->bytes ? size : s->bytes;
        s->blocks -= s->blocks > 0;
    }
}

static void observe_resource(void *user, const ls_analysis *a, const trace_event *ev, uint32_t kind, uint32_t stack,
                             int delta)
{
    (void)a;
    ls_growth_builder *g = user;
    if (stack >= g->nstacks || g->nomem)
        return;
    site *s = &g->sites[stack];
    uint32_t b = bucket_of(g, ev->ts);
    if (!s->res) {
        if (delta < 0)
            return;
        if (!(s->res = calloc(NB, sizeof *s->res))) {
            g->nomem = true;
            return;
        }
        s->rfirst = s->rfilled = b;
        s->kind = kind;
    }
    fill_res(s, b);
    if (delta > 0)
        s->open++;
    else if (s->open)
        s->open--;
}

static bool observe_event(void *user, const ls_analysis *a, const trace_event *ev)
{
    (void)a;
    ls_growth_builder *g = user;
    bool counts = !g->mark_label || (ev->str < g->nstrings && g->mark_label[ev->str]);
    if (ev->kind == TRACE_MARK && counts && g->marks < UINT32_MAX - 1)
        g->marks++;
    return true; /* out of memory: ls_growth_finish says so, the analysis goes on */
}

void ls_growth_observe(ls_growth_builder *g, ls_observer *obs)
{
    obs->event = observe_event;
    obs->block = observe_block;
    obs->resource = observe_resource;
    obs->user = g;
}

/* ---- the verdicts ---- */

/* The trend of a site's series from its first bucket on, starting from the
 * zero it had before; false when too young to judge. x in seconds. */
static bool series_trend(const ls_growth_builder *g, const uint64_t *v, uint32_t first, ls_trend *out)
{
    double x[NB + 1], y[NB + 1];
    uint32_t n = 0;
    double span = (double)(g->t1 - g->t0 + 1) / 1e9;
    x[n] = span * first / NB;
    y[n++] = 0;
    for (uint32_t b = first; b < NB; b++) {
        x[n] = span * (b + 1) / NB;
        y[n++] = (double)v[b];
    }
    if (n < LS_GROWTH_MIN_POINTS)
        return false;
    *out = ls_trend_of(x, y, n);
    return true;
}

static int suspect_cmp(const void *p, const void *q)
{
    const ls_growth_suspect *a = p, *b = q;
    if (a->per_second != b->per_second)
        return a->per_second > b->per_second ? -1 : 1;
    if (a->confidence != b->confidence)
        return a->confidence > b->confidence ? -1 : 1;
    return a->stack < b->stack ? -1 : a->stack > b->stack;
}

static int iter_cmp(const void *p, const void *q)
{
    const ls_iteration_site *a = p, *b = q;
    if (a->growing != b->growing)
        return a->growing ? -1 : 1;
    if (a->bytes_per_iteration != b->bytes_per_iteration)
        return a->bytes_per_iteration > b->bytes_per_iteration ? -1 : 1;
    return a->stack < b->stack ? -1 : a->stack > b->stack;
}

static int log_cmp(const void *p, const void *q)
{
    const mark_log *a = p, *b = q;
    if (a->stack != b->stack)
        return a->stack < b->stack ? -1 : 1;
    return a->epoch < b->epoch ? -1 : a->epoch > b->epoch;
}

/* The label that ends an iteration: the one asked for (0 when no mark has
 * it), or the label marked most often, at least 3 times. */
static uint32_t iteration_label(const ls_analysis *a, const char *want)
{
    if (want) {
        for (uint32_t i = 0; i < a->nmarks; i++)
            if (!strcmp(ls_analysis_string(a, a->marks[i].label), want))
                return a->marks[i].label;
        return 0;
    }
    uint32_t *count = calloc(a->nstrings ? a->nstrings : 1, sizeof *count);
    if (!count)
        return 0;
    uint32_t best = 0;
    for (uint32_t i = 0; i < a->nmarks; i++) {
        uint32_t l = a->marks[i].label;
        if (!l || l >= a->nstrings)
            continue;
        if (++count[l] > (best ? count[best] : 0) || (count[l] == count[best] && l == best))
            best = l;
    }
    if (best && count[best] < 3)
        best = 0;
    free(count);
    return best;
}

static bool iterations(ls_growth_builder *g, const ls_analysis *a, ls_growth *out)
{
    uint32_t label = iteration_label(a, g->iteration_mark);
    if (!label)
        return true;
    /* Marks by their epoch (1-based): every mark's number, or with a label
     * asked for, the number among the marks of that label (the builder
     * counted the same events a->marks holds, in the same order). */
    uint32_t n = 0, epoch = 0;
    uint32_t *at = malloc(((size_t)a->nmarks + 1) * sizeof *at);
    double *x = malloc(((size_t)a->nmarks + 1) * sizeof *x), *y = malloc(((size_t)a->nmarks + 1) * sizeof *y);
    bool ok = at && x && y;
    for (uint32_t i = 0; ok && i < a->nmarks; i++) {
        uint32_t l = a->marks[i].label;
        bool starts = !g->mark_label || (l < g->nstrings && g->mark_label[l]);
        epoch += starts;
        if (l == label || (g->mark_label && starts))
            at[n++] = g->mark_label ? epoch : i + 1;
    }
    out->iteration_label = label;
    out->iterations = n;
    out->iterations_followed = !g->log_full;
    if (g->log_full)
        n = 0; /* not followed: no sites */
    if (ok && g->nlog)
        qsort(g->log, g->nlog, sizeof *g->log, log_cmp);
    uint32_t cap = 0;
    size_t li = 0;
    for (uint32_t s = 0; ok && n >= 2 && s < g->nstacks; s++) {
        const site *st = &g->sites[s];
        while (li < g->nlog && g->log[li].stack < s)
            li++;
        if (!st->heap)
            continue;
        size_t lj = li;
        for (uint32_t k = 0; k < n; k++) {
            while (lj < g->nlog && g->log[lj].stack == s && g->log[lj].epoch < at[k])
                lj++;
            bool logged = lj < g->nlog && g->log[lj].stack == s;
            x[k] = k;
            /* A site that first allocated after mark k logged 0 then. */
            y[k] = logged ? (double)g->log[lj].bytes : (double)st->bytes;
        }
        ls_trend t = ls_trend_of(x, y, n);
        if (y[n - 1] == y[0] && !t.growing)
            continue;
        if (!ls_grow32((void **)&out->iter, &cap, sizeof *out->iter, (size_t)out->niter + 1)) {
            ok = false;
            break;
        }
        out->iter[out->niter++] = (ls_iteration_site){
            .stack = s,
            .bytes_per_iteration = (y[n - 1] - y[0]) / (n - 1),
            .first_bytes = (uint64_t)y[0],
            .last_bytes = (uint64_t)y[n - 1],
            .confidence = t.confidence,
            .growing = t.growing,
        };
    }
    if (ok && out->niter)
        qsort(out->iter, out->niter, sizeof *out->iter, iter_cmp);
    free(at);
    free(x);
    free(y);
    return ok;
}

ls_growth *ls_growth_finish(ls_growth_builder *g, const ls_analysis *a)
{
    ls_growth *out = g && !g->nomem && a ? calloc(1, sizeof *out) : NULL;
    bool ok = out != NULL;
    uint32_t hcap = 0, rcap = 0;
    if (ok) {
        out->t0 = g->t0;
        out->t1 = g->t1;
    }
    for (uint32_t s = 0; ok && s < g->nstacks; s++) {
        site *st = &g->sites[s];
        ls_trend t;
        if (st->heap) {
            fill_heap(st, NB);
            if (series_trend(g, st->heap, st->first, &t) && t.growing) {
                ok = ls_grow32((void **)&out->heap, &hcap, sizeof *out->heap, (size_t)out->nheap + 1);
                if (ok)
                    out->heap[out->nheap++] = (ls_growth_suspect){ s, 0, t.late_slope, st->bytes, st->blocks,
                                                                   t.confidence };
            }
        }
        if (ok && st->res) {
            fill_res(st, NB);
            if (series_trend(g, st->res, st->rfirst, &t) && t.growing) {
                ok = ls_grow32((void **)&out->res, &rcap, sizeof *out->res, (size_t)out->nres + 1);
                if (ok)
                    out->res[out->nres++] = (ls_growth_suspect){ s, st->kind, t.late_slope, st->open, st->open,
                                                                 t.confidence };
            }
        }
    }
    if (ok && out->nheap)
        qsort(out->heap, out->nheap, sizeof *out->heap, suspect_cmp);
    if (ok && out->nres)
        qsort(out->res, out->nres, sizeof *out->res, suspect_cmp);
    ok = ok && iterations(g, a, out);
    ls_growth_builder_free(g);
    if (!ok) {
        ls_growth_free(out);
        return NULL;
    }
    return out;
}

void ls_growth_free(ls_growth *g)
{
    if (!g)
        return;
    free(g->heap);
    free(g->res);
    free(g->iter);
    free(g);
}

trace_status ls_growth_load(const char *path, const char *iteration_mark, ls_analysis **a, ls_growth **g,
                            trace_error *err)
{
    return ls_growth_load_symbols(path, iteration_mark, a, g, NULL, err);
}

trace_status ls_growth_load_symbols(const char *path, const char *iteration_mark, ls_analysis **a, ls_growth **g,
                                    sym_table **syms, trace_error *err)
{
    *a = NULL;
    *g = NULL;
    if (syms)
        *syms = NULL;
    ls_index *idx;
    trace_status st = ls_index_open(path, &idx, err);
    if (st != TRACE_OK)
        return st;
    ls_symbols_job *job = syms ? ls_symbols_begin(idx) : NULL;
    ls_growth_builder *b = ls_growth_builder_new(idx, iteration_mark);
    ls_observer obs = { 0 };
    if (!b) {
        st = TRACE_ERR_NOMEM;
    } else {
        ls_growth_observe(b, &obs);
        st = ls_analysis_run(idx, &obs, a, err);
        if (st == TRACE_OK && !(*g = ls_growth_finish(b, *a)))
            st = TRACE_ERR_NOMEM;
        else if (st != TRACE_OK)
            ls_growth_builder_free(b);
    }
    ls_index_unref(idx); /* the analysis holds its own reference */
    sym_table *t = ls_symbols_end(job);
    if (st == TRACE_OK && syms && !t) {
        ls_growth_free(*g);
        *g = NULL;
        st = TRACE_ERR_NOMEM;
    }
    if (st == TRACE_OK && syms)
        *syms = t;
    else
        sym_table_free(t);
    if (st == TRACE_ERR_NOMEM && !*g) {
        err->status = st;
        snprintf(err->message, sizeof err->message, "out of memory");
    }
    if (st != TRACE_OK) {
        ls_analysis_free(*a);
        *a = NULL;
    }
    return st;
}
