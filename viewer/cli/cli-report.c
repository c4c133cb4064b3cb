/* cli-report.c — `leakscope report [--json] [--top N] [--frames N] [--closes]
 * [--iteration-mark LABEL] FILE`.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "growth.h"
#include "leakclass.h"
#include "histogram.h"
#include "range.h"
#include "sites.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INLINE 16

typedef struct report {
    const ls_analysis *a;
    const ls_growth *g;    /* NULL: no GROWING section */
    const ls_leak_classes *lc; /* the heap snapshot's classes; NULL: none in the trace */
    const char *iteration_mark; /* asked for with --iteration-mark, or NULL */
    sym_table *syms;
    FILE *out;
    unsigned top, frames;
    bool closes;           /* --closes: where the closes came from */
    bool range;            /* a range's report (--from/--to): its histograms end at the range's end */
    bool unknown_frames;   /* a frame had no symbol: say once how to get them */
} report;

static const char *plural(uint64_t n, const char *one, const char *many) { return n == 1 ? one : many; }

static uint64_t rel(const ls_analysis *a, uint64_t ts) { return ts > a->info.start_ts ? ts - a->info.start_ts : 0; }

/* ---- text ---- */

static void text_stack(report *R, uint32_t stack_id, const char *indent)
{
    ls_stack st = ls_analysis_stack(R->a, stack_id);
    if (!st.depth) {
        fprintf(R->out, R->a->lost_id_refs ? "%s(no call stack: not recorded, or lost with a damaged dictionary chunk)\n"
                                           : "%s(no call stack recorded)\n", indent);
        return;
    }
    unsigned shown = 0;
    for (uint32_t i = 0; i < st.depth && shown < R->frames; i++) {
        sym_frame fr[MAX_INLINE];
        int n = R->syms ? sym_table_resolve(R->syms, st.frames[i], true, fr, MAX_INLINE) : 0;
        if (n <= 0) {
            fprintf(R->out, "%s0x%llx\n", indent, (unsigned long long)st.frames[i]);
            shown++;
            continue;
        }
        for (int k = 0; k < n && shown < R->frames; k++, shown++) {
            fputs(indent, R->out);
            if (!strcmp(fr[k].function, "??")) { /* no symbol: where it is, as sites.h names it */
                const char *mod = strcmp(fr[k].module, "??") ? strrchr(fr[k].module, '/') : NULL;
                fprintf(R->out, "0x%llx", (unsigned long long)st.frames[i]);
                if (strcmp(fr[k].module, "??")) {
                    fputs(" in ", R->out);
                    cli_text_string(R->out, mod ? mod + 1 : fr[k].module);
                }
                fputc('\n', R->out);
                R->unknown_frames = true;
                continue;
            }
            cli_text_string(R->out, fr[k].function);
            if (fr[k].file) {
                const char *base = strrchr(fr[k].file, '/');
                fputs("  ", R->out);
                cli_text_string(R->out, base ? base + 1 : fr[k].file);
                if (fr[k].line)
                    fprintf(R->out, ":%d", fr[k].line);
            }
            const char *mod = strrchr(fr[k].module, '/');
            fputs("  (", R->out);
            cli_text_string(R->out, mod ? mod + 1 : fr[k].module);
            fputs(fr[k].inlined ? ", inlined)\n" : ")\n", R->out);
        }
    }
    if (shown >= R->frames && st.depth > 1)
        fprintf(R->out, "%s...\n", indent);
}

/* The open failures by kind (EMFILE, ENFILE): how many, the first's time
 * and stack. At most two kinds: out[] has room for both. */
typedef struct failure_group {
    uint32_t kind, count;
    const ls_open_failure *first;
} failure_group;

static uint32_t failure_groups(const ls_analysis *a, failure_group out[2])
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->nopen_failures; i++) {
        const ls_open_failure *f = &a->open_failures[i];
        uint32_t g = 0;
        while (g < n && out[g].kind != f->kind)
            g++;
        if (g == n) {
            if (n == 2)
                continue;
            out[n++] = (failure_group){ f->kind, 0, f };
        }
        out[g].count++;
    }
    return n;
}

/* "EMFILE" of "error/EMFILE". */
static const char *failure_name(const ls_analysis *a, uint32_t kind)
{
    const char *k = ls_analysis_string(a, kind), *slash = strchr(k, '/');
    return slash ? slash + 1 : k;
}

/* The stacks ranked by metric m (ls_stacks_ranked); n 0 on out of memory. */
static uint32_t ranked(report *R, ls_metric m, uint32_t **ids)
{
    int64_t n = ls_stacks_ranked(R->a, m, ids);
    return n > 0 ? (uint32_t)n : 0;
}

static void text_more(report *R, uint32_t n)
{
    if (n > R->top)
        fprintf(R->out, "  ... and %u more %s (--top N)\n", n - R->top, plural(n - R->top, "call site", "call sites"));
}

/* Today's leaks: every block live at the end, by call stack (a trace
 * without a heap snapshot). */
static void text_leaks(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    char b1[64], c1[32];
    if (a->complete && a->leaked_blocks)
        fputs("\nLEAK CLASSES  none: no heap snapshot in this trace (recorded with --no-scan, LEAKSCOPE_SCAN=0 or an\n"
              "              older recorder): every block live at the end is listed as leaked\n", o);
    else if (a->leaked_blocks)
        fputs("\nLEAK CLASSES  none: the recording did not end cleanly, so no heap snapshot was taken: every block\n"
              "              live at the end is listed as leaked (see GROWING for what kept growing)\n", o);
    if (a->nleaks) {
        fprintf(o, "\nLEAKS (largest first)\n");
        for (uint32_t i = 0; i < a->nleaks && i < R->top; i++) {
            const ls_leak *l = &a->leaks[i];
            char site[400];
            fprintf(o, "  %s in %s %s from %s\n", ls_format_bytes(l->bytes, b1, sizeof b1),
                    ls_format_count(l->blocks, c1, sizeof c1), plural(l->blocks, "block", "blocks"),
                    ls_site_name(R->syms, a, l->stack, site, sizeof site));
            text_stack(R, l->stack, "      ");
        }
        if (a->nleaks > R->top)
            fprintf(o, "  ... and %u more %s (--top N)\n", a->nleaks - R->top,
                    plural(a->nleaks - R->top, "call site", "call sites"));
    }
}

/* The classes of the heap snapshot (leakclass.h): the summary, then the
 * leaks by class (real leaks first), the cycles and the globals. */
static void text_classes(report *R)
{
    const ls_analysis *a = R->a;
    const ls_leak_classes *lc = R->lc;
    FILE *o = R->out;
    char b1[64], b2[64], c1[32], site[400], holder[600];
    fputs("\nLEAK CLASSES (heap snapshot '", o);
    cli_text_string(o, lc->label);
    fprintf(o, "' at %s)\n", ls_format_duration(rel(a, lc->ts), b1, sizeof b1));
    static const char *const what[LS_NCLASSES + 1] = {
        [LS_CLASS_LOST] = "no pointer to it anywhere",
        [LS_CLASS_INDIRECT] = "pointed to only from lost blocks",
        [LS_CLASS_CYCLE] = "blocks pointing to one another, nothing else to them",
        [LS_CLASS_POSSIBLE] = "reached only through pointers into their middle",
        [LS_CLASS_REACHABLE] = "still pointed to: by a global, a stack, TLS or mapped memory",
        [LS_CLASS_UNSCANNED] = "allocated after the snapshot",
    };
    for (uint32_t k = 0; k <= LS_CLASS_UNSCANNED; k++) {
        if (k == LS_CLASS_UNSCANNED && !lc->blocks[k])
            continue;
        fprintf(o, "  %-10s %10s in %s %s", ls_class_group_name(k), ls_format_bytes(lc->bytes[k], b1, sizeof b1),
                ls_format_count(lc->blocks[k], c1, sizeof c1), plural(lc->blocks[k], "block", "blocks"));
        if (k == LS_CLASS_CYCLE)
            fprintf(o, " in %u %s", lc->ncycles, plural(lc->ncycles, "cycle", "cycles"));
        fprintf(o, "  (%s)\n", what[k]);
    }
    fprintf(o, "  lost in all %s: lost + indirect + cycle, memory the program can no longer free\n",
            ls_format_bytes(ls_leak_classes_lost_bytes(lc), b1, sizeof b1));
    if (lc->uncertain) {
        fputs("  UNCERTAIN: ", o);
        if (lc->flags & TRACE_HEAP_BLOCKS_INCOMPLETE)
            fputs("the recorder's live set was missing blocks; ", o);
        if (lc->flags & TRACE_HEAP_REFS_INCOMPLETE)
            fputs("the scan stopped adding pointers; ", o);
        if (lc->unreadable)
            fprintf(o, "%s could not be read; ", ls_format_bytes(lc->unreadable, b1, sizeof b1));
        fputs("a block shown lost may be held\n", o);
    }
    if (lc->running_threads)
        fprintf(o, "  %u other %s still running while the heap was scanned: a block one of them held only in a\n"
                   "  register, or had just made, shows as lost\n",
                lc->running_threads, plural(lc->running_threads, "thread was", "threads were"));
    if (lc->ngroups) {
        fputs("\nLEAKS (by class, real leaks first; then largest first)\n", o);
        for (uint32_t i = 0; i < lc->ngroups && i < R->top; i++) {
            const ls_class_group *g = &lc->groups[i];
            fprintf(o, "  %s: %s in %s %s from ", ls_class_group_name(g->cls), ls_format_bytes(g->bytes, b1, sizeof b1),
                    ls_format_count(g->blocks, c1, sizeof c1), plural(g->blocks, "block", "blocks"));
            cli_text_string(o, ls_site_name(R->syms, a, g->stack, site, sizeof site));
            if (g->holder < lc->nholders) {
                fputs(", held by ", o);
                cli_text_string(o, ls_holder_name(a, &lc->holders[g->holder], holder, sizeof holder));
            }
            fputc('\n', o);
            text_stack(R, g->stack, "      ");
        }
        if (lc->ngroups > R->top)
            fprintf(o, "  ... and %u more (--top N)\n", lc->ngroups - R->top);
    }
    if (lc->ncycles) {
        fputs("\nCYCLES (largest first)\n", o);
        for (uint32_t i = 0; i < lc->ncycles && i < R->top; i++) {
            const ls_cycle *cy = &lc->cycles[i];
            fprintf(o, "  %s in %u %s, allocated at:\n", ls_format_bytes(cy->bytes, b1, sizeof b1), cy->members,
                    plural(cy->members, "block", "blocks"));
            /* Stacks that name one site (three calls on one line) are listed once. */
            char shown[10][400];
            uint32_t nshown = 0;
            for (uint32_t k = 0; k < cy->nstacks && nshown < R->top && nshown < 10; k++) {
                ls_site_name(R->syms, a, cy->stacks[k], site, sizeof site);
                bool seen = false;
                for (uint32_t j = 0; j < nshown && !seen; j++)
                    seen = !strcmp(shown[j], site);
                if (seen)
                    continue;
                memcpy(shown[nshown++], site, sizeof site);
                fputs("    ", o);
                cli_text_string(o, site);
                fputc('\n', o);
            }
        }
        if (lc->ncycles > R->top)
            fprintf(o, "  ... and %u more cycles (--top N)\n", lc->ncycles - R->top);
    }
    if (lc->nglobals) {
        fputs("\nHELD BY GLOBALS (what each global alone keeps alive, largest first)\n", o);
        for (uint32_t i = 0; i < lc->nglobals && i < R->top; i++) {
            const ls_holder *h = &lc->holders[lc->globals[i]];
            const char *mod = strrchr(h->module, '/');
            fprintf(o, "  %10s in %s %s  ", ls_format_bytes(h->retained_bytes, b2, sizeof b2),
                    ls_format_count(h->retained_blocks, c1, sizeof c1), plural(h->retained_blocks, "block", "blocks"));
            cli_text_string(o, ls_holder_name(a, h, holder, sizeof holder));
            fputs(" in ", o);
            cli_text_string(o, mod ? mod + 1 : h->module);
            fputc('\n', o);
        }
        if (lc->nglobals > R->top)
            fprintf(o, "  ... and %u more globals (--top N)\n", lc->nglobals - R->top);
    }
}

/* What was live when the heap first reached its peak, by call site. */
static void text_peak(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    char b1[64], b2[64], site[400];
    uint32_t *ids, n = ranked(R, LS_METRIC_PEAK, &ids);
    if (!n)
        return;
    fprintf(o, "\nPEAK (%s live at %s, largest first)\n", ls_format_bytes(a->peak_heap_bytes, b1, sizeof b1),
            ls_format_duration(rel(a, a->peak_heap_ts), b2, sizeof b2));
    for (uint32_t i = 0; i < n && i < R->top; i++) {
        const ls_stack_use *u = &a->stack_use[ids[i]];
        fprintf(o, "  %s in %llu %s from ", ls_format_bytes(u->peak_bytes, b1, sizeof b1),
                (unsigned long long)u->peak_blocks, plural(u->peak_blocks, "block", "blocks"));
        cli_text_string(o, ls_site_name(R->syms, a, ids[i], site, sizeof site));
        fputc('\n', o);
    }
    text_more(R, n);
    free(ids);
}

/* A rate as the report writes it: "+97.7 KiB/s", "+50/s". */
static const char *rate(double per_second, bool bytes, char *buf, size_t len)
{
    char b[64];
    uint64_t v = per_second > 0 && per_second < 1.8e19 ? (uint64_t)(per_second + 0.5) : 0;
    snprintf(buf, len, "+%s/s", bytes ? ls_format_bytes(v, b, sizeof b) : ls_format_count(v, b, sizeof b));
    return buf;
}

/* The growth-trend suspects (growth.h): heap and resource sites that keep
 * growing through the run, and the bytes kept per iteration. */
static void text_growing(report *R)
{
    const ls_analysis *a = R->a;
    const ls_growth *g = R->g;
    FILE *o = R->out;
    char b1[64], b2[64], b3[64], site[400];
    if (!g)
        return;
    fputs("\nGROWING (call sites whose live memory or open handles keep rising through the run, fastest first)\n", o);
    if (!g->nheap && !g->nres)
        fputs("  none: no call site keeps growing\n", o);
    for (uint32_t i = 0; i < g->nheap && i < R->top; i++) {
        const ls_growth_suspect *s = &g->heap[i];
        fprintf(o, "  %s, %s in %s %s live at the end (confidence %.2f) from ", rate(s->per_second, true, b1, sizeof b1),
                ls_format_bytes(s->live_at_end, b2, sizeof b2), ls_format_count(s->blocks_at_end, b3, sizeof b3),
                plural(s->blocks_at_end, "block", "blocks"), s->confidence);
        cli_text_string(o, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        fputc('\n', o);
        text_stack(R, s->stack, "      ");
    }
    if (g->nheap > R->top)
        fprintf(o, "  ... and %u more %s (--top N)\n", g->nheap - R->top, plural(g->nheap - R->top, "call site", "call sites"));
    for (uint32_t i = 0; i < g->nres && i < R->top; i++) {
        const ls_growth_suspect *s = &g->res[i];
        fprintf(o, "  %s ", rate(s->per_second, false, b1, sizeof b1));
        cli_text_string(o, ls_analysis_string(a, s->kind));
        fprintf(o, ", %s open at the end (confidence %.2f), opened at ", ls_format_count(s->live_at_end, b2, sizeof b2),
                s->confidence);
        cli_text_string(o, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        fputc('\n', o);
        text_stack(R, s->stack, "      ");
    }
    if (g->nres > R->top)
        fprintf(o, "  ... and %u more resource %s (--top N)\n", g->nres - R->top, plural(g->nres - R->top, "call site", "call sites"));
    if (R->iteration_mark && !g->iteration_label) {
        fputs("  ITERATIONS: no mark is labelled '", o);
        cli_text_string(o, R->iteration_mark);
        fputs("'\n", o);
        return;
    }
    if (!g->iteration_label)
        return;
    fputs("  ITERATIONS: ", o);
    fprintf(o, "%u marks '", g->iterations);
    cli_text_string(o, ls_analysis_string(a, g->iteration_label));
    fputs("'; bytes kept per iteration, between the first mark and the last\n", o);
    if (!g->iterations_followed)
        fprintf(o, "    not followed: more than %zu values of call sites at marks (name the marks with "
                   "--iteration-mark)\n", LS_GROWTH_LOG_MAX);
    else if (!g->niter)
        fputs("    no call site's live bytes changed between them\n", o);
    for (uint32_t i = 0; i < g->niter && i < R->top; i++) {
        const ls_iteration_site *s = &g->iter[i];
        double d = s->bytes_per_iteration;
        uint64_t v = (uint64_t)((d < 0 ? -d : d) + 0.5);
        fprintf(o, "    %-8s %s%s per iteration (%s at the first, %s at the last) from ", s->growing ? "growing" : "bounded",
                d < 0 ? "-" : "+", ls_format_bytes(v, b1, sizeof b1), ls_format_bytes(s->first_bytes, b2, sizeof b2),
                ls_format_bytes(s->last_bytes, b3, sizeof b3));
        cli_text_string(o, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        fputc('\n', o);
    }
    if (g->niter > R->top)
        fprintf(o, "    ... and %u more %s (--top N)\n", g->niter - R->top, plural(g->niter - R->top, "call site", "call sites"));
}

/* Allocations freed right away (ls_stack_use.temporary), by call site. */
static void text_temporary(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    char b1[64], site[400];
    fprintf(o, "\nTEMPORARY (freed right away, before the thread's next allocation or free)\n");
    fprintf(o, "  %llu temporary %s (%s) of %llu\n", (unsigned long long)a->temporary,
            plural(a->temporary, "allocation", "allocations"), ls_format_bytes(a->temporary_bytes, b1, sizeof b1),
            (unsigned long long)a->allocations);
    uint32_t *ids, n = ranked(R, LS_METRIC_TEMPORARY, &ids);
    for (uint32_t i = 0; i < n && i < R->top; i++) {
        const ls_stack_use *u = &a->stack_use[ids[i]];
        fprintf(o, "  %llu (%s) from ", (unsigned long long)u->temporary,
                ls_format_bytes(u->temporary_bytes, b1, sizeof b1));
        cli_text_string(o, ls_site_name(R->syms, a, ids[i], site, sizeof site));
        fputc('\n', o);
    }
    text_more(R, n);
    free(ids);
}

/* A histogram's edge as the report writes it: bytes or a duration. */
#define edge(kind, v, buf, len) ls_format_hist_edge((int)(kind), v, buf, len)

#define BAR_WIDTH 30

static void text_bar(FILE *o, uint64_t count, uint64_t max)
{
    unsigned w = max ? (unsigned)((count * BAR_WIDTH + max - 1) / max) : 0;
    if (w)
        fputs("  ", o);
    for (unsigned i = 0; i < w; i++)
        fputc('#', o);
}

/* One row of a histogram table: the range from - to (or, with to NULL, a
 * label in its place), count, bytes, bar. */
static void text_hist_row(FILE *o, const char *from, const char *to, uint64_t count, uint64_t bytes, uint64_t max)
{
    char b1[64];
    fputs("  ", o);
    if (to) {
        cli_text_padded(o, from, 10, true);
        fputs(" - ", o);
        cli_text_padded(o, to, 10, false);
    } else {
        cli_text_padded(o, from, 23, false);
    }
    fprintf(o, " %12llu ", (unsigned long long)count);
    cli_text_padded(o, ls_format_bytes(bytes, b1, sizeof b1), 10, true);
    text_bar(o, count, max);
    fputc('\n', o);
}

/* The histogram of `kind` for the whole trace (or the range R->a views) as
 * a bar chart, its buckets from the lowest nonempty one to the highest;
 * lifetimes end with the blocks still live. */
static void text_histogram(report *R, ls_hist_kind kind)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    const ls_hist *h = ls_histograms_get(a->hist, kind, LS_HIST_ALL);
    bool sizes = kind == LS_HIST_SIZES;
    fputs(sizes ? "\nSIZES (allocations by size, from <= size < to)\n"
                : "\nLIFETIMES (blocks by how long they lived, from <= lifetime < to)\n", o);
    unsigned lo, hi;
    if (!ls_hist_range(h, &lo, &hi) && (sizes || !a->leaked_blocks)) {
        fputs(sizes ? "  no allocations recorded\n" : "  no blocks recorded\n", o);
        return;
    }
    uint64_t max = sizes ? 0 : a->leaked_blocks;
    for (unsigned k = lo; h->mask && k <= hi; k++)
        if (ls_hist_get(h, k).count > max)
            max = ls_hist_get(h, k).count;
    fprintf(o, "  %10s   %-10s %12s %10s\n", "from", "to", sizes ? "allocations" : "blocks", "bytes");
    for (unsigned k = lo; h->mask && k <= hi; k++) {
        char f[64], t[64];
        uint64_t to = ls_hist_to(kind, k);
        ls_hist_bucket b = ls_hist_get(h, k);
        text_hist_row(o, edge(kind, ls_hist_from(kind, k), f, sizeof f), edge(kind, to == UINT64_MAX ? to : to + 1, t, sizeof t),
                      b.count, b.bytes, max);
    }
    if (!sizes)
        text_hist_row(o, R->range ? "still live at the range's end" : "still live at the end", NULL, a->leaked_blocks,
                      a->leaked_bytes, max);
    const ls_histograms *hs = a->hist;
    if (sizes && hs && hs->ntop_sizes) {
        fputs("  most frequent:", o);
        for (uint32_t i = 0; i < hs->ntop_sizes; i++) {
            char b1[64];
            fprintf(o, "%s %s x %llu", i ? "," : "", ls_format_bytes(hs->top_sizes[i].size, b1, sizeof b1),
                    (unsigned long long)hs->top_sizes[i].count);
        }
        fputc('\n', o);
    }
}

static void report_text(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    char b1[64], b2[64], b3[64], c1[32], c2[32];

    fputs("Leakscope report: ", o);
    cli_text_string(o, a->path);
    fputc('\n', o);
    fputs("program      ", o);
    cli_text_string(o, a->info.program[0] ? a->info.program : "(unknown)");
    fprintf(o, " (pid %u)\n", a->info.pid);
    time_t t = (time_t)(a->info.start_realtime_ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&t, &tm) && strftime(b1, sizeof b1, "%Y-%m-%d %H:%M:%S UTC", &tm))
        fprintf(o, "recorded     %s\n", b1);
    fprintf(o, "duration     %s, %u %s, %s %s\n", ls_format_duration(ls_analysis_duration(a), b1, sizeof b1),
            a->nthreads, plural(a->nthreads, "thread", "threads"), ls_format_count(a->events, c1, sizeof c1),
            plural(a->events, "event", "events"));
    if (a->truncated)
        fprintf(o, "TRUNCATED    the file stops inside a chunk at byte offset %llu: everything before it was read\n",
                (unsigned long long)a->truncated_at);
    else if (!a->complete)
        fprintf(o, "INCOMPLETE   the recording did not end cleanly (no end marker): data up to the last flush\n");
    if (a->ndamage) {
        fprintf(o, "DAMAGED      %u damaged place%s in the file, %s%llu events lost; the totals below leave them "
                   "out:\n",
                a->damage_places, a->damage_places == 1 ? "" : "s", a->damage_events_unknown ? "at least " : "",
                (unsigned long long)a->damage_events_lost);
        for (uint32_t i = 0; i < a->ndamage; i++) {
            char line[400];
            fputs("  ", o);
            cli_text_string(o, ls_analysis_damage_text(a, i, line, sizeof line));
            fputc('\n', o);
        }
    }
    if (a->lost_id_refs)
        fprintf(o, "LOST IDS     %llu event fields name a call stack or string lost with a damaged dictionary "
                   "chunk: shown as none\n",
                (unsigned long long)a->lost_id_refs);
    if (a->skipped_chunks)
        fprintf(o, "SKIPPED      %u chunks of kinds from a newer format version (or foreign frames), not read\n",
                a->skipped_chunks);
    if (a->lost_events)
        fprintf(o, "LOST EVENTS  %llu events were dropped by the recorder\n", (unsigned long long)a->lost_events);

    fprintf(o, "\nHEAP\n");
    fprintf(o, "  allocations  %s (%s), %s of them reallocs\n", ls_format_count(a->allocations, c1, sizeof c1),
            ls_format_bytes(a->allocated_bytes, b1, sizeof b1), ls_format_count(a->reallocs, c2, sizeof c2));
    fprintf(o, "  frees        %s (%s)\n", ls_format_count(a->frees, c1, sizeof c1),
            ls_format_bytes(a->freed_bytes, b1, sizeof b1));
    fprintf(o, "  peak heap    %s at %s\n", ls_format_bytes(a->peak_heap_bytes, b1, sizeof b1),
            ls_format_duration(rel(a, a->peak_heap_ts), b2, sizeof b2));
    fprintf(o, "  leaked       %s in %s %s from %u %s\n", ls_format_bytes(a->leaked_bytes, b1, sizeof b1),
            ls_format_count(a->leaked_blocks, c1, sizeof c1), plural(a->leaked_blocks, "block", "blocks"), a->nleaks,
            plural(a->nleaks, "call site", "call sites"));

    if (R->lc)
        text_classes(R);
    else
        text_leaks(R);

    text_growing(R);
    text_peak(R);
    text_temporary(R);
    text_histogram(R, LS_HIST_SIZES);
    text_histogram(R, LS_HIST_LIFETIMES);

    fprintf(o, "\nRESOURCES\n");
    if (!a->nres_kinds) {
        fprintf(o, "  none recorded\n");
    } else {
        fprintf(o, "  %-16s %10s %10s %12s\n", "kind", "opened", "closed", "open at end");
        for (uint32_t i = 0; i < a->nres_kinds; i++) {
            const ls_resource_kind *k = &a->res_kinds[i];
            fputs("  ", o);
            cli_text_padded(o, ls_analysis_string(a, k->kind), 16, false);
            fprintf(o, " %10llu %10llu %12llu\n", (unsigned long long)k->opened,
                    (unsigned long long)k->closed, (unsigned long long)k->open_at_end);
        }
        for (uint32_t i = 0; i < a->nopen_res && i < R->top; i++) {
            const ls_open_resource *r = &a->open_res[i];
            fprintf(o, "  %llu x ", (unsigned long long)r->count);
            cli_text_string(o, ls_analysis_string(a, r->kind));
            fputs(" left open, opened at\n", o);
            text_stack(R, r->stack, "      ");
        }
        for (uint32_t i = 0; R->closes && i < a->nclose_sites && i < R->top; i++) {
            const ls_resource_site *r = &a->close_sites[i];
            fprintf(o, "  %llu x ", (unsigned long long)r->count);
            cli_text_string(o, ls_analysis_string(a, r->kind));
            fputs(" closed at\n", o);
            text_stack(R, r->stack, "      ");
        }
        if (R->closes && a->nclose_sites > R->top)
            fprintf(o, "  ... and %u more close %s (--top N)\n", a->nclose_sites - R->top,
                    plural(a->nclose_sites - R->top, "site", "sites"));
    }
    failure_group fails[2];
    uint32_t nfails = failure_groups(a, fails);
    for (uint32_t g = 0; g < nfails; g++) {
        char cnt[32];
        const char *name = failure_name(a, fails[g].kind);
        fprintf(o, "  %s open%s failed with %s (%s), the first at %s, from\n",
                ls_format_count(fails[g].count, cnt, sizeof cnt), fails[g].count == 1 ? "" : "s", name,
                strcmp(name, "ENFILE") == 0 ? "the system's file table is full" : "too many open files",
                ls_format_duration(rel(a, fails[g].first->ts), b1, sizeof b1));
        text_stack(R, fails[g].first->stack, "      ");
    }

    fprintf(o, "\nGC\n");
    if (!a->gc_stats.pauses) {
        fprintf(o, "  no pauses recorded\n");
    } else {
        char b4[64];
        fprintf(o, "  %llu pauses, total %s, max %s, p50 %s, p99 %s\n", (unsigned long long)a->gc_stats.pauses,
                ls_format_duration(a->gc_stats.total_ns, b1, sizeof b1), ls_format_duration(a->gc_stats.max_ns, b2, sizeof b2),
                ls_format_duration(a->gc_stats.p50_ns, b3, sizeof b3), ls_format_duration(a->gc_stats.p99_ns, b4, sizeof b4));
    }

    if (a->nmarks || a->nspan_stats) {
        fprintf(o, "\nMARKS AND SPANS\n");
        for (uint32_t i = 0; i < a->nmarks && i < R->top * 2; i++) {
            fputs("  ", o);
            cli_text_padded(o, ls_format_duration(rel(a, a->marks[i].ts), b1, sizeof b1), 12, true);
            fputs("  mark  ", o);
            cli_text_string(o, ls_analysis_string(a, a->marks[i].label));
            fputc('\n', o);
        }
        if (a->nmarks > R->top * 2)
            fprintf(o, "  ... and %u more marks\n", a->nmarks - R->top * 2);
        if (a->nspan_stats)
            fprintf(o, "  %-24s %10s %12s %12s %12s\n", "span", "count", "total", "mean", "max");
        for (uint32_t i = 0; i < a->nspan_stats && i < R->top; i++) {
            const ls_span_stat *s = &a->span_stats[i];
            char b4[64];
            fputs("  ", o);
            cli_text_padded(o, ls_analysis_string(a, s->label), 24, false);
            fprintf(o, " %10llu ", (unsigned long long)s->count);
            cli_text_padded(o, ls_format_duration(s->total_ns, b1, sizeof b1), 12, true);
            fputc(' ', o);
            cli_text_padded(o, ls_format_duration(s->count ? s->total_ns / s->count : 0, b2, sizeof b2), 12, true);
            fputc(' ', o);
            cli_text_padded(o, ls_format_duration(s->max_ns, b4, sizeof b4), 12, true);
            if (s->open)
                fprintf(o, "  (%llu never ended)", (unsigned long long)s->open);
            fputc('\n', o);
        }
        if (a->nspan_stats > R->top)
            fprintf(o, "  ... and %u more span labels\n", a->nspan_stats - R->top);
    }

    fprintf(o, "\nTHREADS\n");
    for (uint32_t i = 0; i < a->nthreads; i++) {
        const ls_thread *th = &a->threads[i];
        fprintf(o, "  %-8u ", th->tid);
        cli_text_string(o, ls_analysis_string(a, th->name));
        fprintf(o, "  %s %s\n", ls_format_count(th->events, c1, sizeof c1), plural(th->events, "event", "events"));
    }
    fprintf(o, "\nlost events %llu, truncated %s, damaged %s\n", (unsigned long long)a->lost_events,
            a->truncated ? "yes" : "no", ls_analysis_damaged(a) ? "yes" : "no");
    if (R->unknown_frames)
        fputs("\nFrames shown as an address had no symbol: install the module's debug symbols (Debian: its -dbgsym\n"
              "package, or debuginfod) or build it with -g, and report again; nothing needs recording again.\n",
              o);
}

/* ---- JSON ---- */

static void json_str(report *R, const char *s) { cli_json_string(R->out, s, strlen(s)); }

static void json_stack(report *R, uint32_t stack_id) { cli_json_stack(R->out, R->a, R->syms, stack_id); }

static void json_u64_or_null(FILE *o, const char *key, bool known, uint64_t v)
{
    if (known)
        fprintf(o, ",\"%s\":%llu", key, (unsigned long long)v);
    else
        fprintf(o, ",\"%s\":null", key);
}

/* null for a sound trace; else what was lost, and where (README). */
static void json_damage(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    if (!ls_analysis_damaged(a)) {
        fputs("null", o);
        return;
    }
    fprintf(o, "{\"events_lost\":%llu,\"events_lost_exact\":%s,\"lost_id_refs\":%llu,\"places\":[",
            (unsigned long long)a->damage_events_lost, a->damage_events_unknown ? "false" : "true",
            (unsigned long long)a->lost_id_refs);
    for (uint32_t i = 0; i < a->ndamage; i++) {
        const trace_damage *d = &a->damage[i];
        fprintf(o, "%s{\"offset\":%llu,\"end\":%llu,\"problem\":", i ? "," : "", (unsigned long long)d->offset,
                (unsigned long long)d->end);
        json_str(R, d->problem);
        fputs(",\"chunk_kind\":", o);
        json_str(R, d->kind == TRACE_CHUNK_EVENTS ? "events" : d->kind == TRACE_CHUNK_DICT ? "dict"
                    : d->kind == TRACE_CHUNK_END ? "end" : "unknown");
        json_u64_or_null(o, "events_lost", d->events_known, d->events_lost);
        bool times = d->first_ts || d->last_ts;
        json_u64_or_null(o, "first_ns", times, rel(a, d->first_ts));
        json_u64_or_null(o, "last_ns", times && d->last_ts != UINT64_MAX, rel(a, d->last_ts));
        json_u64_or_null(o, "thread", d->thread != 0, d->thread);
        json_u64_or_null(o, "chunks", d->chunks != 0, d->chunks);
        fputc('}', o);
    }
    fputs("]}", o);
}

/* {"count" or "bytes" ..., "site", "stack"} of the --top N stacks of metric m. */
static void json_top(report *R, ls_metric m)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    uint32_t *ids, n = ranked(R, m, &ids);
    fputc('[', o);
    for (uint32_t i = 0; i < n && i < R->top; i++) {
        const ls_stack_use *u = &a->stack_use[ids[i]];
        char site[400];
        if (m == LS_METRIC_PEAK)
            fprintf(o, "%s{\"bytes\":%llu,\"blocks\":%llu", i ? "," : "", (unsigned long long)u->peak_bytes,
                    (unsigned long long)u->peak_blocks);
        else
            fprintf(o, "%s{\"count\":%llu,\"bytes\":%llu", i ? "," : "", (unsigned long long)u->temporary,
                    (unsigned long long)u->temporary_bytes);
        fputs(",\"site\":", o);
        json_str(R, ls_site_name(R->syms, a, ids[i], site, sizeof site));
        fputs(",\"stack\":", o);
        json_stack(R, ids[i]);
        fputc('}', o);
    }
    fputc(']', o);
    free(ids);
}

/* ,"peak":{bytes, ns, top} and ,"temporary":{allocations, bytes, top}, of
 * R->a (the whole trace's, or a range's: see report_range). */
static void json_peak_temporary(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    fprintf(o, ",\"peak\":{\"bytes\":%llu,\"ns\":%llu,\"top\":", (unsigned long long)a->peak_heap_bytes,
            (unsigned long long)rel(a, a->peak_heap_ts));
    json_top(R, LS_METRIC_PEAK);
    fprintf(o, "},\"temporary\":{\"allocations\":%llu,\"bytes\":%llu,\"top\":", (unsigned long long)a->temporary,
            (unsigned long long)a->temporary_bytes);
    json_top(R, LS_METRIC_TEMPORARY);
    fputc('}', o);
}

/* leaks[] with a heap snapshot: one entry per call stack and class, real
 * leaks first, each with its "class" and, when reachable, "held_by". */
static void json_class_groups(report *R)
{
    const ls_analysis *a = R->a;
    const ls_leak_classes *lc = R->lc;
    FILE *o = R->out;
    char site[400], holder[600];
    for (uint32_t i = 0; i < lc->ngroups; i++) {
        const ls_class_group *g = &lc->groups[i];
        fprintf(o, "%s{\"bytes\":%llu,\"blocks\":%llu,\"class\":\"%s\"", i ? "," : "", (unsigned long long)g->bytes,
                (unsigned long long)g->blocks, ls_class_group_name(g->cls));
        if (g->holder < lc->nholders) {
            fputs(",\"held_by\":", o);
            json_str(R, ls_holder_name(a, &lc->holders[g->holder], holder, sizeof holder));
        }
        fputs(",\"site\":", o);
        json_str(R, ls_site_name(R->syms, a, g->stack, site, sizeof site));
        fputs(",\"stack\":", o);
        json_stack(R, g->stack);
        fputc('}', o);
    }
}

/* "leak_classes" (null without a snapshot), "cycles", "held_by_globals" (README). */
static void json_classes(report *R)
{
    const ls_analysis *a = R->a;
    const ls_leak_classes *lc = R->lc;
    FILE *o = R->out;
    char site[400];
    if (!lc) {
        fputs(",\"leak_classes\":null,\"cycles\":[],\"held_by_globals\":[]", o);
        return;
    }
    fputs(",\"leak_classes\":{", o);
    for (uint32_t k = 0; k < LS_NCLASSES; k++) {
        fprintf(o, "%s\"%s\":{\"bytes\":%llu,\"blocks\":%llu", k ? "," : "", ls_class_group_name(k),
                (unsigned long long)lc->bytes[k], (unsigned long long)lc->blocks[k]);
        if (k == LS_CLASS_CYCLE)
            fprintf(o, ",\"cycles\":%u", lc->ncycles);
        fputc('}', o);
    }
    fprintf(o, ",\"unscanned\":{\"bytes\":%llu,\"blocks\":%llu},\"lost_bytes\":%llu,\"uncertain\":%s,"
               "\"snapshot\":{\"label\":",
            (unsigned long long)lc->bytes[LS_CLASS_UNSCANNED], (unsigned long long)lc->blocks[LS_CLASS_UNSCANNED],
            (unsigned long long)ls_leak_classes_lost_bytes(lc), lc->uncertain ? "true" : "false");
    json_str(R, lc->label);
    fprintf(o, ",\"ns\":%llu,\"flags\":%u,\"unreadable\":%llu,\"running_threads\":%u,\"allocator_pointers\":%u}}",
            (unsigned long long)rel(a, lc->ts), lc->flags, (unsigned long long)lc->unreadable, lc->running_threads,
            lc->allocator_pointers);
    fputs(",\"cycles\":[", o);
    for (uint32_t i = 0; i < lc->ncycles; i++) {
        const ls_cycle *cy = &lc->cycles[i];
        fprintf(o, "%s{\"members\":%u,\"bytes\":%llu,\"sites\":[", i ? "," : "", cy->members,
                (unsigned long long)cy->bytes);
        for (uint32_t k = 0; k < cy->nstacks; k++) {
            if (k)
                fputc(',', o);
            json_str(R, ls_site_name(R->syms, a, cy->stacks[k], site, sizeof site));
        }
        fputs("]}", o);
    }
    fputs("],\"held_by_globals\":[", o);
    for (uint32_t i = 0; i < lc->nglobals; i++) {
        const ls_holder *h = &lc->holders[lc->globals[i]];
        fputs(i ? ",{\"global\":" : "{\"global\":", o);
        json_str(R, h->symbol);
        fputs(",\"file\":", o);
        if (h->file)
            json_str(R, h->file);
        else
            fputs("null", o);
        fprintf(o, ",\"line\":%d,\"module\":", h->line);
        json_str(R, h->module);
        fprintf(o, ",\"offset\":%llu,\"bytes\":%llu,\"blocks\":%llu}", (unsigned long long)h->offset,
                (unsigned long long)h->retained_bytes, (unsigned long long)h->retained_blocks);
    }
    fputc(']', o);
}

/* "growth_suspects", "resource_growth_suspects" and "iterations" (README). */
static void json_growth(report *R)
{
    const ls_analysis *a = R->a;
    const ls_growth *g = R->g;
    FILE *o = R->out;
    char site[400];
    fputs(",\"growth_suspects\":[", o);
    for (uint32_t i = 0; g && i < g->nheap; i++) {
        const ls_growth_suspect *s = &g->heap[i];
        fprintf(o, "%s{\"bytes_per_second\":%.0f,\"live_bytes_at_end\":%llu,\"live_blocks_at_end\":%llu,"
                   "\"confidence\":%.3f,\"site\":",
                i ? "," : "", s->per_second, (unsigned long long)s->live_at_end, (unsigned long long)s->blocks_at_end,
                s->confidence);
        json_str(R, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        fputs(",\"stack\":", o);
        json_stack(R, s->stack);
        fputc('}', o);
    }
    fputs("],\"resource_growth_suspects\":[", o);
    for (uint32_t i = 0; g && i < g->nres; i++) {
        const ls_growth_suspect *s = &g->res[i];
        fputs(i ? ",{\"kind\":" : "{\"kind\":", o);
        json_str(R, ls_analysis_string(a, s->kind));
        fprintf(o, ",\"per_second\":%.3f,\"open_at_end\":%llu,\"confidence\":%.3f,\"site\":", s->per_second,
                (unsigned long long)s->live_at_end, s->confidence);
        json_str(R, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        fputs(",\"stack\":", o);
        json_stack(R, s->stack);
        fputc('}', o);
    }
    fputs("],\"iterations\":", o);
    if (!g || !g->iteration_label) {
        fputs("null", o);
        return;
    }
    fputs("{\"label\":", o);
    json_str(R, ls_analysis_string(a, g->iteration_label));
    fprintf(o, ",\"count\":%u,\"followed\":%s,\"sites\":[", g->iterations, g->iterations_followed ? "true" : "false");
    for (uint32_t i = 0; i < g->niter; i++) {
        const ls_iteration_site *s = &g->iter[i];
        fprintf(o, "%s{\"verdict\":\"%s\",\"bytes_per_iteration\":%.0f,\"first_bytes\":%llu,\"last_bytes\":%llu,"
                   "\"confidence\":%.3f,\"site\":",
                i ? "," : "", s->growing ? "growing" : "bounded", s->bytes_per_iteration,
                (unsigned long long)s->first_bytes, (unsigned long long)s->last_bytes, s->confidence);
        json_str(R, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        fputs(",\"stack\":", o);
        json_stack(R, s->stack);
        fputc('}', o);
    }
    fputs("]}", o);
}

/* [{"from", "to", "count", "bytes"}]: the buckets of the whole trace's
 * histogram of `kind` from its lowest nonempty one to its highest (from and
 * to inclusive); lifetimes end with the blocks still live, from and to null. */
static void json_histogram(report *R, ls_hist_kind kind)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    const ls_hist *h = ls_histograms_get(a->hist, kind, LS_HIST_ALL);
    unsigned lo, hi;
    bool any = ls_hist_range(h, &lo, &hi);
    fputc('[', o);
    for (unsigned k = lo; any && k <= hi; k++) {
        ls_hist_bucket b = ls_hist_get(h, k);
        fprintf(o, "%s{\"from\":%llu,\"to\":%llu,\"count\":%llu,\"bytes\":%llu}", k > lo ? "," : "",
                (unsigned long long)ls_hist_from(kind, k), (unsigned long long)ls_hist_to(kind, k),
                (unsigned long long)b.count, (unsigned long long)b.bytes);
    }
    if (kind == LS_HIST_LIFETIMES)
        fprintf(o, "%s{\"from\":null,\"to\":null,\"count\":%llu,\"bytes\":%llu}", any ? "," : "",
                (unsigned long long)a->leaked_blocks, (unsigned long long)a->leaked_bytes);
    fputc(']', o);
}

static void report_json(report *R)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    fputs("{\"file\":", o);
    json_str(R, a->path);
    fputs(",\"program\":", o);
    json_str(R, a->info.program);
    fprintf(o, ",\"pid\":%u,\"start_realtime_ns\":%llu,\"duration_ns\":%llu,\"threads\":%u,\"events\":%llu",
            a->info.pid, (unsigned long long)a->info.start_realtime_ns, (unsigned long long)ls_analysis_duration(a), a->nthreads,
            (unsigned long long)a->events);
    fprintf(o, ",\"allocations\":%llu,\"reallocs\":%llu,\"frees\":%llu,\"allocated_bytes\":%llu,\"freed_bytes\":%llu",
            (unsigned long long)a->allocations, (unsigned long long)a->reallocs, (unsigned long long)a->frees,
            (unsigned long long)a->allocated_bytes, (unsigned long long)a->freed_bytes);
    fprintf(o, ",\"peak_heap_bytes\":%llu,\"peak_heap_ns\":%llu,\"leaked_bytes\":%llu,\"leaked_blocks\":%llu",
            (unsigned long long)a->peak_heap_bytes, (unsigned long long)rel(a, a->peak_heap_ts),
            (unsigned long long)a->leaked_bytes, (unsigned long long)a->leaked_blocks);
    fputs(",\"leaks\":[", o);
    if (R->lc)
        json_class_groups(R);
    for (uint32_t i = 0; !R->lc && i < a->nleaks; i++) {
        char site[400];
        fprintf(o, "%s{\"bytes\":%llu,\"blocks\":%llu,\"site\":", i ? "," : "", (unsigned long long)a->leaks[i].bytes,
                (unsigned long long)a->leaks[i].blocks);
        json_str(R, ls_site_name(R->syms, a, a->leaks[i].stack, site, sizeof site));
        fputs(",\"stack\":", o);
        json_stack(R, a->leaks[i].stack);
        fputc('}', o);
    }
    fputc(']', o);
    json_classes(R);
    json_growth(R);
    fputs(",\"open_resources\":[", o);
    for (uint32_t i = 0; i < a->nopen_res; i++) {
        fputs(i ? ",{\"kind\":" : "{\"kind\":", o);
        json_str(R, ls_analysis_string(a, a->open_res[i].kind));
        fprintf(o, ",\"count\":%llu,\"stack\":", (unsigned long long)a->open_res[i].count);
        json_stack(R, a->open_res[i].stack);
        fputc('}', o);
    }
    if (R->closes) {
        fputs("],\"close_sites\":[", o);
        for (uint32_t i = 0; i < a->nclose_sites; i++) {
            char site[400];
            fputs(i ? ",{\"kind\":" : "{\"kind\":", o);
            json_str(R, ls_analysis_string(a, a->close_sites[i].kind));
            fprintf(o, ",\"count\":%llu,\"site\":", (unsigned long long)a->close_sites[i].count);
            json_str(R, ls_site_name(R->syms, a, a->close_sites[i].stack, site, sizeof site));
            fputs(",\"stack\":", o);
            json_stack(R, a->close_sites[i].stack);
            fputc('}', o);
        }
    }
    fprintf(o, "],\"resources\":{\"opened\":%llu,\"closed\":%llu,\"open_at_end\":%llu,\"kinds\":[",
            (unsigned long long)a->resources_opened, (unsigned long long)a->resources_closed,
            (unsigned long long)a->resources_open_at_end);
    for (uint32_t i = 0; i < a->nres_kinds; i++) {
        const ls_resource_kind *k = &a->res_kinds[i];
        fputs(i ? ",{\"kind\":" : "{\"kind\":", o);
        json_str(R, ls_analysis_string(a, k->kind));
        fprintf(o, ",\"opened\":%llu,\"closed\":%llu,\"open_at_end\":%llu}", (unsigned long long)k->opened,
                (unsigned long long)k->closed, (unsigned long long)k->open_at_end);
    }
    fputs("],\"open_failures\":[", o);
    failure_group fails[2];
    uint32_t nfails = failure_groups(a, fails);
    for (uint32_t g = 0; g < nfails; g++) {
        fputs(g ? ",{\"error\":" : "{\"error\":", o);
        json_str(R, failure_name(a, fails[g].kind));
        fprintf(o, ",\"count\":%u,\"first_ns\":%llu,\"stack\":", fails[g].count,
                (unsigned long long)rel(a, fails[g].first->ts));
        json_stack(R, fails[g].first->stack);
        fputc('}', o);
    }
    fprintf(o, "]},\"gc\":{\"pauses\":%llu,\"total_ns\":%llu,\"max_ns\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu}",
            (unsigned long long)a->gc_stats.pauses, (unsigned long long)a->gc_stats.total_ns,
            (unsigned long long)a->gc_stats.max_ns, (unsigned long long)a->gc_stats.p50_ns,
            (unsigned long long)a->gc_stats.p99_ns);
    json_peak_temporary(R);
    fputs(",\"size_histogram\":", o);
    json_histogram(R, LS_HIST_SIZES);
    fputs(",\"top_sizes\":[", o);
    for (uint32_t i = 0; a->hist && i < a->hist->ntop_sizes; i++) {
        const ls_size_count *t = &a->hist->top_sizes[i];
        fprintf(o, "%s{\"size\":%llu,\"count\":%llu,\"bytes\":%llu}", i ? "," : "", (unsigned long long)t->size,
                (unsigned long long)t->count, (unsigned long long)(t->size * t->count));
    }
    fputs("],\"lifetime_histogram\":", o);
    json_histogram(R, LS_HIST_LIFETIMES);
    fputs(",\"marks\":[", o);
    for (uint32_t i = 0; i < a->nmarks; i++) {
        fprintf(o, "%s{\"time_ns\":%llu,\"thread\":%u,\"label\":", i ? "," : "",
                (unsigned long long)rel(a, a->marks[i].ts), a->marks[i].thread);
        json_str(R, ls_analysis_string(a, a->marks[i].label));
        fputc('}', o);
    }
    fputs("],\"spans\":[", o);
    for (uint32_t i = 0; i < a->nspan_stats; i++) {
        const ls_span_stat *s = &a->span_stats[i];
        fputs(i ? ",{\"label\":" : "{\"label\":", o);
        json_str(R, ls_analysis_string(a, s->label));
        fprintf(o, ",\"count\":%llu,\"open\":%llu,\"total_ns\":%llu,\"max_ns\":%llu}", (unsigned long long)s->count,
                (unsigned long long)s->open, (unsigned long long)s->total_ns, (unsigned long long)s->max_ns);
    }
    fputs("],\"thread_list\":[", o);
    for (uint32_t i = 0; i < a->nthreads; i++) {
        fprintf(o, "%s{\"tid\":%u,\"name\":", i ? "," : "", a->threads[i].tid);
        json_str(R, ls_analysis_string(a, a->threads[i].name));
        fprintf(o, ",\"events\":%llu}", (unsigned long long)a->threads[i].events);
    }
    fprintf(o, "],\"truncated\":%s,\"complete\":%s,\"lost_events\":%llu,\"unmatched_frees\":%llu",
            a->truncated ? "true" : "false", a->complete ? "true" : "false", (unsigned long long)a->lost_events,
            (unsigned long long)a->unmatched_frees);
    if (a->truncated)
        fprintf(o, ",\"truncated_at\":%llu", (unsigned long long)a->truncated_at);
    fprintf(o, ",\"skipped_chunks\":%u,\"damaged\":", a->skipped_chunks);
    json_damage(R);
    fputs("}\n", o);
}

void cli_report_write(const ls_analysis *a, const ls_growth *g, const ls_leak_classes *lc, sym_table *syms, FILE *out,
                      bool json)
{
    report R = { .a = a, .g = g, .lc = lc, .syms = syms, .out = out, .top = 10, .frames = 16 };
    if (json)
        report_json(&R);
    else
        report_text(&R);
}

/* ---- a range: --from/--to; the peak: --at-peak ---- */

static void range_site_json(report *R, const ls_range_site *s, bool *first)
{
    FILE *o = R->out;
    char site[400];
    fprintf(o, "%s{\"allocations\":%llu,\"allocated_bytes\":%llu,\"frees\":%llu,\"freed_bytes\":%llu,"
               "\"live_blocks\":%llu,\"live_bytes\":%llu,\"site\":",
            *first ? "" : ",", (unsigned long long)s->allocations, (unsigned long long)s->allocated_bytes,
            (unsigned long long)s->frees, (unsigned long long)s->freed_bytes, (unsigned long long)s->live_blocks,
            (unsigned long long)s->live_bytes);
    json_str(R, ls_site_name(R->syms, R->a, s->stack, site, sizeof site));
    fputs(",\"stack\":", o);
    json_stack(R, s->stack);
    fputc('}', o);
    *first = false;
}

/* The range as the whole trace's sections read an analysis: its per-stack
 * values (ls_range_stack_use) and totals in a copy of `a` that shares its
 * dictionaries, so that PEAK and TEMPORARY (text and JSON) are written by
 * the same code for both. */
static ls_analysis range_view(const ls_analysis *a, const ls_range *r, ls_stack_use *use)
{
    ls_analysis v = *a;
    v.stack_use = use;
    v.allocations = r->allocations;
    v.temporary = r->temporary;
    v.temporary_bytes = r->temporary_bytes;
    v.peak_heap_bytes = r->peak_bytes;
    v.peak_heap_ts = r->peak_ts;
    v.hist = r->hist; /* SIZES and LIFETIMES: what was made in the range, and the blocks it kept */
    v.leaked_blocks = r->live_blocks;
    v.leaked_bytes = r->live_bytes;
    return v;
}

/* A site of the range's own list: it allocated or freed in the range (the
 * others have only a share of the peak, listed in PEAK). */
static bool range_listed(const ls_range_site *s) { return s->allocations || s->frees; }

/* What [r->t0, r->t1] allocated, freed and kept, by call site; its peak
 * and its temporary allocations. False after the one line when out of
 * memory. */
static bool report_range(report *R, const ls_range *r, bool json)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    char b1[64], b2[64], b3[64];
    ls_stack_use *use = ls_range_stack_use(r, a->nstacks);
    if (!use) {
        cli_error("%s: out of memory", a->path);
        return false;
    }
    ls_analysis view = range_view(a, r, use);
    if (json) {
        fputs("{\"file\":", o);
        json_str(R, a->path);
        fprintf(o, ",\"from_ns\":%llu,\"to_ns\":%llu,\"events\":%llu,\"allocations\":%llu,\"allocated_bytes\":%llu,"
                   "\"frees\":%llu,\"freed_bytes\":%llu,\"live_blocks\":%llu,\"live_bytes\":%llu",
                (unsigned long long)rel(a, r->t0), (unsigned long long)rel(a, r->t1), (unsigned long long)r->events,
                (unsigned long long)r->allocations, (unsigned long long)r->allocated_bytes,
                (unsigned long long)r->frees, (unsigned long long)r->freed_bytes,
                (unsigned long long)r->live_blocks, (unsigned long long)r->live_bytes);
        R->a = &view;
        json_peak_temporary(R);
        fputs(",\"size_histogram\":", o);
        json_histogram(R, LS_HIST_SIZES);
        fputs(",\"lifetime_histogram\":", o);
        json_histogram(R, LS_HIST_LIFETIMES);
        R->a = a;
        fputs(",\"sites\":[", o);
        bool first = true;
        for (uint32_t i = 0; i < r->nsites; i++)
            if (range_listed(&r->sites[i]))
                range_site_json(R, &r->sites[i], &first);
        fputs("]}\n", o);
        free(use);
        return true;
    }
    fputs("Leakscope report: ", o);
    cli_text_string(o, a->path);
    fprintf(o, ", from %s to %s\n", ls_format_duration(rel(a, r->t0), b1, sizeof b1),
            ls_format_duration(rel(a, r->t1), b2, sizeof b2));
    fprintf(o, "events       %llu in the range\n", (unsigned long long)r->events);
    fprintf(o, "allocated    %llu (%s)\n", (unsigned long long)r->allocations,
            ls_format_bytes(r->allocated_bytes, b1, sizeof b1));
    fprintf(o, "freed        %llu (%s)\n", (unsigned long long)r->frees, ls_format_bytes(r->freed_bytes, b1, sizeof b1));
    fprintf(o, "kept         %s in %llu %s: allocated in the range, still live at its end\n",
            ls_format_bytes(r->live_bytes, b1, sizeof b1), (unsigned long long)r->live_blocks,
            plural(r->live_blocks, "block", "blocks"));
    fprintf(o, "peak         %s in %llu %s at %s: the most live within the range, older blocks too\n",
            ls_format_bytes(r->peak_bytes, b1, sizeof b1), (unsigned long long)r->peak_blocks,
            plural(r->peak_blocks, "block", "blocks"), ls_format_duration(rel(a, r->peak_ts), b2, sizeof b2));
    uint32_t listed = 0;
    for (uint32_t i = 0; i < r->nsites; i++) {
        const ls_range_site *s = &r->sites[i];
        if (!range_listed(s) || listed++ >= R->top)
            continue;
        char site[400];
        if (listed == 1)
            fprintf(o, "\nBY CALL SITE (most kept first)\n");
        fprintf(o, "  kept %s in %llu %s; allocated %s in %llu, freed %s in %llu; from %s\n",
                ls_format_bytes(s->live_bytes, b1, sizeof b1), (unsigned long long)s->live_blocks,
                plural(s->live_blocks, "block", "blocks"), ls_format_bytes(s->allocated_bytes, b2, sizeof b2),
                (unsigned long long)s->allocations, ls_format_bytes(s->freed_bytes, b3, sizeof b3),
                (unsigned long long)s->frees, ls_site_name(R->syms, a, s->stack, site, sizeof site));
        text_stack(R, s->stack, "      ");
    }
    if (listed > R->top)
        fprintf(o, "  ... and %u more %s (--top N)\n", listed - R->top, plural(listed - R->top, "call site", "call sites"));
    R->a = &view;
    R->range = true;
    text_peak(R);
    text_temporary(R);
    text_histogram(R, LS_HIST_SIZES);
    text_histogram(R, LS_HIST_LIFETIMES);
    R->range = false;
    R->a = a;
    free(use);
    return true;
}

/* What was live when the heap first reached its peak, by call site. */
static void report_at_peak(report *R, bool json)
{
    const ls_analysis *a = R->a;
    FILE *o = R->out;
    uint32_t *order, n = ranked(R, LS_METRIC_PEAK, &order);
    uint64_t blocks = 0; /* of every stack: a 0-byte block is live too */
    for (uint32_t i = 0; a->stack_use && i < a->nstacks; i++)
        blocks += a->stack_use[i].peak_blocks;
    char b1[64], b2[64], site[400];
    if (json) {
        fputs("{\"file\":", o);
        json_str(R, a->path);
        fprintf(o, ",\"peak_heap_bytes\":%llu,\"peak_heap_ns\":%llu,\"peak_heap_blocks\":%llu,\"sites\":[",
                (unsigned long long)a->peak_heap_bytes, (unsigned long long)rel(a, a->peak_heap_ts),
                (unsigned long long)blocks);
        for (uint32_t i = 0; i < n; i++) {
            const ls_stack_use *u = &a->stack_use[order[i]];
            fprintf(o, "%s{\"bytes\":%llu,\"blocks\":%llu,\"site\":", i ? "," : "", (unsigned long long)u->peak_bytes,
                    (unsigned long long)u->peak_blocks);
            json_str(R, ls_site_name(R->syms, a, order[i], site, sizeof site));
            fputs(",\"stack\":", o);
            json_stack(R, order[i]);
            fputc('}', o);
        }
        fputs("]}\n", o);
    } else {
        fputs("Leakscope report: ", o);
        cli_text_string(o, a->path);
        fprintf(o, ", at the peak\n\nLIVE AT THE PEAK: %s in %llu %s at %s, from %u %s\n",
                ls_format_bytes(a->peak_heap_bytes, b1, sizeof b1), (unsigned long long)blocks,
                plural(blocks, "block", "blocks"), ls_format_duration(rel(a, a->peak_heap_ts), b2, sizeof b2), n,
                plural(n, "call site", "call sites"));
        for (uint32_t i = 0; i < n && i < R->top; i++) {
            const ls_stack_use *u = &a->stack_use[order[i]];
            fprintf(o, "  %s in %llu %s from %s\n", ls_format_bytes(u->peak_bytes, b1, sizeof b1),
                    (unsigned long long)u->peak_blocks, plural(u->peak_blocks, "block", "blocks"),
                    ls_site_name(R->syms, a, order[i], site, sizeof site));
            text_stack(R, order[i], "      ");
        }
        if (n > R->top)
            fprintf(o, "  ... and %u more %s (--top N)\n", n - R->top, plural(n - R->top, "call site", "call sites"));
    }
    free(order);
}

static void report_usage(FILE *f)
{
    fputs("usage: leakscope report [--json] [--top N] [--frames N] [--iteration-mark LABEL] [--closes]\n"
          "                        [--from T] [--to T | --at-peak] FILE\n"
          "  --json      machine-readable output (keys: see README)\n"
          "  --top N     call sites listed per section (default 10; in --json: peak and temporary)\n"
          "  --frames N  frames shown per call stack in the text report (default 16)\n"
          "  --from T, --to T\n"
          "              what the range allocated, freed and kept (still live at its end), by call site;\n"
          "              T is a time after the trace's start: 1.5s, 200ms, 30us, 100ns, 2min\n"
          "  --at-peak   what was live when the heap reached its peak, by call site\n"
          "  --iteration-mark LABEL\n"
          "              the marks (trace_mark) that end an iteration of the program: per call site, the\n"
          "              bytes kept per iteration, growing or bounded (default: the label marked most\n"
          "              often, at least 3 times)\n"
          "  --closes    where the resources were closed: the closes by kind and the call stack that\n"
          "              closed them, most first (traces of format 3 on; in --json: close_sites)\n",
          f);
}

int cli_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "top", required_argument, NULL, 't' },
        { "frames", required_argument, NULL, 'f' },
        { "from", required_argument, NULL, 'F' },
        { "to", required_argument, NULL, 'T' },
        { "at-peak", no_argument, NULL, 'p' },
        { "iteration-mark", required_argument, NULL, 'i' },
        { "closes", no_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false, at_peak = false;
    const char *from = NULL, *to = NULL;
    uint64_t from_ns, to_ns; /* checked here, read by cli_range_load */
    report R = { .out = stdout, .top = 10, .frames = 16 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 't':
            if (!cli_parse_positive(optarg, &R.top)) {
                cli_error("report: --top needs a positive number, not '%s'", optarg);
                return CLI_BAD_INPUT;
            }
            break;
        case 'f':
            if (!cli_parse_positive(optarg, &R.frames)) {
                cli_error("report: --frames needs a positive number, not '%s'", optarg);
                return CLI_BAD_INPUT;
            }
            break;
        case 'F': from = optarg; break;
        case 'T': to = optarg; break;
        case 'p': at_peak = true; break;
        case 'c': R.closes = true; break;
        case 'i':
            if (!*optarg) {
                cli_error("report: --iteration-mark needs a mark's label");
                return CLI_BAD_INPUT;
            }
            R.iteration_mark = optarg;
            break;
        case 'h': report_usage(stdout); return CLI_OK;
        case ':':
            cli_error("report: option '%s' needs a value", argv[optind - 1]);
            return CLI_BAD_INPUT;
        default:
            cli_error("report: unknown option '%s' (see leakscope report --help)", argv[optind - 1]);
            return CLI_BAD_INPUT;
        }
    }
    if (optind != argc - 1) {
        cli_error("report: expected one trace file (see leakscope report --help)");
        return CLI_BAD_INPUT;
    }
    if (at_peak && (from || to)) {
        cli_error("report: --at-peak takes no --from or --to");
        return CLI_BAD_INPUT;
    }
    if ((from || to) && !cli_parse_range("report", from, to, UINT64_MAX, &from_ns, &to_ns))
        return CLI_BAD_INPUT; /* the syntax now, before the trace is read */
    if (R.closes && (at_peak || from || to)) {
        cli_error("report: --closes is for the whole trace's report, not --at-peak, --from or --to");
        return CLI_BAD_INPUT;
    }
    if (R.iteration_mark && (at_peak || from || to)) {
        cli_error("report: --iteration-mark is for the whole trace's report, not --at-peak, --from or --to");
        return CLI_BAD_INPUT;
    }
    ls_analysis *a = NULL;
    ls_growth *g = NULL;
    trace_error err;
    bool whole = !(from || to || at_peak); /* growth and classes are the whole trace's report */
    if (!whole && !(a = cli_load_with_symbols(argv[optind], &R.syms)))
        return CLI_BAD_INPUT;
    if (whole && ls_growth_load_symbols(argv[optind], R.iteration_mark, &a, &g, &R.syms, &err) != TRACE_OK) {
        cli_error("%s: %s", argv[optind], err.message);
        return CLI_BAD_INPUT;
    }
    R.a = a;
    R.g = g;
    ls_leak_classes *lc = NULL;
    if (whole && ls_leak_classes_build(a, R.syms, &lc, &err) != TRACE_OK) {
        cli_error("%s: %s", argv[optind], err.message);
        sym_table_free(R.syms);
        ls_growth_free(g);
        ls_analysis_free(a);
        return CLI_BAD_INPUT;
    }
    R.lc = lc;
    int rc = CLI_OK;
    if (from || to) {
        ls_range *r = NULL;
        if (!cli_range_load("report", a, from, to, &r) || !report_range(&R, r, json))
            rc = CLI_BAD_INPUT;
        ls_range_free(r);
    } else if (at_peak) {
        report_at_peak(&R, json);
    } else if (json) {
        report_json(&R);
    } else {
        report_text(&R);
    }
    ls_leak_classes_free(lc);
    sym_table_free(R.syms);
    ls_growth_free(g);
    ls_analysis_free(a);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("report: cannot write the output");
        return CLI_FAIL;
    }
    return rc;
}
