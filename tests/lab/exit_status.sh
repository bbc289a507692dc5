#!/usr/bin/env bash
# lab/run exits with the guest command's status, keeps stdout and stderr apart,
# and says when the guest crashed (exit 3) or the options were wrong (exit 2).
source "$(dirname "$0")/lib.sh"
"$LAB" -q --out "$tl_dir/seven" --timeout 60 -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' \
  >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
expect_eq "lab/run exit status is the guest command's" "$rc" 7
expect_eq "guest stdout came back on stdout" "$(cat "$tl_dir/stdout")" to-stdout
expect_eq "guest stderr came back on stderr" "$(cat "$tl_dir/stderr")" to-stderr
expect_eq "lab.json outcome" "$(jget "$tl_dir/seven/lab.json" .outcome)" command_failed
expect_eq "lab.json command_status" "$(jget "$tl_dir/seven/lab.json" .command_status)" 7
check "dmesg came back" grep -q 'Linux version' "$tl_dir/seven/dmesg.txt"
lab_timings "$tl_dir/seven"

"$LAB" -q --out "$tl_dir/zero" --timeout 60 -- true
expect_eq "a guest command that succeeds gives exit status 0" "$?" 0

"$LAB" -q --out "$tl_dir/notfound" --timeout 60 -- no-such-command-p2pscope 2>/dev/null
expect_eq "a command missing in the guest gives 127" "$?" 127

"$LAB" -q --out "$tl_dir/crash" --timeout 60 -- sh -c 'echo c >/proc/sysrq-trigger' 2>"$tl_dir/crash.stderr"
expect_eq "a guest kernel panic gives exit status 3" "$?" 3
expect_eq "lab.json outcome" "$(jget "$tl_dir/crash/lab.json" .outcome)" guest_crash
check "stderr says GUEST CRASH and shows the panic" bash -c "grep -q 'GUEST CRASH' '$tl_dir/crash.stderr' && grep -q 'Kernel panic' '$tl_dir/crash.stderr'"

"$LAB" --no-such-option -- true 2>"$tl_dir/bad"
rc=$?
expect_eq "a bad option gives exit status 2" "$rc" 2
expect_eq "a bad option gives one line on stderr" "$(wc -l <"$tl_dir/bad")" 1
tl_finish
