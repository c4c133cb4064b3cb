/* leakscope-window.c — opening traces (dialog, drop, recent files), the
 * loading page, the error page and the truncation banner, and the panels.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-window-private.h"
#include "leakscope-format.h"
#include "site-diff.h"
#include "site-series.h"
#include "units.h"
#include "sites.h"

#include <string.h>

#define RECENT_MAX 8
#define LEAK_ROWS_MAX 5000 /* call sites listed; the title says how many there are */

G_DEFINE_FINAL_TYPE(LeakscopeWindow, leakscope_window, GTK_TYPE_APPLICATION_WINDOW)

/* The Tracks menu's check boxes and the heap axis toggle are boolean
 * properties, installed as stateful actions (win.track-heap, ...). */
enum {
    PROP_0,
    PROP_SHOW_HEAP,
    PROP_SHOW_GC,
    PROP_SHOW_RESOURCES,
    PROP_SHOW_THREADS,
    PROP_SHOW_MARKS,
    PROP_HEAP_ZERO_BASED,
    N_PROPS
};
static GParamSpec *properties[N_PROPS];

static const struct {
    const char *action, *property;
    render_track bits;
} track_actions[] = {
    { "win.track-heap", "show-heap", RENDER_TRACK_HEAP | RENDER_TRACK_ALLOC },
    { "win.track-gc", "show-gc", RENDER_TRACK_GC },
    { "win.track-resources", "show-resources", RENDER_TRACK_RESOURCES },
    { "win.track-threads", "show-threads", RENDER_TRACK_THREADS },
    { "win.track-marks", "show-marks", RENDER_TRACK_MARKS },
};

static void _leakscope_window_cancel_hover(LeakscopeWindow *self);

/* ---- facts grids ---- */

void _leakscope_window_facts_clear(GtkGrid *grid)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(grid))))
        gtk_grid_remove(grid, child);
}

void _leakscope_window_facts_add(GtkGrid *grid, const char *key, const char *value)
{
    int row = 0;
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(grid)); c; c = gtk_widget_get_next_sibling(c))
        row++;
    row /= 2;
    GtkWidget *k = gtk_label_new(key);
    gtk_label_set_xalign(GTK_LABEL(k), 1);
    gtk_label_set_yalign(GTK_LABEL(k), 0);
    gtk_widget_add_css_class(k, "key");
    GtkWidget *v = gtk_label_new(NULL);
    gtk_label_set_use_markup(GTK_LABEL(v), FALSE);
    gtk_label_set_text(GTK_LABEL(v), value);
    gtk_label_set_xalign(GTK_LABEL(v), 0);
    gtk_label_set_wrap(GTK_LABEL(v), TRUE);
    gtk_label_set_selectable(GTK_LABEL(v), TRUE);
    gtk_widget_set_hexpand(v, TRUE);
    gtk_grid_attach(grid, k, 0, row, 1, 1);
    gtk_grid_attach(grid, v, 1, row, 1, 1);
}

static void facts_add_take(GtkGrid *grid, const char *key, char *value)
{
    _leakscope_window_facts_add(grid, key, value);
    g_free(value);
}

/* "worker-1 (tid 4242)", or "tid 4242" for a thread with no name. */
static char *_leakscope_window_thread_text(const ls_analysis *a, guint32 tid)
{
    g_autofree char *name = leakscope_text_from_trace(ls_analysis_thread_name(a, tid));
    return name[0] ? g_strdup_printf("%s (tid %u)", name, tid) : g_strdup_printf("tid %u", tid);
}

static guint64 rel(LeakscopeWindow *self, guint64 t)
{
    guint64 origin = timeline_begin(self->tl);
    return t > origin ? t - origin : 0;
}

/* ---- state ---- */

LeakscopeWindowState leakscope_window_get_state(LeakscopeWindow *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_WINDOW(self), LEAKSCOPE_WINDOW_EMPTY);
    const char *page = gtk_stack_get_visible_child_name(self->main_stack);
    if (self->load)
        return LEAKSCOPE_WINDOW_LOADING;
    if (!g_strcmp0(page, "error"))
        return LEAKSCOPE_WINDOW_FAILED;
    return self->tl ? LEAKSCOPE_WINDOW_LOADED : LEAKSCOPE_WINDOW_EMPTY;
}

static void _leakscope_window_update_actions(LeakscopeWindow *self)
{
    GtkWidget *w = GTK_WIDGET(self);
    gboolean have = self->tl != NULL && !g_strcmp0(gtk_stack_get_visible_child_name(self->main_stack), "trace");
    guint64 a, b;
    gtk_widget_action_set_enabled(w, "win.export", have);
    gtk_widget_action_set_enabled(w, "win.compare", have);
    gtk_widget_action_set_enabled(w, "win.zoom-in", have);
    gtk_widget_action_set_enabled(w, "win.zoom-out", have);
    gtk_widget_action_set_enabled(w, "win.zoom-fit", have);
    gtk_widget_action_set_enabled(w, "win.pan-left", have);
    gtk_widget_action_set_enabled(w, "win.pan-right", have);
    gboolean sel = have && leakscope_timeline_get_selection(self->timeline, &a, &b);
    gtk_widget_action_set_enabled(w, "win.zoom-selection", sel);
    /* Esc is the window's only while there is a selection to clear: it
     * still closes menus and dialogs otherwise */
    gtk_widget_action_set_enabled(w, "win.clear-selection", sel);
    gtk_widget_action_set_enabled(w, "win.cancel-load", self->load != NULL);
    gtk_widget_set_sensitive(GTK_WIDGET(self->select_button), have);
}

static void _leakscope_window_show_banner(LeakscopeWindow *self, const char *text, gboolean error)
{
    gtk_label_set_text(self->banner_label, text);
    if (error)
        gtk_widget_add_css_class(self->banner_box, "error");
    else
        gtk_widget_remove_css_class(self->banner_box, "error");
    gtk_revealer_set_reveal_child(self->banner, TRUE);
}

static void _leakscope_window_set_titles(LeakscopeWindow *self, const char *title, const char *subtitle)
{
    gtk_label_set_text(self->title_label, title);
    gtk_window_set_title(GTK_WINDOW(self), title);
    gtk_label_set_text(self->subtitle_label, subtitle ? subtitle : "");
    gtk_widget_set_visible(GTK_WIDGET(self->subtitle_label), subtitle != NULL);
}

/* Drops the open trace and everything computed from it. */
static void _leakscope_window_clear_trace(LeakscopeWindow *self)
{
    /* self->tl goes first: the signals emitted below must see no trace */
    timeline *tl = g_steal_pointer(&self->tl);
    if (self->timeline)
        leakscope_timeline_set_timeline(self->timeline, NULL);
    if (self->leaks_list)
        leakscope_stack_list_set_source(self->leaks_list, NULL, NULL);
    if (self->open_list)
        leakscope_stack_list_set_source(self->open_list, NULL, NULL);
    if (self->growth_list)
        leakscope_stack_list_set_source(self->growth_list, NULL, NULL);
    _leakscope_window_leaks_clear(self);
    g_cancellable_cancel(self->range_cancellable);
    g_clear_object(&self->range_cancellable);
    g_cancellable_cancel(self->details_cancellable);
    g_clear_object(&self->details_cancellable);
    g_clear_handle_id(&self->range_source, g_source_remove);
    _leakscope_window_cancel_hover(self);
    g_cancellable_cancel(self->trees_cancellable);
    g_clear_object(&self->trees_cancellable);
    g_clear_handle_id(&self->trees_source_id, g_source_remove);
    self->trees_pending = FALSE;
    if (self->flame)
        leakscope_flame_set_trees(self->flame, NULL);
    if (self->calltree)
        leakscope_calltree_view_set_trees(self->calltree, NULL);
    if (self->hist_sizes) {
        leakscope_hist_view_set(self->hist_sizes, NULL);
        leakscope_hist_view_set(self->hist_lifetimes, NULL);
    }
    g_clear_pointer(&self->hist_trees, leakscope_trees_unref);
    self->hist_stack = LS_HIST_ALL;
    g_clear_pointer(&self->selected_function, g_free);
    g_cancellable_cancel(self->sites_cancellable);
    g_clear_object(&self->sites_cancellable);
    g_clear_pointer(&self->sites, ls_site_series_free);
    g_clear_pointer(&self->site_names, g_strfreev);
    g_clear_pointer(&self->site_functions, g_strfreev);
    g_cancellable_cancel(self->base_cancellable);
    g_clear_object(&self->base_cancellable);
    if (self->compare_flame) {
        leakscope_flame_set_base(self->compare_flame, NULL);
        leakscope_flame_set_trees(self->compare_flame, NULL);
    }
    if (self->compare_list) {
        GtkWidget *c;
        while ((c = gtk_widget_get_first_child(GTK_WIDGET(self->compare_list))))
            gtk_list_box_remove(self->compare_list, c);
        gtk_label_set_text(self->compare_title, "Compare this trace with an earlier run: Compare With… in the menu.");
    }
    if (self->compare_sizes) { /* it borrows the diff's and the base's histograms */
        leakscope_hist_view_set(self->compare_sizes, NULL);
        gtk_label_set_text(self->compare_hist_info, "");
    }
    g_clear_pointer(&self->diff, ls_site_diff_free);
    g_clear_pointer(&self->base, leakscope_base_free);
    g_clear_pointer(&self->tree_source, leakscope_tree_source_unref);
    g_clear_pointer(&self->scanner, leakscope_scanner_unref);
    g_clear_pointer(&self->syms, sym_table_free);
    timeline_free(tl);
    self->range_t0 = self->range_t1 = 0;
}

/* ---- panels ---- */

static void _leakscope_window_fill_overview(LeakscopeWindow *self)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    GtkGrid *g = self->overview_grid;
    _leakscope_window_facts_clear(g);
    facts_add_take(g, "File", leakscope_text_from_trace(a->path));
    facts_add_take(g, "Program", g_strdup_printf("%s (pid %u)", a->info.program[0] ? a->info.program : "(unknown)",
                                                 a->info.pid));
    GDateTime *dt = g_date_time_new_from_unix_utc((gint64)(a->info.start_realtime_ns / 1000000000u));
    if (dt) {
        facts_add_take(g, "Recorded", g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC"));
        g_date_time_unref(dt);
    }
    g_autofree char *dur = leakscope_format_duration(timeline_end(self->tl) - timeline_begin(self->tl));
    facts_add_take(g, "Duration", g_strdup_printf("%s, %u threads, %" G_GUINT64_FORMAT " events", dur, a->nthreads,
                                                  a->events));
    g_autofree char *ab = leakscope_format_bytes(a->allocated_bytes);
    facts_add_take(g, "Allocations", g_strdup_printf("%" G_GUINT64_FORMAT " (%s), %" G_GUINT64_FORMAT " reallocs",
                                                     a->allocations, ab, a->reallocs));
    g_autofree char *fb = leakscope_format_bytes(a->freed_bytes);
    facts_add_take(g, "Frees", g_strdup_printf("%" G_GUINT64_FORMAT " (%s)", a->frees, fb));
    g_autofree char *pk = leakscope_format_bytes(a->peak_heap_bytes);
    g_autofree char *pkt = leakscope_format_duration(rel(self, a->peak_heap_ts));
    facts_add_take(g, "Peak heap", g_strdup_printf("%s at %s", pk, pkt));
    g_autofree char *lk = leakscope_format_bytes(a->leaked_bytes);
    facts_add_take(g, "Leaked", g_strdup_printf("%s in %" G_GUINT64_FORMAT " blocks from %u call sites", lk,
                                                a->leaked_blocks, a->nleaks));
    facts_add_take(g, "Resources", g_strdup_printf("%" G_GUINT64_FORMAT " opened, %" G_GUINT64_FORMAT
                                                   " closed, %" G_GUINT64_FORMAT " open at end",
                                                   a->resources_opened, a->resources_closed,
                                                   a->resources_open_at_end));
    facts_add_take(g, "Marks and spans", g_strdup_printf("%u marks, %u spans", a->nmarks, a->nspans));
    if (a->lost_events)
        facts_add_take(g, "Lost events", g_strdup_printf("%" G_GUINT64_FORMAT " dropped by the recorder",
                                                         a->lost_events));
    facts_add_take(g, "Ending", g_strdup(a->truncated ? "truncated: the file stops inside a chunk"
                                         : a->complete ? "complete"
                                                       : "incomplete: no end marker (the program did not exit cleanly)"));
    if (a->ndamage)
        facts_add_take(g, "Damage", g_strdup_printf("%u places skipped, %s%" G_GUINT64_FORMAT " events lost",
                                                    a->damage_places, a->damage_events_unknown ? "at least " : "",
                                                    a->damage_events_lost));
}

static void _leakscope_window_fill_leaks(LeakscopeWindow *self)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    leakscope_stack_list_set_source(self->leaks_list, a, self->syms);
    leakscope_stack_list_set_columns(self->leaks_list, "Allocated at (expand for the call stack)", "Bytes",
                                     LEAKSCOPE_VALUE_BYTES, "Blocks", LEAKSCOPE_VALUE_COUNT);
    for (guint i = 0; i < a->nleaks && i < LEAK_ROWS_MAX; i++)
        leakscope_stack_list_append(self->leaks_list, NULL, a->leaks[i].bytes, a->leaks[i].blocks,
                                    a->leaks[i].stack);
    g_autofree char *lk = leakscope_format_bytes(a->leaked_bytes);
    g_autofree char *t = a->nleaks ? g_strdup_printf("%s leaked in %" G_GUINT64_FORMAT " blocks from %u call sites%s",
                                                     lk, a->leaked_blocks, a->nleaks,
                                                     a->nleaks > LEAK_ROWS_MAX ? " (the largest 5000 listed)" : "")
                                   : g_strdup("No leaks: every block allocated was freed by the end.");
    gtk_label_set_text(self->leaks_title, t);
    leakscope_stack_list_set_placeholder(self->leaks_list, "No leaks.");
}

static void _leakscope_window_fill_resources(LeakscopeWindow *self)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    leakscope_stack_list_set_source(self->open_list, a, self->syms);
    leakscope_stack_list_set_columns(self->open_list, "Kind · opened at (expand for the call stack)", "Left open",
                                     LEAKSCOPE_VALUE_COUNT, NULL, LEAKSCOPE_VALUE_COUNT);
    for (guint i = 0; i < a->nopen_res && i < LEAK_ROWS_MAX; i++) {
        g_autofree char *kind = leakscope_text_from_trace(ls_analysis_string(a, a->open_res[i].kind));
        leakscope_stack_list_append(self->open_list, kind, a->open_res[i].count, 0, a->open_res[i].stack);
    }
    GString *s = g_string_new(NULL);
    if (!a->nres_kinds)
        g_string_append(s, "No resources recorded.");
    for (guint i = 0; i < a->nres_kinds; i++) {
        const ls_resource_kind *k = &a->res_kinds[i];
        g_autofree char *name = leakscope_text_from_trace(ls_analysis_string(a, k->kind));
        g_string_append_printf(s, "%s%s: %" G_GUINT64_FORMAT " opened, %" G_GUINT64_FORMAT " closed, %" G_GUINT64_FORMAT
                               " open at end",
                               i ? "\n" : "", name, k->opened, k->closed, k->open_at_end);
    }
    gtk_label_set_text(self->resources_title, s->str);
    leakscope_stack_list_set_placeholder(self->open_list, a->nres_kinds ? "Every resource opened was closed."
                                                                        : "No resources recorded in this trace.");
    g_string_free(s, TRUE);
}

static void _leakscope_window_fill_gc(LeakscopeWindow *self)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    const ls_gc_stats *st = &a->gc_stats;
    GtkGrid *g = self->gc_grid;
    _leakscope_window_facts_clear(g);
    if (!st->pauses) {
        _leakscope_window_facts_add(g, "Pauses", "none recorded");
        return;
    }
    facts_add_take(g, "Pauses", g_strdup_printf("%" G_GUINT64_FORMAT, st->pauses));
    facts_add_take(g, "Total", leakscope_format_duration(st->total_ns));
    guint64 dur = timeline_end(self->tl) - timeline_begin(self->tl);
    if (dur)
        facts_add_take(g, "Share of the run", g_strdup_printf("%.2f %%", 100.0 * (double)st->total_ns / (double)dur));
    facts_add_take(g, "Longest", leakscope_format_duration(st->max_ns));
    facts_add_take(g, "Median (p50)", leakscope_format_duration(st->p50_ns));
    facts_add_take(g, "p99", leakscope_format_duration(st->p99_ns));
    facts_add_take(g, "Mean", leakscope_format_duration(st->total_ns / st->pauses));
    /* the longest pauses, with why and when */
    guint top[5] = { 0 }, ntop = 0;
    for (guint i = 0; i < a->ngc; i++) {
        guint64 d = a->gc[i].end - a->gc[i].begin;
        guint j = ntop < 5 ? ntop++ : 5;
        while (j > 0 && a->gc[top[j - 1]].end - a->gc[top[j - 1]].begin < d) {
            if (j < 5)
                top[j] = top[j - 1];
            j--;
        }
        if (j < 5)
            top[j] = i;
    }
    for (guint k = 0; k < ntop; k++) {
        const ls_gc_pause *p = &a->gc[top[k]];
        g_autofree char *d = leakscope_format_duration(p->end - p->begin);
        g_autofree char *at = leakscope_format_duration(rel(self, p->begin));
        g_autofree char *reason = leakscope_text_from_trace(ls_analysis_string(a, p->reason));
        g_autofree char *after = leakscope_format_bytes(p->heap_after);
        g_autofree char *key = g_strdup_printf("Longest #%u", k + 1);
        g_autofree char *tn = _leakscope_window_thread_text(a, p->thread);
        facts_add_take(g, key, g_strdup_printf("%s at %s (%s), heap after %s, thread %s", d, at,
                                               reason[0] ? reason : "no reason given", after, tn));
    }
}

/* ---- the call trees: Flame Graph and Call Tree ---- */

/* What the flame panel's line says: the frame under the pointer or the
 * search's share, else what the trees cover. */
static void _leakscope_window_update_flame_info(LeakscopeWindow *self)
{
    const char *hover = leakscope_flame_get_hover_text(self->flame);
    if (hover[0] || !self->tl) {
        gtk_label_set_text(self->flame_info, hover);
        return;
    }
    g_autofree char *what = NULL;
    if (self->trees_whole) {
        what = g_strdup("The whole trace (Shift+drag on the timeline to look at a range)");
    } else {
        g_autofree char *a = leakscope_format_duration(rel(self, self->trees_t0));
        g_autofree char *b = leakscope_format_duration(rel(self, self->trees_t1));
        what = g_strdup_printf("The selection, %s to %s", a, b);
    }
    g_autofree char *text = g_strdup_printf("%s%s", what, self->trees_pending ? " · computing…" : "");
    gtk_label_set_text(self->flame_info, text);
}

static void _leakscope_window_show_histograms(LeakscopeWindow *self, guint32 stack);

static void on_trees_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    GError *error = NULL;
    LeakscopeTrees *t = leakscope_trees_compute_finish(res, &error);
    if (!t) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->tl &&
            g_task_get_cancellable(G_TASK(res)) == self->trees_cancellable) {
            self->trees_pending = FALSE;
            _leakscope_window_show_banner(self, error->message, TRUE);
        }
        g_error_free(error);
        g_object_unref(self);
        return;
    }
    /* only the latest request's answer: an older one (another range, the
     * trace before) may finish after it was cancelled */
    if (self->tl && self->trees_pending && g_task_get_cancellable(G_TASK(res)) == self->trees_cancellable) {
        self->trees_pending = FALSE;
        /* the new picture replaces the old one only now that it is ready */
        leakscope_flame_set_trees(self->flame, t);
        leakscope_calltree_view_set_trees(self->calltree, t);
        if (t->whole) /* the comparison is of whole runs */
            leakscope_flame_set_trees(self->compare_flame, t);
        _leakscope_window_update_flame_info(self);
        g_clear_pointer(&self->hist_trees, leakscope_trees_unref);
        if (!t->whole && t->range)
            self->hist_trees = leakscope_trees_ref(t);
        _leakscope_window_show_histograms(self, self->hist_stack);
    }
    leakscope_trees_unref(t);
    g_object_unref(self);
}

static gboolean _leakscope_window_compute_trees(gpointer data)
{
    LeakscopeWindow *self = data;
    self->trees_source_id = 0;
    if (!self->tl)
        return G_SOURCE_REMOVE;
    guint64 t0 = 0, t1 = 0;
    gboolean whole = !leakscope_timeline_get_selection(self->timeline, &t0, &t1);
    if (whole)
        t0 = t1 = 0;
    LeakscopeTrees *shown = leakscope_flame_get_trees(self->flame);
    if (shown && whole == self->trees_whole && t0 == self->trees_t0 && t1 == self->trees_t1 && !self->trees_pending)
        return G_SOURCE_REMOVE;
    self->trees_whole = whole;
    self->trees_t0 = t0;
    self->trees_t1 = t1;
    self->trees_pending = TRUE;
    g_cancellable_cancel(self->trees_cancellable);
    g_clear_object(&self->trees_cancellable);
    self->trees_cancellable = g_cancellable_new();
    leakscope_trees_compute_async(self->tree_source, whole, t0, t1, self->trees_cancellable, on_trees_done,
                                  g_object_ref(self));
    _leakscope_window_update_flame_info(self);
    return G_SOURCE_REMOVE;
}

/* The trees follow the selection, a moment after it stops moving. */
static void _leakscope_window_queue_trees(LeakscopeWindow *self)
{
    if (!self->tl)
        return;
    g_clear_handle_id(&self->trees_source_id, g_source_remove);
    self->trees_source_id = g_timeout_add(150, _leakscope_window_compute_trees, self);
}

void _leakscope_window_select_function(LeakscopeWindow *self, const char *function)
{
    if (function && !function[0])
        function = NULL;
    if (!g_strcmp0(function, self->selected_function))
        return;
    g_free(self->selected_function);
    self->selected_function = g_strdup(function);
    leakscope_flame_set_selected(self->flame, function);
    leakscope_calltree_view_set_selected(self->calltree, function);
    leakscope_stack_list_set_highlight(self->leaks_list, function);
    leakscope_stack_list_set_highlight(self->growth_list, function);
    /* the followed call sites in that function: their live bytes over the heap */
    guint64 mask = 0;
    for (guint i = 0; function && self->site_functions && self->site_functions[i] && i < 64; i++)
        if (!strcmp(self->site_functions[i], function))
            mask |= (guint64)1 << i;
    leakscope_timeline_set_site_selected(self->timeline, mask);
}

/* ---- the heap by call site ---- */

#define SITES_FOLLOWED 32 /* the largest stacks followed: the 8 largest get a band; any of them can be selected */

static void on_sites_done(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    GError *error = NULL;
    ls_site_series *s = leakscope_scanner_site_series_finish(res, &error);
    if (!s) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->tl &&
            g_task_get_cancellable(G_TASK(res)) == self->sites_cancellable)
            _leakscope_window_show_banner(self, error->message, TRUE);
        g_error_free(error);
        g_object_unref(self);
        return;
    }
    if (!self->tl || self->sites || g_task_get_cancellable(G_TASK(res)) != self->sites_cancellable) {
        ls_site_series_free(s);
        g_object_unref(self);
        return;
    }
    const ls_analysis *a = timeline_analysis(self->tl);
    guint n = ls_site_series_count(s);
    self->sites = s;
    self->site_names = g_new0(char *, n + 1);
    self->site_functions = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        char buf[512];
        ls_site_name(self->syms, a, ls_site_series_stack(s, i), buf, sizeof buf);
        self->site_names[i] = leakscope_text_from_trace(buf);
        self->site_functions[i] = g_strdup(ls_site_function(self->syms, a, ls_site_series_stack(s, i), buf, sizeof buf));
    }
    leakscope_timeline_set_sites(self->timeline, s, MIN(n, RENDER_SITE_BANDS), (const char *const *)self->site_names);
    g_autofree char *selected = g_strdup(self->selected_function);
    g_clear_pointer(&self->selected_function, g_free);
    _leakscope_window_select_function(self, selected); /* its mask, now that there are series */
    g_object_unref(self);
}

/* Adds `stack` to stacks[0 .. *n) unless it is there or the list is full. */
static void _leakscope_window_follow(guint32 *stacks, guint *n, guint32 stack)
{
    for (guint i = 0; i < *n; i++)
        if (stacks[i] == stack)
            return;
    if (*n < LS_SITE_SERIES_MAX)
        stacks[(*n)++] = stack;
}

static void _leakscope_window_compute_sites(LeakscopeWindow *self)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    guint32 stacks[LS_SITE_SERIES_MAX];
    guint n = ls_site_series_rank(a, stacks, SITES_FOLLOWED);
    /* the heap's growth suspects and growing iteration sites too, however
     * small: choosing one draws its live bytes over the heap */
    const ls_growth *g = timeline_growth(self->tl);
    for (guint32 i = 0; g && i < g->nheap; i++)
        _leakscope_window_follow(stacks, &n, g->heap[i].stack);
    for (guint32 i = 0; g && i < g->niter; i++)
        if (g->iter[i].growing)
            _leakscope_window_follow(stacks, &n, g->iter[i].stack);
    self->sites_cancellable = g_cancellable_new();
    leakscope_scanner_site_series_async(self->scanner, a->first_ts, a->last_ts, stacks, n, self->sites_cancellable,
                                        on_sites_done, g_object_ref(self));
}

/* ---- sizes and lifetimes ---- */

/* The histograms of one stack (LS_HIST_ALL: every one), of the selection
 * when the panels show one (what it made: hist_trees), else of the whole
 * trace. */
static void _leakscope_window_show_histograms(LeakscopeWindow *self, guint32 stack)
{
    const ls_analysis *a = self->tl ? timeline_analysis(self->tl) : NULL;
    self->hist_stack = stack;
    if (!a) {
        leakscope_hist_view_set(self->hist_sizes, NULL);
        leakscope_hist_view_set(self->hist_lifetimes, NULL);
        gtk_label_set_text(self->hist_info, "");
        return;
    }
    const LeakscopeTrees *rt = self->hist_trees;
    const ls_range *r = rt ? rt->range : NULL;
    g_autofree char *title = NULL, *scope = NULL;
    if (r) {
        g_autofree char *t0 = leakscope_format_duration(rel(self, r->t0));
        g_autofree char *t1 = leakscope_format_duration(rel(self, r->t1));
        scope = g_strdup_printf("Selection %s to %s, ", t0, t1);
    }
    render_hist_params p = { .hist = r ? r->hist : a->hist, .stack = stack };
    if (stack == LS_HIST_ALL) {
        p.live_blocks = r ? r->live_blocks : a->leaked_blocks;
        p.live_bytes = r ? r->live_bytes : a->leaked_bytes;
        title = g_strdup(r ? "every allocation of the selection" : "every allocation of the trace");
    } else {
        char site[512];
        ls_site_name(self->syms, a, stack, site, sizeof site);
        ls_stack_use u = { 0 };
        if (r && stack < rt->nuse && rt->use)
            u = rt->use[stack];
        else if (!r && stack < a->nstacks && a->stack_use)
            u = a->stack_use[stack];
        p.live_blocks = u.live_blocks;
        p.live_bytes = u.live_bytes;
        title = leakscope_text_from_trace(site);
    }
    p.title = title;
    p.kind = LS_HIST_SIZES;
    leakscope_hist_view_set(self->hist_sizes, &p);
    p.kind = LS_HIST_LIFETIMES;
    leakscope_hist_view_set(self->hist_lifetimes, &p);
    const char *what = stack == LS_HIST_ALL ? "" : r ? "call site: " : "Call site: ";
    g_autofree char *info = g_strdup_printf("%s%s%s (hover a bar for its numbers)",
                                            r ? scope : stack == LS_HIST_ALL ? "Whole trace: " : "", what, title);
    gtk_label_set_text(self->hist_info, info);
}

static void on_hist_all(GtkButton *b, LeakscopeWindow *self)
{
    (void)b;
    _leakscope_window_show_histograms(self, LS_HIST_ALL);
}

/* A chart's hover text into its panel's line (`info`). */
static void on_hist_hover(LeakscopeHistView *v, GParamSpec *ps, GtkLabel *info)
{
    (void)ps;
    const char *h = leakscope_hist_view_get_hover_text(v);
    if (h[0])
        gtk_label_set_text(info, h);
}

/* A leak row, a range's growth row, or a row of the leak classes, the
 * growth suspects or the iterations: its call site's function, and its
 * histograms. */
static void on_site_selected(GtkWidget *list, guint stack, LeakscopeWindow *self)
{
    (void)list;
    char fn[512];
    if (!self->tl)
        return;
    _leakscope_window_select_function(self, ls_site_function(self->syms, timeline_analysis(self->tl), stack, fn,
                                                             sizeof fn));
    _leakscope_window_show_histograms(self, stack);
}

static void on_flame_frame(LeakscopeFlame *f, const char *function, LeakscopeWindow *self)
{
    (void)f;
    _leakscope_window_select_function(self, function);
}

static void on_calltree_function(LeakscopeCalltreeView *v, const char *function, LeakscopeWindow *self)
{
    (void)v;
    _leakscope_window_select_function(self, function);
}

static void on_flame_hover(GObject *o, GParamSpec *ps, LeakscopeWindow *self)
{
    (void)o;
    (void)ps;
    _leakscope_window_update_flame_info(self);
}

static void on_flame_metric(GObject *o, GParamSpec *ps, LeakscopeWindow *self)
{
    (void)ps;
    guint m = gtk_drop_down_get_selected(GTK_DROP_DOWN(o));
    if (m < LS_METRIC_COUNT)
        leakscope_flame_set_metric(self->flame, (ls_metric)m);
}

static void on_flame_icicle(GtkToggleButton *b, LeakscopeWindow *self)
{
    leakscope_flame_set_icicle(self->flame, gtk_toggle_button_get_active(b));
}

static void on_flame_reset(GtkButton *b, LeakscopeWindow *self)
{
    (void)b;
    if (leakscope_flame_get_trees(self->flame))
        leakscope_flame_zoom(self->flame, LS_CALLTREE_ROOT);
}

static void on_flame_search(GtkSearchEntry *e, LeakscopeWindow *self)
{
    leakscope_flame_set_search(self->flame, gtk_editable_get_text(GTK_EDITABLE(e)));
}

/* ---- Compare with… ---- */

#define COMPARE_ROWS_MAX 200

/* The sizes of both runs: of row w's call site, or of the whole runs (w NULL). */
static void _leakscope_window_show_compare_sizes(LeakscopeWindow *self, const ls_diff_row *w)
{
    const ls_site_diff *d = self->diff;
    if (!d) {
        leakscope_hist_view_set(self->compare_sizes, NULL);
        gtk_label_set_text(self->compare_hist_info, "");
        return;
    }
    g_autofree char *title = NULL;
    if (w) {
        uint32_t stack;
        const ls_diff_run *r = ls_diff_row_run(d, w, &stack);
        char site[512];
        ls_site_name(r->syms, r->a, stack, site, sizeof site);
        title = leakscope_text_from_trace(site);
    } else {
        title = g_strdup("every allocation of both runs");
    }
    render_hist_params p = { .kind = LS_HIST_SIZES, .stack = LS_HIST_ALL, .h = ls_diff_sizes(d, w, 1),
                             .base = ls_diff_sizes(d, w, 0), .title = title };
    leakscope_hist_view_set(self->compare_sizes, &p);
    g_autofree char *info = g_strdup_printf("%s%s (hover a bar for both runs' numbers)",
                                            w ? "Call site: " : "Whole runs: ", title);
    gtk_label_set_text(self->compare_hist_info, info);
}

/* The diff row a list row shows (-1: none, e.g. "No call site changed."). */
static gint _leakscope_window_compare_row_index(GtkListBoxRow *row)
{
    GtkWidget *l = row ? gtk_list_box_row_get_child(row) : NULL;
    return l ? GPOINTER_TO_INT(g_object_get_data(G_OBJECT(l), "diff-row")) - 1 : -1;
}

/* A row of the diff table: its call site's sizes, and its function selected everywhere. */
static void on_compare_row_selected(GtkListBox *list, GtkListBoxRow *row, LeakscopeWindow *self)
{
    (void)list;
    if (!self->compare_sizes || !self->compare_hist_info) /* disposing */
        return;
    gint i = _leakscope_window_compare_row_index(row);
    const ls_diff_row *w = self->diff && i >= 0 && (guint)i < self->diff->nrows ? &self->diff->rows[i] : NULL;
    _leakscope_window_show_compare_sizes(self, w);
    if (w) {
        uint32_t stack;
        const ls_diff_run *r = ls_diff_row_run(self->diff, w, &stack);
        char fn[512];
        _leakscope_window_select_function(self, ls_site_function(r->syms, r->a, stack, fn, sizeof fn));
    }
}

static void on_compare_hist_all(GtkButton *b, LeakscopeWindow *self)
{
    (void)b;
    gtk_list_box_unselect_all(self->compare_list);
    _leakscope_window_show_compare_sizes(self, NULL);
}

static void _leakscope_window_fill_compare(LeakscopeWindow *self)
{
    GtkWidget *c;
    while ((c = gtk_widget_get_first_child(GTK_WIDGET(self->compare_list))))
        gtk_list_box_remove(self->compare_list, c);
    const ls_site_diff *d = self->diff;
    static const char *const labels[LS_DIFF_VALUES] = { "allocated", "allocations", "leaked", "peak", "temporary" };
    GString *title = g_string_new(NULL);
    g_autofree char *base = leakscope_text_from_trace(self->base->path);
    g_string_append_printf(title, "Compared with %s (the base run; red grew, blue shrank):", base);
    for (int k = 0; k < LS_DIFF_VALUES; k++) {
        char v[48];
        ls_format_signed((int64_t)(d->run[1].total[k] - d->run[0].total[k]), ls_diff_value_is_bytes((ls_diff_value)k), v,
                         sizeof v);
        g_string_append_printf(title, "%s %s %s", k ? "," : "", labels[k], v);
    }
    gtk_label_set_text(self->compare_title, title->str);
    g_string_free(title, TRUE);
    guint shown = 0;
    for (uint32_t i = 0; i < d->nrows && shown < COMPARE_ROWS_MAX; i++) {
        const ls_diff_row *w = &d->rows[i];
        if (!ls_diff_row_changed(w))
            continue;
        shown++;
        GString *line = g_string_new(NULL);
        for (int k = 0; k < LS_DIFF_VALUES; k++) {
            char v[48];
            ls_format_signed(w->d[k], ls_diff_value_is_bytes((ls_diff_value)k), v, sizeof v);
            g_string_append_printf(line, "%s%s %s", k ? ", " : "", v, labels[k]);
        }
        uint32_t stack;
        const ls_diff_run *r = ls_diff_row_run(d, w, &stack);
        char site[512];
        ls_site_name(r->syms, r->a, stack, site, sizeof site);
        g_autofree char *name = leakscope_text_from_trace(site);
        g_string_append_printf(line, "\n%s%s", name, w->base < 0 ? "  (new)" : w->new_ < 0 ? "  (gone)" : "");
        GtkWidget *l = gtk_label_new(NULL);
        g_object_set_data(G_OBJECT(l), "diff-row", GINT_TO_POINTER((gint)i + 1));
        gtk_label_set_use_markup(GTK_LABEL(l), FALSE);
        gtk_label_set_text(GTK_LABEL(l), line->str);
        gtk_label_set_xalign(GTK_LABEL(l), 0);
        gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
        gtk_widget_set_margin_start(l, 8);
        gtk_widget_set_margin_top(l, 4);
        gtk_widget_set_margin_bottom(l, 4);
        gtk_list_box_append(self->compare_list, l);
        g_string_free(line, TRUE);
    }
    if (!shown)
        gtk_list_box_append(self->compare_list, gtk_label_new("No call site changed."));
}

char *_leakscope_window_compare_text(LeakscopeWindow *self)
{
    GString *s = g_string_new(NULL);
    for (GtkWidget *r = gtk_widget_get_first_child(GTK_WIDGET(self->compare_list)); r; r = gtk_widget_get_next_sibling(r)) {
        GtkWidget *l = gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(r));
        if (GTK_IS_LABEL(l))
            g_string_append_printf(s, "%s\n", gtk_label_get_text(GTK_LABEL(l)));
    }
    return g_string_free(s, FALSE);
}

static void on_base_loaded(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    GError *error = NULL;
    LeakscopeBase *b = leakscope_base_load_finish(res, &error);
    gboolean current = self->tl && g_task_get_cancellable(G_TASK(res)) == self->base_cancellable;
    if (!b) {
        if (current && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_autofree char *msg = leakscope_text_from_trace(error->message);
            g_autofree char *line = g_strdup_printf("Cannot compare: %s", msg);
            _leakscope_window_show_banner(self, line, TRUE);
        }
        g_clear_error(&error);
        g_object_unref(self);
        return;
    }
    if (!current) {
        leakscope_base_free(b);
        g_object_unref(self);
        return;
    }
    leakscope_hist_view_set(self->compare_sizes, NULL); /* it borrows what is freed here */
    g_clear_pointer(&self->diff, ls_site_diff_free);
    leakscope_flame_set_base(self->compare_flame, NULL);
    g_clear_pointer(&self->base, leakscope_base_free);
    self->base = b;
    self->diff = ls_site_diff_build(b->a, b->syms, timeline_analysis(self->tl), self->syms);
    if (!self->diff) {
        _leakscope_window_show_banner(self, "Cannot compare: out of memory", TRUE);
        g_object_unref(self);
        return;
    }
    leakscope_flame_set_base(self->compare_flame, b->tree);
    _leakscope_window_fill_compare(self);
    _leakscope_window_show_compare_sizes(self, NULL);
    gtk_stack_set_visible_child_name(self->panel_stack, "compare");
    g_object_unref(self);
}

void _leakscope_window_compare_chosen(LeakscopeWindow *self, GFile *file)
{
    g_autofree char *path = g_file_get_path(file);
    if (!self->tl || !path)
        return;
    g_cancellable_cancel(self->base_cancellable);
    g_clear_object(&self->base_cancellable);
    self->base_cancellable = g_cancellable_new();
    g_autofree char *name = g_file_get_basename(file);
    g_autofree char *shown = leakscope_text_from_trace(name);
    g_autofree char *title = g_strdup_printf("Reading %s…", shown);
    gtk_label_set_text(self->compare_title, title);
    leakscope_base_load_async(path, self->base_cancellable, on_base_loaded, g_object_ref(self));
}

static void on_compare_response(GtkNativeDialog *d, int response, LeakscopeWindow *self)
{
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
        if (f) {
            _leakscope_window_compare_chosen(self, f);
            g_object_unref(f);
        }
    }
    g_clear_object(&self->compare_chooser);
}

static void action_compare(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(w);
    if (self->compare_chooser || !self->tl)
        return;
    self->compare_chooser = gtk_file_chooser_native_new("Compare With an Earlier Run", GTK_WINDOW(self),
                                                        GTK_FILE_CHOOSER_ACTION_OPEN, "_Compare", "_Cancel");
    GtkFileFilter *traces = gtk_file_filter_new();
    gtk_file_filter_set_name(traces, "Leakscope traces");
    gtk_file_filter_add_mime_type(traces, LEAKSCOPE_MIME_TYPE);
    gtk_file_filter_add_suffix(traces, "trace");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->compare_chooser), traces);
    g_object_unref(traces);
    g_signal_connect(self->compare_chooser, "response", G_CALLBACK(on_compare_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->compare_chooser));
}

/* ---- the selected range ---- */

static void on_range_summary(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    GError *error = NULL;
    LeakscopeRangeSummary *r = leakscope_scanner_summarize_finish(res, &error);
    if (!r) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->tl)
            _leakscope_window_facts_add(self->range_grid, "Call sites", error->message);
        g_error_free(error);
        g_object_unref(self);
        return;
    }
    if (self->tl && r->t0 == self->range_t0 && r->t1 == self->range_t1) {
        GtkGrid *g = self->range_grid;
        g_autofree char *ab = leakscope_format_bytes(r->allocated_bytes);
        facts_add_take(g, "Allocated", g_strdup_printf("%s in %" G_GUINT64_FORMAT " allocations", ab, r->allocations));
        /* freed = allocated - net change, exactly: the heap at both ends is known */
        gint64 freed = (gint64)r->allocated_bytes - ((gint64)self->range_h1 - (gint64)self->range_h0);
        g_autofree char *fb = leakscope_format_bytes(freed > 0 ? (guint64)freed : 0);
        facts_add_take(g, "Freed", g_strdup_printf("%s in %" G_GUINT64_FORMAT " frees", fb, r->frees));
        g_autofree char *lb = leakscope_format_bytes(r->live_bytes);
        facts_add_take(g, "Still live at its end",
                       g_strdup_printf("%s in %" G_GUINT64_FORMAT " blocks allocated in the range", lb,
                                       r->live_blocks));
        const ls_analysis *a = timeline_analysis(self->tl);
        leakscope_stack_list_set_source(self->growth_list, a, self->syms);
        leakscope_stack_list_set_columns(self->growth_list, "Grew most in the range (allocated there, live at its end)",
                                         "Bytes", LEAKSCOPE_VALUE_BYTES, "Blocks", LEAKSCOPE_VALUE_COUNT);
        leakscope_stack_list_set_placeholder(self->growth_list,
                                             "Nothing allocated in the range is still live at its end.");
        for (guint i = 0; i < r->growth->len; i++) {
            const LeakscopeGrowth *gr = &g_array_index(r->growth, LeakscopeGrowth, i);
            leakscope_stack_list_append(self->growth_list, NULL, gr->bytes, gr->blocks, gr->stack);
        }
    }
    leakscope_range_summary_free(r);
    g_object_unref(self);
}

static gboolean _leakscope_window_summarize_range(gpointer data)
{
    LeakscopeWindow *self = data;
    self->range_source = 0;
    if (!self->tl)
        return G_SOURCE_REMOVE;
    guint64 t0, t1;
    gboolean selected = leakscope_timeline_get_selection(self->timeline, &t0, &t1);
    if (!selected)
        leakscope_timeline_get_range(self->timeline, &t0, &t1);
    if (t0 == self->range_t0 && t1 == self->range_t1)
        return G_SOURCE_REMOVE;
    self->range_t0 = t0;
    self->range_t1 = t1;
    g_cancellable_cancel(self->range_cancellable);
    g_clear_object(&self->range_cancellable);

    GtkGrid *g = self->range_grid;
    _leakscope_window_facts_clear(g);
    leakscope_stack_list_clear(self->growth_list);
    leakscope_stack_list_set_placeholder(self->growth_list, "Looking at the call sites in the range…");
    g_autofree char *a = leakscope_format_duration(rel(self, t0));
    g_autofree char *b = leakscope_format_duration(rel(self, t1));
    g_autofree char *d = leakscope_format_duration(t1 - t0);
    facts_add_take(g, selected ? "Selection" : "Visible range (Shift+drag to select)",
                   g_strdup_printf("%s to %s (%s)", a, b, d));
    guint64 mn, h0, h1;
    timeline_heap_range(self->tl, t0, t0 + 1, 1, &h0, &mn);
    timeline_heap_range(self->tl, t1, t1 + 1, 1, &h1, &mn);
    g_autofree char *hb0 = leakscope_format_bytes(h0);
    g_autofree char *hb1 = leakscope_format_bytes(h1);
    g_autofree char *net = leakscope_format_bytes(h1 > h0 ? h1 - h0 : h0 - h1);
    facts_add_take(g, "Heap", g_strdup_printf("%s → %s", hb0, hb1));
    facts_add_take(g, "Net change", g_strdup_printf("%s%s", h1 >= h0 ? "+" : "−", net));
    self->range_h0 = h0;
    self->range_h1 = h1;
    self->range_cancellable = g_cancellable_new();
    leakscope_scanner_summarize_async(self->scanner, t0, t1, self->range_cancellable, on_range_summary,
                                      g_object_ref(self));
    return G_SOURCE_REMOVE;
}

static void _leakscope_window_queue_range(LeakscopeWindow *self)
{
    if (!self->tl || g_strcmp0(gtk_stack_get_visible_child_name(self->panel_stack), "range"))
        return;
    g_clear_handle_id(&self->range_source, g_source_remove);
    self->range_source = g_timeout_add(250, _leakscope_window_summarize_range, self);
}

static void on_panel_changed(GObject *o, GParamSpec *ps, LeakscopeWindow *self)
{
    (void)o;
    (void)ps;
    _leakscope_window_queue_range(self);
}

/* A time in the view, with the digits the view's span needs (never
 * "1.479 s – 1.479 s" for a view 200 ns wide). */
static char *_leakscope_window_time_text(LeakscopeWindow *self, guint64 t, guint64 span)
{
    char buf[64];
    render_time_text(rel(self, t), span / 20 ? span / 20 : 1, buf, sizeof buf);
    return g_strdup(buf);
}

static void _leakscope_window_update_status(LeakscopeWindow *self)
{
    if (!self->tl)
        return;
    guint64 t0, t1, s0, s1;
    leakscope_timeline_get_range(self->timeline, &t0, &t1);
    g_autofree char *a = _leakscope_window_time_text(self, t0, t1 - t0);
    g_autofree char *b = _leakscope_window_time_text(self, t1, t1 - t0);
    g_autofree char *d = leakscope_format_duration(t1 - t0);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "View %s – %s (%s)", a, b, d);
    if (leakscope_timeline_get_selection(self->timeline, &s0, &s1)) {
        g_autofree char *sd = leakscope_format_duration(s1 - s0);
        g_string_append_printf(s, "   ·   selection %s: Z to zoom to it, Esc to clear", sd);
    }
    g_autofree char *readout = leakscope_timeline_get_hover_label(self->timeline);
    if (readout) {
        /* the readout drawn on the timeline, word for word (render_hover_label) */
        g_string_append_printf(s, "   ·   at %s", readout);
        if (self->hover_status)
            g_string_append_printf(s, " · %s", self->hover_status);
    } else {
        g_string_append(s, "   ·   +/− or Ctrl+scroll to zoom, drag or arrows to pan, Shift+drag to select, "
                           "0 to fit");
    }
    gtk_label_set_text(self->status_label, s->str);
    g_string_free(s, TRUE);
}

/* ---- what is under the pointer ---- */

static void on_hover_found(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    trace_event ev;
    GError *error = NULL;
    gboolean ok = leakscope_scanner_find_finish(res, &ev, NULL, &error);
    if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        g_object_unref(self);
        return;
    }
    g_clear_error(&error);
    if (self->tl) {
        const ls_analysis *a = timeline_analysis(self->tl);
        g_autofree char *text = NULL;
        if (!ok) {
            text = g_strdup("no event here");
        } else if (ev.kind == TRACE_ALLOC || ev.kind == TRACE_REALLOC) {
            char site[512];
            ls_site_name(self->syms, a, (guint32)ev.stack, site, sizeof site);
            g_autofree char *size = leakscope_format_bytes(ev.size);
            g_autofree char *where = leakscope_text_from_trace(site);
            text = g_strdup_printf("%s %s at %s", trace_kind_name(ev.kind), size, where);
        } else if (ev.kind == TRACE_RES_OPEN || ev.kind == TRACE_RES_CLOSE) {
            g_autofree char *kind = leakscope_text_from_trace(ls_analysis_string(a, (guint32)ev.str));
            char site[512] = "";
            if (ev.stack) /* an open's stack, or (format 3) a close's */
                ls_site_name(self->syms, a, (guint32)ev.stack, site, sizeof site);
            g_autofree char *where = leakscope_text_from_trace(site);
            text = g_strdup_printf("%s %s %" G_GUINT64_FORMAT "%s%s", trace_kind_name(ev.kind), kind, ev.value,
                                   site[0] ? " at " : "", where);
        } else {
            text = g_strdup(trace_kind_name(ev.kind));
        }
        g_free(self->hover_status);
        self->hover_status = g_steal_pointer(&text);
        leakscope_timeline_set_hover_text(self->timeline, self->hover_status);
        _leakscope_window_update_status(self);
    }
    g_object_unref(self);
}

/* Names what is under the pointer: the drawn things (a GC pause, a mark, a
 * span, a resource's bar) at once, an allocation or a resource event from
 * the trace (off the main thread). */
static gboolean _leakscope_window_lookup_hover(gpointer data)
{
    LeakscopeWindow *self = data;
    self->hover_source = 0;
    double x, y;
    LeakscopeTimelineHit hit;
    if (!self->tl || !leakscope_timeline_get_hover(self->timeline, &x, &y) ||
        !leakscope_timeline_hit_test(self->timeline, x, y, &hit))
        return G_SOURCE_REMOVE;
    const ls_analysis *a = timeline_analysis(self->tl);
    g_autofree char *text = NULL;
    LeakscopeEventQuery q = { .lo = hit.t > hit.slack ? hit.t - hit.slack : 0, .hi = hit.t + hit.slack, .t = hit.t };
    switch (hit.kind) {
    case RENDER_HIT_HEAP:
    case RENDER_HIT_THREADS: q.kinds = 1u << TRACE_ALLOC | 1u << TRACE_REALLOC; break;
    case RENDER_HIT_RESOURCES: q.kinds = 1u << TRACE_RES_OPEN | 1u << TRACE_RES_CLOSE; break;
    case RENDER_HIT_GC: {
        const ls_gc_pause *g = &a->gc[hit.index];
        g_autofree char *d = leakscope_format_duration(g->end - g->begin);
        g_autofree char *tn = _leakscope_window_thread_text(a, g->thread);
        text = g_strdup_printf("GC pause %s on %s", d, tn);
        break;
    }
    case RENDER_HIT_LIFETIME: {
        g_autofree char *kind = leakscope_text_from_trace(ls_analysis_string(a, hit.lifetime.kind));
        g_autofree char *d = leakscope_format_duration(hit.lifetime.end - hit.lifetime.begin);
        text = g_strdup_printf("%s %" G_GUINT64_FORMAT " open for %s%s", kind, hit.lifetime.handle, d,
                               hit.lifetime.closed ? "" : ", never closed");
        break;
    }
    case RENDER_HIT_MARK: {
        g_autofree char *label = leakscope_text_from_trace(ls_analysis_string(a, a->marks[hit.index].label));
        text = g_strdup_printf("mark “%s”", label);
        break;
    }
    case RENDER_HIT_SITE: {
        g_autofree char *bytes = leakscope_format_bytes(hit.bytes);
        text = hit.index < ls_site_series_count(self->sites) && self->site_names
                   ? g_strdup_printf("%s live at %s", bytes, self->site_names[hit.index])
                   : g_strdup_printf("%s live at the other call sites", bytes);
        break;
    }
    case RENDER_HIT_SPAN: {
        const ls_span *sp = &a->spans[hit.index];
        g_autofree char *label = leakscope_text_from_trace(ls_analysis_string(a, sp->label));
        g_autofree char *d = leakscope_format_duration((sp->end ? sp->end : timeline_end(self->tl)) - sp->begin);
        text = g_strdup_printf("span “%s”, %s%s", label, d, sp->end ? "" : " (never ended)");
        break;
    }
    default: return G_SOURCE_REMOVE;
    }
    if (text) {
        g_free(self->hover_status);
        self->hover_status = g_steal_pointer(&text);
        leakscope_timeline_set_hover_text(self->timeline, self->hover_status);
        _leakscope_window_update_status(self);
        return G_SOURCE_REMOVE;
    }
    self->hover_cancellable = g_cancellable_new();
    leakscope_scanner_find_async(self->scanner, &q, self->hover_cancellable, on_hover_found, g_object_ref(self));
    return G_SOURCE_REMOVE;
}

static void _leakscope_window_cancel_hover(LeakscopeWindow *self)
{
    g_clear_handle_id(&self->hover_source, g_source_remove);
    g_cancellable_cancel(self->hover_cancellable);
    g_clear_object(&self->hover_cancellable);
    g_clear_pointer(&self->hover_status, g_free);
}

static void on_hover_changed(LeakscopeTimeline *tl, LeakscopeWindow *self)
{
    (void)tl;
    _leakscope_window_cancel_hover(self);
    double x, y;
    if (self->tl && leakscope_timeline_get_hover(self->timeline, &x, &y))
        self->hover_source = g_timeout_add(80, _leakscope_window_lookup_hover, self);
    _leakscope_window_update_status(self);
}

static void on_view_changed(LeakscopeTimeline *tl, LeakscopeWindow *self)
{
    /* what was under the pointer in the last view is not what is there now */
    on_hover_changed(tl, self);
    _leakscope_window_queue_range(self);
}

static void on_selection_changed(LeakscopeTimeline *tl, LeakscopeWindow *self)
{
    (void)tl;
    _leakscope_window_update_status(self);
    _leakscope_window_update_actions(self);
    _leakscope_window_queue_range(self);
    _leakscope_window_queue_trees(self);
}

/* ---- details of a clicked event ---- */

/* A stack's frames under `title`, one a line. */
static char *_leakscope_window_stack_text(LeakscopeWindow *self, const char *title, guint32 stack)
{
    GPtrArray *lines = leakscope_stack_lines(self->syms, timeline_analysis(self->tl), stack, 0);
    g_ptr_array_add(lines, NULL);
    g_autofree char *text = g_strjoinv("\n", (char **)lines->pdata);
    g_ptr_array_unref(lines);
    return g_strconcat(title, " (innermost first):\n", text, NULL);
}

static void _leakscope_window_show_stack(LeakscopeWindow *self, guint32 stack)
{
    g_autofree char *all = _leakscope_window_stack_text(self, "Call stack", stack);
    gtk_label_set_text(self->details_stack, all);
}

/* A resource's bar: its kind and handle, when and by which thread it was
 * opened and closed, and the stacks of both (from the timeline's lifetime:
 * nothing to look up). */
static void _leakscope_window_show_lifetime(LeakscopeWindow *self, const timeline_lifetime *lt)
{
    const ls_analysis *a = timeline_analysis(self->tl);
    GtkGrid *g = self->details_grid;
    g_autofree char *opener = _leakscope_window_thread_text(a, lt->open_thread);
    g_autofree char *opened = leakscope_format_duration(rel(self, lt->begin));
    _leakscope_window_facts_add(g, "Event", "resource");
    facts_add_take(g, "Kind", leakscope_text_from_trace(ls_analysis_string(a, lt->kind)));
    facts_add_take(g, "Handle", g_strdup_printf("%" G_GUINT64_FORMAT, lt->handle));
    facts_add_take(g, "Opened", g_strdup_printf("at %s by %s", opened, opener));
    g_autofree char *closed = leakscope_format_duration(rel(self, lt->end));
    if (!lt->closed) {
        _leakscope_window_facts_add(g, "Closed", "never: still open at the end");
    } else if (lt->close_thread) {
        g_autofree char *closer = _leakscope_window_thread_text(a, lt->close_thread);
        facts_add_take(g, "Closed", g_strdup_printf("at %s by %s%s", closed, closer,
                                                    lt->close_thread != lt->open_thread ? " (another thread)" : ""));
    } else {
        facts_add_take(g, "Closed", g_strdup_printf("at %s, unseen: its handle was opened again then", closed));
    }
    facts_add_take(g, "Open for", leakscope_format_duration(lt->end - lt->begin));
    g_autofree char *open_text = _leakscope_window_stack_text(self, "Opened at", lt->open_stack);
    g_autofree char *close_text = !lt->closed ? g_strdup("Closed at: still open at the end")
                                  : !lt->close_thread
                                      ? g_strdup("Closed at: not recorded (the close was not seen)")
                                      : _leakscope_window_stack_text(self, "Closed at", lt->close_stack);
    g_autofree char *all = g_strconcat(open_text, "\n\n", close_text, NULL);
    gtk_label_set_text(self->details_stack, all);
}

static void on_event_found(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    trace_event ev;
    LeakscopeFate fate;
    GError *error = NULL;
    if (!leakscope_scanner_find_finish(res, &ev, &fate, &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->tl)
            gtk_label_set_text(self->details_stack, error->message);
        g_error_free(error);
        g_object_unref(self);
        return;
    }
    if (self->tl) {
        const ls_analysis *a = timeline_analysis(self->tl);
        GtkGrid *g = self->details_grid;
        facts_add_take(g, "Event", g_strdup(trace_kind_name(ev.kind)));
        facts_add_take(g, "At", leakscope_format_duration(rel(self, ev.ts)));
        facts_add_take(g, "Thread", _leakscope_window_thread_text(a, ev.thread));
        if (ev.kind == TRACE_ALLOC || ev.kind == TRACE_REALLOC || ev.kind == TRACE_FREE)
            facts_add_take(g, "Address", g_strdup_printf("0x%" G_GINT64_MODIFIER "x", ev.kind == TRACE_REALLOC ? ev.addr2 : ev.addr));
        if (ev.kind == TRACE_ALLOC || ev.kind == TRACE_REALLOC)
            facts_add_take(g, "Size", leakscope_format_bytes(ev.size));
        if (fate.kind == LEAKSCOPE_FATE_RELEASED) {
            g_autofree char *at = leakscope_format_duration(rel(self, fate.release.ts));
            g_autofree char *after = leakscope_format_duration(fate.release.ts - ev.ts);
            g_autofree char *by = _leakscope_window_thread_text(a, fate.release.thread);
            facts_add_take(g, "Freed", g_strdup_printf("at %s, %s after, by %s%s", at, after, by,
                                                       fate.release.kind == TRACE_FREE ? "" : " (a realloc)"));
        } else if (fate.kind == LEAKSCOPE_FATE_LIVE) {
            _leakscope_window_facts_add(g, "Freed", a->complete ? "never: still live at the end (a leak)"
                                                                : "not before the trace ends (it was cut short)");
        } else if (fate.kind == LEAKSCOPE_FATE_UNKNOWN) {
            _leakscope_window_facts_add(g, "Freed", "not within the next 4 million events");
        }
        if (ev.kind == TRACE_FREE)
            gtk_label_set_text(self->details_stack, "Frees carry no call stack; the allocation's stack is in the leaks panel if it was never freed.");
        else
            _leakscope_window_show_stack(self, (guint32)ev.stack);
    }
    g_object_unref(self);
}

static void _leakscope_window_find(LeakscopeWindow *self, const LeakscopeEventQuery *q)
{
    g_cancellable_cancel(self->details_cancellable);
    g_clear_object(&self->details_cancellable);
    self->details_cancellable = g_cancellable_new();
    gtk_label_set_text(self->details_stack, "Looking up the event…");
    leakscope_scanner_find_async(self->scanner, q, self->details_cancellable, on_event_found, g_object_ref(self));
}

static void on_hit(LeakscopeTimeline *tlw, gpointer hitp, LeakscopeWindow *self)
{
    (void)tlw;
    const LeakscopeTimelineHit *hit = hitp;
    const ls_analysis *a = timeline_analysis(self->tl);
    GtkGrid *g = self->details_grid;
    _leakscope_window_facts_clear(g);
    gtk_label_set_text(self->details_stack, "");
    g_cancellable_cancel(self->details_cancellable);
    switch (hit->kind) {
    case RENDER_HIT_HEAP:
    case RENDER_HIT_THREADS: {
        LeakscopeEventQuery q = { .lo = hit->t > hit->slack ? hit->t - hit->slack : 0, .hi = hit->t + hit->slack,
                                  .t = hit->t,
                                  .kinds = 1u << TRACE_ALLOC | 1u << TRACE_REALLOC };
        _leakscope_window_facts_add(g, "Clicked", "the allocation nearest to the pointer");
        _leakscope_window_find(self, &q);
        break;
    }
    case RENDER_HIT_GC: {
        const ls_gc_pause *p = &a->gc[hit->index];
        _leakscope_window_facts_add(g, "Event", "GC pause");
        facts_add_take(g, "At", leakscope_format_duration(rel(self, p->begin)));
        facts_add_take(g, "Duration", leakscope_format_duration(p->end - p->begin));
        facts_add_take(g, "Reason", leakscope_text_from_trace(ls_analysis_string(a, p->reason)));
        facts_add_take(g, "Heap after", leakscope_format_bytes(p->heap_after));
        facts_add_take(g, "Thread", _leakscope_window_thread_text(a, p->thread));
        break;
    }
    case RENDER_HIT_LIFETIME:
        _leakscope_window_show_lifetime(self, &hit->lifetime);
        break;
    case RENDER_HIT_FAILURE: {
        const ls_open_failure *f = &a->open_failures[hit->index];
        const char *k = ls_analysis_string(a, f->kind), *slash = strchr(k, '/');
        g_autofree char *err = leakscope_text_from_trace(slash ? slash + 1 : k);
        _leakscope_window_facts_add(g, "Event", "open failed");
        facts_add_take(g, "Error", g_strdup_printf("%s (%s)", err,
                                                   g_str_equal(err, "ENFILE") ? "the system's file table is full"
                                                                              : "too many open files"));
        facts_add_take(g, "At", leakscope_format_duration(rel(self, f->ts)));
        facts_add_take(g, "Thread", _leakscope_window_thread_text(a, f->thread));
        LeakscopeEventQuery q = { .lo = f->ts, .hi = f->ts, .t = f->ts, .kinds = 1u << TRACE_RES_OPEN };
        _leakscope_window_find(self, &q); /* its stack */
        break;
    }
    case RENDER_HIT_RESOURCES: {
        LeakscopeEventQuery q = { .lo = hit->t > hit->slack ? hit->t - hit->slack : 0, .hi = hit->t + hit->slack,
                                  .t = hit->t, .kinds = 1u << TRACE_RES_OPEN | 1u << TRACE_RES_CLOSE };
        _leakscope_window_facts_add(g, "Clicked", "the resource event nearest to the pointer");
        _leakscope_window_find(self, &q);
        break;
    }
    case RENDER_HIT_MARK: {
        const ls_mark *m = &a->marks[hit->index];
        _leakscope_window_facts_add(g, "Event", "mark");
        facts_add_take(g, "Label", leakscope_text_from_trace(ls_analysis_string(a, m->label)));
        facts_add_take(g, "At", leakscope_format_duration(rel(self, m->ts)));
        facts_add_take(g, "Thread", _leakscope_window_thread_text(a, m->thread));
        for (guint i = hit->index + 1; i < a->nmarks; i++)
            if (a->marks[i].label == m->label) {
                facts_add_take(g, "Until the next one", leakscope_format_duration(a->marks[i].ts - m->ts));
                break;
            }
        break;
    }
    case RENDER_HIT_SITE:
        /* a band: its call site's function, selected everywhere */
        if (self->sites && hit->index < ls_site_series_count(self->sites) && hit->index < RENDER_SITE_BANDS)
            _leakscope_window_select_function(self, self->site_functions[hit->index]);
        return;
    case RENDER_HIT_SPAN: {
        const ls_span *sp = &a->spans[hit->index];
        _leakscope_window_facts_add(g, "Event", "span");
        facts_add_take(g, "Label", leakscope_text_from_trace(ls_analysis_string(a, sp->label)));
        facts_add_take(g, "Begins", leakscope_format_duration(rel(self, sp->begin)));
        facts_add_take(g, "Lasts", sp->end ? leakscope_format_duration(sp->end - sp->begin) : g_strdup("never ended"));
        g_autofree char *tn = _leakscope_window_thread_text(a, sp->thread);
        facts_add_take(g, "Thread", g_strdup_printf("%s, depth %u", tn, sp->depth));
        break;
    }
    default:
        return;
    }
    gtk_stack_set_visible_child_name(self->panel_stack, "details");
}

/* ---- loading ---- */

static void _leakscope_window_install(LeakscopeWindow *self, timeline *tl)
{
    _leakscope_window_clear_trace(self);
    self->tl = tl;
    const ls_analysis *a = timeline_analysis(tl);
    self->syms = ls_analysis_symbols(a);
    self->scanner = leakscope_scanner_new(a->index);
    self->tree_source = leakscope_tree_source_new(a);
    leakscope_timeline_set_timeline(self->timeline, tl);
    /* at once (set_timeline's selection-changed queued them for later) */
    g_clear_handle_id(&self->trees_source_id, g_source_remove);
    self->trees_source_id = g_idle_add(_leakscope_window_compute_trees, self);
    _leakscope_window_compute_sites(self);
    _leakscope_window_show_histograms(self, LS_HIST_ALL);

    g_autofree char *base = g_file_get_basename(self->file);
    g_autofree char *name = leakscope_text_from_trace(base);
    const char *prog = strrchr(a->info.program, '/');
    g_autofree char *program = leakscope_text_from_trace(prog ? prog + 1 : a->info.program);
    g_autofree char *dur = leakscope_format_duration(timeline_end(tl) - timeline_begin(tl));
    g_autofree char *sub = g_strdup_printf("%s · %s · %" G_GUINT64_FORMAT " events", program[0] ? program : "unknown program",
                                           dur, a->events);
    _leakscope_window_set_titles(self, name, sub);

    GString *warn = g_string_new(NULL);
    if (a->truncated)
        g_string_append_printf(warn, "This trace is truncated: the file stops inside a chunk at byte offset %" G_GUINT64_FORMAT
                                     ". Everything before it is shown.",
                               a->truncated_at);
    else if (!a->complete)
        g_string_append(warn, "This trace is incomplete: the recording did not end cleanly (no end marker). "
                              "Everything flushed before is shown.");
    if (a->ndamage) {
        char first[400];
        ls_analysis_damage_text(a, 0, first, sizeof first);
        g_autofree char *text = leakscope_text_from_trace(first);
        g_string_append_printf(warn, "%sThis trace is damaged in %u place%s: %s%" G_GUINT64_FORMAT
                                     " events are missing from everything shown (first: %s%s).",
                               warn->len ? " " : "", a->damage_places, a->damage_places == 1 ? "" : "s",
                               a->damage_events_unknown ? "at least " : "", a->damage_events_lost, text,
                               a->damage_places > 1 ? "; leakscope report lists them all" : "");
    }
    if (a->lost_id_refs)
        g_string_append_printf(warn, "%s%" G_GUINT64_FORMAT " events name call stacks or strings lost with a damaged "
                                     "dictionary chunk: shown without them.",
                               warn->len ? " " : "", a->lost_id_refs);
    if (a->skipped_chunks)
        g_string_append_printf(warn, "%s%u chunks of a newer format version were skipped.", warn->len ? " " : "",
                               a->skipped_chunks);
    if (a->lost_events)
        g_string_append_printf(warn, "%sThe recorder dropped %" G_GUINT64_FORMAT " events.", warn->len ? " " : "",
                               a->lost_events);
    if (warn->len)
        _leakscope_window_show_banner(self, warn->str, FALSE);
    else
        gtk_revealer_set_reveal_child(self->banner, FALSE);
    g_string_free(warn, TRUE);

    _leakscope_window_fill_overview(self);
    _leakscope_window_fill_leaks(self);
    _leakscope_window_leaks_fill(self);
    _leakscope_window_fill_resources(self);
    _leakscope_window_fill_gc(self);
    _leakscope_window_facts_clear(self->details_grid);
    _leakscope_window_facts_add(self->details_grid, "Nothing selected",
                                "Click an event on the timeline (an allocation, a resource bar, a GC pause, a mark) "
                                "to see it here with its call stack.");
    gtk_label_set_text(self->details_stack, "");
    gtk_stack_set_visible_child_name(self->main_stack, "trace");
    gtk_stack_set_visible_child_name(self->panel_stack, a->nleaks ? "leaks" : "overview");
    _leakscope_window_update_status(self);
    gtk_widget_grab_focus(GTK_WIDGET(self->timeline));

    g_autofree char *uri = g_file_get_uri(self->file);
    GtkRecentData rd = { .display_name = NULL, .description = NULL, .mime_type = (char *)LEAKSCOPE_MIME_TYPE,
                         .app_name = (char *)"Leakscope", .app_exec = (char *)"leakscope-viewer %f" };
    gtk_recent_manager_add_full(self->recent, uri, &rd);
}

/* ---- the first picture while the events are read ---- */

static void sketch_clear(LeakscopeWindow *self)
{
    g_clear_pointer(&self->sketch, timeline_free);
    if (self->sketch_area)
        gtk_widget_set_visible(GTK_WIDGET(self->sketch_area), FALSE);
}

static void on_sketch(timeline *sketch, timeline_refinement *refinement, gpointer data)
{
    LeakscopeWindow *self = data;
    if (!self->load) { /* the load it came from is over */
        timeline_free(sketch);
        timeline_refinement_free(refinement);
        return;
    }
    if (refinement) {
        if (self->sketch)
            timeline_sketch_refine(self->sketch, refinement);
        timeline_refinement_free(refinement);
        gtk_widget_queue_draw(GTK_WIDGET(self->sketch_area));
        return;
    }
    timeline_free(self->sketch);
    self->sketch = sketch;
    gtk_widget_set_visible(GTK_WIDGET(self->sketch_area), TRUE);
    gtk_widget_queue_draw(GTK_WIDGET(self->sketch_area));
}

static void sketch_draw(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
    LeakscopeWindow *self = data;
    if (!self->sketch || width < 1 || height < 1)
        return;
    render_view_params p;
    render_view_params_init(&p, self->sketch, width, height);
    p.theme = leakscope_widget_render_theme(GTK_WIDGET(area));
    render_view(cr, &p);
}

static gboolean on_progress_tick(gpointer data)
{
    LeakscopeWindow *self = data;
    if (self->load)
        gtk_progress_bar_set_fraction(self->progress, leakscope_load_get_fraction(self->load));
    return G_SOURCE_CONTINUE;
}

static void on_loaded(GObject *src, GAsyncResult *res, gpointer data)
{
    (void)src;
    LeakscopeWindow *self = data;
    GError *error = NULL;
    timeline *tl = leakscope_load_finish(res, &error);
    gboolean current = self->load_cancellable && !g_cancellable_is_cancelled(self->load_cancellable) &&
                       g_task_get_cancellable(G_TASK(res)) == self->load_cancellable;
    if (!current) {
        /* superseded by another open, cancelled, or the window is closing */
        timeline_free(tl);
        g_clear_error(&error);
        g_object_unref(self);
        return;
    }
    self->load = NULL;
    g_clear_handle_id(&self->progress_source, g_source_remove);
    g_clear_object(&self->load_cancellable);
    sketch_clear(self);
    if (!tl) {
        _leakscope_window_clear_trace(self);
        g_autofree char *name = g_file_get_parse_name(self->file);
        g_autofree char *shown = leakscope_text_from_trace(name);
        g_autofree char *msg = g_strdup_printf("%s: %s", shown, error->message);
        gtk_label_set_text(self->error_label, msg);
        _leakscope_window_set_titles(self, "Leakscope", NULL);
        gtk_revealer_set_reveal_child(self->banner, FALSE);
        gtk_stack_set_visible_child_name(self->main_stack, "error");
        g_error_free(error);
    } else {
        _leakscope_window_install(self, tl);
    }
    _leakscope_window_update_actions(self);
    g_object_unref(self);
}

void leakscope_window_open(LeakscopeWindow *self, GFile *file)
{
    g_return_if_fail(LEAKSCOPE_IS_WINDOW(self));
    g_return_if_fail(G_IS_FILE(file));
    if (self->load_cancellable) {
        g_cancellable_cancel(self->load_cancellable);
        g_clear_object(&self->load_cancellable);
    }
    self->load = NULL;
    g_clear_handle_id(&self->progress_source, g_source_remove);
    sketch_clear(self);
    g_set_object(&self->file, file);
    g_autofree char *path = g_file_get_path(file);
    g_autofree char *name = g_file_get_parse_name(file);
    g_autofree char *shown = leakscope_text_from_trace(name);
    if (!path) {
        _leakscope_window_clear_trace(self);
        g_autofree char *msg = g_strdup_printf("%s: only local files can be opened", shown);
        gtk_label_set_text(self->error_label, msg);
        gtk_stack_set_visible_child_name(self->main_stack, "error");
        _leakscope_window_update_actions(self);
        return;
    }
    g_autofree char *text = g_strdup_printf("Reading %s…", shown);
    gtk_label_set_text(self->loading_label, text);
    gtk_progress_bar_set_fraction(self->progress, 0);
    gtk_stack_set_visible_child_name(self->main_stack, "loading");
    self->load_cancellable = g_cancellable_new();
    self->load = leakscope_load_start(path, self->load_cancellable, on_sketch, self, on_loaded, g_object_ref(self));
    self->progress_source = g_timeout_add(100, on_progress_tick, self);
    _leakscope_window_update_actions(self);
}

/* ---- recent files ---- */

static void on_recent_row_activated(GtkListBox *box, GtkListBoxRow *row, LeakscopeWindow *self)
{
    (void)box;
    const char *uri = g_object_get_data(G_OBJECT(row), "uri");
    GFile *f = g_file_new_for_uri(uri);
    leakscope_window_open(self, f);
    g_object_unref(f);
}

static void _leakscope_window_fill_recent(LeakscopeWindow *self)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->recent_list))))
        gtk_list_box_remove(self->recent_list, child);
    g_menu_remove_all(self->recent_section);
    GList *items = gtk_recent_manager_get_items(self->recent);
    guint n = 0;
    for (GList *l = items; l && n < RECENT_MAX; l = l->next) {
        GtkRecentInfo *info = l->data;
        const char *uri = gtk_recent_info_get_uri(info);
        const char *mime = gtk_recent_info_get_mime_type(info);
        if (!(g_str_has_suffix(uri, ".trace") || !g_strcmp0(mime, LEAKSCOPE_MIME_TYPE)) ||
            !gtk_recent_info_is_local(info) || !gtk_recent_info_exists(info))
            continue;
        n++;
        GFile *f = g_file_new_for_uri(uri);
        g_autofree char *base = g_file_get_basename(f);
        g_autofree char *parse = g_file_get_parse_name(f);
        g_autofree char *name = leakscope_text_from_trace(base);
        g_autofree char *where = leakscope_text_from_trace(parse);
        g_object_unref(f);

        GtkWidget *row = gtk_list_box_row_new();
        g_object_set_data_full(G_OBJECT(row), "uri", g_strdup(uri), g_free);
        GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
        gtk_widget_set_margin_start(box, 12);
        gtk_widget_set_margin_end(box, 12);
        gtk_widget_set_margin_top(box, 8);
        gtk_widget_set_margin_bottom(box, 8);
        GtkWidget *l1 = gtk_label_new(name), *l2 = gtk_label_new(where);
        gtk_label_set_xalign(GTK_LABEL(l1), 0);
        gtk_label_set_xalign(GTK_LABEL(l2), 0);
        gtk_label_set_ellipsize(GTK_LABEL(l2), PANGO_ELLIPSIZE_MIDDLE);
        gtk_widget_add_css_class(l1, "heading");
        gtk_widget_add_css_class(l2, "dim-label");
        gtk_box_append(GTK_BOX(box), l1);
        gtk_box_append(GTK_BOX(box), l2);
        gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
        gtk_list_box_append(self->recent_list, row);

        GMenuItem *item = g_menu_item_new(name, NULL);
        g_menu_item_set_action_and_target_value(item, "win.open-recent", g_variant_new_string(uri));
        g_menu_append_item(self->recent_section, item);
        g_object_unref(item);
    }
    g_list_free_full(items, (GDestroyNotify)gtk_recent_info_unref);
    if (!n) /* a disabled item says why the menu is empty */
        g_menu_append(self->recent_section, "No recent traces", "win.no-recent");
    gtk_widget_set_visible(self->recent_title, n > 0);
    gtk_widget_set_visible(GTK_WIDGET(self->recent_list), n > 0);
}

static void on_recent_changed(GtkRecentManager *m, LeakscopeWindow *self)
{
    (void)m;
    _leakscope_window_fill_recent(self);
}

/* ---- drag and drop ---- */

static gboolean on_drop(GtkDropTarget *t, const GValue *value, double x, double y, LeakscopeWindow *self)
{
    (void)t;
    (void)x;
    (void)y;
    GFile *file = NULL;
    if (G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST)) {
        GSList *files = gdk_file_list_get_files(g_value_get_boxed(value));
        file = files ? files->data : NULL;
        g_slist_free(files);
    } else if (G_VALUE_HOLDS(value, G_TYPE_FILE)) {
        file = g_value_get_object(value);
    }
    if (!file)
        return FALSE;
    leakscope_window_open(self, file);
    return TRUE;
}

/* ---- actions ---- */

static void on_open_response(GtkNativeDialog *d, int response, LeakscopeWindow *self)
{
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
        if (f) {
            leakscope_window_open(self, f);
            g_object_unref(f);
        }
    }
    g_clear_object(&self->chooser);
}

static void action_open(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(w);
    if (self->chooser)
        return;
    self->chooser = gtk_file_chooser_native_new("Open Trace", GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                                "_Open", "_Cancel");
    GtkFileFilter *traces = gtk_file_filter_new();
    gtk_file_filter_set_name(traces, "Leakscope traces");
    gtk_file_filter_add_mime_type(traces, LEAKSCOPE_MIME_TYPE);
    gtk_file_filter_add_suffix(traces, "trace");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), traces);
    g_object_unref(traces);
    GtkFileFilter *all = gtk_file_filter_new();
    gtk_file_filter_set_name(all, "All files");
    gtk_file_filter_add_pattern(all, "*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), all);
    g_object_unref(all);
    if (self->file) {
        GFile *dir = g_file_get_parent(self->file);
        if (dir) {
            gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(self->chooser), dir, NULL);
            g_object_unref(dir);
        }
    }
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_open_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

static void action_open_recent(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    GFile *f = g_file_new_for_uri(g_variant_get_string(param, NULL));
    leakscope_window_open(LEAKSCOPE_WINDOW(w), f);
    g_object_unref(f);
}

static void action_export(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    _leakscope_window_export_dialog(LEAKSCOPE_WINDOW(w));
}

static void action_cancel_load(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(w);
    if (!self->load_cancellable)
        return;
    g_cancellable_cancel(self->load_cancellable);
    g_clear_object(&self->load_cancellable);
    self->load = NULL;
    g_clear_handle_id(&self->progress_source, g_source_remove);
    sketch_clear(self);
    gtk_stack_set_visible_child_name(self->main_stack, self->tl ? "trace" : "start");
    _leakscope_window_update_actions(self);
}

static void action_dismiss_banner(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    gtk_revealer_set_reveal_child(LEAKSCOPE_WINDOW(w)->banner, FALSE);
}

/* win.zoom-* forward to the timeline so they work wherever the focus is. */
static void action_forward(GtkWidget *w, const char *name, GVariant *param)
{
    (void)param;
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(w);
    g_autofree char *target = g_strconcat("timeline.", name + strlen("win."), NULL);
    gtk_widget_activate_action(GTK_WIDGET(self->timeline), target, NULL);
}

static void action_clear_selection(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    leakscope_timeline_set_selection(LEAKSCOPE_WINDOW(w)->timeline, 0, 0);
}

static void action_nothing(GtkWidget *w, const char *name, GVariant *param)
{
    (void)w;
    (void)name;
    (void)param;
}

/* ---- the divider ---- */

/* The timeline takes LEAKSCOPE_TIMELINE_SHARE of the page, whatever the
 * window's size, until the user drags the divider. */
static void on_paned_max_position(GObject *o, GParamSpec *ps, LeakscopeWindow *self)
{
    (void)o;
    (void)ps;
    int h = gtk_widget_get_height(GTK_WIDGET(self->paned));
    if (self->paned_user_set || h <= 0)
        return;
    int pos = (int)(h * LEAKSCOPE_TIMELINE_SHARE);
    int max = 0;
    g_object_get(self->paned, "max-position", &max, NULL);
    if (pos > max)
        pos = max;
    if (pos == gtk_paned_get_position(self->paned))
        return;
    self->paned_setting = TRUE;
    gtk_paned_set_position(self->paned, pos);
    self->paned_setting = FALSE;
}

static void on_paned_position(GObject *o, GParamSpec *ps, LeakscopeWindow *self)
{
    (void)o;
    (void)ps;
    /* a move not ours while the page has its size: the user's */
    if (!self->paned_setting && gtk_widget_get_height(GTK_WIDGET(self->paned)) > 0 &&
        gtk_widget_get_mapped(GTK_WIDGET(self->paned)))
        self->paned_user_set = TRUE;
}

/* ---- properties ---- */

static void leakscope_window_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(o);
    if (id >= PROP_SHOW_HEAP && id <= PROP_SHOW_MARKS) {
        guint32 tracks = self->timeline ? leakscope_timeline_get_tracks(self->timeline) : RENDER_TRACK_ALL;
        g_value_set_boolean(v, (tracks & track_actions[id - PROP_SHOW_HEAP].bits) != 0);
    } else if (id == PROP_HEAP_ZERO_BASED) {
        g_value_set_boolean(v, self->timeline && leakscope_timeline_get_heap_zero_based(self->timeline));
    } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void leakscope_window_set_property(GObject *o, guint id, const GValue *v, GParamSpec *ps)
{
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(o);
    if (id >= PROP_SHOW_HEAP && id <= PROP_SHOW_MARKS) {
        guint32 tracks = leakscope_timeline_get_tracks(self->timeline), bits = track_actions[id - PROP_SHOW_HEAP].bits;
        guint32 now = g_value_get_boolean(v) ? tracks | bits : tracks & ~bits;
        if (now && now != tracks) /* keep at least one track */
            leakscope_timeline_set_tracks(self->timeline, now);
        g_object_notify_by_pspec(o, ps); /* also when refused: the check box goes back */
    } else if (id == PROP_HEAP_ZERO_BASED) {
        if (leakscope_timeline_get_heap_zero_based(self->timeline) != g_value_get_boolean(v)) {
            leakscope_timeline_set_heap_zero_based(self->timeline, g_value_get_boolean(v));
            g_object_notify_by_pspec(o, ps);
        }
    } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

/* ---- GObject ---- */

static void leakscope_window_dispose(GObject *o)
{
    LeakscopeWindow *self = LEAKSCOPE_WINDOW(o);
    if (self->load_cancellable)
        g_cancellable_cancel(self->load_cancellable);
    g_clear_object(&self->load_cancellable);
    self->load = NULL;
    g_clear_handle_id(&self->progress_source, g_source_remove);
    sketch_clear(self);
    _leakscope_window_clear_trace(self);
    if (self->chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
    g_clear_object(&self->chooser);
    if (self->compare_chooser)
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->compare_chooser));
    g_clear_object(&self->compare_chooser);
    if (self->recent_changed_id)
        g_clear_signal_handler(&self->recent_changed_id, self->recent);
    self->recent = NULL; /* the default manager: not ours */
    g_clear_object(&self->file);
    g_clear_pointer(&self->hover_status, g_free);
    gtk_widget_dispose_template(GTK_WIDGET(self), LEAKSCOPE_TYPE_WINDOW);
    G_OBJECT_CLASS(leakscope_window_parent_class)->dispose(o);
}

static void leakscope_window_class_init(LeakscopeWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = leakscope_window_dispose;
    oc->get_property = leakscope_window_get_property;
    oc->set_property = leakscope_window_set_property;

    for (guint i = 0; i < G_N_ELEMENTS(track_actions); i++)
        properties[PROP_SHOW_HEAP + i] = g_param_spec_boolean(track_actions[i].property, NULL, NULL, TRUE,
                                                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                                  G_PARAM_STATIC_STRINGS);
    properties[PROP_HEAP_ZERO_BASED] = g_param_spec_boolean("heap-zero-based", NULL, NULL, FALSE,
                                                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                                G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, properties);

    g_type_ensure(LEAKSCOPE_TYPE_TIMELINE);
    g_type_ensure(LEAKSCOPE_TYPE_STACK_LIST);
    g_type_ensure(LEAKSCOPE_TYPE_FLAME);
    g_type_ensure(LEAKSCOPE_TYPE_CALLTREE_VIEW);
    g_type_ensure(LEAKSCOPE_TYPE_HIST_VIEW);
    gtk_widget_class_set_template_from_resource(wc, "/io/github/leakscope/Viewer/leakscope-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child(wc, LeakscopeWindow, name)
    CHILD(title_label);
    CHILD(subtitle_label);
    CHILD(select_button);
    CHILD(banner);
    CHILD(banner_box);
    CHILD(banner_label);
    CHILD(main_stack);
    CHILD(recent_list);
    CHILD(recent_title);
    CHILD(recent_section);
    CHILD(loading_label);
    CHILD(error_label);
    CHILD(status_label);
    CHILD(progress);
    CHILD(sketch_area);
    CHILD(paned);
    CHILD(timeline);
    CHILD(panel_stack);
    CHILD(overview_grid);
    CHILD(gc_grid);
    CHILD(range_grid);
    CHILD(details_grid);
    CHILD(leaks_title);
    CHILD(resources_title);
    CHILD(details_stack);
    CHILD(leaks_list);
    CHILD(open_list);
    CHILD(growth_list);
    CHILD(flame);
    CHILD(flame_metric);
    CHILD(flame_icicle);
    CHILD(flame_reset);
    CHILD(flame_search);
    CHILD(flame_info);
    CHILD(calltree);
    CHILD(hist_all);
    CHILD(hist_info);
    CHILD(hist_sizes);
    CHILD(hist_lifetimes);
    CHILD(compare_title);
    CHILD(compare_flame);
    CHILD(compare_list);
    CHILD(compare_hist_all);
    CHILD(compare_hist_info);
    CHILD(compare_sizes);
#undef CHILD

    gtk_widget_class_install_action(wc, "win.open", NULL, action_open);
    gtk_widget_class_install_action(wc, "win.open-recent", "s", action_open_recent);
    gtk_widget_class_install_action(wc, "win.export", NULL, action_export);
    gtk_widget_class_install_action(wc, "win.compare", NULL, action_compare);
    gtk_widget_class_install_action(wc, "win.cancel-load", NULL, action_cancel_load);
    gtk_widget_class_install_action(wc, "win.dismiss-banner", NULL, action_dismiss_banner);
    gtk_widget_class_install_action(wc, "win.zoom-in", NULL, action_forward);
    gtk_widget_class_install_action(wc, "win.zoom-out", NULL, action_forward);
    gtk_widget_class_install_action(wc, "win.zoom-fit", NULL, action_forward);
    gtk_widget_class_install_action(wc, "win.zoom-selection", NULL, action_forward);
    gtk_widget_class_install_action(wc, "win.pan-left", NULL, action_forward);
    gtk_widget_class_install_action(wc, "win.pan-right", NULL, action_forward);
    gtk_widget_class_install_action(wc, "win.clear-selection", NULL, action_clear_selection);
    gtk_widget_class_install_action(wc, "win.no-recent", NULL, action_nothing);
    for (guint i = 0; i < G_N_ELEMENTS(track_actions); i++)
        gtk_widget_class_install_property_action(wc, track_actions[i].action, track_actions[i].property);
    gtk_widget_class_install_property_action(wc, "win.heap-zero-based", "heap-zero-based");
    /* The keys are the application's accelerators (leakscope-application.c),
     * so they act on the timeline wherever the focus is. */
}

static void leakscope_window_init(LeakscopeWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    gtk_drawing_area_set_draw_func(self->sketch_area, sketch_draw, self, NULL);
    _leakscope_window_leaks_init(self);
    g_signal_connect(self->classes_table, "site-selected", G_CALLBACK(on_site_selected), self);
    g_signal_connect(self->growing_table, "site-selected", G_CALLBACK(on_site_selected), self);
    g_signal_connect(self->iter_table, "site-selected", G_CALLBACK(on_site_selected), self);

    g_object_bind_property(self->select_button, "active", self->timeline, "select-mode",
                           G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
    g_signal_connect(self->timeline, "view-changed", G_CALLBACK(on_view_changed), self);
    g_signal_connect(self->timeline, "selection-changed", G_CALLBACK(on_selection_changed), self);
    g_signal_connect(self->timeline, "hit", G_CALLBACK(on_hit), self);
    g_signal_connect(self->timeline, "hover-changed", G_CALLBACK(on_hover_changed), self);
    g_signal_connect(self->paned, "notify::max-position", G_CALLBACK(on_paned_max_position), self);
    g_signal_connect(self->paned, "notify::position", G_CALLBACK(on_paned_position), self);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.no-recent", FALSE);
    g_signal_connect(self->panel_stack, "notify::visible-child-name", G_CALLBACK(on_panel_changed), self);
    g_signal_connect(self->recent_list, "row-activated", G_CALLBACK(on_recent_row_activated), self);
    g_signal_connect(self->flame, "frame-activated", G_CALLBACK(on_flame_frame), self);
    g_signal_connect(self->flame, "notify::hover-text", G_CALLBACK(on_flame_hover), self);
    g_signal_connect(self->flame_metric, "notify::selected", G_CALLBACK(on_flame_metric), self);
    g_signal_connect(self->flame_icicle, "toggled", G_CALLBACK(on_flame_icicle), self);
    g_signal_connect(self->flame_reset, "clicked", G_CALLBACK(on_flame_reset), self);
    g_signal_connect(self->flame_search, "search-changed", G_CALLBACK(on_flame_search), self);
    g_signal_connect(self->calltree, "function-selected", G_CALLBACK(on_calltree_function), self);
    g_signal_connect(self->leaks_list, "site-selected", G_CALLBACK(on_site_selected), self);
    g_signal_connect(self->hist_all, "clicked", G_CALLBACK(on_hist_all), self);
    g_signal_connect_object(self->hist_sizes, "notify::hover-text", G_CALLBACK(on_hist_hover), self->hist_info, 0);
    g_signal_connect_object(self->hist_lifetimes, "notify::hover-text", G_CALLBACK(on_hist_hover), self->hist_info, 0);
    g_signal_connect(self->growth_list, "site-selected", G_CALLBACK(on_site_selected), self);
    g_signal_connect(self->compare_list, "row-selected", G_CALLBACK(on_compare_row_selected), self);
    g_signal_connect(self->compare_hist_all, "clicked", G_CALLBACK(on_compare_hist_all), self);
    g_signal_connect_object(self->compare_sizes, "notify::hover-text", G_CALLBACK(on_hist_hover),
                            self->compare_hist_info, 0);

    GtkDropTarget *drop = gtk_drop_target_new(G_TYPE_INVALID, GDK_ACTION_COPY);
    gtk_drop_target_set_gtypes(drop, (GType[]){ GDK_TYPE_FILE_LIST, G_TYPE_FILE }, 2);
    g_signal_connect(drop, "drop", G_CALLBACK(on_drop), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drop));

    self->recent = gtk_recent_manager_get_default();
    self->recent_changed_id = g_signal_connect(self->recent, "changed", G_CALLBACK(on_recent_changed), self);
    _leakscope_window_fill_recent(self);
    gtk_stack_set_visible_child_name(self->main_stack, "start");
    _leakscope_window_update_actions(self);
}

LeakscopeWindow *leakscope_window_new(GtkApplication *app)
{
    return g_object_new(LEAKSCOPE_TYPE_WINDOW, "application", app, NULL);
}
