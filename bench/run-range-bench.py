#!/usr/bin/env python3
"""What reading a selection exactly costs (the Flame Graph and Call Tree
panels, `report --from --to`, `flamegraph --from --to`): bench/range-bench
on a synthetic trace (bench/gen-trace) of N events, the range over the whole
trace and over its second half, with its history, no event budget; with the
decoding worker (the default) and on one thread (LEAKSCOPE_JOBS=1); with the
whole trace's analysis (calltree-bench's load) in the same run to hold it
against, and the same read on a trace a tenth as long, so that the memory
can be seen to follow the live blocks, not the events. Writes its section
of BENCHMARKS.md between the markers below.

usage: bench/run-range-bench.py [--build DIR] [--runs N] [--events N] [--out FILE]
"""
import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmd import write_section  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--build", default="build")
p.add_argument("--runs", type=int, default=5)
p.add_argument("--events", type=int, default=10_000_000)
p.add_argument("--out", default="BENCHMARKS.md")
args = p.parse_args()
bench = os.path.join(args.build, "bench")
BEGIN = "<!-- range benchmarks: written by bench/run-range-bench.py -->"
END = "<!-- end of range benchmarks -->"


def gen(path, events):
    subprocess.run([os.path.join(bench, "gen-trace"), "-n", str(events), "-t", "8", "-r", "20000", "-g", "200000",
                    "-s", "20000", "-d", "12", path], check=True, stdout=subprocess.DEVNULL)


def range_bench(path, jobs=None):
    env = dict(os.environ)
    if jobs:
        env["LEAKSCOPE_JOBS"] = jobs
    out = subprocess.run([os.path.join(bench, "range-bench"), path, str(args.runs)], check=True, capture_output=True,
                         text=True, env=env).stdout
    return dict(line.split(": ", 1) for line in out.splitlines())


def load_s(path):
    out = subprocess.run([os.path.join(bench, "calltree-bench"), path, "1"], check=True, capture_output=True,
                         text=True).stdout
    return float(out.split("load (one analysis pass) ")[1].split(" s")[0])


with tempfile.TemporaryDirectory() as tmp:
    big, small = os.path.join(tmp, "big.trace"), os.path.join(tmp, "small.trace")
    gen(big, args.events)
    gen(small, args.events // 10)
    load = load_s(big)
    r = range_bench(big)
    one = range_bench(big, "1")
    s = range_bench(small)
    with open("/proc/loadavg") as f:
        loadavg = f.read().split()[0]

mib = lambda kib: f"{int(kib) / 1024:.1f} MiB"  # noqa: E731
lines = [BEGIN, f"## Viewer: a selection read exactly, on a {int(r['events']):,}-event trace", "",
         f"Written by `bench/run-range-bench.py` (medians of {args.runs} runs; {platform.machine()}, "
         f"{os.cpu_count()} cores shared with other builds, load average {loadavg}, measured "
         f"{time.strftime('%Y-%m-%d', time.gmtime())}). Rerun with:", "",
         "```", f"bench/run-range-bench.py --build {args.build} --runs {args.runs} --events {args.events}", "```", "",
         f"The trace is `bench/gen-trace -n {args.events} -t 8 -r 20000 -g 200000 -s 20000 -d 12` "
         f"({int(r['stacks']):,} call stacks). The panels read a selection with its history (every event "
         "from the trace's start: the sizes of older blocks, the heap as the selection begins), with no "
         "event budget, and a little past its end while a thread's last allocation in it is unsettled "
         "(a temporary or not); `range-bench` times `ls_range_summarize` alone, as the panels' GTask "
         "thread calls it.", "",
         "| measure | value |", "|---|---:|",
         f"| the whole trace's analysis (the load, for comparison) | {load:.2f} s |",
         f"| **a selection of the whole trace** ({int(r['whole range events']):,} events, "
         f"{int(r['whole range sites']):,} call sites) | **{float(r['whole range s']):.2f} s** "
         f"({float(r['whole range cpu s']):.2f} s of CPU) |",
         f"| the same on one thread (`LEAKSCOPE_JOBS=1`) | {float(one['whole range s']):.2f} s "
         f"({float(one['whole range cpu s']):.2f} s of CPU) |",
         f"| a selection of the second half ({int(r['second half events']):,} events, read from the start) "
         f"| {float(r['second half s']):.2f} s |",
         f"| peak resident memory: the index alone / after the reads | {mib(r['index max rss KiB'])} / "
         f"{mib(r['after reads max rss KiB'])} |",
         f"| the same on a trace a tenth as long ({int(s['events']):,} events) | {mib(s['index max rss KiB'])} / "
         f"{mib(s['after reads max rss KiB'])} |",
         f"| blocks live at the whole range's end / at its peak; its temporary allocations "
         f"| {int(r['whole range live at end']):,} / {int(r['whole range peak blocks']):,}; "
         f"{int(r['whole range temporary']):,} |",
         "",
         "The read's memory is the live blocks' map, a value per call stack and thread, and the cursor's "
         "decoded chunks (one per thread, and the decoding worker's slots), whatever the number of "
         "events; a selection the user moves cancels the read under way (checked every 4096 events).",
         ""]
section = "\n".join(lines) + END
write_section(args.out, BEGIN, END, section)
