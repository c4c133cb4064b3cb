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

void leakscope_iterations_panel_fill(LeakscopeTable *table, GtkLabel *title, const ls_analysis *a, sym_table *syms,
                                     const ls_growth *g)
{
    static const char *const titles[LEAKSCOPE_ITER_NCOLS] = {
        [LEAKSCOPE_ITER_COL_VERDICT] = "Verdict",
        [LEAKSCOPE_ITER_COL_SITE] = "Call site (expand for the call stack)",
        [LEAKSCOPE_ITER_COL_PER] = "Per iteration",
        [LEAKSCOPE_ITER_COL_FIRST] = "First mark",
        [LEAKSCOPE_ITER_COL_LAST] = "Last mark",
    };
    leakscope_table_set_columns(table, titles, LEAKSCOPE_ITER_NCOLS, LEAKSCOPE_ITER_COL_SITE, 130,
                                1u << LEAKSCOPE_ITER_COL_PER | 1u << LEAKSCOPE_ITER_COL_FIRST |
                                    1u << LEAKSCOPE_ITER_COL_LAST);
    leakscope_table_set_source(table, a, syms);
    if (!g || !g->iteration_label) {
        gtk_label_set_text(title, "Iterations: no label is marked three times or more (trace_mark at the end of "
                                  "each request or frame gives the bytes each one keeps).");
        leakscope_table_set_placeholder(table, "No iterations marked.");
        return;
    }
    g_autofree char *label = leakscope_text_from_trace(ls_analysis_string(a, g->iteration_label));
    g_autofree char *t = g_strdup_printf("Iterations: %u marks '%s'; the bytes each call site kept per iteration, "
                                         "between the first mark and the last%s",
                                         g->iterations, label,
                                         g->iterations_followed ? "" : " (not followed: too many call sites at "
                                                                       "marks; name the marks with --iteration-mark)");
    gtk_label_set_text(title, t);
    for (guint32 i = 0; i < g->niter; i++) {
        const ls_iteration_site *s = &g->iter[i];
        double d = s->bytes_per_iteration;
        g_autofree char *site = leakscope_stack_title(syms, a, s->stack);
        g_autofree char *per_abs = leakscope_format_bytes((guint64)((d < 0 ? -d : d) + 0.5));
        g_autofree char *per = g_strconcat(d < 0 ? "-" : "+", per_abs, NULL);
        g_autofree char *first = leakscope_format_bytes(s->first_bytes);
        g_autofree char *last = leakscope_format_bytes(s->last_bytes);
        const char *cells[LEAKSCOPE_ITER_NCOLS] = { s->growing ? "growing" : "bounded", site, per, first, last };
        leakscope_table_append(table, cells, s->growing ? "iteration-growing" : "iteration-bounded", s->stack);
    }
    leakscope_table_set_placeholder(table, g->iterations_followed ? "No call site's live bytes changed between the marks."
                                                                  : "Not followed.");
}
