/* gen-trace.c — writes a synthetic trace with the real writer, for the
 * render benchmark: THREADS threads allocating and freeing (a slowly growing
 * heap with a leak), resources opened and closed (some never), GC pauses,
 * marks and spans.
 *
 * usage: gen-trace [-n EVENTS] [-t THREADS] [-r RESOURCES] [-g GC_EVERY] [-s STACKS] [-d DEPTH] OUT.trace
 *   -n total events (default 50000000)   -t threads (default 8)
 *   -r resource opens (default 20000)    -g events between GC pauses (default 200000)
 *   -s call stacks (default 64)          -d frames per stack (default 3)
 *
 * Stack i's frames, from the outermost, are i's base-4 digits taken one
 * more at a time, so the stacks make a call tree that branches four ways
 * per level (the call tree benchmark's).
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIVE 4096u
#define BATCH 65536u

/* live[] the blocks each slot holds, size[] their sizes (so each free's
 * heap delta is known: the chunks' summaries say their heap is exact),
 * leaker[] whether the block will leak (the slot's next allocation is made
 * over it). A leaking block has an address of its own (leaks: how many so
 * far), so that no block is ever allocated at the address of a live one. */
typedef struct gen_thread {
    uint64_t ts, seed, live[LIVE], res_open[64];
    uint32_t size[LIVE];
    uint8_t leaker[LIVE];
    uint64_t done, spans_open, leaks;
} gen_thread;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Writes ev with its heap delta (allocations and frees; ignored for the rest). */
static void put(trace_writer *w, uint32_t tid, const trace_event *ev, int64_t delta)
{
    if (trace_writer_add_event_delta(w, tid, ev, delta) != TRACE_OK) {
        fprintf(stderr, "gen-trace: write failed: %s\n", strerror(trace_writer_errno(w)));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    uint64_t events = 50000000, resources = 20000, gc_every = 200000;
    uint32_t threads = 8, stacks = 64, depth = 3;
    int c;
    while ((c = getopt(argc, argv, "n:t:r:g:s:d:")) != -1) {
        switch (c) {
        case 'n': events = strtoull(optarg, NULL, 10); break;
        case 't': threads = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'r': resources = strtoull(optarg, NULL, 10); break;
        case 'g': gc_every = strtoull(optarg, NULL, 10); break;
        case 's': stacks = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'd': depth = (uint32_t)strtoul(optarg, NULL, 10); break;
        default: goto usage;
        }
    }
    if (optind + 1 != argc || !threads || threads > 1024 || !events || !stacks || stacks > 1000000 || !depth ||
        depth > 64) {
    usage:
        fprintf(stderr, "usage: gen-trace [-n EVENTS] [-t THREADS] [-r RESOURCES] [-g GC_EVERY] [-s STACKS (1..1000000)] [-d DEPTH (1..64)] OUT.trace\n");
        return 2;
    }
    trace_file_info info = { .pid = 4242, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8,
                             .start_ts = 1000000000, .start_realtime_ns = 1764288000ull * 1000000000ull };
    snprintf(info.program, sizeof info.program, "/usr/bin/synthetic-server");
    trace_writer *w;
    if (trace_writer_create(argv[optind], &info, &w) != TRACE_OK) {
        perror(argv[optind]);
        return 1;
    }
    const char *strings[] = { "fd", "socket", "FILE", "request", "gc: allocation threshold", "checkpoint", "worker" };
    for (uint32_t i = 0; i < 7; i++)
        trace_writer_add_string(w, i + 1, strings[i], strlen(strings[i]));
    uint64_t frames[64];
    for (uint32_t i = 1; i <= stacks; i++) {
        uint64_t prefix = i;
        for (uint32_t k = 0; k < depth; k++) { /* innermost first: the longest prefix */
            frames[k] = 0x401000 + ((uint64_t)(depth - 1 - k) << 24) + (prefix % (1u << 20)) * 16;
            prefix /= 4;
        }
        trace_writer_add_stack(w, i, frames, depth);
    }
    gen_thread *th = calloc(threads, sizeof *th);
    for (uint32_t t = 0; t < threads; t++) {
        th[t].ts = 1000000000 + t;
        th[t].seed = 0x9E3779B97F4A7C15ull * (t + 1);
    }
    uint64_t per = events / threads, res_every = resources ? events / resources : 0, n = 0;
    for (uint64_t round = 0; n < events; round++) {
        for (uint32_t t = 0; t < threads && n < events; t++) {
            gen_thread *g = &th[t];
            uint32_t tid = 1000 + t;
            uint64_t batch = per - g->done < BATCH ? per - g->done : BATCH;
            if (t == threads - 1 && per * threads < events && g->done + batch >= per)
                batch = events - n; /* the remainder */
            for (uint64_t i = 0; i < batch && n < events; i++, n++, g->done++) {
                g->ts += 20 + rnd(&g->seed) % 200;
                trace_event ev = { .ts = g->ts };
                int64_t delta = 0;
                uint64_t r = rnd(&g->seed);
                if (g->done == 0) {
                    ev.kind = TRACE_THREAD_NAME;
                    ev.str = 7;
                } else if (gc_every && n % gc_every == gc_every / 2 && t == 0) {
                    ev.kind = TRACE_GC_BEGIN;
                    ev.str = 5;
                    put(w, tid, &ev, 0);
                    g->ts += 200000 + (r % 16 == 0 ? 20000000 : r % 3000000); /* some pauses are long */
                    ev = (trace_event){ .kind = TRACE_GC_END, .ts = g->ts };
                    i++, n++, g->done++;
                } else if (res_every && n % res_every == 0) {
                    uint32_t slot = r % 64;
                    ev.str = 1 + (r >> 8) % 3;
                    if (g->res_open[slot] && (r >> 16) % 8) {
                        ev.kind = TRACE_RES_CLOSE;
                        ev.value = g->res_open[slot];
                        ev.str = 1 + (g->res_open[slot] >> 32);
                        g->res_open[slot] = 0;
                    } else {
                        ev.kind = TRACE_RES_OPEN;
                        ev.value = ((ev.str - 1) << 32) | (n & 0xffffffu);
                        g->res_open[slot] = ev.value;
                    }
                } else if (r % 50000 == 0) {
                    ev.kind = TRACE_MARK;
                    ev.str = 6;
                } else if (r % 2000 == 1) {
                    ev.kind = g->spans_open ? TRACE_SPAN_END : TRACE_SPAN_BEGIN;
                    ev.str = 4;
                    g->spans_open = !g->spans_open;
                } else {
                    uint32_t slot = (uint32_t)((r >> 12) % LIVE);
                    if (g->live[slot] && !g->leaker[slot]) {
                        ev.kind = TRACE_FREE;
                        ev.addr = g->live[slot];
                        delta = -(int64_t)g->size[slot];
                        g->live[slot] = 0;
                    } else { /* over a leaking block, if any: it leaks */
                        g->leaker[slot] = (r >> 40) % 1000 == 0; /* 0.1% of blocks leak */
                        ev.kind = TRACE_ALLOC;
                        ev.addr = ((uint64_t)(t + 1) << 40) +
                                  (g->leaker[slot] ? 1ull << 39 | g->leaks++ * 16
                                                   : (((uint64_t)slot << 20) | (n & 0xfffff)) * 16);
                        ev.size = 16 + (r >> 24) % 4096;
                        ev.stack = 1 + (r >> 32) % stacks;
                        g->live[slot] = ev.addr;
                        g->size[slot] = (uint32_t)ev.size;
                        delta = (int64_t)ev.size;
                    }
                }
                put(w, tid, &ev, delta);
            }
        }
    }
    trace_status st = trace_writer_close(w, 0);
    free(th);
    if (st != TRACE_OK) {
        fprintf(stderr, "gen-trace: %s\n", trace_strerror(st));
        return 1;
    }
    return 0;
}
