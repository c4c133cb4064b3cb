/* <leakscope/trace.h> — instrument a program for Leakscope.
 *
 *   trace_begin(NULL);               // start recording to $LEAKSCOPE_OUTPUT or <program>.<pid>.trace
 *   void *p = my_alloc(n); trace_alloc(p, n);
 *   trace_free(p); my_free(p);       // record a free *before* releasing the memory
 *   trace_end();                     // optional: runs at exit anyway
 *
 * Every function is thread-safe, async-signal-unsafe only where it allocates
 * (the first call on a new thread), and never changes errno. Calls before
 * trace_begin() or after trace_end() do nothing. Strings are copied.
 *
 * Define LEAKSCOPE_DISABLE before including this header to compile every call
 * to nothing.
 *
 * Environment read by trace_begin(): LEAKSCOPE_OUTPUT (file name),
 * LEAKSCOPE_STACK_DEPTH (frames per stack, 0 = no stacks, default 64),
 * LEAKSCOPE_FLUSH_MS (longest time an event waits before reaching the file,
 * default 100), LEAKSCOPE_BUFFER_MB (memory for event buffers, default 256),
 * LEAKSCOPE_DROP=1 (drop and count events instead of waiting when the buffers
 * are full), LEAKSCOPE_UNWIND=libunwind (take every stack with libunwind
 * instead of the built-in x86_64 CFI walker), LEAKSCOPE_UNWIND_STATS=1 (print
 * at exit how many stacks the walker left to libunwind), LEAKSCOPE_SCAN=0
 * (no heap snapshot at exit, at trace_end or on trace_heap_snapshot).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_H
#define LEAKSCOPE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LEAKSCOPE_COMPILATION)
#define LEAKSCOPE_API __attribute__((visibility("default")))
#else
#define LEAKSCOPE_API
#endif

/* The pointers passed to trace_alloc/free/realloc are never dereferenced:
 * tell GCC, so it does not warn that freshly allocated memory is read. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define LEAKSCOPE_NO_ACCESS(...) __attribute__((access(none, __VA_ARGS__)))
#else
#define LEAKSCOPE_NO_ACCESS(...)
#endif

#ifndef LEAKSCOPE_DISABLE

/* Starts recording into `path` (created with mode 0600, never through a
 * symlink; a regular file already there is replaced by the new one, not
 * truncated, so hard links to it keep their content). NULL:
 * $LEAKSCOPE_OUTPUT, else "<program>.<pid>.trace" in the current
 * directory. Returns 0, or -1 with errno set: EBUSY if a recording is
 * already running, ELOOP for a symlink, EISDIR for a directory, EINVAL for
 * anything else that is not a regular file (a FIFO, a device), or the error
 * of creating the file. The file's descriptor is kept above the program's
 * usual numbers (above the soft RLIMIT_NOFILE where the hard one allows). */
LEAKSCOPE_API int trace_begin(const char *path);

/* Flushes every thread's events, writes the end marker and closes the file.
 * Safe to call twice, or without trace_begin. Runs by itself at exit. */
LEAKSCOPE_API void trace_end(void);

/* Returns once every event recorded before the call is in the file. */
LEAKSCOPE_API void trace_flush(void);

/* A block of `size` bytes at `ptr` became live (call after allocating).
 * NULL ptr is ignored. The call stack is recorded. */
LEAKSCOPE_API LEAKSCOPE_NO_ACCESS(1) void trace_alloc(const void *ptr, size_t size);

/* The block at `ptr` is released (call *before* releasing it, so that a
 * reuse of the address always comes later). NULL is ignored. */
LEAKSCOPE_API LEAKSCOPE_NO_ACCESS(1) void trace_free(const void *ptr);

/* `old_ptr` was resized to `new_size` bytes at `new_ptr`. old_ptr NULL is an
 * allocation; new_ptr NULL with new_size 0 is a free. */
LEAKSCOPE_API LEAKSCOPE_NO_ACCESS(1) LEAKSCOPE_NO_ACCESS(2)
void trace_realloc(const void *old_ptr, const void *new_ptr, size_t new_size);

/* A resource of `kind` ("fd", "socket", "texture", ...) identified by
 * `handle` was opened / closed. The call stack of each is recorded: the
 * one that opened it and the one that closed it. */
LEAKSCOPE_API void trace_resource_open(const char *kind, uint64_t handle);
LEAKSCOPE_API void trace_resource_close(const char *kind, uint64_t handle);

/* A garbage-collection pause begins (with a reason, may be NULL) and ends
 * (with the heap size left after it). */
LEAKSCOPE_API void trace_gc_begin(const char *reason);
LEAKSCOPE_API void trace_gc_end(size_t heap_bytes_after);

/* A point in time, and a span of time on the calling thread (spans nest;
 * end names the span it closes). */
LEAKSCOPE_API void trace_mark(const char *label);
LEAKSCOPE_API void trace_span_begin(const char *label);
LEAKSCOPE_API void trace_span_end(const char *label);

/* Names the calling thread in the trace. */
LEAKSCOPE_API void trace_thread_name(const char *name);

/* Writes a heap-graph snapshot labelled `label` (NULL: "snapshot"; at most
 * 256 bytes kept): every block live now, the pointers between them and
 * those from the roots (globals, stacks, thread-local storage), so that a
 * report can tell lost memory from memory still reachable. Every event
 * recorded before the call is taken first; returns once the snapshot is
 * written: 0, or -1 with errno set (ENOTCONN not recording, ECANCELED the
 * scan is off: LEAKSCOPE_SCAN=0, EIO it could not be written). One is
 * written by itself at exit and at trace_end(). Other threads may go on
 * running meanwhile; the scan reads memory only where it is mapped. It
 * waits for the recorder's writer thread: never call it from a signal
 * handler. Blocks allocated before trace_begin are not known to it. */
LEAKSCOPE_API int trace_heap_snapshot(const char *label);

#else /* LEAKSCOPE_DISABLE */

static inline int trace_begin(const char *path) { (void)path; return 0; }
static inline void trace_end(void) {}
static inline void trace_flush(void) {}
static inline void trace_alloc(const void *p, size_t s) { (void)p; (void)s; }
static inline void trace_free(const void *p) { (void)p; }
static inline void trace_realloc(const void *o, const void *n, size_t s) { (void)o; (void)n; (void)s; }
static inline void trace_resource_open(const char *k, uint64_t h) { (void)k; (void)h; }
static inline void trace_resource_close(const char *k, uint64_t h) { (void)k; (void)h; }
static inline void trace_gc_begin(const char *r) { (void)r; }
static inline void trace_gc_end(size_t h) { (void)h; }
static inline void trace_mark(const char *l) { (void)l; }
static inline void trace_span_begin(const char *l) { (void)l; }
static inline void trace_span_end(const char *l) { (void)l; }
static inline void trace_thread_name(const char *n) { (void)n; }
static inline int trace_heap_snapshot(const char *l) { (void)l; return 0; }

#endif

#ifdef __cplusplus
}
#endif
#endif
