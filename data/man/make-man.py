#!/usr/bin/env python3
"""Writes a man page per leakscope command (leakscope.1, leakscope-report.1,
...) from the command's own usage text, so that the two never disagree:
`leakscope COMMAND --help` is the source.

usage: make-man.py LEAKSCOPE VERSION OUTDIR
"""
import os
import subprocess
import sys

leakscope, version, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
COMMANDS = {
    "record": "run an unmodified program and record it into a trace",
    "report": "summarize a trace: heap, leaks by call site, resources, GC pauses",
    "check": "gate CI on a trace's leaks, open resources and GC pauses",
    "export": "draw a trace's timeline as a PNG",
    "convert": "write a trace for other tools: Trace Event JSON, CSV, collapsed stacks, pprof",
    "flamegraph": "draw the allocations' call tree as a flame graph",
    "diff": "compare two traces call site by call site",
    "dump": "print every chunk and record of a trace",
}


def roff(text):
    """Plain text as roff: no request, no escape from the text itself."""
    out = []
    for line in text.splitlines():
        line = line.replace("\\", "\\e")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def page(name, summary, usage):
    lines = usage.rstrip("\n").splitlines()
    synopsis = [lines[0][len("usage: "):]] if lines and lines[0].startswith("usage: ") else []
    i = 1
    while i < len(lines) and lines[i].startswith(" " * 10) and not lines[i].strip().startswith("-"):
        synopsis.append(lines[i].strip())
        i += 1
    body = "\n".join(lines[i:] if synopsis else lines)
    see = ", ".join(f"\\fBleakscope-{c}\\fR(1)" for c in COMMANDS if f"leakscope-{c}" != name)
    return (f'.TH {name.upper()} 1 "" "leakscope {version}" "Leakscope"\n'
            f".SH NAME\n{name} \\- {summary}\n"
            + (".SH SYNOPSIS\n.nf\n" + roff("\n".join(synopsis)) + "\n.fi\n" if synopsis else "")
            + ".SH DESCRIPTION\n.nf\n" + roff(body) + "\n.fi\n"
            ".SH EXIT STATUS\n0 success, 1 failure (a limit not met, an output not written), "
            "2 bad input (an unreadable or corrupt trace, wrong usage).\n"
            f".SH SEE ALSO\n{see}\n")


os.makedirs(outdir, exist_ok=True)
main = subprocess.run([leakscope, "help"], capture_output=True, text=True, check=True).stdout
with open(os.path.join(outdir, "leakscope.1"), "w") as f:
    f.write(page("leakscope", "see why a C or C++ program's memory grows, or its descriptors run out", main))
for cmd, summary in COMMANDS.items():
    usage = subprocess.run([leakscope, cmd, "--help"], capture_output=True, text=True, check=True).stdout
    with open(os.path.join(outdir, f"leakscope-{cmd}.1"), "w") as f:
        f.write(page(f"leakscope-{cmd}", summary, usage))
