/* leakscope-scan.c — the viewer's range summaries and event lookup, off the
 * main thread: thin GTask wrappers over the model's range analysis
 * (range.h) on the trace's index, which each query holds a reference to.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-scan.h"
#include "range.h"
#include "site-series.h"

#include <stdlib.h>
#include <string.h>

struct _LeakscopeScanner {
    ls_index *index;
};

LeakscopeScanner *leakscope_scanner_new(ls_index *index)
{
    LeakscopeScanner *s = g_atomic_rc_box_new0(LeakscopeScanner);
    s->index = ls_index_ref(index);
    return s;
}

LeakscopeScanner *leakscope_scanner_ref(LeakscopeScanner *s)
{
    return g_atomic_rc_box_acquire(s);
}

static void scanner_clear(gpointer data)
{
    LeakscopeScanner *s = data;
    ls_index_unref(s->index);
}

void leakscope_scanner_unref(LeakscopeScanner *s)
{
    g_atomic_rc_box_release_full(s, scanner_clear);
}

/* ---- range summary ---- */

void leakscope_range_summary_free(LeakscopeRangeSummary *s)
{
    if (!s)
        return;
    if (s->growth)
        g_array_unref(s->growth);
    g_free(s);
}

typedef struct {
    LeakscopeScanner *s;
    guint64 t0, t1;
    LeakscopeEventQuery q;
    guint32 stacks[LS_SITE_SERIES_MAX];
    guint nstacks;
} scan_job;

static void scan_job_free(gpointer data)
{
    scan_job *j = data;
    leakscope_scanner_unref(j->s);
    g_free(j);
}

bool leakscope_range_cancelled(void *cancellable)
{
    return g_cancellable_is_cancelled(cancellable);
}

static void summarize_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    scan_job *j = data;
    ls_range *r = NULL;
    trace_error err;
    ls_range_opts opts = { .cancelled = leakscope_range_cancelled, .user = cancellable };
    if (ls_range_summarize(j->s->index, j->t0, j->t1, &opts, &r, &err) != TRACE_OK) {
        if (!g_task_return_error_if_cancelled(task))
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
        return;
    }
    LeakscopeRangeSummary *out = g_new0(LeakscopeRangeSummary, 1);
    out->t0 = r->t0;
    out->t1 = r->t1;
    out->events = r->events;
    out->allocations = r->allocations;
    out->allocated_bytes = r->allocated_bytes;
    out->frees = r->frees;
    out->live_bytes = r->live_bytes;
    out->live_blocks = r->live_blocks;
    out->growth = g_array_new(FALSE, FALSE, sizeof(LeakscopeGrowth));
    for (uint32_t i = 0; i < r->nsites && out->growth->len < LEAKSCOPE_SCAN_TOP; i++) {
        if (!r->sites[i].live_blocks)
            break; /* sorted by live bytes: the rest kept nothing */
        LeakscopeGrowth g = { r->sites[i].stack, r->sites[i].live_bytes, r->sites[i].live_blocks };
        g_array_append_val(out->growth, g);
    }
    ls_range_free(r);
    g_task_return_pointer(task, out, (GDestroyNotify)leakscope_range_summary_free);
}

void leakscope_scanner_summarize_async(LeakscopeScanner *s, guint64 t0, guint64 t1, GCancellable *cancellable,
                                       GAsyncReadyCallback cb, gpointer data)
{
    scan_job *j = g_new0(scan_job, 1);
    j->s = leakscope_scanner_ref(s);
    j->t0 = t0;
    j->t1 = t1;
    GTask *task = g_task_new(NULL, cancellable, cb, data);
    g_task_set_source_tag(task, leakscope_scanner_summarize_async);
    g_task_set_task_data(task, j, scan_job_free);
    g_task_run_in_thread(task, summarize_thread);
    g_object_unref(task);
}

LeakscopeRangeSummary *leakscope_scanner_summarize_finish(GAsyncResult *res, GError **error)
{
    return g_task_propagate_pointer(G_TASK(res), error);
}

/* ---- the event under a click ---- */

typedef struct {
    trace_event ev;
    LeakscopeFate fate;
} found;

static void find_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    (void)cancellable;
    scan_job *j = data;
    const LeakscopeEventQuery *q = &j->q;
    trace_event ev;
    trace_error err;
    trace_status st = ls_range_nearest(j->s->index, q->lo, q->hi, q->t, q->kinds, q->handle_kind, q->handle,
                                       LEAKSCOPE_SCAN_MAX_EVENTS, &ev, &err);
    if (st == TRACE_END) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no event there");
        return;
    }
    if (st != TRACE_OK) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
        return;
    }
    found *f = g_new0(found, 1);
    f->ev = ev;
    if (ev.kind == TRACE_ALLOC || ev.kind == TRACE_REALLOC) {
        st = ls_range_release_of(j->s->index, &ev, LEAKSCOPE_SCAN_MAX_EVENTS, &f->fate.release, &err);
        f->fate.kind = st == TRACE_OK ? LEAKSCOPE_FATE_RELEASED : st == TRACE_END ? LEAKSCOPE_FATE_LIVE
                                                                                  : LEAKSCOPE_FATE_UNKNOWN;
    }
    g_task_return_pointer(task, f, g_free);
}

void leakscope_scanner_find_async(LeakscopeScanner *s, const LeakscopeEventQuery *q, GCancellable *cancellable,
                                  GAsyncReadyCallback cb, gpointer data)
{
    scan_job *j = g_new0(scan_job, 1);
    j->s = leakscope_scanner_ref(s);
    j->q = *q;
    GTask *task = g_task_new(NULL, cancellable, cb, data);
    g_task_set_source_tag(task, leakscope_scanner_find_async);
    g_task_set_task_data(task, j, scan_job_free);
    g_task_run_in_thread(task, find_thread);
    g_object_unref(task);
}

gboolean leakscope_scanner_find_finish(GAsyncResult *res, trace_event *ev, LeakscopeFate *fate, GError **error)
{
    found *f = g_task_propagate_pointer(G_TASK(res), error);
    if (!f)
        return FALSE;
    *ev = f->ev;
    if (fate)
        *fate = f->fate;
    g_free(f);
    return TRUE;
}

/* ---- the heap by call site ---- */

static bool site_series_stop(void *cancellable)
{
    return g_cancellable_is_cancelled(cancellable);
}

static void site_series_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    scan_job *j = data;
    ls_site_series *out;
    trace_error err;
    if (ls_site_series_build(j->s->index, j->t0, j->t1, j->stacks, j->nstacks, cancellable ? site_series_stop : NULL,
                             cancellable, &out, &err) != TRACE_OK) {
        if (!g_task_return_error_if_cancelled(task))
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
        return;
    }
    g_task_return_pointer(task, out, (GDestroyNotify)ls_site_series_free);
}

void leakscope_scanner_site_series_async(LeakscopeScanner *s, guint64 t0, guint64 t1, const guint32 *stacks, guint n,
                                         GCancellable *cancellable, GAsyncReadyCallback cb, gpointer data)
{
    scan_job *j = g_new0(scan_job, 1);
    j->s = leakscope_scanner_ref(s);
    j->t0 = t0;
    j->t1 = t1;
    j->nstacks = MIN(n, LS_SITE_SERIES_MAX);
    memcpy(j->stacks, stacks, j->nstacks * sizeof *stacks);
    GTask *task = g_task_new(NULL, cancellable, cb, data);
    g_task_set_source_tag(task, leakscope_scanner_site_series_async);
    g_task_set_task_data(task, j, scan_job_free);
    g_task_run_in_thread(task, site_series_thread);
    g_object_unref(task);
}

struct ls_site_series *leakscope_scanner_site_series_finish(GAsyncResult *res, GError **error)
{
    return g_task_propagate_pointer(G_TASK(res), error);
}
