#!/usr/bin/env bash
# The debug kernel (KASAN, lockdep, DMA-API debugging, kmemleak) boots in the lab,
# passes the guest smoke checks (tests/lab/guest/smoke.sh: topology, p2pmem,
# IOMMU groups, dma_map_benchmark on pci-testdev), and reports nothing: no
# KASAN, lockdep or DMA-API findings. To show that the leak check can see a
# leak at all, the guest then loads a module that leaks four 4 KiB buffers on
# purpose: kmemleak must report some of them, and nothing else.
#
# Why not "exactly one": kmemleak counts any word in scanned memory that holds
# an object's address as a reference, so it can miss a real leak
# (Documentation/dev-tools/kmemleak.rst, false negatives). It did in a proof
# round: no report at all for the one buffer. Which stale copy hid it was not
# found (the address passes through the caller's kernel stack, whose pages
# are reused once insmod exits, and kmemleak scans slab objects whole); so the
# test leaks four buffers, and at least one must be reported, every report
# being one of them.
source "$(dirname "$0")/lib.sh"
obj=$("$tl_repo/lab/build-kernel.sh" debug) || { notok "no debug kernel (lab/build-kernel.sh debug)"; tl_finish; }
mkdir -p "$tl_dir/leak"
cat >"$tl_dir/leak/leaktest.c" <<'C'
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
/* Not __init: its name stays in the backtraces kmemleak prints. */
static noinline void leaktest_leak_one(void)
{
	void *p = kmalloc(4096, GFP_KERNEL);	/* lost on purpose */

	if (p) {
		memset(p, 0x5a, 4096);
		/* Or the compiler drops the fill (nobody reads it), and
		 * kmalloc becomes a tail call that leaves this function
		 * out of the backtrace. */
		barrier_data(p);
	}
}
static int __init leaktest_init(void)
{
	int i;

	for (i = 0; i < 4; i++)
		leaktest_leak_one();
	pr_info("leaktest: leaked four 4 KiB buffers\n");
	return 0;
}
module_init(leaktest_init);
MODULE_LICENSE("GPL");
C
echo 'obj-m := leaktest.o' >"$tl_dir/leak/Kbuild"
make -C "$obj" M="$tl_dir/leak" modules >"$tl_dir/leak/build.log" 2>&1
check "built the leaking test module against the debug kernel" test -f "$tl_dir/leak/leaktest.ko"

"$LAB" -q --kernel debug --out "$tl_dir/run" --timeout 600 "$@" \
  --add "$tl_repo/tests/lab/guest/smoke.sh" --add "$tl_dir/leak/leaktest.ko" -- \
  sh -c 'sh smoke.sh; s=$?; insmod leaktest.ko || s=1; exit $s' >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
grep -E '^(ok|FAIL)|latency' "$tl_dir/stdout" | sed 's/^/  guest | /'
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "guest smoke checks passed on the debug kernel" "$rc" 0
j=$tl_dir/run/lab.json
check "the guest ran the debug kernel (KASAN in its log)" grep -q 'KernelAddressSanitizer initialized' "$tl_dir/run/dmesg.txt"
check "kmemleak is on" grep -q 'kmemleak: Kernel memory leak detector initialized' "$tl_dir/run/dmesg.txt"
# The reports of the deliberate leaks: 4096 bytes, allocated by insmod in
# leaktest_leak_one, filled with 0x5a.
ours=$(awk '/^unreferenced object/ { n += ours; ours = 0; mine = 1 }
            /^unreferenced object/ && !/\(size 4096\)/ { mine = 0 }
            /^  comm / && !/comm "insmod"/ { mine = 0 }
            /^    5a 5a 5a 5a/ && mine == 1 { mine = 2 }
            /leaktest_leak_one/ && mine == 2 { ours = 1 }
            END { print n + ours }' "$tl_dir/run/kmemleak.txt" 2>/dev/null)
suspects=$(jget "$j" .guest.kmemleak_suspects)
check "kmemleak reported 1 to 4 of the 4 deliberate leaks (size 4096, insmod, leaktest_leak_one, 0x5a): $ours" \
  test "${ours:-0}" -ge 1 -a "${ours:-0}" -le 4
expect_eq "kmemleak suspects from the command: the deliberate leaks only" "$suspects" "$ours"
echo "  (kmemleak suspects in all, boot included: $(jget "$j" .guest.kmemleak_suspects_all))"
expect_eq "bug/fault lines in the kernel log (KASAN, lockdep, DMA-API...), kmemleak's own aside" \
  "$(jget "$j" '[.kernel_log_alert_lines[] | select(test("kmemleak: [0-9]+ new suspected") | not)] | length')" 0
jq -r '.kernel_log_alert_lines[]' "$j" 2>/dev/null | sed 's/^/  alert | /'
lab_timings "$tl_dir/run"
tl_finish
