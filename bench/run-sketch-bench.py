#!/usr/bin/env python3
"""The whole trace without reading its events: `leakscope export --png` of a
recording of the allocation-heavy workload (bench/alloc-bench, 2 threads),
drawn from its chunk summaries, beside the same export reading every event
(--exact), `leakscope report`, and heaptrack_print on heaptrack's recording
of the same run, taking turns, medians of RUNS; then the viewer's first
picture of a bench/gen-trace trace of GEN events (bench/sketch-bench: the
index opened, the sketch built, one 1920x1080 frame drawn) and frames
panned at each zoom of that sketch. Writes its section of BENCHMARKS.md
between the markers below.

usage: bench/run-sketch-bench.py [--build DIR] [--runs N] [--events N] [--gen N] [--out FILE]
  --events: events per thread of alloc-bench (2 threads: twice as many events)
"""
import argparse
import glob
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmd import measure, write_section  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--build", default="build")
p.add_argument("--runs", type=int, default=5)
p.add_argument("--events", type=int, default=50_000_000)
p.add_argument("--gen", type=int, default=1_000_000_000)
p.add_argument("--gen-file", default=None, help="an existing gen-trace trace of --gen events to use instead")
p.add_argument("--tmp", default=None, help="directory for the traces (default: a new temporary one)")
p.add_argument("--out", default="BENCHMARKS.md")
args = p.parse_args()
BEGIN = "<!-- sketch benchmarks: written by bench/run-sketch-bench.py -->"
END = "<!-- end of sketch benchmarks -->"
leakscope = os.path.join(args.build, "viewer", "leakscope")
bench = os.path.join(args.build, "bench")
total = 2 * args.events

with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
    trace = os.path.join(tmp, "a.trace")
    subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", os.path.join(bench, "alloc-bench"), "plain",
                    "2", str(args.events)], check=True, stdout=subprocess.DEVNULL)
    have_ht = shutil.which("heaptrack") and shutil.which("heaptrack_print")
    readers = {
        "leakscope export --png (the chunk summaries)": [leakscope, "export", "--png", os.path.join(tmp, "s.png"),
                                                         trace],
        "leakscope export --png --exact (every event)": [leakscope, "export", "--png", os.path.join(tmp, "e.png"),
                                                         "--exact", trace],
        "leakscope report": [leakscope, "report", trace],
    }
    if have_ht:
        subprocess.run(["heaptrack", "-o", os.path.join(tmp, "ht"), os.path.join(bench, "alloc-bench"), "plain", "2",
                        str(args.events)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        readers["heaptrack_print (heaptrack's recording of the same run)"] = ["heaptrack_print",
                                                                              glob.glob(os.path.join(tmp, "ht*"))[0]]
    results = {n: [] for n in readers}
    for _ in range(args.runs):
        for n, cmd in readers.items():
            results[n].append(measure(cmd))
    size = os.path.getsize(trace)
    os.unlink(trace)
    gen_out = ""
    if args.gen:
        g = args.gen_file or os.path.join(tmp, "g.trace")
        t0 = time.monotonic()
        if not args.gen_file:
            subprocess.run([os.path.join(bench, "gen-trace"), "-n", str(args.gen), "-t", "8", "-r", "20000", "-g",
                            "200000", g], check=True, stdout=subprocess.DEVNULL)
        gen_s = time.monotonic() - t0
        gen_size = os.path.getsize(g)
        firsts, colds = [], []
        for _ in range(args.runs):
            out = subprocess.run([os.path.join(bench, "sketch-bench"), g, "20"], check=True, capture_output=True,
                                 text=True).stdout
            firsts.append(out)
        # From a cold page cache too, where the kernel lets us drop it (root).
        for _ in range(args.runs):
            try:
                os.sync()
                with open("/proc/sys/vm/drop_caches", "w") as f:
                    f.write("3\n")
            except OSError:
                break
            colds.append(subprocess.run([os.path.join(bench, "sketch-bench"), g, "1"], check=True,
                                        capture_output=True, text=True).stdout)
        gen_out = firsts
    with open("/proc/loadavg") as f:
        loadavg = f.read().split()[0]


def med(n, i):
    return statistics.median(r[i] for r in results[n])


ht = next((n for n in results if n.startswith("heaptrack_print")), None)
lines = [BEGIN, f"## The whole trace from the chunk summaries: export --png of {total:,} events, and the "
         "viewer's first picture", "",
         f"Written by `bench/run-sketch-bench.py` (medians of {args.runs} runs, taking turns; {platform.machine()}, "
         f"{os.cpu_count()} cores, load average {loadavg} at the end, measured "
         f"{time.strftime('%Y-%m-%d', time.gmtime())}). Rerun with:", "",
         "```", f"bench/run-sketch-bench.py --build {args.build} --runs {args.runs} --events {args.events} "
         f"--gen {args.gen}", "```", "",
         f"The recording: `leakscope record -- alloc-bench plain 2 {args.events}` ({size / 1e6:.0f} MB); "
         "heaptrack's of the same run. Each events chunk's header carries its summary (format 3.1): per "
         "part of the chunk, its times, events and the range of the thread's heap; `export --png` of the "
         "whole trace of a recording that holds only allocations and frees draws from them alone.", "",
         "| reader | CPU s | wall s | peak RSS MiB | vs heaptrack_print (wall) |", "|---|---:|---:|---:|---:|"]
for n in results:
    ratio = f"{med(n, 1) / med(ht, 1):.3f}x" if ht else "n/a"
    lines.append(f"| {n} | {med(n, 0):.3f} | {med(n, 1):.3f} | {med(n, 2) / 1024:.1f} | {ratio} |")
if gen_out:
    def field(out, key):
        return float(out.split(key)[1].split(" s")[0])
    def meds(outs):
        return [statistics.median(field(o, k) for o in outs) if outs else float("nan")
                for k in ("chunk headers ", "sketch ", "first frame ", "first picture ", "(every chunk's crc) ")]
    warm, cold = meds(gen_out), meds(colds)
    made = f"written in {gen_s:.0f} s" if not args.gen_file else "made beforehand with that command"
    lines += ["", f"The viewer's first picture of `bench/gen-trace -n {args.gen} -t 8 -r 20000 -g 200000` "
              f"({args.gen:,} events, {gen_size / 1e9:.2f} GB, {made}): `bench/sketch-bench` does what the "
              "viewer's loading thread does before it hands the window its first picture (the chunk headers "
              "walked alone, `ls_index_open_headers`: no payload read; the sketch built), then draws one "
              "1920x1080 frame of the whole trace from it; then it opens the index verified (every chunk's crc: "
              "the whole file read), as the window does next before it reads the events on. Warm: the file in the "
              f"page cache; cold: the cache dropped before each run ({len(colds)} runs).", "",
              "| step | warm, median s | cold, median s |", "|---|---:|---:|",
              f"| the chunk headers walked | {warm[0]:.3f} | {cold[0]:.3f} |",
              f"| the sketch built | {warm[1]:.3f} | {cold[1]:.3f} |",
              f"| the first frame drawn | {warm[2]:.3f} | {cold[2]:.3f} |",
              f"| **the first picture** | **{warm[3]:.3f}** | **{cold[3]:.3f}** |",
              f"| (then) the index verified | {warm[4]:.3f} | {cold[4]:.3f} |", "",
              "Frames of the sketch, panned at each zoom (the last run's, 20 frames each):", "", "```",
              "zoom\t" + gen_out[-1].split("zoom\t")[1].rstrip(), "```"]
lines.append(END)
write_section(args.out, BEGIN, END, "\n".join(lines))
