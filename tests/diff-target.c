/* diff-target.c — a program whose allocations scale with its argument N (a
 * digit, 1 when none), for `leakscope diff` (tests/check-diff.py), which
 * knows every number below:
 *
 *   main → hold        3 × 200 bytes, freed after scale: the same for every N
 *   main → keep        1 × 300 bytes, leaked: the same for every N
 *   main → scale       2N × 100 bytes from two lines (one call site), the first N
 *                      freed (not temporary), N leaked
 *   main → churn       N × 48 bytes, each freed at once: N temporary
 *   main → once        1 × 64 bytes, leaked, only when N >= 3 (after the peak)
 *
 * The heap is highest when scale has allocated all of its blocks:
 * 600 + 300 + 200N bytes, from hold, keep and scale. Built twice, the second
 * time with DIFF_TARGET_MOVED, which puts code before every function and
 * renumbers the lines after it (#line) so that their addresses and lines
 * move: the same call sites, by function and file.
 * Nothing else allocates (no stdio).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static void *held[3], *kept, *scaled[18];
static void *volatile sink;

#ifdef DIFF_TARGET_MOVED
NOINLINE void diff_target_padding(void);
NOINLINE void diff_target_padding(void)
{
    /* lines and bytes
     * that move
     * everything below */
    static volatile char pad[64];
    for (int i = 0; i < 64; i++)
        pad[i] = (char)(pad[i] * 3 + i);
}
#line 500
#endif

NOINLINE static void hold(void)
{
    for (int i = 0; i < 3; i++)
        memset(held[i] = malloc(200), 1, 200);
}

NOINLINE static void keep(void)
{
    memset(kept = malloc(300), 2, 300);
    sink = kept;
}

NOINLINE static void scale(int n)
{
    for (int i = 0; i < n; i++)
        memset(scaled[i] = malloc(100), 3, 100);
    for (int i = n; i < 2 * n; i++) /* another line of scale: the same call site */
        memset(scaled[i] = malloc(100), 3, 100);
    for (int i = 0; i < n; i++) /* in order: none is the thread's last allocation when freed */
        free(scaled[i]);
}

NOINLINE static void churn(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = malloc(48);
        memset(p, 4, 48);
        sink = p;
        free(p);
    }
}

NOINLINE static void once(void)
{
    memset(sink = malloc(64), 5, 64);
}

int main(int argc, char **argv)
{
    int n = argc > 1 && argv[1][0] >= '1' && argv[1][0] <= '9' ? argv[1][0] - '0' : 1;
    hold();
    keep();
    scale(n);
    for (int i = 0; i < 3; i++)
        free(held[i]);
    churn(n);
    if (n >= 3)
        once();
    return 0;
}
