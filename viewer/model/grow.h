/* grow.h — an array grown by doubling, for the model's files: one rule for
 * the capacity and its overflow checks.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_GROW_H
#define LEAKSCOPE_GROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes *arr (of *cap elements of `elem` bytes) hold at least `need`:
 * doubles from 16, reallocs. False, with *arr and *cap as they were, when
 * out of memory or when the size would overflow. */
static inline bool ls_grow(void **arr, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2)
            return false;
        nc *= 2;
    }
    if (elem && nc > SIZE_MAX / elem)
        return false;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

/* The same for a 32-bit capacity (and count). */
static inline bool ls_grow32(void **arr, uint32_t *cap, size_t elem, size_t need)
{
    size_t c = *cap;
    if (need > UINT32_MAX || !ls_grow(arr, &c, elem, need))
        return false;
    *cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    return true;
}

#endif
