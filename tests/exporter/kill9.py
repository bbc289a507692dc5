#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.kill9: kill -9 at random moments while measurements run, then
restart: every result that was exposed before the kill is exposed again.

The daemon runs a topology probe and a map run (which fails: no p2pscope.ko)
every 0.1 s within a 90 % duty cycle, while this test reads /snapshot.json and
/metrics as fast as it can; at a random moment it kills the daemon with
SIGKILL right after a read. A second daemon then starts on the same journal
with the schedule held back (start_delay_s) so that it measures nothing, and
what it serves must include everything the first one served: for each key
the same or a later last run, and no run counter lower. The journal's torn
tail, when the kill tore one, is dropped and counted.

usage: kill9.py P2PSCOPED FIXTURES"""

import os
import random
import sys
import time

from harness import Daemon, check, config, main, samples, value

P2PSCOPED, FIXTURES = sys.argv[1], sys.argv[2]
ROUNDS = 8
KEYS = ("topology", "gpu0-map")


def observe(d):
    """What the daemon exposes now: per key, (finished_unix_s, status) and run counters."""
    snap = d.snapshot()
    metrics = d.metrics()
    seen = {m["key"]: (m["finished_unix_s"], m["status"]) for m in snap["measurements"]}
    runs = {(l["key"], l["status"]): v for l, v in samples(metrics, "p2pscope_measurement_runs_total")}
    last = {l["key"]: v for l, v in samples(metrics, "p2pscope_measurement_last_run_timestamp_seconds")}
    return seen, runs, last


def run(work):
    rng = random.Random(int(os.environ.get("P2PSCOPE_SEED", time.time())))
    xml = os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml")
    measurements = [{"key": "topology", "kind": "topology", "interval_s": 0.1},
                    {"key": "gpu0-map", "kind": "map", "device": "0000:34:00.0", "interval_s": 0.1}]
    busy = config(work, "busy", measurements, duty_cycle=0.9)
    held = config(work, "held", measurements, start_delay_s=3600)
    journal = os.path.join(work.path, "busy.journal")
    # Both configurations share one journal.
    with open(held) as f:
        text = f.read().replace(os.path.join(work.path, "held.journal"), journal)
    with open(held, "w") as f:
        f.write(text)

    dropped = 0
    total_runs = 0
    for round_ in range(ROUNDS):
        d = Daemon(work, "busy-%d" % round_, P2PSCOPED, ["--hwloc-xml", xml, "--config", busy]).wait_ready()
        before = None
        deadline = time.monotonic() + rng.uniform(0.3, 1.5)
        while time.monotonic() < deadline or before is None or len(before[0]) < len(KEYS):
            before = observe(d)
            check(time.monotonic() < deadline + 10, "round %d: no results within 10 s" % round_)
        d.kill9()

        h = Daemon(work, "held-%d" % round_, P2PSCOPED, ["--hwloc-xml", xml, "--config", held]).wait_ready()
        after = observe(h)
        for key in KEYS:
            check(key in after[0], "round %d: %s lost after kill -9" % (round_, key))
            check(after[0][key][0] >= before[0][key][0],
                  "round %d: %s went back from the run that ended at %.6f to %.6f" %
                  (round_, key, before[0][key][0], after[0][key][0]))
            check(after[2][key] >= before[2][key], "round %d: %s last-run series went back" % (round_, key))
        for k, v in before[1].items():
            check(after[1].get(k, -1) >= v, "round %d: runs_total%r went from %d down to %r" % (round_, k, v, after[1].get(k)))
        check(after[0]["gpu0-map"][1] == "failed", "gpu0-map keeps its outcome (failed without the module)")
        m = h.metrics()
        dropped += value(m, "p2pscope_journal_dropped_records")
        total_runs = sum(v for (k, s), v in after[1].items())
        check(value(m, "p2pscope_measurement_last_run_status", key="gpu0-map", status="failed") == 1, "outcome series")
        # The held daemon measured nothing: what it serves came from the journal.
        check(value(m, "p2pscope_measurement_busy_seconds_total") == 0, "the held daemon measured")
        check(h.stop() == 0, "held daemon exit status")
    print("%d kills, %d runs kept, %d torn records dropped" % (ROUNDS, total_runs, dropped))


main(run)
