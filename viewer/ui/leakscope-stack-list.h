/* leakscope-stack-list.h — call sites with two numbers each (bytes and
 * blocks of a leak, count of open resources, growth in a range), sortable by
 * either number and expandable to the whole symbolized call stack. A
 * GtkColumnView over a GtkTreeListModel; stacks are symbolized when a row is
 * expanded.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis.h"
#include "symbols.h"

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_STACK_LIST (leakscope_stack_list_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeStackList, leakscope_stack_list, LEAKSCOPE, STACK_LIST, GtkWidget)

typedef enum { LEAKSCOPE_VALUE_COUNT, LEAKSCOPE_VALUE_BYTES } LeakscopeValueKind;

GtkWidget *leakscope_stack_list_new(void);

/* Column titles and how the two numbers read; second NULL hides its column. */
void leakscope_stack_list_set_columns(LeakscopeStackList *self, const char *site, const char *first,
                                      LeakscopeValueKind first_kind, const char *second,
                                      LeakscopeValueKind second_kind);

/* Where stacks come from (borrowed; NULL clears the rows). */
void leakscope_stack_list_set_source(LeakscopeStackList *self, const ls_analysis *a, sym_table *syms);

/* Adds a call site; `prefix` (may be NULL, plain text) goes before the
 * stack's title, e.g. a resource kind. Sorted by `first`, largest first,
 * until the user picks a column. */
void leakscope_stack_list_append(LeakscopeStackList *self, const char *prefix, guint64 first, guint64 second,
                                 guint32 stack);
void leakscope_stack_list_clear(LeakscopeStackList *self);
/* Text shown over the list while it holds no call site (plain text). The
 * getter returns it while it is shown, else NULL. */
void leakscope_stack_list_set_placeholder(LeakscopeStackList *self, const char *text);
const char *leakscope_stack_list_get_placeholder(LeakscopeStackList *self);
guint leakscope_stack_list_get_n_sites(LeakscopeStackList *self);

/* The function selected in a panel (NULL: none): the rows whose call site
 * is in it (ls_site_function) are highlighted. Choosing a row emits
 * "site-selected" with its stack id. */
void leakscope_stack_list_set_highlight(LeakscopeStackList *self, const char *function);
guint leakscope_stack_list_get_n_highlighted(LeakscopeStackList *self);
/* Selects row i of the list as shown, as a click does. */
void leakscope_stack_list_select(LeakscopeStackList *self, guint i);

G_END_DECLS
