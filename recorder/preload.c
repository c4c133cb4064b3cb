/* preload.c — the LD_PRELOAD module behind `leakscope record`: interposes the
 * allocation family and the functions that open and close descriptors, FILE
 * and DIR streams and mappings, and records them, with their call stacks,
 * into the same recorder the trace_* API uses.
 *
 * Rules every interposer follows:
 *  - the real function is called with the same arguments and its result,
 *    errno included, is returned unchanged;
 *  - a release is recorded before the real call, an acquisition after it;
 *  - nothing is recorded while the recorder itself runs on the thread (its
 *    re-entry guard), so the recorder's own allocations pass straight through;
 *  - allocations made while the real functions are being looked up (dlsym
 *    allocates) come from a small static arena and are never passed to the
 *    real free.
 *
 * SPDX-License-Identifier: MIT
 */
/* Every symbol is interposed under its own name, the 64-bit variants too:
 * no redirection of open to open64 here. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include "recorder-private.h"
#include "env-protocol.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "leakscope/trace.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- the real functions ---- */

#define REAL_ALLOC(X)                                                      \
    X(malloc, void *, (size_t))                                            \
    X(free, void, (void *))                                                \
    X(calloc, void *, (size_t, size_t))                                    \
    X(realloc, void *, (void *, size_t))                                   \
    X(posix_memalign, int, (void **, size_t, size_t))                      \
    X(aligned_alloc, void *, (size_t, size_t))                             \
    X(memalign, void *, (size_t, size_t))                                  \
    X(valloc, void *, (size_t))                                            \
    X(pvalloc, void *, (size_t))

#define REAL_RES(X)                                                        \
    X(open, int, (const char *, int, ...))                                 \
    X(open64, int, (const char *, int, ...))                               \
    X(__open_2, int, (const char *, int))                                  \
    X(__open64_2, int, (const char *, int))                                \
    X(openat, int, (int, const char *, int, ...))                          \
    X(openat64, int, (int, const char *, int, ...))                        \
    X(__openat_2, int, (int, const char *, int))                           \
    X(__openat64_2, int, (int, const char *, int))                         \
    X(creat, int, (const char *, mode_t))                                  \
    X(creat64, int, (const char *, mode_t))                                \
    X(socket, int, (int, int, int))                                        \
    X(socketpair, int, (int, int, int, int *))                             \
    X(accept, int, (int, struct sockaddr *, socklen_t *))                  \
    X(accept4, int, (int, struct sockaddr *, socklen_t *, int))            \
    X(pipe, int, (int *))                                                  \
    X(pipe2, int, (int *, int))                                            \
    X(dup, int, (int))                                                     \
    X(dup2, int, (int, int))                                               \
    X(dup3, int, (int, int, int))                                          \
    X(fcntl, int, (int, int, ...))                                         \
    X(fcntl64, int, (int, int, ...))                                       \
    X(eventfd, int, (unsigned int, int))                                   \
    X(epoll_create, int, (int))                                            \
    X(epoll_create1, int, (int))                                           \
    X(timerfd_create, int, (int, int))                                     \
    X(signalfd, int, (int, const sigset_t *, int))                             \
    X(memfd_create, int, (const char *, unsigned int))                     \
    X(inotify_init, int, (void))                                           \
    X(inotify_init1, int, (int))                                           \
    X(close, int, (int))                                                   \
    X(close_range, int, (unsigned int, unsigned int, int))                 \
    X(closefrom, void, (int))                                              \
    X(fopen, FILE *, (const char *, const char *))                         \
    X(fopen64, FILE *, (const char *, const char *))                       \
    X(fdopen, FILE *, (int, const char *))                                 \
    X(freopen, FILE *, (const char *, const char *, FILE *))               \
    X(freopen64, FILE *, (const char *, const char *, FILE *))             \
    X(popen, FILE *, (const char *, const char *))                         \
    X(fclose, int, (FILE *))                                               \
    X(pclose, int, (FILE *))                                               \
    X(opendir, DIR *, (const char *))                                      \
    X(fdopendir, DIR *, (int))                                             \
    X(closedir, int, (DIR *))                                              \
    X(mmap, void *, (void *, size_t, int, int, int, off_t))                \
    X(mmap64, void *, (void *, size_t, int, int, int, off_t))              \
    X(munmap, int, (void *, size_t))                                       \
    X(dlclose, int, (void *))                                              \
    X(_exit, void, (int))                                                  \
    X(_Exit, void, (int))                                                  \
    X(execve, int, (const char *, char *const[], char *const[]))           \
    X(execvpe, int, (const char *, char *const[], char *const[]))          \
    X(fexecve, int, (int, char *const[], char *const[]))                   \
    X(execveat, int, (int, const char *, char *const[], char *const[], int))

#define DECLARE_REAL(name, ret, args) static ret(*real_##name) args;
REAL_ALLOC(DECLARE_REAL)
REAL_RES(DECLARE_REAL)
#undef DECLARE_REAL

static bool resources_on = true;
/* The pid of the process `leakscope record` started (see root_first_image); 0: unknown. */
static pid_t root_pid;

/* ---- start-up, and under AddressSanitizer ----
 * Recording starts at the first allocation made once the real functions are
 * known and the C library has initialized itself, or at this module's
 * constructor, whichever comes first. The loader initializes the libraries
 * the program links before this module, and their constructors allocate
 * (libstdc++'s exception-handling pool, for one): those allocations are the
 * program's too.
 *
 * The suite's ASan run loads this module, built with ASan, ahead of the ASan
 * runtime (LD_PRELOAD=<this module>:libasan.so), so that these interposers
 * come first and call ASan's allocator and interceptors. ASan then starts up
 * by calling malloc and free through them (the loader formats an error for
 * each symbol it looks up and does not find) before its shadow memory
 * exists, when no instrumented code may run. So the start-up path (the
 * arena, resolving the real functions) is built without instrumentation,
 * and in an ASan build recording starts at this module's constructor only:
 * ASan is up by then (the module's own sanitizer constructor runs first). */
#define START_UP __attribute__((no_sanitize_address))

#if LS_SANITIZED_ADDRESS
#define LS_ASAN 1
#endif

/* 0: not started; 1: starting (the recorder's own allocations meanwhile are
 * not recorded); 2: started (recording, or off after a failure). */
static int start_state; /* atomic */
static void start_recording(void);
static bool start_when_ready(void);

static inline bool may_record(void)
{
    if (LS_LIKELY(__atomic_load_n(&start_state, __ATOMIC_ACQUIRE) == 2))
        return true;
    return start_when_ready();
}

/* ---- bootstrap arena for dlsym's allocations ---- */

#define BOOT_SIZE (256 * 1024)
#define BOOT_PAGE 4096u
static _Alignas(64) unsigned char boot_heap[BOOT_SIZE];
static size_t boot_used; /* atomic */

typedef struct boot_header {
    size_t size;
    size_t pad;
} boot_header;

static bool is_boot(const void *p)
{
    return (const unsigned char *)p >= boot_heap && (const unsigned char *)p < boot_heap + BOOT_SIZE;
}

/* n bytes aligned to `align`, rounded up to a power of two as memalign does
 * (callers with stricter rules check first). */
START_UP static void *boot_alloc(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    if (align & (align - 1)) {
        if (align > BOOT_SIZE) {
            errno = ENOMEM;
            return NULL;
        }
        align = (size_t)1 << (64 - __builtin_clzll((unsigned long long)align));
    }
    for (;;) {
        size_t used = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
        /* Aligned as an address: the arena itself is only 64-byte aligned. */
        uintptr_t base = (uintptr_t)boot_heap;
        size_t start = ((base + used + sizeof(boot_header) + align - 1) & ~(uintptr_t)(align - 1)) - base;
        if (start + n > BOOT_SIZE || start + n < start) {
            errno = ENOMEM;
            return NULL;
        }
        if (__atomic_compare_exchange_n(&boot_used, &used, start + n, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            ((boot_header *)(boot_heap + start))[-1].size = n;
            return boot_heap + start; /* static storage: already zero */
        }
    }
}

START_UP static size_t boot_size(const void *p) { return ((const boot_header *)p)[-1].size; }

/* 0 not resolved, 1 resolving (dlsym is running: use the arena), 2 done. */
static int alloc_state;

START_UP static void resolve_alloc(void)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&alloc_state, &expect, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* being resolved (by dlsym's own allocations, or another start-up thread): use the arena */
#define RESOLVE(name, ret, args) real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name);
    REAL_ALLOC(RESOLVE)
#undef RESOLVE
    __atomic_store_n(&alloc_state, 2, __ATOMIC_RELEASE);
}

START_UP static inline bool ready(void)
{
    if (LS_LIKELY(__atomic_load_n(&alloc_state, __ATOMIC_ACQUIRE) == 2))
        return true;
    if (__atomic_load_n(&alloc_state, __ATOMIC_ACQUIRE) == 0)
        resolve_alloc();
    return __atomic_load_n(&alloc_state, __ATOMIC_ACQUIRE) == 2 && real_malloc;
}

/* ---- the allocation family ---- */

static inline void record_alloc(uintptr_t p, size_t n)
{
    if (may_record())
        ls_record_alloc(p, n);
}

/* record_alloc from the interposer itself (a macro: the caller's frame is
 * the interposer's caller): the program's frame, where its stack starts. */
#define RECORD_ALLOC_HERE(p, n)                                   \
    do {                                                          \
        if (may_record()) {                                       \
            LS_CALLER_FRAME(pc_, sp_, bp_, bp_known_);            \
            ls_record_alloc_from((p), (n), pc_, sp_, bp_, bp_known_); \
        }                                                         \
    } while (0)

static inline void record_free(uintptr_t p)
{
    if (may_record())
        ls_record_free(p);
}

static inline void record_realloc(uintptr_t old, uintptr_t p, size_t n)
{
    if (may_record())
        ls_record_realloc(old, p, n);
}

EXPORT void *malloc(size_t n)
{
    if (LS_UNLIKELY(!ready()))
        return boot_alloc(n, 16);
    void *p = real_malloc(n);
    RECORD_ALLOC_HERE((uintptr_t)p, n);
    return p;
}

EXPORT void free(void *p)
{
    if (!p || LS_UNLIKELY(is_boot(p) || !ready()))
        return;
    record_free((uintptr_t)p);
    real_free(p);
}

EXPORT void *calloc(size_t n, size_t m)
{
    if (LS_UNLIKELY(!ready() || !real_calloc)) {
        size_t total;
        if (__builtin_mul_overflow(n, m, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return boot_alloc(total, 16);
    }
    void *p = real_calloc(n, m);
    if (p)
        RECORD_ALLOC_HERE((uintptr_t)p, n * m);
    return p;
}

/* realloc and reallocarray: the old block's release is recorded before the
 * call (another thread may get the address the moment it returns), the new
 * block after it. reallocarray is realloc after an overflow check, as in the
 * C library (whose reallocarray calls realloc: calling it would record twice). */
static void *resize(void *p, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (LS_UNLIKELY(is_boot(p) || !ready())) {
        void *q = ready() ? malloc(total) : boot_alloc(total, 16);
        if (q && p)
            memcpy(q, p, boot_size(p) < total ? boot_size(p) : total);
        return q;
    }
    if (!p) {
        void *q = real_realloc(NULL, total);
        record_alloc((uintptr_t)q, total);
        return q;
    }
    ls_held held = { 0 };
    bool rec = may_record();
    if (rec)
        ls_record_free_held((uintptr_t)p, &held);
    void *q = real_realloc(p, total);
    if (rec) {
        int saved = errno;
        /* Failed (NULL with a size): p lives on as it was, no release. */
        ls_release_held(&held, q != NULL || total == 0);
        if (q)
            record_realloc(0, (uintptr_t)q, total);
        errno = saved;
    }
    return q;
}

EXPORT void *realloc(void *p, size_t n) { return resize(p, n, 1); }
EXPORT void *reallocarray(void *p, size_t n, size_t m) { return resize(p, n, m); }

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (LS_UNLIKELY(!ready() || !real_posix_memalign)) {
        if (align < sizeof(void *) || (align & (align - 1)))
            return EINVAL; /* as the C library says, *out untouched */
        *out = boot_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    int rc = real_posix_memalign(out, align, n);
    if (rc == 0)
        record_alloc((uintptr_t)*out, n);
    return rc;
}

/* Before the C library's allocator is resolved, each takes the alignment it
 * was asked for from the start-up arena (valloc and pvalloc: a page). */
#define ALIGNED(name, args, call, size, align)                 \
    EXPORT void *name args                                     \
    {                                                          \
        if (LS_UNLIKELY(!ready() || !real_##name))             \
            return boot_alloc(size, align);                    \
        void *p = real_##name call;                            \
        record_alloc((uintptr_t)p, size);                      \
        return p;                                              \
    }
ALIGNED(aligned_alloc, (size_t align, size_t n), (align, n), n, align)
ALIGNED(memalign, (size_t align, size_t n), (align, n), n, align)
ALIGNED(valloc, (size_t n), (n), n, BOOT_PAGE)
ALIGNED(pvalloc, (size_t n), (n), (n + BOOT_PAGE - 1) & ~(size_t)(BOOT_PAGE - 1), BOOT_PAGE)
#undef ALIGNED

/* ---- descriptors ---- */

/* What each fd < FD_TRACKED was opened as (0: not opened while recording),
 * so that dup copies the subtype and close_range closes what is open. */
#define FD_TRACKED 65536
static uint8_t fd_type[FD_TRACKED];

enum { FD_NONE, FD_FILE, FD_SOCKET, FD_PIPE, FD_EVENTFD, FD_EPOLL, FD_TIMERFD, FD_SIGNALFD, FD_MEMFD,
       FD_INOTIFY, FD_DIR, FD_DEVICE, FD_OTHER, FD_TYPES };
static const char *const fd_kind[FD_TYPES] = {
    "fd", "fd/file", "fd/socket", "fd/pipe", "fd/eventfd", "fd/epoll", "fd/timerfd", "fd/signalfd",
    "fd/memfd", "fd/inotify", "fd/dir", "fd/device", "fd/other",
};

static int classify(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return FD_OTHER;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: return FD_FILE;
    case S_IFSOCK: return FD_SOCKET;
    case S_IFIFO: return FD_PIPE;
    case S_IFDIR: return FD_DIR;
    case S_IFCHR:
    case S_IFBLK: return FD_DEVICE;
    }
    return FD_OTHER;
}

/* A call that makes descriptors failed for want of them (EMFILE: the
 * process's limit; ENFILE: the system's), after fd_shortage's retry:
 * recorded as an open and a close at once of kind error/EMFILE (or
 * error/ENFILE) with the call's stack, which readers show as a failed open
 * where it happened (FORMAT.md §6). errno kept. */
static void open_failed(void)
{
    int e = errno;
    if ((e != EMFILE && e != ENFILE) || !may_record() || !resources_on || ls_output_fd() < 0)
        return;
    static uint64_t failures;
    uint64_t h = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    const char *kind = e == EMFILE ? "error/EMFILE" : "error/ENFILE";
    ls_record_failed_open(kind, h);
    errno = e;
}

static void opened_fd(int fd, int type)
{
    if (fd < 0)
        open_failed();
    if (fd < 0 || !may_record() || !resources_on || ls_output_fd() < 0)
        return;
    int saved = errno;
    if (type == FD_NONE)
        type = classify(fd);
    if (fd < FD_TRACKED)
        __atomic_store_n(&fd_type[fd], (uint8_t)type, __ATOMIC_RELAXED);
    ls_record_open(fd_kind[type], (uint64_t)fd, 0);
    errno = saved;
}

static void closing_fd(int fd)
{
    if (fd < 0 || !resources_on)
        return;
    if (fd < FD_TRACKED && __atomic_exchange_n(&fd_type[fd], 0, __ATOMIC_RELAXED) == FD_NONE)
        return; /* not opened while recording */
    ls_record_close("fd", (uint64_t)fd);
}

/* The recorder's descriptor (the trace's: fds.c) is not the program's to
 * close or replace: closing it is a no-op that succeeds, and replacing it
 * (dup2 onto it) first ends the recording cleanly. */
static bool is_trace_fd(int fd) { return ls_is_output_fd(fd); }

static void yield_trace_fd(int fd)
{
    if (is_trace_fd(fd)) {
        ls_warn("the program replaces the trace's file descriptor: recording stops here", NULL, NULL);
        ls_end_recording(NULL);
    }
}

/* After a call that makes descriptors failed: whether it failed for want
 * of the recorder's descriptors, which the recorder has now given up
 * (ls_release_output): then the call is made once more, and gets what it
 * would have got without the recorder. A call failing with EMFILE or
 * ENFILE has made nothing yet (the kernel takes the descriptor number
 * before anything else), so it can be repeated. errno kept. */
static bool fd_shortage(void)
{
    int e = errno;
    return (e == EMFILE || e == ENFILE) && ls_release_output(e);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define RES_READY(name) (real_##name || (resolve_res(), real_##name) || (errno = ENOSYS, false))
static void resolve_res(void);

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (!RES_READY(open))
        return -1;
    int fd = real_open(path, flags, mode);
    if (fd < 0 && fd_shortage())
        fd = real_open(path, flags, mode);
    opened_fd(fd, FD_NONE);
    return fd;
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (!RES_READY(open64))
        return -1;
    int fd = real_open64(path, flags, mode);
    if (fd < 0 && fd_shortage())
        fd = real_open64(path, flags, mode);
    opened_fd(fd, FD_NONE);
    return fd;
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (!RES_READY(openat))
        return -1;
    int fd = real_openat(dirfd, path, flags, mode);
    if (fd < 0 && fd_shortage())
        fd = real_openat(dirfd, path, flags, mode);
    opened_fd(fd, FD_NONE);
    return fd;
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (!RES_READY(openat64))
        return -1;
    int fd = real_openat64(dirfd, path, flags, mode);
    if (fd < 0 && fd_shortage())
        fd = real_openat64(dirfd, path, flags, mode);
    opened_fd(fd, FD_NONE);
    return fd;
}

/* glibc's fortified open variants (declared only under _FORTIFY_SOURCE). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* Simple wrappers: call, then record the new descriptor of the given type. */
#define FD_WRAP(name, params, args, type)       \
    EXPORT int name params                      \
    {                                           \
        if (!RES_READY(name))                   \
            return -1;                          \
        int fd = real_##name args;              \
        if (fd < 0 && fd_shortage())            \
            fd = real_##name args;              \
        opened_fd(fd, type);                    \
        return fd;                              \
    }
FD_WRAP(__open_2, (const char *p, int f), (p, f), FD_NONE)
FD_WRAP(__open64_2, (const char *p, int f), (p, f), FD_NONE)
FD_WRAP(__openat_2, (int d, const char *p, int f), (d, p, f), FD_NONE)
FD_WRAP(__openat64_2, (int d, const char *p, int f), (d, p, f), FD_NONE)
FD_WRAP(creat, (const char *p, mode_t m), (p, m), FD_FILE)
FD_WRAP(creat64, (const char *p, mode_t m), (p, m), FD_FILE)
FD_WRAP(socket, (int d, int t, int p), (d, t, p), FD_SOCKET)
FD_WRAP(accept, (int s, struct sockaddr *a, socklen_t *l), (s, a, l), FD_SOCKET)
FD_WRAP(accept4, (int s, struct sockaddr *a, socklen_t *l, int f), (s, a, l, f), FD_SOCKET)
FD_WRAP(eventfd, (unsigned int v, int f), (v, f), FD_EVENTFD)
FD_WRAP(epoll_create, (int n), (n), FD_EPOLL)
FD_WRAP(epoll_create1, (int f), (f), FD_EPOLL)
FD_WRAP(timerfd_create, (int c, int f), (c, f), FD_TIMERFD)
FD_WRAP(memfd_create, (const char *n, unsigned int f), (n, f), FD_MEMFD)
FD_WRAP(inotify_init, (void), (), FD_INOTIFY)
FD_WRAP(inotify_init1, (int f), (f), FD_INOTIFY)
#undef FD_WRAP

EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
    if (!RES_READY(signalfd))
        return -1;
    int r = real_signalfd(fd, mask, flags);
    if (r < 0 && fd == -1 && fd_shortage())
        r = real_signalfd(fd, mask, flags);
    if (fd == -1)
        opened_fd(r, FD_SIGNALFD); /* otherwise an existing one was changed */
    return r;
}

/* rc 0: the pair made and recorded. */
static int pair(int rc, int *fds, int type)
{
    if (rc == 0) {
        opened_fd(fds[0], type);
        opened_fd(fds[1], type);
    }
    return rc;
}

EXPORT int socketpair(int d, int t, int p, int sv[2])
{
    if (!RES_READY(socketpair))
        return -1;
    int rc = real_socketpair(d, t, p, sv);
    if (rc != 0 && fd_shortage())
        rc = real_socketpair(d, t, p, sv);
    return pair(rc, sv, FD_SOCKET);
}

EXPORT int pipe(int fds[2])
{
    if (!RES_READY(pipe))
        return -1;
    int rc = real_pipe(fds);
    if (rc != 0 && fd_shortage())
        rc = real_pipe(fds);
    return pair(rc, fds, FD_PIPE);
}

EXPORT int pipe2(int fds[2], int flags)
{
    if (!RES_READY(pipe2))
        return -1;
    int rc = real_pipe2(fds, flags);
    if (rc != 0 && fd_shortage())
        rc = real_pipe2(fds, flags);
    return pair(rc, fds, FD_PIPE);
}

static int type_of(int fd)
{
    uint8_t t = fd >= 0 && fd < FD_TRACKED ? __atomic_load_n(&fd_type[fd], __ATOMIC_RELAXED) : 0;
    return t ? t : FD_NONE;
}

EXPORT int dup(int fd)
{
    if (!RES_READY(dup))
        return -1;
    int r = real_dup(fd);
    if (r < 0 && fd_shortage())
        r = real_dup(fd);
    opened_fd(r, type_of(fd));
    return r;
}

static int dup_onto(int r, int oldfd, int newfd)
{
    if (r >= 0 && oldfd != newfd)
        opened_fd(r, type_of(oldfd));
    return r;
}

EXPORT int dup2(int oldfd, int newfd)
{
    if (!RES_READY(dup2))
        return -1;
    yield_trace_fd(newfd);
    if (oldfd != newfd)
        closing_fd(newfd); /* dup2 closes newfd first */
    return dup_onto(real_dup2(oldfd, newfd), oldfd, newfd);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (!RES_READY(dup3))
        return -1;
    yield_trace_fd(newfd);
    if (oldfd != newfd)
        closing_fd(newfd);
    return dup_onto(real_dup3(oldfd, newfd, flags), oldfd, newfd);
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, uintptr_t arg)
{
    bool dup = cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC;
    int r = real(fd, cmd, arg);
    if (dup && r < 0 && fd_shortage())
        r = real(fd, cmd, arg);
    if (dup)
        opened_fd(r, type_of(fd));
    return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    uintptr_t arg = va_arg(ap, uintptr_t); /* int or pointer: both travel in one register */
    va_end(ap);
    return RES_READY(fcntl) ? fcntl_common(real_fcntl, fd, cmd, arg) : -1;
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    uintptr_t arg = va_arg(ap, uintptr_t);
    va_end(ap);
    return RES_READY(fcntl64) ? fcntl_common(real_fcntl64, fd, cmd, arg) : -1;
}

EXPORT int close(int fd)
{
    if (is_trace_fd(fd))
        return 0;
    if (!RES_READY(close))
        return -1;
    closing_fd(fd);
    return real_close(fd);
}

static void closing_range(unsigned first, unsigned last)
{
    for (unsigned fd = first; fd <= last && fd < FD_TRACKED; fd++)
        if (__atomic_load_n(&fd_type[fd], __ATOMIC_RELAXED))
            closing_fd((int)fd);
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    if (!RES_READY(close_range))
        return -1;
    bool cloexec_only = (flags & CLOSE_RANGE_CLOEXEC) != 0;
    /* Close around the trace's descriptor. */
    int tfd = cloexec_only ? -1 : ls_output_fd();
    bool record = !cloexec_only && !(flags & CLOSE_RANGE_UNSHARE);
    unsigned from = first;
    if (is_trace_fd(tfd) && (unsigned)tfd >= first && (unsigned)tfd <= last) {
        unsigned at = (unsigned)tfd;
        if (at > from) {
            if (record)
                closing_range(from, at - 1);
            int r = real_close_range(from, at - 1, flags);
            if (r != 0)
                return r;
        }
        if (at == last)
            return 0;
        from = at + 1;
    }
    if (record)
        closing_range(from, last);
    return real_close_range(from, last, flags);
}

EXPORT void closefrom(int lowfd)
{
    if (!RES_READY(close_range))
        return;
    int saved = errno;
    if (lowfd < 0)
        lowfd = 0;
    close_range((unsigned)lowfd, ~0u, 0); /* our close_range, which spares the trace */
    errno = saved;
}

/* ---- FILE and DIR streams ---- */

static FILE *opened_file(FILE *f)
{
    if (!f)
        open_failed();
    if (f && resources_on && ls_output_fd() >= 0)
        ls_record_open("FILE", (uint64_t)(uintptr_t)f, 0);
    return f;
}

/* fopen, fopen64 and popen: made again when short of the recorder's descriptors. */
static FILE *open_stream(FILE *(*real)(const char *, const char *), const char *p, const char *m)
{
    FILE *f = real(p, m);
    if (!f && fd_shortage())
        f = real(p, m);
    return opened_file(f);
}

EXPORT FILE *fopen(const char *p, const char *m) { return RES_READY(fopen) ? open_stream(real_fopen, p, m) : NULL; }
EXPORT FILE *fopen64(const char *p, const char *m)
{
    return RES_READY(fopen64) ? open_stream(real_fopen64, p, m) : NULL;
}
EXPORT FILE *popen(const char *c, const char *m) { return RES_READY(popen) ? open_stream(real_popen, c, m) : NULL; }

EXPORT FILE *fdopen(int fd, const char *m)
{
    if (!RES_READY(fdopen))
        return NULL;
    FILE *f = real_fdopen(fd, m);
    /* The stream owns the descriptor now: its fclose closes it. */
    return opened_file(f);
}

static void closing_file(FILE *f)
{
    if (!f || !resources_on)
        return;
    int saved = errno;
    int fd = fileno(f);
    closing_fd(fd); /* a stream from fdopen closes its descriptor too */
    ls_record_close("FILE", (uint64_t)(uintptr_t)f);
    errno = saved;
}

static FILE *reopen(FILE *(*real)(const char *, const char *, FILE *), const char *p, const char *m, FILE *f)
{
    closing_file(f);
    return opened_file(real(p, m, f));
}

EXPORT FILE *freopen(const char *p, const char *m, FILE *f)
{
    return RES_READY(freopen) ? reopen(real_freopen, p, m, f) : NULL;
}
EXPORT FILE *freopen64(const char *p, const char *m, FILE *f)
{
    return RES_READY(freopen64) ? reopen(real_freopen64, p, m, f) : NULL;
}

EXPORT int fclose(FILE *f)
{
    if (!RES_READY(fclose))
        return EOF;
    closing_file(f);
    return real_fclose(f);
}

EXPORT int pclose(FILE *f)
{
    if (!RES_READY(pclose))
        return -1;
    closing_file(f);
    return real_pclose(f);
}

static DIR *opened_dir(DIR *d)
{
    if (!d)
        open_failed();
    if (d && resources_on && ls_output_fd() >= 0)
        ls_record_open("DIR", (uint64_t)(uintptr_t)d, 0);
    return d;
}

EXPORT DIR *opendir(const char *p)
{
    if (!RES_READY(opendir))
        return NULL;
    DIR *d = real_opendir(p);
    if (!d && fd_shortage())
        d = real_opendir(p);
    return opened_dir(d);
}
EXPORT DIR *fdopendir(int fd) { return RES_READY(fdopendir) ? opened_dir(real_fdopendir(fd)) : NULL; }

EXPORT int closedir(DIR *d)
{
    if (!RES_READY(closedir))
        return -1;
    if (resources_on) {
        int saved = errno;
        closing_fd(dirfd(d)); /* fdopendir's descriptor goes with the stream */
        ls_record_close("DIR", (uint64_t)(uintptr_t)d);
        errno = saved;
    }
    return real_closedir(d);
}

/* ---- mappings ---- */

/* A mapping made: a resource; anonymous memory the program can write is
 * also a root of the heap snapshot (heapscan.c: ls_mapped_add), unless the
 * recorder's own code made it (libunwind's pools, through this interposer). */
static void *opened_map(void *p, size_t len, int prot, int flags)
{
    if (p == MAP_FAILED)
        return p;
    if ((flags & MAP_ANONYMOUS) && (prot & PROT_READ) && (prot & PROT_WRITE) && !ls_inside_recorder())
        ls_mapped_add((uint64_t)(uintptr_t)p, len);
    if (resources_on && ls_output_fd() >= 0)
        ls_record_open("mmap", (uint64_t)(uintptr_t)p, len);
    return p;
}

EXPORT void *mmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!RES_READY(mmap))
        return MAP_FAILED;
    return opened_map(real_mmap(a, len, prot, flags, fd, off), len, prot, flags);
}

EXPORT void *mmap64(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!RES_READY(mmap64))
        return MAP_FAILED;
    return opened_map(real_mmap64(a, len, prot, flags, fd, off), len, prot, flags);
}

EXPORT int munmap(void *a, size_t len)
{
    if (!RES_READY(munmap))
        return -1;
    ls_mapped_remove((uint64_t)(uintptr_t)a, len);
    if (resources_on)
        ls_record_close("mmap", (uint64_t)(uintptr_t)a);
    return real_munmap(a, len);
}

/* ---- modules and exit ---- */

/* Before a library goes away, make sure the writer has recorded it, so the
 * stacks that point into it can still be symbolized. */
EXPORT int dlclose(void *handle)
{
    if (!RES_READY(dlclose))
        return -1;
    trace_flush();
    int r = real_dlclose(handle);
    /* Other code may be loaded where this library was: the per-thread caches
     * of unwind rules start over. */
    ls_unwind_invalidate();
    return r;
}

/* _exit skips atexit and destructors: end the recording first, but only in
 * the process that records (a vfork child shares its memory). */
static void end_before_exit(void)
{
    if (ls_output_fd() >= 0 && getpid() == ls_recording_pid())
        ls_end_recording("exit");
}

EXPORT void _exit(int status)
{
    end_before_exit();
    if (RES_READY(_exit))
        real__exit(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

/* exec replaces the image and its buffers with it: the recording ends
 * first (a complete file), and starts again, in a file of its own, if the
 * exec fails. The C library's exec functions call each other internally,
 * past these interposers: each one is interposed, the l-forms by building
 * their argument vector and calling the v-forms here. */
static bool end_before_exec(void)
{
    if (ls_output_fd() < 0 || getpid() != ls_recording_pid())
        return false; /* not recording, or a vfork child sharing the parent's recorder */
    /* No heap snapshot: the image goes away whole, nothing in it leaks. */
    ls_end_for_exec();
    return true;
}

static int after_failed_exec(bool ended, int rc)
{
    if (ended) {
        int saved = errno;
        if (ls_begin_preload(true) != 0)
            ls_warn("exec failed, and recording could not start again", NULL, NULL);
        errno = saved;
    }
    return rc;
}

/* The image a process execs is the same process: when the root process
 * execs, the next image must learn that it is not the root's first image
 * (which writes $LEAKSCOPE_OUTPUT), or it would replace the root's trace.
 * It gets the environment it is given with LEAKSCOPE_ROOT_PID=<pid> as
 * LEAKSCOPE_ROOT_PID=-<pid> (see root_first_image), in a copy: the program's
 * own environment is left alone. Any other exec passes envp as it is. */
typedef struct exec_env {
    char *const *envp;
    void *map;             /* the copy (ls_map), unmapped if the exec fails */
    size_t map_len;
} exec_env;

static exec_env exec_env_for(char *const *envp)
{
    exec_env e = { envp, NULL, 0 };
    pid_t self = getpid();
    if (root_pid <= 0 || self != root_pid || !envp)
        return e;
    static const char name[] = LS_ENV_ROOT_PID "=";
    size_t n = 0, at = SIZE_MAX;
    for (; envp[n]; n++)
        if (at == SIZE_MAX && strncmp(envp[n], name, sizeof name - 1) == 0 && envp[n][sizeof name - 1] != '-')
            at = n;
    if (at == SIZE_MAX)
        return e; /* without it the next image is no root's first either */
    char digits[24];
    size_t nd = 0;
    for (unsigned long v = (unsigned long)self; v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    size_t len = (n + 1) * sizeof(char *) + sizeof name + 1 + nd;
    char **copy = ls_map(len);
    if (!copy)
        return e; /* out of memory: pass it as it is (the next image then records as the root's) */
    memcpy(copy, envp, (n + 1) * sizeof(char *));
    char *text = (char *)(copy + n + 1);
    memcpy(text, name, sizeof name - 1);
    char *d = text + sizeof name - 1;
    *d++ = '-';
    while (nd)
        *d++ = digits[--nd];
    *d = '\0';
    copy[at] = text;
    e.envp = copy;
    e.map = copy;
    e.map_len = len;
    return e;
}

static int exec_done(exec_env *e, bool ended, int rc)
{
    int saved = errno;
    ls_unmap(e->map, e->map_len);
    errno = saved;
    return after_failed_exec(ended, rc);
}

/* execv and execvp are execve and execvpe with `environ` (as in the C
 * library), so that the environment can be passed on as above. */
extern char **environ;

#define EXEC_V(name, real, params, envp, args)                 \
    EXPORT int name params                                     \
    {                                                          \
        if (!RES_READY(real))                                  \
            return -1;                                         \
        bool ended = end_before_exec();                        \
        exec_env e = exec_env_for(envp);                       \
        return exec_done(&e, ended, real_##real args);         \
    }
EXEC_V(execve, execve, (const char *path, char *const argv[], char *const envp[]), envp, (path, argv, e.envp))
EXEC_V(execv, execve, (const char *path, char *const argv[]), environ, (path, argv, e.envp))
EXEC_V(execvp, execvpe, (const char *file, char *const argv[]), environ, (file, argv, e.envp))
EXEC_V(execvpe, execvpe, (const char *file, char *const argv[], char *const envp[]), envp, (file, argv, e.envp))
EXEC_V(fexecve, fexecve, (int fd, char *const argv[], char *const envp[]), envp, (fd, argv, e.envp))
EXEC_V(execveat, execveat, (int dirfd, const char *path, char *const argv[], char *const envp[], int flags), envp,
       (dirfd, path, argv, e.envp, flags))
#undef EXEC_V

/* The l-forms: the arguments up to the NULL (and for execle the
 * environment after it) gathered on the stack. */
#define EXEC_ARGS_MAX 4096
#define GATHER_ARGS(first, argv, ap, fail)                     \
    const char *argv[EXEC_ARGS_MAX + 1];                       \
    size_t argc_ = 0;                                          \
    argv[argc_++] = first;                                     \
    while (argv[argc_ - 1]) {                                  \
        if (argc_ > EXEC_ARGS_MAX) {                           \
            va_end(ap);                                        \
            errno = E2BIG;                                     \
            return fail;                                       \
        }                                                      \
        argv[argc_++] = va_arg(ap, const char *);              \
    }

#define EXEC_L(name, v_name)                                   \
    EXPORT int name(const char *path, const char *arg, ...)    \
    {                                                          \
        va_list ap;                                            \
        va_start(ap, arg);                                     \
        GATHER_ARGS(arg, argv, ap, -1)                         \
        va_end(ap);                                            \
        return v_name(path, (char *const *)argv);              \
    }
EXEC_L(execl, execv)
EXEC_L(execlp, execvp)
#undef EXEC_L

EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    GATHER_ARGS(arg, argv, ap, -1)
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, (char *const *)argv, envp);
}
#undef GATHER_ARGS

EXPORT void _Exit(int status)
{
    end_before_exit();
    if (RES_READY(_Exit))
        real__Exit(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

/* ---- start-up ---- */

static void resolve_res(void)
{
    static int done; /* a symbol the C library lacks stays NULL: its interposer fails with ENOSYS */
    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
        return;
#define RESOLVE(name, ret, args) \
    if (!real_##name)            \
        real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name);
    REAL_RES(RESOLVE)
#undef RESOLVE
}



static void (*cxx_freeres)(void); /* libstdc++'s, if loaded (see ls_exit_cleanup) */

/* Which image this is. `leakscope record` sets LEAKSCOPE_ROOT_PID to the
 * pid of the process it starts (the root), whose first image writes
 * $LEAKSCOPE_OUTPUT; every other image (a forked child's, an exec'd
 * program's) writes a file of its own with its pid in the name, so that
 * none replaces another's. A forked child is a process of another pid; an
 * image the root process execs gets LEAKSCOPE_ROOT_PID=-<pid>
 * (exec_env_for). Nothing is written into the program's environment: the
 * launcher knows the pid before the program runs. Without the variable
 * (the module preloaded by hand) every image writes a file with its pid.
 * Sets root_pid; true in the root's first image. */
static bool root_first_image(void)
{
    const char *s = ls_getenv(LS_ENV_ROOT_PID);
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || *end || v == LONG_MIN)
        v = 0;
    root_pid = (pid_t)(v < 0 ? -v : v);
    return v > 0 && v == getpid();
}

static void start_recording(void)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&start_state, &expect, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* started, or starting on this thread (an allocation of the start-up's own) or another */
    int saved = errno;
    ready();
    resolve_res();
    /* The settings as the process started: not through the program's
     * getenv, which may be its own (env.c). */
    ls_env_capture();
    const char *res = ls_getenv(LS_ENV_RESOURCES);
    resources_on = !res || strcmp(res, "0") != 0;
    bool first = root_first_image();
    /* --no-follow-fork: only the root process records, in each image it
     * execs; not a forked child, nor what a forked child execs. */
    const char *follow = ls_getenv(LS_ENV_FOLLOW_FORK);
    bool record = root_pid == 0 || getpid() == root_pid || !follow || strcmp(follow, "0") != 0;
    ls_gc_hook_install();
    /* Looked up now: a failed lookup allocates (the loader's error message). */
    *(void **)&cxx_freeres = dlsym(RTLD_DEFAULT, "_ZN9__gnu_cxx9__freeresEv");
    int err = record ? ls_begin_preload(!first) : 0;
    if (err) {
        const char *out = ls_getenv(LS_ENV_OUTPUT);
        ls_warn4(out ? out : "the trace file", ": ", ls_output_strerror(err), ": recording is off for this process");
    }
    errno = saved;
    __atomic_store_n(&start_state, 2, __ATOMIC_RELEASE);
}

/* Starts recording from an interposer if the process is ready for it: the
 * real allocation functions resolved, and the C library initialized (its
 * constructor sets environ; the loader itself allocates earlier). */
static bool start_when_ready(void)
{
#ifndef LS_ASAN
    extern char **environ;
    if (__atomic_load_n(&start_state, __ATOMIC_ACQUIRE) == 0 &&
        __atomic_load_n(&alloc_state, __ATOMIC_ACQUIRE) == 2 && environ)
        start_recording();
#endif
    return __atomic_load_n(&start_state, __ATOMIC_ACQUIRE) == 2;
}

__attribute__((constructor(101))) static void preload_init(void) { start_recording(); }

/* libstdc++ allocates its exception-handling pool in its constructor and
 * keeps it to the end: released here, as valgrind and heaptrack release it
 * (__gnu_cxx::__freeres), so that it is not reported as every C++ program's
 * leak. Called at exit, before the recording ends. */
void ls_exit_cleanup(void)
{
    if (cxx_freeres)
        cxx_freeres();
}
