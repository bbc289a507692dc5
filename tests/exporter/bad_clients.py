#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""exporter.bad_clients: malformed requests, oversized heads, and fifty slow
clients (a byte a second of a head, a GET with a declared body sent a byte a
second, connections that send nothing, all reconnecting when dropped), from
other loopback addresses than a Prometheus-like scraper's. Each bad request
gets its status at once, or the connection closes at the connection timeout;
the scraper's p99 stays close to what it is without the slow clients; one
address cannot hold more than its share of connections, all addresses
together not more than the limit; the daemon's memory stays flat over
rounds of abuse after the first.

usage: bad_clients.py P2PSCOPED FIXTURES"""

import os
import socket
import sys
import threading
import time

from harness import Daemon, check, config, main

P2PSCOPED, FIXTURES = sys.argv[1], sys.argv[2]
TIMEOUT_S = 2  # --http-timeout: a connection's whole life
ROUNDS = int(os.environ.get("P2PSCOPE_ABUSE_ROUNDS", "3"))
SLOW_CLIENTS = 50
PER_CLIENT = 8  # p2pscoped's default --http-per-client
SCRAPER = "127.0.0.1"  # every abuser connects from another loopback address

# name: (request, status it gets at once, or 408 / None (closed) at the timeout)
MALFORMED = {
    "garbage": (b"\x00\xff\xfe garbage\r\n\r\n", 400),
    "no version": (b"GET /metrics\r\n\r\n", 400),
    "unknown version": (b"GET /metrics HTTP/9.9\r\n\r\n", 505),
    "header without colon": (b"GET /metrics HTTP/1.1\r\nfoo\r\n\r\n", 400),
    "100 KB header": (b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n", 431),
    "20 KB URI": (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 431),
    "absolute URI": (b"GET http://elsewhere/metrics HTTP/1.1\r\n\r\n", 400),
    "NUL in the path": (b"GET /metrics%00 HTTP/1.1\r\n\r\n", 404),
    "POST": (b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405),
    "DELETE": (b"DELETE /snapshot.json HTTP/1.1\r\n\r\n", 405),
    "unknown method": (b"BREW /metrics HTTP/1.1\r\n\r\n", 405),
    "unknown path": (b"GET /../../etc/passwd HTTP/1.1\r\n\r\n", 404),
    "negative length": (b"POST /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 405),
    "huge length": (b"POST /metrics HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 405),
    "chunked garbage": (b"POST /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n", 405),
    "GET with a body": (b"GET /metrics HTTP/1.1\r\nContent-Length: 100000\r\n\r\nab", 200),
    "head cut short": (b"GET /metrics HTTP/1.1\r\nHost: x\r\n", 408),
    "nothing": (b"", None),
}


def connect(source, port, timeout_s):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout_s, source_address=(source, 0))


def exchange(source, port, raw, limit_s):
    """Sends raw, reads until close: (status code, None when closed without one, or "no answer" past limit_s;
    seconds to the first byte; seconds to the close). Never fails itself: it runs on client threads."""
    t0 = time.monotonic()
    first = None
    data = b""
    with connect(source, port, limit_s) as s:
        try:
            s.sendall(raw)
            while True:
                chunk = s.recv(65536)
                if first is None:
                    first = time.monotonic() - t0
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        except socket.timeout:
            return "no answer", None, time.monotonic() - t0
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    code = int(line.split()[1]) if line.startswith("HTTP/1.1 ") else None
    return code, first if data else None, time.monotonic() - t0


def scrape(port):
    """What Prometheus does: a GET with its headers on a new connection; (status, seconds, whole)."""
    t0 = time.monotonic()
    req = (b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.42.0\r\n"
           b"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n")
    code, _, _ = exchange(SCRAPER, port, req, 10)
    return code, time.monotonic() - t0


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(0.99 * len(values)))]


def slow_client(kind, source, port, until, lifetimes, first_bytes):
    """Keeps one slow connection open, reconnecting when p2pscoped drops it, until `until`.
    Records each connection's life and, for a slow body, how soon the reply came."""
    request = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: one-byte-a-second\r\n\r\n"
    while time.monotonic() < until:
        t0 = time.monotonic()
        with connect(source, port, TIMEOUT_S + 5) as s:
            s.settimeout(0.5)
            sent = 0
            got = b""
            if kind == "slow body":
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n")
            while time.monotonic() - t0 < TIMEOUT_S + 5:
                try:
                    if kind == "slow head" and sent < len(request):
                        s.send(request[sent:sent + 1])
                        sent += 1
                    elif kind == "slow body":
                        s.send(b"x")
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    if not got and kind == "slow body":
                        first_bytes.append(time.monotonic() - t0)
                    got += chunk
                except socket.timeout:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
        lifetimes.append((kind, time.monotonic() - t0))
        if kind == "slow body":
            time.sleep(1)  # answered at once: come back a second later, as a byte-a-second client would


def storm(d, round_):
    """Fifty slow clients and the malformed requests, while a scraper measures."""
    lifetimes, first_bytes = [], []
    until = time.monotonic() + 2 * TIMEOUT_S + 1
    kinds = ["slow head", "slow body", "idle"]
    # Five clients to an address: within the per-client limit, so that all fifty hold connections.
    slow = [threading.Thread(target=slow_client, args=(kinds[i % 3], "127.0.0.%d" % (2 + i // 5), d.port, until,
                                                        lifetimes, first_bytes)) for i in range(SLOW_CLIENTS)]
    answers = {}

    def abuser(n):
        for i in range(5):
            for name, (raw, expected) in MALFORMED.items():
                if i == 0 or expected not in (408, None):  # those wait for the timeout: once each
                    answers.setdefault(name, []).append(exchange("127.0.0.%d" % (100 + n), d.port, raw, TIMEOUT_S + 4))

    abusers = [threading.Thread(target=abuser, args=(n,)) for n in range(2)]
    for t in slow:
        t.start()
    time.sleep(0.5)  # all fifty connected
    for t in abusers:
        t.start()
    under_attack = []
    while time.monotonic() < until:
        under_attack.append(scrape(d.port))
        time.sleep(0.02)
    for t in slow + abusers:
        t.join(timeout=60)
    check(not any(t.is_alive() for t in slow + abusers), "a client thread did not finish")

    for name, got in answers.items():
        _, expected = MALFORMED[name]
        for code, first, whole in got:
            check(code == expected, "%s: got %r, expected %r" % (name, code, expected))
            if expected in (408, None):
                check(TIMEOUT_S - 0.5 <= whole <= TIMEOUT_S + 1, "%s: closed after %.1f s, not at the timeout" % (name, whole))
            else:
                check(first is not None and first < 1, "%s: answered after %r s: it waited for more" % (name, first))
        if round_ == 1:
            print("%-22s -> %s" % (name, got[0][0] or "(closed)"))
    longest = max(life for _, life in lifetimes)
    check(len(lifetimes) >= SLOW_CLIENTS, "only %d slow connections ended" % len(lifetimes))
    check(longest <= TIMEOUT_S + 1, "a slow connection lasted %.1f s: beyond the %d s bound" % (longest, TIMEOUT_S))
    check(first_bytes and max(first_bytes) < 1,
          "a GET with a declared body waited %.1f s for its reply: the body was read" % max(first_bytes or [99]))
    check(all(code == 200 for code, _ in under_attack), "a scrape failed during the storm: %r" %
          sorted({code for code, _ in under_attack}, key=str))
    return [t for _, t in under_attack], len(lifetimes)


def limits(d):
    """One address gets PER_CLIENT connections, the next ones 503 at once; others are still served."""
    held = [connect("127.0.0.200", d.port, TIMEOUT_S + 5) for _ in range(PER_CLIENT)]
    time.sleep(0.2)  # accepted
    code, first, _ = exchange("127.0.0.200", d.port, b"GET /metrics HTTP/1.1\r\n\r\n", TIMEOUT_S + 4)
    check(code == 503 and first < 1, "connection %d from one address: %r after %r s, not 503 at once" %
          (PER_CLIENT + 1, code, first))
    check(scrape(d.port)[0] == 200, "another address was refused while one was at its limit")
    for s in held:
        s.close()
    time.sleep(0.2)
    check(exchange("127.0.0.200", d.port, b"GET /metrics HTTP/1.1\r\n\r\n", 5)[0] == 200,
          "the address was not served again after its connections closed")


def total_limit(work):
    d = Daemon(work, "abuse-total", P2PSCOPED, ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml"),
                                                "--http-max-connections", "4", "--http-per-client", "2",
                                                "--http-timeout", str(TIMEOUT_S)]).wait_ready()
    held = [connect("127.0.1.%d" % (1 + i // 2), d.port, TIMEOUT_S + 5) for i in range(4)]
    time.sleep(0.2)
    code, first, _ = exchange("127.0.1.9", d.port, b"GET /metrics HTTP/1.1\r\n\r\n", TIMEOUT_S + 4)
    check(code == 503 and first < 1, "connection 5 of a limit of 4: %r after %r s, not 503 at once" % (code, first))
    for s in held:
        s.close()
    time.sleep(0.2)
    check(scrape(d.port)[0] == 200, "not served again after the connections closed")
    check(d.stop() == 0, "exit status on SIGTERM")


def run(work):
    cfg = config(work, "abuse", [{"key": "topology", "kind": "topology", "interval_s": 0.2}], duty_cycle=0.5)
    d = Daemon(work, "abuse", P2PSCOPED, ["--hwloc-xml", os.path.join(FIXTURES, "hwloc-xml/nvidiaDGX2.xml"),
                                          "--config", cfg, "--http-timeout", str(TIMEOUT_S)]).wait_ready()
    for _ in range(50):
        check(scrape(d.port)[0] == 200, "warm-up scrape")
    rss = [d.rss_bytes()]
    quiet = []
    for _ in range(100):
        code, seconds = scrape(d.port)
        check(code == 200, "a scrape without abuse failed")
        quiet.append(seconds)
    for round_ in range(1, ROUNDS + 1):
        under_attack, connections = storm(d, round_)
        rss.append(d.rss_bytes())
        # Generous: the scrapes share two cores with fifty slow clients' threads; without the fix they waited seconds.
        bound = max(0.5, 10 * p99(quiet))
        print("round %d: %d scrapes, p99 %.1f ms (%.1f ms without the slow clients), %d slow connections, RSS %.1f MB" %
              (round_, len(under_attack), p99(under_attack) * 1000, p99(quiet) * 1000, connections, rss[-1] / 1e6))
        check(len(under_attack) >= 20, "only %d scrapes in the storm" % len(under_attack))
        check(p99(under_attack) <= bound, "the scraper's p99 rose to %.0f ms during the storm (bound %.0f ms)" %
              (p99(under_attack) * 1000, bound * 1000))
    limits(d)
    # Bounded: the first round may grow the heap to what abuse needs; later rounds reuse it.
    check(max(rss) < 40e6, "RSS reached %.1f MB" % (max(rss) / 1e6))
    check(rss[-1] - rss[1] < 4e6, "RSS keeps growing: %s MB" % ", ".join("%.1f" % (r / 1e6) for r in rss))
    check(d.stop() == 0, "exit status on SIGTERM")
    total_limit(work)


main(run)
