/* main.c — the `leakscope` command: dispatches to subcommands.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "launcher.h"

#ifndef LEAKSCOPE_VERSION
#define LEAKSCOPE_VERSION "unknown"
#endif

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: leakscope COMMAND [ARGS...]\n"
          "\n"
          "commands:\n"
          "  record [-o FILE] -- PROGRAM [ARGS...]\n"
          "                         run an unmodified program and record it into a trace\n"
          "  report [--json] FILE   summary: heap, leaks by call stack, resources, GC pauses\n"
          "  check [thresholds] [--junit FILE] FILE\n"
          "                         gate CI: exit 1 when leaks, open resources, GC pauses exceed limits\n"
          "  dump FILE              every chunk and record of a trace, in file order\n"
          "  export --png OUT FILE  the timeline as a PNG (--size WxH --from T --to T --tracks LIST --theme)\n"
          "  convert --to chrome|csv|folded|pprof -o OUT FILE\n"
          "                         the timeline as Trace Event JSON (Perfetto), every event as CSV,\n"
          "                         the allocations' call tree as collapsed stacks, the heap by call\n"
          "                         stack for go tool pprof\n"
          "  flamegraph [--metric M] [--from T --to T] (--folded|--svg|--png) OUT FILE\n"
          "                         the allocations' call tree (of a time range) as a flame graph or\n"
          "                         collapsed stacks\n"
          "  diff [--json] [--top N] BASE NEW\n"
          "                         per call site, what changed from one run to another\n"
          "  view [FILE]            open the desktop viewer (leakscope-viewer)\n"
          "  help [COMMAND]         this text, or the usage of COMMAND (also: COMMAND --help, -h)\n"
          "  --version              the version\n"
          "\n"
          "Exit status: 0 success, 1 failure, 2 bad input (unreadable or corrupt trace, wrong usage).\n",
          f);
}

/* `leakscope view [FILE...]`: runs leakscope-viewer from this binary's
 * directory (the build tree and an installed bindir both have it there),
 * else from PATH. */
static int view(int argc, char **argv)
{
    char self[PATH_MAX], viewer[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    argv[0] = (char *)"leakscope-viewer";
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            snprintf(viewer, sizeof viewer, "%s/leakscope-viewer", self);
            if (access(viewer, X_OK) == 0)
                execv(viewer, argv);
        }
    }
    execvp("leakscope-viewer", argv);
    cli_error("view: cannot run leakscope-viewer: %s (was leakscope built with GTK 4?)", strerror(errno));
    (void)argc;
    return CLI_FAIL;
}

/* record's lines go out as every other line of the command's. */
static void record_line(const char *text) { cli_error("%s", text); }

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("leakscope %s\n", LEAKSCOPE_VERSION);
        return CLI_OK;
    }
    /* `leakscope help COMMAND` is `leakscope COMMAND --help`, and so is
     * `leakscope COMMAND -h` (no command has a -h of its own). */
    char help_opt[] = "--help";
    if (!strcmp(cmd, "help") && argc == 3) {
        argv[1] = argv[2];
        argv[2] = help_opt;
        cmd = argv[1];
    } else if (argc == 3 && !strcmp(argv[2], "-h")) {
        argv[2] = help_opt;
    }
    if (!strcmp(cmd, "record")) {
        static const ls_launcher_io io = { record_line, ls_format_bytes };
        return ls_launcher_run(argc - 1, argv + 1, &io);
    }
    if (!strcmp(cmd, "check"))
        return cli_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cli_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "dump"))
        return cli_dump(argc - 1, argv + 1);
    if (!strcmp(cmd, "export"))
        return cli_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "convert"))
        return cli_convert(argc - 1, argv + 1);
    if (!strcmp(cmd, "flamegraph"))
        return cli_flamegraph(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff"))
        return cli_diff(argc - 1, argv + 1);
    if (!strcmp(cmd, "view"))
        return view(argc - 1, argv + 1);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    cli_error("unknown command '%s' (see leakscope help)", cmd);
    return CLI_BAD_INPUT;
}
