/* range-target.c — a program in phases with marks between them, for the
 * metrics of a time range (tests/check-flamegraph.py: `flamegraph --from
 * --to` and `report --from --to`), which knows every number below:
 *
 *   early_keep   700 bytes, made first, live to the end
 *   big_grow     3 × 10000 bytes, freed in order: the whole trace's peak
 *                (30700), none temporary
 *   mark "a", 30 ms of sleep
 *   medium_keep  4 × 1500 bytes, live to the end
 *   churn        6 × 48 bytes, each freed at once: 6 temporary
 *   hold_make    2 × 100 bytes, freed after mark "b" in order: none temporary
 *   30 ms of sleep, mark "b", 30 ms of sleep
 *   hold_free    frees hold_make's blocks
 *
 * Between "a" and "b" the heap is highest after hold_make: 6900 bytes,
 * 700 of early_keep (made before the range), 6000 of medium_keep and 200 of
 * hold_make: another site than the whole trace's peak. trace_mark is the
 * recorder's (weak: the program runs without it). Nothing else allocates
 * (no stdio). Built with -O0 -fno-omit-frame-pointer; every function
 * noinline.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

void trace_mark(const char *label) __attribute__((weak));

static void *early, *big[3], *medium[4], *hold[2];
static void *volatile sink;

static void mark(const char *label)
{
    if (trace_mark)
        trace_mark(label);
}

static void pause_ms(long ms)
{
    struct timespec t = { 0, ms * 1000000L };
    while (nanosleep(&t, &t) != 0)
        ;
}

NOINLINE static void early_keep(void) { memset(early = malloc(700), 1, 700); }

NOINLINE static void big_grow(void)
{
    for (int i = 0; i < 3; i++)
        memset(big[i] = malloc(10000), 2, 10000);
    for (int i = 0; i < 3; i++)
        free(big[i]);
}

NOINLINE static void medium_keep(void)
{
    for (int i = 0; i < 4; i++)
        memset(medium[i] = malloc(1500), 3, 1500);
}

NOINLINE static void churn(void)
{
    for (int i = 0; i < 6; i++) {
        char *p = malloc(48);
        memset(p, 4, 48);
        sink = p;
        free(p);
    }
}

NOINLINE static void hold_make(void)
{
    for (int i = 0; i < 2; i++)
        memset(hold[i] = malloc(100), 5, 100);
}

NOINLINE static void hold_free(void)
{
    for (int i = 0; i < 2; i++) /* in order: neither is the thread's last allocation when freed */
        free(hold[i]);
}

int main(void)
{
    early_keep();
    big_grow();
    mark("a");
    pause_ms(30);
    medium_keep();
    churn();
    hold_make();
    pause_ms(30);
    mark("b");
    pause_ms(30);
    hold_free();
    sink = early;
    return 0;
}
