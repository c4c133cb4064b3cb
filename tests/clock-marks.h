/* clock-marks.h — marks whose trace timestamps can be checked against the
 * program's own CLOCK_MONOTONIC (tests/check-clock.py): the release of a
 * block of a size nothing else has, between two clock readings. A release
 * is recorded with a clock read and a store (no stack), so the readings are
 * well under a microsecond apart, and its timestamp must lie between them.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TEST_CLOCK_MARKS_H
#define LEAKSCOPE_TEST_CLOCK_MARKS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline unsigned long long clock_mark_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

static inline void clock_mark_sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, ms % 1000 * 1000000L };
    while (nanosleep(&t, &t) != 0)
        ;
}

/* Releases p (a block of `size` bytes, recorded) with `release`, between
 * two readings; prints "mark SIZE BEFORE AFTER". */
static inline void clock_mark_release(size_t size, void *p, void (*release)(void *))
{
    unsigned long long before = clock_mark_now();
    release(p);
    unsigned long long after = clock_mark_now();
    printf("mark %zu %llu %llu\n", size, before, after);
    fflush(stdout);
}

#endif
