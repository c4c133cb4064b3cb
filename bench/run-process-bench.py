#!/usr/bin/env python3
"""What a recorded process's start and end cost: a loop forking 300
children (bench/fork-loop.c; each allocates, frees and exits) and a bash
loop running /bin/true 220 times (each command a forked bash and an exec'd
program, both recorded), timed plain, under `leakscope record` and under
`leakscope record --no-follow-fork`, RUNS times each, interleaved; each
recorded run writes its traces into a new directory under DIR (removed after
the run). Writes its section of BENCHMARKS.md (between the markers below,
which bench/run-bench.py keeps), with medians.

usage: bench/run-process-bench.py [--build DIR] [--runs N] [--dir DIR ...] [--compare BUILD] [--out FILE]
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmd import write_section  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--build", default="build")
p.add_argument("--runs", type=int, default=5)
p.add_argument("--children", type=int, default=300)
p.add_argument("--commands", type=int, default=220)
p.add_argument("--dir", action="append", help="where the traces go (repeatable; default /tmp and /dev/shm)")
p.add_argument("--out", default="BENCHMARKS.md")
p.add_argument("--compare", metavar="BUILD", help="also time `leakscope record` of another build (say, before a change)")
args = p.parse_args()
dirs = args.dir or [d for d in ("/tmp", "/dev/shm") if os.path.isdir(d)]

leakscope = os.path.abspath(os.path.join(args.build, "viewer", "leakscope"))
fork_loop = os.path.abspath(os.path.join(args.build, "bench", "fork-loop"))
BEGIN = "<!-- process benchmarks: written by bench/run-process-bench.py -->"
END = "<!-- end of process benchmarks -->"

# Each workload: its command, how many children or commands it runs, and
# the same work plain but writing one small file per process that records
# (a bash command is two: bash's forked child and the program it execs),
# where the traces would go: what creating a file costs on that file
# system, recorder or not.
bash_loop = f"for i in {{1..{args.commands}}}; do /bin/true; done"
bash_files = f"for i in {{1..{args.commands}}}; do /bin/true; echo x > f.$i.a; echo x > f.$i.b; done"
workloads = {
    f"fork loop, {args.children} children": ([fork_loop, str(args.children)], args.children,
                                            [fork_loop, str(args.children), "."]),
    f"bash loop, {args.commands} × /bin/true": (["bash", "--norc", "--noprofile", "-c", bash_loop], args.commands,
                                                 ["bash", "--norc", "--noprofile", "-c", bash_files]),
}
FILES = "plain, a file per process"
modes = {"plain": None, FILES: "files", "leakscope record": [],
         "leakscope record --no-follow-fork": ["--no-follow-fork"]}
other = os.path.abspath(os.path.join(args.compare, "viewer", "leakscope")) if args.compare else None
if other:
    modes[f"leakscope record, {args.compare}"] = ["OTHER"]


def measure(cmd, cwd):
    """Wall seconds, CPU seconds (user + system of the process and the
    children it waited for), and the traces written."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed with {os.waitstatus_to_exitcode(status)}")
    traces = sum(1 for f in os.listdir(cwd) if f.endswith(".trace"))  # (the plain files are not traces)
    return wall, ru.ru_utime + ru.ru_stime, traces


results = {}
for run in range(args.runs):
    for base in dirs:
        for wname, (cmd, _, files_cmd) in workloads.items():
            for mname, opts in modes.items():
                work = tempfile.mkdtemp(prefix="ls-procs-", dir=base)
                exe = other if opts == ["OTHER"] else leakscope
                opts = [] if opts == ["OTHER"] else opts
                if opts is None:
                    full = cmd
                elif opts == "files":
                    full = files_cmd
                else:
                    full = [exe, "record", "--quiet", *opts, "-o", os.path.join(work, "out.trace"), "--", *cmd]
                results.setdefault((base, wname, mname), []).append(measure(full, work))
                shutil.rmtree(work)
    print(f"run {run + 1}/{args.runs} done")

lines = [BEGIN, "## Starting and ending recorded processes", "",
         "Written by `bench/run-process-bench.py` (medians of "
         f"{args.runs} runs, modes interleaved; {platform.machine()}, {os.cpu_count()} cores, measured "
         f"{time.strftime('%Y-%m-%d', time.gmtime())}). Rerun with:", "",
         "```", f"bench/run-process-bench.py --build build --runs {args.runs}"
         + (f" --compare {args.compare}" if args.compare else ""), "```", "",
         "Each recorded process writes a trace of its own (the fork loop's children, and in the bash loop "
         "both bash's forked child and the /bin/true it execs), into a new directory under the one named. "
         "Extra ms per process: (wall time − plain wall time) / children or commands; the last column "
         f"subtracts \"{FILES}\" instead: the same work writing one small file "
         "per process that records (two per bash command) where the traces go, which is what creating "
         "a file costs on that file system. CPU: user + "
         "system of every process waited for.", "",
         "| workload | traces under | mode | wall s | CPU s | traces | extra ms per child or command "
         "| the same beyond a file's cost |",
         "|---|---|---|---:|---:|---:|---:|---:|"]
for base in dirs:
    for wname, (_, count, _) in workloads.items():
        plain = statistics.median(r[0] for r in results[(base, wname, "plain")])
        files = statistics.median(r[0] for r in results[(base, wname, FILES)])
        for mname in modes:
            rs = results[(base, wname, mname)]
            wall = statistics.median(r[0] for r in rs)
            cpu = statistics.median(r[1] for r in rs)
            extra = "" if mname == "plain" else f"{(wall - plain) / count * 1000:.2f}"
            beyond = "" if "no-follow-fork" in mname or mname in ("plain", FILES) else \
                f"{(wall - files) / count * 1000:.2f}"
            lines.append(f"| {wname} | {base} | {mname} | {wall:.3f} | {cpu:.3f} | {rs[-1][2]} | {extra} | {beyond} |")
lines.append("")
section = "\n".join(lines) + END

write_section(args.out, BEGIN, END, section)
