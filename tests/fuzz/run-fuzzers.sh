#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# and runs each for SECONDS, one after the other (one process, one core).
#
#   tests/fuzz/run-fuzzers.sh SECONDS [TARGET...]     TARGET: reader, report, sketch
#
# Builds into build-fuzz/ at the top of the tree; each target's grown corpus
# lives in build-fuzz/corpus-TARGET (the checked-in seed corpus is only read),
# its log in build-fuzz/TARGET.log. Crashes, leaks, timeouts and out-of-memory
# inputs land in tests/fuzz/crashes/ as TARGET-crash-<sha1> etc.: turn each
# into a named case in tests/fuzz/corpus/ once the bug is fixed.
# Prints each target's execution count at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:?usage: run-fuzzers.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(reader report sketch)

CC=${CC:-clang}
out=build-fuzz
mkdir -p "$out" tests/fuzz/crashes
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -Wall -Wextra -Werror
       -Iformat -Iformat/types -Iviewer/model -Iviewer/cli -Itests/fuzz)
format_src=(format/trace-format.c format/trace-writer.c format/trace-reader.c format/trace-huff.c format/trace-heap.c
            format/trace-summary.c)
model_src=(viewer/model/analysis.c viewer/model/kmap.c viewer/model/merge.c viewer/model/symbols.c
           viewer/model/sites.c viewer/model/units.c viewer/model/trace-index.c viewer/model/histogram.c
           viewer/model/range.c viewer/model/calltree.c viewer/model/growth.c viewer/model/reach.c
           viewer/model/leakclass.c)
timeline_src=(viewer/model/timeline.c viewer/model/timeline-query.c viewer/model/timeline-exact.c
              viewer/model/timeline-sketch.c)

build() {
  case "$1" in
    reader) "$CC" "${flags[@]}" -o "$out/fuzz-reader" tests/fuzz/fuzz-reader.c tests/fuzz/fuzz-memfile.c \
              "${format_src[@]}" -llz4 ;;
    report) "$CC" "${flags[@]}" -o "$out/fuzz-report" tests/fuzz/fuzz-report.c tests/fuzz/fuzz-memfile.c \
              viewer/cli/cli-report.c viewer/cli/cli-common.c "${model_src[@]}" "${format_src[@]}" \
              -llz4 -ldw -lelf -lm ;;
    sketch) "$CC" "${flags[@]}" -o "$out/fuzz-sketch" tests/fuzz/fuzz-sketch.c tests/fuzz/fuzz-memfile.c \
              "${timeline_src[@]}" "${model_src[@]}" "${format_src[@]}" -llz4 -ldw -lelf -lm ;;
    *) echo "run-fuzzers: unknown target '$1' (reader, report, sketch)" >&2; exit 2 ;;
  esac
}

for t in "${targets[@]}"; do
  echo "run-fuzzers: building $t"
  build "$t"
done

summary=()
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus-$t"
  echo "run-fuzzers: fuzzing $t for $secs s (log: $out/$t.log)"
  set +e
  # -malloc_limit_mb: a single allocation above 256 MiB is a bug (the reader
  # caps a chunk at 64 MiB); -rss_limit_mb bounds the whole process.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$out/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$t-" \
      "$out/corpus-$t" tests/fuzz/corpus >"$out/$t.log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$' | tail -1)
  summary+=("$t: ${runs:-?} executions, exit $rc")
  [ $rc -ne 0 ] && { echo "run-fuzzers: $t stopped with exit $rc:"; grep -E 'ERROR|SUMMARY|Test unit written' "$out/$t.log" | head -5; }
done
echo "run-fuzzers: done"
printf '  %s\n' "${summary[@]}"
