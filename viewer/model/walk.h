/* walk.h — a trace as it is stored, chunk by chunk in file order, for
 * `leakscope dump`: the file header, each chunk's header, its records as
 * decoded (dictionary definitions and events), each heap snapshot, the
 * damage found, and how the file ends. The index (trace-index.h) is the
 * trace as the analyses see it (dictionaries resolved, threads merged by
 * time); this is the other view, for looking at the file itself. The
 * model's sources alone read a file: its clients see no reader.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_WALK_H
#define LEAKSCOPE_WALK_H

#include "trace-types.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the walk hands over, each valid during the call only. A NULL
 * function is skipped. */
typedef struct ls_walk_fns {
    void (*header)(void *user, const trace_file_info *fi);
    void (*chunk)(void *user, const trace_chunk_info *ci);
    /* A record of the chunk last handed over; `major`: the file's version,
     * whose fields the event has (trace_field_in). */
    void (*record)(void *user, const trace_event *ev, unsigned major);
    void (*heap)(void *user, const trace_heap_graph *s);
    /* After the last chunk, each place of damage found, in file order,
     * described in one line (untrusted text: escape it). */
    void (*damage)(void *user, const char *line);
    /* The summary in the header of the chunk last handed over (an events
     * chunk of a 3.1 file, FORMAT.md §4.1.3), right after it; not called
     * for a chunk without one. */
    void (*summary)(void *user, const trace_chunk_summary *s);
} ls_walk_fns;

/* How the walk ended. */
typedef struct ls_walk_end {
    trace_status status;       /* END: read to the file's end; TRUNCATED: cut short; else the error */
    trace_error error;         /* TRUNCATED, an error: where and why */
    uint64_t lost_id_refs;     /* event fields that named dictionary ids lost with damage */
    bool complete;             /* an END chunk: events and lost it gives */
    uint64_t events, lost;
} ls_walk_end;

/* Walks the file at `path`. Returns OK with *end filled once the file was
 * opened (its ending, sound or not, is in *end), or the open's error with
 * *err filled (nothing handed over). */
trace_status ls_walk(const char *path, const ls_walk_fns *fns, void *user, ls_walk_end *end, trace_error *err);

#ifdef __cplusplus
}
#endif
#endif
