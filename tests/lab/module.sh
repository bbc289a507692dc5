#!/usr/bin/env bash
# The module builds against the lab kernel (lab/build-module.sh) and loads and
# unloads cleanly in the lab.   tests/lab/module.sh [release|debug]
# Exit status 77 (skipped) when the repository has no kmod/ yet.
source "$(dirname "$0")/lib.sh"
variant=${1:-release}
[ -f "$tl_repo/kmod/Kbuild" ] || { echo "SKIP: no kmod/Kbuild"; exit 77; }
ko=$("$tl_repo/lab/build-module.sh" "$variant" 2>"$tl_dir/build.stderr" | head -n 1)
check "lab/build-module.sh $variant built a module ($ko)" test -f "$ko"
[ -f "$ko" ] || { sed 's/^/  build | /' "$tl_dir/build.stderr"; tl_finish; }
name=$(basename "$ko" .ko)
"$LAB" -q --kernel "$variant" --out "$tl_dir/run" --timeout 300 --add "$ko" -- \
  sh -c "insmod $name.ko && grep -q '^$name ' /proc/modules && rmmod $name && ! grep -q '^$name ' /proc/modules" \
  >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
sed 's/^/  guest | /' "$tl_dir/stdout" "$tl_dir/stderr"
expect_eq "insmod, then rmmod, in the lab ($variant kernel)" "$rc" 0
check "the module announced itself in dmesg" grep -q "$name" "$tl_dir/run/dmesg.txt"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
if [ "$variant" = debug ]; then
  expect_eq "kmemleak suspects after rmmod" "$(jget "$tl_dir/run/lab.json" .guest.kmemleak_suspects)" 0
fi
lab_timings "$tl_dir/run"
tl_finish
