#!/usr/bin/env python3
"""The leakscope command on bad input: corrupt, foreign, missing, truncated
files and wrong usage each give one line naming the file (and the byte
offset), exit code 2 (0 for a readable truncated trace), and never a crash."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from tap import check, done

leakscope, program = sys.argv[1], sys.argv[2]



def run(*args):
    return subprocess.run([leakscope, *args], capture_output=True, text=True, timeout=60)


def one_line_error(res, *needles):
    lines = res.stderr.strip().splitlines()
    return (res.returncode == 2 and len(lines) == 1 and lines[0].startswith("leakscope: ")
            and all(n in lines[0] for n in needles))


with tempfile.TemporaryDirectory() as tmp:
    good = os.path.join(tmp, "good.trace")
    subprocess.run([program, good], capture_output=True, check=True)
    data = open(good, "rb").read()

    res = run("dump", good)
    check(res.returncode == 0 and "end events=" in res.stdout and "kind=dict" in res.stdout, "dump reads a good file")
    if shutil.which("lz4"):
        lz = subprocess.run(["lz4", "-dc", good], capture_output=True)
        check(lz.returncode == 0 and len(lz.stdout) > 0, f"lz4 -dc decompresses a trace ({len(lz.stdout)} bytes)")

    # Corrupt one byte inside the second chunk's payload.
    chunks = [l for l in res.stdout.splitlines() if l.startswith("chunk ")]
    second = int(chunks[1].split()[1].split("=")[1])
    bad = os.path.join(tmp, "bad name.trace")
    corrupt = bytearray(data)
    corrupt[second + 8 + int.from_bytes(corrupt[second + 4:second + 8], "little") + 10] ^= 0x40  # its payload
    open(bad, "wb").write(corrupt)
    # One bad chunk does not make the file unreadable: it is skipped and
    # named (tests/check-damage.py checks every output in detail).
    res = run("report", bad)
    check(res.returncode == 0 and f"DAMAGED" in res.stdout and f"byte offset {second} " in res.stdout
          and "checksum mismatch" in res.stdout, f"report: a corrupt chunk is skipped and named: {res.stdout[:400]!r}")
    res = run("dump", bad)
    check(res.returncode == 0 and f"damaged byte offset {second} " in res.stdout, "dump names it too")

    # File names in errors are untrusted text: escaped as the report escapes them.
    odd = os.path.join(tmp, "odd\x1b[31m\nname.trace")
    open(odd, "wb").write(b"\x7fELF" + b"\0" * 200)
    for cmd in (["report"], ["dump"], ["check"], ["export", "--png", os.path.join(tmp, "o.png")]):
        res = run(*cmd, odd)
        check(one_line_error(res, "odd\\x1b[31m\\x0aname.trace", "byte offset 0") and "\x1b" not in res.stderr,
              f"{cmd[0]}: a file name with control characters is escaped: {res.stderr!r}")

    foreign = os.path.join(tmp, "foreign.trace")
    open(foreign, "wb").write(b"\x7fELF" + b"\0" * 200)
    res = run("report", foreign)
    check(one_line_error(res, foreign, "byte offset 0", "not a Leakscope trace"), f"foreign file: {res.stderr.strip()!r}")
    empty = os.path.join(tmp, "empty.trace")
    open(empty, "wb").close()
    res = run("report", empty)
    check(one_line_error(res, empty, "byte offset 0"), f"empty file: {res.stderr.strip()!r}")
    res = run("report", os.path.join(tmp, "missing.trace"))
    check(one_line_error(res, "missing.trace", "cannot open"), f"missing file: {res.stderr.strip()!r}")
    res = run("report", tmp)
    check(one_line_error(res, tmp), f"a directory: {res.stderr.strip()!r}")

    # A truncated trace is read up to its last whole chunk.
    cut = os.path.join(tmp, "cut.trace")
    open(cut, "wb").write(data[: len(data) * 2 // 3])
    res = run("report", "--json", cut)
    check(res.returncode == 0, f"truncated trace: report exits 0 ({res.stderr.strip()!r})")
    if res.returncode == 0:
        r = json.loads(res.stdout)
        check(r["truncated"] is True and r["complete"] is False and r["events"] > 0,
              f"truncated: true, with the events before the cut ({r['events']})")
    res = run("report", cut)
    check(res.returncode == 0 and "TRUNCATED" in res.stdout, "the text report says TRUNCATED")

    for args, needle in ((["report", "--bogus", good], "unknown option"), (["report"], "expected one trace file"),
                         (["report", "--top", "x", good], "--top"), (["frobnicate"], "unknown command"),
                         (["dump"], "expected one trace file"), ([], None)):
        res = run(*args)
        ok = res.returncode == 2 and (needle is None or one_line_error(res, needle))
        check(ok, f"leakscope {' '.join(args)} -> exit 2: {res.stderr.strip().splitlines()[:1]}")
    res = run("help")
    check(res.returncode == 0 and "report" in res.stdout, "help exits 0")
    res = run("--version")
    check(res.returncode == 0 and res.stdout.startswith("leakscope ") and len(res.stdout.split()) == 2,
          f"--version: {res.stdout.strip()!r}")
    # Every command's usage: COMMAND --help, COMMAND -h and help COMMAND, the same text.
    for cmd in ("record", "report", "check", "dump", "export", "convert", "flamegraph", "diff"):
        outs = [run(cmd, "--help"), run(cmd, "-h"), run("help", cmd)]
        check(all(r.returncode == 0 and r.stdout.startswith("usage: leakscope " + cmd) for r in outs)
              and outs[0].stdout == outs[1].stdout == outs[2].stdout, f"{cmd}: --help, -h and help {cmd} agree")
    res = run("export", "--png", os.path.join(tmp, "x.png"), "--from", "10min", good)
    check(one_line_error(res, "--from 10min is past the trace's end") and not os.path.exists(os.path.join(tmp, "x.png")),
          f"export --from past the end: {res.stderr.strip()!r}")

done()
