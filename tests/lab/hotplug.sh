#!/usr/bin/env bash
# lab/run --monitor-socket lets a host-side test change the machine while the
# guest runs: here it removes pci-testdev (device_del) and the guest sees it go.
source "$(dirname "$0")/lib.sh"
sock=$tl_dir/mon.sock
"$LAB" -q --out "$tl_dir/run" --timeout 120 --monitor-socket "$sock" \
  --add "$tl_repo/tests/lab/guest/hotplug.sh" -- sh hotplug.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr" &
labpid=$!
ready=0
for _ in $(seq 1 600); do
  grep -q LAB-HOTPLUG-READY "$tl_dir/run/console.log" 2>/dev/null && { ready=1; break; }
  kill -0 $labpid 2>/dev/null || break
  sleep 0.25
done
expect_eq "guest announced it is ready (seen in console.log)" "$ready" 1
reply=$("$HMP" "$sock" info pci 2>&1)
check "monitor answers 'info pci' and lists the testdev" grep -q 'id "testdev"' <<<"$reply"
"$HMP" "$sock" device_del testdev
expect_eq "device_del testdev accepted" "$?" 0
wait $labpid
rc=$?
sed 's/^/  guest | /' "$tl_dir/stdout"
expect_eq "guest saw the removal (lab/run exit status)" "$rc" 0
jcheck "results/hotplug.json came back" "$tl_dir/run/results/hotplug.json" '.removed_after_s >= 0'
check "socket removed or stale after the run" bash -c "! '$HMP' --wait 0 '$sock' info status >/dev/null 2>&1"
tl_finish
