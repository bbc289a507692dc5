#!/usr/bin/env bash
# The tests: set up, build with warnings as errors, run every test through ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" all
"$top/scripts/build.sh" -DP2PSCOPE_WERROR=ON
cd "$top/build"
ctest --output-on-failure -j"$(nproc)" --timeout 1500
