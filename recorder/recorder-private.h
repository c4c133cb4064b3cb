/* recorder-private.h — what every file of the recorder shares (the clock,
 * memory, warnings, settings, recorder.c's entry points), and the headers
 * of each file's own interface. Not installed.
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

#if defined(__SANITIZE_ADDRESS__)
#define LS_SANITIZED_ADDRESS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LS_SANITIZED_ADDRESS 1
#endif
#endif
#ifndef LS_SANITIZED_ADDRESS
#define LS_SANITIZED_ADDRESS 0
#endif
#if defined(__SANITIZE_THREAD__)
#define LS_SANITIZED_THREAD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LS_SANITIZED_THREAD 1
#endif
#endif
#ifndef LS_SANITIZED_THREAD
#define LS_SANITIZED_THREAD 0
#endif

#define LS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Recorded events are stored as the writer's packed records (trace-packed.h:
 * two to five words, no encoding), which the writer thread hands to the
 * writer as they are. */

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
 * ls_clock_mapping (clock.c) and trace_tick_map_apply. */
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
/* The recording ends: a calibration still waiting takes what has passed. */
void ls_clock_hurry(void);

/* ticks -> ns as ns0 + (ticks - tick0) * mult / 2^32 (ticks before tick0:
 * ns0); without the TSC, tick0 = ns0 = 0 and mult = 2^32. */
typedef trace_tick_map ls_clock_map;
/* The mapping, calibrated on first use (writer thread: waits once). */
ls_clock_map ls_clock_mapping(void);

/* Memory that never goes through the (possibly intercepted) allocator. */
void *ls_map(size_t bytes);
void ls_unmap(void *p, size_t bytes);
/* Such memory grown, as realloc would: p NULL (old_bytes 0) maps anew
 * (zeroed), new_bytes 0 unmaps (returns NULL), else the first old_bytes
 * move to new pages (p itself when its pages already hold new_bytes).
 * NULL when out of memory, p then kept. Also the trace writer's memory
 * (trace_writer_set_memory). */
void *ls_remap(void *p, size_t old_bytes, size_t new_bytes);

/* One line on stderr, written with write(2): no stdio, no allocation. */
void ls_warn(const char *a, const char *b, const char *c);
void ls_warn4(const char *a, const char *b, const char *c, const char *d);

/* env.c: a setting ($LEAKSCOPE_...): the program's getenv, or once
 * ls_env_capture has run (the preload module, at start), the value the
 * process was started with. NULL when unset. */
const char *ls_getenv(const char *name);
void ls_env_capture(void);

/* ---- recorder.c: entry points for the preload module ---- */

#include <sys/types.h>

void ls_record_alloc(uintptr_t ptr, size_t size);
/* The same from an entry point, which passes its caller's frame (see
 * LS_CALLER_FRAME), where the stack starts: a stack the thread had last
 * time comes back without a walk. */
void ls_record_alloc_from(uintptr_t ptr, size_t size, uint64_t pc, uint64_t sp, uint64_t bp, bool bp_known);

/* Declares pc, sp, bp and bp_known: the caller's frame, from inside the
 * entry point it called (a macro: the builtins are the function's own): the
 * return address, the CFA (the caller's stack pointer) and the caller's RBP.
 * __builtin_frame_address(0) gives the function a frame pointer (GCC and
 * clang), which saves the caller's RBP at CFA-16: read here, while the
 * frame is certainly there (the call that follows may be a tail call).
 * Checked: another layout leaves bp unknown, and a walk then. */
#define LS_CALLER_FRAME(pc, sp, bp, bp_known)                                           \
    uint64_t pc = (uint64_t)(uintptr_t)__builtin_return_address(0);                   \
    uint64_t sp = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();                         \
    const uint64_t *bp##_at_ = (const uint64_t *)__builtin_frame_address(0);           \
    bool bp_known = (uint64_t)(uintptr_t)bp##_at_ + 16 == sp;                          \
    uint64_t bp = bp_known ? *bp##_at_ : 0
void ls_record_free(uintptr_t ptr);

/* A release that may not happen (realloc's old block, recorded before the
 * call: another thread may get the address the moment it returns, but if
 * the call fails the block lives on as it was). ls_record_free_held writes
 * the record, stamped now, without handing it to the writer;
 * ls_release_held(h, true) hands it over, ls_release_held(h, false) takes
 * it back, so a failed realloc leaves no trace and the block keeps its
 * size and stack. */
typedef struct ls_held {
    void *buf, *ts;
    uint32_t at, end, gen;
    uintptr_t ptr;
} ls_held;
void ls_record_free_held(uintptr_t ptr, ls_held *h);
void ls_release_held(ls_held *h, bool happened);
/* old_ptr 0: the old block's release was already recorded by a free. */
void ls_record_realloc(uintptr_t old_ptr, uintptr_t new_ptr, size_t new_size);
/* An open and a close record the calling thread's stack (the same walk and
 * depth as an allocation's). */
void ls_record_open(const char *kind, uint64_t handle, uint64_t size);
void ls_record_close(const char *kind, uint64_t handle);
/* A failed open's note (FORMAT.md §6): an open and a close of `kind` and
 * `handle` at once, both at the calling thread's stack, walked once. */
void ls_record_failed_open(const char *kind, uint64_t handle);
/* nonblocking: never wait on a lock (drop and count instead). */
void ls_record_gc_begin(const char *reason, bool nonblocking);
void ls_record_gc_end(size_t heap_bytes_after, bool nonblocking);

/* Begins recording for the preload module ($LEAKSCOPE_OUTPUT; with a pid in
 * the name and never replacing a file for a child image). 0 or errno. */
int ls_begin_preload(bool child_image);

/* Defined by the preload module only: run at exit, while still recording,
 * before the recording ends. */
__attribute__((weak)) void ls_exit_cleanup(void);
/* trace_end for a process about to exit or exec (the destructor, the exec
 * interposers): the ending thread writes the last of the trace itself when
 * the writer thread is idle, and leaves that thread to the exit. Not from
 * _exit, which a signal handler may call in the middle of a malloc: the
 * last pass allocates. At exit a heap snapshot labelled "exit" comes first
 * (unless LEAKSCOPE_SCAN=0); before an exec none. */
void ls_end_for_exit(void);
void ls_end_for_exec(void);

/* Ends the recording as trace_end does, first writing a heap snapshot
 * labelled `snapshot_label` (NULL: none; "exit" from _exit) unless
 * LEAKSCOPE_SCAN=0. */
void ls_end_recording(const char *snapshot_label);

/* The trace file's descriptor while recording, else -1; the pid recording. */
int ls_output_fd(void);
pid_t ls_recording_pid(void);

/* Whether `fd` is the trace's descriptor: its number, and still its file
 * (fstat: a program may have closed it past the C library and reused the
 * number before the writer noticed). errno kept. */
bool ls_is_output_fd(int fd);

/* A call of the program's that makes descriptors failed with `err`, EMFILE
 * or ENFILE, perhaps for want of the recorder's descriptors (the trace's,
 * libunwind's pipe; EMFILE: one is numbered below the soft limit; ENFILE:
 * they are among the system's open files). Then the recording stops, with
 * one line on stderr, and they are closed, so that the call, made again,
 * succeeds as it would have without the recorder: returns true. The
 * recorder stays off in this process from then on. False, and nothing
 * done, when the recorder holds no descriptor in the way, or when the
 * calling thread is inside the recorder (its own calls) or not the
 * recording process (a vfork child). errno kept. */
bool ls_release_output(int err);

/* The program replaces or needs one of the recorder's descriptors: the
 * recording stops (trace_end: the trace ends complete), with one line on
 * stderr saying `why`, and the recorder closes its descriptors and stays
 * off in this process. */
void ls_give_up_fds(const char *why);

/* Whether the calling thread runs the recorder's own code (its guard is
 * set: in trace_begin, the writer thread, a stack walk, ...). */
bool ls_inside_recorder(void);

/* A message for an errno value from starting a recording: strerror, but
 * EINVAL (trace_writer_create: the output path is not a regular file) says
 * so. */
const char *ls_output_strerror(int err);

/* Each file's private interface, in a header of its own. */
#include "fds.h"
#include "intern.h"
#include "unwind.h"
#include "cfi.h"
#include "modules.h"
#include "maps.h"
#include "heapscan.h"

#endif
