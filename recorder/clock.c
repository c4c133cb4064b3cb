/* clock.c — the recorder's clock. With an invariant TSC (the same rate on
 * every core, in every power state: CPUID 0x80000007 EDX bit 8), events are
 * stamped with rdtsc, a few nanoseconds; the writer thread maps ticks to
 * CLOCK_MONOTONIC nanoseconds with one linear function per recording, fixed
 * once calibrated so that the mapping is monotonic and the same for every
 * thread. Without one, events are stamped with CLOCK_MONOTONIC directly.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

bool ls_use_tsc;

#define CALIBRATION_NS 20000000u /* 20 ms between the two clock readings */

static struct {
    uint64_t tick0, ns0;
    uint64_t mult;         /* ns per tick in 32.32 fixed point; 0 until calibrated (writer thread only) */
} C;

static bool invariant_tsc(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return false;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1;
#else
    return false;
#endif
}

/* A (ticks, ns) pair read as close together as possible. */
static void sample(uint64_t *tick, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = __builtin_ia32_rdtsc();
        uint64_t n = ls_now();
        uint64_t t1 = __builtin_ia32_rdtsc();
        if (t1 - t0 < best) {
            best = t1 - t0;
            *tick = t0 + (t1 - t0) / 2;
            *ns = n;
        }
    }
}

void ls_clock_start(void)
{
    static int probed = -1;
    if (probed < 0)
        probed = invariant_tsc() && !ls_getenv("LEAKSCOPE_NO_TSC");
    C.mult = 0;
    if (probed)
        sample(&C.tick0, &C.ns0);
    __atomic_store_n(&ls_use_tsc, probed != 0, __ATOMIC_RELEASE);
}

static void calibrate(void)
{
    uint64_t tick, ns;
    sample(&tick, &ns);
    if (ns - C.ns0 < CALIBRATION_NS) {
        /* Only the writer thread waits, and only once per recording. */
        uint64_t wait = CALIBRATION_NS - (ns - C.ns0);
        struct timespec ts = { (time_t)(wait / 1000000000u), (long)(wait % 1000000000u) };
        while (nanosleep(&ts, &ts) != 0)
            ;
        sample(&tick, &ns);
    }
    double ratio = tick > C.tick0 ? (double)(ns - C.ns0) / (double)(tick - C.tick0) : 1.0;
    C.mult = (uint64_t)(ratio * 4294967296.0);
    if (C.mult == 0)
        C.mult = 1;
}

ls_clock_map ls_clock_mapping(void)
{
    if (!ls_use_tsc)
        return (ls_clock_map){ 0, 0, 1ull << 32 };
    if (LS_UNLIKELY(C.mult == 0))
        calibrate();
    return (ls_clock_map){ C.tick0, C.ns0, C.mult };
}
