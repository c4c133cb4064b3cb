/* leakscope-window-leaks.c — the window's which-leaks-are-real panels: the
 * Leaks page's classes (when the trace has a heap snapshot; else the page
 * keeps its list of leaks by call site), the Globals page and the Growing
 * page (the growth suspects, and the bytes kept per marked iteration). The classes are built here, on the main thread, because they name
 * globals through the window's symbol table, which is the main thread's;
 * the growth suspects come with the timeline (timeline_open_growth, on
 * the loading thread).
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-window-private.h"
#include "leakscope-format.h"
#include "leakscope-growing-panel.h"
#include "leakscope-leaks-panel.h"

#define CLASS_ROWS_MAX 5000 /* leak groups listed; the summary says how many there are */

/* A page of the panel stack: a title over a table. */
static GtkWidget *table_page(GtkLabel **title, LeakscopeTable **table, gpointer *weak_title, gpointer *weak_table)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_wrap(GTK_LABEL(label), TRUE);
    gtk_widget_add_css_class(label, "panel-title");
    GtkWidget *t = leakscope_table_new();
    gtk_widget_set_vexpand(t, TRUE);
    gtk_box_append(GTK_BOX(box), label);
    gtk_box_append(GTK_BOX(box), t);
    *title = GTK_LABEL(label);
    *table = LEAKSCOPE_TABLE(t);
    g_object_add_weak_pointer(G_OBJECT(label), weak_title);
    g_object_add_weak_pointer(G_OBJECT(t), weak_table);
    return box;
}

void _leakscope_window_leaks_init(LeakscopeWindow *self)
{
    /* The classes go on the Leaks page, between its title and its list. */
    GtkWidget *page = gtk_widget_get_parent(GTK_WIDGET(self->leaks_list));
    GtkWidget *classes = table_page(&self->classes_summary, &self->classes_table, (gpointer *)&self->classes_summary,
                                    (gpointer *)&self->classes_table);
    gtk_widget_set_vexpand(classes, TRUE);
    gtk_widget_set_visible(classes, FALSE);
    gtk_box_insert_child_after(GTK_BOX(page), classes, GTK_WIDGET(self->leaks_title));
    gtk_widget_remove_css_class(GTK_WIDGET(self->classes_summary), "panel-title");
    gtk_widget_add_css_class(GTK_WIDGET(self->classes_summary), "leak-classes-summary");

    GtkWidget *globals = table_page(&self->globals_title, &self->globals_table, (gpointer *)&self->globals_title,
                                    (gpointer *)&self->globals_table);
    gtk_stack_add_titled(self->panel_stack, globals, "globals", "Globals");
    /* Growing: the suspects over time, then over the marked iterations. */
    GtkWidget *growing = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    gtk_box_append(GTK_BOX(growing), table_page(&self->growing_title, &self->growing_table,
                                                (gpointer *)&self->growing_title, (gpointer *)&self->growing_table));
    gtk_box_append(GTK_BOX(growing), table_page(&self->iter_title, &self->iter_table, (gpointer *)&self->iter_title,
                                                (gpointer *)&self->iter_table));
    gtk_stack_add_titled(self->panel_stack, growing, "growing", "Growing");
}

void _leakscope_window_leaks_fill(LeakscopeWindow *self)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    trace_error err = { 0 };
    ls_leak_classes *lc = NULL;
    trace_status st = ls_leak_classes_build(a, self->syms, &lc, &err);
    self->classes = lc;
    GtkWidget *classes = gtk_widget_get_parent(GTK_WIDGET(self->classes_table));
    gtk_widget_set_visible(classes, lc != NULL);
    gtk_widget_set_visible(GTK_WIDGET(self->leaks_list), lc == NULL);
    if (lc) {
        leakscope_leaks_panel_fill(self->classes_table, self->classes_summary, a, self->syms, lc, CLASS_ROWS_MAX);
    } else {
        /* Today's list stays; the title says why there are no classes. */
        g_autofree char *why = st == TRACE_OK ? g_strdup("No heap snapshot in this trace (the program crashed or was "
                                                         "killed, or it was recorded with --no-scan): the leaks are "
                                                         "not classified; every block live at the end is listed.")
                                              : g_strdup_printf("The heap snapshot could not be read (%s): the leaks "
                                                                "are not classified.", err.message);
        g_autofree char *text = g_strconcat(gtk_label_get_text(self->leaks_title), "\n", why, NULL);
        gtk_label_set_text(self->leaks_title, text);
    }
    leakscope_globals_panel_fill(self->globals_table, self->globals_title, a, lc);
    leakscope_growing_panel_fill(self->growing_table, self->growing_title, a, self->syms, timeline_growth(self->tl));
    leakscope_iterations_panel_fill(self->iter_table, self->iter_title, a, self->syms, timeline_growth(self->tl));
}

void _leakscope_window_leaks_clear(LeakscopeWindow *self)
{
    /* the tables borrow the analysis and the symbols: they go first */
    if (self->classes_table)
        leakscope_table_set_source(self->classes_table, NULL, NULL);
    if (self->globals_table)
        leakscope_table_set_source(self->globals_table, NULL, NULL);
    if (self->growing_table)
        leakscope_table_set_source(self->growing_table, NULL, NULL);
    if (self->iter_table)
        leakscope_table_set_source(self->iter_table, NULL, NULL);
    g_clear_pointer(&self->classes, ls_leak_classes_free);
}
