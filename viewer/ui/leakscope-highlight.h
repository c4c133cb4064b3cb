/* leakscope-highlight.h — how a list row shows that it names the call site
 * selected in another panel: its label takes the "selected-site" style
 * class while the row's item has its boolean "highlight" property set.
 * The one rule for the Leaks lists and the Call Tree.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* From a list item factory's bind: label follows item's "highlight". */
void leakscope_highlight_bind(GtkWidget *label, gpointer item);
/* From its unbind (item may be NULL: nothing was bound). */
void leakscope_highlight_unbind(GtkWidget *label, gpointer item);

G_END_DECLS
