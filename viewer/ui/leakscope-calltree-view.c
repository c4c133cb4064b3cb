/* leakscope-calltree-view.c — see leakscope-calltree-view.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-calltree-view.h"
#include "leakscope-list-frame.h"
#include "leakscope-format.h"
#include "leakscope-highlight.h"
#include "render-flame.h"

#include <string.h>

/* ---- one row: a node of one of the trees ---- */

#define LEAKSCOPE_TYPE_TREE_ITEM (leakscope_tree_item_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeTreeItem, leakscope_tree_item, LEAKSCOPE, TREE_ITEM, GObject)

struct _LeakscopeTreeItem {
    GObject parent_instance;
    LeakscopeTrees *trees;
    ls_calltree_dir dir;
    guint32 node;
    gboolean highlight;
};

G_DEFINE_FINAL_TYPE(LeakscopeTreeItem, leakscope_tree_item, G_TYPE_OBJECT)

enum { ITEM_PROP_0, ITEM_PROP_HIGHLIGHT, ITEM_N_PROPS };
static GParamSpec *item_props[ITEM_N_PROPS];

static void leakscope_tree_item_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
    if (id == ITEM_PROP_HIGHLIGHT)
        g_value_set_boolean(v, LEAKSCOPE_TREE_ITEM(o)->highlight);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
}

static void leakscope_tree_item_finalize(GObject *o)
{
    g_clear_pointer(&LEAKSCOPE_TREE_ITEM(o)->trees, leakscope_trees_unref);
    G_OBJECT_CLASS(leakscope_tree_item_parent_class)->finalize(o);
}

static void leakscope_tree_item_class_init(LeakscopeTreeItemClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->get_property = leakscope_tree_item_get_property;
    oc->finalize = leakscope_tree_item_finalize;
    item_props[ITEM_PROP_HIGHLIGHT] = g_param_spec_boolean("highlight", NULL, NULL, FALSE,
                                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, ITEM_N_PROPS, item_props);
}

static void leakscope_tree_item_init(LeakscopeTreeItem *self)
{
    (void)self;
}

static const ls_calltree *item_tree(const LeakscopeTreeItem *it)
{
    return it->trees->tree[it->dir];
}

static const ls_calltree_node *item_node(const LeakscopeTreeItem *it)
{
    return &item_tree(it)->nodes[it->node];
}

static const char *item_name(const LeakscopeTreeItem *it)
{
    return ls_calltree_name(item_tree(it), it->node);
}

static void item_set_highlight(LeakscopeTreeItem *it, gboolean on)
{
    if (it->highlight == on)
        return;
    it->highlight = on;
    g_object_notify_by_pspec(G_OBJECT(it), item_props[ITEM_PROP_HIGHLIGHT]);
}

/* ---- the panel ---- */

/* The columns after the function's: a metric's inclusive value, or the
 * self bytes. */
typedef struct {
    const char *title;
    ls_metric metric;
    gboolean self;
} column_def;

static const column_def columns[] = {
    { "Allocated", LS_METRIC_ALLOCATED, FALSE },   { "Self", LS_METRIC_ALLOCATED, TRUE },
    { "Allocations", LS_METRIC_ALLOCATIONS, FALSE }, { "Temporary", LS_METRIC_TEMPORARY, FALSE },
    { "Leaked", LS_METRIC_LEAKED, FALSE },         { "Leaked blocks", LS_METRIC_LEAKED_BLOCKS, FALSE },
    { "Peak", LS_METRIC_PEAK, FALSE },
};
#define NCOLUMNS G_N_ELEMENTS(columns)

struct _LeakscopeCalltreeView {
    GtkWidget parent_instance;
    GtkWidget *box;
    GtkToggleButton *top_down, *bottom_up;
    GtkSearchEntry *filter_entry;
    GtkLabel *note;
    GtkColumnView *view;
    GtkColumnViewColumn *cols[NCOLUMNS];
    GtkSortListModel *sorted;
    GtkSingleSelection *selection;
    GtkLabel *callers_title, *callees_title;
    GtkListBox *callers, *callees;

    LeakscopeTrees *trees;
    ls_calltree_dir dir;
    char *filter;
    guint8 *keep;            /* per node of the shown tree: matches the filter or leads to a match */
    char *selected;
    GPtrArray *items;        /* every item made for the current model, to highlight */
    gboolean selecting;      /* a selection set from outside: no signal */
};

G_DEFINE_FINAL_TYPE(LeakscopeCalltreeView, leakscope_calltree_view, GTK_TYPE_WIDGET)

enum { SIG_FUNCTION_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

GtkWidget *leakscope_calltree_view_new(void)
{
    return g_object_new(LEAKSCOPE_TYPE_CALLTREE_VIEW, NULL);
}

static const ls_calltree *shown_tree(LeakscopeCalltreeView *self)
{
    return self->trees ? self->trees->tree[self->dir] : NULL;
}

static LeakscopeTreeItem *item_new(LeakscopeCalltreeView *self, guint32 node)
{
    LeakscopeTreeItem *it = g_object_new(LEAKSCOPE_TYPE_TREE_ITEM, NULL);
    it->trees = leakscope_trees_ref(self->trees);
    it->dir = self->dir;
    it->node = node;
    it->highlight = self->selected && !strcmp(item_name(it), self->selected);
    g_ptr_array_add(self->items, g_object_ref(it));
    return it;
}

/* The children of `node` that the filter keeps, as a new store. */
static GListModel *children_of(LeakscopeCalltreeView *self, guint32 node)
{
    const ls_calltree *t = shown_tree(self);
    const ls_calltree_node *n = &t->nodes[node];
    GListStore *store = g_list_store_new(LEAKSCOPE_TYPE_TREE_ITEM);
    for (uint32_t k = 0; k < n->nchild; k++) {
        guint32 c = t->child[n->child0 + k];
        if (self->keep && !self->keep[c])
            continue;
        LeakscopeTreeItem *it = item_new(self, c);
        g_list_store_append(store, it);
        g_object_unref(it);
    }
    return G_LIST_MODEL(store);
}

static GListModel *create_children(gpointer item, gpointer data)
{
    LeakscopeCalltreeView *self = data;
    LeakscopeTreeItem *it = item;
    /* rows of an older tree (still in the view while it is replaced) have none */
    if (it->trees != self->trees || it->dir != self->dir || !item_node(it)->nchild)
        return NULL;
    GListModel *m = children_of(self, it->node);
    if (g_list_model_get_n_items(m))
        return m;
    g_object_unref(m);
    return NULL;
}

/* Which nodes the filter keeps: a match, or an ancestor of one. Children
 * come after their parents in a tree's nodes, so one backward pass. */
static void compute_keep(LeakscopeCalltreeView *self)
{
    g_clear_pointer(&self->keep, g_free);
    const ls_calltree *t = shown_tree(self);
    if (!t || !self->filter)
        return;
    self->keep = g_malloc0(t->nnodes);
    for (uint32_t i = t->nnodes; i-- > 1;) {
        if (ls_calltree_matches(t, i, self->filter))
            self->keep[i] = 1;
        if (self->keep[i])
            self->keep[t->nodes[i].parent] = 1;
    }
}

static void rebuild(LeakscopeCalltreeView *self)
{
    g_ptr_array_set_size(self->items, 0);
    compute_keep(self);
    GListModel *root = shown_tree(self) ? children_of(self, LS_CALLTREE_ROOT)
                                        : G_LIST_MODEL(g_list_store_new(LEAKSCOPE_TYPE_TREE_ITEM));
    /* with a filter, every kept row is open: the matches are what was asked for */
    GtkTreeListModel *tree = gtk_tree_list_model_new(root, FALSE, self->filter != NULL, create_children, self, NULL);
    self->selecting = TRUE;
    gtk_sort_list_model_set_model(self->sorted, G_LIST_MODEL(tree));
    self->selecting = FALSE;
    g_object_unref(tree);
    const LeakscopeTrees *tr = self->trees;
    gtk_label_set_text(self->note, !tr ? "" : tr->whole ? "Whole trace" : "Selected range");
}

void leakscope_calltree_view_set_trees(LeakscopeCalltreeView *self, LeakscopeTrees *trees)
{
    g_return_if_fail(LEAKSCOPE_IS_CALLTREE_VIEW(self));
    if (trees)
        leakscope_trees_ref(trees);
    g_clear_pointer(&self->trees, leakscope_trees_unref);
    self->trees = trees;
    rebuild(self);
    leakscope_calltree_view_set_selected(self, self->selected);
}

void leakscope_calltree_view_set_direction(LeakscopeCalltreeView *self, ls_calltree_dir dir)
{
    g_return_if_fail(LEAKSCOPE_IS_CALLTREE_VIEW(self));
    gtk_toggle_button_set_active(dir == LS_CALLTREE_TOP_DOWN ? self->top_down : self->bottom_up, TRUE);
}

ls_calltree_dir leakscope_calltree_view_get_direction(LeakscopeCalltreeView *self)
{
    return self->dir;
}

static void on_direction_toggled(GtkToggleButton *b, LeakscopeCalltreeView *self)
{
    if (!gtk_toggle_button_get_active(b))
        return;
    ls_calltree_dir dir = b == self->top_down ? LS_CALLTREE_TOP_DOWN : LS_CALLTREE_BOTTOM_UP;
    if (dir == self->dir)
        return;
    self->dir = dir;
    rebuild(self);
}

void leakscope_calltree_view_set_filter(LeakscopeCalltreeView *self, const char *text)
{
    g_return_if_fail(LEAKSCOPE_IS_CALLTREE_VIEW(self));
    if (g_strcmp0(gtk_editable_get_text(GTK_EDITABLE(self->filter_entry)), text ? text : ""))
        gtk_editable_set_text(GTK_EDITABLE(self->filter_entry), text ? text : ""); /* "search-changed" follows */
    g_free(self->filter);
    self->filter = text && text[0] ? g_strdup(text) : NULL;
    rebuild(self);
}

static void on_filter_changed(GtkSearchEntry *e, LeakscopeCalltreeView *self)
{
    const char *text = gtk_editable_get_text(GTK_EDITABLE(e));
    if (g_strcmp0(self->filter, text[0] ? text : NULL))
        leakscope_calltree_view_set_filter(self, text);
}

void leakscope_calltree_view_sort_by(LeakscopeCalltreeView *self, ls_metric m, gboolean ascending)
{
    for (guint i = 0; i < NCOLUMNS; i++)
        if (columns[i].metric == m && !columns[i].self)
            gtk_column_view_sort_by_column(self->view, self->cols[i], ascending ? GTK_SORT_ASCENDING : GTK_SORT_DESCENDING);
}

/* ---- callers and callees ---- */

static void links_clear(GtkListBox *l)
{
    GtkWidget *c;
    while ((c = gtk_widget_get_first_child(GTK_WIDGET(l))))
        gtk_list_box_remove(l, c);
}

static void links_add(GtkListBox *l, const char *name, const uint64_t *v)
{
    g_autofree char *bytes = leakscope_format_bytes(v[LS_METRIC_ALLOCATED]);
    g_autofree char *value = g_strdup_printf("%s in %" G_GUINT64_FORMAT " allocations", bytes, v[LS_METRIC_ALLOCATIONS]);
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    GtkWidget *n = gtk_label_new(name), *val = gtk_label_new(value);
    gtk_label_set_xalign(GTK_LABEL(n), 0);
    gtk_label_set_ellipsize(GTK_LABEL(n), PANGO_ELLIPSIZE_END);
    gtk_widget_set_hexpand(n, TRUE);
    gtk_widget_add_css_class(val, "numeric");
    gtk_box_append(GTK_BOX(row), n);
    gtk_box_append(GTK_BOX(row), val);
    g_object_set_data_full(G_OBJECT(row), "line", g_strdup_printf("%s\t%s", name, value), g_free);
    gtk_list_box_append(l, row);
}

static void show_links(LeakscopeCalltreeView *self)
{
    links_clear(self->callers);
    links_clear(self->callees);
    /* from the top-down tree, whichever is shown: one answer */
    const ls_calltree *t = self->trees ? self->trees->tree[LS_CALLTREE_TOP_DOWN] : NULL;
    guint32 name = t && self->selected ? ls_calltree_find_name(t, self->selected) : UINT32_MAX;
    ls_calltree_links l;
    if (name == UINT32_MAX || !ls_calltree_links_of(t, name, LS_METRIC_ALLOCATED, &l)) {
        gtk_label_set_text(self->callers_title, "Callers (select a function)");
        gtk_label_set_text(self->callees_title, "Callees");
        return;
    }
    g_autofree char *fn = leakscope_text_from_trace(self->selected);
    g_autofree char *total = leakscope_format_bytes(l.incl[LS_METRIC_ALLOCATED]);
    g_autofree char *self_b = leakscope_format_bytes(l.self[LS_METRIC_ALLOCATED]);
    g_autofree char *ct = g_strdup_printf("Callers of %s (%s through it, %s its own)", fn, total, self_b);
    g_autofree char *ce = g_strdup_printf("Callees of %s", fn);
    gtk_label_set_text(self->callers_title, ct);
    gtk_label_set_text(self->callees_title, ce);
    for (uint32_t k = 0; k < l.ncallers; k++)
        links_add(self->callers, l.callers[k].name ? t->names[l.callers[k].name] : "(none: the outermost frame)",
                  l.callers[k].value);
    for (uint32_t k = 0; k < l.ncallees; k++)
        links_add(self->callees, t->names[l.callees[k].name], l.callees[k].value);
    ls_calltree_links_free(&l);
}

char *leakscope_calltree_view_get_links_text(LeakscopeCalltreeView *self, gboolean callers)
{
    GString *s = g_string_new(NULL);
    for (GtkWidget *r = gtk_widget_get_first_child(GTK_WIDGET(callers ? self->callers : self->callees)); r;
         r = gtk_widget_get_next_sibling(r)) {
        GtkWidget *box = gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(r));
        const char *line = box ? g_object_get_data(G_OBJECT(box), "line") : NULL;
        if (line)
            g_string_append_printf(s, "%s\n", line);
    }
    return g_string_free(s, FALSE);
}

void leakscope_calltree_view_set_selected(LeakscopeCalltreeView *self, const char *function)
{
    g_return_if_fail(LEAKSCOPE_IS_CALLTREE_VIEW(self));
    if (function != self->selected) {
        char *copy = g_strdup(function);
        g_free(self->selected);
        self->selected = copy;
    }
    for (guint i = 0; i < self->items->len; i++) {
        LeakscopeTreeItem *it = g_ptr_array_index(self->items, i);
        item_set_highlight(it, self->selected && !strcmp(item_name(it), self->selected));
    }
    show_links(self);
}

/* ---- rows ---- */

static LeakscopeTreeItem *row_item(LeakscopeCalltreeView *self, guint i)
{
    GtkTreeListRow *row = g_list_model_get_item(G_LIST_MODEL(self->sorted), i);
    if (!row)
        return NULL;
    LeakscopeTreeItem *it = gtk_tree_list_row_get_item(row);
    g_object_unref(row);
    return it;
}

guint leakscope_calltree_view_get_n_rows(LeakscopeCalltreeView *self)
{
    return g_list_model_get_n_items(G_LIST_MODEL(self->sorted));
}

gboolean leakscope_calltree_view_get_row(LeakscopeCalltreeView *self, guint i, const char **name, guint *depth,
                                         guint64 value[LS_METRIC_COUNT])
{
    LeakscopeTreeItem *it = row_item(self, i);
    if (!it)
        return FALSE;
    *name = item_name(it); /* the tree outlives the item: the view holds it */
    *depth = item_node(it)->depth;
    memcpy(value, item_node(it)->incl, sizeof item_node(it)->incl);
    g_object_unref(it);
    return TRUE;
}

void leakscope_calltree_view_expand_row(LeakscopeCalltreeView *self, guint i)
{
    GtkTreeListRow *row = g_list_model_get_item(G_LIST_MODEL(self->sorted), i);
    if (row) {
        gtk_tree_list_row_set_expanded(row, TRUE);
        g_object_unref(row);
    }
}

void leakscope_calltree_view_select_row(LeakscopeCalltreeView *self, guint i)
{
    gtk_single_selection_set_selected(self->selection, i);
}

guint leakscope_calltree_view_get_n_highlighted(LeakscopeCalltreeView *self)
{
    guint n = 0;
    for (guint i = 0; i < leakscope_calltree_view_get_n_rows(self); i++) {
        LeakscopeTreeItem *it = row_item(self, i);
        n += it && it->highlight;
        g_clear_object(&it);
    }
    return n;
}

static void on_selection_changed(GtkSingleSelection *sel, GParamSpec *ps, LeakscopeCalltreeView *self)
{
    (void)ps;
    if (self->selecting)
        return;
    GtkTreeListRow *row = gtk_single_selection_get_selected_item(sel);
    if (!row)
        return;
    LeakscopeTreeItem *it = gtk_tree_list_row_get_item(row);
    g_autofree char *name = g_strdup(item_name(it));
    g_object_unref(it);
    leakscope_calltree_view_set_selected(self, name);
    g_signal_emit(self, signals[SIG_FUNCTION_SELECTED], 0, name);
}

/* ---- cells ---- */

static void setup_name(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    leakscope_list_frame_expander_cell(li);
}

static void bind_name(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    GtkTreeListRow *row = gtk_list_item_get_item(li);
    GtkWidget *expander = gtk_list_item_get_child(li);
    gtk_tree_expander_set_list_row(GTK_TREE_EXPANDER(expander), row);
    LeakscopeTreeItem *it = gtk_tree_list_row_get_item(row);
    GtkWidget *label = gtk_tree_expander_get_child(GTK_TREE_EXPANDER(expander));
    gtk_label_set_text(GTK_LABEL(label), item_name(it)); /* ls_frame_function's: valid UTF-8, no controls */
    gtk_widget_set_tooltip_text(label, item_name(it));
    leakscope_highlight_bind(label, it);
    g_object_set_data_full(G_OBJECT(li), "item", it, g_object_unref);
}

static void unbind_name(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    LeakscopeTreeItem *it = g_object_get_data(G_OBJECT(li), "item");
    GtkWidget *expander = gtk_list_item_get_child(li);
    leakscope_highlight_unbind(gtk_tree_expander_get_child(GTK_TREE_EXPANDER(expander)), it);
    g_object_set_data(G_OBJECT(li), "item", NULL);
}

static void setup_value(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    (void)data;
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(label), 1);
    gtk_widget_add_css_class(label, "numeric");
    gtk_list_item_set_child(li, label);
}

static void bind_value(GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
    (void)f;
    const column_def *c = data;
    LeakscopeTreeItem *it = gtk_tree_list_row_get_item(gtk_list_item_get_item(li));
    const ls_calltree_node *n = item_node(it);
    char buf[64];
    render_flame_value(c->metric, c->self ? n->self[c->metric] : n->incl[c->metric], buf, sizeof buf);
    /* counts without their unit word: the column's title says it */
    if (!ls_metric_is_bytes(c->metric))
        g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, c->self ? n->self[c->metric] : n->incl[c->metric]);
    gtk_label_set_text(GTK_LABEL(gtk_list_item_get_child(li)), buf);
    g_object_unref(it);
}

static int compare_value(gconstpointer a, gconstpointer b, gpointer data)
{
    const column_def *c = data;
    const ls_calltree_node *p = item_node(a), *q = item_node(b);
    guint64 x = c->self ? p->self[c->metric] : p->incl[c->metric], y = c->self ? q->self[c->metric] : q->incl[c->metric];
    return x < y ? GTK_ORDERING_SMALLER : x > y ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static int compare_name(gconstpointer a, gconstpointer b, gpointer data)
{
    (void)data;
    int r = strcmp(item_name(a), item_name(b));
    return r < 0 ? GTK_ORDERING_SMALLER : r > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static GtkWidget *toolbar(LeakscopeCalltreeView *self)
{
    GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *dirs = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    gtk_widget_add_css_class(dirs, "linked");
    self->top_down = GTK_TOGGLE_BUTTON(gtk_toggle_button_new_with_label("Top-down"));
    self->bottom_up = GTK_TOGGLE_BUTTON(gtk_toggle_button_new_with_label("Bottom-up"));
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->top_down), "From the outermost frames (main, thread starts) down");
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->bottom_up), "From the allocating functions up to their callers");
    gtk_toggle_button_set_group(self->bottom_up, self->top_down);
    gtk_toggle_button_set_active(self->top_down, TRUE);
    g_signal_connect(self->top_down, "toggled", G_CALLBACK(on_direction_toggled), self);
    g_signal_connect(self->bottom_up, "toggled", G_CALLBACK(on_direction_toggled), self);
    gtk_box_append(GTK_BOX(dirs), GTK_WIDGET(self->top_down));
    gtk_box_append(GTK_BOX(dirs), GTK_WIDGET(self->bottom_up));
    gtk_box_append(GTK_BOX(bar), dirs);
    self->filter_entry = GTK_SEARCH_ENTRY(gtk_search_entry_new());
    g_object_set(self->filter_entry, "placeholder-text", "Filter functions", NULL);
    gtk_widget_set_size_request(GTK_WIDGET(self->filter_entry), 240, -1);
    g_signal_connect(self->filter_entry, "search-changed", G_CALLBACK(on_filter_changed), self);
    gtk_box_append(GTK_BOX(bar), GTK_WIDGET(self->filter_entry));
    self->note = GTK_LABEL(gtk_label_new(NULL));
    gtk_widget_add_css_class(GTK_WIDGET(self->note), "dim-label");
    gtk_label_set_ellipsize(self->note, PANGO_ELLIPSIZE_END);
    gtk_box_append(GTK_BOX(bar), GTK_WIDGET(self->note));
    return bar;
}

static GtkWidget *links_pane(GtkLabel **title, GtkListBox **list)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    *title = GTK_LABEL(gtk_label_new(NULL));
    gtk_label_set_xalign(*title, 0);
    gtk_label_set_ellipsize(*title, PANGO_ELLIPSIZE_END);
    gtk_widget_add_css_class(GTK_WIDGET(*title), "heading");
    *list = GTK_LIST_BOX(gtk_list_box_new());
    gtk_list_box_set_selection_mode(*list, GTK_SELECTION_NONE);
    GtkWidget *sc = gtk_scrolled_window_new();
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sc), GTK_WIDGET(*list));
    gtk_widget_set_vexpand(sc, TRUE);
    gtk_widget_set_hexpand(sc, TRUE);
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(*title));
    gtk_box_append(GTK_BOX(box), sc);
    return box;
}

static void leakscope_calltree_view_dispose(GObject *o)
{
    LeakscopeCalltreeView *self = LEAKSCOPE_CALLTREE_VIEW(o);
    if (self->selection)
        g_signal_handlers_disconnect_by_func(self->selection, on_selection_changed, self);
    g_clear_pointer(&self->box, gtk_widget_unparent);
    g_clear_pointer(&self->items, g_ptr_array_unref);
    g_clear_pointer(&self->trees, leakscope_trees_unref);
    g_clear_pointer(&self->filter, g_free);
    g_clear_pointer(&self->keep, g_free);
    g_clear_pointer(&self->selected, g_free);
    G_OBJECT_CLASS(leakscope_calltree_view_parent_class)->dispose(o);
}

static void leakscope_calltree_view_class_init(LeakscopeCalltreeViewClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = leakscope_calltree_view_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "leakscope-calltree");
    /* The user selected a row: its function, for the selection everywhere. */
    signals[SIG_FUNCTION_SELECTED] = g_signal_new("function-selected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void leakscope_calltree_view_init(LeakscopeCalltreeView *self)
{
    self->items = g_ptr_array_new_with_free_func(g_object_unref);
    self->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_widget_set_parent(self->box, GTK_WIDGET(self));
    gtk_box_append(GTK_BOX(self->box), toolbar(self));

    self->view = GTK_COLUMN_VIEW(gtk_column_view_new(NULL));
    GtkTreeListRowSorter *row_sorter = gtk_tree_list_row_sorter_new(g_object_ref(gtk_column_view_get_sorter(self->view)));
    self->sorted = gtk_sort_list_model_new(NULL, GTK_SORTER(row_sorter));
    self->selection = gtk_single_selection_new(G_LIST_MODEL(self->sorted));
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    gtk_column_view_set_model(self->view, GTK_SELECTION_MODEL(self->selection));
    g_signal_connect(self->selection, "notify::selected", G_CALLBACK(on_selection_changed), self);
    gtk_column_view_set_reorderable(self->view, FALSE);

    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(setup_name), NULL);
    g_signal_connect(f, "bind", G_CALLBACK(bind_name), NULL);
    g_signal_connect(f, "unbind", G_CALLBACK(unbind_name), NULL);
    GtkColumnViewColumn *name = gtk_column_view_column_new("Function", f);
    gtk_column_view_column_set_expand(name, TRUE);
    gtk_column_view_column_set_resizable(name, TRUE);
    GtkSorter *ns = GTK_SORTER(gtk_custom_sorter_new(compare_name, NULL, NULL));
    gtk_column_view_column_set_sorter(name, ns);
    g_object_unref(ns);
    gtk_column_view_append_column(self->view, name);
    g_object_unref(name);
    for (guint i = 0; i < NCOLUMNS; i++) {
        f = gtk_signal_list_item_factory_new();
        g_signal_connect(f, "setup", G_CALLBACK(setup_value), NULL);
        g_signal_connect(f, "bind", G_CALLBACK(bind_value), (gpointer)&columns[i]);
        self->cols[i] = gtk_column_view_column_new(columns[i].title, f);
        GtkSorter *s = GTK_SORTER(gtk_custom_sorter_new(compare_value, (gpointer)&columns[i], NULL));
        gtk_column_view_column_set_sorter(self->cols[i], s);
        g_object_unref(s);
        gtk_column_view_column_set_fixed_width(self->cols[i], columns[i].self || i == 0 ? 96 : 90);
        gtk_column_view_append_column(self->view, self->cols[i]);
        g_object_unref(self->cols[i]); /* the view holds it */
    }
    gtk_column_view_sort_by_column(self->view, self->cols[0], GTK_SORT_DESCENDING);

    GtkWidget *sc = gtk_scrolled_window_new();
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sc), GTK_WIDGET(self->view));
    gtk_widget_set_vexpand(sc, TRUE);
    GtkWidget *links = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 18);
    gtk_box_append(GTK_BOX(links), links_pane(&self->callers_title, &self->callers));
    gtk_box_append(GTK_BOX(links), links_pane(&self->callees_title, &self->callees));
    GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_VERTICAL);
    gtk_paned_set_start_child(GTK_PANED(paned), sc);
    gtk_paned_set_end_child(GTK_PANED(paned), links);
    gtk_paned_set_resize_end_child(GTK_PANED(paned), FALSE);
    gtk_paned_set_shrink_end_child(GTK_PANED(paned), FALSE);
    gtk_widget_set_size_request(links, -1, 110);
    gtk_widget_set_vexpand(paned, TRUE);
    gtk_box_append(GTK_BOX(self->box), paned);
    rebuild(self);
    show_links(self);
}
