#!/usr/bin/env python3
"""WMN scenario: convergence, repair after a silent failure, delivery ratio.

Square grids of 9, 16 and 25 mesh sites (80 m apart, log-distance model
with its defaults: neighbours at 12 Mbit/s and ~2 % frame loss, diagonals
at 6 Mbit/s and ~10 %), babeld with 1 s hellos, n1 the gateway to the
backhaul PoP "hq".  Per size:

* start: WMNetwork.start() (medium, routers, radios, daemons);
* converged: from the daemons' start until every node has pinged hq;
* repair: the farthest node pings n1 at 10 Hz; its current next hop's radio
  fails silently after 1 s; the longest run of lost replies;
* pdr: 300 pings at 20 ms from the farthest node to hq, after repair
  (multi-hop, lossy links; unicast retries up to 7);
* reference: the same farthest-to-hq pings over the emulator's direct wired
  link (the gateway's own wan0, one hop, no medium): RTT min;
* medium cpu: CPU seconds the medium used over the whole run, per second.

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_wmn.py [--sizes 3 4 5]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import print_table  # noqa: E402

from emuvim.dcemulator.net import DCNetwork  # noqa: E402
from emuvim.wmn import LogDistance, WMNetwork, layouts  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def next_hop(wmn, source, prefix):
    for route in wmn.routes(source)["routes"]:
        if route["prefix"] == prefix and route["installed"] == "yes":
            return next(n for n, node in wmn.nodes.items()
                        if route["via"].endswith(":%x" % node.index))
    return None


def measure(side, spacing):
    net = DCNetwork(controller=None, enable_learning=True)
    wmn = WMNetwork(net, model=LogDistance(), hello_interval_s=1.0, seed=5)
    layout = layouts.grid(side, side, spacing)
    for name, pos in layout.items():
        wmn.addMeshNode(name, pos, gateway=name == "n1")
    wmn.addBackhaul("hq")
    try:
        net.start()
        started = time.monotonic()
        wmn.start()
        start_s = time.monotonic() - started
        daemons_up = time.monotonic()
        pending = set(layout)
        while pending and time.monotonic() - daemons_up < 180:
            for name in sorted(pending):
                if wmn.probe(name, "hq", count=1, timeout_s=0.5)["received"]:
                    pending.discard(name)
        converged = None if pending else time.monotonic() - daemons_up
        far = "n%d" % len(layout)
        hop = next_hop(wmn, far, "10.200.0.1/32")
        wmn.run_timeline([{"at_s": 1.0, "action": "fail", "node": hop}])
        repair = wmn.probe(far, "n1", count=200, interval_s=0.1)
        delivery = wmn.probe(far, "hq", count=300, interval_s=0.02)
        gateway = wmn.probe("n1", "hq", count=50, interval_s=0.02)
        medium_cpu = cpu_seconds(wmn.medium.pid) / (time.monotonic() - started)
        return [len(layout), "%.2f" % start_s,
                "%.1f" % converged if converged is not None else "never",
                hop, "%.2f" % repair["longest_gap_s"], "%.3f" % delivery["pdr"],
                "%.1f" % delivery["rtt_min_ms"] if delivery["rtt_min_ms"] else "-",
                "%.2f" % gateway["rtt_min_ms"], "%.2f" % medium_cpu]
    finally:
        net.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 4, 5],
                        help="grid sides (3 -> 9 nodes)")
    parser.add_argument("--spacing", type=float, default=80.0)
    args = parser.parse_args()
    rows = [measure(side, args.spacing) for side in args.sizes]
    print_table("WMN on a grid (%g m), babeld hello 1 s, gateway n1" % args.spacing,
                ["nodes", "start s", "converged s", "failed hop", "repair gap s",
                 "pdr far->hq", "rtt far->hq ms", "rtt wired ms", "medium cpu/s"], rows,
                note="rtt wired: n1 -> hq over the gateway's wan0 (a plain emulator link, "
                     "no medium); repair: longest run of lost 10 Hz replies after the "
                     "farthest node's next hop fails silently")


if __name__ == "__main__":
    main()
