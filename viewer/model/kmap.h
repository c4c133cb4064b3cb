/* kmap.h — an open-addressing hash map from a pair of 64-bit keys to a small
 * value, for live allocations and open resources. Linear probing with
 * backward-shift deletion, so there are no tombstones to pile up.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_KMAP_H
#define LEAKSCOPE_KMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kmap_entry {
    uint64_t k1, k2;
    uint64_t v1;
    uint32_t v2;
    uint32_t used;
    uint64_t v3;         /* a third value (the live map: the block's allocation time) */
} kmap_entry;

typedef struct kmap {
    kmap_entry *e;
    size_t cap, count;   /* cap: power of two or 0 */
} kmap;

kmap_entry *kmap_find(const kmap *m, uint64_t k1, uint64_t k2);
/* Finds or inserts; *existed tells which. NULL on out of memory. A pointer
 * returned stays valid until the next insert or remove. */
kmap_entry *kmap_insert(kmap *m, uint64_t k1, uint64_t k2, bool *existed);
void kmap_remove(kmap *m, kmap_entry *e);
void kmap_free(kmap *m);

#endif
