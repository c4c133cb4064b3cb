#!/usr/bin/env python3
"""The desktop viewer under Xvfb: test-viewer opens a demo trace, presses the
timeline's keys with the focus in a list (XTest, libXtst loaded at run time),
checks the layout, hover and details, zooms, pans, selects, clicks and exports
through the window, clicks a descriptor's bar (both its stacks: opened in
open_log, closed in close_log, or still open); an unreadable trace must show
the reader's message, a truncated one the trace and a banner, a damaged one
the rest of the trace and a banner saying what was lost. Opened files must
land in the recent files list. tests/heap-target recorded with `leakscope
record` (a heap snapshot of known classes): the Leaks panel's class rows,
bytes, blocks and held-by names, and the Globals view, must be what `report
--json` says for the same trace, and the classes' colours read (contrast)
under Adwaita and Adwaita:dark; tests/grow-server recorded and killed with
SIGKILL (no snapshot): the Growing panel must be the report's growth
suspects, session_log first, then its bytes kept per "batch" iteration, and
the Leaks panel its unclassified list.

A trace of 6M events from bench/gen-trace: its first picture (the sketch,
from the chunk summaries) must be drawn on the loading page while the
events are read, and gone once they are.

usage: check-viewer.py TEST_VIEWER DEMO LEAKSCOPE HEAP_TARGET GROW_SERVER GEN_TRACE
Set LEAKSCOPE_TEST_KEEP=DIR to keep the screenshots and PNGs there."""
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


def report(leakscope, trace):
    r = subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise SystemExit(f"check-viewer: report --json {trace}: exit {r.returncode} {r.stderr.strip()!r}")
    return json.loads(r.stdout)


def record_classes(leakscope, target, tmp, out):
    """heap-target under record; OUTDIR/classes.expect from its report."""
    trace = os.path.join(tmp, "heap-target.trace")
    r = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", target], capture_output=True, text=True,
                       env=program_env(), timeout=120)
    if r.returncode != 0:
        raise SystemExit(f"check-viewer: record heap-target: exit {r.returncode} {r.stderr.strip()!r}")
    rep = report(leakscope, trace)
    if not rep["leak_classes"] or not rep["held_by_globals"]:
        raise SystemExit("check-viewer: heap-target's report has no classes or no globals")
    with open(os.path.join(out, "classes.expect"), "w", encoding="utf-8") as f:
        for g in rep["leaks"]:
            f.write("\t".join(["group", g["class"], g["site"], str(g["bytes"]), str(g["blocks"]),
                               g.get("held_by") or ""]) + "\n")
        for g in rep["held_by_globals"]:
            f.write("\t".join(["global", g["global"], str(g["bytes"]), str(g["blocks"])]) + "\n")
    return trace


def record_growing(leakscope, server, tmp, out):
    """grow-server under record, killed after 1.5 s (as check-growth.py);
    OUTDIR/growing.expect from its report."""
    trace = os.path.join(tmp, "grow-server.trace")
    p = subprocess.Popen([leakscope, "record", "--quiet", "-o", trace, "--", server], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True, env=program_env(True))
    try:
        pid = int(p.stdout.readline().decode().split()[1])
        time.sleep(1.5)
        os.kill(pid, signal.SIGKILL)
        p.communicate(timeout=60)
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        raise
    rep = report(leakscope, trace)
    if rep["leak_classes"] is not None or not rep["growth_suspects"]:
        raise SystemExit("check-viewer: the killed grow-server has a snapshot or no growth suspects")
    with open(os.path.join(out, "growing.expect"), "w", encoding="utf-8") as f:
        for g in rep["growth_suspects"]:
            f.write("\t".join(["growth", g["site"], str(g["live_bytes_at_end"]), str(g["live_blocks_at_end"])]) + "\n")
        for g in rep["resource_growth_suspects"]:
            f.write("\t".join(["resgrowth", g["kind"], g["site"], str(g["open_at_end"])]) + "\n")
        if not rep["iterations"] or not rep["iterations"]["sites"]:
            raise SystemExit("check-viewer: the killed grow-server's report has no iterations")
        f.write("\t".join(["marks", rep["iterations"]["label"], str(rep["iterations"]["count"])]) + "\n")
        for g in rep["iterations"]["sites"]:
            f.write("\t".join(["iteration", g["verdict"], g["site"], str(g["first_bytes"]), str(g["last_bytes"])]) + "\n")
    return trace

def main():
    test_viewer, demo, leakscope, heap_target, grow_server, gen_trace = sys.argv[1:7]
    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        print("check-viewer: xvfb-run not found (Debian: xvfb xauth)", file=sys.stderr)
        return 1
    keep = os.environ.get("LEAKSCOPE_TEST_KEEP")
    with tempfile.TemporaryDirectory(prefix="leakscope-viewer-") as tmp:
        out = keep or os.path.join(tmp, "out")
        os.makedirs(out, exist_ok=True)
        trace = os.path.join(tmp, "demo.trace")
        subprocess.run([demo, "1.5", trace], check=True, stdout=subprocess.DEVNULL, timeout=60)
        # the base run for the panels' Compare with…: a shorter run of the demo
        subprocess.run([demo, "0.8", os.path.join(tmp, "base.trace")], check=True, stdout=subprocess.DEVNULL,
                       timeout=60)
        data = open(trace, "rb").read()
        truncated = os.path.join(tmp, "truncated.trace")
        with open(truncated, "wb") as f:
            f.write(data[: len(data) * 3 // 5])
        # Bytes damaged in the middle: the window shows the rest and says
        # what was lost; a damaged file header: nothing can be read.
        damaged = os.path.join(tmp, "damaged.trace")
        bad = bytearray(data)
        for i in range(len(bad) // 2, len(bad) // 2 + 16):
            bad[i] ^= 0x5A
        with open(damaged, "wb") as f:
            f.write(bad)
        corrupt = os.path.join(tmp, "corrupt.trace")
        bad = bytearray(data)
        bad[30] ^= 0x5A
        with open(corrupt, "wb") as f:
            f.write(bad)

        classes = record_classes(leakscope, heap_target, tmp, out)
        growing = record_growing(leakscope, grow_server, tmp, out)

        env = dict(os.environ)
        for k in ("WAYLAND_DISPLAY", "DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "DEBUGINFOD_URLS"):
            env.pop(k, None)
        # No GL in the test process: GTK 4.8's X11 backend probes EGL and
        # GLX when it opens the display (gdk_display_prepare_gl), whatever
        # the renderer, which loads the machine's GL driver (under Xvfb
        # Mesa's swrast_dri.so, whose 128-byte leak LeakSanitizer reports in
        # ./run test's ASan run). GDK_DEBUG=gl-disable (GTK 4.8 honours it
        # in release builds) stops the probe; test-viewer checks that no GL
        # library was mapped. The cairo renderer needs none.
        gdk_debug = ",".join(x for x in (env.get("GDK_DEBUG", ""), "gl-disable") if x)
        env.update({
            "GDK_DEBUG": gdk_debug,
            "HOME": tmp, "XDG_DATA_HOME": os.path.join(tmp, "data"), "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
            "XDG_CACHE_HOME": os.path.join(tmp, "cache"), "XDG_RUNTIME_DIR": tmp,
            "GDK_BACKEND": "x11", "GSK_RENDERER": "cairo", "NO_AT_BRIDGE": "1", "GTK_A11Y": "none",
            "G_DEBUG": "fatal-criticals", "LC_ALL": "C.UTF-8",
        })
        failed = False
        # The classes' colours must read on a dark theme too: the classes
        # mode again under Adwaita:dark, in a directory of its own, last
        # (the view mode wants no recent traces yet).
        dark = os.path.join(out, "dark")
        os.makedirs(dark, exist_ok=True)
        shutil.copy(os.path.join(out, "classes.expect"), dark)
        runs = [(mode, path, out, {}) for mode, path in (("view", trace), ("panels", trace), ("truncated", truncated),
                                                          ("damaged", damaged), ("corrupt", corrupt),
                                                          ("classes", classes), ("growing", growing))]
        runs.append(("classes", classes, dark, {"GTK_THEME": "Adwaita:dark"}))
        long_trace = os.path.join(tmp, "long.trace")
        subprocess.run([gen_trace, "-n", "6000000", "-t", "4", "-r", "2000", "-g", "5000", long_trace], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        runs.append(("sketch", long_trace, out, {}))
        for mode, path, outdir, extra in runs:
            cmd = [xvfb, "-a", "-s", "-screen 0 1400x1000x24", test_viewer, mode, path, outdir]
            what = mode + (" (dark)" if extra else "")
            try:
                r = subprocess.run(cmd, env=dict(env, **extra), timeout=150, capture_output=True, text=True)
            except subprocess.TimeoutExpired:
                print(f"check-viewer: {what}: timed out", file=sys.stderr)
                failed = True
                continue
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr)
            if r.returncode != 0:
                print(f"check-viewer: {what}: exit {r.returncode}", file=sys.stderr)
                failed = True
        for name in ("window.png", "export-view.png", "export-heap.png", "window-truncated.png", "window-damaged.png",
                     "window-corrupt.png", "window-hover.png", "window-zoomed-heap.png", "window-gc-details.png",
                     "window-resource-details.png",
                     "window-flame.png", "window-flame-search.png", "window-calltree.png", "window-compare.png",
                     "window-classes.png", "window-globals.png", "window-growing.png", "window-sketch.png"):
            if not os.path.getsize(os.path.join(out, name)) if os.path.exists(os.path.join(out, name)) else True:
                print(f"check-viewer: {name} was not written", file=sys.stderr)
                failed = True
        # The panels' selection: its temporary allocations and peak as the
        # Call Tree showed them, against report --from --to's.
        try:
            f0, f1, temporary, peak = map(int, open(os.path.join(out, "panels-range.txt")).read().split())
            rep = subprocess.run([leakscope, "report", "--json", "--from", f"{f0}ns", "--to", f"{f1}ns", trace],
                                 capture_output=True, text=True, timeout=120)
            r = json.loads(rep.stdout)
            cli = (r["temporary"]["allocations"], r["peak"]["bytes"])
            if cli != (temporary, peak):
                print(f"check-viewer: the selection's temporary and peak {(temporary, peak)} are not report --from "
                      f"{f0}ns --to {f1}ns's {cli}", file=sys.stderr)
                failed = True
            else:
                print(f"check-viewer: the selection's temporary {temporary} and peak {peak} are report's")
        except (OSError, ValueError, KeyError) as e:
            print(f"check-viewer: the panels' range against the report: {e}", file=sys.stderr)
            failed = True
        recent = os.path.join(tmp, "data", "recently-used.xbel")
        if not os.path.exists(recent) or "demo.trace" not in open(recent, encoding="utf-8").read():
            print("check-viewer: the opened trace is not in the recent files", file=sys.stderr)
            failed = True
        if failed:
            return 1
    print("check-viewer: ok")
    return 0

if __name__ == "__main__":
    sys.exit(main())
