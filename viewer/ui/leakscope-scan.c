/* leakscope-scan.c — range summaries and event lookup by decoding chunks.
 *
 * A fresh reader must see the dictionary chunks (in file order) before event
 * chunks that use their ids, so the first query walks every chunk header,
 * loads the dictionaries and remembers the event chunks; later queries load
 * only the event chunks overlapping their range.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-scan.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

struct _LeakscopeScanner {
    GMutex lock;
    char *path;
    trace_reader *reader;   /* NULL until prepared */
    GArray *chunks;         /* trace_chunk_info of event chunks, file order */
    trace_chunk *chunk;
    GError *prepare_error;  /* a failed preparation, reported to every query */
};

static void scanner_clear(gpointer data)
{
    LeakscopeScanner *s = data;
    trace_chunk_free(s->chunk);
    trace_reader_close(s->reader);
    if (s->chunks)
        g_array_unref(s->chunks);
    g_clear_error(&s->prepare_error);
    g_free(s->path);
    g_mutex_clear(&s->lock);
}

LeakscopeScanner *leakscope_scanner_new(const char *path)
{
    LeakscopeScanner *s = g_atomic_rc_box_new0(LeakscopeScanner);
    g_mutex_init(&s->lock);
    s->path = g_strdup(path);
    return s;
}

LeakscopeScanner *leakscope_scanner_ref(LeakscopeScanner *s)
{
    return g_atomic_rc_box_acquire(s);
}

void leakscope_scanner_unref(LeakscopeScanner *s)
{
    g_atomic_rc_box_release_full(s, scanner_clear);
}

/* Under the lock. */
static gboolean scanner_prepare(LeakscopeScanner *s, GError **error)
{
    if (s->reader)
        return TRUE;
    if (s->prepare_error) {
        g_propagate_error(error, g_error_copy(s->prepare_error));
        return FALSE;
    }
    trace_error err;
    trace_reader *r = NULL;
    if (trace_reader_open(s->path, &r, &err) != TRACE_OK) {
        g_set_error(&s->prepare_error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.message);
        g_propagate_error(error, g_error_copy(s->prepare_error));
        return FALSE;
    }
    GArray *chunks = g_array_new(FALSE, FALSE, sizeof(trace_chunk_info));
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    trace_status st;
    while (c && (st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
        if (ci.kind == TRACE_CHUNK_EVENTS) {
            g_array_append_val(chunks, ci);
        } else if (ci.kind == TRACE_CHUNK_DICT) {
            trace_event ev;
            if (trace_chunk_load(c, r, &ci) != TRACE_OK)
                break; /* the analysis stopped here too: what came before stays usable */
            while (trace_chunk_next(c, &ev) == TRACE_OK)
                ;
        }
    }
    if (!c) {
        g_array_unref(chunks);
        trace_reader_close(r);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return FALSE;
    }
    s->reader = r;
    s->chunks = chunks;
    s->chunk = c;
    return TRUE;
}

/* Under the lock: the events of [lo, hi] in the one order (merge.h), at
 * most max. When there are more, *partial is set and the events kept are
 * all those before the timestamp where they were cut. */
static GArray *scanner_collect(LeakscopeScanner *s, guint64 lo, guint64 hi, guint32 max, gboolean *partial,
                               GCancellable *cancellable, GError **error)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(trace_event));
    *partial = FALSE;
    ls_merge *m = ls_merge_new(s->reader, (const trace_chunk_info *)(void *)s->chunks->data, s->chunks->len, lo, hi);
    if (!m) {
        g_array_unref(out);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    trace_event ev;
    trace_status st;
    while ((st = ls_merge_next(m, &ev)) == TRACE_OK) {
        if (out->len % 4096 == 0 && g_cancellable_set_error_if_cancelled(cancellable, error)) {
            ls_merge_free(m);
            g_array_unref(out);
            return NULL;
        }
        if (out->len >= max) {
            guint64 cut = g_array_index(out, trace_event, out->len - 1).ts;
            while (out->len && g_array_index(out, trace_event, out->len - 1).ts == cut)
                g_array_set_size(out, out->len - 1);
            *partial = TRUE;
            break;
        }
        ev.data = ev.data2 = NULL;
        ev.frames = NULL;
        g_array_append_val(out, ev);
    }
    ls_merge_free(m);
    if (st != TRACE_OK && st != TRACE_END) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", trace_reader_error(s->reader)->message);
        g_array_unref(out);
        return NULL;
    }
    return out;
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
    guint32 stack;
    guint64 size;
} live_block;

static int growth_cmp(const void *pa, const void *pb)
{
    const LeakscopeGrowth *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return a->blocks > b->blocks ? -1 : a->blocks < b->blocks;
}

static LeakscopeRangeSummary *summarize(GArray *evs, guint64 t0, guint64 t1)
{
    LeakscopeRangeSummary *r = g_new0(LeakscopeRangeSummary, 1);
    r->t0 = t0;
    r->t1 = t1;
    r->events = evs->len;
    GHashTable *live = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    for (guint i = 0; i < evs->len; i++) {
        const trace_event *ev = &g_array_index(evs, trace_event, i);
        guint64 freed_addr = 0, new_addr = 0;
        if (ev->kind == TRACE_FREE) {
            freed_addr = ev->addr;
            r->frees++;
        } else if (ev->kind == TRACE_REALLOC) {
            freed_addr = ev->addr;
            new_addr = ev->addr2;
            if (ev->addr)
                r->frees++;
        } else if (ev->kind == TRACE_ALLOC) {
            new_addr = ev->addr;
        } else {
            continue;
        }
        if (freed_addr)
            g_hash_table_remove(live, &freed_addr);
        if (ev->kind != TRACE_FREE && new_addr) {
            r->allocations++;
            r->allocated_bytes += ev->size;
            gint64 *key = g_new(gint64, 1);
            *key = (gint64)new_addr;
            live_block *b = g_new(live_block, 1);
            *b = (live_block){ (guint32)ev->stack, ev->size };
            g_hash_table_replace(live, key, b);
        }
    }
    /* what is still live, by call stack */
    GHashTable *by_stack = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, live);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const live_block *b = v;
        LeakscopeGrowth *g = g_hash_table_lookup(by_stack, GUINT_TO_POINTER(b->stack + 1));
        if (!g) {
            g = g_new0(LeakscopeGrowth, 1);
            g->stack = b->stack;
            g_hash_table_insert(by_stack, GUINT_TO_POINTER(b->stack + 1), g);
        }
        g->bytes += b->size;
        g->blocks++;
        r->live_bytes += b->size;
        r->live_blocks++;
    }
    GArray *all = g_array_new(FALSE, FALSE, sizeof(LeakscopeGrowth));
    g_hash_table_iter_init(&it, by_stack);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_array_append_vals(all, v, 1);
    qsort(all->data, all->len, sizeof(LeakscopeGrowth), growth_cmp);
    if (all->len > LEAKSCOPE_SCAN_TOP)
        g_array_set_size(all, LEAKSCOPE_SCAN_TOP);
    r->growth = all;
    g_hash_table_unref(by_stack);
    g_hash_table_unref(live);
    return r;
}

typedef struct {
    LeakscopeScanner *s;
    guint64 t0, t1;
    LeakscopeEventQuery q;
} scan_job;

static void scan_job_free(gpointer data)
{
    scan_job *j = data;
    leakscope_scanner_unref(j->s);
    g_free(j);
}

static void summarize_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    scan_job *j = data;
    GError *error = NULL;
    gboolean partial = FALSE;
    GArray *evs = NULL;
    g_mutex_lock(&j->s->lock);
    if (scanner_prepare(j->s, &error))
        evs = scanner_collect(j->s, j->t0, j->t1, LEAKSCOPE_SCAN_MAX_EVENTS, &partial, cancellable, &error);
    g_mutex_unlock(&j->s->lock);
    if (!evs) {
        g_task_return_error(task, error);
        return;
    }
    guint64 end = j->t1;
    if (partial) /* what was taken: every event up to the last one's time */
        end = evs->len ? g_array_index(evs, trace_event, evs->len - 1).ts : j->t0;
    LeakscopeRangeSummary *r = summarize(evs, j->t0, end);
    r->partial = partial;
    r->partial_end = end;
    r->t1 = j->t1;
    g_array_unref(evs);
    g_task_return_pointer(task, r, (GDestroyNotify)leakscope_range_summary_free);
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

static void find_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancellable)
{
    (void)src;
    scan_job *j = data;
    const LeakscopeEventQuery *q = &j->q;
    GError *error = NULL;
    gboolean partial = FALSE;
    GArray *evs = NULL;
    g_mutex_lock(&j->s->lock);
    if (scanner_prepare(j->s, &error))
        evs = scanner_collect(j->s, q->lo, q->hi, LEAKSCOPE_SCAN_MAX_EVENTS, &partial, cancellable, &error);
    g_mutex_unlock(&j->s->lock);
    if (!evs) {
        g_task_return_error(task, error);
        return;
    }
    const trace_event *best = NULL;
    guint64 best_d = G_MAXUINT64;
    for (guint i = 0; i < evs->len; i++) {
        const trace_event *ev = &g_array_index(evs, trace_event, i);
        if (ev->kind >= 32 || !(q->kinds & (1u << ev->kind)))
            continue;
        if (q->handle_kind && (ev->str != q->handle_kind || ev->value != q->handle))
            continue;
        guint64 d = ev->ts > q->t ? ev->ts - q->t : q->t - ev->ts;
        if (d < best_d) {
            best_d = d;
            best = ev;
        }
    }
    if (!best) {
        g_array_unref(evs);
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no event there");
        return;
    }
    trace_event *copy = g_new(trace_event, 1);
    *copy = *best;
    g_array_unref(evs);
    g_task_return_pointer(task, copy, g_free);
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

gboolean leakscope_scanner_find_finish(GAsyncResult *res, trace_event *ev, GError **error)
{
    trace_event *found = g_task_propagate_pointer(G_TASK(res), error);
    if (!found)
        return FALSE;
    *ev = *found;
    g_free(found);
    return TRUE;
}
