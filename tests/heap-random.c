/* heap-random.c — the heap scan against brute force. Carves 20,000 blocks
 * of random sizes (0 bytes to 1.5 MiB: runs of close blocks, blocks wider
 * than a read, blocks at odd addresses) with random gaps out of an mmap'd
 * arena, traces them, fills the arena with words that point to block
 * starts, into blocks, one past their ends, into the gaps, or nowhere, and
 * keeps 16 of them in a global; and one 256 MiB block, mapped and never
 * touched but for one word 100 MiB in, pointing to a block. Then
 * trace_heap_snapshot("random"), which must not read the untouched pages
 * (mincore must still find one page of it in memory: printed as
 * "big_resident_pages"; reading a page maps it, if only to the zero page). It
 * writes what the snapshot must hold, found here by its own search, to
 * EXPECTED: "edge FROM WORD VALUE TO" (hex, as tests/heap-graph prints)
 * and "root VALUE TO" for the global's words.
 *
 * usage: heap-random TRACE EXPECTED
 *
 * SPDX-License-Identifier: MIT
 */
#include <leakscope/trace.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define NBLOCKS 20000
#define ARENA (64u << 20)

uint64_t root_ptrs[16];
static uint64_t addr[NBLOCKS], size[NBLOCKS];
static uint64_t seed = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* Written independently of the format's trace_heap_find. */
static long block_of(uint64_t v)
{
    long lo = 0, hi = NBLOCKS - 1, found = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (addr[mid] <= v) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found < 0)
        return -1;
    if (size[found] == 0)
        return v == addr[found] ? found : -1;
    return v < addr[found] + size[found] ? found : -1;
}

static uint64_t some_value(void)
{
    uint64_t r = rnd(), b = (r >> 8) % NBLOCKS;
    switch (r % 8) {
    case 0: return addr[b];                                          /* a start */
    case 1: return addr[b] + (size[b] ? (r >> 32) % size[b] : 0);    /* inside */
    case 2: return addr[b] + size[b];                                /* one past the end */
    case 3: return addr[b] - 1 - (r >> 40) % 64;                     /* in the gap before it, or the block before */
    default: return r >> 24;                                         /* a number */
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    uint8_t *arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED)
        return 1;
    uint64_t at = (uint64_t)(uintptr_t)arena + 4096, end = (uint64_t)(uintptr_t)arena + ARENA;
    for (int i = 0; i < NBLOCKS; i++) {
        uint64_t r = rnd();
        at += r % 48; /* any alignment; 0 to 47 bytes apart */
        uint64_t s = r >> 54 == 0 ? (600u << 10) + (r >> 8) % (900u << 10) /* 1 in 1024 */
                   : (r >> 20) % 16 == 0 ? 300 + (r >> 24) % 20000 : (r >> 24) % 300;
        if (at + s + 64 > end)
            s = 0;
        addr[i] = at;
        size[i] = s;
        at += s + (s == 0); /* two blocks of size 0 never share an address */
    }
    for (uint64_t *w = (uint64_t *)(arena + 4096); (uint8_t *)(w + 1) <= arena + ARENA; w++)
        *w = some_value();
    for (int k = 0; k < 16; k++)
        root_ptrs[k] = k % 4 == 3 ? some_value() : addr[rnd() % NBLOCKS] + k % 4;
    size_t big_size = 256u << 20, big_word = (100u << 20) / 8;
    uint64_t *big = mmap(NULL, big_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED)
        return 1;
    big[big_word] = addr[7] + 1;
    if (trace_begin(argv[1]) != 0)
        return 1;
    for (int i = 0; i < NBLOCKS; i++)
        trace_alloc((void *)(uintptr_t)addr[i], size[i]);
    trace_alloc(big, big_size);
    if (trace_heap_snapshot("random") != 0)
        return 1;
    static unsigned char vec[(256u << 20) / 4096];
    size_t resident = 0;
    if (mincore(big, big_size, vec) == 0)
        for (size_t i = 0; i < sizeof vec; i++)
            resident += vec[i] & 1;
    printf("big_resident_pages %zu\n", resident);
    FILE *f = fopen(argv[2], "w");
    if (!f)
        return 1;
    fprintf(f, "edge %llx %llu %llx %llx\n", (unsigned long long)(uintptr_t)big, (unsigned long long)big_word,
            (unsigned long long)(addr[7] + 1), (unsigned long long)addr[7]);
    for (int i = 0; i < NBLOCKS; i++) {
        uint64_t w0 = (addr[i] + 7) & ~7ull;
        for (uint64_t w = 0; w0 + 8 * w + 8 <= addr[i] + size[i]; w++) {
            uint64_t v = *(const uint64_t *)(uintptr_t)(w0 + 8 * w);
            long t = block_of(v);
            if (t >= 0)
                fprintf(f, "edge %llx %llu %llx %llx\n", (unsigned long long)addr[i], (unsigned long long)w,
                        (unsigned long long)v, (unsigned long long)addr[t]);
        }
    }
    for (int k = 0; k < 16; k++) {
        long t = block_of(root_ptrs[k]);
        if (t >= 0)
            fprintf(f, "root %llx %llx\n", (unsigned long long)root_ptrs[k], (unsigned long long)addr[t]);
    }
    fclose(f);
    trace_end();
    return 0;
}
