#!/usr/bin/env python3
"""The seams of meson.build, as the compiler sees them.

For each part, a one-line file including a header is compiled with the very
flags (include path, defines) of that part's sources, read from the build's
compile_commands.json: what the part may include must compile, what it must
never include must fail with the header not found. So render/, ui/ and the
CLI cannot reach the format's reader or writer (they see the format's types
through the model), the launcher cannot reach the model or the CLI, the
recorder no GLib or cairo (docs/ARCHITECTURE.md, "what each may include").
Then: every source of recorder/ and format/ is compiled once, shared by the
library, the preload module and the rest.

usage: check-seams.py BUILD/compile_commands.json SOURCE_ROOT
"""
import collections
import json
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, done  # noqa: E402

READER = "trace-reader.h"
WRITER = "trace-writer.h"

# part: (sources, except, may include, must never include)
PARTS = {
    "render": ("viewer/render/", (), ["trace-types.h", "trace-format.h", "analysis.h", "cairo.h"],
               [READER, WRITER, "gtk/gtk.h", "env-protocol.h"]),
    "ui": ("viewer/ui/", (), ["trace-types.h", "render.h", "gtk/gtk.h"], [READER, WRITER, "env-protocol.h"]),
    "cli": ("viewer/cli/", (), ["trace-types.h", "analysis.h", "walk.h", "render.h", "launcher.h"],
            [READER, WRITER, "gtk/gtk.h", "env-protocol.h", "recorder-private.h"]),
    "model": ("viewer/model/", (), [READER, "trace-types.h"], ["cairo.h", "gtk/gtk.h", "render.h", "env-protocol.h"]),
    "launcher": ("recorder/launcher/", (), [READER, "env-protocol.h"],
                 ["analysis.h", "units.h", "cli.h", "glib.h"]),
    "recorder": ("recorder/", ("recorder/launcher/",), [WRITER, "env-protocol.h", "lz4.h"],
                 ["analysis.h", "glib.h", "cairo.h"]),
    "format": ("format/", (), [READER, WRITER, "lz4.h"], ["analysis.h", "env-protocol.h", "glib.h"]),
}


def flags_of(entry):
    """The entry's command without its source, output and dependency files."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c", "-MQ", "-MF", "-MT"):
            skip = True
            continue
        if a in ("-MD", "-MMD") or a == entry["file"]:
            continue
        out.append(a)
    return out


def probe(flags, directory, header, tmp):
    """Compiles a file that includes `header` with `flags`: (ok, stderr)."""
    path = os.path.join(tmp, "probe.c")
    with open(path, "w") as f:
        f.write(f'#include "{header}"\n')
    p = subprocess.run(flags + ["-fdiagnostics-color=never", "-fsyntax-only", path], cwd=directory,
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr


def main():
    db_path, root = sys.argv[1], os.path.realpath(sys.argv[2])
    with open(db_path) as f:
        db = json.load(f)
    by_part = collections.defaultdict(dict)  # part -> flags -> (directory, a source)
    compiled = collections.Counter()
    for e in db:
        src = os.path.relpath(os.path.realpath(os.path.join(e["directory"], e["file"])), root)
        compiled[src] += 1
        if e.get("output", "").startswith(("tests/", "bench/")):
            continue  # a test's or a benchmark's build of a source may include anything
        for part, (prefix, excepted, _, _) in PARTS.items():
            if src.startswith(prefix) and not any(src.startswith(x) for x in excepted):
                flags = flags_of(e)
                by_part[part].setdefault(tuple(flags), (e["directory"], src))
    with tempfile.TemporaryDirectory() as tmp:
        for part, (prefix, _, allowed, forbidden) in PARTS.items():
            if part == "ui" and not by_part[part]:
                print("ok - ui # skip: built without GTK 4")
                continue
            if not check(by_part[part], f"{part}: sources under {prefix} are in {db_path}"):
                continue
            for flags, (directory, src) in by_part[part].items():
                for h in allowed:
                    ok, err = probe(list(flags), directory, h, tmp)
                    check(ok, f"{part} ({src}'s flags) can include {h}" + ("" if ok else ": " + err.strip()[:300]))
                for h in forbidden:
                    ok, err = probe(list(flags), directory, h, tmp)
                    missing = not ok and h.split("/")[-1] in err and ("No such file" in err or "not found" in err)
                    check(missing, f"{part} ({src}'s flags) cannot include {h}"
                          + ("" if missing else ": it compiles" if ok else ": failed otherwise: " + err.strip()[:300]))
    for src, n in sorted(compiled.items()):
        if src.startswith(("recorder/", "format/")) and src.endswith(".c"):
            check(n == 1, f"{src} compiled once ({n})")
    done()


main()
