#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.prometheus_e2e: a real Prometheus server (Debian's) on loopback
scrapes three p2pscoped daemons every second: a DGX-2 (hwloc XML) with
scheduled measurements (a map run, a real transfer by p2pscope xfer's cpu
engine through a file mapped shared, a transfer waived for a missing device), an X58 machine (lspci dump) with link registers, a
laptop (sysfs tree) with IOMMU groups. Queries to Prometheus' HTTP API must
then return p2pscope series with the expected labels and values.

usage: prometheus_e2e.py P2PSCOPED FIXTURES"""

import json
import os
import subprocess
import sys
import urllib.parse

from harness import Child, Daemon, check, config, free_port, http_get, main, wait_for

P2PSCOPED, FIXTURES = sys.argv[1], sys.argv[2]
PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")


def run(work):
    laptop = os.path.join(work.path, "laptop")
    os.mkdir(laptop)
    subprocess.run(["tar", "-xzf", os.path.join(FIXTURES, "sysfs-snapshot/linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d.tar.gz"),
                    "-C", laptop], check=True)
    data = work.file("xfer-data", "\0" * 65536)  # the cpu engine's memory "file", as tests/xfer/file_cases.sh
    cfg = config(work, "dgx2", [
        {"key": "topology", "kind": "topology", "interval_s": 0.5},
        {"key": "gpu0-map", "kind": "map", "device": "0000:34:00.0", "interval_s": 0.5},
        {"key": "file-read", "kind": "transfer", "engine": "cpu", "file": data, "size": "64K", "width": "8,memcpy",
         "iterations": 50, "interval_s": 0.5},
        {"key": "missing-bar", "kind": "transfer", "engine": "cpu", "device": "00fe:1f:1f.7", "bar": 0, "seconds": 0.1,
         "interval_s": 0.5},
    ], duty_cycle=0.5)
    daemons = {
        "dgx2": Daemon(work, "dgx2", P2PSCOPED, ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml"),
                                                 "--config", cfg]),
        "x58": Daemon(work, "x58", P2PSCOPED, ["--lspci-dump", os.path.join(FIXTURES, "lspci-dump/tree-asus-p6t6")]),
        "laptop": Daemon(work, "laptop", P2PSCOPED, ["--sysfs-root", laptop]),
    }
    for d in daemons.values():
        d.wait_ready()

    port = free_port()
    scrape_configs = [{"job_name": job, "static_configs": [{"targets": ["127.0.0.1:%d" % d.port]}]}
                      for job, d in daemons.items()]
    # JSON is YAML: Prometheus reads this as its configuration.
    prom_cfg = work.file("prometheus.yml", json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": scrape_configs}))
    prom = Child(work, "prometheus", [PROMETHEUS, "--config.file=" + prom_cfg,
                                      "--storage.tsdb.path=" + os.path.join(work.path, "tsdb"),
                                      "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"])
    api = "http://127.0.0.1:%d" % port

    def query(expr):
        check(prom.alive(), "prometheus exited: " + prom.log_text())
        _, body = http_get(api + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        doc = json.loads(body)
        check(doc["status"] == "success", "query %s: %s" % (expr, body))
        return doc["data"]["result"]

    def scalar(expr):
        r = query(expr)
        check(len(r) == 1, "%s: %d results, expected one: %s" % (expr, len(r), r))
        return float(r[0]["value"][1])

    wait_for(lambda: http_get(api + "/-/ready")[0] == 200, 60, "Prometheus to be ready", 0.2)
    wait_for(lambda: len(query("up == 1")) == 3, 30, "three targets up", 0.2)
    # A few scrape intervals, and the measurements have run.
    wait_for(lambda: query('p2pscope_measurement_runs_total{job="dgx2",key="topology",status="ok"} >= 3'), 30,
             "three topology runs seen through Prometheus", 0.2)

    # The DGX-2's 16 GPUs: 120 pairs, by path class and P2PDMA verdict.
    check(scalar('count(p2pscope_pair_info{job="dgx2"})') == 120, "120 pairs")
    by = {(r["metric"]["path"], r["metric"]["verdict"]): float(r["value"][1])
          for r in query('count by (path, verdict) (p2pscope_pair_info{job="dgx2"})')}
    check(by == {("PIX", "unknown"): 8, ("PXB", "unknown"): 16, ("NODE", "THRU_HOST_BRIDGE"): 32,
                 ("SYS", "THRU_HOST_BRIDGE"): 64}, "pairs by class: %r" % by)
    pix = query('p2pscope_pair_info{job="dgx2",a="0000:34:00.0",b="0000:36:00.0"}')
    check(len(pix) == 1 and pix[0]["metric"]["path"] == "PIX", "34:00.0-36:00.0 is PIX: %r" % pix)
    check(scalar('p2pscope_pairs{job="dgx2",path="SYS",verdict="THRU_HOST_BRIDGE"}') == 64, "p2pscope_pairs")
    check(scalar('count(p2pscope_pcidevice_info{job="dgx2",kind="gpu",vendor_id="10de"})') == 16, "16 NVIDIA GPUs")

    # Link registers of the X58 machine: x16 links, and a x16-capable port trained at x8 because its device is x8:
    # not degraded (a link trains to what both its ends support).
    check(scalar('p2pscope_pcidevice_current_link_width{job="x58",segment="0000",bus="02",device="00",function="0"}') == 16,
          "02:00.0 runs x16")
    check(scalar('p2pscope_pcidevice_link_degraded{job="x58",bus="03",device="00",function="0"}') == 0,
          "03:00.0 (x8 device in a x16 port) not degraded")
    check(scalar('p2pscope_pcidevice_max_link_width{job="x58",bus="03",device="00",function="0"}') == 16, "03:00.0 max x16")
    # node_exporter's pcidevice labels: series join on them.
    joined = query('p2pscope_pcidevice_current_link_width{job="x58"} * on (job, segment, bus, device, function) '
                   'group_left (vendor_id, device_id) p2pscope_pcidevice_info{job="x58"}')
    check(len(joined) >= 5 and all("vendor_id" in r["metric"] for r in joined), "join on pcidevice labels: %r" % joined[:2])

    # The laptop's IOMMU groups.
    check(scalar('count(p2pscope_iommu_group_info{job="laptop"})') == 15, "15 IOMMU groups")
    check(scalar('sum(p2pscope_iommu_group_devices{job="laptop"})') == 23, "23 functions in groups")

    # Collectors' own series; the map collector fails without the module, the rest succeed.
    check(scalar('p2pscope_scrape_collector_success{job="dgx2",collector="map"}') == 0, "map fails without p2pscope.ko")
    check(scalar('sum(p2pscope_scrape_collector_success{job="dgx2"})') == 7, "seven collectors succeed")
    check(len(query('p2pscope_scrape_collector_duration_seconds{job="dgx2"}')) == 8, "a duration per collector")
    # The map run's outcome and time.
    check(scalar('p2pscope_measurement_last_run_status{job="dgx2",key="gpu0-map",kind="map",status="failed"}') == 1,
          "gpu0-map failed")
    check(scalar('p2pscope_measurement_runs_total{job="dgx2",key="gpu0-map",status="failed"}') >= 1, "failed runs counted")
    check(scalar('time() - p2pscope_measurement_last_run_timestamp_seconds{job="dgx2",key="topology"}') < 30,
          "last run is recent")
    check(scalar('p2pscope_build_info{job="dgx2"}') == 1, "build info")

    # Real data moved by the cpu engine through a file, per access width, back through Prometheus.
    wait_for(lambda: query('p2pscope_measurement_runs_total{job="dgx2",key="file-read",status="ok"} >= 2'), 30,
             "two transfer runs seen through Prometheus", 0.2)
    for width in ("8-byte", "memcpy"):
        sel = 'job="dgx2",key="file-read",engine="cpu",label="%s",direction="read",memory="file"' % width
        bw = scalar('p2pscope_transfer_bandwidth_bytes_per_second{%s}' % sel)
        check(bw > 1e6, "%s: bandwidth %r bytes/s" % (width, bw))
        print("  file-read %s: %.2f GB/s through Prometheus" % (width, bw / 1e9), flush=True)
        check(scalar('p2pscope_transfer_verified{%s}' % sel) == 1, width + " verified")
        check(scalar('p2pscope_transfer_last_run_transfers{%s}' % sel) == 50, width + ": 50 transfers in the latest run")
        check(scalar('p2pscope_transfer_latency_seconds{%s,quantile="0.5"}' % sel) > 0, width + ": p50 latency")
        check(scalar('p2pscope_transfer_latency_seconds_count{%s}' % sel) >= 100, width + ": transfers over every run")
        check(scalar('p2pscope_transfer_bytes_total{%s}' % sel) >= 100 * 65536, width + ": bytes over every run")
    # The transfer an engine cannot serve here: waived, with no bandwidth at all (not a zero).
    check(scalar('p2pscope_transfer_info{job="dgx2",key="missing-bar",engine="cpu",status="waived"}') == 1,
          "missing-bar waived")
    check(scalar('p2pscope_measurement_last_run_status{job="dgx2",key="missing-bar",status="waived"}') == 1,
          "missing-bar's run waived")
    check(query('p2pscope_transfer_bandwidth_bytes_per_second{job="dgx2",key="missing-bar"}') == [],
          "no bandwidth series for a waived transfer")
    reason = [m["reason"] for m in daemons["dgx2"].snapshot()["measurements"] if m["key"] == "missing-bar"]
    check(reason == ["no PCI function 00fe:1f:1f.7 on this system"], "the waiver's reason: %r" % reason)
    check(daemons["dgx2"].snapshot()["boot_id"] is None, "a daemon serving saved data names no machine (boot_id null)")

    check(prom.stop() == 0, "prometheus exit status")
    for name, d in daemons.items():
        check(d.stop() == 0, "%s: exit status on SIGTERM: %s" % (name, d.log_text()))


main(run)
