/* analysis.c — reads a .trace in global time order and builds ls_analysis.
 *
 * Pass 1 walks the chunk headers in file order, decoding dictionary chunks
 * (they precede the event chunks that use them) and indexing event chunks.
 * Pass 2 takes the events chunks' events in the one order of merge.h (a
 * thread's in file order, threads by timestamp, releases first at equal
 * timestamps), decoding at most one chunk per thread at a time.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "grow.h"
#include "histogram-private.h"
#include "kmap.h"
#include "merge.h"
#include "peak-private.h"
#include "temporary-private.h"
#include "trace-index.h"
#include "trace-reader.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#define GROW(arr, n, cap) ls_grow32((void **)&(arr), &(cap), sizeof *(arr), (size_t)(n) + 1)

typedef struct thread_work {
    ls_temp_thread temp;      /* its temporary allocations (temporary-private.h) */
    uint32_t *open_spans;     /* indices into a->spans */
    uint32_t nopen, cap;
    bool gc_open;
    uint64_t gc_begin;
    uint32_t gc_reason;
} thread_work;

typedef struct loader {
    ls_analysis *a;
    const ls_observer *obs;
    trace_error *err;
    uint32_t threads_cap, leaks_cap;
    uint32_t res_cap, open_cap, close_cap, gc_cap, marks_cap, spans_cap;
    thread_work *work;        /* parallel to a->threads */
    uint32_t work_cap;
    kmap thread_index;        /* tid -> index */
    /* In front of thread_index: the threads met lately, by a hash of the
     * tid (a lookup per event, the events of a few threads interleaved). */
    struct {
        uint32_t tid, index1; /* index + 1; 0: empty */
    } tid_cache[16];
    kmap live;                /* ptr -> size (v1), stack (v2), allocation time (v3) */
    uint64_t end_lost;        /* the END chunk's total of dropped events */
    uint64_t lost_records;    /* the sum of the lost events in the threads' streams */
    kmap open;                /* (family, handle) -> kind string id (v1), stack (v2) */
    kmap closes;              /* (kind string id, the close's stack) -> closes (v1) */
    uint64_t *family;         /* string id -> hash of the kind's family (text before '/') */
    bool *failure;            /* string id -> a note of a failed open (ls_resource_is_failure) */
    uint32_t failures_cap;
    uint32_t *res_index;      /* string id -> 1 + index in a->res_kinds */
    uint64_t *gc_durations;
    ls_peak peak;             /* the heap, its peak and each stack's share (peak-private.h) */
    const trace_event *ev;    /* the event being processed, for the observer's block() */
} loader;

static trace_status nomem(loader *L)
{
    L->err->status = TRACE_ERR_NOMEM;
    snprintf(L->err->message, sizeof L->err->message, "out of memory");
    return TRACE_ERR_NOMEM;
}

/* ---- the file: the index (trace-index.h) ---- */

/* What the index found about the file, where the analysis' clients read it. */
static trace_status take_index(loader *L)
{
    ls_analysis *a = L->a;
    const ls_index *x = a->index;
    a->info = x->info;
    a->strings = x->strings;
    a->nstrings = x->nstrings;
    a->stacks = x->stacks;
    a->nstacks = x->nstacks;
    a->modules = x->modules;
    a->nmodules = x->nmodules;
    a->truncated = x->truncated;
    a->truncated_at = x->truncated_at;
    a->complete = x->complete;
    L->end_lost = x->end_lost;
    a->skipped_chunks = x->skipped_chunks;
    a->damage = x->damage;
    a->ndamage = x->ndamage;
    for (uint32_t i = 0; i < a->ndamage; i++) {
        a->damage_events_lost += a->damage[i].events_lost;
        a->damage_events_unknown |= !a->damage[i].events_known;
        a->damage_places += 1 + a->damage[i].more;
    }
    return TRACE_OK;
}

/* ---- pass 2: the merge (merge.h: the one order) ---- */

static thread_work *thread_of(loader *L, uint32_t tid, ls_thread **out)
{
    ls_analysis *a = L->a;
    uint32_t slot = (tid ^ tid >> 4) & 15;
    if (L->tid_cache[slot].tid == tid && L->tid_cache[slot].index1) {
        uint32_t i = L->tid_cache[slot].index1 - 1;
        *out = &a->threads[i];
        return &L->work[i];
    }
    bool existed;
    kmap_entry *e = kmap_insert(&L->thread_index, tid, 0, &existed);
    if (!e)
        return NULL;
    if (!existed) {
        if (!GROW(a->threads, a->nthreads, L->threads_cap)) {
            kmap_remove(&L->thread_index, e);
            return NULL;
        }
        if (L->work_cap < L->threads_cap) {
            thread_work *w = realloc(L->work, (size_t)L->threads_cap * sizeof *w);
            if (!w) {
                kmap_remove(&L->thread_index, e);
                return NULL;
            }
            L->work = w;
            L->work_cap = L->threads_cap;
        }
        e->v2 = a->nthreads;
        a->threads[a->nthreads] = (ls_thread){ .tid = tid };
        memset(&L->work[a->nthreads], 0, sizeof *L->work);
        a->nthreads++;
    }
    L->tid_cache[slot].tid = tid;
    L->tid_cache[slot].index1 = (uint32_t)e->v2 + 1;
    *out = &a->threads[e->v2];
    return &L->work[e->v2];
}

static bool res_kind_of(loader *L, uint32_t kind, ls_resource_kind **out)
{
    ls_analysis *a = L->a;
    if (!L->res_index) {
        L->res_index = calloc(a->nstrings ? a->nstrings : 1, sizeof *L->res_index);
        if (!L->res_index)
            return false;
    }
    if (kind >= a->nstrings)
        kind = 0;
    if (!L->res_index[kind]) {
        if (!GROW(a->res_kinds, a->nres_kinds, L->res_cap))
            return false;
        a->res_kinds[a->nres_kinds] = (ls_resource_kind){ .kind = kind };
        L->res_index[kind] = ++a->nres_kinds;
    }
    *out = &a->res_kinds[L->res_index[kind] - 1];
    return true;
}

/* A resource of kind `kind` (a string id), opened at `stack`, closed at ev. */
static bool res_closed(loader *L, const trace_event *ev, uint32_t kind, uint32_t stack)
{
    ls_resource_kind *rk;
    if (!res_kind_of(L, kind, &rk))
        return false;
    if (ev->kind == TRACE_RES_CLOSE) { /* a close seen: counted where it came from */
        bool existed;
        kmap_entry *c = kmap_insert(&L->closes, kind, ls_resource_close_stack(ev), &existed);
        if (!c)
            return false;
        c->v1++;
    }
    rk->closed++;
    L->a->resources_closed++;
    if (L->obs && L->obs->resource)
        L->obs->resource(L->obs->user, L->a, ev, kind, stack, -1);
    return true;
}

/* The heap's totals where the observers read them, after each change. */
static void heap_changed(loader *L)
{
    ls_analysis *a = L->a;
    a->heap_bytes = L->peak.bytes;
    a->heap_blocks = L->peak.blocks;
    a->peak_heap_bytes = L->peak.peak_bytes;
    a->peak_heap_ts = L->peak.peak_ts;
}

static void heap_add(loader *L, uint32_t s, uint64_t size, uint64_t ts)
{
    ls_peak_add(&L->peak, s, size, ts);
    heap_changed(L);
    if (L->obs && L->obs->block)
        L->obs->block(L->obs->user, L->a, L->ev, s, (int64_t)size);
}

static void heap_sub(loader *L, uint32_t s, uint64_t size)
{
    ls_peak_sub(&L->peak, s, size);
    heap_changed(L);
    if (L->obs && L->obs->block)
        L->obs->block(L->obs->user, L->a, L->ev, s, -(int64_t)size);
}

static bool do_alloc(loader *L, thread_work *w, uint64_t ptr, uint64_t size, uint32_t stack, uint64_t ts)
{
    ls_analysis *a = L->a;
    if (stack < a->nstacks) {
        a->stack_use[stack].allocations++;
        a->stack_use[stack].allocated_bytes += size;
    }
    ls_temp_made(&w->temp, ptr);
    bool existed;
    kmap_entry *e = kmap_insert(&L->live, ptr, 0, &existed);
    if (!e)
        return false;
    if (existed) { /* a free we never saw: the old block is gone */
        heap_sub(L, e->v2, e->v1);
        if (!ls_histograms_count_lifetime(a->hist, e->v2, e->v1, ts > e->v3 ? ts - e->v3 : 0))
            return false;
    }
    e->v1 = size;
    e->v2 = stack;
    e->v3 = ts;
    if (!ls_histograms_count_size(a->hist, stack, size))
        return false;
    a->allocated_bytes += size;
    heap_add(L, stack, size, ts);
    return true;
}

static bool do_free(loader *L, thread_work *w, uint64_t ptr, uint64_t ts)
{
    ls_analysis *a = L->a;
    kmap_entry *e = kmap_find(&L->live, ptr, 0);
    if (!e) {
        a->unmatched_frees++;
        return true;
    }
    if (!ls_histograms_count_lifetime(a->hist, e->v2, e->v1, ts > e->v3 ? ts - e->v3 : 0))
        return false;
    if (w) /* not a realloc's release */
        ls_temp_freed(&w->temp, ptr, e->v2, e->v1);
    a->freed_bytes += e->v1;
    heap_sub(L, e->v2, e->v1);
    kmap_remove(&L->live, e);
    return true;
}

static void count_temporary(ls_analysis *a, uint32_t stack, uint64_t bytes)
{
    a->temporary++;
    a->temporary_bytes += bytes;
    if (stack < a->nstacks) {
        a->stack_use[stack].temporary++;
        a->stack_use[stack].temporary_bytes += bytes;
    }
}

static trace_status process(loader *L, const trace_event *ev)
{
    ls_analysis *a = L->a;
    ls_thread *t;
    thread_work *w = thread_of(L, ev->thread, &t);
    if (!w)
        return nomem(L);
    L->ev = ev;
    if (!t->events)
        t->first_ts = ev->ts;
    t->events++;
    t->last_ts = ev->ts;
    a->events++;
    if (a->events == 1)
        a->first_ts = ev->ts;
    a->last_ts = ev->ts;

    uint32_t temp_stack;
    uint64_t temp_bytes;
    if (ls_temp_next(&w->temp, ev, &temp_stack, &temp_bytes))
        count_temporary(a, temp_stack, temp_bytes);
    switch (ev->kind) {
    case TRACE_ALLOC:
        a->allocations++;
        if (!do_alloc(L, w, ev->addr, ev->size, (uint32_t)ev->stack, ev->ts))
            return nomem(L);
        break;
    case TRACE_FREE:
        a->frees++;
        if (!do_free(L, w, ev->addr, ev->ts))
            return nomem(L);
        break;
    case TRACE_REALLOC:
        a->allocations++;
        a->reallocs++;
        if (ev->addr && !do_free(L, NULL, ev->addr, ev->ts)) /* 0: the old block's free was recorded before the call */
            return nomem(L);
        if (!do_alloc(L, w, ev->addr2, ev->size, (uint32_t)ev->stack, ev->ts))
            return nomem(L);
        break;
    case TRACE_RES_OPEN: {
        if (L->failure[ev->str]) {
            if (!GROW(a->open_failures, a->nopen_failures, L->failures_cap))
                return nomem(L);
            a->open_failures[a->nopen_failures++] =
                (ls_open_failure){ ev->ts, (uint32_t)ev->str, (uint32_t)ev->stack, ev->thread };
            break;
        }
        /* A resource is its kind's family and its handle (ls_resource_family). */
        bool existed;
        kmap_entry *e = kmap_insert(&L->open, L->family[ev->str], ev->value, &existed);
        if (!e)
            return nomem(L);
        if (existed) {
            /* Its handle is open again, so it was closed where the recorder
             * could not see it (a raw close_range, exec): it ends here. */
            if (!res_closed(L, ev, (uint32_t)e->v1, (uint32_t)e->v2))
                return nomem(L);
        }
        ls_resource_kind *rk;
        if (!res_kind_of(L, (uint32_t)ev->str, &rk))
            return nomem(L);
        rk->opened++;
        a->resources_opened++;
        e->v1 = ev->str;
        e->v2 = (uint32_t)ev->stack;
        if (L->obs && L->obs->resource)
            L->obs->resource(L->obs->user, a, ev, (uint32_t)ev->str, (uint32_t)ev->stack, 1);
        break;
    }
    case TRACE_RES_CLOSE: {
        if (L->failure[ev->str])
            break; /* the end of a failed open's note */
        /* A close names the family ("fd") or the whole kind ("fd/socket"). */
        kmap_entry *e = kmap_find(&L->open, L->family[ev->str], ev->value);
        if (e) {
            uint32_t kind = (uint32_t)e->v1, stack = (uint32_t)e->v2;
            kmap_remove(&L->open, e);
            if (!res_closed(L, ev, kind, stack))
                return nomem(L);
        }
        break;
    }
    case TRACE_GC_BEGIN:
        w->gc_open = true;
        w->gc_begin = ev->ts;
        w->gc_reason = (uint32_t)ev->str;
        break;
    case TRACE_GC_END:
        if (w->gc_open) {
            if (!GROW(a->gc, a->ngc, L->gc_cap))
                return nomem(L);
            a->gc[a->ngc++] = (ls_gc_pause){ w->gc_begin, ev->ts, w->gc_reason, ev->thread, ev->size };
            w->gc_open = false;
        }
        break;
    case TRACE_MARK:
        if (!GROW(a->marks, a->nmarks, L->marks_cap))
            return nomem(L);
        a->marks[a->nmarks++] = (ls_mark){ ev->ts, (uint32_t)ev->str, ev->thread };
        break;
    case TRACE_SPAN_BEGIN:
        if (!GROW(a->spans, a->nspans, L->spans_cap) || !GROW(w->open_spans, w->nopen, w->cap))
            return nomem(L);
        a->spans[a->nspans] = (ls_span){ ev->ts, 0, (uint32_t)ev->str, ev->thread, w->nopen };
        w->open_spans[w->nopen++] = a->nspans++;
        break;
    case TRACE_SPAN_END:
        /* Close the innermost open span with this label (and any opened inside it). */
        for (uint32_t i = w->nopen; i-- > 0;) {
            ls_span *s = &a->spans[w->open_spans[i]];
            if (s->label == ev->str) {
                for (uint32_t j = i; j < w->nopen; j++)
                    a->spans[w->open_spans[j]].end = ev->ts;
                w->nopen = i;
                break;
            }
        }
        break;
    case TRACE_THREAD_NAME:
        t->name = (uint32_t)ev->str;
        break;
    case TRACE_LOST:
        L->lost_records += ev->value;
        break;
    }
    return TRACE_OK;
}

uint64_t ls_resource_family(const char *kind, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len && kind[i] != '/'; i++)
        h = (h ^ (uint8_t)kind[i]) * 1099511628211ull;
    return h;
}

bool ls_resource_is_failure(const char *kind, size_t len)
{
    return (len == 12 && memcmp(kind, "error/EMFILE", 12) == 0) || (len == 12 && memcmp(kind, "error/ENFILE", 12) == 0);
}

uint32_t ls_first_at(const void *v, uint32_t n, size_t stride, size_t ts_offset, uint64_t t)
{
    const unsigned char *base = v;
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint64_t ts;
        memcpy(&ts, base + (size_t)mid * stride + ts_offset, sizeof ts);
        if (ts < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t ls_analysis_failure_from(const ls_analysis *a, uint64_t t)
{
    return ls_first_at(a->open_failures, a->nopen_failures, sizeof *a->open_failures,
                       offsetof(ls_open_failure, ts), t);
}

uint32_t ls_analysis_mark_from(const ls_analysis *a, uint64_t t)
{
    return ls_first_at(a->marks, a->nmarks, sizeof *a->marks, offsetof(ls_mark, ts), t);
}

bool ls_resource_kind_matches(const char *pattern, const char *kind)
{
    size_t n = strlen(pattern);
    if (strncmp(pattern, kind, n) == 0 && (kind[n] == '\0' || (kind[n] == '/' && !strchr(pattern, '/'))))
        return true;
    const char *sub = strchr(kind, '/');
    return sub && !strchr(pattern, '/') && strcmp(sub + 1, pattern) == 0;
}

static trace_status merge(loader *L)
{
    ls_analysis *a = L->a;
    L->family = malloc((size_t)a->nstrings * sizeof *L->family);
    L->failure = malloc((size_t)a->nstrings * sizeof *L->failure);
    if (!L->family || !L->failure)
        return nomem(L);
    for (uint32_t i = 0; i < a->nstrings; i++)
        L->family[i] = ls_resource_family(a->strings[i].text, a->strings[i].len);
    for (uint32_t i = 0; i < a->nstrings; i++)
        L->failure[i] = ls_resource_is_failure(a->strings[i].text, a->strings[i].len);
    a->stack_use = calloc(a->nstacks ? a->nstacks : 1, sizeof *a->stack_use);
    bool peak = ls_peak_init(&L->peak, a->nstacks);
    a->hist = ls_histograms_new(a->nstacks);
    ls_merge *m = a->stack_use && peak && a->hist ? ls_index_cursor(a->index, 0, UINT64_MAX) : NULL;
    if (!m)
        return nomem(L);
    ls_merge_decode_ahead(m); /* the whole trace: decoding beside the analysis */
    const trace_event *ev;
    trace_status st;
    for (;;) {
        if ((st = ls_merge_next_ref(m, &ev)) != TRACE_OK) {
            if (st == TRACE_ERR_NOMEM)
                nomem(L);
            else if (st != TRACE_END)
                *L->err = *ls_merge_error(m);
            break;
        }
        if ((st = process(L, ev)) != TRACE_OK)
            break;
        if (L->obs && L->obs->event && !L->obs->event(L->obs->user, L->a, ev)) {
            L->err->status = st = TRACE_ERR_ARGS;
            snprintf(L->err->message, sizeof L->err->message, "stopped by the caller");
            break;
        }
    }
    /* Event fields the reader found naming ids lost with damage. */
    a->lost_id_refs = ls_merge_lost_id_refs(m);
    ls_merge_free(m);
    uint32_t temp_stack;
    uint64_t temp_bytes;
    for (uint32_t i = 0; i < a->nthreads; i++) /* a temporary free that was the thread's last event */
        if (ls_temp_end(&L->work[i].temp, &temp_stack, &temp_bytes))
            count_temporary(a, temp_stack, temp_bytes);
    ls_peak_finish(&L->peak);
    for (uint32_t s = 0; s < a->nstacks; s++) {
        a->stack_use[s].peak_bytes = L->peak.stacks[s].peak_bytes;
        a->stack_use[s].peak_blocks = L->peak.stacks[s].peak_blocks;
    }
    return st == TRACE_END ? TRACE_OK : st;
}

/* ---- results ---- */

static int leak_cmp(const void *x, const void *y)
{
    const ls_leak *p = x, *q = y;
    if (p->bytes != q->bytes)
        return p->bytes > q->bytes ? -1 : 1;
    if (p->blocks != q->blocks)
        return p->blocks > q->blocks ? -1 : 1;
    return p->stack < q->stack ? -1 : p->stack > q->stack;
}

static int live_cmp(const void *x, const void *y)
{
    const ls_live_block *p = x, *q = y;
    return p->addr < q->addr ? -1 : p->addr > q->addr;
}

static int site_cmp(const void *x, const void *y)
{
    const ls_resource_site *p = x, *q = y;
    if (p->count != q->count)
        return p->count > q->count ? -1 : 1;
    if (p->kind != q->kind)
        return p->kind < q->kind ? -1 : 1;
    return p->stack < q->stack ? -1 : p->stack > q->stack;
}

/* The counts of a map of (kind, stack) -> count (v1) as sites, most first. */
static bool resource_sites(const kmap *groups, ls_resource_site **sites, uint32_t *n, uint32_t *cap)
{
    for (size_t i = 0; i < groups->cap; i++) {
        const kmap_entry *g = &groups->e[i];
        if (!g->used)
            continue;
        if (!GROW(*sites, *n, *cap))
            return false;
        (*sites)[(*n)++] = (ls_resource_site){ (uint32_t)g->k1, (uint32_t)g->k2, g->v1 };
    }
    if (*n)
        qsort(*sites, *n, sizeof **sites, site_cmp);
    return true;
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
    return p < q ? -1 : p > q;
}

static int span_stat_cmp(const void *x, const void *y)
{
    const ls_span_stat *p = x, *q = y;
    if (p->total_ns != q->total_ns)
        return p->total_ns > q->total_ns ? -1 : 1;
    return p->label < q->label ? -1 : p->label > q->label;
}

static uint64_t percentile(const uint64_t *sorted, uint32_t n, unsigned pct)
{
    if (!n)
        return 0;
    uint64_t rank = ((uint64_t)n * pct + 99) / 100; /* nearest rank */
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

static trace_status finish(loader *L)
{
    ls_analysis *a = L->a;
    if (!ls_histograms_finish(a->hist))
        return nomem(L);
    /* The END chunk's total counts every drop, also those no lost event
     * could follow; without it (a crash) the lost events are what we have. */
    a->lost_events = a->complete ? (L->end_lost > L->lost_records ? L->end_lost : L->lost_records) : L->lost_records;
    /* Leaks by stack. */
    uint64_t *by_stack = calloc((size_t)a->nstacks * 2 + 2, sizeof *by_stack);
    if (!by_stack)
        return nomem(L);
    for (size_t i = 0; i < L->live.cap; i++) {
        const kmap_entry *e = &L->live.e[i];
        if (!e->used)
            continue;
        uint32_t s = e->v2 < a->nstacks ? e->v2 : 0;
        by_stack[2 * s] += e->v1;
        by_stack[2 * s + 1]++;
        if (s < a->nstacks) {
            a->stack_use[s].live_bytes += e->v1;
            a->stack_use[s].live_blocks++;
        }
        a->leaked_bytes += e->v1;
        a->leaked_blocks++;
    }
    if (a->index->nsnapshots && L->live.count) {
        a->live = malloc(L->live.count * sizeof *a->live);
        if (!a->live) {
            free(by_stack);
            return nomem(L);
        }
        for (size_t i = 0; i < L->live.cap; i++) {
            const kmap_entry *e = &L->live.e[i];
            if (e->used)
                a->live[a->nlive++] = (ls_live_block){ e->k1, e->v1, e->v2 < a->nstacks ? e->v2 : 0 };
        }
        qsort(a->live, a->nlive, sizeof *a->live, live_cmp);
    }
    uint32_t nst = a->nstacks ? a->nstacks : 1;
    for (uint32_t s = 0; s < nst; s++) {
        if (!by_stack[2 * s + 1])
            continue;
        if (!GROW(a->leaks, a->nleaks, L->leaks_cap)) {
            free(by_stack);
            return nomem(L);
        }
        a->leaks[a->nleaks++] = (ls_leak){ s, by_stack[2 * s], by_stack[2 * s + 1] };
    }
    free(by_stack);
    if (a->nleaks)
        qsort(a->leaks, a->nleaks, sizeof *a->leaks, leak_cmp);

    /* Open resources by (kind, stack); closes by (kind, the close's stack). */
    kmap groups = { 0 };
    for (size_t i = 0; i < L->open.cap; i++) {
        const kmap_entry *e = &L->open.e[i];
        if (!e->used)
            continue;
        ls_resource_kind *rk;
        bool existed;
        kmap_entry *g = kmap_insert(&groups, e->v1, e->v2, &existed);
        if (!g || !res_kind_of(L, (uint32_t)e->v1, &rk)) {
            kmap_free(&groups);
            return nomem(L);
        }
        g->v1++;
        rk->open_at_end++;
        a->resources_open_at_end++;
    }
    bool sites = resource_sites(&groups, &a->open_res, &a->nopen_res, &L->open_cap) &&
                 resource_sites(&L->closes, &a->close_sites, &a->nclose_sites, &L->close_cap);
    kmap_free(&groups);
    if (!sites)
        return nomem(L);

    /* Spans by label. */
    if (a->nspans) {
        uint32_t *index = calloc(a->nstrings, sizeof *index);
        if (!index)
            return nomem(L);
        uint32_t cap = 0;
        for (uint32_t i = 0; i < a->nspans; i++) {
            const ls_span *sp = &a->spans[i];
            uint32_t label = sp->label < a->nstrings ? sp->label : 0;
            if (!index[label]) {
                if (!GROW(a->span_stats, a->nspan_stats, cap)) {
                    free(index);
                    return nomem(L);
                }
                a->span_stats[a->nspan_stats] = (ls_span_stat){ .label = label };
                index[label] = ++a->nspan_stats;
            }
            ls_span_stat *st = &a->span_stats[index[label] - 1];
            if (!sp->end) {
                st->open++;
                continue;
            }
            uint64_t d = sp->end - sp->begin;
            st->count++;
            st->total_ns += d;
            if (d > st->max_ns)
                st->max_ns = d;
        }
        free(index);
        qsort(a->span_stats, a->nspan_stats, sizeof *a->span_stats, span_stat_cmp);
    }

    /* GC statistics. */
    if (a->ngc) {
        uint64_t *d = malloc((size_t)a->ngc * sizeof *d);
        if (!d)
            return nomem(L);
        for (uint32_t i = 0; i < a->ngc; i++) {
            d[i] = a->gc[i].end - a->gc[i].begin;
            a->gc_stats.total_ns += d[i];
        }
        qsort(d, a->ngc, sizeof *d, u64_cmp);
        a->gc_stats.pauses = a->ngc;
        a->gc_stats.max_ns = d[a->ngc - 1];
        a->gc_stats.p50_ns = percentile(d, a->ngc, 50);
        a->gc_stats.p99_ns = percentile(d, a->ngc, 99);
        free(d);
    }
    return TRACE_OK;
}

trace_status ls_analysis_load(const char *path, ls_analysis **out, trace_error *err)
{
    return ls_analysis_load_observed(path, NULL, out, err);
}

trace_status ls_analysis_load_observed(const char *path, const ls_observer *obs, ls_analysis **out,
                                       trace_error *err)
{
    *out = NULL;
    ls_index *idx;
    trace_status st = ls_index_open(path, &idx, err);
    if (st != TRACE_OK)
        return st;
    st = ls_analysis_run(idx, obs, out, err);
    ls_index_unref(idx); /* the analysis holds its own reference */
    return st;
}

trace_status ls_analysis_run(ls_index *idx, const ls_observer *obs, ls_analysis **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    ls_analysis *a = calloc(1, sizeof *a);
    loader L = { .a = a, .obs = obs, .err = err };
    trace_status st = TRACE_ERR_NOMEM;
    if (!a || !(a->path = strdup(idx->path))) {
        nomem(&L);
        goto done;
    }
    a->index = ls_index_ref(idx);
    if ((st = take_index(&L)) != TRACE_OK || (st = merge(&L)) != TRACE_OK || (st = finish(&L)) != TRACE_OK)
        goto done;
done:
    for (uint32_t i = 0; L.work && i < a->nthreads; i++)
        free(L.work[i].open_spans);
    free(L.work);
    free(L.res_index);
    free(L.family);
    free(L.failure);
    ls_peak_free(&L.peak);
    kmap_free(&L.thread_index);
    kmap_free(&L.live);
    kmap_free(&L.open);
    kmap_free(&L.closes);
    if (st != TRACE_OK) {
        ls_analysis_free(a);
        return st;
    }
    *out = a;
    return TRACE_OK;
}

ls_analysis *ls_analysis_unread(ls_index *idx)
{
    ls_analysis *a = calloc(1, sizeof *a);
    loader L = { .a = a };
    if (!a || !(a->path = strdup(idx->path))) {
        free(a);
        return NULL;
    }
    a->index = ls_index_ref(idx);
    take_index(&L);
    return a;
}

void ls_analysis_free(ls_analysis *a)
{
    if (!a)
        return;
    ls_index_unref(a->index); /* the dictionaries and the damage list are the index's */
    free(a->path);
    free(a->threads);
    free(a->leaks);
    free(a->live);
    free(a->res_kinds);
    free(a->open_res);
    free(a->close_sites);
    free(a->open_failures);
    free(a->gc);
    free(a->marks);
    free(a->spans);
    free(a->span_stats);
    free(a->stack_use);
    ls_histograms_free(a->hist);
    free(a);
}

ls_ending ls_analysis_ending(const ls_analysis *a)
{
    return a->truncated ? LS_ENDING_TRUNCATED : a->complete ? LS_ENDING_COMPLETE : LS_ENDING_INCOMPLETE;
}

bool ls_analysis_damaged(const ls_analysis *a) { return a->ndamage || a->lost_id_refs; }

const char *ls_analysis_damage_text(const ls_analysis *a, uint32_t i, char *buf, size_t len)
{
    if (i >= a->ndamage) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    return trace_damage_describe(&a->damage[i], a->info.start_ts, buf, len);
}

const char *ls_analysis_string(const ls_analysis *a, uint32_t id)
{
    if (id == 0 || id >= a->nstrings)
        return "";
    return a->strings[id].text;
}

ls_stack ls_analysis_stack(const ls_analysis *a, uint32_t id)
{
    if (id == 0 || id >= a->nstacks)
        return (ls_stack){ NULL, 0 };
    return a->stacks[id];
}

const char *ls_analysis_thread_name(const ls_analysis *a, uint32_t tid)
{
    for (uint32_t i = 0; i < a->nthreads; i++)
        if (a->threads[i].tid == tid)
            return ls_analysis_string(a, a->threads[i].name);
    return "";
}

uint64_t ls_analysis_duration(const ls_analysis *a)
{
    return a->events && a->last_ts > a->info.start_ts ? a->last_ts - a->info.start_ts : 0;
}

struct ls_symbols_job {
    sym_table *t;
    pthread_t thread;
    bool running;
};

static void *symbols_job_main(void *arg)
{
    sym_table_load_all(arg);
    return NULL;
}

ls_symbols_job *ls_symbols_begin(const ls_index *idx)
{
    ls_symbols_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    if (!(j->t = ls_index_symbols(idx))) {
        free(j);
        return NULL;
    }
    j->running = pthread_create(&j->thread, NULL, symbols_job_main, j->t) == 0;
    return j;
}

sym_table *ls_symbols_end(ls_symbols_job *j)
{
    if (!j)
        return NULL;
    if (j->running)
        pthread_join(j->thread, NULL);
    sym_table *t = j->t;
    free(j);
    return t;
}

sym_table *ls_analysis_symbols(const ls_analysis *a) { return ls_index_symbols(a->index); }

sym_table *ls_index_symbols(const ls_index *idx)
{
    sym_table *t = sym_table_new();
    if (!t)
        return NULL;
    for (uint32_t i = 0; i < idx->nmodules; i++) {
        const ls_module *m = &idx->modules[i];
        if (sym_table_add_module(t, m->path, m->bias, m->start, m->end, m->build_id, m->build_id_len) != 0) {
            sym_table_free(t); /* out of memory: the indexes would no longer be a->modules' */
            return NULL;
        }
    }
    return t;
}
