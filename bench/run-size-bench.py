#!/usr/bin/env python3
"""What a trace file costs on real programs, and how much of it is time.

Records each workload once with `leakscope record` (the default settings)
and once with heaptrack, and writes the file sizes per event side by side;
then reads each Leakscope trace back (`leakscope dump`) and measures what
its timestamps carry: the entropy of the gaps between a thread's events,
coded the way the format codes them (FORMAT.md §4.1.1: a token per value,
its extra bits verbatim), per event kind (what the writer does, one code
table per kind), at coarser time units, and given more context (the call
stack of the event, or of the event before). The entropies leave the code
tables' own bytes out: they are what a coder with those statistics could
reach, an upper bound of any gain.

Workloads: sqlite3 running a 20,000-insert script (as run-bench.py does),
python3 building and encoding a dict, clang compiling one of our C files,
git running `log -p` over this repository, and the synthetic allocation
workloads (bench/alloc-bench plain, recorded through the preload module:
its 64 live blocks a thread, its ALLOC_BENCH_SITES=8 form, and its
ALLOC_BENCH_LIVE=1000 form, sizes and lifetimes at random with 1000 live
blocks a thread). Where each file's events chunks spend their bytes,
column by column, comes from bench/columns.py.

usage: bench/run-size-bench.py [--build DIR] [--out FILE] [--skip-entropy]
"""
import argparse
import collections
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmd import write_section  # noqa: E402
from workloads import write_sqlite_script  # noqa: E402
from columns import breakdown  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--build", default="build")
p.add_argument("--out", default="BENCHMARKS.md")
p.add_argument("--skip-entropy", action="store_true")
args = p.parse_args()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
leakscope = os.path.abspath(os.path.join(args.build, "viewer", "leakscope"))
alloc_bench = os.path.abspath(os.path.join(args.build, "bench", "alloc-bench"))
tmp = tempfile.mkdtemp(prefix="leakscope-size-")
BEGIN = "<!-- size benchmarks: written by bench/run-size-bench.py -->"
END = "<!-- end of size benchmarks -->"

sql = os.path.join(tmp, "bench.sql")
write_sqlite_script(sql)
python = os.path.realpath(shutil.which("python3") or sys.executable)
if "/shims/" in python:  # a pyenv shim: the interpreter it would run
    python = os.path.realpath(sys.executable)
PY = "import json\nd = {i: str(i) * 10 for i in range(200000)}\nx = json.loads(json.dumps(d))\n"
workloads = [
    ("sqlite3, a 20,000-insert script", ["sqlite3", "-batch", "-init", "/dev/null", os.path.join(tmp, "b.db")], sql,
     None),
    ("python3, a 200,000-entry dict to JSON and back", [python, "-c", PY], None, None),
    ("clang -O2 -c format/trace-reader.c", ["clang", "-O2", "-c", "-I", os.path.join(root, "format"), "-I",
                                             os.path.join(root, "format", "types"),
                                             os.path.join(root, "format", "trace-reader.c"), "-o",
                                             os.path.join(tmp, "r.o")], None, None),
    ("git log -p -n 300 (this repository)", ["git", "-C", root, "log", "-p", "-n", "300"], None, None),
    ("alloc-bench, 2 threads x 1M events (synthetic)", [alloc_bench, "plain", "2", "1000000"], None, None),
    ("alloc-bench, 8 call sites (synthetic)", [alloc_bench, "plain", "2", "1000000"], None, {"ALLOC_BENCH_SITES": "8"}),
    ("alloc-bench, random sizes, 1000 live blocks a thread (synthetic)", [alloc_bench, "plain", "2", "1000000"], None,
     {"ALLOC_BENCH_LIVE": "1000"}),
]


def run(prefix, cmd, stdin, env):
    """Runs prefix + cmd; returns what it printed (stdout and stderr)."""
    e = dict(os.environ)
    e.update(env or {})
    if os.path.exists(os.path.join(tmp, "b.db")):
        os.unlink(os.path.join(tmp, "b.db"))
    said = os.path.join(tmp, "said.txt")
    with open(stdin or os.devnull) as f, open(said, "w") as out:
        subprocess.run(prefix + cmd, stdin=f, env=e, stdout=out, stderr=subprocess.STDOUT, check=True)
    with open(said, errors="replace") as f:
        return f.read()


def events_of(trace):
    out = subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True, check=True).stdout
    import json
    return json.loads(out)["events"]


def token(g):
    if g < 256:
        return g, 0
    n = g.bit_length()
    return 256 + 4 * (n - 9) + ((g >> (n - 3)) & 3), n - 3


def entropy_bytes(groups, total):
    """Bytes per event of coding each group's values with its own table
    (order 0, tables not counted)."""
    bits = 0.0
    for vals in groups.values():
        c = collections.Counter()
        extra = 0
        for v in vals:
            t, e = token(v)
            c[t] += 1
            extra += e
        n = len(vals)
        bits += -sum(k * math.log2(k / n) for k in c.values()) + extra
    return bits / 8 / total


def chunk_cost(groups):
    """Bytes of coding each group's values with its own Huffman table,
    the table counted as the format writes it (FORMAT.md §4.1.1: a varint,
    a bitmap of tokens, a nibble per token), the codes at their entropy."""
    total = 0.0
    for vals in groups.values():
        c = collections.Counter(token(v)[0] for v in vals)
        top = max(c)
        total += entropy_bytes({0: vals}, 1) + 2 + (top + 8) // 8 + (len(c) + 1) // 2
    return total


def timestamps(trace):
    """Per event: (thread, ts ns, kind, stack, chunk) in file order (a
    thread's events in its order); and the bytes of the file's chunks by
    kind (their compressed payloads)."""
    d = subprocess.run([leakscope, "dump", trace], capture_output=True, text=True, check=True).stdout
    thread, unit, out, chunk = 0, 16, [], 0
    chunk_bytes = collections.Counter()
    for line in d.splitlines():
        if line.startswith("header "):
            unit = int(line.split("unit_ns=")[1].split()[0])
        elif line.startswith("chunk "):
            chunk_bytes[line.split("kind=")[1].split()[0]] += int(line.split("comp=")[1].split()[0])
            thread = int(line.split("thread=")[1].split()[0]) if "kind=events" in line else -1
            chunk += 1
        elif thread > 0 and line.startswith("  ") and line[2:3].isdigit():
            f = line.split()
            stack = 0
            for x in f[2:]:
                if x.startswith("stack="):
                    stack = int(x[6:])
            out.append((thread, int(f[0]), f[1], stack, chunk))
    return unit, out, chunk_bytes


def time_study(trace):
    unit, evs, chunk_bytes = timestamps(trace)
    by_thread = collections.defaultdict(list)
    for e in evs:
        by_thread[e[0]].append(e)
    n = len(evs)
    res = {}
    for u in (unit, 64, 256, 1024):
        if u < unit:
            continue
        g_kind = collections.defaultdict(list)
        g_stack = collections.defaultdict(list)
        g_prev = collections.defaultdict(list)
        ties = 0
        for th in by_thread.values():
            prev_t, prev_stack = None, 0
            for _, ts, kind, stack, _ in th:
                t = ts // u
                if prev_t is not None:
                    gap = t - prev_t
                    ties += gap == 0
                    g_kind[kind].append(gap)
                    g_stack[(kind, stack)].append(gap)
                    g_prev[(kind, prev_stack)].append(gap)
                prev_t = t
                if stack:
                    prev_stack = stack
        res[u] = (entropy_bytes(g_kind, n), entropy_bytes(g_stack, n), entropy_bytes(g_prev, n), ties / max(n, 1))
    return unit, res, chunk_bytes, tables_counted(evs, unit)


def tables_counted(evs, unit):
    """Bytes per event of a thread's gaps at the recorded unit coded as a
    chunk can code them, its tables counted: one table per kind (what the
    writer does), and one per kind and stack of the event before for the
    K stacks most often before in the chunk (the others: per kind), K = 2,
    4, 8, 16."""
    chunks = collections.defaultdict(list)
    for e in evs:
        chunks[e[4]].append(e)
    out = {}
    for K in (0, 2, 4, 8, 16):
        total = 0.0
        for ch in chunks.values():
            gaps, prev_t, prev_stack = [], None, 0
            for _, ts, kind, stack, _ in ch:
                t = ts // unit
                gaps.append((kind, prev_stack, 0 if prev_t is None else t - prev_t))
                prev_t = t
                if stack:
                    prev_stack = stack
            top = {s for s, _ in collections.Counter(g[1] for g in gaps).most_common(K)}
            groups = collections.defaultdict(list)
            for kind, ps, gap in gaps:
                groups[(kind, ps if ps in top else None)].append(gap)
            total += chunk_cost(groups)
        out[K] = total / max(len(evs), 1)
    return out


have_heaptrack = shutil.which("heaptrack") is not None
rows, studies = [], []
for name, cmd, stdin, env in workloads:
    if not shutil.which(cmd[0]) and not os.path.exists(cmd[0]):
        print(f"skipped {name}: {cmd[0]} not found")
        continue
    trace = os.path.join(tmp, "w.trace")
    for f in os.listdir(tmp):
        if f.startswith("w.") or f.startswith("heaptrack."):
            os.unlink(os.path.join(tmp, f))
    run([leakscope, "record", "--quiet", "-o", trace, "--"], cmd, stdin, env)
    size, events = os.path.getsize(trace), events_of(trace)
    ht_size = None
    if have_heaptrack:
        said = run(["heaptrack", "-o", os.path.join(tmp, "heaptrack")], cmd, stdin, env)
        hts = [f for f in os.listdir(tmp) if f.startswith("heaptrack.")]
        ht_size = os.path.getsize(os.path.join(tmp, hts[0])) if hts else None
        if "\tallocations:          \t0\n" in said or "allocations:          \t0" in said:
            ht_size = 0  # heaptrack saw no allocation of this program
    rows.append((name, events, size, ht_size, breakdown(trace)))
    print(f"{name}: {events} events, {size} bytes, heaptrack {ht_size}")
    if not args.skip_entropy:
        studies.append((name, size / events) + time_study(trace))
shutil.rmtree(tmp, ignore_errors=True)

w = []
w.append(BEGIN)
w.append("## File size on real programs, and what the timestamps cost")
w.append("")
w.append(f"Written by `bench/run-size-bench.py` (one recording each way; x86_64, measured "
         f"{time.strftime('%Y-%m-%d')}). Rerun with:")
w.append("")
w.append("```")
w.append(f"bench/run-size-bench.py --build {args.build}")
w.append("```")
w.append("")
w.append("| workload | events | leakscope bytes | bytes/event | heaptrack (zstd) bytes | bytes/event | leakscope / heaptrack |")
w.append("|---|---:|---:|---:|---:|---:|---:|")
for name, events, size, ht, _ in rows:
    hb = f"{ht:,}" if ht else ("—" if ht is None else "none: it saw no allocation")
    he = f"{ht / events:.3f}" if ht else "—"
    ratio = f"{size / ht:.1f}x" if ht else "—"
    w.append(f"| {name} | {events:,} | {size:,} | {size / events:.3f} | {hb} | {he} | {ratio} |")
w.append("")
w.append("Both files hold a run of the same program with the same input; bytes per event are over Leakscope's "
         "count of events for both.")
if studies:
    w.append("")
    w.append("What the timestamps carry, in bytes per event: the order-0 entropy of a thread's gaps between events "
             "as the format codes them (a token and its extra bits), with a code per event kind (as the writer "
             "codes them today), per kind and call stack, and per kind and the stack of the event before; at the "
             "recording's unit and at coarser ones; and the share of gaps that are 0 at that unit (events that "
             "share a time). The code tables' bytes are left out: a bound on what better modelling could reach.")
    w.append("")
    w.append("| workload | file bytes/event | unit | time: by kind | by kind + stack | by kind + stack before | gaps of 0 |")
    w.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, per_event, unit, res, _, _ in studies:
        for u, (k, s, pv, ties) in sorted(res.items()):
            label = f"{u} ns" + (" (recorded)" if u == unit else "")
            w.append(f"| {name} | {per_event:.3f} | {label} | {k:.3f} | {s:.3f} | {pv:.3f} | {ties:.0%} |")
w.append("")
w.append("Where the events chunks' bytes go, column by column (FORMAT.md §4.1), in bytes per event: what LZ4 makes of "
         "each column of each chunk on its own (bench/columns.py; the chunks compress as a whole, so these add up to a "
         "little more than the events chunks), and how the writer coded the column's chunks (h: Huffman, k: Huffman "
         "by kind, v: varints; the share of the chunks).")
w.append("")
w.append("| workload | kinds | ts | addr_new | addr_old | addr_lit | size | stack | str + u64 | events chunks |")
w.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
SHORT = {"varint": "v", "huffman": "h", "huffman by kind": "k"}
for name, events, size, ht, (cols, comp, _) in rows:
    def cell(*names):
        alone = sum(cols[c][1] for c in names) / max(events, 1)
        how = collections.Counter()
        for c in names:
            how.update(cols[c][2])
        total = sum(how.values()) or 1
        codings = " ".join(f"{SHORT.get(k, k)} {v / total:.0%}" for k, v in how.most_common())
        return f"{alone:.3f}" + (f" ({codings})" if codings and len(names) == 1 else "")
    w.append(f"| {name} | {cell('kinds')} | {cell('ts')} | {cell('addr_new')} | {cell('addr_old')} | "
             f"{cell('addr_lit')} | {cell('size')} | {cell('stack')} | {cell('str', 'u64')} | "
             f"{comp / max(events, 1):.3f} |")
if studies:
    w.append("")
    w.append("The same gaps at the recorded unit, coded as a chunk can code them (a Huffman table per context, in each "
             "chunk, its bytes counted): by kind (what the writer does), and by kind and the stack of the event "
             "before for the K stacks most often before in the chunk (the others by kind alone), in bytes per event.")
    w.append("")
    w.append("| workload | by kind | K = 2 | K = 4 | K = 8 | K = 16 |")
    w.append("|---|---:|---:|---:|---:|---:|")
    for name, per_event, unit, res, _, tc in studies:
        w.append(f"| {name} | " + " | ".join(f"{tc[k]:.3f}" for k in (0, 2, 4, 8, 16)) + " |")
if studies:
    w.append("")
    w.append("Where a Leakscope file's bytes are, by chunk kind (compressed; the rest of the file is the chunk and "
             "file headers): the events (every column, the timestamps among them), the dictionary (call stacks, "
             "strings, modules) and the heap snapshot at exit.")
    w.append("")
    w.append("| workload | events chunks | dictionary | heap snapshot |")
    w.append("|---|---:|---:|---:|")
    for name, per_event, unit, res, cb, _ in studies:
        total = sum(cb.values()) or 1
        w.append(f"| {name} | {cb['events']:,} B ({cb['events'] / total:.0%}) | {cb['dict']:,} B "
                 f"({cb['dict'] / total:.0%}) | {cb['heap']:,} B ({cb['heap'] / total:.0%}) |")
w.append(END)
write_section(args.out, BEGIN, END, "\n".join(w))
