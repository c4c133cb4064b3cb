/* demo.c — the program `./run demo` records: a small "server" whose memory
 * keeps growing. Four worker threads handle requests through a response cache
 * that never evicts one kind of entry (a leak), a log rotation that forgets to
 * close its files (leaked fds), and a toy garbage collector whose pauses are
 * reported through the API, with marks and spans around the phases.
 *
 * Usage: leakscope-demo [SECONDS] [OUTPUT.trace]
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <leakscope/trace.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The program's own allocator wrappers, instrumented. */
static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    trace_alloc(p, n);
    return p;
}

static void xfree(void *p)
{
    trace_free(p);
    free(p);
}

/* ---- a response cache: entries for "static" pages are kept forever ---- */

typedef struct entry {
    struct entry *next;
    unsigned key;
    size_t len;
    char *body;
} entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static entry *cache_static;      /* never evicted: grows without bound */
static entry *cache_recent[64];  /* evicted on collision */

static __attribute__((noinline)) entry *cache_entry_new(unsigned key, size_t len)
{
    entry *e = xmalloc(sizeof *e);
    e->key = key;
    e->len = len;
    e->body = xmalloc(len);
    memset(e->body, (int)key, len);
    e->next = NULL;
    return e;
}

static void cache_entry_free(entry *e)
{
    xfree(e->body);
    xfree(e);
}

static __attribute__((noinline)) void cache_insert_static(unsigned key)
{
    entry *e = cache_entry_new(key, 512 + key % 1024);
    pthread_mutex_lock(&cache_lock);
    e->next = cache_static;
    cache_static = e;
    pthread_mutex_unlock(&cache_lock);
}

static __attribute__((noinline)) void cache_insert_recent(unsigned key)
{
    entry *e = cache_entry_new(key, 128 + key % 4096);
    pthread_mutex_lock(&cache_lock);
    entry *old = cache_recent[key % 64];
    cache_recent[key % 64] = e;
    pthread_mutex_unlock(&cache_lock);
    if (old)
        cache_entry_free(old);
}

/* ---- requests ---- */

static __attribute__((noinline)) void handle_request(unsigned id)
{
    trace_span_begin("request");
    /* Scratch buffers that are freed: churn without growth. */
    char *scratch = xmalloc(256 + id % 2048);
    snprintf(scratch, 256, "request %u", id);
    char *headers = xmalloc(64);
    memcpy(headers, scratch, 16);
    if (id % 50 == 0)
        cache_insert_static(id);
    else
        cache_insert_recent(id);
    xfree(headers);
    xfree(scratch);
    trace_span_end("request");
}

/* ---- log rotation that leaks one descriptor in three ---- */

static __attribute__((noinline)) int open_log(unsigned n)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0)
        trace_resource_open("fd", (uint64_t)fd);
    (void)n;
    return fd;
}

static __attribute__((noinline)) void close_log(int fd)
{
    trace_resource_close("fd", (uint64_t)fd);
    close(fd);
}

static void rotate_logs(unsigned n)
{
    int fd = open_log(n);
    if (fd < 0)
        return;
    if (write(fd, "log line\n", 9) < 0)
        perror("write");
    if (n % 3 != 0)
        close_log(fd);
}

/* ---- a toy collector ---- */

static void collect(const char *reason)
{
    trace_gc_begin(reason);
    /* Pretend to mark and sweep: free what the collector "found". */
    size_t heap = 0;
    pthread_mutex_lock(&cache_lock);
    for (entry *e = cache_static; e; e = e->next)
        heap += e->len + sizeof *e;
    pthread_mutex_unlock(&cache_lock);
    struct timespec pause = { 0, 2000000 + (long)(heap % 7) * 1000000 };
    nanosleep(&pause, NULL);
    trace_gc_end(heap);
}

static double seconds = 3.0;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    unsigned base = (unsigned)(uintptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%u", base);
    trace_thread_name(name);
    double end = now() + seconds;
    unsigned i = 0;
    while (now() < end) {
        for (int k = 0; k < 20; k++)
            handle_request(base * 1000003u + i++);
        struct timespec nap = { 0, 2000000 };
        nanosleep(&nap, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seconds = atof(argv[1]);
    if (seconds <= 0 || seconds > 3600) {
        fprintf(stderr, "usage: %s [SECONDS] [OUTPUT.trace]\n", argv[0]);
        return 2;
    }
    const char *out = argc > 2 ? argv[2] : NULL;
    if (trace_begin(out) != 0) {
        perror("trace_begin");
        return 1;
    }
    trace_thread_name("main");
    trace_mark("start");
    pthread_t th[4];
    for (unsigned t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)(t + 1));

    double end = now() + seconds;
    unsigned n = 0;
    while (now() < end) {
        trace_span_begin("housekeeping");
        rotate_logs(n);
        collect(n % 5 == 0 ? "timer" : "allocation");
        trace_span_end("housekeeping");
        if (++n % 10 == 0)
            trace_mark("checkpoint");
        struct timespec nap = { 0, 100000000 };
        nanosleep(&nap, NULL);
    }
    for (unsigned t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    trace_mark("done");
    trace_end();
    printf("demo: done after %.1f s\n", seconds);
    return 0;
}
