/* test-self.h — this test program as the module of a synthetic trace, so
 * that the stacks a test writes through its own functions resolve to them.
 * Build the test with -g (and -rdynamic for symbols the tables keep).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TEST_SELF_H
#define LEAKSCOPE_TEST_SELF_H

#include "trace-writer.h"

#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct test_exe {
    uint64_t bias, start, end;
} test_exe;

static int test_find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    test_exe *e = data;
    if (info->dlpi_name && info->dlpi_name[0])
        return 0; /* the main program is the one without a name */
    e->bias = info->dlpi_addr;
    e->start = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr, t = s + ph->p_memsz;
        e->start = s < e->start ? s : e->start;
        e->end = t > e->end ? t : e->end;
    }
    return 1;
}

/* Adds this program, as it is mapped, to w as module `id`; exits on failure. */
static inline void test_add_self(trace_writer *w, uint32_t id)
{
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        exit(1);
    test_exe e = { 0 };
    dl_iterate_phdr(test_find_exe, &e);
    if (trace_writer_add_module(w, id, e.bias, e.start, e.end, self, (size_t)len, NULL, 0) != TRACE_OK)
        exit(1);
}

#endif
