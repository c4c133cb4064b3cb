/* histogram.h — why the heap grows, in two histograms: the sizes of the
 * allocations and how long their blocks lived, for the whole trace and per
 * call stack, kept by the analysis in its one pass (ls_analysis.hist).
 * Plain C, no printing.
 *
 * Buckets are powers of two, each holding from <= value <= to (both
 * inclusive, so the last one's `to` is UINT64_MAX and fits in 64 bits):
 *   sizes      bucket 0: 0 and 1 byte; bucket k >= 1: [2^k, 2^(k+1)) bytes
 *              (1000 bytes are in bucket 9, 512..1023). A realloc counts its
 *              new size.
 *   lifetimes  bucket 0: under 1 µs; bucket k >= 1: [2^(k-1), 2^k) µs
 *              (1000 << (k-1) ns up to (1000 << k) - 1 ns). A block's
 *              lifetime runs from its allocation to its free (a realloc's
 *              release of its old block included); a block whose free was
 *              not recorded ends where its address is allocated again.
 *              Blocks still live at the end are not in it: they are the
 *              leaks (ls_analysis.leaked_*, ls_stack_use.live_*), so the
 *              counts of the lifetimes plus the blocks still live are the
 *              allocations.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_HISTOGRAM_H
#define LEAKSCOPE_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ls_hist_kind {
    LS_HIST_SIZES,
    LS_HIST_LIFETIMES,
} ls_hist_kind;

#define LS_HIST_SIZE_BUCKETS 64
#define LS_HIST_LIFETIME_BUCKETS 56
#define LS_HIST_MAX_BUCKETS 64
#define LS_HIST_TOP_SIZES 10

typedef struct ls_hist_bucket {
    uint64_t count, bytes;
} ls_hist_bucket;

/* A histogram that stores only its nonempty buckets: bucket k is there
 * when bit k of mask is set, at b[popcount(mask & ((1 << k) - 1))]. */
typedef struct ls_hist {
    uint64_t mask;
    ls_hist_bucket *b;
} ls_hist;

/* An exact allocation size and how many allocations had it. */
typedef struct ls_size_count {
    uint64_t size, count;
} ls_size_count;

typedef struct ls_hist_build ls_hist_build; /* histogram.c's, while the analysis runs */

typedef struct ls_histograms {
    ls_hist sizes, lifetimes;               /* the whole trace */
    ls_hist *stack_sizes, *stack_lifetimes; /* per stack id (nstacks entries); unknown ids count as 0 */
    uint32_t nstacks;
    ls_size_count top_sizes[LS_HIST_TOP_SIZES]; /* the most frequent exact sizes: by count, then size, */
    uint32_t ntop_sizes;                        /* descending count, ascending size */
    ls_hist_build *build;
} ls_histograms;

/* How many buckets a histogram of `kind` has. */
unsigned ls_hist_buckets(ls_hist_kind kind);
/* The edges of bucket k of `kind`: from <= value <= to. k below ls_hist_buckets. */
uint64_t ls_hist_from(ls_hist_kind kind, unsigned k);
uint64_t ls_hist_to(ls_hist_kind kind, unsigned k);
/* The bucket of `kind` that `value` (bytes or ns) falls in. */
unsigned ls_hist_bucket_of(ls_hist_kind kind, uint64_t value);

/* Bucket k of h: zeros when empty (or past the last). */
ls_hist_bucket ls_hist_get(const ls_hist *h, unsigned k);
/* The lowest and highest nonempty bucket of h: false when h is empty. */
bool ls_hist_range(const ls_hist *h, unsigned *lo, unsigned *hi);
/* The total of every bucket of h. */
ls_hist_bucket ls_hist_total(const ls_hist *h);
/* Adds every bucket of h to `into` (the same kind's): how one call site's
 * stacks are summed (site-diff.h) and the whole trace's are. False on out
 * of memory, `into` then holds part of h. */
bool ls_hist_add(ls_hist *into, const ls_hist *h);
/* Frees h's buckets: h is empty after. */
void ls_hist_clear(ls_hist *h);

/* The histogram of `kind` for stack id `stack`, or for the whole trace when
 * stack is LS_HIST_ALL. An empty histogram for an unknown id or when h is
 * NULL (never NULL). */
#define LS_HIST_ALL UINT32_MAX
const ls_hist *ls_histograms_get(const ls_histograms *h, ls_hist_kind kind, uint32_t stack);

#ifdef __cplusplus
}
#endif
#endif
