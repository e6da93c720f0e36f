#!/usr/bin/env python3
"""Two PoPs, each an OpenStack cloud of its own (as an orchestrator such as
OSM sees two VIMs), joined by a link.

dc1: Keystone on 127.0.0.1:6001 (Nova :9775, Neutron :10697, Heat :9005,
Glance :10243); dc2: Keystone on 127.0.0.1:6002 (the others one port up).
Networks live inside one PoP; chain servers of both PoPs with the REST API
(:5001, `vim-emu network add`).  Register each with the openstack client or
an orchestrator, e.g. OS_AUTH_URL=http://127.0.0.1:6002/v3.
"""

import argparse
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint
from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.dcemulator.net import DCNetwork

from openstack_single_dc import serve_until_signal


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=6001,
                        help="dc1's Keystone port, dc2's is the next (0: free ports)")
    parser.add_argument("--rest-port", type=int, default=5001, help="REST API port (5001)")
    parser.add_argument("--bw", type=float, help="inter-PoP bandwidth in Mbit/s")
    parser.add_argument("--serve", action="store_true", help="no CLI: run until Ctrl-C")
    parser.add_argument("--no-cli", action="store_true", help="build, start and stop only")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=False)
    rest = RestApiEndpoint("127.0.0.1", args.rest_port)
    apis = []
    try:
        pops = [net.addDatacenter("dc1"), net.addDatacenter("dc2")]
        net.addLink(pops[0], pops[1], **({"bw": args.bw} if args.bw else {}))
        for index, dc in enumerate(pops):
            api = OpenstackApiEndpoint("127.0.0.1", args.port + index if args.port else 0)
            api.connect_datacenter(dc)
            api.connect_dc_network(net)
            apis.append(api)
            rest.connectDatacenter(dc)
        rest.connectDCNetwork(net)
        net.start()
        for dc, api in zip(pops, apis):
            api.start()
            print("OpenStack APIs of %s: OS_AUTH_URL=%s" % (dc.label, api.auth_url))
        rest.start()
        print("REST API on %s" % rest.url)
        if args.serve:
            serve_until_signal()
        elif sys.stdin.isatty() and not args.no_cli:
            net.CLI()
    finally:
        rest.stop()
        for api in apis:
            api.stop()
        net.stop()


if __name__ == "__main__":
    main()
