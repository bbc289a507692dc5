#!/usr/bin/env bash
# The main job: set up, build, and qualify this server for PCIe P2P DMA
# (`p2pscope qualify`: every pair that matters, pass or fail with reasons).
# Where this host can load p2pscope.ko, the server qualified is this one; where
# it cannot (a kernel without module support, no headers to build against),
# it is the lab's virtual server (lab/qualify.sh), and the report comes back.
#   scripts/main.sh [--lab] [--kernel-version 6.1|6.12|7.2] [p2pscope qualify options]
# --kernel-version picks the lab kernel (and so implies --lab).
# Exit status: qualify's: 0 pass, 1 a check failed, 2 bad input, 3 nothing
# could be checked; 4 the lab failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" main || exit
"$top/scripts/build.sh" --main || exit

lab=0 lab_opts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lab) lab=1; shift ;;
    --kernel-version) [ $# -ge 2 ] || { echo "p2pscope: --kernel-version needs a value" >&2; exit 2; }
      lab=1; lab_opts+=(--kernel-version "$2"); shift 2 ;;
    *) break ;;
  esac
done
release=$(uname -r)
why=
if [ $lab = 1 ]; then why="${lab_opts[*]:---lab} asked for the lab"
elif [ "$(id -u)" != 0 ]; then why="loading a kernel module needs root"
elif [ ! -e /proc/modules ]; then why="kernel $release has no module support (/proc/modules is missing)"
elif [ ! -e /dev/p2pscope ] && [ ! -e "/lib/modules/$release/build" ]; then
  why="there are no headers to build p2pscope.ko for kernel $release (/lib/modules/$release/build)"
fi
if [ -n "$why" ]; then
  echo "p2pscope: qualifying the lab's virtual server, not this host: $why (lab/README.md)" >&2
  exec "$top/lab/qualify.sh" "${lab_opts[@]}" -- "$@"
fi

loaded=0
if [ ! -e /dev/p2pscope ]; then
  make -s -C "$top/kmod" >/dev/null || { echo "p2pscope: building p2pscope.ko failed (make -C kmod)" >&2; exit 3; }
  insmod "$top/kmod/p2pscope.ko" allow_borrowed=1 || { echo "p2pscope: insmod p2pscope.ko failed" >&2; exit 3; }
  loaded=1
fi
"$top/build/cli/p2pscope" qualify "$@"
rc=$?
[ $loaded = 1 ] && rmmod p2pscope
exit $rc
