#!/usr/bin/env python3
"""Which leaks are real, on a recorded program of known shape
(tests/heap-target.c: a block lost directly, a lost parent with two
children, a ring of three lost blocks, a block reached only through an
interior pointer from a global, a global holding a chain of three, blocks
held by main's stack, another thread's stack and a thread-local variable).
`report --json` must give each of the program's own leaks its class, the
byte counts, the cycle and the holders' names exactly; the text report puts
the classes first; the totals of the classes no pointer reaches agree with
valgrind memcheck's definitely + indirectly lost (and its still reachable)
on the same program; `check` passes a hello world with no limits and fails
heap-target, and --max-lost-bytes holds on both sides of the truth.

And tests/heap-tail.c: two lost blocks into whose last bytes glibc's
main_arena points (the header of the free chunk, and of the top chunk,
after them) are lost, not possible: the allocator's pointers are no hold.
That also holds only while the recorder leaves the program's heap alone
(its own buffers taken from the C library's allocator at exit moved the
top and used the free chunk).

And memory the program maps itself is a root (tests/heap-mapped.c): a
block held only from an anonymous mapping is reachable, held by it, not
one held from a mapping unmapped or made unreadable before exit, nor one
held only from a block malloc mapped itself (that block is a block, not a
root). On python3 (its pymalloc arenas are such mappings) nothing is lost.

usage: check-leakclass.py LEAKSCOPE HEAP-TARGET HELLO HEAP-TAIL HEAP-MAPPED
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402
from tap import check, done, one_line_error  # noqa: E402

leakscope, target, hello, tail, mapped = sys.argv[1:6]
tmp = tempfile.mkdtemp(prefix="leakscope-leakclass-")


def record(program, name):
    trace = os.path.join(tmp, name + ".trace")
    p = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", program], capture_output=True, text=True,
                       env=program_env(), timeout=120)
    check(p.returncode == 0, f"record {name}: exit {p.returncode} {p.stderr.strip()!r}")
    return trace


trace = record(target, "heap-target")
rep = json.loads(subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True,
                                check=True).stdout)
lc = rep["leak_classes"]
check(lc is not None and lc["snapshot"]["label"] == "exit" and not lc["uncertain"],
      f"classified from the exit snapshot, certain: {lc and lc['snapshot']}")
# The worker, still running (under ASan its runtime's own thread too).
check(lc and lc["snapshot"]["running_threads"] >= 1, "the worker thread was running during the scan, and it says so")

# The program's own leaks (its functions build and main), by class.
own = {}
for g in rep["leaks"]:
    fn = g["site"].split()[0]
    if fn in ("build", "main", "worker"):
        own.setdefault(g["class"], []).append(g)


ASAN = bool(os.environ.get("LEAKSCOPE_TEST_ASAN_RUNTIME"))


def runtime_bytes(report, cls):
    """Bytes (and blocks) of class cls that the ASan runtime allocated in
    the program (its pthread_getattr_np at a thread's start) and holds from
    memory of its own, which no scan sees: lost under ASan, not the
    program's. 0 without ASan."""
    if not ASAN:
        return 0, 0
    gs = [g for g in report["leaks"] if g.get("class") == cls and any(
        f.get("function", "").startswith(("__sanitizer", "__asan", "__lsan")) or "libasan" in (f.get("module") or "")
        for f in g["stack"])]
    return sum(g["bytes"] for g in gs), sum(g["blocks"] for g in gs)


def total(cls):
    return sum(g["bytes"] for g in own.get(cls, [])), sum(g["blocks"] for g in own.get(cls, []))


check(total("lost") == (148, 2), f"lost: lost_direct (100 B) and parent (48 B): {total('lost')}")
check(total("indirect") == (48, 2), f"indirect: the parent's two children of 24 B: {total('indirect')}")
check(total("cycle") == (96, 3), f"cycle: the ring of three 32 B blocks: {total('cycle')}")
check(total("possible") == (256, 1), f"possible: the block held by an interior pointer: {total('possible')}")
check(total("reachable") == (120 + 56 + 88 + 72, 6), f"reachable: chain, TLS, two stacks: {total('reachable')}")
check(rep["leak_classes"]["cycle"]["cycles"] == 1 and len(rep["cycles"]) == 1, "one cycle")
if rep["cycles"]:
    cy = rep["cycles"][0]
    check(cy["members"] == 3 and cy["bytes"] == 96 and all(s.startswith("build (heap-target.c:") for s in cy["sites"]),
          f"the cycle: 3 members, 96 B, allocated in build: {cy}")
for cls in ("lost", "indirect", "cycle"):
    rt = runtime_bytes(rep, cls)
    check(lc[cls]["bytes"] - rt[0] == total(cls)[0] and lc[cls]["blocks"] - rt[1] == total(cls)[1],
          f"leak_classes.{cls} is the program's own (ASan's runtime's own {rt}): {lc[cls]}")
rt_lost = sum(runtime_bytes(rep, c)[0] for c in ("lost", "indirect", "cycle"))
check(lc["lost_bytes"] - rt_lost == 148 + 48 + 96, f"lost_bytes: lost + indirect + cycle = 292 ({lc['lost_bytes']})")
check(sum(lc[c]["bytes"] for c in ("lost", "indirect", "cycle", "possible", "reachable", "unscanned"))
      == rep["leaked_bytes"], "the classes sum to leaked_bytes")
held = {}
for g in own.get("reachable", []):
    held.setdefault(g.get("held_by"), []).append(g["bytes"])
check(sorted(held.get("global_chain (heap-target.c:24)", [])) == [40, 40, 40],
      f"the chain is held by global_chain (heap-target.c:24): {held}")
check(held.get("thread-local storage") == [56], "the TLS block is held by thread-local storage")
stacks = sorted(b for k, v in held.items() if k and k.startswith("stack of thread ") for b in v)
check(stacks == [72, 88], f"main's and the worker's blocks are held by stacks of threads: {stacks}")
check(all("held_by" not in g for c in ("lost", "indirect", "cycle", "possible") for g in own.get(c, [])),
      "only reachable groups have held_by")
glob = [g for g in rep["held_by_globals"] if g["global"] == "global_chain"]
check(glob and glob[0]["bytes"] == 120 and glob[0]["blocks"] == 3 and glob[0]["line"] == 24
      and glob[0]["file"].endswith("heap-target.c"), f"held by globals: global_chain keeps 120 B in 3 blocks: {glob}")
check(all(g["global"] != "global_interior" for g in rep["held_by_globals"]),
      "global_interior keeps nothing alive by itself (an interior pointer is not a hold)")

text = subprocess.run([leakscope, "report", trace], capture_output=True, text=True, check=True).stdout
check(text.index("\nLEAK CLASSES (heap snapshot 'exit'") < text.index("\nLEAKS (by class"),
      "the text report gives the classes, then the leaks by class")
leak_lines = [l for l in text.split("\nLEAKS (by class", 1)[-1].split("\n\n", 1)[0].splitlines()[1:]
              if not l.startswith("      ")]
order = [l.split(":", 1)[0].strip() for l in leak_lines if not l.startswith("  ...")]
rank = ["lost", "indirect", "cycle", "possible", "reachable", "unscanned"]
check(order and order == sorted(order, key=rank.index) and order[0] == "lost", f"real leaks first: {order}")
check(re.search(r"\n  cycle +96 B in 3 blocks in 1 cycle", text), "the summary counts the cycle")
check(re.search(r"\n  \d+ other threads? (was|were) still running while the heap was scanned: a block one of them", text),
      "the summary says a thread was running during the scan")
check("\nCYCLES (largest first)\n  96 B in 3 blocks, allocated at:\n    build (heap-target.c:" in text,
      "CYCLES lists the ring with its member count and allocating site")
check(re.search(r"\nHELD BY GLOBALS .*\n +120 B in 3 blocks  global_chain \(heap-target\.c:24\) in heap-target\n", text),
      "HELD BY GLOBALS names global_chain with its 120 B")

# valgrind memcheck on the same program: its definitely + indirectly lost are our
# lost + indirect + cycle (it reports a cycle as one definitely lost block and
# the rest indirect), its still reachable our reachable.
if os.environ.get("LEAKSCOPE_TEST_ASAN_RUNTIME"):
    print("# ASan build: heap-target links the ASan runtime, which valgrind cannot run; its comparison skipped")
elif shutil.which("valgrind"):
    v = subprocess.run(["valgrind", "--leak-check=full", target], capture_output=True, text=True, timeout=300)
    nums = {}
    for kind in ("definitely lost", "indirectly lost", "possibly lost", "still reachable"):
        m = re.search(kind + r": ([\d,]+) bytes in ([\d,]+) blocks", v.stderr)
        nums[kind] = tuple(int(x.replace(",", "")) for x in m.groups()) if m else None
    check(all(nums.values()), f"valgrind's leak summary read: {nums}")
    if all(nums.values()):
        unreach = lc["lost"]["bytes"] + lc["indirect"]["bytes"] + lc["cycle"]["bytes"]
        check(nums["definitely lost"][0] + nums["indirectly lost"][0] == unreach,
              f"valgrind definitely + indirectly lost {nums['definitely lost'][0]} + {nums['indirectly lost'][0]} B "
              f"= our lost + indirect + cycle {unreach} B")
        check(nums["definitely lost"][1] == lc["lost"]["blocks"] + lc["cycle"]["cycles"],
              f"valgrind's definitely lost blocks {nums['definitely lost'][1]} = our lost blocks + one per cycle "
              f"({lc['lost']['blocks']} + {lc['cycle']['cycles']})")
        check(nums["definitely lost"][1] + nums["indirectly lost"][1]
              == lc["lost"]["blocks"] + lc["indirect"]["blocks"] + lc["cycle"]["blocks"], "the same blocks in all")
        check(nums["still reachable"] == (lc["reachable"]["bytes"], lc["reachable"]["blocks"]),
              f"valgrind still reachable {nums['still reachable']} = our reachable "
              f"({lc['reachable']['bytes']}, {lc['reachable']['blocks']})")
        # Possibly lost: the interior block (256 B) and, in both, the worker
        # thread's TLS vector (its size counts the modules with TLS, and the
        # recorder's preload module is one more under leakscope).
        check(nums["possibly lost"][1] == lc["possible"]["blocks"] and nums["possibly lost"][0] >= 256,
              f"possibly lost: valgrind {nums['possibly lost']}, ours ({lc['possible']['bytes']}, "
              f"{lc['possible']['blocks']})")
else:
    print("# valgrind not installed: its comparison skipped (Debian package valgrind)")

# glibc's own pointers into two lost blocks: not a hold. Under ASan the
# program's blocks come from ASan's allocator, which keeps no such pointer:
# the classes must come out the same.
tail_trace = record(tail, "heap-tail")
tail_rep = json.loads(subprocess.run([leakscope, "report", "--json", tail_trace], capture_output=True, text=True,
                                     check=True).stdout)
tail_own = sorted((g["class"], g["bytes"]) for g in tail_rep["leaks"] if g["site"].startswith("build (heap-tail.c:"))
check(tail_own == [("lost", 24), ("lost", 40)],
      f"heap-tail: the 40 B block before a free chunk and the 24 B one before the top are lost: {tail_own}")
# The allocator's pointers were seen and left out (the unsorted bin's two
# ends at the free chunk, the top): the heap the snapshot read is the one
# the program left (ASan's allocator keeps none).
ptrs = tail_rep["leak_classes"]["snapshot"]["allocator_pointers"]
want = 0 if os.environ.get("LEAKSCOPE_TEST_ASAN_RUNTIME") else 3
check(ptrs == want, f"heap-tail: main_arena's pointers into the two blocks left out: {ptrs}, want {want}")

# Memory the program mapped itself holds blocks.
mp_trace = os.path.join(tmp, "heap-mapped.trace")
p = subprocess.run([leakscope, "record", "--quiet", "-o", mp_trace, "--", mapped], capture_output=True, text=True,
                   env=program_env(), timeout=120)
check(p.returncode == 0, f"record heap-mapped: exit {p.returncode} {p.stderr.strip()!r}")
names = dict(l.split() for l in p.stdout.splitlines())
mp_rep = json.loads(subprocess.run([leakscope, "report", "--json", mp_trace], capture_output=True, text=True,
                                   check=True).stdout)
mp_own = {g["bytes"]: (g["class"], g.get("held_by")) for g in mp_rep["leaks"] if g["site"].startswith("build (heap-mapped.c:")}
region = int(names.get("region", "0"), 16)
check(mp_own.get(64) == ("reachable", f"memory the program mapped at {region:#x} (64.0 KiB)"),
      f"heap-mapped: the block held from the program's mapping is reachable, held by it: {mp_own.get(64)}")
check(mp_own.get(80, ("",))[0] == "lost" and mp_own.get(96, ("",))[0] == "lost",
      f"heap-mapped: held only from an unmapped and from an unreadable mapping: lost: {mp_own.get(80)} {mp_own.get(96)}")
check(mp_own.get(200000, ("",))[0] == "lost" and mp_own.get(112, ("",))[0] == "indirect",
      f"heap-mapped: malloc's own mapping is a block, not a root: {mp_own.get(200000)} {mp_own.get(112)}")
tail = int(names.get("tail", "0"), 16)
check(mp_own.get(56) == ("reachable", f"memory the program mapped at {tail:#x} (4.00 KiB)")
      and mp_own.get(48, ("",))[0] == "lost",
      f"heap-mapped: a region's middle unmapped: its last page still holds, the hole not: {mp_own.get(56)} {mp_own.get(48)}")
check(not mp_rep["leak_classes"]["uncertain"], "heap-mapped: the unreadable mapping is not read (no uncertainty)")

# python3: its objects live in pymalloc's arenas, mappings of its own;
# without them as roots the blocks they point to read lost.
py_trace = os.path.join(tmp, "python.trace")
p = subprocess.run([leakscope, "record", "--quiet", "-o", py_trace, "--", sys.executable, "-c",
                    "import json\nd = {i: str(i) * 10 for i in range(20000)}\nx = json.loads(json.dumps(d))\n"],
                   capture_output=True, text=True, env=program_env(), timeout=300)
check(p.returncode == 0, f"record python3: exit {p.returncode} {p.stderr.strip()[-300:]!r}")
py_rep = json.loads(subprocess.run([leakscope, "report", "--json", py_trace], capture_output=True, text=True,
                                   check=True).stdout)
py_lc = py_rep["leak_classes"]
py_lost = [(g["bytes"], g["site"]) for g in py_rep["leaks"] if g.get("class") in ("lost", "indirect", "cycle")]
check(py_lc is not None and py_lc["lost_bytes"] == 0 and not py_lost,
      f"python3: nothing lost at exit (held from its pymalloc arenas): {py_lost[:5]}")
check(any((g.get("held_by") or "").startswith("memory the program mapped at ") for g in py_rep["leaks"]),
      "python3: some blocks are held by memory it mapped (its arenas)")

# check: with no limits, nothing lost (a hello world passes; heap-target does not).
hello_trace = record(hello, "hello")
hello_rep = json.loads(subprocess.run([leakscope, "report", "--json", hello_trace], capture_output=True, text=True,
                                      check=True).stdout)
hello_rt = sum(runtime_bytes(hello_rep, c)[0] for c in ("lost", "indirect", "cycle"))
res = subprocess.run([leakscope, "check"] + (["--max-lost-bytes", str(hello_rt)] if hello_rt else []) + [hello_trace],
                     capture_output=True, text=True)
check(res.returncode == 0 and f"PASS  lost bytes: {hello_rt} B <= {hello_rt} B" in res.stdout,
      f"check passes a hello world with no limits (stdio's buffer is reachable; ASan's runtime's own "
      f"{hello_rt} B aside): {res.stdout!r}")
res = subprocess.run([leakscope, "check", trace], capture_output=True, text=True)
lost_all = 292 + rt_lost
largest = "" if ASAN else "100 B lost from build (heap-target.c:"  # under ASan the runtime's may be larger
check(res.returncode == 1 and f"FAIL  lost bytes: {lost_all} B > 0 B; largest: {largest}" in res.stdout,
      f"check fails heap-target with no limits: {res.stdout!r}")
for limit, code in ((str(lost_all), 0), (str(lost_all - 1), 1), ("1K", 0)):
    res = subprocess.run([leakscope, "check", "--max-lost-bytes", limit, trace], capture_output=True, text=True)
    check(res.returncode == code, f"check --max-lost-bytes {limit}: exit {res.returncode}, want {code}")
res = subprocess.run([leakscope, "check", "--max-lost-bytes", "-3", trace], capture_output=True, text=True)
check(one_line_error(res, 2), f"--max-lost-bytes -3: one line, exit 2 ({res.stderr!r})")
res = subprocess.run([leakscope, "check", "--max-leaked-bytes", "1M", trace], capture_output=True, text=True)
check(res.returncode == 0 and "lost bytes" not in res.stdout, "a leaked-bytes limit alone checks only that")

# A program that leaves nothing allocated: a snapshot with no leak in it.
empty = json.loads(subprocess.run([leakscope, "report", "--json", record("/bin/true", "true")], capture_output=True,
                                  text=True, check=True).stdout)
if not os.environ.get("LEAKSCOPE_TEST_ASAN_RUNTIME"):  # ASan's runtime may start a thread of its own
    check(empty["leak_classes"]["snapshot"]["running_threads"] == 0, "/bin/true: no other thread")
check(empty["leaks"] == [] and empty["leak_classes"] is not None and empty["leak_classes"]["lost_bytes"] == 0
      and all(empty["leak_classes"][c]["blocks"] == 0 for c in ("lost", "indirect", "cycle", "possible", "reachable")),
      f"/bin/true: a snapshot with no leaks, every class empty: {empty['leak_classes']}")

# --no-scan: no snapshot, today's report, said so.
nosnap = os.path.join(tmp, "noscan.trace")
subprocess.run([leakscope, "record", "--quiet", "--no-scan", "-o", nosnap, "--", target], capture_output=True,
               env=program_env(), timeout=120)
r2 = json.loads(subprocess.run([leakscope, "report", "--json", nosnap], capture_output=True, text=True,
                               check=True).stdout)
check(r2["leak_classes"] is None and all("class" not in g for g in r2["leaks"]),
      "without a snapshot: leak_classes null, leaks without classes")
t2 = subprocess.run([leakscope, "report", nosnap], capture_output=True, text=True, check=True).stdout
check("LEAK CLASSES  none: no heap snapshot in this trace" in t2 and "\nLEAKS (largest first)\n" in t2,
      "the text report says there is no snapshot and keeps today's leaks")
shutil.rmtree(tmp, ignore_errors=True)
done()
