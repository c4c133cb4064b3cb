/* leakscope-scan.h — the model's range analysis (range.h), off the main
 * thread: what was allocated in a range and by which call sites (exact,
 * whatever the range's length; cancelled with the query's GCancellable),
 * and the event under a click (with its call stack: at most
 * LEAKSCOPE_SCAN_MAX_EVENTS events are looked at per lookup).
 *
 * A scanner is reference counted, and holds the trace index, so a query
 * running in a thread keeps both alive after the window has gone; queries
 * run at once (each has a cursor of its own).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "trace-index.h"

G_BEGIN_DECLS

#define LEAKSCOPE_SCAN_MAX_EVENTS (4u << 20)
#define LEAKSCOPE_SCAN_TOP 25

typedef struct _LeakscopeScanner LeakscopeScanner;

LeakscopeScanner *leakscope_scanner_new(ls_index *index);
LeakscopeScanner *leakscope_scanner_ref(LeakscopeScanner *s);
void leakscope_scanner_unref(LeakscopeScanner *s);

typedef struct {
    guint32 stack;          /* stack id */
    guint64 bytes, blocks;  /* allocated in the range and still live at its end */
} LeakscopeGrowth;

typedef struct {
    guint64 t0, t1;
    guint64 events;         /* decoded events inside the range */
    guint64 allocations, allocated_bytes;
    guint64 frees;          /* frees and reallocs releasing a block */
    guint64 live_bytes, live_blocks; /* allocated in the range, live at its end */
    GArray *growth;         /* LeakscopeGrowth, most bytes first, at most LEAKSCOPE_SCAN_TOP */
} LeakscopeRangeSummary;

void leakscope_range_summary_free(LeakscopeRangeSummary *s);

/* ls_range_opts.cancelled (range.h) for a GCancellable (NULL: never). */
bool leakscope_range_cancelled(void *cancellable);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LeakscopeRangeSummary, leakscope_range_summary_free)

void leakscope_scanner_summarize_async(LeakscopeScanner *s, guint64 t0, guint64 t1, GCancellable *cancellable,
                                       GAsyncReadyCallback cb, gpointer data);
LeakscopeRangeSummary *leakscope_scanner_summarize_finish(GAsyncResult *res, GError **error);

/* The event nearest to `t` within [lo, hi] whose kind is in `kinds` (bits
 * 1 << TRACE_xxx); with `handle_kind` != 0, only resource events of that
 * string id and `handle`. */
typedef struct {
    guint64 lo, hi, t;
    guint32 kinds;
    guint32 handle_kind;
    guint64 handle;
} LeakscopeEventQuery;

void leakscope_scanner_find_async(LeakscopeScanner *s, const LeakscopeEventQuery *q, GCancellable *cancellable,
                                  GAsyncReadyCallback cb, gpointer data);
/* TRUE with *ev filled (no pointers in it are valid), FALSE with error set
 * (G_IO_ERROR_NOT_FOUND when nothing matched). */
/* What became of a block found by a query for allocations (range.h:
 * ls_range_release_of). */
typedef enum {
    LEAKSCOPE_FATE_NONE,      /* not an allocation */
    LEAKSCOPE_FATE_RELEASED,  /* `release` released it */
    LEAKSCOPE_FATE_LIVE,      /* never released: live at the trace's end */
    LEAKSCOPE_FATE_UNKNOWN,   /* not released within LEAKSCOPE_SCAN_MAX_EVENTS events */
} LeakscopeFateKind;

typedef struct {
    LeakscopeFateKind kind;
    trace_event release;
} LeakscopeFate;

/* The event found; *fate (may be NULL) what became of it, for an allocation. */
gboolean leakscope_scanner_find_finish(GAsyncResult *res, trace_event *ev, LeakscopeFate *fate, GError **error);

/* The heap by call site (site-series.h) of stacks[0 .. n) over [t0, t1],
 * the trace's first and last event: a second analysis pass, in a thread.
 * Finish gives the series (ls_site_series_free it) or NULL with error set. */
void leakscope_scanner_site_series_async(LeakscopeScanner *s, guint64 t0, guint64 t1, const guint32 *stacks, guint n,
                                         GCancellable *cancellable, GAsyncReadyCallback cb, gpointer data);
struct ls_site_series *leakscope_scanner_site_series_finish(GAsyncResult *res, GError **error);

G_END_DECLS
