/* clock.c — the recorder's clock. With an invariant TSC (the same rate on
 * every core, in every power state: CPUID 0x80000007 EDX bit 8), events are
 * stamped with rdtsc, a few nanoseconds; the writer thread maps ticks to
 * CLOCK_MONOTONIC nanoseconds with one linear function per recording, fixed
 * once calibrated so that the mapping is monotonic and the same for every
 * thread. Without one (or with $LEAKSCOPE_NO_TSC set), events are stamped
 * with CLOCK_MONOTONIC directly.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"
#include "env-protocol.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#endif
#endif

bool ls_use_tsc;

/* A rate measured over at least this long is kept for the process's later
 * recordings and its forked children: rdtsc and clock_gettime are read
 * within some 20 ns of each other, so over 20 ms the rate is off by about
 * 1e-6 (a microsecond a second). */
#define CALIBRATION_NS 20000000u

static struct {
    uint64_t tick0, ns0;   /* this recording's anchor, read at its start */
    uint64_t mult;         /* ns per tick in 32.32 fixed point; 0 until fixed (writer thread only) */
    uint64_t rate;         /* the same, measured over CALIBRATION_NS or more, in this process or the
                            * one it was forked from (it has the memory); 0: not yet (atomic) */
    int hurry;             /* the recording ends: calibrate over what has passed (atomic; a futex word) */
} C;

/* From what the C library read at startup: a CPUID here would exit to the
 * hypervisor in a virtual machine (trace-private.h says more). */
static bool invariant_tsc(void)
{
#if defined(__x86_64__) && __has_include(<sys/platform/x86.h>)
    return CPU_FEATURE_PRESENT(INVARIANT_TSC);
#elif defined(__x86_64__)
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

/* Each recording reads its own anchor (a few clock reads), so that its
 * mapping is exact at its start whatever rate it is given. A known rate
 * fixes the mapping at once: a forked child or a second recording never
 * waits for a calibration of its own. */
void ls_clock_start(void)
{
    static int probed = -1;
    if (probed < 0)
        probed = invariant_tsc() && !ls_getenv(LS_ENV_NO_TSC);
    __atomic_store_n(&C.hurry, 0, __ATOMIC_RELAXED);
    C.mult = __atomic_load_n(&C.rate, __ATOMIC_ACQUIRE);
    if (probed)
        sample(&C.tick0, &C.ns0);
    __atomic_store_n(&ls_use_tsc, probed != 0, __ATOMIC_RELEASE);
}

void ls_clock_hurry(void)
{
    __atomic_store_n(&C.hurry, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &C.hurry, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* The writer thread, at its first mapping without a known rate (an exec'd
 * image, the API's first recording, a child forked before its parent knew
 * one): it waits until CALIBRATION_NS has passed since the anchor, unless
 * the recording ends first (ls_clock_hurry). A short recording then takes
 * the rate over its own span: every event lies between the two readings, so
 * its time is off by no more than they are, and a process that lives a
 * millisecond is not kept alive for 20. */
static void calibrate(void)
{
    uint64_t tick, ns;
    sample(&tick, &ns);
    while (ns - C.ns0 < CALIBRATION_NS && !__atomic_load_n(&C.hurry, __ATOMIC_ACQUIRE)) {
        uint64_t wait = CALIBRATION_NS - (ns - C.ns0);
        struct timespec ts = { (time_t)(wait / 1000000000u), (long)(wait % 1000000000u) };
        syscall(SYS_futex, &C.hurry, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
        sample(&tick, &ns);
    }
    double ratio = tick > C.tick0 ? (double)(ns - C.ns0) / (double)(tick - C.tick0) : 1.0;
    C.mult = (uint64_t)(ratio * 4294967296.0);
    if (C.mult == 0)
        C.mult = 1;
    if (ns - C.ns0 >= CALIBRATION_NS)
        __atomic_store_n(&C.rate, C.mult, __ATOMIC_RELEASE);
}

ls_clock_map ls_clock_mapping(void)
{
    if (!ls_use_tsc)
        return (ls_clock_map){ 0, 0, 1ull << 32 };
    if (LS_UNLIKELY(C.mult == 0))
        calibrate();
    return (ls_clock_map){ C.tick0, C.ns0, C.mult };
}
