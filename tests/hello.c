/* hello.c — the program every leak checker must pass: stdio's buffer for
 * stdout stays allocated at exit, held by the C library (check-leakclass.py:
 * `leakscope check` with no limits passes it).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

int main(void)
{
    printf("hello, world\n");
    return 0;
}
