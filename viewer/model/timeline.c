/* timeline.c — builds the timeline summary (see timeline.h): a scan of the
 * chunk headers for the time range and the chunk index, then one observed
 * analysis pass that fills the buckets.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "timeline-private.h"
#include "growth.h"
#include "kmap.h"
#include "trace-index.h"
#include "trace-reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    timeline *tl;
    uint32_t cur;              /* base bucket being filled */
    uint32_t side_cur;
    uint64_t heap;             /* heap before the current event */
    uint32_t open[TIMELINE_MAX_KINDS];
    uint64_t *alloc, *bytes, *events;  /* per bucket, turned into prefixes at the end */
    uint64_t *lane_events[TIMELINE_MAX_THREADS];
    kmap lanes;                /* tid -> lane */
    kmap kinds;                /* string id -> 1 + series */
    kmap live;                 /* (kind, handle) -> lifetime index */
    bool nomem;
    timeline_progress_fn progress; /* may be NULL */
    timeline_partial_fn partial;   /* may be NULL */
    void *progress_user;
    uint64_t seen, total;      /* events observed, events the chunk headers declare */
    /* timeline_open_growth: the growth builder's callbacks, called beside
     * the summary's in the same pass (growth.h) */
    ls_growth_builder *growth;
    ls_observer growth_obs;
} builder;

static trace_status fail_nomem(trace_error *err)
{
    err->status = TRACE_ERR_NOMEM;
    err->offset = 0;
    snprintf(err->message, sizeof err->message, "out of memory");
    return TRACE_ERR_NOMEM;
}

static int chunk_order(const void *x, const void *y)
{
    /* By first timestamp, so that the exact view's search for the chunks
     * that meet a window stops at the first that starts after it. */
    const trace_chunk_info *p = x, *q = y;
    if (p->first_ts != q->first_ts)
        return p->first_ts < q->first_ts ? -1 : 1;
    return p->offset < q->offset ? -1 : p->offset > q->offset;
}

bool tl_take_chunks(timeline *tl, const ls_index *idx)
{
    tl->t0 = idx->first_ts;
    tl->t1 = idx->last_ts;
    if (!idx->nchunks)
        return true;
    tl->chunks = malloc((size_t)idx->nchunks * sizeof *tl->chunks);
    if (!tl->chunks)
        return false;
    memcpy(tl->chunks, idx->chunks, (size_t)idx->nchunks * sizeof *tl->chunks);
    tl->nchunks = idx->nchunks;
    qsort(tl->chunks, tl->nchunks, sizeof *tl->chunks, chunk_order);
    return true;
}

static uint64_t *zalloc_u64(size_t n) { return calloc(n ? n : 1, sizeof(uint64_t)); }

bool tl_alloc_base(timeline *tl, uint64_t events)
{
    uint32_t k = 10;
    while (k < 19 && (events >> (k + 6)) > 0)
        k++;
    tl->nb = 1u << k;
    tl->w = (tl->t1 - tl->t0) / tl->nb + 1;
    tl->nlv = k + 1;
    for (uint32_t l = 0; l < tl->nlv; l++) {
        tl->lv[l].n = tl->nb >> l;
        tl->lv[l].min = zalloc_u64(tl->lv[l].n);
        tl->lv[l].max = zalloc_u64(tl->lv[l].n);
        if (!tl->lv[l].min || !tl->lv[l].max)
            return false;
    }
    tl->side_shift = k > 12 ? k - 12 : 0;
    tl->nside = tl->nb >> tl->side_shift;
    tl->last = zalloc_u64(tl->nb);
    tl->stream_off = zalloc_u64(tl->nb);
    tl->inexact = calloc(tl->nb, 1);
    return tl->last && tl->stream_off && tl->inexact;
}

static bool alloc_buckets(timeline *tl, builder *B, uint64_t events)
{
    if (!tl_alloc_base(tl, events))
        return false;
    B->alloc = zalloc_u64(tl->nb);
    B->bytes = zalloc_u64(tl->nb);
    B->events = zalloc_u64(tl->nb);
    return B->alloc && B->bytes && B->events;
}

static bool stream_put(timeline *tl, uint64_t v)
{
    if (tl->stream_len + 10 > tl->stream_cap) {
        uint64_t nc = tl->stream_cap ? tl->stream_cap * 2 : 1 << 16;
        uint8_t *p = realloc(tl->stream, nc);
        if (!p)
            return false;
        tl->stream = p;
        tl->stream_cap = nc;
    }
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        tl->stream[tl->stream_len++] = byte | (v ? 0x80 : 0);
    } while (v);
    return true;
}

bool tl_stream_read(const timeline *tl, uint64_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64 && *pos < tl->stream_len; shift += 7) {
        uint8_t byte = tl->stream[(*pos)++];
        r |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* Moves the builder to base bucket b: the buckets in between hold the heap
 * and open counts as they stand. */
static void advance_to(builder *B, uint32_t b)
{
    timeline *tl = B->tl;
    while (B->cur < b) {
        tl->last[B->cur] = B->heap;
        B->cur++;
        tl->lv[0].min[B->cur] = tl->lv[0].max[B->cur] = B->heap;
        tl->stream_off[B->cur] = tl->stream_len;
        uint32_t s = B->cur >> tl->side_shift;
        if (s != B->side_cur) {
            B->side_cur = s;
            for (uint32_t k = 0; k < tl->nkinds; k++)
                tl->res_min[k][s] = tl->res_max[k][s] = B->open[k];
        }
    }
}

static void res_update(builder *B, uint32_t k)
{
    timeline *tl = B->tl;
    uint32_t s = B->side_cur;
    if (B->open[k] < tl->res_min[k][s])
        tl->res_min[k][s] = B->open[k];
    if (B->open[k] > tl->res_max[k][s])
        tl->res_max[k][s] = B->open[k];
}

/* Series index of resource kind `str`, or -1 beyond TIMELINE_MAX_KINDS. */
static int kind_series(builder *B, uint64_t str)
{
    timeline *tl = B->tl;
    bool existed;
    kmap_entry *e = kmap_insert(&B->kinds, str, 0, &existed);
    if (!e) {
        B->nomem = true;
        return -1;
    }
    if (!existed) {
        e->v1 = 0;
        if (tl->nkinds < TIMELINE_MAX_KINDS) {
            uint32_t k = tl->nkinds;
            tl->res_min[k] = calloc(tl->nside, sizeof(uint32_t));
            tl->res_max[k] = calloc(tl->nside, sizeof(uint32_t));
            if (!tl->res_min[k] || !tl->res_max[k]) {
                B->nomem = true;
                return -1;
            }
            tl->kinds[k] = (uint32_t)str;
            tl->nkinds++;
            e->v1 = k + 1;
        }
    }
    return (int)e->v1 - 1;
}

static void lifetime_open(builder *B, const trace_event *ev, uint32_t kind, uint32_t stack)
{
    timeline *tl = B->tl;
    bool existed;
    kmap_entry *e = kmap_insert(&B->live, kind, ev->value, &existed);
    if (!e) {
        B->nomem = true;
        return;
    }
    if (existed) { /* reopened without a close: the old one ends here, unseen */
        tl->life[e->v1].end = ev->ts;
        tl->life[e->v1].closed = true;
    }
    if (tl->nlife == TIMELINE_MAX_LIFETIMES) {
        tl->life_dropped++;
        kmap_remove(&B->live, e);
        return;
    }
    if (tl->nlife == tl->life_cap) {
        uint64_t nc = tl->life_cap ? tl->life_cap * 2 : 1024;
        timeline_lifetime *p = realloc(tl->life, nc * sizeof *p);
        if (!p) {
            B->nomem = true;
            return;
        }
        tl->life = p;
        tl->life_cap = nc;
    }
    tl->life[tl->nlife] = (timeline_lifetime){ .begin = ev->ts, .end = tl->t1, .handle = ev->value, .kind = kind,
                                               .open_stack = stack, .open_thread = ev->thread };
    e->v1 = tl->nlife++;
}

static void lifetime_close(builder *B, const trace_event *ev, uint32_t kind)
{
    kmap_entry *e = kmap_find(&B->live, kind, ev->value);
    if (!e)
        return;
    timeline_lifetime *lt = &B->tl->life[e->v1];
    lt->end = ev->ts;
    lt->closed = true;
    lt->close_stack = ls_resource_close_stack(ev);
    lt->close_thread = ev->kind == TRACE_RES_CLOSE ? ev->thread : 0;
    kmap_remove(&B->live, e);
}

static uint32_t lane_of(builder *B, uint32_t tid)
{
    timeline *tl = B->tl;
    bool existed;
    kmap_entry *e = kmap_insert(&B->lanes, tid, 0, &existed);
    if (!e) {
        B->nomem = true;
        return 0;
    }
    if (!existed) {
        if (tl->nlanes < TIMELINE_MAX_THREADS) {
            B->lane_events[tl->nlanes] = zalloc_u64(tl->nside);
            if (!B->lane_events[tl->nlanes]) {
                B->nomem = true;
                kmap_remove(&B->lanes, e);
                return 0;
            }
            tl->lane_tid[tl->nlanes] = tid;
            e->v1 = tl->nlanes++;
        } else {
            e->v1 = TIMELINE_MAX_THREADS - 1;
        }
    }
    return (uint32_t)e->v1;
}

/* The base bucket of ts, the buckets before it closed; never one before the
 * current, even on a hostile clock. */
static uint32_t bucket_at(builder *B, uint64_t ts)
{
    uint32_t b = tl_bucket(B->tl, ts);
    if (b > B->cur)
        advance_to(B, b);
    return B->cur;
}

/* What is open changes as the analysis pairs opens and closes. */
static void observe_resource(void *user, const ls_analysis *a, const trace_event *ev, uint32_t kind, uint32_t stack,
                             int delta)
{
    (void)a;
    builder *B = user;
    bucket_at(B, ev->ts);
    int k = kind_series(B, kind);
    if (k >= 0) {
        if (delta > 0)
            B->open[k]++;
        else if (B->open[k])
            B->open[k]--;
        res_update(B, (uint32_t)k);
    }
    if (delta > 0)
        lifetime_open(B, ev, kind, stack);
    else
        lifetime_close(B, ev, kind);
    if (B->growth && B->growth_obs.resource)
        B->growth_obs.resource(B->growth_obs.user, a, ev, kind, stack, delta);
}

static void observe_block(void *user, const ls_analysis *a, const trace_event *ev, uint32_t stack, int64_t bytes)
{
    builder *B = user;
    if (B->growth_obs.block)
        B->growth_obs.block(B->growth_obs.user, a, ev, stack, bytes);
}

static bool observe(void *user, const ls_analysis *a, const trace_event *ev)
{
    builder *B = user;
    timeline *tl = B->tl;
    uint32_t b = bucket_at(B, ev->ts);
    uint64_t heap = a->heap_bytes;
    if (heap < tl->lv[0].min[b])
        tl->lv[0].min[b] = heap;
    if (heap > tl->lv[0].max[b])
        tl->lv[0].max[b] = heap;
    B->events[b]++;
    B->lane_events[lane_of(B, ev->thread)][b >> tl->side_shift]++;

    switch (ev->kind) {
    case TRACE_ALLOC:
        B->alloc[b]++;
        B->bytes[b] += ev->size;
        if (heap - B->heap != ev->size)
            tl->inexact[b] = 1; /* replaced a block never freed: the replay cannot know */
        break;
    case TRACE_FREE:
        B->nomem |= !stream_put(tl, B->heap - heap);
        break;
    case TRACE_REALLOC:
        B->alloc[b]++;
        B->bytes[b] += ev->size;
        B->nomem |= !stream_put(tl, B->heap + ev->size - heap);
        break;
    }
    B->heap = heap;
    if (B->growth && B->growth_obs.event && !B->growth_obs.event(B->growth_obs.user, a, ev))
        return false;
    if ((++B->seen & 0xffff) == 0) {
        if (B->progress && !B->progress(B->progress_user, B->seen, B->total))
            return false;
        if (B->partial && (B->seen & 0x3fffff) == 0)
            B->partial(B->progress_user, tl, B->cur); /* buckets before the current one are final */
    }
    return !B->nomem;
}

bool tl_prefix(uint64_t **out, const uint64_t *counts, uint32_t n)
{
    uint64_t *p = malloc(((size_t)n + 1) * sizeof *p);
    if (!p)
        return false;
    p[0] = 0;
    for (uint32_t i = 0; i < n; i++)
        p[i + 1] = p[i] + counts[i];
    *out = p;
    return true;
}

void tl_build_pyramid(timeline *tl)
{
    for (uint32_t l = 1; l < tl->nlv; l++) {
        const tl_level *lo = &tl->lv[l - 1];
        tl_level *hi = &tl->lv[l];
        for (uint32_t i = 0; i < hi->n; i++) {
            uint64_t a = lo->min[2 * i], b = lo->min[2 * i + 1];
            hi->min[i] = a < b ? a : b;
            a = lo->max[2 * i];
            b = lo->max[2 * i + 1];
            hi->max[i] = a > b ? a : b;
        }
    }
}

static bool finish(timeline *tl, builder *B)
{
    advance_to(B, tl->nb - 1);
    tl->last[tl->nb - 1] = B->heap;
    tl_build_pyramid(tl);
    if (!tl_prefix(&tl->ev_prefix, B->events, tl->nb) || !tl_prefix(&tl->alloc_prefix, B->alloc, tl->nb) ||
        !tl_prefix(&tl->bytes_prefix, B->bytes, tl->nb))
        return false;
    for (uint32_t i = 0; i < tl->nlanes; i++)
        if (!tl_prefix(&tl->lane_prefix[i], B->lane_events[i], tl->nside))
            return false;
    return true;
}

static void builder_free(builder *B)
{
    free(B->alloc);
    free(B->bytes);
    free(B->events);
    for (uint32_t i = 0; i < TIMELINE_MAX_THREADS; i++)
        free(B->lane_events[i]);
    kmap_free(&B->lanes);
    kmap_free(&B->kinds);
    kmap_free(&B->live);
    ls_growth_builder_free(B->growth);
}

trace_status timeline_open(const char *path, timeline **out, trace_error *err)
{
    return timeline_open_progress(path, NULL, NULL, out, err);
}

/* Every span's reach: the latest end among it and the spans before it (an
 * open span reaches the trace's end), so the spans that can meet a view
 * start at a binary search (timeline_span_from). */
static bool span_reach(timeline *tl)
{
    const ls_analysis *a = tl->a;
    if (!a->nspans)
        return true;
    if (!(tl->span_reach = malloc((size_t)a->nspans * sizeof *tl->span_reach)))
        return false;
    uint64_t reach = 0;
    for (uint32_t i = 0; i < a->nspans; i++) {
        uint64_t end = a->spans[i].end ? a->spans[i].end : tl->t1;
        reach = end > reach ? end : reach;
        tl->span_reach[i] = reach;
    }
    return true;
}

uint32_t timeline_span_from(const timeline *tl, uint64_t t)
{
    return ls_first_at(tl->span_reach, tl->a->nspans, sizeof *tl->span_reach, 0, t);
}

trace_status timeline_open_index(ls_index *idx, timeline_progress_fn progress, timeline_partial_fn partial,
                                 void *user, bool growth, timeline **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    timeline *tl = calloc(1, sizeof *tl);
    builder B = { .tl = tl, .progress = progress, .partial = partial, .progress_user = user };
    trace_status st;
    if (!tl || !(tl->path = strdup(idx->path)) || !tl_take_chunks(tl, idx)) {
        st = fail_nomem(err);
        goto fail;
    }
    B.total = idx->chunk_events;
    if (!alloc_buckets(tl, &B, idx->chunk_events)) {
        st = fail_nomem(err);
        goto fail;
    }
    ls_observer obs = { .event = observe, .resource = observe_resource, .user = &B };
    /* Growth suspects are the viewer's extra: without memory for them the
     * timeline opens anyway and timeline_growth says NULL. */
    if (growth && (B.growth = ls_growth_builder_new(idx, NULL))) {
        ls_growth_observe(B.growth, &B.growth_obs);
        obs.block = observe_block;
    }
    st = ls_analysis_run(idx, &obs, &tl->a, err);
    if (st != TRACE_OK) {
        if (B.nomem)
            fail_nomem(err);
        goto fail;
    }
    if (!finish(tl, &B) || !span_reach(tl)) {
        st = fail_nomem(err);
        goto fail;
    }
    if (B.growth) {
        tl->growth = ls_growth_finish(B.growth, tl->a); /* frees the builder */
        B.growth = NULL;
    }
    builder_free(&B);
    *out = tl;
    return TRACE_OK;
fail:
    builder_free(&B);
    timeline_free(tl);
    return st;
}

/* timeline_open_progress, with the growth suspects when `growth`. */
static trace_status open_timeline(const char *path, timeline_progress_fn progress, void *user, bool growth,
                                  timeline **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    ls_index *idx = NULL;
    trace_status st = ls_index_open(path, &idx, err);
    if (st == TRACE_OK)
        st = timeline_open_index(idx, progress, NULL, user, growth, out, err);
    ls_index_unref(idx); /* the analysis holds it */
    return st;
}

trace_status timeline_open_progress(const char *path, timeline_progress_fn progress, void *user, timeline **out,
                                    trace_error *err)
{
    return open_timeline(path, progress, user, false, out, err);
}

trace_status timeline_open_growth(const char *path, timeline_progress_fn progress, void *user, timeline **out,
                                  trace_error *err)
{
    return open_timeline(path, progress, user, true, out, err);
}

const ls_growth *timeline_growth(const timeline *tl)
{
    return tl->growth;
}

void timeline_free(timeline *tl)
{
    if (!tl)
        return;
    ls_growth_free(tl->growth);
    ls_analysis_free(tl->a);
    free(tl->path);
    for (uint32_t l = 0; l < tl->nlv; l++) {
        free(tl->lv[l].min);
        free(tl->lv[l].max);
    }
    free(tl->last);
    free(tl->ev_prefix);
    free(tl->alloc_prefix);
    free(tl->bytes_prefix);
    free(tl->stream_off);
    free(tl->inexact);
    free(tl->stream);
    for (uint32_t k = 0; k < tl->nkinds; k++) {
        free(tl->res_min[k]);
        free(tl->res_max[k]);
    }
    for (uint32_t i = 0; i < tl->nlanes; i++)
        free(tl->lane_prefix[i]);
    free(tl->life);
    free(tl->span_reach);
    free(tl->chunks);
    tl_window_clear(&tl->win);
    free(tl);
}

uint64_t timeline_memory(const timeline *tl)
{
    uint64_t m = sizeof *tl;
    for (uint32_t l = 0; l < tl->nlv; l++)
        m += 16ull * tl->lv[l].n;
    m += (uint64_t)tl->nb * (8 + 8 + 1) + 3ull * 8 * (tl->nb + 1);
    m += tl->stream_cap;
    m += (uint64_t)tl->nkinds * 8 * tl->nside + (uint64_t)tl->nlanes * 8 * (tl->nside + 1);
    m += tl->life_cap * sizeof *tl->life;
    m += (uint64_t)(tl->span_reach ? tl->a->nspans : 0) * sizeof *tl->span_reach;
    m += (uint64_t)tl->nchunks * sizeof *tl->chunks;
    m += (uint64_t)tl->win.cap * 16;
    return m;
}
