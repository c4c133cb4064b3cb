/* env-protocol.h — the environment the `leakscope record` launcher, the
 * recorder library and the preload module share: the variables' names,
 * their defaults and their limits, in one place.
 *
 * The launcher sets them for the program it runs; the library reads them at
 * trace_begin (through getenv, or in the preload module from the
 * environment the process started with: env.c). README's settings table
 * documents them for users.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_ENV_PROTOCOL_H
#define LEAKSCOPE_ENV_PROTOCOL_H

#define LS_ENV_PREFIX "LEAKSCOPE_"

/* Settings, with their default and limits. */
#define LS_ENV_OUTPUT "LEAKSCOPE_OUTPUT"             /* the trace's path */
#define LS_ENV_STACK_DEPTH "LEAKSCOPE_STACK_DEPTH"   /* frames per stack; 0: no stacks */
#define LS_STACK_DEPTH_DEFAULT 64
#define LS_STACK_DEPTH_MAX 256
#define LS_ENV_FLUSH_MS "LEAKSCOPE_FLUSH_MS"         /* longest wait of an event before the file */
#define LS_FLUSH_MS_DEFAULT 100
#define LS_FLUSH_MS_MIN 1
#define LS_FLUSH_MS_MAX 60000
#define LS_ENV_BUFFER_MB "LEAKSCOPE_BUFFER_MB"       /* memory for event buffers */
#define LS_BUFFER_MB_DEFAULT 256
#define LS_ENV_DICT_MB "LEAKSCOPE_DICT_MB"           /* memory for interned stacks and strings */
#define LS_DICT_MB_DEFAULT 256
#define LS_MB_MAX (1u << 20)
#define LS_ENV_DROP "LEAKSCOPE_DROP"                 /* 1: drop and count instead of waiting */
#define LS_ENV_TIME_UNIT_NS "LEAKSCOPE_TIME_UNIT_NS" /* timestamp resolution in the file */
#define LS_TIME_UNIT_NS_MAX 1000
#define LS_ENV_UNWIND "LEAKSCOPE_UNWIND"             /* "libunwind": every stack by libunwind */
#define LS_ENV_UNWIND_STATS "LEAKSCOPE_UNWIND_STATS" /* 1: stack-walk statistics at exit */
#define LS_ENV_SCAN "LEAKSCOPE_SCAN"                 /* 0: no heap snapshots (FORMAT.md §4.4) */
#define LS_ENV_NO_TSC "LEAKSCOPE_NO_TSC"             /* set: clock_gettime, not the TSC */

/* Set by the launcher for the preload module only. */
#define LS_ENV_RESOURCES "LEAKSCOPE_RESOURCES"       /* 0: allocations only */
#define LS_ENV_FOLLOW_FORK "LEAKSCOPE_FOLLOW_FORK"   /* 0: record the launched process only */
/* The pid the launcher execs: only that process's first image writes to
 * LEAKSCOPE_OUTPUT; every other process and image writes a file with its
 * pid in the name (preload.c says how an exec'ing root passes it on). */
#define LS_ENV_ROOT_PID "LEAKSCOPE_ROOT_PID"
/* The launcher's own: where the preload module is, when not beside it. */
#define LS_ENV_PRELOAD "LEAKSCOPE_PRELOAD"

#endif
