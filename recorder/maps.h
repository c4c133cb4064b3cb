/* maps.h — the process's memory mappings, from /proc/self/maps read with
 * raw system calls (no stdio, no allocation, no lock: callers run inside
 * malloc, or while other threads hold locks). Not installed; included
 * through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_MAPS_H
#define LEAKSCOPE_RECORDER_MAPS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ls_mapping {
    uint64_t lo, hi;      /* [lo, hi) */
    bool readable, writable;
    char tail[8];         /* the line's last 8 characters (its name's end), NUL-padded in front */
} ls_mapping;

/* Calls fn for each mapping in address order until it returns false.
 * False when the file cannot be opened (no descriptor to spare). */
bool ls_maps_each(bool (*fn)(void *ctx, const ls_mapping *m), void *ctx);

/* Whether a mapping is the main thread's stack ("[stack]"). */
bool ls_mapping_is_main_stack(const ls_mapping *m);

#endif
