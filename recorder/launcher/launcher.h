/* launcher.h — `leakscope record`: runs an unmodified program with the
 * preload module (the environment protocol: env-protocol.h), waits for it,
 * and says where its traces went.
 *
 * The recorder's own part that runs outside the recorded process. It reads
 * the traces it names through the format's reader, and nothing of the
 * analysis model or of the leakscope command: how a line reaches the
 * terminal (its prefix, untrusted text escaped) and how a byte count is
 * written are the caller's, handed in, so each rule stays in one place.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_LAUNCHER_H
#define LEAKSCOPE_LAUNCHER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ls_launcher_io {
    /* Shows one line of the launcher's: an error, or where a trace went.
     * The text holds no newline but may hold any other byte (file and
     * program names). */
    void (*line)(const char *text);
    /* Writes byte count n as people read it into buf (len bytes); returns buf. */
    const char *(*bytes)(uint64_t n, char *buf, size_t len);
} ls_launcher_io;

/* The leakscope command's exit statuses. */
enum { LS_LAUNCHER_OK = 0, LS_LAUNCHER_FAIL = 1, LS_LAUNCHER_BAD_USAGE = 2 };

/* Runs `record` with its arguments (argv[0] is "record"; the options, then
 * PROGRAM [ARGS...]), printing through io (both functions required). Returns
 * the program's exit status (128 + the signal's number when one killed it);
 * LS_LAUNCHER_OK after --help; LS_LAUNCHER_BAD_USAGE after the one line for
 * a wrong option or no program; LS_LAUNCHER_FAIL after the one line when the
 * preload module cannot be found or the program cannot be started, 126 or
 * 127 when it cannot be run (found but not executable, not found). Forwards
 * SIGINT, SIGQUIT, SIGTERM and SIGHUP to the program while it runs. */
int ls_launcher_run(int argc, char **argv, const ls_launcher_io *io);

#endif
