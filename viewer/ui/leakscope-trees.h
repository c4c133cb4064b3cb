/* leakscope-trees.h — the call trees of a time range (calltree.h), off the
 * main thread: both directions at once, for the Flame Graph and the Call
 * Tree panels, which show the same numbers.
 *
 * A tree source holds what a computation needs after the window has let
 * the trace go: a reference to the trace index (which owns the stacks),
 * a copy of the analysis's per-stack values, and a symbol table of its own
 * (sym_table is not thread safe: computations take the source's lock, so
 * one runs at a time). The whole trace's trees come from the analysis's
 * per-stack values and are made once; a range's from the model's range
 * summary (range.h) with its history: every metric exact whatever the
 * range's length, the read cancelled when the selection moves on.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "calltree.h"
#include "range.h"

G_BEGIN_DECLS

typedef struct _LeakscopeTreeSource LeakscopeTreeSource;

/* A source for the trace of `a` (read on this thread only, now). */
LeakscopeTreeSource *leakscope_tree_source_new(const ls_analysis *a);
LeakscopeTreeSource *leakscope_tree_source_ref(LeakscopeTreeSource *s);
void leakscope_tree_source_unref(LeakscopeTreeSource *s);

/* The result: immutable, reference counted, safe to read on any thread. */
typedef struct {
    guint64 t0, t1;            /* the range asked for (0, 0 for the whole trace) */
    gboolean whole;            /* the whole trace */
    ls_calltree *tree[2];      /* [LS_CALLTREE_TOP_DOWN], [LS_CALLTREE_BOTTOM_UP] */
    double seconds;            /* how long the computation took */
    /* A range's summary (its histograms: the sizes and lifetimes of what it
     * made; the blocks it kept) and per-stack values (nuse of them). NULL, 0
     * for the whole trace (the analysis has them). */
    ls_range *range;
    ls_stack_use *use;
    guint32 nuse;
} LeakscopeTrees;

LeakscopeTrees *leakscope_trees_ref(LeakscopeTrees *t);
void leakscope_trees_unref(LeakscopeTrees *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LeakscopeTrees, leakscope_trees_unref)

/* Computes the trees of [t0, t1], or with `whole` of the whole trace (made
 * once and shared: its t0 and t1 are 0), in a GTask thread. */
void leakscope_trees_compute_async(LeakscopeTreeSource *s, gboolean whole, guint64 t0, guint64 t1,
                                   GCancellable *cancellable, GAsyncReadyCallback cb, gpointer data);
/* The trees (unref them), or NULL with error set (G_IO_ERROR_CANCELLED
 * when cancelled). */
LeakscopeTrees *leakscope_trees_compute_finish(GAsyncResult *res, GError **error);

G_END_DECLS
