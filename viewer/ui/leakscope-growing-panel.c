/* leakscope-growing-panel.c — the growth-trend suspects in a table.
 *
 * SPDX-License-Identifier: MIT
 */
#include "leakscope-growing-panel.h"
#include "leakscope-format.h"

/* A rate as a whole number per second: "+97.7 KiB/s", "+50/s". */
static char *rate_text(double per_second, gboolean bytes)
{
    guint64 v = per_second > 0 && per_second < 1.8e19 ? (guint64)(per_second + 0.5) : 0;
    g_autofree char *n = bytes ? leakscope_format_bytes(v) : g_strdup_printf("%" G_GUINT64_FORMAT, v);
    return g_strdup_printf("+%s/s", n);
}

static void add_suspect(LeakscopeTable *table, const ls_analysis *a, sym_table *syms, const ls_growth_suspect *s,
                        gboolean heap)
{
    g_autofree char *site = leakscope_stack_title(syms, a, s->stack);
    g_autofree char *kind = heap ? NULL : leakscope_text_from_trace(ls_analysis_string(a, s->kind));
    g_autofree char *where = heap ? g_strdup(site) : g_strconcat(kind, "  ·  ", site, NULL);
    g_autofree char *rate = rate_text(s->per_second, heap);
    g_autofree char *live = heap ? leakscope_format_bytes(s->live_at_end)
                                 : g_strdup_printf("%" G_GUINT64_FORMAT " open", s->live_at_end);
    g_autofree char *blocks = heap ? g_strdup_printf("%" G_GUINT64_FORMAT, s->blocks_at_end) : g_strdup("");
    g_autofree char *conf = g_strdup_printf("%.2f", s->confidence);
    const char *cells[LEAKSCOPE_GROW_NCOLS] = { where, rate, live, blocks, conf };
    leakscope_table_append(table, cells, NULL, s->stack);
}

void leakscope_growing_panel_fill(LeakscopeTable *table, GtkLabel *title, const ls_analysis *a, sym_table *syms,
                                  const ls_growth *g)
{
    static const char *const titles[LEAKSCOPE_GROW_NCOLS] = {
        [LEAKSCOPE_GROW_COL_SITE] = "Call site (expand for the call stack)",
        [LEAKSCOPE_GROW_COL_RATE] = "Grows by",
        [LEAKSCOPE_GROW_COL_LIVE] = "Live at end",
        [LEAKSCOPE_GROW_COL_BLOCKS] = "Blocks",
        [LEAKSCOPE_GROW_COL_CONFIDENCE] = "Confidence",
    };
    leakscope_table_set_columns(table, titles, LEAKSCOPE_GROW_NCOLS, LEAKSCOPE_GROW_COL_SITE, 110,
                                1u << LEAKSCOPE_GROW_COL_RATE | 1u << LEAKSCOPE_GROW_COL_LIVE |
                                    1u << LEAKSCOPE_GROW_COL_BLOCKS | 1u << LEAKSCOPE_GROW_COL_CONFIDENCE);
    leakscope_table_set_source(table, a, syms);
    if (!g) {
        gtk_label_set_text(title, "The growth suspects could not be found (out of memory).");
        leakscope_table_set_placeholder(table, "");
        return;
    }
    for (guint32 i = 0; i < g->nheap; i++)
        add_suspect(table, a, syms, &g->heap[i], TRUE);
    for (guint32 i = 0; i < g->nres; i++)
        add_suspect(table, a, syms, &g->res[i], FALSE);
    g_autofree char *t = g_strdup_printf("Call sites whose live memory (%u) or open handles (%u) keep rising through the "
                                         "run, fastest first: a site that fills and then stays flat is not one",
                                         g->nheap, g->nres);
    gtk_label_set_text(title, t);
    leakscope_table_set_placeholder(table, "No call site keeps growing.");
}
