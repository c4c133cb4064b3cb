/* heap-graph.c — prints every heap snapshot of a trace record by record,
 * for the tests that check a recorded heap graph exactly (check-heapscan.py):
 *
 *   snapshot INDEX label=LABEL thread=TID flags=F blocks=N edges=N roots=N ranges=N unreadable=U
 *   block ADDR SIZE
 *   range KIND THREAD BIAS START SIZE
 *   root KIND THREAD_OR_0 OFFSET_OR_ADDRESS VALUE TARGET_ADDR
 *   edge FROM_ADDR WORD VALUE TARGET_ADDR
 *
 * Numbers in hex but counts, labels escaped. Exit 0, or 2 with one line on
 * a bad trace.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-index.h"

#include <stdio.h>

static const char *kind_name(uint32_t k)
{
    return k == TRACE_ROOT_MODULE ? "module" : k == TRACE_ROOT_STACK ? "stack" : k == TRACE_ROOT_TLS ? "tls" : k == TRACE_ROOT_MAPPED ? "mapped" : "?";
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: heap-graph FILE\n");
        return 2;
    }
    ls_index *idx;
    trace_error err;
    if (ls_index_open(argv[1], &idx, &err) != TRACE_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 2;
    }
    int rc = 0;
    for (uint32_t i = 0; i < idx->nsnapshots; i++) {
        trace_heap_graph *s;
        if (ls_index_snapshot(idx, i, &s, &err) != TRACE_OK) {
            fprintf(stderr, "%s: %s\n", argv[1], err.message);
            rc = 2;
            break;
        }
        printf("snapshot %u label=", i);
        for (uint32_t k = 0; k < s->label_len; k++) {
            unsigned char ch = (unsigned char)s->label[k];
            if (ch <= ' ' || ch >= 0x7f || ch == '\\')
                printf("\\x%02x", ch);
            else
                putchar(ch);
        }
        printf(" thread=%u flags=%u blocks=%u edges=%u roots=%u ranges=%u unreadable=%llu\n", s->thread, s->flags,
               s->nblocks, s->nedges, s->nroots, s->nranges, (unsigned long long)s->unreadable);
        for (uint32_t k = 0; k < s->nblocks; k++)
            printf("block %llx %llx\n", (unsigned long long)s->addr[k], (unsigned long long)s->size[k]);
        for (uint32_t k = 0; k < s->nranges; k++) {
            const trace_heap_range *g = &s->ranges[k];
            printf("range %s %u %llx %llx %llx\n", kind_name(g->kind), g->thread, (unsigned long long)g->bias,
                   (unsigned long long)g->start, (unsigned long long)g->size);
        }
        for (uint32_t k = 0; k < s->nroots; k++) {
            const trace_heap_root *r = &s->roots[k];
            printf("root %s %u %llx %llx %llx\n", kind_name(r->kind),
                   r->kind == TRACE_ROOT_MODULE ? 0 : r->module_or_thread, (unsigned long long)r->offset_or_address,
                   (unsigned long long)r->value, (unsigned long long)s->addr[r->to]);
        }
        for (uint32_t k = 0; k < s->nedges; k++) {
            const trace_heap_edge *d = &s->edges[k];
            printf("edge %llx %u %llx %llx\n", (unsigned long long)s->addr[d->from], d->word,
                   (unsigned long long)d->value, (unsigned long long)s->addr[d->to]);
        }
        trace_heap_snapshot_free(s);
    }
    ls_index_unref(idx);
    return rc;
}
