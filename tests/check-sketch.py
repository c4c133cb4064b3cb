#!/usr/bin/env python3
"""The sketch (a first picture from the chunk summaries, format 3.1) on real
recordings: alloc-bench on 2 threads, python3, sqlite3 and git, recorded
with `leakscope record --no-resources` (so the traces hold only heap
events and thread names: a complete sketch) and without it (sqlite3 and
git then record descriptors: an incomplete one); gen-trace's traces
(resources and GC pauses: incomplete). test-sketch checks, column by
column, that the sketch's heap ranges hold the heap read from every event,
and that its totals are the analysis's; on alloc-bench (5.2M events),
that they are tight, and that a sketch refined while the events are read
is their heap where it was refined. A trace recorded with the heap scan off (the writer then knows no
free's size) and a 3.0 file have no sketch; python3's may have none (it
frees blocks made before the recorder started). `export --png` of the whole
trace draws from the sketch only when it is complete: the PNG then differs
from `--exact`'s (the heap's note says where it came from); with resources
in the trace, or with --from/--to, it is --exact's byte for byte.

usage: check-sketch.py LEAKSCOPE TEST_SKETCH ALLOC_BENCH GEN_TRACE V3_TRACE"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import RUNTIME as ASAN_RUNTIME, program_env  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"check-sketch: FAIL: {what}", file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def record(leakscope, out, cmd, extra_env=None, stdin=None, flags=()):
    env = program_env()
    env.update(extra_env or {})
    r = run([leakscope, "record", "--quiet", "-o", out] + list(flags) + ["--"] + cmd, env=env, input=stdin)
    check(r.returncode == 0, f"record {cmd[0]}: exit {r.returncode} {r.stderr.strip()!r}")
    return out


def main():
    leakscope, test_sketch, alloc_bench, gen_trace, v3 = sys.argv[1:6]
    with tempfile.TemporaryDirectory() as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        repo = os.path.join(tmp, "repo")
        sql = "".join(f"insert into t values({i}, '{'x' * (i % 50)}');\n" for i in range(3000))
        sql = "create table t(a, b);\n" + sql + "select count(*), sum(length(b)) from t;\n"
        py = "import json\nd = [{'k': i, 'v': str(i) * 5} for i in range(20000)]\nprint(len(json.dumps(d)))\n"
        hosts = {
            "bench": ([alloc_bench, "plain", "2", "2600000"], None),
            "python3": (["/usr/bin/python3", "-S", "-c", py], None),
            "sqlite3": (["sqlite3", "-batch", ":memory:"], sql),
            "git": (["git", "-c", "init.defaultBranch=main", "init", "-q", repo], None),
        }
        env = {"HOME": home, "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "PYTHONHASHSEED": "0"}
        heap_only, with_res = [], []
        for name, (cmd, stdin) in hosts.items():
            heap_only.append(record(leakscope, os.path.join(tmp, name + ".trace"), cmd, env, stdin,
                                    ["--no-resources"]))
            with_res.append(record(leakscope, os.path.join(tmp, name + "-res.trace"), cmd, env, stdin))
        noscan = record(leakscope, os.path.join(tmp, "noscan.trace"), hosts["bench"][0], env, None,
                        ["--no-scan"])
        gen = os.path.join(tmp, "gen.trace")
        r = run([gen_trace, "-n", "400000", "-t", "4", "-r", "2000", "-g", "5000", gen])
        check(r.returncode == 0, f"gen-trace: exit {r.returncode} {r.stderr.strip()!r}")

        # python3 frees blocks the C library made before the recorder
        # started: a chunk of it may not know a release's size. Under ASan
        # every recorded program does (the runtime frees blocks it made
        # before the recorder started): there a recording may have no
        # sketch, gen-trace's must.
        maybe = ["--maybe"] if ASAN_RUNTIME else []
        unsketched = set()

        def note_unsketched(out):
            unsketched.update(line.split(": no sketch")[0] for line in out.splitlines() if ": no sketch" in line)
        r = run([test_sketch, "--refine", "--tight", "12"] + maybe + [heap_only[0]])
        note_unsketched(r.stdout)
        check(r.returncode == 0, f"test-sketch --refine --tight 12 on alloc-bench: {r.stdout.strip()} {r.stderr.strip()}")
        print(r.stdout, end="")
        r = run([test_sketch, "--maybe", heap_only[1], with_res[1]])
        check(r.returncode == 0, f"test-sketch --maybe on python3: {r.stderr.strip()}")
        print(r.stdout, end="")
        r = run([test_sketch] + maybe + heap_only[2:] + with_res[:1] + with_res[2:])
        check(r.returncode == 0, f"test-sketch on the recordings: {r.stderr.strip()}")
        print(r.stdout, end="")
        note_unsketched(r.stdout)
        r = run([test_sketch, gen])
        check(r.returncode == 0, f"test-sketch on gen-trace's trace: {r.stderr.strip()}")
        r = run([test_sketch, "--none", noscan, v3])
        check(r.returncode == 0, f"no sketch with the heap scan off, nor of a 3.0 file: {r.stderr.strip()}")

        def export(trace, name, extra=()):
            out = os.path.join(tmp, name)
            r = run([leakscope, "export", "--png", out, "--size", "800x600"] + list(extra) + [trace])
            check(r.returncode == 0, f"export {name}: exit {r.returncode} {r.stderr.strip()!r}")
            try:
                with open(out, "rb") as f:
                    return f.read()
            except OSError:
                return b""

        for i, trace in enumerate(heap_only[:1] + heap_only[2:]):
            if trace in unsketched:
                continue
            fast, exact = export(trace, f"h{i}.png"), export(trace, f"h{i}-exact.png", ["--exact"])
            check(fast[:8] == b"\x89PNG\r\n\x1a\n" and fast != exact,
                  f"{os.path.basename(trace)}: the whole trace is drawn from its summaries (the PNG differs from "
                  "--exact's)")
        for i, trace in enumerate(with_res[2:] + [gen]):
            check(export(trace, f"r{i}.png") == export(trace, f"r{i}-exact.png", ["--exact"]),
                  f"{os.path.basename(trace)}: a trace with resources is read event by event")
        rng = ["--from", "0", "--to", "10s"]
        check(export(heap_only[0], "range.png", rng) == export(heap_only[0], "range-exact.png", rng + ["--exact"]),
              "a range is read event by event")
    if failures:
        print(f"check-sketch: {failures} checks failed", file=sys.stderr)
        return 1
    print("check-sketch: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
