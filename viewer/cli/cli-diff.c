/* cli-diff.c — `leakscope diff [--json] [--top N] BASE NEW`: what changed
 * between two runs, per call site: allocated bytes, allocations, leaked
 * bytes, bytes live at the peak and temporary allocations, biggest growth
 * first (allocated bytes, then leaked, peak, allocations, temporary), and
 * which size buckets (histogram.h) changed.
 *
 * A call site is a stack's symbolized key (ls_stack_key: functions and file
 * names, inlined frames included), never its addresses, so that two runs of
 * one program under ASLR meet; the stacks of one trace with one key (two
 * lines of a function) are summed.
 *
 * Exit: 0 written, 1 the output could not be written or out of memory,
 * 2 bad usage or an unreadable or corrupt trace.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* qsort_r */
#include "cli.h"
#include "site-diff.h"
#include "sites.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The comparison is the model's (site-diff.h); this file prints it. */
enum { NV = LS_DIFF_VALUES };

typedef struct run {
    const char *path;
    ls_analysis *a;
    sym_table *syms;
} run;

/* Loads r->path. CLI_OK, CLI_BAD_INPUT after the one line, CLI_FAIL on out of memory. */
static int load_run(run *r)
{
    if (!(r->a = cli_load(r->path)))
        return CLI_BAD_INPUT;
    if (!(r->syms = ls_analysis_symbols(r->a))) {
        cli_error("%s: out of memory", r->path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void free_run(run *r)
{
    sym_table_free(r->syms);
    ls_analysis_free(r->a);
}

#define signed_value(d, bytes, buf, len) ls_format_signed(d, bytes, buf, len)

#define SIZES_SHOWN 8 /* changed buckets on a site's sizes line */

/* "    sizes: 32 B–64 B +2, 64 B–128 B +5": the buckets whose allocations
 * changed (the change in allocations; in bytes when only those changed),
 * the SIZES_SHOWN that changed most in bytes, smallest size first. Nothing
 * when none changed. */
static void text_sizes(FILE *o, const char *indent, const ls_hist *base, const ls_hist *new_)
{
    ls_diff_bucket b[LS_HIST_SIZE_BUCKETS];
    unsigned n = ls_diff_buckets(base, new_, b), nchanged = 0;
    for (unsigned i = 0; i < n; i++)
        if (ls_diff_bucket_changed(&b[i]))
            b[nchanged++] = b[i];
    if (!nchanged)
        return;
    bool shown[LS_HIST_SIZE_BUCKETS] = { false };
    for (unsigned s = 0; s < SIZES_SHOWN && s < nchanged; s++) {
        unsigned best = UINT32_MAX;
        uint64_t best_mag = 0;
        for (unsigned i = 0; i < nchanged; i++) {
            int64_t d = (int64_t)(b[i].new_.bytes - b[i].base.bytes);
            uint64_t mag = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
            if (!shown[i] && (best == UINT32_MAX || mag > best_mag))
                best = i, best_mag = mag;
        }
        shown[best] = true;
    }
    fprintf(o, "%ssizes:", indent);
    const char *sep = " ";
    for (unsigned i = 0; i < nchanged; i++) {
        if (!shown[i])
            continue;
        char span[64], d[48];
        int64_t dc = (int64_t)(b[i].new_.count - b[i].base.count);
        fputs(sep, o);
        fputs(ls_format_hist_span(LS_HIST_SIZES, b[i].k, span, sizeof span), o);
        fputc(' ', o);
        fputs(dc ? signed_value(dc, false, d, sizeof d)
                 : signed_value((int64_t)(b[i].new_.bytes - b[i].base.bytes), true, d, sizeof d),
              o);
        sep = ", ";
    }
    if (nchanged > SIZES_SHOWN)
        fprintf(o, " (and %u more buckets)", nchanged - SIZES_SHOWN);
    fputc('\n', o);
}

static void diff_text(const run *R, const ls_site_diff *D, unsigned top, FILE *o)
{
    const ls_diff_row *rows = D->rows;
    uint32_t nrows = D->nrows;
    static const char *const labels[NV] = { "allocated", "allocations", "leaked", "peak heap", "temporary" };
    char b1[64], name[400];
    fputs("Leakscope diff: ", o);
    cli_text_string(o, R[0].path);
    fputs(" -> ", o);
    cli_text_string(o, R[1].path);
    fprintf(o, "\n\n  %-12s %12s %12s %12s\n", "", "base", "new", "change");
    for (int k = 0; k < NV; k++) {
        char v0[48], v1[48];
        const uint64_t *t0 = D->run[0].total, *t1 = D->run[1].total;
        if (ls_diff_value_is_bytes((ls_diff_value)k)) {
            ls_format_bytes(t0[k], v0, sizeof v0);
            ls_format_bytes(t1[k], v1, sizeof v1);
        } else {
            snprintf(v0, sizeof v0, "%llu", (unsigned long long)t0[k]);
            snprintf(v1, sizeof v1, "%llu", (unsigned long long)t1[k]);
        }
        fprintf(o, "  %-12s ", labels[k]);
        cli_text_padded(o, v0, 12, true);
        fputc(' ', o);
        cli_text_padded(o, v1, 12, true);
        fputc(' ', o);
        cli_text_padded(o, signed_value((int64_t)(t1[k] - t0[k]), ls_diff_value_is_bytes((ls_diff_value)k), b1, sizeof b1),
                        12, true);
        fputc('\n', o);
    }
    text_sizes(o, "  ", ls_diff_sizes(D, NULL, 0), ls_diff_sizes(D, NULL, 1));
    uint32_t nchanged = 0;
    for (uint32_t i = 0; i < nrows; i++)
        nchanged += ls_diff_row_changed(&rows[i]);
    fprintf(o, "\nCALL SITES (biggest growth first: %u of %u %s changed)\n", nchanged, nrows,
            nrows == 1 ? "site" : "sites");
    if (nchanged)
        fprintf(o, "  %11s %11s %11s %11s %11s  %s\n", "allocated", "allocations", "leaked", "peak", "temporary",
                "site");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < nrows && shown < top; i++) {
        const ls_diff_row *w = &rows[i];
        if (!ls_diff_row_changed(w))
            continue;
        shown++;
        fputs(" ", o);
        for (int k = 0; k < NV; k++) {
            fputc(' ', o);
            cli_text_padded(o, signed_value(w->d[k], ls_diff_value_is_bytes((ls_diff_value)k), b1, sizeof b1), 11, true);
        }
        uint32_t stack;
        const ls_diff_run *r = ls_diff_row_run(D, w, &stack);
        fputs("  ", o);
        cli_text_string(o, ls_site_name(r->syms, r->a, stack, name, sizeof name));
        if (w->base < 0 || w->new_ < 0)
            fputs(w->base < 0 ? "  (new)" : "  (gone)", o);
        fputc('\n', o);
        text_sizes(o, "      ", ls_diff_sizes(D, w, 0), ls_diff_sizes(D, w, 1));
    }
    if (nchanged > shown)
        fprintf(o, "  ... and %u more changed %s (--top N)\n", nchanged - shown,
                nchanged - shown == 1 ? "site" : "sites");
}

static void json_values(FILE *o, const ls_diff_run *r, int32_t i)
{
    if (i < 0) {
        fputs("null", o);
        return;
    }
    for (int k = 0; k < NV; k++)
        fprintf(o, "%s\"%s\":%llu", k ? "," : "{", ls_diff_value_name((ls_diff_value)k),
                (unsigned long long)r->sites[i].v[k]);
    fputc('}', o);
}

/* [{"from", "to", "base_count", "base_bytes", "new_count", "new_bytes"}]:
 * the size buckets either run used, smallest first (from and to inclusive,
 * as report --json's size_histogram). */
static void json_buckets(FILE *o, const ls_hist *base, const ls_hist *new_)
{
    ls_diff_bucket b[LS_HIST_SIZE_BUCKETS];
    unsigned n = ls_diff_buckets(base, new_, b);
    fputc('[', o);
    for (unsigned i = 0; i < n; i++)
        fprintf(o, "%s{\"from\":%llu,\"to\":%llu,\"base_count\":%llu,\"base_bytes\":%llu,\"new_count\":%llu,"
                   "\"new_bytes\":%llu}",
                i ? "," : "", (unsigned long long)ls_hist_from(LS_HIST_SIZES, b[i].k),
                (unsigned long long)ls_hist_to(LS_HIST_SIZES, b[i].k), (unsigned long long)b[i].base.count,
                (unsigned long long)b[i].base.bytes, (unsigned long long)b[i].new_.count,
                (unsigned long long)b[i].new_.bytes);
    fputc(']', o);
}

static void diff_json(const run *R, const ls_site_diff *D, FILE *o)
{
    const ls_diff_row *rows = D->rows;
    uint32_t nrows = D->nrows;
    fputs("{\"base\":", o);
    cli_json_string(o, R[0].path, strlen(R[0].path));
    fputs(",\"new\":", o);
    cli_json_string(o, R[1].path, strlen(R[1].path));
    fputs(",\"totals\":{", o);
    for (int k = 0; k < NV; k++)
        fprintf(o, "%s\"%s_delta\":%lld", k ? "," : "", ls_diff_value_name((ls_diff_value)k),
                (long long)(int64_t)(D->run[1].total[k] - D->run[0].total[k]));
    for (int r = 0; r < 2; r++) {
        fprintf(o, ",\"%s\":{", r ? "new" : "base");
        for (int k = 0; k < NV; k++)
            fprintf(o, "%s\"%s\":%llu", k ? "," : "", ls_diff_value_name((ls_diff_value)k),
                    (unsigned long long)D->run[r].total[k]);
        fputc('}', o);
    }
    fputs(",\"size_buckets\":", o);
    json_buckets(o, ls_diff_sizes(D, NULL, 0), ls_diff_sizes(D, NULL, 1));
    fputs("},\"sites\":[", o);
    for (uint32_t i = 0; i < nrows; i++) {
        const ls_diff_row *w = &rows[i];
        uint32_t stack;
        const ls_diff_run *r = ls_diff_row_run(D, w, &stack);
        char name[400];
        fputs(i ? ",{\"site\":" : "{\"site\":", o);
        ls_site_name(r->syms, r->a, stack, name, sizeof name);
        cli_json_string(o, name, strlen(name));
        fputs(",\"stack\":", o);
        cli_json_stack(o, r->a, r->syms, stack);
        for (int k = 0; k < NV; k++)
            fprintf(o, ",\"%s_delta\":%lld", ls_diff_value_name((ls_diff_value)k), (long long)w->d[k]);
        fputs(",\"base_values\":", o);
        json_values(o, &D->run[0], w->base);
        fputs(",\"new_values\":", o);
        json_values(o, &D->run[1], w->new_);
        fputs(",\"size_buckets\":", o);
        json_buckets(o, ls_diff_sizes(D, w, 0), ls_diff_sizes(D, w, 1));
        fputc('}', o);
    }
    fputs("]}\n", o);
}

static void diff_usage(FILE *f)
{
    fputs("usage: leakscope diff [--json] [--top N] BASE NEW\n"
          "  per call site (matched by function and file, not address), the change from BASE to NEW in\n"
          "  allocated bytes, allocations, leaked bytes, bytes live at the peak, temporary allocations,\n"
          "  and which allocation sizes (power-of-two buckets) changed\n"
          "  --json   machine-readable output (keys: see README)\n"
          "  --top N  changed call sites listed in the text (default 10)\n",
          f);
}

int cli_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "top", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false;
    unsigned top = 10;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 't':
            if (!cli_parse_positive(optarg, &top)) {
                cli_error("diff: --top needs a positive number, not '%s'", optarg);
                return CLI_BAD_INPUT;
            }
            break;
        case 'h': diff_usage(stdout); return CLI_OK;
        default:
            cli_error("diff: unknown option '%s' (see leakscope diff --help)", argv[optind - 1]);
            return CLI_BAD_INPUT;
        }
    }
    if (optind != argc - 2) {
        cli_error("diff: expected two trace files, BASE and NEW (see leakscope diff --help)");
        return CLI_BAD_INPUT;
    }
    run R[2] = { { .path = argv[optind] }, { .path = argv[optind + 1] } };
    int rc = load_run(&R[0]);
    if (rc == CLI_OK)
        rc = load_run(&R[1]);
    ls_site_diff *D = rc == CLI_OK ? ls_site_diff_build(R[0].a, R[0].syms, R[1].a, R[1].syms) : NULL;
    if (rc == CLI_OK && !D) {
        cli_error("diff: out of memory");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        for (int r = 0; r < 2; r++)
            cli_warn_damaged(R[r].path, R[r].a);
        if (json)
            diff_json(R, D, stdout);
        else
            diff_text(R, D, top, stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("diff: cannot write the output");
            rc = CLI_FAIL;
        }
    }
    ls_site_diff_free(D);
    free_run(&R[0]);
    free_run(&R[1]);
    return rc;
}
