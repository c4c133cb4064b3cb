/* leakscope-timeline.h — the timeline widget: every track on one time axis,
 * drawn by render_view on the widget's snapshot (the PNG export draws the
 * same picture). Zoom (ctrl+scroll, pinch, +/-), pan (drag, scroll, arrow
 * keys), zoom to fit, range selection (shift+drag or select mode) and zoom to
 * it; tooltips and clicks on the event under the pointer.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "render.h"
#include "timeline.h"

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_TIMELINE (leakscope_timeline_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeTimeline, leakscope_timeline, LEAKSCOPE, TIMELINE, GtkWidget)

/* What is under a pixel: render's own hit test (render.h). */
typedef render_hit LeakscopeTimelineHit;

GtkWidget *leakscope_timeline_new(void);

/* The render theme that matches widget w's colours (a light foreground:
 * dark), for every widget that draws through render/. */
render_theme leakscope_widget_render_theme(GtkWidget *w);

/* The timeline to draw (borrowed: the caller keeps it alive until it sets
 * another one or NULL). Resets the view to the whole trace. */
void leakscope_timeline_set_timeline(LeakscopeTimeline *self, timeline *tl);

/* Visible range, ns on the trace's clock. set_range clamps to the trace. */
void leakscope_timeline_get_range(LeakscopeTimeline *self, guint64 *t0, guint64 *t1);
void leakscope_timeline_set_range(LeakscopeTimeline *self, guint64 t0, guint64 t1);

/* The heap by call site (borrowed, like the timeline: valid until set
 * again or the timeline changes): its first `bands` stacks stacked, named
 * by names[0 .. bands). NULL: no such track. Clears the selected sites. */
void leakscope_timeline_set_sites(LeakscopeTimeline *self, const ls_site_series *sites, guint bands,
                                  const char *const *names);
/* The series (bits) whose live bytes are drawn over the heap: a selected call site. */
void leakscope_timeline_set_site_selected(LeakscopeTimeline *self, guint64 mask);

/* The selected range; FALSE when there is none. */
gboolean leakscope_timeline_get_selection(LeakscopeTimeline *self, guint64 *t0, guint64 *t1);
void leakscope_timeline_set_selection(LeakscopeTimeline *self, guint64 t0, guint64 t1);

/* Zoom by `factor` (< 1 zooms in) keeping the time at widget x in place
 * (x < 0: the centre). Pan by a fraction of the visible span (> 0: later). */
void leakscope_timeline_zoom(LeakscopeTimeline *self, double factor, double x);
void leakscope_timeline_pan(LeakscopeTimeline *self, double fraction);
void leakscope_timeline_zoom_fit(LeakscopeTimeline *self);

/* render_track bits shown (0 = all). */
void leakscope_timeline_set_tracks(LeakscopeTimeline *self, guint32 tracks);
guint32 leakscope_timeline_get_tracks(LeakscopeTimeline *self);

/* Heap axis from zero even when zoomed in (default FALSE: zoomed in, it
 * fits the heap in view). */
void leakscope_timeline_set_heap_zero_based(LeakscopeTimeline *self, gboolean zero_based);
gboolean leakscope_timeline_get_heap_zero_based(LeakscopeTimeline *self);

/* The pointer at widget (x, y); x < 0: gone. What the motion controller
 * calls; emits "hover-changed". */
void leakscope_timeline_set_hover(LeakscopeTimeline *self, double x, double y);
/* The pointer's position; FALSE when it is outside. */
gboolean leakscope_timeline_get_hover(LeakscopeTimeline *self, double *x, double *y);
/* What the owner found under the pointer (plain text, shown in the tooltip;
 * NULL clears). */
void leakscope_timeline_set_hover_text(LeakscopeTimeline *self, const char *text);
const char *leakscope_timeline_get_hover_text(LeakscopeTimeline *self);
/* The heap at the pointer and its time (render_heap_at: the value the
 * hover readout draws); FALSE when the pointer is not over the plot. */
gboolean leakscope_timeline_get_hover_heap(LeakscopeTimeline *self, guint64 *t, guint64 *bytes);
/* The readout drawn at the pointer (render_hover_label), or NULL when the
 * pointer is not over the plot. Free it. */
char *leakscope_timeline_get_hover_label(LeakscopeTimeline *self);

/* The render parameters of the current view for a picture of w x h. */
void leakscope_timeline_get_view_params(LeakscopeTimeline *self, render_view_params *p, int w, int h);

/* What lies at (x, y) in widget coordinates. */
gboolean leakscope_timeline_hit_test(LeakscopeTimeline *self, double x, double y, LeakscopeTimelineHit *hit);

G_END_DECLS
