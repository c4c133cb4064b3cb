/* leakscope-list-frame.h — a list view in a scrolled window with a text
 * over it while its model is empty: what the call-site list
 * (leakscope-stack-list.c), the call tree (leakscope-calltree-view.c) and
 * the tables (leakscope-table.c) share.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct {
    GtkWidget *scroller;
    GtkWidget *placeholder; /* shown while the model is empty */
} LeakscopeListFrame;

/* Puts `view` in a scroller and both it and the placeholder under `parent`
 * (a widget with a GtkBinLayout), and follows `model`'s items. */
void leakscope_list_frame_init(LeakscopeListFrame *f, GtkWidget *parent, GtkWidget *view, GListModel *model);
/* Unparents both (the parent's dispose). */
void leakscope_list_frame_clear(LeakscopeListFrame *f);
void leakscope_list_frame_set_placeholder(LeakscopeListFrame *f, const char *text); /* plain text */
/* The placeholder's text while it is shown, else NULL. */
const char *leakscope_list_frame_get_placeholder(const LeakscopeListFrame *f);

/* A tree row's first cell: an expander holding a plain-text label (never
 * markup: names come from the trace), left-aligned, ellipsized. Sets it as
 * li's child; the bind handler finds the label as the expander's child. */
void leakscope_list_frame_expander_cell(GtkListItem *li);

/* The item of sel's selected row of a GtkTreeListModel, or for a frame row
 * (depth > 0) of its top-level row: the call site chosen, whichever line of
 * it was clicked. A new reference, or NULL when nothing is selected. */
gpointer leakscope_list_frame_selected_site(GtkSingleSelection *sel);

G_END_DECLS
