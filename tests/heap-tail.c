/* heap-tail.c — two lost blocks into which glibc's malloc itself points,
 * for check-leakclass.py. A block of `size` bytes with size % 16 from 1 to
 * 8 ends inside the header of the chunk after it, and glibc's main_arena
 * (in libc's writable segment) holds that header's address when the chunk
 * after is free: `tail_bin` (40 B) is followed by a 2000-byte chunk freed
 * into the unsorted bin, `tail_top` (24 B) by the top chunk. Both are lost:
 * the allocator's pointers into them are not the program's. Prints each
 * block's name and address ("NAME 0xADDR").
 *
 * Built without optimisation, the stack scrubbed: the pointers dropped
 * must not linger. Nothing allocates after the free, so the bin and the
 * top stay where they are until the exit's snapshot.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out[256];

static __attribute__((noinline)) void build(void)
{
    char *bin = malloc(40), *big = malloc(2000), *top = malloc(24);
    memset(bin, 1, 40);
    memset(top, 1, 24);
    snprintf(out, sizeof out, "tail_bin 0x%lx\ntail_top 0x%lx\n", (unsigned long)(uintptr_t)bin,
             (unsigned long)(uintptr_t)top);
    free(big); /* larger than the thread cache takes: into the unsorted bin */
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
