#!/usr/bin/env python3
"""A recorded program opens and closes thousands of descriptors of several
kinds (tests/res-target.c) with a known most open at once and a known few
left open. The timeline's series, exported by `convert --to chrome`, must
never exceed the first and must end at the report's open at end, which must
be the second; `convert --to csv` must pair every close with an open of the
same kind, and bad usage of convert gets one line and exit 2. Every close
carries the stack that closed it (format 3): its id in `dump` and the csv,
and `report --closes` names the program's close_slot() for every close,
with as many closes per kind as the report counts.

A second program (tests/emfile-target.c) runs out of descriptors: the
report must list exactly the opens that failed with EMFILE, the first from
the program's own function, and leave them out of the resources.

usage: check-resources.py LEAKSCOPE RES-TARGET EMFILE-TARGET
"""
import collections
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

leakscope, target, emfile_target = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402

tmp = tempfile.mkdtemp(prefix="leakscope-resources-")
trace = os.path.join(tmp, "res.trace")
failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


p = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", target, tmp],
                   capture_output=True, text=True, env=program_env())
check(p.returncode == 0, f"record exit {p.returncode} {p.stderr.strip()!r}")
expected = {}
for line in p.stdout.splitlines():
    kind, most, end = line.split()
    expected[kind] = (int(most), int(end))

report = json.loads(subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True,
                                   check=True).stdout)
kinds = {k["kind"]: k for k in report["resources"]["kinds"]}
for kind, (most, end) in expected.items():
    check(kind in kinds and kinds[kind]["open_at_end"] == end,
          f"report: {kind} open at end {kinds.get(kind, {}).get('open_at_end')} (want {end})")
    check(kind in kinds and kinds[kind]["opened"] >= 2400, f"report: {kind} opened {kinds.get(kind, {}).get('opened')}")
check("fd" not in kinds, f"report: no bare 'fd' kind ({sorted(kinds)})")

out = os.path.join(tmp, "res.json")
subprocess.run([leakscope, "convert", "--to", "chrome", "-o", out, trace], check=True)
with open(out) as f:
    events = json.load(f)["traceEvents"]
counters = [e for e in events if e.get("name") == "open resources" and e["ph"] == "C"]
check(len(counters) > 10, f"chrome: {len(counters)} open-resources counter events")
check(all(a["ts"] <= b["ts"] for a, b in zip(counters, counters[1:])), "chrome: counter events in time order")
for kind, (most, end) in expected.items():
    series = [e["args"].get(kind, 0) for e in counters]
    check(max(series) <= most and max(series) >= most // 2,
          f"chrome: {kind} at most {max(series)} open at once (program's most: {most})")
    check(series[-1] == kinds.get(kind, {}).get("open_at_end"),
          f"chrome: {kind} ends at {series[-1]}, the report's open at end")
check(all(set(e["args"]) <= set(kinds) for e in counters), "chrome: only the report's kinds")
heap = [e["args"]["bytes"] for e in events if e.get("name") == "heap"]
check(heap and max(heap) == report["peak_heap_bytes"], f"chrome: heap peak {max(heap or [0])} = report's")
named = {e["tid"] for e in events if e.get("name") == "thread_name"}
check(len(named) == report["threads"], f"chrome: {len(named)} threads named, of {report['threads']}")

# check --max-open names kinds as the report does: a subtype, a family, a kind.
for limit, code in (("socket=0", 1), ("socket=4", 0), ("fd=15", 1), ("fd=16", 0), ("fd/pipe=8", 0), ("DIR=3", 1)):
    p = subprocess.run([leakscope, "check", "--max-open", limit, trace], capture_output=True, text=True)
    check(p.returncode == code, f"check --max-open {limit}: exit {p.returncode}, want {code}")

rows = os.path.join(tmp, "res.csv")
subprocess.run([leakscope, "convert", "--to", "csv", "-o", rows, trace], check=True)
with open(rows, newline="") as f:
    data = list(csv.DictReader(f))
check(len(data) == report["events"], f"csv: {len(data)} rows for {report['events']} events")
opened = collections.Counter()
closes_without_kind = 0
for r in data:
    if r["kind"] == "res_open":
        opened[r["resource_kind"]] += 1
    elif r["kind"] == "res_close":
        closes_without_kind += r["resource_kind"] not in kinds
check(all(opened[k] == kinds[k]["opened"] for k in kinds), "csv: opens per kind as in the report")
check(closes_without_kind == 0, f"csv: every close names its opened kind ({closes_without_kind} do not)")
check(all(int(a["time_ns"]) <= int(b["time_ns"]) for a, b in zip(data, data[1:])), "csv: rows in time order")

# Where each resource was closed: every close from close_slot().
closes = [r for r in data if r["kind"] == "res_close"]
check(closes and all(r["stack_id"] for r in closes),
      f"csv: every close has a stack id ({sum(not r['stack_id'] for r in closes)} of {len(closes)} have none)")
dumped = [line for line in subprocess.run([leakscope, "dump", trace], capture_output=True, text=True,
                                          check=True).stdout.splitlines() if " res_close " in line]
check(len(dumped) == len(closes) and all(re.search(r" stack=[1-9][0-9]*$", line) for line in dumped),
      f"dump: every res_close has its stack id ({dumped[:1]})")
crep = json.loads(subprocess.run([leakscope, "report", "--json", "--closes", trace], capture_output=True, text=True,
                                 check=True).stdout)
closed = collections.Counter()
for site in crep["close_sites"]:
    closed[site["kind"]] += site["count"]
    frames = [f["function"] for f in site["stack"]]
    check("close_slot" in frames[:3], f"report --closes: {site['count']} x {site['kind']} closed at {frames[:4]}")
check(all(closed[k] == kinds[k]["closed"] for k in kinds),
      f"report --closes: closes per kind {dict(closed)} as the report counts them")
check(crep["open_resources"] == report["open_resources"], "report --closes: open_resources as without it")
text = subprocess.run([leakscope, "report", "--closes", trace], capture_output=True, text=True).stdout
check(re.search(r"x fd/socket closed at\n +close_slot +res-target\.c:", text) is not None,
      "report --closes: the text names close_slot under 'closed at'")
p = subprocess.run([leakscope, "report", "--closes", "--at-peak", trace], capture_output=True, text=True)
check(p.returncode == 2 and len(p.stderr.splitlines()) == 1, f"report --closes --at-peak: exit {p.returncode}")


# Opens that failed for want of descriptors.
etrace = os.path.join(tmp, "emfile.trace")
p = subprocess.run([leakscope, "record", "--quiet", "-o", etrace, "--", emfile_target], capture_output=True,
                   text=True, env=program_env())
check(p.returncode == 0, f"emfile: record exit {p.returncode} {p.stderr.strip()!r}")
want = json.loads(p.stdout)["failed"] if p.returncode == 0 else -1
check(want == 5, f"emfile: the program saw {want} calls fail with EMFILE (3 opens, a socket, an fopen)")
erep = json.loads(subprocess.run([leakscope, "report", "--json", etrace], capture_output=True, text=True,
                                 check=True).stdout)
fails = erep["resources"]["open_failures"]
check(len(fails) == 1 and fails[0]["error"] == "EMFILE" and fails[0]["count"] == want,
      f"emfile: report lists {want} EMFILE failures ({fails})")
first = [f["function"] for f in fails[0]["stack"]] if fails else []
check("exhaust" in first[:3], f"emfile: the first failure is from exhaust() ({first[:4]})")
check(all(not k["kind"].startswith("error") for k in erep["resources"]["kinds"]),
      f"emfile: failures are no resource kind ({[k['kind'] for k in erep['resources']['kinds']]})")
check(erep["resources"]["open_at_end"] == 0, f"emfile: nothing left open ({erep['resources']['open_at_end']})")
text = subprocess.run([leakscope, "report", etrace], capture_output=True, text=True).stdout
check(f"{want} opens failed with EMFILE (too many open files)" in text, "emfile: the text report says so")


def expect_bad(args, code, what):
    p = subprocess.run([leakscope, "convert"] + args, capture_output=True, text=True)
    lines = p.stderr.splitlines()
    check(p.returncode == code and len(lines) == 1 and lines[0].startswith("leakscope: "),
          f"{what}: exit {p.returncode}, {p.stderr.strip()!r}")


with open(out, "rb") as f:
    before = f.read()
expect_bad(["--to", "svg", "-o", out, trace], 2, "unknown format")
expect_bad(["--to", "chrome", trace], 2, "no -o")
expect_bad(["--to", "chrome", "-o", out, os.path.join(tmp, "missing.trace")], 2, "missing trace")
expect_bad(["--to", "chrome", "-o", out, "--bogus", trace], 2, "unknown option")
expect_bad(["--to", "chrome", "-o", "/nonexistent/dir/x.json", trace], 1, "unwritable output")
with open(out, "rb") as f:
    check(f.read() == before, "a failed convert leaves the output as it was")
check(not [n for n in os.listdir(tmp) if ".tmp-" in n], "no temporary file left behind")

subprocess.run(["rm", "-rf", tmp])
print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
