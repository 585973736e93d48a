#!/usr/bin/env bash
# The shim's dynamic symbol table holds only interposed functions and lockwatch_*: nothing of
# LLVM libunwind (_Unwind_*, unw_*, __unw_*), spdlog, fmt or the detector may be exported, or
# a host with its own copies would bind to ours.
set -euo pipefail
library=$1
exported=$(nm -D --defined-only "$library" | awk '{print $3}')
unexpected=$(echo "$exported" | grep -vE '^(pthread_|lockwatch_|mtx_|cnd_|sem_|thrd_)' || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: $library exports symbols beyond the interposed ones:"
  echo "$unexpected" | head -20
  exit 1
fi
# A here-string, not a pipe: grep -q stops at the first match, and the writer's SIGPIPE would
# fail the pipeline under pipefail.
grep -qx 'pthread_mutex_lock' <<<"$exported" || { echo "FAIL: pthread_mutex_lock is not exported"; exit 1; }
echo "PASS: $(echo "$exported" | wc -l) exported symbols, all interposers"
