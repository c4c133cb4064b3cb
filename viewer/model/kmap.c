/* kmap.c — see kmap.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kmap.h"

#include <stdlib.h>

static size_t slot_of(uint64_t k1, uint64_t k2, size_t cap)
{
    uint64_t h = k1 * 0x9E3779B97F4A7C15ull ^ (k2 + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

kmap_entry *kmap_find(const kmap *m, uint64_t k1, uint64_t k2)
{
    if (!m->cap)
        return NULL;
    for (size_t i = slot_of(k1, k2, m->cap);; i = (i + 1) & (m->cap - 1)) {
        kmap_entry *e = &m->e[i];
        if (!e->used)
            return NULL;
        if (e->k1 == k1 && e->k2 == k2)
            return e;
    }
}

static bool grow(kmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    kmap_entry *e = calloc(cap, sizeof *e);
    if (!e)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].used)
            continue;
        size_t j = slot_of(m->e[i].k1, m->e[i].k2, cap);
        while (e[j].used)
            j = (j + 1) & (cap - 1);
        e[j] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->cap = cap;
    return true;
}

kmap_entry *kmap_insert(kmap *m, uint64_t k1, uint64_t k2, bool *existed)
{
    if ((m->count + 1) * 4 > m->cap * 3 && !grow(m))
        return NULL;
    /* One probe: the key where it is, or the first empty slot on its way,
     * which is where it goes (no tombstones: kmap_remove moves entries back). */
    size_t i = slot_of(k1, k2, m->cap);
    for (;; i = (i + 1) & (m->cap - 1)) {
        kmap_entry *e = &m->e[i];
        if (!e->used) {
            *existed = false;
            *e = (kmap_entry){ .k1 = k1, .k2 = k2, .used = 1 };
            m->count++;
            return e;
        }
        if (e->k1 == k1 && e->k2 == k2) {
            *existed = true;
            return e;
        }
    }
}

void kmap_remove(kmap *m, kmap_entry *e)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)(e - m->e);
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->e[j].used)
            break;
        size_t home = slot_of(m->e[j].k1, m->e[j].k2, m->cap);
        /* Move j back into the hole at i unless its home lies cyclically in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->e[i] = m->e[j];
            i = j;
        }
    }
    m->e[i].used = 0;
    m->count--;
}

void kmap_free(kmap *m)
{
    free(m->e);
    m->e = NULL;
    m->cap = m->count = 0;
}
