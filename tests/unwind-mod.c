/* unwind-mod.c — a module tests/test-unwind.c loads with dlopen, calling
 * back into the test through a few frames of its own. Built twice: plain
 * (unwind-mod-a) and with -DUNWIND_MOD_B (unwind-mod-b: other code at the
 * same offsets, for the cache's staleness check after dlclose + dlopen).
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

int unwind_mod_run(int depth, void (*cb)(void));

#define UNWIND_OPAQUE(x) __asm__ volatile("" : "+r"(x))

#ifdef UNWIND_MOD_B
/* Shifts everything below by a few hundred bytes. */
__attribute__((noinline)) int unwind_mod_padding(int x);
__attribute__((noinline)) int unwind_mod_padding(int x)
{
    char buf[512];
    memset(buf, x, sizeof buf);
    char *p = buf;
    UNWIND_OPAQUE(p);
    int s = 0;
    for (int i = 0; i < x; i++)
        s += p[i & 511] * i;
    return s;
}
#define FRAME 300
#else
#define FRAME 40
#endif

__attribute__((noinline)) static int level(int depth, void (*cb)(void))
{
    char buf[FRAME];
    memset(buf, depth, sizeof buf);
    char *p = buf;
    UNWIND_OPAQUE(p);
    int r;
    if (depth <= 0) {
        cb();
        r = 0;
    } else {
        r = level(depth - 1, cb);
    }
    UNWIND_OPAQUE(r);
    return r + p[depth % FRAME];
}

int unwind_mod_run(int depth, void (*cb)(void))
{
    int r = level(depth, cb);
    UNWIND_OPAQUE(r);
    return r;
}
