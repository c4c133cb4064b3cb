/* leakscope-flame.c — see leakscope-flame.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-flame.h"
#include "leakscope-timeline.h"

#include <string.h>

struct _LeakscopeFlame {
    GtkWidget parent_instance;
    LeakscopeTrees *trees;
    const ls_calltree *base;    /* borrowed: a differential flame graph's base run */
    ls_metric metric;
    gboolean icicle;
    char *search, *selected;
    GPtrArray *zoom_path;       /* names from the root's child down to the zoomed frame */
    guint32 zoom;               /* the zoomed node in the current tree */
    guint32 hover;              /* node under the pointer, 0: none */
    /* the layout at `laid_width`, drawn and hit-tested; valid while laid */
    render_flame_frames frames;
    gboolean laid;
    int laid_width;
    char hover_text[600];
    gint64 draw_us;
};

G_DEFINE_FINAL_TYPE(LeakscopeFlame, leakscope_flame, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_HOVER_TEXT, PROP_ZOOM, N_PROPS };
static GParamSpec *properties[N_PROPS];
enum { SIG_FRAME_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

GtkWidget *leakscope_flame_new(void)
{
    return g_object_new(LEAKSCOPE_TYPE_FLAME, NULL);
}

static const ls_calltree *tree_of(LeakscopeFlame *self)
{
    return self->trees ? self->trees->tree[LS_CALLTREE_TOP_DOWN] : NULL;
}

static void params(LeakscopeFlame *self, render_flame_params *p, int width, int height)
{
    const ls_calltree *t = tree_of(self);
    *p = (render_flame_params){
        .tree = t, .metric = self->metric, .width = width, .theme = leakscope_widget_render_theme(GTK_WIDGET(self)),
        .root = self->zoom, .icicle = self->icicle, .search = self->search, .hover = self->hover, .height = height,
        .base = self->base,
    };
    uint32_t name = self->selected && t ? ls_calltree_find_name(t, self->selected) : UINT32_MAX;
    p->selected_name = name == UINT32_MAX ? 0 : name;
}

static void unlay(LeakscopeFlame *self)
{
    if (self->laid)
        render_flame_frames_free(&self->frames);
    self->laid = FALSE;
}

/* The layout at `width`, made again only when what it depends on changed. */
static gboolean lay(LeakscopeFlame *self, int width)
{
    if (!tree_of(self) || width <= 2 * RENDER_FLAME_SIDE)
        return FALSE;
    if (self->laid && self->laid_width == width)
        return TRUE;
    unlay(self);
    render_flame_params p;
    params(self, &p, width, 0);
    self->laid = render_flame_layout(&p, &self->frames);
    self->laid_width = width;
    return self->laid;
}

static void update_hover_text(LeakscopeFlame *self)
{
    render_flame_params p;
    self->hover_text[0] = '\0';
    if (tree_of(self)) {
        params(self, &p, self->laid_width, 0);
        if (self->hover)
            render_flame_node_text(&p, self->hover, self->hover_text, sizeof self->hover_text);
        else
            render_flame_search_text(&p, self->hover_text, sizeof self->hover_text);
    }
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HOVER_TEXT]);
}

/* Something the layout depends on changed: lay out again, resize. */
static void relayout(LeakscopeFlame *self)
{
    unlay(self);
    self->hover = 0;
    update_hover_text(self);
    gtk_widget_queue_resize(GTK_WIDGET(self));
}

/* The zoomed node of the current tree from the kept path of names: as far
 * down as the path still exists. */
static void resolve_zoom(LeakscopeFlame *self)
{
    const ls_calltree *t = tree_of(self);
    guint32 n = LS_CALLTREE_ROOT;
    for (guint i = 0; t && i < self->zoom_path->len; i++) {
        const ls_calltree_node *p = &t->nodes[n];
        guint32 next = UINT32_MAX;
        for (uint32_t k = 0; k < p->nchild && next == UINT32_MAX; k++)
            if (!strcmp(ls_calltree_name(t, t->child[p->child0 + k]), g_ptr_array_index(self->zoom_path, i)))
                next = t->child[p->child0 + k];
        if (next == UINT32_MAX)
            break;
        n = next;
    }
    self->zoom = n;
}

void leakscope_flame_set_trees(LeakscopeFlame *self, LeakscopeTrees *trees)
{
    g_return_if_fail(LEAKSCOPE_IS_FLAME(self));
    if (trees)
        leakscope_trees_ref(trees);
    g_clear_pointer(&self->trees, leakscope_trees_unref);
    self->trees = trees;
    resolve_zoom(self);
    relayout(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ZOOM]);
}

LeakscopeTrees *leakscope_flame_get_trees(LeakscopeFlame *self)
{
    return self->trees;
}

void leakscope_flame_set_base(LeakscopeFlame *self, const ls_calltree *base)
{
    g_return_if_fail(LEAKSCOPE_IS_FLAME(self));
    self->base = base;
    gtk_widget_queue_draw(GTK_WIDGET(self)); /* the same layout, other colours */
}

void leakscope_flame_set_metric(LeakscopeFlame *self, ls_metric m)
{
    g_return_if_fail(LEAKSCOPE_IS_FLAME(self) && (unsigned)m < LS_METRIC_COUNT);
    if (self->metric == m)
        return;
    self->metric = m;
    relayout(self);
}

ls_metric leakscope_flame_get_metric(LeakscopeFlame *self)
{
    return self->metric;
}

void leakscope_flame_set_icicle(LeakscopeFlame *self, gboolean icicle)
{
    if (self->icicle == !!icicle)
        return;
    self->icicle = !!icicle;
    gtk_widget_queue_draw(GTK_WIDGET(self)); /* the same layout, rows from the other end */
}

void leakscope_flame_set_search(LeakscopeFlame *self, const char *text)
{
    g_free(self->search);
    self->search = text && text[0] ? g_strdup(text) : NULL;
    update_hover_text(self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void leakscope_flame_set_selected(LeakscopeFlame *self, const char *function)
{
    if (!g_strcmp0(self->selected, function))
        return;
    g_free(self->selected);
    self->selected = g_strdup(function);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void leakscope_flame_zoom(LeakscopeFlame *self, guint32 node)
{
    const ls_calltree *t = tree_of(self);
    g_return_if_fail(t && node < t->nnodes);
    g_ptr_array_set_size(self->zoom_path, 0);
    for (guint32 n = node; n != LS_CALLTREE_ROOT; n = t->nodes[n].parent)
        g_ptr_array_insert(self->zoom_path, 0, g_strdup(ls_calltree_name(t, n)));
    self->zoom = node;
    relayout(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ZOOM]);
}

guint32 leakscope_flame_get_zoom(LeakscopeFlame *self)
{
    return self->zoom;
}

gboolean leakscope_flame_get_drawn(LeakscopeFlame *self, render_flame_params *p, const render_flame_frames **f)
{
    int w = gtk_widget_get_width(GTK_WIDGET(self));
    if (!lay(self, w))
        return FALSE;
    params(self, p, w, gtk_widget_get_height(GTK_WIDGET(self)));
    *f = &self->frames;
    return TRUE;
}

static guint32 node_at(LeakscopeFlame *self, double x, double y)
{
    render_flame_params p;
    const render_flame_frames *f;
    guint32 n;
    if (x < 0 || !leakscope_flame_get_drawn(self, &p, &f) || !render_flame_hit(&p, f, x, y, &n))
        return 0;
    return n;
}

void leakscope_flame_hover(LeakscopeFlame *self, double x, double y)
{
    guint32 n = node_at(self, x, y);
    if (n == self->hover)
        return;
    self->hover = n;
    update_hover_text(self);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

void leakscope_flame_click(LeakscopeFlame *self, double x, double y)
{
    render_flame_params p;
    const render_flame_frames *f;
    guint32 n;
    if (!leakscope_flame_get_drawn(self, &p, &f) || !render_flame_hit(&p, f, x, y, &n))
        return;
    const ls_calltree *t = tree_of(self);
    /* the name goes before the zoom: the tree stays, the layout does not */
    g_autofree char *name = g_strdup(n == LS_CALLTREE_ROOT ? "" : ls_calltree_name(t, n));
    leakscope_flame_zoom(self, n);
    if (name[0])
        g_signal_emit(self, signals[SIG_FRAME_ACTIVATED], 0, name);
}

const char *leakscope_flame_get_hover_text(LeakscopeFlame *self)
{
    return self->hover_text;
}

gint64 leakscope_flame_get_draw_us(LeakscopeFlame *self)
{
    return self->draw_us;
}

/* ---- GtkWidget ---- */

static void leakscope_flame_measure(GtkWidget *w, GtkOrientation o, int for_size, int *min, int *nat, int *min_base,
                                    int *nat_base)
{
    LeakscopeFlame *self = LEAKSCOPE_FLAME(w);
    *min_base = *nat_base = -1;
    if (o == GTK_ORIENTATION_HORIZONTAL) {
        *min = 200;
        *nat = 800;
        return;
    }
    /* as tall as the tree at that width: the scrolled window scrolls the rest */
    int width = for_size > 0 ? for_size : self->laid_width > 0 ? self->laid_width : 800;
    *min = *nat = lay(self, width) ? self->frames.height : RENDER_FLAME_TOP + RENDER_FLAME_BOTTOM;
}

static GtkSizeRequestMode leakscope_flame_get_request_mode(GtkWidget *w)
{
    (void)w;
    return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void leakscope_flame_snapshot(GtkWidget *w, GtkSnapshot *s)
{
    LeakscopeFlame *self = LEAKSCOPE_FLAME(w);
    int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
    render_flame_params p;
    const render_flame_frames *f;
    if (width <= 0 || height <= 0 || !leakscope_flame_get_drawn(self, &p, &f))
        return;
    gint64 start = g_get_monotonic_time();
    cairo_t *cr = gtk_snapshot_append_cairo(s, &GRAPHENE_RECT_INIT(0, 0, width, height));
    render_flame_drawn(cr, &p, f);
    cairo_destroy(cr);
    self->draw_us = g_get_monotonic_time() - start;
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, LeakscopeFlame *self)
{
    (void)c;
    leakscope_flame_hover(self, x, y);
}

static void on_leave(GtkEventControllerMotion *c, LeakscopeFlame *self)
{
    (void)c;
    leakscope_flame_hover(self, -1, -1);
}

static void on_pressed(GtkGestureClick *g, int n, double x, double y, LeakscopeFlame *self)
{
    (void)g;
    (void)n;
    leakscope_flame_click(self, x, y);
}

static void leakscope_flame_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
    LeakscopeFlame *self = LEAKSCOPE_FLAME(o);
    switch (id) {
    case PROP_HOVER_TEXT: g_value_set_string(v, self->hover_text); break;
    case PROP_ZOOM: g_value_set_uint(v, self->zoom); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void leakscope_flame_dispose(GObject *o)
{
    LeakscopeFlame *self = LEAKSCOPE_FLAME(o);
    unlay(self);
    g_clear_pointer(&self->trees, leakscope_trees_unref);
    g_clear_pointer(&self->search, g_free);
    g_clear_pointer(&self->selected, g_free);
    g_clear_pointer(&self->zoom_path, g_ptr_array_unref);
    G_OBJECT_CLASS(leakscope_flame_parent_class)->dispose(o);
}

static void leakscope_flame_class_init(LeakscopeFlameClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = leakscope_flame_dispose;
    oc->get_property = leakscope_flame_get_property;
    wc->measure = leakscope_flame_measure;
    wc->get_request_mode = leakscope_flame_get_request_mode;
    wc->snapshot = leakscope_flame_snapshot;
    properties[PROP_HOVER_TEXT] = g_param_spec_string("hover-text", NULL, NULL, "",
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_ZOOM] = g_param_spec_uint("zoom", NULL, NULL, 0, G_MAXUINT32, 0,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, properties);
    /* A frame was clicked: its function, for the selection everywhere. */
    signals[SIG_FRAME_ACTIVATED] = g_signal_new("frame-activated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    gtk_widget_class_set_css_name(wc, "flamegraph");
}

static void leakscope_flame_init(LeakscopeFlame *self)
{
    self->zoom_path = g_ptr_array_new_with_free_func(g_free);
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), self);
    g_signal_connect(motion, "leave", G_CALLBACK(on_leave), self);
    gtk_widget_add_controller(GTK_WIDGET(self), motion);
    GtkGesture *click = gtk_gesture_click_new();
    g_signal_connect(click, "pressed", G_CALLBACK(on_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
    gtk_widget_set_hexpand(GTK_WIDGET(self), TRUE);
}
