/* leakscope-loader.c — the trace's index, its sketch (the first picture,
 * from the chunk summaries) handed to the main thread, then the timeline
 * with its growth suspects read from the events, in a GTask thread.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-loader.h"
#include "trace-index.h"

struct _LeakscopeLoad {
    char *path;
    GCancellable *cancellable; /* may be NULL */
    gint permille;             /* atomic */
    LeakscopeSketchFunc sketch_cb;
    gpointer sketch_user;
    /* the loading thread's */
    GTask *task;               /* borrowed, while load_thread runs */
    bool sketched;             /* a sketch was handed over */
    uint32_t refined;          /* base buckets of it refined so far */
};

typedef struct sketch_handoff {
    LeakscopeLoad *load;       /* borrowed: the task holds it until its callback has run */
    timeline *sketch;          /* one of the two */
    timeline_refinement *refinement;
    GTask *task;               /* a reference, so the handoff cannot outlive load */
} sketch_handoff;

static gboolean sketch_deliver(gpointer data)
{
    sketch_handoff *h = data;
    /* Not once the load's callback has run: its user data may be gone. */
    if (!g_task_get_completed(h->task) && !g_cancellable_is_cancelled(h->load->cancellable))
        h->load->sketch_cb(g_steal_pointer(&h->sketch), g_steal_pointer(&h->refinement), h->load->sketch_user);
    timeline_free(h->sketch);
    timeline_refinement_free(h->refinement);
    g_object_unref(h->task);
    g_free(h);
    return G_SOURCE_REMOVE;
}

static void hand_over(LeakscopeLoad *load, GTask *task, timeline *sketch, timeline_refinement *refinement)
{
    sketch_handoff *h = g_new0(sketch_handoff, 1);
    h->load = load;
    h->sketch = sketch;
    h->refinement = refinement;
    h->task = g_object_ref(task);
    g_main_context_invoke(g_task_get_context(task), sketch_deliver, h);
}

/* The heap read so far, to the window's sketch. */
static void on_partial(void *user, const timeline *building, uint32_t done)
{
    LeakscopeLoad *load = user;
    if (!load->sketched)
        return;
    timeline_refinement *r = timeline_refinement_take(building, load->refined, done);
    if (r) {
        load->refined = timeline_refinement_end(r);
        hand_over(load, load->task, NULL, r);
    }
}

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
    ls_index *idx = NULL;
    /* The first picture from the chunk headers alone (reading the whole
     * file to verify it takes longer than the disk reads a long trace),
     * then the file verified and read. */
    if (load->sketch_cb && ls_index_open_headers(load->path, &idx, &err) == TRACE_OK) {
        timeline *sketch = timeline_open_sketch(idx);
        if (sketch) {
            hand_over(load, task, sketch, NULL);
            load->sketched = true;
        }
        ls_index_unref(idx);
        idx = NULL;
    }
    trace_status st = ls_index_open(load->path, &idx, &err);
    if (st == TRACE_OK) {
        load->task = task;
        st = timeline_open_index(idx, on_progress, on_partial, load, true, &tl, &err);
        load->task = NULL;
    }
    ls_index_unref(idx);
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

LeakscopeLoad *leakscope_load_start(const char *path, GCancellable *cancellable, LeakscopeSketchFunc sketch,
                                    gpointer sketch_user, GAsyncReadyCallback callback, gpointer user_data)
{
    LeakscopeLoad *load = g_new0(LeakscopeLoad, 1);
    load->sketch_cb = sketch;
    load->sketch_user = sketch_user;
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
