#!/bin/sh
# `meson install` into a scratch root, then use what was installed: the
# leakscope command finds its preload module relative to itself, and a
# program builds against <leakscope/trace.h> with pkg-config and records.
set -eu
build="$1"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --destdir "$root" --no-rebuild --quiet >/dev/null
bin=$(find "$root" -path '*/bin/leakscope' -type f | head -n 1)
[ -x "$bin" ] || { echo "not ok - no installed leakscope"; exit 1; }
echo "ok - installed $bin"
preload=$(find "$root" -name libleakscope-preload.so | head -n 1)
[ -n "$preload" ] || { echo "not ok - no installed preload module"; exit 1; }
echo "ok - installed $preload"
cd "$root"
LEAKSCOPE_PRELOAD= "$bin" record --quiet -o "$root/true.trace" -- /bin/true
"$bin" report --json "$root/true.trace" > "$root/true.json"
grep -q '"complete":true' "$root/true.json" || { echo "not ok - installed record wrote no complete trace"; exit 1; }
echo "ok - the installed leakscope records with the installed preload module"
for cmd in "" -record -report -check -export -convert -flamegraph -diff -dump; do
  page=$(find "$root" -path "*/man1/leakscope$cmd.1" | head -n 1)
  [ -n "$page" ] || { echo "not ok - no man page leakscope$cmd.1"; exit 1; }
  if command -v man >/dev/null 2>&1; then
    MANWIDTH=100 man -l "$page" 2>/dev/null | grep -q "^SYNOPSIS" ||
      { echo "not ok - man -l $page shows no SYNOPSIS"; exit 1; }
  fi
done
echo "ok - a man page per command, installed"
pc=$(find "$root" -name leakscope.pc | head -n 1)
[ -n "$pc" ] || { echo "not ok - no leakscope.pc"; exit 1; }
cat > "$root/app.c" <<'C'
#include <leakscope/trace.h>
#include <stdlib.h>
int main(void)
{
    if (trace_begin("app.trace") != 0)
        return 1;
    void *p = malloc(123);
    trace_alloc(p, 123);
    trace_end();
    return 0;
}
C
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$root"
cc -Wall -Wextra -Werror -o "$root/app" "$root/app.c" $(pkg-config --cflags --libs leakscope)
libdir=$(dirname "$(find "$root" -name 'libleakscope.so.0' | head -n 1)")
LD_LIBRARY_PATH="$libdir" "$root/app"
"$bin" report --json "$root/app.trace" | grep -q '"leaked_bytes":123' || { echo "not ok - the app's leak is not in its trace"; exit 1; }
echo "ok - a program built with pkg-config leakscope records its leak"
echo "passed: 0 failures"
