/* leakclass.c — the last heap snapshot of a trace, classified (leakclass.h).
 *
 * The snapshot's blocks become reach.h's nodes as they are (sorted by
 * address); each is joined to the analysis' blocks live at the end by a
 * merge of the two sorted lists (same address and size: a leak, with its
 * stack; else freed after the snapshot, still part of the graph). Roots
 * become holders: a global variable (the object symbol covering the word),
 * a thread's TLS, a thread's stack; they are handed to the classifier
 * globals first, so a block reached by a global and a stack is named
 * after the global.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakclass.h"
#include "grow.h"
#include "kmap.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_LEAK UINT64_MAX

const char *ls_class_group_name(uint32_t cls)
{
    return cls == LS_CLASS_UNSCANNED ? "unscanned" : ls_leak_class_name((ls_leak_class)cls);
}

uint64_t ls_leak_classes_lost_bytes(const ls_leak_classes *c)
{
    uint64_t n = 0;
    for (int k = 0; k < LS_NCLASSES; k++)
        if (ls_leak_class_unreachable((ls_leak_class)k))
            n += c->bytes[k];
    return n;
}

const char *ls_holder_name(const ls_analysis *a, const ls_holder *h, char *buf, size_t len)
{
    if (h->kind == LS_HOLDER_TLS) {
        snprintf(buf, len, "thread-local storage");
    } else if (h->kind == LS_HOLDER_MAPPED) {
        char size[32];
        snprintf(buf, len, "memory the program mapped at 0x%llx (%s)", (unsigned long long)h->offset,
                 ls_format_bytes(h->size, size, sizeof size));
    } else if (h->kind == LS_HOLDER_STACK) {
        const char *name = ls_analysis_thread_name(a, h->thread);
        if (name[0])
            snprintf(buf, len, "stack of thread %s", name);
        else
            snprintf(buf, len, "stack of thread %u", h->thread);
    } else if (strcmp(h->symbol, "??")) {
        const char *base = h->file ? strrchr(h->file, '/') : NULL;
        if (h->file && h->line)
            snprintf(buf, len, "%s (%s:%d)", h->symbol, base ? base + 1 : h->file, h->line);
        else
            snprintf(buf, len, "%s", h->symbol);
    } else {
        const char *base = strrchr(h->module, '/');
        snprintf(buf, len, "data of %s+0x%llx", base ? base + 1 : h->module, (unsigned long long)h->offset);
    }
    return buf;
}

void ls_leak_classes_free(ls_leak_classes *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->ncycles; i++)
        free(c->cycles[i].stacks);
    free(c->cycles);
    free(c->groups);
    free(c->holders);
    free(c->globals);
    free(c);
}

static trace_status nomem(trace_error *err)
{
    err->status = TRACE_ERR_NOMEM;
    snprintf(err->message, sizeof err->message, "out of memory");
    return TRACE_ERR_NOMEM;
}

/* ---- holders ---- */

typedef struct holders {
    ls_leak_classes *c;
    kmap index;       /* (kind << 32 | module or thread, symbol start or 0) -> 1 + holder */
    uint32_t cap;
} holders;

/* The holder of root r, made on first use; UINT32_MAX on out of memory. */
static uint32_t holder_of(holders *H, const ls_analysis *a, sym_table *syms, const trace_heap_graph *s,
                          const trace_heap_root *r)
{
    ls_holder h = { .symbol = "??", .module = "??" };
    uint64_t k1, k2 = 0;
    if (r->kind == TRACE_ROOT_MODULE) {
        sym_data d = { .name = "??", .module = "??" };
        bool named = syms && sym_table_resolve_data(syms, r->address, &d);
        long mi = syms ? sym_table_module_index(syms, r->address, false) : -1;
        uint64_t bias = r->range < s->nranges ? s->ranges[r->range].bias : 0;
        h.kind = LS_HOLDER_GLOBAL;
        h.symbol = d.name;
        h.file = d.file;
        h.line = d.line;
        h.module = mi >= 0 && (uint64_t)mi < a->nmodules ? a->modules[mi].path : d.module;
        h.offset = (named ? d.start : r->address) - bias;
        k1 = (uint64_t)LS_HOLDER_GLOBAL << 32 | (uint32_t)(mi + 1);
        k2 = named ? d.start : 0; /* words no symbol covers: one holder per module */
    } else if (r->kind == TRACE_ROOT_MAPPED) {
        const trace_heap_range *g = &s->ranges[r->range];
        h.kind = LS_HOLDER_MAPPED;
        h.offset = g->start;
        h.size = g->size;
        k1 = (uint64_t)LS_HOLDER_MAPPED << 32 | r->range;
    } else {
        h.kind = r->kind == TRACE_ROOT_TLS ? LS_HOLDER_TLS : LS_HOLDER_STACK;
        h.thread = r->module_or_thread;
        k1 = (uint64_t)h.kind << 32 | h.thread;
    }
    bool existed;
    kmap_entry *e = kmap_insert(&H->index, k1, k2, &existed);
    if (!e)
        return UINT32_MAX;
    if (!existed) {
        ls_leak_classes *c = H->c;
        if (!ls_grow32((void **)&c->holders, &H->cap, sizeof *c->holders, (size_t)c->nholders + 1)) {
            kmap_remove(&H->index, e);
            return UINT32_MAX;
        }
        c->holders[c->nholders] = h;
        e->v1 = ++c->nholders;
    }
    return (uint32_t)e->v1 - 1;
}

/* glibc's malloc keeps the address of a free chunk's header, and of the
 * top chunk's, in its own data (main_arena, in libc's writable segment).
 * That header lies inside the block before it when the block's size % 16 is
 * 1 to 8 (README, "What the snapshot sees"): such a word is the allocator's,
 * not a hold of the program's. The one rule: true when a word of libc's
 * data with `value` points at the header of the chunk after the block
 * [addr, addr + size). */
static bool glibc_next_chunk(const ls_analysis *a, uint64_t word, uint64_t addr, uint64_t size, uint64_t value)
{
    uint64_t chunk = size + 23 < 32 ? 32 : (size + 23) & ~(uint64_t)15; /* glibc's chunk size for size */
    if (chunk - 16 >= size || value != addr + chunk - 16)
        return false;
    for (uint32_t i = 0; i < a->nmodules; i++) {
        const ls_module *m = &a->modules[i];
        if (word >= m->start && word < m->end) {
            const char *base = strrchr(m->path, '/');
            base = base ? base + 1 : m->path;
            return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
        }
    }
    return false;
}

/* The graph's roots, globals first, then TLS, then stacks, then the
 * program's mapped memory (the order holders are named in); the C library
 * allocator's own pointers into blocks (glibc_next_chunk) left out. NULL on
 * out of memory. */
static ls_graph_root *graph_roots(holders *H, const ls_analysis *a, sym_table *syms, const trace_heap_graph *s)
{
    ls_leak_classes *c = H->c;
    ls_graph_root *out = malloc(((size_t)s->nroots + 1) * sizeof *out);
    if (!out)
        return NULL;
    static const uint32_t order[] = { TRACE_ROOT_MODULE, TRACE_ROOT_TLS, TRACE_ROOT_STACK, TRACE_ROOT_MAPPED };
    uint32_t n = 0;
    for (unsigned pass = 0; pass < sizeof order / sizeof *order; pass++)
        for (uint32_t i = 0; i < s->nroots; i++) {
            const trace_heap_root *r = &s->roots[i];
            if (r->kind != order[pass] || r->to >= s->nblocks)
                continue;
            if (r->kind == TRACE_ROOT_MODULE && glibc_next_chunk(a, r->address, s->addr[r->to], s->size[r->to], r->value)) {
                c->allocator_pointers++;
                continue;
            }
            uint32_t h = holder_of(H, a, syms, s, r);
            if (h == UINT32_MAX) {
                free(out);
                return NULL;
            }
            out[n++] = (ls_graph_root){ h, r->to, r->value != s->addr[r->to] };
        }
    for (; n < s->nroots; n++) /* kinds no holder stands for: ignored by the classifier */
        out[n] = (ls_graph_root){ UINT32_MAX, UINT32_MAX, false };
    return out;
}

/* ---- sums ---- */

static int group_cmp(const void *x, const void *y)
{
    const ls_class_group *p = x, *q = y;
    if (p->cls != q->cls)
        return p->cls < q->cls ? -1 : 1;
    if (p->bytes != q->bytes)
        return p->bytes > q->bytes ? -1 : 1;
    if (p->blocks != q->blocks)
        return p->blocks > q->blocks ? -1 : 1;
    return p->stack < q->stack ? -1 : p->stack > q->stack;
}

typedef struct retained { uint64_t bytes; uint32_t holder; } retained;

static int retained_cmp(const void *x, const void *y)
{
    const retained *p = x, *q = y;
    if (p->bytes != q->bytes)
        return p->bytes > q->bytes ? -1 : 1;
    return p->holder < q->holder ? -1 : p->holder > q->holder;
}

static int cycle_cmp(const void *x, const void *y)
{
    const ls_cycle *p = x, *q = y;
    if (p->bytes != q->bytes)
        return p->bytes > q->bytes ? -1 : 1;
    return p->members > q->members ? -1 : p->members < q->members;
}

static int u32_cmp(const void *x, const void *y)
{
    uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;
    return p < q ? -1 : p > q;
}

/* Counts leak b in class cls and in its (stack, class) group, made on
 * first use; the group's index, or UINT32_MAX on out of memory. */
static uint32_t group_add(ls_leak_classes *c, kmap *groups, uint32_t *cap, const ls_live_block *b, uint32_t cls)
{
    c->bytes[cls] += b->size;
    c->blocks[cls]++;
    bool existed;
    kmap_entry *e = kmap_insert(groups, b->stack, cls, &existed);
    if (!e)
        return UINT32_MAX;
    if (!existed) {
        if (!ls_grow32((void **)&c->groups, cap, sizeof *c->groups, (size_t)c->ngroups + 1)) {
            kmap_remove(groups, e);
            return UINT32_MAX;
        }
        c->groups[c->ngroups] = (ls_class_group){ b->stack, cls, 0, 0, LS_HOLDER_NONE };
        e->v1 = c->ngroups++;
    }
    c->groups[e->v1].bytes += b->size;
    c->groups[e->v1].blocks++;
    return (uint32_t)e->v1;
}

/* The groups by (stack, class), each reachable one named after the holder
 * reaching most of its bytes first; the cycles with their stacks. */
static bool sum(ls_leak_classes *c, const ls_analysis *a, const trace_heap_graph *s, const ls_reach *r,
                const uint64_t *leak)
{
    kmap groups = { 0 }, holds = { 0 };
    uint32_t cap = 0;
    /* The leaks the snapshot has, then those made after it (unscanned). */
    uint8_t *scanned = calloc(a->nlive + 1, 1);
    bool ok = scanned != NULL;
    for (uint32_t v = 0; ok && v < s->nblocks; v++) {
        if (leak[v] == NO_LEAK)
            continue;
        scanned[leak[v]] = 1;
        const ls_live_block *b = &a->live[leak[v]];
        uint32_t cls = r->cls[v], gi = group_add(c, &groups, &cap, b, cls);
        if (!(ok = gi != UINT32_MAX))
            break;
        if (cls == LS_CLASS_REACHABLE && r->holder[v] < c->nholders) {
            bool existed;
            kmap_entry *h = kmap_insert(&holds, gi, r->holder[v], &existed); /* bytes of the group it holds */
            if (!(ok = h != NULL))
                break;
            h->v1 += b->size;
        }
    }
    for (uint64_t i = 0; ok && i < a->nlive; i++) {
        if (scanned[i])
            continue;
        ok = group_add(c, &groups, &cap, &a->live[i], LS_CLASS_UNSCANNED) != UINT32_MAX;
    }
    /* Each reachable group's holder: most bytes, then the lower holder (named first). */
    uint64_t *best = ok ? calloc((size_t)c->ngroups + 1, sizeof *best) : NULL;
    ok = ok && best;
    for (size_t i = 0; ok && i < holds.cap; i++) {
        const kmap_entry *h = &holds.e[i];
        if (!h->used)
            continue;
        ls_class_group *g = &c->groups[h->k1];
        if (h->v1 > best[h->k1] || (h->v1 == best[h->k1] && h->k2 < g->holder)) {
            best[h->k1] = h->v1;
            g->holder = (uint32_t)h->k2;
        }
    }
    free(best);
    free(scanned);
    kmap_free(&groups);
    kmap_free(&holds);
    if (!ok)
        return false;
    if (c->ngroups) /* qsort's array may not be NULL, even empty */
        qsort(c->groups, c->ngroups, sizeof *c->groups, group_cmp);

    /* Cycles: members and bytes from every block of the graph (a cycle's
     * members are unreachable, so none was freed after the snapshot). */
    c->ncycles = r->ncycles;
    if (r->ncycles && !(c->cycles = calloc(r->ncycles, sizeof *c->cycles)))
        return false;
    for (uint32_t v = 0; v < s->nblocks; v++) {
        if (!r->cycle[v])
            continue;
        ls_cycle *cy = &c->cycles[r->cycle[v] - 1];
        if (!cy->stacks && !(cy->stacks = malloc(((size_t)r->cycle_size[r->cycle[v] - 1] + 1) * sizeof *cy->stacks)))
            return false;
        cy->members++;
        cy->bytes += s->size[v];
        cy->stacks[cy->nstacks++] = leak[v] != NO_LEAK ? a->live[leak[v]].stack : 0;
    }
    for (uint32_t i = 0; i < c->ncycles; i++) {
        ls_cycle *cy = &c->cycles[i];
        if (cy->nstacks)
            qsort(cy->stacks, cy->nstacks, sizeof *cy->stacks, u32_cmp);
        uint32_t n = 0;
        for (uint32_t k = 0; k < cy->nstacks; k++)
            if (!n || cy->stacks[n - 1] != cy->stacks[k])
                cy->stacks[n++] = cy->stacks[k];
        cy->nstacks = n;
    }
    if (c->ncycles)
        qsort(c->cycles, c->ncycles, sizeof *c->cycles, cycle_cmp);

    /* Held by globals. */
    for (uint32_t h = 0; h < c->nholders; h++) {
        c->holders[h].retained_bytes = r->retained_bytes[h];
        c->holders[h].retained_blocks = r->retained_blocks[h];
    }
    retained *order = malloc(((size_t)c->nholders + 1) * sizeof *order);
    if (!order || !(c->globals = malloc(((size_t)c->nholders + 1) * sizeof *c->globals))) {
        free(order);
        return false;
    }
    for (uint32_t h = 0; h < c->nholders; h++)
        if (c->holders[h].kind == LS_HOLDER_GLOBAL && c->holders[h].retained_blocks)
            order[c->nglobals++] = (retained){ c->holders[h].retained_bytes, h };
    if (c->nglobals)
        qsort(order, c->nglobals, sizeof *order, retained_cmp);
    for (uint32_t i = 0; i < c->nglobals; i++)
        c->globals[i] = order[i].holder;
    free(order);
    return true;
}

trace_status ls_leak_classes_build(const ls_analysis *a, sym_table *syms, ls_leak_classes **out, trace_error *err)
{
    *out = NULL;
    const ls_index *idx = a->index;
    if (!idx->nsnapshots)
        return TRACE_OK;
    trace_heap_graph *s;
    uint32_t which = idx->nsnapshots - 1;
    trace_status st = ls_index_snapshot(idx, which, &s, err);
    if (st != TRACE_OK)
        return st;
    ls_leak_classes *c = calloc(1, sizeof *c);
    holders H = { .c = c };
    uint64_t *leak = malloc(((size_t)s->nblocks + 1) * sizeof *leak);
    ls_graph_edge *edges = malloc(((size_t)s->nedges + 1) * sizeof *edges);
    ls_graph_root *roots = NULL;
    ls_reach *r = NULL;
    st = TRACE_ERR_NOMEM;
    if (!c || !leak || !edges)
        goto done;
    c->snapshot = which;
    memcpy(c->label, s->label, sizeof c->label);
    c->ts = s->ts;
    c->flags = s->flags;
    c->unreadable = s->unreadable;
    c->uncertain = s->flags != 0 || s->unreadable != 0;
    for (uint32_t i = 0; i < s->nranges; i++)
        c->running_threads += s->ranges[i].kind == TRACE_ROOT_STACK && s->ranges[i].thread != s->thread;
    /* Join: both sorted by address. */
    uint64_t j = 0;
    for (uint32_t v = 0; v < s->nblocks; v++) {
        while (j < a->nlive && a->live[j].addr < s->addr[v])
            j++;
        leak[v] = j < a->nlive && a->live[j].addr == s->addr[v] && a->live[j].size == s->size[v] ? j : NO_LEAK;
    }
    for (uint32_t i = 0; i < s->nedges; i++) {
        const trace_heap_edge *e = &s->edges[i];
        bool valid = e->to < s->nblocks;
        edges[i] = (ls_graph_edge){ e->from, e->to, valid && e->value != s->addr[e->to] };
    }
    if (!(roots = graph_roots(&H, a, syms, s)))
        goto done;
    ls_heap_graph g = { s->nblocks, s->size, s->nedges, edges, s->nroots, roots, c->nholders };
    if (!(r = ls_reach_classify(&g)) || !sum(c, a, s, r, leak))
        goto done;
    st = TRACE_OK;
done:
    ls_reach_free(r);
    free(roots);
    free(edges);
    free(leak);
    kmap_free(&H.index);
    trace_heap_snapshot_free(s);
    if (st != TRACE_OK) {
        ls_leak_classes_free(c);
        return nomem(err);
    }
    *out = c;
    return TRACE_OK;
}
