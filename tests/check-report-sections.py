#!/usr/bin/env python3
"""The report's PEAK, TEMPORARY, SIZES and LIFETIMES sections, text and
JSON, on a recorded program that allocates known sizes from known call
stacks (tests/flame-target.c): every number exact, but the lifetimes'
buckets, which depend on the machine's speed (their totals do not).

usage: check-report-sections.py LEAKSCOPE FLAME-TARGET
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

leakscope, target = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402

tmp = tempfile.mkdtemp(prefix="leakscope-sections-")
failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


trace = os.path.join(tmp, "flame.trace")
p = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", target], capture_output=True, text=True,
                   env=program_env())
check(p.returncode == 0, f"record: exit {p.returncode} {p.stderr.strip()!r}")


def report(*args):
    p = subprocess.run([leakscope, "report", *args, trace], capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr, f"report {' '.join(args)}: exit {p.returncode} {p.stderr.strip()!r}")
    return p.stdout


def section(text, title):
    """The lines of the section whose heading starts with `title`, up to the blank line."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith(title)), None)
    if start is None:
        return []
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def matches(got, want):
    """Each line of got against each regular expression of want, whole."""
    return len(got) == len(want) and all(re.fullmatch(w, g) for g, w in zip(got, want))


text = report()
site = r"\(flame-target\.c:\d+\)"
peak = section(text, "PEAK")
want = [r"PEAK \(4\.67 KiB live at [0-9.]+ .s, largest first\)",
        r"  2\.93 KiB in 3 blocks from grow_big " + site + " ← grow",
        r"  777 B in 1 block from keep_inline " + site + " ← keep",
        r"  500 B in 1 block from grow_small " + site + " ← grow",  # grow calls it from two places:
        r"  500 B in 1 block from grow_small " + site + " ← grow"]  # two stacks
check(matches(peak, want), f"PEAK: {peak}")
temp = section(text, "TEMPORARY")
want = [r"TEMPORARY \(freed right away, before the thread's next allocation or free\)",
        r"  5 temporary allocations \(320 B\) of 15",
        r"  5 \(320 B\) from churn " + site + " ← main"]
check(matches(temp, want), f"TEMPORARY: {temp}")
sizes = section(text, "SIZES")
want = ["SIZES (allocations by size, from <= size < to)",
        "        from   to          allocations      bytes",
        "        32 B - 64 B                  4      128 B  " + "#" * 24,
        "        64 B - 128 B                 5      320 B  " + "#" * 30,
        "       128 B - 256 B                 0        0 B",
        "       256 B - 512 B                 2     1000 B  " + "#" * 12,
        "       512 B - 1.00 KiB              4   3.69 KiB  " + "#" * 24,  # 3 x 1000 and 777
        "  most frequent: 64 B x 5, 32 B x 4, 1000 B x 3, 500 B x 2, 777 B x 1"]
check(sizes == want, "SIZES:\n" + "\n".join(sizes))
life = section(text, "LIFETIMES")
check(life[:2] == ["LIFETIMES (blocks by how long they lived, from <= lifetime < to)",
                   "        from   to               blocks      bytes"], f"LIFETIMES heading {life[:2]}")
check(re.fullmatch(r"  still live at the end              3   2\.22 KiB  #+", life[-1] if life else ""),
      f"LIFETIMES: still live {life[-1:]}")
rows = [re.match(r" +([0-9.]+ .s) - ([0-9.]+ .s) +(\d+) ", ln) for ln in life[2:-1]]
check(all(rows) and sum(int(r.group(3)) for r in rows) == 12, f"LIFETIMES: 12 blocks freed {life[2:-1]}")
check("  ... and 2 more call sites (--top N)" in section(report("--top", "2"), "PEAK"), "PEAK: --top 2")

d = json.loads(report("--json"))
got = [(t["bytes"], t["blocks"], t["stack"][0]["function"]) for t in d["peak"]["top"]]
check(d["peak"]["bytes"] == 4777 and d["peak"]["ns"] == d["peak_heap_ns"] and
      got == [(3000, 3, "grow_big"), (777, 1, "keep_inline"), (500, 1, "grow_small"), (500, 1, "grow_small")],
      f"json peak: {d['peak']['bytes']} {got}")
check(sum(t["bytes"] for t in d["peak"]["top"]) == d["peak_heap_bytes"], "json peak: the stacks sum to the peak")
t = d["temporary"]
check(t["allocations"] == 5 and t["bytes"] == 320 and len(t["top"]) == 1 and t["top"][0]["count"] == 5 and
      t["top"][0]["bytes"] == 320 and [f["function"] for f in t["top"][0]["stack"]][:2] == ["churn", "main"],
      f"json temporary: {t['allocations']} {t['bytes']} {[(x['count'], x['bytes']) for x in t['top']]}")
leak_keys = set(d["leaks"][0]["stack"][0])
check(all(set(f) == leak_keys for x in d["peak"]["top"] + t["top"] for f in x["stack"]),
      f"json: stacks in the leaks' format {sorted(leak_keys)}")
check(d["size_histogram"] == [{"from": 32, "to": 63, "count": 4, "bytes": 128},
                              {"from": 64, "to": 127, "count": 5, "bytes": 320},
                              {"from": 128, "to": 255, "count": 0, "bytes": 0},
                              {"from": 256, "to": 511, "count": 2, "bytes": 1000},
                              {"from": 512, "to": 1023, "count": 4, "bytes": 3777}],
      f"json size_histogram: {d['size_histogram']}")
check(d["top_sizes"] == [{"size": 64, "count": 5, "bytes": 320}, {"size": 32, "count": 4, "bytes": 128},
                         {"size": 1000, "count": 3, "bytes": 3000}, {"size": 500, "count": 2, "bytes": 1000},
                         {"size": 777, "count": 1, "bytes": 777}], f"json top_sizes: {d['top_sizes']}")
lh = d["lifetime_histogram"]
check(lh[-1] == {"from": None, "to": None, "count": 3, "bytes": 2277}, f"json lifetime_histogram: still live {lh[-1:]}")
check(sum(b["count"] for b in lh[:-1]) == 12 and sum(b["bytes"] for b in lh[:-1]) == d["freed_bytes"] == 2948,
      f"json lifetime_histogram: the freed blocks {lh[:-1]}")
check(all(lh[i]["to"] + 1 == lh[i + 1]["from"] for i in range(len(lh) - 2)) and
      all(b["from"] == 0 or b["from"] == 1000 << ((b["from"] // 1000).bit_length() - 1) for b in lh[:-1]),
      "json lifetime_histogram: contiguous buckets of 2^k µs")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
