/* main.c — `leakscope-viewer [FILE...]`: the desktop viewer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-application.h"

int main(int argc, char **argv)
{
    LeakscopeApplication *app = leakscope_application_new(G_APPLICATION_DEFAULT_FLAGS);
    int status = g_application_run(G_APPLICATION(app), argc, argv);
    g_object_unref(app);
    return status;
}
