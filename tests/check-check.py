#!/usr/bin/env python3
"""`leakscope check` gates CI: exit 0 when every limit holds, 1 when one does
not (saying which, with the largest leak's call site), 2 on bad input; JUnit
XML for CI systems."""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from tap import check, done

leakscope, program = sys.argv[1], sys.argv[2]



def run(*args):
    return subprocess.run([leakscope, "check", *args], capture_output=True, text=True, timeout=60)


with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "i.trace")
    subprocess.run([program, trace], check=True, capture_output=True, timeout=60)

    # default: nothing may be lost; instrumented loses 4446 bytes (its trace_end takes a heap
    # snapshot: every leak of it is a block nothing points to)
    res = run(trace)
    check(res.returncode == 1, f"default check fails on a leaking program (exit {res.returncode})")
    check("FAIL  lost bytes: 4.34 KiB > 0 B; largest: 4.00 KiB lost from leak_b (instrumented.c:" in res.stdout,
          f"the failure names the size and the largest lost group's call site:\n{res.stdout}")
    check(res.stdout.rstrip().endswith("leakscope check: 2 passed, 1 failed"), "a summary line ends the output")

    junit = os.path.join(tmp, "junit.xml")
    res = run("--max-leaked-bytes", "5K", "--max-leaked-blocks", "5", "--max-open", "fd=1", "--max-open", "socket=0",
              "--max-open-resources", "1", "--max-gc-pause", "1s", "--max-gc-total", "2s", "--max-peak-heap", "1M",
              "--junit", junit, trace)
    check(res.returncode == 0, f"every limit holds: exit 0 ({res.stdout}{res.stderr})")
    suite = ET.parse(junit).getroot().find("testsuite")
    check(suite is not None and suite.get("tests") == "10" and suite.get("failures") == "0",
          f"JUnit XML: 10 test cases, no failures ({suite.attrib if suite is not None else None})")

    # --max-lost-bytes on both sides of the truth (4446 lost).
    res = run("--max-lost-bytes", "4446", trace)
    check(res.returncode == 0 and "PASS  lost bytes: 4.34 KiB <= 4.34 KiB" in res.stdout,
          f"--max-lost-bytes 4446 passes: {res.stdout!r}")
    res = run("--max-lost-bytes", "4445", trace)
    check(res.returncode == 1 and "FAIL  lost bytes: 4.34 KiB > 4.34 KiB" in res.stdout,
          f"--max-lost-bytes 4445 fails: {res.stdout!r}")

    res = run("--max-open", "fd=0", "--max-gc-pause", "1ms", "--junit", junit, trace)
    check(res.returncode == 1, "an fd left open and a 5 ms pause fail their limits")
    check("FAIL  fd open at end: 1 > 0" in res.stdout and "FAIL  longest GC pause" in res.stdout, res.stdout)
    cases = {c.get("name"): c.find("failure") is not None for c in ET.parse(junit).getroot().iter("testcase")}
    check(cases.get("open_fd") is True and cases.get("gc_max_pause") is True and cases.get("lost_events") is False,
          f"JUnit marks the failed cases ({cases})")

    data = open(trace, "rb").read()
    cut = os.path.join(tmp, "cut.trace")
    open(cut, "wb").write(data[: len(data) * 2 // 3])
    res = run("--max-leaked-bytes", "1G", cut)
    check(res.returncode == 1 and "FAIL  trace truncated" in res.stdout, "a truncated trace fails by default")
    res = run("--max-leaked-bytes", "1G", "--allow-truncated", cut)
    check(res.returncode == 0, "--allow-truncated accepts it")

    # Killed before the end: every chunk whole, no END chunk (its offset from
    # dump's last chunk line). README: a crash fails check.
    last = [l for l in subprocess.run([leakscope, "dump", trace], capture_output=True, text=True).stdout.splitlines()
            if l.startswith("chunk ")][-1]
    check("kind=end" in last, f"the last chunk is the END chunk ({last})")
    killed = os.path.join(tmp, "killed.trace")
    open(killed, "wb").write(data[: int(last.split()[1].split("=")[1])])
    res = run("--max-leaked-bytes", "1G", killed)
    check(res.returncode == 1 and "FAIL  trace incomplete: no end marker (the program crashed or was killed)"
          in res.stdout, f"an incomplete trace fails by default, saying so: {res.stdout!r}")
    # No snapshot in a trace killed before it (cut where the heap snapshot chunk
    # starts): the default is today's "nothing leaked", and a lost-bytes limit
    # cannot be checked, so it fails, saying why.
    heap = [l for l in subprocess.run([leakscope, "dump", trace], capture_output=True, text=True).stdout.splitlines()
            if l.startswith("chunk ") and "kind=heap" in l]
    check(len(heap) == 1, f"trace_end wrote one heap snapshot ({heap})")
    nosnap = os.path.join(tmp, "nosnap.trace")
    open(nosnap, "wb").write(data[: int(heap[0].split()[1].split("=")[1]) if heap else 0])
    res = run("--allow-incomplete", nosnap)
    check(res.returncode == 1 and "FAIL  leaked bytes: 4.34 KiB > 0 B" in res.stdout and "lost bytes" not in res.stdout,
          f"without a snapshot the default checks leaked bytes: {res.stdout!r}")
    res = run("--allow-incomplete", "--max-lost-bytes", "1G", nosnap)
    check(res.returncode == 1 and "FAIL  lost bytes: unknown, the trace has no heap snapshot (the program crashed or "
          "was killed)" in res.stdout, f"--max-lost-bytes without a snapshot fails, saying why: {res.stdout!r}")
    for opt in ("--allow-incomplete", "--allow-truncated"):
        res = run("--max-leaked-bytes", "1G", opt, killed)
        check(res.returncode == 0 and "PASS  trace incomplete: no end marker" in res.stdout and "(allowed)" in res.stdout,
              f"{opt} accepts it")

    bad = os.path.join(tmp, "bad.trace")
    open(bad, "wb").write(b"not a trace at all, just text\n" * 4)
    for args, what in ((["--max-leaked-bytes", "lots", trace], "a bad number"),
                       (["--max-gc-pause", "5 parsecs", trace], "a bad duration"),
                       (["--max-open", "fd", trace], "--max-open without =N"),
                       (["--frobnicate", trace], "an unknown option"), ([], "no trace"), ([bad], "a foreign file"),
                       (["--junit", os.path.join(tmp, "no", "such", "dir.xml"), trace], "an unwritable JUnit path")):
        res = run(*args)
        lines = res.stderr.strip().splitlines()
        check(res.returncode == 2 and len(lines) == 1 and lines[0].startswith("leakscope: "),
              f"{what}: exit 2 and one line ({res.returncode}, {lines})")
    # A bad value's line names the option, the value and what it should be.
    for args, line in ((["--max-leaked-bytes", "10Q"], "check: --max-leaked-bytes: '10Q' is not a size"),
                       (["--max-leaked-bytes=10Q"], "check: --max-leaked-bytes: '10Q' is not a size"),
                       (["--max-gc-pause", "20"], "check: --max-gc-pause: '20' is not a duration with a unit"),
                       (["--max-gc-total", "1.5"], "check: --max-gc-total: '1.5' is not a duration with a unit"),
                       (["--max-leaked-blocks", "5M"], "check: --max-leaked-blocks: '5M' is not a count"),
                       (["--max-lost-bytes", "some"], "check: --max-lost-bytes: 'some' is not a size"),
                       (["--max-open", "fd=lots"], "check: --max-open: 'lots' is not a count"),
                       (["--max-open", "socket"], "check: --max-open: 'socket' is not KIND=N")):
        res = run(*args, trace)
        check(res.returncode == 2 and res.stderr.startswith("leakscope: " + line),
              f"{' '.join(args)}: {res.stderr.strip()!r}")

done()
