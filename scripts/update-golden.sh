#!/usr/bin/env bash
# Rewrites the golden copies of the contract outputs (tests/golden/) from
# build/'s binaries, after a change of output that is meant; review the diff
# (git diff tests/golden) and commit it with the change.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/tests/golden/golden.sh" --update "$top/build/cli/p2pscope" "$top/build/exporter/p2pscoped" \
  "$top/../shared/fixtures/topology"
