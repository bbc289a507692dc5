#!/bin/sh
# Runs inside the lab guest, started by tests/lab/qualify_aer.sh: loads the
# module, announces itself, and qualifies the three NVMe pairs with a long map
# measurement so that the host can inject an AER error during the first pair.
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 4
echo "LAB-QUALIFY-AER-READY"
p2pscope qualify --thresholds /lab/add/aer-thresholds.json --no-transfers --format json \
  >"$P2PSCOPE_RESULTS/qualify.json"
echo "qualify exit status $?"
