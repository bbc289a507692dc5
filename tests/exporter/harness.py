# SPDX-License-Identifier: GPL-2.0-or-later
"""What the exporter's end-to-end tests share: p2pscoped and Prometheus'
tools as child processes on loopback, free ports, bounded waits, and a
parser for the text exposition. Standard library only."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout_s, what, interval_s=0.05):
    """Polls predicate() until it returns a true value (returned) or fails the test."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as e:  # not up yet
            last = e
        time.sleep(interval_s)
    fail("timed out after %.0f s waiting for %s (last: %r)" % (timeout_s, what, last))


def http_get(url, timeout_s=10):
    with urllib.request.urlopen(url, timeout=timeout_s) as r:
        return r.status, r.read().decode("utf-8", "replace")


class Workdir:
    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="p2pscoped-%s-" % name)
        self.children = []

    def file(self, name, text=None):
        path = os.path.join(self.path, name)
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        return path

    def cleanup(self):
        for c in self.children:
            c.stop()
        subprocess.run(["rm", "-rf", self.path], check=False)


class Child:
    """A process with its output in a log file, stopped when the test ends."""

    def __init__(self, work, name, argv):
        self.name = name
        self.log_path = work.file(name + ".log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        work.children.append(self)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout_s=20):
        """SIGTERM, then SIGKILL after timeout_s; returns the exit status."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode


class Daemon(Child):
    """p2pscoped on 127.0.0.1, on a port it picks and announces."""

    def __init__(self, work, name, binary, args):
        super().__init__(work, name, [binary, "--listen", "127.0.0.1:0"] + list(args))
        self.port = None

    def wait_ready(self, timeout_s=20):
        def announced():
            check(self.alive(), "%s exited: %s" % (self.name, self.log_text()))
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log_text())
            return int(m.group(1)) if m else None

        self.port = wait_for(announced, timeout_s, self.name + " to listen")
        return self

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def metrics(self):
        status, body = http_get(self.url("/metrics"))
        check(status == 200, "/metrics answered %d" % status)
        return parse_exposition(body)

    def snapshot(self):
        status, body = http_get(self.url("/snapshot.json"))
        check(status == 200, "/snapshot.json answered %d" % status)
        return json.loads(body)

    def rss_bytes(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """[(name, {label: value}, float)] of every sample of a text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            fail("not an exposition line: %r" % line)
        labels = dict(_LABEL.findall(m.group(2) or ""))
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def samples(exposition, name, **labels):
    return [(l, v) for n, l, v in exposition if n == name and all(l.get(k) == str(w) for k, w in labels.items())]


def value(exposition, name, **labels):
    found = samples(exposition, name, **labels)
    check(len(found) == 1, "expected one %s%r, found %d" % (name, labels, len(found)))
    return found[0][1]


def journal_line(record):
    """A journal record as p2pscoped frames it (exporter/lib/journal.cpp)."""
    payload = json.dumps(record, separators=(",", ":")).encode()
    return b"P2J1 %d %08x " % (len(payload), zlib.crc32(payload)) + payload + b"\n"


def map_journal_record(seq, key):
    """A map run's journal record as p2pscoped writes it (what this machine, without p2pscope.ko, cannot measure):
    p99 900 ns over 100 000 maps, five runs of which one failed."""
    latency = {"count": 100000, "min_ns": 180, "p50_ns": 210.5, "p90_ns": 260.0, "p99_ns": 900.0, "p999_ns": 4100.0,
               "max_ns": 52000, "mean_ns": 231.7}
    return {"seq": seq, "key": key, "kind": "map", "started_unix_s": 1700000000.0, "finished_unix_s": 1700000001.0,
            "duration_s": 1.0, "status": "ok", "reason": "",
            "result": {"device": "0000:34:00.0", "peer": None, "api": "map_single", "memory": "ram",
                       "direction": "bidirectional", "size_bytes": 4096, "segments": 1, "threads": 1, "threads_run": 1,
                       "status": "ok", "reason_code": "none", "reason": "", "error": 0, "mode": "exclusive",
                       "iommu_domain_type": "DMA-FQ", "dma_mask": 18446744073709551615, "p2p_map_type": "NONE",
                       "clock": "local", "timer_overhead_ns": 15, "elapsed_ns": 1000000000, "bounced": False,
                       "debug_kernel": False, "kernel_release": "6.1.0-26-amd64", "module_version": "0.1.0",
                       "map": latency, "unmap": dict(latency, p50_ns=150.0)},
            "totals": {"runs": {"ok": 4, "waived": 0, "failed": 1}, "map_samples": 400000, "map_sum_ns": 92680000,
                       "unmap_samples": 400000, "unmap_sum_ns": 61000000, "transfer_bytes": 0, "transfer_samples": 0,
                       "transfer_sum_ns": 0}}


def config(work, name, measurements, **extra):
    doc = {"schema": "p2pscoped.config/1", "journal": {"path": os.path.join(work.path, name + ".journal")},
           "measurements": measurements}
    doc.update(extra)
    return work.file(name + ".json", json.dumps(doc, indent=1))


def main(run):
    """Runs run(work) with a fresh work folder; removes it and the children after."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    work = Workdir(name)
    try:
        run(work)
    finally:
        work.cleanup()
    print("ok: " + name, flush=True)
