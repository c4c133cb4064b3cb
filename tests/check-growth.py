#!/usr/bin/env python3
"""Growth-trend suspects on a real recording cut short: tests/grow-server.c
serves one request a millisecond, keeping 256 bytes a request for good
(session_log), filling a 200-entry LRU that then stays flat (lru_insert),
holding a 4 MiB table made at startup (build_table), keeping one
descriptor every 10 requests (open_log) and marking "batch" every 100. It runs under `leakscope record`
and is killed with SIGKILL after about 1.5 s, so nothing is "left at exit".
`report --json` must name session_log first in growth_suspects, never the
LRU or the table, and open_log first in resource_growth_suspects; per
batch, session_log grows by exactly 100 x 256 bytes and the LRU is
bounded; the text
report's GROWING section says the same; --iteration-mark with no such mark
says so; bad usage gets one line and exit 2.

usage: check-growth.py LEAKSCOPE GROW-SERVER
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402
from tap import check, done, one_line_error  # noqa: E402

leakscope, target = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="leakscope-growth-")
trace = os.path.join(tmp, "server.trace")

p = subprocess.Popen([leakscope, "record", "--quiet", "-o", trace, "--", target], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, start_new_session=True, env=program_env(True))
try:
    line = p.stdout.readline().decode()
    pid = int(line.split()[1])
    time.sleep(1.5)  # a server at work, then killed: no exit, no END chunk
    os.kill(pid, signal.SIGKILL)
    p.communicate(timeout=60)
except BaseException:
    os.killpg(p.pid, signal.SIGKILL)
    raise
check(p.returncode == 128 + 9, f"record exits {p.returncode} (want 137, the program's SIGKILL)")

r = subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True)
check(r.returncode == 0, f"report --json exit {r.returncode} {r.stderr.strip()!r}")
rep = json.loads(r.stdout)
check(not rep["complete"], "the trace has no END chunk (killed)")
heap = rep["growth_suspects"]
res = rep["resource_growth_suspects"]


def names(entry):
    return " ".join([entry["site"]] + [f["function"] or "" for f in entry["stack"]])


check(heap and heap[0]["site"].startswith("session_log "), f"growth_suspects[0] is session_log: "
      f"{[s['site'] for s in heap]}")
for bad in ("lru_insert", "build_table"):
    check(all(bad not in names(s) for s in heap), f"{bad} is not a growth suspect")
    check(all(bad not in names(s) for s in res), f"{bad} is not a resource growth suspect")
leaks = {l["site"].split()[0]: l for l in rep["leaks"]}
check("lru_insert" in leaks and leaks["lru_insert"]["blocks"] == 200, "the LRU is there, full (200 blocks)")
check("build_table" in leaks and leaks["build_table"]["bytes"] == 4 << 20, "the table is there (4 MiB)")
if heap:
    s = heap[0]
    check(set(s) >= {"stack", "bytes_per_second", "live_bytes_at_end", "live_blocks_at_end", "confidence"},
          f"growth suspect keys {sorted(s)}")
    check(s["live_bytes_at_end"] == 256 * s["live_blocks_at_end"] and s["live_blocks_at_end"] > 300,
          f"session_log: {s['live_blocks_at_end']} blocks of 256 bytes live at the end ({s['live_bytes_at_end']})")
    check(s["live_bytes_at_end"] == leaks.get("session_log", {}).get("bytes"), "its live bytes are its leak's")
    # Its rate: what it kept over the time it ran, within a third.
    mean = s["live_bytes_at_end"] / (rep["duration_ns"] / 1e9)
    check(mean / 1.5 < s["bytes_per_second"] < mean * 1.5,
          f"session_log grows {s['bytes_per_second']} B/s (its mean over the run: {mean:.0f} B/s)")
    check(0.9 <= s["confidence"] <= 1.0, f"session_log confidence {s['confidence']}")
    check(all(a["bytes_per_second"] >= b["bytes_per_second"] for a, b in zip(heap, heap[1:])), "fastest first")
check(res and res[0]["site"].startswith("open_log ") and res[0]["kind"].startswith("fd"),
      f"resource_growth_suspects[0] is open_log's fd: {[(s['kind'], s['site']) for s in res]}")
check(all("probe" not in names(s) for s in res), "probe (opens and closes) is not a resource suspect")
if res:
    opened = [o for o in rep["open_resources"] if o["stack"] == res[0]["stack"]]
    check(opened and res[0]["open_at_end"] == opened[0]["count"], f"open_log: {res[0]['open_at_end']} open at the "
          f"end, the report's {[o['count'] for o in opened]}")
it = rep["iterations"]  # "batch", marked every 100 requests: taken as the iterations' label
check(it and it["label"] == "batch" and it["count"] >= 5, f"iterations: {it and (it['label'], it['count'])}")
sites = {s["site"].split()[0]: s for s in (it or {}).get("sites", [])}
s = sites.get("session_log")
check(s and s["verdict"] == "growing" and s["bytes_per_iteration"] == 100 * 256,
      f"session_log grows 25600 bytes a batch: {s and (s['verdict'], s['bytes_per_iteration'])}")
check(it and it["sites"][0]["site"].startswith("session_log "), "session_log first of the iterations' sites")
s = sites.get("lru_insert")  # 100 entries at the first mark, 200 (full) from the second on
check(s and s["verdict"] == "bounded" and s["first_bytes"] == 100 * 512 and s["last_bytes"] == 200 * 512,
      f"lru_insert bounded, 51200 then 102400 bytes: {s and (s['verdict'], s['first_bytes'], s['last_bytes'])}")
check("build_table" not in sites, "build_table: the same at every mark, not listed")

t = subprocess.run([leakscope, "report", trace], capture_output=True, text=True)
text = t.stdout
check(t.returncode == 0 and "\nGROWING (" in text, "the text report has a GROWING section")
growing = text.split("\nGROWING (", 1)[-1].split("\n\n", 1)[0].split("\n  ITERATIONS: ", 1)[0].splitlines()[1:]
firsts = [l for l in growing if l.startswith("  +")]
check(firsts and "from session_log (" in firsts[0], f"GROWING's first line names session_log: {firsts[:1]}")
check(any("opened at open_log (" in l for l in firsts), "GROWING names open_log's descriptors")
check(not any("lru_insert" in l or "build_table" in l for l in growing), "GROWING names neither the LRU nor the table")
check("INCOMPLETE" in text, "the report says the recording did not end cleanly")
check("ITERATIONS: " in text and "marks 'batch'" in text, "the text report's iterations name 'batch'")
iters = text.split("ITERATIONS: ", 1)[-1].splitlines()[1:3]
check(iters and iters[0].startswith("    growing  +25.0 KiB per iteration") and "from session_log (" in iters[0],
      f"its first site: session_log, growing 25.0 KiB per iteration: {iters[:1]}")

t = subprocess.run([leakscope, "report", "--iteration-mark", "request", trace], capture_output=True, text=True)
check(t.returncode == 0 and "ITERATIONS: no mark is labelled 'request'" in t.stdout,
      "--iteration-mark with no such mark says so")
t = subprocess.run([leakscope, "report", "--iteration-mark", "", trace], capture_output=True, text=True)
check(one_line_error(t, 2), f"--iteration-mark '': one line, exit 2 ({t.returncode} {t.stderr!r})")
t = subprocess.run([leakscope, "report", "--iteration-mark", "x", "--at-peak", trace], capture_output=True, text=True)
check(one_line_error(t, 2), f"--iteration-mark with --at-peak: one line, exit 2 ({t.returncode} {t.stderr!r})")
t = subprocess.run([leakscope, "report", "--iteration-mark"], capture_output=True, text=True)
check(one_line_error(t, 2), f"--iteration-mark without a value: one line, exit 2 ({t.returncode})")
shutil.rmtree(tmp, ignore_errors=True)
done()
