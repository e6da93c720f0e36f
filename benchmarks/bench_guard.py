#!/usr/bin/env python3
"""What the HTTP guard (emuvim.httpguard) costs per request.

The same small FastAPI app (a GET answering a JSON list, a POST reading a
1 KiB JSON body) served by uvicorn on loopback, once bare and once behind
the guard every emuvim API has; requests one after another, each on its
own connection.  Also one POST of a 1 MiB JSON body (the guard reads it
whole before the app does) and a 4 KiB body nested 1000 deep (refused by
the guard's depth scan).  Medians of 5 rounds.  No root needed.

    /opt/emuvim-venv/bin/python benchmarks/bench_guard.py [--requests 2000]
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402

from common import print_table  # noqa: E402
from emuvim import httpguard  # noqa: E402
from emuvim.api.server import ThreadedServer  # noqa: E402

ROUNDS = 5


def make_app(guarded):
    app = FastAPI()

    @app.get("/items")
    def items():
        return [{"name": "vnf%d" % i} for i in range(10)]

    @app.post("/items")
    async def add(request: Request):
        return {"bytes": len(await request.body())}

    if guarded:
        httpguard.protect(app, httpguard.Policy(listen_ip="127.0.0.1"))
    return app


def per_request_us(method, url, count, body=None):
    """One connection per request (uvicorn with a keep-alive client added a
    40 ms delayed-ACK stall to some requests here, on both sides alike)."""
    headers = {"Content-Type": "application/json", "Connection": "close"}
    started = time.perf_counter()
    for _ in range(count):
        reply = requests.request(method, url, data=body, headers=headers, timeout=30)
        reply.raise_for_status()
    return (time.perf_counter() - started) / count * 1e6


def once_ms(url, body):
    started = time.perf_counter()
    reply = requests.post(url, data=body, timeout=30,
                          headers={"Content-Type": "application/json", "Connection": "close"})
    return (time.perf_counter() - started) * 1e3, reply.status_code


def measure(guarded, count):
    server = ThreadedServer(make_app(guarded))
    server.start()
    url = server.url + "/items"
    small = json.dumps({"x": "y" * 1000}).encode()
    large = json.dumps({"x": "y" * ((1 << 20) - 100)}).encode()
    deep = b"[" * 1000 + b"]" * 1000
    try:
        per_request_us("GET", url, 100)      # warm up
        rows = {"GET": [], "POST 1 KiB": [], "POST 1 MiB": [], "POST nested 1000": []}
        for _ in range(ROUNDS):
            rows["GET"].append(per_request_us("GET", url, count))
            rows["POST 1 KiB"].append(per_request_us("POST", url, count, small))
            rows["POST 1 MiB"].append(once_ms(url, large)[0] * 1e3)
            elapsed, status = once_ms(url, deep)
            rows["POST nested 1000"].append(elapsed * 1e3)
        return {k: statistics.median(v) for k, v in rows.items()}, status
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    bare, bare_status = measure(False, args.requests)
    guarded, guarded_status = measure(True, args.requests)
    rows = [(what, "%.0f" % bare[what], "%.0f" % guarded[what],
             "%+.0f" % (guarded[what] - bare[what])) for what in bare]
    print_table("HTTP guard cost per request (us, median of %d rounds)" % ROUNDS,
                ["request", "bare app", "guarded", "difference"], rows,
                note="nested 1000 deep: bare app answers %d (it never parses it), the "
                     "guard %d" % (bare_status, guarded_status))


if __name__ == "__main__":
    main()
