/* fds.c — the recorder's file descriptors, out of the program's way.
 *
 * The recorder keeps the trace's descriptor open while it records.
 * Opened like any other, it would take the lowest free number (3, 4, ...),
 * which programs take for granted: a shell script's `exec 3<file` would
 * replace it, and under a small RLIMIT_NOFILE the program would run out of
 * descriptors one sooner than without the recorder. So it is moved:
 *
 *  - RLIMIT_NOFILE bounds the descriptor *number*: one numbered at or above
 *    the soft limit is one the program can never be given (the kernel hands
 *    out the lowest free number, and fails with EMFILE rather than go past
 *    the limit; dup2 onto it fails with EBADF). Only the soft limit stands
 *    in the way of putting it there, and the hard limit usually allows
 *    more: the soft limit is raised a little for one F_DUPFD_CLOEXEC and
 *    put back (place_above_limit says why that is safe).
 *  - Where the hard limit allows no more (`ulimit -n 5` in bash sets both),
 *    or the process may have other threads, at the top of the program's
 *    range instead: the numbers it gets last. When it does need them, its
 *    call fails with EMFILE, and the preload module then has the recorder
 *    give its descriptors up (ls_release_output) and makes the call again.
 *  - With a large soft limit (over FD_HIGH), at FD_HIGH: far above the
 *    numbers programs pick themselves, out of select()'s range, and
 *    without making the kernel's descriptor table as large as the limit.
 *
 * libunwind would keep a pipe too, to check that memory is readable; it
 * opens none (unwind-probe.c), so the trace's is the recorder's only
 * lasting descriptor.
 *
 * System calls for fcntl and close: those are the preload module's
 * interposers, and the recorder's descriptors are none of the program's to
 * record.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where a descriptor goes under a soft limit above this: FD_SETSIZE, so
 * that a program's select() never meets it. */
#define FD_HIGH 1024

/* How far past the soft limit it is raised: room for the few descriptors
 * that may already be numbered there (inherited from a parent with a
 * larger limit, or the program's before it lowered its own). */
#define FD_ABOVE_ROOM 16

static int sys_dupfd(int fd, long from) { return (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, from); }

static bool nofile_limit(struct rlimit *rl) { return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, rl) == 0; }

/* Whether this process has one thread (from /proc/self/stat's 20th
 * field). False when unsure. */
static bool single_threaded(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[1024];
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: the
     * fields are counted from the last ')', after which comes field 3. */
    const char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 20; field++)
        p = strchr(p + 1, ' ');
    return p && p[1] == '1' && p[2] == ' ';
}

/* Set by ls_fd_setup_begin on the thread that starts a recording: 1 one
 * thread, -1 more or unknown, 0 not looked up. */
static __thread int tls_threads_seen __attribute__((tls_model("initial-exec")));

void ls_fd_setup_begin(void)
{
    /* Looked up only where place_above_limit may be used. */
    struct rlimit rl;
    bool wanted = nofile_limit(&rl) && rl.rlim_cur <= FD_HIGH && rl.rlim_max > rl.rlim_cur;
    tls_threads_seen = wanted && single_threaded() ? 1 : -1;
}
void ls_fd_setup_end(void) { tls_threads_seen = 0; }

/* A duplicate of fd numbered at or above the soft limit, or -1.
 *
 * Safe because the process has one thread, this one, for the three system
 * calls (and none can start meanwhile: only a thread can start one). That
 * is looked up as trace_begin starts (ls_fd_setup_begin), while a
 * descriptor is likely to be free for /proc/self/stat; elsewhere (libunwind
 * making its pipe again during a stack walk) it is not known, and the soft
 * limit is not raised. With other threads, one of them could change
 * RLIMIT_NOFILE in between (and we would put back the old value over its
 * new one), or open a descriptor while the limit is raised and get one the
 * program could not have had: then the recorder settles for the top of the
 * range. A signal handler that sets the limit in between would see its
 * change undone: that is left to chance (a handler has no business doing
 * that). The descriptor stays when the limit is put back: the limit bounds
 * new numbers only. */
static int place_above_limit(int fd, const struct rlimit *rl)
{
    if (rl->rlim_max <= rl->rlim_cur || tls_threads_seen != 1)
        return -1;
    struct rlimit raised = *rl;
    raised.rlim_cur = rl->rlim_max - rl->rlim_cur > FD_ABOVE_ROOM ? rl->rlim_cur + FD_ABOVE_ROOM : rl->rlim_max;
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &raised, NULL) != 0)
        return -1;
    int moved = sys_dupfd(fd, (long)rl->rlim_cur);
    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, rl, NULL); /* lowering the soft limit: always allowed */
    return moved;
}

/* How many numbers from the top place_at_top tries. */
#define FD_TOP_TRIES 64

/* A duplicate of fd at the highest free number of [fd + 1, limit), or -1.
 * The highest, not merely a high one: the program gets the numbers below
 * in order, exactly as without the recorder, up to the last one free (and
 * then ls_release_output). F_DUPFD gives the lowest free number at or
 * above its argument, so the numbers are tried one by one from the top. */
static int place_at_top(int fd, long limit)
{
    for (long at = limit - 1; at > fd && at >= limit - FD_TOP_TRIES; at--) {
        int moved = sys_dupfd(fd, at);
        if (moved >= 0)
            return moved;
        if (errno != EMFILE)
            break;
    }
    return -1;
}

int ls_fd_place(int fd)
{
    if (fd < 0)
        return fd;
    int saved = errno;
    struct rlimit rl;
    int moved = -1;
    if (nofile_limit(&rl) && (rlim_t)fd < rl.rlim_cur) {
        if (rl.rlim_cur > FD_HIGH)
            moved = fd < FD_HIGH ? sys_dupfd(fd, FD_HIGH) : -1;
        else if ((moved = place_above_limit(fd, &rl)) < 0)
            moved = place_at_top(fd, (long)rl.rlim_cur);
    }
    if (moved >= 0) {
        syscall(SYS_close, fd);
        fd = moved;
    }
    errno = saved;
    return fd;
}

bool ls_fd_within_limit(int fd)
{
    int saved = errno;
    struct rlimit rl;
    bool within = fd >= 0 && (!nofile_limit(&rl) || (rlim_t)fd < rl.rlim_cur);
    errno = saved;
    return within;
}
