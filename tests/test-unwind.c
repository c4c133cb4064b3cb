/* test-unwind.c — the recorder's CFI stack walker (recorder/cfi.c) against
 * libunwind's unw_backtrace, frame for frame, on many shapes of stack:
 * recursion at -O2, VLAs and alloca (CFA on RBP), code with and without
 * frame pointers, stack arguments, shrink-wrapping, tail and noreturn calls,
 * C++ (std::sort, virtual calls, std::function, frames with exception
 * tables), a module loaded with dlopen, then closed and replaced, libc's
 * qsort calling back, threads, signal handlers and a coroutine's stack
 * (which must fall back to libunwind: a signal frame; a stack other than the
 * thread's). Then hostile
 * stacks: random words over a guarded buffer, a frame chain that loops, and
 * a copy of a real stack corrupted above a frame: every walk must end
 * without reading outside the stack.
 *
 * Usage: test-unwind MODULE_A MODULE_B [--bench]
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include "recorder-private.h"
#include "test-util.h"
#include "unwind-cases.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <libunwind.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define MAXF 256

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

enum { EXPECT_CFI, EXPECT_FALLBACK };

static __thread ls_cfi_cache *cache;
static __thread int expect;
static __thread int raise_signal;    /* the probe raises this signal instead of comparing */
static __thread const char *label;
static __thread unsigned probes, min_frames;
static __thread uint64_t last_frames[MAXF];
static __thread int last_n;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t pool[8192];          /* return addresses seen, for the hostile walks */
static size_t pool_n;
static int reported;

static void name_of(uint64_t pc, char *out, size_t n)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)pc, &info) && info.dli_sname)
        snprintf(out, n, "%s+%#lx", info.dli_sname, (unsigned long)(pc - (uint64_t)(uintptr_t)info.dli_saddr));
    else if (info.dli_fname)
        snprintf(out, n, "%s@%#lx", info.dli_fname, (unsigned long)(pc - (uint64_t)(uintptr_t)info.dli_fbase));
    else
        snprintf(out, n, "?");
}

static void show(const char *what, const uint64_t *ours, int n_ours, void *const *theirs, int n_theirs)
{
    if (__atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED) >= 6)
        return;
    fprintf(stderr, "  %s: %s: ours %d frames, libunwind %d\n", label, what, n_ours, n_theirs);
    int n = n_ours > n_theirs ? n_ours : n_theirs;
    for (int i = 0; i < n && i < 40; i++) {
        char a[128] = "-", b[128] = "-";
        if (i < n_ours)
            name_of(ours[i], a, sizeof a);
        if (i < n_theirs)
            name_of((uint64_t)(uintptr_t)theirs[i], b, sizeof b);
        fprintf(stderr, "    %2d %-50s %s%s\n", i, a, b,
                i < n_ours && i < n_theirs && ours[i] == (uint64_t)(uintptr_t)theirs[i] ? "" : "   <--");
    }
}

/* Both stacks from here: frame 0 of each is a return address into this
 * function (different call sites), the callers from frame 1 on must agree. */
static __thread int probe_self_skip;  /* compare ls_unwind, ls_unwind_cached instead */
static uint64_t exe_lo, exe_hi;       /* the "recorder" here: this executable */

static void compare_skipped(const char *what, const uint64_t *ours, uint32_t n_ours, void *const *theirs, int n_theirs)
{
    int i = 0;
    while (i < n_theirs && (uint64_t)(uintptr_t)theirs[i] >= exe_lo && (uint64_t)(uintptr_t)theirs[i] < exe_hi)
        i++;
    bool same = (int)n_ours == n_theirs - i;
    for (uint32_t k = 0; same && k < n_ours; k++)
        same = ours[k] == (uint64_t)(uintptr_t)theirs[i + (int)k];
    TEST_COUNT();
    if (!same) {
        TEST_FAIL();
        fprintf(stderr, "FAIL %s: %s differs from libunwind without the leading frames\n", label, what);
        show(what, ours, (int)n_ours, theirs + i, n_theirs - i);
    }
}

/* What the recorder's capture() does: the cached walk, resolving its
 * misses one at a time from one call site. How many resolves it took. */
static __attribute__((noinline)) uint32_t cached_like_capture(uint64_t *frames, uint32_t max, unsigned *resolves)
{
    *resolves = 0;
    for (;;) {
        uint32_t id;
        uint32_t n = ls_unwind_cached(frames, max, 0, &id);
        CHECK(id == 0); /* nothing named */
        if (n != LS_UNWIND_SLOW || *resolves >= 64 || !ls_unwind_resolve())
            return n;
        ++*resolves;
    }
}

static void probe_skipping(void)
{
    void *theirs[MAXF];
    uint64_t full[MAXF], cached[MAXF];
    unsigned resolves, again;
    int n_theirs = unw_backtrace(theirs, MAXF);
    uint32_t n_full = ls_unwind(full, MAXF - 16);
    /* One call site, the same frames of ours (not unrolled). A compiler may
     * peel the first retry out of the loop in there: the first call site's
     * own keys are then resolved over two calls, the third needs none. */
    uint32_t n[3] = { 0, 0, 0 };
    unsigned r[3] = { 0, 0, 0 };
    static volatile int trips = 3;
    for (int k = 0; k < trips; k++)
        n[k] = cached_like_capture(cached, MAXF - 16, &r[k]);
    uint32_t n_cached = n[0], n_again = n[2];
    resolves = r[0] + r[1];
    again = r[2];
    probes++;
    compare_skipped("ls_unwind", full, n_full, theirs, n_theirs);
    if (expect == EXPECT_FALLBACK) {
        CHECK(n_cached == LS_UNWIND_SLOW);
    } else {
        CHECK(n_cached != LS_UNWIND_SLOW && resolves < 10);
        /* A third time, every rule is cached. */
        CHECK(n_again == n_cached && again == 0);
        if (n_again != LS_UNWIND_SLOW)
            compare_skipped("ls_unwind_cached", cached, n_again, theirs, n_theirs);
    }
}

__attribute__((noinline)) void unwind_probe(void)
{
    if (probe_self_skip && !raise_signal) {
        probe_skipping();
        return;
    }
    if (raise_signal) {
        int sig = raise_signal;
        raise_signal = 0;
        raise(sig);
        return;
    }
    void *theirs[MAXF];
    uint64_t ours[MAXF], both[MAXF + 1];
    int n_theirs = unw_backtrace(theirs, MAXF);
    ls_cfi_cache_sync(cache);
    int n_ours = ls_cfi_backtrace(cache, ours, MAXF);
    uint32_t n_both = ls_backtrace(both, MAXF + 1);
    probes++;
    CHECK(n_theirs > 2 && n_theirs < MAXF);
    if ((unsigned)n_theirs < min_frames + 1) {
        TEST_FAIL();
        fprintf(stderr, "FAIL %s: %d frames, expected %u at least\n", label, n_theirs, min_frames + 1);
    }
    if (expect == EXPECT_CFI) {
        bool same = n_ours == n_theirs;
        for (int i = 1; same && i < n_ours; i++)
            same = ours[i] == (uint64_t)(uintptr_t)theirs[i];
        TEST_COUNT();
        if (!same) {
            TEST_FAIL();
            fprintf(stderr, "FAIL %s: the CFI walk differs from libunwind\n", label);
            show("ls_cfi_backtrace", ours, n_ours, theirs, n_theirs);
        }
    } else {
        TEST_COUNT();
        if (n_ours != LS_CFI_FALLBACK) {
            TEST_FAIL();
            fprintf(stderr, "FAIL %s: the CFI walk should have fallen back, gave %d frames\n", label, n_ours);
            show("ls_cfi_backtrace", ours, n_ours, theirs, n_theirs);
        }
    }
    /* ls_backtrace (CFI or libunwind): one more frame, inside ls_backtrace. */
    bool same = (int)n_both == n_theirs + 1;
    for (int i = 1; same && i < n_theirs; i++)
        same = both[i + 1] == (uint64_t)(uintptr_t)theirs[i];
    TEST_COUNT();
    if (!same) {
        TEST_FAIL();
        fprintf(stderr, "FAIL %s: ls_backtrace differs from libunwind\n", label);
        show("ls_backtrace (from its frame 1)", both + 1, (int)n_both - 1, theirs, n_theirs);
    }
    last_n = n_theirs;
    for (int i = 0; i < n_theirs; i++)
        last_frames[i] = (uint64_t)(uintptr_t)theirs[i];
    pthread_mutex_lock(&pool_lock);
    for (int i = 1; i < n_theirs && pool_n < sizeof pool / sizeof *pool; i++)
        pool[pool_n++] = (uint64_t)(uintptr_t)theirs[i];
    pthread_mutex_unlock(&pool_lock);
}

/* ---- the cases ---- */

static void on_signal(int sig)
{
    (void)sig;
    int saved = expect;
    expect = EXPECT_FALLBACK; /* __restore_rt: the 'S' augmentation */
    unwind_probe();
    expect = saved;
}

#define RUN(name, min, call)        \
    do {                            \
        label = name;               \
        min_frames = (min);         \
        call;                       \
    } while (0)

static void run_cases(const char *where)
{
    char name[128];
    expect = EXPECT_CFI;
    for (int d = 0; d <= 60; d += 3) {
        snprintf(name, sizeof name, "%s: recursion %d, frame pointers", where, d);
        RUN(name, (unsigned)d, unwind_recurse_fp(d));
        snprintf(name, sizeof name, "%s: recursion %d, no frame pointers", where, d);
        RUN(name, (unsigned)d, unwind_recurse_nofp(d));
    }
    for (int d = 0; d < 12; d += 2) {
        snprintf(name, sizeof name, "%s: VLA depth %d", where, d);
        RUN(name, (unsigned)d, unwind_vla_fp(13, d));
        RUN(name, (unsigned)d, unwind_vla_nofp(13, d));
        snprintf(name, sizeof name, "%s: alloca depth %d", where, d);
        RUN(name, (unsigned)d, unwind_alloca_fp(5, d));
        RUN(name, (unsigned)d, unwind_alloca_nofp(5, d));
        snprintf(name, sizeof name, "%s: shrink-wrapped depth %d", where, d);
        RUN(name, (unsigned)d, unwind_shrinkwrap_fp(3, d));
        RUN(name, (unsigned)d, unwind_shrinkwrap_nofp(3, d));
        snprintf(name, sizeof name, "%s: tail calls depth %d", where, d);
        RUN(name, (unsigned)d, unwind_tail_fp(d));
        RUN(name, (unsigned)d, unwind_tail_nofp(d));
        snprintf(name, sizeof name, "%s: stack arguments depth %d", where, d);
        RUN(name, (unsigned)d, unwind_many_args_fp(1, 2, 3, 4, 5, 6, 7, 8, 9, d));
        RUN(name, (unsigned)d, unwind_many_args_nofp(1, 2, 3, 4, 5, 6, 7, 8, 9, d));
        snprintf(name, sizeof name, "%s: noreturn depth %d", where, d);
        RUN(name, 2, unwind_noreturn_fp(d));
        RUN(name, 2, unwind_noreturn_nofp(d));
        snprintf(name, sizeof name, "%s: mutual recursion depth %d", where, d);
        RUN(name, (unsigned)d, unwind_mutual_fp(d));
        RUN(name, (unsigned)d, unwind_mutual_nofp(d));
        snprintf(name, sizeof name, "%s: C++ virtual depth %d", where, d);
        RUN(name, (unsigned)d, unwind_cxx_virtual(d));
        snprintf(name, sizeof name, "%s: C++ std::function depth %d", where, d);
        RUN(name, (unsigned)d, unwind_cxx_function(d));
        snprintf(name, sizeof name, "%s: C++ frames with handlers depth %d", where, d);
        RUN(name, (unsigned)d, unwind_cxx_after_throw(d));
    }
    snprintf(name, sizeof name, "%s: qsort comparator (libc)", where);
    RUN(name, 3, unwind_qsort_fp(1000));
    RUN(name, 3, unwind_qsort_nofp(1000));
    snprintf(name, sizeof name, "%s: std::sort lambda", where);
    RUN(name, 3, unwind_cxx_sort(1000));

    /* Signal handlers: the stack goes through __restore_rt, which the CFI
     * walker leaves to libunwind. */
    for (int d = 0; d < 20; d += 5) {
        snprintf(name, sizeof name, "%s: signal handler at depth %d", where, d);
        raise_signal = SIGUSR1;
        RUN(name, (unsigned)d, unwind_recurse_nofp(d));
        snprintf(name, sizeof name, "%s: signal handler on an alternate stack at depth %d", where, d);
        raise_signal = SIGUSR2;
        RUN(name, 3, unwind_recurse_fp(d));
    }
    expect = EXPECT_CFI;
}

static void check_bounds(const char *where);

/* A coroutine: a stack of its own (from malloc), entered with swapcontext.
 * The CFI walker leaves stacks other than the thread's to libunwind. */
static __thread ucontext_t co_caller, co_callee;

static void co_entry(void)
{
    int saved = expect;
    expect = EXPECT_FALLBACK;
    label = "coroutine on a stack from malloc";
    min_frames = 3;
    unwind_recurse_nofp(3);
    unwind_cxx_virtual(2);
    expect = saved;
}

static void coroutine_cases(void)
{
    size_t size = 256 * 1024;
    void *stack = malloc(size);
    CHECK(stack != NULL);
    if (!stack || getcontext(&co_callee) != 0)
        return;
    co_callee.uc_stack.ss_sp = stack;
    co_callee.uc_stack.ss_size = size;
    co_callee.uc_link = &co_caller;
    makecontext(&co_callee, co_entry, 0);
    CHECK(swapcontext(&co_caller, &co_callee) == 0);
    free(stack);

    /* Even where the walk would succeed, a stack pointer outside the
     * cache's stack bounds falls back. */
    uint64_t frames[MAXF];
    uint64_t lo = cache->stack_lo, hi = cache->stack_hi;
    CHECK(ls_cfi_backtrace(cache, frames, MAXF) > 2);
    cache->stack_lo = hi - 64;
    CHECK(ls_cfi_backtrace(cache, frames, MAXF) == LS_CFI_FALLBACK);
    cache->stack_lo = lo;
    cache->stack_hi = lo + 64;
    CHECK(ls_cfi_backtrace(cache, frames, MAXF) == LS_CFI_FALLBACK);
    cache->stack_hi = hi;
}

static void *case_thread(void *arg)
{
    cache = ls_cfi_cache_new();
    CHECK(cache != NULL);
    stack_t ss = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16 };
    sigaltstack(&ss, NULL);
    check_bounds(arg);
    run_cases(arg);
    coroutine_cases();
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(ss.ss_sp);
    ls_cfi_cache_free(cache);
    ls_unwind_thread_exit();
    return NULL;
}

/* ---- stack bounds ---- */

/* A cache made while on the alternate signal stack still has the thread's
 * own stack as bounds (a thread's first capture may be in such a handler). */
static __thread volatile uint64_t normal_stack_word;
static __thread volatile sig_atomic_t bounds_ok; /* set in the handler */

static void bounds_on_signal(int sig)
{
    (void)sig;
    ls_cfi_regs regs; /* the real stack pointer (a local may live on ASan's fake stack) */
    LS_CFI_HERE(regs);
    uint64_t here = regs.rsp;
    ls_cfi_cache *c = ls_cfi_cache_new();
    bounds_ok = c && c->stack_lo <= normal_stack_word && normal_stack_word < c->stack_hi &&
                !(c->stack_lo <= here && here < c->stack_hi);
    if (c)
        ls_cfi_cache_free(c);
}

static void check_bounds(const char *where)
{
    ls_cfi_regs regs;
    LS_CFI_HERE(regs);
    normal_stack_word = regs.rsp;
    ls_cfi_cache *c = ls_cfi_cache_new();
    TEST_COUNT();
    if (!c || !(c->stack_lo <= normal_stack_word && normal_stack_word < c->stack_hi) ||
        c->stack_hi - normal_stack_word > 64u << 20) {
        TEST_FAIL();
        fprintf(stderr, "FAIL %s: stack bounds [%#llx, %#llx) do not hold %#llx\n", where,
                c ? (unsigned long long)c->stack_lo : 0ull, c ? (unsigned long long)c->stack_hi : 0ull,
                (unsigned long long)normal_stack_word);
    }
    if (c)
        ls_cfi_cache_free(c);
    /* The handler (bounds_on_signal) is installed once, in main: threads
     * that set and restored it here around their own raise raced (a thread
     * restoring the default action left another's signal ignored). */
    bounds_ok = 0;
    raise(SIGURG);
    TEST_COUNT();
    if (!bounds_ok) {
        TEST_FAIL();
        fprintf(stderr, "FAIL %s: a cache made on the signal stack has other bounds\n", where);
    }
}

/* A child forked by a thread other than main: that thread is the child's
 * main thread (tid == pid), its stack is still the thread's, not [stack]. */
static void *fork_thread(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        ls_cfi_regs regs;
        LS_CFI_HERE(regs);
        ls_cfi_cache *c = ls_cfi_cache_new();
        bool ok = c && c->stack_lo <= regs.rsp && regs.rsp < c->stack_hi;
        uint64_t frames[16];
        ok = ok && ls_cfi_backtrace(c, frames, 16) > 1;
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return NULL;
}

/* ---- a module loaded, closed and replaced ---- */

static void module_cases(const char *path_a, const char *path_b)
{
    expect = EXPECT_CFI;
    void *h = dlopen(path_a, RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path_a, dlerror());
        return;
    }
    unwind_mod_fn run = (unwind_mod_fn)(uintptr_t)dlsym(h, "unwind_mod_run");
    CHECK(run != NULL);
    uint64_t a_base = 0;
    Dl_info info;
    if (run && dladdr((void *)(uintptr_t)run, &info))
        a_base = (uint64_t)(uintptr_t)info.dli_fbase;
    for (int d = 0; d < 30; d += 7) {
        label = "module A (dlopen)";
        min_frames = (unsigned)d;
        run(d, unwind_probe);
    }
    /* Rules for module A's addresses are now cached. */
    size_t filled = 0;
    for (size_t i = 0; i < LS_CFI_ENTRIES; i++)
        filled += cache->slots[i].key != 0;
    CHECK(filled > 10);

    /* dlclose without the interposer's bump: the next miss sees the
     * loader's unload count change and clears the cache. */
    dlclose(h);
    ls_cfi_rule r;
    ls_cfi_lookup(cache, (uint64_t)(uintptr_t)&unwind_probe, &r);
    filled = 0;
    for (size_t i = 0; i < LS_CFI_ENTRIES; i++)
        filled += cache->slots[i].key != 0;
    CHECK_EQ_U64(filled, 0);

    /* Module B, likely at A's address: the generation bump (what the
     * preload module's dlclose does) clears every cache before its next walk. */
    h = dlopen(path_a, RTLD_NOW | RTLD_LOCAL);
    run = h ? (unwind_mod_fn)(uintptr_t)dlsym(h, "unwind_mod_run") : NULL;
    CHECK(run != NULL);
    if (run) {
        label = "module A again";
        min_frames = 5;
        run(5, unwind_probe);
    }
    if (h)
        dlclose(h);
    ls_unwind_invalidate();
    void *hb = dlopen(path_b, RTLD_NOW | RTLD_LOCAL);
    CHECK(hb != NULL);
    if (!hb)
        return;
    unwind_mod_fn run_b = (unwind_mod_fn)(uintptr_t)dlsym(hb, "unwind_mod_run");
    CHECK(run_b != NULL);
    if (run_b && dladdr((void *)(uintptr_t)run_b, &info))
        printf("module A at %#llx, module B at %#llx%s\n", (unsigned long long)a_base,
               (unsigned long long)(uintptr_t)info.dli_fbase,
               a_base == (uint64_t)(uintptr_t)info.dli_fbase ? " (same address)" : "");
    ls_cfi_cache_sync(cache);
    filled = 0;
    for (size_t i = 0; i < LS_CFI_ENTRIES; i++)
        filled += cache->slots[i].key != 0;
    CHECK_EQ_U64(filled, 0);
    for (int d = 0; d < 30 && run_b; d += 7) {
        label = "module B (dlopen after dlclose of A)";
        min_frames = (unsigned)d;
        run_b(d, unwind_probe);
    }
    dlclose(hb);
    ls_unwind_invalidate();
}

/* ---- rules of known places ---- */

static void rule_cases(void)
{
    ls_cfi_rule r;
    /* The signal trampoline: the lookup of its return address - 1 (the FDE
     * starts a byte early for that) finds the 'S' augmentation. */
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    uint64_t restorer = (uint64_t)(uintptr_t)sa.sa_restorer;
    CHECK(restorer != 0 || SANITIZED); /* TSan's sigaction does not show it */
    if (restorer) {
        CHECK(!ls_cfi_lookup(NULL, restorer - 1, &r));
        CHECK(!ls_cfi_lookup(NULL, restorer, &r));
    }
    CHECK(!ls_cfi_lookup(NULL, 0x1000, &r));   /* no module */
    CHECK(!ls_cfi_lookup(NULL, (uint64_t)(uintptr_t)&pool[3], &r)); /* data, not code */

    /* A function's first instruction: CFA = RSP+8, RBP untouched. */
    CHECK(ls_cfi_lookup(NULL, (uint64_t)(uintptr_t)&unwind_recurse_nofp, &r));
    CHECK_EQ_U64(r.kind, LS_CFI_CFA_RSP);
    CHECK_EQ_U64(r.cfa_off, 8);
    CHECK_EQ_U64(r.rbp_saved, 0);

    /* Inside a frame-pointer function: CFA = RBP+16, RBP saved at CFA-16. */
    label = "rule of a frame-pointer function";
    min_frames = 0;
    expect = EXPECT_CFI;
    unwind_recurse_fp(0);
    CHECK(last_n > 2 && ls_cfi_lookup(NULL, last_frames[1] - 1, &r));
    CHECK_EQ_U64(r.kind, LS_CFI_CFA_RBP);
    CHECK_EQ_U64(r.cfa_off, 16);
    CHECK_EQ_U64(r.rbp_saved, 1);
    CHECK_EQ_U64((uint64_t)(int64_t)r.rbp_off, (uint64_t)(int64_t)-16);
    /* The outermost frame (_start: its return address column is undefined). */
    CHECK(last_n > 2 && ls_cfi_lookup(NULL, last_frames[last_n - 1] - 1, &r));
    CHECK_EQ_U64(r.kind, LS_CFI_END);
}

/* ---- leaving the recorder's frames out (ls_unwind, ls_unwind_cached) ---- */

static uint64_t tls_cfi_memo_hits(void)
{
    ls_unwind_stats st;
    ls_unwind_get_stats(&st);
    return st.memo_hits;
}

static int find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uint64_t lo, hi, probe = (uint64_t)(uintptr_t)&find_exe;
    if (ls_load_range(info, &lo, &hi) && probe >= lo && probe < hi) {
        exe_lo = lo;
        exe_hi = hi;
        return 1;
    }
    return 0;
}

static void *skip_thread(void *arg)
{
    (void)arg;
    uint64_t frames[MAXF];
    /* No cache on a new thread yet: the cached walk declines. */
    uint32_t id;
    CHECK(ls_unwind_cached(frames, 64, 0, &id) == LS_UNWIND_SLOW);
    probe_self_skip = 1;
    expect = EXPECT_CFI;
    label = "recorder's frames left out, thread";
    min_frames = 0;
    unwind_recurse_nofp(4);
    unwind_qsort_fp(50);
    ls_unwind_thread_exit();
    return NULL;
}

static void skip_cases(void)
{
    dl_iterate_phdr(find_exe, NULL);
    CHECK(exe_hi > exe_lo);
    ls_unwind_init(false, false, false); /* the recorder's range: this executable */
    probe_self_skip = 1;
    expect = EXPECT_CFI;
    min_frames = 0;
    label = "recorder's frames left out, recursion";
    unwind_recurse_nofp(6);
    label = "recorder's frames left out, through qsort (leading frames only)";
    unwind_qsort_nofp(100);
    label = "recorder's frames left out, C++";
    unwind_cxx_after_throw(3);
    /* Leading frames on RBP (VLA, frame pointers), and more of them than a
     * memo holds: walked frame by frame. */
    label = "recorder's frames left out, VLA frames";
    unwind_vla_nofp(9, 3);
    unwind_vla_fp(9, 3);
    label = "recorder's frames left out, 20 of them";
    unwind_recurse_nofp(20);
    /* VLA frames of other sizes behind the same return addresses: a memo
     * must not apply (old return addresses may linger at the old places). */
    label = "recorder's frames left out, VLA frames of changing sizes";
    for (int k = 0; k < 12; k++)
        unwind_vla_nofp(9 + 40 * (k % 3), 2);
    /* Each shape again: now from memos of the leading frames. */
    uint64_t hits = tls_cfi_memo_hits();
    label = "recorder's frames left out, again";
    for (int d = 0; d < 12; d++) {
        unwind_recurse_nofp(d % 4);
        unwind_recurse_fp(d % 3);
        unwind_vla_nofp(9, d % 2);
    }
#if !SANITIZED /* instrumented frames are on RBP: no memo */
    CHECK(tls_cfi_memo_hits() > hits + 20);
#else
    (void)hits;
#endif
    label = "recorder's frames left out, signal handler (libunwind)";
    raise_signal = SIGUSR1;
    unwind_recurse_fp(2);
    pthread_t th;
    pthread_create(&th, NULL, skip_thread, NULL);
    pthread_join(th, NULL);
    probe_self_skip = 0;
}

/* ---- hand-written CFI (unwind-cfi.S) ---- */

#define LABELS(X)                                                                  \
    X(cfi_ra_elsewhere_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                             \
    X(cfi_cfa_r10_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                                  \
    X(cfi_cfa_expr_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                                 \
    X(cfi_rbp_expr_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                                 \
    X(cfi_rbp_in_reg_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                               \
    X(cfi_rsp_saved_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                                \
    X(cfi_signal_at, LS_CFI_UNSUPPORTED, 0, 0, 0)                                   \
    X(cfi_outermost_at, LS_CFI_END, 0, 0, 0)                                        \
    X(cfi_factored_at24, LS_CFI_CFA_RSP, 24, 1, -16)                                \
    X(cfi_factored_at32, LS_CFI_CFA_RSP, 32, 1, -16)                                \
    X(cfi_remember_ret_at, LS_CFI_CFA_RSP, 8, 0, 0)                                 \
    X(cfi_remember_body_at, LS_CFI_CFA_RBP, 16, 1, -16)                             \
    X(cfi_rows_at8, LS_CFI_CFA_RSP, 8, 0, 0)                                        \
    X(cfi_rows_at16, LS_CFI_CFA_RSP, 16, 0, 0)                                      \
    X(cfi_rows_at24, LS_CFI_CFA_RSP, 24, 0, 0)                                      \
    X(cfi_rows_at32, LS_CFI_CFA_RSP, 32, 0, 0)                                      \
    X(cfi_rows_at40, LS_CFI_CFA_RSP, 40, 0, 0)                                      \
    X(cfi_rows_last_at40, LS_CFI_CFA_RSP, 40, 0, 0)                                 \
    X(cfi_pers_pcrel4_at16, LS_CFI_CFA_RSP, 16, 0, 0)                               \
    X(cfi_pers_indirect_at16, LS_CFI_CFA_RSP, 16, 0, 0)                             \
    X(cfi_raw_sdata4_at16, LS_CFI_CFA_RSP, 16, 1, -16)                              \
    X(cfi_raw_sdata8_at16, LS_CFI_CFA_RSP, 16, 1, -16)                              \
    X(cfi_raw_udata8_at16, LS_CFI_CFA_RSP, 16, 1, -16)

#define DECLARE(label, kind, off, saved, rbp) extern const char label[];
LABELS(DECLARE)
#undef DECLARE
extern const char cfi_rows[], cfi_raw_sdata4[];

static void asm_rule_cases(void)
{
    static const struct {
        const char *name;
        const char *at;
        int kind, off, saved, rbp;
    } want[] = {
#define ROW(label, kind, off, saved, rbp) { #label, label, kind, off, saved, rbp },
        LABELS(ROW)
#undef ROW
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        ls_cfi_rule r;
        bool ok = ls_cfi_lookup(NULL, (uint64_t)(uintptr_t)want[i].at, &r);
        bool same = ok == (want[i].kind != LS_CFI_UNSUPPORTED) && r.kind == want[i].kind;
        if (same && (r.kind == LS_CFI_CFA_RSP || r.kind == LS_CFI_CFA_RBP))
            same = r.cfa_off == want[i].off && r.rbp_saved == want[i].saved &&
                   (!r.rbp_saved || r.rbp_off == want[i].rbp);
        TEST_COUNT();
        if (!same) {
            TEST_FAIL();
            fprintf(stderr, "FAIL rule at %s: kind %d cfa %+d rbp %s%+d, expected kind %d cfa %+d rbp %s%+d\n",
                    want[i].name, r.kind, r.cfa_off, r.rbp_saved ? "at " : "unchanged ", r.rbp_off,
                    want[i].kind, want[i].off, want[i].saved ? "at " : "unchanged ", want[i].rbp);
        }
    }
    /* One byte before a row's start: the previous row. */
    ls_cfi_rule r;
    CHECK(ls_cfi_lookup(NULL, (uint64_t)(uintptr_t)cfi_rows_at32 - 1, &r) && r.cfa_off == 24);
    CHECK(ls_cfi_lookup(NULL, (uint64_t)(uintptr_t)cfi_rows_at40 - 1, &r) && r.cfa_off == 32);
    /* The hand-made FDE's first byte: the CIE's rule. */
    CHECK(ls_cfi_lookup(NULL, (uint64_t)(uintptr_t)cfi_raw_sdata4, &r) && r.cfa_off == 8 && !r.rbp_saved);
}

/* ---- hostile stacks ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) { return test_rnd(&rng_state); }

/* A buffer between two inaccessible pages: a read outside it faults. */
typedef struct guarded {
    uint8_t *map;
    uint64_t *words;
    size_t nwords, bytes;
} guarded;

static guarded guarded_new(size_t pages)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guarded g = { 0 };
    g.bytes = pages * page;
    g.map = mmap(NULL, g.bytes + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED)
        return (guarded){ 0 };
    mprotect(g.map + page, g.bytes, PROT_READ | PROT_WRITE);
    g.words = (uint64_t *)(g.map + page);
    g.nwords = g.bytes / 8;
    return g;
}

static void guarded_free(guarded *g)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    munmap(g->map, g->bytes + 2 * page);
}

static uint64_t random_word(const guarded *g)
{
    uint64_t lo = (uint64_t)(uintptr_t)g->words, hi = lo + g->bytes;
    switch (rnd() % 8) {
    case 0:
    case 1:
    case 2: return pool_n ? pool[rnd() % pool_n] : rnd();        /* a real return address */
    case 3: return lo + rnd() % g->bytes;                          /* into the buffer, any alignment */
    case 4: return hi - 8 * (rnd() % 16);                           /* near its top */
    case 5: return rnd() % 64;                                      /* small numbers, 0 */
    case 6: return (uint64_t)(uintptr_t)&unwind_probe + rnd() % 4096; /* code, anywhere */
    default: return rnd();
    }
}

/* The walk's own checks, with rules put in a cache by hand (no FDE gives
 * them): a walk over a buffer between inaccessible pages, from its start. */
static int walk_synthetic(ls_cfi_rule rule, const uint64_t *words, size_t nwords, uint32_t max, uint64_t *c_truncated)
{
    guarded g = guarded_new(1);
    ls_cfi_cache *c = ls_cfi_cache_new();
    if (!g.words || !c)
        return -100;
    const uint64_t key = 0x10000; /* no code there: only the rule put here */
    ls_cfi_cache_put(c, key, rule);
    ls_cfi_cache_put(c, key - 1, rule);
    memcpy(g.words, words, nwords * 8);
    uint64_t base = (uint64_t)(uintptr_t)g.words;
    ls_cfi_regs regs = { key, base, words[0] == 1 ? base : words[0] };
    uint64_t frames[MAXF];
    int n = ls_cfi_walk(c, &regs, base + 8 * nwords, 0, 0, frames, max);
    *c_truncated = c->truncated;
    ls_cfi_cache_free(c);
    guarded_free(&g);
    return n;
}

/* A memo of leading frames that saved RBP, before a kept frame whose CFA
 * is on RBP: the second walk (from the memo) must give the same frames. */
static void synthetic_memo(void)
{
    guarded g = guarded_new(1);
    ls_cfi_cache *c = ls_cfi_cache_new();
    CHECK(g.words && c);
    if (!g.words || !c)
        return;
    const uint64_t p0 = 0x10000, p1 = 0x10040, p2 = 0x20000, p3 = 0x30000;
    ls_cfi_cache_put(c, p0, (ls_cfi_rule){ 16, -16, LS_CFI_CFA_RSP, 1 });     /* pushes RBP */
    ls_cfi_cache_put(c, p1 - 1, (ls_cfi_rule){ 16, 0, LS_CFI_CFA_RSP, 0 });
    ls_cfi_cache_put(c, p2 - 1, (ls_cfi_rule){ 16, -16, LS_CFI_CFA_RBP, 1 }); /* frame pointer */
    ls_cfi_cache_put(c, p3 - 1, (ls_cfi_rule){ 8, 0, LS_CFI_CFA_RSP, 0 });
    uint64_t base = (uint64_t)(uintptr_t)g.words;
    uint64_t *w = g.words;
    for (size_t i = 0; i < g.nwords; i++)
        w[i] = p3; /* where a wrong RBP leads */
    w[0] = base + 40; /* frame 0 saved RBP: frame 2's frame pointer */
    w[1] = p1;        /* frame 0 CFA base+16 */
    w[3] = p2;        /* frame 1 CFA base+32 */
    w[5] = base + 64; /* frame 2's saved RBP, at its CFA-16 = base+40 */
    w[6] = p3;        /* frame 2 CFA = RBP+16 = base+56 */
    w[7] = 0;         /* frame 3 CFA base+64: the end */
    ls_cfi_regs regs = { p0, base, base + 2048 };
    uint64_t f1[8], f2[8];
    uint64_t hits = c->memo_hits;
    int n1 = ls_cfi_walk(c, &regs, base + g.bytes, p0, p1 + 1, f1, 8);
    int n2 = ls_cfi_walk(c, &regs, base + g.bytes, p0, p1 + 1, f2, 8);
    CHECK_EQ_U64(n1, 2);
    CHECK_EQ_U64(n2, 2);
    CHECK(n1 == 2 && f1[0] == p2 && f1[1] == p3);
    CHECK(n2 == 2 && f2[0] == p2 && f2[1] == p3);
    CHECK_EQ_U64(c->memo_hits, hits + 1);
    /* A leading frame whose CFA is on RBP gives no memo: the same return
     * address in the same place, but another RBP, is another stack. */
    const uint64_t q0 = 0x40000, q2 = 0x50000, q3 = 0x60000;
    ls_cfi_cache_put(c, q0, (ls_cfi_rule){ 16, 0, LS_CFI_CFA_RBP, 0 });
    ls_cfi_cache_put(c, q2 - 1, (ls_cfi_rule){ 8, 0, LS_CFI_CFA_RSP, 0 });
    ls_cfi_cache_put(c, q3 - 1, (ls_cfi_rule){ 8, 0, LS_CFI_CFA_RSP, 0 });
    memset(w, 0, g.bytes);
    w[1] = q2; /* CFA base+16 with RBP = base */
    w[5] = q3; /* CFA base+48 with RBP = base+32 */
    ls_cfi_regs ra_regs = { q0, base, base }, rb_regs = { q0, base, base + 32 };
    n1 = ls_cfi_walk(c, &ra_regs, base + g.bytes, q0, q0 + 1, f1, 8);
    n2 = ls_cfi_walk(c, &rb_regs, base + g.bytes, q0, q0 + 1, f2, 8);
    CHECK(n1 == 1 && f1[0] == q2);
    CHECK(n2 == 1 && f2[0] == q3);
    /* A cleared cache has no memo either. */
    ls_cfi_invalidate();
    ls_cfi_cache_sync(c);
    for (int i = 0; i < LS_CFI_MEMO_ENTRIES; i++)
        CHECK_EQ_U64(c->memo[i].start, 0);
    ls_cfi_cache_free(c);
    guarded_free(&g);
}

static void synthetic_rules(void)
{
    uint64_t truncated;
    const uint64_t key = 0x10000;
    /* CFA = RSP+0: the return address would be below the stack pointer. */
    uint64_t w1[4] = { key + 1, key + 1, key + 1, key + 1 };
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 0, 0, LS_CFI_CFA_RSP, 0 }, w1, 4, MAXF, &truncated), 1);
    CHECK_EQ_U64(truncated, 1);
    /* CFA = RBP+16 with RBP unchanged: the second frame's CFA is the first's. */
    uint64_t w2[4] = { 1, key + 1, key + 1, key + 1 };
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 16, 0, LS_CFI_CFA_RBP, 0 }, w2, 4, MAXF, &truncated), 2);
    CHECK_EQ_U64(truncated, 1);
    /* A zero return address ends the stack (no fallback). */
    uint64_t w3[4] = { 5, 0, 7, 7 };
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 16, 0, LS_CFI_CFA_RSP, 0 }, w3, 4, MAXF, &truncated), 1);
    CHECK_EQ_U64(truncated, 0);
    /* The saved RBP below the stack pointer, and above the stack top. */
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 16, -24, LS_CFI_CFA_RSP, 1 }, w1, 4, MAXF, &truncated), 1);
    CHECK_EQ_U64(truncated, 1);
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 16, 16, LS_CFI_CFA_RSP, 1 }, w1, 4, MAXF, &truncated), 1);
    CHECK_EQ_U64(truncated, 1);
    /* CFA beyond the stack top, and a huge negative offset that wraps. */
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 40, 0, LS_CFI_CFA_RSP, 0 }, w1, 4, MAXF, &truncated), 1);
    CHECK_EQ_U64(truncated, 1);
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ INT32_MIN, 0, LS_CFI_CFA_RSP, 0 }, w1, 4, MAXF, &truncated), 1);
    CHECK_EQ_U64(truncated, 1);
    /* A self-repeating stack of valid frames stops at max, then at the top. */
    uint64_t w4[64];
    for (size_t i = 0; i < 64; i++)
        w4[i] = key + 1;
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 8, 0, LS_CFI_CFA_RSP, 0 }, w4, 64, 10, &truncated), 10);
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 8, 0, LS_CFI_CFA_RSP, 0 }, w4, 64, MAXF, &truncated), 65);
    CHECK_EQ_U64(truncated, 1);
    /* Kinds that are not rules. */
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 8, 0, LS_CFI_UNSUPPORTED, 0 }, w4, 64, MAXF, &truncated),
                 (uint64_t)(int64_t)LS_CFI_FALLBACK);
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 8, 0, LS_CFI_END, 0 }, w4, 64, MAXF, &truncated), 1);
    CHECK_EQ_U64(walk_synthetic((ls_cfi_rule){ 8, 0, 77, 0 }, w4, 64, MAXF, &truncated),
                 (uint64_t)(int64_t)LS_CFI_FALLBACK);
}

/* The CFA must increase: a chain whose saved RBP points at itself ends. */
static void hostile_loop(void)
{
    guarded g = guarded_new(1);
    CHECK(g.words != NULL);
    if (!g.words || !pool_n)
        return;
    /* A return address in a frame-pointer function: CFA = RBP+16. */
    label = "a frame-pointer return address";
    min_frames = 0;
    unwind_recurse_fp(0);
    uint64_t ra = last_frames[1];
    ls_cfi_rule r;
    CHECK(ls_cfi_lookup(NULL, ra - 1, &r) && r.kind == LS_CFI_CFA_RBP);
    uint64_t base = (uint64_t)(uintptr_t)g.words;
    for (size_t i = 0; i < g.nwords; i += 2) {
        g.words[i] = base;        /* saved RBP: this same frame */
        g.words[i + 1] = ra;      /* return address */
    }
    ls_cfi_regs regs = { ra, base, base };
    uint64_t frames[MAXF];
    uint64_t truncated = cache->truncated;
    int n = ls_cfi_walk(cache, &regs, base + g.bytes, 0, 0, frames, MAXF);
    CHECK(n >= 1 && n <= 3);
    CHECK(cache->truncated == truncated + 1);
    /* The same, with the saved RBPs pointing below the stack pointer. */
    for (size_t i = 0; i < g.nwords; i += 2)
        g.words[i] = base - 4096;
    regs.rbp = base;
    n = ls_cfi_walk(cache, &regs, base + g.bytes, 0, 0, frames, MAXF);
    CHECK(n >= 1 && n <= 3);
    guarded_free(&g);
}

/* Random words: real return addresses, pointers into the buffer, code,
 * numbers. The walk starts at the buffer's first word. */
static void hostile_random(unsigned iterations)
{
    guarded g = guarded_new(4);
    CHECK(g.words != NULL);
    if (!g.words)
        return;
    uint64_t lo = (uint64_t)(uintptr_t)g.words, hi = lo + g.bytes;
    unsigned deep = 0, fell_back = 0, bad = 0;
    ls_cfi_cache *fuzz = ls_cfi_cache_new(); /* gets arbitrary rules */
    CHECK(fuzz != NULL);
    if (!fuzz)
        return;
    uint64_t frames[MAXF];
    for (unsigned it = 0; it < iterations; it++) {
        for (size_t i = 0; i < g.nwords; i++)
            g.words[i] = random_word(&g);
        ls_cfi_regs regs = { pool_n ? pool[rnd() % pool_n] : rnd(), lo, random_word(&g) };
        if (it % 4 == 0) {
            /* Arbitrary rules for some of the addresses the walk may meet. */
            for (int k = 0; k < 8; k++) {
                ls_cfi_rule r = { (int32_t)(rnd() % 600) - 80, (int16_t)((int)(rnd() % 200) - 100),
                                  (uint8_t)(rnd() % 5), (uint8_t)(rnd() % 2) };
                uint64_t key = k == 0 ? regs.rip : (pool_n ? pool[rnd() % pool_n] : rnd()) - 1;
                ls_cfi_cache_put(fuzz, key, r);
            }
        }
        uint64_t top = hi;
        if (it % 16 == 1)
            regs.rsp = hi - 8 * (1 + rnd() % 4);  /* near the top */
        if (it % 16 == 2)
            regs.rsp = hi - 1 - rnd() % 7;        /* less than a word left */
        if (it % 16 == 3)
            top = lo + 8 * (rnd() % 64);          /* a stack top below the end */
        uint32_t max = it % 7 == 0 ? 1 + (uint32_t)(rnd() % 8) : MAXF;
        if (regs.rsp < lo || top < regs.rsp)
            continue;
        int n = ls_cfi_walk(it % 4 == 0 ? fuzz : cache, &regs, top, 0, 0, frames, max);
        /* Less than a word of stack: nothing to walk, the other unwinder decides. */
        bool ok = top - regs.rsp < 8 ? n == LS_CFI_FALLBACK
                                     : n == LS_CFI_FALLBACK || (n >= 1 && (uint32_t)n <= max);
        if (!ok)
            bad++;
        else if (n == LS_CFI_FALLBACK)
            fell_back++;
        else if (n >= 3)
            deep++;
    }
    CHECK_EQ_U64(bad, 0);
    printf("random stacks: %u walks, %u of 3 frames or more, %u fell back\n", iterations, deep, fell_back);
    CHECK(deep > 0);
    ls_cfi_cache_free(fuzz);
    guarded_free(&g);
}

/* A copy of this thread's real stack in a guarded buffer, corrupted above
 * some frame: the walk follows the real frames, then garbage. */
static __attribute__((noinline)) void hostile_copy(unsigned rounds)
{
    ls_cfi_regs regs;
    LS_CFI_HERE(regs);
    size_t len = cache->stack_hi - regs.rsp;
    if (len > 64 * 1024)
        len = 64 * 1024;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guarded g = guarded_new((len + page - 1) / page);
    CHECK(g.words != NULL);
    if (!g.words)
        return;
    /* The copy ends where the buffer ends. */
    uint8_t *copy = (uint8_t *)g.words + g.bytes - len;
    uint64_t *snapshot = malloc(len);
    if (!snapshot)
        return;
    memcpy(snapshot, (const void *)(uintptr_t)regs.rsp, len);
    uint64_t lo = (uint64_t)(uintptr_t)copy, hi = lo + len;
    uint64_t frames[MAXF], real[MAXF];
    int n_real = ls_cfi_walk(cache, &regs, cache->stack_hi, 0, 0, real, MAXF);
    CHECK(n_real > 3);
    unsigned bad = 0, followed = 0;
    for (unsigned round = 0; round < rounds; round++) {
        memcpy(copy, snapshot, len);
        ls_cfi_regs moved = { regs.rip, lo, regs.rbp - regs.rsp + lo };
        if (round == 0) {
            /* Uncorrupted: the same frames as on the real stack, as far as
             * they do not depend on RBP's absolute value. */
            int n = ls_cfi_walk(cache, &moved, hi, 0, 0, frames, MAXF);
            CHECK(n >= 2 && n <= n_real);
            for (int i = 0; i < n && i < 2; i++)
                CHECK_EQ_U64(frames[i], real[i]);
            continue;
        }
        size_t from = (size_t)(rnd() % (len / 8));
        uint64_t *w = (uint64_t *)(uintptr_t)lo;
        for (size_t i = from; i < len / 8; i++)
            w[i] = random_word(&g);
        int n = ls_cfi_walk(cache, &moved, hi, 0, 0, frames, MAXF);
        if (n != LS_CFI_FALLBACK && (n < 1 || n > MAXF))
            bad++;
        if (n > 1 && frames[1] == real[1])
            followed++;
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(followed > 0);
    free(snapshot);
    guarded_free(&g);
}

/* ---- speed (--bench): nanoseconds per stack ---- */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int bench_which;
static double bench_result[2][2];

__attribute__((noinline)) static void bench_probe(void)
{
    uint64_t frames[64];
    void *buf[64];
    enum { N = 200000 };
    double t0 = now_ns();
    int n = 0;
    if (bench_which == 0) {
        for (int i = 0; i < N; i++)
            n = ls_cfi_backtrace(cache, frames, 64);
    } else {
        for (int i = 0; i < N; i++)
            n = unw_backtrace(buf, 64);
    }
    double t = (now_ns() - t0) / N;
    bench_result[bench_which][0] = t;
    bench_result[bench_which][1] = n;
}

__attribute__((noinline)) static int bench_recurse(int d)
{
    if (d <= 0) {
        bench_probe();
        return 0;
    }
    int r = bench_recurse(d - 1);
    UNWIND_OPAQUE(r);
    return r;
}

static void bench(void)
{
    for (int depth = 0; depth <= 24; depth += 6) {
        for (bench_which = 0; bench_which < 2; bench_which++)
            bench_recurse(depth);
        printf("%2.0f frames: CFI walk %6.1f ns (%.1f ns/frame), unw_backtrace %6.1f ns (%.1f ns/frame)\n",
               bench_result[0][1], bench_result[0][0], bench_result[0][0] / bench_result[0][1],
               bench_result[1][0], bench_result[1][0] / bench_result[1][1]);
    }
}

/* Two addresses that hash to one set both stay cached (a direct-mapped
 * cache let them evict each other on every walk of their stack). */
static void two_ways_case(void)
{
    ls_cfi_cache *c = ls_cfi_cache_new();
    CHECK(c != NULL);
    if (!c)
        return;
    /* k2 took k1's slot in the direct-mapped cache; k3 shares their set now */
    const uint64_t k1 = 0x7f1234567890ull, k2 = k1 ^ 0x1001, k3 = k1 ^ 1;
    ls_cfi_rule r1 = { .kind = LS_CFI_CFA_RSP, .cfa_off = 8 }, r2 = { .kind = LS_CFI_CFA_RSP, .cfa_off = 16 };
    ls_cfi_cache_put(c, k1, r1);
    ls_cfi_cache_put(c, k2, r2);
    int found = 0;
    for (size_t i = 0; i < LS_CFI_ENTRIES; i++)
        found += (c->slots[i].key == k1 && c->slots[i].rule.cfa_off == 8) + (c->slots[i].key == k2 && c->slots[i].rule.cfa_off == 16);
    CHECK_EQ_U64(found, 2);
    ls_cfi_cache_put(c, k3, r1); /* a third: the oldest (k1) goes */
    found = 0;
    for (size_t i = 0; i < LS_CFI_ENTRIES; i++)
        found += (c->slots[i].key == k1) * 100 + (c->slots[i].key == k2) + (c->slots[i].key == k3);
    CHECK_EQ_U64(found, 2);
    ls_cfi_cache_free(c);
}

/* A walk ends on the last walk's frames where they are the same: here one
 * frame (same pc, same stack pointer) is reached from two call sites of its
 * caller in turn, so the words above it differ every other time and each
 * walk must see its own caller (the probe compares with libunwind). */
static __attribute__((noinline)) void suffix_leaf(int x)
{
    unwind_probe();
    __asm__ volatile("" ::"r"(x) : "memory");
}

static __attribute__((noinline)) void suffix_two_sites(int which)
{
    if (which) {
        suffix_leaf(1);
        __asm__ volatile("nop" ::: "memory"); /* two call sites, never merged */
    } else {
        suffix_leaf(2);
        __asm__ volatile("nop; nop" ::: "memory");
    }
}

/* Named walks (what capture does to skip interning a repeated stack): the
 * last walk's frames, named, come back as the name, and only then. */
/* A kind set: named_walk asks ls_cfi_known instead, from its caller's frame
 * (as the recorder's entry points do), changed as the kind says. */
enum { PROBE_SAME = 1, PROBE_OTHER_PC, PROBE_SP };
static struct {
    int kind;
    uint32_t max;
} probe;

static __attribute__((noinline)) int named_walk(bool warm, uint32_t tag, uint32_t *id, uint64_t *frames)
{
    if (probe.kind) {
        LS_CALLER_FRAME(pc, sp, bp, bp_known);
        uint64_t at = pc;
        if (probe.kind == PROBE_OTHER_PC) /* another code address in the same set */
            for (at = pc + 1; ls_cfi_known_set(at, sp) != ls_cfi_known_set(pc, sp); at++)
                ;
        *id = ls_cfi_known(cache, at, probe.kind == PROBE_SP ? sp + 16 : sp, bp, bp_known, tag, probe.max);
        return 0;
    }
    ls_cfi_regs regs;
    LS_CFI_HERE(regs);
    int n;
    *id = 0;
    if (warm)
        n = ls_cfi_walk(cache, &regs, cache->stack_hi, regs.rip, regs.rip + 1, frames, MAXF);
    else
        n = ls_cfi_walk_cached_id(cache, &regs, cache->stack_hi, regs.rip, regs.rip + 1, frames, MAXF, tag, id);
    __asm__ volatile("" ::: "memory");
    return n;
}

static __attribute__((noinline)) int named_site(int which, bool warm, uint32_t tag, uint32_t *id, uint64_t *frames)
{
    int n;
    if (which) {
        n = named_walk(warm, tag, id, frames);
        __asm__ volatile("nop" ::: "memory"); /* two call sites, never merged */
    } else {
        n = named_walk(warm, tag, id, frames);
        __asm__ volatile("nop; nop" ::: "memory");
    }
    return n;
}

static void named_cases(void)
{
    /* One call site for every walk, so that its outer frames are the same. */
    static const struct {
        bool invalidate; /* first: code may have been unloaded */
        int site;
        bool warm;       /* ls_cfi_walk: caches the rules */
        uint32_t tag;
        uint32_t want_id; /* 0: walked, its frames those of `site` */
        uint32_t name_tag, name_id; /* then ls_cfi_name_last */
        int probe;        /* not a walk: ls_cfi_known from the first frame (PROBE_*) */
        uint32_t max;     /* of a probe */
    } step[] = {
        { true, 0, true, 0, 0, 0, 0 },       /* records cleared: this walk's is the record */
        { true, 1, true, 0, 0, 0, 0 },       /* site 1's rules; site 1's is the record */
        { false, 0, true, 0, 0, 0, 0 },      /* its own first frame, then the record's */
        { false, 0, true, 0, 0, 0, 0 },      /* again, in a row */
        { false, 0, false, 7, 0, 7, 101 },   /* a third time: site 0's becomes the record, named */
        { false, 0, false, 7, 101, 0, 0 },
        { false, 0, false, 8, 0, 8, 102 },   /* the whole record under another tag: named again */
        { false, 0, false, 8, 102, 0, 0 },
        { false, 0, false, 7, 0, 0, 0 },
        { false, 1, false, 8, 0, 8, 103 },   /* its own first frame, then the record's: not named */
        { false, 0, false, 8, 102, 0, 0 },   /* the record is still site 0's */
        { false, 1, false, 8, 0, 8, 103 },
        { false, 1, false, 8, 0, 8, 103 },   /* twice in a row: not yet */
        { false, 0, false, 8, 102, 0, 0 },   /* in a row means with nothing between */
        { false, 1, false, 8, 0, 8, 103 },
        { false, 1, false, 8, 0, 8, 103 },
        { false, 1, false, 8, 0, 8, 105 },   /* three times in a row: it becomes the record, named */
        { false, 1, false, 8, 105, 0, 0 },
        { false, 0, false, 8, 0, 0, 0 },
        { false, 1, false, 8, 105, 0, 0 },
        { true, 0, true, 0, 0, 0, 0 },       /* code unloaded: records cleared, a new one unnamed */
        { false, 0, false, 8, 0, 8, 107 },
        { false, 0, false, 8, 107, 0, 0 },
        /* The stacks named are known from their first frame alone (what
         * the recorder's entry points hand over): that frame, that tag. */
        { false, 0, false, 8, 107, 0, 0, PROBE_SAME, MAXF },
        { false, 0, false, 7, 0, 0, 0, PROBE_SAME, MAXF },     /* another tag */
        { false, 0, false, 8, 0, 0, 0, PROBE_SAME, 2 },        /* more frames than wanted */
        { false, 0, false, 8, 0, 0, 0, PROBE_SP, MAXF },       /* another stack pointer */
        { false, 0, false, 8, 0, 0, 0, PROBE_OTHER_PC, MAXF }, /* another code address, same set */
        { false, 0, false, 8, 107, 0, 0, PROBE_SAME, MAXF },
    };
    uint64_t site_frames[2][MAXF], f[MAXF];
    int site_n[2] = { 0, 0 };
    for (size_t k = 0; k < sizeof step / sizeof *step; k++) {
        if (step[k].invalidate)
            ls_cfi_invalidate();
        ls_cfi_cache_sync(cache);
        probe.kind = step[k].probe;
        probe.max = step[k].max;
        uint32_t id;
        int n = named_site(step[k].site, step[k].warm, step[k].tag, &id, f);
        probe.kind = 0;
        int s = step[k].site;
        if (k < 2) { /* the two sites' stacks: they differ in their first frame only */
            memcpy(site_frames[s], f, sizeof f);
            site_n[s] = n;
            continue;
        }
        TEST_COUNT();
        bool ok = id == step[k].want_id &&
                  (step[k].probe || (n == site_n[s] && (id || memcmp(f, site_frames[s], (size_t)n * sizeof *f) == 0)));
        if (!ok) {
            TEST_FAIL();
            fprintf(stderr, "FAIL named walk, step %zu: id %u (want %u), %d frames (want %d)\n", k, id,
                    step[k].want_id, n, site_n[s]);
        }
        if (step[k].name_id)
            ls_cfi_name_last(cache, step[k].name_tag, step[k].name_id);
    }
    CHECK(site_n[0] > 2 && site_n[1] == site_n[0] && site_frames[0][0] != site_frames[1][0] &&
          memcmp(site_frames[0] + 1, site_frames[1] + 1, (size_t)(site_n[0] - 1) * 8) == 0);
}

static void suffix_cases(void)
{
    uint64_t hits = cache->suffix_hits;
    expect = EXPECT_CFI;
    for (int i = 0; i < 8; i++)
        RUN("a frame reached from two call sites in turn", 3, suffix_two_sites(i & 1));
    CHECK(cache->suffix_hits >= hits + 7); /* every walk but the first ends on the last one's outer frames */
    hits = cache->suffix_hits;
    run_cases("main thread, suffix");
    CHECK(cache->suffix_hits > hits + 50);
}

/* ---- libunwind's address validation (recorder/unwind-probe.c) ---- */

/* The open descriptors below 1024, found without opening one. */
static void open_fds(uint8_t out[1024])
{
    for (int fd = 0; fd < 1024; fd++)
        out[fd] = fcntl(fd, F_GETFD) != -1;
}

/* What libunwind's own check answered: whether a byte at addr can be
 * written into a pipe. */
static bool pipe_says_readable(int wfd, int rfd, const void *addr)
{
    long r = syscall(SYS_write, wfd, addr, 1);
    char c;
    if (r == 1 && read(rfd, &c, 1) != 1)
        return false;
    return r == 1;
}

/* The probe against the pipe on memory of every kind libunwind is asked
 * about, and on memory it must refuse; errno kept. */
static void probe_cases(void)
{
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    m[0] = 1;
    mprotect(m + pg, (size_t)pg, PROT_NONE);
    mprotect(m + 2 * pg, (size_t)pg, PROT_READ);
    munmap(m + 3 * pg, (size_t)pg);
    int local = 0;
    char *heap = malloc(64);
    const struct {
        const char *what;
        const void *addr;
        bool readable;
    } cases[] = {
        { "the stack", &local, true },
        { "the heap", heap, true },
        { "code", (const void *)(uintptr_t)probe_cases, true },
        { "writable mapping", m, true },
        { "PROT_NONE page", m + pg, false },
        { "read-only page", m + 2 * pg, true },
        { "unmapped page", m + 3 * pg, false },
        { "last bytes of a page before a PROT_NONE one", m + pg - 1, true },
        { "NULL", NULL, false },
        { "a kernel address", (const void *)(uintptr_t)0xffffffffff601000ull, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        errno = 1234;
        bool said = ls_unwind_probe_readable(cases[i].addr);
        CHECK(errno == 1234);
        bool truth = pipe_says_readable(p[1], p[0], cases[i].addr);
        if (said != truth || said != cases[i].readable) {
            TEST_FAIL();
            fprintf(stderr, "FAIL probe: %s: probe %d, pipe %d, want %d\n", cases[i].what, said, truth,
                    cases[i].readable);
        }
        TEST_COUNT();
    }
    free(heap);
    munmap(m, (size_t)pg * 3);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    /* libunwind's pipe: none, as in the recorder (ls_unwind_init installs
     * the probe before its first call into libunwind). The descriptors open
     * now must be those open at the end, every fallback to libunwind (and its
     * validation) notwithstanding. */
    static uint8_t fds_at_start[1024], fds_at_end[1024];
    open_fds(fds_at_start);
    ls_unwind_probe_install();
    probe_cases();

    if (argc < 3) {
        fprintf(stderr, "usage: %s MODULE_A MODULE_B [--bench]\n", argv[0]);
        return 2;
    }
    cache = ls_cfi_cache_new();
    CHECK(cache != NULL);
    if (!cache)
        TEST_DONE();
    if (argc > 3 && strcmp(argv[3], "--bench") == 0) {
        bench();
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = bounds_on_signal;
    sigaction(SIGURG, &sa, NULL); /* SA_ONSTACK */
    stack_t ss = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16 };
    sigaltstack(&ss, NULL);

    check_bounds("main thread");
    rule_cases();
    two_ways_case();
    run_cases("main thread");
    suffix_cases();
    named_cases();
    coroutine_cases();
    module_cases(argv[1], argv[2]);

    /* Threads, side by side, each with its own cache; one on a small stack
     * of its own. */
    pthread_t th[3];
    pthread_attr_t small;
    pthread_attr_init(&small);
    size_t small_size = SANITIZED ? 4u << 20 : 256u << 10;
    void *small_stack = mmap(NULL, small_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_attr_setstack(&small, small_stack, small_size);
    pthread_create(&th[0], NULL, case_thread, "thread 1");
    pthread_create(&th[1], NULL, case_thread, "thread 2");
    pthread_create(&th[2], &small, case_thread, "thread on a stack of its own");
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    pthread_attr_destroy(&small);
    munmap(small_stack, small_size);
    pthread_t forker;
    pthread_create(&forker, NULL, fork_thread, NULL);
    pthread_join(forker, NULL);

    ls_unwind_stats st;
    ls_unwind_get_stats(&st);
    printf("%u probes on the main thread; ls_backtrace: %llu stacks, %llu by libunwind, %llu CFI misses\n",
           probes, (unsigned long long)st.captures, (unsigned long long)st.fallbacks,
           (unsigned long long)st.misses);
    CHECK(st.fallbacks > 0 && st.fallbacks < st.captures / 4); /* the signal handlers, only */

    skip_cases();
    asm_rule_cases();
    synthetic_rules();
    synthetic_memo();
    hostile_loop();
    hostile_random(20000);
    hostile_copy(3000);

    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(ss.ss_sp);
    ls_cfi_cache_free(cache);
    ls_unwind_thread_exit();
    open_fds(fds_at_end);
    for (int fd = 0; fd < 1024; fd++)
        if (fds_at_end[fd] != fds_at_start[fd]) {
            TEST_FAIL();
            fprintf(stderr, "FAIL fd %d: %s during the cases (libunwind's pipe?)\n", fd,
                    fds_at_end[fd] ? "opened" : "closed");
        }
    TEST_COUNT();
    TEST_DONE();
}
