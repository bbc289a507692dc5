#!/usr/bin/env bash
# What one TCG thread for all vCPUs (lab/run's default, --tcg-threads single)
# costs against a thread per vCPU (multi), on the release lab kernel: boot time,
# the kernel's map benchmark with 1 and 2 threads, one and two CPU-bound
# processes, and two labs at once (as ctest -j2 runs them). Figures from one run
# on whatever else the machine does; the load average is printed beside them.
#   bench/lab-tcg-bench.sh [lab/run options...]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-tcg-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/guest.sh" <<'GUEST'
t() { s=$(cut -d' ' -f1 /proc/uptime); "$@"; e=$(cut -d' ' -f1 /proc/uptime); awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f\n", b - a }'; }
burn() { dd if=/dev/zero bs=64k count=3000 2>/dev/null | md5sum >/dev/null; }
two() { burn & burn; wait; }
lab-bind "$P2PSCOPE_LAB_TESTDEV" dma_map_benchmark >/dev/null
echo "map1 $(dma_map_benchmark -t 1 -s 3 -g 1 | sed -n 's/.*average map latency(us):\([0-9.]*\).*/\1/p')"
echo "map2 $(dma_map_benchmark -t 2 -s 3 -g 1 | sed -n 's/.*average map latency(us):\([0-9.]*\).*/\1/p')"
echo "burn1 $(t burn)"
echo "burn2 $(t two)"
GUEST
run() {   # MODE OUT
  "$top/lab/run" -q --tcg-threads "$1" --out "$2" "${@:3}" --add "$work/guest.sh" -- sh guest.sh >"$2.txt" 2>&1
}
field() { sed -n "s/^$1 //p" "$2.txt" 2>/dev/null; }
boot() { jq -r '.timings.guest_boot_to_init_s' "$1/lab.json" 2>/dev/null; }
for mode in single multi; do
  run "$mode" "$work/$mode" "$@"
  # two labs at once, each with its two CPU-bound processes
  run "$mode" "$work/$mode-a" "$@" & run "$mode" "$work/$mode-b" "$@"; wait
done
echo "TCG threads, release lab kernel, $(nproc) host cores, load average now $(cut -d' ' -f1-3 /proc/loadavg):"
printf '  %-46s %10s %10s %8s\n' "" single multi "s/m"
line() { awk -v n="$1" -v s="$2" -v m="$3" -v u="$4" 'BEGIN { printf "  %-46s %9s%s %9s%s %8s\n", n, s, u, m, u, (m > 0 ? sprintf("%.2f", s / m) : "-") }'; }
line "boot to /init" "$(boot "$work/single")" "$(boot "$work/multi")" s
line "dma_map_benchmark 4 KiB map mean, 1 thread" "$(field map1 "$work/single")" "$(field map1 "$work/multi")" us
line "dma_map_benchmark 4 KiB map mean, 2 threads" "$(field map2 "$work/single")" "$(field map2 "$work/multi")" us
line "one CPU-bound process (190 MB md5sum)" "$(field burn1 "$work/single")" "$(field burn1 "$work/multi")" s
line "two at once" "$(field burn2 "$work/single")" "$(field burn2 "$work/multi")" s
line "two at once, in each of two labs at once" \
  "$(awk '{ if ($1 > m) m = $1 } END { print m }' < <(field burn2 "$work/single-a"; field burn2 "$work/single-b"))" \
  "$(awk '{ if ($1 > m) m = $1 } END { print m }' < <(field burn2 "$work/multi-a"; field burn2 "$work/multi-b"))" s
