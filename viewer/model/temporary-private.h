/* temporary-private.h — the one rule of a temporary allocation, for the
 * whole trace's analysis (analysis.c) and a range's (range.c): a block freed
 * by the thread that made it with no other allocation or free of that
 * thread in between (heaptrack's "temporary", which heaptrack counts over
 * its one stream). A realloc's release of its old block is not a free, and
 * neither is a free recorded just before a realloc (the release of its old
 * block, recorded before the call: the realloc follows at once with old =
 * 0), so a free is known to be temporary only at the thread's next event,
 * or at the end when there is none.
 *
 * The caller keeps one ls_temp_thread per thread, zeroed, and calls these
 * in the one order (merge.h). Not for clients: they read
 * ls_stack_use.temporary or ls_range_site.temporary.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TEMPORARY_PRIVATE_H
#define LEAKSCOPE_TEMPORARY_PRIVATE_H

#include "trace-format.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ls_temp_thread {
    uint64_t last_alloc; /* 1 + the address of the thread's last allocation, while it is live; 0 none */
    bool pending;        /* a free that was temporary, unless the next event is its realloc */
    uint32_t tag;        /* the freed block's, as the caller named it (its stack) */
    uint64_t bytes;      /* and its size */
} ls_temp_thread;

/* Before each event ev of the thread: true, with the block's tag and size,
 * when the free before it was temporary. */
static inline bool ls_temp_next(ls_temp_thread *t, const trace_event *ev, uint32_t *tag, uint64_t *bytes)
{
    if (!t->pending)
        return false;
    t->pending = false;
    if (ev->kind == TRACE_REALLOC && !ev->addr)
        return false;
    *tag = t->tag;
    *bytes = t->bytes;
    return true;
}

/* The thread made a block at addr (an allocation or a realloc's new one). */
static inline void ls_temp_made(ls_temp_thread *t, uint64_t addr) { t->last_alloc = addr + 1; }

/* The thread freed the live block at addr (tag and bytes: the block's); not
 * for a realloc's release of its old block. */
static inline void ls_temp_freed(ls_temp_thread *t, uint64_t addr, uint32_t tag, uint64_t bytes)
{
    if (t->last_alloc == addr + 1) {
        t->pending = true;
        t->tag = tag;
        t->bytes = bytes;
    }
    t->last_alloc = 0;
}

/* After the thread's last event: true, as ls_temp_next, when that event was
 * a temporary free. */
static inline bool ls_temp_end(ls_temp_thread *t, uint32_t *tag, uint64_t *bytes)
{
    if (!t->pending)
        return false;
    t->pending = false;
    *tag = t->tag;
    *bytes = t->bytes;
    return true;
}

#endif
