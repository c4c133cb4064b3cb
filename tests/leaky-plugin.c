/* leaky-plugin.c — a module tests/leaky-main.c loads with dlopen after start,
 * with one known leak. Built twice: as leaky-plugin (kept loaded) and, with
 * -DLEAKY_CLOSED, as leaky-plugin-closed (dlclose'd after it leaked).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef LEAKY_CLOSED
#define PLUGIN_LEAK closed_plugin_leak
#else
#define PLUGIN_LEAK plugin_leak
#endif

void *PLUGIN_LEAK(size_t n, int *line);
void *volatile plugin_sink;

__attribute__((noinline)) void *PLUGIN_LEAK(size_t n, int *line)
{
    *line = __LINE__ + 1;
    void *p = malloc(n);
    if (p)
        memset(p, 0x22, n);
    plugin_sink = p;
    return p;
}
