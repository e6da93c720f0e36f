#!/usr/bin/env python3
"""One PoP (dc1) with the REST API on 5001 and the 5GTANGO LLCM on 5000.

    python3 topologies/tango_default_cli_topology_1_pop.py

On a terminal this opens the Mininet CLI; otherwise (or with --serve) it
serves until Ctrl-C, SIGTERM or `curl -X PUT :5000/emulator/exit`.
--smoke starts everything and stops again at once.
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.endpoint import serve_until_exit
from emuvim.dcemulator.net import DCNetwork


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rest-port", type=int, default=5001)
    parser.add_argument("--llcm-port", type=int, default=5000)
    parser.add_argument("--serve", action="store_true", help="no CLI even on a terminal")
    parser.add_argument("--smoke", action="store_true", help="start and stop at once")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=True)
    rest = RestApiEndpoint("127.0.0.1", args.rest_port)
    llcm = TangoLLCMEndpoint("127.0.0.1", args.llcm_port, deploy_sap=False)
    try:
        dc1 = net.addDatacenter("dc1")
        rest.connectDatacenter(dc1)
        rest.connectDCNetwork(net)
        llcm.connectDatacenter(dc1)
        net.start()
        rest.start()
        llcm.start()
        print("REST API on %s, LLCM on %s (run %s)" % (rest.url, llcm.url,
                                                      net.identity.run_id), flush=True)
        if args.smoke:
            return
        if sys.stdin.isatty() and not args.serve:
            net.CLI()
        else:
            serve_until_exit(llcm)
    finally:
        llcm.stop()
        rest.stop()
        net.stop()


if __name__ == "__main__":
    main()
