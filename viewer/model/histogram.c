/* histogram.c — see histogram.h and histogram-private.h.
 *
 * Per event the cost is a bucket index (a count of leading zeros), a
 * popcount and two additions; a histogram's array grows only when one of
 * its at most 64 buckets is first used. The whole trace's histograms are
 * the stacks' summed once at the end. Exact sizes are counted in an array
 * below LS_HIST_SMALL_SIZES and a hash map above it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "histogram-private.h"

#include <stdlib.h>
#include <string.h>

unsigned ls_hist_buckets(ls_hist_kind kind)
{
    return kind == LS_HIST_SIZES ? LS_HIST_SIZE_BUCKETS : LS_HIST_LIFETIME_BUCKETS;
}

uint64_t ls_hist_from(ls_hist_kind kind, unsigned k)
{
    if (!k)
        return 0;
    return kind == LS_HIST_SIZES ? 1ull << k : 1000ull << (k - 1);
}

uint64_t ls_hist_to(ls_hist_kind kind, unsigned k)
{
    if (k + 1 >= ls_hist_buckets(kind))
        return UINT64_MAX;
    return ls_hist_from(kind, k + 1) - 1;
}

static unsigned log2_floor(uint64_t v) { return 63u - (unsigned)__builtin_clzll(v); } /* v > 0 */

unsigned ls_hist_bucket_of(ls_hist_kind kind, uint64_t value) { return ls_hist_bucket_index(kind, value); }

static unsigned index_of(const ls_hist *h, unsigned k)
{
    return ls_hist_popcount(h->mask & ((1ull << k) - 1));
}

ls_hist_bucket ls_hist_get(const ls_hist *h, unsigned k)
{
    if (k >= LS_HIST_MAX_BUCKETS || !(h->mask >> k & 1))
        return (ls_hist_bucket){ 0, 0 };
    return h->b[index_of(h, k)];
}

bool ls_hist_range(const ls_hist *h, unsigned *lo, unsigned *hi)
{
    if (!h->mask)
        return false;
    *lo = (unsigned)__builtin_ctzll(h->mask);
    *hi = log2_floor(h->mask);
    return true;
}

ls_hist_bucket ls_hist_total(const ls_hist *h)
{
    ls_hist_bucket t = { 0, 0 };
    for (int i = (int)ls_hist_popcount(h->mask); i-- > 0;) {
        t.count += h->b[i].count;
        t.bytes += h->b[i].bytes;
    }
    return t;
}

const ls_hist *ls_histograms_get(const ls_histograms *h, ls_hist_kind kind, uint32_t stack)
{
    static const ls_hist empty;
    if (!h)
        return &empty;
    if (stack == LS_HIST_ALL)
        return kind == LS_HIST_SIZES ? &h->sizes : &h->lifetimes;
    if (stack >= h->nstacks)
        return &empty;
    return kind == LS_HIST_SIZES ? &h->stack_sizes[stack] : &h->stack_lifetimes[stack];
}

bool ls_hist_add_new(ls_hist *h, unsigned k, uint64_t count, uint64_t bytes)
{
    uint64_t bit = 1ull << k;
    unsigned i = index_of(h, k), n = ls_hist_popcount(h->mask);
    ls_hist_bucket *b = realloc(h->b, (n + 1) * sizeof *b);
    if (!b)
        return false;
    memmove(b + i + 1, b + i, (n - i) * sizeof *b);
    b[i] = (ls_hist_bucket){ count, bytes };
    h->b = b;
    h->mask |= bit;
    return true;
}

/* Adds `count` blocks of `bytes` in all to bucket k of h. False on out of memory. */
static bool hist_add(ls_hist *h, unsigned k, uint64_t count, uint64_t bytes)
{
    if (!(h->mask & 1ull << k))
        return ls_hist_add_new(h, k, count, bytes);
    ls_hist_bucket *b = &h->b[index_of(h, k)];
    b->count += count;
    b->bytes += bytes;
    return true;
}

ls_histograms *ls_histograms_new(uint32_t nstacks)
{
    ls_histograms *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->nstacks = nstacks ? nstacks : 1;
    h->stack_sizes = calloc(h->nstacks, sizeof *h->stack_sizes);
    h->stack_lifetimes = calloc(h->nstacks, sizeof *h->stack_lifetimes);
    h->build = calloc(1, sizeof *h->build);
    if (!h->stack_sizes || !h->stack_lifetimes || !h->build) {
        ls_histograms_free(h);
        return NULL;
    }
    return h;
}

bool ls_hist_count_big(ls_histograms *h, uint64_t size)
{
    bool existed;
    kmap_entry *e = kmap_insert(&h->build->big, size, 0, &existed);
    if (!e)
        return false;
    e->v1++;
    return true;
}

/* Keeps the LS_HIST_TOP_SIZES most frequent sizes in h->top_sizes. */
static void top_size(ls_histograms *h, uint64_t size, uint64_t count)
{
    if (!count)
        return;
    uint32_t n = h->ntop_sizes, i = n;
    while (i > 0 && (h->top_sizes[i - 1].count < count ||
                     (h->top_sizes[i - 1].count == count && h->top_sizes[i - 1].size > size)))
        i--;
    if (i >= LS_HIST_TOP_SIZES)
        return;
    if (n == LS_HIST_TOP_SIZES)
        n--;
    memmove(h->top_sizes + i + 1, h->top_sizes + i, (n - i) * sizeof *h->top_sizes);
    h->top_sizes[i] = (ls_size_count){ size, count };
    h->ntop_sizes = n + 1;
}

bool ls_hist_add(ls_hist *into, const ls_hist *h)
{
    for (uint64_t m = h->mask; m; m &= m - 1) {
        unsigned k = (unsigned)__builtin_ctzll(m);
        ls_hist_bucket b = h->b[index_of(h, k)];
        if (!hist_add(into, k, b.count, b.bytes))
            return false;
    }
    return true;
}

void ls_hist_clear(ls_hist *h)
{
    free(h->b);
    *h = (ls_hist){ 0 };
}

bool ls_histograms_finish(ls_histograms *h)
{
    for (uint32_t s = 0; s < h->nstacks; s++)
        if (!ls_hist_add(&h->sizes, &h->stack_sizes[s]) || !ls_hist_add(&h->lifetimes, &h->stack_lifetimes[s]))
            return false;
    ls_hist_build *b = h->build;
    if (b) {
        for (uint64_t size = 0; size < LS_HIST_SMALL_SIZES; size++)
            top_size(h, size, b->small[size]);
        for (size_t i = 0; i < b->big.cap; i++)
            if (b->big.e[i].used)
                top_size(h, b->big.e[i].k1, b->big.e[i].v1);
        kmap_free(&b->big);
        free(b);
        h->build = NULL;
    }
    return true;
}

void ls_histograms_free(ls_histograms *h)
{
    if (!h)
        return;
    for (uint32_t s = 0; s < h->nstacks; s++) {
        if (h->stack_sizes)
            free(h->stack_sizes[s].b);
        if (h->stack_lifetimes)
            free(h->stack_lifetimes[s].b);
    }
    free(h->stack_sizes);
    free(h->stack_lifetimes);
    free(h->sizes.b);
    free(h->lifetimes.b);
    if (h->build)
        kmap_free(&h->build->big);
    free(h->build);
    free(h);
}
