/* leakscope-compare.h — "Compare with…": a second trace (the base run)
 * read off the main thread, with its symbols and its top-down call tree,
 * for the Compare panel's differential flame graph and diff table
 * (site-diff.h).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

#include "calltree.h"

G_BEGIN_DECLS

typedef struct {
    char *path;
    ls_analysis *a;
    sym_table *syms;
    ls_calltree *tree;        /* top-down */
} LeakscopeBase;

void leakscope_base_free(LeakscopeBase *b); /* NULL ok */

/* Reads `path` in a GTask thread. Finish gives the base (free it) or NULL
 * with error set: the reader's one line (file, offset), or cancelled. */
void leakscope_base_load_async(const char *path, GCancellable *cancellable, GAsyncReadyCallback cb, gpointer data);
LeakscopeBase *leakscope_base_load_finish(GAsyncResult *res, GError **error);

G_END_DECLS
