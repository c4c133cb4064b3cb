/* leakscope-table.h — rows of text cells in the order the model gave them
 * (leak groups by class, globals by retained bytes, growth suspects
 * strongest first), the first column expandable to the row's symbolized
 * call stack. The panels that show what leakclass.h and growth.h computed
 * fill one each; the order is the model's, so the columns do not sort.
 * A GtkColumnView over a GtkTreeListModel. Choosing a row (or a frame of
 * its stack) emits "site-selected" with the row's stack id, as the
 * call-site lists do (leakscope-stack-list.h), so that the window selects
 * its site everywhere; rows without a stack emit nothing.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "analysis.h"
#include "symbols.h"

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_TABLE (leakscope_table_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeTable, leakscope_table, LEAKSCOPE, TABLE, GtkWidget)

/* A row without a call stack to expand. */
#define LEAKSCOPE_TABLE_NO_STACK G_MAXUINT32

/* The most columns a table has. */
#define LEAKSCOPE_TABLE_COLUMNS_MAX 6

GtkWidget *leakscope_table_new(void);

/* The columns' titles (n of them, at most LEAKSCOPE_TABLE_COLUMNS_MAX; plain
 * text). Column `wide` holds the expander and takes the spare width, shared
 * with the text columns after the first; the first and the numeric ones
 * (bit i of `numeric` for column i, right-aligned) are `width` pixels.
 * Clears the rows. */
void leakscope_table_set_columns(LeakscopeTable *self, const char *const *titles, guint n, guint wide, guint width,
                                 guint numeric);

/* Where stacks come from when a row is expanded (borrowed; NULL clears
 * the rows). */
void leakscope_table_set_source(LeakscopeTable *self, const ls_analysis *a, sym_table *syms);

/* Adds a row of the columns' count of cells (plain text, already made safe
 * with leakscope_text_from_trace where they come from the trace). `style`
 * (may be NULL) is a CSS class for the first cell, e.g. a leak class's
 * colour. `stack` is what expanding the row shows, or
 * LEAKSCOPE_TABLE_NO_STACK. */
void leakscope_table_append(LeakscopeTable *self, const char *const *cells, const char *style, guint32 stack);
void leakscope_table_clear(LeakscopeTable *self);

/* Text shown over the table while it has no rows (plain text). */
void leakscope_table_set_placeholder(LeakscopeTable *self, const char *text);
/* The placeholder while it is shown, else NULL. */
const char *leakscope_table_get_placeholder(LeakscopeTable *self);

guint leakscope_table_get_n_rows(LeakscopeTable *self);
/* Chooses top-level row `row` as a click does (tests). */
void leakscope_table_select(LeakscopeTable *self, guint row);
/* The text of row `row`'s cell in column `col` (top-level rows in order),
 * or NULL out of range; and the row's style (NULL none). For tests and
 * accessibility. */
const char *leakscope_table_get_cell(LeakscopeTable *self, guint row, guint col);
const char *leakscope_table_get_style(LeakscopeTable *self, guint row);

G_END_DECLS
