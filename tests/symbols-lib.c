/* Helper shared library for test-symbols.c, built twice by symbols-build.sh:
 *  - libsymbols-lib.so:     -g, resolved through DWARF;
 *  - libsymbols-nodebug.so: -g0 -DSYMBOLS_LIB_NODEBUG, resolved through the ELF symbol table
 *    only, under an Itanium-mangled name to exercise demangling without any C++ in the build.
 * Each function calls cb so the test can capture a return address inside it. */

#ifndef SYMBOLS_LIB_NODEBUG

/* Returns the line of the cb() call. */
__attribute__((noinline)) int symbols_lib_call(void (*cb)(void));
__attribute__((noinline)) int symbols_lib_call(void (*cb)(void))
{
    cb(); int line = __LINE__; /* keep on one line: the test expects the call on this line */
    return line;
}

#else

/* C++ name: symbols_nodebug_call(void (*)()) */
int symbols_nodebug_call(void (*cb)(void)) __asm__("_Z20symbols_nodebug_callPFvvE");
__attribute__((noinline)) int symbols_nodebug_call(void (*cb)(void))
{
    cb();
    return 1;
}

#endif
