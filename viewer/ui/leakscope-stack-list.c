/* leakscope-stack-list.c — call sites in a GtkColumnView with a tree.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-stack-list.h"
#include "leakscope-format.h"
#include "leakscope-highlight.h"
#include "sites.h"
#include "leakscope-list-frame.h"

/* One row: a call site (depth 0) or one frame of its stack (depth 1). */
#define LEAKSCOPE_TYPE_STACK_ROW (leakscope_stack_row_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeStackRow, leakscope_stack_row, LEAKSCOPE, STACK_ROW, GObject)

struct _LeakscopeStackRow {
    GObject parent_instance;
    char *title;
    guint64 first, second;
    guint32 stack;
    gboolean frame;
    char *function;      /* the site's function (ls_site_function), for the selection */
    gboolean highlight;  /* it is the function selected in a panel */
};

G_DEFINE_FINAL_TYPE(LeakscopeStackRow, leakscope_stack_row, G_TYPE_OBJECT)

enum { ROW_PROP_0, ROW_PROP_FIRST, ROW_PROP_SECOND, ROW_PROP_HIGHLIGHT, ROW_N_PROPS };
static GParamSpec *row_props[ROW_N_PROPS];

static void leakscope_stack_row_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
    LeakscopeStackRow *self = LEAKSCOPE_STACK_ROW(o);
    switch (id) {
    case ROW_PROP_FIRST: g_value_set_uint64(v, self->first); break;
    case ROW_PROP_SECOND: g_value_set_uint64(v, self->second); break;
    case ROW_PROP_HIGHLIGHT: g_value_set_boolean(v, self->highlight); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
    }
}

static void leakscope_stack_row_finalize(GObject *o)
{
    g_free(LEAKSCOPE_STACK_ROW(o)->title);
    g_free(LEAKSCOPE_STACK_ROW(o)->function);
    G_OBJECT_CLASS(leakscope_stack_row_parent_class)->finalize(o);
}

static void leakscope_stack_row_class_init(LeakscopeStackRowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    oc->get_property = leakscope_stack_row_get_property;
    oc->finalize = leakscope_stack_row_finalize;
    row_props[ROW_PROP_FIRST] = g_param_spec_uint64("first", NULL, NULL, 0, G_MAXUINT64, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    row_props[ROW_PROP_SECOND] = g_param_spec_uint64("second", NULL, NULL, 0, G_MAXUINT64, 0,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    row_props[ROW_PROP_HIGHLIGHT] = g_param_spec_boolean("highlight", NULL, NULL, FALSE,
                                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, ROW_N_PROPS, row_props);
}

static void leakscope_stack_row_init(LeakscopeStackRow *self)
{
    (void)self;
}

static LeakscopeStackRow *row_new(char *title, guint64 first, guint64 second, guint32 stack, gboolean frame)
{
    LeakscopeStackRow *r = g_object_new(LEAKSCOPE_TYPE_STACK_ROW, NULL);
    r->title = title;
    r->first = first;
    r->second = second;
    r->stack = stack;
    r->frame = frame;
    return r;
}

struct _LeakscopeStackList {
    GtkWidget parent_instance;

    LeakscopeListFrame frame;
    GtkColumnView *view;
    GtkColumnViewColumn *col_site, *col_first, *col_second;
    GListStore *sites;
    LeakscopeValueKind kinds[2];
    const ls_analysis *a; /* borrowed */
    sym_table *syms;      /* borrowed */
    GtkSingleSelection *selection;
    char *highlight;      /* the function selected in a panel */
};

G_DEFINE_FINAL_TYPE(LeakscopeStackList, leakscope_stack_list, GTK_TYPE_WIDGET)

enum { SIG_SITE_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GListModel *create_children(gpointer item, gpointer data)
{
    LeakscopeStackList *self = data;
    LeakscopeStackRow *row = item;
    if (row->frame || !self->a)
        return NULL;
    GListStore *frames = g_list_store_new(LEAKSCOPE_TYPE_STACK_ROW);
    GPtrArray *lines = leakscope_stack_lines(self->syms, self->a, row->stack, 256);
    for (guint i = 0; i < lines->len; i++) {
        LeakscopeStackRow *f = row_new(g_strdup(g_ptr_array_index(lines, i)), 0, 0, 0, TRUE);
        g_list_store_append(frames, f);
        g_object_unref(f);
    }
    g_ptr_array_unref(lines);
    return G_LIST_MODEL(frames);
}

static void setup_site(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    (void)data;
    leakscope_list_frame_expander_cell(item);
}

static void bind_site(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    (void)data;
    GtkTreeListRow *tr = gtk_list_item_get_item(item);
    LeakscopeStackRow *row = gtk_tree_list_row_get_item(tr);
    GtkWidget *expander = gtk_list_item_get_child(item);
    gtk_tree_expander_set_list_row(GTK_TREE_EXPANDER(expander), tr);
    GtkWidget *label = gtk_tree_expander_get_child(GTK_TREE_EXPANDER(expander));
    gtk_label_set_text(GTK_LABEL(label), row->title);
    gtk_widget_set_tooltip_text(label, row->title);
    if (row->frame)
        gtk_widget_add_css_class(label, "monospace");
    else
        gtk_widget_remove_css_class(label, "monospace");
    leakscope_highlight_bind(label, row);
    g_object_set_data_full(G_OBJECT(item), "row", row, g_object_unref);
}

static void unbind_site(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    (void)data;
    GtkWidget *expander = gtk_list_item_get_child(item);
    leakscope_highlight_unbind(gtk_tree_expander_get_child(GTK_TREE_EXPANDER(expander)),
                               g_object_get_data(G_OBJECT(item), "row"));
    g_object_set_data(G_OBJECT(item), "row", NULL);
}

static void setup_value(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    (void)f;
    (void)data;
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(label), 1);
    gtk_widget_add_css_class(label, "numeric");
    gtk_list_item_set_child(item, label);
}

static void bind_value(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    LeakscopeStackList *self = g_object_get_data(G_OBJECT(f), "list");
    guint which = GPOINTER_TO_UINT(data);
    LeakscopeStackRow *row = gtk_tree_list_row_get_item(gtk_list_item_get_item(item));
    GtkWidget *label = gtk_list_item_get_child(item);
    guint64 v = which ? row->second : row->first;
    char *text = row->frame ? g_strdup("")
                 : self->kinds[which] == LEAKSCOPE_VALUE_BYTES ? leakscope_format_bytes(v)
                                                                : g_strdup_printf("%" G_GUINT64_FORMAT, v);
    gtk_label_set_text(GTK_LABEL(label), text);
    g_free(text);
    g_object_unref(row);
}

static GtkColumnViewColumn *value_column(LeakscopeStackList *self, guint which)
{
    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_object_set_data(G_OBJECT(f), "list", self);
    g_signal_connect(f, "setup", G_CALLBACK(setup_value), NULL);
    g_signal_connect(f, "bind", G_CALLBACK(bind_value), GUINT_TO_POINTER(which));
    GtkColumnViewColumn *c = gtk_column_view_column_new(which ? "Blocks" : "Bytes", f);
    GtkExpression *e = gtk_property_expression_new(LEAKSCOPE_TYPE_STACK_ROW, NULL, which ? "second" : "first");
    GtkNumericSorter *sorter = gtk_numeric_sorter_new(e);
    gtk_column_view_column_set_sorter(c, GTK_SORTER(sorter));
    g_object_unref(sorter);
    gtk_column_view_column_set_fixed_width(c, 110);
    return c;
}

void leakscope_stack_list_set_columns(LeakscopeStackList *self, const char *site, const char *first,
                                      LeakscopeValueKind first_kind, const char *second,
                                      LeakscopeValueKind second_kind)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self));
    gtk_column_view_column_set_title(self->col_site, site);
    gtk_column_view_column_set_title(self->col_first, first);
    gtk_column_view_column_set_title(self->col_second, second ? second : "");
    /* Out of the view, not hidden: GTK 4.8 still reserves a hidden
     * column's fixed width, and the rows stop short of the right edge. */
    GListModel *cols = gtk_column_view_get_columns(self->view);
    gboolean shown = FALSE;
    for (guint i = 0; i < g_list_model_get_n_items(cols); i++) {
        GtkColumnViewColumn *c = g_list_model_get_item(cols, i);
        shown |= c == self->col_second;
        g_object_unref(c);
    }
    if (second && !shown)
        gtk_column_view_append_column(self->view, self->col_second);
    else if (!second && shown)
        gtk_column_view_remove_column(self->view, self->col_second);
    self->kinds[0] = first_kind;
    self->kinds[1] = second_kind;
}

void leakscope_stack_list_set_source(LeakscopeStackList *self, const ls_analysis *a, sym_table *syms)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self));
    leakscope_stack_list_clear(self);
    self->a = a;
    self->syms = syms;
}

void leakscope_stack_list_append(LeakscopeStackList *self, const char *prefix, guint64 first, guint64 second,
                                 guint32 stack)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self) && self->a);
    char *site = leakscope_stack_title(self->syms, self->a, stack);
    char *title = prefix ? g_strconcat(prefix, "  ·  ", site, NULL) : g_strdup(site);
    g_free(site);
    LeakscopeStackRow *r = row_new(title, first, second, stack, FALSE);
    char fn[512];
    r->function = g_strdup(ls_site_function(self->syms, self->a, stack, fn, sizeof fn));
    r->highlight = self->highlight && !strcmp(r->function, self->highlight);
    g_list_store_append(self->sites, r);
    g_object_unref(r);
}

void leakscope_stack_list_clear(LeakscopeStackList *self)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self));
    if (self->sites)
        g_list_store_remove_all(self->sites);
}

void leakscope_stack_list_set_placeholder(LeakscopeStackList *self, const char *text)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self));
    leakscope_list_frame_set_placeholder(&self->frame, text);
}

const char *leakscope_stack_list_get_placeholder(LeakscopeStackList *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_STACK_LIST(self), NULL);
    return leakscope_list_frame_get_placeholder(&self->frame);
}

guint leakscope_stack_list_get_n_sites(LeakscopeStackList *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_STACK_LIST(self), 0);
    return g_list_model_get_n_items(G_LIST_MODEL(self->sites));
}

/* The call site row chosen (or the site of a frame row's stack). */
static void on_row_selected(GtkSingleSelection *sel, GParamSpec *ps, LeakscopeStackList *self)
{
    (void)ps;
    LeakscopeStackRow *row = self->a ? leakscope_list_frame_selected_site(sel) : NULL;
    if (!row)
        return;
    guint32 stack = row->stack;
    g_object_unref(row);
    g_signal_emit(self, signals[SIG_SITE_SELECTED], 0, stack);
}

void leakscope_stack_list_set_highlight(LeakscopeStackList *self, const char *function)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self));
    char *copy = g_strdup(function);
    g_free(self->highlight);
    self->highlight = copy;
    for (guint i = 0; i < g_list_model_get_n_items(G_LIST_MODEL(self->sites)); i++) {
        LeakscopeStackRow *r = g_list_model_get_item(G_LIST_MODEL(self->sites), i);
        gboolean on = function && r->function && !strcmp(r->function, function);
        if (r->highlight != on) {
            r->highlight = on;
            g_object_notify_by_pspec(G_OBJECT(r), row_props[ROW_PROP_HIGHLIGHT]);
        }
        g_object_unref(r);
    }
}

guint leakscope_stack_list_get_n_highlighted(LeakscopeStackList *self)
{
    guint n = 0;
    for (guint i = 0; i < g_list_model_get_n_items(G_LIST_MODEL(self->sites)); i++) {
        LeakscopeStackRow *r = g_list_model_get_item(G_LIST_MODEL(self->sites), i);
        n += r->highlight;
        g_object_unref(r);
    }
    return n;
}

void leakscope_stack_list_select(LeakscopeStackList *self, guint i)
{
    g_return_if_fail(LEAKSCOPE_IS_STACK_LIST(self));
    gtk_single_selection_set_selected(self->selection, i);
}

static void leakscope_stack_list_dispose(GObject *o)
{
    LeakscopeStackList *self = LEAKSCOPE_STACK_LIST(o);
    self->a = NULL;
    self->syms = NULL;
    leakscope_list_frame_clear(&self->frame);
    g_clear_object(&self->sites);
    g_clear_object(&self->col_second);
    if (self->selection)
        g_signal_handlers_disconnect_by_func(self->selection, on_row_selected, self);
    self->selection = NULL; /* the view's */
    g_clear_pointer(&self->highlight, g_free);
    G_OBJECT_CLASS(leakscope_stack_list_parent_class)->dispose(o);
}

static void leakscope_stack_list_class_init(LeakscopeStackListClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = leakscope_stack_list_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "leakscope-stack-list");
    /* The user chose a call site (its row or a frame of it): its stack id. */
    signals[SIG_SITE_SELECTED] = g_signal_new("site-selected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void leakscope_stack_list_init(LeakscopeStackList *self)
{
    self->sites = g_list_store_new(LEAKSCOPE_TYPE_STACK_ROW);
    self->kinds[0] = LEAKSCOPE_VALUE_BYTES;
    self->kinds[1] = LEAKSCOPE_VALUE_COUNT;

    GtkTreeListModel *tree = gtk_tree_list_model_new(G_LIST_MODEL(g_object_ref(self->sites)), FALSE, FALSE,
                                                     create_children, self, NULL);
    self->view = GTK_COLUMN_VIEW(gtk_column_view_new(NULL));
    GtkSorter *view_sorter = gtk_column_view_get_sorter(self->view);
    GtkTreeListRowSorter *row_sorter = gtk_tree_list_row_sorter_new(g_object_ref(view_sorter));
    GtkSortListModel *sorted = gtk_sort_list_model_new(G_LIST_MODEL(tree), GTK_SORTER(row_sorter));
    self->selection = gtk_single_selection_new(G_LIST_MODEL(sorted));
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    g_signal_connect(self->selection, "notify::selected", G_CALLBACK(on_row_selected), self);
    gtk_column_view_set_model(self->view, GTK_SELECTION_MODEL(self->selection));
    gtk_column_view_set_show_column_separators(self->view, FALSE);
    gtk_column_view_set_reorderable(self->view, FALSE);

    GtkListItemFactory *f = gtk_signal_list_item_factory_new();
    g_signal_connect(f, "setup", G_CALLBACK(setup_site), NULL);
    g_signal_connect(f, "bind", G_CALLBACK(bind_site), NULL);
    g_signal_connect(f, "unbind", G_CALLBACK(unbind_site), NULL);
    self->col_site = gtk_column_view_column_new("Call site", f);
    gtk_column_view_column_set_expand(self->col_site, TRUE);
    gtk_column_view_column_set_resizable(self->col_site, TRUE);
    self->col_first = value_column(self, 0);
    self->col_second = value_column(self, 1);
    gtk_column_view_append_column(self->view, self->col_site);
    gtk_column_view_append_column(self->view, self->col_first);
    gtk_column_view_append_column(self->view, self->col_second);
    /* the view holds the columns */
    g_object_unref(self->col_site);
    g_object_unref(self->col_first);
    /* col_second: our reference too, it leaves the view when unused */
    gtk_column_view_sort_by_column(self->view, self->col_first, GTK_SORT_DESCENDING);

    leakscope_list_frame_init(&self->frame, GTK_WIDGET(self), GTK_WIDGET(self->view), G_LIST_MODEL(self->sites));
}

GtkWidget *leakscope_stack_list_new(void)
{
    return g_object_new(LEAKSCOPE_TYPE_STACK_LIST, NULL);
}
