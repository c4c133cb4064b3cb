/* intern.c — the stack and string dictionaries.
 *
 * Ids are handed out under one mutex; each thread keeps a small direct-mapped
 * cache in front of it, so the mutex is taken only the first time a thread
 * meets a stack or string. Stored frames and strings live in an arena that is
 * never unmapped (reset and reused by the next recording), so a pointer a
 * thread cached is always readable.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <pthread.h>
#include <string.h>

#define ARENA_BLOCK (1u << 20)

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    uint8_t data[];
} arena_block;

typedef struct table {
    void *slots;          /* ls_stack_slot[] or ls_string_slot[] */
    uint32_t cap, count;  /* cap is a power of two, or 0 */
    void *by_id;          /* same slot type, index id - 1 */
    uint32_t by_id_cap;
    uint32_t written;     /* ids 1..written are in the file */
} table;

static struct {
    pthread_mutex_t lock;
    uint32_t gen;
    size_t max_bytes, used_bytes;
    arena_block *blocks, *cur;
    table stacks, strings;
} I = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 31);
}

/* Every stack recorded is hashed: a sum of independent products (the
 * multiplies overlap; only the adds form a chain), each frame rotated by its
 * position so that order counts, then mixed once. */
static uint64_t hash_frames(const uint64_t *f, uint32_t n)
{
    uint64_t h = 0x6c6b73636f70ull + n;
    for (uint32_t i = 0; i < n; i++) {
        unsigned r = (i * 13u) & 63u;
        uint64_t v = r ? f[i] << r | f[i] >> (64u - r) : f[i];
        h += v * (0x9E3779B97F4A7C15ull + 2u * i);
    }
    return mix(h, h >> 29) | 1; /* 0 marks an empty slot */
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = mix(0x737472ull, n);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        h = mix(h, v);
    }
    uint64_t tail = 0;
    memcpy(&tail, s + i, n - i);
    return mix(h, tail) | 1;
}

/* Arena allocation; NULL when the configured memory is used up. Lock held. */
static void *arena_alloc(size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (I.used_bytes + n > I.max_bytes)
        return NULL;
    while (!I.cur || I.cur->size - I.cur->used < n) {
        if (I.cur && I.cur->next) {
            I.cur = I.cur->next;
            I.cur->used = 0;
            continue;
        }
        size_t size = n + sizeof(arena_block) > ARENA_BLOCK ? n + sizeof(arena_block) : ARENA_BLOCK;
        arena_block *b = ls_map(size);
        if (!b)
            return NULL;
        b->size = size - sizeof(arena_block);
        b->used = 0;
        b->next = NULL;
        if (I.cur)
            I.cur->next = b;
        else
            I.blocks = b;
        I.cur = b;
    }
    void *p = I.cur->data + I.cur->used;
    I.cur->used += n;
    I.used_bytes += n;
    return p;
}

/* Makes room for one more entry in a table of slots of `slot_size` bytes. */
static bool table_grow(table *t, size_t slot_size, uint64_t (*hash_of)(const void *slot))
{
    if (t->count + 1 > t->by_id_cap) {
        uint32_t cap = t->by_id_cap ? t->by_id_cap * 2 : 1024;
        void *n = ls_map((size_t)cap * slot_size);
        if (!n)
            return false;
        if (t->by_id) {
            memcpy(n, t->by_id, (size_t)t->count * slot_size);
            ls_unmap(t->by_id, (size_t)t->by_id_cap * slot_size);
        }
        t->by_id = n;
        t->by_id_cap = cap;
    }
    if ((t->count + 1) * 2 > t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 2048;
        uint8_t *n = ls_map((size_t)cap * slot_size);
        if (!n)
            return false;
        for (uint32_t i = 0; i < t->count; i++) {
            const uint8_t *s = (const uint8_t *)t->by_id + (size_t)i * slot_size;
            uint32_t j = (uint32_t)hash_of(s) & (cap - 1);
            while (hash_of(n + (size_t)j * slot_size) != 0)
                j = (j + 1) & (cap - 1);
            memcpy(n + (size_t)j * slot_size, s, slot_size);
        }
        if (t->slots)
            ls_unmap(t->slots, (size_t)t->cap * slot_size);
        t->slots = n;
        t->cap = cap;
    }
    return true;
}

/* Appends a new entry (its id is count + 1) and indexes it; room was made by
 * table_grow. Every slot type starts with its uint64_t hash. */
static void table_add(table *t, const void *slot, size_t slot_size, uint64_t hash)
{
    memcpy((uint8_t *)t->by_id + (size_t)t->count++ * slot_size, slot, slot_size);
    uint8_t *slots = t->slots;
    uint32_t j = (uint32_t)hash & (t->cap - 1);
    uint64_t used;
    while (memcpy(&used, slots + (size_t)j * slot_size, sizeof used), used)
        j = (j + 1) & (t->cap - 1);
    memcpy(slots + (size_t)j * slot_size, slot, slot_size);
}

static uint64_t stack_hash_of(const void *s) { return ((const ls_stack_slot *)s)->hash; }
static uint64_t string_hash_of(const void *s) { return ((const ls_string_slot *)s)->hash; }

static void table_clear(table *t, size_t slot_size)
{
    if (t->slots)
        memset(t->slots, 0, (size_t)t->cap * slot_size);
    t->count = 0;
    t->written = 0;
}

void ls_intern_reset(uint32_t gen, size_t max_bytes)
{
    pthread_mutex_lock(&I.lock);
    __atomic_store_n(&I.gen, gen, __ATOMIC_RELEASE);
    I.max_bytes = max_bytes;
    I.used_bytes = 0;
    I.cur = I.blocks;
    if (I.cur)
        I.cur->used = 0;
    table_clear(&I.stacks, sizeof(ls_stack_slot));
    table_clear(&I.strings, sizeof(ls_string_slot));
    pthread_mutex_unlock(&I.lock);
}

/* Takes the table's mutex, or only tries to where waiting is not allowed. */
static bool lock_table(void)
{
    if (ls_nonblocking())
        return pthread_mutex_trylock(&I.lock) == 0;
    pthread_mutex_lock(&I.lock);
    return true;
}

static void cache_check_gen(ls_intern_cache *c)
{
    uint32_t gen = __atomic_load_n(&I.gen, __ATOMIC_ACQUIRE);
    if (LS_UNLIKELY(c->gen != gen)) {
        memset(c->stacks, 0, sizeof c->stacks);
        memset(c->strings, 0, sizeof c->strings);
        c->last_depth = 0;
        c->gen = gen;
    }
}

/* A few words, at every stack recorded: inline, not a call to memcmp. */
static inline bool same_frames(const uint64_t *a, const uint64_t *b, uint32_t depth)
{
    uint64_t diff = 0;
    for (uint32_t i = 0; i < depth; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

/* Remembers the stack just interned as the thread's last. */
static inline uint32_t remember(ls_intern_cache *c, const uint64_t *frames, uint32_t depth, uint32_t id)
{
    if (id && depth <= LS_LAST_STACK) {
        memcpy(c->last, frames, depth * sizeof *frames);
        c->last_depth = depth;
        c->last_id = id;
    }
    return id;
}

static uint32_t intern_stack(ls_intern_cache *c, const uint64_t *frames, uint32_t depth);

uint32_t ls_intern_stack(ls_intern_cache *c, const uint64_t *frames, uint32_t depth)
{
    cache_check_gen(c);
    if (depth && depth == c->last_depth && same_frames(c->last, frames, depth))
        return c->last_id;
    return remember(c, frames, depth, intern_stack(c, frames, depth));
}

static uint32_t intern_stack(ls_intern_cache *c, const uint64_t *frames, uint32_t depth)
{
    uint64_t h = hash_frames(frames, depth);
    ls_stack_slot *cs = &c->stacks[h & (LS_STACK_CACHE - 1)];
    if (cs->hash == h && cs->depth == depth && same_frames(cs->frames, frames, depth))
        return cs->id;

    uint32_t id = 0;
    if (!lock_table())
        return 0;
    if (I.gen != c->gen)
        goto out; /* a new recording began meanwhile */
    table *t = &I.stacks;
    if (t->cap) {
        ls_stack_slot *slots = t->slots;
        for (uint32_t j = (uint32_t)h & (t->cap - 1); slots[j].hash; j = (j + 1) & (t->cap - 1)) {
            if (slots[j].hash == h && slots[j].depth == depth &&
                memcmp(slots[j].frames, frames, depth * sizeof *frames) == 0) {
                *cs = slots[j];
                id = cs->id;
                goto out;
            }
        }
    }
    if (!table_grow(t, sizeof(ls_stack_slot), stack_hash_of))
        goto out;
    uint64_t *copy = arena_alloc(depth * sizeof *frames + 1);
    if (!copy)
        goto out;
    memcpy(copy, frames, depth * sizeof *frames);
    ls_stack_slot s = { h, copy, depth, t->count + 1 };
    table_add(t, &s, sizeof s, h);
    *cs = s;
    id = s.id;
out:
    pthread_mutex_unlock(&I.lock);
    return id;
}

uint32_t ls_intern_string(ls_intern_cache *c, const char *str)
{
    if (!str)
        return 0;
    cache_check_gen(c);
    size_t len = strnlen(str, TRACE_STRING_MAX);
    uint64_t h = hash_bytes(str, len);
    ls_string_slot *cs = &c->strings[h & (LS_STRING_CACHE - 1)];
    if (cs->hash == h && cs->len == len && memcmp(cs->text, str, len) == 0)
        return cs->id;

    uint32_t id = 0;
    if (!lock_table())
        return 0;
    if (I.gen != c->gen)
        goto out;
    table *t = &I.strings;
    if (t->cap) {
        ls_string_slot *slots = t->slots;
        for (uint32_t j = (uint32_t)h & (t->cap - 1); slots[j].hash; j = (j + 1) & (t->cap - 1)) {
            if (slots[j].hash == h && slots[j].len == len && memcmp(slots[j].text, str, len) == 0) {
                *cs = slots[j];
                id = cs->id;
                goto out;
            }
        }
    }
    if (!table_grow(t, sizeof(ls_string_slot), string_hash_of))
        goto out;
    char *copy = arena_alloc(len + 1);
    if (!copy)
        goto out;
    memcpy(copy, str, len);
    copy[len] = '\0';
    ls_string_slot s = { h, copy, (uint32_t)len, t->count + 1 };
    table_add(t, &s, sizeof s, h);
    *cs = s;
    id = s.id;
out:
    pthread_mutex_unlock(&I.lock);
    return id;
}

void ls_intern_lock(void) { pthread_mutex_lock(&I.lock); }
void ls_intern_unlock(void) { pthread_mutex_unlock(&I.lock); }

void ls_intern_drain(trace_writer *w)
{
    pthread_mutex_lock(&I.lock);
    for (; I.strings.written < I.strings.count; I.strings.written++) {
        const ls_string_slot *s = (const ls_string_slot *)I.strings.by_id + I.strings.written;
        trace_writer_add_string(w, s->id, s->text, s->len);
    }
    for (; I.stacks.written < I.stacks.count; I.stacks.written++) {
        const ls_stack_slot *s = (const ls_stack_slot *)I.stacks.by_id + I.stacks.written;
        trace_writer_add_stack(w, s->id, s->frames, s->depth);
    }
    pthread_mutex_unlock(&I.lock);
}
