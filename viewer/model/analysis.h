/* analysis.h — the analysis model shared by the CLI and the viewer: reads a
 * .trace once, in time order across threads, and keeps the dictionaries, the
 * chunk index, the live set at the end (leaks, open resources), GC pauses,
 * marks, spans and totals. Plain C, no GLib.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_ANALYSIS_H
#define LEAKSCOPE_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"
#include "symbols.h"
#include "trace-index.h"
#include "trace-types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ls_thread {
    uint32_t tid;
    uint32_t name;        /* string id, 0 = none */
    uint64_t events;
    uint64_t first_ts, last_ts;
} ls_thread;

typedef struct ls_leak {
    uint32_t stack;       /* stack id, 0 = unknown */
    uint64_t bytes, blocks;
} ls_leak;

/* What the allocations made at one call stack came to, over the whole trace. */
typedef struct ls_stack_use {
    uint64_t allocations, allocated_bytes; /* allocations and reallocs made there */
    /* Freed by the thread that made them with no other allocation or free
     * of that thread in between (heaptrack's "temporary", which heaptrack
     * counts over its one stream; a realloc's release of its old block is
     * not a free). */
    uint64_t temporary, temporary_bytes;
    uint64_t live_blocks, live_bytes;      /* still live at the end: its leaks */
    uint64_t peak_blocks, peak_bytes;      /* live when the heap first reached its peak
                                              (after the event at peak_heap_ts): they sum
                                              to peak_heap_bytes */
} ls_stack_use;

/* A block live at the end of the trace. */
typedef struct ls_live_block {
    uint64_t addr, size;
    uint32_t stack;       /* stack id, 0 = unknown */
} ls_live_block;

typedef struct ls_resource_kind {
    uint32_t kind;        /* string id */
    uint64_t opened, closed, open_at_end;
} ls_resource_kind;

/* An open that failed for want of descriptors (ls_resource_is_failure). */
typedef struct ls_open_failure {
    uint64_t ts;
    uint32_t kind;    /* string id: "error/EMFILE" (the process's limit) or "error/ENFILE" (the system's) */
    uint32_t stack;   /* the failing call's */
    uint32_t thread;
} ls_open_failure;

/* Resources of a kind counted by a call stack: left open by the stack that
 * opened them, or closed by the stack that closed them. */
typedef struct ls_resource_site {
    uint32_t kind, stack;     /* the kind they were opened as (string id); the stack id */
    uint64_t count;
} ls_resource_site;
typedef ls_resource_site ls_open_resource;

typedef struct ls_gc_pause {
    uint64_t begin, end;
    uint32_t reason;      /* string id */
    uint32_t thread;      /* tid */
    uint64_t heap_after;
} ls_gc_pause;

typedef struct ls_mark {
    uint64_t ts;
    uint32_t label, thread;
} ls_mark;

typedef struct ls_span {
    uint64_t begin, end;  /* end == 0: never closed */
    uint32_t label, thread, depth;
} ls_span;

typedef struct ls_span_stat {
    uint32_t label;       /* string id */
    uint64_t count, open; /* completed spans, spans never ended */
    uint64_t total_ns, max_ns;
} ls_span_stat;

typedef struct ls_gc_stats {
    uint64_t pauses, total_ns, max_ns, p50_ns, p99_ns;
} ls_gc_stats;

typedef struct ls_analysis {
    char *path;
    trace_file_info info;

    /* how the read ended */
    bool complete;        /* END chunk seen */
    bool truncated;       /* the file stops inside a chunk */
    uint64_t truncated_at;/* byte offset of the whole part's end */
    uint32_t skipped_chunks; /* of a newer minor version's kinds, and foreign frames */
    /* What the reader skipped as damaged (FORMAT.md §7.1), in file order;
     * nothing here and !truncated and complete: the trace is sound. */
    const trace_damage *damage; uint32_t ndamage;
    uint32_t damage_places;       /* ndamage, and the places the last entry covers past TRACE_DAMAGE_MAX */
    uint64_t damage_events_lost;  /* the events known lost, summed */
    bool damage_events_unknown;   /* some damage lost an unknown number of events */
    uint64_t lost_id_refs;        /* event fields naming a dictionary id lost with damage: shown as none */

    /* totals */
    uint64_t events, allocations, reallocs, frees, unmatched_frees;
    uint64_t allocated_bytes, freed_bytes;
    uint64_t heap_bytes, heap_blocks;       /* at the end */
    uint64_t peak_heap_bytes, peak_heap_ts;
    uint64_t lost_events;
    uint64_t first_ts, last_ts;             /* of all events */
    uint64_t resources_opened, resources_closed, resources_open_at_end;

    /* dictionaries (index = id; [0] unused) */
    /* The index's dictionaries (borrowed: index->strings, ...). */
    const ls_string *strings;  uint32_t nstrings;
    const ls_stack *stacks;    uint32_t nstacks;
    const ls_module *modules;  uint32_t nmodules;

    ls_thread *threads;  uint32_t nthreads;
    ls_leak *leaks;      uint32_t nleaks;       /* sorted by bytes, then blocks, descending */
    ls_stack_use *stack_use;                    /* per stack id (nstacks entries; NULL if none) */
    uint64_t temporary, temporary_bytes;        /* temporary allocations in all, and their bytes */
    ls_histograms *hist;                        /* sizes and lifetimes (histogram.h); NULL if none */
    uint64_t leaked_bytes, leaked_blocks;
    /* The blocks live at the end, by address, kept only for a trace with a
     * heap snapshot (leakclass.h joins the snapshot's blocks to their
     * stacks through them); NULL and 0 otherwise. */
    ls_live_block *live; uint64_t nlive;
    ls_resource_kind *res_kinds; uint32_t nres_kinds;
    ls_open_resource *open_res;  uint32_t nopen_res; /* sorted by count, descending */
    /* The closes the trace recorded, by the kind the resource was opened as
     * and the stack that closed it (0 when the close has none: a format
     * 1.x/2.x file, stacks off); sorted by count, descending. A resource
     * that ended unseen (its handle opened again) is in none. */
    ls_resource_site *close_sites; uint32_t nclose_sites;
    ls_open_failure *open_failures; uint32_t nopen_failures; /* in time order (not resources) */
    ls_gc_pause *gc;     uint32_t ngc;           /* in time order */
    ls_gc_stats gc_stats;
    ls_mark *marks;      uint32_t nmarks;
    ls_span *spans;      uint32_t nspans;        /* in order of their begin */
    ls_span_stat *span_stats; uint32_t nspan_stats; /* by label, largest total first */

    ls_index *index;      /* the file: it owns the dictionaries and the damage list above */

    /* The totals above come from the chunk summaries, not the events
     * (timeline_open_sketch): events, allocations, frees, reallocs, their
     * bytes, the heap and leaked bytes at the end, the threads' events and
     * times are exact; peak_heap_bytes is the most the heap can have been
     * (peak_heap_ts: the start of the bucket it may have been in); blocks,
     * leaks by stack, resources, GC, marks and spans are not read. */
    bool sketch;
} ls_analysis;

/* Sees every event in global time order during ls_analysis_load, with the
 * analysis as it stands after the event (heap_bytes, counters, ...). Return
 * false to stop with ERR_ARGS ("stopped by the caller"). */
typedef struct ls_observer {
    bool (*event)(void *user, const ls_analysis *a, const trace_event *ev);
    /* Each change in what is open, as the analysis pairs opens and closes
     * (a resource is its family and handle): delta +1 when ev opens a
     * resource of kind `kind` (a string id), -1 when ev closes one, or when
     * ev opens a handle that was open already (the old one was closed where
     * the recorder could not see it). `stack` is the stack id that opened
     * the resource (for a close too: the pairing's); the close's own is
     * ls_resource_close_stack(ev). Called before event(); may be NULL. */
    void (*resource)(void *user, const ls_analysis *a, const trace_event *ev, uint32_t kind, uint32_t stack,
                     int delta);
    /* Each change in what is live, as the analysis pairs frees with
     * allocations: `bytes` > 0 when ev makes a block of that size at stack
     * id `stack`, < 0 when ev releases one (a free, a realloc's old block,
     * an allocation over an address whose free was not recorded) made at
     * `stack`. Called before event(); may be NULL. */
    void (*block)(void *user, const ls_analysis *a, const trace_event *ev, uint32_t stack, int64_t bytes);
    void *user;
} ls_observer;

/* Like ls_analysis_load, calling obs (may be NULL) for each event. */
trace_status ls_analysis_load_observed(const char *path, const ls_observer *obs, ls_analysis **out,
                                       trace_error *err);

/* Whether a resource kind is the recorder's note of an open that failed for
 * want of descriptors (FORMAT.md §6: an open and close at once of kind
 * "error/EMFILE" or "error/ENFILE", with the call's stack). Such notes are
 * no resources: the analysis lists them as open failures. */
bool ls_resource_is_failure(const char *kind, size_t len);

/* The index of the first open failure at or after t (nopen_failures if none). */
uint32_t ls_analysis_failure_from(const ls_analysis *a, uint64_t t);

/* The index of the first mark at or after t (nmarks if none): marks are in
 * the analysis' order, so by time. */
uint32_t ls_analysis_mark_from(const ls_analysis *a, uint64_t t);

/* The first of n records (stride bytes apart from v) whose uint64_t at
 * ts_offset is at or after t, for records in increasing order of it (n if
 * none): the one binary search of the model's lists by time. */
uint32_t ls_first_at(const void *v, uint32_t n, size_t stride, size_t ts_offset, uint64_t t);

/* The stack that closed a resource, for an event the observer's resource()
 * gives with delta -1: a res_close's own (since format 3; 0 in older files
 * or with stacks off), and 0 when the close was not seen (ev opens the
 * handle again). The one rule for every layer. */
static inline uint32_t ls_resource_close_stack(const trace_event *ev)
{
    return ev->kind == TRACE_RES_CLOSE ? (uint32_t)ev->stack : 0;
}

/* The one resource identity (FORMAT.md §6): a resource is the family of its
 * kind (the text before the first '/', so "fd/socket" and "fd" are one
 * family) and its handle. Returns the family's hash; `kind` is `len` bytes. */
uint64_t ls_resource_family(const char *kind, size_t len);

/* True when `pattern`, as a user names kinds, names `kind`: a family ("fd"
 * names "fd" and "fd/socket"), a whole kind ("fd/socket"), or a subtype
 * ("socket" names "fd/socket"). */
bool ls_resource_kind_matches(const char *pattern, const char *kind);

/* Analyses the trace of an open index (trace-index.h), which the analysis
 * keeps a reference to. Status and *err as ls_analysis_load. */
trace_status ls_analysis_run(ls_index *idx, const ls_observer *obs, ls_analysis **out, trace_error *err);

/* Reads and analyses `path`. A file that stops inside a chunk is read up to
 * its last whole chunk and marked truncated (status OK). Any other problem
 * returns its status with *err filled (message names the byte offset) and
 * *out NULL. */
trace_status ls_analysis_load(const char *path, ls_analysis **out, trace_error *err);

/* The analysis of an index whose events are not read: its header,
 * dictionaries, damage and ending as ls_analysis_run takes them, every
 * total 0 (for timeline_open_sketch, which fills what the summaries say).
 * Takes a reference to idx; NULL when out of memory. */
ls_analysis *ls_analysis_unread(ls_index *idx);
void ls_analysis_free(ls_analysis *a);      /* NULL ok */

/* How long the recording ran: from trace_begin (info.start_ts) to the last
 * event, in ns; 0 when there are no events. */
uint64_t ls_analysis_duration(const ls_analysis *a);

/* How the read ended, one rule for every output: */
typedef enum ls_ending {
    LS_ENDING_COMPLETE,   /* the END chunk was read */
    LS_ENDING_INCOMPLETE, /* no END chunk: the program crashed or was killed */
    LS_ENDING_TRUNCATED,  /* the file stops inside a chunk (truncated_at) */
} ls_ending;
ls_ending ls_analysis_ending(const ls_analysis *a);

/* True when the reader skipped damage or events named lost dictionary ids. */
bool ls_analysis_damaged(const ls_analysis *a);

/* The line for damage entry i (trace_damage_describe's, times since the
 * recording began); "" past the last. Writes into buf and returns it. */
const char *ls_analysis_damage_text(const ls_analysis *a, uint32_t i, char *buf, size_t len);

/* Dictionary access with bounds checks: "" / an empty stack for id 0 or
 * unknown ids. */
const char *ls_analysis_string(const ls_analysis *a, uint32_t id);
ls_stack ls_analysis_stack(const ls_analysis *a, uint32_t id);
const char *ls_analysis_thread_name(const ls_analysis *a, uint32_t tid);

/* A symbol table with every module the trace recorded, for resolving its
 * stacks, added in the order of a->modules: sym_table_module_index gives
 * the index into a->modules. NULL on out of memory; free with
 * sym_table_free. */
sym_table *ls_analysis_symbols(const ls_analysis *a);
/* The same for an open index's modules (before any analysis of it). */
sym_table *ls_index_symbols(const ls_index *idx);

/* ls_index_symbols, its modules' debug information read on a thread of its
 * own meanwhile (sym_table_load_all): begin before analysing the index, end
 * after; ls_symbols_end returns the table (NULL on out of memory). */
typedef struct ls_symbols_job ls_symbols_job;
ls_symbols_job *ls_symbols_begin(const ls_index *idx);
sym_table *ls_symbols_end(ls_symbols_job *job); /* NULL job: NULL */

#ifdef __cplusplus
}
#endif
#endif
