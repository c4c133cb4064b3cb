"""Where an events chunk's bytes go, column by column (FORMAT.md §4.1).

Reads a trace file itself (chunk headers, LZ4 frames through liblz4 with
ctypes, the columns' lengths and coding bytes): for each column, the bytes it
takes before LZ4 and what LZ4 makes of it alone (each column of each chunk
compressed on its own), and which codings the writer chose. The chunk as a
whole is compressed as one frame, so the columns alone add up to a little
more than the chunks do (LZ4 also finds matches across columns); the shares
are what matters. Used by run-size-bench.py; also runs on its own:

usage: python3 bench/columns.py FILE.trace...
"""
import collections
import ctypes
import ctypes.util
import struct
import sys

NAMES = ["kinds", "ts", "addr_new", "addr_old", "addr_lit", "size", "stack", "str", "u64"]
CODINGS = {0: "varint", 1: "huffman", 2: "huffman by kind", 3: "huffman by stack", 4: "rle", 5: "huffman by size"}

_lz4 = ctypes.CDLL(ctypes.util.find_library("lz4") or "liblz4.so.1")
_lz4.LZ4_compressBound.restype = ctypes.c_int
_lz4.LZ4_compress_default.restype = ctypes.c_int
_lz4.LZ4_decompress_safe_usingDict.restype = ctypes.c_int


def lz4_alone(data):
    """Bytes of one LZ4 block of `data` (what the writer's frame makes of it, but the frame's few bytes)."""
    if not data:
        return 0
    bound = _lz4.LZ4_compressBound(len(data))
    out = ctypes.create_string_buffer(bound)
    return _lz4.LZ4_compress_default(data, out, len(data), bound)


def lz4_frame_decode(frame):
    """The content of one LZ4 frame as the writer makes it (FORMAT.md §4: linked blocks, content size)."""
    flg = frame[4]
    pos = 6 + (8 if flg & 0x08 else 0) + 1
    out = bytearray()
    while True:
        (bsize,) = struct.unpack_from("<I", frame, pos)
        pos += 4
        if bsize == 0:
            break
        n = bsize & 0x7FFFFFFF
        block = frame[pos:pos + n]
        pos += n
        if bsize & 0x80000000:
            out += block
            continue
        prefix = bytes(out[-65536:])
        dst = ctypes.create_string_buffer(256 * 1024)
        got = _lz4.LZ4_decompress_safe_usingDict(block, dst, n, 256 * 1024, prefix, len(prefix))
        if got < 0:
            raise ValueError("bad LZ4 block")
        out += dst.raw[:got]
        if flg & 0x10:
            pos += 4  # block checksum
    return bytes(out)


def varint(b, p):
    v = s = 0
    while True:
        x = b[p]
        p += 1
        v |= (x & 0x7F) << s
        s += 7
        if not x & 0x80:
            return v, p


def breakdown(path):
    """Per column: [bytes before LZ4, bytes LZ4 makes of it alone, Counter of codings]; and the
    events chunks' compressed bytes and event count."""
    data = open(path, "rb").read()
    (size,) = struct.unpack_from("<I", data, 4)
    pos = 8 + size
    cols = {n: [0, 0, collections.Counter()] for n in NAMES}
    comp_total = events = 0
    while pos + 8 <= len(data):
        magic, hsize = struct.unpack_from("<II", data, pos)
        if magic != 0x184D2A5B:
            raise ValueError(f"{path}: no chunk header at byte {pos}")
        h = data[pos + 8:pos + 8 + hsize]
        kind, count, comp = struct.unpack_from("<I", h, 0)[0], struct.unpack_from("<I", h, 24)[0], \
            struct.unpack_from("<I", h, 32)[0]
        frame = data[pos + 8 + hsize:pos + 8 + hsize + comp]
        pos += 8 + hsize + comp
        if kind != 1:
            continue
        comp_total += comp
        events += count
        raw = lz4_frame_decode(frame)
        n, p = varint(raw, 0)
        cols["kinds"][0] += n
        cols["kinds"][1] += lz4_alone(raw[p:p + n])
        p += n
        for name in NAMES[1:]:
            ln, p = varint(raw, p)
            body = raw[p:p + ln]
            p += ln
            cols[name][0] += ln
            cols[name][1] += lz4_alone(body)
            if body:
                cols[name][2][CODINGS.get(body[0], str(body[0]))] += 1
    return cols, comp_total, events


if __name__ == "__main__":
    for f in sys.argv[1:]:
        cols, comp, events = breakdown(f)
        print(f"{f}: {events} events, events chunks {comp} bytes ({comp / max(events, 1):.3f} B/event)")
        for name, (raw, alone, how) in cols.items():
            codings = ", ".join(f"{k} x{v}" for k, v in how.most_common())
            print(f"  {name:9} raw {raw / max(events, 1):7.3f} B/event  lz4 alone {alone / max(events, 1):7.3f}"
                  f"  {codings}")
