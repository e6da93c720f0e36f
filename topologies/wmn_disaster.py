#!/usr/bin/env python3
"""A wireless mesh network (WMN) after a disaster, on one machine.

Mesh sites on a grid (or a line, a random geometric layout or a netjson
file), each a PoP with a babeld router; n1 is the gateway to the backhaul
PoP "hq".  Radio links come from a log-distance model through the
userspace radio medium (delay, loss, rate; this kernel has no netem).

    python3 topologies/wmn_disaster.py --rows 3 --cols 3 --serve
    curl -s :5001/v1/wmn | jq .
    curl -s ':5001/v1/wmn/nodes/n5/stations?format=iw'
    curl -s -X POST -H 'Content-Type: application/json' :5001/v1/wmn/nodes/n5/fail -d '{}'
    curl -s -X POST -H 'Content-Type: application/json' :5001/v1/wmn/probe \\
         -d '{"from": "n9", "to": "hq", "count": 50}'
    vim-emu docker run --name sip --pop n5 emuvim/base:latest sleep infinity

--timeline FILE replays events ([{"at_s": 10, "action": "fail", "node": "n5"}, ...],
JSON or YAML).  Serves until Ctrl-C or SIGTERM; --smoke waits until every
node reaches the backhaul, prints the times and stops.
"""

import argparse
import json
import signal
import sys
import time

import yaml

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.dcemulator.net import DCNetwork
from emuvim.wmn import LogDistance, WMNetwork, layouts


def positions(args):
    if args.layout == "grid":
        return layouts.grid(args.rows, args.cols, args.spacing), None
    if args.layout == "line":
        return layouts.line(args.count, args.spacing), None
    if args.layout == "random":
        model = LogDistance(exponent=args.exponent)
        return layouts.random_geometric(args.count, (args.area, args.area),
                                        model.range_for(-82), seed=args.seed), None
    return layouts.from_file(args.file)


def wait_until_reachable(wmn, target, deadline_s):
    """Seconds until every node pings `target`, or None."""
    started, pending = time.monotonic(), set(wmn.nodes)
    while pending and time.monotonic() - started < deadline_s:
        for name in sorted(pending):
            if wmn.probe(name, target, count=1, timeout_s=0.5)["received"]:
                pending.discard(name)
    return None if pending else round(time.monotonic() - started, 2)


def interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", choices=("grid", "line", "random", "file"), default="grid")
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--cols", type=int, default=3)
    parser.add_argument("--count", type=int, default=9, help="nodes of line/random layouts")
    parser.add_argument("--spacing", type=float, default=80.0, help="metres between nodes")
    parser.add_argument("--area", type=float, default=300.0, help="random layout: side (m)")
    parser.add_argument("--file", help="netjson-like layout: {nodes: [{id, pos}], links}")
    parser.add_argument("--exponent", type=float, default=3.0, help="path-loss exponent")
    parser.add_argument("--hello", type=float, default=1.0, help="babeld hello interval (s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeline", help="events to replay (JSON or YAML list)")
    parser.add_argument("--rest-port", type=int, default=5001)
    parser.add_argument("--serve", action="store_true", help="serve until Ctrl-C/SIGTERM")
    parser.add_argument("--smoke", action="store_true", help="converge, report, stop")
    args = parser.parse_args()
    layout, links = positions(args)
    net = DCNetwork(controller=None, enable_learning=True)
    rest = RestApiEndpoint("127.0.0.1", args.rest_port, DCnetwork=net)
    wmn = WMNetwork(net, model=LogDistance(exponent=args.exponent),
                    hello_interval_s=args.hello, seed=args.seed, links=links)
    try:
        gateway = sorted(layout, key=lambda n: (len(n), n))[0]
        for name, pos in layout.items():
            rest.connectDatacenter(wmn.addMeshNode(name, pos, gateway=name == gateway).pop)
        rest.connectDatacenter(wmn.addBackhaul("hq"))
        rest.connectWMN(wmn)
        net.start()
        wmn.start()
        rest.start()
        print("REST API on %s (run %s): %d mesh nodes, gateway %s, medium %s" % (
            rest.url, net.identity.run_id, len(layout), gateway,
            "up" if wmn.medium_alive() else "DOWN"), flush=True)
        converged = wait_until_reachable(wmn, "hq", 120)
        print("every node reaches hq after %s s" % converged, flush=True)
        if args.timeline:
            with open(args.timeline) as f:
                wmn.run_timeline(yaml.safe_load(f))
            print("replaying %s" % args.timeline, flush=True)
        if args.smoke:
            print(json.dumps(wmn.probe(sorted(layout)[-1], "hq", count=20)), flush=True)
            return 0 if converged is not None else 1
        if args.serve or not sys.stdin.isatty():
            signal.signal(signal.SIGTERM, interrupt)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        else:
            net.CLI()
        return 0
    finally:
        rest.stop()
        net.stop()


if __name__ == "__main__":
    sys.exit(main())
