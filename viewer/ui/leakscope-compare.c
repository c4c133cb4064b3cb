/* leakscope-compare.c — see leakscope-compare.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-compare.h"

#include <string.h>

void leakscope_base_free(LeakscopeBase *b)
{
    if (!b)
        return;
    ls_calltree_free(b->tree);
    sym_table_free(b->syms);
    ls_analysis_free(b->a);
    g_free(b->path);
    g_free(b);
}

static void base_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    (void)cancellable;
    const char *path = data;
    LeakscopeBase *b = g_new0(LeakscopeBase, 1);
    b->path = g_strdup(path);
    trace_error err;
    if (ls_analysis_load(path, &b->a, &err) != TRACE_OK) {
        leakscope_base_free(b);
        /* one line naming the file, whether or not the reader's does */
        if (strstr(err.message, path))
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
        else
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, err.message);
        return;
    }
    /* the symbol table is this thread's until the result is handed over */
    if (!(b->syms = ls_analysis_symbols(b->a)) || !(b->tree = ls_calltree_build(b->a, b->syms, LS_CALLTREE_TOP_DOWN))) {
        leakscope_base_free(b);
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: out of memory", path);
        return;
    }
    if (!g_task_return_error_if_cancelled(task))
        g_task_return_pointer(task, b, (GDestroyNotify)leakscope_base_free);
    else
        leakscope_base_free(b);
}

void leakscope_base_load_async(const char *path, GCancellable *cancellable, GAsyncReadyCallback cb, gpointer data)
{
    GTask *task = g_task_new(NULL, cancellable, cb, data);
    g_task_set_source_tag(task, leakscope_base_load_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, base_thread);
    g_object_unref(task);
}

LeakscopeBase *leakscope_base_load_finish(GAsyncResult *res, GError **error)
{
    return g_task_propagate_pointer(G_TASK(res), error);
}
