/* leakscope-format.h — text for the viewer: human units, untrusted strings
 * made safe for labels, and symbolized call stacks.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

#include "analysis.h"
#include "symbols.h"

G_BEGIN_DECLS

/* "12.3 MiB", "512 B". Free with g_free. */
char *leakscope_format_bytes(guint64 n);

/* "1.25 s", "340 µs". Free with g_free. */
char *leakscope_format_duration(guint64 ns);

/* A string from a trace, made fit for a label set with gtk_label_set_text:
 * valid UTF-8 (bad bytes become U+FFFD), control characters shown as \xNN.
 * Free with g_free. */
char *leakscope_text_from_trace(const char *s);

/* One line per frame of stack `stack_id`, innermost first, inlined frames
 * included: "function  file:line  (module)". At most `max` lines (0: all).
 * An empty stack gives one line saying so. Returns a GPtrArray of strings
 * (owned by the array). syms may be NULL (addresses only). */
GPtrArray *leakscope_stack_lines(sym_table *syms, const ls_analysis *a, guint32 stack_id, guint max);

/* The first frame of the stack outside allocator wrappers, as one line
 * ("function  file:line"), for a leak's title row. Free with g_free. */
char *leakscope_stack_title(sym_table *syms, const ls_analysis *a, guint32 stack_id);

G_END_DECLS
