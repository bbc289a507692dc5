#!/usr/bin/env bash
# Prints what the lab costs a newcomer and CI, against the targets of the lab
# issue: each lab kernel built from scratch (source unpacked, configured,
# compiled) in a scratch cache, the p2pscope command built from scratch in a
# scratch tree as `scripts/build.sh --main` builds it (wall and CPU seconds),
# and `scripts/main.sh` warm (everything cached: the lab boot, the module and
# qualify). A figure, not a test: the machine's other work shows in it, so the
# load average is printed beside it.
#   bench/lab-build-bench.sh [--versions "6.1 6.12 7.2"] [--variants "release debug"]
#                            [--no-command] [--no-main]
# The scratch cache and tree are removed afterwards; the real cache is not
# touched, except that `scripts/main.sh` warm uses it (run it once before).
# Exits 1 when a build failed (its row says FAILED), 2 on a bad argument.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
versions=6.1 variants="release debug" command=1 main=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --versions) versions=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --no-command) command=0; shift ;;
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
if [ $command = 1 ]; then
  # Configured and built as scripts/build.sh --main does a new tree (its build
  # type's flags: -O2 -g1), timed by bash's own `time`: real, user and system
  # seconds of cmake and its compilers, configuring included as in build.sh's figure.
  tree=$scratch/command log=$scratch/command.log
  cpu=$( { TIMEFORMAT='%R %U %S'; time {
           cmake -S "$top" -B "$tree" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2PSCOPE_TESTS=OFF -DP2PSCOPE_BENCH=OFF \
             -DP2PSCOPE_GUI=OFF -DP2PSCOPE_EXPORTER=OFF >"$log" 2>&1 &&
           cmake --build "$tree" -j"$(nproc)" --target p2pscope >>"$log" 2>&1; }; } 2>&1 ); rc=$?
  read -r wall user sys <<<"$cpu"
  if [ $rc = 0 ]; then
    # The command's files count as one object: they are compiled as one unit.
    objects=$(find "$tree" -name '*.o' | wc -l)
    row "p2pscope command, from scratch ($objects objects)" "$wall" "-" \
      "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f CPU-s (user %.0f, system %.0f)", u + s, u, s }')"
  else
    row "p2pscope command, from scratch" 0 "-" \
      "FAILED: $(grep -m1 -E 'error|Error' "$log" || tail -n 1 "$log")"
  fi
fi
if [ $main = 1 ]; then
  t0=$(date +%s.%N)
  "$top/scripts/main.sh" >"$scratch/main.out" 2>"$scratch/main.err"; rc=$?
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  if [ $rc = 0 ]; then row "scripts/main.sh, warm" "$t" "<= 60 s" "$(verdict "$t" 60)"
  else row "scripts/main.sh, warm" "$t" "<= 60 s" "FAILED: exit $rc: $(tail -n 1 "$scratch/main.err")"; fi
fi
echo "lab build and main-job times on $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg):"
printf '  %s\n' "${rows[@]}"
# A step that failed has no figure: the run is not complete.
! printf '%s\n' "${rows[@]}" | grep -q ' FAILED: '
