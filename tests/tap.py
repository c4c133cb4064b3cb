"""TAP-style checks for the Python test programs: each check prints one
`ok` / `not ok` line; done() prints the tally and exits non-zero on a
failure."""
import sys

_failures = 0


def check(cond, what):
    """Prints the outcome of one check; returns cond."""
    global _failures
    print(f"{'ok' if cond else 'not ok'} - {what}")
    _failures += 0 if cond else 1
    return cond


def one_line_error(p, code):
    """True when the finished command p (text output) exited with code and
    said why on stderr in one line starting "leakscope: ", as every
    leakscope command does."""
    lines = p.stderr.splitlines()
    return p.returncode == code and len(lines) == 1 and lines[0].startswith("leakscope: ")


def failures():
    return _failures


def done():
    print(f"{'FAILED' if _failures else 'passed'}: {_failures} failures")
    sys.exit(1 if _failures else 0)
