#!/usr/bin/env python3
"""`leakscope report --from/--to` and `--at-peak` on the sample trace of
tests/test-range.c, whose numbers are known: text and JSON, and bad usage.

usage: check-report-range.py LEAKSCOPE TEST-RANGE
"""
import json
import os
import subprocess
import sys
import tempfile

leakscope, test_range = sys.argv[1], sys.argv[2]
failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


def run(*args):
    return subprocess.run([leakscope, "report", *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "range.trace")
    subprocess.run([test_range, "--write-trace", trace], check=True)

    # [350, 650] ns: the block made at 400 and freed at 500, and the free at
    # 600 of the one made at 300 (its size known from the history).
    p = run("--json", "--from", "350ns", "--to", "650ns", trace)
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    check(p.returncode == 0, f"--from/--to --json: exit {p.returncode} {p.stderr.strip()!r}")
    check((r.get("from_ns"), r.get("to_ns"), r.get("events")) == (350, 650, 4), f"range and events {r}")
    check((r.get("allocations"), r.get("allocated_bytes"), r.get("frees"), r.get("freed_bytes")) == (1, 40, 2, 70),
          f"allocated and freed: {r}")
    check((r.get("live_blocks"), r.get("live_bytes")) == (0, 0), "nothing the range made is left")
    sites = {s["stack"][0]["address"]: s for s in r.get("sites", []) if s["stack"]}
    s2 = sites.get("0x2000", {})
    check((s2.get("allocations"), s2.get("frees"), s2.get("freed_bytes")) == (1, 2, 70),
          f"by call site: the second stack made 1 and freed 2 blocks, 70 bytes ({s2})")

    # Its peak: 100 bytes at 400 ns (60 live as it began, made before it),
    # and the block made at 400 and freed at 500, temporary.
    pk, tmp_ = r.get("peak", {}), r.get("temporary", {})
    got = [(s["bytes"], s["blocks"], s["stack"][0]["address"]) for s in pk.get("top", [])]
    check((pk.get("bytes"), pk.get("ns"), got) == (100, 400, [(90, 3, "0x2000"), (10, 1, "0x1000")]),
          f"the range's peak, by call site: {pk.get('bytes')} at {pk.get('ns')}, {got}")
    got = [(s["count"], s["bytes"], s["stack"][0]["address"]) for s in tmp_.get("top", [])]
    check((tmp_.get("allocations"), tmp_.get("bytes"), got) == (1, 40, [(1, 40, "0x2000")]),
          f"the range's temporary allocations: {tmp_.get('allocations')}, {got}")
    # Its histograms: the one block it made (40 B, in 32..63), which lived
    # 100 ns (under 1 µs); none left at its end.
    check(r.get("size_histogram") == [{"from": 32, "to": 63, "count": 1, "bytes": 40}],
          f"the range's sizes: {r.get('size_histogram')}")
    check(r.get("lifetime_histogram") == [{"from": 0, "to": 999, "count": 1, "bytes": 40},
                                          {"from": None, "to": None, "count": 0, "bytes": 0}],
          f"the range's lifetimes: {r.get('lifetime_histogram')}")
    # The whole trace as a range: the whole trace's histograms.
    whole = json.loads(run("--json", trace).stdout)
    full = json.loads(run("--json", "--from", "0s", trace).stdout)
    check(full.get("size_histogram") == whole["size_histogram"]
          and full.get("lifetime_histogram") == whole["lifetime_histogram"],
          f"a range of the whole trace has its histograms: {full.get('lifetime_histogram')} {whole['lifetime_histogram']}")
    # [550, 800] ns does not hold the whole trace's peak (400 ns): 60 bytes
    # as it began, 30 after the free at 600, 100 with the block made at 700,
    # which holds most of it and is temporary (freed at 800, the thread's
    # next step).
    p = run("--json", "--from", "550ns", "--to", "800ns", trace)
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    pk = r.get("peak", {})
    got = [(s["bytes"], s["stack"][0]["address"]) for s in pk.get("top", [])]
    check((pk.get("bytes"), pk.get("ns"), got) == (100, 700, [(70, "0x3000"), (20, "0x2000"), (10, "0x1000")]),
          f"[550, 800]: its own peak at 700 ns, led by the third stack: {pk.get('bytes')} at {pk.get('ns')} {got}")
    check(r.get("temporary", {}).get("allocations") == 1, f"[550, 800]: one temporary {r.get('temporary')}")
    p = run("--from", "550ns", "--to", "800ns", trace)
    check("\nSIZES (allocations by size" in p.stdout and "still live at the range's end" in p.stdout,
          f"text: the range's SIZES and LIFETIMES ({p.stdout[-600:]!r})")
    check(p.returncode == 0 and "peak         100 B in 3 blocks at 700 ns" in p.stdout
          and "PEAK (100 B live at 700 ns, largest first)" in p.stdout and "  1 temporary allocation (70 B) of 1" in p.stdout,
          f"text: the range's peak and temporary ({p.stdout!r})")

    p = run("--from", "0s", "--to", "750ns", trace)
    check(p.returncode == 0 and "kept         100 B in 3 blocks" in p.stdout and "BY CALL SITE" in p.stdout,
          f"text: what [0, 750 ns] kept ({p.stdout[:400]!r})")
    p = run("--from", "350ns", trace)
    check(p.returncode == 0 and "from 350 ns to 800 ns" in p.stdout, f"--from alone runs to the end: {p.stdout[:120]!r}")

    # The heap first reaches its peak, 100 bytes, at 400 ns (at 700 it comes
    # back to 100, which is no new peak): stack 2 has 90 bytes in 3 blocks
    # live there, stack 1 10 bytes in 1.
    p = run("--json", "--at-peak", trace)
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    check((r.get("peak_heap_bytes"), r.get("peak_heap_ns"), r.get("peak_heap_blocks")) == (100, 400, 4),
          f"--at-peak: the peak {r.get('peak_heap_bytes')} at {r.get('peak_heap_ns')}")
    got = [(s["bytes"], s["blocks"], s["stack"][0]["address"]) for s in r.get("sites", [])]
    check(got == [(90, 3, "0x2000"), (10, 1, "0x1000")], f"--at-peak: live by call site, largest first {got}")
    p = run("--at-peak", trace)
    check(p.returncode == 0 and "LIVE AT THE PEAK: 100 B in 4 blocks at 400 ns, from 2 call sites" in p.stdout,
          f"--at-peak text: {p.stdout[:200]!r}")

    for args, line in ((["--from", "soon"], "report: --from: 'soon' is not a time"),
                       (["--from", "700ns", "--to", "300ns"], "report: --to must be after --from"),
                       (["--from", "1s"], "report: --from 1s is past the trace's end"),
                       (["--at-peak", "--to", "1s"], "report: --at-peak takes no --from or --to"),
                       (["--to"], "report: option '--to' needs a value")):
        p = run(*args, trace) if args != ["--to"] else run("--to")
        check(p.returncode == 2 and p.stderr.startswith("leakscope: " + line) and len(p.stderr.splitlines()) == 1,
              f"{' '.join(args)}: {p.stderr.strip()!r}")

print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
