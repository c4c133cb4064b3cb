/* reach.h — which leaks are real: the classes of the blocks of a heap graph
 * (blocks, the pointers between them, the roots that point into them), as
 * LeakSanitizer and valgrind's memcheck define them, and what holds the
 * reachable ones. Plain C on the model's own graph struct (no trace types),
 * so the rule is tested on constructed graphs and the trace's snapshot
 * (leakclass.h) is only translated into it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_REACH_H
#define LEAKSCOPE_REACH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The classes, real leaks first (the order the report lists them in). */
typedef enum ls_leak_class {
    LS_CLASS_LOST,      /* nothing reachable points to it, and no other unreachable block does */
    LS_CLASS_INDIRECT,  /* unreachable, pointed to from lost blocks (or from a cycle, or from those) */
    LS_CLASS_CYCLE,     /* one of a group of >= 2 unreachable blocks pointing to one another, into
                           which no block outside the group points */
    LS_CLASS_POSSIBLE,  /* reached from a root only through a pointer into some block's interior */
    LS_CLASS_REACHABLE, /* reached from a root through pointers to blocks' starts */
    LS_NCLASSES
} ls_leak_class;

/* "lost", "indirect", "cycle", "possible", "reachable"; "" past the last. */
const char *ls_leak_class_name(ls_leak_class c);

/* True for the classes no pointer the program holds reaches (lost,
 * indirect, cycle): memory it can never free. The one rule of "lost bytes"
 * for `check --max-lost-bytes` and the report. */
bool ls_leak_class_unreachable(ls_leak_class c);

typedef struct ls_graph_edge {
    uint32_t from, to;   /* block indices */
    bool interior;       /* points past the start of `to` */
} ls_graph_edge;

typedef struct ls_graph_root {
    uint32_t holder;     /* what holds the word (a global, a thread's stack, TLS): < nholders */
    uint32_t to;         /* the block it points into */
    bool interior;
} ls_graph_root;

typedef struct ls_heap_graph {
    uint32_t nblocks;
    const uint64_t *size;          /* nblocks */
    uint32_t nedges;
    const ls_graph_edge *edges;    /* any order */
    uint32_t nroots;
    const ls_graph_root *roots;    /* in the order holders should be named: the first root (breadth
                                      first) to reach a block names its holder */
    uint32_t nholders;
} ls_heap_graph;

#define LS_HOLDER_NONE UINT32_MAX       /* not reachable */
#define LS_HOLDER_MANY (UINT32_MAX - 1) /* reached from more than one holder */

typedef struct ls_reach {
    uint32_t nblocks, nholders;
    uint8_t *cls;        /* per block: its ls_leak_class */
    uint32_t *cycle;     /* per block: 1 + its cycle's number for LS_CLASS_CYCLE, else 0 */
    uint32_t *holder;    /* per block: reachable: the holder whose roots reach it first
                            (breadth first, roots in order); else LS_HOLDER_NONE */
    uint32_t *only;      /* per block: reachable: the one holder that reaches it, or
                            LS_HOLDER_MANY; else LS_HOLDER_NONE */
    uint32_t ncycles;
    uint32_t *cycle_size;                /* ncycles: blocks in each cycle */
    uint64_t bytes[LS_NCLASSES], blocks[LS_NCLASSES];
    /* Per holder: the bytes and blocks it alone keeps alive (reachable from
     * its roots and from no other holder's: what freeing it would free). */
    uint64_t *retained_bytes, *retained_blocks;
} ls_reach;

/* Classifies every block of g. Edges and roots naming a block (or holder)
 * out of range are ignored (the graph comes from an untrusted file), so any
 * input gives an answer; time and memory O(blocks + edges + roots + holders),
 * no recursion. NULL on out of memory. */
ls_reach *ls_reach_classify(const ls_heap_graph *g);
void ls_reach_free(ls_reach *r); /* NULL ok */

#ifdef __cplusplus
}
#endif
#endif
