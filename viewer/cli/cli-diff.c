/* cli-diff.c — `leakscope diff [--json] [--top N] BASE NEW`: what changed
 * between two runs, per call site: allocated bytes, allocations, leaked
 * bytes, bytes live at the peak and temporary allocations, biggest growth
 * first (allocated bytes, then leaked, peak, allocations, temporary).
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
#include "sites.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* What diff compares, per site and in all. */
enum { V_ALLOCATED, V_ALLOCATIONS, V_LEAKED, V_PEAK, V_TEMPORARY, NV };
static const char *const json_names[NV] = { "allocated_bytes", "allocations", "leaked_bytes", "peak_bytes",
                                            "temporary" };
static const bool is_bytes[NV] = { true, false, true, true, false };

typedef struct site {
    char *key;
    uint32_t stack;       /* one of its stacks, for its name and frames */
    uint64_t v[NV];
} site;

typedef struct run {
    const char *path;
    ls_analysis *a;
    sym_table *syms;
    site *sites;
    uint32_t nsites;
    uint64_t total[NV];
} run;

typedef struct row {
    int32_t base, new_;   /* index into the run's sites, -1 when the site is not there */
    int64_t d[NV];        /* new - base */
} row;

static int site_cmp(const void *x, const void *y) { return strcmp(((const site *)x)->key, ((const site *)y)->key); }

static void stack_values(const ls_stack_use *u, uint64_t *v)
{
    v[V_ALLOCATED] = ls_stack_use_value(u, LS_METRIC_ALLOCATED);
    v[V_ALLOCATIONS] = ls_stack_use_value(u, LS_METRIC_ALLOCATIONS);
    v[V_LEAKED] = ls_stack_use_value(u, LS_METRIC_LEAKED);
    v[V_PEAK] = ls_stack_use_value(u, LS_METRIC_PEAK);
    v[V_TEMPORARY] = ls_stack_use_value(u, LS_METRIC_TEMPORARY);
}

/* Loads r->path and sums its stacks by key. CLI_OK, CLI_BAD_INPUT after the
 * one line, CLI_FAIL on out of memory. */
static int load_run(run *r)
{
    if (!(r->a = cli_load(r->path)))
        return CLI_BAD_INPUT;
    const ls_analysis *a = r->a;
    r->total[V_ALLOCATED] = a->allocated_bytes;
    r->total[V_ALLOCATIONS] = a->allocations;
    r->total[V_LEAKED] = a->leaked_bytes;
    r->total[V_PEAK] = a->peak_heap_bytes;
    r->total[V_TEMPORARY] = a->temporary;
    if (!(r->syms = ls_analysis_symbols(a)) || !(r->sites = calloc(a->nstacks ? a->nstacks : 1, sizeof *r->sites)))
        goto nomem;
    for (uint32_t s = 0; a->stack_use && s < a->nstacks; s++) {
        site *st = &r->sites[r->nsites];
        stack_values(&a->stack_use[s], st->v);
        bool any = false;
        for (int k = 0; k < NV; k++)
            any |= st->v[k] != 0;
        if (!any)
            continue;
        if (!(st->key = ls_stack_key(r->syms, a, s)))
            goto nomem;
        st->stack = s;
        r->nsites++;
    }
    qsort(r->sites, r->nsites, sizeof *r->sites, site_cmp);
    uint32_t n = 0; /* one entry per key: the stacks sharing it summed */
    for (uint32_t i = 0; i < r->nsites; i++) {
        if (n && !strcmp(r->sites[n - 1].key, r->sites[i].key)) {
            for (int k = 0; k < NV; k++)
                r->sites[n - 1].v[k] += r->sites[i].v[k];
            free(r->sites[i].key);
            continue;
        }
        r->sites[n++] = r->sites[i];
    }
    r->nsites = n;
    return CLI_OK;
nomem:
    cli_error("%s: out of memory", r->path);
    return CLI_FAIL;
}

static void free_run(run *r)
{
    for (uint32_t i = 0; i < r->nsites; i++)
        free(r->sites[i].key);
    free(r->sites);
    sym_table_free(r->syms);
    ls_analysis_free(r->a);
}

static int row_cmp(const void *x, const void *y, void *runs)
{
    const row *p = x, *q = y;
    static const int order[NV] = { V_ALLOCATED, V_LEAKED, V_PEAK, V_ALLOCATIONS, V_TEMPORARY };
    for (int k = 0; k < NV; k++)
        if (p->d[order[k]] != q->d[order[k]])
            return p->d[order[k]] > q->d[order[k]] ? -1 : 1;
    const run *R = runs;
    const char *kp = p->new_ >= 0 ? R[1].sites[p->new_].key : R[0].sites[p->base].key;
    const char *kq = q->new_ >= 0 ? R[1].sites[q->new_].key : R[0].sites[q->base].key;
    return strcmp(kp, kq);
}

/* The sites of both runs, matched by key, biggest growth first. NULL on out of memory. */
static row *match(run *R, uint32_t *nrows)
{
    row *rows = malloc(((size_t)R[0].nsites + R[1].nsites + 1) * sizeof *rows);
    if (!rows)
        return NULL;
    uint32_t i = 0, j = 0, n = 0;
    while (i < R[0].nsites || j < R[1].nsites) {
        int c = i == R[0].nsites ? 1 : j == R[1].nsites ? -1 : strcmp(R[0].sites[i].key, R[1].sites[j].key);
        row *w = &rows[n++];
        w->base = c <= 0 ? (int32_t)i++ : -1;
        w->new_ = c >= 0 ? (int32_t)j++ : -1;
        for (int k = 0; k < NV; k++)
            w->d[k] = (int64_t)((w->new_ >= 0 ? R[1].sites[w->new_].v[k] : 0) -
                                (w->base >= 0 ? R[0].sites[w->base].v[k] : 0));
    }
    qsort_r(rows, n, sizeof *rows, row_cmp, R);
    *nrows = n;
    return rows;
}

/* "+1.50 KiB", "-500 B", "0 B"; counts "+3", "-1", "0". */
static const char *signed_value(int64_t d, bool bytes, char *buf, size_t len)
{
    uint64_t mag = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    char m[48];
    if (bytes)
        ls_format_bytes(mag, m, sizeof m);
    else
        snprintf(m, sizeof m, "%llu", (unsigned long long)mag);
    snprintf(buf, len, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", m);
    return buf;
}

static bool changed(const row *w)
{
    for (int k = 0; k < NV; k++)
        if (w->d[k])
            return true;
    return false;
}

static void diff_text(run *R, const row *rows, uint32_t nrows, unsigned top, FILE *o)
{
    static const char *const labels[NV] = { "allocated", "allocations", "leaked", "peak heap", "temporary" };
    char b1[64], name[400];
    fputs("Leakscope diff: ", o);
    cli_text_string(o, R[0].path);
    fputs(" -> ", o);
    cli_text_string(o, R[1].path);
    fprintf(o, "\n\n  %-12s %12s %12s %12s\n", "", "base", "new", "change");
    for (int k = 0; k < NV; k++) {
        char v0[48], v1[48];
        if (is_bytes[k]) {
            ls_format_bytes(R[0].total[k], v0, sizeof v0);
            ls_format_bytes(R[1].total[k], v1, sizeof v1);
        } else {
            snprintf(v0, sizeof v0, "%llu", (unsigned long long)R[0].total[k]);
            snprintf(v1, sizeof v1, "%llu", (unsigned long long)R[1].total[k]);
        }
        fprintf(o, "  %-12s ", labels[k]);
        cli_text_padded(o, v0, 12, true);
        fputc(' ', o);
        cli_text_padded(o, v1, 12, true);
        fputc(' ', o);
        cli_text_padded(o, signed_value((int64_t)(R[1].total[k] - R[0].total[k]), is_bytes[k], b1, sizeof b1), 12, true);
        fputc('\n', o);
    }
    uint32_t nchanged = 0;
    for (uint32_t i = 0; i < nrows; i++)
        nchanged += changed(&rows[i]);
    fprintf(o, "\nCALL SITES (biggest growth first: %u of %u %s changed)\n", nchanged, nrows,
            nrows == 1 ? "site" : "sites");
    if (nchanged)
        fprintf(o, "  %11s %11s %11s %11s %11s  %s\n", "allocated", "allocations", "leaked", "peak", "temporary",
                "site");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < nrows && shown < top; i++) {
        const row *w = &rows[i];
        if (!changed(w))
            continue;
        shown++;
        fputs(" ", o);
        for (int k = 0; k < NV; k++) {
            static const int col[NV] = { V_ALLOCATED, V_ALLOCATIONS, V_LEAKED, V_PEAK, V_TEMPORARY };
            fputc(' ', o);
            cli_text_padded(o, signed_value(w->d[col[k]], is_bytes[col[k]], b1, sizeof b1), 11, true);
        }
        const run *r = w->new_ >= 0 ? &R[1] : &R[0];
        uint32_t stack = r->sites[w->new_ >= 0 ? w->new_ : w->base].stack;
        fputs("  ", o);
        cli_text_string(o, ls_site_name(r->syms, r->a, stack, name, sizeof name));
        if (w->base < 0 || w->new_ < 0)
            fputs(w->base < 0 ? "  (new)" : "  (gone)", o);
        fputc('\n', o);
    }
    if (nchanged > shown)
        fprintf(o, "  ... and %u more changed %s (--top N)\n", nchanged - shown,
                nchanged - shown == 1 ? "site" : "sites");
}

static void json_values(FILE *o, const run *r, int32_t i)
{
    if (i < 0) {
        fputs("null", o);
        return;
    }
    for (int k = 0; k < NV; k++)
        fprintf(o, "%s\"%s\":%llu", k ? "," : "{", json_names[k], (unsigned long long)r->sites[i].v[k]);
    fputc('}', o);
}

static void diff_json(run *R, const row *rows, uint32_t nrows, FILE *o)
{
    fputs("{\"base\":", o);
    cli_json_string(o, R[0].path, strlen(R[0].path));
    fputs(",\"new\":", o);
    cli_json_string(o, R[1].path, strlen(R[1].path));
    fputs(",\"totals\":{", o);
    for (int k = 0; k < NV; k++)
        fprintf(o, "%s\"%s_delta\":%lld", k ? "," : "", json_names[k],
                (long long)(int64_t)(R[1].total[k] - R[0].total[k]));
    for (int r = 0; r < 2; r++) {
        fprintf(o, ",\"%s\":{", r ? "new" : "base");
        for (int k = 0; k < NV; k++)
            fprintf(o, "%s\"%s\":%llu", k ? "," : "", json_names[k], (unsigned long long)R[r].total[k]);
        fputc('}', o);
    }
    fputs("},\"sites\":[", o);
    for (uint32_t i = 0; i < nrows; i++) {
        const row *w = &rows[i];
        const run *r = w->new_ >= 0 ? &R[1] : &R[0];
        uint32_t stack = r->sites[w->new_ >= 0 ? w->new_ : w->base].stack;
        char name[400];
        fputs(i ? ",{\"site\":" : "{\"site\":", o);
        ls_site_name(r->syms, r->a, stack, name, sizeof name);
        cli_json_string(o, name, strlen(name));
        fputs(",\"stack\":", o);
        cli_json_stack(o, r->a, r->syms, stack);
        for (int k = 0; k < NV; k++)
            fprintf(o, ",\"%s_delta\":%lld", json_names[k], (long long)w->d[k]);
        fputs(",\"base_values\":", o);
        json_values(o, &R[0], w->base);
        fputs(",\"new_values\":", o);
        json_values(o, &R[1], w->new_);
        fputc('}', o);
    }
    fputs("]}\n", o);
}

static void diff_usage(FILE *f)
{
    fputs("usage: leakscope diff [--json] [--top N] BASE NEW\n"
          "  per call site (matched by function and file, not address), the change from BASE to NEW in\n"
          "  allocated bytes, allocations, leaked bytes, bytes live at the peak, temporary allocations\n"
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
    uint32_t nrows = 0;
    row *rows = rc == CLI_OK ? match(R, &nrows) : NULL;
    if (rc == CLI_OK && !rows) {
        cli_error("diff: out of memory");
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        for (int r = 0; r < 2; r++)
            cli_warn_damaged(R[r].path, R[r].a);
        if (json)
            diff_json(R, rows, nrows, stdout);
        else
            diff_text(R, rows, nrows, top, stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("diff: cannot write the output");
            rc = CLI_FAIL;
        }
    }
    free(rows);
    free_run(&R[0]);
    free_run(&R[1]);
    return rc;
}
