/* leakscope-format.c — human units, safe text, symbolized stacks.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-format.h"
#include "sites.h"
#include "units.h"

#include <string.h>

#define MAX_INLINE 16

char *leakscope_format_bytes(guint64 n)
{
    char buf[32];
    return g_strdup(ls_format_bytes(n, buf, sizeof buf));
}

char *leakscope_format_duration(guint64 ns)
{
    char buf[32];
    return g_strdup(ls_format_duration(ns, buf, sizeof buf));
}

char *leakscope_text_from_trace(const char *s)
{
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    GString *out = g_string_sized_new(strlen(valid));
    for (const char *p = valid; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_free(valid);
    return g_string_free(out, FALSE);
}


static char *frame_line(const sym_frame *fr, gboolean with_module)
{
    GString *s = g_string_new(NULL);
    char *fn = leakscope_text_from_trace(fr->function);
    g_string_append(s, fn);
    g_free(fn);
    if (fr->file) {
        const char *base = strrchr(fr->file, '/');
        char *file = leakscope_text_from_trace(base ? base + 1 : fr->file);
        g_string_append_printf(s, "  %s", file);
        if (fr->line)
            g_string_append_printf(s, ":%d", fr->line);
        g_free(file);
    }
    if (with_module) {
        const char *mod = strrchr(fr->module, '/');
        char *m = leakscope_text_from_trace(mod ? mod + 1 : fr->module);
        g_string_append_printf(s, "  (%s%s)", m, fr->inlined ? ", inlined" : "");
        g_free(m);
    }
    return g_string_free(s, FALSE);
}

GPtrArray *leakscope_stack_lines(sym_table *syms, const ls_analysis *a, guint32 stack_id, guint max)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    ls_stack st = ls_analysis_stack(a, stack_id);
    if (!st.depth) {
        g_ptr_array_add(lines, g_strdup("(no call stack recorded)"));
        return lines;
    }
    for (uint32_t i = 0; i < st.depth && (!max || lines->len < max); i++) {
        sym_frame fr[MAX_INLINE];
        int n = syms ? sym_table_resolve(syms, st.frames[i], true, fr, MAX_INLINE) : 0;
        if (n <= 0) {
            g_ptr_array_add(lines, g_strdup_printf("0x%" G_GINT64_MODIFIER "x", st.frames[i]));
            continue;
        }
        for (int k = 0; k < n && (!max || lines->len < max); k++)
            g_ptr_array_add(lines, frame_line(&fr[k], TRUE));
    }
    return lines;
}

char *leakscope_stack_title(sym_table *syms, const ls_analysis *a, guint32 stack_id)
{
    char buf[512];
    return leakscope_text_from_trace(ls_site_name(syms, a, stack_id, buf, sizeof buf));
}
