/* test-viewer.c — the real viewer window under a display (Xvfb): opens a
 * trace through the application; presses +, Right, Left, -, 0, Z and Esc
 * (XTest) with the focus in the leaks list and checks the view changed;
 * checks the layout at the default size (the divider in proportion, the heap
 * the largest row, no flat tracks), the Tracks menu's state, the resources
 * table's width, the heap axis fitted when zoomed in (and zero-based on
 * request), the status at 200 ns, the hover naming the allocation and its
 * call site with the status saying the readout's heap, a GC pause's thread
 * by name and a mark's label in Details, the empty-list placeholders; then
 * zooms and pans through the window's actions, selects a range, clicks an
 * event, exports a PNG and checks its pixels, clicks a resource's bar (one
 * the demo closed in close_log, one it left open: kind, handle, times and
 * both stacks), saves screenshots of the window, then quits with exit 0.
 *
 *   test-viewer view TRACE OUTDIR       a good trace
 *   test-viewer panels TRACE OUTDIR     the Flame Graph and Call Tree panels: hover,
 *                                       click to zoom and select, search, metric, icicle,
 *                                       sort, bottom-up, filter, callers and callees, a
 *                                       timeline selection followed and cleared, a leak
 *                                       row's site selected everywhere, the Heap by call
 *                                       site track's bands, hover and click, the Sizes and
 *                                       Lifetimes panel's histograms, Compare with… a
 *                                       missing file and the base run check-viewer.py
 *                                       recorded beside the trace (base.trace): its
 *                                       flame graph, and both runs' sizes, the whole
 *                                       runs' and a selected row's call site's
 *   test-viewer corrupt TRACE OUTDIR    must show the error page with the message
 *   test-viewer truncated TRACE OUTDIR  must show the trace and the banner
 *   test-viewer damaged TRACE OUTDIR    must show the trace and a banner saying what was lost
 *   test-viewer classes TRACE OUTDIR    a trace with a heap snapshot: the Leaks panel's class rows
 *                                       and the Globals view must be OUTDIR/classes.expect's
 *   test-viewer growing TRACE OUTDIR    a trace without one (killed): the Growing panel must be
 *                                       OUTDIR/growing.expect's, the Leaks panel today's list;
 *                                       choosing the first suspect selects its site and draws
 *                                       its live bytes over the heap
 *
 * The .expect files are what `leakscope report --json` says for the same
 * trace (check-viewer.py writes them), one tab-separated row a line:
 *   group CLASS SITE BYTES BLOCKS HELD_BY   a leaks[] entry, in order
 *   global NAME BYTES BLOCKS                a held_by_globals[] entry, in order
 *   growth SITE BYTES_AT_END BLOCKS_AT_END  a growth_suspects[] entry, in order
 *   resgrowth KIND SITE OPEN_AT_END         a resource_growth_suspects[] entry
 *   marks LABEL COUNT                       iterations' label and count
 *   iteration VERDICT SITE FIRST LAST       an iterations.sites[] entry, in order
 *
 * Every wait is bounded; a failure prints one line and exits 1.
 *
 * SPDX-License-Identifier: MIT
 */
#include "hist-surface.h"
#include "leakscope-application.h"
#include "leakscope-format.h"
#include "leakscope-growing-panel.h"
#include "leakscope-leaks-panel.h"
#include "leakscope-window-private.h"
#include "range.h"
#include "render-private.h"
#include "site-diff.h"
#include "sites.h"

#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <dlfcn.h>
#include <gdk/x11/gdkx.h>
#include <math.h>
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
    int sketch_seen;       /* sketch mode: polls that found the first picture drawn */
    guint64 full0, full1;
    int kstep;                  /* the keyboard steps, before the others */
    guint64 k0, k1;             /* the view before a key */
    int checks_step;            /* the layout, hover and details steps */
    int pstep;                  /* the panels' steps (mode "panels") */
    LeakscopeTrees *whole;      /* the whole trace's trees, as first shown */
    guint64 sel0, sel1;
    guint32 zoomed;
    LeakscopeTimelineHit site_hit;
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

/* A picture of widget w as GTK draws it (the whole window: a screenshot). */
static void save_widget(test_ctx *t, GtkWidget *w, const char *name)
{
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
        GskRenderer *r = gtk_native_get_renderer(gtk_widget_get_native(w));
        GdkTexture *tex = gsk_renderer_render_texture(r, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
        char *path = out_path(t, name);
        CHECK(gdk_texture_save_to_png(tex, path), "cannot save %s", path);
        g_free(path);
        g_object_unref(tex);
        gsk_render_node_unref(node);
    }
    g_object_unref(p);
}

static void save_screenshot(test_ctx *t, const char *name)
{
    save_widget(t, GTK_WIDGET(t->win), name);
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


/* ---- keys, as a user presses them: XTest under Xvfb ----
 * libX11 and libXtst are opened at run time (the test links neither). */
typedef int (*xtest_key_fn)(Display *, unsigned int, Bool, unsigned long);
typedef KeyCode (*x_keycode_fn)(Display *, KeySym);
typedef int (*x_focus_fn)(Display *, Window, int, Time);
typedef int (*x_sync_fn)(Display *, Bool);

static void press_key(test_ctx *t, KeySym sym)
{
    static xtest_key_fn fake;
    static x_keycode_fn keycode;
    static x_focus_fn focus;
    static x_sync_fn sync;
    if (!fake) {
        void *x11 = dlopen("libX11.so.6", RTLD_NOW), *xtst = dlopen("libXtst.so.6", RTLD_NOW);
        if (!x11 || !xtst) {
            fprintf(stderr, "test-viewer: FAIL: cannot open libX11/libXtst to press keys (Debian: libxtst6)\n");
            exit(1);
        }
        fake = (xtest_key_fn)dlsym(xtst, "XTestFakeKeyEvent");
        keycode = (x_keycode_fn)dlsym(x11, "XKeysymToKeycode");
        focus = (x_focus_fn)dlsym(x11, "XSetInputFocus");
        sync = (x_sync_fn)dlsym(x11, "XSync");
        if (!fake || !keycode || !focus || !sync) {
            fprintf(stderr, "test-viewer: FAIL: XTest functions missing\n");
            exit(1);
        }
    }
    GdkDisplay *gd = gtk_widget_get_display(GTK_WIDGET(t->win));
    CHECK(GDK_IS_X11_DISPLAY(gd), "not an X11 display");
    if (!GDK_IS_X11_DISPLAY(gd))
        return;
    Display *dpy = gdk_x11_display_get_xdisplay(gd);
    Window xid = gdk_x11_surface_get_xid(gtk_native_get_surface(GTK_NATIVE(t->win)));
    focus(dpy, xid, RevertToParent, CurrentTime); /* no window manager under Xvfb */
    KeyCode kc = keycode(dpy, sym);
    CHECK(kc != 0, "no key for keysym %lu", (unsigned long)sym);
    fake(dpy, kc, True, CurrentTime);
    fake(dpy, kc, False, CurrentTime);
    sync(dpy, False);
}

/* Whether the keyboard focus is inside w. */
static gboolean focus_in(test_ctx *t, GtkWidget *w)
{
    GtkWidget *f = gtk_root_get_focus(GTK_ROOT(t->win));
    return f && (f == w || gtk_widget_is_ancestor(f, w));
}

/* The keys act on the timeline with the focus in the leaks list (the
 * classes' table when the trace has a heap snapshot). One key per tick; a check waits (bounded) for the view to change. */
static gboolean key_steps(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    guint64 a, b, span = t->full1 - t->full0;
    GtkWidget *list = gtk_widget_get_visible(GTK_WIDGET(win->leaks_list)) ? GTK_WIDGET(win->leaks_list)
                                                                          : GTK_WIDGET(win->classes_table);
    range(t, &a, &b);
    switch (t->kstep) {
    case 0:
        range(t, &t->full0, &t->full1);
        gtk_stack_set_visible_child_name(win->panel_stack, "leaks");
        gtk_widget_child_focus(list, GTK_DIR_TAB_FORWARD);
        CHECK(focus_in(t, list), "the leaks list did not take the focus");
        CHECK(!focus_in(t, GTK_WIDGET(win->timeline)), "the timeline has the focus");
        press_key(t, XK_plus);
        break;
    case 1: /* + zooms in by two */
        if (b - a > span / 2 + 1 && t->waited++ < 50)
            return TRUE;
        CHECK(b - a <= span / 2 + 1, "+ with the focus in a list did not zoom in (span %" G_GUINT64_FORMAT ")", b - a);
        CHECK(focus_in(t, list), "the key took the focus away from the list");
        t->k0 = a;
        press_key(t, XK_Right);
        break;
    case 2:
        if (a == t->k0 && t->waited++ < 50)
            return TRUE;
        CHECK(a > t->k0, "Right did not pan later");
        t->k0 = a;
        press_key(t, XK_Left);
        break;
    case 3:
        if (a == t->k0 && t->waited++ < 50)
            return TRUE;
        CHECK(a < t->k0, "Left did not pan earlier");
        t->k1 = b - a;
        press_key(t, XK_minus);
        break;
    case 4:
        if (b - a == t->k1 && t->waited++ < 50)
            return TRUE;
        CHECK(b - a > t->k1, "- did not zoom out");
        act(t, "win.zoom-in");
        press_key(t, XK_0);
        break;
    case 5:
        if ((a != t->full0 || b != t->full1) && t->waited++ < 50)
            return TRUE;
        CHECK(a == t->full0 && b == t->full1, "0 did not zoom to fit");
        leakscope_timeline_set_selection(win->timeline, t->full0 + span / 4, t->full0 + span / 2);
        press_key(t, XK_z);
        break;
    case 6:
        if (a == t->full0 && t->waited++ < 50)
            return TRUE;
        CHECK(a == t->full0 + span / 4 && b == t->full0 + span / 2, "Z did not zoom to the selection");
        press_key(t, XK_Escape);
        break;
    case 7: {
        guint64 s0, s1;
        if (leakscope_timeline_get_selection(win->timeline, &s0, &s1) && t->waited++ < 50)
            return TRUE;
        CHECK(!leakscope_timeline_get_selection(win->timeline, &s0, &s1), "Esc did not clear the selection");
        CHECK(focus_in(t, list), "the focus left the list");
        act(t, "win.zoom-fit");
        /* as a click on the sidebar would: the focus leaves the list before
         * its page goes (GTK 4.8 warns when the focused row is unmapped) */
        gtk_widget_grab_focus(GTK_WIDGET(win->timeline));
        return FALSE; /* done */
    }
    default:
        return FALSE;
    }
    t->kstep++;
    t->waited = 0;
    return TRUE;
}

/* All the text of a facts grid, "key: value" lines. */
static char *grid_text(GtkGrid *g)
{
    GString *s = g_string_new(NULL);
    for (GtkWidget *c = gtk_widget_get_first_child(GTK_WIDGET(g)); c; c = gtk_widget_get_next_sibling(c))
        if (GTK_IS_LABEL(c))
            g_string_append_printf(s, "%s%s", gtk_label_get_text(GTK_LABEL(c)),
                                   gtk_widget_has_css_class(c, "key") ? ": " : "\n");
    return g_string_free(s, FALSE);
}

/* A row of the timeline's layout. */
static gboolean timeline_row(test_ctx *t, render_track track, render_row *out)
{
    render_view_params p;
    render_layout l;
    GtkWidget *w = GTK_WIDGET(t->win->timeline);
    leakscope_timeline_get_view_params(t->win->timeline, &p, gtk_widget_get_width(w), gtk_widget_get_height(w));
    render_view_layout(&p, &l);
    for (int i = 0; i < l.nrows; i++)
        if (l.rows[i].track == track) {
            *out = l.rows[i];
            return TRUE;
        }
    return FALSE;
}

/* Whether a row of the column view (css name "row") is at x of list w. */
static gboolean row_reaches(GtkWidget *w, double x)
{
    for (double y = 20; y < 120; y += 4) {
        GtkWidget *hit = gtk_widget_pick(w, x, y, GTK_PICK_DEFAULT);
        for (GtkWidget *a = hit; a && a != w; a = gtk_widget_get_parent(a))
            if (!g_strcmp0(gtk_widget_get_css_name(a), "row"))
                return TRUE;
    }
    return FALSE;
}

/* The layout at the default size, the Tracks menu's state, the heap axis,
 * the status at a deep zoom, hover and details. */
static gboolean layout_steps(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    GtkWidget *tw = GTK_WIDGET(win->timeline);
    switch (t->checks_step) {
    case 0: {
        /* The divider in proportion to the page, and a wide handle. */
        int ph = gtk_widget_get_height(GTK_WIDGET(win->paned)), pos = gtk_paned_get_position(win->paned);
        CHECK(ph > 0 && fabs((double)pos / ph - LEAKSCOPE_TIMELINE_SHARE) < 0.03,
              "the divider is at %d of %d, not in proportion", pos, ph);
        CHECK(gtk_paned_get_wide_handle(win->paned), "the divider's handle is thin");
        /* The heap first: the largest row, no flat lines. */
        render_row heap, alloc, gc, threads;
        CHECK(timeline_row(t, RENDER_TRACK_HEAP, &heap) && timeline_row(t, RENDER_TRACK_ALLOC, &alloc) &&
                  timeline_row(t, RENDER_TRACK_GC, &gc) && timeline_row(t, RENDER_TRACK_THREADS, &threads),
              "rows missing");
        printf("layout: timeline %d px tall; heap plot %.0f, allocation %.0f, GC %.0f, threads row %.0f\n",
               gtk_widget_get_height(tw), heap.py1 - heap.py0, alloc.py1 - alloc.py0, gc.py1 - gc.py0,
               threads.y1 - threads.y0);
        /* (the heap by call site, which arrives from its own pass a moment
         * after the trace, is left out where it would take this from the heap) */
        CHECK(heap.py1 - heap.py0 >= gtk_widget_get_height(tw) / 4, "the heap plot is %.0f px of %d",
              heap.py1 - heap.py0, gtk_widget_get_height(tw));
        CHECK(threads.y1 - threads.y0 < heap.y1 - heap.y0, "the threads are taller than the heap");
        CHECK(alloc.py1 - alloc.py0 >= 24 && gc.py1 - gc.py0 >= 24, "flat allocation or GC tracks (%.0f, %.0f px)",
              alloc.py1 - alloc.py0, gc.py1 - gc.py0);
        /* The Tracks menu: stateful actions (property actions: boolean
         * state, so the menu draws check marks). */
        int stateful = 0;
        const char *aname, *prop;
        GType owner;
        const GVariantType *ptype;
        for (guint i = 0; gtk_widget_class_query_action(GTK_WIDGET_GET_CLASS(win), i, &owner, &aname, &ptype, &prop); i++)
            if ((g_str_has_prefix(aname, "win.track-") || !strcmp(aname, "win.heap-zero-based")) && prop)
                stateful++;
        CHECK(stateful == 6, "%d of the 6 Tracks menu actions are stateful", stateful);
        gboolean on = FALSE;
        g_object_get(win, "show-gc", &on, NULL);
        CHECK(on, "show-gc is off at the start");
        act(t, "win.track-gc");
        g_object_get(win, "show-gc", &on, NULL);
        CHECK(!on && !(leakscope_timeline_get_tracks(win->timeline) & RENDER_TRACK_GC), "win.track-gc did not hide GC");
        act(t, "win.track-gc");
        g_object_get(win, "show-gc", &on, NULL);
        CHECK(on && (leakscope_timeline_get_tracks(win->timeline) & RENDER_TRACK_GC), "win.track-gc did not show GC");
        /* The Resources Left Open table reaches the right edge. */
        gtk_stack_set_visible_child_name(win->panel_stack, "resources");
        break;
    }
    case 1: {
        GtkWidget *ol = GTK_WIDGET(win->open_list);
        CHECK(row_reaches(ol, gtk_widget_get_width(ol) - 30), "the resources table stops short of the right edge");
        save_screenshot(t, "window-resources-width.png");
        gtk_stack_set_visible_child_name(win->panel_stack, "leaks");
        /* Zoomed in deep: the heap axis fits the view; from zero on request. */
        guint64 mid = (t->full0 + t->full1) / 2;
        leakscope_timeline_set_range(win->timeline, mid, mid + (t->full1 - t->full0) / 100);
        render_view_params p;
        render_layout l;
        leakscope_timeline_get_view_params(win->timeline, &p, gtk_widget_get_width(tw), gtk_widget_get_height(tw));
        render_view_layout(&p, &l);
        CHECK(l.heap_axis_min > 0, "zoomed in, the heap axis still starts at zero");
        act(t, "win.heap-zero-based");
        leakscope_timeline_get_view_params(win->timeline, &p, gtk_widget_get_width(tw), gtk_widget_get_height(tw));
        render_view_layout(&p, &l);
        CHECK(l.heap_axis_min == 0, "win.heap-zero-based did not start the axis at zero");
        act(t, "win.heap-zero-based");
        /* The deepest zoom: the status's two ends differ. */
        leakscope_timeline_set_range(win->timeline, mid, mid + 200);
        const char *st = gtk_label_get_text(win->status_label);
        char a[64] = "", b[64] = "";
        CHECK(sscanf(st, "View %63[^–]– %63[^(]", a, b) == 2 && strcmp(a, b), "status at 200 ns: '%s'", st);
        printf("status at 200 ns: %s\n", st);
        save_screenshot(t, "window-zoomed.png");
        leakscope_timeline_set_range(win->timeline, mid, mid + (t->full1 - t->full0) / 40);
        break;
    }
    case 2: {
        save_screenshot(t, "window-zoomed-heap.png");
        act(t, "win.zoom-fit");
        /* Hover over the heap: the event under the pointer is named, and
         * the status says the heap the readout draws. */
        render_row heap;
        timeline_row(t, RENDER_TRACK_HEAP, &heap);
        leakscope_timeline_set_hover(win->timeline, gtk_widget_get_width(tw) * 0.6, (heap.py0 + heap.py1) / 2);
        break;
    }
    case 3: {
        const char *h = leakscope_timeline_get_hover_text(win->timeline);
        if (!h && t->waited++ < 300)
            return TRUE;
        t->waited = 0;
        CHECK(h && strstr(h, "alloc") && strstr(h, " at ") && strstr(h, "demo.c"),
              "hover names no allocation with its call site: '%s'", h ? h : "(nothing)");
        guint64 ht, hb;
        CHECK(leakscope_timeline_get_hover_heap(win->timeline, &ht, &hb), "no heap under the pointer");
        g_autofree char *heap = leakscope_format_bytes(hb);
        g_autofree char *readout = leakscope_timeline_get_hover_label(win->timeline);
        CHECK(readout && strstr(readout, heap), "the readout '%s' does not say the heap %s", readout ? readout : "(none)", heap);
        g_autofree char *want = g_strdup(readout ? readout : "?");
        const char *st = gtk_label_get_text(win->status_label);
        CHECK(strstr(st, want) && h && strstr(st, h), "status '%s' does not say '%s' and '%s'", st, want, h);
        printf("hover: %s\nstatus: %s\n", h ? h : "", st);
        save_screenshot(t, "window-hover.png");
        /* A new view: what was under the pointer is forgotten at once. */
        g_autofree char *was = g_strdup(h); /* h goes with the old view */
        act(t, "win.zoom-in");
        CHECK(!leakscope_timeline_get_hover_text(win->timeline) &&
                  (!was || !strstr(gtk_label_get_text(win->status_label), was)),
              "after zooming, the hover still names the event of the old view");
        act(t, "win.zoom-fit");
        leakscope_timeline_set_hover(win->timeline, -1, -1);
        /* A GC pause in Details names its thread. */
        render_row gc;
        timeline_row(t, RENDER_TRACK_GC, &gc);
        LeakscopeTimelineHit hit;
        gboolean found = FALSE;
        for (int x = (int)gtk_widget_get_width(tw) - 30; x > 100 && !found; x--)
            found = leakscope_timeline_hit_test(win->timeline, x, gc.py1 - 2, &hit) && hit.kind == RENDER_HIT_GC;
        CHECK(found, "no GC pause found on the timeline");
        if (found) {
            const ls_analysis *a = timeline_analysis(win->tl);
            const char *name = ls_analysis_thread_name(a, a->gc[hit.index].thread);
            g_signal_emit_by_name(win->timeline, "hit", &hit);
            g_autofree char *text = grid_text(win->details_grid);
            CHECK(name[0] && strstr(text, name), "GC details name no thread ('%s'): %s", name, text);
            save_screenshot(t, "window-gc-details.png");
        }
        break;
    }
    case 4: {
        /* A mark in Details: its label. */
        render_row marks;
        timeline_row(t, RENDER_TRACK_MARKS, &marks);
        LeakscopeTimelineHit hit;
        gboolean found = FALSE;
        for (int x = 100; x < gtk_widget_get_width(tw) && !found; x++)
            found = leakscope_timeline_hit_test(win->timeline, x, marks.py0 + 4, &hit) && hit.kind == RENDER_HIT_MARK;
        CHECK(found, "no mark found on the timeline");
        if (found) {
            const ls_analysis *a = timeline_analysis(win->tl);
            g_signal_emit_by_name(win->timeline, "hit", &hit);
            g_autofree char *text = grid_text(win->details_grid);
            CHECK(strstr(text, ls_analysis_string(a, a->marks[hit.index].label)), "mark details: %s", text);
        }
        return FALSE;
    }
    default:
        return FALSE;
    }
    t->checks_step++;
    return TRUE;
}


/* ---- the Flame Graph and Call Tree panels (mode "panels") ---- */

static const ls_calltree *flame_tree(test_ctx *t)
{
    LeakscopeTrees *tr = leakscope_flame_get_trees(t->win->flame);
    return tr ? tr->tree[LS_CALLTREE_TOP_DOWN] : NULL;
}

/* The frame of the shown flame graph whose name is `name` and that is
 * drawn widest, with its centre in the widget. */
static gboolean flame_frame(test_ctx *t, const char *name, guint32 *node, double *x, double *y)
{
    render_flame_params p;
    const render_flame_frames *f;
    if (!leakscope_flame_get_drawn(t->win->flame, &p, &f))
        return FALSE;
    double best = -1;
    for (uint32_t i = 0; i < f->n; i++) {
        const render_flame_rect *r = &f->rect[i];
        if (r->node != LS_CALLTREE_ROOT && !strcmp(ls_calltree_name(p.tree, r->node), name) && r->w > best) {
            best = r->w;
            *node = r->node;
            *x = r->x + r->w / 2;
            *y = render_flame_row_y(&p, f, r->depth) + RENDER_FLAME_FRAME_H / 2.0;
        }
    }
    return best > 0;
}

/* The colour (0xRRGGBB) of widget w's pixel at (x, y), as GTK draws w;
 * the window's screenshot goes to `png`. */
/* Widget w as GTK draws it: width x height pixels, 0xAARRGGBB each (free
 * it), or NULL when it drew nothing. The window's screenshot goes to `png`. */
static guint32 *widget_pixels(test_ctx *t, GtkWidget *w, int *width, int *height, const char *png)
{
    save_screenshot(t, png);
    GdkPaintable *p = gtk_widget_paintable_new(w);
    *width = gtk_widget_get_width(w);
    *height = gtk_widget_get_height(w);
    GtkSnapshot *s = gtk_snapshot_new();
    gdk_paintable_snapshot(p, s, *width, *height);
    GskRenderNode *node = gtk_snapshot_free_to_node(s);
    guint32 *px = NULL;
    CHECK(node != NULL, "the widget drew nothing");
    if (node) {
        GskRenderer *r = gtk_native_get_renderer(gtk_widget_get_native(w));
        GdkTexture *tex = gsk_renderer_render_texture(r, node, &GRAPHENE_RECT_INIT(0, 0, *width, *height));
        px = g_malloc((gsize)*width * *height * 4);
        gdk_texture_download(tex, (guchar *)px, (gsize)*width * 4); /* B, G, R, A bytes */
        g_object_unref(tex);
        gsk_render_node_unref(node);
    }
    g_object_unref(p);
    return px;
}

static guint32 widget_pixel(test_ctx *t, GtkWidget *w, double x, double y, const char *png)
{
    int width, height, ix = (int)x, iy = (int)y;
    guint32 *px = widget_pixels(t, w, &width, &height, png);
    guint32 c = px && ix >= 0 && iy >= 0 && ix < width && iy < height ? px[iy * width + ix] & 0xffffff : 0;
    g_free(px);
    return c;
}

static guint32 flame_rgb(const char *name)
{
    double rgb[3];
    render_flame_color(name, rgb);
    return (guint32)lround(rgb[0] * 255) << 16 | (guint32)lround(rgb[1] * 255) << 8 | (guint32)lround(rgb[2] * 255);
}

static gboolean close_rgb(guint32 a, guint32 b)
{
    for (int sh = 0; sh < 24; sh += 8)
        if (abs((int)(a >> sh & 0xff) - (int)(b >> sh & 0xff)) > 4)
            return FALSE;
    return TRUE;
}

/* The sum of metric m over the call tree panel's top rows (depth 1). */
static guint64 calltree_top_sum(test_ctx *t, ls_metric m, guint *nrows)
{
    guint64 sum = 0;
    *nrows = 0;
    for (guint i = 0; i < leakscope_calltree_view_get_n_rows(t->win->calltree); i++) {
        const char *name;
        guint depth;
        guint64 v[LS_METRIC_COUNT];
        if (leakscope_calltree_view_get_row(t->win->calltree, i, &name, &depth, v) && depth == 1) {
            sum += v[m];
            (*nrows)++;
        }
    }
    return sum;
}

/* The pixel at (x, y) of p's chart as render_hist draws it offscreen. */
static guint32 hist_pixel(const render_hist_params *p, double x, double y)
{
    cairo_surface_t *s = hist_surface(p);
    guint32 c = hist_surface_pixel(s, x, y);
    cairo_surface_destroy(s);
    return c;
}

#define WAIT_FOR(cond)                                                                                                 \
    do {                                                                                                               \
        if (!(cond) && t->waited++ < 600)                                                                              \
            return TRUE;                                                                                               \
        t->waited = 0;                                                                                                 \
    } while (0)

static gboolean panel_steps(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    const ls_analysis *a = timeline_analysis(win->tl);
    GtkWidget *fw = GTK_WIDGET(win->flame);
    switch (t->pstep) {
    case 0: /* the whole trace's trees arrive without a selection */
        WAIT_FOR(flame_tree(t) && !win->trees_pending);
        CHECK(flame_tree(t) != NULL, "the flame graph got no call tree");
        if (!flame_tree(t))
            return FALSE;
        t->whole = leakscope_trees_ref(leakscope_flame_get_trees(win->flame));
        range(t, &t->full0, &t->full1);
        CHECK(t->whole->whole, "the first trees are not the whole trace's");
        /* room for the panels (their pictures go in the README) */
        gtk_paned_set_position(win->paned, gtk_widget_get_height(GTK_WIDGET(win->paned)) * 2 / 5);
        CHECK(flame_tree(t)->nodes[LS_CALLTREE_ROOT].incl[LS_METRIC_ALLOCATED] == a->allocated_bytes,
              "the flame graph's total is not the trace's allocated bytes");
        printf("panels: whole-trace trees in %.3f ms, %u nodes\n", t->whole->seconds * 1e3, flame_tree(t)->nnodes);
        gtk_stack_set_visible_child_name(win->panel_stack, "flame");
        break;
    case 1: { /* hover a frame: its value and share */
        guint32 n;
        double x, y;
        WAIT_FOR(gtk_widget_get_width(fw) > 100 && flame_frame(t, "handle_request", &n, &x, &y));
        CHECK(flame_frame(t, "handle_request", &n, &x, &y), "no handle_request frame drawn");
        leakscope_flame_hover(win->flame, x, y);
        const char *h = gtk_label_get_text(win->flame_info);
        CHECK(g_str_has_prefix(h, "handle_request: ") && strstr(h, "% of all"), "hover says '%s'", h);
        printf("panels: hover: %s\n", h);
        /* the screen shows the frame in its colour where the layout put it */
        const render_flame_rect *r = NULL;
        render_flame_params p;
        const render_flame_frames *f;
        leakscope_flame_get_drawn(win->flame, &p, &f);
        for (uint32_t i = 0; i < f->n; i++)
            if (f->rect[i].node == n)
                r = &f->rect[i];
        guint32 c = widget_pixel(t, fw, r->x + 2, y, "window-flame.png");
        CHECK(close_rgb(c, flame_rgb("handle_request")), "the screen has #%06x at handle_request's frame, not #%06x",
              c, flame_rgb("handle_request"));
        /* a click zooms into it and selects its function everywhere */
        leakscope_flame_click(win->flame, x, y);
        t->zoomed = n;
        CHECK(leakscope_flame_get_zoom(win->flame) == n, "the click did not zoom into the frame");
        CHECK(!g_strcmp0(win->selected_function, "handle_request"), "the click selected '%s'",
              win->selected_function ? win->selected_function : "(nothing)");
        CHECK(flame_frame(t, "handle_request", &n, &x, &y) && fabs(x - gtk_widget_get_width(fw) / 2.0) < 1,
              "the zoomed frame does not span the plot");
        break;
    }
    case 2: { /* the search: matching frames and their share, counted once */
        /* typed once: the entry says so after its delay (setting the text
         * again would delete and insert it, and start the delay again) */
        if (!t->waited) {
            gtk_editable_set_text(GTK_EDITABLE(win->flame_search), "xmalloc");
            leakscope_flame_hover(win->flame, -1, -1);
        }
        const char *h;
        WAIT_FOR(strstr(gtk_label_get_text(win->flame_info), "matches"));
        h = gtk_label_get_text(win->flame_info);
        const ls_calltree *tr = flame_tree(t);
        guint32 matched;
        guint64 want = ls_calltree_match_total(tr, t->zoomed, LS_METRIC_ALLOCATED, "xmalloc", &matched);
        CHECK(want == tr->nodes[t->zoomed].incl[LS_METRIC_ALLOCATED] && matched >= 2,
              "xmalloc under handle_request: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT, want,
              tr->nodes[t->zoomed].incl[LS_METRIC_ALLOCATED]);
        g_autofree char *frames = g_strdup_printf("matches %u frames", matched);
        CHECK(strstr(h, frames) && strstr(h, "100.0 % of the zoomed frame"), "search says '%s'", h);
        printf("panels: search: %s\n", h);
        guint32 n;
        double x, y;
        CHECK(flame_frame(t, "xmalloc", &n, &x, &y), "no xmalloc frame");
        render_flame_params p;
        const render_flame_frames *f;
        leakscope_flame_get_drawn(win->flame, &p, &f);
        const render_flame_rect *r = NULL;
        for (uint32_t i = 0; i < f->n; i++)
            if (f->rect[i].node == n)
                r = &f->rect[i];
        guint32 c = widget_pixel(t, fw, r->x + 2, y, "window-flame-search.png");
        CHECK(close_rgb(c, 0xe600e6), "a matching frame is #%06x on screen, not the search colour", c);
        gtk_editable_set_text(GTK_EDITABLE(win->flame_search), "");
        /* the metric: the widths count leaked bytes */
        gtk_drop_down_set_selected(win->flame_metric, LS_METRIC_LEAKED);
        CHECK(leakscope_flame_get_metric(win->flame) == LS_METRIC_LEAKED, "the metric selector did nothing");
        leakscope_flame_zoom(win->flame, LS_CALLTREE_ROOT);
        leakscope_flame_get_drawn(win->flame, &p, &f);
        CHECK(f->total == a->leaked_bytes, "the leaked flame graph's total %" G_GUINT64_FORMAT " is not %" G_GUINT64_FORMAT,
              f->total, a->leaked_bytes);
        /* icicle: the root's row on top */
        gtk_toggle_button_set_active(win->flame_icicle, TRUE);
        leakscope_flame_get_drawn(win->flame, &p, &f);
        CHECK(p.icicle && render_flame_row_y(&p, f, 0) == RENDER_FLAME_TOP, "the icicle toggle did nothing");
        save_screenshot(t, "window-flame-icicle.png");
        gtk_toggle_button_set_active(win->flame_icicle, FALSE);
        gtk_drop_down_set_selected(win->flame_metric, LS_METRIC_ALLOCATED);
        gtk_stack_set_visible_child_name(win->panel_stack, "calltree");
        break;
    }
    case 3: { /* the call tree: the selected function highlighted, its callers and callees */
        LeakscopeCalltreeView *ct = win->calltree;
        guint top;
        guint64 sum = calltree_top_sum(t, LS_METRIC_ALLOCATED, &top);
        CHECK(top > 0 && sum == a->allocated_bytes - flame_tree(t)->nodes[0].self[LS_METRIC_ALLOCATED],
              "the top rows sum to %" G_GUINT64_FORMAT, sum);
        /* expand down to handle_request's callees: clone3 > start_thread > worker > handle_request */
        for (int d = 0; d < 4; d++)
            for (guint i = leakscope_calltree_view_get_n_rows(ct); i-- > 0;) {
                const char *name;
                guint depth;
                guint64 v[LS_METRIC_COUNT];
                if (leakscope_calltree_view_get_row(ct, i, &name, &depth, v) && depth == (guint)d + 1)
                    leakscope_calltree_view_expand_row(ct, i);
            }
        CHECK(leakscope_calltree_view_get_n_highlighted(ct) == 1, "%u rows highlighted for handle_request",
              leakscope_calltree_view_get_n_highlighted(ct));
        g_autofree char *callers = leakscope_calltree_view_get_links_text(ct, TRUE);
        g_autofree char *callees = leakscope_calltree_view_get_links_text(ct, FALSE);
        CHECK(g_str_has_prefix(callers, "worker\t"), "callers of handle_request: '%s'", callers);
        CHECK(strstr(callees, "cache_insert_recent\t") && strstr(callees, "xmalloc\t"), "callees: '%s'", callees);
        printf("panels: callers of handle_request:\n%scallees:\n%s", callers, callees);
        /* sortable: by allocations, ascending, siblings in that order */
        leakscope_calltree_view_sort_by(ct, LS_METRIC_ALLOCATIONS, TRUE);
        guint64 prev[64] = { 0 };
        gboolean sorted = TRUE;
        for (guint i = 0; i < leakscope_calltree_view_get_n_rows(ct); i++) {
            const char *name;
            guint depth;
            guint64 v[LS_METRIC_COUNT];
            leakscope_calltree_view_get_row(ct, i, &name, &depth, v);
            if (depth < 64) {
                sorted &= v[LS_METRIC_ALLOCATIONS] >= prev[depth];
                prev[depth] = v[LS_METRIC_ALLOCATIONS];
                for (guint d = depth + 1; d < 64; d++)
                    prev[d] = 0; /* a new parent: its children start again */
            }
        }
        CHECK(sorted, "sorted by allocations, the rows are out of order");
        /* handle_request's three callees, fewest allocations first */
        static const char *const ascending[] = { "cache_insert_static", "cache_insert_recent", "xmalloc" };
        guint k = 0;
        for (guint i = 0; i < leakscope_calltree_view_get_n_rows(ct); i++) {
            const char *name;
            guint depth;
            guint64 v[LS_METRIC_COUNT];
            if (leakscope_calltree_view_get_row(ct, i, &name, &depth, v) && depth == 5 && k < 3)
                CHECK(!strcmp(name, ascending[k++]), "callee %u by allocations is %s", k, name);
        }
        CHECK(k == 3, "%u of handle_request's callees shown", k);
        save_screenshot(t, "window-calltree.png");
        save_widget(t, gtk_widget_get_parent(GTK_WIDGET(win->panel_stack)), "panel-calltree.png");
        /* bottom-up: the allocating functions first */
        leakscope_calltree_view_set_direction(ct, LS_CALLTREE_BOTTOM_UP);
        const char *name;
        guint depth;
        guint64 v[LS_METRIC_COUNT];
        gboolean have_xmalloc = FALSE;
        for (guint i = 0; i < leakscope_calltree_view_get_n_rows(ct); i++)
            if (leakscope_calltree_view_get_row(ct, i, &name, &depth, v) && depth == 1)
                have_xmalloc |= !strcmp(name, "xmalloc") && v[LS_METRIC_ALLOCATED] == a->allocated_bytes;
        CHECK(have_xmalloc, "bottom-up, xmalloc is not a top row with every byte");
        /* the filter: only rows on a path to a match, opened */
        leakscope_calltree_view_set_filter(ct, "cache_entry");
        guint n = leakscope_calltree_view_get_n_rows(ct), matches = 0;
        for (guint i = 0; i < n; i++) {
            leakscope_calltree_view_get_row(ct, i, &name, &depth, v);
            matches += strstr(name, "cache_entry") != NULL;
        }
        CHECK(n >= 2 && matches == 1, "filtered bottom-up: %u rows, %u matching", n, matches);
        leakscope_calltree_view_set_filter(ct, NULL);
        leakscope_calltree_view_set_direction(ct, LS_CALLTREE_TOP_DOWN);
        /* selecting a row selects its function in the flame graph too */
        leakscope_calltree_view_select_row(ct, 0);
        leakscope_calltree_view_get_row(ct, 0, &name, &depth, v);
        CHECK(!g_strcmp0(win->selected_function, name), "selecting row '%s' selected '%s'", name,
              win->selected_function ? win->selected_function : "(nothing)");
        render_flame_params p;
        const render_flame_frames *f;
        leakscope_flame_get_drawn(win->flame, &p, &f);
        CHECK(p.selected_name && !strcmp(p.tree->names[p.selected_name], name), "the flame graph does not outline '%s'",
              name);
        /* a selection on the timeline: both panels follow it */
        guint64 span = t->full1 - t->full0;
        t->sel0 = t->full0 + span / 2;
        t->sel1 = t->full1;
        leakscope_timeline_set_selection(win->timeline, t->sel0, t->sel1);
        break;
    }
    case 4: {
        LeakscopeTrees *tr = leakscope_flame_get_trees(win->flame);
        WAIT_FOR(tr && !tr->whole && !win->trees_pending);
        tr = leakscope_flame_get_trees(win->flame);
        CHECK(tr && !tr->whole && tr->t0 == t->sel0 && tr->t1 == t->sel1, "the flame graph did not follow the selection");
        if (!tr || tr->whole)
            return FALSE;
        ls_range *r;
        trace_error err;
        CHECK(ls_range_summarize(a->index, t->sel0, t->sel1, NULL, &r, &err) == TRACE_OK, "range summary");
        CHECK(tr->tree[0]->nodes[0].incl[LS_METRIC_ALLOCATED] == r->allocated_bytes &&
                  tr->tree[0]->nodes[0].incl[LS_METRIC_LEAKED] == r->live_bytes,
              "the selection's tree: %" G_GUINT64_FORMAT " allocated, not %" G_GUINT64_FORMAT,
              tr->tree[0]->nodes[0].incl[LS_METRIC_ALLOCATED], r->allocated_bytes);
        CHECK(r->allocated_bytes < a->allocated_bytes && r->allocated_bytes > 0, "a half of the trace allocated %" G_GUINT64_FORMAT,
              r->allocated_bytes);
        guint top;
        CHECK(calltree_top_sum(t, LS_METRIC_ALLOCATED, &top) == r->allocated_bytes, "the call tree did not follow");
        printf("panels: selection trees in %.3f ms: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes\n",
               tr->seconds * 1e3, r->allocated_bytes, a->allocated_bytes);
        ls_range_free(r);
        CHECK(strstr(gtk_label_get_text(win->flame_info), "The selection"), "the flame line says '%s'",
              gtk_label_get_text(win->flame_info));
        /* the selected function stays selected in the new trees */
        render_flame_params p;
        const render_flame_frames *f;
        CHECK(leakscope_flame_get_drawn(win->flame, &p, &f) && p.selected_name, "the selection lost the function");
        gtk_stack_set_visible_child_name(win->panel_stack, "flame");
        /* a selection in the first half, below the whole trace's peak (the
         * demo's heap grows to its end) */
        guint64 span = t->full1 - t->full0;
        t->sel0 = t->full0 + span / 4;
        t->sel1 = t->full0 + span / 2;
        leakscope_timeline_set_selection(win->timeline, t->sel0, t->sel1);
        break;
    }
    case 5: {
        LeakscopeTrees *tr = leakscope_flame_get_trees(win->flame);
        WAIT_FOR(tr && !tr->whole && tr->t0 == t->sel0 && !win->trees_pending);
        tr = leakscope_flame_get_trees(win->flame);
        CHECK(tr && !tr->whole && tr->t0 == t->sel0 && tr->t1 == t->sel1, "the flame graph did not follow the selection");
        if (!tr || tr->whole)
            return FALSE;
        guint top;
        /* the range's own peak (and temporary allocations: the demo has
         * none), in the Call Tree's rows too; check-viewer.py holds them
         * against report --from --to */
        const ls_calltree_node *root = &tr->tree[0]->nodes[0];
        guint64 temporary = root->incl[LS_METRIC_TEMPORARY], peak = root->incl[LS_METRIC_PEAK];
        CHECK(peak > 0 && peak < a->peak_heap_bytes,
              "the selection's temporary %" G_GUINT64_FORMAT " and peak %" G_GUINT64_FORMAT " (the whole trace's %" G_GUINT64_FORMAT ")",
              temporary, peak, a->peak_heap_bytes);
        CHECK(calltree_top_sum(t, LS_METRIC_TEMPORARY, &top) == temporary - root->self[LS_METRIC_TEMPORARY] &&
                  calltree_top_sum(t, LS_METRIC_PEAK, &top) == peak - root->self[LS_METRIC_PEAK],
              "the call tree's temporary and peak columns are not the selection's");
        g_autofree char *range_path = out_path(t, "panels-range.txt");
        g_autofree char *range_text = g_strdup_printf("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                                                      " %" G_GUINT64_FORMAT "\n", t->sel0 - a->info.start_ts,
                                                      t->sel1 - a->info.start_ts, temporary, peak);
        CHECK(g_file_set_contents(range_path, range_text, -1, NULL), "cannot write %s", range_path);
        printf("panels: the selection's temporary %" G_GUINT64_FORMAT ", peak %" G_GUINT64_FORMAT "\n", temporary, peak);
        /* Sizes and Lifetimes follows the selection: what it made */
        render_hist_params hp;
        leakscope_hist_view_get_params(win->hist_sizes, &hp);
        const ls_hist *sizes = tr->range ? ls_histograms_get(hp.hist, LS_HIST_SIZES, LS_HIST_ALL) : NULL;
        guint64 made = 0;
        unsigned lo, hi;
        for (unsigned k = 0; sizes && ls_hist_range(sizes, &lo, &hi) && k <= hi; k++)
            made += ls_hist_get(sizes, k).count;
        CHECK(tr->range && hp.hist == tr->range->hist && hp.hist != a->hist && made == tr->range->allocations &&
                  made < a->allocations && g_str_has_prefix(gtk_label_get_text(win->hist_info), "Selection "),
              "Sizes and Lifetimes shows %" G_GUINT64_FORMAT " allocations, not the selection's %" G_GUINT64_FORMAT " ('%s')",
              made, tr->range ? tr->range->allocations : 0, gtk_label_get_text(win->hist_info));
        leakscope_timeline_set_selection(win->timeline, 0, 0);
        break;
    }
    case 6: {
        /* no selection: the whole trace's trees again, not made again */
        WAIT_FOR(leakscope_flame_get_trees(win->flame) == t->whole && !win->trees_pending);
        CHECK(leakscope_flame_get_trees(win->flame) == t->whole, "clearing the selection did not bring back the whole trace");
        render_hist_params hp;
        leakscope_hist_view_get_params(win->hist_sizes, &hp);
        CHECK(hp.hist == a->hist && g_str_has_prefix(gtk_label_get_text(win->hist_info), "Whole trace: "),
              "Sizes and Lifetimes did not go back to the whole trace ('%s')", gtk_label_get_text(win->hist_info));
        gint64 us = leakscope_flame_get_draw_us(win->flame);
        printf("panels: flame graph drawn in %" G_GINT64_FORMAT " us\n", us);
        save_screenshot(t, "window-flame-whole.png");
        save_widget(t, gtk_widget_get_parent(GTK_WIDGET(win->panel_stack)), "panel-flame.png");
        gtk_stack_set_visible_child_name(win->panel_stack, "leaks");
        break;
    }
    case 7: { /* a leak row selects its call site's function everywhere */
        CHECK(leakscope_stack_list_get_n_sites(win->leaks_list) > 0, "no leaks listed");
        leakscope_stack_list_select(win->leaks_list, 0);
        const char *fn = win->selected_function;
        CHECK(fn && (!strcmp(fn, "cache_entry_new") || !strcmp(fn, "handle_request")),
              "the leak row selected '%s'", fn ? fn : "(nothing)");
        if (!fn)
            return FALSE;
        CHECK(leakscope_stack_list_get_n_highlighted(win->leaks_list) >= 1, "the leak row is not highlighted");
        render_flame_params p;
        const render_flame_frames *f;
        CHECK(leakscope_flame_get_drawn(win->flame, &p, &f) && p.selected_name &&
                  !strcmp(p.tree->names[p.selected_name], fn),
              "the flame graph does not outline the leak's function");
        /* the outline on screen: blue at the frame's inner edge */
        guint32 node;
        double x, y;
        gtk_stack_set_visible_child_name(win->panel_stack, "flame");
        CHECK(flame_frame(t, fn, &node, &x, &y), "no frame for %s", fn);
        for (uint32_t i = 0; i < f->n; i++)
            if (f->rect[i].node == node) {
                guint32 c = widget_pixel(t, fw, f->rect[i].x + 1.5, y, "window-flame-selected.png");
                CHECK((c & 0xff) > 0xa0 && (c >> 16 & 0xff) < 0x60, "the selected frame's edge is #%06x, not blue", c);
            }
        printf("panels: leak row selected %s\n", fn);
        /* a tall timeline: room for the heap by call site */
        gtk_paned_set_position(win->paned, gtk_widget_get_height(GTK_WIDGET(win->paned)) - 60);
        break;
    }
    case 8: { /* the heap by call site: a band per large site, named under the pointer */
        WAIT_FOR(win->sites && gtk_widget_get_height(GTK_WIDGET(win->timeline)) >
                                   gtk_widget_get_height(GTK_WIDGET(win->paned)) * 3 / 4);
        CHECK(win->sites != NULL, "no heap-by-call-site series");
        if (!win->sites)
            return FALSE;
        render_row row;
        CHECK(timeline_row(t, RENDER_TRACK_SITES, &row) && !row.folded, "no Heap by call site track");
        GtkWidget *tw = GTK_WIDGET(win->timeline);
        LeakscopeTimelineHit hit;
        gboolean found = FALSE;
        double hx = 0, hy = row.py1 - 3;
        for (int x = gtk_widget_get_width(tw) - 40; x > 100 && !found; x--) {
            found = leakscope_timeline_hit_test(win->timeline, x, hy, &hit) && hit.kind == RENDER_HIT_SITE &&
                    hit.index == 0 && hit.bytes > 0;
            hx = x;
        }
        CHECK(found, "no band of the largest site at the track's foot");
        if (!found)
            return FALSE;
        t->site_hit = hit;
        leakscope_timeline_set_hover(win->timeline, hx, hy);
        break;
    }
    case 9: {
        GtkWidget *tw = GTK_WIDGET(win->timeline);
        LeakscopeTimelineHit hit = t->site_hit;
        WAIT_FOR(leakscope_timeline_get_hover_text(win->timeline));
        const char *h = leakscope_timeline_get_hover_text(win->timeline);
        CHECK(h && strstr(h, "live at ") && strstr(h, win->site_names[0]), "hovering the band says '%s', not %s",
              h ? h : "(nothing)", win->site_names[0]);
        printf("panels: site band hover: %s\n", h ? h : "");
        /* a click selects its site's function everywhere, drawn over the heap */
        g_signal_emit_by_name(win->timeline, "hit", &hit);
        CHECK(!g_strcmp0(win->selected_function, win->site_functions[0]), "the band selected '%s'",
              win->selected_function ? win->selected_function : "(nothing)");
        render_view_params p;
        leakscope_timeline_get_view_params(win->timeline, &p, gtk_widget_get_width(tw), gtk_widget_get_height(tw));
        CHECK(p.site_selected & 1, "the selected site's live bytes are not drawn over the heap");
        leakscope_timeline_set_hover(win->timeline, -1, -1);
        save_screenshot(t, "window-sites.png");
        save_widget(t, tw, "timeline-sites.png");
        /* back to room for the panels */
        gtk_paned_set_position(win->paned, gtk_widget_get_height(GTK_WIDGET(win->paned)) * 2 / 5);
        gtk_stack_set_visible_child_name(win->panel_stack, "histograms");
        break;
    }
    case 10: { /* Sizes and Lifetimes: the leak row's call site, then the whole trace */
        GtkWidget *hw = GTK_WIDGET(win->hist_sizes);
        WAIT_FOR(gtk_widget_get_width(hw) > 100 && gtk_widget_get_height(hw) > 100);
        render_hist_params p;
        leakscope_hist_view_get_params(win->hist_sizes, &p);
        CHECK(p.stack != LS_HIST_ALL && p.stack == a->leaks[0].stack, "the histograms are not the leak row's site's");
        g_signal_emit_by_name(win->hist_all, "clicked"); /* as a click does */
        leakscope_hist_view_get_params(win->hist_sizes, &p);
        CHECK(p.stack == LS_HIST_ALL && p.kind == LS_HIST_SIZES, "Whole Trace did not show every allocation");
        render_hist_bar b[RENDER_HIST_MAX_BARS];
        unsigned n = render_hist_layout(&p, b), big = 0;
        CHECK(n > 0, "no size buckets");
        for (unsigned i = 0; i < n; i++)
            big = b[i].count > b[big].count ? i : big;
        /* the widget's pixels are render_hist's */
        double x = (b[big].x0 + b[big].x1) / 2, y = (b[big].y0 + b[big].y1) / 2;
        guint32 c = widget_pixel(t, hw, x, y, "window-histograms.png"), want = hist_pixel(&p, x, y);
        CHECK(close_rgb(c, want) && c != widget_pixel(t, hw, x, RENDER_HIST_TOP + 1, "window-histograms.png"),
              "the largest size bucket is #%06x on screen, #%06x drawn", c, want);
        /* hover: the bucket's numbers in the panel's line */
        leakscope_hist_view_hover(win->hist_sizes, x, y);
        const char *h = gtk_label_get_text(win->hist_info);
        g_autofree char *count = g_strdup_printf(": %" G_GUINT64_FORMAT " allocations", b[big].count);
        CHECK(strstr(h, count) != NULL, "hovering the largest bucket says '%s'", h);
        printf("panels: sizes hover: %s\n", h);
        leakscope_hist_view_get_params(win->hist_lifetimes, &p);
        n = render_hist_layout(&p, b);
        CHECK(n > 0 && b[n - 1].bucket == -1 && b[n - 1].count == a->leaked_blocks,
              "the lifetimes do not end with the blocks still live");
        leakscope_hist_view_hover(win->hist_sizes, -1, -1);
        save_widget(t, gtk_widget_get_parent(GTK_WIDGET(win->panel_stack)), "panel-histograms.png");
        /* Compare with…: a file that is not there says so */
        GFile *f = g_file_new_for_path("/nonexistent-dir/base.trace");
        _leakscope_window_compare_chosen(win, f);
        g_object_unref(f);
        break;
    }
    case 11: {
        WAIT_FOR(gtk_revealer_get_reveal_child(win->banner));
        const char *msg = gtk_label_get_text(win->banner_label);
        CHECK(gtk_revealer_get_reveal_child(win->banner) && strstr(msg, "Cannot compare") && strstr(msg, "base.trace"),
              "comparing with a missing file says '%s'", msg);
        gtk_widget_activate_action(GTK_WIDGET(win), "win.dismiss-banner", NULL);
        /* the base run check-viewer.py recorded beside the trace */
        g_autofree char *dirname = g_path_get_dirname(t->trace);
        g_autofree char *path = g_build_filename(dirname, "base.trace", NULL);
        GFile *f = g_file_new_for_path(path);
        _leakscope_window_compare_chosen(win, f);
        g_object_unref(f);
        break;
    }
    case 12: {
        WAIT_FOR(win->diff && !strcmp(gtk_stack_get_visible_child_name(win->panel_stack), "compare"));
        CHECK(win->diff != NULL, "no comparison");
        if (!win->diff)
            return FALSE;
        const ls_analysis *base = win->base->a;
        /* every byte accounted for: the rows' changes add up to the totals' */
        gint64 sum = 0;
        for (guint i = 0; i < win->diff->nrows; i++)
            sum += win->diff->rows[i].d[LS_DIFF_ALLOCATED];
        CHECK(sum == (gint64)(a->allocated_bytes - base->allocated_bytes),
              "the rows add up to %" G_GINT64_FORMAT ", not the %" G_GINT64_FORMAT " between the totals", sum,
              (gint64)(a->allocated_bytes - base->allocated_bytes));
        CHECK(a->allocated_bytes > base->allocated_bytes, "the 1.5 s run allocated no more than the 0.8 s one");
        g_autofree char *text = _leakscope_window_compare_text(win);
        CHECK(g_str_has_prefix(text, "+") && strstr(text, " allocated, "), "the diff table says '%.200s'", text);
        printf("panels: compare: %s\n", gtk_label_get_text(win->compare_title));
        /* the differential flame graph: handle_request grew, in red, as render colours it */
        GtkWidget *cw = GTK_WIDGET(win->compare_flame);
        WAIT_FOR(gtk_widget_get_width(cw) > 100);
        render_flame_params p;
        const render_flame_frames *f;
        CHECK(leakscope_flame_get_drawn(win->compare_flame, &p, &f) && p.base == win->base->tree,
              "the compare flame graph has no base");
        const render_flame_rect *r = NULL;
        for (uint32_t i = 0; i < f->n; i++)
            if (f->rect[i].node != LS_CALLTREE_ROOT && !strcmp(ls_calltree_name(p.tree, f->rect[i].node), "handle_request"))
                r = &f->rect[i];
        CHECK(r != NULL, "no handle_request frame in the comparison");
        if (r) {
            double y = render_flame_row_y(&p, f, r->depth) + RENDER_FLAME_FRAME_H / 2.0;
            guint32 c = widget_pixel(t, cw, r->x + 2, y, "window-compare.png");
            uint32_t *base_of = g_new(uint32_t, p.tree->nnodes);
            /* the path from the root down to the frame, resolved in that order */
            GArray *path = g_array_new(FALSE, FALSE, sizeof(uint32_t));
            for (uint32_t n = r->node; n != UINT32_MAX; n = p.tree->nodes[n].parent)
                g_array_prepend_val(path, n);
            uint32_t b = UINT32_MAX;
            for (guint i = 0; i < path->len; i++)
                b = render_flame_base_node(p.tree, p.base, g_array_index(path, uint32_t, i), base_of);
            g_array_unref(path);
            double rgb[3];
            render_flame_diff_color(b == UINT32_MAX ? 0 : p.base->nodes[b].incl[LS_METRIC_ALLOCATED],
                                    p.tree->nodes[r->node].incl[LS_METRIC_ALLOCATED], rgb);
            guint32 want = (guint32)lround(rgb[0] * 255) << 16 | (guint32)lround(rgb[1] * 255) << 8 |
                           (guint32)lround(rgb[2] * 255);
            CHECK(close_rgb(c, want) && (c >> 16 & 0xff) == 0xff && (c & 0xff) < 0xd0,
                  "handle_request is #%06x on screen, not the red #%06x of growth", c, want);
            g_free(base_of);
        }
        /* the sizes of both runs: the whole runs' first */
        render_hist_params hp;
        leakscope_hist_view_get_params(win->compare_sizes, &hp);
        CHECK(hp.base == ls_diff_sizes(win->diff, NULL, 0) && hp.h == ls_diff_sizes(win->diff, NULL, 1) &&
                  ls_hist_total(hp.h).count == a->allocations && ls_hist_total(hp.base).count == base->allocations,
              "the compare sizes are not the whole runs'");
        /* the first row of the table: its call site's sizes */
        gtk_list_box_select_row(win->compare_list, gtk_list_box_get_row_at_index(win->compare_list, 0));
        break;
    }
    case 13: {
        const ls_site_diff *d = win->diff;
        const ls_diff_row *w = NULL;
        for (guint i = 0; i < d->nrows && !w; i++)
            w = ls_diff_row_changed(&d->rows[i]) ? &d->rows[i] : NULL;
        CHECK(w != NULL, "no changed row");
        if (!w)
            return FALSE;
        GtkWidget *sw = GTK_WIDGET(win->compare_sizes);
        WAIT_FOR(gtk_widget_get_width(sw) > 200 && gtk_widget_get_height(sw) > 100);
        render_hist_params hp;
        leakscope_hist_view_get_params(win->compare_sizes, &hp);
        CHECK(hp.base == ls_diff_sizes(d, w, 0) && hp.h == ls_diff_sizes(d, w, 1),
              "selecting the first row did not show its call site's sizes");
        uint32_t stack;
        const ls_diff_run *r = ls_diff_row_run(d, w, &stack);
        const ls_diff_site *site = &r->sites[w->new_ >= 0 ? w->new_ : w->base];
        CHECK(ls_hist_total(hp.h).count == (w->new_ >= 0 ? site->v[LS_DIFF_ALLOCATIONS] : 0) &&
                  ls_hist_total(hp.h).count < a->allocations,
              "the row's sizes hold %" G_GUINT64_FORMAT " allocations, not its site's", ls_hist_total(hp.h).count);
        char fn[512];
        CHECK(!g_strcmp0(win->selected_function, ls_site_function(r->syms, r->a, stack, fn, sizeof fn)),
              "the compare row did not select its function everywhere ('%s')",
              win->selected_function ? win->selected_function : "(nothing)");
        /* the chart's bars are the diff's buckets, two per bucket, the base's first */
        ls_diff_bucket db[LS_HIST_SIZE_BUCKETS];
        unsigned nb = ls_diff_buckets(hp.base, hp.h, db);
        render_hist_bar b[RENDER_HIST_MAX_BARS];
        unsigned n = render_hist_layout(&hp, b), matched = 0, big = 1;
        CHECK(nb > 0 && n % 2 == 0 && n >= 2 * nb, "%u bars for %u buckets", n, nb);
        for (unsigned i = 0; i + 1 < n; i += 2)
            for (unsigned j = 0; j < nb; j++)
                if (b[i].bucket == (int)db[j].k && b[i].base && !b[i + 1].base && b[i].count == db[j].base.count &&
                    b[i + 1].count == db[j].new_.count && b[i + 1].bytes == db[j].new_.bytes)
                    matched++;
        CHECK(matched == nb, "%u of the site's %u size buckets drawn", matched, nb);
        for (unsigned i = 1; i < n; i += 2)
            big = b[i].count > b[big].count ? i : big;
        /* on screen as render draws it, this run's colour apart from the base's */
        double x = (b[big].x0 + b[big].x1) / 2, y = b[big].y1 - 2;
        guint32 c = widget_pixel(t, sw, x, y, "window-compare-sizes.png"), want = hist_pixel(&hp, x, y);
        CHECK(close_rgb(c, want) && c != widget_pixel(t, sw, x, RENDER_HIST_TOP + 1, "window-compare-sizes.png"),
              "the site's largest bucket is #%06x on screen, #%06x drawn", c, want);
        leakscope_hist_view_hover(win->compare_sizes, x, (b[big].y0 + b[big].y1) / 2);
        const char *h = gtk_label_get_text(win->compare_hist_info);
        g_autofree char *count = g_strdup_printf(": %" G_GUINT64_FORMAT " allocations", b[big].count);
        CHECK(strstr(h, count) && strstr(h, "(base "), "hovering the site's largest bucket says '%s'", h);
        printf("panels: compare sizes hover: %s\n", h);
        leakscope_hist_view_hover(win->compare_sizes, -1, -1);
        save_widget(t, gtk_widget_get_parent(GTK_WIDGET(win->panel_stack)), "panel-compare.png");
        /* Whole Runs: back to every allocation */
        g_signal_emit_by_name(win->compare_hist_all, "clicked");
        leakscope_hist_view_get_params(win->compare_sizes, &hp);
        CHECK(hp.h == ls_diff_sizes(d, NULL, 1) && !gtk_list_box_get_selected_row(win->compare_list),
              "Whole Runs did not show both runs' sizes");
        return FALSE;
    }
    default:
        return FALSE;
    }
    t->pstep++;
    t->waited = 0;
    return TRUE;
}

/* Closing the last window ends the application: dispose runs for real. */
static void quit(test_ctx *t)
{
    gtk_window_destroy(GTK_WINDOW(t->win));
}

/* ---- which leaks are real: the panels against the report's JSON ---- */

/* The rows of OUTDIR/NAME split at tabs, or NULL with a failure counted. */
static GPtrArray *read_expect(test_ctx *t, const char *name)
{
    char *path = out_path(t, name), *text = NULL;
    GError *error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        CHECK(0, "cannot read %s: %s", path, error->message);
        g_error_free(error);
        g_free(path);
        return NULL;
    }
    g_free(path);
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            g_ptr_array_add(rows, g_strsplit(*l, "\t", -1));
    g_strfreev(lines);
    g_free(text);
    return rows;
}

/* Whether row's cell says `want` (NULL cells fail). */
static gboolean cell_is(LeakscopeTable *tb, guint row, guint col, const char *want)
{
    const char *c = leakscope_table_get_cell(tb, row, col);
    return c && !strcmp(c, want);
}

static gboolean bytes_cell_is(LeakscopeTable *tb, guint row, guint col, const char *bytes)
{
    char *want = leakscope_format_bytes(g_ascii_strtoull(bytes, NULL, 10));
    gboolean ok = cell_is(tb, row, col, want);
    g_free(want);
    return ok;
}

/* The Leaks panel's classes and the Globals view are the report's. */
static void check_classes(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    GPtrArray *rows = read_expect(t, "classes.expect");
    if (!rows)
        return;
    LeakscopeTable *ct = win->classes_table, *gt = win->globals_table;
    CHECK(win->classes != NULL, "no classes for a trace with a heap snapshot");
    CHECK(gtk_widget_get_visible(gtk_widget_get_parent(GTK_WIDGET(ct))), "the class table is hidden");
    CHECK(!gtk_widget_get_visible(GTK_WIDGET(win->leaks_list)), "the unclassified list shows beside the classes");
    guint group = 0, global = 0;
    for (guint i = 0; i < rows->len; i++) {
        char **f = g_ptr_array_index(rows, i);
        guint n = g_strv_length(f);
        if (!strcmp(f[0], "group") && n == 6) {
            CHECK(cell_is(ct, group, LEAKSCOPE_CLASS_COL_CLASS, f[1]), "class row %u: class '%s', want '%s'", group,
                  leakscope_table_get_cell(ct, group, LEAKSCOPE_CLASS_COL_CLASS), f[1]);
            char *style = g_strconcat("leak-class-", f[1], NULL);
            CHECK(!g_strcmp0(leakscope_table_get_style(ct, group), style), "class row %u: style '%s', want '%s'",
                  group, leakscope_table_get_style(ct, group), style);
            g_free(style);
            CHECK(cell_is(ct, group, LEAKSCOPE_CLASS_COL_SITE, f[2]), "class row %u: site '%s', want '%s'", group,
                  leakscope_table_get_cell(ct, group, LEAKSCOPE_CLASS_COL_SITE), f[2]);
            CHECK(bytes_cell_is(ct, group, LEAKSCOPE_CLASS_COL_BYTES, f[3]), "class row %u: bytes '%s', want %s",
                  group, leakscope_table_get_cell(ct, group, LEAKSCOPE_CLASS_COL_BYTES), f[3]);
            CHECK(cell_is(ct, group, LEAKSCOPE_CLASS_COL_BLOCKS, f[4]), "class row %u: blocks '%s', want %s", group,
                  leakscope_table_get_cell(ct, group, LEAKSCOPE_CLASS_COL_BLOCKS), f[4]);
            CHECK(cell_is(ct, group, LEAKSCOPE_CLASS_COL_HELD_BY, f[5]), "class row %u: held by '%s', want '%s'",
                  group, leakscope_table_get_cell(ct, group, LEAKSCOPE_CLASS_COL_HELD_BY), f[5]);
            group++;
        } else if (!strcmp(f[0], "global") && n == 4) {
            const char *name = leakscope_table_get_cell(gt, global, LEAKSCOPE_GLOBAL_COL_NAME);
            CHECK(name && g_str_has_prefix(name, f[1]) && (!name[strlen(f[1])] || name[strlen(f[1])] == ' '),
                  "globals row %u: '%s', want '%s'", global, name, f[1]);
            CHECK(bytes_cell_is(gt, global, LEAKSCOPE_GLOBAL_COL_BYTES, f[2]), "globals row %u: bytes '%s', want %s",
                  global, leakscope_table_get_cell(gt, global, LEAKSCOPE_GLOBAL_COL_BYTES), f[2]);
            CHECK(cell_is(gt, global, LEAKSCOPE_GLOBAL_COL_BLOCKS, f[3]), "globals row %u: blocks '%s', want %s",
                  global, leakscope_table_get_cell(gt, global, LEAKSCOPE_GLOBAL_COL_BLOCKS), f[3]);
            global++;
        } else {
            CHECK(0, "classes.expect line %u is not understood", i + 1);
        }
    }
    CHECK(group > 0 && leakscope_table_get_n_rows(ct) == group, "%u class rows, the report has %u",
          leakscope_table_get_n_rows(ct), group);
    CHECK(global > 0 && leakscope_table_get_n_rows(gt) == global, "%u globals rows, the report has %u",
          leakscope_table_get_n_rows(gt), global);
    const char *sum = gtk_label_get_text(win->classes_summary);
    CHECK(strstr(sum, "lost") && strstr(sum, "cycle"), "the classes summary says '%s'", sum);
    printf("classes: %u groups and %u globals as the report has them; %s\n", group, global, sum);
    g_ptr_array_unref(rows);
}

/* The Growing panel is the report's; without a snapshot the Leaks panel
 * keeps its list and says why. */
static void check_growing(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    GPtrArray *rows = read_expect(t, "growing.expect");
    if (!rows)
        return;
    LeakscopeTable *gt = win->growing_table, *it = win->iter_table;
    guint row = 0, heap = 0, iter = 0;
    for (guint i = 0; i < rows->len; i++) {
        char **f = g_ptr_array_index(rows, i);
        guint n = g_strv_length(f);
        if (!strcmp(f[0], "growth") && n == 4) {
            CHECK(cell_is(gt, row, LEAKSCOPE_GROW_COL_SITE, f[1]), "growing row %u: site '%s', want '%s'", row,
                  leakscope_table_get_cell(gt, row, LEAKSCOPE_GROW_COL_SITE), f[1]);
            CHECK(bytes_cell_is(gt, row, LEAKSCOPE_GROW_COL_LIVE, f[2]), "growing row %u: live '%s', want %s", row,
                  leakscope_table_get_cell(gt, row, LEAKSCOPE_GROW_COL_LIVE), f[2]);
            CHECK(cell_is(gt, row, LEAKSCOPE_GROW_COL_BLOCKS, f[3]), "growing row %u: blocks '%s', want %s", row,
                  leakscope_table_get_cell(gt, row, LEAKSCOPE_GROW_COL_BLOCKS), f[3]);
            heap++;
        } else if (!strcmp(f[0], "resgrowth") && n == 4) {
            char *site = g_strconcat(f[1], "  ·  ", f[2], NULL), *open = g_strconcat(f[3], " open", NULL);
            CHECK(cell_is(gt, row, LEAKSCOPE_GROW_COL_SITE, site), "growing row %u: '%s', want '%s'", row,
                  leakscope_table_get_cell(gt, row, LEAKSCOPE_GROW_COL_SITE), site);
            CHECK(cell_is(gt, row, LEAKSCOPE_GROW_COL_LIVE, open), "growing row %u: '%s', want '%s'", row,
                  leakscope_table_get_cell(gt, row, LEAKSCOPE_GROW_COL_LIVE), open);
            g_free(site);
            g_free(open);
        } else if (!strcmp(f[0], "marks") && n == 3) {
            char *want = g_strdup_printf("Iterations: %s marks '%s';", f[2], f[1]);
            CHECK(g_str_has_prefix(gtk_label_get_text(win->iter_title), want), "the iterations title says '%s', want '%s'",
                  gtk_label_get_text(win->iter_title), want);
            g_free(want);
            continue;
        } else if (!strcmp(f[0], "iteration") && n == 5) {
            CHECK(cell_is(it, iter, LEAKSCOPE_ITER_COL_VERDICT, f[1]), "iteration row %u: '%s', want '%s'", iter,
                  leakscope_table_get_cell(it, iter, LEAKSCOPE_ITER_COL_VERDICT), f[1]);
            CHECK(cell_is(it, iter, LEAKSCOPE_ITER_COL_SITE, f[2]), "iteration row %u: site '%s', want '%s'", iter,
                  leakscope_table_get_cell(it, iter, LEAKSCOPE_ITER_COL_SITE), f[2]);
            CHECK(bytes_cell_is(it, iter, LEAKSCOPE_ITER_COL_FIRST, f[3]), "iteration row %u: first '%s', want %s",
                  iter, leakscope_table_get_cell(it, iter, LEAKSCOPE_ITER_COL_FIRST), f[3]);
            CHECK(bytes_cell_is(it, iter, LEAKSCOPE_ITER_COL_LAST, f[4]), "iteration row %u: last '%s', want %s", iter,
                  leakscope_table_get_cell(it, iter, LEAKSCOPE_ITER_COL_LAST), f[4]);
            iter++;
            continue;
        } else {
            CHECK(0, "growing.expect line %u is not understood", i + 1);
            continue;
        }
        row++;
    }
    CHECK(heap > 0 && leakscope_table_get_n_rows(gt) == row, "%u growing rows, the report has %u",
          leakscope_table_get_n_rows(gt), row);
    CHECK(iter > 0 && leakscope_table_get_n_rows(it) == iter, "%u iteration rows, the report has %u",
          leakscope_table_get_n_rows(it), iter);
    const char *first = leakscope_table_get_cell(gt, 0, LEAKSCOPE_GROW_COL_SITE);
    CHECK(first && g_str_has_prefix(first, "session_log "), "the first suspect is '%s', not session_log", first);
    /* No snapshot (killed): today's list, and the panels say so. */
    CHECK(win->classes == NULL, "classes for a trace without a heap snapshot");
    CHECK(gtk_widget_get_visible(GTK_WIDGET(win->leaks_list)) &&
              !gtk_widget_get_visible(gtk_widget_get_parent(GTK_WIDGET(win->classes_table))),
          "without a snapshot the Leaks panel does not keep its list");
    CHECK(leakscope_stack_list_get_n_sites(win->leaks_list) > 0, "no leaks listed for the killed server");
    CHECK(strstr(gtk_label_get_text(win->leaks_title), "No heap snapshot") != NULL, "the leaks title says '%s'",
          gtk_label_get_text(win->leaks_title));
    CHECK(!g_strcmp0(leakscope_table_get_placeholder(win->globals_table), "No heap snapshot in this trace."),
          "the Globals view says '%s'", leakscope_table_get_placeholder(win->globals_table));
    printf("growing: %u rows and %u iteration rows as the report has them, first %s\n", row, iter,
           first ? first : "(none)");
    g_ptr_array_unref(rows);
}

/* WCAG's relative luminance and contrast ratio. */
static double luminance(const GdkRGBA *c)
{
    double ch[3] = { c->red, c->green, c->blue }, l[3];
    for (int i = 0; i < 3; i++)
        l[i] = ch[i] <= 0.03928 ? ch[i] / 12.92 : pow((ch[i] + 0.055) / 1.055, 2.4);
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
}

static double contrast(const GdkRGBA *a, const GdkRGBA *b)
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

/* The first mapped label under w with CSS class css. */
static GtkWidget *find_styled_label(GtkWidget *w, const char *css)
{
    if (GTK_IS_LABEL(w) && gtk_widget_has_css_class(w, css) && gtk_widget_get_mapped(w))
        return w;
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *f = find_styled_label(c, css);
        if (f)
            return f;
    }
    return NULL;
}

/* Each class shown reads on the theme's background (GTK_THEME decides
 * light or dark): a contrast of at least 4.5 (WCAG AA for text), and the
 * real leaks' colour is not the reachable one's. */
static void check_class_colours(test_ctx *t)
{
    LeakscopeTable *ct = t->win->classes_table;
    GdkRGBA lost = { 0 }, reachable = { 0 };
    guint checked = 0;
    /* A row drawn with the class if there is one, else a probe label beside
     * the table (the rows below the fold are not drawn). */
    GtkWidget *page = gtk_widget_get_parent(GTK_WIDGET(ct)), *probe = gtk_label_new("probe");
    gtk_box_append(GTK_BOX(page), probe);
    for (guint32 k = 0; k <= LS_CLASS_UNSCANNED; k++) {
        if (k == LS_CLASS_UNSCANNED)
            continue; /* dimmed on purpose */
        const char *css = leakscope_leak_class_style(k);
        GtkWidget *label = find_styled_label(GTK_WIDGET(ct), css);
        if (!label) {
            for (guint32 j = 0; j < LS_CLASS_UNSCANNED; j++)
                gtk_widget_remove_css_class(probe, leakscope_leak_class_style(j));
            gtk_widget_add_css_class(probe, css);
            label = probe;
        }
        GtkStyleContext *sc = gtk_widget_get_style_context(label);
        GdkRGBA fg, base;
        gtk_style_context_get_color(sc, &fg);
        CHECK(gtk_style_context_lookup_color(sc, "theme_base_color", &base), "the theme has no theme_base_color");
        double r = contrast(&fg, &base);
        CHECK(r >= 4.5, "%s: contrast %.2f on the theme's background (%s)", css, r, g_getenv("GTK_THEME"));
        printf("colours: %s contrast %.2f (%s%s)\n", css, r, g_getenv("GTK_THEME") ? g_getenv("GTK_THEME") : "default",
               label == probe ? ", a probe" : "");
        if (k == LS_CLASS_LOST)
            lost = fg;
        if (k == LS_CLASS_REACHABLE)
            reachable = fg;
        checked++;
    }
    gtk_box_remove(GTK_BOX(page), probe);
    CHECK(checked == LS_NCLASSES, "%u class colours checked", checked);
    CHECK(!gdk_rgba_equal(&lost, &reachable), "lost and reachable have one colour");
}

/* How many pixel columns of the timeline's heap plot draw colour c (within
 * close_rgb) somewhere: the selected sites' line over the heap. */
static int heap_columns_in(test_ctx *t, guint32 c, const char *png)
{
    render_row row;
    int width, height, n = 0;
    if (!timeline_row(t, RENDER_TRACK_HEAP, &row) || row.folded)
        return 0;
    guint32 *px = widget_pixels(t, GTK_WIDGET(t->win->timeline), &width, &height, png);
    for (int x = 0; px && x < width; x++)
        for (int y = (int)row.py0; y < (int)row.py1 && y < height; y++)
            if (close_rgb(px[y * width + x] & 0xffffff, c)) {
                n++;
                break;
            }
    g_free(px);
    return n;
}

/* Growing: choosing a suspect selects its call site everywhere, and a heap
 * suspect's live bytes are drawn over the heap (in the marks' magenta, as
 * any selected site's). A resource suspect selects its function; the model
 * keeps no series of its open handles per site to draw. */
static void check_growing_selected(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    const ls_analysis *a = timeline_analysis(win->tl);
    const ls_growth *g = timeline_growth(win->tl);
    char fn[512];
    const char *want = ls_site_function(win->syms, a, g->heap[0].stack, fn, sizeof fn);
    CHECK(!g_strcmp0(win->selected_function, want), "choosing the first suspect selected '%s', not %s",
          win->selected_function ? win->selected_function : "(nothing)", want);
    guint64 mask = 0;
    for (guint32 i = 0; i < ls_site_series_count(win->sites); i++)
        if (ls_site_series_stack(win->sites, i) == g->heap[0].stack)
            mask |= (guint64)1 << i;
    render_view_params p;
    GtkWidget *tw = GTK_WIDGET(win->timeline);
    leakscope_timeline_get_view_params(win->timeline, &p, gtk_widget_get_width(tw), gtk_widget_get_height(tw));
    CHECK(mask && (p.site_selected & mask) == mask, "the suspect's series is not followed or not drawn (mask %#" G_GINT64_MODIFIER
          "x, drawn %#" G_GINT64_MODIFIER "x)", mask, p.site_selected);
    /* on screen: its line across the heap track, gone when nothing is selected */
    const render_palette *pal = render_palette_of(p.theme);
    guint32 magenta = (guint32)lround(pal->mark.r * 255) << 16 | (guint32)lround(pal->mark.g * 255) << 8 |
                      (guint32)lround(pal->mark.b * 255);
    render_row row;
    CHECK(timeline_row(t, RENDER_TRACK_HEAP, &row) && !row.folded, "no heap track");
    int on = heap_columns_in(t, magenta, "window-growing-selected.png");
    save_widget(t, tw, "timeline-growing-selected.png");
    _leakscope_window_select_function(win, NULL);
    int off = heap_columns_in(t, magenta, "window-growing.png");
    int plot = gtk_widget_get_width(tw) - 120;
    CHECK(on > plot / 2 && off < plot / 50, "the suspect's line in %d of the heap's ~%d columns (%d unselected)", on,
          plot, off);
    printf("growing: choosing %s draws its live bytes in %d heap columns (%d without)\n", want, on, off);
    /* a resource suspect (after the heap's): its function */
    if (g->nres) {
        leakscope_table_select(win->growing_table, g->nheap);
        want = ls_site_function(win->syms, a, g->res[0].stack, fn, sizeof fn);
        CHECK(!g_strcmp0(win->selected_function, want), "choosing the resource suspect selected '%s', not %s",
              win->selected_function ? win->selected_function : "(nothing)", want);
    }
}

/* classes and growing modes: check, show each page, screenshot, quit. */
static gboolean leak_steps(test_ctx *t)
{
    gboolean classes = !strcmp(t->mode, "classes");
    if (!classes && t->waited > 6) { /* the heap by call site, then the suspect chosen */
        if (!t->win->sites && t->waited++ < 600)
            return TRUE;
        CHECK(t->win->sites != NULL, "no heap-by-call-site series");
        if (t->win->sites)
            check_growing_selected(t);
        return FALSE;
    }
    switch (t->waited++) {
    case 0:
        if (classes)
            check_classes(t);
        else
            check_growing(t);
        gtk_stack_set_visible_child_name(t->win->panel_stack, classes ? "leaks" : "growing");
        return TRUE;
    case 3:
        if (classes)
            check_class_colours(t);
        save_screenshot(t, classes ? "window-classes.png" : "window-growing.png");
        if (classes)
            gtk_stack_set_visible_child_name(t->win->panel_stack, "globals");
        return TRUE;
    case 6:
        if (classes)
            save_screenshot(t, "window-globals.png");
        else /* the first suspect chosen, as a click does */
            leakscope_table_select(t->win->growing_table, 0);
        return !classes;
    default:
        return TRUE;
    }
}

/* Zooms to [t0, t1] and clicks the bar of lifetime `lt` in the resources
 * track, found by hit testing the track. Returns whether it was found. */
static gboolean click_lifetime(test_ctx *t, const timeline_lifetime *lt, guint64 t0, guint64 t1)
{
    LeakscopeWindow *win = t->win;
    leakscope_timeline_set_range(win->timeline, t0, t1);
    int w = gtk_widget_get_width(GTK_WIDGET(win->timeline)), h = gtk_widget_get_height(GTK_WIDGET(win->timeline));
    for (int y = 1; y < h; y++) {
        LeakscopeTimelineHit hit;
        if (!leakscope_timeline_hit_test(win->timeline, w / 2, y, &hit) || hit.track != RENDER_TRACK_RESOURCES)
            continue;
        for (int x = 1; x < w; x += 2)
            if (leakscope_timeline_hit_test(win->timeline, x, y, &hit) && hit.kind == RENDER_HIT_LIFETIME &&
                hit.lifetime.begin == lt->begin && hit.lifetime.handle == lt->handle) {
                g_signal_emit_by_name(win->timeline, "hit", &hit);
                return TRUE;
            }
    }
    return FALSE;
}

/* A resource's details: the demo's descriptors are opened in open_log and,
 * two in three, closed in close_log; the rest stay open. */
static void check_lifetime_details(test_ctx *t)
{
    LeakscopeWindow *win = t->win;
    uint64_t n = timeline_lifetimes(win->tl, 0, UINT64_MAX, NULL, 0, NULL);
    timeline_lifetime *life = g_new0(timeline_lifetime, n ? n : 1);
    timeline_lifetimes(win->tl, 0, UINT64_MAX, life, n, NULL);
    const timeline_lifetime *closed = NULL, *open = NULL;
    for (uint64_t i = 0; i < n; i++) {
        if (life[i].closed && !closed && life[i].end > life[i].begin)
            closed = &life[i];
        if (!life[i].closed && !open)
            open = &life[i];
    }
    CHECK(closed && open, "the demo has no closed or no open descriptor among %" G_GUINT64_FORMAT, n);
    if (closed) {
        guint64 d = closed->end - closed->begin;
        CHECK(click_lifetime(t, closed, closed->begin - d, closed->end + d), "no bar of the closed descriptor");
        g_autofree char *facts = grid_text(win->details_grid);
        const char *stacks = gtk_label_get_text(win->details_stack);
        const char *close_part = strstr(stacks, "Closed at (innermost first):");
        CHECK(strstr(facts, "Kind") && strstr(facts, "fd") && strstr(facts, "Handle") &&
                  strstr(facts, "Opened") && strstr(facts, "Closed") && strstr(facts, " by "),
              "the closed descriptor's facts: '%s'", facts);
        CHECK(strstr(stacks, "Opened at (innermost first):") && strstr(stacks, "open_log") && close_part &&
                  strstr(close_part, "close_log") && !strstr(close_part, "open_log"),
              "the closed descriptor's stacks: '%s'", stacks);
        save_screenshot(t, "window-resource-details.png");
    }
    if (open) {
        CHECK(click_lifetime(t, open, open->begin - 20000, open->begin + 20000), "no bar of the open descriptor");
        g_autofree char *facts = grid_text(win->details_grid);
        const char *stacks = gtk_label_get_text(win->details_stack);
        CHECK(strstr(facts, "never: still open at the end"), "the open descriptor's facts: '%s'", facts);
        CHECK(strstr(stacks, "open_log") && strstr(stacks, "Closed at: still open at the end"),
              "the open descriptor's stacks: '%s'", stacks);
    }
    g_free(life);
    act(t, "win.zoom-fit");
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

    if (!strcmp(t->mode, "sketch")) {
        /* A trace long enough to read for a while: its first picture, from
         * the chunk summaries, is on the loading page meanwhile, drawn;
         * once the events are read it is gone. */
        if (st == LEAKSCOPE_WINDOW_LOADING || st == LEAKSCOPE_WINDOW_EMPTY) {
            if (win->sketch && gtk_widget_get_visible(GTK_WIDGET(win->sketch_area)) && !t->sketch_seen) {
                int w = 0, h = 0;
                guint32 *px = widget_pixels(t, GTK_WIDGET(win->sketch_area), &w, &h, "window-sketch.png");
                GHashTable *colours = g_hash_table_new(NULL, NULL);
                for (int i = 0; px && i < w * h; i += 7)
                    g_hash_table_add(colours, GUINT_TO_POINTER(px[i] & 0xffffff));
                printf("sketch: %dx%d, %u colours, drawn while %s\n", w, h, g_hash_table_size(colours),
                       leakscope_window_get_state(win) == LEAKSCOPE_WINDOW_LOADING ? "loading" : "done");
                CHECK(w > 200 && h > 200 && g_hash_table_size(colours) > 8, "the first picture is empty (%dx%d, %u "
                      "colours)", w, h, g_hash_table_size(colours));
                /* gen-trace's trace has GC pauses, resources, marks and spans */
                CHECK(render_track_unread(win->sketch, RENDER_TRACK_GC) &&
                          render_track_unread(win->sketch, RENDER_TRACK_RESOURCES) &&
                          render_track_unread(win->sketch, RENDER_TRACK_MARKS) &&
                          !render_track_unread(win->sketch, RENDER_TRACK_HEAP) &&
                          !render_track_unread(win->sketch, RENDER_TRACK_THREADS),
                      "the first picture's tracks: GC, resources and marks read on, the heap and threads drawn");
                g_hash_table_destroy(colours);
                g_free(px);
                t->sketch_seen = 1;
            }
            return G_SOURCE_CONTINUE;
        }
        CHECK(st == LEAKSCOPE_WINDOW_LOADED, "the trace did not open (state %d)", st);
        CHECK(t->sketch_seen, "no first picture was shown while the events were read");
        CHECK(!win->sketch && !gtk_widget_get_visible(GTK_WIDGET(win->sketch_area)),
              "the first picture outlived the load");
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

    if (!strcmp(t->mode, "panels")) {
        if (!panel_steps(t)) {
            g_clear_pointer(&t->whole, leakscope_trees_unref);
            quit(t);
            return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
    }
    if (!strcmp(t->mode, "classes") || !strcmp(t->mode, "growing")) {
        if (leak_steps(t))
            return G_SOURCE_CONTINUE;
        quit(t);
        return G_SOURCE_REMOVE;
    }

    if (t->kstep >= 0) {
        if (!key_steps(t))
            t->kstep = -1;
        return G_SOURCE_CONTINUE;
    }
    if (t->checks_step >= 0) {
        if (!layout_steps(t)) {
            t->checks_step = -1;
            act(t, "win.zoom-fit");
        }
        return G_SOURCE_CONTINUE;
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
        {
            /* The allocation clicked says what became of it. */
            g_autofree char *facts = grid_text(win->details_grid);
            CHECK(strstr(facts, "Freed") && (strstr(facts, " after, by ") || strstr(facts, "never: still live")),
                  "details do not say whether and when the block was freed: '%s'", facts);
        }
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
        check_lifetime_details(t);
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
        /* An empty list says so. */
        CHECK(leakscope_stack_list_get_placeholder(win->open_list) == NULL, "a placeholder over a full list");
        leakscope_stack_list_clear(win->open_list);
        CHECK(leakscope_stack_list_get_placeholder(win->open_list) != NULL, "an empty list shows no placeholder");
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
        /* Nothing recent yet (a fresh HOME): Open Recent says so. */
        if (!strcmp(t->mode, "view")) {
            GMenuModel *m = G_MENU_MODEL(t->win->recent_section);
            char *label = NULL;
            CHECK(g_menu_model_get_n_items(m) == 1 &&
                      g_menu_model_get_item_attribute(m, 0, G_MENU_ATTRIBUTE_LABEL, "s", &label) &&
                      !strcmp(label, "No recent traces"),
                  "an empty Open Recent has no placeholder");
            g_free(label);
        }
        g_timeout_add(strcmp(t->mode, "sketch") ? 100 : 10, step, t);
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
        fprintf(stderr, "usage: test-viewer view|panels|corrupt|truncated|damaged|classes|growing|sketch TRACE OUTDIR\n");
        return 2;
    }
    test_ctx t = { .mode = argv[1], .trace = argv[2], .outdir = argv[3] };
    g_timeout_add_seconds(TEST_TIMEOUT_S, on_timeout, NULL);
    t.app = leakscope_application_new(G_APPLICATION_NON_UNIQUE);
    g_signal_connect(t.app, "window-added", G_CALLBACK(on_window_added), &t);
    char *args[] = { argv[0], (char *)t.trace, NULL };
    int status = g_application_run(G_APPLICATION(t.app), 2, args);
    /* work still in flight holds the window: let it finish (bounded: the
     * sketch mode's 6M-event trace keeps the panels' threads busy for
     * seconds under ASan) */
    for (int i = 0; i < 3000 && t.win; i++) {
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
