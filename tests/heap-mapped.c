/* heap-mapped.c — blocks held from memory the program mapped itself, for
 * check-leakclass.py: `in_region` is pointed to only from an anonymous
 * mapping the program made with mmap (as an allocator of its own keeps
 * objects: CPython's pymalloc arenas), so it is reachable, held by that
 * region; `in_unmapped` only from a mapping unmapped before exit, and
 * `in_sealed` only from one made unreadable, so both are lost; `big`, a
 * block large enough that malloc maps it itself, is lost and `in_big`,
 * held only from it, indirect (malloc's own mappings are blocks, not
 * roots); of a region whose middle page is unmapped, `in_tail` (held from
 * its last page) is reachable, held by that page, and `in_hole` (from the
 * middle) lost. Prints each block's name and address ("NAME 0xADDR") and
 * the regions' ("region 0xADDR", "tail 0xADDR").
 *
 * Built without optimisation, the stack scrubbed: the pointers dropped
 * must not linger.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char out[1024];
static size_t used;

static void note(const char *name, const void *p)
{
    used += (size_t)snprintf(out + used, sizeof out - used, "%s 0x%lx\n", name, (unsigned long)(uintptr_t)p);
}

static void *region(void)
{
    void *r = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        exit(1);
    return r;
}

static __attribute__((noinline)) void build(void)
{
    void **kept = region();
    kept[100] = malloc(64);
    note("region", kept);
    note("in_region", kept[100]);

    void **gone = region();
    gone[7] = malloc(80);
    note("in_unmapped", gone[7]);
    munmap(gone, 1 << 16);

    void **sealed = region();
    sealed[3] = malloc(96);
    note("in_sealed", sealed[3]);
    mprotect(sealed, 1 << 16, PROT_NONE);

    char *three = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (three == MAP_FAILED)
        exit(1);
    ((void **)(three + 4096))[5] = malloc(48);
    ((void **)(three + 8192))[9] = malloc(56);
    note("in_hole", ((void **)(three + 4096))[5]);
    note("in_tail", ((void **)(three + 8192))[9]);
    note("tail", three + 8192);
    munmap(three + 4096, 4096);

    void **big = malloc(200000);
    memset(big, 0, 200000);
    big[10] = malloc(112);
    note("big", big);
    note("in_big", big[10]);
}

/* Overwrites the dead frames below main's, where build's pointers were. */
static __attribute__((noinline)) void scrub(void)
{
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main(void)
{
    build();
    scrub();
    if (write(1, out, strlen(out)) < 0)
        return 1;
    exit(0);
}
