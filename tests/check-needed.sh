#!/bin/sh
# The recorder library lives inside other people's programs: it may need
# only libc, lz4 and libunwind, and never GLib, GTK, cairo or pango.
set -eu
lib="$1"
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "NEEDED of $lib:"; echo "$needed"
status=0
for n in $needed; do
  case "$n" in
    libc.so.*|liblz4.so.*|libunwind.so.*|libpthread.so.*|ld-linux*) ;;
    *) echo "not ok - unexpected dependency $n"; status=1 ;;
  esac
done
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBW]/ {print $3}' | sort)
for sym in $exported; do
  case "$sym" in
    trace_*) ;;
    *) echo "not ok - exported symbol $sym is not public API"; status=1 ;;
  esac
done
[ $status = 0 ] && echo "ok - only libc, lz4 and libunwind; only trace_* exported"
exit $status
