/* leakscope-window.h — one trace per window: header bar with Open and the
 * main menu, the timeline on top, panels below (overview, leaks, resources
 * left open, GC statistics, the selected range, details of a clicked event).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_WINDOW (leakscope_window_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeWindow, leakscope_window, LEAKSCOPE, WINDOW, GtkApplicationWindow)

typedef enum {
    LEAKSCOPE_WINDOW_EMPTY,   /* the start page */
    LEAKSCOPE_WINDOW_LOADING,
    LEAKSCOPE_WINDOW_LOADED,
    LEAKSCOPE_WINDOW_FAILED,  /* the error page */
} LeakscopeWindowState;

LeakscopeWindow *leakscope_window_new(GtkApplication *app);

/* Loads `file` off the main thread (cancelling a load in progress). */
void leakscope_window_open(LeakscopeWindow *self, GFile *file);

LeakscopeWindowState leakscope_window_get_state(LeakscopeWindow *self);

/* Draws the current view (whole_trace: the whole trace) with the tracks
 * shown, at width x height, into a PNG at path. */
gboolean leakscope_window_export_png(LeakscopeWindow *self, const char *path, int width, int height,
                                     gboolean whole_trace, GError **error);

G_END_DECLS
