/* trace-index.h — a trace, opened once: its header, its dictionaries
 * (strings, stacks, modules), its chunk directory, what the reader found
 * damaged, and cursors over any time range in the one order (merge.h).
 *
 * The analysis, the timeline, the viewer's range queries and the CLI all
 * start from an index; nothing else walks a file's chunk headers. An index
 * is immutable once open and reference counted, so cursors may be made and
 * used on any thread at once (each has a reader of its own).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_INDEX_H
#define LEAKSCOPE_TRACE_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "merge.h"
#include "trace-types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ls_string {
    const char *text;   /* NUL-terminated copy (may contain other bytes: untrusted) */
    uint32_t len;
} ls_string;

typedef struct ls_stack {
    const uint64_t *frames; /* return addresses, innermost first */
    uint32_t depth;
} ls_stack;

typedef struct ls_module {
    char *path;
    uint64_t ts, bias, start, end;
    uint8_t build_id[TRACE_BUILD_ID_MAX];
    uint32_t build_id_len;
} ls_module;

typedef struct ls_index {
    char *path;
    trace_file_info info;

    /* Dictionaries: id i at [i]; id 0 is "none" (an empty string, a stack
     * of no frames). Ids lost with a damaged dictionary chunk are empty. */
    ls_string *strings; uint32_t nstrings;
    ls_stack *stacks;   uint32_t nstacks;
    ls_module *modules; uint32_t nmodules;

    /* The events chunks, in file order, and what their headers say. */
    trace_chunk_info *chunks; uint32_t nchunks;
    uint64_t chunk_events;      /* events the headers declare */
    uint64_t first_ts, last_ts; /* over the headers' ranges; 0, 0 without chunks */
    /* Their summaries (format 3.1, FORMAT.md §4.1.3), as checked from the
     * headers: NULL when no events chunk has one, else nchunks entries
     * parallel to chunks (summaries[i] is chunks[i]'s; .present false for
     * a chunk without one). */
    trace_chunk_summary *summaries;

    /* The heap snapshot chunks (FORMAT.md §4.4), in file order: their
     * offsets and times (first_ts) for ls_index_snapshot. Cursors never
     * see them. */
    trace_chunk_info *snapshots; uint32_t nsnapshots;

    /* How the file ended, and what was skipped (FORMAT.md §7.1). */
    bool complete;              /* the END chunk was read */
    uint64_t end_events, end_lost; /* its totals, when complete */
    bool truncated;             /* the file stops inside a chunk... */
    uint64_t truncated_at;      /* ...at the end of this whole part */
    uint32_t skipped_chunks;    /* of a newer minor version's kinds, foreign frames */
    trace_damage *damage; uint32_t ndamage;

    /* Opened by ls_index_open_headers: chunk headers only, unverified. */
    bool unverified;

    /* The rest is the index's own. */
    trace_reader *reader;       /* the header walk's; cursors read through duplicates */
    uint64_t *frame_pool;
    int refs;
} ls_index;

/* Opens `path`, checks its header, walks every chunk header once (the
 * reader verifies each chunk and names damage), takes the dictionaries and
 * the chunk directory. A file cut inside a chunk opens (truncated); any
 * other problem returns its status with *err filled (the message names the
 * byte offset) and *out NULL. The index starts with one reference. */
trace_status ls_index_open(const char *path, ls_index **out, trace_error *err);

/* A first look at `path` for a picture of it before it is verified
 * (timeline_open_sketch): its header, then its events chunks' headers and
 * summaries as trace_reader_headers walks them (no payload read, no crc
 * checked, no dictionary: each header against the rules a header alone
 * allows, the walk stopping at the first that breaks one). `unverified` is
 * set; no damage is listed; cursors and snapshots must not be asked of it.
 * Errors as ls_index_open's for the file header. */
trace_status ls_index_open_headers(const char *path, ls_index **out, trace_error *err);

/* References, from any thread. unref frees at the last one; NULL ok. */
ls_index *ls_index_ref(ls_index *idx);
void ls_index_unref(ls_index *idx);

/* A cursor over the events with from <= ts <= to, in the one order
 * (merge.h), reading through a reader of its own (so cursors of one index
 * may run on several threads at once). NULL when out of memory or out of
 * descriptors. Free it with ls_merge_free. */
ls_merge *ls_index_cursor(const ls_index *idx, uint64_t from, uint64_t to);

/* Decodes snapshot i (0 <= i < nsnapshots) through a reader of its own
 * (any thread). OK and *out (free with trace_heap_snapshot_free), or the
 * error with *err filled (its message names the chunk's byte offset) and
 * *out NULL. */
trace_status ls_index_snapshot(const ls_index *idx, uint32_t i, trace_heap_graph **out, trace_error *err);

/* Dictionary access with bounds checks: "" / an empty stack for id 0 or an
 * unknown id. */
const char *ls_index_string(const ls_index *idx, uint32_t id);
ls_stack ls_index_stack(const ls_index *idx, uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
