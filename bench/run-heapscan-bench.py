#!/usr/bin/env python3
"""What the heap snapshot costs (FORMAT.md §4.4, recorder/heapscan.c):

- its speed: bench/heap-live holds 1 GiB live in blocks of 4 KiB and of
  512 B (each with two pointers into other blocks, the rest numbers that
  point nowhere), traced through the API, and times one
  trace_heap_snapshot() (every event taken, the blocks sorted, every live
  byte read and looked up, the chunk compressed and written);
- what it adds to a real program's exit: python3 building a dict and
  lists, and the sqlite3 shell running a 20,000-insert script, each timed
  (wall) under `leakscope record` and `leakscope record --no-scan`, RUNS
  times, interleaved; the difference of the medians is the snapshot's cost;
- what the map of live blocks costs the writer thread while recording
  (bench/alloc-bench, 2 threads x 4M events, CPU with and without), and what
  a short process's exit snapshot costs (bench/fork-loop, 300 children, CPU).

Writes its section of BENCHMARKS.md (between the markers below).

usage: bench/run-heapscan-bench.py [--build DIR] [--runs N] [--out FILE]
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmd import write_section  # noqa: E402
from workloads import write_sqlite_script  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--build", default="build")
p.add_argument("--runs", type=int, default=5)
p.add_argument("--out", default="BENCHMARKS.md")
args = p.parse_args()

leakscope = os.path.abspath(os.path.join(args.build, "viewer", "leakscope"))
heap_live = os.path.abspath(os.path.join(args.build, "bench", "heap-live"))
alloc_bench = os.path.abspath(os.path.join(args.build, "bench", "alloc-bench"))
fork_loop = os.path.abspath(os.path.join(args.build, "bench", "fork-loop"))
BEGIN = "<!-- heap scan benchmarks: written by bench/run-heapscan-bench.py -->"
END = "<!-- end of heap scan benchmarks -->"
tmp = tempfile.mkdtemp(prefix="ls-heapscan-")

PY = ("d = {i: str(i) * 3 for i in range(300000)}\n"
      "l = [bytearray(600) for _ in range(20000)]\n"
      "t = [list(range(i % 50)) for i in range(100000)]\n")
sql = os.path.join(tmp, "bench.sql")
write_sqlite_script(sql)
programs = {
    "python3 (a 300,000-entry dict, 20,000 bytearrays, 100,000 lists)": (["python3", "-c", PY], None),
    "the same python3 leaving with os._exit (no finalization: its heap whole at exit)":
        (["python3", "-c", PY + "import os; os._exit(0)\n"], None),
    "sqlite3 (20,000 inserts into :memory:, an index, a sort)": (["sqlite3", "-batch", "-init", "/dev/null",
                                                                 ":memory:"], sql),
}


def snapshot_counts(trace):
    out = subprocess.run([leakscope, "dump", trace], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^  heap .* blocks=(\d+) bytes=(\d+) edges=(\d+) .* roots=(\d+)", out, re.M)
    size = re.search(r"^chunk offset=\d+ kind=heap .* raw=(\d+) comp=(\d+)", out, re.M)
    return (tuple(int(x) for x in m.groups()) if m else None), (tuple(int(x) for x in size.groups()) if size else None)


def run_program(cmd, stdin, opts):
    db = os.path.join(tmp, "bench.db")
    if os.path.exists(db):
        os.unlink(db)
    trace = os.path.join(tmp, "p.trace")
    full = [leakscope, "record", "--quiet", *opts, "-o", trace, "--", *cmd]
    t0 = time.monotonic()
    with open(stdin or os.devnull) as f:
        proc = subprocess.Popen(full, stdin=f, stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{full} failed")
    return (time.monotonic() - t0, ru.ru_utime + ru.ru_stime), trace


def cpu_of(cmd, env=None, cwd=None):
    """User + system seconds of cmd and the children it waited for."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed")
    return ru.ru_utime + ru.ru_stime


EVENTS = 2 * 4000000
cost = {}
speed = {}
live_cases = [(1024, 4096), (1024, 512)]
program_times = {}
program_snap = {}
for run in range(args.runs):
    for mib, block in live_cases:
        trace = os.path.join(tmp, "live.trace")
        out = subprocess.run([heap_live, trace, str(mib), str(block)], capture_output=True, text=True,
                             check=True).stdout
        m = re.search(r"snapshot_s ([\d.]+) live_bytes (\d+) blocks (\d+) rc 0", out)
        if not m:
            raise SystemExit(f"heap-live: {out}")
        speed.setdefault((mib, block), []).append(float(m.group(1)))
        if run == 0:
            speed[(mib, block, "counts")] = snapshot_counts(trace)
        os.unlink(trace)
    for name, (cmd, stdin) in programs.items():
        for mode, opts in (("scan", []), ("--no-scan", ["--no-scan"])):
            wall, trace = run_program(cmd, stdin, opts)
            program_times.setdefault((name, mode), []).append(wall)
            if mode == "scan" and run == 0:
                program_snap[name] = snapshot_counts(trace)
            os.unlink(trace)
    for scan in ("1", "0"):
        env = dict(os.environ, LEAKSCOPE_SCAN=scan)
        trace = os.path.join(tmp, "ab.trace")
        cost.setdefault(("alloc", scan), []).append(
            cpu_of([leakscope, "record", "--quiet", "-o", trace, "--", alloc_bench, "plain", "2", "4000000"], env))
        work = tempfile.mkdtemp(dir=tmp)
        cost.setdefault(("fork", scan), []).append(
            cpu_of([leakscope, "record", "--quiet", "-o", os.path.join(work, "out.trace"), "--", fork_loop, "300"],
                   env, work))
        shutil.rmtree(work)
    print(f"run {run + 1}/{args.runs} done")
shutil.rmtree(tmp)

lines = [BEGIN, "## The heap snapshot: scan speed and exit time", "",
         f"Written by `bench/run-heapscan-bench.py` (medians of {args.runs} runs, interleaved; "
         f"{platform.machine()}, {os.cpu_count()} cores shared with other work, measured "
         f"{time.strftime('%Y-%m-%d', time.gmtime())}). Rerun with:", "",
         "```", f"bench/run-heapscan-bench.py --build build --runs {args.runs}", "```", "",
         "Scan speed: `bench/heap-live TRACE MIB BLOCK` keeps MIB MiB live in blocks of BLOCK bytes (two "
         "pointers each, the rest numbers that point nowhere), traced through the API, and times one "
         "`trace_heap_snapshot()`: taking every event, sorting the blocks, reading every live byte with "
         "`process_vm_readv`, looking each word up, compressing and writing the chunk.", "",
         "| live heap | blocks | snapshot s | GB/s of live heap | edges | chunk bytes (raw / lz4) |",
         "|---|---:|---:|---:|---:|---|"]
for mib, block in live_cases:
    s = statistics.median(speed[(mib, block)])
    counts, size = speed[(mib, block, "counts")]
    blocks, nbytes, edges, _ = counts
    lines.append(f"| {mib} MiB in {block} B blocks | {blocks:,} | {s:.3f} | {nbytes / s / 1e9:.2f} | {edges:,} | "
                 f"{size[0]:,} / {size[1]:,} |")
lines += ["", "Exit time of real programs, recorded with the snapshot (the default) and without "
          "(`--no-scan`): wall and CPU seconds (user + system) of `leakscope record --quiet [--no-scan] -o T "
          "-- PROGRAM`; the difference is what the map of live blocks (while it runs) and the exit's snapshot add "
          "(a difference below the machine's run-to-run noise, a few ms here, can come out negative). python3 and sqlite3 free most of their heap "
          "before the recorder's exit hook runs (Python's finalization, sqlite3 closing its database), "
          "so their exit snapshots are small; `os._exit` skips that. Python's small objects live in "
          "pymalloc's mmap'd arenas, which are mappings, not blocks: only its larger objects are blocks; the "
          "arenas are scanned as roots (memory the program mapped itself, FORMAT.md §4.4), most of python3's "
          "roots and of what the scan adds to it.", "",
          "| program | wall s: scan / --no-scan | CPU s: scan / --no-scan | the scan adds, CPU s | "
          "snapshot blocks | live bytes | edges | roots |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
for name in programs:
    w, n = (statistics.median(t[0] for t in program_times[(name, m)]) for m in ("scan", "--no-scan"))
    cw, cn = (statistics.median(t[1] for t in program_times[(name, m)]) for m in ("scan", "--no-scan"))
    counts, _ = program_snap.get(name, (None, None))
    c = counts or (0, 0, 0, 0)
    lines.append(f"| {name} | {w:.3f} / {n:.3f} | {cw:.3f} / {cn:.3f} | {cw - cn:+.3f} | {c[0]:,} | {c[1]:,} | "
                 f"{c[2]:,} | {c[3]:,} |")
alloc_on, alloc_off = (statistics.median(cost[("alloc", k)]) for k in ("1", "0"))
fork_on, fork_off = (statistics.median(cost[("fork", k)]) for k in ("1", "0"))
lines += ["", "While recording, the writer thread keeps the map of live blocks from every record it writes; "
          "the recording threads do nothing more. At exit every recorded process writes its snapshot. CPU "
          "(user + system, medians) with the scan on and with `LEAKSCOPE_SCAN=0`:", "",
          "| workload | scan on, CPU s | off, CPU s | the scan adds |", "|---|---:|---:|---:|",
          f"| `leakscope record -- bench/alloc-bench plain 2 4000000` ({EVENTS:,} events, stacks on) | "
          f"{alloc_on:.3f} | {alloc_off:.3f} | {(alloc_on - alloc_off) / EVENTS * 1e9:.1f} ns an event |",
          f"| `leakscope record -- bench/fork-loop 300` (301 processes, each its exit snapshot) | "
          f"{fork_on:.3f} | {fork_off:.3f} | {(fork_on - fork_off) / 301 * 1000:.2f} ms a process |"]
lines.append("")
section = "\n".join(lines) + END

write_section(args.out, BEGIN, END, section)
