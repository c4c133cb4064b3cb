/* leakscope-hist-view.h — one histogram of the Sizes and Lifetimes panel
 * (or the Compare panel's two runs' sizes),
 * drawn by render_hist on the widget's snapshot and hit-tested by
 * render_hist_hit on the same layout; hovering a bar says its bucket, count
 * and bytes ("hover-text").
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "render-hist.h"

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_HIST_VIEW (leakscope_hist_view_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeHistView, leakscope_hist_view, LEAKSCOPE, HIST_VIEW, GtkWidget)

/* What to draw: p's hist, kind, stack, h, base (a comparison), live blocks
 * and title (borrowed: the histograms must live until set again or cleared
 * with NULL; the title is copied). Width, height, theme and hover are the
 * widget's. */
void leakscope_hist_view_set(LeakscopeHistView *self, const render_hist_params *p);
/* The parameters as drawn at the widget's size (tests). */
void leakscope_hist_view_get_params(LeakscopeHistView *self, render_hist_params *p);
/* The pointer at (x, y), x < 0: gone (the motion controller's path). */
void leakscope_hist_view_hover(LeakscopeHistView *self, double x, double y);
const char *leakscope_hist_view_get_hover_text(LeakscopeHistView *self);

G_END_DECLS
