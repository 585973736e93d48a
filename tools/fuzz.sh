#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang++-14 (in build-fuzz/) and runs each for
# DURATION seconds from its seed corpus (tests/fuzz/corpus/<target>, only read) and the inputs
# earlier runs found (build-fuzz/corpus/<target>). A crash, leak, sanitizer report, slow input
# or broken invariant fails the script; its input is saved as build-fuzz/crashes/<target>-*.
# Usage: tools/fuzz.sh [DURATION_SECONDS (default 300)] [TARGET...]
#        targets: options suppressions report_reader (default: all, one after the other)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${1:-300}
if ! [[ "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -eq 0 ]; then
  echo "usage: tools/fuzz.sh [DURATION_SECONDS] [TARGET...]   (e.g. tools/fuzz.sh 600 report_reader)" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(options suppressions report_reader)

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCKWATCH_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]/#/fuzz_}"

status=0
for target in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$target" build-fuzz/crashes
  dictionary=()
  [ -f "tests/fuzz/$target.dict" ] && dictionary=("-dict=tests/fuzz/$target.dict")
  log="build-fuzz/$target.log"
  echo "== fuzz $target for ${duration}s (log: $log)"
  if ! "build-fuzz/bin/fuzz_$target" -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "${dictionary[@]}" -artifact_prefix="build-fuzz/crashes/$target-" \
      "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    status=1
    tail -n 40 "$log"
    echo "fuzz $target FAILED: fix the parser, then add the input above to tests/fuzz/corpus/$target/" >&2
  fi
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units)' "$log" || true
done
exit $status
