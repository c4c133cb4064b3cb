/* leakscope-leaks-panel.h — which leaks are real, in the window: the Leaks
 * panel's classes (leakclass.h: lost, indirect, cycle first, then possible,
 * reachable with what holds it, unscanned) and the globals that alone keep
 * bytes alive. Only shows what ls_leak_classes_build computed, in its order,
 * so the window says what `leakscope report` says.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

#include "leakclass.h"
#include "leakscope-table.h"

G_BEGIN_DECLS

/* The class table's columns (fixed, for tests that read its cells). */
enum { LEAKSCOPE_CLASS_COL_CLASS, LEAKSCOPE_CLASS_COL_SITE, LEAKSCOPE_CLASS_COL_BYTES, LEAKSCOPE_CLASS_COL_BLOCKS,
       LEAKSCOPE_CLASS_COL_HELD_BY, LEAKSCOPE_CLASS_NCOLS };
enum { LEAKSCOPE_GLOBAL_COL_NAME, LEAKSCOPE_GLOBAL_COL_MODULE, LEAKSCOPE_GLOBAL_COL_BYTES, LEAKSCOPE_GLOBAL_COL_BLOCKS,
       LEAKSCOPE_GLOBAL_NCOLS };

/* The CSS class that colours a leak class's name ("leak-class-lost", ...;
 * style.css). cls: ls_leak_class or LS_CLASS_UNSCANNED. Static string. */
const char *leakscope_leak_class_style(guint32 cls);

/* Fills `table` with lc's groups (at most `max` rows) and `summary` with
 * its per-class totals, what the snapshot could not be sure of and how
 * many groups are not listed. a and syms name the call sites. */
void leakscope_leaks_panel_fill(LeakscopeTable *table, GtkLabel *summary, const ls_analysis *a, sym_table *syms,
                                const ls_leak_classes *lc, guint max);

/* Fills `table` with lc's held-by-globals list, most retained first, and
 * `title` with what it is; lc NULL (no snapshot) says so. */
void leakscope_globals_panel_fill(LeakscopeTable *table, GtkLabel *title, const ls_analysis *a,
                                  const ls_leak_classes *lc);

G_END_DECLS
