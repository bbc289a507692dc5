#!/usr/bin/env bash
# lab/qualify.sh: p2pscope qualify on the lab's virtual server, for hosts that
# cannot load p2pscope.ko. Builds the lab kernel and the module (cached by
# content), boots the lab, loads the module (allow_borrowed=1, so that the
# NVMe drives keep their driver while their mappings are measured), runs
# `p2pscope qualify --destructive QUALIFY-OPTIONS` (the lab's namespaces are
# scratch space: P2P reads are verified against a pattern written first), and
# prints its report here. Exit status: qualify's (0 pass, 1 a check failed,
# 3 nothing could be checked), 4 when the lab itself failed. The p2pscope run
# is $P2PSCOPE_BIN (tests set it to their build tree's), else build/cli/p2pscope.
#   lab/qualify.sh [lab/run options...] [-- qualify options...]
set -uo pipefail
lab_prog="lab/qualify.sh"
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
lab_opts=() q_opts=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; q_opts=("$@"); break ;;
    *) lab_opts+=("$1"); shift ;;
  esac
done
bin=${P2PSCOPE_BIN:-$lab_repo/build/cli/p2pscope}
[ -x "$bin" ] || lab_die "p2pscope is not built ($bin): run scripts/build.sh"
kernel=release version=$lab_default_version
for ((i = 0; i < ${#lab_opts[@]}; i++)); do
  case "${lab_opts[$i]}" in
    --kernel) kernel=${lab_opts[$((i + 1))]:-release} ;;
    --kernel-version) version=${lab_opts[$((i + 1))]:-$version} ;;
  esac
done
ko=$("$lab_here/build-module.sh" --version "$version" "$kernel" | head -n 1) ||
  lab_die "building the module failed (lab/build-module.sh --version $version $kernel)"
work=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-qualify.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/qualify-guest.sh" <<'GUEST'
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 4
exec p2pscope qualify --destructive "$@"
GUEST
"$lab_here/run" -q --out "$work/run" --timeout 900 "${lab_opts[@]}" --add "$ko" --add "$bin" \
  --add "$work/qualify-guest.sh" -- sh qualify-guest.sh "${q_opts[@]}"
