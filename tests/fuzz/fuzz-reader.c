/* fuzz-reader.c — the .trace reader on arbitrary bytes: open, walk every
 * chunk header, load every chunk and iterate every record (decode every
 * heap snapshot).
 *
 * SPDX-License-Identifier: MIT
 */
#include "fuzz.h"
#include "trace-reader.h"

#include <stdlib.h>
#include <unistd.h>

static void read_all(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        abort();
    trace_reader *r = NULL;
    trace_error err;
    trace_status st = trace_reader_open(path, &r, &err);
    FUZZ_CHECK_NOT_NOMEM(st);
    if (st == TRACE_OK) {
        trace_chunk *c = trace_chunk_new();
        if (!c)
            abort();
        trace_chunk_info ci;
        /* Chunk headers are walked in file order and each chunk is loaded
         * right away, as dictionaries must be. */
        while ((st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
            if (ci.kind == TRACE_CHUNK_HEAP) {
                trace_heap_graph *s;
                st = trace_heap_snapshot_load(r, &ci, &s);
                FUZZ_CHECK_NOT_NOMEM(st);
                uint64_t sum = 0;
                for (uint32_t i = 0; s && i < s->nedges; i++) /* every array, for ASan */
                    sum += s->edges[i].value + s->addr[s->edges[i].to] + s->size[s->edges[i].from];
                for (uint32_t i = 0; s && i < s->nroots; i++)
                    sum += s->roots[i].value + s->ranges[s->roots[i].range].start;
                if (sum == 1)
                    (void)trace_chunk_info_of(c);
                trace_heap_snapshot_free(s);
                continue;
            }
            st = trace_chunk_load(c, r, &ci);
            FUZZ_CHECK_NOT_NOMEM(st);
            if (st != TRACE_OK)
                continue;
            trace_event ev;
            uint64_t sum = 0;
            while ((st = trace_chunk_next(c, &ev)) == TRACE_OK) {
                /* Touch what the record points at so ASan sees every byte. */
                for (uint32_t i = 0; i < ev.depth; i++)
                    sum += ev.frames[i];
                for (uint32_t i = 0; i < ev.data_len; i++)
                    sum += ((const uint8_t *)ev.data)[i];
                for (uint32_t i = 0; i < ev.data2_len; i++)
                    sum += ((const uint8_t *)ev.data2)[i];
            }
            FUZZ_CHECK_NOT_NOMEM(st);
            if (sum == 1)   /* keep the loop from being optimized away */
                (void)trace_chunk_info_of(c);
        }
        FUZZ_CHECK_NOT_NOMEM(st);
        uint64_t events, lost;
        (void)trace_reader_complete(r, &events, &lost);
        (void)trace_reader_error(r)->message[0];
        trace_chunk_free(c);
        trace_reader_close(r);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_run_both(data, size, read_all);
}
