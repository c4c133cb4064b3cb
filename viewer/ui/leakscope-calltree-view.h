/* leakscope-calltree-view.h — the Call Tree panel: a range's call tree
 * (leakscope-trees.h) top-down or bottom-up in a GtkColumnView over a
 * GtkTreeListModel, a column per metric (inclusive) and the self bytes,
 * sortable by any column (the tree's shape kept), expandable, with a filter
 * box (ls_calltree_matches: rows that match or lead to a match). Selecting
 * a function shows its callers and callees (ls_calltree_links_of) below
 * and emits "function-selected"; a function selected elsewhere is
 * highlighted in every row that names it.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "leakscope-trees.h"

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_CALLTREE_VIEW (leakscope_calltree_view_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeCalltreeView, leakscope_calltree_view, LEAKSCOPE, CALLTREE_VIEW, GtkWidget)

GtkWidget *leakscope_calltree_view_new(void);

/* The trees to show (a reference is taken; NULL: none). */
void leakscope_calltree_view_set_trees(LeakscopeCalltreeView *self, LeakscopeTrees *trees);
void leakscope_calltree_view_set_direction(LeakscopeCalltreeView *self, ls_calltree_dir dir);
ls_calltree_dir leakscope_calltree_view_get_direction(LeakscopeCalltreeView *self);
/* The filter box's text (NULL or "": every row). */
void leakscope_calltree_view_set_filter(LeakscopeCalltreeView *self, const char *text);
/* Sorts by metric m's column (descending; ascending with `ascending`). */
void leakscope_calltree_view_sort_by(LeakscopeCalltreeView *self, ls_metric m, gboolean ascending);
/* The function selected anywhere: highlighted, its callers and callees
 * shown (NULL: none). Does not emit "function-selected". */
void leakscope_calltree_view_set_selected(LeakscopeCalltreeView *self, const char *function);

/* For tests and the status line: the rows shown (expanded ones included),
 * row i's function, depth and inclusive value of metric m. */
guint leakscope_calltree_view_get_n_rows(LeakscopeCalltreeView *self);
gboolean leakscope_calltree_view_get_row(LeakscopeCalltreeView *self, guint i, const char **name, guint *depth,
                                         guint64 value[LS_METRIC_COUNT]);
/* Expands row i; selects row i as a click does (emits "function-selected"). */
void leakscope_calltree_view_expand_row(LeakscopeCalltreeView *self, guint i);
void leakscope_calltree_view_select_row(LeakscopeCalltreeView *self, guint i);
/* The callers' and callees' lists as shown, one "name\tvalue" line per row. */
char *leakscope_calltree_view_get_links_text(LeakscopeCalltreeView *self, gboolean callers);
/* How many rows name the highlighted function. */
guint leakscope_calltree_view_get_n_highlighted(LeakscopeCalltreeView *self);

G_END_DECLS
