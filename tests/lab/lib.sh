# shellcheck shell=bash
# Helpers for the lab's tests (sourced). Each test prints one line per check
# ("ok: ..." or "FAIL: ...") and exits 0 only when every check passed.
# Lab output lands in $P2PSCOPE_TEST_OUT/<test> when that is set, else in a
# temporary directory that is removed after a pass and kept after a failure.
tl_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$tl_repo/lab/lib.sh"   # lab_alert_lines, lab_alerts_besides_pciehp
LAB=$tl_repo/lab/run
HMP=$tl_repo/lab/hmp
tl_name=$(basename "$0" .sh)
tl_failed=0
if [ -n "${P2PSCOPE_TEST_OUT:-}" ]; then
  tl_dir=$P2PSCOPE_TEST_OUT/$tl_name; rm -rf "$tl_dir"; mkdir -p "$tl_dir"; tl_keep=1
else
  tl_dir=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-test-$tl_name.XXXXXX"); tl_keep=0
fi
tl_finish() {
  if [ $tl_failed = 0 ]; then
    echo "PASS: $tl_name"
    [ $tl_keep = 1 ] || rm -rf "$tl_dir"
    exit 0
  fi
  echo "FAILED: $tl_name (lab output kept in $tl_dir)"
  exit 1
}
ok() { echo "ok: $*"; }
notok() { echo "FAIL: $*"; tl_failed=1; }
# check DESCRIPTION COMMAND...: runs COMMAND, reports by its status, returns it
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; return 1; fi; }
# expect_eq DESCRIPTION ACTUAL EXPECTED: reports, returns 1 when they differ
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 ($2)"; else notok "$1: got '$2', expected '$3'"; return 1; fi; }
# jget FILE JQ-FILTER
jget() { jq -r "$2" "$1" 2>/dev/null; }
# lab_timings OUTDIR: one line with the run's measured times
lab_timings() {
  jq -r '"timings: boot to init \(.timings.guest_boot_to_init_s) s, command start at \(.timings.guest_command_start_s) s, command \(.timings.command_s) s, QEMU \(.timings.qemu_wall_s) s, lab/run total \(.timings.total_wall_s) s"' "$1/lab.json" 2>/dev/null
}
# tl_show_guest OUTDIR KERNEL-ERE [RESULT-FILE...]: after a failed run, what
# the guest left: the last lines of the named files under OUTDIR/results (the
# command's own error output), the lab's own lines, and the kernel's alerts and
# lines that match KERNEL-ERE (from dmesg.txt, else the console of a guest that
# did not get that far)
tl_show_guest() {
  local out=$1 ere=$2 f klog; shift 2
  for f in "$@"; do
    [ -s "$out/results/$f" ] && tail -n 20 "$out/results/$f" | sed "s/^/  $f | /"
  done
  grep -h 'lab-init:' "$out/console.log" 2>/dev/null | tail -n 20 | sed 's/^/  console | /'
  klog=$out/dmesg.txt; [ -f "$klog" ] || klog=$out/console.log
  { lab_alert_lines "$klog"; grep -E "$ere" "$klog" 2>/dev/null; } | awk '!seen[$0]++' | head -n 40 |
    sed 's/^/  kernel | /'
}
command -v jq >/dev/null || { echo "FAIL: $tl_name needs jq on the host"; exit 1; }
# no_qemu_left OUTDIR: true when no QEMU started by lab/run --out OUTDIR runs
# (the [q] keeps pgrep from matching the shell that runs this very check)
no_qemu_left() { ! pgrep -f "[q]emu-system-x86_64 .*file:$1/console.log" >/dev/null; }
# jcheck DESCRIPTION FILE JQ-FILTER: passes when the filter yields true
# (an empty or missing file, or a filter that yields nothing, fails)
jcheck() {
  if [ -s "$2" ] && [ "$(jq -r "$3" "$2" 2>/dev/null | tail -n 1)" = true ]; then ok "$1"; else notok "$1 ($3 on ${2##*/})"; fi
}
# tl_build_tool VERSION: sets tool (kmod/tests/p2pscope-map, the module's own
# test tool, which calls each ioctl directly) and ko (p2pscope.ko built against
# that lab kernel), one check each; ends the test without both
tl_build_tool() {
  make -s -C "$tl_repo/kmod/tests" p2pscope-map >"$tl_dir/tools.log" 2>&1
  tool=$tl_repo/kmod/tests/p2pscope-map
  check "the module's test tool is built ($tool)" test -x "$tool"
  ko=$("$tl_repo/lab/build-module.sh" --version "$1" release 2>"$tl_dir/build.stderr" | head -n 1)
  check "the module is built against the $1 lab kernel" test -f "$ko"
  [ -x "$tool" ] && [ -f "$ko" ] || tl_finish
}
# tl_build VERSION [VARIANT]: sets bin (the p2pscope CLI) and ko (p2pscope.ko
# built against that lab kernel), one check each; ends the test without both
tl_build() {
  bin=${P2PSCOPE_BIN:-$tl_repo/build/cli/p2pscope}
  check "p2pscope is built ($bin)" test -x "$bin"
  ko=$("$tl_repo/lab/build-module.sh" --version "$1" "${2:-release}" 2>"$tl_dir/build.stderr" | head -n 1)
  check "the module is built against the $1 lab kernel" test -f "$ko"
  [ -x "$bin" ] && [ -f "$ko" ] || tl_finish
}
