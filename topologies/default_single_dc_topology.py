#!/usr/bin/env python3
"""A single PoP with the REST API (vim-emu's default_single_dc_topology).

One PoP "dc1" under the os-ken learning controller, the vim-emu REST API on
127.0.0.1:5001.  From another terminal:

    vim-emu compute start -d dc1 -n vnf1 --net "(id=input,ip=10.0.0.1/24)"
    vim-emu compute list
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.dcemulator.net import DCNetwork


def create_topology(net):
    return net.addDatacenter("dc1")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-cli", action="store_true", help="build, start and stop only")
    parser.add_argument("--rest-port", type=int, default=5001, help="REST API port (5001)")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=True)
    rest = RestApiEndpoint("127.0.0.1", args.rest_port)
    try:
        rest.connectDatacenter(create_topology(net))
        rest.connectDCNetwork(net)
        net.start()
        rest.start()
        print("REST API on %s" % rest.url)
        if sys.stdin.isatty() and not args.no_cli:
            net.CLI()
        else:
            print("single PoP up (run %s); no terminal: stopping" % net.identity.run_id)
    finally:
        rest.stop()
        net.stop()


if __name__ == "__main__":
    main()
