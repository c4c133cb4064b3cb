/* test-analysis.c — what the analysis counts per call stack
 * (ls_analysis.stack_use): allocations and bytes, temporary allocations by
 * heaptrack's definition, what is still live at the end.
 *
 * `test-analysis CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "test-trace.h"
#include "test-util.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-analysis-XXXXXX";
static uint64_t now = 100;

static void ev(trace_writer *w, uint32_t thread, uint32_t kind, uint64_t addr, uint64_t addr2, uint64_t size,
               uint32_t stack)
{
    trace_event e = { .kind = kind, .ts = now++, .addr = addr, .addr2 = addr2, .size = size, .stack = stack };
    if (trace_writer_add_event(w, thread, &e) != TRACE_OK)
        exit(1);
}

static ls_analysis *load(trace_writer *w, const char *path)
{
    return test_close_and_load(w, path);
}

static trace_writer *create(const char *path, uint32_t stacks)
{
    return test_create_trace(path, stacks, 0x400000, 0x10);
}

/* A block freed by its own thread with no other allocation or free of that
 * thread in between is temporary; another thread's events do not count; the
 * release of a realloc's old block (a free recorded before the call, the
 * realloc right after with old = 0) is not a free. */
static void case_temporary(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/temporary.trace", dir);
    trace_writer *w = create(path, 5);
    ev(w, 1, TRACE_ALLOC, 0x1000, 0, 10, 1);
    ev(w, 1, TRACE_FREE, 0x1000, 0, 0, 0); /* temporary (stack 1) */
    ev(w, 1, TRACE_ALLOC, 0x2000, 0, 20, 2);
    ev(w, 1, TRACE_ALLOC, 0x3000, 0, 30, 3);
    ev(w, 1, TRACE_FREE, 0x2000, 0, 0, 0); /* not: 0x3000 came in between */
    ev(w, 1, TRACE_FREE, 0x3000, 0, 0, 0); /* not: a free came in between (heaptrack's rule too) */
    ev(w, 1, TRACE_ALLOC, 0x4000, 0, 40, 4);
    ev(w, 2, TRACE_ALLOC, 0x5000, 0, 50, 4); /* another thread's */
    ev(w, 1, TRACE_FREE, 0x4000, 0, 0, 0); /* temporary (stack 4) */
    ev(w, 1, TRACE_ALLOC, 0x6000, 0, 60, 5);
    ev(w, 1, TRACE_FREE, 0x6000, 0, 0, 0); /* a realloc's first half: not temporary */
    ev(w, 1, TRACE_REALLOC, 0, 0x7000, 70, 5);
    ev(w, 1, TRACE_FREE, 0x7000, 0, 0, 0); /* temporary (stack 5), the thread's last event */
    ls_analysis *a = load(w, path);
    CHECK_EQ_U64(a->temporary, 3);
    CHECK_EQ_U64(a->stack_use[1].temporary, 1);
    CHECK_EQ_U64(a->stack_use[2].temporary, 0);
    CHECK_EQ_U64(a->stack_use[3].temporary, 0);
    CHECK_EQ_U64(a->stack_use[4].temporary, 1);
    CHECK_EQ_U64(a->stack_use[5].temporary, 1);
    CHECK_EQ_U64(a->unmatched_frees, 0);
    ls_analysis_free(a);
}

/* Allocations, bytes and what is live at the end, per stack, against the
 * totals and the leak list. */
static void case_stack_use(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/use.trace", dir);
    trace_writer *w = create(path, 3);
    uint64_t seed = 7, live[64] = { 0 };
    uint64_t want_allocs[4] = { 0 }, want_bytes[4] = { 0 }, want_live[4] = { 0 }, want_live_bytes[4] = { 0 };
    uint64_t size_of[64] = { 0 };
    uint32_t stack_of[64] = { 0 };
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t slot = (uint32_t)(test_rnd(&seed) % 64);
        if (live[slot]) {
            ev(w, 1 + slot % 2, TRACE_FREE, live[slot], 0, 0, 0);
            live[slot] = 0;
            continue;
        }
        uint32_t s = 1 + (uint32_t)(test_rnd(&seed) % 3);
        uint64_t size = 1 + test_rnd(&seed) % 5000;
        live[slot] = 0x100000 + 0x10000 * (uint64_t)slot + 16 * (i % 4096);
        size_of[slot] = size;
        stack_of[slot] = s;
        ev(w, 1 + slot % 2, TRACE_ALLOC, live[slot], 0, size, s);
        want_allocs[s]++;
        want_bytes[s] += size;
    }
    for (uint32_t slot = 0; slot < 64; slot++) {
        if (!live[slot])
            continue;
        want_live[stack_of[slot]]++;
        want_live_bytes[stack_of[slot]] += size_of[slot];
    }
    ls_analysis *a = load(w, path);
    uint64_t allocs = 0, bytes = 0;
    for (uint32_t s = 1; s <= 3; s++) {
        CHECK_EQ_U64(a->stack_use[s].allocations, want_allocs[s]);
        CHECK_EQ_U64(a->stack_use[s].allocated_bytes, want_bytes[s]);
        CHECK_EQ_U64(a->stack_use[s].live_blocks, want_live[s]);
        CHECK_EQ_U64(a->stack_use[s].live_bytes, want_live_bytes[s]);
        allocs += a->stack_use[s].allocations;
        bytes += a->stack_use[s].allocated_bytes;
    }
    CHECK_EQ_U64(allocs, a->allocations);
    CHECK_EQ_U64(bytes, a->allocated_bytes);
    for (uint32_t i = 0; i < a->nleaks; i++) {
        CHECK_EQ_U64(a->leaks[i].bytes, a->stack_use[a->leaks[i].stack].live_bytes);
        CHECK_EQ_U64(a->leaks[i].blocks, a->stack_use[a->leaks[i].stack].live_blocks);
    }
    ls_analysis_free(a);
}

/* What each stack had live when the heap first reached its peak, against
 * a brute-force replay; a later tie with the peak does not move it. */
static void case_peak(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/peak.trace", dir);
    trace_writer *w = create(path, 3);
    uint64_t seed = 11, live[64] = { 0 }, size_of[64] = { 0 };
    uint32_t stack_of[64] = { 0 };
    uint64_t heap = 0, peak = 0, at_peak[4][2] = { { 0 } };
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t slot = (uint32_t)(test_rnd(&seed) % 64);
        if (live[slot]) {
            ev(w, 1 + slot % 2, TRACE_FREE, live[slot], 0, 0, 0);
            heap -= size_of[slot];
            live[slot] = 0;
            continue;
        }
        uint32_t s = 1 + (uint32_t)(test_rnd(&seed) % 3);
        uint64_t size = 1 + test_rnd(&seed) % 5000;
        live[slot] = 0x100000 + 0x10000 * (uint64_t)slot + 16 * (i % 4096);
        size_of[slot] = size;
        stack_of[slot] = s;
        ev(w, 1 + slot % 2, TRACE_ALLOC, live[slot], 0, size, s);
        heap += size;
        if (heap > peak) {
            peak = heap;
            memset(at_peak, 0, sizeof at_peak);
            for (uint32_t k = 0; k < 64; k++)
                if (live[k]) {
                    at_peak[stack_of[k]][0] += size_of[k];
                    at_peak[stack_of[k]][1]++;
                }
        }
    }
    /* Free everything, then come back to exactly the peak from another
     * stack: a tie, which must not move the peak. */
    for (uint32_t slot = 0; slot < 64; slot++)
        if (live[slot])
            ev(w, 1, TRACE_FREE, live[slot], 0, 0, 0);
    ev(w, 1, TRACE_ALLOC, 0x9000000, 0, peak, 3);
    ls_analysis *a = load(w, path);
    CHECK_EQ_U64(a->peak_heap_bytes, peak);
    uint64_t sum = 0;
    for (uint32_t s = 1; s <= 3; s++) {
        CHECK_EQ_U64(a->stack_use[s].peak_bytes, at_peak[s][0]);
        CHECK_EQ_U64(a->stack_use[s].peak_blocks, at_peak[s][1]);
        sum += a->stack_use[s].peak_bytes;
    }
    CHECK_EQ_U64(sum, a->peak_heap_bytes);
    ls_analysis_free(a);
}

static const test_case cases[] = {
    { "peak", case_peak },
    { "temporary", case_temporary },
    { "stack-use", case_stack_use },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-analysis", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}
