#!/usr/bin/env python3
"""`leakscope flamegraph` on a recorded program with a known call tree
(tests/flame-target.c): the exact value of every path below main in the
folded output for every metric, the totals against the report, `convert
--to folded` the same; a stripped copy under a hostile file name (frames
named by address and module) with ';' escaped in the folded output and
markup escaped in the SVG; the SVG well-formed with every frame; the PNG
of the right size with frames where the layout puts them; bad usage one
line and exit 2, an unwritable output exit 1.

The SVG's script runs under node (when installed) on a stand-in for the
DOM (tests/flame-svg-harness.js): hover, zoom into a frame, search, reset.

usage: check-flamegraph.py LEAKSCOPE FLAME-TARGET FLAME-SVG-HARNESS
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

leakscope, target, harness = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asan_env import program_env  # noqa: E402

tmp = tempfile.mkdtemp(prefix="leakscope-flamegraph-")
failures = 0


def check(cond, what):
    global failures
    print(("ok  " if cond else "FAIL") + " " + what)
    failures += not cond


def record(program, trace):
    p = subprocess.run([leakscope, "record", "--quiet", "-o", trace, "--", program], capture_output=True,
                       text=True, env=program_env())
    check(p.returncode == 0, f"record {os.path.basename(program)!r}: exit {p.returncode} {p.stderr.strip()!r}")


def folded(args):
    out = os.path.join(tmp, "out.folded")
    p = subprocess.run([leakscope] + args[:-1] + [out, args[-1]], capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr, f"{' '.join(args[:-1])}: exit {p.returncode} {p.stderr.strip()!r}")
    with open(out, encoding="utf-8") as f:
        return f.read()


def parse(text):
    """[(frames, value)]: the value after the line's last space."""
    rows = []
    for line in text.splitlines():
        path, _, value = line.rpartition(" ")
        rows.append((path.split(";"), int(value)))
    return rows


def below_main(rows):
    """{path below main: value}, for the stacks through main."""
    out = {}
    for frames, value in rows:
        if "main" in frames:
            key = ";".join(frames[frames.index("main") + 1:])
            out[key] = out.get(key, 0) + value
    return out


trace = os.path.join(tmp, "flame.trace")
record(target, trace)
report = json.loads(subprocess.run([leakscope, "report", "--json", trace], capture_output=True, text=True,
                                   check=True).stdout)

# Every number of flame-target.c's header comment.
expected = {
    "allocated": {"grow;grow_big": 3000, "grow;grow_small": 1000, "keep;keep_inline": 777, "churn": 320,
                  "batch": 128},
    "allocations": {"grow;grow_big": 3, "grow;grow_small": 2, "keep;keep_inline": 1, "churn": 5, "batch": 4},
    "temporary": {"churn": 5},
    "leaked": {"grow;grow_big": 1000, "grow;grow_small": 500, "keep;keep_inline": 777},
    "leaked-blocks": {"grow;grow_big": 1, "grow;grow_small": 1, "keep;keep_inline": 1},
    "peak": {"grow;grow_big": 3000, "grow;grow_small": 1000, "keep;keep_inline": 777},
}
totals = {"allocations": report["allocations"], "leaked": report["leaked_bytes"],
          "leaked-blocks": report["leaked_blocks"], "peak": report["peak_heap_bytes"]}
for metric, want in expected.items():
    text = folded(["flamegraph", "--metric", metric, "--folded", trace])
    rows = parse(text)
    got = below_main(rows)
    check(got == want, f"{metric}: paths below main {got} (want {want})")
    check(len({";".join(f) for f, _ in rows}) == len(rows), f"{metric}: one line per distinct path")
    check(all(v > 0 for _, v in rows), f"{metric}: no line with 0")
    if metric in totals:
        check(sum(v for _, v in rows) == totals[metric],
              f"{metric}: lines sum to {sum(v for _, v in rows)}, the report's {totals[metric]}")
    if metric == "allocated":
        check(text == folded(["convert", "--to", "folded", "-o", trace]), "convert --to folded = flamegraph --folded")
    if metric == "leaked":
        check(text == folded(["convert", "--to", "folded", "--metric", "leaked", "-o", trace]),
              "convert --to folded --metric leaked = flamegraph --metric leaked --folded")

# Bottom-up: from the allocating function to main.
rows = parse(folded(["flamegraph", "--bottom-up", "--metric", "leaked", "--folded", trace]))
got = {";".join(f[:f.index("main") + 1]): v for f, v in rows if "main" in f}
want = {"grow_big;grow;main": 1000, "grow_small;grow;main": 500, "keep_inline;keep;main": 777}
check(got == want, f"--bottom-up: paths up to main {got} (want {want})")

# A stripped copy with ';', markup and a newline in its name: its frames
# are named "0xADDR in NAME".
hostile_name = "fl;<a>&'b\"\n.bin"
hostile = os.path.join(tmp, hostile_name)
shutil.copy(target, hostile)
subprocess.run(["strip", hostile], check=True)
htrace = os.path.join(tmp, "hostile.trace")
record(hostile, htrace)
hrows = parse(folded(["flamegraph", "--folded", htrace]))
escaped = "fl\\x3b<a>&'b\"\\x0a.bin"
frame_re = re.compile(r"0x[0-9a-f]+ in " + re.escape(escaped))
check(sum(v for f, v in hrows if any(frame_re.fullmatch(x) for x in f)) == sum(expected["allocated"].values()),
      f"hostile: frames named by address in {escaped!r}, ';' as \\x3b, the newline as \\x0a")

# The SVG: well-formed, every frame, names escaped.
def svg_of(t, metric="allocated"):
    out = os.path.join(tmp, "out.svg")
    p = subprocess.run([leakscope, "flamegraph", "--metric", metric, "--svg", out, t], capture_output=True,
                       text=True)
    check(p.returncode == 0, f"--svg {metric}: exit {p.returncode} {p.stderr.strip()!r}")
    with open(out, "rb") as f:
        raw = f.read()
    try:
        return raw, ET.fromstring(raw)
    except ET.ParseError as e:
        check(False, f"--svg: not well-formed XML: {e}")
        return raw, None


NS = "{http://www.w3.org/2000/svg}"
raw, svg = svg_of(trace)
if svg is not None:
    frames = [g for g in svg.iter(NS + "g") if "data-n" in g.attrib]
    names = {g.attrib["data-n"] for g in frames}
    check({"all", "main", "grow", "grow_big", "grow_small", "keep", "keep_inline", "churn", "batch"} <= names,
          f"svg: every frame ({sorted(names)})")
    big = [g for g in frames if g.attrib["data-n"] == "grow_big"]
    check(len(big) == 1 and big[0].attrib["data-v"] == "3000" and big[0].find(NS + "title") is not None
          and big[0].find(NS + "title").text.startswith("grow_big (2.93 KiB, "),
          "svg: grow_big's value and title")
    check(all(g.find(NS + "rect") is not None for g in frames), "svg: a rect per frame")
    script = svg.find(NS + "script")
    check(script is not None and "function zoom" in script.text and "RegExp" in script.text
          and "textContent" in script.text and "innerHTML" not in script.text,
          "svg: inline script (zoom, search), names written as text only")

def element(e):
    return {"tag": e.tag.replace(NS, ""), "id": e.get("id"), "attrs": dict(e.attrib), "text": e.text or "",
            "children": [element(c) for c in e]}


node = shutil.which("node") or shutil.which("nodejs")
if svg is None:
    pass
elif not node:
    print("skip the SVG's script: no node")
else:
    doc = {"svg": dict(svg.attrib), "script": svg.find(NS + "script").text,
           "elements": [element(e) for e in svg if e.get("id")]}
    doc_path = os.path.join(tmp, "svg.json")
    with open(doc_path, "w") as f:
        json.dump(doc, f)
    p = subprocess.run([node, harness, doc_path, "grow", "gro+w"], capture_output=True, text=True)
    check(p.returncode == 0, f"svg script under node: exit {p.returncode} {p.stderr.strip()[-300:]!r}")
    if p.returncode == 0:
        seen = json.loads(p.stdout)
        W, SIDE = int(svg.get("width")), 10
        by = {k: {f["name"]: f for f in seen[k]} for k in ("zoomed", "searched", "unzoomed")}
        z = by["zoomed"]
        title = next(g.find(NS + "title").text for g in frames if g.get("data-n") == "grow")
        check(seen["hover"] == title, f"svg: hover shows {seen['hover']!r}")
        check(abs(z["grow"]["x"] - SIDE) < 0.01 and abs(z["grow"]["w"] - (W - 2 * SIDE)) < 1,
              f"svg: zoomed into grow, it spans the plot ({z['grow']['x']}, {z['grow']['w']})")
        check(z["grow_big"]["shown"] and z["grow_small"]["shown"]
              and abs(z["grow_big"]["w"] / (z["grow_big"]["w"] + z["grow_small"]["w"]) - 0.75) < 0.01,
              "svg: grow's children share the plot 3000:1000")
        check(not any(z[n]["shown"] for n in ("batch", "churn", "keep", "keep_inline")), "svg: the rest hidden")
        check(z["main"]["shown"] and z["all"]["shown"] and abs(z["main"]["w"] - (W - 2 * SIDE)) < 1,
              "svg: grow's callers shown across the plot")
        check(seen["reset_shown"], "svg: Reset zoom shown")
        total = int(next(g.get("data-v") for g in frames if g.get("data-n") == "all"))
        want = "Matched: %.2f%%" % (100 * 4000 / total)
        check(seen["prompted"] is not None and seen["matched"] == want,
              f"svg: Ctrl+F search (a regular expression; nested matches counted once): {seen['matched']!r} (want {want!r})")
        hl = "rgb(230,0,230)"
        check(all(by["searched"][n]["fill"] == hl for n in ("grow", "grow_big", "grow_small"))
              and by["searched"]["main"]["fill"] != hl, "svg: the matches highlighted, only they")
        u = by["unzoomed"]
        check(all(f["shown"] for f in u.values()) and
              all(abs(u[g.get("data-n")]["x"] - float(g.get("data-x"))) < 0.01 for g in frames),
              "svg: reset puts every frame back")
raw, svg = svg_of(htrace)
if svg is not None:
    names = [g.attrib["data-n"] for g in svg.iter(NS + "g") if "data-n" in g.attrib]
    model_re = re.compile(r"0x[0-9a-f]+ in " + re.escape("fl;<a>&'b\"\\x0a.bin"))  # only folded escapes ';'
    check(any(model_re.fullmatch(n) for n in names), "svg: the hostile name survives escaping")
    check(b"<a>" not in raw and b"&'b" not in raw, "svg: no markup from the trace")

# The PNG: its size from the layout, frames where the layout puts them.
def png_pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color = ihdr[:4]
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    rows, prev, stride = [], bytearray(w * bpp), w * bpp
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 0xff
            elif ft == 2:
                line[i] = (line[i] + b) & 0xff
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ft == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append(bytes(line))
        prev = line
    return w, h, lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])


png = os.path.join(tmp, "out.png")
p = subprocess.run([leakscope, "flamegraph", "--png", png, "--width", "800", trace], capture_output=True, text=True)
check(p.returncode == 0, f"--png: exit {p.returncode} {p.stderr.strip()!r}")
decoded = png_pixels(png)
check(decoded is not None, "--png writes a PNG")
if decoded:
    # render-flame.h: 36 px of title, 16 px a row (the root at the bottom), 28 px below, 10 px at the sides.
    TOP, ROW, BOTTOM, SIDE = 36, 16, 28, 10
    rows = parse(folded(["flamegraph", "--folded", trace]))
    depth = max(len(f) for f, _ in rows)
    w, h, px = decoded
    check((w, h) == (800, TOP + (depth + 1) * ROW + BOTTOM), f"--png: {w}x{h} for {depth} frames deep")
    bg = px(w - 2, 2)
    total = sum(v for _, v in rows)
    main_depth = next(f for f, _ in rows if "main" in f).index("main") + 1

    def row_y(d):
        return h - BOTTOM - (d + 1) * ROW + ROW // 2

    def x_of(v):
        return SIDE + v / total * (w - 2 * SIDE)

    check(all(px(x, row_y(0)) != bg for x in range(SIDE + 1, w - SIDE - 1, 7)), "--png: the root spans the width")
    # main's children by name: batch, churn, grow (grow_big, grow_small), keep.
    a = expected["allocated"]
    big0 = x_of(a["batch"] + a["churn"])
    big1 = x_of(a["batch"] + a["churn"] + a["grow;grow_big"])
    y = row_y(main_depth + 2)
    check(all(px(int(x), y) != bg for x in (big0 + 2, (big0 + big1) / 2, big1 - 2)),
          "--png: grow_big drawn where the layout puts it")
    check(px(int(x_of(a["batch"] / 2)), y) == bg, "--png: nothing above batch")
    check(px(int((big0 + big1) / 2), row_y(main_depth + 3)) == bg, "--png: nothing above grow_big")


def expect_bad(args, code, what):
    p = subprocess.run([leakscope] + args, capture_output=True, text=True)
    lines = p.stderr.splitlines()
    check(p.returncode == code and len(lines) == 1 and lines[0].startswith("leakscope: "),
          f"{what}: exit {p.returncode}, {p.stderr.strip()!r}")


out = os.path.join(tmp, "kept.folded")
with open(out, "w") as f:
    f.write("before\n")
expect_bad(["flamegraph", trace], 2, "no output")
expect_bad(["flamegraph", "--folded", out, "--svg", out, trace], 2, "two outputs")
expect_bad(["flamegraph", "--metric", "bytes", "--folded", out, trace], 2, "unknown metric")
expect_bad(["flamegraph", "--folded", out, "--bogus", trace], 2, "unknown option")
expect_bad(["flamegraph", "--folded", out, "--width", "10", trace], 2, "bad width")
expect_bad(["flamegraph", "--folded"], 2, "--folded without a value")
expect_bad(["flamegraph", "--folded", out, os.path.join(tmp, "missing.trace")], 2, "missing trace")
expect_bad(["flamegraph", "--folded", out, trace, trace], 2, "two traces")
expect_bad(["convert", "--to", "folded", "--metric", "bytes", "-o", out, trace], 2, "convert: unknown metric")
expect_bad(["flamegraph", "--svg", "/nonexistent/dir/x.svg", trace], 1, "unwritable output")
with open(out) as f:
    check(f.read() == "before\n", "a failed flamegraph leaves the output as it was")
check(not [n for n in os.listdir(tmp) if ".tmp-" in n], "no temporary file left behind")
p = subprocess.run([leakscope, "flamegraph", "--help"], capture_output=True, text=True)
check(p.returncode == 0 and "--metric" in p.stdout, "--help")

shutil.rmtree(tmp)
print(f"{failures} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
