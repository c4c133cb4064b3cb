/* leakscope-window-export.c — PNG export from the window: the current view
 * or the whole trace, with the tracks shown, at a chosen size, drawn by
 * render_view (the same code as the screen and `leakscope export`).
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-window-private.h"

#include <cairo.h>
#include <string.h>

gboolean leakscope_window_export_png(LeakscopeWindow *self, const char *path, int width, int height,
                                     gboolean whole_trace, GError **error)
{
    g_return_val_if_fail(LEAKSCOPE_IS_WINDOW(self), FALSE);
    if (!self->tl) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "no trace is open");
        return FALSE;
    }
    if (width < 200 || height < 200 || width > 16384 || height > 16384) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "size %dx%d out of range (200..16384)", width,
                    height);
        return FALSE;
    }
    render_view_params p;
    leakscope_timeline_get_view_params(self->timeline, &p, width, height);
    p.header = TRUE;
    p.hover_x = -1;
    p.sel_t0 = p.sel_t1 = 0;
    p.theme = RENDER_THEME_LIGHT;
    if (whole_trace) {
        p.t0 = timeline_begin(self->tl);
        p.t1 = timeline_end(self->tl) > p.t0 ? timeline_end(self->tl) : p.t0 + 1000000;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(s);
    render_view(cr, &p);
    cairo_destroy(cr);
    cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        g_autofree char *shown = g_filename_display_name(path);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", shown, cairo_status_to_string(st));
        return FALSE;
    }
    return TRUE;
}

static const struct {
    const char *id, *label;
    int w, h;
} sizes[] = {
    /* the first is the default: fallback dialogs start on it whatever set_choice said */
    { "1920x1080", "1920 × 1080", 1920, 1080 },
    { "1280x720", "1280 × 720", 1280, 720 },
    { "2560x1440", "2560 × 1440", 2560, 1440 },
    { "3840x2160", "3840 × 2160", 3840, 2160 },
    { "window", "Timeline's size", 0, 0 },
};

void _leakscope_window_export_chosen(LeakscopeWindow *self, GFile *file, const char *size, const char *range)
{
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    int w = gtk_widget_get_width(GTK_WIDGET(self->timeline)), h = gtk_widget_get_height(GTK_WIDGET(self->timeline));
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++)
        if (sizes[i].w && !g_strcmp0(size, sizes[i].id)) {
            w = sizes[i].w;
            h = sizes[i].h;
        }
    w = MAX(w, 200);
    h = MAX(h, 200);
    GError *error = NULL;
    if (!path)
        g_set_error(&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "only local files can be written");
    else if (leakscope_window_export_png(self, path, w, h, !g_strcmp0(range, "whole"), &error))
        gtk_revealer_set_reveal_child(self->banner, FALSE);
    if (error) {
        gtk_label_set_text(self->banner_label, error->message);
        gtk_widget_add_css_class(self->banner_box, "error");
        gtk_revealer_set_reveal_child(self->banner, TRUE);
        g_error_free(error);
    }
}

static void on_export_response(GtkNativeDialog *d, int response, LeakscopeWindow *self)
{
    if (response == GTK_RESPONSE_ACCEPT && self->tl) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
        _leakscope_window_export_chosen(self, f, gtk_file_chooser_get_choice(GTK_FILE_CHOOSER(d), "size"),
                                        gtk_file_chooser_get_choice(GTK_FILE_CHOOSER(d), "range"));
        g_clear_object(&f);
    }
    g_clear_object(&self->chooser);
}

void _leakscope_window_export_dialog(LeakscopeWindow *self)
{
    if (self->chooser || !self->tl)
        return;
    self->chooser = gtk_file_chooser_native_new("Export PNG", GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                                "_Export", "_Cancel");
    GtkFileChooser *fc = GTK_FILE_CHOOSER(self->chooser);
    GtkFileFilter *png = gtk_file_filter_new();
    gtk_file_filter_set_name(png, "PNG images");
    gtk_file_filter_add_mime_type(png, "image/png");
    gtk_file_filter_add_suffix(png, "png");
    gtk_file_chooser_add_filter(fc, png);
    g_object_unref(png);
    g_autofree char *base = g_file_get_basename(self->file);
    char *dot = strrchr(base, '.');
    if (dot)
        *dot = 0;
    g_autofree char *name = g_strconcat(base, ".png", NULL);
    gtk_file_chooser_set_current_name(fc, name);

    const char *ids[G_N_ELEMENTS(sizes) + 1], *labels[G_N_ELEMENTS(sizes) + 1];
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        ids[i] = sizes[i].id;
        labels[i] = sizes[i].label;
    }
    ids[G_N_ELEMENTS(sizes)] = labels[G_N_ELEMENTS(sizes)] = NULL;
    gtk_file_chooser_add_choice(fc, "size", "Size", ids, labels);
    gtk_file_chooser_set_choice(fc, "size", "1920x1080");
    gtk_file_chooser_add_choice(fc, "range", "Range", (const char *[]){ "view", "whole", NULL },
                                (const char *[]){ "Current view", "Whole trace", NULL });
    gtk_file_chooser_set_choice(fc, "range", "view");
    g_signal_connect(self->chooser, "response", G_CALLBACK(on_export_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}
