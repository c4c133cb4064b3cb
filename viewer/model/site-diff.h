/* site-diff.h — what changed between two runs, per call site: allocated
 * bytes, allocations, leaked bytes, bytes live at the peak and temporary
 * allocations, biggest growth first, and the sizes allocated (histogram.h's
 * log2 buckets) in each run. `leakscope diff` prints it; the viewer's
 * Compare panel shows it. Plain C, no printing.
 *
 * A call site is a stack's symbolized key (ls_stack_key: functions and file
 * names, inlined frames included), never its addresses, so that two runs of
 * one program under ASLR meet; the stacks of one trace with one key (two
 * lines of a function) are summed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_SITE_DIFF_H
#define LEAKSCOPE_SITE_DIFF_H

#include "analysis.h"
#include "histogram.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What is compared, per site and in all. */
typedef enum ls_diff_value {
    LS_DIFF_ALLOCATED,
    LS_DIFF_ALLOCATIONS,
    LS_DIFF_LEAKED,
    LS_DIFF_PEAK,
    LS_DIFF_TEMPORARY,
    LS_DIFF_VALUES
} ls_diff_value;

/* "allocated_bytes", "allocations", "leaked_bytes", "peak_bytes",
 * "temporary": the JSON names. */
const char *ls_diff_value_name(ls_diff_value v);
/* True for the values counted in bytes. */
bool ls_diff_value_is_bytes(ls_diff_value v);

/* One run's call sites, summed by key. */
typedef struct ls_diff_site {
    char *key;
    uint32_t stack;            /* one of its stacks, for its name and frames */
    uint64_t v[LS_DIFF_VALUES];
    ls_hist sizes;             /* its allocations' sizes, its stacks' histograms summed (ls_hist_add) */
} ls_diff_site;

typedef struct ls_diff_run {
    const ls_analysis *a;      /* borrowed */
    sym_table *syms;           /* borrowed */
    ls_diff_site *sites;       /* by key (strcmp) */
    uint32_t nsites;
    uint64_t total[LS_DIFF_VALUES];
} ls_diff_run;

typedef struct ls_diff_row {
    int32_t base, new_;        /* index into the run's sites, -1 when the site is not there */
    int64_t d[LS_DIFF_VALUES]; /* new - base */
} ls_diff_row;

typedef struct ls_site_diff {
    ls_diff_run run[2];        /* [0] the base, [1] the new run */
    ls_diff_row *rows;         /* biggest growth first: allocated, then leaked, peak, allocations, temporary */
    uint32_t nrows;
} ls_site_diff;

/* Compares `base` with `new_` (their symbol tables resolve their stacks;
 * both are borrowed and must outlive the result). NULL on out of memory;
 * free with ls_site_diff_free. */
ls_site_diff *ls_site_diff_build(const ls_analysis *base, sym_table *base_syms, const ls_analysis *new_,
                                 sym_table *new_syms);
void ls_site_diff_free(ls_site_diff *d); /* NULL ok */

/* Whether any value of row w changed. */
bool ls_diff_row_changed(const ls_diff_row *w);
/* The run and stack that name row w (the new run's when the site is in it). */
const ls_diff_run *ls_diff_row_run(const ls_site_diff *d, const ls_diff_row *w, uint32_t *stack);

/* The allocation sizes of row w's site in run r (0: the base, 1: the new
 * run), or of the whole run when w is NULL. Never NULL: empty when the
 * site is not in that run. Borrowed from d (or from the run's analysis). */
const ls_hist *ls_diff_sizes(const ls_site_diff *d, const ls_diff_row *w, int r);

/* One size bucket of both runs. */
typedef struct ls_diff_bucket {
    unsigned k;                /* the bucket (LS_HIST_SIZES: ls_hist_from, ls_hist_to) */
    ls_hist_bucket base, new_; /* its allocations and bytes in each run */
} ls_diff_bucket;

/* The size buckets that base or new_ uses, smallest first, into out[]
 * (LS_HIST_SIZE_BUCKETS at most); returns how many. */
unsigned ls_diff_buckets(const ls_hist *base, const ls_hist *new_, ls_diff_bucket out[LS_HIST_SIZE_BUCKETS]);
/* Whether bucket b's allocations or bytes differ between the runs. */
bool ls_diff_bucket_changed(const ls_diff_bucket *b);

#ifdef __cplusplus
}
#endif
#endif
