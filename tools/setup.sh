#!/usr/bin/env bash
# Installs what lockwatch needs to build and test, from Debian packages only.
# Used by the README's commands and by .ci/run; safe to run again (apt-get is idempotent).
# valgrind, memcached and libmemcached-tools (memcaslap) are the benchmark's peers and server.
# xz-utils, zstd, pigz, libjemalloc-dev and libgoogle-perftools-dev (tcmalloc) are the real
# programs tools/real_programs.py runs under lockwatch (with memcached, python3, sqlite3).
set -euo pipefail

packages=(
  build-essential cmake ninja-build clang-14 python3
  libunwind-19-dev libspdlog-dev libfmt-dev doctest-dev
  libcli11-dev nlohmann-json3-dev libdw-dev sqlite3 git
  valgrind memcached libmemcached-tools
  xz-utils zstd pigz libjemalloc-dev libgoogle-perftools-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "lockwatch setup: need root or sudo to install: ${missing[*]}" >&2
  echo "lockwatch setup: run 'apt-get install ${missing[*]}' as root, then try again" >&2
  exit 1
fi

echo "lockwatch setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
