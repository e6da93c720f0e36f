#!/usr/bin/env python3
"""Two PoPs (dc1, dc2) behind the SONATA dummy gatekeeper (port 5000) and the
REST API (5001), as son-emu's sonata_y1_demo topologies had them.

    python3 topologies/sonata_gatekeeper.py --deploy-sap
    vim-emu llcm upload services/sonata-empty-chain      # packed into a .son
    vim-emu llcm instantiate
    vim-emu compute list -e http://127.0.0.1:5001

or with son-emu's clients: `curl -F package=@x.son :5000/packages`,
`curl -X POST -d '{}' :5000/instantiations`.  On a terminal this opens the
Mininet CLI; otherwise (or with --serve) it serves until Ctrl-C, SIGTERM or
`curl -X PUT :5000/emulator/exit`.
"""

import argparse
import logging
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.sonata import SonataDummyGatekeeperEndpoint
from emuvim.api.tango.endpoint import serve_until_exit
from emuvim.dcemulator.net import DCNetwork


def show_progress():
    """The gatekeeper's progress (image builds, deployments) on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger("emuvim.api")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gk-port", type=int, default=5000)
    parser.add_argument("--rest-port", type=int, default=5001)
    parser.add_argument("--deploy-sap", action="store_true",
                        help="SAP containers for internal/management NS connection points")
    parser.add_argument("--docker-management", action="store_true",
                        help="management connection points are Docker's own interface")
    parser.add_argument("--auto-deploy", action="store_true", help="instantiate on upload")
    parser.add_argument("--serve", action="store_true", help="no CLI even on a terminal")
    parser.add_argument("--smoke", action="store_true", help="start and stop at once")
    args = parser.parse_args()
    setLogLevel("info")
    show_progress()
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=True)
    rest = RestApiEndpoint("127.0.0.1", args.rest_port)
    gk = SonataDummyGatekeeperEndpoint("127.0.0.1", args.gk_port, deploy_sap=args.deploy_sap,
                                       docker_management=args.docker_management,
                                       auto_deploy=args.auto_deploy)
    try:
        dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
        net.addLink(dc1, dc2)
        for dc in (dc1, dc2):
            rest.connectDatacenter(dc)
            gk.connectDatacenter(dc)
        rest.connectDCNetwork(net)
        net.start()
        rest.start()
        gk.start()
        print("REST API on %s, SONATA gatekeeper on %s (run %s)" % (
            rest.url, gk.url, net.identity.run_id), flush=True)
        if args.smoke:
            return
        if sys.stdin.isatty() and not args.serve:
            net.CLI()
        else:
            serve_until_exit(gk)
    finally:
        gk.stop()
        rest.stop()
        net.stop()


if __name__ == "__main__":
    main()
