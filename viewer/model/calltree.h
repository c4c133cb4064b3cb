/* calltree.h — the allocations of a whole trace aggregated into a call
 * tree, per metric (bytes and allocations made, temporary allocations,
 * what leaked, what was live at the heap's peak), top-down (from the
 * outermost frame) or bottom-up (from the allocating function), with
 * inclusive and self values. For flame graphs (the CLI) and the viewer.
 * Plain C, no printing.
 *
 * A node is a function, not an address: a stack's return addresses are
 * resolved with their inlined frames (sym_table_resolve) and named by
 * ls_frame_function, so two addresses in one function meet in one node
 * and an inlined function is a node of its own. The tree is built from
 * ls_analysis.stack_use, so it holds at most (stacks x frames) nodes
 * whatever the number of events, and reads no event: the peak's values
 * (ls_stack_use.peak_*) are the analysis's, kept exactly in its one pass
 * (no second pass up to the peak is needed).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_CALLTREE_H
#define LEAKSCOPE_CALLTREE_H

#include "analysis.h"
#include "symbols.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a tree counts. */
typedef enum ls_metric {
    LS_METRIC_ALLOCATED,     /* bytes allocated (allocations and reallocs) */
    LS_METRIC_ALLOCATIONS,   /* allocations made */
    LS_METRIC_TEMPORARY,     /* temporary allocations (ls_stack_use.temporary) */
    LS_METRIC_LEAKED,        /* bytes still live at the end */
    LS_METRIC_LEAKED_BLOCKS, /* blocks still live at the end */
    LS_METRIC_PEAK,          /* bytes live when the heap first reached its peak */
    LS_METRIC_COUNT
} ls_metric;

/* The metric's name as the command line spells it ("allocated",
 * "allocations", "temporary", "leaked", "leaked-blocks", "peak"). */
const char *ls_metric_name(ls_metric m);
/* The metric named `name` (as ls_metric_name spells it): false if none. */
bool ls_metric_parse(const char *name, ls_metric *out);
/* True for the metrics counted in bytes (the others are counts). */
bool ls_metric_is_bytes(ls_metric m);
/* The value of metric m for the allocations of one stack. */
uint64_t ls_stack_use_value(const ls_stack_use *u, ls_metric m);

/* The stack ids of `a` whose value of metric m is not 0, largest first
 * (equal values: the smaller id first), into *out (malloc'd, to free;
 * NULL when there are none). Returns how many, or -1 on out of memory. */
int64_t ls_stacks_ranked(const ls_analysis *a, ls_metric m, uint32_t **out);

typedef enum ls_calltree_dir {
    LS_CALLTREE_TOP_DOWN,    /* root's children: the outermost frames (main, thread starts) */
    LS_CALLTREE_BOTTOM_UP,   /* root's children: the allocating functions, then their callers */
} ls_calltree_dir;

#define LS_CALLTREE_ROOT 0u

typedef struct ls_calltree_node {
    uint32_t name;           /* index into ls_calltree.names; the root's is 0 ("") */
    uint32_t parent;         /* the root's is UINT32_MAX */
    uint32_t depth;          /* the root is 0 */
    uint32_t child0, nchild; /* children: child[child0 .. child0 + nchild), by name (strcmp) */
    /* Inclusive: the stacks whose path (in the tree's direction) passes
     * through this node; self: those whose path ends here (top-down: the
     * function allocated itself; bottom-up: it is the outermost frame).
     * The root's self holds the stacks with no frames. */
    uint64_t incl[LS_METRIC_COUNT], self[LS_METRIC_COUNT];
} ls_calltree_node;

typedef struct ls_calltree {
    ls_calltree_dir dir;
    ls_calltree_node *nodes; /* nodes[LS_CALLTREE_ROOT] is the root, its incl the trace's totals */
    uint32_t nnodes;
    uint32_t *child;         /* node indices, see ls_calltree_node.child0 */
    char **names;            /* valid UTF-8, no control characters (ls_frame_function) */
    uint32_t nnames;
    uint32_t max_depth;      /* of any node */
} ls_calltree;

/* Builds the call tree of every stack of `a` with allocations, in
 * direction `dir`, resolving frames through `syms` (NULL: every frame is
 * named by its address). Stacks whose every metric is 0 are left out.
 * Returns NULL on out of memory. Free with ls_calltree_free. */
ls_calltree *ls_calltree_build(const ls_analysis *a, sym_table *syms, ls_calltree_dir dir);
/* Like ls_calltree_build, from the per-stack values `use` (nuse entries,
 * indexed by stack id; ids past nuse count as 0) instead of a->stack_use:
 * the call tree of a time range (ls_range_stack_use) through the same
 * frames and names. ls_calltree_build is this with a->stack_use. */
ls_calltree *ls_calltree_build_use(const ls_analysis *a, const ls_stack_use *use, uint32_t nuse, sym_table *syms,
                                   ls_calltree_dir dir);
void ls_calltree_free(ls_calltree *t); /* NULL ok */

/* The one rule of "a frame matches what the user typed", for the flame
 * graph's search and the call tree's filter: `needle` is a substring of
 * node i's name, ASCII letters compared without case. An empty needle
 * matches nothing. */
bool ls_calltree_matches(const ls_calltree *t, uint32_t i, const char *needle);

/* What the frames matching `needle` under node `root` (root included) add
 * up to in metric m: each matching node's inclusive value, except under a
 * matching ancestor (so recursion and nested matches count once); the sum
 * never exceeds root's. *matched (may be NULL) gets how many nodes match. */
uint64_t ls_calltree_match_total(const ls_calltree *t, uint32_t root, ls_metric m, const char *needle,
                                 uint32_t *matched);

/* The name id of `name` in t, or UINT32_MAX when no node is called so. */
uint32_t ls_calltree_find_name(const ls_calltree *t, const char *name);

/* One function's neighbours in a tree: its callers or its callees, each
 * with what went through that edge. */
typedef struct ls_calltree_edge {
    uint32_t name;                   /* index into ls_calltree.names; 0 ("") for "no caller": an outermost frame */
    uint64_t value[LS_METRIC_COUNT];
} ls_calltree_edge;

typedef struct ls_calltree_links {
    uint64_t incl[LS_METRIC_COUNT];  /* every stack through the function (counted once under recursion) */
    uint64_t self[LS_METRIC_COUNT];  /* the stacks that allocated in the function itself */
    ls_calltree_edge *callers;       /* largest first in the metric asked for, then by name */
    uint32_t ncallers;
    ls_calltree_edge *callees;
    uint32_t ncallees;
} ls_calltree_links;

/* The callers and callees of function `name` (a name id of t), from the
 * nodes called so that have no ancestor called so: in a top-down tree
 * their parents are the callers and their children the callees, in a
 * bottom-up tree the other way round (the two agree on stacks without
 * recursion; under recursion each counts from its own end). Edges are sorted by metric `order`. False on out of memory
 * (*out zeroed); else free with ls_calltree_links_free. */
bool ls_calltree_links_of(const ls_calltree *t, uint32_t name, ls_metric order, ls_calltree_links *out);
void ls_calltree_links_free(ls_calltree_links *l);

/* The name of node i (never NULL). */
static inline const char *ls_calltree_name(const ls_calltree *t, uint32_t i) { return t->names[t->nodes[i].name]; }

#ifdef __cplusplus
}
#endif
#endif
