#!/usr/bin/env python3
"""A single PoP (vim-emu's default_single_dc_topology, minus the APIs).

One PoP "dc1" under the os-ken learning controller.  Start VNFs from the
Mininet CLI's Python prompt or extend this script:

    dc1.startCompute("vnf1", image="emuvim/base:latest",
                     network=[{"id": "input", "ip": "10.0.0.1/24"}])
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.dcemulator.net import DCNetwork


def create_topology(net):
    return net.addDatacenter("dc1")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-cli", action="store_true", help="build, start and stop only")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=True)
    try:
        create_topology(net)
        net.start()
        if sys.stdin.isatty() and not args.no_cli:
            net.CLI()
        else:
            print("single PoP up (run %s); no terminal: stopping" % net.identity.run_id)
    finally:
        net.stop()


if __name__ == "__main__":
    main()
