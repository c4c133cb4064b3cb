/* leakscope-table.c — rows of text cells in a GtkColumnView with a tree.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-table.h"
#include "leakscope-format.h"
#include "leakscope-list-frame.h"

/* One row: the model's (depth 0) or one frame of its stack (depth 1, its
 * text in cells[wide]). */
#define LEAKSCOPE_TYPE_TABLE_ROW (leakscope_table_row_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeTableRow, leakscope_table_row, LEAKSCOPE, TABLE_ROW, GObject)

struct _LeakscopeTableRow {
    GObject parent_instance;
    char *cells[LEAKSCOPE_TABLE_COLUMNS_MAX];
    char *style;
    guint32 stack;
    gboolean frame;
};

G_DEFINE_FINAL_TYPE(LeakscopeTableRow, leakscope_table_row, G_TYPE_OBJECT)

static void leakscope_table_row_finalize(GObject *o)
{
    LeakscopeTableRow *self = LEAKSCOPE_TABLE_ROW(o);
    for (guint i = 0; i < LEAKSCOPE_TABLE_COLUMNS_MAX; i++)
        g_free(self->cells[i]);
    g_free(self->style);
    G_OBJECT_CLASS(leakscope_table_row_parent_class)->finalize(o);
}

static void leakscope_table_row_class_init(LeakscopeTableRowClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = leakscope_table_row_finalize;
}

static void leakscope_table_row_init(LeakscopeTableRow *self)
{
    (void)self;
}

struct _LeakscopeTable {
    GtkWidget parent_instance;

    LeakscopeListFrame frame;
    GtkColumnView *view;
    GtkSingleSelection *selection;
    GListStore *rows;
    guint ncols, wide, numeric;
    const ls_analysis *a;     /* borrowed */
    sym_table *syms;          /* borrowed */
};

G_DEFINE_FINAL_TYPE(LeakscopeTable, leakscope_table, GTK_TYPE_WIDGET)

enum { SIG_SITE_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GListModel *create_children(gpointer item, gpointer data)
{
    LeakscopeTable *self = data;
    LeakscopeTableRow *row = item;
    if (row->frame || row->stack == LEAKSCOPE_TABLE_NO_STACK || !self->a)
        return NULL;
    GListStore *frames = g_list_store_new(LEAKSCOPE_TYPE_TABLE_ROW);
    GPtrArray *lines = leakscope_stack_lines(self->syms, self->a, row->stack, 256);
    for (guint i = 0; i < lines->len; i++) {
        LeakscopeTableRow *f = g_object_new(LEAKSCOPE_TYPE_TABLE_ROW, NULL);
        f->cells[self->wide] = g_strdup(g_ptr_array_index(lines, i));
        f->frame = TRUE;
        f->stack = LEAKSCOPE_TABLE_NO_STACK;
        g_list_store_append(frames, f);
        g_object_unref(f);
    }
    g_ptr_array_unref(lines);
    return G_LIST_MODEL(frames);
}

static void setup_cell(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    LeakscopeTable *self = g_object_get_data(G_OBJECT(f), "table");
    guint col = GPOINTER_TO_UINT(data);
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
    gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
    gboolean numeric = (self->numeric >> col) & 1;
    gtk_label_set_xalign(GTK_LABEL(label), numeric ? 1 : 0);
    if (numeric)
        gtk_widget_add_css_class(label, "numeric");
    if (col == self->wide) {
        GtkWidget *expander = gtk_tree_expander_new();
        gtk_tree_expander_set_child(GTK_TREE_EXPANDER(expander), label);
        gtk_list_item_set_child(item, expander);
    } else {
        gtk_list_item_set_child(item, label);
    }
}

static void bind_cell(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
    LeakscopeTable *self = g_object_get_data(G_OBJECT(f), "table");
    guint col = GPOINTER_TO_UINT(data);
    GtkTreeListRow *tr = gtk_list_item_get_item(item);
    LeakscopeTableRow *row = gtk_tree_list_row_get_item(tr);
    GtkWidget *child = gtk_list_item_get_child(item), *label = child;
    if (col == self->wide) {
        gtk_tree_expander_set_list_row(GTK_TREE_EXPANDER(child), tr);
        label = gtk_tree_expander_get_child(GTK_TREE_EXPANDER(child));
    }
    const char *text = row->cells[col] ? row->cells[col] : "";
    gtk_label_set_text(GTK_LABEL(label), text);
    gtk_widget_set_tooltip_text(label, col == self->wide && text[0] ? text : NULL);
    if (row->frame)
        gtk_widget_add_css_class(label, "monospace");
    else
        gtk_widget_remove_css_class(label, "monospace");
    /* The style is the first cell's: a recycled label drops the last row's. */
    const char *old = g_object_get_data(G_OBJECT(label), "style");
    if (old)
        gtk_widget_remove_css_class(label, old);
    g_object_set_data_full(G_OBJECT(label), "style", col == 0 && row->style ? g_strdup(row->style) : NULL, g_free);
    if (col == 0 && row->style)
        gtk_widget_add_css_class(label, row->style);
    g_object_unref(row);
}

void leakscope_table_set_columns(LeakscopeTable *self, const char *const *titles, guint n, guint wide, guint width,
                                 guint numeric)
{
    g_return_if_fail(LEAKSCOPE_IS_TABLE(self) && n > 0 && n <= LEAKSCOPE_TABLE_COLUMNS_MAX && wide < n);
    leakscope_table_clear(self);
    GListModel *cols = gtk_column_view_get_columns(self->view);
    while (g_list_model_get_n_items(cols)) {
        GtkColumnViewColumn *c = g_list_model_get_item(cols, 0);
        gtk_column_view_remove_column(self->view, c);
        g_object_unref(c);
    }
    self->ncols = n;
    self->wide = wide;
    self->numeric = numeric;
    for (guint i = 0; i < n; i++) {
        GtkListItemFactory *f = gtk_signal_list_item_factory_new();
        g_object_set_data(G_OBJECT(f), "table", self);
        g_signal_connect(f, "setup", G_CALLBACK(setup_cell), GUINT_TO_POINTER(i));
        g_signal_connect(f, "bind", G_CALLBACK(bind_cell), GUINT_TO_POINTER(i));
        GtkColumnViewColumn *c = gtk_column_view_column_new(titles[i], f);
        /* Text beside the wide column (a holder's name) shares the spare
         * width; a short first column (a class) and numbers keep `width`. */
        if (i == wide || (i > 0 && !((numeric >> i) & 1))) {
            gtk_column_view_column_set_expand(c, TRUE);
            gtk_column_view_column_set_resizable(c, TRUE);
        } else {
            gtk_column_view_column_set_fixed_width(c, (int)width);
        }
        gtk_column_view_append_column(self->view, c);
        g_object_unref(c);
    }
}

void leakscope_table_set_source(LeakscopeTable *self, const ls_analysis *a, sym_table *syms)
{
    g_return_if_fail(LEAKSCOPE_IS_TABLE(self));
    leakscope_table_clear(self);
    self->a = a;
    self->syms = syms;
}

void leakscope_table_append(LeakscopeTable *self, const char *const *cells, const char *style, guint32 stack)
{
    g_return_if_fail(LEAKSCOPE_IS_TABLE(self) && self->ncols);
    LeakscopeTableRow *r = g_object_new(LEAKSCOPE_TYPE_TABLE_ROW, NULL);
    for (guint i = 0; i < self->ncols; i++)
        r->cells[i] = g_strdup(cells[i]);
    r->style = g_strdup(style);
    r->stack = stack;
    g_list_store_append(self->rows, r);
    g_object_unref(r);
}

void leakscope_table_clear(LeakscopeTable *self)
{
    g_return_if_fail(LEAKSCOPE_IS_TABLE(self));
    if (self->rows)
        g_list_store_remove_all(self->rows);
}

void leakscope_table_set_placeholder(LeakscopeTable *self, const char *text)
{
    g_return_if_fail(LEAKSCOPE_IS_TABLE(self));
    leakscope_list_frame_set_placeholder(&self->frame, text);
}

const char *leakscope_table_get_placeholder(LeakscopeTable *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TABLE(self), NULL);
    return leakscope_list_frame_get_placeholder(&self->frame);
}

/* A row chosen (or a frame of its stack): its site's stack, when it has one. */
static void on_row_selected(GtkSingleSelection *sel, GParamSpec *ps, LeakscopeTable *self)
{
    (void)ps;
    LeakscopeTableRow *row = self->a ? leakscope_list_frame_selected_site(sel) : NULL;
    if (!row)
        return;
    guint32 stack = row->stack;
    g_object_unref(row);
    if (stack != LEAKSCOPE_TABLE_NO_STACK)
        g_signal_emit(self, signals[SIG_SITE_SELECTED], 0, stack);
}

void leakscope_table_select(LeakscopeTable *self, guint row)
{
    g_return_if_fail(LEAKSCOPE_IS_TABLE(self));
    /* the top-level rows' positions in the tree, frames of expanded rows between them */
    GListModel *tree = gtk_single_selection_get_model(self->selection);
    for (guint i = 0, n = 0; i < g_list_model_get_n_items(tree); i++) {
        GtkTreeListRow *tr = g_list_model_get_item(tree, i);
        gboolean top = gtk_tree_list_row_get_depth(tr) == 0;
        g_object_unref(tr);
        if (top && n++ == row) {
            gtk_single_selection_set_selected(self->selection, i);
            return;
        }
    }
}

guint leakscope_table_get_n_rows(LeakscopeTable *self)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TABLE(self), 0);
    return g_list_model_get_n_items(G_LIST_MODEL(self->rows));
}

/* Borrowed: the store keeps the row. */
static LeakscopeTableRow *row_at(LeakscopeTable *self, guint row)
{
    LeakscopeTableRow *r = g_list_model_get_item(G_LIST_MODEL(self->rows), row);
    if (r)
        g_object_unref(r);
    return r;
}

const char *leakscope_table_get_cell(LeakscopeTable *self, guint row, guint col)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TABLE(self), NULL);
    LeakscopeTableRow *r = row_at(self, row);
    return r && col < self->ncols ? r->cells[col] : NULL;
}

const char *leakscope_table_get_style(LeakscopeTable *self, guint row)
{
    g_return_val_if_fail(LEAKSCOPE_IS_TABLE(self), NULL);
    LeakscopeTableRow *r = row_at(self, row);
    return r ? r->style : NULL;
}

static void leakscope_table_dispose(GObject *o)
{
    LeakscopeTable *self = LEAKSCOPE_TABLE(o);
    self->a = NULL;
    self->syms = NULL;
    if (self->selection)
        g_signal_handlers_disconnect_by_func(self->selection, on_row_selected, self);
    self->selection = NULL; /* the view's */
    leakscope_list_frame_clear(&self->frame);
    g_clear_object(&self->rows);
    G_OBJECT_CLASS(leakscope_table_parent_class)->dispose(o);
}

static void leakscope_table_class_init(LeakscopeTableClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = leakscope_table_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "leakscope-table");
    /* The user chose a row with a call stack (its row or a frame of it): its stack id. */
    signals[SIG_SITE_SELECTED] = g_signal_new("site-selected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void leakscope_table_init(LeakscopeTable *self)
{
    self->rows = g_list_store_new(LEAKSCOPE_TYPE_TABLE_ROW);
    GtkTreeListModel *tree = gtk_tree_list_model_new(G_LIST_MODEL(g_object_ref(self->rows)), FALSE, FALSE,
                                                     create_children, self, NULL);
    self->selection = gtk_single_selection_new(G_LIST_MODEL(tree));
    /* nothing chosen until the user chooses: a row selected by itself would select its site everywhere */
    gtk_single_selection_set_autoselect(self->selection, FALSE);
    gtk_single_selection_set_can_unselect(self->selection, TRUE);
    g_signal_connect(self->selection, "notify::selected", G_CALLBACK(on_row_selected), self);
    self->view = GTK_COLUMN_VIEW(gtk_column_view_new(GTK_SELECTION_MODEL(self->selection)));
    gtk_column_view_set_show_column_separators(self->view, FALSE);
    gtk_column_view_set_reorderable(self->view, FALSE);

    leakscope_list_frame_init(&self->frame, GTK_WIDGET(self), GTK_WIDGET(self->view), G_LIST_MODEL(self->rows));
}

GtkWidget *leakscope_table_new(void)
{
    return g_object_new(LEAKSCOPE_TYPE_TABLE, NULL);
}
