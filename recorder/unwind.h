/* unwind.h — what unwind.c and unwind-probe.c share with the rest of the
 * recorder. Not installed; included through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_UNWIND_H
#define LEAKSCOPE_RECORDER_UNWIND_H

/* ---- unwind.c: call stacks ---- */

/* At trace_begin: computes the recorder's own code range, so its frames are
 * left out, and starts the unwinders' caches over unless `same_code` (a
 * forked child's first recording: its parent's code, so its parent's rules,
 * and clearing the caches it inherits would cost a short child a tenth of
 * its recording). `libunwind_only` ($LEAKSCOPE_UNWIND=libunwind): never the
 * CFI walker. `stats` ($LEAKSCOPE_UNWIND_STATS=1): print how many captures
 * fell back, at exit. */
void ls_unwind_init(bool libunwind_only, bool stats, bool same_code);

/* Fills up to `max` return addresses of the caller's stack, innermost first,
 * without the recorder's own frames. Returns how many. The CFI walker where
 * it can, else libunwind; may take the loader's lock (a cache miss) or
 * libunwind's: call it where a fork waits for it (capture, recorder.c). */
uint32_t ls_unwind(uint64_t *frames, uint32_t max);

/* The same with the CFI walker over rules already cached: takes no lock, so
 * it needs no care around fork. LS_UNWIND_SLOW where it cannot: a rule to
 * look up (then ls_unwind_resolve looks it up, and a retry from the same
 * call site goes further), a frame for libunwind, no cache yet (then call
 * ls_unwind). */
#define LS_UNWIND_SLOW UINT32_MAX
/* *id: when not 0, the stack is the one named id under `tag` by
 * ls_unwind_name after an earlier capture, and `frames` is not filled in. */
uint32_t ls_unwind_cached(uint64_t *frames, uint32_t max, uint32_t tag, uint32_t *id);
/* The id named under `tag` of the stack whose first frame (the first frame
 * not the recorder's) is at `pc` with stack pointer `sp` and RBP `bp` (if
 * bp_known), when the calling thread's table of named stacks has it and the
 * stack words it was read from are unchanged (ls_cfi_known); else 0. */
static inline uint32_t ls_unwind_known(uint64_t pc, uint64_t sp, uint64_t bp, bool bp_known, uint32_t tag,
                                       uint32_t max); /* inline: below the walker's types */
/* Names the stack the calling thread's last ls_unwind_cached or ls_unwind
 * returned (if its walk allows: see ls_cfi_name_last). */
void ls_unwind_name(uint32_t tag, uint32_t id);
/* Looks up the rule the calling thread's last ls_unwind_cached missed, and
 * caches it (may take the loader's lock, like ls_unwind). False when there
 * is none to look up. */
bool ls_unwind_resolve(void);

/* For tests: the whole stack, no frame left out, like unw_backtrace but
 * frames[0] is an address inside ls_backtrace and frames[1] the return
 * address into its caller. The CFI walker where it can, else libunwind. */
uint32_t ls_backtrace(uint64_t *frames, uint32_t max);

/* Code may have been unloaded (dlclose): cached unwind rules start over. */
void ls_unwind_invalidate(void);

/* Makes the calling thread's unwind cache now if it has none (before a fork). */
void ls_unwind_thread_prepare(void);

/* Thread exit: frees the calling thread's unwind cache. */
void ls_unwind_thread_exit(void);

/* ---- unwind-probe.c: libunwind's address validation without a descriptor ---- */

/* Points libunwind's imports of pipe2, read, write and syscall at the
 * recorder's, which validate addresses without opening a descriptor; once
 * per process, before the recorder's first call into libunwind
 * (ls_unwind_init). */
void ls_unwind_probe_install(void);
/* Whether the 8 bytes at addr rounded down to 8 can be read (no descriptor,
 * no lasting effect; errno kept). */
bool ls_unwind_probe_readable(const void *addr);

/* Counts since start (the calling thread's, and those of threads that
 * exited or walked 4096 times since their last report). */
typedef struct ls_unwind_stats {
    uint64_t captures;     /* stacks taken by the CFI path (ls_unwind_cached, ls_unwind, ls_backtrace) */
    uint64_t fallbacks;    /* of these, taken by libunwind (unsupported frame, other stack, ...) */
    uint64_t truncated;    /* CFI walks that ended at a frame pointing outside the stack */
    uint64_t misses;       /* CFI cache misses (dl_iterate_phdr + FDE parse) */
    uint64_t memo_hits;    /* CFI walks that skipped the recorder's frames by a memo */
} ls_unwind_stats;
void ls_unwind_get_stats(ls_unwind_stats *out);

#endif
