#!/usr/bin/env bash
# lab/run runs QEMU on one host CPU with single-threaded TCG (--host-cpu auto):
# every QEMU thread's affinity is that CPU, the booting line and lab.json name
# it, a CPU that another lab run holds (its lock) is passed over for a free
# one, and the run holds its CPU's lock until it ends. --host-cpu any leaves
# QEMU unpinned; a CPU this process may not use is bad input.
# (The locks live under $XDG_RUNTIME_DIR: here a directory of the test's own,
# so that other lab runs on this host cannot take the CPU it expects.)
source "$(dirname "$0")/lib.sh"
tl_dir=$(cd "$tl_dir" && pwd)   # as lab/run writes it in QEMU's command line
mapfile -t cpus < <(lab_host_cpus)
if [ ${#cpus[@]} -lt 2 ]; then echo "SKIP: $tl_name needs two host CPUs"; exit 77; fi
export XDG_RUNTIME_DIR=$tl_dir/runtime
locks=$XDG_RUNTIME_DIR/p2pscope-lab-cpus
mkdir -p "$locks"
held_by_other() { ! flock -n "$locks/cpu-$1.lock" true; }

# The first CPU held, as another lab run would hold it: the run takes the second.
exec {held}>>"$locks/cpu-${cpus[0]}.lock"
flock -n "$held" || { notok "the test could take its own lock"; tl_finish; }
"$LAB" --out "$tl_dir/pinned" --timeout 120 -- sleep 8 2>"$tl_dir/pinned.stderr" &
lab=$!
qemu= threads=0 affinity= lock_held=0
for _ in $(seq 1 480); do   # up to 240 s: lab/run prepares the guest first
  kill -0 "$lab" 2>/dev/null || break
  qemu=$(pgrep -f "^qemu-system-x86_64 .*file:$tl_dir/pinned/console.log" | head -n 1)
  # once the guest runs, QEMU has started its other threads
  if [ -n "$qemu" ] && grep -q 'lab-init: running command' "$tl_dir/pinned/console.log" 2>/dev/null; then
    threads=$(ls "/proc/$qemu/task" | wc -l)
    affinity=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/"$qemu"/task/*/status | sort -u | tr '\n' ' ')
    held_by_other "${cpus[1]}" && lock_held=1
    break
  fi
  sleep 0.5
done
wait "$lab"
expect_eq "the pinned run completed" "$?" 0
check "QEMU ran with its threads ($threads)" test "$threads" -ge 2
expect_eq "every thread of QEMU runs on the second CPU, the first being held" "$affinity" "${cpus[1]} "
expect_eq "the run held the second CPU's lock while QEMU ran" "$lock_held" 1
check "... and let it go when it ended" flock -n "$locks/cpu-${cpus[1]}.lock" true
expect_eq "lab.json names that CPU" "$(jget "$tl_dir/pinned/lab.json" .host_cpu)" "${cpus[1]}"
check "the booting line names it" grep -q "host-cpu=${cpus[1]};" "$tl_dir/pinned.stderr"
exec {held}>&-

"$LAB" -q --out "$tl_dir/any" --host-cpu any --timeout 60 -- true
expect_eq "--host-cpu any: the run completed" "$?" 0
expect_eq "--host-cpu any: lab.json has no CPU" "$(jget "$tl_dir/any/lab.json" .host_cpu)" null

"$LAB" --host-cpu 100000 -- true 2>"$tl_dir/bad"
expect_eq "a CPU this process may not use gives exit status 2" "$?" 2
expect_eq "... and one line on stderr" "$(wc -l <"$tl_dir/bad")" 1
tl_finish
