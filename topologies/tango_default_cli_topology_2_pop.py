#!/usr/bin/env python3
"""Two PoPs (dc1, dc2) joined by a link with 20 ms delay; REST API on 5001,
5GTANGO LLCM on 5000 (round-robin placement, or --static-placement FILE).

    python3 topologies/tango_default_cli_topology_2_pop.py

The delay needs the kernel's sch_netem.  Where it is missing the link is
created without it and a warning says so (--netem-missing error refuses).
On a terminal this opens the Mininet CLI; otherwise (or with --serve) it
serves until Ctrl-C, SIGTERM or `curl -X PUT :5000/emulator/exit`.
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.endpoint import serve_until_exit
from emuvim.api.tango.llcm import RoundRobinDcPlacement, StaticConfigPlacement
from emuvim.dcemulator.net import DCNetwork


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rest-port", type=int, default=5001)
    parser.add_argument("--llcm-port", type=int, default=5000)
    parser.add_argument("--delay", default="20ms")
    parser.add_argument("--netem-missing", choices=("error", "warn"), default="warn")
    parser.add_argument("--static-placement", metavar="FILE",
                        help="YAML {container name: dc1|dc2} (e.g. vnf0.vdu01.0: dc2)")
    parser.add_argument("--serve", action="store_true", help="no CLI even on a terminal")
    parser.add_argument("--smoke", action="store_true", help="start and stop at once")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=True,
                    netem_missing=args.netem_missing)
    placement = (StaticConfigPlacement(args.static_placement) if args.static_placement
                 else RoundRobinDcPlacement())
    rest = RestApiEndpoint("127.0.0.1", args.rest_port)
    llcm = TangoLLCMEndpoint("127.0.0.1", args.llcm_port, deploy_sap=False,
                             placement_algorithm_obj=placement)
    try:
        dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
        net.addLink(dc1, dc2, delay=args.delay)
        for dc in (dc1, dc2):
            rest.connectDatacenter(dc)
            llcm.connectDatacenter(dc)
        rest.connectDCNetwork(net)
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
