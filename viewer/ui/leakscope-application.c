/* leakscope-application.c — GtkApplication: opens files into windows.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-application.h"
#include "leakscope-resources.h"
#include "leakscope-window-private.h"

struct _LeakscopeApplication {
    GtkApplication parent_instance;
    GtkCssProvider *css;
};

G_DEFINE_FINAL_TYPE(LeakscopeApplication, leakscope_application, GTK_TYPE_APPLICATION)

static LeakscopeWindow *new_window(LeakscopeApplication *self)
{
    LeakscopeWindow *w = leakscope_window_new(GTK_APPLICATION(self));
    gtk_window_present(GTK_WINDOW(w));
    return w;
}

static void leakscope_application_activate(GApplication *app)
{
    GtkWindow *w = gtk_application_get_active_window(GTK_APPLICATION(app));
    if (w)
        gtk_window_present(w);
    else
        new_window(LEAKSCOPE_APPLICATION(app));
}

static void leakscope_application_open(GApplication *app, GFile **files, int n, const char *hint)
{
    (void)hint;
    for (int i = 0; i < n; i++) {
        /* reuse a window that shows nothing yet */
        GtkWindow *active = gtk_application_get_active_window(GTK_APPLICATION(app));
        LeakscopeWindow *w = NULL;
        if (LEAKSCOPE_IS_WINDOW(active) && leakscope_window_get_state(LEAKSCOPE_WINDOW(active)) == LEAKSCOPE_WINDOW_EMPTY)
            w = LEAKSCOPE_WINDOW(active);
        else
            w = new_window(LEAKSCOPE_APPLICATION(app));
        leakscope_window_open(w, files[i]);
        gtk_window_present(GTK_WINDOW(w));
    }
}

static void action_quit(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    GList *windows = gtk_application_get_windows(GTK_APPLICATION(data));
    /* destroying removes it from the list */
    while (windows) {
        gtk_window_destroy(GTK_WINDOW(windows->data));
        windows = gtk_application_get_windows(GTK_APPLICATION(data));
    }
}

static void action_new_window(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    new_window(LEAKSCOPE_APPLICATION(data));
}

static void action_about(GSimpleAction *a, GVariant *p, gpointer data)
{
    (void)a;
    (void)p;
    GtkWindow *parent = gtk_application_get_active_window(GTK_APPLICATION(data));
    gtk_show_about_dialog(parent, "program-name", "Leakscope", "logo-icon-name", LEAKSCOPE_APP_ID, "version",
                          LEAKSCOPE_VERSION, "comments",
                          "Memory leaks, open resources and GC pauses of a recorded program on one timeline",
                          "license-type", GTK_LICENSE_MIT_X11, "website", "https://github.com/leakscope/leakscope",
                          NULL);
}

static void leakscope_application_startup(GApplication *app)
{
    LeakscopeApplication *self = LEAKSCOPE_APPLICATION(app);
    G_APPLICATION_CLASS(leakscope_application_parent_class)->startup(app);
    static const GActionEntry entries[] = {
        { .name = "quit", .activate = action_quit },
        { .name = "new-window", .activate = action_new_window },
        { .name = "about", .activate = action_about },
    };
    g_action_map_add_action_entries(G_ACTION_MAP(app), entries, G_N_ELEMENTS(entries), app);
    gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", (const char *[]){ "<Control>q", NULL });
    gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.new-window", (const char *[]){ "<Control>n", NULL });
    gtk_application_set_accels_for_action(GTK_APPLICATION(app), "window.close", (const char *[]){ "<Control>w", NULL });
    /* The window's keys: application accelerators act whichever widget has
     * the focus (a panel's list too), as in GNOME's own applications. */
    static const struct {
        const char *action;
        const char *accels[6];
    } keys[] = {
        { "win.open", { "<Control>o", NULL } },
        { "win.export", { "<Control>e", NULL } },
        { "win.zoom-in", { "plus", "equal", "KP_Add", "<Control>plus", "<Control>equal", NULL } },
        { "win.zoom-out", { "minus", "KP_Subtract", "<Control>minus", NULL } },
        { "win.zoom-fit", { "0", "KP_0", "<Control>0", NULL } },
        { "win.zoom-selection", { "z", "<Shift>z", NULL } },
        { "win.clear-selection", { "Escape", NULL } },
        { "win.pan-left", { "Left", NULL } },
        { "win.pan-right", { "Right", NULL } },
    };
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        gtk_application_set_accels_for_action(GTK_APPLICATION(app), keys[i].action, keys[i].accels);

    GdkDisplay *display = gdk_display_get_default();
    gtk_icon_theme_add_resource_path(gtk_icon_theme_get_for_display(display), "/io/github/leakscope/Viewer/icons");
    gtk_window_set_default_icon_name(LEAKSCOPE_APP_ID);
    self->css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(self->css, "/io/github/leakscope/Viewer/style.css");
    gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(self->css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void leakscope_application_shutdown(GApplication *app)
{
    LeakscopeApplication *self = LEAKSCOPE_APPLICATION(app);
    GdkDisplay *display = gdk_display_get_default();
    if (self->css && display)
        gtk_style_context_remove_provider_for_display(display, GTK_STYLE_PROVIDER(self->css));
    g_clear_object(&self->css);
    G_APPLICATION_CLASS(leakscope_application_parent_class)->shutdown(app);
}

static void leakscope_application_class_init(LeakscopeApplicationClass *klass)
{
    GApplicationClass *ac = G_APPLICATION_CLASS(klass);
    ac->activate = leakscope_application_activate;
    ac->open = leakscope_application_open;
    ac->startup = leakscope_application_startup;
    ac->shutdown = leakscope_application_shutdown;
}

static void leakscope_application_init(LeakscopeApplication *self)
{
    (void)self;
}

LeakscopeApplication *leakscope_application_new(GApplicationFlags extra_flags)
{
    leakscope_register_resource();
    return g_object_new(LEAKSCOPE_TYPE_APPLICATION, "application-id", LEAKSCOPE_APP_ID, "flags",
                        G_APPLICATION_HANDLES_OPEN | extra_flags, "resource-base-path", "/io/github/leakscope/Viewer",
                        NULL);
}
