/* recode.c — writes a trace's events and dictionary again with today's
 * writer, chunk for chunk (a flush where each events chunk of the input
 * ends), so that two versions of the writer's coding can be compared on the
 * very same events (a recording of a real program is never the same twice).
 * The heap snapshot and the END chunk's lost count are left out: what is
 * compared is the events chunks. Prints the events chunks' bytes, the
 * dictionary's and the events.
 *
 *   recode IN.trace OUT.trace
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-reader.h"
#include "trace-writer.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IN.trace OUT.trace\n", argv[0]);
        return 2;
    }
    trace_reader *r;
    trace_error err;
    if (trace_reader_open(argv[1], &r, &err) != TRACE_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
    }
    trace_file_info info = *trace_reader_info(r);
    trace_writer *w;
    if (trace_writer_create(argv[2], &info, &w) != TRACE_OK) {
        perror(argv[2]);
        return 1;
    }
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    trace_status st;
    uint64_t events = 0;
    while ((st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
        if (ci.kind != TRACE_CHUNK_EVENTS && ci.kind != TRACE_CHUNK_DICT)
            continue;
        if (trace_chunk_load(c, r, &ci) != TRACE_OK) {
            fprintf(stderr, "%s: %s\n", argv[1], trace_reader_error(r)->message);
            return 1;
        }
        trace_event ev;
        while ((st = trace_chunk_next(c, &ev)) == TRACE_OK) {
            if (ev.kind == TRACE_STRING_DEF)
                st = trace_writer_add_string(w, ev.value, ev.data, ev.data_len);
            else if (ev.kind == TRACE_STACK_DEF)
                st = trace_writer_add_stack(w, ev.value, ev.frames, ev.depth);
            else if (ev.kind == TRACE_MODULE_DEF)
                st = trace_writer_add_module(w, ev.ts, ev.addr, ev.addr2, ev.size, ev.data, ev.data_len,
                                             ev.data2, ev.data2_len);
            else
                st = trace_writer_add_event(w, ci.thread, &ev), events++;
            if (st != TRACE_OK) {
                fprintf(stderr, "%s: writing: %s\n", argv[2], trace_strerror(st));
                return 1;
            }
        }
        if (st != TRACE_END) {
            fprintf(stderr, "%s: %s\n", argv[1], trace_reader_error(r)->message);
            return 1;
        }
        if (ci.kind == TRACE_CHUNK_EVENTS)
            trace_writer_flush(w);
    }
    trace_chunk_free(c);
    trace_reader_close(r);
    if (trace_writer_close(w, 0) != TRACE_OK) {
        perror(argv[2]);
        return 1;
    }
    printf("%llu events\n", (unsigned long long)events);
    return 0;
}
