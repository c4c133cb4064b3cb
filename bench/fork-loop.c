/* fork-loop.c — forks N children one after another (default 300); each
 * allocates and frees a block and exits; the parent waits for each. The
 * cost of a recorded process's start and end (bench/run-process-bench.py).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            void *volatile p = malloc(100); /* volatile: the pair is not optimized away */
            free(p);
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
