/* heapscan.h — what heapscan.c shares with the rest of the recorder: the
 * writer thread's map of live blocks and the heap snapshot scan (FORMAT.md
 * §4.4). Not installed; included through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_HEAPSCAN_H
#define LEAKSCOPE_RECORDER_HEAPSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The live map (the thread that writes: the writer thread, or the
 * ending thread in its place) ---- */

/* Forgets every block (a new recording). */
void ls_live_reset(void);
/* In a forked child: drops the parent's map without touching it. */
void ls_live_forget(void);
/* Applies the packed records in n words (trace-packed.h) of thread tid to
 * the map: allocations add blocks, frees and reallocs take them out, each
 * in the readers' order whatever order the threads' records come in. With
 * `deltas` (room for n / 2 entries; NULL: none), deltas[k] is then the k-th
 * record's heap delta for the writer's chunk summary
 * (trace_writer_add_packed_deltas): exact, or TRACE_DELTA_UNKNOWN when the
 * map cannot be sure of it (out of order, incomplete, an address never
 * seen). */
void ls_live_apply(const uint64_t *words, size_t n, uint32_t tid, int64_t *deltas);
/* A writer pass took every thread's records up to `now` (ticks). */
void ls_live_pass(uint64_t now);
/* The live set is missing blocks from now on (events were lost). */
void ls_live_incomplete(void);

/* ---- The program's own anonymous mappings (any thread) ---- */

/* The program mapped [lo, lo + len) anonymous, readable and writable. */
void ls_mapped_add(uint64_t lo, uint64_t len);
/* The program unmapped [lo, lo + len) (any part of a listed region). */
void ls_mapped_remove(uint64_t lo, uint64_t len);
/* In a forked child: the list's lock free again (the child has one thread). */
void ls_mapped_after_fork(void);

/* ---- A snapshot ---- */

#define LS_SCAN_TLS_MAX 64u

typedef struct ls_scan_thread {
    uint32_t tid;
    uint64_t tcb;          /* its pthread_self(): glibc keeps it at the top of the thread's stack */
} ls_scan_thread;

/* What the asking thread tells the writer thread, which scans. */
typedef struct ls_scan_request {
    char label[257];
    uint32_t label_len;
    uint32_t tid;          /* the asking thread (0: none) */
    uint64_t sp;           /* its stack pointer, as it waits */
    uint64_t tls_lo[LS_SCAN_TLS_MAX], tls_hi[LS_SCAN_TLS_MAX]; /* its static TLS blocks */
    uint32_t ntls;
    /* Filled by the writer thread. */
    int result;            /* 0, or errno */
    bool done;
} ls_scan_request;

/* On the asking thread: fills the label, the thread, the stack pointer
 * (the caller's frames are above it) and its modules' TLS blocks. */
void ls_scan_request_init(ls_scan_request *req, const char *label, uint64_t sp);

/* Writer thread, after taking every published event: scans and writes a
 * snapshot at time ts (ns) with the threads' stacks. Returns 0 or errno. */
int ls_heap_snapshot_write(trace_writer *w, const ls_scan_request *req, uint64_t ts, const ls_scan_thread *threads,
                           uint32_t nthreads);

#endif
