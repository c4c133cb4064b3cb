/* maps.c — see maps.h.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool ls_maps_each(bool (*fn)(void *ctx, const ls_mapping *m), void *ctx)
{
    long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[1024];
    ls_mapping m = { 0 };
    int field = 0; /* 0 start, 1 end, 2 the rest of the line */
    int perm = 4; /* the place in the permissions field (rwxp), 4 past it */
    bool go = true;
    while (go) {
        long got = syscall(SYS_read, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long i = 0; i < got && go; i++) {
            char ch = buf[i];
            if (ch == '\n') {
                if (m.hi > m.lo)
                    go = fn(ctx, &m);
                memset(&m, 0, sizeof m);
                field = 0;
                continue;
            }
            if (field < 2) {
                int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
                if (d >= 0) {
                    if (field == 0)
                        m.lo = m.lo << 4 | (uint64_t)d;
                    else
                        m.hi = m.hi << 4 | (uint64_t)d;
                } else {
                    field++;
                    perm = field == 2 ? 0 : 4;
                }
                continue;
            }
            if (perm < 4) {
                if (perm == 0)
                    m.readable = ch == 'r';
                else if (perm == 1)
                    m.writable = ch == 'w';
                perm++;
            }
            memmove(m.tail, m.tail + 1, sizeof m.tail - 1);
            m.tail[sizeof m.tail - 1] = ch;
        }
    }
    syscall(SYS_close, fd);
    return true;
}

bool ls_mapping_is_main_stack(const ls_mapping *m) { return memcmp(m->tail + 1, "[stack]", 7) == 0; }
