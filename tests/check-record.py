#!/usr/bin/env python3
"""`leakscope record` on unmodified programs: every interposed allocation
function and every kind of descriptor, stream and mapping, C++ new/delete, a
Boehm-GC program; leaks and open resources attributed to the functions that
made them; the program's output and exit code unchanged."""
import collections
import json
import os
import subprocess
import sys
import tempfile

leakscope, target, cxx, gcprog = sys.argv[1:5]
failures = 0


def check(cond, what):
    global failures
    print(f"{'ok' if cond else 'not ok'} - {what}")
    failures += 0 if cond else 1


def record(tmp, name, prog, *args):
    trace = os.path.join(tmp, name + ".trace")
    res = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", prog, *args],
                         capture_output=True, text=True, timeout=120)
    rep = subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True, timeout=120)
    check(rep.returncode == 0, f"{name}: report exits 0 ({rep.stderr.strip()})")
    return res, (json.loads(rep.stdout) if rep.returncode == 0 else None), trace


def leaks_by_function(report, depth=1):
    """bytes and blocks per function, the innermost `depth` frames searched for a test function."""
    out = collections.defaultdict(lambda: [0, 0])
    for leak in report["leaks"]:
        names = [f["function"] for f in leak["stack"][:depth]]
        for n in names:
            out[n][0] += leak["bytes"]
            out[n][1] += leak["blocks"]
    return out


with tempfile.TemporaryDirectory() as tmp:
    plain = subprocess.run([target], capture_output=True, text=True, timeout=60)
    res, r, trace = record(tmp, "target", target)
    check(res.returncode == 3 and plain.returncode == 3, f"exit code 3 passes through (got {res.returncode})")
    check(res.stdout == plain.stdout and res.stderr == "", "the program's output is unchanged, nothing added")
    expected = json.loads(plain.stdout)
    if r:
        check(r["complete"] and not r["truncated"] and r["lost_events"] == 0, "complete trace, nothing lost")
        by_fn = leaks_by_function(r)
        for fn, (nbytes, blocks) in expected.items():
            check(by_fn.get(fn) == [nbytes, blocks], f"{fn} leaks {nbytes} bytes in {blocks} blocks (got {by_fn.get(fn)})")
        for fn in ("no_leaks", "closed_fds", "mappings"):
            check(fn not in by_fn, f"nothing leaked by {fn}")
        top = r["leaks"][0]["stack"][0] if r["leaks"] else {}
        check(any(l["stack"][0]["function"] == "leak_malloc" and l["stack"][0]["file"]
                  and l["stack"][0]["file"].endswith("record-target.c") and l["stack"][0]["line"] > 0
                  for l in r["leaks"]), f"leak_malloc has file and line ({top})")

        opened = collections.Counter()
        for o in r["open_resources"]:
            fns = [f["function"] for f in o["stack"][:1]]
            opened[(o["kind"], fns[0] if fns else "?")] += o["count"]
        want = {("fd/file", "leak_fds"): 1, ("fd/socket", "leak_fds"): 3, ("fd/pipe", "leak_fds"): 2,
                ("fd/eventfd", "leak_fds"): 1, ("fd/epoll", "leak_fds"): 1, ("fd/timerfd", "leak_fds"): 1,
                ("fd/signalfd", "leak_fds"): 1, ("fd/memfd", "leak_fds"): 1, ("fd/inotify", "leak_fds"): 1,
                ("FILE", "streams"): 1, ("DIR", "streams"): 1, ("mmap", "mappings"): 1}
        for key, n in want.items():
            check(opened.get(key) == n, f"{key[0]} left open by {key[1]}: {n} (got {opened.get(key)})")
        stray = {k: v for k, v in opened.items() if k[1] in ("closed_fds", "streams", "mappings") and k not in want}
        check(not stray, f"everything else those functions opened was closed ({stray})")
        kinds = {k["kind"]: k for k in r["resources"]["kinds"]}
        check(kinds.get("fd/socket", {}).get("closed", 0) >= 1, "a closed socket is counted as closed")
        check(kinds.get("mmap", {}).get("opened", 0) >= 2, "both mappings were seen")

    # --no-resources records allocations only.
    res, r, _ = record(tmp, "nores", target)
    tr = os.path.join(tmp, "nores2.trace")
    subprocess.run([leakscope, "record", "--quiet", "--no-resources", "-o", tr, "--", target],
                   capture_output=True, timeout=60)
    rep = json.loads(subprocess.run([leakscope, "report", "--json", tr], capture_output=True, text=True).stdout)
    check(rep["resources"]["opened"] == 0 and rep["leaked_blocks"] > 0, "--no-resources: allocations, no resources")

    # C++: new and delete arrive through operator new.
    plain = subprocess.run([cxx], capture_output=True, text=True, timeout=60)
    res, r, _ = record(tmp, "cxx", cxx)
    check(res.returncode == 0 and res.stdout == plain.stdout, "C++ program: same output and exit code")
    if r:
        nbytes, blocks = json.loads(plain.stdout)["leak_new"]
        by_fn = leaks_by_function(r, depth=3)
        hit = [v for k, v in by_fn.items() if "leak_new" in k]
        check(hit == [[nbytes, blocks]], f"leak_new leaks {nbytes} bytes in {blocks} blocks via operator new ({hit})")
        check(r["allocations"] >= 1000 and r["frees"] >= 1000, "the vector's allocations and frees are recorded")

    # Boehm GC: collections become GC pauses, with no change to the program.
    plain = subprocess.run([gcprog], capture_output=True, text=True, timeout=60)
    res, r, _ = record(tmp, "gc", gcprog)
    check(res.returncode == 0, "GC program exits 0")
    if r:
        info = json.loads(res.stdout)
        check(r["gc"]["pauses"] == info["gc_count"] and r["gc"]["pauses"] >= 5,
              f"every collection is a GC pause ({r['gc']['pauses']} pauses, the GC counted {info['gc_count']})")
        check(r["gc"]["max_ns"] > 0 and r["gc"]["total_ns"] >= r["gc"]["max_ns"], f"pause durations {r['gc']}")

    # Usage errors.
    res = subprocess.run([leakscope, "record", "--stack-depth", "x", "--", target], capture_output=True, text=True)
    check(res.returncode == 2 and res.stderr.count("\n") == 1, "bad --stack-depth: one line, exit 2")
    res = subprocess.run([leakscope, "record"], capture_output=True, text=True)
    check(res.returncode == 2 and "no program" in res.stderr, "no program: exit 2")
    res = subprocess.run([leakscope, "record", "--quiet", "-o", os.path.join(tmp, "x.trace"), "--",
                          os.path.join(tmp, "does-not-exist")], capture_output=True, text=True)
    check(res.returncode == 127 and res.stderr.count("\n") == 1, f"missing program: exit 127, one line ({res.stderr!r})")

print(f"{'FAILED' if failures else 'passed'}: {failures} failures")
sys.exit(1 if failures else 0)
