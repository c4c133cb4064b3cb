#!/usr/bin/env python3
"""Records the bundled demo for a second and checks its report: five named
threads, the cache leak and the leaked log descriptors attributed to their
functions, GC pauses, marks and spans."""
import json
import os
import subprocess
import sys
import tempfile

from tap import check, done

leakscope, demo = sys.argv[1], sys.argv[2]



with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "demo.trace")
    subprocess.run([demo, "1", trace], check=True, capture_output=True, timeout=60)
    res = subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True, timeout=60)
    check(res.returncode == 0, "report exits 0")
    r = json.loads(res.stdout)
    check(r["threads"] == 5, f"5 threads ({r['threads']})")
    names = sorted(t["name"] for t in r["thread_list"])
    check(names == ["main", "worker-1", "worker-2", "worker-3", "worker-4"], f"thread names {names}")
    check(0.9e9 <= r["duration_ns"] < 10e9, f"duration about a second ({r['duration_ns']} ns)")
    check(r["allocations"] > 1000 and r["frees"] > 1000, "allocations and frees recorded")
    sites = [[f["function"] for f in l["stack"]] for l in r["leaks"]]
    check(sites and "cache_insert_static" in sites[0], f"the biggest leak is the static cache ({sites[:1]})")
    static = sum(l["bytes"] for l, s in zip(r["leaks"], sites) if "cache_insert_static" in s)
    check(static > r["leaked_bytes"] * 0.5, f"cache_insert_static holds most leaked bytes ({static}/{r['leaked_bytes']})")
    fds = [o for o in r["open_resources"] if o["kind"] == "fd"]
    check(fds and fds[0]["stack"][0]["function"] == "open_log", "leaked fds come from open_log")
    check(r["resources"]["open_at_end"] >= 1 and r["resources"]["closed"] >= 1, f"resources {r['resources']}")
    check(r["gc"]["pauses"] >= 5 and r["gc"]["max_ns"] >= 2_000_000, f"GC pauses {r['gc']}")
    marks = [m["label"] for m in r["marks"]]
    check(marks[0] == "start" and marks[-1] == "done", f"marks start .. done ({marks})")
    spans = {s["label"] for s in r["spans"]}
    check(spans == {"request", "housekeeping"}, f"spans {spans}")
    check(r["truncated"] is False and r["lost_events"] == 0 and r["complete"], "complete, nothing lost")
    check(r["peak_heap_bytes"] >= r["leaked_bytes"] > 0, "peak heap >= leaked > 0")

done()
