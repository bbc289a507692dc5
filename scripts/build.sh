#!/usr/bin/env bash
# Configures and builds every user-space part of p2pscope into build/.
#   scripts/build.sh [extra cmake arguments]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$top/build" -j"$(nproc)" -- --no-print-directory >/dev/null
