/* test-recorder.c — the trace_* API end to end: 8 threads x 1M events read
 * back with exact counts, threads that exit before trace_end, calls outside a
 * recording, a second trace_begin, errno preserved, a second recording in the
 * same process with stacks, safe output files.
 *
 * Usage: test-recorder [EVENTS_PER_THREAD]
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "test-util.h"
#include <leakscope/trace.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTHREADS 8

static uint64_t per_thread = 1000000;
static char dir[] = "/tmp/leakscope-test-recorder-XXXXXX";

/* Calls that changed errno (the recorder must keep it: a thread's first
 * event attaches it, buffers fill and swap, drop mode fails to swap, stacks
 * are walked and found again). */
static int errno_changed;

#define ERRNO_WALKS 10000
static void *churn(void *arg)
{
    uint64_t t = (uint64_t)(uintptr_t)arg;
    uint64_t base = (t + 1) << 40;
    int changed = 0;
    for (uint64_t i = 0; i < per_thread / 2; i++) {
        void *p = (void *)(uintptr_t)(base + i * 16);
        errno = (int)(i % 4000) + 1;
        trace_alloc(p, (size_t)(i % 1000) + 1);
        changed += errno != (int)(i % 4000) + 1;
        errno = (int)(i % 4000) + 2;
        trace_free(p);
        changed += errno != (int)(i % 4000) + 2;
    }
    __atomic_fetch_add(&errno_changed, changed, __ATOMIC_RELAXED);
    return NULL;
}

/* Each churning thread allocates at increasing addresses: in the merged
 * order, every one must be the next of its thread. */
typedef struct order_check {
    uint64_t next[NTHREADS];
    uint64_t out_of_order;
} order_check;

static bool in_program_order(void *user, const ls_analysis *a, const trace_event *ev)
{
    (void)a;
    order_check *c = user;
    uint64_t t = (ev->addr >> 40) - 1;
    if (ev->kind != TRACE_ALLOC || t >= NTHREADS)
        return true;
    uint64_t want = c->next[t] ? c->next[t] : (t + 1) << 40;
    c->out_of_order += ev->addr != want;
    c->next[t] = ev->addr + 16;
    return true;
}

/* Allocations from two call sites in turn, with stacks: walked, then found
 * again from trace_alloc's caller. */
static __attribute__((noinline)) void errno_site(void *p, int e)
{
    errno = e;
    trace_alloc(p, 1);
    __atomic_fetch_add(&errno_changed, errno != e, __ATOMIC_RELAXED);
    errno = e + 1;
    trace_free(p);
    __atomic_fetch_add(&errno_changed, errno != e + 1, __ATOMIC_RELAXED);
}

static void *errno_walks(void *arg)
{
    (void)arg;
    static char block[2];
    for (int i = 0; i < ERRNO_WALKS; i++) {
        errno_site(&block[0], 3 * i + 1);
        errno_site(&block[1], 3 * i + 2);
        __asm__ volatile("" ::: "memory"); /* two calls, two return addresses */
    }
    return NULL;
}

static __attribute__((noinline)) void leak_here(void *p, size_t n) { trace_alloc(p, n); }

/* Repeated stacks through trace_alloc (the recorder finds the thread's last
 * stack again from trace_alloc's caller, without a walk): a loop, a callee
 * of the loop's function, one call site at several depths. */
volatile int repeats = 4;
static const int depths[] = { 1, 1, 1, 4 };
/* Without frame pointers (this file has them), the frames tell apart by
 * their stack pointers alone, not their RBP as well. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_FP __attribute__((noinline, optimize("omit-frame-pointer")))
#else
#define NO_FP __attribute__((noinline))
#endif

static NO_FP void api_inner(char *p)
{
    trace_alloc(p, 10);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

static NO_FP void api_at_depth(char *p, int d)
{
    trace_alloc(p, 20);
    if (d > 1)
        api_at_depth(p + 1, d - 1);
    __asm__ volatile("" ::: "memory");
}

static NO_FP void api_repeats(char *buf)
{
    for (int i = 0; i < repeats; i++)
        trace_alloc(buf + i, 30);
    trace_alloc(buf + 4, 40); /* another line: the same stack pointer */
    api_inner(buf + 10);
    for (int i = 0; i < repeats; i++)
        api_at_depth(buf + 20 + 8 * i, depths[i]);
    __asm__ volatile("" ::: "memory");
}

static void check_repeats(const ls_analysis *a)
{
    ls_stack loop = { 0 }, line = { 0 }, inner = { 0 }, depth1 = { 0 };
    uint32_t deeper[4] = { 0 }, ndeeper = 0;
    for (uint32_t i = 0; i < a->nleaks; i++) {
        const ls_leak *l = &a->leaks[i];
        ls_stack st = ls_analysis_stack(a, l->stack);
        if (l->bytes == 120 && l->blocks == 4)
            loop = st;
        else if (l->bytes == 10)
            inner = st;
        else if (l->bytes == 40)
            line = st;
        else if (l->bytes == 80 && l->blocks == 4)
            depth1 = st;
        else if (l->bytes == 20 && l->blocks == 1 && ndeeper < 4)
            deeper[ndeeper++] = st.depth;
    }
    /* The loop's four on one stack; the callee's one frame deeper, on the
     * same outer frames (from its caller's caller on). */
    CHECK(line.depth && line.depth == loop.depth && line.frames[0] != loop.frames[0]);
    CHECK(loop.depth >= 3 && inner.depth == loop.depth + 1 &&
          memcmp(inner.frames + 2, loop.frames + 1, (loop.depth - 1) * sizeof *loop.frames) == 0);
    /* Depth 1 three times and the top of depth 4: one stack; then 3 deeper. */
    CHECK(depth1.depth >= 3 && ndeeper == 3);
    bool seen[3] = { false, false, false };
    for (uint32_t i = 0; i < ndeeper; i++)
        if (deeper[i] > depth1.depth && deeper[i] <= depth1.depth + 3)
            seen[deeper[i] - depth1.depth - 1] = true;
    CHECK(seen[0] && seen[1] && seen[2]);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        per_thread = strtoull(argv[1], NULL, 10) & ~1ull;
    if (!mkdtemp(dir))
        return 1;
    char path[256], path2[256], link[256];
    snprintf(path, sizeof path, "%s/threads.trace", dir);
    snprintf(path2, sizeof path2, "%s/second.trace", dir);
    snprintf(link, sizeof link, "%s/link.trace", dir);

    /* Outside a recording every call is a harmless no-op. */
    trace_alloc((void *)0x1000, 10);
    trace_free((void *)0x1000);
    trace_mark("before");
    trace_end();
    trace_flush();

    /* Flushed every millisecond: the writer takes threads' current buffers
     * while they fill and swap, and a thread's chunks must still come out in
     * the order its events happened. */
    setenv("LEAKSCOPE_STACK_DEPTH", "0", 1);
    setenv("LEAKSCOPE_FLUSH_MS", "1", 1);
    CHECK(trace_begin(path) == 0);
    unsetenv("LEAKSCOPE_FLUSH_MS");
    errno = 0;
    CHECK(trace_begin(path2) == -1 && errno == EBUSY);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);

    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, churn, (void *)(uintptr_t)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    errno = 4321;
    trace_free(NULL);
    trace_mark("after");
    CHECK(errno == 4321);
    CHECK_EQ_U64(errno_changed, 0);
    trace_flush();
    trace_end();
    trace_end();
    trace_mark("ignored");

    ls_analysis *a;
    trace_error err;
    order_check order = { { 0 }, 0 };
    ls_observer obs = { .event = in_program_order, .user = &order };
    CHECK(ls_analysis_load_observed(path, &obs, &a, &err) == TRACE_OK);
    CHECK_EQ_U64(order.out_of_order, 0);
    if (!a) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    CHECK(a->complete);
    CHECK(!a->truncated);
    CHECK_EQ_U64(a->lost_events, 0);
    CHECK_EQ_U64(a->allocations, NTHREADS * per_thread / 2);
    CHECK_EQ_U64(a->frees, NTHREADS * per_thread / 2);
    CHECK_EQ_U64(a->unmatched_frees, 0);
    CHECK_EQ_U64(a->leaked_bytes, 0);
    CHECK_EQ_U64(a->nmarks, 1);
    /* 8 churning threads and the main thread, each named once. */
    CHECK_EQ_U64(a->nthreads, NTHREADS + 1);
    CHECK_EQ_U64(a->events, NTHREADS * per_thread + NTHREADS + 2); /* + thread names, main's name and mark */
    uint64_t max_size = 0;
    for (uint32_t i = 0; i < a->nthreads; i++)
        max_size += a->threads[i].events;
    CHECK_EQ_U64(max_size, a->events);
    printf("ok - %u threads, %llu events read back\n", a->nthreads, (unsigned long long)a->events);
    ls_analysis_free(a);

    /* A second recording in the same process, with stacks. */
    unsetenv("LEAKSCOPE_STACK_DEPTH");
    CHECK(trace_begin(path2) == 0);
    static char block[100];
    leak_here(block, sizeof block);
    /* A realloc that moves the block: three fields, two records. */
    static char moved_from[50], moved_to[70];
    trace_alloc(moved_from, sizeof moved_from);
    trace_realloc(moved_from, moved_to, sizeof moved_to);
    trace_free(moved_to);
    trace_resource_open("texture", 7);
    trace_gc_begin("test");
    trace_gc_end(100);
    static char repeat_blocks[64];
    api_repeats(repeat_blocks);
    pthread_create(&th[0], NULL, errno_walks, NULL);
    pthread_join(th[0], NULL);
    CHECK_EQ_U64(errno_changed, 0);
    trace_end();
    CHECK(ls_analysis_load(path2, &a, &err) == TRACE_OK);
    if (a) {
        check_repeats(a);
        CHECK_EQ_U64(a->leaked_bytes, 100 + 120 + 40 + 10 + 140);
        CHECK_EQ_U64(a->nleaks, 1 + 1 + 1 + 1 + 4);
        CHECK_EQ_U64(a->unmatched_frees, 0);
        CHECK_EQ_U64(a->reallocs, 1);
        CHECK_EQ_U64(a->allocated_bytes, 100 + 50 + 70 + 120 + 40 + 10 + 140 + 2 * ERRNO_WALKS);
        bool stacks = a->nleaks > 0;
        for (uint32_t i = 0; i < a->nleaks; i++)
            stacks &= ls_analysis_stack(a, a->leaks[i].stack).depth >= 2;
        CHECK(stacks);
        CHECK_EQ_U64(a->resources_open_at_end, 1);
        CHECK(a->nopen_res == 1 && strcmp(ls_analysis_string(a, a->open_res[0].kind), "texture") == 0);
        CHECK_EQ_U64(a->gc_stats.pauses, 1);
        CHECK(a->nmodules >= 2);
        ls_analysis_free(a);
    }

    /* Drop mode with little buffer memory: what is not recorded is counted,
     * once: recorded + lost == made. */
    setenv("LEAKSCOPE_DROP", "1", 1);
    setenv("LEAKSCOPE_BUFFER_MB", "1", 1);
    setenv("LEAKSCOPE_STACK_DEPTH", "0", 1);
    char droppath[256];
    snprintf(droppath, sizeof droppath, "%s/drop.trace", dir);
    uint64_t saved_per_thread = per_thread;
    per_thread = 400000;
    CHECK(trace_begin(droppath) == 0);
    for (int t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, churn, (void *)(uintptr_t)t);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    trace_end();
    CHECK(ls_analysis_load(droppath, &a, &err) == TRACE_OK);
    if (a) {
        uint64_t names = 0;
        for (uint32_t i = 0; i < a->nthreads; i++)
            names += a->threads[i].name != 0;
        /* every churn event and every thread name: recorded or counted lost */
        CHECK_EQ_U64(a->allocations + a->frees + names + a->lost_events, 4 * per_thread + 4);
        printf("ok - drop mode: %llu recorded, %llu lost\n", (unsigned long long)(a->allocations + a->frees),
               (unsigned long long)a->lost_events);
        ls_analysis_free(a);
    }
    CHECK_EQ_U64(errno_changed, 0);
    per_thread = saved_per_thread;
    unsetenv("LEAKSCOPE_DROP");
    unsetenv("LEAKSCOPE_BUFFER_MB");
    unsetenv("LEAKSCOPE_STACK_DEPTH");

    /* The output is never created through a symlink. */
    CHECK(symlink(path, link) == 0);
    errno = 0;
    CHECK(trace_begin(link) == -1 && errno == ELOOP);
    /* Nor into a FIFO (opening it would wait for a reader): refused at once. */
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/fifo.trace", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    errno = 0;
    CHECK(trace_begin(fifo) == -1 && errno == EINVAL);
    /* NULL path: $LEAKSCOPE_OUTPUT. */
    char envpath[256];
    snprintf(envpath, sizeof envpath, "%s/env.trace", dir);
    setenv("LEAKSCOPE_OUTPUT", envpath, 1);
    CHECK(trace_begin(NULL) == 0);
    trace_end();
    CHECK(access(envpath, R_OK) == 0);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TEST_DONE();
}
