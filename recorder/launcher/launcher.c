/* launcher.c — `leakscope record [options] -- PROGRAM [ARGS...]`: runs an
 * unmodified program with the preload module and waits for it, then says
 * where its traces went.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "launcher.h"
#include "env-protocol.h"
#include "trace-reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How the caller shows a line and writes a byte count (launcher.h), for
 * this run. */
static const ls_launcher_io *io;

/* One line to the caller's printer. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    io->line(line);
}

#ifndef LEAKSCOPE_PRELOAD_INSTALLED
#define LEAKSCOPE_PRELOAD_INSTALLED "../lib/leakscope/libleakscope-preload.so"
#endif
#define LEAKSCOPE_PRELOAD_BUILD "../recorder/libleakscope-preload.so"

static void record_usage(FILE *f)
{
    fputs("usage: leakscope record [-o FILE] [--stack-depth N] [--no-resources] [--flush-interval MS]\n"
          "                        [--no-follow-fork] [--no-scan] [--quiet] -- PROGRAM [ARGS...]\n"
          "  -o, --output FILE     the trace (default: PROGRAM.<pid>.trace in the current directory);\n"
          "                        a forked child or exec'd program writes FILE with its pid before\n"
          "                        the extension (out.trace -> out.<pid>.trace)\n"
          "  --stack-depth N       frames per call stack, 0 = no stacks (default 64, at most 256)\n"
          "  --no-resources        record allocations only, not descriptors, streams and mappings\n"
          "  --flush-interval MS   longest time an event waits before reaching the file (default 100)\n"
          "  --no-follow-fork      do not record forked children\n"
          "  --no-scan             no heap snapshot at exit (what is still reachable, what is lost)\n"
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
/* Says what `path` holds, if it is a trace: "trace written to", or an
 * incomplete one; with `by`, which program wrote it. False if no trace. */
static bool say_trace(const char *path, bool by)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return false;
    trace_reader *r;
    if (trace_reader_open(path, &r, NULL) != TRACE_OK)
        return false;
    trace_chunk_info ci;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK)
        ;
    bool complete = trace_reader_complete(r, NULL, NULL);
    char who[TRACE_PROGRAM_MAX + 40] = "";
    if (by)
        snprintf(who, sizeof who, " by %s (pid %u)", trace_reader_info(r)->program, trace_reader_info(r)->pid);
    trace_reader_close(r);
    char size[32];
    io->bytes((uint64_t)sb.st_size, size, sizeof size);
    if (complete)
        say("trace written to %s (%s)%s", path, size, who);
    else
        say("%s holds an incomplete trace (%s)%s: recording stopped before the end", path, size, who);
    return true;
}

/* Whether `name` is what a process or image of the recording other than
 * the first names its trace: STEM.PID[-N]EXT beside STEM EXT (recorder.c's
 * child_path). */
static bool family_name(const char *name, const char *base)
{
    const char *dot = strrchr(base, '.');
    size_t stem = dot ? (size_t)(dot - base) : strlen(base);
    const char *ext = dot ? dot : "";
    if (strncmp(name, base, stem) || name[stem] != '.')
        return false;
    const char *p = name + stem + 1, *digits = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == digits)
        return false;
    if (*p == '-') {
        const char *n = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == n)
            return false;
    }
    return !strcmp(p, ext);
}

typedef struct found {
    char *path;
    off_t size;
} found;

static int bigger_first(const void *x, const void *y)
{
    const found *p = x, *q = y;
    return p->size != q->size ? (p->size > q->size ? -1 : 1) : strcmp(p->path, q->path);
}

/* Every trace the recording wrote: the first process's at `path`, then
 * those of the processes and images it started (forks, what they exec'd, a
 * wrapper's program: `env`, `sh -c`, a pyenv shim) beside it, made since
 * `since`, largest first (the program that did the work, most likely); at
 * most eight named, then how many more. */
static void say_where_the_traces_went(const char *path, time_t since)
{
    say_trace(path, false);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    const char *base = path + (slash + 1 - dir);
    DIR *d = opendir(dir[0] ? dir : "/");
    if (!d)
        return;
    found *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char child[PATH_MAX + 256];
        struct stat sb;
        snprintf(child, sizeof child, "%s/%s", dir, de->d_name);
        if (!family_name(de->d_name, base) || stat(child, &sb) != 0 || sb.st_mtime < since)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            found *p = realloc(all, nc * sizeof *p);
            if (!p)
                break;
            all = p;
            cap = nc;
        }
        if (!(all[n].path = strdup(child)))
            break;
        all[n++].size = sb.st_size;
    }
    closedir(d);
    if (n)
        qsort(all, n, sizeof *all, bigger_first);
    size_t said = 0, more = 0;
    for (size_t i = 0; i < n; i++) {
        if (said < 8)
            said += say_trace(all[i].path, true);
        else
            more++;
        free(all[i].path);
    }
    free(all);
    if (more)
        say("... and %zu more traces of this recording beside %s, smaller (named STEM.PID[-N]%s)", more,
            path, strrchr(base, '.') ? strrchr(base, '.') : "");
}

static pid_t child_pid;

/* A signal sent to `record` itself goes on to the program. One the
 * terminal sent (Ctrl+C: si_code SI_KERNEL) reached the program's process
 * group already, and is not sent twice. */
static void forward_signal(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (child_pid > 0 && (!info || info->si_code <= 0))
        kill(child_pid, sig);
}

int ls_launcher_run(int argc, char **argv, const ls_launcher_io *out)
{
    io = out;
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "stack-depth", required_argument, NULL, 's' },
        { "no-resources", no_argument, NULL, 'r' },
        { "flush-interval", required_argument, NULL, 'f' },
        { "no-follow-fork", no_argument, NULL, 'F' },
        { "no-scan", no_argument, NULL, 'S' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *output = NULL;
    unsigned long depth = LS_STACK_DEPTH_DEFAULT, flush_ms = LS_FLUSH_MS_DEFAULT;
    bool resources = true, follow = true, quiet = false, scan = true;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 's':
            if (!parse_uint(optarg, LS_STACK_DEPTH_MAX, &depth)) {
                say("record: --stack-depth needs a number from 0 to %d, not '%s'", LS_STACK_DEPTH_MAX, optarg);
                return LS_LAUNCHER_BAD_USAGE;
            }
            break;
        case 'f':
            if (!parse_uint(optarg, LS_FLUSH_MS_MAX, &flush_ms) || flush_ms < LS_FLUSH_MS_MIN) {
                say("record: --flush-interval needs milliseconds from %d to %d, not '%s'", LS_FLUSH_MS_MIN,
                    LS_FLUSH_MS_MAX, optarg);
                return LS_LAUNCHER_BAD_USAGE;
            }
            break;
        case 'r': resources = false; break;
        case 'F': follow = false; break;
        case 'S': scan = false; break;
        case 'q': quiet = true; break;
        case 'h': record_usage(stdout); return LS_LAUNCHER_OK;
        case ':':
            say("record: option '%s' needs a value", argv[optind - 1]);
            return LS_LAUNCHER_BAD_USAGE;
        default:
            say("record: unknown option '%s' (see leakscope record --help)", argv[optind - 1]);
            return LS_LAUNCHER_BAD_USAGE;
        }
    }
    if (optind >= argc) {
        say("record: no program to run (usage: leakscope record [options] -- PROGRAM [ARGS...])");
        return LS_LAUNCHER_BAD_USAGE;
    }
    char preload[PATH_MAX];
    if (!find_preload(preload, sizeof preload)) {
        say("record: cannot find the preload module libleakscope-preload.so (set LEAKSCOPE_PRELOAD)");
        return LS_LAUNCHER_FAIL;
    }
    /* The output path is made absolute now: the program may change directory. */
    char outpath[PATH_MAX] = "";
    if (output) {
        if (output[0] == '/') {
            snprintf(outpath, sizeof outpath, "%s", output);
        } else {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof cwd)) {
                say("record: cannot read the current directory: %s", strerror(errno));
                return LS_LAUNCHER_FAIL;
            }
            int n = snprintf(outpath, sizeof outpath, "%s/%s", cwd, output);
            if (n < 0 || (size_t)n >= sizeof outpath) {
                say("record: output path is too long");
                return LS_LAUNCHER_BAD_USAGE;
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
    time_t started = time(NULL) - 1; /* mtimes have whole seconds on some file systems */
    child_pid = fork();
    if (child_pid < 0) {
        say("record: cannot start %s: %s", prog[0], strerror(errno));
        return LS_LAUNCHER_FAIL;
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
        if (!scan) /* else LEAKSCOPE_SCAN as the user set it */
            setenv(LS_ENV_SCAN, "0", 1);
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
            say("record: cannot run %s: %s", prog[0], strerror(err));
            _exit(err == ENOENT ? 127 : 126);
        }
        _exit(127);
    }
    if (sync[1] >= 0)
        close(sync[1]);
    /* Signals sent to `record` go on to the program; the terminal's reach
     * it already (forward_signal). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
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
        say("record: cannot run %s: %s", prog[0], strerror(exec_err));
        return exec_err == ENOENT ? 127 : 126;
    }
    if (!quiet) {
        if (!outpath[0])
            default_output(outpath, sizeof outpath, prog[0], (long)child_pid);
        say_where_the_traces_went(outpath, started);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return LS_LAUNCHER_FAIL;
}
