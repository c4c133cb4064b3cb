/* calltree.c — see calltree.h.
 *
 * One walk over the stacks (not the events): each stack's frames are
 * resolved once per distinct address (cached here, as name ids), its path
 * is walked from the root in the tree's direction, finding or adding each
 * child through a map keyed by (parent, name), and its values are added to
 * every node on the path (inclusive) and to the last one (self). Then each
 * node's children are put in one array, sorted by name, so that every
 * client (the flame graph's layout, the folded lines) sees one order.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* qsort_r */
#include "grow.h"
#include "calltree.h"
#include "kmap.h"
#include "sites.h"

#include <stdlib.h>
#include <string.h>

#define MAX_INLINE 32
#define NAME_MAX_LEN 1024

static const char *const metric_names[LS_METRIC_COUNT] = {
    [LS_METRIC_ALLOCATED] = "allocated",  [LS_METRIC_ALLOCATIONS] = "allocations",
    [LS_METRIC_TEMPORARY] = "temporary",  [LS_METRIC_LEAKED] = "leaked",
    [LS_METRIC_LEAKED_BLOCKS] = "leaked-blocks", [LS_METRIC_PEAK] = "peak",
};

const char *ls_metric_name(ls_metric m) { return (unsigned)m < LS_METRIC_COUNT ? metric_names[m] : "?"; }

bool ls_metric_parse(const char *name, ls_metric *out)
{
    for (int m = 0; m < LS_METRIC_COUNT; m++)
        if (!strcmp(name, metric_names[m])) {
            *out = (ls_metric)m;
            return true;
        }
    return false;
}

bool ls_metric_is_bytes(ls_metric m)
{
    return m == LS_METRIC_ALLOCATED || m == LS_METRIC_LEAKED || m == LS_METRIC_PEAK;
}

uint64_t ls_stack_use_value(const ls_stack_use *u, ls_metric m)
{
    switch (m) {
    case LS_METRIC_ALLOCATED: return u->allocated_bytes;
    case LS_METRIC_ALLOCATIONS: return u->allocations;
    case LS_METRIC_TEMPORARY: return u->temporary;
    case LS_METRIC_LEAKED: return u->live_bytes;
    case LS_METRIC_LEAKED_BLOCKS: return u->live_blocks;
    case LS_METRIC_PEAK: return u->peak_bytes;
    case LS_METRIC_COUNT: break;
    }
    return 0;
}

typedef struct ranked {
    uint64_t value;
    uint32_t stack;
} ranked;

static int ranked_cmp(const void *x, const void *y)
{
    const ranked *p = x, *q = y;
    if (p->value != q->value)
        return p->value > q->value ? -1 : 1;
    return p->stack < q->stack ? -1 : p->stack > q->stack;
}

int64_t ls_stacks_ranked(const ls_analysis *a, ls_metric m, uint32_t **out)
{
    *out = NULL;
    uint32_t n = 0;
    for (uint32_t s = 0; a->stack_use && s < a->nstacks; s++)
        n += ls_stack_use_value(&a->stack_use[s], m) != 0;
    if (!n)
        return 0;
    ranked *r = malloc((size_t)n * sizeof *r);
    uint32_t *ids = malloc((size_t)n * sizeof *ids);
    if (!r || !ids) {
        free(r);
        free(ids);
        return -1;
    }
    n = 0;
    for (uint32_t s = 0; s < a->nstacks; s++) {
        uint64_t v = ls_stack_use_value(&a->stack_use[s], m);
        if (v)
            r[n++] = (ranked){ v, s };
    }
    qsort(r, n, sizeof *r, ranked_cmp);
    for (uint32_t i = 0; i < n; i++)
        ids[i] = r[i].stack;
    free(r);
    *out = ids;
    return n;
}

typedef struct builder {
    ls_calltree *t;
    sym_table *syms;
    uint32_t nodes_cap, names_cap;
    kmap by_name;      /* (FNV-1a of the name, probe) -> name id */
    kmap children;     /* (parent, name id) -> child node */
    kmap by_address;   /* return address -> offset (v1) and count (v2) in addr_names */
    uint32_t *addr_names;
    size_t naddr_names, addr_names_cap;
    uint32_t *path;    /* the stack being added, innermost first */
    size_t path_cap;
} builder;


/* The id of `name`, added if new; UINT32_MAX on out of memory. */
static uint32_t intern(builder *b, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    for (uint64_t probe = 0;; probe++) { /* a hash collision moves to the next probe */
        bool existed;
        kmap_entry *e = kmap_insert(&b->by_name, h, probe, &existed);
        if (!e)
            return UINT32_MAX;
        if (existed) {
            if (!strcmp(b->t->names[e->v1], name))
                return (uint32_t)e->v1;
            continue;
        }
        char *copy = strdup(name);
        if (!copy || !ls_grow32((void **)&b->t->names, &b->names_cap, sizeof *b->t->names, b->t->nnames + 1)) {
            free(copy);
            kmap_remove(&b->by_name, kmap_find(&b->by_name, h, probe));
            return UINT32_MAX;
        }
        e->v1 = b->t->nnames;
        b->t->names[b->t->nnames] = copy;
        return b->t->nnames++;
    }
}

/* Appends the names of return address `addr`'s frames (inlined ones first)
 * to the path. False on out of memory. */
static bool add_address(builder *b, uint64_t addr, size_t *len)
{
    kmap_entry *e = kmap_find(&b->by_address, addr, 0);
    if (!e) {
        sym_frame fr[MAX_INLINE];
        int n = b->syms ? sym_table_resolve(b->syms, addr, true, fr, MAX_INLINE) : 0;
        if (n <= 0) {
            fr[0] = (sym_frame){ "??", NULL, 0, "??", addr, false };
            n = 1;
        }
        if (!ls_grow((void **)&b->addr_names, &b->addr_names_cap, sizeof *b->addr_names, b->naddr_names + (size_t)n))
            return false;
        size_t off = b->naddr_names;
        for (int k = 0; k < n; k++) {
            char name[NAME_MAX_LEN];
            uint32_t id = intern(b, ls_frame_function(&fr[k], name, sizeof name));
            if (id == UINT32_MAX)
                return false;
            b->addr_names[b->naddr_names++] = id;
        }
        bool existed;
        if (!(e = kmap_insert(&b->by_address, addr, 0, &existed)))
            return false;
        e->v1 = off;
        e->v2 = (uint32_t)n;
    }
    if (!ls_grow((void **)&b->path, &b->path_cap, sizeof *b->path, *len + e->v2))
        return false;
    memcpy(b->path + *len, b->addr_names + e->v1, e->v2 * sizeof *b->path);
    *len += e->v2;
    return true;
}

/* The child of `parent` named `name`, added if new; UINT32_MAX on out of memory. */
static uint32_t child_of(builder *b, uint32_t parent, uint32_t name)
{
    bool existed;
    kmap_entry *e = kmap_insert(&b->children, parent, name, &existed);
    if (!e)
        return UINT32_MAX;
    if (existed)
        return (uint32_t)e->v1;
    ls_calltree *t = b->t;
    if (!ls_grow32((void **)&t->nodes, &b->nodes_cap, sizeof *t->nodes, t->nnodes + 1)) {
        kmap_remove(&b->children, kmap_find(&b->children, parent, name));
        return UINT32_MAX;
    }
    uint32_t i = t->nnodes++;
    t->nodes[i] = (ls_calltree_node){ .name = name, .parent = parent, .depth = t->nodes[parent].depth + 1 };
    if (t->nodes[i].depth > t->max_depth)
        t->max_depth = t->nodes[i].depth;
    e = kmap_find(&b->children, parent, name);
    e->v1 = i;
    return i;
}

static void add_values(ls_calltree_node *n, const uint64_t *v)
{
    for (int m = 0; m < LS_METRIC_COUNT; m++)
        n->incl[m] += v[m];
}

static bool add_stack(builder *b, const ls_analysis *a, uint32_t s)
{
    uint64_t v[LS_METRIC_COUNT];
    bool any = false;
    for (int m = 0; m < LS_METRIC_COUNT; m++)
        any |= (v[m] = ls_stack_use_value(&a->stack_use[s], (ls_metric)m)) != 0;
    if (!any)
        return true;
    ls_stack st = ls_analysis_stack(a, s);
    size_t len = 0;
    for (uint32_t i = 0; i < st.depth; i++)
        if (!add_address(b, st.frames[i], &len))
            return false;
    ls_calltree *t = b->t;
    uint32_t node = LS_CALLTREE_ROOT;
    add_values(&t->nodes[node], v);
    for (size_t k = 0; k < len; k++) {
        uint32_t name = b->path[t->dir == LS_CALLTREE_TOP_DOWN ? len - 1 - k : k];
        if ((node = child_of(b, node, name)) == UINT32_MAX)
            return false;
        add_values(&t->nodes[node], v);
    }
    for (int m = 0; m < LS_METRIC_COUNT; m++)
        t->nodes[node].self[m] += v[m];
    return true;
}

static int by_name(const void *x, const void *y, void *tree)
{
    uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;
    return strcmp(ls_calltree_name(tree, p), ls_calltree_name(tree, q));
}

/* Each node's children in one slice of t->child, by name. */
static bool link_children(ls_calltree *t)
{
    t->child = malloc((t->nnodes ? t->nnodes : 1) * sizeof *t->child);
    if (!t->child)
        return false;
    for (uint32_t i = 1; i < t->nnodes; i++)
        t->nodes[t->nodes[i].parent].nchild++;
    uint32_t off = 0;
    for (uint32_t i = 0; i < t->nnodes; i++) {
        t->nodes[i].child0 = off;
        off += t->nodes[i].nchild;
        t->nodes[i].nchild = 0;
    }
    for (uint32_t i = 1; i < t->nnodes; i++) {
        ls_calltree_node *p = &t->nodes[t->nodes[i].parent];
        t->child[p->child0 + p->nchild++] = i;
    }
    for (uint32_t i = 0; i < t->nnodes; i++)
        if (t->nodes[i].nchild > 1)
            qsort_r(t->child + t->nodes[i].child0, t->nodes[i].nchild, sizeof *t->child, by_name, t);
    return true;
}

ls_calltree *ls_calltree_build(const ls_analysis *a, sym_table *syms, ls_calltree_dir dir)
{
    ls_calltree *t = calloc(1, sizeof *t);
    builder b = { .t = t, .syms = syms };
    bool ok = t && ls_grow32((void **)&t->nodes, &b.nodes_cap, sizeof *t->nodes, 1) && intern(&b, "") == 0;
    if (ok) {
        t->dir = dir;
        t->nnodes = 1;
        t->nodes[0] = (ls_calltree_node){ .parent = UINT32_MAX };
        for (uint32_t s = 0; ok && a->stack_use && s < a->nstacks; s++)
            ok = add_stack(&b, a, s);
        ok = ok && link_children(t);
    }
    kmap_free(&b.by_name);
    kmap_free(&b.children);
    kmap_free(&b.by_address);
    free(b.addr_names);
    free(b.path);
    if (!ok) {
        ls_calltree_free(t);
        return NULL;
    }
    return t;
}

void ls_calltree_free(ls_calltree *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nnames; i++)
        free(t->names[i]);
    free(t->names);
    free(t->nodes);
    free(t->child);
    free(t);
}
