/* fault-target.c — one small program, many modes, each a situation the
 * preload recorder must survive (tests/check-record-faults.py runs each with
 * and without `leakscope record` and compares). Allocations and descriptors
 * the checker counts come from noinline functions named after what they do,
 * so the report's leak stacks identify them.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock-marks.h"

extern char **environ;

static const char *self_path;
static void *volatile sink;
static volatile int stop_flag;

#define NOINLINE __attribute__((noinline))

/* Allocates `count` blocks of `size` bytes and keeps them (a known leak).
 * Each allocation is used afterwards so the malloc is never a tail call. */
#define LEAKER(name)                                    \
    NOINLINE static void name(int count, size_t size)  \
    {                                                   \
        for (int i = 0; i < count; i++) {               \
            char *p = malloc(size);                     \
            if (!p)                                     \
                abort();                                \
            memset(p, i & 0xff, size);                  \
            sink = p;                                   \
        }                                               \
    }
LEAKER(basic_leak)
LEAKER(crash_allocs)
LEAKER(child_leak)
LEAKER(exec_leak)
LEAKER(pre_exec_leak)
LEAKER(failed_exec_leak)
LEAKER(thread_leak)
LEAKER(closefds_leak)
LEAKER(storm_leak)
LEAKER(daemon_leak)
LEAKER(rawclose_leak)

static void die(const char *what)
{
    fprintf(stderr, "fault-target: %s: %s\n", what, strerror(errno));
    exit(99);
}

static void wait_child(pid_t pid, const char *what)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    if (WIFEXITED(st))
        printf("%s exited %d\n", what, WEXITSTATUS(st));
    else
        printf("%s killed by signal %d\n", what, WTERMSIG(st));
    fflush(stdout);
}

/* Waits for one byte on stdin (the checker's go-ahead). */
static void wait_stdin(void)
{
    char c;
    while (read(0, &c, 1) < 0 && errno == EINTR)
        ;
}

/* ---- crashes ---- */

static int mode_crash(int how)
{
    crash_allocs(100, 7777);
    printf("ready\n");
    fflush(stdout);
    wait_stdin();
    if (how == 0) {
        volatile int *volatile nowhere = NULL;
        *nowhere = 1;
    }
    abort();
}

/* ---- a steady allocator, for SIGKILL ---- */

static int mode_spin(void)
{
    printf("spinning %ld\n", (long)getpid());
    fflush(stdout);
    for (unsigned long i = 0;; i++) {
        char *p = malloc(7777);
        if (!p)
            abort();
        p[0] = (char)i;
        sink = p;
        free(p);
        if (i % 64 == 0) {
            struct timespec ts = { 0, 100000 }; /* 0.1 ms: keeps the event rate moderate */
            nanosleep(&ts, NULL);
        }
    }
}

/* ---- fork from a multi-threaded program ---- */

static void *churn(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
        void *p = malloc(96);
        sink = p;
        free(p);
    }
    return NULL;
}

static int mode_forkmt(void)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&th[i], NULL, churn, NULL) != 0)
            die("pthread_create");
    basic_leak(1, 1234);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        child_leak(3, 5555);
        printf("child done\n");
        exit(0);
    }
    wait_child(pid, "child");
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("parent done\n");
    return 0;
}

/* ---- exec'd images ---- */

static int mode_leak_exit(void)
{
    exec_leak(2, 4444);
    printf("exec'd image done\n");
    return 0;
}

static int mode_forkexec(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    wait_child(pid, "/bin/true");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        execl(self_path, self_path, "leak-exit", (char *)NULL);
        _exit(127);
    }
    wait_child(pid, "fork+exec");
    return 0;
}

/* The process itself execs (no fork): what it recorded before must reach
 * its file, complete; an exec that fails leaves it recording on. */
static int mode_exec_self(void)
{
    pre_exec_leak(3, 3333);
    fflush(stdout);
    execl("/nonexistent/leakscope-fault-target", "missing", (char *)NULL); /* fails: ENOENT */
    failed_exec_leak(2, 2222);
    execl(self_path, self_path, "leak-exit", (char *)NULL);
    die("exec");
    return 1;
}

static int mode_vfork(void)
{
    fflush(stdout);
    pid_t pid = vfork();
    if (pid < 0)
        die("vfork");
    if (pid == 0) {
        execl(self_path, self_path, "leak-exit", (char *)NULL);
        _exit(127);
    }
    wait_child(pid, "vfork+exec");
    return 0;
}

static int mode_spawn(void)
{
    fflush(stdout);
    pid_t pid;
    char *argv[] = { (char *)self_path, "leak-exit", NULL };
    int err = posix_spawn(&pid, self_path, NULL, NULL, argv, environ);
    if (err) {
        errno = err;
        die("posix_spawn");
    }
    wait_child(pid, "posix_spawn");
    return 0;
}

/* ---- one clock across processes (tests/check-clock.py) ---- */

NOINLINE static void clock_mark(size_t size)
{
    void *p = malloc(size);
    if (!p)
        abort();
    sink = p;
    clock_mark_release(size, p, free);
}

/* An exec'd image: two marks `ms` apart. */
static int mode_clock_exec(const char *base, const char *ms)
{
    size_t b = (size_t)strtoul(base, NULL, 10);
    clock_mark(b + 1);
    clock_mark_sleep_ms(strtol(ms, NULL, 10));
    clock_mark(b + 2);
    return 0;
}

/* Marks in the parent (which has measured its clock's rate by its first
 * flush, at 100 ms), in a child forked after that (which takes the rate
 * from the memory it inherits), and in two images exec'd by children: one
 * that lives past its first flush, one that ends 10 ms after it starts
 * (which takes the rate over its own short life). */
static int mode_clock(void)
{
    clock_mark(100001);
    clock_mark_sleep_ms(150);
    clock_mark(100002);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        clock_mark(100011);
        clock_mark_sleep_ms(150);
        clock_mark(100012);
        exit(0);
    }
    wait_child(pid, "forked child");
    static const char *const images[][2] = { { "100020", "150" }, { "100030", "10" } };
    for (int i = 0; i < 2; i++) {
        pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execl(self_path, self_path, "clock-exec", images[i][0], images[i][1], (char *)NULL);
            _exit(127);
        }
        wait_child(pid, "exec'd image");
    }
    clock_mark(100003);
    return 0;
}

/* ---- exit from a thread ---- */

static void *exiting_thread(void *arg)
{
    thread_leak(1, 3333);
    printf("thread exits\n");
    fflush(stdout);
    if (arg)
        _exit(4);
    exit(3);
}

static int mode_thread_exit(int underscore)
{
    pthread_t th;
    if (pthread_create(&th, NULL, exiting_thread, underscore ? (void *)1 : NULL) != 0)
        die("pthread_create");
    pthread_join(th, NULL); /* never returns: the thread ends the process */
    printf("not reached\n");
    return 0;
}

/* ---- malloc in a signal handler ---- */

static volatile sig_atomic_t signals;

static void on_alarm(int sig)
{
    (void)sig;
    /* A size class of its own (tcache bin untouched by the main loop), warmed
     * up before the timer starts: the handler never takes the arena lock. */
    void *p = malloc(200);
    sink = p;
    free(p);
    signals++;
}

static int mode_sigmalloc(void)
{
    free(malloc(200));
    free(malloc(48));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    if (setitimer(ITIMER_REAL, &it, NULL) != 0)
        die("setitimer");
    unsigned long i = 0;
    while (signals < 300 || i < 200000) {
        void *p = malloc(48);
        sink = p;
        free(p);
        i++;
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    printf("done: at least 300 signals and 200000 iterations\n");
    return 0;
}

/* ---- a daemon that closes every descriptor ---- */

NOINLINE static int open_devnull(void)
{
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0)
        die("open /dev/null");
    return fd;
}

static int mode_closefds(void)
{
    for (int fd = 3; fd <= 1024; fd++)
        close(fd);
    if (close_range(3, ~0U, 0) != 0)
        die("close_range");
    closefds_leak(2, 6666);
    int fds[5];
    for (int i = 0; i < 5; i++)
        fds[i] = open_devnull();
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    printf("daemon done\n");
    return 0;
}

/* ---- a daemon that closes every descriptor, then opens its log ---- */

void nocfi_leak(int count, size_t size); /* fault-nocfi.c: no unwind tables */

/* Closes every descriptor (the recorder keeps its trace open) and allocates
 * through code without unwind tables (so libunwind takes those stacks),
 * then opens its log: a daemon expects it to be fd 0. stdout and stderr go
 * there too; then more stacks for libunwind (new call sites) and lines in
 * the log, which the checker compares with what was written. Nothing is
 * left to report failures on: the exit code says which step failed. */
static int mode_daemon(const char *log)
{
    if (close_range(0, ~0U, 0) != 0)
        return 90;
    nocfi_leak(2, 5151);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd < 0)
        return 91;
    if ((fd != 1 && dup2(fd, 1) != 1) || (fd != 2 && dup2(fd, 2) != 2))
        return 92;
    printf("daemon: log on fd %d\n", fd);
    fflush(stdout);
    nocfi_leak(3, 5151);
    daemon_leak(2, 6161);
    fprintf(stderr, "daemon: a line on stderr\n");
    printf("daemon done\n");
    fflush(stdout);
    return fd == 0 ? 0 : 3;
}

/* ---- a program that dup2's a file over every low descriptor ---- */

/* The recorder's trace file: replacing it ends the recording (README), so
 * the dup-over mode leaves it alone. */
static bool is_trace_file(int fd)
{
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 6)
        return false;
    target[n] = 0;
    return strcmp(target + n - 6, ".trace") == 0;
}

/* Allocates at the bottom of `depth` frames of 2 KiB: stacks over pages
 * libunwind has not read yet, from call sites it has not seen. */
NOINLINE static void deep_leak(int depth, size_t size)
{
    volatile char pad[2048];
    pad[0] = (char)depth;
    if (depth > 0) {
        deep_leak(depth - 1, size);
    } else {
        char *p = malloc(size);
        if (!p)
            abort();
        memset(p, 1, size);
        sink = p;
    }
    pad[1] = pad[0]; /* not a tail call */
}

/* Like a program that hands its children descriptors 3 and up: dup2's one
 * file over every descriptor from 3 to 63 it did not open itself (whatever
 * is there), allocates, writes a line through each, allocates again, and
 * then checks that every one of them is still that file and that the file
 * holds exactly what it wrote. */
static int mode_dupover(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open");
    int over[64], n = 0;
    for (int t = 3; t < 64; t++) {
        if (t == fd || is_trace_file(t))
            continue;
        if (dup2(fd, t) != t)
            die("dup2");
        over[n++] = t;
    }
    deep_leak(40, 4242);
    char expect[64 * 16 + 16];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        char line[16];
        int k = snprintf(line, sizeof line, "fd %d\n", over[i]);
        if (write(over[i], line, (size_t)k) != k)
            die("write");
        memcpy(expect + len, line, (size_t)k);
        len += (size_t)k;
    }
    deep_leak(30, 4343);
    if (write(fd, "end\n", 4) != 4)
        die("write");
    memcpy(expect + len, "end\n", 4);
    len += 4;

    struct stat want, st;
    if (fstat(fd, &want) != 0)
        die("fstat");
    int replaced = 0;
    for (int i = 0; i < n; i++)
        if (fstat(over[i], &st) != 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev)
            replaced++;
    char got[sizeof expect + 64];
    ssize_t r = pread(fd, got, sizeof got, 0);
    bool same = r == (ssize_t)len && memcmp(got, expect, len) == 0;
    printf("dup-over: %s; %s\n", replaced ? "some descriptors no longer hold the file" : "every descriptor holds the file",
           same ? "the file holds exactly what was written" : "the file differs from what was written");
    return replaced || !same;
}

/* ---- a lot of events (for a full disk) ---- */

static int mode_many(void)
{
    for (int i = 0; i < 300000; i++) {
        void *p = malloc(64);
        sink = p;
        free(p);
    }
    basic_leak(3, 6666);
    printf("many done\n");
    return 0;
}

/* ---- dlopen / dlclose in a loop ---- */

typedef void *(*plugin_fn)(size_t, int *);

static int mode_dlloop(const char *plugin)
{
    for (int i = 0; i < 100; i++) {
        void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "fault-target: dlopen: %s\n", dlerror());
            return 1;
        }
        plugin_fn fn = (plugin_fn)(void (*)(void))dlsym(h, "plugin_leak");
        int line;
        if (!fn || !fn(2000, &line))
            return 1;
        if (dlclose(h) != 0)
            return 1;
    }
    printf("dlloop done\n");
    return 0;
}

/* ---- 64 threads churning allocations and descriptors ---- */

#define CHURN_THREADS 64
#define CHURN_ITERS 1000

static void *churn_fds(void *arg)
{
    (void)arg;
    for (int i = 0; i < CHURN_ITERS; i++) {
        char *p = malloc(7777);
        if (!p)
            abort();
        p[0] = (char)i;
        sink = p;
        int fd = open_devnull();
        close(fd);
        free(p);
    }
    thread_leak(1, 7777);
    return NULL;
}

static int mode_threads64(void)
{
    pthread_t th[CHURN_THREADS];
    for (int i = 0; i < CHURN_THREADS; i++)
        if (pthread_create(&th[i], NULL, churn_fds, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < CHURN_THREADS; i++)
        pthread_join(th[i], NULL);
    printf("%d threads x %d iterations done\n", CHURN_THREADS, CHURN_ITERS);
    return 0;
}

/* ---- a fork storm ---- */

#define STORM 50

static int mode_forkstorm(void)
{
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, churn, NULL) != 0)
            die("pthread_create");
    fflush(stdout);
    pid_t pids[STORM];
    for (int i = 0; i < STORM; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            die("fork");
        if (pids[i] == 0) {
            storm_leak(1, 4321);
            exit(i % 7);
        }
    }
    int bad = 0;
    for (int i = 0; i < STORM; i++) {
        int st;
        while (waitpid(pids[i], &st, 0) < 0)
            if (errno != EINTR)
                die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != i % 7)
            bad++;
    }
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    printf("%d children, %d with a wrong status\n", STORM, bad);
    return bad != 0;
}

/* ---- descriptors closed past the C library ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void churn_allocs(int n)
{
    for (int i = 0; i < n; i++) {
        void *p = malloc(64);
        sink = p;
        free(p);
    }
}

/* The descriptor whose link in /proc/self/fd ends in ".trace" (the
 * recorder's), or -1. */
static int trace_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        die("opendir /proc/self/fd");
    int found = -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char link[300], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 6 && memcmp(target + n - 6, ".trace", 6) == 0)
            found = atoi(e->d_name);
    }
    closedir(d);
    return found;
}

static void write_line(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        die("write");
}

/* A program that closes every descriptor with the close_range system call
 * (past the C library, so past the preload module), then opens a file and
 * writes to it while it allocates on. Its file takes the number the trace
 * had, as it did when the recorder kept the lowest free one: since the
 * recorder keeps it out of reach, a dup3 (also past the C library) puts it
 * there. The file must hold only what the program wrote, and the
 * program's close of that number must close it. */
static int mode_rawclose(const char *path)
{
    rawclose_leak(10, 5555);
    sleep_ms(400); /* the flush interval is 100 ms: the leak is in the trace */
    int old = trace_fd();
    if (syscall(SYS_close_range, 3u, ~0u, 0) != 0)
        die("close_range");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("open");
    if (old >= 0 && old != fd && syscall(SYS_dup3, fd, old, 0) != old)
        die("dup3");
    write_line(fd, "the program's first line\n");
    churn_allocs(20000);
    sleep_ms(400); /* the writer's next chunks are due */
    write_line(fd, "the program's second line\n");
    churn_allocs(20000);
    sleep_ms(400);
    if (old >= 0 && old != fd) {
        if (close(old) != 0)
            printf("close(%d) failed: %s\n", old, strerror(errno));
        else if (fcntl(old, F_GETFD) != -1)
            printf("close(%d) left it open\n", old);
    }
    close(fd);
    printf("rawclose done\n");
    return 0;
}

/* ---- a small RLIMIT_NOFILE ---- */

/* Makes descriptors each way in turn (open, fopen, pipe, socket, dup,
 * opendir) until three attempts have failed, keeping them all, and prints
 * what each got: under a small limit, the recorded run must get exactly
 * the same numbers and failures as the plain one. */
static int mode_nofile(void)
{
    int failures = 0;
    for (int i = 0; failures < 3 && i < 100; i++) {
        const char *what = NULL;
        int got = -1, second = -1, fds[2];
        FILE *f;
        DIR *d;
        switch (i % 6) {
        case 0: what = "open"; got = open("/dev/null", O_RDONLY); break;
        case 1: what = "fopen"; got = (f = fopen("/dev/null", "r")) ? fileno(f) : -1; break;
        case 2:
            what = "pipe";
            if (pipe(fds) == 0) {
                got = fds[0];
                second = fds[1];
            }
            break;
        case 3: what = "socket"; got = socket(AF_UNIX, SOCK_STREAM, 0); break;
        case 4: what = "dup"; got = dup(1); break;
        case 5: what = "opendir"; got = (d = opendir("/")) ? dirfd(d) : -1; break;
        }
        if (got < 0) {
            printf("%s: %s\n", what, strerror(errno));
            failures++;
        } else if (second >= 0) {
            printf("%s: %d %d\n", what, got, second);
        } else {
            printf("%s: %d\n", what, got);
        }
    }
    return 0;
}

/* ---- plain ---- */

static int mode_basic(void)
{
    basic_leak(3, 6666);
    int fd = open_devnull();
    printf("basic done (fd %s)\n", fd >= 0 ? "open" : "failed");
    fprintf(stderr, "basic: a line on stderr\n");
    return 5;
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "basic"))
        return mode_basic();
    if (!strcmp(m, "segv"))
        return mode_crash(0);
    if (!strcmp(m, "abort"))
        return mode_crash(1);
    if (!strcmp(m, "spin"))
        return mode_spin();
    if (!strcmp(m, "forkmt"))
        return mode_forkmt();
    if (!strcmp(m, "leak-exit"))
        return mode_leak_exit();
    if (!strcmp(m, "forkexec"))
        return mode_forkexec();
    if (!strcmp(m, "vfork"))
        return mode_vfork();
    if (!strcmp(m, "exec-self"))
        return mode_exec_self();
    if (!strcmp(m, "spawn"))
        return mode_spawn();
    if (!strcmp(m, "clock"))
        return mode_clock();
    if (!strcmp(m, "clock-exec") && argc > 3)
        return mode_clock_exec(argv[2], argv[3]);
    if (!strcmp(m, "thread-exit"))
        return mode_thread_exit(0);
    if (!strcmp(m, "thread-_exit"))
        return mode_thread_exit(1);
    if (!strcmp(m, "sigmalloc"))
        return mode_sigmalloc();
    if (!strcmp(m, "closefds"))
        return mode_closefds();
    if (!strcmp(m, "daemon") && argc > 2)
        return mode_daemon(argv[2]);
    if (!strcmp(m, "dup-over") && argc > 2)
        return mode_dupover(argv[2]);
    if (!strcmp(m, "many"))
        return mode_many();
    if (!strcmp(m, "dlloop") && argc > 2)
        return mode_dlloop(argv[2]);
    if (!strcmp(m, "threads64"))
        return mode_threads64();
    if (!strcmp(m, "forkstorm"))
        return mode_forkstorm();
    if (!strcmp(m, "rawclose") && argc > 2)
        return mode_rawclose(argv[2]);
    if (!strcmp(m, "nofile"))
        return mode_nofile();
    fprintf(stderr, "usage: %s MODE (basic segv abort spin forkmt leak-exit forkexec exec-self vfork spawn clock thread-exit\n"
                    "       thread-_exit sigmalloc closefds daemon LOG dup-over FILE many dlloop PLUGIN threads64\n"
                    "       forkstorm rawclose FILE nofile)\n",
            argv[0]);
    return 2;
}
