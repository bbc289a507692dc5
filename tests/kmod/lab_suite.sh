#!/usr/bin/env bash
# Runs one of kmod/tests' in-guest suites in the lab and fails unless it passes
# and the guest kernel's log holds no alert (warning, KASAN, kmemleak, DMA-API
# debug or lockdep report).
#   tests/kmod/lab_suite.sh [--kernel-version V] [--nvme-bps N] release|debug matrix|selftest [ARGS...]
# --nvme-bps throttles the guest's NVMe namespaces (lab/run's option): bios
# outlive the runs that started them, as on a loaded host.
source "$(dirname "$0")/../lab/lib.sh"
version=6.1 lab_args=()
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
if [ "${1:-}" = --nvme-bps ]; then lab_args=(--nvme-bps "$2"); shift 2; fi
variant=$1 suite=$2
shift 2
make -s -C "$tl_repo/kmod/tests" >"$tl_dir/make.log" 2>&1
check "kmod/tests' static helpers are built" test -x "$tl_repo/kmod/tests/p2pscope-map"
ko=$("$tl_repo/lab/build-module.sh" --version "$version" "$variant" 2>"$tl_dir/build.stderr" | head -n 1)
check "p2pscope.ko is built against the $version $variant lab kernel" test -f "$ko"
[ -f "$ko" ] || tl_finish
timeout=900
[ "$variant" = debug ] && timeout=1800
"$LAB" -q --kernel-version "$version" --kernel "$variant" --out "$tl_dir/run" --timeout "$timeout" "${lab_args[@]}" --add "$ko" \
  --add "$tl_repo/kmod/tests/p2pscope-map" --add "$tl_repo/kmod/tests/p2pscope-fuzz" \
  --add "$tl_repo/kmod/tests/p2pscope-eperm" --add "$tl_repo/kmod/tests/lab-$suite.sh" \
  -- sh "/lab/add/lab-$suite.sh" "$@" >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
# The guest's failures first: a CI log that keeps only the head of the output still says why.
grep -h '^FAIL' "$tl_dir/stdout" | sed 's/^/  guest failure | /'
sed 's/^/  guest | /' "$tl_dir/stdout"
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "lab-$suite.sh passed in the lab ($version $variant kernel)" "$rc" 0
# DMAR fault reports are the emulated IOMMU blocking the switch-local P2P DMA
# that the transfers provoke (LAB-FACTS row 2): the IOMMU doing its job, not a
# kernel defect. Everything else counts.
expect_eq "alerts in the guest kernel log (DMAR fault reports aside: $(jget "$tl_dir/run/lab.json" '[.kernel_log_alert_lines[] | select(test("DMAR: "))] | length'))" \
  "$(jget "$tl_dir/run/lab.json" '[.kernel_log_alert_lines[] | select(test("DMAR: ") | not)] | length')" 0
jget "$tl_dir/run/lab.json" '.kernel_log_alert_lines[] | select(test("DMAR: ") | not)' | head -n 20 | sed 's/^/  alert | /'
if [ "$variant" = debug ]; then
  expect_eq "kmemleak suspects" "$(jget "$tl_dir/run/lab.json" .guest.kmemleak_suspects)" 0
fi
lab_timings "$tl_dir/run"
tl_finish
