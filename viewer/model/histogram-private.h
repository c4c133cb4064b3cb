/* histogram-private.h — how the analysis fills ls_histograms in its one
 * pass (analysis.c), and a range's summary its own (range.c). Not for
 * clients: they read histogram.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_HISTOGRAM_PRIVATE_H
#define LEAKSCOPE_HISTOGRAM_PRIVATE_H

#include "histogram.h"

/* Empty histograms for stacks 0 .. nstacks-1. NULL on out of memory. */
ls_histograms *ls_histograms_new(uint32_t nstacks);
/* An allocation of `size` bytes at `stack`. False on out of memory. */
bool ls_histograms_count_size(ls_histograms *h, uint32_t stack, uint64_t size);
/* A block of `size` bytes from `stack` that lived `ns`. False on out of memory. */
bool ls_histograms_count_lifetime(ls_histograms *h, uint32_t stack, uint64_t size, uint64_t ns);
/* After the last event: the whole trace's histograms (the sum of the
 * stacks') and its most frequent sizes; frees what counting needed. False
 * on out of memory. */
bool ls_histograms_finish(ls_histograms *h);
void ls_histograms_free(ls_histograms *h); /* NULL ok */

#endif
