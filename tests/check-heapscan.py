#!/usr/bin/env python3
"""Heap snapshots of recorded programs (FORMAT.md §4.4).

- heap-target, recorded: its heap of known shape at exit, edge by edge and
  root by root (a block lost directly, a lost parent with children, a ring of
  three, a block reached only by an interior pointer from a global, a global
  holding a chain, blocks held by main's stack, another thread's stack and a
  thread-local variable, a block freed before exit);
- heap-churn, recorded: threads still allocating and freeing (big blocks
  mapped and unmapped) while main takes a snapshot (trace_heap_snapshot of
  the preload module, through dlsym) and then exits: no crash, no hang, a
  complete trace with both snapshots, five times;
- --no-scan and LEAKSCOPE_SCAN=0: no snapshot;
- heap-ondemand (libleakscope): trace_heap_snapshot from two threads and at
  trace_end, and its errors;
- heap-random (libleakscope): 20,000 blocks of random sizes and places, their
  words random pointers: every edge and the global's roots against brute
  force; a 256 MiB block never touched but for one word: that edge found,
  its untouched pages not read;
- a recorded trace with its snapshot chunk damaged: dump, report and check
  say so, nothing else is lost;
- heap-handoff, recorded: blocks handed from one thread to another and their
  addresses reused by the other (the writer takes the threads' records in
  its own order, not in time order): the exit snapshot lists exactly the
  blocks the report finds live, and says nothing is missing."""
import json
import os
import re
import subprocess
import sys
import tempfile

from tap import check, done

from asan_env import program_env, sanitizer_lines

leakscope, heap_graph, target, churn, ondemand, randheap, handoff = sys.argv[1:8]
ENV = program_env()


def record(tmp, name, prog, *args, opts=(), env=None, timeout=120):
    trace = os.path.join(tmp, name + ".trace")
    res = subprocess.run([leakscope, "record", "--quiet", *opts, "-o", trace, "--", prog, *args],
                         capture_output=True, text=True, timeout=timeout, env=env or ENV)
    for line in sanitizer_lines(res.stderr):
        print(f"# {name}: {line}")
    return res, trace


def graph(trace):
    """The snapshots heap-graph prints: a list of dicts."""
    res = subprocess.run([heap_graph, trace], capture_output=True, text=True, timeout=120)
    check(res.returncode == 0, f"heap-graph reads {os.path.basename(trace)} ({res.stderr.strip()})")
    snaps = []
    for line in res.stdout.splitlines():
        f = line.split()
        if f[0] == "snapshot":
            head = dict(kv.split("=", 1) for kv in f[2:])
            snaps.append({"head": head, "blocks": {}, "ranges": [], "roots": [], "edges": []})
        elif f[0] == "block":
            snaps[-1]["blocks"][int(f[1], 16)] = int(f[2], 16)
        elif f[0] == "range":
            snaps[-1]["ranges"].append((f[1], int(f[2]), int(f[3], 16), int(f[4], 16), int(f[5], 16)))
        elif f[0] == "root":
            snaps[-1]["roots"].append((f[1], int(f[2]), int(f[3], 16), int(f[4], 16), int(f[5], 16)))
        elif f[0] == "edge":
            snaps[-1]["edges"].append((int(f[1], 16), int(f[2]), int(f[3], 16), int(f[4], 16)))
    return snaps


def symbol_offset(binary, name):
    out = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    return None


def dump_text(trace):
    return subprocess.run([leakscope, "dump", trace], capture_output=True, text=True, timeout=60)


def known_shape(tmp):
    res, trace = record(tmp, "shape", target)
    check(res.returncode == 0, f"heap-target recorded exits 0 (stderr: {res.stderr.strip()[:200]})")
    names = {}
    for line in res.stdout.splitlines():
        k, v = line.split()
        names[k] = int(v, 0)
    snaps = graph(trace)
    check(len(snaps) == 1, f"one snapshot ({len(snaps)})")
    if not snaps:
        return
    s = snaps[0]
    h = s["head"]
    check(h["label"] == "exit", f"labelled exit ({h['label']})")
    check(int(h["thread"]) == names["main_tid"], "taken by the thread that exits")
    check(h["flags"] == "0" and h["unreadable"] == "0", f"complete, all read ({h})")
    blocks, edges, roots = s["blocks"], s["edges"], s["roots"]
    sizes = {"lost_direct": 100, "parent": 48, "child1": 24, "child2": 24, "ring1": 32, "ring2": 32, "ring3": 32,
             "interior": 256, "chain1": 40, "chain2": 40, "chain3": 40, "tls": 56, "main_stack": 88,
             "thread_stack": 72}
    for name, size in sizes.items():
        check(blocks.get(names[name]) == size, f"block {name} is live with {size} bytes ({blocks.get(names[name])})")
    check(777 not in blocks.values(), "the block freed before exit is not live")

    def into(name):
        a = names[name]
        return lambda v: a <= v < a + sizes[name]

    def edges_into(name):
        return sorted((frm, word, val) for frm, word, val, to in edges if to == names[name])

    def roots_into(name):
        return sorted((kind, who, where, val) for kind, who, where, val, to in roots if to == names[name])

    def edges_from(name):
        return sorted((word, val) for frm, word, val, to in edges if frm == names[name])

    n = names
    check(edges_into("lost_direct") == [] and roots_into("lost_direct") == [],
          "lost_direct: nothing points to it")
    check(edges_from("parent") == [(0, n["child1"]), (1, n["child2"])], f"parent -> child1, child2 ({edges_from('parent')})")
    check(edges_into("parent") == [] and roots_into("parent") == [], "parent: nothing points to it")
    for c in ("child1", "child2"):
        check(edges_into(c) == [(n["parent"], 0 if c == "child1" else 1, n[c])] and roots_into(c) == [],
              f"{c}: only parent points to it ({edges_into(c)}, {roots_into(c)})")
    for a, b in (("ring1", "ring2"), ("ring2", "ring3"), ("ring3", "ring1")):
        check(edges_into(b) == [(n[a], 0, n[b])] and roots_into(b) == [],
              f"{b}: only {a} points to it ({edges_into(b)}, {roots_into(b)})")
        check(edges_from(a) == [(0, n[b])], f"{a} -> {b} ({edges_from(a)})")
    off_interior = symbol_offset(target, "global_interior")
    off_chain = symbol_offset(target, "global_chain")
    check(roots_into("interior") == [("module", 0, off_interior, n["interior"] + 100)] and edges_into("interior") == [],
          f"interior: only global_interior points to it, 100 bytes in ({roots_into('interior')}, {edges_into('interior')})")
    check(roots_into("chain1") == [("module", 0, off_chain, n["chain1"])] and edges_into("chain1") == [],
          f"chain1: only global_chain points to it ({roots_into('chain1')})")
    check(edges_into("chain2") == [(n["chain1"], 0, n["chain2"])] and edges_into("chain3") == [(n["chain2"], 0, n["chain3"])],
          "chain1 -> chain2 -> chain3")
    check(roots_into("chain2") == [] and roots_into("chain3") == [], "chain2, chain3: no root of their own")
    tls = roots_into("tls")
    check(len(tls) == 1 and tls[0][0] == "tls" and tls[0][1] == n["main_tid"] and tls[0][3] == n["tls"],
          f"tls: held by main's thread-local storage ({tls})")
    ms = roots_into("main_stack")
    check(any(r[0] == "stack" and r[1] == n["main_tid"] and r[3] == n["main_stack"] for r in ms),
          f"main_stack: held by main's stack ({ms})")
    ts = roots_into("thread_stack")
    check(any(r[0] == "stack" and r[1] == n["worker_tid"] and r[3] == n["thread_stack"] for r in ts),
          f"thread_stack: held by the running thread's stack ({ts})")
    # The ranges: every module writable segment is a range of its bias; the
    # main thread's stack from its stack pointer, the worker's whole.
    # Mapped memory: heap-target maps none itself (under ASan its runtime's
    # symbolizer does, through the interposed mmap).
    kinds = {r[0] for r in s["ranges"]}
    want = {"module", "stack", "tls"} | ({"mapped"} & kinds if os.environ.get("LEAKSCOPE_TEST_ASAN_RUNTIME") else set())
    check(kinds == want, f"ranges of every kind ({kinds})")
    check(any(r[0] == "stack" and r[1] == n["worker_tid"] for r in s["ranges"]), "the worker's stack is a range")
    bad = [r for r in roots if not (r[4] <= r[3] < r[4] + max(blocks[r[4]], 1))]
    check(not bad, f"every root points into its block ({bad[:3]})")
    bad = [e for e in edges if not (e[3] <= e[2] < e[3] + max(blocks[e[3]], 1)) or e[0] not in blocks]
    check(not bad, f"every edge points into its block ({bad[:3]})")
    d = dump_text(trace)
    m = re.search(r"^  heap .* blocks=(\d+) .* edges=(\d+) .* roots=(\d+)", d.stdout, re.M)
    check(d.returncode == 0 and m and int(m.group(1)) == len(blocks) and int(m.group(2)) == len(edges)
          and int(m.group(3)) == len(roots), "dump summarises the snapshot with the same counts")
    return trace


def churning(tmp):
    for run in range(5):
        try:
            res, trace = record(tmp, f"churn{run}", churn, "4", "80", timeout=60)
        except subprocess.TimeoutExpired:
            check(False, f"churn run {run}: no hang")
            continue
        check(res.returncode == 0, f"churn run {run}: exits 0 ({res.returncode}, {res.stderr.strip()[:200]})")
        d = dump_text(trace)
        check(d.returncode == 0 and "\nend events=" in d.stdout and "damaged" not in d.stdout,
              f"churn run {run}: a complete trace ({d.stderr.strip()})")
        check("snapshot 0" in res.stdout, f"churn run {run}: trace_heap_snapshot (from dlsym) returns 0 ({res.stdout.strip()})")
        snaps = graph(trace)
        check([s["head"]["label"] for s in snaps] == ["churn", "exit"] and all(len(s["blocks"]) > 0 for s in snaps),
              f"churn run {run}: its snapshot on demand, the threads churning, and at exit ({[s['head'] for s in snaps]})")
        for s in snaps:
            print(f"# churn run {run}: {s['head']}")


def scan_off(tmp):
    res, trace = record(tmp, "noscan", target, opts=("--no-scan",))
    check(res.returncode == 0 and " kind=heap " not in dump_text(trace).stdout, "--no-scan: no snapshot")
    env = dict(ENV, LEAKSCOPE_SCAN="0")
    res, trace = record(tmp, "scan0", target, env=env)
    check(res.returncode == 0 and " kind=heap " not in dump_text(trace).stdout, "LEAKSCOPE_SCAN=0: no snapshot")


def on_demand(tmp):
    trace = os.path.join(tmp, "ondemand.trace")
    res = subprocess.run([ondemand, trace], capture_output=True, text=True, timeout=60, env=ENV)
    check(res.returncode == 0, f"heap-ondemand exits 0 ({res.stderr.strip()})")
    rc = {}
    names = {}
    for line in res.stdout.splitlines():
        f = line.split()
        if f[0] == "rc":
            rc[f[1]] = (int(f[2]), int(f[3]))
        else:
            names[f[0]] = int(f[1], 16)
    ENOTCONN = 107
    check(rc.get("before") == (-1, ENOTCONN) and rc.get("after") == (-1, ENOTCONN),
          f"before trace_begin and after trace_end: -1, ENOTCONN ({rc})")
    check(rc.get("first") == (0, 0) and rc.get("thread") == (0, 0), f"during the recording: 0 ({rc})")
    snaps = graph(trace)
    labels = [s["head"]["label"] for s in snaps]
    check(labels == ["first", "thread", "end"], f"snapshots first, thread, end ({labels})")
    if len(snaps) != 3:
        return
    kept, a, b = names["kept"], names["a"], names["b"]
    first, later = snaps[0], snaps[1]
    check(first["blocks"] == {kept: 32, a: 48, b: 96}, f"first: the three traced blocks ({first['blocks']})")
    check(sorted((f, w, v) for f, w, v, t in first["edges"]) == [(kept, 0, a), (kept, 1, b)], "first: kept -> a, b")
    check(any(r[0] == "module" and r[3] == kept for r in first["roots"]), "first: the global holds kept")
    check(later["blocks"] == {kept: 32, a: 48}, f"after b's free: kept and a ({later['blocks']})")
    check(sorted((f, w, v) for f, w, v, t in later["edges"]) == [(kept, 0, a)], "after: kept -> a only")
    check(snaps[2]["blocks"] == {kept: 32, a: 48}, "at trace_end: the same")
    env = dict(ENV, LEAKSCOPE_SCAN="0")
    res = subprocess.run([ondemand, trace], capture_output=True, text=True, timeout=60, env=env)
    ECANCELED = 125
    check(res.returncode == 0 and "rc first -1 %d" % ECANCELED in res.stdout, f"LEAKSCOPE_SCAN=0: ECANCELED ({res.stdout})")
    check(graph(trace) == [], "LEAKSCOPE_SCAN=0: no snapshot, not even at trace_end")


def random_heap(tmp):
    trace, expected = os.path.join(tmp, "random.trace"), os.path.join(tmp, "random.expected")
    res = subprocess.run([randheap, trace, expected], capture_output=True, text=True, timeout=120, env=ENV)
    check(res.returncode == 0, f"heap-random exits 0 ({res.stderr.strip()})")
    if res.returncode:
        return
    snaps = [s for s in graph(trace) if s["head"]["label"] == "random"]
    check(len(snaps) == 1, "its snapshot")
    if not snaps:
        return
    s = snaps[0]
    want_edges, want_roots = set(), set()
    for line in open(expected):
        f = line.split()
        if f[0] == "edge":
            want_edges.add((int(f[1], 16), int(f[2]), int(f[3], 16), int(f[4], 16)))
        else:
            want_roots.add((int(f[1], 16), int(f[2], 16)))
    got = set(s["edges"])
    check(s["head"]["blocks"] == "20001" and s["head"]["flags"] == "0" and s["head"]["unreadable"] == "0",
          f"20,001 blocks, complete, all read ({s['head']})")
    resident = int(re.search(r"big_resident_pages (\d+)", res.stdout).group(1))
    check(resident == 1, f"the 256 MiB block's untouched pages are not read ({resident} of its pages in memory, want 1)")
    check(got == want_edges, f"every edge found, none invented ({len(got)} found, {len(want_edges)} expected; "
          f"missing {sorted(want_edges - got)[:3]}, extra {sorted(got - want_edges)[:3]})")
    roots = {(val, to) for kind, who, where, val, to in s["roots"] if kind == "module"}
    check(want_roots <= roots and len(want_roots) >= 10, f"the global's roots ({len(want_roots)} expected)")


def damaged(tmp, trace):
    d = dump_text(trace)
    m = re.search(r"^chunk offset=(\d+) kind=heap ", d.stdout, re.M)
    check(m is not None, "the recorded trace has a heap chunk")
    if not m:
        return
    off = int(m.group(1))
    data = bytearray(open(trace, "rb").read())
    data[off + 8 + 48 + 30] ^= 0x10  # a byte of its compressed payload
    bad = os.path.join(tmp, "damaged.trace")
    open(bad, "wb").write(data)
    d = dump_text(bad)
    check(d.returncode == 0 and f"damaged byte offset {off} " in d.stdout and "heap snapshot: it is lost" in d.stdout
          and "0 events lost" in d.stdout, f"dump names the damaged snapshot ({d.stdout[-300:]})")
    check(" kind=heap " not in d.stdout and "\nend events=" in d.stdout, "the rest reads, complete")
    rep = subprocess.run([leakscope, "report", bad], capture_output=True, text=True, timeout=60)
    check(rep.returncode == 0 and f"byte offset {off}" in rep.stdout, f"report shows it ({rep.returncode})")
    chk = subprocess.run([leakscope, "check", bad], capture_output=True, text=True, timeout=60)
    check(chk.returncode == 1, f"check fails a damaged trace ({chk.returncode})")
    g = subprocess.run([heap_graph, bad], capture_output=True, text=True, timeout=60)
    check(g.returncode == 0 and "snapshot" not in g.stdout, "the index lists no snapshot")


def handed_off(tmp):
    for run in range(3):
        res, trace = record(tmp, f"handoff{run}", handoff)
        check(res.returncode == 0 and "kept 4000" in res.stdout, f"handoff run {run}: exits 0 ({res.stdout.strip()})")
        snaps = graph(trace)
        rep = json.loads(subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True,
                                        timeout=120).stdout)
        lc = rep.get("leak_classes") or {}
        exit_snap = [s for s in snaps if s["head"]["label"] == "exit"]
        check(len(exit_snap) == 1 and len(exit_snap[0]["blocks"]) == rep["leaked_blocks"],
              f"handoff run {run}: the exit snapshot has the {rep['leaked_blocks']} blocks live at exit "
              f"({[len(s['blocks']) for s in exit_snap]})")
        check(lc and not lc.get("uncertain") and lc["unscanned"]["blocks"] == 0,
              f"handoff run {run}: nothing missing or unscanned ({lc.get('uncertain')}, {lc.get('unscanned')})")
        check(lc and lc["reachable"]["blocks"] >= 4000,
              f"handoff run {run}: the 4,000 kept blocks reachable from the global ({lc.get('reachable')})")


with tempfile.TemporaryDirectory() as tmp:
    handed_off(tmp)
    trace = known_shape(tmp)
    churning(tmp)
    scan_off(tmp)
    on_demand(tmp)
    random_heap(tmp)
    if trace:
        damaged(tmp, trace)
done()
