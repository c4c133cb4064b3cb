/* emfile-target.c — runs out of descriptors: lowers its soft RLIMIT_NOFILE
 * to 32, opens /dev/null until open fails with EMFILE three times, then
 * fails a socket() and an fopen() the same way, closes everything and
 * prints how many calls failed as JSON ({"failed": N}).
 * tests/check-resources.py records it: the report must list exactly those
 * failures, from this file's functions, and no descriptor left open.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int fds[64], nfds, failed;

static __attribute__((noinline)) void exhaust(void)
{
    while (nfds < 64) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            fds[nfds++] = fd;
            continue;
        }
        if (errno != EMFILE)
            return;
        if (++failed == 3)
            return;
    }
}

static __attribute__((noinline)) void more_failures(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 && errno == EMFILE)
        failed++;
    else if (s >= 0)
        fds[nfds++] = s;
    FILE *f = fopen("/dev/null", "r");
    if (!f && errno == EMFILE)
        failed++;
    else if (f)
        fclose(f);
}

int main(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    rl.rlim_cur = 32;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    exhaust();
    more_failures();
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    printf("{\"failed\": %d}\n", failed);
    return 0;
}
