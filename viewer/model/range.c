/* range.c — see range.h.
 *
 * The range's events come through the index's cursor, in the one order
 * (merge.h), and are paired as the analysis pairs them: a free releases the
 * block at its address, a realloc releases its old block and makes a new
 * one, an allocation over a live address replaces the block there.
 *
 * SPDX-License-Identifier: MIT
 */
#include "range.h"
#include "analysis.h"
#include "kmap.h"

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

typedef struct summary {
    ls_range *r;
    uint64_t t0;
    kmap live;     /* address -> size (v1); v2: 1 + stack, and bit 31 when made in the range */
    kmap sites;    /* stack -> 1 + index in r->sites */
    uint32_t cap;
} summary;

#define IN_RANGE 0x80000000u

static ls_range_site *site_of(summary *S, uint32_t stack)
{
    ls_range *r = S->r;
    bool existed;
    kmap_entry *e = kmap_insert(&S->sites, stack, 0, &existed);
    if (!e)
        return NULL;
    if (!existed) {
        if (r->nsites == S->cap) {
            uint32_t nc = S->cap ? S->cap * 2 : 64;
            ls_range_site *p = realloc(r->sites, (size_t)nc * sizeof *p);
            if (!p) {
                kmap_remove(&S->sites, e);
                return NULL;
            }
            r->sites = p;
            S->cap = nc;
        }
        r->sites[r->nsites] = (ls_range_site){ .stack = stack };
        e->v1 = ++r->nsites;
    }
    return &r->sites[e->v1 - 1];
}

/* A block released at ev; counted when ev is in the range. */
static bool release(summary *S, uint64_t addr, bool counted)
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
        ls_range_site *s = site_of(S, (e->v2 & ~IN_RANGE) - 1);
        if (!s)
            return false;
        s->frees++;
        s->freed_bytes += e->v1;
    }
    kmap_remove(&S->live, e);
    return true;
}

static bool make(summary *S, uint64_t addr, uint64_t size, uint32_t stack, bool counted)
{
    ls_range *r = S->r;
    bool existed;
    kmap_entry *e = kmap_insert(&S->live, addr, 0, &existed);
    if (!e)
        return false;
    e->v1 = size;
    e->v2 = (stack + 1) | (counted ? IN_RANGE : 0);
    if (!counted)
        return true;
    r->allocations++;
    r->allocated_bytes += size;
    ls_range_site *s = site_of(S, stack);
    if (!s)
        return false;
    s->allocations++;
    s->allocated_bytes += size;
    return true;
}

static bool take(summary *S, const trace_event *ev)
{
    bool counted = ev->ts >= S->t0;
    switch (ev->kind) {
    case TRACE_ALLOC:
        return make(S, ev->addr, ev->size, (uint32_t)ev->stack, counted);
    case TRACE_FREE:
        return release(S, ev->addr, counted);
    case TRACE_REALLOC:
        if (ev->addr && !release(S, ev->addr, counted)) /* 0: its free came before it */
            return false;
        return make(S, ev->addr2, ev->size, (uint32_t)ev->stack, counted);
    }
    return true;
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

/* What is live at the end and was made in the range, by site. */
static bool finish(summary *S)
{
    ls_range *r = S->r;
    for (size_t i = 0; i < S->live.cap; i++) {
        const kmap_entry *e = &S->live.e[i];
        if (!e->used || !(e->v2 & IN_RANGE))
            continue;
        ls_range_site *s = site_of(S, (e->v2 & ~IN_RANGE) - 1);
        if (!s)
            return false;
        s->live_blocks++;
        s->live_bytes += e->v1;
        r->live_blocks++;
        r->live_bytes += e->v1;
    }
    if (r->nsites)
        qsort(r->sites, r->nsites, sizeof *r->sites, site_cmp);
    return true;
}

trace_status ls_range_summarize(const ls_index *idx, uint64_t t0, uint64_t t1, bool history, uint64_t max_events,
                                ls_range **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    ls_range *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(err);
    r->t0 = t0;
    r->t1 = r->covered_to = t1;
    summary S = { .r = r, .t0 = t0 };
    ls_merge *m = ls_index_cursor(idx, history ? 0 : t0, t1);
    trace_status st = m ? TRACE_OK : nomem(err);
    trace_event ev;
    /* At the budget: the rest of that timestamp is taken too (whole
     * timestamps only), then the summary stops. */
    uint64_t cut = UINT64_MAX;
    while (st == TRACE_OK && (st = ls_merge_next(m, &ev)) == TRACE_OK) {
        if (ev.ts > cut) {
            r->partial = true;
            r->covered_to = cut;
            st = TRACE_END;
            break;
        }
        if (ev.ts >= t0 && ++r->events == max_events && max_events)
            cut = ev.ts;
        if (!take(&S, &ev))
            st = nomem(err);
    }
    if (st != TRACE_END && st != TRACE_OK) {
        if (st != TRACE_ERR_NOMEM)
            *err = *ls_merge_error(m);
    } else if (!finish(&S)) {
        st = nomem(err);
    } else {
        st = TRACE_OK;
    }
    ls_merge_free(m);
    kmap_free(&S.live);
    kmap_free(&S.sites);
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
    }
    return u;
}
