/* flame-target.c — a program with a known call tree of allocations, for
 * `leakscope flamegraph` (tests/check-flamegraph.py), which knows every
 * number below:
 *
 *   main → grow → grow_big    3 × 1000 bytes, 2 freed later by release (1000 leaked)
 *   main → grow → grow_small  2 × 500 bytes, 1 freed later (500 leaked); grow calls
 *                             it from two places, which must meet in one frame
 *   main → keep → keep_inline 1 × 777 bytes, leaked, in a function inlined into keep
 *   main → churn              5 × 64 bytes, each freed at once: 5 temporary
 *   main → batch              4 × 32 bytes, freed after all four: none temporary
 *
 * The heap is highest right after keep: 3000 + 1000 + 777 bytes, from
 * grow_big, grow_small and keep_inline. Nothing else allocates (no stdio).
 * Built with -O0 -g -fno-omit-frame-pointer; every function noinline but
 * keep_inline.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static void *big[3], *small[2];
static void *volatile sink;

NOINLINE static void grow_big(void)
{
    for (int i = 0; i < 3; i++)
        memset(big[i] = malloc(1000), 1, 1000);
}

NOINLINE static void grow_small(int i)
{
    memset(small[i] = malloc(500), 2, 500);
}

NOINLINE static void grow(void)
{
    grow_big();
    grow_small(0);
    grow_small(1);
}

static inline __attribute__((always_inline)) void *keep_inline(void)
{
    return malloc(777);
}

NOINLINE static void keep(void)
{
    sink = keep_inline();
}

NOINLINE static void release(void)
{
    free(big[0]);
    free(big[1]);
    free(small[0]);
}

NOINLINE static void churn(void)
{
    for (int i = 0; i < 5; i++) {
        char *p = malloc(64);
        memset(p, 3, 64);
        sink = p;
        free(p);
    }
}

NOINLINE static void batch(void)
{
    void *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = malloc(32);
    for (int i = 0; i < 4; i++) /* in order: none is the thread's last allocation when freed */
        free(p[i]);
}

int main(void)
{
    grow();
    keep();
    release();
    churn();
    batch();
    return 0;
}
