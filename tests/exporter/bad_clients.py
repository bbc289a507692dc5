#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.bad_clients: malformed requests, oversized heads, clients that
send one byte a second or nothing at all. Each gets an error status or a
closed connection within the request timeout, a well-behaved scraper keeps
being served throughout, and the daemon's memory stays flat over rounds
of abuse after the first.

usage: bad_clients.py P2PSCOPED FIXTURES"""

import os
import select
import socket
import sys
import threading
import time

from harness import Daemon, check, config, http_get, main

P2PSCOPED, FIXTURES = sys.argv[1], sys.argv[2]
TIMEOUT_S = 2  # --http-timeout
ROUNDS = int(os.environ.get("P2PSCOPE_ABUSE_ROUNDS", "3"))

MALFORMED = {
    "garbage": b"\x00\xff\xfe garbage\r\n\r\n",
    "no version": b"GET /metrics\r\n\r\n",
    "unknown version": b"GET /metrics HTTP/9.9\r\n\r\n",
    "header without colon": b"GET /metrics HTTP/1.1\r\nfoo\r\n\r\n",
    "100 KB header": b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
    "20 KB URI": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    "absolute URI": b"GET http://elsewhere/metrics HTTP/1.1\r\n\r\n",
    "POST": b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    "DELETE": b"DELETE /snapshot.json HTTP/1.1\r\n\r\n",
    "unknown path": b"GET /../../etc/passwd HTTP/1.1\r\n\r\n",
    "negative length": b"POST /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    "huge length": b"POST /metrics HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
    "chunked garbage": b"POST /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n",
    "head cut short": b"GET /metrics HTTP/1.1\r\nHost: x\r\n",
    "nothing": b"",
}
# Incomplete requests: civetweb waits for the rest until --http-timeout.
WAIT_FOR_TIMEOUT = {"head cut short", "nothing", "huge length", "chunked garbage"}


def exchange(port, raw, limit_s):
    """Sends raw, reads until close; (status line or '', seconds). Fails past limit_s."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit_s) as s:
        try:
            s.sendall(raw)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            check(False, "no answer and no close within %.0f s for %r" % (limit_s, raw[:40]))
    return data.split(b"\r\n", 1)[0].decode("latin-1"), time.monotonic() - t0


def slow_client(port, results):
    """One byte a second of a valid request; the daemon must drop it at the request timeout."""
    request = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: one-byte-a-second\r\n\r\n"
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S + 5) as s:
        for b in request:
            try:
                s.send(bytes([b]))
            except OSError:
                break
            # Wait a second for the next byte, or for the daemon to answer or close.
            readable, _, _ = select.select([s], [], [], 1.0)
            if readable or time.monotonic() - t0 > TIMEOUT_S + 5:
                break
    results.append(time.monotonic() - t0)


def run(work):
    cfg = config(work, "abuse", [{"key": "topology", "kind": "topology", "interval_s": 0.2}], duty_cycle=0.5)
    d = Daemon(work, "abuse", P2PSCOPED, ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml"),
                                          "--config", cfg, "--http-timeout", str(TIMEOUT_S),
                                          "--http-threads", "8"]).wait_ready()
    for _ in range(50):
        check(http_get(d.url("/metrics"))[0] == 200, "warm-up scrape")
    rss = [d.rss_bytes()]

    for round_ in range(1, ROUNDS + 1):
        stop = threading.Event()
        good = []

        def scraper():
            while not stop.is_set():
                t0 = time.monotonic()
                status, body = http_get(d.url("/metrics"), timeout_s=10)
                good.append((status, time.monotonic() - t0, "p2pscope_pair_info" in body))
                time.sleep(0.02)

        slow = []
        threads = [threading.Thread(target=scraper)]
        threads += [threading.Thread(target=slow_client, args=(d.port, slow)) for _ in range(4)]
        for t in threads:
            t.start()
        answers = {}
        # Every malformed request ten times, from two threads at once; those
        # the daemon can only drop at the timeout once each.
        def abuser(results):
            for i in range(10):
                for name, raw in MALFORMED.items():
                    if i == 0 or name not in WAIT_FOR_TIMEOUT:
                        results.setdefault(name, []).append(exchange(d.port, raw, TIMEOUT_S + 4))

        abusers = [threading.Thread(target=abuser, args=(answers,)) for _ in range(2)]
        for t in abusers:
            t.start()
        for t in abusers:
            t.join(timeout=300)
        for t in threads[1:]:
            t.join(timeout=60)
        stop.set()
        threads[0].join(timeout=30)
        check(not any(t.is_alive() for t in threads + abusers), "a client thread did not finish")

        for name, got in answers.items():
            statuses = {s for s, _ in got}
            for status, seconds in got:
                check(seconds <= TIMEOUT_S + 2, "%s: answered after %.1f s" % (name, seconds))
                if name in ("absolute URI", "nothing"):
                    check(status == "" or " 400 " in status, "%s: %r" % (name, status))
                else:
                    code = int(status.split()[1]) if status.startswith("HTTP/") else 0
                    check(400 <= code < 600, "%s: %r" % (name, status))
            if round_ == 1:
                print("%-22s -> %s" % (name, ", ".join(sorted(s or "(closed)" for s in statuses))))
        check(len(slow) == 4 and all(s <= TIMEOUT_S + 2 for s in slow), "slow clients dropped after %r s" % slow)
        check(len(good) >= 20, "only %d scrapes got through" % len(good))
        check(all(s == 200 and whole for s, _, whole in good), "a good scrape failed")
        worst = max(t for _, t, _ in good)
        check(worst < TIMEOUT_S + 1, "a good scrape took %.2f s during the abuse: it waited behind a bad client" % worst)
        rss.append(d.rss_bytes())
        print("round %d: %d good scrapes (worst %.0f ms), slow clients dropped after %.1f s, RSS %.1f MB" %
              (round_, len(good), worst * 1000, max(slow), rss[-1] / 1e6))
    # Bounded: the first round may grow the heap to what abuse needs; later
    # rounds reuse it.
    check(max(rss) < 40e6, "RSS reached %.1f MB" % (max(rss) / 1e6))
    check(rss[-1] - rss[1] < 4e6, "RSS keeps growing: %s MB" % ", ".join("%.1f" % (r / 1e6) for r in rss))
    check(d.stop() == 0, "exit status on SIGTERM")


main(run)
