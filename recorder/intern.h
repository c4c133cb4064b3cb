/* intern.h — what intern.c shares with the rest of the recorder. Not installed;
 * included through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_INTERN_H
#define LEAKSCOPE_RECORDER_INTERN_H

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
#define LS_LAST_STACK 64
typedef struct ls_intern_cache {
    uint32_t gen;
    /* The last stack interned (when it was no deeper than LS_LAST_STACK):
     * consecutive allocations often come from one place. */
    uint32_t last_depth, last_id;
    uint64_t last[LS_LAST_STACK];
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

#endif
