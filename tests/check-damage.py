#!/usr/bin/env python3
"""A damaged trace is never reported as sound. A real recorded trace is
mutated the ways a disk or a copy damages files: a chunk's kind byte flipped,
a chunk repeated, a chunk deleted, a chunk's payload corrupted in the middle,
a chunk header's size field garbled (the reader must resynchronise), a
dictionary chunk corrupted. For each, report (text and --json), check and
dump must name the exact place and the exact events lost (the undamaged
trace's per-chunk counts from dump), and the totals must be the undamaged
trace's less those events; export and convert warn. An incomplete trace (no
END chunk) and a truncated one fail check unless --allow-incomplete /
--allow-truncated."""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

from tap import check, done

leakscope, demo = sys.argv[1], sys.argv[2]


def run(*args):
    return subprocess.run([leakscope, *args], capture_output=True, text=True, timeout=120)


def chunks_of(dump_out):
    out = []
    for line in dump_out.splitlines():
        if line.startswith("chunk "):
            f = dict(kv.split("=", 1) for kv in line.split()[1:])
            out.append({k: (v if k == "kind" else int(v)) for k, v in f.items()})
    return out


def with_ends(data, chunks):
    """Adds each chunk's end offset (header size and comp from the bytes)."""
    for c in chunks:
        size = struct.unpack_from("<I", data, c["offset"] + 4)[0]
        c["end"] = c["offset"] + 8 + size + c["comp"]
    return chunks


with tempfile.TemporaryDirectory() as tmp:
    good = os.path.join(tmp, "good.trace")
    subprocess.run([demo, "0.6", good], check=True, capture_output=True, timeout=60)
    data = open(good, "rb").read()
    res = run("dump", good)
    check(res.returncode == 0 and "damaged" not in res.stdout, "dump reads the undamaged trace with no damage")
    chunks = with_ends(data, chunks_of(res.stdout))
    base = json.loads(run("report", "--json", good).stdout)
    check(base.get("damaged", "missing") is None and base["complete"] and not base["truncated"],
          "the undamaged trace: damaged null, complete, not truncated")
    check(sum(c["count"] for c in chunks if c["kind"] == "events") == base["events"],
          "dump's per-chunk counts add up to the report's events")
    events = [i for i, c in enumerate(chunks) if c["kind"] == "events" and c["count"] > 100]
    mid = events[len(events) // 2]
    c = chunks[mid]
    dicts = [i for i, c in enumerate(chunks) if c["kind"] == "dict"]

    def mutate(name, fn):
        d = bytearray(data)
        d = fn(d)
        path = os.path.join(tmp, name + ".trace")
        open(path, "wb").write(d)
        return path

    def flip(off, bit):
        def fn(d):
            d[off] ^= bit
            return d
        return fn

    cases = [
        # name, bytes, damage offset, problem, events lost, thread, events read
        ("kind-byte-flipped", flip(c["offset"] + 8, 0x40), c["offset"], "checksum mismatch", c["count"], c["thread"],
         base["events"] - c["count"]),
        ("payload-corrupt", flip((c["offset"] + 56 + c["end"]) // 2, 0x10), c["offset"], "checksum mismatch",
         c["count"], c["thread"], base["events"] - c["count"]),
        ("chunk-repeated", lambda d: d[: c["end"]] + d[c["offset"]: c["end"]] + d[c["end"]:], c["end"],
         f"sequence number {c['seq']} again", 0, c["thread"], base["events"]),
        ("chunk-deleted", lambda d: d[: c["offset"]] + d[c["end"]:], c["offset"],
         f"chunk with sequence number {c['seq']} is missing", c["count"], None, base["events"] - c["count"]),
        ("header-size-garbled", flip(c["offset"] + 8 + 32 + 2, 0x7F), c["offset"], "declared sizes are out of range",
         c["count"], None, base["events"] - c["count"]),
        ("magic-overwritten", flip(c["offset"] + 1, 0xFF), c["offset"], "expected a chunk header", c["count"], None,
         base["events"] - c["count"]),
    ]
    for name, fn, off, problem, lost, thread, read in cases:
        path = mutate(name, fn)
        rep = run("report", path)
        js = run("report", "--json", path)
        chk = run("check", "--max-leaked-bytes", "1G", path)
        dmp = run("dump", path)
        ok = rep.returncode == 0 and js.returncode == 0
        check(ok, f"{name}: report reads the rest ({rep.stderr.strip()!r})")
        if not ok:
            continue
        r = json.loads(js.stdout)
        dmg = r.get("damaged")
        places = dmg["places"] if dmg else []
        p = places[0] if places else {}
        check(len(places) == 1 and p["offset"] == off and problem in p["problem"] and p["events_lost"] == lost
              and p["thread"] == thread and dmg["events_lost"] == lost and dmg["events_lost_exact"],
              f"{name}: JSON damaged names offset {off}, '{problem}', {lost} events lost, thread {thread}: {dmg}")
        check(r["events"] == read, f"{name}: the totals leave the lost events out ({r['events']} == {read})")
        if name == "chunk-repeated":
            check(r["allocations"] == base["allocations"] and r["frees"] == base["frees"]
                  and r["leaked_bytes"] == base["leaked_bytes"],
                  f"chunk-repeated: counted once ({r['allocations']} allocations, {base['allocations']} undamaged)")
        line = next((l for l in dmp.stdout.splitlines() if l.startswith("damaged ")), "")
        check(dmp.returncode == 0 and re.match(f"damaged byte offset {off}[ :]", line) and problem in line
              and f": {lost} events lost" in line, f"{name}: dump names it: {line!r}")
        text = line[len("damaged "):]
        check(f"DAMAGED      1 damaged place in the file, {lost} events lost" in rep.stdout
              and f"\n  {text}\n" in rep.stdout and "damaged yes" in rep.stdout,
              f"{name}: the text report says DAMAGED with dump's line")
        check(chk.returncode == 1 and f"FAIL  trace damaged: 1 place skipped, {lost} events lost; first: {text}"
              in chk.stdout, f"{name}: check fails, naming it (exit {chk.returncode}): {chk.stdout[-300:]!r}")

    # Outputs with no room for the damage warn on stderr.
    path = os.path.join(tmp, "payload-corrupt.trace")
    for cmd in (["export", "--png", os.path.join(tmp, "d.png")], ["convert", "--to", "csv", "-o",
                                                                 os.path.join(tmp, "d.csv")]):
        res = run(*cmd, path)
        check(res.returncode == 0 and "warning: the trace is damaged (1 place skipped, " in res.stderr
              and f"first: byte offset {c['offset']} " in res.stderr,
              f"{cmd[0]}: writes its output and warns that the trace is damaged: {res.stderr.strip()!r}")

    # A damaged dictionary chunk: its ids are lost; events naming them are
    # counted and shown without a stack, never with another id's.
    d = dicts[-1]
    path = mutate("dict-corrupt", flip((chunks[d]["offset"] + 56 + chunks[d]["end"]) // 2, 0x10))
    js = run("report", "--json", path)
    r = json.loads(js.stdout) if js.returncode == 0 else {}
    dmg = r.get("damaged") or {}
    places = dmg.get("places", [])
    check(len(places) == 1 and places[0]["offset"] == chunks[d]["offset"] and places[0]["chunk_kind"] == "dict"
          and places[0]["events_lost"] == 0 and r["events"] == base["events"],
          f"dict-corrupt: the dictionary chunk at {chunks[d]['offset']} is named, no events lost: {dmg}")
    rep = run("report", path)
    check("a dictionary chunk: its ids are lost" in rep.stdout, "dict-corrupt: the text report says its ids are lost")
    if dmg.get("lost_id_refs"):
        check(f"LOST IDS     {dmg['lost_id_refs']} event fields" in rep.stdout, "the text report counts the lost ids")
    chk = run("check", "--max-leaked-bytes", "1G", path)
    check(chk.returncode == 1 and "FAIL  trace damaged" in chk.stdout, "dict-corrupt: check fails")

    # The first dictionary chunk (most ids): later dictionary chunks' ids
    # skip ahead, every event is still read, those naming lost ids counted.
    d = dicts[0]
    path = mutate("first-dict-corrupt", flip((chunks[d]["offset"] + 56 + chunks[d]["end"]) // 2, 0x10))
    js = run("report", "--json", path)
    r = json.loads(js.stdout) if js.returncode == 0 else {}
    dmg = r.get("damaged") or {}
    check(js.returncode == 0 and r["events"] == base["events"] and r["allocations"] == base["allocations"]
          and dmg.get("lost_id_refs", 0) > 0 and dmg["places"][0]["chunk_kind"] == "dict",
          f"first-dict-corrupt: every event read, {dmg.get('lost_id_refs')} fields name lost ids ({js.stderr.strip()!r})")
    dmp = run("dump", path)
    check(dmp.returncode == 0 and f"lost ids {dmg.get('lost_id_refs')} event fields" in dmp.stdout,
          "first-dict-corrupt: dump gives the same verdict (the same count of lost ids)")

    # Incomplete (no END chunk: killed) and truncated (cut inside a chunk).
    end = chunks[-1]
    check(end["kind"] == "end", "the last chunk is the END chunk")
    incomplete = mutate("incomplete", lambda d: d[: end["offset"]])
    truncated = mutate("truncated", lambda d: d[: (c["offset"] + c["end"]) // 2])
    for path, name, says in ((incomplete, "incomplete", "FAIL  trace incomplete: no end marker"),
                             (truncated, "truncated", f"FAIL  trace truncated at byte offset {c['offset']}:")):
        res = run("check", "--max-leaked-bytes", "1G", path)
        check(res.returncode == 1 and says in res.stdout, f"{name}: check fails and says so: {res.stdout[-200:]!r}")
        for opt in ("--allow-incomplete", "--allow-truncated"):
            res = run("check", "--max-leaked-bytes", "1G", opt, path)
            check(res.returncode == 0 and "(allowed)" in res.stdout, f"{name}: {opt} accepts it")
        r = json.loads(run("report", "--json", path).stdout)
        check(r.get("damaged", "missing") is None and not r["complete"] and r["truncated"] == (name == "truncated"),
              f"{name}: report: not complete, truncated {r['truncated']}, not damaged")
    rep = run("report", incomplete)
    check("INCOMPLETE" in rep.stdout and "DAMAGED" not in rep.stdout, "incomplete: the text report says INCOMPLETE")

done()
