/* range.c — see range.h.
 *
 * The range's events come through the index's cursor, in the one order
 * (merge.h), and are paired as the analysis pairs them: a free releases the
 * block at its address, a realloc releases its old block and makes a new
 * one, an allocation over a live address replaces the block there. The
 * temporary allocations and the peak follow the analysis's rules
 * (temporary-private.h, peak-private.h): the peak restarts at the range's
 * first event from the heap the history built.
 *
 * The cursor runs to the trace's end, but once past the range (range_over:
 * what is live at its end, its peak) only the threads whose last
 * allocation in the range is not settled keep it going: the next step of
 * each (a free of that block, temporary; anything else, not), or its last
 * chunk's end, settles it, and with none left the read stops. So a range
 * early in a long trace reads a little past its end, not the rest.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* qsort_r */
#include "range.h"
#include "analysis.h"
#include "grow.h"
#include "histogram-private.h"
#include "kmap.h"
#include "peak-private.h"
#include "temporary-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static trace_status nomem(trace_error *err)
{
    err->status = TRACE_ERR_NOMEM;
    err->offset = 0;
    snprintf(err->message, sizeof err->message, "out of memory");
    return TRACE_ERR_NOMEM;
}

typedef struct range_thread {
    ls_temp_thread temp;    /* temporary-private.h */
    bool last_in;           /* its last allocation was made in the range */
    bool open;              /* counted in summary.open */
    uint64_t end_ts;        /* the last timestamp of its chunks */
} range_thread;

typedef struct summary {
    ls_range *r;
    uint64_t t0, end;       /* end: t1, or where the budget cut the range */
    bool history;
    bool beyond;            /* past end: events are read only to settle temporaries */
    kmap live;              /* address -> size (v1); v2: 1 + stack, and bit 31 when made in the range */
    uint32_t *site_index;   /* stack id < nstacks -> 1 + index in r->sites */
    uint32_t nstacks;
    kmap sites;             /* the other ids (not in the dictionary) -> 1 + index in r->sites */
    uint32_t cap;
    kmap thread_index;      /* tid -> index in threads (v1) */
    uint32_t last_tid;      /* in front of it: the thread of the event before */
    size_t last_index;      /* its index + 1; 0: none */
    range_thread *threads;
    size_t nthreads, threads_cap;
    /* Threads whose last allocation in the range is not settled yet (a
     * temporary or not): past the range the read goes on while there are. */
    uint32_t open;
    size_t *settle, nsettle, settled; /* past the range: the open threads, by end_ts */
    bool peak_started;      /* with history: the peak restarted at the range's first event */
    ls_peak peak;           /* with history: peak-private.h */
} summary;

#define IN_RANGE 0x80000000u

static ls_range_site *site_of(summary *S, uint32_t stack)
{
    ls_range *r = S->r;
    if (stack < S->nstacks && S->site_index[stack])
        return &r->sites[S->site_index[stack] - 1];
    kmap_entry *e = NULL;
    if (stack >= S->nstacks) {
        bool existed;
        if (!(e = kmap_insert(&S->sites, stack, 0, &existed)))
            return NULL;
        if (existed)
            return &r->sites[e->v1 - 1];
    }
    if (r->nsites == S->cap) {
        uint32_t nc = S->cap ? S->cap * 2 : 64;
        ls_range_site *p = realloc(r->sites, (size_t)nc * sizeof *p);
        if (!p) {
            if (e)
                kmap_remove(&S->sites, e);
            return NULL;
        }
        r->sites = p;
        S->cap = nc;
    }
    r->sites[r->nsites++] = (ls_range_site){ .stack = stack };
    if (e)
        e->v1 = r->nsites;
    else
        S->site_index[stack] = r->nsites;
    return &r->sites[r->nsites - 1];
}

static uint32_t stack_of(uint32_t v2) { return (v2 & ~IN_RANGE) - 1; }

/* Every thread of the chunk directory, with the time of its last event. */
static bool threads_init(summary *S, const ls_index *idx)
{
    for (uint32_t i = 0; i < idx->nchunks; i++) {
        const trace_chunk_info *c = &idx->chunks[i];
        if (c->kind != TRACE_CHUNK_EVENTS)
            continue;
        bool existed;
        kmap_entry *e = kmap_insert(&S->thread_index, c->thread, 0, &existed);
        if (!e)
            return false;
        if (!existed) {
            if (!ls_grow((void **)&S->threads, &S->threads_cap, sizeof *S->threads, S->nthreads + 1)) {
                kmap_remove(&S->thread_index, e);
                return false;
            }
            e->v1 = S->nthreads;
            S->threads[S->nthreads++] = (range_thread){ 0 };
        }
        range_thread *t = &S->threads[e->v1];
        if (c->last_ts > t->end_ts)
            t->end_ts = c->last_ts;
    }
    return true;
}

static range_thread *thread_of(summary *S, uint32_t tid)
{
    if (S->last_index && S->last_tid == tid)
        return &S->threads[S->last_index - 1];
    bool existed;
    kmap_entry *e = kmap_insert(&S->thread_index, tid, 0, &existed);
    if (!e)
        return NULL;
    if (!existed) { /* not in the directory: its end is unknown */
        if (!ls_grow((void **)&S->threads, &S->threads_cap, sizeof *S->threads, S->nthreads + 1)) {
            kmap_remove(&S->thread_index, e);
            return NULL;
        }
        e->v1 = S->nthreads;
        S->threads[S->nthreads++] = (range_thread){ .end_ts = UINT64_MAX };
    }
    S->last_tid = tid;
    S->last_index = e->v1 + 1;
    return &S->threads[e->v1];
}

/* Whether t's last allocation in the range may still turn out temporary. */
static bool unsettled(const range_thread *t)
{
    return (t->temp.pending && (t->temp.tag & IN_RANGE)) || (t->temp.last_alloc && t->last_in);
}

/* A temporary block (tag: its live map v2); the range's when made in it. */
static bool count_temporary(summary *S, uint32_t tag, uint64_t bytes)
{
    if (!(tag & IN_RANGE))
        return true;
    ls_range_site *s = site_of(S, stack_of(tag));
    if (!s)
        return false;
    s->temporary++;
    s->temporary_bytes += bytes;
    S->r->temporary++;
    S->r->temporary_bytes += bytes;
    return true;
}

static bool peak_kept(const summary *S) { return S->history && !S->beyond; }

/* A block released at ev (t: its thread, NULL for a realloc's release of
 * its old block); counted when ev is in the range. */
static bool release(summary *S, range_thread *t, uint64_t addr, uint64_t ts, bool counted)
{
    ls_range *r = S->r;
    kmap_entry *e = kmap_find(&S->live, addr, 0);
    if (counted)
        r->frees++;
    if (!e) {
        r->frees_unknown += counted;
        return true;
    }
    if (counted) {
        r->freed_bytes += e->v1;
        ls_range_site *s = site_of(S, stack_of(e->v2));
        if (!s)
            return false;
        s->frees++;
        s->freed_bytes += e->v1;
        if ((e->v2 & IN_RANGE) && r->hist &&
            !ls_histograms_count_lifetime(r->hist, stack_of(e->v2), e->v1, ts > e->v3 ? ts - e->v3 : 0))
            return false;
    }
    if (t)
        ls_temp_freed(&t->temp, addr, e->v2, e->v1);
    if (peak_kept(S))
        ls_peak_sub(&S->peak, stack_of(e->v2), e->v1);
    kmap_remove(&S->live, e);
    return true;
}

static bool make(summary *S, range_thread *t, const trace_event *ev, uint64_t addr, bool counted)
{
    ls_range *r = S->r;
    uint32_t stack = (uint32_t)ev->stack;
    ls_temp_made(&t->temp, addr);
    t->last_in = counted;
    bool existed;
    kmap_entry *e = kmap_insert(&S->live, addr, 0, &existed);
    if (!e)
        return false;
    if (existed && peak_kept(S)) /* a free never seen: the old block is gone */
        ls_peak_sub(&S->peak, stack_of(e->v2), e->v1);
    if (existed && counted && (e->v2 & IN_RANGE) && r->hist && /* its life ends here (histogram.h) */
        !ls_histograms_count_lifetime(r->hist, stack_of(e->v2), e->v1, ev->ts > e->v3 ? ev->ts - e->v3 : 0))
        return false;
    e->v1 = ev->size;
    e->v2 = (stack + 1) | (counted ? IN_RANGE : 0);
    e->v3 = ev->ts;
    if (peak_kept(S))
        ls_peak_add(&S->peak, stack, ev->size, ev->ts);
    if (!counted)
        return true;
    r->allocations++;
    r->allocated_bytes += ev->size;
    if (r->hist && !ls_histograms_count_size(r->hist, stack, ev->size))
        return false;
    ls_range_site *s = site_of(S, stack);
    if (!s)
        return false;
    s->allocations++;
    s->allocated_bytes += ev->size;
    return true;
}

static bool take(summary *S, const trace_event *ev)
{
    range_thread *t = thread_of(S, ev->thread);
    if (!t)
        return false;
    uint32_t tag;
    uint64_t bytes;
    if (ls_temp_next(&t->temp, ev, &tag, &bytes) && !count_temporary(S, tag, bytes))
        return false;
    bool counted = !S->beyond && ev->ts >= S->t0, ok = true;
    switch (ev->kind) {
    case TRACE_ALLOC:
        ok = make(S, t, ev, ev->addr, counted);
        break;
    case TRACE_FREE:
        ok = release(S, t, ev->addr, ev->ts, counted);
        break;
    case TRACE_REALLOC:
        ok = (!ev->addr || release(S, NULL, ev->addr, ev->ts, counted)) && /* 0: its free came before it */
             make(S, t, ev, ev->addr2, counted);
        break;
    }
    bool open = unsettled(t);
    if (open != t->open) {
        t->open = open;
        S->open += open ? 1 : (uint32_t)-1;
    }
    return ok;
}

static int site_cmp(const void *x, const void *y)
{
    const ls_range_site *p = x, *q = y;
    if (p->live_bytes != q->live_bytes)
        return p->live_bytes > q->live_bytes ? -1 : 1;
    if (p->allocated_bytes != q->allocated_bytes)
        return p->allocated_bytes > q->allocated_bytes ? -1 : 1;
    return p->stack < q->stack ? -1 : p->stack > q->stack;
}

static int settle_cmp(const void *x, const void *y, void *arg)
{
    const range_thread *t = arg;
    uint64_t p = t[*(const size_t *)x].end_ts, q = t[*(const size_t *)y].end_ts;
    return p < q ? -1 : p > q;
}

/* The range is over (at end): what is live by site, the peak by site, and
 * the threads still to settle. */
static bool range_over(summary *S)
{
    ls_range *r = S->r;
    S->beyond = true;
    for (size_t i = 0; i < S->live.cap; i++) {
        const kmap_entry *e = &S->live.e[i];
        if (!e->used || !(e->v2 & IN_RANGE))
            continue;
        ls_range_site *s = site_of(S, stack_of(e->v2));
        if (!s)
            return false;
        s->live_blocks++;
        s->live_bytes += e->v1;
        r->live_blocks++;
        r->live_bytes += e->v1;
    }
    if (S->history) {
        if (!S->peak_started)
            ls_peak_restart(&S->peak, S->t0); /* no event in the range: the heap as it began */
        ls_peak_finish(&S->peak);
        r->has_peak = true;
        r->peak_bytes = S->peak.peak_bytes;
        r->peak_ts = S->peak.peak_ts;
        for (uint32_t i = 0; i < S->peak.nstacks; i++) {
            const ls_peak_stack *p = &S->peak.stacks[i];
            if (!p->peak_blocks)
                continue;
            ls_range_site *s = site_of(S, i);
            if (!s)
                return false;
            s->peak_blocks = p->peak_blocks;
            s->peak_bytes = p->peak_bytes;
            r->peak_blocks += p->peak_blocks;
        }
    }
    if (S->open) {
        if (!(S->settle = malloc((size_t)S->open * sizeof *S->settle)))
            return false;
        for (size_t i = 0; i < S->nthreads; i++)
            if (S->threads[i].open)
                S->settle[S->nsettle++] = i;
        qsort_r(S->settle, S->nsettle, sizeof *S->settle, settle_cmp, S->threads);
    }
    return true;
}

/* Past the range, at time ts: a thread whose last event is before ts has
 * no next step; its pending free is temporary (as at the trace's end). */
static bool settle_ended(summary *S, uint64_t ts)
{
    for (; S->settled < S->nsettle && S->threads[S->settle[S->settled]].end_ts < ts; S->settled++) {
        range_thread *t = &S->threads[S->settle[S->settled]];
        uint32_t tag;
        uint64_t bytes;
        if (ls_temp_end(&t->temp, &tag, &bytes) && !count_temporary(S, tag, bytes))
            return false;
        t->temp.last_alloc = 0;
        if (t->open) {
            t->open = false;
            S->open--;
        }
    }
    return true;
}

static trace_status cancelled(trace_error *err)
{
    err->status = TRACE_ERR_ARGS;
    err->offset = 0;
    snprintf(err->message, sizeof err->message, "cancelled");
    return TRACE_ERR_ARGS;
}

trace_status ls_range_summarize(const ls_index *idx, uint64_t t0, uint64_t t1, const ls_range_opts *opts,
                                ls_range **out, trace_error *err)
{
    static const ls_range_opts none;
    trace_error local;
    if (!err)
        err = &local;
    if (!opts)
        opts = &none;
    memset(err, 0, sizeof *err);
    *out = NULL;
    ls_range *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(err);
    r->t0 = t0;
    r->t1 = r->covered_to = t1;
    r->hist = ls_histograms_new(idx->nstacks); /* NULL: the range has no histograms */
    summary S = { .r = r, .t0 = t0, .end = t1, .history = opts->history, .nstacks = idx->nstacks };
    ls_merge *m = NULL;
    trace_status st = TRACE_OK;
    if (!(S.site_index = calloc(S.nstacks ? S.nstacks : 1, sizeof *S.site_index)) || !threads_init(&S, idx) || (S.history && !ls_peak_init(&S.peak, idx->nstacks)) ||
        !(m = ls_index_cursor(idx, S.history ? 0 : t0, UINT64_MAX)))
        st = nomem(err);
    if (m)
        ls_merge_decode_ahead(m);
    const trace_event *ev;
    uint64_t seen = 0;
    while (st == TRACE_OK && (st = ls_merge_next_ref(m, &ev)) == TRACE_OK) {
        if (opts->cancelled && !(++seen & 4095) && opts->cancelled(opts->user)) {
            st = cancelled(err);
            break;
        }
        if (!S.beyond && ev->ts > S.end) {
            if (S.end < t1 && ev->ts <= t1) { /* cut by the budget */
                r->partial = true;
                r->covered_to = S.end;
            }
            if (!range_over(&S)) {
                st = nomem(err);
                break;
            }
        }
        if (S.beyond) {
            if (!settle_ended(&S, ev->ts)) {
                st = nomem(err);
                break;
            }
            if (!S.open)
                break; /* every temporary of the range is known */
        } else if (ev->ts >= t0) {
            if (S.history && !S.peak_started) {
                ls_peak_restart(&S.peak, t0);
                S.peak_started = true;
            }
            /* At the budget: the rest of that timestamp is taken too (whole
             * timestamps only), then the range ends. */
            if (++r->events == opts->max_events && opts->max_events)
                S.end = ev->ts;
        }
        if (!take(&S, ev))
            st = nomem(err);
    }
    if (st == TRACE_OK || st == TRACE_END) {
        st = TRACE_OK;
        if (!S.beyond && !range_over(&S))
            st = nomem(err);
        for (size_t i = 0; st == TRACE_OK && i < S.nthreads; i++) { /* a temporary free that was a thread's last event */
            uint32_t tag;
            uint64_t bytes;
            if (ls_temp_end(&S.threads[i].temp, &tag, &bytes) && !count_temporary(&S, tag, bytes))
                st = nomem(err);
        }
        if (st == TRACE_OK && r->nsites)
            qsort(r->sites, r->nsites, sizeof *r->sites, site_cmp);
        if (st == TRACE_OK && r->hist && !ls_histograms_finish(r->hist))
            st = nomem(err);
    } else if (st != TRACE_ERR_NOMEM && m && err->status == TRACE_OK) {
        *err = *ls_merge_error(m);
    }
    ls_merge_free(m);
    kmap_free(&S.live);
    kmap_free(&S.sites);
    free(S.site_index);
    kmap_free(&S.thread_index);
    free(S.threads);
    free(S.settle);
    ls_peak_free(&S.peak);
    if (st != TRACE_OK) {
        ls_range_free(r);
        return st;
    }
    *out = r;
    return TRACE_OK;
}

void ls_range_free(ls_range *r)
{
    if (!r)
        return;
    free(r->sites);
    ls_histograms_free(r->hist);
    free(r);
}

static bool same_event(const trace_event *a, const trace_event *b)
{
    return a->kind == b->kind && a->ts == b->ts && a->thread == b->thread && a->addr == b->addr &&
           a->addr2 == b->addr2 && a->size == b->size;
}

trace_status ls_range_release_of(const ls_index *idx, const trace_event *alloc, uint64_t max_events,
                                 trace_event *release, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    uint64_t addr = alloc->kind == TRACE_REALLOC ? alloc->addr2 : alloc->addr;
    ls_merge *m = ls_index_cursor(idx, alloc->ts, UINT64_MAX);
    if (!m)
        return nomem(err);
    trace_event ev;
    trace_status st;
    bool after = false; /* past the allocation itself, in the one order */
    uint64_t seen = 0;
    while ((st = ls_merge_next(m, &ev)) == TRACE_OK) {
        if (!after) {
            after = same_event(&ev, alloc);
            continue;
        }
        if (max_events && ++seen > max_events) {
            st = TRACE_ERR_LIMIT;
            break;
        }
        bool releases = (ev.kind == TRACE_FREE && ev.addr == addr) || (ev.kind == TRACE_REALLOC && ev.addr == addr);
        bool replaces = (ev.kind == TRACE_ALLOC && ev.addr == addr) || (ev.kind == TRACE_REALLOC && ev.addr2 == addr);
        if (releases || replaces) { /* an allocation over it: released where the recorder could not see */
            *release = ev;
            release->data = release->data2 = NULL;
            release->frames = NULL;
            break;
        }
    }
    if (st != TRACE_OK && st != TRACE_END && st != TRACE_ERR_LIMIT)
        *err = *ls_merge_error(m);
    ls_merge_free(m);
    return st;
}

static uint64_t family_of(const ls_index *idx, uint32_t str)
{
    const char *s = ls_index_string(idx, str);
    return ls_resource_family(s, strlen(s));
}

trace_status ls_range_nearest(const ls_index *idx, uint64_t lo, uint64_t hi, uint64_t t, uint32_t kinds,
                              uint32_t handle_kind, uint64_t handle, uint64_t max_events, trace_event *ev,
                              trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    ls_merge *m = ls_index_cursor(idx, lo, hi);
    if (!m)
        return nomem(err);
    uint64_t family = handle_kind ? family_of(idx, handle_kind) : 0, best_d = UINT64_MAX, seen = 0;
    bool found = false;
    trace_event cur;
    trace_status st;
    while ((st = ls_merge_next(m, &cur)) == TRACE_OK && (!max_events || seen++ < max_events)) {
        if (found && cur.ts > t && cur.ts - t > best_d)
            break; /* time only grows from here */
        if (cur.kind >= 32 || !(kinds & (1u << cur.kind)))
            continue;
        if (handle_kind && ((cur.kind != TRACE_RES_OPEN && cur.kind != TRACE_RES_CLOSE) || cur.value != handle ||
                            family_of(idx, (uint32_t)cur.str) != family))
            continue;
        uint64_t d = cur.ts > t ? cur.ts - t : t - cur.ts;
        if (d < best_d) {
            best_d = d;
            *ev = cur;
            ev->data = ev->data2 = NULL;
            ev->frames = NULL;
            found = true;
        }
    }
    if (st != TRACE_OK && st != TRACE_END)
        *err = *ls_merge_error(m);
    ls_merge_free(m);
    if (st != TRACE_OK && st != TRACE_END)
        return st;
    return found ? TRACE_OK : TRACE_END;
}

ls_stack_use *ls_range_stack_use(const ls_range *r, uint32_t nstacks)
{
    ls_stack_use *u = calloc(nstacks ? nstacks : 1, sizeof *u);
    if (!u)
        return NULL;
    for (uint32_t i = 0; i < r->nsites; i++) {
        const ls_range_site *s = &r->sites[i];
        if (s->stack >= nstacks)
            continue;
        u[s->stack].allocations += s->allocations;
        u[s->stack].allocated_bytes += s->allocated_bytes;
        u[s->stack].live_blocks += s->live_blocks;
        u[s->stack].live_bytes += s->live_bytes;
        u[s->stack].temporary += s->temporary;
        u[s->stack].temporary_bytes += s->temporary_bytes;
        u[s->stack].peak_blocks += s->peak_blocks;
        u[s->stack].peak_bytes += s->peak_bytes;
    }
    return u;
}
