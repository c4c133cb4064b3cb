/* fork-loop.c — forks N children one after another (default 300); each
 * allocates and frees a block and exits; the parent waits for each. The
 * cost of a recorded process's start and end (bench/run-process-bench.py).
 * With a directory as the second argument, each child also writes a small
 * file of its own there (what creating a trace file costs, recorder or not).
 *
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    const char *dir = argc > 2 ? argv[2] : NULL;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            void *volatile p = malloc(100); /* volatile: the pair is not optimized away */
            free(p);
            if (dir) {
                char path[4096], data[1024];
                snprintf(path, sizeof path, "%s/file.%ld", dir, (long)getpid());
                memset(data, 'x', sizeof data);
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data || close(fd) != 0) {
                    perror(path);
                    exit(1);
                }
            }
            exit(0);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "fork-loop: child %d failed\n", i);
            return 1;
        }
    }
    return 0;
}
