#!/usr/bin/env python3
# serve_snapshot.py TOPO_JSON PORT_FILE
# Stands in for p2pscoped in the GUI's tests: serves GET /snapshot.json
# (schema p2pscope.snapshot/1) on 127.0.0.1, a free port written to
# PORT_FILE, with the given `p2pscope topo --format json` document and a fixed
# set of map measurement records shaped like `p2pscope map --format json`
# results. Test input only: these figures are not measurements of anything.
# Exits by itself after 300 s in case the test that started it is killed.
import http.server
import json
import math
import sys
import threading


def latency(p50):
    return {"count": 20000, "min_ns": round(p50 * 0.7), "p50_ns": p50, "p90_ns": p50 * 1.25,
            "p99_ns": p50 * 1.8, "p999_ns": p50 * 2.9, "max_ns": round(p50 * 9), "mean_ns": p50 * 1.1}


def record(key, t, device, peer, memory, p50, status="ok", reason=""):
    m = {"kind": "map", "key": key, "finished_unix_s": t, "status": status, "reason": reason,
         "device": device, "peer": peer, "api": "map_sgtable" if peer else "map_single", "memory": memory,
         "size_bytes": 4096, "segments": 1, "threads": 1, "direction": "bidirectional",
         "map": None, "unmap": None}
    if status == "ok":
        m["map"] = latency(p50)
        m["unmap"] = latency(p50 * 0.6)
    return m


def measurements():
    t0 = 1700000000
    out = []
    for i in range(48):  # a history: the plots draw these as lines
        out.append(record("map/34:00.0/36:00.0/p2pmem", t0 + i, "0000:34:00.0", "0000:36:00.0", "p2pmem",
                          900 + 120 * math.sin(i / 5.0)))
        out.append(record("map/34:00.0/host/ram", t0 + i, "0000:34:00.0", None, "ram",
                          420 + 40 * math.cos(i / 3.0)))
    for j, (a, b) in enumerate([("0000:36:00.0", "0000:34:00.0"), ("0000:39:00.0", "0000:34:00.0"),
                                ("0000:57:00.0", "0000:34:00.0"), ("0000:b7:00.0", "0000:34:00.0")]):
        out.append(record("map/%s/%s/p2pmem" % (a, b), t0 + 50 + j, a, b, "p2pmem", 950 + 700 * j))
    out.append(record("map/e7:00.0/34:00.0/p2pmem", t0 + 60, "0000:e7:00.0", "0000:34:00.0", "p2pmem", 0,
                      "waived", "no published p2pmem on 0000:34:00.0"))
    return out


def main():
    topo = json.load(open(sys.argv[1]))
    body = json.dumps({"schema": "p2pscope.snapshot/1", "generated_unix_s": 1700000100, "topology": topo,
                       "measurements": measurements()}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/snapshot.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    threading.Timer(300, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
