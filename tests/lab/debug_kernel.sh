#!/usr/bin/env bash
# The debug kernel (KASAN, lockdep, DMA-API debugging, kmemleak) boots in the lab,
# passes the guest smoke checks (tests/lab/guest/smoke.sh: topology, p2pmem,
# IOMMU groups, dma_map_benchmark on pci-testdev), and reports nothing: no
# KASAN, lockdep or DMA-API findings. To show that the leak check can see a
# leak at all, the guest then loads a module that leaks one 4 KiB buffer on
# purpose: kmemleak must report exactly that one object, and nothing else.
source "$(dirname "$0")/lib.sh"
obj=$("$tl_repo/lab/build-kernel.sh" debug) || { notok "no debug kernel (lab/build-kernel.sh debug)"; tl_finish; }
mkdir -p "$tl_dir/leak"
cat >"$tl_dir/leak/leaktest.c" <<'C'
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
static int __init leaktest_init(void)
{
	void *p = kmalloc(4096, GFP_KERNEL);	/* lost on purpose */

	if (p)
		memset(p, 0x5a, 4096);
	pr_info("leaktest: leaked one 4 KiB buffer\n");
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
expect_eq "kmemleak suspects from the command: the deliberate leak only" "$(jget "$j" .guest.kmemleak_suspects)" 1
# (the backtrace cannot name leaktest_init: a module's __init code is freed
# once it has run, so kmemleak prints a bare address for it)
check "kmemleak's report shows the leaked object (size 4096, allocated by insmod)" \
  bash -c "grep -q '(size 4096)' '$tl_dir/run/kmemleak.txt' && grep -q 'comm \"insmod\"' '$tl_dir/run/kmemleak.txt'"
echo "  (kmemleak suspects in all, boot included: $(jget "$j" .guest.kmemleak_suspects_all))"
expect_eq "bug/fault lines in the kernel log (KASAN, lockdep, DMA-API...), kmemleak's own aside" \
  "$(jget "$j" '[.kernel_log_alert_lines[] | select(test("kmemleak: [0-9]+ new suspected") | not)] | length')" 0
jq -r '.kernel_log_alert_lines[]' "$j" 2>/dev/null | sed 's/^/  alert | /'
lab_timings "$tl_dir/run"
tl_finish
