/* test-viewer.c — the real viewer window under a display (Xvfb): opens a
 * trace through the application, zooms and pans through the window's
 * actions, selects a range, clicks an event, exports a PNG and checks its
 * pixels, saves a screenshot of the window, then quits with exit 0.
 *
 *   test-viewer view TRACE OUTDIR       a good trace
 *   test-viewer corrupt TRACE OUTDIR    must show the error page with the message
 *   test-viewer truncated TRACE OUTDIR  must show the trace and the banner
 *   test-viewer damaged TRACE OUTDIR    must show the trace and a banner saying what was lost
 *
 * Every wait is bounded; a failure prints one line and exits 1.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-application.h"
#include "leakscope-window-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_TIMEOUT_S 90

typedef struct {
    const char *mode, *trace, *outdir;
    LeakscopeApplication *app;
    LeakscopeWindow *win;       /* weak */
    GtkWidget *timeline_widget; /* weak */
    int step;
    int waited;
    guint64 full0, full1;
} test_ctx;

static int failures;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "test-viewer: FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                               \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static gboolean on_timeout(gpointer data)
{
    (void)data;
    fprintf(stderr, "test-viewer: FAIL: timed out after %d s\n", TEST_TIMEOUT_S);
    exit(1);
}

static char *out_path(test_ctx *t, const char *name)
{
    return g_build_filename(t->outdir, name, NULL);
}

/* A screenshot of the whole window, through GTK's own rendering. */
static void save_screenshot(test_ctx *t, const char *name)
{
    GtkWidget *w = GTK_WIDGET(t->win);
    GdkPaintable *p = gtk_widget_paintable_new(w);
    GskRenderNode *node = NULL;
    int width = 0, height = 0;
    /* A slow build (ASan) may not have drawn the page yet: let the main loop
     * run (this step's own source does not re-enter) for up to 20 s. */
    for (int tries = 0; tries < 2000 && !node; tries++) {
        width = gtk_widget_get_width(w);
        height = gtk_widget_get_height(w);
        if (width > 0 && height > 0 && gtk_widget_get_mapped(w)) {
            GtkSnapshot *s = gtk_snapshot_new();
            gdk_paintable_snapshot(p, s, width, height);
            node = gtk_snapshot_free_to_node(s);
        }
        if (!node) {
            g_main_context_iteration(NULL, FALSE);
            g_usleep(10000);
        }
    }
    CHECK(node != NULL, "the window drew nothing");
    if (node) {
        GskRenderer *r = gtk_native_get_renderer(GTK_NATIVE(w));
        GdkTexture *tex = gsk_renderer_render_texture(r, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
        char *path = out_path(t, name);
        CHECK(gdk_texture_save_to_png(tex, path), "cannot save %s", path);
        g_free(path);
        g_object_unref(tex);
        gsk_render_node_unref(node);
    }
    g_object_unref(p);
}

/* The exported PNG: right size, and a real picture (many colours, not one). */
static void check_png(const char *path, int w, int h)
{
    GError *error = NULL;
    GdkTexture *tex = gdk_texture_new_from_filename(path, &error);
    CHECK(tex != NULL, "cannot read %s: %s", path, error ? error->message : "?");
    if (!tex) {
        g_clear_error(&error);
        return;
    }
    CHECK(gdk_texture_get_width(tex) == w && gdk_texture_get_height(tex) == h, "%s is %dx%d, not %dx%d", path,
          gdk_texture_get_width(tex), gdk_texture_get_height(tex), w, h);
    int tw = gdk_texture_get_width(tex), th = gdk_texture_get_height(tex);
    guchar *px = g_malloc((gsize)tw * th * 4);
    gdk_texture_download(tex, px, (gsize)tw * 4);
    GHashTable *colours = g_hash_table_new(g_direct_hash, g_direct_equal);
    guint64 non_bg = 0;
    guint32 bg = *(guint32 *)px;
    for (int i = 0; i < tw * th; i++) {
        guint32 c = ((guint32 *)px)[i];
        g_hash_table_add(colours, GUINT_TO_POINTER(c));
        non_bg += c != bg;
    }
    CHECK(g_hash_table_size(colours) > 50, "%s has only %u colours", path, g_hash_table_size(colours));
    CHECK(non_bg > (guint64)tw * th / 50, "%s is nearly all background", path);
    g_hash_table_unref(colours);
    g_free(px);
    g_object_unref(tex);
}

static void act(test_ctx *t, const char *action)
{
    CHECK(gtk_widget_activate_action(GTK_WIDGET(t->win), action, NULL), "action %s not activated", action);
}

static void range(test_ctx *t, guint64 *a, guint64 *b)
{
    leakscope_timeline_get_range(t->win->timeline, a, b);
}

/* Closing the last window ends the application: dispose runs for real. */
static void quit(test_ctx *t)
{
    gtk_window_destroy(GTK_WINDOW(t->win));
}

/* One step per tick, so the window draws and the main loop runs between. */
static gboolean step(gpointer data)
{
    test_ctx *t = data;
    LeakscopeWindow *win = t->win;
    LeakscopeWindowState st = leakscope_window_get_state(win);
    guint64 a, b, c, d;

    if (!strcmp(t->mode, "corrupt")) {
        if (st == LEAKSCOPE_WINDOW_LOADING || st == LEAKSCOPE_WINDOW_EMPTY)
            return G_SOURCE_CONTINUE;
        CHECK(st == LEAKSCOPE_WINDOW_FAILED, "a corrupt trace opened (state %d)", st);
        const char *msg = gtk_label_get_text(win->error_label);
        CHECK(strstr(msg, "offset") || strstr(msg, "not a") || strstr(msg, "checksum"),
              "error page says '%s', not the reader's message", msg);
        CHECK(!gtk_label_get_use_markup(win->error_label), "the error label uses markup");
        if (t->waited == 0)
            printf("error page: %s\n", msg);
        if (t->waited++ < 6)
            return G_SOURCE_CONTINUE; /* let the page transition finish */
        save_screenshot(t, "window-corrupt.png");
        quit(t);
        return G_SOURCE_REMOVE;
    }

    if (st == LEAKSCOPE_WINDOW_LOADING || (st == LEAKSCOPE_WINDOW_EMPTY && t->step == 0))
        return G_SOURCE_CONTINUE;
    if (st != LEAKSCOPE_WINDOW_LOADED) {
        fprintf(stderr, "test-viewer: FAIL: the trace did not open: %s\n", gtk_label_get_text(win->error_label));
        exit(1);
    }

    if (!strcmp(t->mode, "truncated") || !strcmp(t->mode, "damaged")) {
        CHECK(gtk_revealer_get_reveal_child(win->banner), "no banner for a %s trace", t->mode);
        const char *msg = gtk_label_get_text(win->banner_label);
        CHECK(strstr(msg, t->mode) != NULL, "banner says '%s'", msg);
        if (!strcmp(t->mode, "damaged"))
            CHECK(strstr(msg, "events are missing") && strstr(msg, "byte offset"), "banner says '%s'", msg);
        if (t->waited == 0)
            printf("banner: %s\n", msg);
        if (t->waited++ < 4)
            return G_SOURCE_CONTINUE;
        save_screenshot(t, !strcmp(t->mode, "damaged") ? "window-damaged.png" : "window-truncated.png");
        quit(t);
        return G_SOURCE_REMOVE;
    }

    switch (t->step++) {
    case 0:
        range(t, &t->full0, &t->full1);
        CHECK(t->full1 > t->full0, "empty view");
        CHECK(leakscope_stack_list_get_n_sites(win->leaks_list) > 0, "no leaks listed for the demo");
        CHECK(leakscope_stack_list_get_n_sites(win->open_list) > 0, "no open descriptors listed for the demo");
        act(t, "win.zoom-in");
        range(t, &a, &b);
        CHECK(b - a <= (t->full1 - t->full0) / 2 + 1 && b - a + 1 >= (t->full1 - t->full0) / 2,
              "zoom in: span %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT, b - a, t->full1 - t->full0);
        break;
    case 1:
        range(t, &a, &b);
        act(t, "win.pan-right");
        range(t, &c, &d);
        CHECK(c > a && d - c == b - a, "pan right did not move the view later");
        act(t, "win.pan-left");
        act(t, "win.pan-left");
        range(t, &c, &d);
        CHECK(c < a, "pan left did not move the view earlier");
        break;
    case 2:
        act(t, "win.zoom-out");
        act(t, "win.zoom-out");
        range(t, &a, &b);
        CHECK(a == t->full0 && b == t->full1, "zooming out past the trace did not clamp to it");
        act(t, "win.zoom-in");
        act(t, "win.zoom-in");
        act(t, "win.zoom-fit");
        range(t, &a, &b);
        CHECK(a == t->full0 && b == t->full1, "zoom to fit is not the whole trace");
        break;
    case 3: {
        /* a selection of the middle fifth, then zoom to it */
        guint64 span = t->full1 - t->full0;
        leakscope_timeline_set_selection(win->timeline, t->full0 + span * 2 / 5, t->full0 + span * 3 / 5);
        act(t, "win.zoom-selection");
        range(t, &a, &b);
        CHECK(a == t->full0 + span * 2 / 5 && b == t->full0 + span * 3 / 5, "zoom to selection");
        gtk_stack_set_visible_child_name(win->panel_stack, "range");
        break;
    }
    case 4:
        /* the range summary runs in a thread: wait for its call sites (bounded) */
        if (leakscope_stack_list_get_n_sites(win->growth_list) == 0 && t->waited++ < 600) {
            t->step--;
            break;
        }
        t->waited = 0;
        t->step = 6;
        G_GNUC_FALLTHROUGH;
    case 5: {
        CHECK(leakscope_stack_list_get_n_sites(win->growth_list) > 0, "the selected range lists no call sites");
        save_screenshot(t, "window-range.png");
        /* click the heap chart in the middle: details with a call stack */
        act(t, "win.zoom-fit");
        int w = gtk_widget_get_width(GTK_WIDGET(win->timeline));
        LeakscopeTimelineHit hit;
        gboolean found = FALSE;
        for (int y = 5; y < gtk_widget_get_height(GTK_WIDGET(win->timeline)) && !found; y += 5)
            found = leakscope_timeline_hit_test(win->timeline, w / 2, y, &hit) && hit.kind == RENDER_HIT_HEAP;
        CHECK(found, "no heap chart under the timeline's middle");
        if (found)
            g_signal_emit_by_name(win->timeline, "hit", &hit);
        break;
    }
    case 6:
        if (!strstr(gtk_label_get_text(win->details_stack), "Call stack") && t->waited++ < 600) {
            t->step--;
            break;
        }
        t->step = 8;
        G_GNUC_FALLTHROUGH;
    case 7: {
        const char *stack = gtk_label_get_text(win->details_stack);
        CHECK(strstr(stack, "Call stack") && strstr(stack, "demo.c"), "details show no symbolized stack: '%s'", stack);
        CHECK(!strcmp(gtk_stack_get_visible_child_name(win->panel_stack), "details"), "details panel not shown");
        save_screenshot(t, "window-details.png");
        char *png = out_path(t, "export-view.png");
        GError *error = NULL;
        CHECK(leakscope_window_export_png(win, png, 1200, 700, FALSE, &error), "export: %s",
              error ? error->message : "?");
        g_clear_error(&error);
        check_png(png, 1200, 700);
        g_free(png);
        png = out_path(t, "export-heap.png");
        leakscope_timeline_set_tracks(win->timeline, RENDER_TRACK_HEAP | RENDER_TRACK_ALLOC);
        CHECK(leakscope_window_export_png(win, png, 800, 400, TRUE, NULL), "export of chosen tracks");
        check_png(png, 800, 400);
        g_free(png);
        CHECK(!leakscope_window_export_png(win, "/nonexistent-dir/x.png", 800, 400, TRUE, &error) && error,
              "export into a missing directory did not fail");
        g_clear_error(&error);
        leakscope_timeline_set_tracks(win->timeline, RENDER_TRACK_ALL);
        gtk_stack_set_visible_child_name(win->panel_stack, "leaks");
        break;
    }
    case 8: {
        /* the Export dialog opens with its choices; its answer, as the dialog
         * passes it on, writes the PNG (1920x1080 is the first choice) */
        act(t, "win.export");
        CHECK(win->chooser != NULL, "win.export showed no dialog");
        if (win->chooser) {
            GtkFileChooser *fc = GTK_FILE_CHOOSER(win->chooser);
            CHECK(!g_strcmp0(gtk_file_chooser_get_choice(fc, "size"), "1920x1080"), "default export size: %s",
                  gtk_file_chooser_get_choice(fc, "size"));
            CHECK(!g_strcmp0(gtk_file_chooser_get_choice(fc, "range"), "view"), "default export range");
            CHECK(gtk_file_chooser_get_action(fc) == GTK_FILE_CHOOSER_ACTION_SAVE, "not a save dialog");
            gtk_native_dialog_hide(GTK_NATIVE_DIALOG(win->chooser));
            g_signal_emit_by_name(win->chooser, "response", GTK_RESPONSE_CANCEL);
            CHECK(win->chooser == NULL, "the export dialog was not released");
        }
        char *png = out_path(t, "export-dialog.png");
        GFile *f = g_file_new_for_path(png);
        _leakscope_window_export_chosen(win, f, "1920x1080", "whole");
        CHECK(!gtk_revealer_get_reveal_child(win->banner), "export failed: %s", gtk_label_get_text(win->banner_label));
        check_png(png, 1920, 1080);
        g_object_unref(f);
        g_free(png);
        f = g_file_new_for_path("/nonexistent-dir/x.png");
        _leakscope_window_export_chosen(win, f, "window", "view");
        CHECK(gtk_revealer_get_reveal_child(win->banner) && strstr(gtk_label_get_text(win->banner_label), "x.png"),
              "a failed export says nothing");
        gtk_widget_activate_action(GTK_WIDGET(win), "win.dismiss-banner", NULL);
        g_object_unref(f);
        break;
    }
    case 9:
        gtk_stack_set_visible_child_name(win->panel_stack, "resources");
        break;
    case 10:
        save_screenshot(t, "window-resources.png");
        gtk_stack_set_visible_child_name(win->panel_stack, "leaks");
        break;
    case 11:
        break; /* let it draw */
    default:
        save_screenshot(t, "window.png");
        /* close with a range summary queued: nothing may outlive the window */
        gtk_stack_set_visible_child_name(win->panel_stack, "range");
        act(t, "win.zoom-in");
        quit(t);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void on_window_added(GtkApplication *app, GtkWindow *w, test_ctx *t)
{
    (void)app;
    if (!t->win && LEAKSCOPE_IS_WINDOW(w)) {
        t->win = LEAKSCOPE_WINDOW(w);
        t->timeline_widget = GTK_WIDGET(t->win->timeline);
        g_object_add_weak_pointer(G_OBJECT(t->win), (gpointer *)&t->win);
        g_object_add_weak_pointer(G_OBJECT(t->timeline_widget), (gpointer *)&t->timeline_widget);
        gtk_window_set_default_size(w, 1280, 860);
        g_timeout_add(100, step, t);
    }
}

/* The first GL library or driver mapped into this process, or NULL. None
 * may be: check-viewer.py keeps GL out (GDK_DEBUG=gl-disable), so that the
 * test does not depend on the machine's GL stack. GTK 4.8's X11 backend
 * otherwise probes EGL, then GLX, when it opens the display
 * (gdk_x11_display_open -> gdk_display_prepare_gl), GSK_RENDERER=cairo or
 * not, and that loads the GL driver: Mesa's swrast_dri.so under Xvfb, whose
 * 128-byte leak (Mesa 22.3.6, Debian 12) LeakSanitizer reports. */
static char *gl_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return g_strdup("(/proc/self/maps unreadable)");
    char line[4096], *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (!path)
            continue;
        path[strcspn(path, "\n")] = 0;
        const char *base = strrchr(path, '/') + 1;
        if (strstr(path, "/dri/") || g_str_has_prefix(base, "libEGL") || g_str_has_prefix(base, "libGL") ||
            g_str_has_prefix(base, "libgbm"))
            found = g_strdup(path);
    }
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test-viewer view|corrupt|truncated|damaged TRACE OUTDIR\n");
        return 2;
    }
    test_ctx t = { .mode = argv[1], .trace = argv[2], .outdir = argv[3] };
    g_timeout_add_seconds(TEST_TIMEOUT_S, on_timeout, NULL);
    t.app = leakscope_application_new(G_APPLICATION_NON_UNIQUE);
    g_signal_connect(t.app, "window-added", G_CALLBACK(on_window_added), &t);
    char *args[] = { argv[0], (char *)t.trace, NULL };
    int status = g_application_run(G_APPLICATION(t.app), 2, args);
    /* work still in flight holds the window: let it finish (bounded) */
    for (int i = 0; i < 200 && t.win; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(10000);
    }
    CHECK(t.win == NULL, "the window was not finalized after closing (a reference leaked)");
    CHECK(t.timeline_widget == NULL, "the timeline widget was not finalized after closing");
    char *gl = gl_mapped();
    CHECK(gl == NULL, "GL was loaded into the test: %s (GDK_DEBUG=gl-disable keeps it out)", gl);
    g_free(gl);
    g_object_unref(t.app);
    if (status != 0 || failures) {
        fprintf(stderr, "test-viewer: %d failures, exit status %d\n", failures, status);
        return 1;
    }
    printf("test-viewer %s: ok\n", t.mode);
    return 0;
}
