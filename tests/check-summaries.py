#!/usr/bin/env python3
"""Chunk summaries (FORMAT.md §4.1.3) of real programs recorded end to end:
python3, sqlite3, git and the bench workload (two threads). For every events chunk, tests/summary-check.c compares the summary
in its header with its decoded events (kind counts, allocated bytes) and,
where it says its heap is known, each segment's running heap with the
analysis's attribution of every block change to the chunk (and the sums
over all chunks with the analysis's totals). With the heap scan off
(LEAKSCOPE_SCAN=0) the recorder does not know what a free releases: no
chunk may say its heap is known."""
import os
import shutil
import subprocess
import sys
import tempfile

from tap import check, done

from asan_env import program_env, sanitizer_lines

leakscope, summary_check, alloc_bench = sys.argv[1:4]
ENV = program_env()

SQL = """
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, tag TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
  INSERT INTO t(name, tag) SELECT printf('name-%05d', x), 'tag' || (x % 37) FROM c;
SELECT count(*), sum(length(name)) FROM t;
"""
PY = "import json; print(len(json.dumps({str(i): [i] * 3 for i in range(20000)})))"


def record(tmp, name, cmd, stdin=None, env=None):
    trace = os.path.join(tmp, name + ".trace")
    res = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", *cmd], input=stdin,
                         capture_output=True, text=True, timeout=300, env=env or ENV)
    for line in sanitizer_lines(res.stderr):
        print(f"# {name}: {line}")
    check(res.returncode == 0, f"{name}: recorded ({res.stderr.strip()[-200:]!r})")
    return trace


def summaries(name, trace, expect):
    res = subprocess.run([summary_check, trace, expect], capture_output=True, text=True, timeout=300)
    out = res.stdout.strip()
    check(res.returncode == 0, f"{name}: every chunk's summary agrees with its events and the analysis "
                               f"({expect}; {out}; {res.stderr.strip()[:600]!r})")
    fields = dict(kv.split("=") for kv in out.split()) if res.returncode == 0 else {}
    return (int(fields.get("chunks", 0)), int(fields.get("known", 0)), int(fields.get("events", 0)),
            int(fields.get("known_events", 0)))


with tempfile.TemporaryDirectory() as tmp:
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    host = dict(ENV, HOME=home, LC_ALL="C", GIT_CONFIG_NOSYSTEM="1", PYTHONHASHSEED="0")
    repo = os.path.join(tmp, "repo")
    programs = [
        ("python3", ["/usr/bin/python3", "-S", "-c", PY], None),
        ("sqlite3", ["sqlite3", "-batch", ":memory:"], SQL),
        ("git-init", ["git", "-c", "init.defaultBranch=main", "init", "-q", repo], None),
        ("alloc-bench", [alloc_bench, "plain", "2", "400000"], None),
    ]
    total = total_known = 0
    for name, cmd, stdin in programs:
        if not shutil.which(cmd[0]):
            check(False, f"{cmd[0]} is installed")
            continue
        trace = record(tmp, name, cmd, stdin, host)
        chunks, known, events, known_events = summaries(name, trace, "known")
        total += chunks
        total_known += known
        # The workload's frees all end blocks it allocated while recorded:
        # every chunk of its two threads knows its heap (the main thread's
        # last chunk may hold a free, at exit, of a block from before the
        # recording: the ASan runtime's).
        if name == "alloc-bench":
            check(chunks > 4 and known_events * 1000 >= events * 999,
                  f"{name}: the chunks of its events know their heap ({known} of {chunks} chunks, "
                  f"{known_events} of {events} events)")
        off = record(tmp, name + "-noscan", cmd, stdin, dict(host, LEAKSCOPE_SCAN="0"))
        chunks, known, _, _ = summaries(name + " (heap scan off)", off, "unknown")
        check(chunks > 0 and known == 0, f"{name}, heap scan off: no chunk knows its heap ({chunks} chunks)")
    # A chunk's heap is unknown only where a free ends a block the live map
    # never saw (one allocated before the recording began, as python3's
    # first chunk has): most chunks know theirs.
    check(total_known * 2 >= total, f"most chunks know their heap ({total_known} of {total})")

done()
