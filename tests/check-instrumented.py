#!/usr/bin/env python3
"""Runs tests/instrumented.c's program under the API and checks that
`leakscope report --json` says exactly what the program did."""
import json
import os
import subprocess
import sys
import tempfile

from tap import check, done

leakscope, program = sys.argv[1], sys.argv[2]



with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "instrumented.trace")
    run = subprocess.run([program, trace], capture_output=True, text=True, check=True)
    lines = json.loads(run.stdout)
    rep = subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True)
    check(rep.returncode == 0, f"report exits 0 (stderr: {rep.stderr.strip()})")
    r = json.loads(rep.stdout)

    expect = {
        "allocations": 1007, "frees": 1001, "reallocs": 1,
        "leaked_bytes": 4446, "leaked_blocks": 5, "peak_heap_bytes": 4460,
        "threads": 2, "events": 2030, "truncated": False, "complete": True,
        "lost_events": 0, "unmatched_frees": 0,
    }
    for key, value in expect.items():
        check(r[key] == value, f"{key} == {value!r} (got {r[key]!r})")

    leaks = [(l["bytes"], l["blocks"], l["stack"][0]["function"]) for l in r["leaks"]]
    check(leaks == [(4096, 1, "leak_b"), (300, 3, "leak_a"), (50, 1, "helper")],
          f"leaks by call site, largest first: {leaks}")
    for leak, fn in zip(r["leaks"], ["leak_b", "leak_a", "helper"]):
        top = leak["stack"][0]
        check(top["file"] is not None and top["file"].endswith("instrumented.c")
              and top["line"] == lines[fn], f"{fn}: file:line is instrumented.c:{lines[fn]} (got {top['file']}:{top['line']})")
        check(top["module"].endswith("instrumented"), f"{fn}: module is the program ({top['module']})")
        check(top["address"].startswith("0x"), f"{fn}: address is hex")
    callers = [f["function"] for f in r["leaks"][0]["stack"]]
    check("main" in callers, f"leak_b's stack reaches main: {callers}")

    check(r["resources"]["opened"] == 4 and r["resources"]["closed"] == 3 and r["resources"]["open_at_end"] == 1,
          f"resources opened/closed/open_at_end = 4/3/1 ({r['resources']})")
    kinds = {k["kind"]: (k["opened"], k["closed"], k["open_at_end"]) for k in r["resources"]["kinds"]}
    check(kinds == {"fd": (3, 2, 1), "socket": (1, 1, 0)}, f"per kind: {kinds}")
    check(len(r["open_resources"]) == 1 and r["open_resources"][0]["kind"] == "fd"
          and r["open_resources"][0]["count"] == 1
          and r["open_resources"][0]["stack"][0]["function"] == "open_files"
          and r["open_resources"][0]["stack"][0]["line"] == lines["open_files"],
          "the fd left open is attributed to open_files")

    gc = r["gc"]
    check(gc["pauses"] == 3, f"3 GC pauses ({gc['pauses']})")
    check(gc["max_ns"] >= 5_000_000 and gc["p99_ns"] == gc["max_ns"], f"max pause >= 5 ms and p99 == max ({gc})")
    check(1_000_000 <= gc["p50_ns"] < gc["max_ns"] and gc["total_ns"] >= 8_000_000, f"p50 is the 2 ms pause ({gc})")
    check([m["label"] for m in r["marks"]] == ["phase1", "phase2"], "marks phase1, phase2")
    spans = {s["label"]: (s["count"], s["open"]) for s in r["spans"]}
    check(spans == {"work": (2, 0)}, f"two 'work' spans ({spans})")
    names = sorted(t["name"] for t in r["thread_list"])
    check("helper" in names, f"thread named helper ({names})")

    text = subprocess.run([leakscope, "report", trace], capture_output=True, text=True)
    check(text.returncode == 0 and "leak_b" in text.stdout and "4.00 KiB in 1 block" in text.stdout,
          "the text report lists leak_b with its size")

done()
