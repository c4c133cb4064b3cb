/* leakscope-window-private.h — the window's state, shared by its files
 * (leakscope-window.c, leakscope-window-export.c) and the GUI test.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "leakscope-calltree-view.h"
#include "leakscope-compare.h"
#include "leakscope-flame.h"
#include "leakscope-hist-view.h"
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
    GtkDrawingArea *sketch_area; /* the loading page's first picture */
    timeline *sketch;            /* what it draws while the events are read; NULL: hidden */
    GtkPaned *paned;
    LeakscopeTimeline *timeline;
    GtkStack *panel_stack;
    GtkGrid *overview_grid, *gc_grid, *range_grid, *details_grid;
    GtkLabel *leaks_title, *resources_title, *details_stack;
    LeakscopeStackList *leaks_list, *open_list, *growth_list;
    LeakscopeFlame *flame;
    GtkDropDown *flame_metric;
    GtkToggleButton *flame_icicle;
    GtkButton *flame_reset;
    GtkSearchEntry *flame_search;
    GtkLabel *flame_info;
    LeakscopeCalltreeView *calltree;
    GtkButton *hist_all;
    GtkLabel *hist_info;
    LeakscopeHistView *hist_sizes, *hist_lifetimes;
    GtkLabel *compare_title;
    LeakscopeFlame *compare_flame;
    GtkListBox *compare_list;
    GtkButton *compare_hist_all;
    GtkLabel *compare_hist_info;
    LeakscopeHistView *compare_sizes; /* the sizes of both runs: the whole runs' or the selected row's site's */

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
    LeakscopeTreeSource *tree_source;
    char *selected_function;  /* the call site selected in any panel (a function name), or NULL */
    /* the heap by call site: made in a thread after the trace opens */
    struct ls_site_series *sites;
    GCancellable *sites_cancellable;
    char **site_names;        /* per followed stack: its call site's name (ls_site_name), for the legend */
    char **site_functions;    /* ... and its function (ls_site_function), for the selection */
    /* Compare with…: the base run and what changed from it */
    LeakscopeBase *base;
    struct ls_site_diff *diff;
    GCancellable *base_cancellable;
    GtkFileChooserNative *compare_chooser;

    /* work in flight */
    GCancellable *load_cancellable;
    LeakscopeLoad *load;      /* valid while loading */
    guint progress_source;
    GCancellable *range_cancellable;
    guint range_source;
    guint64 range_t0, range_t1; /* the range summarized or being summarized */
    guint64 range_h0, range_h1; /* the heap at its ends */
    /* the call trees of the selection (or the whole trace) */
    GCancellable *trees_cancellable;
    guint trees_source_id;
    gboolean trees_whole;     /* what the trees shown or being made cover: */
    guint64 trees_t0, trees_t1; /* the whole trace, or this selection */
    gboolean trees_pending;   /* a computation is running: the panels show the old trees */
    LeakscopeTrees *hist_trees; /* the selection's trees shown, whose histograms Sizes and Lifetimes
                                   draws; NULL: the whole trace's */
    guint32 hist_stack;       /* the call stack Sizes and Lifetimes shows, LS_HIST_ALL: every one */
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

/* The function selected in a panel (a leak row, a tree row, a flame
 * frame; NULL: none), shown in every panel. */
void _leakscope_window_select_function(LeakscopeWindow *self, const char *function);

/* Compare with…: what the dialog does with its answer (the GUI test calls
 * it too). The base is read in a thread; failures show in the banner. */
void _leakscope_window_compare_chosen(LeakscopeWindow *self, GFile *file);
/* The diff table's rows as shown, one line each (tests). */
char *_leakscope_window_compare_text(LeakscopeWindow *self);
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
