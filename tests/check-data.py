#!/usr/bin/env python3
"""The desktop integration files: the desktop file and the metainfo pass
their validators, and the MIME type's glob and magic match a real trace.

usage: check-data.py DESKTOP METAINFO MIME_XML DEMO"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = "{http://www.freedesktop.org/standards/shared-mime-info}"

def fail(msg):
    print("check-data: " + msg, file=sys.stderr)
    return 1

def main():
    desktop, metainfo, mime, demo = sys.argv[1:5]
    for tool in ("desktop-file-validate", "appstreamcli"):
        if not shutil.which(tool):
            return fail(f"{tool} not found (Debian: desktop-file-utils, appstream)")
    r = subprocess.run(["desktop-file-validate", desktop], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or r.stdout.strip():
        return fail("desktop-file-validate:\n" + r.stdout + r.stderr)
    r = subprocess.run(["appstreamcli", "validate", "--no-net", "--pedantic", metainfo],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return fail("appstreamcli validate:\n" + r.stdout + r.stderr)

    # the desktop file, the metainfo and the MIME type agree
    entries = dict(l.split("=", 1) for l in open(desktop, encoding="utf-8").read().splitlines() if "=" in l)
    tree = ET.parse(mime).getroot()
    mt = tree.find(NS + "mime-type")
    mtype = mt.get("type")
    if entries.get("MimeType") != mtype + ";":
        return fail(f"desktop MimeType {entries.get('MimeType')!r} is not {mtype};")
    comp = ET.parse(metainfo).getroot()
    app_id = comp.findtext("id")
    if os.path.basename(desktop) != app_id + ".desktop" or comp.findtext("launchable") != app_id + ".desktop":
        return fail("the metainfo id, its launchable and the desktop file name differ")
    if entries.get("Icon") != app_id:
        return fail("the desktop file's icon is not the application id")
    if mt.find(NS + "glob").get("pattern") != "*.trace":
        return fail("no *.trace glob")

    # the magic, as shared-mime-info reads it, matches a real trace
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t.trace")
        subprocess.run([demo, "0.2", trace], check=True, stdout=subprocess.DEVNULL, timeout=60)
        head = open(trace, "rb").read(64)
    def matches(m, data):
        off = int(m.get("offset"))
        t, v = m.get("type"), m.get("value")
        if t == "little32":
            ok = len(data) >= off + 4 and struct.unpack_from("<I", data, off)[0] == int(v, 0)
        elif t == "string":
            ok = data[off:off + len(v)] == v.encode()
        else:
            return False
        kids = m.findall(NS + "match")
        return ok and (not kids or any(matches(k, data) for k in kids))
    magic = mt.find(NS + "magic")
    if magic is None or not any(matches(m, head) for m in magic.findall(NS + "match")):
        return fail("the MIME magic does not match a trace written by the recorder: " + head[:16].hex())
    if any(matches(m, b"\x5a\x2a\x4d\x18" + b"\0" * 4 + b"NOTATRACE") for m in magic.findall(NS + "match")):
        return fail("the MIME magic matches a foreign LZ4 skippable frame")
    # shared-mime-info compiles it without complaint
    umd = shutil.which("update-mime-database")
    if umd:
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "mime", "packages"))
            shutil.copy(mime, os.path.join(tmp, "mime", "packages"))
            r = subprocess.run([umd, "-V", os.path.join(tmp, "mime")], capture_output=True, text=True, timeout=60)
            compiled = os.path.join(tmp, "mime", *mtype.split("/")) + ".xml"
            if r.returncode != 0 or "warning" in r.stderr.lower() or not os.path.exists(compiled):
                return fail("update-mime-database:\n" + r.stdout + r.stderr)
    print("check-data: ok")
    return 0

if __name__ == "__main__":
    sys.exit(main())
