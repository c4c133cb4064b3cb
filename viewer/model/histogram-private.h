/* histogram-private.h — how the analysis fills ls_histograms in its one
 * pass (analysis.c), and a range's summary its own (range.c). Not for
 * clients: they read histogram.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_HISTOGRAM_PRIVATE_H
#define LEAKSCOPE_HISTOGRAM_PRIVATE_H

#include "histogram.h"
#include "kmap.h"

/* Counting happens once per allocation and once per free: its common case
 * (a bucket already in use, a size below LS_HIST_SMALL_SIZES) is inline
 * here, where a call into histogram.c cost as much as the counting. */
#define LS_HIST_SMALL_SIZES 4096

struct ls_hist_build {
    uint64_t small[LS_HIST_SMALL_SIZES]; /* allocations per exact size below LS_HIST_SMALL_SIZES */
    kmap big;                            /* size -> allocations (v1), from LS_HIST_SMALL_SIZES up */
};

/* Without -mpopcnt, __builtin_popcountll is a call into libgcc (it was
 * a fortieth of `report`'s time, once per allocation and free); this is
 * twelve instructions inline. */
static inline unsigned ls_hist_popcount(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* ls_hist_bucket_of (histogram.h), inline. */
static inline unsigned ls_hist_bucket_index(ls_hist_kind kind, uint64_t value)
{
    if (kind == LS_HIST_SIZES)
        return 63u - (unsigned)__builtin_clzll(value | 1);
    return value < 1000 ? 0 : 64u - (unsigned)__builtin_clzll(value / 1000);
}

/* Adds `count` blocks of `bytes` in all to bucket k of h, which is not in
 * use yet. False on out of memory. */
bool ls_hist_add_new(ls_hist *h, unsigned k, uint64_t count, uint64_t bytes);
/* Counts an allocation of a size from LS_HIST_SMALL_SIZES up. False on out of memory. */
bool ls_hist_count_big(ls_histograms *h, uint64_t size);

/* Adds one block of `bytes` to bucket k of h. False on out of memory. */
static inline bool ls_hist_add_one(ls_hist *h, unsigned k, uint64_t bytes)
{
    uint64_t bit = 1ull << k;
    if (__builtin_expect(!(h->mask & bit), 0))
        return ls_hist_add_new(h, k, 1, bytes);
    ls_hist_bucket *b = &h->b[ls_hist_popcount(h->mask & (bit - 1))];
    b->count++;
    b->bytes += bytes;
    return true;
}

/* Empty histograms for stacks 0 .. nstacks-1. NULL on out of memory. */
ls_histograms *ls_histograms_new(uint32_t nstacks);

/* An allocation of `size` bytes at `stack`. False on out of memory. */
static inline bool ls_histograms_count_size(ls_histograms *h, uint32_t stack, uint64_t size)
{
    if (stack >= h->nstacks)
        stack = 0;
    if (size < LS_HIST_SMALL_SIZES)
        h->build->small[size]++;
    else if (!ls_hist_count_big(h, size))
        return false;
    return ls_hist_add_one(&h->stack_sizes[stack], ls_hist_bucket_index(LS_HIST_SIZES, size), size);
}

/* A block of `size` bytes from `stack` that lived `ns`. False on out of memory. */
static inline bool ls_histograms_count_lifetime(ls_histograms *h, uint32_t stack, uint64_t size, uint64_t ns)
{
    if (stack >= h->nstacks)
        stack = 0;
    return ls_hist_add_one(&h->stack_lifetimes[stack], ls_hist_bucket_index(LS_HIST_LIFETIMES, ns), size);
}
/* After the last event: the whole trace's histograms (the sum of the
 * stacks') and its most frequent sizes; frees what counting needed. False
 * on out of memory. */
bool ls_histograms_finish(ls_histograms *h);
void ls_histograms_free(ls_histograms *h); /* NULL ok */

#endif
