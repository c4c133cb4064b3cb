/* cli-record.c — `leakscope record [options] -- PROGRAM [ARGS...]`: runs an
 * unmodified program with the preload module and waits for it.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "cli.h"
#include "env-protocol.h"
#include "trace-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LEAKSCOPE_PRELOAD_INSTALLED
#define LEAKSCOPE_PRELOAD_INSTALLED "../lib/leakscope/libleakscope-preload.so"
#endif
#define LEAKSCOPE_PRELOAD_BUILD "../recorder/libleakscope-preload.so"

static void record_usage(FILE *f)
{
    fputs("usage: leakscope record [-o FILE] [--stack-depth N] [--no-resources] [--flush-interval MS]\n"
          "                        [--no-follow-fork] [--quiet] -- PROGRAM [ARGS...]\n"
          "  -o, --output FILE     the trace (default: PROGRAM.<pid>.trace in the current directory);\n"
          "                        a forked child or exec'd program writes FILE with its pid before\n"
          "                        the extension (out.trace -> out.<pid>.trace)\n"
          "  --stack-depth N       frames per call stack, 0 = no stacks (default 64, at most 256)\n"
          "  --no-resources        record allocations only, not descriptors, streams and mappings\n"
          "  --flush-interval MS   longest time an event waits before reaching the file (default 100)\n"
          "  --no-follow-fork      do not record forked children\n"
          "  --quiet               do not print where the trace went\n"
          "Exits with the program's exit code (128 + signal number if a signal killed it).\n",
          f);
}

/* The preload module: $LEAKSCOPE_PRELOAD, else next to this executable as
 * installed (bindir/../libdir/leakscope), else in the build tree. */
static bool find_preload(char *out, size_t len)
{
    const char *env = getenv(LS_ENV_PRELOAD);
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return access(out, R_OK) == 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    const char *candidates[] = { LEAKSCOPE_PRELOAD_INSTALLED, LEAKSCOPE_PRELOAD_BUILD };
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        char path[PATH_MAX];
        int n2 = snprintf(path, sizeof path, "%s/%s", exe, candidates[i]);
        if (n2 > 0 && (size_t)n2 < sizeof path && realpath(path, out) && access(out, R_OK) == 0)
            return true;
    }
    return false;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return false;
    *out = v;
    return true;
}

/* <cwd>/<program>.<pid>.trace */
static void default_output(char *out, size_t len, const char *prog, long pid)
{
    char cwd[PATH_MAX];
    const char *base = strrchr(prog, '/');
    int n = snprintf(out, len, "%s/%s.%ld.trace", getcwd(cwd, sizeof cwd) ? cwd : ".", base ? base + 1 : prog, pid);
    if (n < 0 || (size_t)n >= len)
        snprintf(out, len, "%s.%ld.trace", "program", pid);
}

/* Says where the trace went, and only if there is one: the recorder may
 * have refused the path or failed to write (it said so itself), and a
 * file there may be anything. A regular file that reads as a trace is
 * "written" when complete; without its end (a crash, a full disk) it is
 * called incomplete. Never opened unless a regular file: a FIFO would
 * block. */
static void say_where_the_trace_went(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return;
    trace_reader *r;
    if (trace_reader_open(path, &r, NULL) != TRACE_OK)
        return;
    trace_chunk_info ci;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK)
        ;
    bool complete = trace_reader_complete(r, NULL, NULL);
    trace_reader_close(r);
    long long kib = (long long)sb.st_size / 1024;
    if (complete)
        fprintf(stderr, "leakscope: trace written to %s (%lld KiB)\n", path, kib);
    else
        fprintf(stderr, "leakscope: %s holds an incomplete trace (%lld KiB): recording stopped before the end\n",
                path, kib);
}

static pid_t child_pid;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

int cli_record(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "stack-depth", required_argument, NULL, 's' },
        { "no-resources", no_argument, NULL, 'r' },
        { "flush-interval", required_argument, NULL, 'f' },
        { "no-follow-fork", no_argument, NULL, 'F' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *output = NULL;
    unsigned long depth = LS_STACK_DEPTH_DEFAULT, flush_ms = LS_FLUSH_MS_DEFAULT;
    bool resources = true, follow = true, quiet = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 's':
            if (!parse_uint(optarg, LS_STACK_DEPTH_MAX, &depth)) {
                cli_error("record: --stack-depth needs a number from 0 to %d, not '%s'", LS_STACK_DEPTH_MAX, optarg);
                return CLI_BAD_INPUT;
            }
            break;
        case 'f':
            if (!parse_uint(optarg, LS_FLUSH_MS_MAX, &flush_ms) || flush_ms < LS_FLUSH_MS_MIN) {
                cli_error("record: --flush-interval needs milliseconds from %d to %d, not '%s'", LS_FLUSH_MS_MIN,
                          LS_FLUSH_MS_MAX, optarg);
                return CLI_BAD_INPUT;
            }
            break;
        case 'r': resources = false; break;
        case 'F': follow = false; break;
        case 'q': quiet = true; break;
        case 'h': record_usage(stdout); return CLI_OK;
        case ':':
            cli_error("record: option '%s' needs a value", argv[optind - 1]);
            return CLI_BAD_INPUT;
        default:
            cli_error("record: unknown option '%s' (see leakscope record --help)", argv[optind - 1]);
            return CLI_BAD_INPUT;
        }
    }
    if (optind >= argc) {
        cli_error("record: no program to run (usage: leakscope record [options] -- PROGRAM [ARGS...])");
        return CLI_BAD_INPUT;
    }
    char preload[PATH_MAX];
    if (!find_preload(preload, sizeof preload)) {
        cli_error("record: cannot find the preload module libleakscope-preload.so (set LEAKSCOPE_PRELOAD)");
        return CLI_FAIL;
    }
    /* The output path is made absolute now: the program may change directory. */
    char outpath[PATH_MAX] = "";
    if (output) {
        if (output[0] == '/') {
            snprintf(outpath, sizeof outpath, "%s", output);
        } else {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof cwd)) {
                cli_error("record: cannot read the current directory: %s", strerror(errno));
                return CLI_FAIL;
            }
            int n = snprintf(outpath, sizeof outpath, "%s/%s", cwd, output);
            if (n < 0 || (size_t)n >= sizeof outpath) {
                cli_error("record: output path is too long");
                return CLI_BAD_INPUT;
            }
        }
    }

    /* The child tells us through it why it could not exec. Without one
     * (the program's RLIMIT_NOFILE may leave no room: it is ours too) the
     * child says so itself. */
    int sync[2] = { -1, -1 };
    if (pipe2(sync, O_CLOEXEC) != 0)
        sync[0] = sync[1] = -1;
    char **prog = argv + optind;
    child_pid = fork();
    if (child_pid < 0) {
        cli_error("record: cannot start %s: %s", prog[0], strerror(errno));
        return CLI_FAIL;
    }
    if (child_pid == 0) {
        if (sync[0] >= 0)
            close(sync[0]);
        char buf[64];
        if (!outpath[0])
            default_output(outpath, sizeof outpath, prog[0], (long)getpid());
        setenv(LS_ENV_OUTPUT, outpath, 1);
        /* The program's first image writes outpath; every other process
         * and image tells itself apart by its pid (recorder/preload.c). */
        snprintf(buf, sizeof buf, "%ld", (long)getpid());
        setenv(LS_ENV_ROOT_PID, buf, 1);
        snprintf(buf, sizeof buf, "%lu", depth);
        setenv(LS_ENV_STACK_DEPTH, buf, 1);
        snprintf(buf, sizeof buf, "%lu", flush_ms);
        setenv(LS_ENV_FLUSH_MS, buf, 1);
        setenv(LS_ENV_RESOURCES, resources ? "1" : "0", 1);
        setenv(LS_ENV_FOLLOW_FORK, follow ? "1" : "0", 1);
        const char *old = getenv("LD_PRELOAD");
        char *preloads = malloc(strlen(preload) + (old ? strlen(old) : 0) + 2);
        if (!preloads)
            _exit(127);
        strcpy(preloads, preload);
        if (old && *old) {
            strcat(preloads, ":");
            strcat(preloads, old);
        }
        setenv("LD_PRELOAD", preloads, 1);
        execvp(prog[0], prog);
        int err = errno;
        if (sync[1] < 0 || write(sync[1], &err, sizeof err) < 0) {
            cli_error("record: cannot run %s: %s", prog[0], strerror(err));
            _exit(err == ENOENT ? 127 : 126);
        }
        _exit(127);
    }
    if (sync[1] >= 0)
        close(sync[1]);
    /* The terminal's signals reach the program too; pass on the ones sent to us alone. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int exec_err = 0;
    ssize_t got = -1;
    if (sync[0] >= 0) {
        got = read(sync[0], &exec_err, sizeof exec_err);
        close(sync[0]);
    }
    int status;
    while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got == (ssize_t)sizeof exec_err) {
        cli_error("record: cannot run %s: %s", prog[0], strerror(exec_err));
        return exec_err == ENOENT ? 127 : 126;
    }
    if (!quiet) {
        if (!outpath[0])
            default_output(outpath, sizeof outpath, prog[0], (long)child_pid);
        say_where_the_trace_went(outpath);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return CLI_FAIL;
}
