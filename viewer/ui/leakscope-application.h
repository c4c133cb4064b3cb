/* leakscope-application.h — the viewer's GtkApplication (HANDLES_OPEN):
 * one window per trace, resources, styles, application actions.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LEAKSCOPE_TYPE_APPLICATION (leakscope_application_get_type())
G_DECLARE_FINAL_TYPE(LeakscopeApplication, leakscope_application, LEAKSCOPE, APPLICATION, GtkApplication)

/* extra_flags: e.g. G_APPLICATION_NON_UNIQUE for tests. */
LeakscopeApplication *leakscope_application_new(GApplicationFlags extra_flags);

G_END_DECLS
