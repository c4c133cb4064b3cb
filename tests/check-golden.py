#!/usr/bin/env python3
"""Golden outputs: what `leakscope dump` and `leakscope report` (text and
JSON) print for a few small checked-in traces (tests/fuzz/corpus), byte for
byte, against tests/golden/NAME.{dump,report,json}. A change to what the
commands print must change these files too: run with --update to rewrite
them, and read the diff.

usage: check-golden.py LEAKSCOPE [--update]
"""
import os
import subprocess
import sys

leakscope = os.path.abspath(sys.argv[1])
update = "--update" in sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "fuzz", "corpus")
golden = os.path.join(here, "golden")
TRACES = ["valid-small", "v2-valid-coded-columns", "v3-valid-close-stacks", "real-writer-3-threads",
          "incomplete-no-end-chunk", "damage-chunk-deleted"]
COMMANDS = {"dump": ["dump"], "report": ["report"], "json": ["report", "--json"]}
failures = 0

for name in TRACES:
    for ext, args in COMMANDS.items():
        # Run from the corpus folder with a relative path: the outputs name the file.
        p = subprocess.run([leakscope, *args, name], cwd=corpus, capture_output=True, env=dict(os.environ, LC_ALL="C"))
        got = p.stdout + (b"exit %d\n" % p.returncode) + p.stderr
        path = os.path.join(golden, f"{name}.{ext}")
        if update:
            with open(path, "wb") as f:
                f.write(got)
            continue
        want = open(path, "rb").read() if os.path.exists(path) else b""
        ok = got == want
        print(("ok  " if ok else "FAIL") + f" {' '.join(args)} {name}")
        if not ok:
            failures += 1
            g, w = got.decode(errors="replace").splitlines(), want.decode(errors="replace").splitlines()
            for i in range(max(len(g), len(w))):
                a, b = (g[i] if i < len(g) else "<none>"), (w[i] if i < len(w) else "<none>")
                if a != b:
                    print(f"  line {i + 1}: got  {a!r}\n  line {i + 1}: want {b!r}")
                    break
if update:
    print("golden outputs rewritten")
    sys.exit(0)
print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
