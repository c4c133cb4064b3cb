/* leakscope-growing-panel.h — the Growing panel: growth.h's suspects, the
 * call sites whose live bytes (then those whose open handles) keep rising
 * through the run, strongest first, as `leakscope report` lists them.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "growth.h"
#include "leakscope-table.h"

G_BEGIN_DECLS

enum { LEAKSCOPE_GROW_COL_SITE, LEAKSCOPE_GROW_COL_RATE, LEAKSCOPE_GROW_COL_LIVE, LEAKSCOPE_GROW_COL_BLOCKS,
       LEAKSCOPE_GROW_COL_CONFIDENCE, LEAKSCOPE_GROW_NCOLS };

/* Fills `table` with g's heap suspects, then its resource suspects (their
 * kind before the site; their live column counts open handles), and
 * `title` with what they are. g NULL: out of memory for them, said. */
void leakscope_growing_panel_fill(LeakscopeTable *table, GtkLabel *title, const ls_analysis *a, sym_table *syms,
                                  const ls_growth *g);

enum { LEAKSCOPE_ITER_COL_VERDICT, LEAKSCOPE_ITER_COL_SITE, LEAKSCOPE_ITER_COL_PER, LEAKSCOPE_ITER_COL_FIRST,
       LEAKSCOPE_ITER_COL_LAST, LEAKSCOPE_ITER_NCOLS };

/* Fills `table` with g's iteration sites (growing first, then most kept
 * per iteration: "growing" or "bounded", styled "iteration-growing" or
 * "iteration-bounded") and `title` with the marks they are between, or why
 * there are none. g NULL: nothing. */
void leakscope_iterations_panel_fill(LeakscopeTable *table, GtkLabel *title, const ls_analysis *a, sym_table *syms,
                                     const ls_growth *g);

G_END_DECLS
