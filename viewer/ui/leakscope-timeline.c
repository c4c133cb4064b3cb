/* leakscope-timeline.c — the timeline widget.
 *
 * The view is a time range [t0, t1) over the trace; every interaction turns
 * into leakscope_timeline_set_range (which clamps) or a selection change, and
 * the snapshot draws render_view on a cairo node. Hit testing uses the same
 * layout as the drawing (render_view_layout).
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-timeline.h"
#include "leakscope-format.h"

#include <math.h>

#define MIN_SPAN_NS 200u     /* deepest zoom: 200 ns across the view */
#define CLICK_SLOP_PX 4.0

struct _LeakscopeTimeline {
    GtkWidget parent_instance;

    timeline *tl;             /* borrowed */
    guint64 t0, t1;
    guint64 sel_t0, sel_t1;   /* none when sel_t1 <= sel_t0 */
    double hover_x, hover_y;  /* hover_x < 0: pointer outside */
    char *hover_text;         /* the owner's words for what is under it */
    guint32 tracks;
    gboolean heap_zero_based;
    gboolean select_mode;
    /* the heap by call site (borrowed, like tl) */
    const ls_site_series *sites;
    guint site_bands;
    const char *const *site_names;
    guint64 site_selected;

    /* drag */
    gboolean drag_select;
    guint64 drag_t0, drag_t1; /* the view when the drag began */
    double drag_x;
    /* pinch */
    guint64 pinch_t0, pinch_t1;
    double pinch_x;
};

G_DEFINE_FINAL_TYPE(LeakscopeTimeline, leakscope_timeline, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_SELECT_MODE, N_PROPS };
enum { VIEW_CHANGED, SELECTION_CHANGED, HIT, HOVER_CHANGED, N_SIGNALS };

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static guint64 trace_span(LeakscopeTimeline *self, guint64 *begin)
{
    guint64 b = timeline_begin(self->tl), e = timeline_end(self->tl);
    *begin = b;
    return e > b ? e - b : 1000000; /* a trace of one instant: show a millisecond */
}

render_theme leakscope_widget_render_theme(GtkWidget *w)
{
    GdkRGBA fg;
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gtk_style_context_get_color(gtk_widget_get_style_context(w), &fg);
    G_GNUC_END_IGNORE_DEPRECATIONS
    /* a light foreground means a dark theme */
    return 0.299 * fg.red + 0.587 * fg.green + 0.114 * fg.blue > 0.5 ? RENDER_THEME_DARK : RENDER_THEME_LIGHT;
}

void leakscope_timeline_get_view_params(LeakscopeTimeline *self, render_view_params *p, int w, int h)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self) && self->tl);
    render_view_params_init(p, self->tl, w, h);
    p->t0 = self->t0;
    p->t1 = self->t1;
    p->tracks = self->tracks;
    p->theme = leakscope_widget_render_theme(GTK_WIDGET(self));
    p->sites = self->sites;
    p->site_bands = self->site_bands;
    p->site_names = self->site_names;
    p->site_selected = self->site_selected;
    p->header = FALSE;
    p->heap_zero_based = self->heap_zero_based;
    p->hover_x = self->hover_x;
    if (self->sel_t1 > self->sel_t0) {
        p->sel_t0 = self->sel_t0;
        p->sel_t1 = self->sel_t1;
    }
}

static void _leakscope_timeline_params(LeakscopeTimeline *self, render_view_params *p, render_layout *l)
{
    int w = MAX(gtk_widget_get_width(GTK_WIDGET(self)), 1), h = MAX(gtk_widget_get_height(GTK_WIDGET(self)), 1);
    leakscope_timeline_get_view_params(self, p, w, h);
    if (l)
        render_view_layout(p, l);
}

/* ---- the view ---- */

void leakscope_timeline_set_range(LeakscopeTimeline *self, guint64 t0, guint64 t1)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (!self->tl)
        return;
    guint64 begin, full = trace_span(self, &begin);
    guint64 span = t1 > t0 ? t1 - t0 : MIN_SPAN_NS;
    span = CLAMP(span, MIN(MIN_SPAN_NS, full), full);
    if (t0 < begin)
        t0 = begin;
    if (t0 > begin + full - span)
        t0 = begin + full - span;
    if (t0 == self->t0 && t0 + span == self->t1)
        return;
    self->t0 = t0;
    self->t1 = t0 + span;
    g_clear_pointer(&self->hover_text, g_free); /* it named what was there before */
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[VIEW_CHANGED], 0);
}

void leakscope_timeline_get_range(LeakscopeTimeline *self, guint64 *t0, guint64 *t1)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    *t0 = self->t0;
    *t1 = self->t1;
}

gboolean leakscope_timeline_get_selection(LeakscopeTimeline *self, guint64 *t0, guint64 *t1)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), FALSE);
    *t0 = self->sel_t0;
    *t1 = self->sel_t1;
    return self->sel_t1 > self->sel_t0;
}

void leakscope_timeline_set_sites(LeakscopeTimeline *self, const ls_site_series *sites, guint bands,
                                  const char *const *names)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    self->sites = sites;
    self->site_bands = bands;
    self->site_names = names;
    self->site_selected = 0;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void leakscope_timeline_set_site_selected(LeakscopeTimeline *self, guint64 mask)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (self->site_selected == mask)
        return;
    self->site_selected = mask;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void leakscope_timeline_set_selection(LeakscopeTimeline *self, guint64 t0, guint64 t1)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (t1 < t0) {
        guint64 t = t0;
        t0 = t1;
        t1 = t;
    }
    if (t0 == self->sel_t0 && t1 == self->sel_t1)
        return;
    self->sel_t0 = t0;
    self->sel_t1 = t1;
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "timeline.zoom-selection", t1 > t0);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SELECTION_CHANGED], 0);
}

/* The time at widget x and the plot's extent. */
static guint64 _leakscope_timeline_time_at(LeakscopeTimeline *self, double x, double *plot_w)
{
    render_view_params p;
    render_layout l;
    _leakscope_timeline_params(self, &p, &l);
    if (plot_w)
        *plot_w = MAX(l.plot_x1 - l.plot_x0, 1.0);
    return render_time_at(&l, &p, x);
}

void leakscope_timeline_zoom(LeakscopeTimeline *self, double factor, double x)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (!self->tl || !(factor > 0))
        return;
    guint64 span = self->t1 - self->t0;
    double frac = 0.5;
    if (x >= 0) {
        double w;
        guint64 t = _leakscope_timeline_time_at(self, x, &w);
        frac = (double)(t - self->t0) / (double)span;
    }
    double nspan = fmax((double)span * factor, MIN_SPAN_NS);
    double anchor = (double)self->t0 + frac * (double)span;
    double nt0 = fmax(anchor - frac * nspan, 0);
    leakscope_timeline_set_range(self, (guint64)nt0, (guint64)nt0 + (guint64)nspan);
}

void leakscope_timeline_pan(LeakscopeTimeline *self, double fraction)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (!self->tl)
        return;
    guint64 span = self->t1 - self->t0;
    double d = fraction * (double)span;
    double nt0 = fmax((double)self->t0 + d, 0);
    leakscope_timeline_set_range(self, (guint64)nt0, (guint64)nt0 + span);
}

void leakscope_timeline_zoom_fit(LeakscopeTimeline *self)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (!self->tl)
        return;
    guint64 begin, full = trace_span(self, &begin);
    leakscope_timeline_set_range(self, begin, begin + full);
}

void leakscope_timeline_set_timeline(LeakscopeTimeline *self, timeline *tl)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    self->tl = tl;
    self->sites = NULL; /* the old trace's */
    self->site_names = NULL;
    self->site_bands = 0;
    self->site_selected = 0;
    self->t0 = self->t1 = 0;
    self->sel_t0 = self->sel_t1 = 0;
    self->hover_x = -1;
    if (tl)
        leakscope_timeline_zoom_fit(self);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "timeline.zoom-selection", FALSE);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[SELECTION_CHANGED], 0);
}

void leakscope_timeline_set_tracks(LeakscopeTimeline *self, guint32 tracks)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    self->tracks = tracks & RENDER_TRACK_ALL;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

guint32 leakscope_timeline_get_tracks(LeakscopeTimeline *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), 0);
    return self->tracks;
}

/* ---- hit testing ---- */

gboolean leakscope_timeline_hit_test(LeakscopeTimeline *self, double x, double y, LeakscopeTimelineHit *hit)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), FALSE);
    *hit = (LeakscopeTimelineHit){ .kind = RENDER_HIT_NONE };
    if (!self->tl)
        return FALSE;
    render_view_params p;
    render_layout l;
    _leakscope_timeline_params(self, &p, &l);
    return render_hit_test(&p, &l, x, y, hit);
}

/* ---- input ---- */

void leakscope_timeline_set_hover(LeakscopeTimeline *self, double x, double y)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    if (x < 0)
        x = y = -1;
    if (x == self->hover_x && y == self->hover_y)
        return;
    self->hover_x = x;
    self->hover_y = y;
    g_clear_pointer(&self->hover_text, g_free);
    gtk_widget_queue_draw(GTK_WIDGET(self));
    g_signal_emit(self, signals[HOVER_CHANGED], 0);
}

gboolean leakscope_timeline_get_hover(LeakscopeTimeline *self, double *x, double *y)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), FALSE);
    *x = self->hover_x;
    *y = self->hover_y;
    return self->hover_x >= 0;
}

void leakscope_timeline_set_hover_text(LeakscopeTimeline *self, const char *text)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    g_free(self->hover_text);
    self->hover_text = g_strdup(text);
    gtk_widget_trigger_tooltip_query(GTK_WIDGET(self));
}

const char *leakscope_timeline_get_hover_text(LeakscopeTimeline *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), NULL);
    return self->hover_text;
}

/* The view's parameters and layout, when the pointer is over the plot. */
static gboolean _leakscope_timeline_hover_view(LeakscopeTimeline *self, render_view_params *p, render_layout *l)
{
    if (!self->tl || self->hover_x < 0)
        return FALSE;
    _leakscope_timeline_params(self, p, l);
    return self->hover_x >= l->plot_x0 && self->hover_x < l->plot_x1;
}

gboolean leakscope_timeline_get_hover_heap(LeakscopeTimeline *self, guint64 *t, guint64 *bytes)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), FALSE);
    render_view_params p;
    render_layout l;
    if (!_leakscope_timeline_hover_view(self, &p, &l))
        return FALSE;
    *bytes = render_heap_at(&p, &l, self->hover_x, t);
    return TRUE;
}

char *leakscope_timeline_get_hover_label(LeakscopeTimeline *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), NULL);
    render_view_params p;
    render_layout l;
    if (!_leakscope_timeline_hover_view(self, &p, &l))
        return NULL;
    char buf[160];
    render_hover_label(&p, &l, self->hover_x, buf, sizeof buf);
    return g_strdup(buf);
}

void leakscope_timeline_set_heap_zero_based(LeakscopeTimeline *self, gboolean zero_based)
{
    g_return_if_fail(LEAKSCOPE_IS_TIMELINE(self));
    self->heap_zero_based = !!zero_based;
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

gboolean leakscope_timeline_get_heap_zero_based(LeakscopeTimeline *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TIMELINE(self), FALSE);
    return self->heap_zero_based;
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, LeakscopeTimeline *self)
{
    (void)c;
    leakscope_timeline_set_hover(self, x, y);
}

static void on_leave(GtkEventControllerMotion *c, LeakscopeTimeline *self)
{
    (void)c;
    leakscope_timeline_set_hover(self, -1, -1);
}

static gboolean on_scroll(GtkEventControllerScroll *c, double dx, double dy, LeakscopeTimeline *self)
{
    GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(c));
    if (!self->tl)
        return FALSE;
    if (mods & GDK_CONTROL_MASK) {
        leakscope_timeline_zoom(self, pow(1.25, dy), self->hover_x);
        return TRUE;
    }
    /* a wheel notch pans a tenth of the view; shift turns vertical into horizontal */
    leakscope_timeline_pan(self, (dx + dy) * 0.1);
    return TRUE;
}

static void on_drag_begin(GtkGestureDrag *g, double x, double y, LeakscopeTimeline *self)
{
    (void)y;
    GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(g));
    gtk_widget_grab_focus(GTK_WIDGET(self));
    self->drag_select = self->select_mode || (mods & GDK_SHIFT_MASK);
    self->drag_t0 = self->t0;
    self->drag_t1 = self->t1;
    self->drag_x = x;
}

static void on_drag_update(GtkGestureDrag *g, double ox, double oy, LeakscopeTimeline *self)
{
    (void)g;
    (void)oy;
    if (!self->tl || fabs(ox) < CLICK_SLOP_PX)
        return;
    if (self->drag_select) {
        guint64 a = _leakscope_timeline_time_at(self, self->drag_x, NULL);
        guint64 b = _leakscope_timeline_time_at(self, self->drag_x + ox, NULL);
        leakscope_timeline_set_selection(self, MIN(a, b), MAX(a, b));
        return;
    }
    double w;
    _leakscope_timeline_time_at(self, 0, &w);
    guint64 span = self->drag_t1 - self->drag_t0;
    double nt0 = fmax((double)self->drag_t0 - ox / w * (double)span, 0);
    leakscope_timeline_set_range(self, (guint64)nt0, (guint64)nt0 + span);
}

static void on_drag_end(GtkGestureDrag *g, double ox, double oy, LeakscopeTimeline *self)
{
    (void)g;
    if (!self->tl || fabs(ox) >= CLICK_SLOP_PX || fabs(oy) >= CLICK_SLOP_PX)
        return;
    /* a click: what lies under it */
    LeakscopeTimelineHit hit;
    double sx, sy;
    if (gtk_gesture_drag_get_start_point(GTK_GESTURE_DRAG(g), &sx, &sy) &&
        leakscope_timeline_hit_test(self, sx, sy, &hit))
        g_signal_emit(self, signals[HIT], 0, &hit);
}

static void on_pinch_begin(GtkGesture *g, GdkEventSequence *seq, LeakscopeTimeline *self)
{
    (void)seq;
    double x, y;
    self->pinch_t0 = self->t0;
    self->pinch_t1 = self->t1;
    self->pinch_x = gtk_gesture_get_bounding_box_center(g, &x, &y) ? x : -1;
}

static void on_pinch_scale(GtkGestureZoom *g, double scale, LeakscopeTimeline *self)
{
    (void)g;
    if (!self->tl || !(scale > 0))
        return;
    guint64 t0 = self->t0, t1 = self->t1;
    /* zoom from the view the pinch began with, around its centre */
    self->t0 = self->pinch_t0;
    self->t1 = self->pinch_t1;
    leakscope_timeline_zoom(self, 1.0 / scale, self->pinch_x);
    if (self->t0 == self->pinch_t0 && self->t1 == self->pinch_t1 && (t0 != self->t0 || t1 != self->t1)) {
        gtk_widget_queue_draw(GTK_WIDGET(self));
        g_signal_emit(self, signals[VIEW_CHANGED], 0);
    }
}

static gboolean on_query_tooltip(GtkWidget *w, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
    (void)data;
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(w);
    LeakscopeTimelineHit hit;
    if (keyboard || !self->tl || !leakscope_timeline_hit_test(self, x, y, &hit))
        return FALSE;
    const ls_analysis *a = timeline_analysis(self->tl);
    guint64 origin = timeline_begin(self->tl);
    render_view_params p;
    render_layout l;
    _leakscope_timeline_params(self, &p, &l);
    guint64 t;
    guint64 bytes = render_heap_at(&p, &l, x, &t); /* the value the readout draws */
    g_autofree char *at = leakscope_format_duration(t - origin);
    g_autofree char *heap = leakscope_format_bytes(bytes);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s\nheap %s", at, heap);
    if (self->hover_text && x == self->hover_x)
        g_string_append_printf(s, "\n%s", self->hover_text);
    switch (hit.kind) {
    case RENDER_HIT_GC: {
        const ls_gc_pause *gc = &a->gc[hit.index];
        g_autofree char *d = leakscope_format_duration(gc->end - gc->begin);
        g_autofree char *after = leakscope_format_bytes(gc->heap_after);
        g_autofree char *reason = leakscope_text_from_trace(ls_analysis_string(a, gc->reason));
        g_autofree char *tname = leakscope_text_from_trace(ls_analysis_thread_name(a, gc->thread));
        g_string_append_printf(s, "\nGC pause %s (%s), heap after %s, thread %s", d, reason, after,
                               tname[0] ? tname : "(unnamed)");
        break;
    }
    case RENDER_HIT_LIFETIME: {
        g_autofree char *kind = leakscope_text_from_trace(ls_analysis_string(a, hit.lifetime.kind));
        g_autofree char *d = leakscope_format_duration(hit.lifetime.end - hit.lifetime.begin);
        g_string_append_printf(s, "\n%s %" G_GUINT64_FORMAT ", open for %s%s", kind, hit.lifetime.handle, d,
                               hit.lifetime.closed ? "" : " (never closed)");
        break;
    }
    case RENDER_HIT_MARK: {
        g_autofree char *label = leakscope_text_from_trace(ls_analysis_string(a, a->marks[hit.index].label));
        g_string_append_printf(s, "\nmark %s", label);
        break;
    }
    case RENDER_HIT_FAILURE: {
        const char *k = ls_analysis_string(a, a->open_failures[hit.index].kind), *slash = strchr(k, '/');
        g_autofree char *err = leakscope_text_from_trace(slash ? slash + 1 : k);
        g_string_append_printf(s, "\nopen failed: %s (%s)", err,
                               g_str_equal(err, "ENFILE") ? "the system's file table is full" : "too many open files");
        break;
    }
    case RENDER_HIT_SPAN: {
        const ls_span *sp = &a->spans[hit.index];
        g_autofree char *label = leakscope_text_from_trace(ls_analysis_string(a, sp->label));
        g_autofree char *d = leakscope_format_duration((sp->end ? sp->end : timeline_end(self->tl)) - sp->begin);
        g_string_append_printf(s, "\nspan %s, %s%s", label, d, sp->end ? "" : " (never ended)");
        break;
    }
    default:
        break;
    }
    g_string_append(s, "\nclick for details");
    gtk_tooltip_set_text(tooltip, s->str);
    g_string_free(s, TRUE);
    return TRUE;
}

/* ---- actions ---- */

static void action_zoom(GtkWidget *w, const char *name, GVariant *param)
{
    (void)param;
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(w);
    gboolean in = g_str_equal(name, "timeline.zoom-in");
    leakscope_timeline_zoom(self, in ? 0.5 : 2.0, self->hover_x);
}

static void action_pan(GtkWidget *w, const char *name, GVariant *param)
{
    (void)param;
    leakscope_timeline_pan(LEAKSCOPE_TIMELINE(w), g_str_equal(name, "timeline.pan-left") ? -0.125 : 0.125);
}

static void action_zoom_fit(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    leakscope_timeline_zoom_fit(LEAKSCOPE_TIMELINE(w));
}

static void action_zoom_selection(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(w);
    if (self->sel_t1 > self->sel_t0)
        leakscope_timeline_set_range(self, self->sel_t0, self->sel_t1);
}

static void action_clear_selection(GtkWidget *w, const char *name, GVariant *param)
{
    (void)name;
    (void)param;
    leakscope_timeline_set_selection(LEAKSCOPE_TIMELINE(w), 0, 0);
}

/* ---- GtkWidget ---- */

static void leakscope_timeline_snapshot(GtkWidget *w, GtkSnapshot *snapshot)
{
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(w);
    int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
    if (!self->tl || width < 2 || height < 2)
        return;
    render_view_params p;
    leakscope_timeline_get_view_params(self, &p, width, height);
    cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
    render_view(cr, &p);
    cairo_destroy(cr);
}

static void leakscope_timeline_measure(GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat,
                                       int *min_base, int *nat_base)
{
    (void)w;
    (void)for_size;
    *min = o == GTK_ORIENTATION_HORIZONTAL ? 300 : 200;
    *nat = o == GTK_ORIENTATION_HORIZONTAL ? 900 : 420;
    *min_base = *nat_base = -1;
}

static void leakscope_timeline_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(o);
    switch (id) {
    case PROP_SELECT_MODE: g_value_set_boolean(v, self->select_mode); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void leakscope_timeline_set_property(GObject *o, guint id, const GValue *v, GParamSpec *ps)
{
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(o);
    switch (id) {
    case PROP_SELECT_MODE:
        if (self->select_mode != g_value_get_boolean(v)) {
            self->select_mode = g_value_get_boolean(v);
            g_object_notify_by_pspec(o, ps);
        }
        break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void leakscope_timeline_dispose(GObject *o)
{
    LeakscopeTimeline *self = LEAKSCOPE_TIMELINE(o);
    self->tl = NULL; /* borrowed */
    g_clear_pointer(&self->hover_text, g_free);
    G_OBJECT_CLASS(leakscope_timeline_parent_class)->dispose(o);
}

static void leakscope_timeline_class_init(LeakscopeTimelineClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = leakscope_timeline_dispose;
    oc->get_property = leakscope_timeline_get_property;
    oc->set_property = leakscope_timeline_set_property;
    wc->snapshot = leakscope_timeline_snapshot;
    wc->measure = leakscope_timeline_measure;

    properties[PROP_SELECT_MODE] = g_param_spec_boolean("select-mode", NULL, NULL, FALSE,
                                                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                            G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, properties);

    signals[VIEW_CHANGED] = g_signal_new("view-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                         NULL, NULL, G_TYPE_NONE, 0);
    signals[SELECTION_CHANGED] = g_signal_new("selection-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 0);
    /* (LeakscopeTimelineHit *) valid during the emission */
    signals[HOVER_CHANGED] = g_signal_new("hover-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                          NULL, NULL, G_TYPE_NONE, 0);
    signals[HIT] = g_signal_new("hit", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                G_TYPE_NONE, 1, G_TYPE_POINTER);

    gtk_widget_class_install_action(wc, "timeline.zoom-in", NULL, action_zoom);
    gtk_widget_class_install_action(wc, "timeline.zoom-out", NULL, action_zoom);
    gtk_widget_class_install_action(wc, "timeline.zoom-fit", NULL, action_zoom_fit);
    gtk_widget_class_install_action(wc, "timeline.zoom-selection", NULL, action_zoom_selection);
    gtk_widget_class_install_action(wc, "timeline.clear-selection", NULL, action_clear_selection);
    gtk_widget_class_install_action(wc, "timeline.pan-left", NULL, action_pan);
    gtk_widget_class_install_action(wc, "timeline.pan-right", NULL, action_pan);
    gtk_widget_class_install_property_action(wc, "timeline.select-mode", "select-mode");

    gtk_widget_class_add_binding_action(wc, GDK_KEY_plus, 0, "timeline.zoom-in", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_equal, 0, "timeline.zoom-in", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Add, 0, "timeline.zoom-in", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_minus, 0, "timeline.zoom-out", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_KP_Subtract, 0, "timeline.zoom-out", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Left, 0, "timeline.pan-left", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Right, 0, "timeline.pan-right", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Home, 0, "timeline.zoom-fit", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_0, 0, "timeline.zoom-fit", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_z, 0, "timeline.zoom-selection", NULL);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "timeline.clear-selection", NULL);

    gtk_widget_class_set_css_name(wc, "leakscope-timeline");
    gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
}

static void leakscope_timeline_init(LeakscopeTimeline *self)
{
    GtkWidget *w = GTK_WIDGET(self);
    self->hover_x = self->hover_y = -1;
    self->tracks = RENDER_TRACK_ALL;
    gtk_widget_set_focusable(w, TRUE);
    gtk_widget_set_has_tooltip(w, TRUE);
    gtk_widget_action_set_enabled(w, "timeline.zoom-selection", FALSE);
    g_signal_connect(w, "query-tooltip", G_CALLBACK(on_query_tooltip), NULL);

    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(w, motion);

    GtkEventController *scroll = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
    g_signal_connect(scroll, "scroll", G_CALLBACK(on_scroll), self);
    gtk_widget_add_controller(w, scroll);

    GtkGesture *drag = gtk_gesture_drag_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), GDK_BUTTON_PRIMARY);
    g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), self);
    g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), self);
    g_signal_connect(drag, "drag-end", G_CALLBACK(on_drag_end), self);
    gtk_widget_add_controller(w, GTK_EVENT_CONTROLLER(drag));

    GtkGesture *pinch = gtk_gesture_zoom_new();
    g_signal_connect(pinch, "begin", G_CALLBACK(on_pinch_begin), self);
    g_signal_connect(pinch, "scale-changed", G_CALLBACK(on_pinch_scale), self);
    gtk_widget_add_controller(w, GTK_EVENT_CONTROLLER(pinch));
}

GtkWidget *leakscope_timeline_new(void)
{
    return g_object_new(LEAKSCOPE_TYPE_TIMELINE, NULL);
}
