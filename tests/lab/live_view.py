#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""lab.live_view: the live view of a real server. p2pscoped runs inside the lab
(the net kernel, p2pscope.ko loaded, -cpu EPYC so that the kernel allows P2P
through the host bridge) with scheduled map and transfer measurements: the
solo NVMe mapping host memory and the CMB's p2pmem, and reading its namespace
into the CMB's p2pmem by the kernel NVMe engine, verified. The host reaches it
through QEMU's user networking (lab/run --hostfwd). A real Prometheus scrapes
it and p2pscope-gui --connect watches it. Checks:
  - every sample Prometheus stored of the map latency and transfer bandwidth
    series is the figure of a run the daemon journaled, and every journaled run
    is a real module run on the lab's kernel (its release, the module's
    version, a P2P mapping through the host bridge, data that verified);
  - the GUI's screenshot has the selected pair's map latency and transfer
    bandwidth plots drawn, and its matrix explains the pair with the label the
    daemon's measurement carries;
  - the daemon stops cleanly, the module unloads, the guest's log is clean.

usage: live_view.py P2PSCOPED GUI CHECKER REPO
P2PSCOPE_LIVE_SCREENSHOT=FILE also saves the screenshot there (the README's)."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

P2PSCOPED, GUI, CHECKER, REPO = sys.argv[1:5]
sys.path.insert(0, os.path.join(REPO, "tests", "exporter"))
from harness import Child, check, fail, free_port, http_get, main, wait_for  # noqa: E402

PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
GUEST = os.path.join(REPO, "tests", "lab", "guest")
MAP_KEYS = ("solo-map_single-ram", "solo-map_sgtable-cmb_p2pmem")
XFER_KEY = "solo-nvme-read-cmb_p2pmem"
RUNS = 4  # runs of each key Prometheus must have seen


def journal_records(path):
    """The records of a p2pscoped journal ("P2J1 LEN CRC JSON" lines)."""
    out = []
    with open(path, "rb") as f:
        for line in f:
            parts = line.rstrip(b"\n").split(b" ", 3)
            check(len(parts) == 4 and parts[0] == b"P2J1", "journal line: %r" % line[:80])
            out.append(json.loads(parts[3]))
    return out


def run(work):
    ko = subprocess.run([os.path.join(REPO, "lab", "build-module.sh"), "net"], check=True,
                        stdout=subprocess.PIPE, text=True).stdout.split()[0]
    out = os.path.join(work.path, "lab")
    boot_timeout = 120
    lab = Child(work, "lab", [os.path.join(REPO, "lab", "run"), "--kernel", "net", "--cpu", "amd",
                              "--boot-timeout", str(boot_timeout),
                              "--hostfwd", "9477", "--hostfwd", "9478", "--out", out, "--timeout", "900",
                              "--add", P2PSCOPED, "--add", ko, "--add", os.path.join(GUEST, "live_view.sh"),
                              "--add", os.path.join(GUEST, "live_view.json"), "--", "sh", "/lab/add/live_view.sh"])

    def forwarded():
        check(lab.alive(), "lab/run ended early: " + lab.log_text()[-3000:])
        with open(os.path.join(out, "hostfwd.txt")) as f:
            ports = dict(line.split() for line in f if line.strip())
        return ports if {"9477", "9478"} <= ports.keys() else None

    # The boot and one retry take up to twice the boot timeout (the ports change with a retried boot); then the
    # module loads and p2pscoped starts.
    def serving():
        ports = forwarded()
        if not ports:
            return None
        status, body = http_get("http://127.0.0.1:%s/metrics" % ports["9477"], timeout_s=5)
        return ports if status == 200 and "p2pscope_build_info" in body else None

    ports = wait_for(serving, 2 * boot_timeout + 120, "p2pscoped in the guest to answer through the forwarded port", 1)
    target = "127.0.0.1:" + ports["9477"]
    print("  p2pscoped in the lab answers at " + target, flush=True)

    # A real Prometheus scrapes the guest's p2pscoped (TCG is slow: 2 s scrapes).
    port = free_port()
    prom_cfg = work.file("prometheus.yml", json.dumps({
        "global": {"scrape_interval": "2s", "scrape_timeout": "2s", "evaluation_interval": "2s"},
        "scrape_configs": [{"job_name": "lab", "static_configs": [{"targets": [target]}]}]}))
    prom = Child(work, "prometheus", [PROMETHEUS, "--config.file=" + prom_cfg,
                                      "--storage.tsdb.path=" + os.path.join(work.path, "tsdb"),
                                      "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"])
    api = "http://127.0.0.1:%d/api/v1/" % port

    def query(expr, kind="query", **params):
        check(prom.alive(), "prometheus exited: " + prom.log_text())
        _, body = http_get(api + kind + "?" + urllib.parse.urlencode(dict(query=expr, **params)))
        doc = json.loads(body)
        check(doc["status"] == "success", "query %s: %s" % (expr, body))
        return doc["data"]["result"]

    wait_for(lambda: http_get("http://127.0.0.1:%d/-/ready" % port)[0] == 200, 60, "Prometheus to be ready", 0.2)
    t0 = time.time()
    # Runs Prometheus itself saw finish: increments of the counter it stored, not the daemon's total.
    for key in MAP_KEYS + (XFER_KEY,):
        wait_for(lambda: query('changes(p2pscope_measurement_runs_total{key="%s",status="ok"}[1h]) >= %d' % (key, RUNS)),
                 300, "%d ok runs of %s seen through Prometheus" % (RUNS, key), 1)

    # The GUI watches the same daemon: the pair (solo maps the CMB's memory), its plots once each has 6 points.
    snap = json.loads(http_get("http://%s/snapshot.json" % target)[1])
    with open("/proc/sys/kernel/random/boot_id") as f:
        host_boot_id = f.read().strip()
    check(snap["boot_id"] and snap["boot_id"] != host_boot_id,
          "the daemon names its machine, not this one, though it answers on loopback: %r" % snap["boot_id"])
    entry = {m["key"]: m for m in snap["measurements"]}
    solo, cmb = entry[MAP_KEYS[1]]["device"], entry[MAP_KEYS[1]]["peer"]  # snapshot entries are flat
    devices = snap["topology"]["devices"]
    check(len([d for d in devices if d["kind"] == "nvme"]) == 3, "the daemon's topology has the lab's three NVMe")
    matrix = [d["bdf"] for d in devices if d["selected"]]  # the pair matrix's rows and columns, in this order
    check(solo in matrix and cmb in matrix, "the pair is in the matrix: %r" % matrix)
    shot = os.path.join(work.path, "gui")
    gui = subprocess.run(
        [os.path.join(REPO, "tests", "gui", "screenshot_test.sh"), shot, CHECKER,
         "--expect", "Live plots=102,191,255~24:40",       # map latency p50
         "--expect", "Live plots=217,115,255~24:40",       # transfer bandwidth
         "--hover-contains", "Map latency of %s mapping memory of %s:" % (solo, cmb),
         "--hover-contains", "map_sgtable p2pmem 64 KiB",
         "--", GUI, "--connect", target, "--interval", "1", "--matrix", "latency", "--select", solo + "," + cmb,
         "--wait-points", "6", "--hover-cell", "%d,%d" % (matrix.index(solo), matrix.index(cmb))],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=420)
    print("\n".join("  gui | " + l for l in gui.stdout.splitlines()[-12:]), flush=True)
    check(gui.returncode == 0, "the GUI's live view of the lab (exit %d)" % gui.returncode)
    if os.environ.get("P2PSCOPE_LIVE_SCREENSHOT"):
        shutil.copyfile(shot + ".png", os.environ["P2PSCOPE_LIVE_SCREENSHOT"])
    t1 = time.time()

    # What Prometheus stored over the run, before the daemon stops.
    def stored(expr):
        found = {}
        for series in query(expr, "query_range", start=t0 - 60, end=t1 + 1, step=1):
            found[json.dumps(series["metric"], sort_keys=True)] = {float(v) for _, v in series["values"]}
        return found

    p99 = stored('p2pscope_map_latency_seconds{job="lab",quantile="0.99",op="map"}')
    bandwidth = stored('p2pscope_transfer_bandwidth_bytes_per_second{job="lab",key="%s"}' % XFER_KEY)
    verified = stored('p2pscope_transfer_verified{job="lab",key="%s"}' % XFER_KEY)

    # Stop: the guest's script waits for a connection on its port 9478.
    with socket.create_connection(("127.0.0.1", int(ports["9478"])), timeout=10):
        pass
    wait_for(lambda: not lab.alive(), 300, "the lab to end after the stop", 0.5)
    rc = lab.stop()
    with open(os.path.join(out, "lab.json")) as f:
        labj = json.load(f)
    with open(os.path.join(out, "stdout.txt")) as f:
        guest_out = f.read()
    print("\n".join("  guest | " + l for l in guest_out.splitlines()), flush=True)
    check(rc == 0 and labj["outcome"] == "ok", "the guest's script: lab/run exit %d, outcome %s" % (rc, labj["outcome"]))
    check("p2pscoped exited with status 0" in guest_out, "p2pscoped stopped cleanly on SIGTERM")
    alerts = labj["kernel_log_alert_lines"]
    check(labj["kernel_log_alerts"] == 0, "the guest's kernel log is clean: %r" % alerts[:5])

    # Every journaled run is a real module run on the lab's kernel.
    kernel = labj["guest"]["kernel_release"]
    records = journal_records(os.path.join(out, "results", "journal"))
    maps = [r for r in records if r["kind"] == "map" and r["key"] in MAP_KEYS]
    xfers = [r for r in records if r["kind"] == "transfer" and r["key"] == XFER_KEY]
    check(len(maps) >= 2 * RUNS and len(xfers) >= RUNS, "journaled runs: %d map, %d transfer" % (len(maps), len(xfers)))
    for r in maps:
        m = r["result"]
        check(r["status"] == "ok" and m["kernel_release"] == kernel and m["module_version"] and m["map"]["count"] > 0,
              "a map run from the module on %s: %s" % (kernel, json.dumps(r)[:400]))
        if m["memory"] == "p2pmem":
            check(m["p2p_map_type"] == "THRU_HOST_BRIDGE" and m["iommu_domain_type"] == "DMA",
                  "the CMB's p2pmem mapped through the host bridge and the IOMMU: %s %s" %
                  (m["p2p_map_type"], m["iommu_domain_type"]))
    for r in xfers:
        x = r["result"]
        rows = x["results"]
        check(r["status"] == "ok" and rows and all(w["status"] == "ok" and w["verified"] for w in rows) and
              x["path"]["p2pdma_verdict"] == "THRU_HOST_BRIDGE",
              "a transfer run that verified, through the host bridge: %s" % json.dumps(r)[:400])

    # Every sample Prometheus stored is the figure of one of those runs.
    journal_p99 = {}
    for r in maps:
        journal_p99.setdefault(r["key"], set()).add(r["result"]["map"]["p99_ns"] / 1e9)
    check(len(p99) == len(MAP_KEYS), "a p99 map latency series per map key in Prometheus: %r" % list(p99))
    for labels, values in p99.items():
        key = json.loads(labels)["key"]
        check(len(values) >= 2, "%s: Prometheus saw the p99 change between runs: %r" % (key, values))
        check(all(any(abs(v - j) <= 1e-12 + 1e-9 * j for j in journal_p99[key]) for v in values),
              "%s: every stored p99 is a journaled run's (%r vs %r)" % (key, sorted(values), sorted(journal_p99[key])))
        print("  %s: p99 map latency %s us over %d distinct runs in Prometheus" %
              (key, "/".join("%.2f" % (v * 1e6) for v in sorted(values)[:6]), len(values)), flush=True)
    journal_bw = {w["bytes_per_second"] for r in xfers for w in r["result"]["results"]}
    check(len(bandwidth) == 1, "one bandwidth series: %r" % list(bandwidth))
    for values in bandwidth.values():
        check(values and all(any(abs(v - j) <= 1e-9 * j for j in journal_bw) for v in values),
              "every stored bandwidth is a journaled run's (%r vs %r)" % (sorted(values), sorted(journal_bw)))
        print("  %s: %s MB/s (verified) in Prometheus" %
              (XFER_KEY, "/".join("%.1f" % (v / 1e6) for v in sorted(values)[:6])), flush=True)
    check(all(v == {1.0} for v in verified.values()) and verified, "the transfer's data verified: %r" % verified)

    # What the GUI said of the pair is one of those runs: its sample count and p99, as the matrix's tooltip showed them.
    with open(shot + ".json") as f:
        hover = json.load(f)["hover"]
    shown = re.findall(r"map_sgtable p2pmem 64 KiB[^\n]*: map p50 [^,]+, p99 ([0-9.]+) (ns|us|µs|ms),[^\n]*"
                       r"\((\d+) samples\)", hover)
    runs = {r["result"]["map"]["count"]: r["result"]["map"]["p99_ns"] for r in maps if r["key"] == MAP_KEYS[1]}
    scale = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6}
    check(shown and all(int(n) in runs and abs(float(v) * scale[u] - runs[int(n)]) <= 0.01 * runs[int(n)] + 1
                        for v, u, n in shown),
          "the GUI's tooltip shows journaled runs of the pair, their p99 too: %r vs %r" % (shown, runs))
    print("  the GUI showed %d run(s) of the pair, e.g. p99 %s %s over %s samples" % ((len(shown),) + shown[0]),
          flush=True)


if __name__ == "__main__":
    if not os.path.exists(PROMETHEUS):
        fail("Prometheus is not installed (%s)" % PROMETHEUS)
    main(run)
