/* peak-private.h — the one rule of the heap's peak and who held it, kept in
 * one pass by the whole trace's analysis (analysis.c) and by a range's
 * (range.c, restarted at the range's start): the peak is the highest total
 * of live bytes, first reached (only a total strictly above the peak is a
 * new one: at a tie the first time stays), and a stack's share of it is
 * what it had live at that moment, after the event that reached it.
 *
 * A stack's value at the latest peak is saved lazily, when the stack first
 * changes after it (its epoch is older than the peak's), so a new peak
 * costs O(1), not a copy of every stack: exact, with no second pass up to
 * the peak. Not for clients: they read ls_stack_use.peak_* or
 * ls_range_site.peak_*.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_PEAK_PRIVATE_H
#define LEAKSCOPE_PEAK_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct ls_peak_stack {
    uint64_t bytes, blocks;           /* live now */
    uint64_t epoch;                   /* the peak it last changed under */
    uint64_t peak_bytes, peak_blocks; /* live at the latest peak, once saved (ls_peak_finish saves the rest) */
} ls_peak_stack;

typedef struct ls_peak {
    uint64_t bytes, blocks;           /* the heap now */
    uint64_t peak_bytes, peak_ts;     /* its highest, and when first reached */
    uint64_t epoch;                   /* how many peaks so far */
    ls_peak_stack *stacks;            /* nstacks entries (at least 1); ids past them count as 0, as the leaks */
    uint32_t nstacks;
} ls_peak;

/* An empty heap of stacks 0 .. nstacks-1. False on out of memory. */
static inline bool ls_peak_init(ls_peak *p, uint32_t nstacks)
{
    *p = (ls_peak){ .nstacks = nstacks ? nstacks : 1 };
    p->stacks = calloc(p->nstacks, sizeof *p->stacks);
    return p->stacks != NULL;
}

static inline void ls_peak_free(ls_peak *p)
{
    free(p->stacks);
    p->stacks = NULL;
}

/* Stack s before it changes: if this is its first change since the latest
 * peak, what it has live now is what it had live then. */
static inline ls_peak_stack *ls_peak_touch(ls_peak *p, uint32_t s)
{
    ls_peak_stack *l = &p->stacks[s < p->nstacks ? s : 0];
    if (l->epoch != p->epoch) {
        l->peak_bytes = l->bytes;
        l->peak_blocks = l->blocks;
        l->epoch = p->epoch;
    }
    return l;
}

/* A block of `size` bytes made at stack s at time ts. */
static inline void ls_peak_add(ls_peak *p, uint32_t s, uint64_t size, uint64_t ts)
{
    ls_peak_stack *l = ls_peak_touch(p, s);
    l->bytes += size;
    l->blocks++;
    p->bytes += size;
    p->blocks++;
    if (p->bytes > p->peak_bytes) {
        p->peak_bytes = p->bytes;
        p->peak_ts = ts;
        p->epoch++;
    }
}

/* A block of `size` bytes made at stack s released. */
static inline void ls_peak_sub(ls_peak *p, uint32_t s, uint64_t size)
{
    ls_peak_stack *l = ls_peak_touch(p, s);
    l->bytes -= size;
    l->blocks--;
    p->bytes -= size;
    p->blocks--;
}

/* The heap as it is now becomes the peak, reached at ts (a range's start:
 * what was live when it began is a level the range had). */
static inline void ls_peak_restart(ls_peak *p, uint64_t ts)
{
    p->peak_bytes = p->bytes;
    p->peak_ts = ts;
    p->epoch++;
}

/* After the last change: the stacks unchanged since the latest peak had
 * then what they have now. */
static inline void ls_peak_finish(ls_peak *p)
{
    for (uint32_t s = 0; s < p->nstacks; s++)
        ls_peak_touch(p, s);
}

#endif
