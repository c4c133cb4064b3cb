/* unwind.c — call stacks of the recorded program.
 *
 * On x86_64 the CFI walker (cfi.c) takes the stack with the rules it caches
 * per thread; where it cannot (a signal frame, code without unwind tables, a
 * stack other than the thread's own), libunwind's unw_backtrace takes the
 * whole stack instead. $LEAKSCOPE_UNWIND=libunwind (read in recorder.c)
 * always uses libunwind: for comparison, and as an escape hatch. Elsewhere,
 * libunwind only. Debian's libc has no frame pointers: both unwinders use
 * the DWARF CFI.
 *
 * The recorder's capture() first calls ls_unwind_cached, which takes no
 * lock (so a fork need not wait for it); only a stack with a rule not yet
 * cached, or one for libunwind, goes through ls_unwind_resolve / ls_unwind
 * under the fork handshake. $LEAKSCOPE_UNWIND_STATS=1 prints at exit how
 * many stacks fell back to libunwind. libunwind validates addresses without
 * a descriptor of its own (unwind-probe.c).
 *
 * The recorder's own frames are dropped by address range, so stacks start at
 * the caller of the trace_* function whatever the inlining.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include "recorder-private.h"

#include <link.h>
#include <libunwind.h>
#include <stdio.h>
#include <unistd.h>

static uintptr_t self_lo, self_hi;
bool ls_unwind_libunwind_only;
static bool print_stats;

/* Counts of threads that exited, or that reported every 4096 captures. */
static ls_unwind_stats totals; /* atomic fields */

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint64_t probe = (uintptr_t)data, lo, hi;
    if (ls_load_range(info, &lo, &hi) && probe >= lo && probe < hi) {
        self_lo = (uintptr_t)lo;
        self_hi = (uintptr_t)hi;
        return 1;
    }
    return 0;
}

void ls_unwind_init(bool only_libunwind, bool stats, bool same_code)
{
    if (!self_hi)
        dl_iterate_phdr(find_self, (void *)(uintptr_t)&ls_unwind_init);
#if LS_HAVE_CFI && !LS_SANITIZED_ADDRESS
    /* The recorder's code (the whole module: recorder, writer, interposers)
     * has no VLA and no alloca (-Wvla): a fixed layout for its memos. Not
     * under ASan, which realigns the frames of functions with instrumented
     * locals: their size then depends on the caller's stack alignment. */
    ls_cfi_fixed_lo = self_lo;
    ls_cfi_fixed_hi = self_hi;
#endif
    /* Before libunwind's first initialisation, which opens its pipe
     * (unwind-probe.c says why it must not). */
    ls_unwind_probe_install();
    /* A cache per thread: no lock, no signal masking on a cache miss (the
     * global cache takes both), and fork-safe. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    __atomic_store_n(&ls_unwind_libunwind_only, only_libunwind, __ATOMIC_RELAXED);
    __atomic_store_n(&print_stats, stats, __ATOMIC_RELAXED);
    if (!same_code)
        ls_unwind_invalidate();
}

#if LS_HAVE_CFI
__thread ls_cfi_cache *ls_unwind_tls_cfi __attribute__((tls_model("initial-exec")));
static __thread bool tls_cfi_failed __attribute__((tls_model("initial-exec")));

static void report(ls_cfi_cache *c)
{
    __atomic_fetch_add(&totals.captures, c->captures, __ATOMIC_RELAXED);
    __atomic_fetch_add(&totals.fallbacks, c->fallbacks, __ATOMIC_RELAXED);
    __atomic_fetch_add(&totals.truncated, c->truncated, __ATOMIC_RELAXED);
    __atomic_fetch_add(&totals.misses, c->misses, __ATOMIC_RELAXED);
    __atomic_fetch_add(&totals.memo_hits, c->memo_hits, __ATOMIC_RELAXED);
    c->captures = c->fallbacks = c->truncated = c->misses = c->memo_hits = 0;
}
#endif

void ls_unwind_invalidate(void)
{
#if LS_HAVE_CFI
    ls_cfi_invalidate();
#endif
}

void ls_unwind_thread_exit(void)
{
#if LS_HAVE_CFI
    ls_cfi_cache *c = ls_unwind_tls_cfi;
    if (c) {
        ls_unwind_tls_cfi = NULL;
        report(c);
        ls_cfi_cache_free(c);
    }
#endif
}

#if LS_HAVE_CFI
/* The calling thread's cache, made on first use; NULL: libunwind only. */
static ls_cfi_cache *thread_cache(void)
{
    if (__atomic_load_n(&ls_unwind_libunwind_only, __ATOMIC_RELAXED))
        return NULL;
    ls_cfi_cache *c = ls_unwind_tls_cfi;
    if (LS_UNLIKELY(!c)) {
        if (tls_cfi_failed)
            return NULL;
        c = ls_unwind_tls_cfi = ls_cfi_cache_new();
        tls_cfi_failed = c == NULL;
        if (!c)
            return NULL;
    }
    ls_cfi_cache_sync(c);
    return c;
}

static inline void count(ls_cfi_cache *c, bool fell_back)
{
    c->fallbacks += fell_back;
    if (LS_UNLIKELY((++c->captures & 4095) == 0))
        report(c);
}
#endif

/* The calling thread's cache, made now if it has none (a thread about to
 * fork: the child inherits it). */
void ls_unwind_thread_prepare(void)
{
#if LS_HAVE_CFI
    (void)thread_cache();
#endif
}

__attribute__((noinline)) uint32_t ls_unwind_cached(uint64_t *frames, uint32_t max, uint32_t tag, uint32_t *id)
{
    *id = 0;
#if LS_HAVE_CFI
    ls_cfi_cache *c = ls_unwind_tls_cfi;
    if (LS_UNLIKELY(!c))
        return LS_UNWIND_SLOW;
    c->fresh = false; /* nothing to name unless a walk below makes it so */
    c->partial_j = 0;
    if (LS_UNLIKELY(__atomic_load_n(&ls_unwind_libunwind_only, __ATOMIC_RELAXED)))
        return LS_UNWIND_SLOW;
    ls_cfi_cache_sync(c);
    c->pending = 0;
    if (max > TRACE_STACK_DEPTH_MAX)
        max = TRACE_STACK_DEPTH_MAX;
    ls_cfi_regs regs;
    LS_CFI_HERE(regs);
    if (LS_UNLIKELY(regs.rsp < c->stack_lo || regs.rsp >= c->stack_hi))
        return LS_UNWIND_SLOW;
    int n = ls_cfi_walk_cached_id(c, &regs, c->stack_hi, self_lo, self_hi, frames, max, tag, id);
    __asm__ volatile("" ::: "memory"); /* not a tail call: the walk reads this frame */
    if (LS_UNLIKELY(n < 0))
        return LS_UNWIND_SLOW;
    count(c, false);
    return (uint32_t)n;
#else
    (void)frames;
    (void)max;
    (void)tag;
    return LS_UNWIND_SLOW;
#endif
}

void ls_unwind_name(uint32_t tag, uint32_t id)
{
#if LS_HAVE_CFI
    ls_cfi_cache *c = ls_unwind_tls_cfi;
    if (c)
        ls_cfi_name_last(c, tag, id);
#else
    (void)tag;
    (void)id;
#endif
}

bool ls_unwind_resolve(void)
{
#if LS_HAVE_CFI
    ls_cfi_cache *c = ls_unwind_tls_cfi;
    if (!c || !c->pending)
        return false;
    uint64_t key = c->pending;
    c->pending = 0;
    ls_cfi_rule r;
    ls_cfi_lookup(c, key, &r);
    ls_cfi_cache_put(c, key, r);
    return true;
#else
    return false;
#endif
}

/* libunwind's stack from the caller of this function on, without the
 * leading frames in [lo, hi); `extra`: how many such frames there may be. */
static __attribute__((noinline)) uint32_t by_libunwind(uint64_t *frames, uint32_t max, uint64_t lo, uint64_t hi,
                                                       uint32_t extra)
{
    void *buf[TRACE_STACK_DEPTH_MAX + 17];
    uint32_t want = max + extra + 1;
    if (want > sizeof buf / sizeof *buf)
        want = sizeof buf / sizeof *buf;
    int n = unw_backtrace(buf, (int)want);
    int i = 1; /* this function's own frame */
    while (i < n && (uint64_t)(uintptr_t)buf[i] >= lo && (uint64_t)(uintptr_t)buf[i] < hi)
        i++;
    uint32_t out = 0;
    for (; i < n && out < max; i++)
        frames[out++] = (uint64_t)(uintptr_t)buf[i];
    return out;
}

#if LS_HAVE_CFI
/* The CFI walk from the registers of the function it is inlined into (so
 * always inlined: a frame of its own would be one more to skip); < 0: the
 * caller falls back to libunwind. Frames in [lo, hi) are the recorder's own. */
static inline __attribute__((always_inline)) int cfi_here(uint64_t *frames, uint32_t max, uint64_t lo, uint64_t hi)
{
    ls_cfi_cache *c = thread_cache();
    if (!c)
        return LS_CFI_FALLBACK;
    ls_cfi_regs regs;
    LS_CFI_HERE(regs);
    int n = LS_CFI_FALLBACK; /* another stack than the thread's: a signal stack, a coroutine's */
    if (regs.rsp >= c->stack_lo && regs.rsp < c->stack_hi)
        n = ls_cfi_walk(c, &regs, c->stack_hi, lo, hi, frames, max);
    __asm__ volatile("" ::: "memory");
    count(c, n < 0);
    return n;
}
#endif

__attribute__((noinline)) uint32_t ls_unwind(uint64_t *frames, uint32_t max)
{
    if (max > TRACE_STACK_DEPTH_MAX)
        max = TRACE_STACK_DEPTH_MAX;
#if LS_HAVE_CFI
    int n = cfi_here(frames, max, self_lo, self_hi);
    if (n >= 0)
        return (uint32_t)n;
#endif
    /* Up to 16 frames of the recorder's own before the program's. */
    return by_libunwind(frames, max, self_lo, self_hi, 16);
}

__attribute__((noinline)) uint32_t ls_backtrace(uint64_t *frames, uint32_t max)
{
    if (max > TRACE_STACK_DEPTH_MAX)
        max = TRACE_STACK_DEPTH_MAX;
#if LS_HAVE_CFI
    int n = cfi_here(frames, max, 0, 0);
    if (n >= 0)
        return (uint32_t)n;
#endif
    /* frames[0]: its return address, in here (so not a tail call). */
    uint32_t n2 = by_libunwind(frames, max, 0, 0, 0);
    __asm__ volatile("" ::: "memory");
    return n2;
}

void ls_unwind_get_stats(ls_unwind_stats *out)
{
#if LS_HAVE_CFI
    if (ls_unwind_tls_cfi)
        report(ls_unwind_tls_cfi);
#endif
    out->captures = __atomic_load_n(&totals.captures, __ATOMIC_RELAXED);
    out->fallbacks = __atomic_load_n(&totals.fallbacks, __ATOMIC_RELAXED);
    out->truncated = __atomic_load_n(&totals.truncated, __ATOMIC_RELAXED);
    out->misses = __atomic_load_n(&totals.misses, __ATOMIC_RELAXED);
    out->memo_hits = __atomic_load_n(&totals.memo_hits, __ATOMIC_RELAXED);
}

/* $LEAKSCOPE_UNWIND_STATS=1: one line on stderr at exit. Threads still
 * running then count what they reported (every 4096 captures). */
__attribute__((destructor)) static void print_unwind_stats(void)
{
    if (!__atomic_load_n(&print_stats, __ATOMIC_RELAXED))
        return;
    ls_unwind_stats s;
    ls_unwind_get_stats(&s);
    char line[256];
    snprintf(line, sizeof line,
             "pid %ld: %llu stacks, %llu by libunwind (%.2f%%), %llu truncated, %llu CFI misses, %llu from a memo",
             (long)getpid(), (unsigned long long)s.captures, (unsigned long long)s.fallbacks,
             s.captures ? 100.0 * (double)s.fallbacks / (double)s.captures : 0.0,
             (unsigned long long)s.truncated, (unsigned long long)s.misses, (unsigned long long)s.memo_hits);
    ls_warn("unwind: ", line, NULL);
}
