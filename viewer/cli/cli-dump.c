/* cli-dump.c — `leakscope dump FILE`: every chunk and record in file order,
 * one per line, driven by the format's kind table. Stable output for golden
 * tests; untrusted strings are escaped.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "trace-reader.h"

#include <string.h>

static const char *chunk_kind_name(uint32_t k)
{
    switch (k) {
    case TRACE_CHUNK_EVENTS: return "events";
    case TRACE_CHUNK_DICT: return "dict";
    case TRACE_CHUNK_END: return "end";
    case TRACE_CHUNK_HEAP: return "heap";
    }
    return "unknown";
}

static void dump_bytes_escaped(const void *p, uint32_t len)
{
    const unsigned char *s = p;
    putchar('"');
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
            printf("\\x%02x", s[i]);
        else
            putchar(s[i]);
    }
    putchar('"');
}

/* One record; `major`: the file's version, whose fields the event has. */
static void dump_record(const trace_event *ev, unsigned major)
{
    switch (ev->kind) {
    case TRACE_STRING_DEF:
        printf("  string %llu ", (unsigned long long)ev->value);
        dump_bytes_escaped(ev->data, ev->data_len);
        putchar('\n');
        return;
    case TRACE_STACK_DEF:
        printf("  stack %llu [", (unsigned long long)ev->value);
        for (uint32_t i = 0; i < ev->depth; i++)
            printf("%s0x%llx", i ? " " : "", (unsigned long long)ev->frames[i]);
        puts("]");
        return;
    case TRACE_MODULE_DEF:
        printf("  module ts=%llu bias=0x%llx range=0x%llx-0x%llx path=", (unsigned long long)ev->ts,
               (unsigned long long)ev->addr, (unsigned long long)ev->addr2, (unsigned long long)ev->size);
        dump_bytes_escaped(ev->data, ev->data_len);
        printf(" build_id=");
        for (uint32_t i = 0; i < ev->data2_len; i++)
            printf("%02x", ((const unsigned char *)ev->data2)[i]);
        putchar('\n');
        return;
    }
    const trace_kind_info *k = trace_kind_get(ev->kind);
    printf("  %llu %s", (unsigned long long)ev->ts, k ? k->name : "?");
    for (const trace_field_info *f = k ? k->fields : NULL; f && f->type != TRACE_FIELD_NONE; f++) {
        if (!trace_field_in(f, major))
            continue;
        uint64_t v;
        memcpy(&v, (const unsigned char *)ev + f->offset, sizeof v);
        if (f->type == TRACE_FIELD_ADDR_NEW || f->type == TRACE_FIELD_ADDR_OLD)
            printf(" %s=0x%llx", f->name, (unsigned long long)v);
        else
            printf(" %s=%llu", f->name, (unsigned long long)v);
    }
    putchar('\n');
}

/* A heap snapshot's summary: its counts, per kind of root range too. */
static trace_status dump_heap(trace_reader *r, const trace_chunk_info *ci)
{
    trace_heap_graph *s;
    trace_status st = trace_heap_snapshot_load(r, ci, &s);
    if (st != TRACE_OK)
        return st;
    uint64_t bytes = 0, start_refs = 0;
    for (uint32_t i = 0; i < s->nblocks; i++)
        bytes += s->size[i];
    for (uint32_t i = 0; i < s->nedges; i++)
        start_refs += s->edges[i].value == s->addr[s->edges[i].to];
    uint32_t ranges[TRACE_ROOT_MAPPED + 1] = { 0 }, roots[TRACE_ROOT_MAPPED + 1] = { 0 }; /* the reader checks kinds */
    for (uint32_t i = 0; i < s->nranges; i++)
        ranges[s->ranges[i].kind]++;
    for (uint32_t i = 0; i < s->nroots; i++)
        roots[s->roots[i].kind]++;
    printf("  heap ts=%llu thread=%u label=", (unsigned long long)s->ts, s->thread);
    dump_bytes_escaped(s->label, s->label_len);
    printf(" flags=%u blocks=%u bytes=%llu edges=%u interior_edges=%llu roots=%u (module %u, stack %u, tls %u, mapped %u)"
           " ranges=%u (module %u, stack %u, tls %u, mapped %u) unreadable=%llu\n",
           s->flags, s->nblocks, (unsigned long long)bytes, s->nedges, (unsigned long long)(s->nedges - start_refs),
           s->nroots, roots[TRACE_ROOT_MODULE], roots[TRACE_ROOT_STACK], roots[TRACE_ROOT_TLS], roots[TRACE_ROOT_MAPPED],
           s->nranges, ranges[TRACE_ROOT_MODULE], ranges[TRACE_ROOT_STACK], ranges[TRACE_ROOT_TLS],
           ranges[TRACE_ROOT_MAPPED], (unsigned long long)s->unreadable);
    trace_heap_snapshot_free(s);
    return TRACE_END;
}

/* The damage the reader found since the last call, in file order; returns
 * how many entries have been shown. */
static uint32_t dump_damage(const trace_reader *r, uint32_t shown)
{
    char line[400];
    for (; shown < trace_reader_damage_count(r); shown++) {
        fputs("damaged ", stdout);
        cli_text_string(stdout, trace_damage_describe(trace_reader_damage(r, shown), trace_reader_info(r)->start_ts,
                                                      line, sizeof line));
        putchar('\n');
    }
    return shown;
}

int cli_dump(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            puts("usage: leakscope dump FILE");
            return CLI_OK;
        }
        cli_error("dump: expected one trace file (usage: leakscope dump FILE)");
        return CLI_BAD_INPUT;
    }
    const char *path = argv[1];
    trace_reader *r;
    trace_error err;
    if (trace_reader_open(path, &r, &err) != TRACE_OK) {
        cli_error("%s: %s", path, err.message);
        return CLI_BAD_INPUT;
    }
    const trace_file_info *fi = trace_reader_info(r);
    printf("header version=%u.%u pid=%u clock=%u unit_ns=%u start_ts=%llu stack_depth=%u program=", fi->version_major,
           fi->version_minor, fi->pid, fi->clock_id, fi->time_unit_ns, (unsigned long long)fi->start_ts,
           fi->stack_depth);
    dump_bytes_escaped(fi->program, (uint32_t)strlen(fi->program));
    putchar('\n');
    trace_chunk *c = trace_chunk_new();
    int rc = CLI_OK;
    trace_chunk_info ci;
    trace_status st = TRACE_OK;
    while (c && (st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
        printf("chunk offset=%llu kind=%s thread=%u first_ts=%llu last_ts=%llu count=%u raw=%u comp=%u seq=%u\n",
               (unsigned long long)ci.offset, chunk_kind_name(ci.kind), ci.thread, (unsigned long long)ci.first_ts,
               (unsigned long long)ci.last_ts, ci.count, ci.raw_size, ci.comp_size, ci.seq);
        if (ci.kind == TRACE_CHUNK_END)
            continue;
        if (ci.kind == TRACE_CHUNK_HEAP) {
            if ((st = dump_heap(r, &ci)) != TRACE_END)
                break;
            continue;
        }
        trace_event ev;
        st = trace_chunk_load(c, r, &ci);
        while (st == TRACE_OK && (st = trace_chunk_next(c, &ev)) == TRACE_OK)
            dump_record(&ev, fi->version_major);
        if (st != TRACE_END)
            break;
    }
    /* After the last chunk: the END chunk's total says what damage lost. */
    dump_damage(r, 0);
    if (trace_reader_lost_id_refs(r))
        printf("lost ids %llu event fields named dictionary ids lost with damage (given as 0)\n",
               (unsigned long long)trace_reader_lost_id_refs(r));
    if (!c) {
        cli_error("%s: out of memory", path);
        rc = CLI_FAIL;
    } else if (st == TRACE_ERR_TRUNCATED) {
        printf("truncated at byte offset %llu\n", (unsigned long long)trace_reader_error(r)->offset);
    } else if (st != TRACE_END) {
        fflush(stdout);
        cli_error("%s: %s", path, trace_reader_error(r)->message);
        rc = CLI_BAD_INPUT;
    } else {
        uint64_t events, lost;
        if (trace_reader_complete(r, &events, &lost))
            printf("end events=%llu lost=%llu\n", (unsigned long long)events, (unsigned long long)lost);
        else
            printf("no end marker\n");
    }
    trace_chunk_free(c);
    trace_reader_close(r);
    return rc;
}
