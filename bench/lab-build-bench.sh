#!/usr/bin/env bash
# Prints what the lab costs a newcomer and CI, against the targets of the lab
# issue: each lab kernel built from scratch (source unpacked, configured,
# compiled) in a scratch cache, and `scripts/main.sh` warm (everything cached:
# the lab boot, the module and qualify). A figure, not a test: the machine's
# other work shows in it, so the load average is printed beside it.
#   bench/lab-build-bench.sh [--versions "6.1 6.12 7.2"] [--variants "release debug"] [--no-main]
# The scratch cache is removed afterwards; the real cache is not touched,
# except that `scripts/main.sh` warm uses it (run it once before).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
versions=6.1 variants="release debug" main=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --versions) versions=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --no-main) main=0; shift ;;
    *) echo "lab-build-bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-build-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Downloaded source packages are reused, not copied (the download is not what is measured).
real_cache=${P2PSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pscope}
[ -d "$real_cache/apt" ] && ln -s "$real_cache/apt" "$scratch/apt"

rows=()
row() { rows+=("$(printf '%-44s %8.1f s  %-10s %s' "$1" "$2" "$3" "$4")"); }
verdict() { awk -v t="$1" -v l="$2" 'BEGIN { printf "%s (%.2fx)", (t <= l ? "within" : "OVER"), t / l }'; }
for v in $versions; do
  for var in $variants; do
    limit=240; [ "$var" = debug ] && limit=420
    t0=$(date +%s.%N)
    if P2PSCOPE_CACHE=$scratch "$top/lab/build-kernel.sh" --version "$v" "$var" >/dev/null 2>"$scratch/$v-$var.log"; then
      t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
      files=$(cat "$scratch/kernel/$v-$var.files" 2>/dev/null)
      row "kernel $v $var, from scratch ($files files)" "$t" "<= ${limit} s" "$(verdict "$t" $limit)"
    else
      row "kernel $v $var, from scratch" 0 "<= ${limit} s" "FAILED: $(tail -n 1 "$scratch/$v-$var.log")"
    fi
  done
done
if [ $main = 1 ]; then
  t0=$(date +%s.%N)
  "$top/scripts/main.sh" >"$scratch/main.out" 2>"$scratch/main.err"; rc=$?
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  row "scripts/main.sh, warm (exit $rc)" "$t" "<= 60 s" "$(verdict "$t" 60)"
fi
echo "lab build and main-job times on $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg):"
printf '  %s\n' "${rows[@]}"
