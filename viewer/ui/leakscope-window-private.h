/* leakscope-window-private.h — the window's state, shared by its files
 * (leakscope-window.c, leakscope-window-export.c) and the GUI test.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "leakclass.h"
#include "leakscope-loader.h"
#include "leakscope-scan.h"
#include "leakscope-stack-list.h"
#include "leakscope-table.h"
#include "leakscope-timeline.h"
#include "leakscope-window.h"
#include "symbols.h"

G_BEGIN_DECLS

#define LEAKSCOPE_APP_ID "io.github.leakscope.Viewer"
#define LEAKSCOPE_MIME_TYPE "application/x-leakscope-trace"

struct _LeakscopeWindow {
    GtkApplicationWindow parent_instance;

    /* template */
    GtkLabel *title_label, *subtitle_label;
    GtkToggleButton *select_button;
    GtkRevealer *banner;
    GtkWidget *banner_box;
    GtkLabel *banner_label;
    GtkStack *main_stack;
    GtkListBox *recent_list;
    GtkWidget *recent_title;
    GMenu *recent_section;
    GtkLabel *loading_label, *error_label, *status_label;
    GtkProgressBar *progress;
    GtkPaned *paned;
    LeakscopeTimeline *timeline;
    GtkStack *panel_stack;
    GtkGrid *overview_grid, *gc_grid, *range_grid, *details_grid;
    GtkLabel *leaks_title, *resources_title, *details_stack;
    LeakscopeStackList *leaks_list, *open_list, *growth_list;

    /* leakscope-window-leaks.c: the classes, globals and growing panels
     * (weak pointers: the panel stack owns them) */
    GtkLabel *classes_summary, *globals_title, *growing_title, *iter_title;
    LeakscopeTable *classes_table, *globals_table, *growing_table, *iter_table;

    /* the open trace */
    GFile *file;
    timeline *tl;
    sym_table *syms;
    ls_leak_classes *classes; /* the heap snapshot's; NULL without one */
    LeakscopeScanner *scanner;

    /* work in flight */
    GCancellable *load_cancellable;
    LeakscopeLoad *load;      /* valid while loading */
    guint progress_source;
    GCancellable *range_cancellable;
    guint range_source;
    guint64 range_t0, range_t1; /* the range summarized or being summarized */
    guint64 range_h0, range_h1; /* the heap at its ends */
    GCancellable *details_cancellable;
    GCancellable *hover_cancellable;
    guint hover_source;       /* looks up what is under the pointer, debounced */
    char *hover_status;       /* what was found there, for the status line */

    /* the divider: in proportion to the window until the user drags it */
    gboolean paned_user_set, paned_setting;

    GtkFileChooserNative *chooser;
    GtkRecentManager *recent;
    gulong recent_changed_id;
};

/* leakscope-window-export.c */
void _leakscope_window_export_dialog(LeakscopeWindow *self);
/* What the dialog does with its answer: size and range are choice ids
 * ("1920x1080", ..., "window"; "view" or "whole"). Failures show in the banner. */
void _leakscope_window_export_chosen(LeakscopeWindow *self, GFile *file, const char *size, const char *range);

/* leakscope-window-leaks.c */
void _leakscope_window_leaks_init(LeakscopeWindow *self);  /* builds the panels, once */
void _leakscope_window_leaks_fill(LeakscopeWindow *self);  /* for the trace just installed */
void _leakscope_window_leaks_clear(LeakscopeWindow *self); /* before the trace goes */

/* The share of the window's trace page the timeline starts with. */
#define LEAKSCOPE_TIMELINE_SHARE 0.68

/* Key/value rows in a facts grid (plain text). */
void _leakscope_window_facts_clear(GtkGrid *grid);
void _leakscope_window_facts_add(GtkGrid *grid, const char *key, const char *value);

G_END_DECLS
