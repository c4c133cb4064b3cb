/* leakscope-loader.c — timeline_open_growth (the timeline with its growth
 * suspects) in a GTask thread.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-loader.h"

struct _LeakscopeLoad {
    char *path;
    GCancellable *cancellable; /* may be NULL */
    gint permille;             /* atomic */
};

G_DEFINE_QUARK(leakscope-load-error-quark, leakscope_load_error)

static void load_free(gpointer data)
{
    LeakscopeLoad *load = data;
    g_free(load->path);
    g_clear_object(&load->cancellable);
    g_free(load);
}

static bool on_progress(void *user, uint64_t done, uint64_t total)
{
    LeakscopeLoad *load = user;
    if (total) {
        gint pm = done >= total ? 1000 : (gint)(done * 1000 / total);
        g_atomic_int_set(&load->permille, pm);
    }
    return !g_cancellable_is_cancelled(load->cancellable);
}

static void load_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    LeakscopeLoad *load = task_data;
    timeline *tl = NULL;
    trace_error err;
    trace_status st = timeline_open_growth(load->path, on_progress, load, &tl, &err);
    if (g_task_return_error_if_cancelled(task)) {
        timeline_free(tl);
        return;
    }
    if (st != TRACE_OK) {
        /* err.message is the reader's text: passed on as data, never as a format. */
        g_task_return_new_error(task, LEAKSCOPE_LOAD_ERROR, (int)st, "%s", err.message);
        return;
    }
    g_atomic_int_set(&load->permille, 1000);
    g_task_return_pointer(task, tl, (GDestroyNotify)timeline_free);
}

LeakscopeLoad *leakscope_load_start(const char *path, GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
    LeakscopeLoad *load = g_new0(LeakscopeLoad, 1);
    load->path = g_strdup(path);
    load->cancellable = cancellable ? g_object_ref(cancellable) : NULL;
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, leakscope_load_start);
    g_task_set_task_data(task, load, load_free);
    g_task_set_return_on_cancel(task, FALSE);
    g_task_run_in_thread(task, load_thread);
    g_object_unref(task);
    return load;
}

double leakscope_load_get_fraction(LeakscopeLoad *load)
{
    return g_atomic_int_get(&load->permille) / 1000.0;
}

timeline *leakscope_load_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
