#!/bin/sh
# The guest's side of lab.live_view: p2pscope.ko loaded (allow_borrowed=1: the NVMe
# stay bound to nvme, as on a server in production), p2pscoped measuring
# on a schedule (tests/lab/guest/live_view.json, with the lab's BDFs) and
# listening on the guest's network, until the host connects to port 9478 to
# say it has what it wanted. Then p2pscoped stops, its journal and log come
# back, and the module must unload.
set -u
insmod /lab/add/p2pscope.ko allow_borrowed=1 || { echo "FAIL: insmod"; exit 3; }
[ -n "$P2PSCOPE_LAB_ADDR" ] || { echo "FAIL: the guest has no network (lab/run --kernel net --hostfwd)"; exit 3; }
sed -e "s/@SOLO@/$P2PSCOPE_LAB_NVME_SOLO/g" -e "s/@CMB@/$P2PSCOPE_LAB_NVME_CMB/g" \
  /lab/add/live_view.json >/tmp/p2pscoped.json
p2pscoped --config /tmp/p2pscoped.json --listen 0.0.0.0:9477 >"$P2PSCOPE_RESULTS/p2pscoped.log" 2>&1 &
pid=$!
echo "live_view: p2pscoped (pid $pid) serving on $P2PSCOPE_LAB_ADDR:9477"
nc -l -p 9478 </dev/null >/dev/null   # until the host says stop
kill -TERM "$pid"
wait "$pid"
rc=$?
echo "live_view: p2pscoped exited with status $rc"
cp /tmp/p2pscoped.journal "$P2PSCOPE_RESULTS/journal"
rmmod p2pscope || { echo "FAIL: rmmod"; exit 1; }
exit $rc
