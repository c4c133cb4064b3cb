/* leakclass.h — which leaks are real, for a trace with a heap snapshot
 * (FORMAT.md §4.4): the trace's last snapshot translated into reach.h's
 * graph (its blocks joined by address to the analysis' blocks live at the
 * end, for their stacks; its roots named: the global variable, the thread's
 * stack, thread-local storage), classified, and summed by call stack and
 * class, by cycle and by the global that alone keeps bytes alive. One model
 * for the report, check and the viewer. Plain C, no GLib.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_LEAKCLASS_H
#define LEAKSCOPE_LEAKCLASS_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis.h"
#include "reach.h"
#include "symbols.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A leak the snapshot does not hold: allocated after it was taken. The
 * class after reach.h's (groups of this class have no verdict). */
#define LS_CLASS_UNSCANNED LS_NCLASSES

typedef enum ls_holder_kind {
    LS_HOLDER_GLOBAL, /* a word of a module's writable segment */
    LS_HOLDER_TLS,    /* a word of a thread's static thread-local storage */
    LS_HOLDER_STACK,  /* a word of a thread's stack */
    LS_HOLDER_MAPPED, /* a word of anonymous memory the program mapped itself (FORMAT.md §4.4) */
} ls_holder_kind;

/* What holds reachable memory: one per global variable (or per module for
 * words no symbol covers), per thread's TLS, per thread's stack, per
 * region the program mapped. */
typedef struct ls_holder {
    ls_holder_kind kind;
    uint32_t thread;         /* TLS, STACK: the OS thread id */
    const char *symbol;      /* GLOBAL: the variable, "??" when no symbol covers the word */
    const char *file;        /* GLOBAL: where it is defined, NULL unknown */
    int line;
    const char *module;      /* GLOBAL: its module's path ("??" unknown) */
    uint64_t offset;         /* GLOBAL: the symbol's (else the first word's) offset from the module's bias;
                                MAPPED: the region's start */
    uint64_t size;           /* MAPPED: the region's bytes */
    uint64_t retained_bytes, retained_blocks; /* what it alone keeps alive (reach.h) */
} ls_holder;

/* The leaks of one call stack in one class. */
typedef struct ls_class_group {
    uint32_t stack;
    uint32_t cls;            /* ls_leak_class, or LS_CLASS_UNSCANNED */
    uint64_t bytes, blocks;
    uint32_t holder;         /* reachable: the holder that reaches most of its bytes first (index
                                into holders); else LS_HOLDER_NONE */
} ls_class_group;

/* A cycle: unreachable blocks that point to one another. */
typedef struct ls_cycle {
    uint32_t members;
    uint64_t bytes;
    uint32_t *stacks;        /* the distinct stacks that allocated its members, ascending */
    uint32_t nstacks;
} ls_cycle;

typedef struct ls_leak_classes {
    uint32_t snapshot;       /* the snapshot classified: index into the index's snapshots (the last) */
    char label[TRACE_HEAP_LABEL_MAX + 1]; /* its label (untrusted text) */
    uint64_t ts;             /* its time (trace timestamp) */
    /* The snapshot may call a block lost that is not (FORMAT.md §4.4's flags,
     * or memory that could not be read): the report says so. */
    bool uncertain;
    uint32_t flags;
    uint64_t unreadable;
    /* Threads other than the one that took the snapshot, whose stacks it
     * scanned: they were running while the heap was read, so a block one of
     * them held only in a register, or had just made, looks lost. */
    uint32_t running_threads;
    /* Words of the C library's data that point into a block only as its
     * allocator's own bookkeeping (the header of the chunk after it), left
     * out of the classification. */
    uint32_t allocator_pointers;
    /* Of the leaks (the blocks live at the end): bytes and blocks by class;
     * [LS_CLASS_UNSCANNED] the leaks made after the snapshot. They sum to
     * the analysis' leaked_bytes and leaked_blocks. */
    uint64_t bytes[LS_NCLASSES + 1], blocks[LS_NCLASSES + 1];
    uint32_t ncycles;
    ls_cycle *cycles;        /* ncycles, most bytes first */
    ls_class_group *groups;  /* by class (lost first, unscanned last), then most bytes */
    uint32_t ngroups;
    ls_holder *holders;
    uint32_t nholders;
    uint32_t *globals;       /* GLOBAL holders that alone keep bytes alive, most first */
    uint32_t nglobals;
} ls_leak_classes;

/* Classifies the last heap snapshot of a's trace. syms (ls_analysis_symbols)
 * names the globals and may be NULL (then every global is "??"); the
 * result's strings are syms' and live as long as it. OK with *out NULL when
 * the trace has no snapshot (a crash, SIGKILL, --no-scan); OK with *out set
 * (ls_leak_classes_free it); or the snapshot's error (a damaged chunk is
 * not listed, so this is out of memory or a read error) with *err filled. */
trace_status ls_leak_classes_build(const ls_analysis *a, sym_table *syms, ls_leak_classes **out, trace_error *err);
void ls_leak_classes_free(ls_leak_classes *c); /* NULL ok */

/* What the report calls a holder: "NAME (FILE:LINE)" or "NAME" for a
 * global ("data of MODULE+0xOFF" without a symbol), "stack of thread NAME"
 * (its tid when unnamed), "thread-local storage". Control characters are
 * not escaped (the caller's output does). Writes into buf and returns it. */
const char *ls_holder_name(const ls_analysis *a, const ls_holder *h, char *buf, size_t len);

/* The class's name (ls_leak_class_name), "unscanned" for LS_CLASS_UNSCANNED. */
const char *ls_class_group_name(uint32_t cls);

/* Bytes no pointer reaches any more: lost + indirect + cycle (ls_leak_class_unreachable). */
uint64_t ls_leak_classes_lost_bytes(const ls_leak_classes *c);

#ifdef __cplusplus
}
#endif
#endif
