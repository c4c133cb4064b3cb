/* walk.c — see walk.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "walk.h"
#include "trace-reader.h"

#include <stdio.h>
#include <string.h>

trace_status ls_walk(const char *path, const ls_walk_fns *fns, void *user, ls_walk_end *end, trace_error *err)
{
    memset(end, 0, sizeof *end);
    trace_reader *r;
    trace_status st = trace_reader_open(path, &r, err);
    if (st != TRACE_OK)
        return st;
    const trace_file_info *fi = trace_reader_info(r);
    if (fns->header)
        fns->header(user, fi);
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    st = c ? TRACE_OK : TRACE_ERR_NOMEM;
    while (c && (st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
        if (fns->chunk)
            fns->chunk(user, &ci);
        trace_chunk_summary sum;
        if (fns->summary && trace_reader_chunk_summary(r, &sum))
            fns->summary(user, &sum);
        if (ci.kind == TRACE_CHUNK_END)
            continue;
        if (ci.kind == TRACE_CHUNK_HEAP) {
            trace_heap_graph *s;
            if ((st = trace_heap_snapshot_load(r, &ci, &s)) != TRACE_OK)
                break;
            if (fns->heap)
                fns->heap(user, s);
            trace_heap_snapshot_free(s);
            continue;
        }
        trace_event ev;
        st = trace_chunk_load(c, r, &ci);
        while (st == TRACE_OK && (st = trace_chunk_next(c, &ev)) == TRACE_OK)
            if (fns->record)
                fns->record(user, &ev, fi->version_major);
        if (st != TRACE_END)
            break;
    }
    /* After the last chunk: the END chunk's total says what damage lost. */
    char line[400];
    for (uint32_t i = 0; fns->damage && i < trace_reader_damage_count(r); i++)
        fns->damage(user, trace_damage_describe(trace_reader_damage(r, i), fi->start_ts, line, sizeof line));
    end->lost_id_refs = trace_reader_lost_id_refs(r);
    end->status = st;
    if (st == TRACE_ERR_NOMEM) {
        end->error.status = st;
        snprintf(end->error.message, sizeof end->error.message, "out of memory");
    } else if (st != TRACE_END) {
        end->error = *trace_reader_error(r);
    } else {
        end->complete = trace_reader_complete(r, &end->events, &end->lost);
    }
    trace_chunk_free(c);
    trace_reader_close(r);
    return TRACE_OK;
}
