#!/usr/bin/env python3
"""`leakscope diff` on a program whose allocations scale with its argument
(tests/diff-target.c): N=1 against N=3 gives exact deltas per call site and
in total, and each run's allocations and bytes per size bucket (per site and
in total), in the JSON and the text; the same program twice (once with ASLR
off, once on: the addresses differ) and the program against a rebuild with
its code moved (other addresses and lines) give all-zero deltas; bad usage
is one line and exit 2.

usage: check-diff.py LEAKSCOPE DIFF-TARGET DIFF-TARGET-MOVED
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

leakscope, target, moved = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402

tmp = tempfile.mkdtemp(prefix="leakscope-diff-")
failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


def record(name, program, n, no_aslr=False):
    trace = os.path.join(tmp, name + ".trace")
    cmd = [leakscope, "record", "--quiet", "-o", trace, "--", program, str(n)]
    if no_aslr and shutil.which("setarch"):
        cmd = ["setarch", os.uname().machine, "-R"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, env=program_env())
    check(p.returncode == 0, f"record {name}: exit {p.returncode} {p.stderr.strip()!r}")
    return trace


def run(args):
    p = subprocess.run([leakscope] + args, capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr, f"{' '.join(args)}: exit {p.returncode} {p.stderr.strip()!r}")
    return p.stdout


def diff_json(base, new):
    return json.loads(run(["diff", "--json", base, new]))


def function(site):
    """The call site's function: ls_site_name's text up to the first space."""
    return site["site"].split(" ")[0]


KEYS = ["allocated_bytes_delta", "allocations_delta", "leaked_bytes_delta", "peak_bytes_delta", "temporary_delta"]

t1 = record("n1-no-aslr", target, 1, no_aslr=True)
t1b = record("n1", target, 1)
t3 = record("n3", target, 3)
t3m = record("n3-moved", moved, 3)

# N=1 -> N=3, every number of diff-target.c's header comment.
want = {
    "scale": [400, 4, 200, 400, 0],   # 2N x 100 bytes, N leaked, all live at the peak
    "churn": [96, 2, 0, 0, 2],        # N x 48 bytes, all temporary
    "hold": [0, 0, 0, 0, 0],
    "keep": [0, 0, 0, 0, 0],
    "once": [64, 1, 64, 0, 0],        # only in the N=3 run
}
d = diff_json(t1, t3)
got = {}
for s in d["sites"]:
    got.setdefault(function(s), []).append([s[k] for k in KEYS])
for fn, deltas in want.items():
    check(got.get(fn) == [deltas], f"N=1 -> 3: {fn} deltas {got.get(fn)} (want {[deltas]})")
others = {fn: v for fn, v in got.items() if fn not in want}
check(all(all(x == 0 for x in row) for rows in others.values() for row in rows),
      f"N=1 -> 3: every other site unchanged ({others})")
check([function(s) for s in d["sites"]][:3] == ["scale", "churn", "once"], "N=1 -> 3: biggest growth first")
check([d["totals"][k] for k in KEYS] == [560, 7, 264, 400, 2], f"N=1 -> 3: totals {d['totals']}")
check(d["totals"]["base"]["peak_bytes"] == 1100 and d["totals"]["new"]["peak_bytes"] == 1500,
      "N=1 -> 3: peak heap 600 + 300 + 200N")
scale = next(s for s in d["sites"] if function(s) == "scale")
once = next(s for s in d["sites"] if function(s) == "once")
check(once["base_values"] is None and once["new_values"]["allocations"] == 1, "N=1 -> 3: once only in the new run")
check(scale["base_values"]["allocations"] == 2 and scale["new_values"]["allocations"] == 6,
      f"N=1 -> 3: scale's values in each run {scale['base_values']} {scale['new_values']}")
check([f["function"] for f in scale["stack"]][:2] == ["scale", "main"], "N=1 -> 3: the site's stack, innermost first")

# The size buckets (from, to, base_count, base_bytes, new_count, new_bytes):
# scale's 2N x 100 bytes come from two stacks (two lines), summed into one
# site; 64 bytes (once) is the first size of the 64..127 bucket.
B32, B64, B128, B256 = (32, 63), (64, 127), (128, 255), (256, 511)
want_buckets = {
    "scale": [(*B64, 2, 200, 6, 600)],
    "churn": [(*B32, 1, 48, 3, 144)],
    "once": [(*B64, 0, 0, 1, 64)],
    "hold": [(*B128, 3, 600, 3, 600)],
    "keep": [(*B256, 1, 300, 1, 300)],
}


def buckets(entry):
    return [(b["from"], b["to"], b["base_count"], b["base_bytes"], b["new_count"], b["new_bytes"])
            for b in entry["size_buckets"]]


for fn, want_b in want_buckets.items():
    s = next((s for s in d["sites"] if function(s) == fn), None)
    check(s is not None and buckets(s) == want_b, f"N=1 -> 3: {fn} size buckets {s and buckets(s)} (want {want_b})")
check(buckets(d["totals"]) == [(*B32, 1, 48, 3, 144), (*B64, 2, 200, 7, 664), (*B128, 3, 600, 3, 600),
                               (*B256, 1, 300, 1, 300)], f"N=1 -> 3: the totals' size buckets {buckets(d['totals'])}")
for s in d["sites"]:  # each run's buckets add up to its values
    for side, values in (("base", s["base_values"]), ("new", s["new_values"])):
        n = sum(b[side + "_count"] for b in s["size_buckets"])
        nbytes = sum(b[side + "_bytes"] for b in s["size_buckets"])
        check((n, nbytes) == ((values["allocations"], values["allocated_bytes"]) if values else (0, 0)),
              f"N=1 -> 3: {function(s)}'s {side} buckets add up to its allocations ({n}, {nbytes} B)")

# N=3 -> N=1: every delta negated, once gone.
back = {}
for s in diff_json(t3, t1)["sites"]:
    back.setdefault(function(s), []).append([s[k] for k in KEYS])
check(back == {fn: [[-x for x in row] for row in rows] for fn, rows in got.items()}, f"N=3 -> 1: negated {back}")
scale_back = next(s for s in diff_json(t3, t1)["sites"] if function(s) == "scale")
check(buckets(scale_back) == [(*B64, 6, 600, 2, 200)], f"N=3 -> 1: scale's buckets swapped {buckets(scale_back)}")

text = run(["diff", t1, t3])
lines = text.splitlines()
for want_line in ["  allocated        1.12 KiB     1.67 KiB       +560 B",
                  "  allocations             7           14           +7",
                  "  leaked              400 B        664 B       +264 B",
                  "  peak heap        1.07 KiB     1.46 KiB       +400 B",
                  "  temporary               1            3           +2",
                  "    allocated allocations      leaked        peak   temporary  site"]:
    check(want_line in lines, f"text: {want_line.strip()!r}")
rows = [ln for ln in lines if ln.endswith("← main") or ln.endswith("← main  (new)")]
check(len(rows) == 3 and rows[0].split()[:5] == ["+400", "B", "+4", "+200", "B"] and "scale (diff-target.c:" in rows[0],
      f"text: scale's row first {rows[:1]}")
check(len(rows) == 3 and rows[1].split()[:8] == ["+96", "B", "+2", "0", "B", "0", "B", "+2"] and "churn (" in rows[1],
      f"text: churn's row second {rows[1:2]}")
check(len(rows) == 3 and rows[2].split()[:8] == ["+64", "B", "+1", "+64", "B", "0", "B", "0"] and
      rows[2].endswith("  (new)"), f"text: once's row third, new {rows[2:3]}")
check(any(ln.startswith("CALL SITES (biggest growth first: 3 of ") for ln in lines), "text: 3 sites changed")
# under each row, the size buckets that changed (in allocations)
check("  sizes: 32 B\u201364 B +2, 64 B\u2013128 B +5" in lines, "text: the totals' sizes line")
for fn, want_line in (("scale", "      sizes: 64 B\u2013128 B +4"), ("churn", "      sizes: 32 B\u201364 B +2"),
                      ("once", "      sizes: 64 B\u2013128 B +1")):
    at = next((i for i, ln in enumerate(lines) if f" {fn} (diff-target.c:" in ln), None)
    check(at is not None and at + 1 < len(lines) and lines[at + 1] == want_line,
          f"text: {fn}'s sizes line {lines[at + 1] if at is not None and at + 1 < len(lines) else None!r}")
top1 = run(["diff", "--top", "1", t1, t3]).splitlines()
check("  ... and 2 more changed sites (--top N)" in top1 and not any("churn (" in ln for ln in top1), "text: --top 1")

# The same program twice: the addresses differ, the sites do not.
def addresses(trace):
    r = json.loads(run(["report", "--json", trace]))
    return {f["address"] for leak in r["leaks"] for f in leak["stack"] if f["function"] in ("scale", "keep")}


a1, a1b = addresses(t1), addresses(t1b)
check(a1 and a1b and not (a1 & a1b), f"same program twice: the addresses differ ({sorted(a1)} vs {sorted(a1b)})")
for base, new, what in [(t1, t1b, "same program twice"), (t3, t3m, "rebuilt with its code moved")]:
    d = diff_json(base, new)
    nonzero = [(s["site"], [s[k] for k in KEYS]) for s in d["sites"] if any(s[k] for k in KEYS)]
    check(not nonzero and len(d["sites"]) >= 4, f"{what}: all {len(d['sites'])} sites unchanged {nonzero}")
    check(all(d["totals"][k] == 0 for k in KEYS), f"{what}: totals unchanged")
    check(all(s["base_values"] and s["new_values"] for s in d["sites"]), f"{what}: every site in both runs")
    same = [s.get("site", "totals") for s in d["sites"] + [d["totals"]]
            if any(b["base_count"] != b["new_count"] or b["base_bytes"] != b["new_bytes"] for b in s["size_buckets"])]
    check(not same, f"{what}: every size bucket unchanged {same}")
    check("sizes:" not in run(["diff", base, new]), f"{what}: the text has no sizes line")
    check("CALL SITES (biggest growth first: 0 of" in run(["diff", base, new]), f"{what}: text says 0 changed")

# Bad usage and bad input: one line, exit 2.
for args in (["diff", t1], ["diff", "--top", "0", t1, t3], ["diff", "--bogus", t1, t3],
             ["diff", t1, os.path.join(tmp, "missing.trace")]):
    p = subprocess.run([leakscope] + args, capture_output=True, text=True)
    check(p.returncode == 2 and p.stdout == "" and p.stderr.count("\n") == 1,
          f"{' '.join(os.path.basename(a) for a in args)}: exit {p.returncode}, one line {p.stderr.strip()!r}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
