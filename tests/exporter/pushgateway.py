#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.pushgateway: push mode for CI. p2pscoped runs every configured
measurement once (a qualification among them), pushes the metrics to a Pushgateway (Debian's
prometheus-pushgateway, on loopback) under job/instance labels and exits 0,
leaving the journal alone; a gateway that does not answer is one line and
exit status 3.

usage: pushgateway.py P2PSCOPED FIXTURES"""

import os
import subprocess
import sys

from harness import Child, check, config, free_port, http_get, main, parse_exposition, value, wait_for

P2PSCOPED, FIXTURES = sys.argv[1], sys.argv[2]
PUSHGATEWAY = os.environ.get("PUSHGATEWAY", "/usr/bin/prometheus-pushgateway")


def run(work):
    port = free_port()
    # Debian's build persists to /var/lib/prometheus by default: keep it in memory.
    gw = Child(work, "pushgateway", [PUSHGATEWAY, "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn",
                                     "--persistence.file="])
    gateway = "http://127.0.0.1:%d" % port
    wait_for(lambda: http_get(gateway + "/-/ready")[0] == 200, 30, "the Pushgateway to be ready", 0.1)

    cfg = config(work, "ci", [{"key": "topology", "kind": "topology", "interval_s": 3600},
                              {"key": "gpu0-map", "kind": "map", "device": "0000:34:00.0", "interval_s": 3600},
                              {"key": "qualify", "kind": "qualify", "interval_s": 3600}])
    xml = os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml")
    r = subprocess.run([P2PSCOPED, "--hwloc-xml", xml, "--config", cfg, "--push-gateway", gateway, "--push-job", "ci",
                        "--push-instance", "runner-1"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and not r.stderr, "push: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    check("topology: ok" in r.stdout and "gpu0-map: failed (" in r.stdout and "qualify: ok" in r.stdout,
          "push: outcomes on stdout:\n" + r.stdout)
    check("pushed to %s (job ci)" % gateway in r.stdout, "push: says where it pushed:\n" + r.stdout)
    check(not os.path.exists(os.path.join(work.path, "ci.journal")), "push mode leaves the journal alone")

    _, text = http_get(gateway + "/metrics")
    e = parse_exposition(text)
    grouping = {"job": "ci", "instance": "runner-1"}
    check(value(e, "p2pscope_pair_info", a="0000:34:00.0", b="0000:36:00.0", path="PIX", **grouping) == 1, "a pair")
    check(value(e, "p2pscope_pairs", path="SYS", verdict="THRU_HOST_BRIDGE", **grouping) == 64, "pairs by class")
    check(value(e, "p2pscope_measurement_last_run_status", key="gpu0-map", status="failed", **grouping) == 1, "map outcome")
    check(value(e, "p2pscope_measurement_runs_total", key="topology", status="ok", **grouping) == 1, "one run each")
    check(value(e, "p2pscope_scrape_collector_success", collector="map", **grouping) == 0, "map collector failed")
    # The CI job's qualification: the DGX-2's GPU pairs, verdicts from the XML, measurements waived (saved data).
    check(value(e, "p2pscope_qualify_result", key="qualify", result="pass_with_waivers", **grouping) == 1,
          "qualify verdict")
    check(value(e, "p2pscope_qualify_pairs", key="qualify", result="fail", **grouping) == 0, "no pair fails")
    check(value(e, "p2pscope_qualify_pairs", key="qualify", result="pass", **grouping) > 0, "pairs pass")
    check(value(e, "push_time_seconds", **grouping) > 0, "the gateway took the push")

    # A second push replaces the group, it does not add to it.
    r = subprocess.run([P2PSCOPED, "--hwloc-xml", xml, "--push-gateway", gateway, "--push-job", "ci",
                        "--push-instance", "runner-1", "--no-collector.measurement"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "second push: exit %d\n%s" % (r.returncode, r.stderr))
    e = parse_exposition(http_get(gateway + "/metrics")[1])
    check(not [s for s in e if s[0] == "p2pscope_measurement_runs_total"], "the group was replaced")

    # Nobody listening: one line, exit status 3 (the job cannot be done here).
    r = subprocess.run([P2PSCOPED, "--hwloc-xml", xml, "--push-gateway", "http://127.0.0.1:%d" % free_port()],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 3, "push to nobody: exit %d" % r.returncode)
    check(r.stderr.count("\n") == 1 and r.stderr.startswith("p2pscoped: push to http://127.0.0.1:"),
          "push to nobody: one line: %r" % r.stderr)
    check(gw.stop() == 0, "pushgateway exit status")


main(run)
