#!/usr/bin/env bash
# Sets up, builds and runs every test: the detector's unit tests under
# AddressSanitizer+UndefinedBehaviorSanitizer and under ThreadSanitizer, a bounded libFuzzer run
# of each parser, a smoke run of the benchmark, real programs (memcached, CPython, xz, zstd, pigz,
# sort, SQLite, jemalloc, tcmalloc) natively and under the preload at small sizes, then the plain
# unit tests, the export check and the integration tests that run samples and real programs
# under the preload.
# Usage: tools/test.sh            (from anywhere; builds in build/, build-asan/, build-tsan/, build-fuzz/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

bash tools/setup.sh

echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOCKWATCH_UNIT_TESTS_ONLY=ON \
  -DLOCKWATCH_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && ctest --output-on-failure)

echo "== unit tests under ThreadSanitizer"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOCKWATCH_UNIT_TESTS_ONLY=ON \
  -DLOCKWATCH_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "$jobs"
(cd build-tsan && ctest --output-on-failure)

echo "== fuzzing the parsers of options, suppressions and reports (20 s each; tools/fuzz.sh)"
bash tools/fuzz.sh 20

echo "== benchmark smoke run (checks that it runs, never a timing)"
python3 tools/benchmark.py --smoke

echo "== real programs natively and under lockwatch (same status and output, no new finding; --quick sizes)"
python3 tools/real_programs.py --quick --lib build/lib/liblockwatch.so

echo "== unit, export and integration tests (samples and real programs under the preload)"
cd build
exec ctest --output-on-failure -j "$jobs"
