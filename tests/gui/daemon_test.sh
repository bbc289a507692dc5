#!/usr/bin/env bash
# daemon_test.sh P2PSCOPE FIXTURE_XML PREFIX CHECKER [CHECKER ARGS...] -- GUI [GUI ARGS...]
# The GUI against a p2pscoped stand-in (serve_snapshot.py) serving the
# fixture's topology and map records: the latency heat map and the plots must
# be drawn from what the daemon served. The stand-in is always stopped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
p2pscope=$1 xml=$2 prefix=$3
shift 3
dir=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
"$p2pscope" topo --hwloc-xml "$xml" --format json >"$dir/topo.json"
python3 "$here/serve_snapshot.py" "$dir/topo.json" "$dir/port" &
server=$!
for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
[ -s "$dir/port" ] || { echo "daemon_test: the snapshot server did not start" >&2; exit 1; }
port=$(cat "$dir/port")
checker=$1
shift
check_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do check_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
"$here/screenshot_test.sh" "$prefix" "$checker" "${check_args[@]}" -- "$@" --connect "127.0.0.1:$port"
