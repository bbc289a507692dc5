#!/usr/bin/env bash
# qualify's aer check against a real error: while the guest qualifies its
# three NVMe pairs, the host injects a correctable error (BadTLP) at the root
# port above the switch (rp-sw, 0000:00:01.0) through QEMU's
# pcie_aer_inject_error, during the first pair's measurement. The port latches
# it in its AER status register (this QEMU signals no message to the guest's
# AER driver, so Linux's counters stay at 0, as where firmware owns AER);
# exactly that pair's aer check fails naming the port and the error. The pairs
# measured afterwards, with the same port on their paths, pass: the state is
# compared around each pair's own measurements.
source "$(dirname "$0")/lib.sh"
tl_build 6.1
sock=$tl_dir/mon.sock
# The first pair's map measurement lasts 12 s: a window the injection cannot miss.
echo '{"map": {"seconds": 12}}' >"$tl_dir/aer-thresholds.json"
"$LAB" -q --out "$tl_dir/run" --timeout 300 --monitor-socket "$sock" --add "$ko" --add "$bin" \
  --add "$tl_dir/aer-thresholds.json" --add "$tl_repo/tests/lab/guest/qualify_aer.sh" -- sh qualify_aer.sh \
  >"$tl_dir/stdout" 2>"$tl_dir/stderr" &
labpid=$!
ready=0
for _ in $(seq 1 1200); do
  grep -q LAB-QUALIFY-AER-READY "$tl_dir/run/console.log" 2>/dev/null && { ready=1; break; }
  kill -0 $labpid 2>/dev/null || break
  sleep 0.25
done
expect_eq "guest loaded the module and started qualify" "$ready" 1
sleep 4  # into the first pair's 12 s map measurement
reply=$("$HMP" "$sock" pcie_aer_inject_error -c rp-sw BAD_TLP 2>&1)
expect_eq "pcie_aer_inject_error -c rp-sw BAD_TLP accepted ($reply)" "$?" 0
wait $labpid
sed 's/^/  guest | /' "$tl_dir/stdout"
r=$tl_dir/run/results/qualify.json
pair() { echo ".pairs[] | select(.a == \"$1\" and .b == \"$2\")"; }
aer() { echo "$(pair "$1" "$2") | [.checks[] | select(.check == \"aer\")][0]"; }

jcheck "first pair (CMB, peer): aer fails, naming the root port and BadTLP" "$r" \
  "$(aer 0000:03:00.0 0000:04:00.0) | .result == \"fail\" and (.reason | test(\"^AER errors during the measurements: 0000:00:01.0: latched BadTLP\")) and (.remedy | length > 0)"
for p in "0000:03:00.0 0000:05:00.0" "0000:04:00.0 0000:05:00.0"; do
  jcheck "later pair through the same port ($p): aer passes, the error came before its measurements" "$r" \
    "$(aer $p) | .result == \"pass\" and (.reason | test(\"no new AER error\"))"
done
tl_finish
