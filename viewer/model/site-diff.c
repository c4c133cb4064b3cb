/* site-diff.c — see site-diff.h.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* qsort_r */
#include "site-diff.h"
#include "calltree.h"
#include "sites.h"

#include <stdlib.h>
#include <string.h>

static const char *const value_names[LS_DIFF_VALUES] = { "allocated_bytes", "allocations", "leaked_bytes",
                                                         "peak_bytes", "temporary" };
static const bool value_bytes[LS_DIFF_VALUES] = { true, false, true, true, false };

const char *ls_diff_value_name(ls_diff_value v) { return (unsigned)v < LS_DIFF_VALUES ? value_names[v] : "?"; }

bool ls_diff_value_is_bytes(ls_diff_value v) { return (unsigned)v < LS_DIFF_VALUES && value_bytes[v]; }

static int site_cmp(const void *x, const void *y)
{
    return strcmp(((const ls_diff_site *)x)->key, ((const ls_diff_site *)y)->key);
}

static void stack_values(const ls_stack_use *u, uint64_t *v)
{
    v[LS_DIFF_ALLOCATED] = ls_stack_use_value(u, LS_METRIC_ALLOCATED);
    v[LS_DIFF_ALLOCATIONS] = ls_stack_use_value(u, LS_METRIC_ALLOCATIONS);
    v[LS_DIFF_LEAKED] = ls_stack_use_value(u, LS_METRIC_LEAKED);
    v[LS_DIFF_PEAK] = ls_stack_use_value(u, LS_METRIC_PEAK);
    v[LS_DIFF_TEMPORARY] = ls_stack_use_value(u, LS_METRIC_TEMPORARY);
}

/* r's sites summed by key. False on out of memory. */
static bool run_sites(ls_diff_run *r)
{
    const ls_analysis *a = r->a;
    r->total[LS_DIFF_ALLOCATED] = a->allocated_bytes;
    r->total[LS_DIFF_ALLOCATIONS] = a->allocations;
    r->total[LS_DIFF_LEAKED] = a->leaked_bytes;
    r->total[LS_DIFF_PEAK] = a->peak_heap_bytes;
    r->total[LS_DIFF_TEMPORARY] = a->temporary;
    if (!(r->sites = calloc(a->nstacks ? a->nstacks : 1, sizeof *r->sites)))
        return false;
    for (uint32_t s = 0; a->stack_use && s < a->nstacks; s++) {
        ls_diff_site *st = &r->sites[r->nsites];
        stack_values(&a->stack_use[s], st->v);
        bool any = false;
        for (int k = 0; k < LS_DIFF_VALUES; k++)
            any |= st->v[k] != 0;
        if (!any)
            continue;
        if (!(st->key = ls_stack_key(r->syms, a, s)))
            return false;
        st->stack = s;
        r->nsites++;
        if (!ls_hist_add(&st->sizes, ls_histograms_get(a->hist, LS_HIST_SIZES, s)))
            return false;
    }
    qsort(r->sites, r->nsites, sizeof *r->sites, site_cmp);
    uint32_t n = 0; /* one entry per key: the stacks sharing it summed */
    bool ok = true;
    for (uint32_t i = 0; i < r->nsites; i++) {
        if (ok && n && !strcmp(r->sites[n - 1].key, r->sites[i].key)) {
            for (int k = 0; k < LS_DIFF_VALUES; k++)
                r->sites[n - 1].v[k] += r->sites[i].v[k];
            if ((ok = ls_hist_add(&r->sites[n - 1].sizes, &r->sites[i].sizes))) {
                ls_hist_clear(&r->sites[i].sizes);
                free(r->sites[i].key);
                continue;
            }
        }
        r->sites[n++] = r->sites[i]; /* after a failure, every entry kept as it is, to be freed */
    }
    r->nsites = n;
    return ok;
}

static int row_cmp(const void *x, const void *y, void *runs)
{
    const ls_diff_row *p = x, *q = y;
    static const int order[LS_DIFF_VALUES] = { LS_DIFF_ALLOCATED, LS_DIFF_LEAKED, LS_DIFF_PEAK, LS_DIFF_ALLOCATIONS,
                                               LS_DIFF_TEMPORARY };
    for (int k = 0; k < LS_DIFF_VALUES; k++)
        if (p->d[order[k]] != q->d[order[k]])
            return p->d[order[k]] > q->d[order[k]] ? -1 : 1;
    const ls_diff_run *R = runs;
    const char *kp = p->new_ >= 0 ? R[1].sites[p->new_].key : R[0].sites[p->base].key;
    const char *kq = q->new_ >= 0 ? R[1].sites[q->new_].key : R[0].sites[q->base].key;
    return strcmp(kp, kq);
}

/* The sites of both runs, matched by key, biggest growth first. */
static bool match(ls_site_diff *d)
{
    ls_diff_run *R = d->run;
    ls_diff_row *rows = malloc(((size_t)R[0].nsites + R[1].nsites + 1) * sizeof *rows);
    if (!rows)
        return false;
    uint32_t i = 0, j = 0, n = 0;
    while (i < R[0].nsites || j < R[1].nsites) {
        int c = i == R[0].nsites ? 1 : j == R[1].nsites ? -1 : strcmp(R[0].sites[i].key, R[1].sites[j].key);
        ls_diff_row *w = &rows[n++];
        w->base = c <= 0 ? (int32_t)i++ : -1;
        w->new_ = c >= 0 ? (int32_t)j++ : -1;
        for (int k = 0; k < LS_DIFF_VALUES; k++)
            w->d[k] = (int64_t)((w->new_ >= 0 ? R[1].sites[w->new_].v[k] : 0) -
                                (w->base >= 0 ? R[0].sites[w->base].v[k] : 0));
    }
    qsort_r(rows, n, sizeof *rows, row_cmp, R);
    d->rows = rows;
    d->nrows = n;
    return true;
}

ls_site_diff *ls_site_diff_build(const ls_analysis *base, sym_table *base_syms, const ls_analysis *new_,
                                 sym_table *new_syms)
{
    ls_site_diff *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->run[0] = (ls_diff_run){ .a = base, .syms = base_syms };
    d->run[1] = (ls_diff_run){ .a = new_, .syms = new_syms };
    if (!run_sites(&d->run[0]) || !run_sites(&d->run[1]) || !match(d)) {
        ls_site_diff_free(d);
        return NULL;
    }
    return d;
}

void ls_site_diff_free(ls_site_diff *d)
{
    if (!d)
        return;
    for (int r = 0; r < 2; r++) {
        for (uint32_t i = 0; i < d->run[r].nsites; i++) {
            free(d->run[r].sites[i].key);
            ls_hist_clear(&d->run[r].sites[i].sizes);
        }
        free(d->run[r].sites);
    }
    free(d->rows);
    free(d);
}

bool ls_diff_row_changed(const ls_diff_row *w)
{
    for (int k = 0; k < LS_DIFF_VALUES; k++)
        if (w->d[k])
            return true;
    return false;
}

const ls_diff_run *ls_diff_row_run(const ls_site_diff *d, const ls_diff_row *w, uint32_t *stack)
{
    const ls_diff_run *r = w->new_ >= 0 ? &d->run[1] : &d->run[0];
    *stack = r->sites[w->new_ >= 0 ? w->new_ : w->base].stack;
    return r;
}

const ls_hist *ls_diff_sizes(const ls_site_diff *d, const ls_diff_row *w, int r)
{
    static const ls_hist empty;
    const ls_diff_run *run = &d->run[r ? 1 : 0];
    if (!w)
        return ls_histograms_get(run->a->hist, LS_HIST_SIZES, LS_HIST_ALL);
    int32_t i = r ? w->new_ : w->base;
    return i >= 0 ? &run->sites[i].sizes : &empty;
}

unsigned ls_diff_buckets(const ls_hist *base, const ls_hist *new_, ls_diff_bucket out[LS_HIST_SIZE_BUCKETS])
{
    unsigned n = 0;
    for (uint64_t m = base->mask | new_->mask; m && n < LS_HIST_SIZE_BUCKETS; m &= m - 1) {
        unsigned k = (unsigned)__builtin_ctzll(m);
        out[n++] = (ls_diff_bucket){ k, ls_hist_get(base, k), ls_hist_get(new_, k) };
    }
    return n;
}

bool ls_diff_bucket_changed(const ls_diff_bucket *b)
{
    return b->base.count != b->new_.count || b->base.bytes != b->new_.bytes;
}
