#!/usr/bin/env python3
"""Every metric of a time range on a recorded program with known phases
(tests/range-target.c), between its marks "a" and "b": `flamegraph
--folded --from --to` exact for each metric (the range's temporary
allocations at churn and none at hold_make, which frees after the range;
the range's own peak, held mostly by medium_keep, not by the whole trace's
big_grow, with early_keep's block made before the range), `report --json
--from --to` the same totals, and bad --from/--to one line and exit 2.

usage: check-range-recorded.py LEAKSCOPE RANGE-TARGET
"""
import json
import os
import re
import subprocess
import sys
import tempfile

leakscope, target = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


def below_main(text):
    """{path below main: value} of folded lines."""
    out = {}
    for line in text.splitlines():
        path, _, value = line.rpartition(" ")
        frames = path.split(";")
        if "main" in frames:
            key = ";".join(frames[frames.index("main") + 1:])
            out[key] = out.get(key, 0) + int(value)
    return out


with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "range.trace")
    p = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", target], capture_output=True, text=True,
                       env=program_env())
    check(p.returncode == 0, f"record: exit {p.returncode} {p.stderr.strip()!r}")
    # The marks' times as the report writes them (to 10 ns or 10 us): the
    # program sleeps 30 ms on either side of each, so the rounding is harmless.
    report = subprocess.run([leakscope, "report", trace], capture_output=True, text=True).stdout
    marks = dict((label, f"{t}{unit}") for t, unit, label in
                 re.findall(r"^\s+([0-9.]+) (ns|µs|ms|s)\s+mark\s+(\S+)$", report, re.M))
    check(set(marks) == {"a", "b"}, f"marks a and b in the report: {marks}")
    rng = ["--from", marks.get("a", "0s"), "--to", marks.get("b", "0s")]

    expected = {
        "allocated": {"medium_keep": 6000, "churn": 288, "hold_make": 200},
        "allocations": {"medium_keep": 4, "churn": 6, "hold_make": 2},
        "temporary": {"churn": 6},
        "leaked": {"medium_keep": 6000, "hold_make": 200},
        "leaked-blocks": {"medium_keep": 4, "hold_make": 2},
        "peak": {"early_keep": 700, "medium_keep": 6000, "hold_make": 200},
    }
    out = os.path.join(tmp, "out.folded")
    for metric, want in expected.items():
        p = subprocess.run([leakscope, "flamegraph", "--metric", metric, *rng, "--folded", out, trace],
                           capture_output=True, text=True)
        got = below_main(open(out, encoding="utf-8").read()) if p.returncode == 0 else {}
        check(p.returncode == 0 and got == want, f"flamegraph --metric {metric} {' '.join(rng)}: {got} (want {want})"
              f" {p.stderr.strip()!r}")
    svg = os.path.join(tmp, "out.svg")
    p = subprocess.run([leakscope, "flamegraph", "--metric", "peak", *rng, "--svg", svg, trace], capture_output=True,
                       text=True)
    text = open(svg, encoding="utf-8").read() if p.returncode == 0 else ""
    check(re.search(r"range-target, [0-9.]+ (ns|µs|ms) to [0-9.]+ (ms|s): 6\.74 KiB in all", text) is not None,
          "the range's SVG names its range and its peak in the title")
    p = subprocess.run([leakscope, "flamegraph", "--metric", "peak", "--folded", out, trace], capture_output=True)
    got = below_main(open(out, encoding="utf-8").read()) if p.returncode == 0 else {}
    check(got == {"big_grow": 30000, "early_keep": 700}, f"the whole trace's peak is big_grow's: {got}")

    p = subprocess.run([leakscope, "report", "--json", *rng, trace], capture_output=True, text=True)
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    check((r.get("peak", {}).get("bytes"), r.get("temporary", {}).get("allocations"),
           r.get("temporary", {}).get("bytes")) == (6900, 6, 288),
          f"report --json {' '.join(rng)}: peak {r.get('peak', {}).get('bytes')}, temporary {r.get('temporary')}")

    for args, line in ((["--from", "soon"], "flamegraph: --from: 'soon' is not a time"),
                       (["--to", "1ms", "--from", "2ms"], "flamegraph: --to must be after --from"),
                       (["--from", "10s"], "flamegraph: --from 10s is past the trace's end"),
                       (["--to", "0s"], "flamegraph: --to must be after --from")):
        p = subprocess.run([leakscope, "flamegraph", *args, "--folded", out, trace], capture_output=True, text=True)
        check(p.returncode == 2 and p.stderr.startswith("leakscope: " + line) and len(p.stderr.splitlines()) == 1,
              f"flamegraph {' '.join(args)}: exit {p.returncode} {p.stderr.strip()!r}")
    p = subprocess.run([leakscope, "flamegraph", "--folded", out, trace, "--from"], capture_output=True, text=True)
    check(p.returncode == 2 and p.stderr.strip() == "leakscope: flamegraph: --from needs a value",
          f"flamegraph --from without a value: {p.stderr.strip()!r}")

print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
