/* record-early.c — links tests/early-lib.c, whose constructor allocates
 * before the preload module is initialized; prints what it leaked.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

extern int early_lib_fd;

int main(void)
{
    printf("{\"early_lib_init\": [4321, 1], \"fd_open\": %s}\n", early_lib_fd >= 0 ? "true" : "false");
    return early_lib_fd >= 0 ? 0 : 1;
}
