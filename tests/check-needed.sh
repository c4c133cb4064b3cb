#!/bin/sh
# The recorder library lives inside other people's programs: it may need
# only libc, lz4 and libunwind, and never GLib, GTK, cairo or pango.
set -eu
lib="$1"
header="$2"
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "NEEDED of $lib:"; echo "$needed"
status=0
for n in $needed; do
  case "$n" in
    libc.so.*|liblz4.so.*|libunwind.so.*|libpthread.so.*|ld-linux*) ;;
    *) echo "not ok - unexpected dependency $n"; status=1 ;;
  esac
done
# Exported: exactly what trace.h declares LEAKSCOPE_API, by name, no more
# and no fewer (the format library, linked in, has trace_* functions of its
# own: a prefix would not tell them apart). A declaration's name is the
# identifier before its parameter list, once attribute macros such as
# LEAKSCOPE_NO_ACCESS(1) are taken out; a variable's, the one before ';'.
api=$(python3 -c '
import re, sys
text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", open(sys.argv[1]).read(), flags=re.S)
text = text.split("#ifndef LEAKSCOPE_DISABLE", 1)[-1].split("#else", 1)[0]
attr = re.compile(r"\b(?:LEAKSCOPE_(?!API\b)\w+|__attribute__)\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)")
names = set()
for decl in re.findall(r"\bLEAKSCOPE_API\b([^;{]*)", text):
    decl = attr.sub(" ", decl)
    m = re.search(r"(\w+)\s*\(", decl) or re.search(r"(\w+)\s*(?:\[[^]]*\])?\s*$", decl)
    if m:
        names.add(m.group(1))
print("\n".join(sorted(names)))
' "$header")
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBW]/ {print $3}' | sort)
[ -n "$api" ] || { echo "not ok - no LEAKSCOPE_API function found in $header"; status=1; }
for sym in $exported; do
  echo "$api" | grep -qx "$sym" || { echo "not ok - exported symbol $sym is not public API"; status=1; }
done
for sym in $api; do
  echo "$exported" | grep -qx "$sym" || { echo "not ok - public function $sym is not exported"; status=1; }
done
[ $status = 0 ] && echo "ok - only libc, lz4 and libunwind; exactly the $(echo "$api" | wc -l) functions of trace.h exported"
exit $status
