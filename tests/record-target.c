/* record-target.c — an unmodified program for `leakscope record`: it uses
 * every interposed allocation function and every kind of descriptor, stream
 * and mapping, leaks a known set of them from known functions, prints what it
 * leaked as JSON, and exits with code 3.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* Sizes no libc code uses, so the report's leaks can be matched exactly. */
#define LEAK_MALLOC 7001
#define LEAK_CALLOC_N 3
#define LEAK_CALLOC_M 1001
#define LEAK_REALLOC 7005
#define LEAK_ALIGNED 7040

/* Not static: the stores escape, so the compiler keeps every allocation. */
void *keep[64];
int nkeep;

static __attribute__((noinline)) void leak_malloc(void)
{
    for (int i = 0; i < 2; i++)
        keep[nkeep++] = malloc(LEAK_MALLOC);
}

static __attribute__((noinline)) void leak_calloc(void) { keep[nkeep++] = calloc(LEAK_CALLOC_N, LEAK_CALLOC_M); }

static __attribute__((noinline)) void leak_realloc(void)
{
    char *p = malloc(16);
    p = realloc(p, 64);            /* grows: the 16 bytes are gone */
    p = realloc(p, LEAK_REALLOC);  /* the leak is the last size */
    keep[nkeep++] = p;
}

/* A realloc that fails leaves the block as it was: its size and the stack
 * that allocated it (here), not the realloc's. */
#define LEAK_FAILED_REALLOC 1234
static __attribute__((noinline)) void leak_failed_realloc(void)
{
    char *p = malloc(LEAK_FAILED_REALLOC);
    size_t huge = (size_t)PTRDIFF_MAX; /* more than any allocator gives: ENOMEM */
    char *q = realloc(p, huge);
    keep[nkeep++] = q ? q : p;
}

static __attribute__((noinline)) void leak_aligned(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, LEAK_ALIGNED) == 0)
        keep[nkeep++] = p;
    keep[nkeep++] = aligned_alloc(64, LEAK_ALIGNED);
    keep[nkeep++] = memalign(64, LEAK_ALIGNED);
}

static __attribute__((noinline)) void no_leaks(void)
{
    /* Every other function of the family, all freed. */
    free(valloc(100));
    free(pvalloc(100));
    int *a = reallocarray(NULL, 10, sizeof(int));
    a = reallocarray(a, 20, sizeof(int));
    free(a);
    free(realloc(NULL, 50));
    void *z = malloc(10);
    z = realloc(z, 0); /* frees (glibc returns NULL) */
    free(z);
    free(NULL);
}

static __attribute__((noinline)) void leak_fds(void)
{
    /* Kept open: one of each subtype. */
    keep[nkeep++] = (void *)(long)open("/proc/self/exe", O_RDONLY); /* a regular file */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv); /* two sockets */
    int p[2];
    pipe(p);                                 /* two pipes */
    eventfd(0, 0);
    epoll_create1(0);
    timerfd_create(CLOCK_MONOTONIC, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    signalfd(-1, &mask, 0);
    memfd_create("leakscope-test", 0);
    inotify_init1(0);
    int d = dup(sv[0]);                      /* a third socket */
    (void)d;
}

static __attribute__((noinline)) void closed_fds(void)
{
    int fd = open("/dev/null", O_WRONLY);
    int fd2 = dup2(fd, 200);
    int fd3 = dup3(fd, 201, O_CLOEXEC);
    int fd4 = fcntl(fd, F_DUPFD_CLOEXEC, 300);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    close(fd);
    close(fd2);
    close(fd3);
    close(fd4);
    close(s);
    /* A pipe's two ends closed by one close_range, at numbers of their own:
     * its ends need not be next to each other (a descriptor taken for a
     * moment elsewhere leaves a hole), and a range between them would
     * close what leak_fds keeps. */
    int p[2];
    pipe2(p, O_CLOEXEC);
    dup2(p[0], 400);
    dup2(p[1], 401);
    close(p[0]);
    close(p[1]);
    close_range(400, 401, 0);
    int c = creat("/tmp/leakscope-record-target.tmp", 0600);
    close(c);
    unlink("/tmp/leakscope-record-target.tmp");
}

static __attribute__((noinline)) void streams(void)
{
    FILE *f = fopen("/dev/null", "r");       /* leaked */
    (void)f;
    FILE *g = fopen("/dev/null", "w");
    g = freopen("/dev/zero", "r", g);
    fclose(g);
    FILE *h = fdopen(open("/dev/null", O_RDONLY), "r");
    fclose(h);                               /* closes the fd too */
    FILE *pp = popen("true", "r");
    pclose(pp);
    DIR *dir = opendir("/");                 /* leaked */
    (void)dir;
    DIR *dir2 = fdopendir(open("/tmp", O_RDONLY | O_DIRECTORY));
    closedir(dir2);
}

static __attribute__((noinline)) void mappings(void)
{
    void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* leaked */
    (void)m;
    void *n = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(n, 8192);
}

/* Repeated stacks (the recorder names a thread's last stack and finds it
 * again without a walk): a loop's allocations, then one from another line
 * of the same function (another code address, the same stack pointer), then
 * ones from a function it calls (the same outer frames, one more inside),
 * alternating call sites, and one call site at several depths (the same code
 * address, other stack pointers). Each is attributed to its own stack. The
 * loops run a count the compiler does not know: one call site each. */
#define LEAK_OUTER 7101
#define LEAK_INNER 7102
#define LEAK_SITE_A 7103
#define LEAK_SITE_B 7104
#define LEAK_DEPTH 7105

volatile int repeats = 4;
static const int depths[] = { 1, 1, 1, 4 };

static __attribute__((noinline)) void site_inner(void)
{
    for (int i = 0; i < repeats / 2; i++)
        keep[nkeep++] = malloc(LEAK_INNER);
}

static __attribute__((noinline)) void site_outer(void)
{
    for (int i = 0; i < repeats; i++)
        keep[nkeep++] = malloc(LEAK_OUTER); /* the loop's line */
    keep[nkeep++] = calloc(1, LEAK_OUTER);  /* another line */
    site_inner();
}

static __attribute__((noinline)) void site_a(void) { keep[nkeep++] = malloc(LEAK_SITE_A); }
static __attribute__((noinline)) void site_b(void) { keep[nkeep++] = calloc(1, LEAK_SITE_B); }

/* One allocating function behind another, called from two places in turn:
 * the first two frames the same, the third not. */
#define LEAK_WRAPPED 7106
static __attribute__((noinline)) void *wrap_alloc(void)
{
    void *p = malloc(LEAK_WRAPPED);
    __asm__ volatile("" ::"r"(p) : "memory"); /* not a tail call */
    return p;
}
static __attribute__((noinline)) void mid(void)
{
    keep[nkeep++] = wrap_alloc();
    __asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void caller_x(void)
{
    mid();
    __asm__ volatile("" ::: "memory");
}
static __attribute__((noinline)) void caller_y(void)
{
    mid();
    __asm__ volatile("" ::: "memory");
}

/* One allocating function called from two lines of one function in turn:
 * only the first return address differs (the asm keeps the calls apart). */
#define LEAK_TWO_LINES 7207
static __attribute__((noinline)) void *wrap_line(void)
{
    void *p = malloc(LEAK_TWO_LINES);
    __asm__ volatile("" ::"r"(p) : "memory"); /* not a tail call */
    return p;
}
static __attribute__((noinline)) void two_lines(int i)
{
    if (i % 2) {
        keep[nkeep++] = wrap_line();
        __asm__ volatile("nop # the first line" ::: "memory");
    } else {
        keep[nkeep++] = wrap_line();
        __asm__ volatile("nop # the second line" ::: "memory");
    }
}

static __attribute__((noinline)) void at_depth(int d)
{
    keep[nkeep++] = malloc(LEAK_DEPTH);
    if (d > 1)
        at_depth(d - 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call: each level its own frame */
}

static __attribute__((noinline)) void repeated_stacks(void)
{
    site_outer();
    for (int i = 0; i < repeats - 1; i++) {
        site_a();
        site_b();
    }
    for (int i = 0; i < repeats; i++)
        at_depth(depths[i]); /* depth 1 three times (a named stack), then 4 from the same place */
    for (int i = 0; i < 2 * repeats; i++)
        (i % 2 ? caller_y : caller_x)();
    for (int i = 0; i < 2 * repeats; i++)
        two_lines(i);
}

int main(void)
{
    leak_malloc();
    leak_calloc();
    leak_realloc();
    leak_failed_realloc();
    leak_aligned();
    repeated_stacks();
    no_leaks();
    leak_fds();
    closed_fds();
    streams();
    mappings();
    printf("{\"leak_malloc\": [%d, 2], \"leak_calloc\": [%d, 1], \"leak_realloc\": [%d, 1], "
           "\"leak_failed_realloc\": [%d, 1], \"leak_aligned\": [%d, 3], "
           "\"site_outer\": [%d, 5], \"site_inner\": [%d, 2], \"site_a\": [%d, 3], \"site_b\": [%d, 3], "
           "\"at_depth\": [%d, %d]}\n",
           2 * LEAK_MALLOC, LEAK_CALLOC_N * LEAK_CALLOC_M, LEAK_REALLOC, LEAK_FAILED_REALLOC, 3 * LEAK_ALIGNED, 5 * LEAK_OUTER,
           2 * LEAK_INNER, 3 * LEAK_SITE_A, 3 * LEAK_SITE_B, 7 * LEAK_DEPTH, 7);
    fflush(stdout);
    return 3;
}
