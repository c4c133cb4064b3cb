/* leakscope-loader.h — opens a trace off the main thread: the timeline
 * summary and the analysis are built in a GTask thread, with progress the
 * window polls and cancellation through a GCancellable.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "timeline.h"

G_BEGIN_DECLS

#define LEAKSCOPE_LOAD_ERROR (leakscope_load_error_quark())
GQuark leakscope_load_error_quark(void);

/* Codes: the trace_status of the failed open (TRACE_ERR_*). Cancelling gives
 * G_IO_ERROR_CANCELLED instead. */

typedef struct _LeakscopeLoad LeakscopeLoad;

/* The sketch of the trace (timeline_open_sketch: a first picture from the
 * chunk summaries, before its events are read), then refinements of it
 * (the heap read so far: timeline_sketch_refine), one non-NULL per call,
 * each owned by the function from then on; on the calling thread's main
 * context, before the load's callback, never once the load was cancelled. */
typedef void (*LeakscopeSketchFunc)(timeline *sketch, timeline_refinement *refinement, gpointer user_data);

/* Starts loading `path`; `sketch` (may be NULL) gets its first picture. `callback` runs on the calling thread's main
 * context when done; finish with leakscope_load_finish. The returned handle
 * is valid until the callback returns and tells the progress. */
LeakscopeLoad *leakscope_load_start(const char *path, GCancellable *cancellable, LeakscopeSketchFunc sketch,
                                    gpointer sketch_user, GAsyncReadyCallback callback, gpointer user_data);

/* 0..1, from the loading thread; safe to call from the main thread. */
double leakscope_load_get_fraction(LeakscopeLoad *load);

/* The timeline (free with timeline_free), or NULL with error set. */
timeline *leakscope_load_finish(GAsyncResult *result, GError **error);

G_END_DECLS
