/* leakscope-leaks-panel.c — the Leaks panel's classes and the Globals view.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-leaks-panel.h"
#include "leakscope-format.h"

#include <string.h>

const char *leakscope_leak_class_style(guint32 cls)
{
    static const char *const styles[LS_NCLASSES + 1] = {
        [LS_CLASS_LOST] = "leak-class-lost",
        [LS_CLASS_INDIRECT] = "leak-class-indirect",
        [LS_CLASS_CYCLE] = "leak-class-cycle",
        [LS_CLASS_POSSIBLE] = "leak-class-possible",
        [LS_CLASS_REACHABLE] = "leak-class-reachable",
        [LS_CLASS_UNSCANNED] = "leak-class-unscanned",
    };
    return cls <= LS_CLASS_UNSCANNED ? styles[cls] : NULL;
}

static char *holder_text(const ls_analysis *a, const ls_holder *h)
{
    char buf[600];
    return leakscope_text_from_trace(ls_holder_name(a, h, buf, sizeof buf));
}

static char *summary_text(const ls_analysis *a, const ls_leak_classes *lc, guint shown)
{
    GString *s = g_string_new(NULL);
    g_autofree char *label = leakscope_text_from_trace(lc->label);
    g_autofree char *lost = leakscope_format_bytes(ls_leak_classes_lost_bytes(lc));
    g_string_append_printf(s, "Heap snapshot '%s': %s lost (lost + indirect + cycle: memory the program can no longer free)\n",
                           label, lost);
    for (guint32 k = 0; k <= LS_CLASS_UNSCANNED; k++) {
        if (k == LS_CLASS_UNSCANNED && !lc->blocks[k])
            continue;
        g_autofree char *b = leakscope_format_bytes(lc->bytes[k]);
        g_string_append_printf(s, "%s%s %s in %" G_GUINT64_FORMAT " %s", k ? " · " : "", ls_class_group_name(k), b,
                               lc->blocks[k], lc->blocks[k] == 1 ? "block" : "blocks");
        if (k == LS_CLASS_CYCLE)
            g_string_append_printf(s, " in %u %s", lc->ncycles, lc->ncycles == 1 ? "cycle" : "cycles");
    }
    if (lc->uncertain)
        g_string_append(s, "\nUncertain: the snapshot missed blocks or memory it could not read; a block shown lost may be held.");
    if (lc->running_threads)
        g_string_append_printf(s, "\n%u other %s running while the heap was scanned: what one held only in a register shows as lost.",
                               lc->running_threads, lc->running_threads == 1 ? "thread was" : "threads were");
    if (lc->ngroups > shown)
        g_string_append_printf(s, "\nThe first %u of %u groups are listed.", shown, lc->ngroups);
    (void)a;
    return g_string_free(s, FALSE);
}

void leakscope_leaks_panel_fill(LeakscopeTable *table, GtkLabel *summary, const ls_analysis *a, sym_table *syms,
                                const ls_leak_classes *lc, guint max)
{
    static const char *const titles[LEAKSCOPE_CLASS_NCOLS] = {
        [LEAKSCOPE_CLASS_COL_CLASS] = "Class",
        [LEAKSCOPE_CLASS_COL_SITE] = "Allocated at (expand for the call stack)",
        [LEAKSCOPE_CLASS_COL_BYTES] = "Bytes",
        [LEAKSCOPE_CLASS_COL_BLOCKS] = "Blocks",
        [LEAKSCOPE_CLASS_COL_HELD_BY] = "Held by",
    };
    leakscope_table_set_columns(table, titles, LEAKSCOPE_CLASS_NCOLS, LEAKSCOPE_CLASS_COL_SITE, 110,
                                1u << LEAKSCOPE_CLASS_COL_BYTES | 1u << LEAKSCOPE_CLASS_COL_BLOCKS);
    leakscope_table_set_source(table, a, syms);
    guint shown = lc->ngroups < max ? lc->ngroups : max;
    for (guint i = 0; i < shown; i++) {
        const ls_class_group *g = &lc->groups[i];
        g_autofree char *site = leakscope_stack_title(syms, a, g->stack);
        g_autofree char *bytes = leakscope_format_bytes(g->bytes);
        g_autofree char *blocks = g_strdup_printf("%" G_GUINT64_FORMAT, g->blocks);
        g_autofree char *held = g->holder < lc->nholders ? holder_text(a, &lc->holders[g->holder]) : g_strdup("");
        const char *cells[LEAKSCOPE_CLASS_NCOLS] = {
            [LEAKSCOPE_CLASS_COL_CLASS] = ls_class_group_name(g->cls),
            [LEAKSCOPE_CLASS_COL_SITE] = site,
            [LEAKSCOPE_CLASS_COL_BYTES] = bytes,
            [LEAKSCOPE_CLASS_COL_BLOCKS] = blocks,
            [LEAKSCOPE_CLASS_COL_HELD_BY] = held,
        };
        leakscope_table_append(table, cells, leakscope_leak_class_style(g->cls), g->stack);
    }
    leakscope_table_set_placeholder(table, "No leaks: every block allocated was freed by the end.");
    g_autofree char *text = summary_text(a, lc, shown);
    gtk_label_set_text(summary, text);
}

void leakscope_globals_panel_fill(LeakscopeTable *table, GtkLabel *title, const ls_analysis *a,
                                  const ls_leak_classes *lc)
{
    static const char *const titles[LEAKSCOPE_GLOBAL_NCOLS] = {
        [LEAKSCOPE_GLOBAL_COL_NAME] = "Global variable",
        [LEAKSCOPE_GLOBAL_COL_MODULE] = "Module",
        [LEAKSCOPE_GLOBAL_COL_BYTES] = "Keeps alive",
        [LEAKSCOPE_GLOBAL_COL_BLOCKS] = "Blocks",
    };
    leakscope_table_set_columns(table, titles, LEAKSCOPE_GLOBAL_NCOLS, LEAKSCOPE_GLOBAL_COL_NAME, 140,
                                1u << LEAKSCOPE_GLOBAL_COL_BYTES | 1u << LEAKSCOPE_GLOBAL_COL_BLOCKS);
    leakscope_table_set_source(table, a, NULL);
    if (!lc) {
        gtk_label_set_text(title, "This trace has no heap snapshot (the program crashed or was killed, or it was "
                                  "recorded with --no-scan): what each global holds is not known.");
        leakscope_table_set_placeholder(table, "No heap snapshot in this trace.");
        return;
    }
    for (guint i = 0; i < lc->nglobals; i++) {
        const ls_holder *h = &lc->holders[lc->globals[i]];
        const char *slash = strrchr(h->module, '/');
        g_autofree char *name = holder_text(a, h);
        g_autofree char *module = leakscope_text_from_trace(slash ? slash + 1 : h->module);
        g_autofree char *bytes = leakscope_format_bytes(h->retained_bytes);
        g_autofree char *blocks = g_strdup_printf("%" G_GUINT64_FORMAT, h->retained_blocks);
        const char *cells[LEAKSCOPE_GLOBAL_NCOLS] = { name, module, bytes, blocks };
        leakscope_table_append(table, cells, NULL, LEAKSCOPE_TABLE_NO_STACK);
    }
    gtk_label_set_text(title, "What each global variable alone keeps alive (the blocks only it reaches), most first");
    leakscope_table_set_placeholder(table, "No global variable alone keeps a block alive.");
}
