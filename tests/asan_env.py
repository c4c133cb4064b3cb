"""The environment of the programs that the record tests run, with and without
`leakscope record` (check-record.py, check-record-faults.py).

In an ordinary build it is the test's own environment. In the ASan build
(./run test's build-asan) meson sets LEAKSCOPE_TEST_ASAN_RUNTIME to the ASan
runtime (tests/meson.build). The preload module is then ASan code, and it is
tested as what it is: loaded FIRST, with the runtime right after it. The
launcher puts its module in front of any LD_PRELOAD it is given, so the
programs get LD_PRELOAD=<module>:libasan.so; symbol lookup finds the module's
malloc, open, fclose... first, and what they call next (dlsym RTLD_NEXT) is
ASan's allocator and interceptors. The module's own code runs instrumented
and every block it hands out comes from ASan's allocator. (libasan first
would put ASan's malloc in the place the module interposes on, and the
interposers would never run.) libstdc++ goes ahead of libasan too, so that
operator new and delete are libstdc++'s, which call malloc and free as they
do without ASan; ASan's own operator new would take its blocks from ASan's
allocator directly, past the module. (ASan's strdup does the same and is
left as it is: no check here counts the blocks strdup makes.)

The ASan options added to those of the run:
  verify_asan_link_order=0  the runtime comes after the module on purpose;
  detect_leaks=0            the programs leak on purpose (ours, to have leaks
                            to report; python3, sqlite3 and git at exit):
                            the tests read the leaks from the trace, and
                            LeakSanitizer would change their exit codes;
  with signals=True also handle_segv=0, handle_abort=0: a program that
  crashes dies of its signal, as it does without ASan, so that the crash
  cases compare the same thing with and without the recorder.
Memory errors still stop the program (halt_on_error, ASan's default), so
an error in the module fails the test whose program it was preloaded into.
The runs without the recorder get the same environment.
"""
import os

RUNTIME = os.environ.get("LEAKSCOPE_TEST_ASAN_RUNTIME", "")


def program_env(signals=False):
    """A copy of os.environ for a program run with or without `leakscope
    record`; in the ASan build, with the runtime preloaded and the options
    above."""
    env = dict(os.environ)
    if not RUNTIME:
        return env
    old = env.get("LD_PRELOAD", "")
    env["LD_PRELOAD"] = "libstdc++.so.6:" + RUNTIME + (":" + old if old else "")
    # allocator_may_return_null: a request larger than any allocator gives
    # (record-target's failing realloc) returns NULL, as C says, instead of
    # ASan's report.
    opts = ["verify_asan_link_order=0", "detect_leaks=0", "allocator_may_return_null=1"]
    if signals:
        opts += ["handle_segv=0", "handle_abort=0"]
    env["ASAN_OPTIONS"] = ":".join(o for o in [env.get("ASAN_OPTIONS", "")] + opts if o)
    return env


def sanitizer_lines(stderr):
    """The lines of a sanitizer report in a program's stderr, for the test log."""
    keys = ("Sanitizer", "runtime error:", "    #")
    return [l for l in stderr.splitlines() if any(k in l for k in keys)][:40]
