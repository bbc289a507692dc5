#!/usr/bin/env bash
# lab/run runs QEMU on one host CPU with single-threaded TCG (--host-cpu auto):
# every QEMU thread's affinity is that CPU, lab.json names it, and a CPU that
# another lab run holds (its lock) is passed over for a free one. --host-cpu
# any leaves QEMU unpinned; a CPU this process may not use is bad input.
# (The locks live under $XDG_RUNTIME_DIR: here a directory of the test's own,
# so that other lab runs on this host cannot take the CPU it expects.)
source "$(dirname "$0")/lib.sh"
mapfile -t cpus < <(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' |
  awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }')
if [ ${#cpus[@]} -lt 2 ]; then echo "SKIP: $tl_name needs two host CPUs"; exit 77; fi
export XDG_RUNTIME_DIR=$tl_dir/runtime
mkdir -p "$XDG_RUNTIME_DIR/p2pscope-lab-cpus"

# The first CPU held, as another lab run would hold it: the run takes the second.
exec {held}>>"$XDG_RUNTIME_DIR/p2pscope-lab-cpus/cpu-${cpus[0]}.lock"
flock -n "$held" || { notok "the test could take its own lock"; tl_finish; }
"$LAB" -q --out "$tl_dir/pinned" --timeout 120 -- sleep 8 &
lab=$!
pids=
for _ in $(seq 1 60); do
  pids=$(pgrep -f "[q]emu-system-x86_64 .*file:$tl_dir/pinned/console.log" | tr '\n' ' ')
  [ -n "$pids" ] && break; sleep 0.5
done
threads=$(for p in $pids; do ls "/proc/$p/task" 2>/dev/null; done)
sleep 4   # the guest is booting: QEMU has started its other threads
affinity=$(for p in $pids; do for t in $(ls "/proc/$p/task" 2>/dev/null); do taskset -pc "$t" 2>/dev/null | sed 's/.*: //'; done; done | sort -u | tr '\n' ' ')
wait "$lab"
expect_eq "the pinned run completed" "$?" 0
check "QEMU was seen running" test -n "$threads"
expect_eq "every thread of QEMU runs on the second CPU, the first being held" "$affinity" "${cpus[1]} "
expect_eq "lab.json names that CPU" "$(jget "$tl_dir/pinned/lab.json" .host_cpu)" "${cpus[1]}"
exec {held}>&-

"$LAB" -q --out "$tl_dir/any" --host-cpu any --timeout 60 -- true
expect_eq "--host-cpu any: the run completed" "$?" 0
expect_eq "--host-cpu any: lab.json has no CPU" "$(jget "$tl_dir/any/lab.json" .host_cpu)" null

"$LAB" --host-cpu 100000 -- true 2>"$tl_dir/bad"
expect_eq "a CPU this process may not use gives exit status 2" "$?" 2
expect_eq "... and one line on stderr" "$(wc -l <"$tl_dir/bad")" 1
tl_finish
