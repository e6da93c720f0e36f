#!/usr/bin/env python3
"""Two PoPs joined by a shaped link (bandwidth, optionally delay and loss).

    python3 topologies/two_pop_shaped_link.py --bw 50 --delay 20ms

Delay and loss need the kernel's sch_netem.  Where it is missing the script
stops with a clear error; `--netem-missing warn` continues with bandwidth
shaping only.
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.dcemulator.net import DCNetwork


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bw", type=float, default=100, help="Mbit/s (HTB)")
    parser.add_argument("--delay", default=None, help="one-way delay, e.g. 20ms (netem)")
    parser.add_argument("--loss", type=float, default=None, help="loss in percent (netem)")
    parser.add_argument("--netem-missing", choices=("error", "warn"), default="error")
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, enable_learning=True,
                    netem_missing=args.netem_missing)
    try:
        dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
        net.addLink(dc1, dc2, bw=args.bw, delay=args.delay, loss=args.loss)
        net.start()
        vnf1 = dc1.startCompute("vnf1", network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
        dc2.startCompute("vnf2", network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
        print(vnf1.cmd("ping -c 3 10.0.0.2"))
        if sys.stdin.isatty() and not args.no_cli:
            net.CLI()
    finally:
        net.stop()


if __name__ == "__main__":
    main()
