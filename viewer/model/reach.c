/* reach.c — the classes of a heap graph's blocks (reach.h).
 *
 * Four passes over the out-edges (compressed rows, built once):
 *   1. breadth first from the start-pointer roots over start pointers: the
 *      reachable blocks, and for each the holder whose roots came first;
 *   2. which holders reach each reachable block, as a value of the lattice
 *      none < one holder < many: a worklist where a block is pushed when its
 *      value rises, so at most twice; exact (the join over every path);
 *   3. breadth first from every root over every pointer: what is left is
 *      possible (reached, but only through an interior pointer somewhere);
 *   4. the rest is unreachable: its strongly connected components (Tarjan,
 *      iterative: no recursion however deep a hostile chain is), and of the
 *      condensation's sources a block alone is lost, a group of two or more
 *      a cycle; everything the sources reach is indirect.
 *
 * SPDX-License-Identifier: MIT
 */
#include "reach.h"

#include <stdlib.h>
#include <string.h>

static const char *const class_names[LS_NCLASSES] = {
    [LS_CLASS_LOST] = "lost",       [LS_CLASS_INDIRECT] = "indirect",   [LS_CLASS_CYCLE] = "cycle",
    [LS_CLASS_POSSIBLE] = "possible", [LS_CLASS_REACHABLE] = "reachable",
};

const char *ls_leak_class_name(ls_leak_class c) { return (unsigned)c < LS_NCLASSES ? class_names[c] : ""; }

bool ls_leak_class_unreachable(ls_leak_class c)
{
    return c == LS_CLASS_LOST || c == LS_CLASS_INDIRECT || c == LS_CLASS_CYCLE;
}

void ls_reach_free(ls_reach *r)
{
    if (!r)
        return;
    free(r->cls);
    free(r->cycle);
    free(r->holder);
    free(r->only);
    free(r->cycle_size);
    free(r->retained_bytes);
    free(r->retained_blocks);
    free(r);
}

/* The out-edges of each block: those of block v are adj[off[v] .. off[v+1]). */
typedef struct rows {
    uint32_t *off, *adj;
    uint8_t *interior;
} rows;

static bool rows_build(rows *w, const ls_heap_graph *g)
{
    uint32_t n = g->nblocks;
    w->off = calloc((size_t)n + 1, sizeof *w->off);
    w->adj = malloc(((size_t)g->nedges + 1) * sizeof *w->adj);
    w->interior = malloc((size_t)g->nedges + 1);
    uint32_t *fill = calloc((size_t)n + 1, sizeof *fill);
    if (!w->off || !w->adj || !w->interior || !fill) {
        free(fill);
        return false;
    }
    for (uint32_t i = 0; i < g->nedges; i++)
        if (g->edges[i].from < n && g->edges[i].to < n)
            w->off[g->edges[i].from + 1]++;
    for (uint32_t v = 0; v < n; v++)
        w->off[v + 1] += w->off[v];
    for (uint32_t i = 0; i < g->nedges; i++) {
        const ls_graph_edge *e = &g->edges[i];
        if (e->from >= n || e->to >= n)
            continue;
        uint32_t at = w->off[e->from] + fill[e->from]++;
        w->adj[at] = e->to;
        w->interior[at] = e->interior;
    }
    free(fill);
    return true;
}

static void rows_free(rows *w)
{
    free(w->off);
    free(w->adj);
    free(w->interior);
}

static uint32_t join(uint32_t cur, uint32_t h)
{
    if (cur == LS_HOLDER_NONE)
        return h;
    return cur == h ? cur : LS_HOLDER_MANY;
}

/* Passes 1 and 2: r->holder and r->only over start pointers. */
static bool reach_start(ls_reach *r, const ls_heap_graph *g, const rows *w, uint32_t *queue)
{
    uint32_t n = g->nblocks, head = 0, tail = 0;
    for (uint32_t v = 0; v < n; v++)
        r->holder[v] = r->only[v] = LS_HOLDER_NONE;
    for (uint32_t i = 0; i < g->nroots; i++) {
        const ls_graph_root *rt = &g->roots[i];
        if (rt->interior || rt->to >= n || rt->holder >= g->nholders || r->holder[rt->to] != LS_HOLDER_NONE)
            continue;
        r->holder[rt->to] = rt->holder;
        queue[tail++] = rt->to;
    }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t k = w->off[v]; k < w->off[v + 1]; k++)
            if (!w->interior[k] && r->holder[w->adj[k]] == LS_HOLDER_NONE) {
                r->holder[w->adj[k]] = r->holder[v];
                queue[tail++] = w->adj[k];
            }
    }
    /* A block's value rises at most twice (none, one, many): 2n pushes. */
    uint32_t *stack = malloc(((size_t)n * 2 + 1) * sizeof *stack), top = 0;
    if (!stack)
        return false;
    for (uint32_t i = 0; i < g->nroots; i++) {
        const ls_graph_root *rt = &g->roots[i];
        if (rt->interior || rt->to >= n || rt->holder >= g->nholders)
            continue;
        uint32_t nv = join(r->only[rt->to], rt->holder);
        if (nv != r->only[rt->to]) {
            r->only[rt->to] = nv;
            stack[top++] = rt->to;
        }
    }
    while (top) {
        uint32_t v = stack[--top], val = r->only[v];
        for (uint32_t k = w->off[v]; k < w->off[v + 1]; k++) {
            uint32_t t = w->adj[k];
            if (w->interior[k])
                continue;
            uint32_t nv = val == LS_HOLDER_MANY ? LS_HOLDER_MANY : join(r->only[t], val);
            if (nv != r->only[t]) {
                r->only[t] = nv;
                stack[top++] = t;
            }
        }
    }
    free(stack);
    return true;
}

/* Pass 3: every block any root reaches over any pointer, marked in seen. */
static void reach_any(const ls_heap_graph *g, const rows *w, uint32_t *queue, uint8_t *seen)
{
    uint32_t n = g->nblocks, head = 0, tail = 0;
    for (uint32_t i = 0; i < g->nroots; i++) {
        const ls_graph_root *rt = &g->roots[i];
        if (rt->to < n && rt->holder < g->nholders && !seen[rt->to]) {
            seen[rt->to] = 1;
            queue[tail++] = rt->to;
        }
    }
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t k = w->off[v]; k < w->off[v + 1]; k++)
            if (!seen[w->adj[k]]) {
                seen[w->adj[k]] = 1;
                queue[tail++] = w->adj[k];
            }
    }
}

/* Pass 4: the strongly connected components of the blocks not seen, by
 * Tarjan's algorithm with its call stack made explicit. scc[v] for those
 * blocks; returns how many components (0 for none), or UINT32_MAX on out
 * of memory. */
static uint32_t components(const ls_heap_graph *g, const rows *w, const uint8_t *seen, uint32_t *scc)
{
    uint32_t n = g->nblocks, count = 0, counter = 0;
    uint32_t *index = calloc((size_t)n + 1, sizeof *index); /* 0: not visited */
    uint32_t *low = malloc(((size_t)n + 1) * sizeof *low);
    uint32_t *next = malloc(((size_t)n + 1) * sizeof *next);  /* the next out-edge to follow */
    uint32_t *calls = malloc(((size_t)n + 1) * sizeof *calls);
    uint32_t *stack = malloc(((size_t)n + 1) * sizeof *stack);
    uint8_t *on = calloc((size_t)n + 1, 1);
    if (!index || !low || !next || !calls || !stack || !on) {
        count = UINT32_MAX;
        goto out;
    }
    uint32_t ncalls = 0, nstack = 0;
    for (uint32_t s = 0; s < n; s++) {
        if (seen[s] || index[s])
            continue;
        index[s] = low[s] = ++counter;
        next[s] = w->off[s];
        calls[ncalls++] = s;
        stack[nstack++] = s;
        on[s] = 1;
        while (ncalls) {
            uint32_t v = calls[ncalls - 1];
            if (next[v] < w->off[v + 1]) {
                uint32_t t = w->adj[next[v]++];
                if (seen[t])
                    continue;
                if (!index[t]) {
                    index[t] = low[t] = ++counter;
                    next[t] = w->off[t];
                    calls[ncalls++] = t;
                    stack[nstack++] = t;
                    on[t] = 1;
                } else if (on[t] && index[t] < low[v]) {
                    low[v] = index[t];
                }
                continue;
            }
            ncalls--;
            if (low[v] == index[v]) {
                uint32_t t;
                do {
                    t = stack[--nstack];
                    on[t] = 0;
                    scc[t] = count;
                } while (t != v);
                count++;
            }
            if (ncalls && low[v] < low[calls[ncalls - 1]])
                low[calls[ncalls - 1]] = low[v];
        }
    }
out:
    free(index);
    free(low);
    free(next);
    free(calls);
    free(stack);
    free(on);
    return count;
}

/* The unreachable blocks' classes from their components. */
static bool classify_unreachable(ls_reach *r, const ls_heap_graph *g, const rows *w, const uint8_t *seen,
                                 uint32_t *scc)
{
    uint32_t n = g->nblocks;
    uint32_t ncomp = components(g, w, seen, scc);
    if (ncomp == UINT32_MAX)
        return false;
    uint32_t *members = calloc((size_t)ncomp + 1, sizeof *members);
    uint8_t *entered = calloc((size_t)ncomp + 1, 1);     /* a block of another component points in */
    uint32_t *cycle_of = calloc((size_t)ncomp + 1, sizeof *cycle_of); /* 1 + cycle number */
    bool ok = members && entered && cycle_of;
    for (uint32_t v = 0; ok && v < n; v++) {
        if (seen[v])
            continue;
        members[scc[v]]++;
        for (uint32_t k = w->off[v]; k < w->off[v + 1]; k++)
            if (!seen[w->adj[k]] && scc[w->adj[k]] != scc[v])
                entered[scc[w->adj[k]]] = 1;
    }
    for (uint32_t c = 0; ok && c < ncomp; c++)
        if (!entered[c] && members[c] >= 2)
            cycle_of[c] = ++r->ncycles;
    if (ok && r->ncycles && !(r->cycle_size = calloc(r->ncycles, sizeof *r->cycle_size)))
        ok = false;
    for (uint32_t v = 0; ok && v < n; v++) {
        if (seen[v])
            continue;
        uint32_t c = scc[v];
        if (entered[c]) {
            r->cls[v] = LS_CLASS_INDIRECT;
        } else if (cycle_of[c]) {
            r->cls[v] = LS_CLASS_CYCLE;
            r->cycle[v] = cycle_of[c];
            r->cycle_size[cycle_of[c] - 1]++;
        } else {
            r->cls[v] = LS_CLASS_LOST;
        }
    }
    free(members);
    free(entered);
    free(cycle_of);
    return ok;
}

ls_reach *ls_reach_classify(const ls_heap_graph *g)
{
    uint32_t n = g->nblocks;
    ls_reach *r = calloc(1, sizeof *r);
    rows w = { 0 };
    uint32_t *queue = NULL, *scc = NULL;
    uint8_t *seen = NULL;
    if (!r)
        return NULL;
    r->nblocks = n;
    r->nholders = g->nholders;
    r->cls = calloc((size_t)n + 1, 1);
    r->cycle = calloc((size_t)n + 1, sizeof *r->cycle);
    r->holder = malloc(((size_t)n + 1) * sizeof *r->holder);
    r->only = malloc(((size_t)n + 1) * sizeof *r->only);
    r->retained_bytes = calloc((size_t)g->nholders + 1, sizeof *r->retained_bytes);
    r->retained_blocks = calloc((size_t)g->nholders + 1, sizeof *r->retained_blocks);
    queue = malloc(((size_t)n + 1) * sizeof *queue);
    scc = malloc(((size_t)n + 1) * sizeof *scc);
    seen = calloc((size_t)n + 1, 1);
    bool ok = r->cls && r->cycle && r->holder && r->only && r->retained_bytes && r->retained_blocks && queue &&
              scc && seen && rows_build(&w, g) && reach_start(r, g, &w, queue);
    if (ok) {
        reach_any(g, &w, queue, seen);
        for (uint32_t v = 0; v < n; v++)
            if (seen[v])
                r->cls[v] = r->holder[v] != LS_HOLDER_NONE ? LS_CLASS_REACHABLE : LS_CLASS_POSSIBLE;
        ok = classify_unreachable(r, g, &w, seen, scc);
    }
    for (uint32_t v = 0; ok && v < n; v++) {
        r->bytes[r->cls[v]] += g->size[v];
        r->blocks[r->cls[v]]++;
        if (r->only[v] < g->nholders) {
            r->retained_bytes[r->only[v]] += g->size[v];
            r->retained_blocks[r->only[v]]++;
        }
    }
    rows_free(&w);
    free(queue);
    free(scc);
    free(seen);
    if (!ok) {
        ls_reach_free(r);
        return NULL;
    }
    return r;
}
