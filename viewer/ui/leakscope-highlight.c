/* leakscope-highlight.c — see leakscope-highlight.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-highlight.h"

static void on_highlight(GObject *item, GParamSpec *ps, GtkWidget *label)
{
    (void)ps;
    gboolean on = FALSE;
    g_object_get(item, "highlight", &on, NULL);
    if (on)
        gtk_widget_add_css_class(label, "selected-site");
    else
        gtk_widget_remove_css_class(label, "selected-site");
}

void leakscope_highlight_bind(GtkWidget *label, gpointer item)
{
    on_highlight(item, NULL, label);
    g_signal_connect_object(item, "notify::highlight", G_CALLBACK(on_highlight), label, 0);
}

void leakscope_highlight_unbind(GtkWidget *label, gpointer item)
{
    if (item)
        g_signal_handlers_disconnect_by_func(item, on_highlight, label);
    gtk_widget_remove_css_class(label, "selected-site");
}
