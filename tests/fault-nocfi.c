/* fault-nocfi.c — fault-target's code without unwind tables (built with
 * -fno-asynchronous-unwind-tables -fno-unwind-tables: no FDE in .eh_frame).
 * The recorder's CFI walker cannot step through it and leaves the whole
 * stack to libunwind, which then validates the addresses it reads.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

void nocfi_leak(int count, size_t size);

static void *volatile nocfi_sink;

__attribute__((noinline)) void nocfi_leak(int count, size_t size)
{
    for (int i = 0; i < count; i++) {
        char *p = malloc(size);
        if (!p)
            abort();
        memset(p, i & 0xff, size);
        nocfi_sink = p;
    }
}
