#!/usr/bin/env python3
"""`leakscope export` on bad input: one line on stderr, exit 2 (exit 1 when the
output cannot be written); a good export writes a PNG.

usage: check-export.py LEAKSCOPE TEST-RENDER
"""
import os
import subprocess
import sys
import tempfile

leakscope, test_render = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="leakscope-export-")
trace = os.path.join(tmp, "good.trace")
subprocess.run([test_render, "--write-trace", trace], check=True)
out = os.path.join(tmp, "out.png")
failures = 0


def expect(args, code, what):
    global failures
    p = subprocess.run([leakscope, "export"] + args, capture_output=True, text=True)
    lines = p.stderr.splitlines()
    ok = p.returncode == code and (code == 0 or (len(lines) == 1 and lines[0].startswith("leakscope: ")))
    print(("ok  " if ok else "FAIL") + f" {what}: exit {p.returncode}, stderr {p.stderr.strip()!r}")
    failures += not ok


expect(["--png", out, trace], 0, "good export")
with open(out, "rb") as f:
    if f.read(8) != b"\x89PNG\r\n\x1a\n":
        print("FAIL good export: not a PNG")
        failures += 1
expect(["--png", out, "--theme", "dark", "--tracks", "heap,gc", "--from", "1.5s", "--to", "4500ms", trace], 0,
       "options")
for size in ["0x0", "1920", "x1080", "1920x", "100x100", "99999x1080", "1920x1080x3", "-5x100", "abcxdef"]:
    expect(["--png", out, "--size", size, trace], 2, f"bad size {size}")
for tracks in ["heap,bogus", "", "heap,", "HEAP", "gc;threads"]:
    expect(["--png", out, "--tracks", tracks, trace], 2, f"bad tracks {tracks!r}")
for t in ["abc", "1.5parsecs", "-1s", "nan"]:
    expect(["--png", out, "--from", t, "--to", "2s", trace], 2, f"bad time {t}")
expect(["--png", out, "--from", "3s", "--to", "2s", trace], 2, "from after to")
expect(["--png", out, "--theme", "sepia", trace], 2, "bad theme")
expect(["--png", out, "--bogus", trace], 2, "unknown option")
expect(["--png", out], 2, "no trace")
expect([trace], 2, "no --png")
expect(["--png", out, os.path.join(tmp, "missing.trace")], 2, "missing trace")
garbage = os.path.join(tmp, "garbage.trace")
with open(garbage, "wb") as f:
    f.write(os.urandom(4096))
expect(["--png", out, garbage], 2, "garbage trace")
data = bytearray(open(trace, "rb").read())
data[len(data) // 2] ^= 0xFF  # inside a chunk: checksum mismatch
corrupt = os.path.join(tmp, "corrupt.trace")
open(corrupt, "wb").write(bytes(data))
# A damaged chunk is skipped: the rest is drawn, with one warning line.
p = subprocess.run([leakscope, "export", "--png", out, corrupt], capture_output=True, text=True)
ok = p.returncode == 0 and len(p.stderr.splitlines()) == 1 and "warning: the trace is damaged" in p.stderr
print(("ok  " if ok else "FAIL") + f" damaged trace: exit {p.returncode}, stderr {p.stderr.strip()!r}")
failures += not ok
data = bytearray(open(trace, "rb").read())
data[20] ^= 0xFF  # the file header: nothing can be read
open(corrupt, "wb").write(bytes(data))
expect(["--png", out, corrupt], 2, "corrupt file header")
expect(["--png", os.path.join(tmp, "no-such-dir", "x.png"), trace], 1, "unwritable output")
expect(["--png", tmp, trace], 1, "output is a directory")

for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
sys.exit(1 if failures else 0)
