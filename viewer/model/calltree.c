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

static bool add_stack(builder *b, const ls_analysis *a, const ls_stack_use *use, uint32_t s)
{
    uint64_t v[LS_METRIC_COUNT];
    bool any = false;
    for (int m = 0; m < LS_METRIC_COUNT; m++)
        any |= (v[m] = ls_stack_use_value(&use[s], (ls_metric)m)) != 0;
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
    return ls_calltree_build_use(a, a->stack_use, a->stack_use ? a->nstacks : 0, syms, dir);
}

ls_calltree *ls_calltree_build_use(const ls_analysis *a, const ls_stack_use *use, uint32_t nuse, sym_table *syms,
                                   ls_calltree_dir dir)
{
    ls_calltree *t = calloc(1, sizeof *t);
    builder b = { .t = t, .syms = syms };
    bool ok = t && ls_grow32((void **)&t->nodes, &b.nodes_cap, sizeof *t->nodes, 1) && intern(&b, "") == 0;
    if (ok) {
        t->dir = dir;
        t->nnodes = 1;
        t->nodes[0] = (ls_calltree_node){ .parent = UINT32_MAX };
        for (uint32_t s = 0; ok && use && s < nuse && s < a->nstacks; s++)
            ok = add_stack(&b, a, use, s);
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

/* ---- search, and one function's callers and callees ---- */

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

bool ls_calltree_matches(const ls_calltree *t, uint32_t i, const char *needle)
{
    if (!needle || !needle[0])
        return false;
    for (const char *h = ls_calltree_name(t, i); *h; h++) {
        size_t k = 0;
        while (needle[k] && h[k] && lower(h[k]) == lower(needle[k]))
            k++;
        if (!needle[k])
            return true;
    }
    return false;
}

uint64_t ls_calltree_match_total(const ls_calltree *t, uint32_t root, ls_metric m, const char *needle,
                                 uint32_t *matched)
{
    uint64_t total = 0;
    uint32_t n = 0;
    /* Nodes come after their parents (child_of adds them so), so one
     * forward pass over the subtree's index range is enough: a node is
     * under root when its parent is, and "under a match" likewise. The
     * flags are two bits per node, kept in a byte each. */
    uint8_t *flag = calloc(t->nnodes ? t->nnodes : 1, 1);
    if (!flag)
        return 0;
    enum { UNDER = 1, COVERED = 2 };
    for (uint32_t i = root; i < t->nnodes; i++) {
        uint8_t f = i == root ? UNDER : i > root && t->nodes[i].parent != UINT32_MAX ? flag[t->nodes[i].parent] : 0;
        if (!(f & UNDER))
            continue;
        if (!(f & COVERED) && ls_calltree_matches(t, i, needle)) {
            total += t->nodes[i].incl[m];
            f |= COVERED;
        }
        n += ls_calltree_matches(t, i, needle);
        flag[i] = f;
    }
    free(flag);
    if (matched)
        *matched = n;
    return total;
}

uint32_t ls_calltree_find_name(const ls_calltree *t, const char *name)
{
    for (uint32_t i = 1; i < t->nnames; i++)
        if (!strcmp(t->names[i], name))
            return i;
    return UINT32_MAX;
}

/* Adds v to the edge of `name` in *edges (a small list, searched). */
static bool edge_add(ls_calltree_edge **edges, uint32_t *n, uint32_t *cap, uint32_t name, const uint64_t *v)
{
    for (uint32_t k = 0; k < *n; k++)
        if ((*edges)[k].name == name) {
            for (int m = 0; m < LS_METRIC_COUNT; m++)
                (*edges)[k].value[m] += v[m];
            return true;
        }
    if (!ls_grow32((void **)edges, cap, sizeof **edges, *n + 1))
        return false;
    ls_calltree_edge *e = &(*edges)[(*n)++];
    e->name = name;
    memcpy(e->value, v, sizeof e->value);
    return true;
}

typedef struct edge_order {
    const ls_calltree *t;
    ls_metric m;
} edge_order;

static int edge_cmp(const void *x, const void *y, void *data)
{
    const ls_calltree_edge *p = x, *q = y;
    const edge_order *o = data;
    if (p->value[o->m] != q->value[o->m])
        return p->value[o->m] > q->value[o->m] ? -1 : 1;
    return strcmp(o->t->names[p->name], o->t->names[q->name]);
}

/* Whether node i has an ancestor (the root excluded) named `name`. */
static bool has_ancestor_named(const ls_calltree *t, uint32_t i, uint32_t name)
{
    for (uint32_t p = t->nodes[i].parent; p != UINT32_MAX && p != LS_CALLTREE_ROOT; p = t->nodes[p].parent)
        if (t->nodes[p].name == name)
            return true;
    return false;
}

bool ls_calltree_links_of(const ls_calltree *t, uint32_t name, ls_metric order, ls_calltree_links *out)
{
    memset(out, 0, sizeof *out);
    uint32_t cap_up = 0, cap_down = 0, nup = 0, ndown = 0;
    ls_calltree_edge *up = NULL, *down = NULL; /* toward the root, away from it */
    bool ok = true;
    for (uint32_t i = 1; ok && i < t->nnodes; i++) {
        const ls_calltree_node *n = &t->nodes[i];
        if (n->name != name)
            continue;
        /* self: top-down, the node's own self; bottom-up, the allocating
         * function is the root's child, and all of it is its own */
        if (t->dir == LS_CALLTREE_TOP_DOWN)
            for (int m = 0; m < LS_METRIC_COUNT; m++)
                out->self[m] += n->self[m];
        else if (n->parent == LS_CALLTREE_ROOT)
            for (int m = 0; m < LS_METRIC_COUNT; m++)
                out->self[m] += n->incl[m];
        if (has_ancestor_named(t, i, name))
            continue;
        for (int m = 0; m < LS_METRIC_COUNT; m++)
            out->incl[m] += n->incl[m];
        ok = edge_add(&up, &nup, &cap_up, t->nodes[n->parent].name, n->incl);
        for (uint32_t k = 0; ok && k < n->nchild; k++) {
            const ls_calltree_node *c = &t->nodes[t->child[n->child0 + k]];
            ok = edge_add(&down, &ndown, &cap_down, c->name, c->incl);
        }
        /* bottom-up, a path ending here is a stack whose outermost frame
         * is the function: "no caller", as the root is top-down */
        bool ends = false;
        for (int m = 0; m < LS_METRIC_COUNT; m++)
            ends |= n->self[m] != 0;
        if (ok && ends && t->dir == LS_CALLTREE_BOTTOM_UP)
            ok = edge_add(&down, &ndown, &cap_down, 0, n->self);
    }
    if (!ok) {
        free(up);
        free(down);
        memset(out, 0, sizeof *out);
        return false;
    }
    /* the root's name ("") stands for "no caller" only top-down; bottom-up
     * an edge to the root is "allocated here", which self already says */
    if (t->dir == LS_CALLTREE_BOTTOM_UP)
        for (uint32_t k = 0; k < nup; k++)
            if (up[k].name == 0) {
                up[k] = up[--nup];
                break;
            }
    edge_order o = { t, order };
    if (nup > 1)
        qsort_r(up, nup, sizeof *up, edge_cmp, &o);
    if (ndown > 1)
        qsort_r(down, ndown, sizeof *down, edge_cmp, &o);
    bool td = t->dir == LS_CALLTREE_TOP_DOWN;
    out->callers = td ? up : down;
    out->ncallers = td ? nup : ndown;
    out->callees = td ? down : up;
    out->ncallees = td ? ndown : nup;
    return true;
}

void ls_calltree_links_free(ls_calltree_links *l)
{
    free(l->callers);
    free(l->callees);
    memset(l, 0, sizeof *l);
}
