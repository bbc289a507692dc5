#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.promtool: `promtool check metrics` (Prometheus' linter) passes on
what p2pscoped serves, for every kind of input and with every family present:
link registers, IOMMU groups, pairs, measurement outcomes, map latency
summaries (replayed from a journal written here in p2pscoped's format, since
this machine has no p2pscope.ko to measure them), and every transfer family
(a real cpu-engine run through a file, and a waived one).

usage: promtool_check.py P2PSCOPED FIXTURES"""

import json
import os
import subprocess
import sys

from harness import (Daemon, check, config, http_get, journal_line, main, map_journal_record, parse_exposition,
                     samples, value, wait_for)

P2PSCOPED, FIXTURES = sys.argv[1], sys.argv[2]
PROMTOOL = os.environ.get("PROMTOOL", "/usr/bin/promtool")


def promtool(name, text):
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
          "%s: promtool check metrics (exit %d):\n%s%s" % (name, r.returncode, r.stdout, r.stderr))


def run(work):
    laptop = os.path.join(work.path, "laptop")
    os.mkdir(laptop)
    subprocess.run(["tar", "-xzf", os.path.join(FIXTURES, "sysfs-snapshot/linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d.tar.gz"),
                    "-C", laptop], check=True)
    # The DGX-2 with a map result in its journal; the schedule holds off for an
    # hour so that the replayed result is what gets served.
    cfg = config(work, "dgx2", [{"key": "topology", "kind": "topology", "interval_s": 60},
                                {"key": "gpu0-map", "kind": "map", "device": "0000:34:00.0", "interval_s": 60}],
                 start_delay_s=3600)
    with open(os.path.join(work.path, "dgx2.journal"), "wb") as f:
        f.write(journal_line(map_journal_record(1, "gpu0-map")))
    data = work.file("xfer-data", "\0" * 65536)
    xfer_cfg = config(work, "xfer", [
        {"key": "file-write", "kind": "transfer", "engine": "cpu", "file": data, "direction": "write", "width": "all",
         "iterations": 20, "interval_s": 60},
        {"key": "missing-bar", "kind": "transfer", "engine": "cpu", "device": "00fe:1f:1f.7", "bar": 0, "interval_s": 60}])
    inputs = {
        "dgx2": ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml"), "--config", cfg],
        "x58": ["--lspci-dump", os.path.join(FIXTURES, "lspci-dump/tree-asus-p6t6")],
        "laptop": ["--sysfs-root", laptop, "--config", config(work, "laptop", [
            {"key": "qualify", "kind": "qualify", "baseline": os.path.join(work.path, "x58-topo.json")}])],
        "power8": ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/power8gpudistances.xml"), "--class", "all"],
        "xfer": ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml"), "--config", xfer_cfg],
    }
    for name, args in inputs.items():
        d = Daemon(work, name, P2PSCOPED, args).wait_ready()
        if name == "x58":  # the laptop's qualify compares it with this machine: a baseline with differences
            with open(os.path.join(work.path, "x58-topo.json"), "w") as f:
                json.dump(d.snapshot()["topology"], f)
        if name == "laptop":
            wait_for(lambda: 'p2pscope_qualify_baseline_differences{' in http_get(d.url("/metrics"))[1], 30,
                     "the qualify run")
        if name == "xfer":
            wait_for(lambda: all(k in http_get(d.url("/metrics"))[1] for k in ('key="file-write"', 'key="missing-bar"')),
                     30, "both transfers to have run")
        status, text = http_get(d.url("/metrics"))
        check(status == 200, name + ": /metrics answered %d" % status)
        promtool(name, text)
        exposition = parse_exposition(text)
        if name == "dgx2":
            # The summary as Prometheus reads it: quantiles of the latest run in seconds, count and sum of all runs.
            check(value(exposition, "p2pscope_map_latency_seconds", key="gpu0-map", op="map", quantile="0.99") == 900e-9,
                  "p99 in seconds")
            check(value(exposition, "p2pscope_map_latency_seconds_count", key="gpu0-map", op="map") == 400000, "count")
            check(abs(value(exposition, "p2pscope_map_latency_seconds_sum", key="gpu0-map", op="unmap") - 0.061) < 1e-12,
                  "sum")
            check(value(exposition, "p2pscope_measurement_runs_total", key="gpu0-map", status="ok") == 4, "runs")
            check(value(exposition, "p2pscope_journal_replayed_records") == 1, "replayed")
        if name == "x58":
            check(samples(exposition, "p2pscope_pcidevice_link_degraded"), "link series")
        if name == "laptop":
            check(len(samples(exposition, "p2pscope_iommu_group_info")) == 15, "IOMMU groups")
            check(value(exposition, "p2pscope_qualify_result", key="qualify", result="fail") == 1, "qualify fails")
            check(value(exposition, "p2pscope_qualify_baseline_differences", key="qualify") > 0, "differs from x58")
        if name == "xfer":
            for family in ("info", "status", "bandwidth_bytes_per_second", "latency_seconds_count",
                           "latency_min_seconds", "latency_max_seconds", "last_run_transfers", "verified", "bytes_total"):
                check(samples(exposition, "p2pscope_transfer_" + family, key="file-write"), "transfer family " + family)
            check(value(exposition, "p2pscope_transfer_info", key="missing-bar", status="waived") == 1, "waived")
        check(d.stop() == 0, name + ": exit status")
    print("promtool check metrics: clean on %s" % ", ".join(inputs))


main(run)
