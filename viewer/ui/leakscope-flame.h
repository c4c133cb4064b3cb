/* leakscope-flame.h — the Flame Graph panel's picture: a call tree's flame
 * graph (or icicle) drawn by render_flame_drawn on the widget's snapshot,
 * hit-tested by render_flame_hit on the same layout. Click a frame to zoom
 * into it (and select its function), hover for its value and share; the
 * search highlights the matching frames and sums their share.
 *
 * The zoom is kept as the path of names from the root, so a new tree (a
 * new range, a new metric) keeps it where that path still exists.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "leakscope-trees.h"
#include "render-flame.h"

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_FLAME (leakscope_flame_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeFlame, leakscope_flame, LEAKSCOPE, FLAME, GtkWidget)

GtkWidget *leakscope_flame_new(void);

/* The trees to draw the top-down one of (a reference is taken; NULL: none). */
void leakscope_flame_set_trees(LeakscopeFlame *self, LeakscopeTrees *trees);
LeakscopeTrees *leakscope_flame_get_trees(LeakscopeFlame *self);

/* A base run's top-down tree (borrowed; NULL: none): a differential flame
 * graph, red where this trace grew from it, blue where it shrank. */
void leakscope_flame_set_base(LeakscopeFlame *self, const ls_calltree *base);

void leakscope_flame_set_metric(LeakscopeFlame *self, ls_metric m);
ls_metric leakscope_flame_get_metric(LeakscopeFlame *self);
void leakscope_flame_set_icicle(LeakscopeFlame *self, gboolean icicle);
/* What the search highlights (ls_calltree_matches); NULL or "": nothing. */
void leakscope_flame_set_search(LeakscopeFlame *self, const char *text);
/* The function selected anywhere (its frames outlined); NULL: none. */
void leakscope_flame_set_selected(LeakscopeFlame *self, const char *function);

/* Zooms into `node` of the current top-down tree (LS_CALLTREE_ROOT: out). */
void leakscope_flame_zoom(LeakscopeFlame *self, guint32 node);
guint32 leakscope_flame_get_zoom(LeakscopeFlame *self);

/* The render parameters and the layout as drawn at the widget's width
 * (tests, the status line); FALSE when there is no tree. The layout is
 * the widget's: do not free it. */
gboolean leakscope_flame_get_drawn(LeakscopeFlame *self, render_flame_params *p, const render_flame_frames **f);

/* The pointer at (x, y) (x < 0: gone), as the motion controller sets it;
 * and a click there, as the gesture does. Notify "hover-text" / emit
 * "frame-activated" (the function's name) like the real events. */
void leakscope_flame_hover(LeakscopeFlame *self, double x, double y);
void leakscope_flame_click(LeakscopeFlame *self, double x, double y);

/* The details line's text for the frame under the pointer, else the
 * search's share (render_flame_node_text / render_flame_search_text);
 * "" when neither. */
const char *leakscope_flame_get_hover_text(LeakscopeFlame *self);

/* How long the last snapshot's drawing took, µs. */
gint64 leakscope_flame_get_draw_us(LeakscopeFlame *self);

G_END_DECLS
