/* trace-packed.h — the packed records a recorder keeps in memory until the
 * writer takes them (trace_writer_add_packed, trace-writer.h).
 *
 * Why here and not in recorder/: the writer reads these records with its
 * own internals (trace-writer.c codes runs of the short forms straight into
 * its columns), and format/ depends on nothing of the recorder's. So the
 * layout stays beside the writer, and what is per kind in it comes from
 * the one table of event kinds (TRACE_EVENT_KINDS, trace-format.h): a kind
 * added there, or a field added to a kind, is packed and unpacked with no
 * change here. Only the recorder, the writer and their tests include this.
 *
 * A record is two to five 64-bit words. The first word is the time in
 * ticks of the caller's clock (mapped to nanoseconds by a trace_tick_map;
 * at most TRACE_PACKED_TS_MAX, 2^62 - 1), its top two bits the record's
 * form:
 *   TRACE_PACKED_FREE   ts, ptr                       a free: 2 words
 *   TRACE_PACKED_ALLOC  ts, ptr, size | stack << 32   an allocation of
 *                                                     less than 4 GiB: 3 words
 *   0                   ts, a, b, stack | kind << 32  any event: 4 words,
 *                       then, when kind has TRACE_PACKED_EXT, c: 5 words
 * In the full form a, b and c are the kind's fields other than its stack,
 * in the table's order (REALLOC: a=old b=new c=size; RES_OPEN: a=kind
 * b=handle c=size; MARK: a=label), and its stack field, if it has one, is
 * the stack; a field with no word is 0. The short forms keep the most
 * frequent events in half the memory (a free) and three quarters (an
 * allocation).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_PACKED_H
#define LEAKSCOPE_TRACE_PACKED_H

#include "trace-format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_PACKED_FREE (1ull << 62)
#define TRACE_PACKED_ALLOC (2ull << 62)
#define TRACE_PACKED_FORM (3ull << 62)
#define TRACE_PACKED_TS_MAX (TRACE_PACKED_FREE - 1)
#define TRACE_PACKED_EXT 0x100u
#define TRACE_PACKED_MAX_WORDS 5u

/* Every kind fits the full form: at most three fields besides one stack. */
#define TRACE_PACKED_SLOT_(type, member, name, since) +(TRACE_FIELD_##type != TRACE_FIELD_STACK)
#define TRACE_PACKED_STACK_(type, member, name, since) +(TRACE_FIELD_##type == TRACE_FIELD_STACK)
#define TRACE_PACKED_OVER3_(sym, id, name, ...) +(0 __VA_ARGS__ > 3)
#define TRACE_PACKED_OVER1_(sym, id, name, ...) +(0 __VA_ARGS__ > 1)
#ifdef __cplusplus
#define TRACE_PACKED_ASSERT_ static_assert
#else
#define TRACE_PACKED_ASSERT_ _Static_assert
#endif
TRACE_PACKED_ASSERT_(0 TRACE_EVENT_KINDS(TRACE_PACKED_OVER3_, TRACE_PACKED_SLOT_) == 0,
                     "an event kind has more than three fields besides its stack (trace-packed.h)");
TRACE_PACKED_ASSERT_(0 TRACE_EVENT_KINDS(TRACE_PACKED_OVER1_, TRACE_PACKED_STACK_) == 0,
                     "an event kind has more than one stack field (trace-packed.h)");
#undef TRACE_PACKED_ASSERT_
#undef TRACE_PACKED_OVER3_
#undef TRACE_PACKED_OVER1_
#undef TRACE_PACKED_SLOT_
#undef TRACE_PACKED_STACK_

/* A clock beyond 2^62 ticks (decades of uptime) stays at the last. */
static inline uint64_t trace_packed_ts(uint64_t ts) { return ts > TRACE_PACKED_TS_MAX ? TRACE_PACKED_TS_MAX : ts; }

/* Each trace_packed_* writer puts one record at w and returns its words. */
static inline unsigned trace_packed_free(uint64_t *w, uint64_t ts, uint64_t ptr)
{
    w[0] = trace_packed_ts(ts) | TRACE_PACKED_FREE;
    w[1] = ptr;
    return 2;
}

/* Any event: a, b and c its fields besides the stack, in the table's
 * order; c is stored only when kind has TRACE_PACKED_EXT. */
static inline unsigned trace_packed_full(uint64_t *w, uint64_t ts, uint32_t kind, uint64_t a, uint64_t b,
                                         uint32_t stack, uint64_t c)
{
    w[0] = trace_packed_ts(ts);
    w[1] = a;
    w[2] = b;
    w[3] = stack | (uint64_t)kind << 32;
    if (!(kind & TRACE_PACKED_EXT))
        return 4;
    w[4] = c;
    return 5;
}

/* The words an allocation of `size` takes. */
static inline unsigned trace_packed_alloc_words(uint64_t size) { return size >> 32 ? 4 : 3; }

static inline unsigned trace_packed_alloc(uint64_t *w, uint64_t ts, uint64_t ptr, uint64_t size, uint32_t stack)
{
    if (size >> 32)
        return trace_packed_full(w, ts, TRACE_ALLOC, ptr, size, stack, 0);
    w[0] = trace_packed_ts(ts) | TRACE_PACKED_ALLOC;
    w[1] = ptr;
    w[2] = size | (uint64_t)stack << 32;
    return 3;
}

/* ns = ns0 + (ticks - tick0) * mult / 2^32, and ns0 for ticks <= tick0
 * (ticks already in ns: all three 0 but mult = 2^32). */
typedef struct trace_tick_map {
    uint64_t tick0, ns0, mult;
} trace_tick_map;

static inline uint64_t trace_tick_map_apply(const trace_tick_map *m, uint64_t ticks)
{
    if (ticks <= m->tick0)
        return m->ns0;
    return m->ns0 + (uint64_t)(((unsigned __int128)(ticks - m->tick0) * m->mult) >> 32);
}

/* The words of the packed record at r (n words left, at least 1), 0 if it
 * has no form or is cut short; and the event it is (whole records only),
 * as trace_writer_add_packed reads them: the one reading of the packed
 * forms, for the writer and the recorder's live map. The stack word is
 * kept in ev->stack whatever the kind (add_event refuses an undefined one
 * there too); a kind the table does not have keeps only that. */
static inline size_t trace_packed_len(const uint64_t *r, size_t n)
{
    size_t len;
    switch (r[0] & TRACE_PACKED_FORM) {
    case TRACE_PACKED_FREE:  len = 2; break;
    case TRACE_PACKED_ALLOC: len = 3; break;
    case 0:                  len = n < 4 ? 4 : 4 + !!(r[3] >> 32 & TRACE_PACKED_EXT); break;
    default:                 return 0;
    }
    return len <= n ? len : 0;
}

/* One field of the full form, from the table: the stack, or the next of a, b, c. */
#define TRACE_PACKED_FIELD_(type, member, name, since) \
    ev->member = TRACE_FIELD_##type == TRACE_FIELD_STACK ? stack : slot[next++];
#define TRACE_PACKED_KIND_(sym, id, name, ...) \
    case TRACE_##sym: { \
        unsigned next = 0; \
        __VA_ARGS__ \
        (void)next; \
        break; \
    }

static inline void trace_packed_event(const uint64_t *r, const trace_tick_map *map, trace_event *ev)
{
    static const trace_event zero;
    *ev = zero;
    uint64_t form = r[0] & TRACE_PACKED_FORM;
    ev->ts = trace_tick_map_apply(map, r[0] & TRACE_PACKED_TS_MAX);
    if (form == TRACE_PACKED_FREE) {
        ev->kind = TRACE_FREE;
        ev->addr = r[1];
        return;
    }
    if (form == TRACE_PACKED_ALLOC) {
        ev->kind = TRACE_ALLOC;
        ev->addr = r[1];
        ev->size = (uint32_t)r[2];
        ev->stack = r[2] >> 32;
        return;
    }
    uint32_t kind = (uint32_t)(r[3] >> 32);
    const uint64_t stack = (uint32_t)r[3], slot[3] = { r[1], r[2], kind & TRACE_PACKED_EXT ? r[4] : 0 };
    ev->kind = kind & ~TRACE_PACKED_EXT;
    ev->stack = stack;
    switch (ev->kind) {
        TRACE_EVENT_KINDS(TRACE_PACKED_KIND_, TRACE_PACKED_FIELD_)
    default:
        break;
    }
}

#undef TRACE_PACKED_FIELD_
#undef TRACE_PACKED_KIND_

#ifdef __cplusplus
}
#endif
#endif
