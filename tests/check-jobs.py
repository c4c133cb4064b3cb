#!/usr/bin/env python3
"""Reading a trace with a worker thread decoding ahead (the default on a
machine with two cores or more) and on one thread (LEAKSCOPE_JOBS=1) gives
the same output, byte for byte: the report (text and JSON), check, the CSV
and Trace Event exports and the PNG, on real programs recorded here
(sqlite3 running a script, python3 building and dropping a dict, a
two-thread allocation workload, a shell loop).

usage: check-jobs.py LEAKSCOPE ALLOC-BENCH
"""
import os
import shutil
import subprocess
import sys
import tempfile

leakscope, alloc_bench = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402

tmp = tempfile.mkdtemp(prefix="leakscope-jobs-")
failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


sql = os.path.join(tmp, "s.sql")
with open(sql, "w") as f:
    f.write("create table t(a integer, b text);\n")
    f.write("".join(f"insert into t values({i}, '{'x' * (i % 97)}');\n" for i in range(3000)))
    f.write("create index ti on t(b); select count(*), sum(length(b)) from t group by a % 7 order by 2;\n")
programs = {
    "sqlite3": ["sqlite3", os.path.join(tmp, "db"), f".read {sql}"],
    "python3": ["python3", "-c", "d = {i: str(i) * 3 for i in range(200000)}; del d"],
    "alloc-bench": [alloc_bench, "plain", "2", "300000"],
    "bash": ["bash", "--norc", "-c", "x=; for i in $(seq 2000); do x=$x$i; done; echo ${#x}"],
}
# What each command writes: its standard output, or OUT (a file).
outputs = {
    "report": lambda t, o: ["report", t],
    "report --json": lambda t, o: ["report", "--json", t],
    "check": lambda t, o: ["check", "--max-leaked-bytes", "1G", "--max-peak-heap", "1G", t],
    "convert csv": lambda t, o: ["convert", "--to", "csv", "-o", o, t],
    "convert chrome": lambda t, o: ["convert", "--to", "chrome", "-o", o, t],
    "export png": lambda t, o: ["export", "--png", o, "--size", "900x600", t],
}
for name, cmd in programs.items():
    if not shutil.which(cmd[0]) and not os.path.isabs(cmd[0]):
        check(False, f"{name}: not installed (the run script installs it)")
        continue
    trace = os.path.join(tmp, f"{name}.trace")
    p = subprocess.run([leakscope, "record", "--quiet", "--no-follow-fork", "-o", trace, "--", *cmd],
                       capture_output=True, env=program_env())
    check(p.returncode == 0, f"{name}: recorded (exit {p.returncode}) {p.stderr[-200:]!r}")
    if p.returncode:
        continue
    for what, args in outputs.items():
        got = {}
        for jobs in ("1", None):
            env = dict(os.environ)
            env.pop("LEAKSCOPE_JOBS", None)
            if jobs:
                env["LEAKSCOPE_JOBS"] = jobs
            out = os.path.join(tmp, f"out-{jobs}")
            r = subprocess.run([leakscope, *args(trace, out)], capture_output=True, env=env)
            data = r.stdout
            if os.path.exists(out):
                with open(out, "rb") as f:
                    data += f.read()
                os.unlink(out)
            got[jobs] = (r.returncode, data, r.stderr)
        one, many = got["1"], got[None]
        check(one[0] == 0 and one == many and len(one[1]) > 20,
              f"{name}: {what}: {len(one[1])} bytes, the same on one thread and with decoding ahead")
shutil.rmtree(tmp)
sys.exit(1 if failures else 0)
