/* leaky-lib.c — a shared library with one known leak, linked by
 * tests/leaky-main.c (check-vs-heaptrack.py checks the attribution).
 *
 * SPDX-License-Identifier: MIT
 */
#include "leaky-lib.h"

#include <stdlib.h>
#include <string.h>

void *volatile leaky_lib_sink;

__attribute__((noinline)) void *leaky_lib_leak(size_t n, int *line)
{
    *line = __LINE__ + 1;
    void *p = malloc(n);
    if (p)
        memset(p, 0x11, n);
    leaky_lib_sink = p;
    return p;
}
