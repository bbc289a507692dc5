#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.fleet_e2e: a fleet of three servers, each a p2pscoped with a qualify
measurement, scraped by a real Prometheus (Debian's) that loads the shipped rules
(exporter/rules/p2pscope.rules.yml):
  good  Supermicro SYS-4029GP-TRT2 (sysfs tree): qualifies, with waivers;
  deg   the same machine with its Vector Engine 0000:1b:00.0 trained at x8 in its x16 slot;
  acs   a root port with ACS request and completion redirect on, a ConnectX-3 below it
        (pciutils' cap-aer-root dump), qualified as that pair.
The alerts must fire (or be pending, for those with a `for`) for exactly the bad
servers and checks. Then every query of the shipped Grafana dashboard
(exporter/dashboards/p2pscope-fleet.json), its template variable included, runs
against that Prometheus and must return data.

usage: fleet_e2e.py P2PSCOPED FIXTURES SOURCE_DIR"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from harness import Child, Daemon, check, config, free_port, http_get, journal_line, main, map_journal_record, wait_for

P2PSCOPED, FIXTURES, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
RULES = os.path.join(SOURCE, "exporter/rules/p2pscope.rules.yml")
DASHBOARD = os.path.join(SOURCE, "exporter/dashboards/p2pscope-fleet.json")
SUPERMICRO = "32intel64-2p8co2t+8ve"


def servers(work):
    """name -> p2pscoped arguments"""
    for name in ("good", "deg"):
        os.mkdir(os.path.join(work.path, name))
        subprocess.run(["tar", "-xjf", os.path.join(FIXTURES, "hwloc-sysfs", SUPERMICRO + ".tar.bz2"),
                        "-C", os.path.join(work.path, name)], check=True)
    with open(os.path.join(work.path, "deg", SUPERMICRO, "sys/bus/pci/devices/0000:1b:00.0/current_link_width"), "w") as f:
        f.write("8\n")
    qualify = [{"key": "qualify", "kind": "qualify", "interval_s": 3600}]
    # The good server also has history: a map run replayed from its journal (no p2pscope.ko here) and a real
    # transfer by the cpu engine through a file, so that the dashboard's latency and bandwidth panels have data.
    data = work.file("xfer-data", "\0" * 65536)
    good_cfg = config(work, "good", qualify + [
        {"key": "gpu0-map", "kind": "map", "device": "0000:1b:00.0", "interval_s": 3600},
        {"key": "file-read", "kind": "transfer", "engine": "cpu", "file": data, "width": "8,memcpy", "iterations": 20,
         "interval_s": 1}], duty_cycle=0.5,
        # The map collector's check opens the module's node: a file stands in for it (its result is replayed).
        device_node=work.file("p2pscope-node", ""))
    with open(os.path.join(work.path, "good.journal"), "wb") as f:
        record = map_journal_record(1, "gpu0-map")
        record["result"]["device"] = "0000:1b:00.0"
        record["started_unix_s"] = record["finished_unix_s"] = time.time()  # not due again for an hour
        f.write(journal_line(record))
    acs_cfg = config(work, "acs", [dict(qualify[0], devices=["00:02.0", "03:00.0"])])
    # Saved topologies: the map collector would only fail for want of the module; it is off but where a map
    # result is replayed.
    common = ["--no-collector.map"]
    return {
        "good": ["--sysfs-root", os.path.join(work.path, "good", SUPERMICRO), "--config", good_cfg],
        "deg": common + ["--sysfs-root", os.path.join(work.path, "deg", SUPERMICRO),
                         "--config", config(work, "deg", qualify)],
        "acs": common + ["--lspci-dump", os.path.join(FIXTURES, "lspci-dump/cap-aer-root"), "--config", acs_cfg],
    }


def run(work):
    daemons = {name: Daemon(work, name, P2PSCOPED, args) for name, args in servers(work).items()}
    for d in daemons.values():
        d.wait_ready()
    for name, d in daemons.items():
        wait_for(lambda: any(m["key"] == "qualify" for m in d.snapshot()["measurements"]), 60, name + "'s qualify run")

    port = free_port()
    targets = [{"targets": ["127.0.0.1:%d" % d.port], "labels": {"instance": name}} for name, d in daemons.items()]
    prom_cfg = work.file("prometheus.yml", json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [RULES],
        "scrape_configs": [{"job_name": "p2pscoped", "static_configs": targets}]}))
    prom = Child(work, "prometheus", [PROMETHEUS, "--config.file=" + prom_cfg,
                                      "--storage.tsdb.path=" + os.path.join(work.path, "tsdb"),
                                      "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"])
    api = "http://127.0.0.1:%d" % port

    def get(path, **params):
        check(prom.alive(), "prometheus exited: " + prom.log_text())
        _, body = http_get(api + path + "?" + urllib.parse.urlencode(params, doseq=True))
        doc = json.loads(body)
        check(doc["status"] == "success", "%s %r: %s" % (path, params, body))
        return doc["data"]

    def query(expr):
        return get("/api/v1/query", query=expr)["result"]

    wait_for(lambda: http_get(api + "/-/ready")[0] == 200, 60, "Prometheus to be ready", 0.2)
    wait_for(lambda: len(query('up{job="p2pscoped"} == 1')) == 3, 30, "three servers up", 0.2)
    rules = get("/api/v1/rules")
    loaded = sorted(r["name"] for g in rules["groups"] for r in g["rules"])
    check(len(loaded) == 9 and "P2pscopeCheckFailed" in loaded, "the shipped rules are loaded: %r" % loaded)

    # What each server's report says, then the alerts: firing where the rule has no `for`, pending where it has.
    expected = {
        ("P2pscopeQualificationFailed", "deg", ""), ("P2pscopeQualificationFailed", "acs", ""),
        ("P2pscopeCheckFailed", "deg", "links"), ("P2pscopeCheckFailed", "acs", "acs"),
        ("P2pscopeLinkDegraded", "deg", ""),
    }

    def alerts():
        return {(a["labels"]["alertname"], a["labels"]["instance"], a["labels"].get("check", "")): a["state"]
                for a in get("/api/v1/alerts")["alerts"]}

    seen = wait_for(lambda: (lambda a: a if set(a) >= expected else None)(alerts()), 30, "the alerts of the bad servers",
                    0.5)
    check(set(seen) == expected, "alerts for exactly the bad servers and checks: %r" % sorted(seen))
    check(seen[("P2pscopeLinkDegraded", "deg", "")] == "pending", "a degraded link alerts after 10 minutes: pending now")
    check(seen[("P2pscopeCheckFailed", "acs", "acs")] == "firing", "a failing check fires at once")
    failing = {(r["metric"]["instance"], r["metric"]["a"], r["metric"]["b"])
               for r in query('p2pscope_qualify_check_result{check="links",result="fail"}')}
    check(failing and all(inst == "deg" and "0000:1b:00.0" in (a, b) for inst, a, b in failing),
          "every failing links check is deg's, on a pair with 1b:00.0: %r" % failing)
    verdicts = {r["metric"]["instance"]: r["metric"]["result"] for r in query("p2pscope_qualify_result == 1")}
    check(verdicts == {"good": "pass_with_waivers", "deg": "fail", "acs": "fail"}, "verdicts: %r" % verdicts)
    # The recording rules evaluate in their own group: wait for the round that saw both bad servers.
    pairs = wait_for(lambda: (lambda p: p if set(p) == {"deg", "acs"} else None)(
        {r["metric"]["instance"]: float(r["value"][1]) for r in query("instance:p2pscope_qualify_failed_pairs:count")}),
        10, "failed pairs recorded for deg and acs", 0.5)
    check(pairs["acs"] == 1 and pairs["deg"] == 11, "failed pairs: %r (deg: 1b:00.0 with each of the other 11)" % pairs)

    # The dashboard: every panel's query and the template variable, with "All" servers selected.
    wait_for(lambda: query('p2pscope_measurement_runs_total{instance="good",key="file-read",status="ok"} >= 2'), 30,
             "two transfer runs", 0.2)
    with open(DASHBOARD) as f:
        dash = json.load(f)
    var = dash["templating"]["list"][0]
    m = re.fullmatch(r"label_values\((\w+), (\w+)\)", var["query"])
    check(m, "template variable query: %r" % var["query"])
    values = get("/api/v1/label/%s/values" % m.group(2), **{"match[]": m.group(1)})
    check(sorted(values) == ["acs", "deg", "good"], "the server variable lists the fleet: %r" % values)
    ran = 0
    for panel in dash["panels"]:
        for t in panel["targets"]:
            expr = t["expr"].replace("$instance", var["allValue"]).replace("$__rate_interval", "1m")

            def data(expr=expr, instant=t.get("instant")):
                if instant:
                    return query(expr)
                now = time.time()
                return get("/api/v1/query_range", query=expr, start=now - 60, end=now, step=5)["result"]

            # A rate needs two scrapes in its window: on a loaded machine, give the data a little time to come.
            wait_for(data, 30, "panel %r: data from %s" % (panel["title"], expr), 0.5)
            ran += 1
    check(ran == 12, "every panel's query ran: %d" % ran)
    print("  %d dashboard queries returned data; alerts: %s" % (ran, sorted(seen)), flush=True)

    check(prom.stop() == 0, "prometheus exit status")
    for name, d in daemons.items():
        check(d.stop() == 0, name + ": exit status")


main(run)
