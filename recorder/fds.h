/* fds.h — what fds.c shares with the rest of the recorder. Not installed;
 * included through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_FDS_H
#define LEAKSCOPE_RECORDER_FDS_H

/* ---- fds.c: the recorder's descriptors out of the program's way ---- */

/* Moves `fd` to a number the program is not about to be given (above the
 * soft RLIMIT_NOFILE when the hard one allows, else at the top of its
 * range; fds.c says how) with FD_CLOEXEC, and closes the original. Returns
 * the descriptor to use: the moved one, or `fd` when there is no better
 * place. Never fails; errno kept. A trace_writer_create_placed hook. */
int ls_fd_place(int fd);

/* Around the setting up of a recording (on its thread, which starts no
 * other meanwhile): whether the process has one thread is looked up at the
 * start, and only then may ls_fd_place raise the soft limit (fds.c). */
void ls_fd_setup_begin(void);
void ls_fd_setup_end(void);

/* Whether descriptor `fd` is numbered below the soft RLIMIT_NOFILE, that
 * is, one the program could have had (true when the limit is unknown).
 * errno kept. */
bool ls_fd_within_limit(int fd);

/* True on a thread recording from a context that must not wait on a lock. */
bool ls_nonblocking(void);

/* gc-boehm.c: records Boehm GC collections when libgc is in the process. */
void ls_gc_hook_install(void);

#endif
