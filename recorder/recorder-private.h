/* recorder-private.h — shared between the recorder's files. Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_PRIVATE_H
#define LEAKSCOPE_RECORDER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "trace-writer.h"

#define LS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* One recorded event as the hot path stores it: fixed size, no encoding.
 * The writer thread turns these into columns. Field use per kind:
 *   ALLOC a=ptr b=size          FREE a=ptr           REALLOC a=old b=new c=size
 *   RES_OPEN a=kind b=handle c=size   RES_CLOSE a=kind b=handle
 *   GC_BEGIN a=reason  GC_END a=heap  MARK, SPAN_BEGIN, SPAN_END, THREAD_NAME a=label  LOST a=count */
typedef struct ls_rec {
    uint64_t ts;
    uint64_t a, b, c;
    uint32_t stack;
    uint32_t kind;
} ls_rec;
_Static_assert(sizeof(ls_rec) == 40, "ls_rec is packed into buffers");

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t ls_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The hot path's clock: the invariant TSC where the CPU has one (a few ns,
 * the same on every core), else CLOCK_MONOTONIC. Records carry these ticks;
 * the writer thread turns them into CLOCK_MONOTONIC nanoseconds with
 * ls_ticks_to_ns (clock.c). */
extern bool ls_use_tsc;

static inline uint64_t ls_ticks(void)
{
#if defined(__x86_64__)
    if (LS_LIKELY(__atomic_load_n(&ls_use_tsc, __ATOMIC_RELAXED)))
        return __builtin_ia32_rdtsc();
#endif
    return ls_now();
}

/* clock.c: calibration, at trace_begin, and conversion (writer thread). */
void ls_clock_start(void);
uint64_t ls_ticks_to_ns(uint64_t ticks);

/* Memory that never goes through the (possibly intercepted) allocator. */
void *ls_map(size_t bytes);
void ls_unmap(void *p, size_t bytes);

/* One line on stderr, written with write(2): no stdio, no allocation. */
void ls_warn(const char *a, const char *b, const char *c);
void ls_warn4(const char *a, const char *b, const char *c, const char *d);

/* ---- recorder.c: entry points for the preload module ---- */

#include <sys/types.h>

void ls_record_alloc(uintptr_t ptr, size_t size);
void ls_record_free(uintptr_t ptr);
/* old_ptr 0: the old block's release was already recorded by a free. */
void ls_record_realloc(uintptr_t old_ptr, uintptr_t new_ptr, size_t new_size);
void ls_record_open(const char *kind, uint64_t handle, uint64_t size);
void ls_record_close(const char *kind, uint64_t handle);
/* nonblocking: never wait on a lock (drop and count instead). */
void ls_record_gc_begin(const char *reason, bool nonblocking);
void ls_record_gc_end(size_t heap_bytes_after, bool nonblocking);

/* Begins recording for the preload module ($LEAKSCOPE_OUTPUT; with a pid in
 * the name and never replacing a file for a child image). 0 or errno. */
int ls_begin_preload(bool child_image);

/* The trace file's descriptor while recording, else -1; the pid recording. */
int ls_output_fd(void);
pid_t ls_recording_pid(void);

/* True on a thread recording from a context that must not wait on a lock. */
bool ls_nonblocking(void);

/* gc-boehm.c: records Boehm GC collections when libgc is in the process. */
void ls_gc_hook_install(void);

/* ---- intern.c: stack and string dictionaries ---- */

#define LS_STACK_CACHE 1024
#define LS_STRING_CACHE 64

typedef struct ls_stack_slot {
    uint64_t hash;
    const uint64_t *frames;
    uint32_t depth, id;
} ls_stack_slot;

typedef struct ls_string_slot {
    uint64_t hash;
    const char *text;
    uint32_t len, id;
} ls_string_slot;

/* Per-thread caches in front of the shared tables (owned by one thread). */
typedef struct ls_intern_cache {
    uint32_t gen;
    ls_stack_slot stacks[LS_STACK_CACHE];
    ls_string_slot strings[LS_STRING_CACHE];
} ls_intern_cache;

/* Resets the dictionaries for a new recording with generation `gen`;
 * `max_bytes` bounds the memory for stored frames and strings. */
void ls_intern_reset(uint32_t gen, size_t max_bytes);

/* Interns; returns the id (>= 1), or 0 when out of room (the event then goes
 * without its stack / string). */
uint32_t ls_intern_stack(ls_intern_cache *c, const uint64_t *frames, uint32_t depth);
uint32_t ls_intern_string(ls_intern_cache *c, const char *s);

/* Held across fork so the child's tables are consistent. */
void ls_intern_lock(void);
void ls_intern_unlock(void);

/* Writer thread: hands every definition not yet written to the writer. */
void ls_intern_drain(trace_writer *w);

/* ---- unwind.c: call stacks ---- */

/* Computes the recorder's own code range, so its frames are left out. */
void ls_unwind_init(void);

/* Fills up to `max` return addresses of the caller's stack, innermost first,
 * without the recorder's own frames. Returns how many. */
uint32_t ls_unwind(uint64_t *frames, uint32_t max);

/* ---- modules.c: loaded ELF objects ---- */

/* Writer thread: records every loaded module not recorded yet in this
 * recording (cheap when nothing was loaded since the last call, unless forced). */
void ls_modules_scan(trace_writer *w, bool force);

/* The address range [lo, hi) of an object's PT_LOAD segments; false if none. */
struct dl_phdr_info;
bool ls_load_range(const struct dl_phdr_info *info, uint64_t *lo, uint64_t *hi);
void ls_modules_reset(void);
/* Held across fork, so that no scan holds the loader's lock at that moment. */
void ls_modules_fork_lock(void);
void ls_modules_fork_unlock(void);
/* In a forked child: drop the parent's list without touching it. */
void ls_modules_forget(void);

#endif
