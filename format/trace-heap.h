/* trace-heap.h — the heap snapshot's coding rules, shared by the writer and
 * the reader (FORMAT.md §4.4). Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_HEAP_H
#define LEAKSCOPE_TRACE_HEAP_H

#include "trace-format.h"

#include <stdbool.h>

/* NULL when `s` follows every rule of a snapshot to write, else what it
 * breaks first. */
const char *trace_heap_check(const trace_heap_graph *s);

/* Decodes the payload [p, e) into `s` (whose arrays it allocates; free
 * them with trace_heap_snapshot_free even after a failure). False on a
 * broken rule: *what says which (NULL: out of memory) and *at where. */
bool trace_heap_decode(const uint8_t *p, const uint8_t *e, trace_heap_graph *s, const uint8_t **at,
                       const char **what);

#endif
