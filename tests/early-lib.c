/* early-lib.c — a library whose constructor allocates and opens a file: the
 * loader runs it before the preload module's constructor (the program links
 * it; the preloaded module comes earlier in the search list, so it is
 * initialized later). `leakscope record` must still see both
 * (check-record.py, with tests/record-early.c).
 *
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

void *volatile early_lib_block;
int early_lib_fd = -1;

__attribute__((constructor, noinline)) static void early_lib_init(void)
{
    void *p = malloc(4321); /* leaked */
    if (p)
        memset(p, 0x22, 4321);
    early_lib_block = p;
    void *volatile q = malloc(99); /* a block freed at once: not a leak */
    free(q);
    early_lib_fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* left open */
}
