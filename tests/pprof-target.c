/* pprof-target.c — known allocations in known functions, for `leakscope
 * convert --to pprof` read by Go's pprof (tests/check-pprof.py). Built with
 * -O0 -g, so that nothing is inlined but what says so:
 *   f_alloc   7 blocks of 1000 bytes, 3 of them live at the end
 *   g_alloc   2 blocks of 4096 bytes, both freed
 *   h_helper  inlined into h_alloc (always_inline): 5 blocks of 300 bytes,
 *             2 of them live at the end
 * The test finds the line of each allocating call by its "line:" comment.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>

void *keep[16]; /* not static: the blocks stay reachable, the compiler keeps every call */
int nkeep;

static __attribute__((noinline)) void f_alloc(void)
{
    void *p[7];
    for (int i = 0; i < 7; i++)
        p[i] = malloc(1000); /* line:f_alloc */
    for (int i = 3; i < 7; i++)
        free(p[i]);
    for (int i = 0; i < 3; i++)
        keep[nkeep++] = p[i];
}

static __attribute__((noinline)) void g_alloc(void)
{
    void *p[2];
    for (int i = 0; i < 2; i++)
        p[i] = malloc(4096); /* line:g_alloc */
    free(p[0]);
    free(p[1]);
}

static inline __attribute__((always_inline)) void h_helper(void)
{
    void *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = malloc(300); /* line:h_helper */
    for (int i = 2; i < 5; i++)
        free(p[i]);
    keep[nkeep++] = p[0];
    keep[nkeep++] = p[1];
}

static __attribute__((noinline)) void h_alloc(void)
{
    h_helper(); /* line:h_alloc */
}

int main(void)
{
    f_alloc();
    g_alloc();
    h_alloc();
    return 0;
}
