#!/usr/bin/env bash
# What one TCG thread for all vCPUs on one host CPU (lab/run's default,
# --tcg-threads single with --host-cpu auto) costs against the same thread
# unpinned (--host-cpu any) and a thread per vCPU (multi), on the release lab
# kernel: boot time, the kernel's map benchmark with 1 and 2 threads, one and
# two CPU-bound processes, fio's 64 KiB reads from the solo NVMe, and two labs
# at once (as ctest -j2 runs them). Figures from one run on whatever else the
# machine does; the load average is printed beside them.
#   bench/lab-tcg-bench.sh [lab/run options...]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fio=$(command -v fio) || { echo "lab-tcg-bench.sh: needs fio on the host (apt-get install fio)" >&2; exit 2; }
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
ns=/dev/$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_SOLO/nvme/"*/ | grep -m1 '^nvme.*n1$')
# terse format 3: field 7 is the read bandwidth in KiB/s
echo "fio64 $(fio --name=b --filename="$ns" --rw=read --bs=64K --iodepth=4 --ioengine=libaio --direct=1 --size=64M \
  --time_based --runtime=3 --output-format=terse --terse-version=3 2>/dev/null | awk -F';' '{ printf "%.0f", $7 * 1024 / 1e6 }')"
GUEST
run() {   # MODE OUT [lab/run options...]
  local opts
  case "$1" in
    single) opts=(--tcg-threads single) ;;
    unpinned) opts=(--tcg-threads single --host-cpu any) ;;
    multi) opts=(--tcg-threads multi) ;;
  esac
  "$top/lab/run" -q "${opts[@]}" --out "$2" "${@:3}" --add "$fio" --add "$work/guest.sh" \
    -- sh guest.sh >"$2.txt" 2>&1
}
field() { sed -n "s/^$1 //p" "$2.txt" 2>/dev/null; }
worst() { awk '{ if ($1 > m) m = $1 } END { print m }'; }
# One figure of a mode's run ("-" when it has none): FIELD, boot, or the
# worst FIELD of the two labs at once (FIELD pair).
figure() {   # WHAT [pair] MODE
  local v
  case "$1" in
    boot) v=$(jq -r '.timings.guest_boot_to_init_s // empty' "$work/$2/lab.json" 2>/dev/null) ;;
    *) if [ "$2" = pair ]; then v=$({ field "$1" "$work/$3-a"; field "$1" "$work/$3-b"; } | worst)
       else v=$(field "$1" "$work/$2"); fi ;;
  esac
  echo "${v:--}"
}
modes=(single unpinned multi)
for mode in "${modes[@]}"; do
  run "$mode" "$work/$mode" "$@"
  # two labs at once, each with its two CPU-bound processes
  run "$mode" "$work/$mode-a" "$@" & run "$mode" "$work/$mode-b" "$@"; wait
done
echo "TCG threads, release lab kernel, $(nproc) host cores, load average now $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  single: one TCG thread, QEMU on one host CPU (the default); unpinned: the same on any CPU; multi: a thread per vCPU"
printf '  %-46s %10s %10s %10s %8s %8s\n' "" single unpinned multi "s/u" "s/m"
line() {   # NAME UNIT SINGLE UNPINNED MULTI
  awk -v n="$1" -v u="$2" -v s="$3" -v p="$4" -v m="$5" 'function r(a, b) { return (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
    BEGIN { printf "  %-46s %9s%s %9s%s %9s%s %8s %8s\n", n, s, u, p, u, m, u, r(s, p), r(s, m) }'
}
each() { for mode in "${modes[@]}"; do figure "$@" "$mode"; done; }
line "boot to /init" s $(each boot)
line "dma_map_benchmark 4 KiB map mean, 1 thread" us $(each map1)
line "dma_map_benchmark 4 KiB map mean, 2 threads" us $(each map2)
line "one CPU-bound process (190 MB md5sum)" s $(each burn1)
line "two at once" s $(each burn2)
line "two at once, in each of two labs at once" s $(each burn2 pair)
line "fio 64 KiB NVMe reads qd4, MB/s (more=better)" "" $(each fio64)
