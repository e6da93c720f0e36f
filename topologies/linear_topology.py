#!/usr/bin/env python3
"""A linear chain of N PoPs (pop1 - pop2 - ... - popN), one VNF at each end.

    python3 topologies/linear_topology.py --pops 8 --bw 100

`build_linear(net, n, **link_params)` is importable for experiments and is
what benchmarks/bench_topology.py measures.
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.dcemulator.net import DCNetwork


def build_linear(net, n, **link_params):
    """Add PoPs pop1..popN joined in a line; returns the list of PoPs."""
    pops = [net.addDatacenter("pop%d" % (i + 1)) for i in range(n)]
    for left, right in zip(pops, pops[1:]):
        net.addLink(left, right, **link_params)
    return pops


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pops", type=int, default=4)
    parser.add_argument("--bw", type=float, default=None, help="Mbit/s on every link")
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, enable_learning=True)
    try:
        params = {"bw": args.bw} if args.bw else {}
        pops = build_linear(net, args.pops, **params)
        net.start()
        first = pops[0].startCompute("first", network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
        pops[-1].startCompute("last", network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
        print(first.cmd("ping -c 3 10.0.0.2"))
        if sys.stdin.isatty() and not args.no_cli:
            net.CLI()
    finally:
        net.stop()


if __name__ == "__main__":
    main()
