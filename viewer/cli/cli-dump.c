/* cli-dump.c — `leakscope dump FILE`: every chunk and record in file order,
 * one per line, driven by the format's kind table. Stable output for golden
 * tests; untrusted strings are escaped.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "walk.h"

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
static void dump_heap(void *user, const trace_heap_graph *s)
{
    (void)user;
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
}

static void dump_header(void *user, const trace_file_info *fi)
{
    (void)user;
    printf("header version=%u.%u pid=%u clock=%u unit_ns=%u start_ts=%llu stack_depth=%u program=", fi->version_major,
           fi->version_minor, fi->pid, fi->clock_id, fi->time_unit_ns, (unsigned long long)fi->start_ts,
           fi->stack_depth);
    dump_bytes_escaped(fi->program, (uint32_t)strlen(fi->program));
    putchar('\n');
}

static void dump_chunk(void *user, const trace_chunk_info *ci)
{
    (void)user;
    printf("chunk offset=%llu kind=%s thread=%u first_ts=%llu last_ts=%llu count=%u raw=%u comp=%u seq=%u\n",
           (unsigned long long)ci->offset, chunk_kind_name(ci->kind), ci->thread, (unsigned long long)ci->first_ts,
           (unsigned long long)ci->last_ts, ci->count, ci->raw_size, ci->comp_size, ci->seq);
}

/* An events chunk's summary: its totals, then a line per segment. */
static void dump_summary(void *user, const trace_chunk_summary *s)
{
    (void)user;
    printf("  summary heap_known=%d alloc_bytes=%llu released_bytes=%llu unknown_releases=%u kinds=", s->heap_known,
           (unsigned long long)s->alloc_bytes, (unsigned long long)s->released_bytes, s->unknown_releases);
    const char *sep = "";
    for (uint32_t k = 0; k < 16; k++) {
        if (s->kind_counts[k]) {
            printf("%s%s:%u", sep, trace_kind_name(k), s->kind_counts[k]);
            sep = ",";
        }
    }
    printf(" segments=%u\n", s->nsegments);
    for (uint32_t i = 0; i < s->nsegments; i++) {
        const trace_segment_summary *g = &s->seg[i];
        printf("  segment events=%u first_ts=%llu last_ts=%llu heap_end=%lld heap_min=%lld heap_max=%lld "
               "res_end=%lld res_min=%lld res_max=%lld\n",
               g->events, (unsigned long long)g->first_ts, (unsigned long long)g->last_ts, (long long)g->heap_end,
               (long long)g->heap_min, (long long)g->heap_max, (long long)g->res_end, (long long)g->res_min,
               (long long)g->res_max);
    }
}

static void dump_record_cb(void *user, const trace_event *ev, unsigned major)
{
    (void)user;
    dump_record(ev, major);
}

static void dump_damage(void *user, const char *line)
{
    (void)user;
    fputs("damaged ", stdout);
    cli_text_string(stdout, line);
    putchar('\n');
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
    static const ls_walk_fns fns = { dump_header, dump_chunk, dump_record_cb, dump_heap, dump_damage,
                                     dump_summary };
    ls_walk_end end;
    trace_error err;
    if (ls_walk(path, &fns, NULL, &end, &err) != TRACE_OK) {
        cli_error("%s: %s", path, err.message);
        return CLI_BAD_INPUT;
    }
    if (end.lost_id_refs)
        printf("lost ids %llu event fields named dictionary ids lost with damage (given as 0)\n",
               (unsigned long long)end.lost_id_refs);
    if (end.status == TRACE_ERR_NOMEM) {
        cli_error("%s: out of memory", path);
        return CLI_FAIL;
    }
    if (end.status == TRACE_ERR_TRUNCATED) {
        printf("truncated at byte offset %llu\n", (unsigned long long)end.error.offset);
    } else if (end.status != TRACE_END) {
        fflush(stdout);
        cli_error("%s: %s", path, end.error.message);
        return CLI_BAD_INPUT;
    } else if (end.complete) {
        printf("end events=%llu lost=%llu\n", (unsigned long long)end.events, (unsigned long long)end.lost);
    } else {
        printf("no end marker\n");
    }
    return CLI_OK;
}
