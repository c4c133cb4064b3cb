/* leakscope-hist-view.c — see leakscope-hist-view.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-hist-view.h"
#include "leakscope-timeline.h"

struct _LeakscopeHistView {
    GtkWidget parent_instance;
    render_hist_params p;
    char *title;
    char hover_text[300];
};

G_DEFINE_FINAL_TYPE(LeakscopeHistView, leakscope_hist_view, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_HOVER_TEXT, N_PROPS };
static GParamSpec *properties[N_PROPS];

void leakscope_hist_view_get_params(LeakscopeHistView *self, render_hist_params *p)
{
    *p = self->p;
    p->width = gtk_widget_get_width(GTK_WIDGET(self));
    p->height = gtk_widget_get_height(GTK_WIDGET(self));
    p->theme = leakscope_widget_render_theme(GTK_WIDGET(self));
    p->title = self->title;
}

void leakscope_hist_view_set(LeakscopeHistView *self, const render_hist_params *p)
{
    g_return_if_fail(LEAKSCOPE_IS_HIST_VIEW(self));
    g_free(self->title);
    self->title = p ? g_strdup(p->title) : NULL;
    self->p = p ? *p : (render_hist_params){ .kind = self->p.kind };
    self->p.hover = -1;
    self->hover_text[0] = '\0';
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HOVER_TEXT]);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void leakscope_hist_view_hover(LeakscopeHistView *self, double x, double y)
{
    render_hist_params p;
    leakscope_hist_view_get_params(self, &p);
    int i = x < 0 ? -1 : render_hist_hit(&p, x, y);
    if (i == self->p.hover)
        return;
    self->p.hover = i;
    self->hover_text[0] = '\0';
    if (i >= 0) {
        render_hist_bar b[RENDER_HIST_MAX_BARS];
        render_hist_layout(&p, b);
        render_hist_bar_text(&p, &b[i], self->hover_text, sizeof self->hover_text);
    }
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HOVER_TEXT]);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

const char *leakscope_hist_view_get_hover_text(LeakscopeHistView *self)
{
    return self->hover_text;
}

static void leakscope_hist_view_snapshot(GtkWidget *w, GtkSnapshot *s)
{
    LeakscopeHistView *self = LEAKSCOPE_HIST_VIEW(w);
    render_hist_params p;
    leakscope_hist_view_get_params(self, &p);
    if (p.width <= 0 || p.height <= 0)
        return;
    cairo_t *cr = gtk_snapshot_append_cairo(s, &GRAPHENE_RECT_INIT(0, 0, p.width, p.height));
    render_hist(cr, &p);
    cairo_destroy(cr);
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, LeakscopeHistView *self)
{
    (void)c;
    leakscope_hist_view_hover(self, x, y);
}

static void on_leave(GtkEventControllerMotion *c, LeakscopeHistView *self)
{
    (void)c;
    leakscope_hist_view_hover(self, -1, -1);
}

static void leakscope_hist_view_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
    if (id == PROP_HOVER_TEXT)
        g_value_set_string(v, LEAKSCOPE_HIST_VIEW(o)->hover_text);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
}

static void leakscope_hist_view_dispose(GObject *o)
{
    LeakscopeHistView *self = LEAKSCOPE_HIST_VIEW(o);
    g_clear_pointer(&self->title, g_free);
    self->p.hist = NULL;
    G_OBJECT_CLASS(leakscope_hist_view_parent_class)->dispose(o);
}

static void leakscope_hist_view_measure(GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat, int *mb,
                                        int *nb)
{
    (void)w;
    (void)for_size;
    *mb = *nb = -1;
    *min = o == GTK_ORIENTATION_HORIZONTAL ? 240 : 60;
    *nat = o == GTK_ORIENTATION_HORIZONTAL ? 600 : 220;
}

static void leakscope_hist_view_class_init(LeakscopeHistViewClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = leakscope_hist_view_dispose;
    oc->get_property = leakscope_hist_view_get_property;
    wc->snapshot = leakscope_hist_view_snapshot;
    wc->measure = leakscope_hist_view_measure;
    properties[PROP_HOVER_TEXT] = g_param_spec_string("hover-text", NULL, NULL, "",
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, properties);
    gtk_widget_class_set_css_name(wc, "histogram");
}

static void leakscope_hist_view_init(LeakscopeHistView *self)
{
    self->p.hover = -1;
    self->p.stack = LS_HIST_ALL;
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(GTK_WIDGET(self), motion);
    gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
    gtk_widget_set_vexpand(GTK_WIDGET(self), TRUE);
}
