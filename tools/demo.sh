#!/usr/bin/env bash
# The main job on a bundled sample: sets up and builds on first use, then runs the `abba`
# sample (two threads taking two mutexes in opposite orders, one after the other: no hang)
# under lockwatch. Expect one lock-order inversion report and exit status 66.
# Usage: tools/demo.sh [SAMPLE]   (default abba; see build/samples/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sample=${1:-abba}
if [ ! -x build/bin/lockwatch ] || [ ! -x "build/samples/$sample" ]; then
  bash tools/setup.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
[ -x "build/samples/$sample" ] || { echo "demo: no sample '$sample' in build/samples" >&2; exit 2; }
exec build/bin/lockwatch run --log-path "${TMPDIR:-/tmp}/lockwatch-demo" -- "build/samples/$sample"
