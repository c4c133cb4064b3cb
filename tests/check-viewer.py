#!/usr/bin/env python3
"""The desktop viewer under Xvfb: test-viewer opens a demo trace, presses the
timeline's keys with the focus in a list (XTest, libXtst loaded at run time),
checks the layout, hover and details, zooms, pans, selects, clicks and exports
through the window; an unreadable trace must show
the reader's message, a truncated one the trace and a banner, a damaged one
the rest of the trace and a banner saying what was lost. Opened files must
land in the recent files list.

usage: check-viewer.py TEST_VIEWER DEMO
Set LEAKSCOPE_TEST_KEEP=DIR to keep the screenshots and PNGs there."""
import os
import shutil
import subprocess
import sys
import tempfile

def main():
    test_viewer, demo = sys.argv[1], sys.argv[2]
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
        for mode, path in (("view", trace), ("panels", trace), ("truncated", truncated), ("damaged", damaged), ("corrupt", corrupt)):
            cmd = [xvfb, "-a", "-s", "-screen 0 1400x1000x24", test_viewer, mode, path, out]
            try:
                r = subprocess.run(cmd, env=env, timeout=150, capture_output=True, text=True)
            except subprocess.TimeoutExpired:
                print(f"check-viewer: {mode}: timed out", file=sys.stderr)
                failed = True
                continue
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr)
            if r.returncode != 0:
                print(f"check-viewer: {mode}: exit {r.returncode}", file=sys.stderr)
                failed = True
        for name in ("window.png", "export-view.png", "export-heap.png", "window-truncated.png", "window-damaged.png",
                     "window-corrupt.png", "window-hover.png", "window-zoomed-heap.png", "window-gc-details.png",
                     "window-flame.png", "window-flame-search.png", "window-calltree.png", "window-compare.png"):
            if not os.path.getsize(os.path.join(out, name)) if os.path.exists(os.path.join(out, name)) else True:
                print(f"check-viewer: {name} was not written", file=sys.stderr)
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
