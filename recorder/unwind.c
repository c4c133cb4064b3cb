/* unwind.c — call stacks of the recorded program.
 *
 * libunwind's unw_backtrace walks the stack with DWARF CFI (Debian's libc has
 * no frame pointers) and caches what it learns per address. The recorder's own
 * frames are dropped by address range, so stacks start at the caller of the
 * trace_* function whatever the inlining.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include "recorder-private.h"

#include <link.h>
#include <libunwind.h>

static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint64_t probe = (uintptr_t)data, lo, hi;
    if (ls_load_range(info, &lo, &hi) && probe >= lo && probe < hi) {
        self_lo = (uintptr_t)lo;
        self_hi = (uintptr_t)hi;
        return 1;
    }
    return 0;
}

void ls_unwind_init(void)
{
    if (!self_hi)
        dl_iterate_phdr(find_self, (void *)(uintptr_t)&ls_unwind_init);
    /* A cache per thread: no lock, no signal masking on a cache miss (the
     * global cache takes both), and fork-safe. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

uint32_t ls_unwind(uint64_t *frames, uint32_t max)
{
    void *buf[TRACE_STACK_DEPTH_MAX + 16];
    if (max > TRACE_STACK_DEPTH_MAX)
        max = TRACE_STACK_DEPTH_MAX;
    int n = unw_backtrace(buf, (int)max + 16);
    int i = 0;
    while (i < n && (uintptr_t)buf[i] >= self_lo && (uintptr_t)buf[i] < self_hi)
        i++;
    uint32_t out = 0;
    for (; i < n && out < max; i++)
        frames[out++] = (uint64_t)(uintptr_t)buf[i];
    return out;
}
