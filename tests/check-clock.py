#!/usr/bin/env python3
"""One clock in every process and recording. Programs print the
CLOCK_MONOTONIC readings taken just before and after each mark (the release
of a block of a size only it has; tests/clock-marks.h), and each mark's
timestamp in its trace must lie between them:
- `leakscope record` on fault-target's clock mode: the parent (which has
  measured its clock's rate by its first flush), a child it forks after
  that (the rate from the memory it inherits, its own anchor), and two
  images exec'd by children: one that lives past its first flush, one that
  ends 10 ms after it starts (the rate over its own short life);
- the trace_* API (clock-api.c): three recordings in one process, the
  first 10 ms long, the second 150 ms, the third reusing the second's rate.
The marks of one process are 10 to 300 ms apart: a rate off by 0.1% puts the
later ones 10 to 300 us out, far beyond the tolerance (the mapping's anchor
is a few clock reads, the file's unit 16 ns).

usage: check-clock.py LEAKSCOPE FAULT-TARGET CLOCK-API
"""
import glob
import os
import subprocess
import sys
import tempfile

from asan_env import program_env

from tap import check, done

leakscope, target, api = (os.path.abspath(a) for a in sys.argv[1:4])
TIMEOUT = 120
TOL_NS = 2000


def check_marks(name, stdout, traces, want):
    marks = {}
    for line in stdout.splitlines():
        f = line.split()
        if f and f[0] == "mark":
            marks[int(f[1])] = (int(f[2]), int(f[3]))
    stamps = {}
    for t in traces:
        out = subprocess.run([leakscope, "dump", t], capture_output=True, text=True, timeout=TIMEOUT).stdout
        marked = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) < 3 or f[1] not in ("alloc", "free"):
                continue
            fields = dict(x.split("=", 1) for x in f[2:])
            if f[1] == "alloc" and int(fields["size"]) in marks:
                marked[fields["ptr"]] = int(fields["size"])
            elif f[1] == "free" and fields["ptr"] in marked:
                stamps[marked.pop(fields["ptr"])] = (int(f[0]), os.path.basename(t))
    check(sorted(marks) == sorted(stamps) == sorted(want),
          f"{name}: marks {sorted(want)} printed and each found in a trace "
          f"(printed {sorted(marks)}, found {sorted(stamps)})")
    for size, (before, after) in sorted(marks.items()):
        if size in stamps:
            ts, where = stamps[size]
            check(before - TOL_NS <= ts <= after + TOL_NS,
                  f"{name}: mark {size} in {where} at {ts}: {ts - before:+d} ns from the reading before it, "
                  f"{ts - after:+d} ns from the one after (tolerance {TOL_NS} ns)")


with tempfile.TemporaryDirectory(prefix="ls-clock-") as tmp:
    d = os.path.join(tmp, "record")
    os.makedirs(d)
    res = subprocess.run([leakscope, "record", "--quiet", "-o", os.path.join(d, "out.trace"), "--", target, "clock"],
                         capture_output=True, text=True, timeout=TIMEOUT, env=program_env())
    check(res.returncode == 0, f"record: exit code {res.returncode} ({res.stderr.strip()[-160:]!r})")
    check_marks("record", res.stdout, sorted(glob.glob(os.path.join(d, "*.trace"))),
                [100001, 100002, 100003, 100011, 100012, 100021, 100022, 100031, 100032])

    d = os.path.join(tmp, "api")
    os.makedirs(d)
    res = subprocess.run([api, d], capture_output=True, text=True, timeout=TIMEOUT)
    check(res.returncode == 0, f"api: exit code {res.returncode} ({res.stderr.strip()[-160:]!r})")
    check_marks("api", res.stdout, sorted(glob.glob(os.path.join(d, "*.trace"))),
                [200001, 200002, 200011, 200012, 200021, 200022])

done()
