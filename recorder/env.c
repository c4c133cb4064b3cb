/* env.c — where the recorder's settings ($LEAKSCOPE_*) come from.
 *
 * Through the API they are the program's own: trace_begin reads them with
 * getenv, when the program calls it. The preload module cannot ask the
 * program: a program may have its getenv and setenv of its own (bash keeps
 * its variables in its own tables and answers getenv from them once it has
 * any, which a setenv before its main creates), and it may change its
 * environment at any time. So the module copies the LEAKSCOPE_* entries of
 * the environment vector as the process was started with it, once, when
 * recording starts (at the first allocation, before the program's main):
 * reading `environ` itself, never calling the program's getenv or setenv.
 * A forked child inherits the copy; an exec'd image makes its own.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"
#include "env-protocol.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

/* "NAME=value\0" entries back to back. Static: taken inside the first
 * allocation, where nothing may allocate. 16 KiB holds every setting with
 * a PATH_MAX output path several times over; entries beyond are left out
 * (and so take their defaults). */
#define ENV_BYTES 16384
static struct {
    bool taken;
    size_t used;
    char text[ENV_BYTES];
} S;

void ls_env_capture(void)
{
    static const char prefix[] = LS_ENV_PREFIX;
    S.used = 0;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, prefix, sizeof prefix - 1) != 0)
            continue;
        size_t len = strlen(*e) + 1;
        if (len > ENV_BYTES - S.used)
            continue;
        memcpy(S.text + S.used, *e, len);
        S.used += len;
    }
    __atomic_store_n(&S.taken, true, __ATOMIC_RELEASE);
}

const char *ls_getenv(const char *name)
{
    if (!__atomic_load_n(&S.taken, __ATOMIC_ACQUIRE))
        return getenv(name);
    size_t len = strlen(name);
    for (size_t at = 0; at < S.used; at += strlen(S.text + at) + 1)
        if (strncmp(S.text + at, name, len) == 0 && S.text[at + len] == '=')
            return S.text + at + len + 1;
    return NULL;
}
