#!/usr/bin/env bash
# golden.sh [--update] P2PSCOPE P2PSCOPED FIXTURES
# The outputs that are contracts, against reviewed copies in this folder:
# `p2pscope topo --format json` on real machines' data (hwloc XML, lspci dumps,
# saved sysfs trees) and p2pscoped's /metrics on the DGX-2. What varies from
# run to run (the fixtures' and temporary paths, the build's revision, start
# time and scrape durations) is masked. A change of output fails here with the
# diff; when it is meant, `scripts/update-golden.sh` rewrites the copies and
# the change is reviewed as a diff of them.
set -u
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
p2pscope=$1 p2pscoped=$2 fx=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null' EXIT
fails=0
mask() { sed -e "s|$fx|FIXTURES|g" -e "s|$work|TMP|g"; }

tar -xjf "$fx/hwloc-sysfs/32intel64-2p8co2t+8ve.tar.bz2" -C "$work" || exit 1
mkdir -p "$work/laptop"
tar -xzf "$fx/sysfs-snapshot/linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d.tar.gz" -C "$work/laptop" || exit 1
declare -A topo=(
  [topo-dgx2.json]="--hwloc-xml $fx/hwloc-xml/nvidiaDGX2.xml"
  [topo-manyvfs.json]="--hwloc-xml $fx/hwloc-xml/16intel64-manyVFs.xml"
  [topo-asus-p6t6.json]="--lspci-dump $fx/lspci-dump/tree-asus-p6t6"
  [topo-cap-aer-root.json]="--lspci-dump $fx/lspci-dump/cap-aer-root --class all"
  [topo-supermicro.json]="--sysfs-root $work/32intel64-2p8co2t+8ve --class all"
  [topo-laptop.json]="--sysfs-root $work/laptop"
)
for name in "${!topo[@]}"; do
  # shellcheck disable=SC2086 # the arguments are words
  "$p2pscope" topo ${topo[$name]} --format json | mask >"$work/$name" || { echo "FAIL: p2pscope topo ${topo[$name]}"; fails=$((fails + 1)); }
done

# /metrics of the DGX-2 (no configuration: the topology collectors, and the others' empty families).
"$p2pscoped" --hwloc-xml "$fx/hwloc-xml/nvidiaDGX2.xml" --listen 127.0.0.1:0 >"$work/p2pscoped.log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/p2pscoped.log" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then echo "FAIL: p2pscoped did not listen"; cat "$work/p2pscoped.log"; exit 1; fi
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
  "http://127.0.0.1:$port/metrics" | mask | sed -E \
  -e 's/revision="[^"]*"/revision="REV"/' \
  -e 's/^(p2pscope_start_time_seconds) .*/\1 TIME/' \
  -e 's/^(p2pscope_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 SECONDS/' >"$work/metrics-dgx2.txt"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

for f in "${!topo[@]}" metrics-dgx2.txt; do
  if [ $update = 1 ]; then
    cp "$work/$f" "$here/$f"
    echo "updated: tests/golden/$f"
  elif diff -u "$here/$f" "$work/$f" >"$work/$f.diff"; then
    echo "ok: $f is its golden copy"
  else
    echo "FAIL: $f differs from tests/golden/$f (scripts/update-golden.sh rewrites it when the change is meant):"
    head -n 60 "$work/$f.diff"
    fails=$((fails + 1))
  fi
done
echo "$fails failure(s)"
[ "$fails" = 0 ]
