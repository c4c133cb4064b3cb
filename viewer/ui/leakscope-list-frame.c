/* leakscope-list-frame.c — a scrolled list with a placeholder.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-list-frame.h"

static void on_items_changed(GListModel *m, guint pos, guint removed, guint added, GtkWidget *placeholder)
{
    (void)pos;
    (void)removed;
    (void)added;
    gtk_widget_set_visible(placeholder, g_list_model_get_n_items(m) == 0);
}

void leakscope_list_frame_init(LeakscopeListFrame *f, GtkWidget *parent, GtkWidget *view, GListModel *model)
{
    f->scroller = gtk_scrolled_window_new();
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(f->scroller), view);
    gtk_widget_set_vexpand(f->scroller, TRUE);
    gtk_widget_set_parent(f->scroller, parent);

    f->placeholder = gtk_label_new(NULL);
    gtk_label_set_use_markup(GTK_LABEL(f->placeholder), FALSE);
    gtk_label_set_wrap(GTK_LABEL(f->placeholder), TRUE);
    gtk_label_set_justify(GTK_LABEL(f->placeholder), GTK_JUSTIFY_CENTER);
    gtk_widget_set_halign(f->placeholder, GTK_ALIGN_CENTER);
    gtk_widget_set_valign(f->placeholder, GTK_ALIGN_CENTER);
    gtk_widget_set_can_target(f->placeholder, FALSE);
    gtk_widget_add_css_class(f->placeholder, "dim-label");
    gtk_widget_set_parent(f->placeholder, parent);
    /* disconnected when the placeholder goes */
    g_signal_connect_object(model, "items-changed", G_CALLBACK(on_items_changed), f->placeholder, 0);
}

void leakscope_list_frame_clear(LeakscopeListFrame *f)
{
    g_clear_pointer(&f->scroller, gtk_widget_unparent);
    g_clear_pointer(&f->placeholder, gtk_widget_unparent);
}

void leakscope_list_frame_set_placeholder(LeakscopeListFrame *f, const char *text)
{
    if (f->placeholder)
        gtk_label_set_text(GTK_LABEL(f->placeholder), text ? text : "");
}

const char *leakscope_list_frame_get_placeholder(const LeakscopeListFrame *f)
{
    return f->placeholder && gtk_widget_get_visible(f->placeholder) ? gtk_label_get_text(GTK_LABEL(f->placeholder))
                                                                    : NULL;
}

void leakscope_list_frame_expander_cell(GtkListItem *li)
{
    GtkWidget *expander = gtk_tree_expander_new();
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
    gtk_tree_expander_set_child(GTK_TREE_EXPANDER(expander), label);
    gtk_list_item_set_child(li, expander);
}

gpointer leakscope_list_frame_selected_site(GtkSingleSelection *sel)
{
    GtkTreeListRow *tr = gtk_single_selection_get_selected_item(sel);
    if (!tr)
        return NULL;
    while (gtk_tree_list_row_get_depth(tr) > 0 && gtk_tree_list_row_get_parent(tr)) {
        GtkTreeListRow *p = gtk_tree_list_row_get_parent(tr); /* a frame: its site */
        g_object_unref(p); /* the tree keeps it */
        tr = p;
    }
    return gtk_tree_list_row_get_item(tr);
}
