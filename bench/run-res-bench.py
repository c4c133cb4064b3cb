#!/usr/bin/env python3
"""What recording a descriptor costs: bench/res-loop opens and closes
/dev/null N times and prints the time of one open and close on its thread
(CPU time, user and system, and wall time) by its own clocks. Run plain, under `leakscope record` (stacks on, and --stack-depth 0)
and, with --compare-preload, under `leakscope record` with another build's
preload module (say, before a change), RUNS times each, interleaved. Writes
its section of BENCHMARKS.md (between the markers below) with medians.

usage: bench/run-res-bench.py [--build DIR] [--runs N] [--pairs N] [--compare-preload SO [--compare-name TEXT]]
                              [--out FILE]
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmd import write_section  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--build", default="build")
p.add_argument("--runs", type=int, default=7)
p.add_argument("--pairs", type=int, default=200000)
p.add_argument("--compare-preload", metavar="SO", help="another build's libleakscope-preload.so")
p.add_argument("--compare-name", default="the other build", help="what to call it in the table")
p.add_argument("--out", default="BENCHMARKS.md")
args = p.parse_args()

leakscope = os.path.abspath(os.path.join(args.build, "viewer", "leakscope"))
res_loop = os.path.abspath(os.path.join(args.build, "bench", "res-loop"))
BEGIN = "<!-- resource benchmarks: written by bench/run-res-bench.py -->"
END = "<!-- end of resource benchmarks -->"
THIS = "leakscope record"
modes = {"plain": None, THIS: [], "leakscope record --stack-depth 0": ["--stack-depth", "0"]}
if args.compare_preload:
    modes[f"leakscope record, {args.compare_name}"] = ["PRELOAD"]


def run(mode, tmp):
    cmd, env = [res_loop, str(args.pairs)], dict(os.environ)
    if mode is not None:
        extra = [a for a in mode if a != "PRELOAD"]
        if "PRELOAD" in mode:
            env["LEAKSCOPE_PRELOAD"] = os.path.abspath(args.compare_preload)
        cmd = [leakscope, "record", "--quiet", "-o", os.path.join(tmp, "res.trace"), *extra, "--"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    cpu, wall = out.split()[:2]
    return float(cpu), float(wall)


times = {m: [] for m in modes}
walls = {m: [] for m in modes}
with tempfile.TemporaryDirectory(prefix="leakscope-res-bench-") as tmp:
    for _ in range(args.runs):
        for name, mode in modes.items():
            cpu, wall = run(mode, tmp)
            times[name].append(cpu)
            walls[name].append(wall)
med = {m: statistics.median(v) for m, v in times.items()}
wmed = {m: statistics.median(v) for m, v in walls.items()}
lines = [BEGIN, "", f"## Recording descriptors: {args.pairs:,} opens and closes of /dev/null", "",
         f"bench/res-loop, 7 frames under main; the program thread's CPU time (user and system) around the loop, "
         f"by its own clock (the process's start and end, and the recorder's writer thread, left out), and its "
         f"wall time; medians of {args.runs} runs, interleaved; {platform.machine()}, {os.cpu_count()} CPUs, "
         f"shared (load {os.getloadavg()[0]:.1f} at the end). Each open and each close is recorded with its call "
         f"stack (64 frames at most) unless --stack-depth 0.", "",
         "| mode | CPU ns per open and close | vs plain | wall ns | runs (CPU ns) |", "|---|---:|---:|---:|---|"]
for m in modes:
    lines.append(f"| {m} | {med[m]:.0f} | {med[m] / med['plain']:.2f}x | {wmed[m]:.0f} | "
                 f"{', '.join(f'{v:.0f}' for v in times[m])} |")
lines.append("")
if args.compare_preload:
    other = f"leakscope record, {args.compare_name}"
    lines.append(f"What {THIS} costs beyond {args.compare_name}: {med[THIS] - med[other]:.0f} ns of CPU per open "
                 f"and close ({med[THIS] - med['plain']:.0f} ns in all beyond plain, against "
                 f"{med[other] - med['plain']:.0f}).")
    lines.append("")
lines.append(END)
write_section(args.out, BEGIN, END, "\n".join(lines))
