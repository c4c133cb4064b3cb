/* recorder.c — the trace_* API: per-thread buffers, the writer thread,
 * trace_begin / trace_end.
 *
 * The hot paths (emit, emit_alloc, emit_free) take no lock and make no
 * system call but the clock: each stores a packed record (two to five words,
 * trace-packed.h) in the calling thread's buffer and publishes the new count
 * with a release store. The writer thread reads published
 * records (of full buffers handed over through a queue, and of the buffers
 * still being filled, every flush interval), encodes and writes them. Buffers
 * are recycled only by the writer thread, and no buffer or thread state is
 * unmapped while its thread can still touch it.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#define LEAKSCOPE_COMPILATION
#include "leakscope/trace.h"
#include "recorder-private.h"
#include "env-protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A buffer is 256 KiB: a 32-byte header and 32764 words of records (two to
 * five words each: trace-packed.h), eight to a 2 MiB slab (refill_spares). */
#define BUF_WORDS 32764u
/* The file's timestamp unit by default: 16 ns, finer than reading the clock
 * takes (rdtsc costs 7 to 20 ns), so no order the clock can tell is lost,
 * and about two bits per event fewer than whole nanoseconds (Go's execution
 * tracer keeps 64 ns). A free is stamped before the real free and an
 * allocation after the real allocation, so a block freed on one thread and
 * handed out again on another is ordered right even at one unit apart
 * (readers sort releases first at equal times). */
#define LS_TIME_UNIT_NS 16u
#define LS_DEPTH_MAX ((unsigned)LS_STACK_DEPTH_MAX)

enum { ST_IDLE, ST_ACTIVE, ST_STOPPING, ST_FAILED };

typedef struct buffer {
    struct buffer *next;   /* queue or free list; G.lock */
    uint32_t tid;
    uint32_t n;            /* words of records published (owner: release store) */
    uint32_t flushed;      /* words already written (writer thread only) */
    uint32_t pad[3];
    uint64_t w[BUF_WORDS];
} buffer;
_Static_assert(sizeof(buffer) == 256 * 1024, "eight buffers to a 2 MiB slab");

typedef struct thread_state {
    struct thread_state *next; /* G.threads; G.lock */
    buffer *cur;           /* written by the owner under G.lock, read by the writer under G.lock */
    uint32_t gen;          /* recording this state is attached to */
    uint32_t tid;
    uint64_t tcb;          /* pthread_self(): where its stack is (heapscan.c) */
    int guard;             /* re-entry guard: set while the recorder runs on this thread */
    bool listed;
    bool writer;           /* the writer thread's own state: never records */
    int unwinding;         /* inside libunwind (atomic): fork waits for it */
    ls_intern_cache cache;
} thread_state;

static __thread thread_state *tls_state __attribute__((tls_model("initial-exec")));
/* Set while recording from a context that must never wait on a lock (a GC
 * callback runs with the world stopped): events that would need one are
 * dropped and counted instead. */
static __thread bool tls_nonblocking __attribute__((tls_model("initial-exec")));

static int begin_recording(const char *path, bool exclusive);

static struct {
    int state;             /* ST_*, atomic */
    uint32_t gen;          /* atomic; bumped by each trace_begin */
    pthread_mutex_t lock;
    pthread_cond_t wake, space, flushed;
    pthread_key_t key;
    bool key_ready;

    pthread_t writer_thread;
    struct writer_ctl *wctl; /* the running writer thread's (G.lock) */
    trace_writer *w;
    char path[PATH_MAX];

    uint32_t depth, flush_ms;
    size_t spare_buffers;  /* buffers allowed beyond one per thread */
    bool drop;

    thread_state *threads;
    uint32_t attached;
    buffer *q_head, *q_tail, *free_list;
    size_t buffers, nfree;
    uint64_t lost;         /* atomic */
    uint64_t flush_req, flush_done;
    bool stop_req;
    bool accepting;        /* the writer thread will still process the queue */
    bool write_failed;     /* writer thread only: the failure was reported */
    bool gave_up;          /* ls_release_output closed libunwind's pipe: never again here (atomic) */

    int out_fd;            /* the trace file's descriptor while recording, else -1 (atomic) */
    dev_t out_dev;         /* its file (set before out_fd) */
    ino_t out_ino;
    pid_t pid;             /* the process that began the recording */
    bool follow_fork;      /* a forked child starts its own trace (atomic) */
    bool pending_child;    /* set in a forked child: begin its trace at its first event (atomic) */
    bool forked_child;     /* this process is such a child (its parent's code, its unwind rules) */
    bool atfork_ready;
    int forking;           /* a fork is being prepared (atomic): no new unwinding */
    bool wake_ready;
    bool scan;             /* heap snapshots on (LEAKSCOPE_SCAN) */
    ls_scan_request *snap_req; /* trace_heap_snapshot's, waiting for the writer; G.lock */
    ls_scan_request *end_req;  /* trace_end's, written before the END chunk; G.lock */
    ls_scan_thread *scan_threads; /* writer thread: the threads' copy for a scan */
    uint32_t scan_threads_cap;
    char base_path[PATH_MAX]; /* the first recording's path: children derive theirs from it */
} G = {
    .out_fd = -1,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .space = PTHREAD_COND_INITIALIZER,
    .flushed = PTHREAD_COND_INITIALIZER,
};

/* ---- small helpers ---- */

/* Raw system calls: the preload module interposes mmap, and the recorder's
 * own memory must never be recorded (or recurse into the recorder). */
/* Raw system calls: not the program's mmap (the preload module interposes
 * it to record mappings). Under TSan the C library's, which TSan sees: it
 * forgets what it knew of memory unmapped, which a raw munmap would leave it
 * to mistake for a race when the address is mapped again. */
static void *map_pages(size_t bytes, int extra_flags)
{
#if LS_SANITIZED_THREAD
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#else
    long r = syscall(SYS_mmap, NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return r < 0 && r > -4096 ? NULL : (void *)r;
#endif
}

void *ls_map(size_t bytes)
{
    int saved = errno;
    void *p = map_pages(bytes, 0);
    errno = saved;
    return p;
}

void ls_unmap(void *p, size_t bytes)
{
#if LS_SANITIZED_THREAD
    if (p)
        munmap(p, bytes);
#else
    if (p)
        syscall(SYS_munmap, p, bytes);
#endif
}

void *ls_remap(void *p, size_t old_bytes, size_t new_bytes)
{
    size_t page = 4096, old_len = (old_bytes + page - 1) & ~(page - 1), new_len = (new_bytes + page - 1) & ~(page - 1);
    if (!new_bytes) {
        ls_unmap(p, old_len);
        return NULL;
    }
    if (p && new_len <= old_len)
        return p;
    void *n = ls_map(new_len);
    if (n && p) {
        memcpy(n, p, old_bytes);
        ls_unmap(p, old_len);
    }
    return n;
}

void ls_warn(const char *a, const char *b, const char *c)
{
    ls_warn4(a, b, c, NULL);
}

void ls_warn4(const char *a, const char *b, const char *c, const char *d)
{
    const char *parts[] = { "leakscope: ", a, b, c, d, "\n" };
    int saved = errno;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        if (!parts[i])
            continue;
        size_t len = strlen(parts[i]);
        while (len) {
            ssize_t k = write(2, parts[i], len);
            if (k <= 0)
                break;
            len -= (size_t)k;
            parts[i] += k;
        }
    }
    errno = saved;
}

static uint64_t env_u64(const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
    const char *s = ls_getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        ls_warn("ignoring ", name, ": not a number in range");
        return def;
    }
    return v;
}

/* ---- buffers (G.lock held) ---- */

static buffer *take_buffer_locked(void)
{
    buffer *b = G.free_list;
    if (b) {
        G.free_list = b->next;
        G.nfree--;
    } else if (G.buffers < G.attached + G.spare_buffers) {
        /* None spare yet (a thread's first event before the writer has
         * made spares): faulted in page by page as this thread fills it,
         * not all at once. A short process (a forked child, a command run
         * once) records a few events and would otherwise zero the whole
         * buffer (a sixth of its recording's cost); a long one takes its
         * later buffers from the writer's spares, faulted in there. */
        int saved = errno;
        b = map_pages(sizeof *b, 0);
        errno = saved;
        if (!b)
            return NULL;
        G.buffers++;
    } else {
        return NULL;
    }
    b->next = NULL;
    b->n = 0;
    b->flushed = 0;
    return b;
}

static void enqueue_locked(buffer *b)
{
    b->next = NULL;
    if (G.q_tail)
        G.q_tail->next = b;
    else
        G.q_head = b;
    G.q_tail = b;
    pthread_cond_signal(&G.wake);
}

/* ---- thread attachment ---- */

static void thread_exit(void *arg);

static inline void emit(thread_state *ts, uint32_t kind, uint64_t a, uint64_t b, uint64_t c, uint32_t stack);

/* Joins the calling thread to the running recording. Returns the state with
 * its guard set, or NULL. */
static thread_state *attach(void)
{
    thread_state *ts = tls_state;
    if (!ts) {
        ts = ls_map(sizeof *ts);
        if (!ts)
            return NULL;
        ts->tid = (uint32_t)gettid();
        tls_state = ts;
    }
    ts->guard = 1; /* pthread_setspecific may allocate */
    if (G.key_ready)
        pthread_setspecific(G.key, ts);
    if (tls_nonblocking) {
        if (pthread_mutex_trylock(&G.lock) != 0) {
            ts->guard = 0;
            return NULL;
        }
    } else {
        pthread_mutex_lock(&G.lock);
    }
    if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE) {
        pthread_mutex_unlock(&G.lock);
        ts->guard = 0;
        return NULL;
    }
    if (!ts->listed) {
        ts->tcb = (uint64_t)(uintptr_t)pthread_self(); /* under G.lock: the writer reads it */
        ts->next = G.threads;
        G.threads = ts;
        ts->listed = true;
        G.attached++;
    }
    while (!ts->cur) {
        ts->cur = take_buffer_locked(); /* within the allowance: one buffer per attached thread */
        if (ts->cur || G.drop || tls_nonblocking || !G.accepting ||
            __atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE)
            break;
        /* Every buffer waits in the writer's queue (a slow writer, threads
         * that exited with full buffers): wait for one, as swap_buffer does,
         * rather than lose this thread's events without counting them. */
        pthread_cond_signal(&G.wake);
        pthread_cond_wait(&G.space, &G.lock);
    }
    if (!ts->cur) {
        if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_ACTIVE)
            __atomic_fetch_add(&G.lost, 1, __ATOMIC_RELAXED); /* drop mode: counted, like emit */
        pthread_mutex_unlock(&G.lock);
        ts->guard = 0;
        return NULL;
    }
    ts->cur->n = 0;
    ts->cur->flushed = 0;
    ts->cur->tid = ts->tid;
    ts->gen = G.gen;
    pthread_mutex_unlock(&G.lock);

    char name[32];
    if (pthread_getname_np(pthread_self(), name, sizeof name) == 0 && name[0])
        emit(ts, TRACE_THREAD_NAME, ls_intern_string(&ts->cache, name), 0, 0, 0);
    return ts;
}

/* Thread exit (pthread key destructor): hands the buffer to the writer and
 * forgets the state. Other destructors may record afterwards: they attach a
 * fresh state, and glibc runs this destructor again for it. */
static void thread_exit(void *arg)
{
    thread_state *ts = arg;
    if (!ts || ts->writer)
        return;
    int saved = errno;
    tls_state = NULL;
    pthread_mutex_lock(&G.lock);
    if (ts->listed) {
        for (thread_state **p = &G.threads; *p; p = &(*p)->next) {
            if (*p == ts) {
                *p = ts->next;
                break;
            }
        }
        G.attached--;
    }
    if (ts->cur) {
        if (ts->gen == G.gen && G.accepting) {
            enqueue_locked(ts->cur);
        } else {
            ts->cur->next = G.free_list;
            G.free_list = ts->cur;
            G.nfree++;
        }
    }
    pthread_mutex_unlock(&G.lock);
    ls_unmap(ts, sizeof *ts);
    ls_unwind_thread_exit(); /* its cache of unwind rules */
    errno = saved;
}

/* Entry of every API call: the calling thread's state with the guard set, or
 * NULL when nothing is to be recorded (not recording, or re-entered). */
static void begin_pending_child(void);

/* enter's other cases, errno kept: attaching, a child's first event, and
 * no recording (NULL), or the thread inside the recorder already (NULL). */
static __attribute__((noinline)) thread_state *enter_slow(void)
{
    int saved = errno;
    thread_state *ts = NULL;
    if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE) {
        if (!__atomic_load_n(&G.pending_child, __ATOMIC_RELAXED))
            goto out;
        begin_pending_child();
        if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE)
            goto out;
    }
    ts = tls_state;
    if (ts && ts->guard)
        ts = NULL;
    else if (!ts || ts->gen != __atomic_load_n(&G.gen, __ATOMIC_RELAXED))
        ts = attach();
    else
        ts->guard = 1;
out:
    errno = saved;
    return ts;
}

/* The usual case inline: recording, and the thread attached to this
 * recording and not inside the recorder. Keeps errno, as does all the
 * recording up to leave() (the paths that may touch it save it). */
static inline thread_state *enter(void)
{
    thread_state *ts = tls_state;
    if (LS_UNLIKELY(__atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE || !ts || ts->guard ||
                    ts->gen != __atomic_load_n(&G.gen, __ATOMIC_RELAXED)))
        return enter_slow();
    ts->guard = 1;
    return ts;
}

static inline void leave(thread_state *ts) { ts->guard = 0; }

/* Gives the full buffer to the writer and takes an empty one. NULL: the event
 * cannot be stored (drop mode with no buffer free, or recording stopped). */
static buffer *swap_buffer(thread_state *ts)
{
    if (tls_nonblocking) {
        if (pthread_mutex_trylock(&G.lock) != 0)
            return NULL;
    } else {
        pthread_mutex_lock(&G.lock);
    }
    buffer *nb;
    for (;;) {
        if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE || ts->gen != G.gen || !G.accepting) {
            nb = NULL;
            break;
        }
        nb = take_buffer_locked();
        if (nb || G.drop || tls_nonblocking)
            break;
        pthread_cond_signal(&G.wake);
        pthread_cond_wait(&G.space, &G.lock);
    }
    if (nb) {
        enqueue_locked(ts->cur);
        nb->tid = ts->tid;
        ts->cur = nb;
    }
    pthread_mutex_unlock(&G.lock);
    return nb;
}

/* A full buffer: swaps it and returns where the event goes (*n: its index),
 * or NULL when it cannot be stored (then it is counted lost). */
static __attribute__((noinline)) buffer *emit_swap(thread_state *ts, uint32_t *n)
{
    static __thread uint64_t dropped __attribute__((tls_model("initial-exec")));
    int saved = errno;
    buffer *buf = swap_buffer(ts);
    errno = saved;
    if (!buf) {
        if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_ACTIVE) {
            dropped++;
            __atomic_fetch_add(&G.lost, 1, __ATOMIC_RELAXED);
        }
        return NULL;
    }
    *n = 0;
    if (dropped) {
        *n = trace_packed_full(buf->w, ls_ticks(), TRACE_LOST, dropped, 0, 0, 0);
        dropped = 0;
    }
    return buf;
}

/* Room for a record of `need` words in the thread's buffer: where it goes
 * (*buf, *n: the buffer and the word), or NULL when it cannot be stored
 * (then it is counted lost). */
static inline __attribute__((always_inline)) uint64_t *reserve(thread_state *ts, uint32_t need, buffer **buf,
                                                               uint32_t *n)
{
    buffer *b = ts->cur;
    uint32_t at = b->n;
    if (LS_UNLIKELY(at + need > BUF_WORDS) && !(b = emit_swap(ts, &at)))
        return NULL;
    *buf = b;
    *n = at;
    return &b->w[at];
}

/* The whole record at once: the writer never sees half an event. */
static inline void publish(buffer *buf, uint32_t n) { __atomic_store_n(&buf->n, n, __ATOMIC_RELEASE); }

/* The hot paths, inlined into each entry point: a clock read and stores. */
static inline __attribute__((always_inline)) void emit(thread_state *ts, uint32_t kind, uint64_t a, uint64_t b,
                                                       uint64_t c, uint32_t stack)
{
    buffer *buf;
    uint32_t n;
    uint64_t *w = reserve(ts, c ? 5 : 4, &buf, &n);
    if (w)
        publish(buf, n + trace_packed_full(w, ls_ticks(), c ? kind | TRACE_PACKED_EXT : kind, a, b, stack, c));
}

static inline __attribute__((always_inline)) void emit_alloc(thread_state *ts, uint64_t ptr, uint64_t size,
                                                             uint32_t stack)
{
    buffer *buf;
    uint32_t n;
    uint64_t *w = reserve(ts, trace_packed_alloc_words(size), &buf, &n);
    if (w)
        publish(buf, n + trace_packed_alloc(w, ls_ticks(), ptr, size, stack));
}

static inline __attribute__((always_inline)) void emit_free(thread_state *ts, uint64_t ptr)
{
    buffer *buf;
    uint32_t n;
    uint64_t *w = reserve(ts, 2, &buf, &n);
    if (w)
        publish(buf, n + trace_packed_free(w, ls_ticks(), ptr));
}

static inline __attribute__((always_inline)) uint32_t capture_stack_here(thread_state *ts, uint32_t depth)
{
    uint64_t frames[LS_DEPTH_MAX];
    bool locking = false;
    uint32_t n, known;
    for (unsigned tries = 0;; tries++) {
        /* Over unwind rules already cached, the walk takes no lock: nothing
         * to hold a fork back for. One call site: each retry walks the same
         * frames of ours. The stack this thread interned last, found again
         * frame for frame, comes back with its id (named below; ts->gen:
         * ids are of this recording's dictionary). */
        n = ls_unwind_cached(frames, depth, ts->gen, &known);
        if (LS_LIKELY(n != LS_UNWIND_SLOW)) {
            if (known) {
                if (locking)
                    __atomic_store_n(&ts->unwinding, 0, __ATOMIC_RELEASE);
                return known;
            }
            break;
        }
        if (!locking) {
            /* A rule to look up (the loader's lock) or libunwind (locks of
             * its own): a fork while another thread holds one would leave
             * the child's unwinding stuck. Fork raises G.forking and waits
             * until no thread is unwinding; an allocation that meets the
             * flag goes without its stack. The exchange orders the two
             * flags (Dekker). */
            __atomic_exchange_n(&ts->unwinding, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&G.forking, __ATOMIC_SEQ_CST)) {
                __atomic_store_n(&ts->unwinding, 0, __ATOMIC_RELEASE);
                return 0;
            }
            locking = true;
        }
        /* A new stack: its rules one at a time, then the whole walk. */
        if (tries >= 16 || !ls_unwind_resolve()) {
            n = ls_unwind(frames, depth);
            break;
        }
    }
    if (locking)
        __atomic_store_n(&ts->unwinding, 0, __ATOMIC_RELEASE);
    uint32_t id = n ? ls_intern_stack(&ts->cache, frames, n) : 0;
    if (id)
        ls_unwind_name(ts->gen, id);
    return id;
}

/* The stack of the calling thread, interned, with errno kept (a walk may
 * look up unwind tables, call libunwind or map memory). */
static __attribute__((noinline)) uint32_t capture_stack(thread_state *ts, uint32_t depth)
{
    int saved = errno;
    uint32_t id = capture_stack_here(ts, depth);
    errno = saved;
    return id;
}

/* The calling thread's stack, interned; 0 with stacks off (checked inline:
 * no call on the hot path then). */
static inline uint32_t capture(thread_state *ts)
{
    uint32_t depth = __atomic_load_n(&G.depth, __ATOMIC_RELAXED);
    return depth ? capture_stack(ts, depth) : 0;
}

/* ---- the public API ---- */

#define API_ENTER(ts)              \
    int saved_errno_ = errno;      \
    thread_state *ts = enter();    \
    if (!ts) {                     \
        errno = saved_errno_;      \
        return;                    \
    }
#define API_LEAVE(ts)         \
    leave(ts);                \
    errno = saved_errno_;
/* The allocation entry points' (called for every allocation and free): no
 * save of errno, as nothing they call on the way may change it but what
 * saves it itself (enter_slow, emit_swap, capture_stack). */
#define ALLOC_ENTER(ts)         \
    thread_state *ts = enter(); \
    if (!ts)                    \
        return;

/* The recording entry points, shared by the public API and the preload
 * module's interposers (which call them directly, not through the PLT). */

void ls_record_alloc(uintptr_t ptr, size_t size)
{
    if (!ptr)
        return;
    ALLOC_ENTER(ts);
    uint32_t stack = capture(ts);
    emit_alloc(ts, ptr, size, stack);
    leave(ts);
}

void ls_record_alloc_from(uintptr_t ptr, size_t size, uint64_t pc, uint64_t sp, uint64_t bp, bool bp_known)
{
    if (!ptr)
        return;
    ALLOC_ENTER(ts);
    /* Relaxed: a thread still in an event of the last recording may read it
     * while the next trace_begin sets it; either value is a valid depth. */
    uint32_t depth = __atomic_load_n(&G.depth, __ATOMIC_RELAXED), stack = 0;
    if (depth && !(stack = ls_unwind_known(pc, sp, bp, bp_known, ts->gen, depth)))
        stack = capture_stack(ts, depth);
    emit_alloc(ts, ptr, size, stack);
    leave(ts);
}

void ls_record_free(uintptr_t ptr)
{
    if (!ptr)
        return;
    ALLOC_ENTER(ts);
    emit_free(ts, ptr);
    leave(ts);
}

void ls_record_free_held(uintptr_t ptr, ls_held *h)
{
    h->buf = NULL;
    h->ptr = ptr;
    if (!ptr)
        return;
    ALLOC_ENTER(ts);
    buffer *buf;
    uint32_t n;
    uint64_t *w = reserve(ts, 2, &buf, &n);
    if (w) {
        h->buf = buf;
        h->ts = ts;
        h->at = n;
        h->gen = ts->gen;
        h->end = n + trace_packed_free(w, ls_ticks(), ptr); /* not published: the writer reads up to buf->n */
    }
    leave(ts);
}

void ls_release_held(ls_held *h, bool happened)
{
    thread_state *ts = tls_state;
    buffer *b = h->buf;
    /* Still where it was written, with nothing recorded after it on this
     * thread (a signal handler's allocation would have taken its place)? */
    if (b && ts == h->ts && ts->cur == b && ts->gen == h->gen && b->n == h->at && !ts->guard &&
        __atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_ACTIVE) {
        if (happened)
            publish(b, h->end);
        return;
    }
    if (happened)
        ls_record_free(h->ptr); /* stamped late: the thread's order is kept, its time forced on */
}

void ls_record_realloc(uintptr_t old_ptr, uintptr_t new_ptr, size_t new_size)
{
    API_ENTER(ts);
    uint32_t stack = capture(ts);
    emit(ts, TRACE_REALLOC, old_ptr, new_ptr, new_size, stack);
    API_LEAVE(ts);
}

void ls_record_open(const char *kind, uint64_t handle, uint64_t size)
{
    API_ENTER(ts);
    uint32_t k = ls_intern_string(&ts->cache, kind ? kind : "resource");
    uint32_t stack = capture(ts);
    emit(ts, TRACE_RES_OPEN, k, handle, size, stack);
    API_LEAVE(ts);
}

void ls_record_close(const char *kind, uint64_t handle)
{
    API_ENTER(ts);
    uint32_t k = ls_intern_string(&ts->cache, kind ? kind : "resource");
    uint32_t stack = capture(ts);
    emit(ts, TRACE_RES_CLOSE, k, handle, 0, stack);
    API_LEAVE(ts);
}

void ls_record_failed_open(const char *kind, uint64_t handle)
{
    API_ENTER(ts);
    uint32_t k = ls_intern_string(&ts->cache, kind);
    uint32_t stack = capture(ts);
    emit(ts, TRACE_RES_OPEN, k, handle, 0, stack);
    emit(ts, TRACE_RES_CLOSE, k, handle, 0, stack);
    API_LEAVE(ts);
}

static void emit_string_event(uint32_t kind, const char *s)
{
    API_ENTER(ts);
    emit(ts, kind, ls_intern_string(&ts->cache, s), 0, 0, 0);
    API_LEAVE(ts);
}

void ls_record_gc_begin(const char *reason, bool nonblocking)
{
    tls_nonblocking = nonblocking;
    emit_string_event(TRACE_GC_BEGIN, reason);
    tls_nonblocking = false;
}

void ls_record_gc_end(size_t heap_bytes_after, bool nonblocking)
{
    tls_nonblocking = nonblocking;
    int saved_errno_ = errno;
    thread_state *ts = enter();
    if (ts) {
        emit(ts, TRACE_GC_END, heap_bytes_after, 0, 0, 0);
        leave(ts);
    }
    errno = saved_errno_;
    tls_nonblocking = false;
}

LEAKSCOPE_API void trace_alloc(const void *ptr, size_t size)
{
    LS_CALLER_FRAME(pc, sp, bp, bp_known);
    ls_record_alloc_from((uintptr_t)ptr, size, pc, sp, bp, bp_known);
}
LEAKSCOPE_API void trace_free(const void *ptr) { ls_record_free((uintptr_t)ptr); }

LEAKSCOPE_API void trace_realloc(const void *old_ptr, const void *new_ptr, size_t new_size)
{
    uintptr_t o = (uintptr_t)old_ptr, n = (uintptr_t)new_ptr;
    if (!o)
        ls_record_alloc(n, new_size);
    else if (n)
        ls_record_realloc(o, n, new_size);
    else if (new_size == 0)
        ls_record_free(o); /* realloc(p, 0) freed p; a failed realloc left p alone */
}

LEAKSCOPE_API void trace_resource_open(const char *kind, uint64_t handle) { ls_record_open(kind, handle, 0); }
LEAKSCOPE_API void trace_resource_close(const char *kind, uint64_t handle) { ls_record_close(kind, handle); }
LEAKSCOPE_API void trace_gc_begin(const char *reason) { ls_record_gc_begin(reason, false); }
LEAKSCOPE_API void trace_gc_end(size_t heap_bytes_after) { ls_record_gc_end(heap_bytes_after, false); }
LEAKSCOPE_API void trace_mark(const char *label) { emit_string_event(TRACE_MARK, label); }
LEAKSCOPE_API void trace_span_begin(const char *label) { emit_string_event(TRACE_SPAN_BEGIN, label); }
LEAKSCOPE_API void trace_span_end(const char *label) { emit_string_event(TRACE_SPAN_END, label); }
LEAKSCOPE_API void trace_thread_name(const char *name) { emit_string_event(TRACE_THREAD_NAME, name); }

/* ---- the writer thread ---- */

/* Adds records [b->flushed, upto) of b to the writer's open chunk of b's
 * thread (the writer starts a new one when the chunk is full or of another
 * thread; trace_writer_flush ends it). */
static void add_records(buffer *b, uint32_t upto)
{
    if (b->flushed >= upto)
        return;
    /* Every id these records use was interned before they were published. */
    ls_intern_drain(G.w);
    ls_clock_map clock = ls_clock_mapping();
    /* The live map knows what each release frees: the heap deltas of the
     * chunks' summaries (a record takes two words or more). */
    static int64_t *deltas;
    if (G.scan && !deltas)
        deltas = ls_map(BUF_WORDS / 2 * sizeof *deltas);
    if (G.scan)
        ls_live_apply(&b->w[b->flushed], upto - b->flushed, b->tid, deltas);
    trace_writer_add_packed_deltas(G.w, b->tid, &b->w[b->flushed], upto - b->flushed, &clock,
                                   G.scan ? deltas : NULL);
    b->flushed = upto;
}

/* Writes records [b->flushed, upto) of b as one chunk (or more). */
static void write_records(buffer *b, uint32_t upto)
{
    add_records(b, upto);
    trace_writer_flush(G.w);
}

static void check_writer(void)
{
    trace_writer *w = G.w;
    if (trace_writer_errno(w) == 0 && trace_writer_flush(w) == TRACE_OK)
        return;
    int expect = ST_ACTIVE;
    if (__atomic_compare_exchange_n(&G.state, &expect, ST_FAILED, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        int e = trace_writer_errno(w);
        G.write_failed = true;
        if (!trace_writer_fd_intact(w)) {
            /* Its number may be a file of the program's by now: no longer
             * the trace's to spare from the program's close. */
            __atomic_store_n(&G.out_fd, -1, __ATOMIC_RELEASE);
            ls_warn("cannot write ", G.path,
                    ": the program closed the trace's file descriptor (past the C library); recording stops here");
        } else {
            ls_warn4("cannot write ", G.path, ": ", e ? strerror(e) : "out of memory");
        }
        pthread_mutex_lock(&G.lock);
        pthread_cond_broadcast(&G.space);
        pthread_mutex_unlock(&G.lock);
    }
}

static void refill_spares(void);

static void recycle(buffer *b)
{
    pthread_mutex_lock(&G.lock);
    b->next = G.free_list;
    G.free_list = b;
    G.nfree++;
    pthread_cond_broadcast(&G.space);
    pthread_mutex_unlock(&G.lock);
}

/* The queued buffers, thread by thread: the buffers of one thread, in their
 * order, make one chunk (up to the writer's chunk size), so that a chunk's
 * fixed costs (code tables, the compressor's start, the address windows
 * filling up) are spread over more events when the writer has a backlog. */
static void process_queue(buffer *list)
{
    while (list) {
        uint32_t tid = list->tid;
        buffer *mine = NULL, **mine_end = &mine, *rest = NULL, **rest_end = &rest;
        for (buffer *b = list, *next; b; b = next) {
            next = b->next;
            if (b->tid == tid) {
                *mine_end = b;
                mine_end = &b->next;
            } else {
                *rest_end = b;
                rest_end = &b->next;
            }
        }
        *mine_end = *rest_end = NULL;
        list = rest;
        /* Always the full (entropy) coding: it costs the writer about a
         * tenth more CPU per event than varints and LZ4 alone, and the
         * writer makes that back in compressing and writing a third fewer
         * bytes (measured under bench/'s flood: the same CPU either way). */
        while (mine) {
            buffer *b = mine;
            mine = b->next;
            add_records(b, __atomic_load_n(&b->n, __ATOMIC_ACQUIRE));
            recycle(b);
            refill_spares(); /* the recording threads go on filling buffers meanwhile */
        }
        trace_writer_flush(G.w);
    }
}

#define SLAB_BYTES (2u * 1024 * 1024)
#define SLAB_BUFFERS (SLAB_BYTES / sizeof(buffer))
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* SLAB_BUFFERS buffers in one 2 MiB-aligned mapping, faulted in: as one
 * huge page where the kernel allows transparent huge pages on request (the
 * default "madvise" setting), else page by page. Under a flood of events the
 * backlog takes hundreds of buffers, and mapping them 4 KiB at a time was
 * about 7% of the recording's CPU (a fault, a page clear and a memory-cgroup
 * charge per page). Writer thread only: the kernel may compact memory to
 * find the huge page, which a recording thread must not wait for. */
static buffer *map_slab(void)
{
    size_t len = 2 * SLAB_BYTES;
    long r = syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0 && r > -4096)
        return NULL;
    uintptr_t p = (uintptr_t)r, a = (p + SLAB_BYTES - 1) & ~(uintptr_t)(SLAB_BYTES - 1);
    if (a > p)
        syscall(SYS_munmap, p, a - p);
    if (p + len > a + SLAB_BYTES)
        syscall(SYS_munmap, a + SLAB_BYTES, p + len - (a + SLAB_BYTES));
    syscall(SYS_madvise, a, SLAB_BYTES, MADV_HUGEPAGE);
    if (syscall(SYS_madvise, a, SLAB_BYTES, MADV_POPULATE_WRITE) != 0)
        for (size_t o = 0; o < SLAB_BYTES; o += 4096)
            ((volatile uint8_t *)a)[o] = 0; /* kernels before 5.14 */
    return (buffer *)a;
}

/* Keeps a few empty buffers ready, mapped and faulted in here, a slab at a
 * time, so that a recording thread swapping buffers never waits on page
 * faults. Near the budget's end, one buffer at a time. */
static void refill_spares(void)
{
    int saved = errno;
    for (;;) {
        pthread_mutex_lock(&G.lock);
        size_t room = G.attached + G.spare_buffers - G.buffers;
        if (G.buffers > G.attached + G.spare_buffers)
            room = 0;
        size_t take = G.nfree >= 4 || room == 0 ? 0 : room >= SLAB_BUFFERS ? SLAB_BUFFERS : 1;
        G.buffers += take;
        pthread_mutex_unlock(&G.lock);
        if (!take)
            break;
        buffer *b = take == 1 ? map_pages(sizeof(buffer), MAP_POPULATE) : map_slab();
        pthread_mutex_lock(&G.lock);
        if (b) {
            for (size_t i = 0; i < take; i++) {
                b[i].next = G.free_list;
                G.free_list = &b[i];
            }
            G.nfree += take;
            pthread_cond_broadcast(&G.space);
        } else {
            G.buffers -= take;
        }
        pthread_mutex_unlock(&G.lock);
        if (!b)
            break;
    }
    errno = saved;
}

typedef struct snap {
    buffer *b;
    uint32_t n;
} snap;

/* Writes what every attached thread has published in its current buffer.
 * The queue is taken in the same critical section and written first: a
 * buffer queued after the writer last took the queue holds records older
 * than its thread's current buffer, and writing the current one first would
 * put a thread's chunks out of program order. */
static void flush_current(snap **arr, size_t *cap)
{
    size_t count = 0;
    pthread_mutex_lock(&G.lock);
    buffer *list = G.q_head;
    G.q_head = G.q_tail = NULL;
    for (thread_state *ts = G.threads; ts; ts = ts->next) {
        if (ts->gen != G.gen || !ts->cur)
            continue;
        if (count == *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            snap *na = ls_remap(*arr, *cap * sizeof *na, nc * sizeof *na);
            if (!na)
                break;
            *arr = na;
            *cap = nc;
        }
        (*arr)[count].b = ts->cur;
        (*arr)[count].n = __atomic_load_n(&ts->cur->n, __ATOMIC_ACQUIRE);
        count++;
    }
    pthread_mutex_unlock(&G.lock);
    process_queue(list);
    /* A buffer handed to the queue meanwhile is not recycled before this
     * thread processes the queue again, and then resumes at b->flushed. */
    for (size_t i = 0; i < count; i++)
        write_records((*arr)[i].b, (*arr)[i].n);
}

/* The recorded threads, for their stacks (writer thread). */
static uint32_t collect_threads(void)
{
    pthread_mutex_lock(&G.lock);
    uint32_t n = 0;
    for (thread_state *ts = G.threads; ts; ts = ts->next) {
        if (n == G.scan_threads_cap) {
            uint32_t cap = G.scan_threads_cap ? G.scan_threads_cap * 2 : 256;
            ls_scan_thread *a = ls_map(cap * sizeof *a);
            if (!a)
                break;
            if (G.scan_threads) {
                memcpy(a, G.scan_threads, n * sizeof *a);
                ls_unmap(G.scan_threads, G.scan_threads_cap * sizeof *a);
            }
            G.scan_threads = a;
            G.scan_threads_cap = cap;
        }
        G.scan_threads[n++] = (ls_scan_thread){ ts->tid, ts->tcb };
    }
    pthread_mutex_unlock(&G.lock);
    return n;
}

/* Writes a snapshot of what the writer has taken so far (writer thread). */
static void take_snapshot(ls_scan_request *req)
{
    /* A trace that can no longer be written: its failure is told once,
     * by check_writer or at the end. */
    if (trace_writer_errno(G.w) || __atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_FAILED) {
        req->result = EIO;
        return;
    }
    if (__atomic_load_n(&G.lost, __ATOMIC_RELAXED))
        ls_live_incomplete();
    uint32_t n = collect_threads();
    req->result = ls_heap_snapshot_write(G.w, req, ls_now(), G.scan_threads, n);
    if (req->result && !trace_writer_errno(G.w))
        ls_warn4("no heap snapshot in ", G.path, ": ", strerror(req->result));
}

/* trace_heap_snapshot's request: written, and its caller woken. */
static void serve_snapshot(ls_scan_request *req)
{
    take_snapshot(req);
    pthread_mutex_lock(&G.lock);
    req->done = true;
    G.snap_req = NULL;
    pthread_cond_broadcast(&G.flushed);
    pthread_mutex_unlock(&G.lock);
}

/* A writer thread's state, seen by the thread that ends the recording
 * (under G.lock). A process that exits (or execs) while its writer waits
 * idle does the writer's last pass itself (writer_last_pass) and leaves the
 * thread to the exit: no wake-up to wait for, no join, and a short process
 * (a forked child, a command run once) never has the writer thread run at
 * all. A thread told so (takeover) touches nothing more when it wakes: it
 * frees its own state and returns (after a failed exec the next recording
 * has a writer thread of its own). */
enum { WRITER_STARTING, WRITER_IDLE, WRITER_BUSY };
typedef struct writer_ctl {
    int phase;             /* WRITER_* */
    bool takeover;         /* the recording's end did the last pass: return */
    bool scanned;          /* the thread has listed the modules once */
} writer_ctl;

/* After the last pass: what threads queued as they exited meanwhile, a
 * snapshot a thread still waits for and the end's (the live set is final:
 * nothing is taken from here on), then the end of the trace. */
static void writer_close_trace(void)
{
    pthread_mutex_lock(&G.lock);
    buffer *list = G.q_head; /* buffers of threads that exited during the final flush */
    G.q_head = G.q_tail = NULL;
    G.accepting = false;
    ls_scan_request *req = G.snap_req, *end = G.end_req;
    pthread_mutex_unlock(&G.lock);
    process_queue(list);
    if (req)
        serve_snapshot(req);
    if (end)
        take_snapshot(end);
    ls_live_reset();
    __atomic_store_n(&G.out_fd, -1, __ATOMIC_RELEASE); /* the close below is ours */
    trace_status st = trace_writer_close(G.w, __atomic_load_n(&G.lost, __ATOMIC_RELAXED));
    if (st != TRACE_OK && !G.write_failed)
        ls_warn("cannot write ", G.path, ": the end of the trace is missing");
    G.w = NULL;
}

/* One pass of the writer: the queue taken, then (when due, or at the end)
 * the modules, every thread's current buffer and the new dictionary
 * entries. */
static bool writer_pass(buffer *list, bool stop, bool flush_req, uint64_t due, bool force_modules, snap **snaps,
                        size_t *snap_cap)
{
    process_queue(list);
    /* Not for a recording that ends: a short one (a forked child that
     * execs, a command run once) would fault in a slab it never uses
     * (2 MiB zeroed, an eighth of a recorded shell loop's CPU). */
    if (!stop)
        refill_spares();
    bool flush = stop || flush_req || ls_now() >= due;
    if (flush) {
        uint64_t taken = ls_ticks(); /* what flush_current takes is stamped before this */
        ls_modules_scan(G.w, force_modules);
        flush_current(snaps, snap_cap);
        ls_intern_drain(G.w);
        if (G.scan)
            ls_live_pass(taken);
    }
    check_writer();
    return flush;
}

/* The ending thread's pass in place of an idle writer thread's (G.lock
 * not held; the writer thread will touch nothing more). */
static void writer_last_pass(bool scanned)
{
    pthread_mutex_lock(&G.lock);
    buffer *list = G.q_head;
    G.q_head = G.q_tail = NULL;
    pthread_mutex_unlock(&G.lock);
    snap *snaps = NULL;
    size_t snap_cap = 0;
    writer_pass(list, true, true, 0, !scanned, &snaps, &snap_cap);
    ls_unmap(snaps, snap_cap * sizeof *snaps);
    writer_close_trace();
}

static void *writer_main(void *arg)
{
    writer_ctl *ctl = arg;
    pthread_mutex_lock(&G.lock);
    bool gone = ctl->takeover;
    ctl->phase = WRITER_BUSY;
    pthread_mutex_unlock(&G.lock);
    if (gone) {
        ls_unmap(ctl, sizeof *ctl);
        return NULL;
    }
    thread_state *self = ls_map(sizeof *self);
    if (self) {
        self->guard = 1;
        self->writer = true;
        tls_state = self;
    }
    /* Named by itself: naming another thread opens /proc/self/task/<tid>/comm,
     * a descriptor the program may be short of. */
    pthread_setname_np(pthread_self(), "leakscope-wr");
    snap *snaps = NULL;
    size_t snap_cap = 0;
    ls_modules_scan(G.w, true);
    ctl->scanned = true;
    uint64_t last_flush = ls_now();
    for (;;) {
        pthread_mutex_lock(&G.lock);
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        uint64_t due = last_flush + (uint64_t)G.flush_ms * 1000000u;
        uint64_t now = (uint64_t)deadline.tv_sec * 1000000000u + (uint64_t)deadline.tv_nsec;
        if (due > now) {
            uint64_t wait = due - now;
            deadline.tv_sec += (time_t)(wait / 1000000000u);
            deadline.tv_nsec += (long)(wait % 1000000000u);
            if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
            }
            ctl->phase = WRITER_IDLE;
            while (!ctl->takeover && !G.q_head && !G.stop_req && G.flush_req == G.flush_done && !G.snap_req &&
                   pthread_cond_timedwait(&G.wake, &G.lock, &deadline) == 0)
                ;
            ctl->phase = WRITER_BUSY;
        }
        if (ctl->takeover) {
            pthread_mutex_unlock(&G.lock);
            break;
        }
        buffer *list = G.q_head;
        G.q_head = G.q_tail = NULL;
        bool stop = G.stop_req;
        uint64_t freq = G.flush_req;
        ls_scan_request *req = G.snap_req;
        pthread_mutex_unlock(&G.lock);

        if (writer_pass(list, stop, freq != G.flush_done || req, due, false, &snaps, &snap_cap))
            last_flush = ls_now();
        if (req && !stop)
            serve_snapshot(req);
        if (freq != G.flush_done) {
            pthread_mutex_lock(&G.lock);
            G.flush_done = freq;
            pthread_cond_broadcast(&G.flushed);
            pthread_mutex_unlock(&G.lock);
        }
        if (stop)
            break;
    }
    ls_unmap(snaps, snap_cap * sizeof *snaps);
    if (!ctl->takeover)
        writer_close_trace(); /* trace_end joins this thread, then unmaps ctl */
    else
        ls_unmap(ctl, sizeof *ctl); /* the ending thread has forgotten it */
    tls_state = NULL;
    if (self)
        ls_unmap(self, sizeof *self);
    return NULL;
}

/* ---- begin / end ---- */

static void default_path(char *out, size_t n)
{
    const char *env = ls_getenv(LS_ENV_OUTPUT);
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return;
    }
    const char *prog = program_invocation_short_name;
    snprintf(out, n, "%s.%ld.trace", prog && *prog ? prog : "program", (long)getpid());
}

/* "dir/out.trace" -> "dir/out.<pid>.trace" (".<pid>-<n>" when taken). */
static void child_path(const char *base, long pid, unsigned n, char *out, size_t len)
{
    const char *slash = strrchr(base, '/');
    const char *dot = strrchr(base, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - base) : strlen(base);
    const char *ext = dot && (!slash || dot > slash) ? dot : "";
    if (n)
        snprintf(out, len, "%.*s.%ld-%u%s", (int)stem, base, pid, n, ext);
    else
        snprintf(out, len, "%.*s.%ld%s", (int)stem, base, pid, ext);
}

/* The trace's descriptor goes where the program does not look for one
 * (fds.c). */
static int create_output(const char *path, bool exclusive, const trace_file_info *info, trace_writer **w)
{
    trace_writer_set_memory(ls_remap); /* never the program's heap: it stays as the program made it */
    if (!exclusive)
        return trace_writer_create_placed(path, info, ls_fd_place, w) == TRACE_OK ? 0 : (errno ? errno : EIO);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    return trace_writer_fdopen(ls_fd_place(fd), info, w) == TRACE_OK ? 0 : (errno ? errno : EIO);
}

const char *ls_output_strerror(int err) { return err == EINVAL ? "not a regular file" : strerror(err); }

/* The writer's timed wait measures CLOCK_MONOTONIC, like its deadlines. */
static void init_wake_cond(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&G.wake, &attr);
    pthread_condattr_destroy(&attr);
}

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

/* Starts a recording into `path`; `exclusive`: never replace an existing
 * file (forked children and exec'd images). 0 or an errno value. */
static int begin_recording(const char *path, bool exclusive)
{
    /* After ls_release_output, libunwind's record of its pipe names
     * descriptors the program may have now. */
    if (__atomic_load_n(&G.gave_up, __ATOMIC_ACQUIRE))
        return EMFILE;
    int expect = ST_IDLE;
    if (!__atomic_compare_exchange_n(&G.state, &expect, ST_STOPPING, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return EBUSY;
    /* ST_STOPPING keeps other threads out while we set up. The guard also
     * tells the preload module that what this thread opens meanwhile is
     * the recorder's (libunwind's pipe: ls_inside_recorder). */
    thread_state *self = tls_state;
    if (!self && (self = ls_map(sizeof *self)) != NULL) {
        self->tid = (uint32_t)gettid();
        tls_state = self;
    }
    if (self)
        self->guard++;
    snprintf(G.path, sizeof G.path, "%s", path);

    __atomic_store_n(&G.depth, (uint32_t)env_u64(LS_ENV_STACK_DEPTH, LS_STACK_DEPTH_DEFAULT, 0, LS_DEPTH_MAX),
                     __ATOMIC_RELAXED);
    G.flush_ms = (uint32_t)env_u64(LS_ENV_FLUSH_MS, LS_FLUSH_MS_DEFAULT, LS_FLUSH_MS_MIN, LS_FLUSH_MS_MAX);
    uint64_t mb = env_u64(LS_ENV_BUFFER_MB, LS_BUFFER_MB_DEFAULT, 1, LS_MB_MAX);
    G.spare_buffers = (size_t)(mb * 1024 * 1024 / sizeof(buffer));
    if (G.spare_buffers < 2)
        G.spare_buffers = 2;
    G.drop = env_u64(LS_ENV_DROP, 0, 0, 1) != 0;
    G.scan = env_u64(LS_ENV_SCAN, 1, 0, 1) != 0;
    uint64_t dict_mb = env_u64(LS_ENV_DICT_MB, LS_DICT_MB_DEFAULT, 1, LS_MB_MAX);
    /* LEAKSCOPE_UNWIND=libunwind: every stack by libunwind, never the CFI
     * walker (to compare them, or as an escape hatch); "cfi" or unset: the
     * CFI walker, with libunwind where it cannot (unwind.c).
     * LEAKSCOPE_UNWIND_STATS=1: at exit, how many stacks fell back to libunwind. */
    const char *unwinder = ls_getenv(LS_ENV_UNWIND);
    bool libunwind_only = unwinder && strcmp(unwinder, "libunwind") == 0;
    if (unwinder && *unwinder && !libunwind_only && strcmp(unwinder, "cfi") != 0)
        ls_warn("ignoring LEAKSCOPE_UNWIND", ": not libunwind or cfi", NULL);
    bool unwind_stats = env_u64(LS_ENV_UNWIND_STATS, 0, 0, 1) != 0;

    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.pid = (uint32_t)getpid();
    info.time_unit_ns = (uint32_t)env_u64(LS_ENV_TIME_UNIT_NS, LS_TIME_UNIT_NS, 1, LS_TIME_UNIT_NS_MAX);
    info.start_ts = ls_now();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    info.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
    info.clock_id = TRACE_CLOCK_MONOTONIC;
    info.pointer_size = sizeof(void *);
    info.stack_depth = G.depth;
    ssize_t len = readlink("/proc/self/exe", info.program, TRACE_PROGRAM_MAX);
    info.program[len > 0 ? len : 0] = '\0';

    if (!G.key_ready && pthread_key_create(&G.key, thread_exit) == 0)
        G.key_ready = true;
    if (!G.wake_ready) {
        init_wake_cond(); /* no thread waits on it yet */
        G.wake_ready = true;
    }
    if (!G.atfork_ready && pthread_atfork(atfork_prepare, atfork_parent, atfork_child) == 0)
        G.atfork_ready = true;
    trace_writer *w = NULL;
    /* The trace's descriptor, and libunwind's pipe (made as it starts),
     * are put out of the program's way (fds.c). */
    ls_fd_setup_begin();
    int err = create_output(G.path, exclusive, &info, &w);
    if (!err)
        ls_unwind_init(libunwind_only, unwind_stats, exclusive && G.forked_child);
    ls_fd_setup_end();
    if (!err) {
        ls_modules_reset();
        /* Empty before the first event: the ending thread may do the whole
         * recording's writing (writer_last_pass) without the writer thread. */
        ls_live_reset();
        ls_clock_start();
        pthread_mutex_lock(&G.lock);
        G.w = w;
        G.pid = getpid();
        G.lost = 0;
        G.stop_req = false;
        G.write_failed = false;
        G.accepting = true;
        G.flush_req = G.flush_done = 0;
        if (!G.base_path[0])
            snprintf(G.base_path, sizeof G.base_path, "%s", G.path);
        uint32_t gen = G.gen + 1;
        if (gen == 0)
            gen = 1;
        ls_intern_reset(gen, (size_t)dict_mb * 1024 * 1024);
        __atomic_store_n(&G.gen, gen, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&G.lock);

        /* The writer must not take the program's signals. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        writer_ctl *ctl = ls_map(sizeof *ctl);
        err = ctl ? pthread_create(&G.writer_thread, NULL, writer_main, ctl) : ENOMEM;
        if (!err) {
            pthread_mutex_lock(&G.lock);
            G.wctl = ctl;
            pthread_mutex_unlock(&G.lock);
        } else if (ctl) {
            ls_unmap(ctl, sizeof *ctl);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err) {
            G.accepting = false;
            trace_writer_abandon(w);
            G.w = NULL;
            unlink(G.path);
        } else {
            struct stat st;
            if (fstat(trace_writer_fd(w), &st) == 0) {
                G.out_dev = st.st_dev;
                G.out_ino = st.st_ino;
            }
            __atomic_store_n(&G.out_fd, trace_writer_fd(w), __ATOMIC_RELEASE);
        }
    }
    if (self)
        self->guard--;
    __atomic_store_n(&G.state, err ? ST_IDLE : ST_ACTIVE, __ATOMIC_SEQ_CST);
    return err;
}

LEAKSCOPE_API int trace_begin(const char *path)
{
    int saved = errno;
    char buf[PATH_MAX];
    if (!path) {
        default_path(buf, sizeof buf);
        path = buf;
    }
    int err = begin_recording(path, false);
    if (err) {
        errno = err;
        return -1;
    }
    errno = saved;
    return 0;
}

/* Preload mode: the root process writes to $LEAKSCOPE_OUTPUT; an exec'd
 * image or a forked child writes next to it with its pid in the name. */
int ls_begin_preload(bool child_image)
{
    char base[PATH_MAX], path[PATH_MAX];
    default_path(base, sizeof base);
    __atomic_store_n(&G.follow_fork, env_u64(LS_ENV_FOLLOW_FORK, 1, 0, 1) != 0, __ATOMIC_RELAXED);
    if (!child_image) {
        snprintf(G.base_path, sizeof G.base_path, "%s", base);
        return begin_recording(base, false);
    }
    snprintf(G.base_path, sizeof G.base_path, "%s", base);
    int err = EEXIST;
    for (unsigned n = 0; n < 100 && err == EEXIST; n++) {
        child_path(base, (long)getpid(), n, path, sizeof path);
        err = begin_recording(path, true);
    }
    return err;
}

static void begin_pending_child(void)
{
    if (!__atomic_exchange_n(&G.pending_child, false, __ATOMIC_SEQ_CST))
        return; /* another thread of the child got there first */
    int err = EEXIST;
    char path[PATH_MAX];
    for (unsigned n = 0; n < 100 && err == EEXIST; n++) {
        child_path(G.base_path, (long)getpid(), n, path, sizeof path);
        err = begin_recording(path, true);
    }
    if (err)
        ls_warn("cannot record the forked child into ", path, ": recording of this process is off");
}

/* fork: the parent's locks are taken around it, so the child gets them
 * consistent. The child keeps none of the parent's recording: the events in
 * its buffers are the parent's to write. It begins its own trace at its first
 * event (a child that only execs creates no file). */
static void atfork_prepare(void)
{
    /* Other fork handlers may allocate while we hold the locks: the guard
     * keeps this thread from recording (and from taking them again). */
    thread_state *ts = tls_state;
    if (!ts && (ts = ls_map(sizeof *ts)) != NULL) {
        ts->tid = (uint32_t)gettid();
        tls_state = ts;
    }
    if (ts)
        ts->guard++;
    /* A child that will record inherits this thread's unwind cache, with
     * its stack's bounds: made here once, not at every child's first
     * allocation (a read of /proc/self/maps, a tenth of a short child). */
    if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_ACTIVE && __atomic_load_n(&G.follow_fork, __ATOMIC_RELAXED))
        ls_unwind_thread_prepare();
    ls_modules_fork_lock();
    pthread_mutex_lock(&G.lock);
    __atomic_exchange_n(&G.forking, 1, __ATOMIC_SEQ_CST);
    for (thread_state *t = G.threads; t; t = t->next)
        while (__atomic_load_n(&t->unwinding, __ATOMIC_SEQ_CST))
            sched_yield();
    ls_intern_lock();
}

static void atfork_parent(void)
{
    ls_intern_unlock();
    __atomic_store_n(&G.forking, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&G.lock);
    ls_modules_fork_unlock();
    if (tls_state)
        tls_state->guard--;
}

static void atfork_child(void)
{
    ls_intern_unlock();
    __atomic_store_n(&G.forking, 0, __ATOMIC_SEQ_CST);
    int st = __atomic_load_n(&G.state, __ATOMIC_RELAXED);
    __atomic_store_n(&G.state, ST_IDLE, __ATOMIC_SEQ_CST);
    __atomic_store_n(&G.out_fd, -1, __ATOMIC_RELAXED);
    if (tls_state)
        tls_state->tid = (uint32_t)gettid(); /* the child's thread has an id of its own */
    if (G.w) {
        /* The parent's writer thread may have been changing the writer's
         * buffers at the moment of the fork: the child touches none of that
         * memory (it stays, unused), it only closes its copy of the file
         * (if the descriptor is still the file's: else it is the program's). */
        if (trace_writer_fd_intact(G.w))
            syscall(SYS_close, trace_writer_fd(G.w));
        G.w = NULL;
        ls_modules_forget();
    }
    /* The parent's live blocks are not the child's, and its writer thread
     * may have been changing the map: forgotten, not unmapped. */
    ls_live_forget();
    ls_mapped_after_fork();
    __atomic_store_n(&G.out_fd, -1, __ATOMIC_RELAXED);
    /* Only the forking thread exists in the child: forget the other states
     * (their memory stays mapped) and every buffer's contents. */
    thread_state *self = tls_state;
    G.threads = NULL;
    G.attached = 0;
    if (self && self->listed) {
        self->next = NULL;
        G.threads = self;
        G.attached = 1;
    }
    for (buffer *b = G.q_head; b;) {
        buffer *next = b->next;
        b->next = G.free_list;
        G.free_list = b;
        G.nfree++;
        b = next;
    }
    G.q_head = G.q_tail = NULL;
    G.accepting = false;
    G.stop_req = false;
    G.snap_req = G.end_req = NULL; /* the parent's threads' requests */
    if ((st == ST_ACTIVE || st == ST_FAILED) && __atomic_load_n(&G.follow_fork, __ATOMIC_RELAXED))
        __atomic_store_n(&G.pending_child, true, __ATOMIC_SEQ_CST);
    G.forked_child = true;
    /* The parent's writer thread may have been waiting on these: in the child
     * their waiter bookkeeping names a thread that does not exist. */
    init_wake_cond();
    pthread_cond_init(&G.space, NULL);
    pthread_cond_init(&G.flushed, NULL);
    pthread_mutex_unlock(&G.lock);
    ls_modules_fork_unlock();
    if (tls_state)
        tls_state->guard--;
}

int ls_output_fd(void) { return __atomic_load_n(&G.out_fd, __ATOMIC_ACQUIRE); }

bool ls_is_output_fd(int fd)
{
    if (fd < 0 || fd != ls_output_fd())
        return false;
    int saved = errno;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && st.st_dev == G.out_dev && st.st_ino == G.out_ino;
    errno = saved;
    return same;
}

bool ls_release_output(int err)
{
    int fd = ls_output_fd();
    thread_state *ts = tls_state;
    if ((ts && ts->guard) || getpid() != G.pid)
        return false;
    bool any = err == ENFILE;
    if (!(fd >= 0 && (any || ls_fd_within_limit(fd))))
        return false;
    ls_give_up_fds("the program ran out of file descriptors: recording stops to give it the recorder's");
    return true;
}

void ls_give_up_fds(const char *why)
{
    ls_warn4(why, " (the trace ends here: ", G.path, ")");
    /* trace_end: the writer writes what is buffered and the end marker,
     * then closes the trace's descriptor; nothing records after it, and
     * nothing will (G.gave_up). */
    ls_end_recording(NULL);
    __atomic_store_n(&G.gave_up, true, __ATOMIC_RELEASE);
}

bool ls_inside_recorder(void)
{
    thread_state *ts = tls_state;
    return ts && ts->guard;
}
bool ls_nonblocking(void) { return tls_nonblocking; }
pid_t ls_recording_pid(void) { return G.pid; }

/* Ends the recording, first writing a heap snapshot labelled
 * `snapshot_label` (NULL: none) unless the scan is off; `leaving`: the
 * process exits or execs, and an idle writer thread is left to that
 * (writer_ctl). */
static void end_recording(bool leaving, const char *snapshot_label)
{
    int saved = errno;
    int st = __atomic_load_n(&G.state, __ATOMIC_SEQ_CST);
    if ((st != ST_ACTIVE && st != ST_FAILED) ||
        !__atomic_compare_exchange_n(&G.state, &st, ST_STOPPING, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        errno = saved;
        return;
    }
    thread_state *self = tls_state;
    if (self)
        self->guard++;
    /* The snapshot's request lives here until the writer thread is joined;
     * not for a recording whose writing failed. */
    ls_scan_request end_req;
    bool snapshot = snapshot_label && G.scan && st == ST_ACTIVE && getpid() == G.pid;
    if (snapshot)
        ls_scan_request_init(&end_req, snapshot_label, (uint64_t)(uintptr_t)__builtin_frame_address(0));
    pthread_mutex_lock(&G.lock);
    G.end_req = snapshot ? &end_req : NULL;
    writer_ctl *ctl = G.wctl;
    G.wctl = NULL;
    bool take = leaving && ctl && ctl->phase != WRITER_BUSY;
    bool scanned = take && ctl->scanned;
    if (take)
        ctl->takeover = true;
    G.stop_req = true;
    if (!take)
        pthread_cond_signal(&G.wake);
    pthread_cond_broadcast(&G.space);
    pthread_mutex_unlock(&G.lock);
    ls_clock_hurry(); /* the end is not kept waiting for a calibration */
    if (take) {
        writer_last_pass(scanned);
    } else {
        pthread_join(G.writer_thread, NULL);
        if (ctl)
            ls_unmap(ctl, sizeof *ctl);
    }
    __atomic_store_n(&G.out_fd, -1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&G.lock);
    G.end_req = NULL;
    pthread_cond_broadcast(&G.flushed);
    pthread_mutex_unlock(&G.lock);
    if (self)
        self->guard--;
    __atomic_store_n(&G.state, ST_IDLE, __ATOMIC_SEQ_CST);
    errno = saved;
}

LEAKSCOPE_API void trace_end(void) { end_recording(false, "end"); }

void ls_end_recording(const char *snapshot_label) { end_recording(false, snapshot_label); }

void ls_end_for_exit(void) { end_recording(true, "exit"); }

void ls_end_for_exec(void) { end_recording(true, NULL); }

LEAKSCOPE_API int trace_heap_snapshot(const char *label)
{
    int saved = errno;
    if (__atomic_load_n(&G.state, __ATOMIC_SEQ_CST) != ST_ACTIVE || getpid() != G.pid) {
        errno = ENOTCONN;
        return -1;
    }
    if (!G.scan) {
        errno = ECANCELED;
        return -1;
    }
    thread_state *self = tls_state;
    if (self)
        self->guard++;
    /* The frames above this one are the caller's: its stack is scanned
     * from here up while it waits. */
    ls_scan_request req;
    ls_scan_request_init(&req, label ? label : "snapshot", (uint64_t)(uintptr_t)__builtin_frame_address(0));
    int err = 0;
    pthread_mutex_lock(&G.lock);
    while (G.snap_req && __atomic_load_n(&G.state, __ATOMIC_SEQ_CST) == ST_ACTIVE)
        pthread_cond_wait(&G.flushed, &G.lock); /* another thread's snapshot first */
    if (__atomic_load_n(&G.state, __ATOMIC_SEQ_CST) != ST_ACTIVE || !G.accepting) {
        err = ENOTCONN;
    } else {
        G.snap_req = &req;
        pthread_cond_signal(&G.wake);
        /* The writer serves it, at the latest as the recording ends. */
        while (!req.done)
            pthread_cond_wait(&G.flushed, &G.lock);
        err = req.result;
    }
    pthread_mutex_unlock(&G.lock);
    if (self)
        self->guard--;
    if (err) {
        errno = err == ENOMEM || err == ENOTCONN ? err : EIO;
        return -1;
    }
    errno = saved;
    return 0;
}

LEAKSCOPE_API void trace_flush(void)
{
    int saved = errno;
    if (__atomic_load_n(&G.state, __ATOMIC_RELAXED) != ST_ACTIVE)
        return;
    pthread_mutex_lock(&G.lock);
    uint64_t req = ++G.flush_req;
    pthread_cond_signal(&G.wake);
    while (G.flush_done < req && !G.stop_req && __atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_ACTIVE)
        pthread_cond_wait(&G.flushed, &G.lock);
    pthread_mutex_unlock(&G.lock);
    errno = saved;
}

/* A program that never calls trace_end still gets a complete file. */
__attribute__((destructor)) static void recorder_at_exit(void)
{
    if (ls_exit_cleanup && __atomic_load_n(&G.state, __ATOMIC_RELAXED) == ST_ACTIVE && getpid() == G.pid)
        ls_exit_cleanup();
    ls_end_for_exit();
}
