/* site-series.c — see site-series.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "site-series.h"

#include <stdlib.h>
#include <string.h>

struct ls_site_series {
    uint64_t t0, t1;        /* the trace's first and last event */
    uint32_t n;             /* stacks followed; series n is the whole heap */
    uint32_t stack[LS_SITE_SERIES_MAX];
    uint64_t *value;        /* (n + 1) x LS_SITE_SERIES_BUCKETS: live bytes at each bucket's end */
    uint64_t *max;          /* n + 1 */
};

typedef struct ranked {
    uint64_t held;
    uint32_t stack;
} ranked;

static int ranked_cmp(const void *x, const void *y)
{
    const ranked *p = x, *q = y;
    if (p->held != q->held)
        return p->held > q->held ? -1 : 1;
    return p->stack < q->stack ? -1 : p->stack > q->stack;
}

uint32_t ls_site_series_rank(const ls_analysis *a, uint32_t *out, uint32_t max)
{
    if (!a->stack_use || !max)
        return 0;
    ranked *r = malloc((size_t)a->nstacks * sizeof *r + 1);
    if (!r)
        return 0;
    uint32_t n = 0;
    for (uint32_t s = 1; s < a->nstacks; s++) {
        const ls_stack_use *u = &a->stack_use[s];
        uint64_t held = u->peak_bytes > u->live_bytes ? u->peak_bytes : u->live_bytes;
        if (held)
            r[n++] = (ranked){ held, s };
    }
    qsort(r, n, sizeof *r, ranked_cmp);
    if (n > max)
        n = max;
    for (uint32_t i = 0; i < n; i++)
        out[i] = r[i].stack;
    free(r);
    return n;
}

typedef struct builder {
    ls_site_series *s;
    bool (*stop)(void *user);
    void *user;
    uint64_t events;
    uint64_t live[LS_SITE_SERIES_MAX + 1];
    uint32_t bucket;                /* the bucket the values in live[] are for */
} builder;

static uint32_t bucket_of(const ls_site_series *s, uint64_t t)
{
    if (t <= s->t0)
        return 0;
    if (t >= s->t1)
        return LS_SITE_SERIES_BUCKETS - 1;
    return (uint32_t)((unsigned __int128)(t - s->t0) * LS_SITE_SERIES_BUCKETS / (s->t1 - s->t0 + 1));
}

/* Buckets up to (not including) b end with the values as they stand. */
static void fill_to(builder *B, uint32_t b)
{
    ls_site_series *s = B->s;
    for (; B->bucket < b; B->bucket++)
        for (uint32_t i = 0; i <= s->n; i++)
            s->value[(size_t)i * LS_SITE_SERIES_BUCKETS + B->bucket] = B->live[i];
}

static void on_block(void *user, const ls_analysis *a, const trace_event *ev, uint32_t stack, int64_t bytes)
{
    (void)a;
    builder *B = user;
    ls_site_series *s = B->s;
    fill_to(B, bucket_of(s, ev->ts));
    B->live[s->n] += (uint64_t)bytes; /* the whole heap; wraps back on release */
    for (uint32_t i = 0; i < s->n; i++)
        if (s->stack[i] == stack) {
            B->live[i] += (uint64_t)bytes;
            break;
        }
    for (uint32_t i = 0; i <= s->n; i++)
        if (B->live[i] > s->max[i])
            s->max[i] = B->live[i];
}

/* At the first event and every 65536 after: whether the caller gave up. */
static bool on_event(void *user, const ls_analysis *a, const trace_event *ev)
{
    (void)a;
    (void)ev;
    builder *B = user;
    return !B->stop || B->events++ % 65536 != 0 || !B->stop(B->user);
}

trace_status ls_site_series_build(ls_index *idx, uint64_t t0, uint64_t t1, const uint32_t *stacks, uint32_t n,
                                  bool (*stop)(void *user), void *user, ls_site_series **out, trace_error *err)
{
    *out = NULL;
    if (n > LS_SITE_SERIES_MAX)
        n = LS_SITE_SERIES_MAX;
    ls_site_series *s = calloc(1, sizeof *s);
    if (s) {
        s->value = calloc((size_t)(n + 1) * LS_SITE_SERIES_BUCKETS, sizeof *s->value);
        s->max = calloc(n + 1, sizeof *s->max);
    }
    if (!s || !s->value || !s->max) {
        ls_site_series_free(s);
        memset(err, 0, sizeof *err);
        err->status = TRACE_ERR_NOMEM;
        strcpy(err->message, "out of memory");
        return TRACE_ERR_NOMEM;
    }
    s->t0 = t0;
    s->t1 = t1 > t0 ? t1 : t0;
    s->n = n;
    memcpy(s->stack, stacks, n * sizeof *stacks);
    builder B = { .s = s, .stop = stop, .user = user };
    ls_observer obs = { .event = on_event, .block = on_block, .user = &B };
    ls_analysis *again = NULL;
    trace_status st = ls_analysis_run(idx, &obs, &again, err);
    ls_analysis_free(again);
    if (st != TRACE_OK) {
        ls_site_series_free(s);
        return st;
    }
    fill_to(&B, LS_SITE_SERIES_BUCKETS);
    *out = s;
    return TRACE_OK;
}

void ls_site_series_free(ls_site_series *s)
{
    if (!s)
        return;
    free(s->value);
    free(s->max);
    free(s);
}

uint32_t ls_site_series_count(const ls_site_series *s) { return s->n; }

uint32_t ls_site_series_stack(const ls_site_series *s, uint32_t i) { return i < s->n ? s->stack[i] : 0; }

uint64_t ls_site_series_at(const ls_site_series *s, uint32_t i, uint64_t t)
{
    if (i > s->n)
        return 0;
    return s->value[(size_t)i * LS_SITE_SERIES_BUCKETS + bucket_of(s, t)];
}

uint64_t ls_site_series_max(const ls_site_series *s, uint32_t i)
{
    return i <= s->n ? s->max[i] : 0;
}
