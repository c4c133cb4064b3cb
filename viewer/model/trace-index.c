/* trace-index.c — see trace-index.h.
 *
 * One walk over the chunk headers in file order: dictionary chunks are
 * decoded as they come (they precede the events chunks that use their ids),
 * events chunks are only listed. The reader checks every chunk's CRC and
 * sequence on the way and keeps what it skipped as damage.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-index.h"
#include "grow.h"
#include "trace-reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    ls_index *idx;
    trace_error *err;
    uint32_t strings_cap, stacks_cap, modules_cap, chunks_cap, snapshots_cap, summaries_cap;
    bool any_summary;
    uint64_t *stack_off;      /* per stack id: offset into frame_pool */
    size_t frame_len, frame_cap;
} builder;

static trace_status nomem(builder *B)
{
    B->err->status = TRACE_ERR_NOMEM;
    B->err->offset = 0;
    snprintf(B->err->message, sizeof B->err->message, "out of memory");
    return TRACE_ERR_NOMEM;
}

static bool add_string(builder *B, const void *text, uint32_t len)
{
    ls_index *x = B->idx;
    if (!ls_grow32((void **)&x->strings, &B->strings_cap, sizeof *x->strings, x->nstrings + 1))
        return false;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return false;
    if (len)
        memcpy(s, text, len);
    s[len] = '\0';
    x->strings[x->nstrings++] = (ls_string){ s, len };
    return true;
}

static bool add_stack(builder *B, const uint64_t *frames, uint32_t depth)
{
    ls_index *x = B->idx;
    uint32_t cap = B->stacks_cap;
    if (!ls_grow32((void **)&x->stacks, &B->stacks_cap, sizeof *x->stacks, x->nstacks + 1))
        return false;
    /* stack_off follows the stacks' capacity: resized only when it grows (a
     * realloc a stack was a copy each time under some allocators: ASan's) */
    if (B->stacks_cap != cap || !B->stack_off) {
        uint64_t *p = realloc(B->stack_off, (size_t)B->stacks_cap * sizeof *p);
        if (!p)
            return false;
        B->stack_off = p;
    }
    uint64_t *off = B->stack_off;
    if (B->frame_len + depth > B->frame_cap) {
        size_t nc = B->frame_cap ? B->frame_cap * 2 : 4096;
        while (nc < B->frame_len + depth)
            nc *= 2;
        uint64_t *p = realloc(x->frame_pool, nc * sizeof *p);
        if (!p)
            return false;
        x->frame_pool = p;
        B->frame_cap = nc;
    }
    if (depth)
        memcpy(x->frame_pool + B->frame_len, frames, depth * sizeof *frames);
    off[x->nstacks] = B->frame_len;
    x->stacks[x->nstacks++] = (ls_stack){ NULL, depth };
    B->frame_len += depth;
    return true;
}

static trace_status take_dict(builder *B, const trace_event *ev)
{
    ls_index *x = B->idx;
    switch (ev->kind) {
    case TRACE_STRING_DEF:
        /* Ids lost with a damaged dictionary chunk (the reader allows the
         * jump only after damage) stay empty: events naming them get id 0. */
        while (ev->value > (uint64_t)x->nstrings)
            if (!add_string(B, "", 0))
                return nomem(B);
        if (ev->value == (uint64_t)x->nstrings && !add_string(B, ev->data, ev->data_len))
            return nomem(B);
        return TRACE_OK; /* else a repeat of a known id (the reader checked the order) */
    case TRACE_STACK_DEF:
        while (ev->value > (uint64_t)x->nstacks)
            if (!add_stack(B, NULL, 0))
                return nomem(B);
        if (ev->value == (uint64_t)x->nstacks && !add_stack(B, ev->frames, ev->depth))
            return nomem(B);
        return TRACE_OK;
    case TRACE_MODULE_DEF: {
        if (!ls_grow32((void **)&x->modules, &B->modules_cap, sizeof *x->modules, x->nmodules + 1))
            return nomem(B);
        ls_module *m = &x->modules[x->nmodules];
        memset(m, 0, sizeof *m);
        m->path = malloc(ev->data_len + 1);
        if (!m->path)
            return nomem(B);
        memcpy(m->path, ev->data, ev->data_len);
        m->path[ev->data_len] = '\0';
        m->ts = ev->ts;
        m->bias = ev->addr;
        m->start = ev->addr2;
        m->end = ev->size;
        m->build_id_len = ev->data2_len;
        memcpy(m->build_id, ev->data2, ev->data2_len);
        x->nmodules++;
        return TRACE_OK;
    }
    }
    return TRACE_OK;
}

static trace_status walk(builder *B)
{
    ls_index *x = B->idx;
    trace_chunk *c = trace_chunk_new();
    if (!c)
        return nomem(B);
    trace_status st;
    trace_chunk_info ci;
    x->first_ts = UINT64_MAX;
    while ((st = trace_reader_next_chunk(x->reader, &ci)) == TRACE_OK) {
        if (ci.kind == TRACE_CHUNK_EVENTS) {
            if (!ls_grow32((void **)&x->chunks, &B->chunks_cap, sizeof *x->chunks, x->nchunks + 1)) {
                st = nomem(B);
                break;
            }
            /* Its summary, beside it (kept out of trace_chunk_info, which
             * is copied in hot paths). */
            if (!ls_grow32((void **)&x->summaries, &B->summaries_cap, sizeof *x->summaries, x->nchunks + 1)) {
                st = nomem(B);
                break;
            }
            B->any_summary |= trace_reader_chunk_summary(x->reader, &x->summaries[x->nchunks]);
            x->chunks[x->nchunks++] = ci;
            x->chunk_events += ci.count;
            if (ci.first_ts < x->first_ts)
                x->first_ts = ci.first_ts;
            if (ci.last_ts > x->last_ts)
                x->last_ts = ci.last_ts;
        } else if (ci.kind == TRACE_CHUNK_HEAP) {
            /* Decoded on demand (ls_index_snapshot): a snapshot can be
             * tens of megabytes, and most clients never look at one. */
            if (!ls_grow32((void **)&x->snapshots, &B->snapshots_cap, sizeof *x->snapshots, x->nsnapshots + 1)) {
                st = nomem(B);
                break;
            }
            x->snapshots[x->nsnapshots++] = ci;
        } else if (ci.kind == TRACE_CHUNK_DICT) {
            st = trace_chunk_load(c, x->reader, &ci);
            trace_event ev;
            while (st == TRACE_OK && (st = trace_chunk_next(c, &ev)) == TRACE_OK)
                st = take_dict(B, &ev);
            if (st != TRACE_END)
                break;
        }
    }
    trace_chunk_free(c);
    if (!x->nchunks)
        x->first_ts = 0;
    if (!B->any_summary) {
        free(x->summaries);
        x->summaries = NULL;
    }
    if (st == TRACE_ERR_TRUNCATED) {
        x->truncated = true;
        x->truncated_at = trace_reader_error(x->reader)->offset;
        st = TRACE_END;
    }
    if (st != TRACE_END) {
        if (st != TRACE_ERR_NOMEM)
            *B->err = *trace_reader_error(x->reader);
        return st;
    }
    x->complete = trace_reader_complete(x->reader, &x->end_events, &x->end_lost);
    x->skipped_chunks = trace_reader_skipped(x->reader);
    x->ndamage = trace_reader_damage_count(x->reader);
    if (x->ndamage && !(x->damage = malloc((size_t)x->ndamage * sizeof *x->damage)))
        return nomem(B);
    for (uint32_t i = 0; i < x->ndamage; i++)
        x->damage[i] = *trace_reader_damage(x->reader, i);
    for (uint32_t i = 0; i < x->nstacks; i++)
        x->stacks[i].frames = x->frame_pool ? x->frame_pool + B->stack_off[i] : NULL;
    return TRACE_OK;
}

/* An events chunk's header and summary, as the unverified walk finds it. */
static bool take_header(void *user, const trace_chunk_info *ci, const trace_chunk_summary *s)
{
    builder *B = user;
    ls_index *x = B->idx;
    if (ci->kind != TRACE_CHUNK_EVENTS)
        return true;
    if (!ls_grow32((void **)&x->chunks, &B->chunks_cap, sizeof *x->chunks, x->nchunks + 1) ||
        !ls_grow32((void **)&x->summaries, &B->summaries_cap, sizeof *x->summaries, x->nchunks + 1)) {
        nomem(B);
        return false;
    }
    if (s)
        x->summaries[x->nchunks] = *s;
    else
        memset(&x->summaries[x->nchunks], 0, sizeof *x->summaries);
    B->any_summary |= s != NULL;
    x->chunks[x->nchunks++] = *ci;
    x->chunk_events += ci->count;
    if (ci->first_ts < x->first_ts)
        x->first_ts = ci->first_ts;
    if (ci->last_ts > x->last_ts)
        x->last_ts = ci->last_ts;
    return true;
}

/* The unverified walk (ls_index_open_headers): the events chunks' headers
 * and summaries, no dictionary, no damage. */
static trace_status walk_headers(builder *B)
{
    ls_index *x = B->idx;
    x->unverified = true;
    x->first_ts = UINT64_MAX;
    trace_status st = trace_reader_headers(x->reader, take_header, B);
    if (B->err->status == TRACE_ERR_NOMEM)
        return TRACE_ERR_NOMEM;
    if (st != TRACE_OK) {
        *B->err = *trace_reader_error(x->reader);
        B->err->status = st;
        snprintf(B->err->message, sizeof B->err->message, "%s: the chunk headers could not be read", x->path);
        return st;
    }
    if (!x->nchunks)
        x->first_ts = 0;
    if (!B->any_summary) {
        free(x->summaries);
        x->summaries = NULL;
    }
    return TRACE_OK;
}

/* An index of `path` made by `walk` (the verified walk, or the headers'). */
static trace_status open_index(const char *path, trace_status (*walker)(builder *), ls_index **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    ls_index *x = calloc(1, sizeof *x);
    builder B = { .idx = x, .err = err };
    trace_status st = TRACE_ERR_NOMEM;
    if (!x || !(x->path = strdup(path ? path : ""))) {
        nomem(&B);
        goto fail;
    }
    x->refs = 1;
    /* Id 0 of each dictionary means "none". */
    if (!add_string(&B, "", 0) || !add_stack(&B, NULL, 0)) {
        nomem(&B);
        goto fail;
    }
    if ((st = trace_reader_open(path, &x->reader, err)) != TRACE_OK)
        goto fail;
    x->info = *trace_reader_info(x->reader);
    if ((st = walker(&B)) != TRACE_OK)
        goto fail;
    free(B.stack_off);
    *out = x;
    return TRACE_OK;
fail:
    free(B.stack_off);
    ls_index_unref(x);
    return st;
}

trace_status ls_index_open(const char *path, ls_index **out, trace_error *err)
{
    return open_index(path, walk, out, err);
}

trace_status ls_index_open_headers(const char *path, ls_index **out, trace_error *err)
{
    return open_index(path, walk_headers, out, err);
}

ls_index *ls_index_ref(ls_index *idx)
{
    if (idx)
        __atomic_fetch_add(&idx->refs, 1, __ATOMIC_RELAXED);
    return idx;
}

void ls_index_unref(ls_index *x)
{
    if (!x || __atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    trace_reader_close(x->reader);
    for (uint32_t i = 0; i < x->nstrings; i++)
        free((char *)x->strings[i].text);
    for (uint32_t i = 0; i < x->nmodules; i++)
        free(x->modules[i].path);
    free(x->strings);
    free(x->stacks);
    free(x->modules);
    free(x->frame_pool);
    free(x->chunks);
    free(x->summaries);
    free(x->snapshots);
    free(x->damage);
    free(x->path);
    free(x);
}

ls_merge *ls_index_cursor(const ls_index *idx, uint64_t from, uint64_t to)
{
    trace_reader *r;
    if (trace_reader_dup(idx->reader, &r) != TRACE_OK)
        return NULL;
    ls_merge *m = ls_merge_new(r, idx->chunks, idx->nchunks, from, to);
    if (!m) {
        trace_reader_close(r);
        return NULL;
    }
    ls_merge_own_reader(m);
    return m;
}

trace_status ls_index_snapshot(const ls_index *idx, uint32_t i, trace_heap_graph **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (i >= idx->nsnapshots) {
        err->status = TRACE_ERR_ARGS;
        snprintf(err->message, sizeof err->message, "no heap snapshot %u (the trace has %u)", i, idx->nsnapshots);
        return TRACE_ERR_ARGS;
    }
    trace_reader *r;
    trace_status st = trace_reader_dup(idx->reader, &r);
    if (st != TRACE_OK) {
        err->status = st;
        snprintf(err->message, sizeof err->message, "%s", trace_strerror(st));
        return st;
    }
    st = trace_heap_snapshot_load(r, &idx->snapshots[i], out);
    if (st != TRACE_OK)
        *err = *trace_reader_error(r);
    trace_reader_close(r);
    return st;
}

const char *ls_index_string(const ls_index *idx, uint32_t id)
{
    return id && id < idx->nstrings ? idx->strings[id].text : "";
}

ls_stack ls_index_stack(const ls_index *idx, uint32_t id)
{
    return id && id < idx->nstacks ? idx->stacks[id] : (ls_stack){ NULL, 0 };
}
