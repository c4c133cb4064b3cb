#!/usr/bin/env python3
"""`leakscope convert --to pprof` read by Go's own pprof. A program with
known allocations per function (tests/pprof-target.c), run from a file whose
name is not UTF-8, is recorded and converted; then `go tool pprof` must show
the exact flat values at those functions for each of the four sample types
(alloc_objects, alloc_space, inuse_objects, inuse_space, in Go's order, the
last the default), file:line with -lines, the inlined function marked as
such, stacks innermost first (-traces), and the program's mapping with its
build id (-raw). The file itself: gzip, string table "" first and all UTF-8,
the recording's wall-clock start and duration. Bad usage: one line, exit 2;
an unwritable output: one line, exit 1, nothing left behind.

Skips (exit 77) only when `go` is not installed (./run installs golang-go).

usage: check-pprof.py LEAKSCOPE PPROF-TARGET PPROF-TARGET-SOURCE
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402
from tap import check, done, one_line_error  # noqa: E402

leakscope, target, source = sys.argv[1:4]
go = shutil.which("go")
if not go:
    print("SKIP: go is not installed (Debian: golang-go); go tool pprof is the reader under test")
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="leakscope-pprof-")
# go offline, as root in CI, touching nothing outside tmp.
go_env = dict(os.environ, HOME=tmp, GOCACHE=os.path.join(tmp, "gocache"), GOPATH=os.path.join(tmp, "gopath"),
              GOFLAGS="", GOPROXY="off", GOTOOLCHAIN="local", GOTELEMETRY="off", PPROF_TMPDIR=tmp,
              PPROF_BINARY_PATH=tmp)
ls_env = {k: v for k, v in os.environ.items() if k != "DEBUGINFOD_URLS"}

# What pprof-target.c allocates, per function: alloc_objects, alloc_space,
# inuse_objects, inuse_space.
EXPECTED = {
    "f_alloc": (7, 7000, 3, 3000),
    "g_alloc": (2, 8192, 0, 0),
    "h_helper": (5, 1500, 2, 600),
}
TYPES = [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")]
with open(source) as f:
    LINES = {m.group(1): n for n, l in enumerate(f, 1) for m in [re.search(r"/\* line:(\w+) \*/", l)] if m}

# A program file named with bytes that are not UTF-8: its path is text from
# the trace that the profile must carry as UTF-8.
program = os.path.join(tmp.encode(), b"pprof-target-\xff\xc0")
shutil.copy(target, program)
trace = os.path.join(tmp, "t.trace")
out = os.path.join(tmp, "t.pb.gz")
p = subprocess.run([leakscope.encode(), b"record", b"--quiet", b"-o", trace.encode(), b"--", program],
                   capture_output=True, env=program_env())
check(p.returncode == 0, f"record exit {p.returncode} {p.stderr.strip()[-300:]!r}")
report = json.loads(subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True,
                                   check=True, env=ls_env).stdout)
p = subprocess.run([leakscope, "convert", "--to", "pprof", "-o", out, trace], capture_output=True, text=True,
                   env=ls_env)
check(p.returncode == 0 and not p.stderr, f"convert --to pprof: exit {p.returncode} {p.stderr.strip()!r}")


# ---- the file, read with a minimal protobuf decoder ----

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def packed(b):
    i = 0
    while i < len(b):
        v, i = varint(b, i)
        yield v


def fields(b):
    """(field number, value) of one message: ints for varints, bytes for
    length-delimited fields."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield num, v


with open(out, "rb") as f:
    raw = f.read()
check(raw[:2] == b"\x1f\x8b", "the file is gzip")
top = list(fields(gzip.decompress(raw)))
strings = [v for n, v in top if n == 6]
check(strings[:1] == [b""], "string table starts with \"\"")
bad = []
for s in strings:
    try:
        s.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        bad.append(s)
check(not bad, f"every string is UTF-8 ({bad[:3]})")
text = [s.decode("utf-8", errors="replace") for s in strings]
types = [(text[d.get(1, 0)], text[d.get(2, 0)]) for n, v in top if n == 1 for d in [dict(fields(v))]]
check(types == TYPES, f"sample types in Go's heap-profile order: {types}")
scalars = {n: v for n, v in top if isinstance(v, int)}
check(text[scalars.get(14, 0)] == "inuse_space", f"default sample type {text[scalars.get(14, 0)]!r}")
check(scalars.get(9) == report["start_realtime_ns"],
      f"time_nanos {scalars.get(9)} is the recording's start {report['start_realtime_ns']}")
check(scalars.get(10) == report["duration_ns"] and report["duration_ns"] > 0,
      f"duration_nanos {scalars.get(10)} is the report's {report['duration_ns']}")
samples = []
for n, v in top:
    if n == 2:
        d = {}
        for k, x in fields(v):
            # repeated scalars, packed (bytes) or not (ints)
            d.setdefault(k, []).extend([x] if isinstance(x, int) else list(packed(x)))
        samples.append((tuple(d.get(1, [])), d.get(2, [])))
check(len({s[0] for s in samples}) == len(samples), f"one sample per call stack ({len(samples)} samples)")
totals = [sum(s[1][i] for s in samples if len(s[1]) == 4) for i in range(4)]
want = [report["allocations"], report["allocated_bytes"], report["leaked_blocks"],
        report["leaked_bytes"]]
check(all(len(s[1]) == 4 for s in samples) and totals == want,
      f"the samples add up to the report's allocations, bytes and leaks: {totals} (want {want})")


# ---- as go tool pprof reads it ----

def pprof(*args):
    p = subprocess.run([go, "tool", "pprof"] + list(args) + [out], capture_output=True, text=True, env=go_env)
    check(p.returncode == 0, f"go tool pprof {' '.join(args)}: exit {p.returncode} {p.stderr.strip()[-300:]!r}")
    return p.stdout


def flat_values(text, in_bytes):
    """{function: flat} from -top output, values in bytes (-unit=B) or counts."""
    flat = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\d+)" + ("B?" if in_bytes else "") + r"\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+(\S+)", line)
        if m:
            flat[m.group(2)] = flat.get(m.group(2), 0) + int(m.group(1))
    return flat


for i, (name, unit) in enumerate(TYPES):
    args = ["-top", "-nodefraction=0", "-nodecount=1000", "-sample_index=" + name]
    if unit == "bytes":
        args.append("-unit=B")
    shown = pprof(*args)
    check(f"Type: {name}" in shown, f"{name}: pprof shows that type")
    flat = flat_values(shown, unit == "bytes")
    for fn, values in EXPECTED.items():
        check(flat.get(fn, 0) == values[i], f"{name}: flat {flat.get(fn, 0)} at {fn} (want {values[i]})")
    check(flat.get("main", 0) == 0 and flat.get("h_alloc", 0) == 0,
          f"{name}: nothing flat at main or h_alloc (callers only): {flat}")

default = pprof("-top")
check("Type: inuse_space" in default, "without -sample_index pprof shows inuse_space")

lines = pprof("-top", "-lines", "-nodefraction=0", "-sample_index=alloc_space")
for fn in ("f_alloc", "g_alloc", "h_helper", "h_alloc"):
    check(re.search(rf"\b{fn} \S*pprof-target\.c:{LINES[fn]}\b", lines), f"-lines: {fn} pprof-target.c:{LINES[fn]}")
check(re.search(r"h_helper \S+pprof-target\.c:\d+ \(inline\)", lines), "-lines: h_helper is marked inlined")
check(re.search(r"h_alloc \S+pprof-target\.c:\d+$", lines, re.M), "-lines: h_alloc is not")

build_id = re.search(r"Build ID: ([0-9a-f]+)", subprocess.run(["readelf", "-n", target], capture_output=True,
                                                               text=True).stdout).group(1)
traces = pprof("-traces", "-sample_index=alloc_space")
check(f"Build ID: {build_id}" in traces, f"-traces: the program's build id {build_id}")
stacks, block = {}, None
for line in traces.splitlines():
    if line.startswith("-----------+"):
        block = []
    elif block is not None and line.strip():
        words = line.split()[0 if block else 1:]  # the first line of a trace starts with its value
        block.append(words[0] + (" (inline)" if "(inline)" in words else ""))
        stacks.setdefault(block[0], block)
check(stacks.get("f_alloc", [])[:2] == ["f_alloc", "main"],
      f"-traces: f_alloc's stack innermost first: {stacks.get('f_alloc')}")
check(stacks.get("h_helper (inline)", [])[:3] == ["h_helper (inline)", "h_alloc", "main"],
      f"-traces: the inlined frame, then h_alloc, then main: {stacks.get('h_helper (inline)')}")

rawtext = pprof("-raw")
mapping = [l for l in rawtext.split("Mappings", 1)[-1].splitlines() if "pprof-target-" in l]
check(len(mapping) == 1 and build_id in mapping[0] and "[FN][FL][LN]" in mapping[0],
      f"-raw: the program's mapping with its build id and [FN][FL][LN]: {mapping}")
check(mapping and "pprof-target-\ufffd\ufffd" in mapping[0], "-raw: its file name with U+FFFD for the bad bytes")
check(re.search(r"^\s+\d+\s+\d+\s+\d+\s+\d+: ", rawtext, re.M), "-raw: samples with four values")
m = re.match(r"(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/", mapping[0]) if mapping else None
locs = re.findall(r"^\s+\d+: (0x[0-9a-f]+) M=(\d+) (f_alloc|g_alloc|h_helper) ", rawtext, re.M)
check(m and len(locs) == 3 and all(mid == m.group(1) and int(m.group(2), 16) <= int(addr, 16) < int(m.group(3), 16)
                                   for addr, mid, _ in locs),
      f"-raw: the allocating locations lie in the program's mapping: {locs} in {mapping}")
leak_ra = {l["stack"][0]["function"]: int(l["stack"][0]["address"], 16) for l in report["leaks"] if l["stack"]}
check(leak_ra.get("f_alloc") is not None and (leak_ra["f_alloc"] - 1, "f_alloc") in
      [(int(a, 16), fn) for a, _, fn in locs], f"-raw: f_alloc's location is its call instruction, the return "
      f"address {leak_ra.get('f_alloc', 0):#x} - 1, as Go writes them")


# ---- bad usage ----

def expect_bad(args, code, what):
    p = subprocess.run([leakscope, "convert"] + args, capture_output=True, text=True, env=ls_env)
    check(one_line_error(p, code), f"{what}: exit {p.returncode}, {p.stderr.strip()!r}")


with open(out, "rb") as f:
    before = f.read()
expect_bad(["--to", "proto", "-o", out, trace], 2, "unknown format")
expect_bad(["--to", "pprof", "-o", "/nonexistent/dir/x.pb.gz", trace], 1, "unwritable output")
expect_bad(["--to", "pprof", "-o", out, os.path.join(tmp, "missing.trace")], 2, "missing trace")
with open(out, "rb") as f:
    check(f.read() == before, "a failed convert leaves the output as it was")
check(not [n for n in os.listdir(tmp) if ".tmp-" in n], "no temporary file left behind")

shutil.rmtree(tmp, ignore_errors=True)
done()
