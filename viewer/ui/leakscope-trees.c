/* leakscope-trees.c — see leakscope-trees.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-trees.h"
#include "leakscope-scan.h"
#include "range.h"

#include <string.h>

struct _LeakscopeTreeSource {
    GMutex lock;            /* held by a computation from start to end */
    /* The parts of the analysis the index owns (dictionaries), which live
     * as long as the reference to it: what ls_calltree_build_use reads. */
    ls_analysis stacks;
    ls_stack_use *use;      /* the whole trace's, copied */
    uint32_t nuse;
    sym_table *syms;
    LeakscopeTrees *whole;  /* made on first request, under the lock */
};

LeakscopeTreeSource *leakscope_tree_source_new(const ls_analysis *a)
{
    LeakscopeTreeSource *s = g_atomic_rc_box_new0(LeakscopeTreeSource);
    g_mutex_init(&s->lock);
    s->stacks.strings = a->strings;
    s->stacks.nstrings = a->nstrings;
    s->stacks.stacks = a->stacks;
    s->stacks.nstacks = a->nstacks;
    s->stacks.modules = a->modules;
    s->stacks.nmodules = a->nmodules;
    s->stacks.index = ls_index_ref(a->index);
    if (a->stack_use) {
        s->use = g_memdup2(a->stack_use, (gsize)a->nstacks * sizeof *a->stack_use);
        s->nuse = a->nstacks;
    }
    s->syms = ls_analysis_symbols(a);
    return s;
}

LeakscopeTreeSource *leakscope_tree_source_ref(LeakscopeTreeSource *s)
{
    return g_atomic_rc_box_acquire(s);
}

static void source_clear(gpointer data)
{
    LeakscopeTreeSource *s = data;
    g_clear_pointer(&s->whole, leakscope_trees_unref);
    sym_table_free(s->syms);
    g_free(s->use);
    ls_index_unref(s->stacks.index);
    g_mutex_clear(&s->lock);
}

void leakscope_tree_source_unref(LeakscopeTreeSource *s)
{
    g_atomic_rc_box_release_full(s, source_clear);
}

static void trees_clear(gpointer data)
{
    LeakscopeTrees *t = data;
    ls_calltree_free(t->tree[0]);
    ls_calltree_free(t->tree[1]);
    ls_range_free(t->range);
    free(t->use);
}

LeakscopeTrees *leakscope_trees_ref(LeakscopeTrees *t)
{
    return g_atomic_rc_box_acquire(t);
}

void leakscope_trees_unref(LeakscopeTrees *t)
{
    g_atomic_rc_box_release_full(t, trees_clear);
}

typedef struct {
    LeakscopeTreeSource *s;
    gboolean whole;
    guint64 t0, t1;
} trees_job;

static void trees_job_free(gpointer data)
{
    trees_job *j = data;
    leakscope_tree_source_unref(j->s);
    g_free(j);
}

/* Both directions from per-stack values; NULL on out of memory. */
static LeakscopeTrees *build(LeakscopeTreeSource *s, const ls_stack_use *use, uint32_t nuse)
{
    LeakscopeTrees *t = g_atomic_rc_box_new0(LeakscopeTrees);
    for (int d = 0; d < 2; d++)
        t->tree[d] = ls_calltree_build_use(&s->stacks, use, nuse, s->syms, (ls_calltree_dir)d);
    if (!t->tree[0] || !t->tree[1]) {
        leakscope_trees_unref(t);
        return NULL;
    }
    return t;
}

static void trees_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    trees_job *j = data;
    LeakscopeTreeSource *s = j->s;
    gint64 start = g_get_monotonic_time();
    g_mutex_lock(&s->lock);
    if (g_cancellable_is_cancelled(cancellable)) {
        g_mutex_unlock(&s->lock);
        g_task_return_error_if_cancelled(task);
        return;
    }
    LeakscopeTrees *t = NULL;
    if (j->whole) {
        if (!s->whole && (s->whole = build(s, s->use, s->nuse))) {
            s->whole->whole = TRUE;
            s->whole->seconds = (double)(g_get_monotonic_time() - start) / 1e6;
        }
        t = s->whole ? leakscope_trees_ref(s->whole) : NULL;
        g_mutex_unlock(&s->lock);
        if (!t)
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory building the call trees");
        else
            g_task_return_pointer(task, t, (GDestroyNotify)leakscope_trees_unref);
        return;
    }
    g_mutex_unlock(&s->lock); /* the range is read outside it: the lock is for the symbols */
    /* Exact whatever the range's length: every event from the trace's start
     * (the history: the sizes of older blocks, the peak's), memory bounded
     * by the live blocks, not the events; a new selection cancels it. */
    ls_range *r = NULL;
    trace_error err;
    ls_range_opts opts = { .history = TRUE, .cancelled = leakscope_range_cancelled, .user = cancellable };
    trace_status st = ls_range_summarize(s->stacks.index, j->t0, j->t1, &opts, &r, &err);
    ls_stack_use *use = st == TRACE_OK ? ls_range_stack_use(r, s->stacks.nstacks) : NULL;
    if (use && !g_cancellable_is_cancelled(cancellable)) {
        g_mutex_lock(&s->lock);
        t = build(s, use, s->stacks.nstacks);
        g_mutex_unlock(&s->lock);
    }
    if (t) { /* the Sizes and Lifetimes panel follows the selection too */
        t->seconds = (double)(g_get_monotonic_time() - start) / 1e6;
        t->range = r;
        r = NULL;
        t->use = use;
        use = NULL;
        t->nuse = s->stacks.nstacks;
    }
    free(use);
    ls_range_free(r);
    if (g_task_return_error_if_cancelled(task)) {
        g_clear_pointer(&t, leakscope_trees_unref);
    } else if (st != TRACE_OK) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
    } else if (!t) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory building the call trees");
    } else {
        t->t0 = j->t0;
        t->t1 = j->t1;
        g_task_return_pointer(task, t, (GDestroyNotify)leakscope_trees_unref);
    }
}

void leakscope_trees_compute_async(LeakscopeTreeSource *s, gboolean whole, guint64 t0, guint64 t1,
                                   GCancellable *cancellable, GAsyncReadyCallback cb, gpointer data)
{
    GTask *task = g_task_new(NULL, cancellable, cb, data);
    g_task_set_source_tag(task, leakscope_trees_compute_async);
    trees_job *j = g_new0(trees_job, 1);
    j->s = leakscope_tree_source_ref(s);
    j->whole = whole;
    j->t0 = t0;
    j->t1 = t1;
    g_task_set_task_data(task, j, trees_job_free);
    g_task_run_in_thread(task, trees_thread);
    g_object_unref(task);
}

LeakscopeTrees *leakscope_trees_compute_finish(GAsyncResult *res, GError **error)
{
    return g_task_propagate_pointer(G_TASK(res), error);
}
