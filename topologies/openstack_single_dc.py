#!/usr/bin/env python3
"""One PoP as an OpenStack cloud (vim-emu's openstack_single_dc).

PoP "dc1"; only flows the emulator installs forward (networks are E-LANs):
Keystone on 127.0.0.1:6001, Nova :9775, Neutron :10697, Heat :9005, Glance
:10243, and the vim-emu REST API on :5001.  From another terminal:

    export OS_AUTH_URL=http://127.0.0.1:6001/v3 OS_USERNAME=admin OS_PASSWORD=any \\
           OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
    openstack network create lan
    openstack subnet create --network lan --subnet-range 10.10.0.0/24 lan-subnet
    openstack server create --wait --image emuvim/base --flavor m1.tiny --network lan vm1
"""

import argparse
import signal
import sys
import threading

from mininet.log import setLogLevel
from mininet.node import RemoteController

from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint
from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.dcemulator.net import DCNetwork


def serve_until_signal():
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=6001,
                        help="Keystone port; the other services follow (0: free ports)")
    parser.add_argument("--rest-port", type=int, default=5001, help="REST API port (5001)")
    parser.add_argument("--serve", action="store_true", help="no CLI: run until Ctrl-C")
    parser.add_argument("--no-cli", action="store_true", help="build, start and stop only")
    args = parser.parse_args()
    setLogLevel("info")
    net = DCNetwork(controller=RemoteController, monitor=False, enable_learning=False)
    openstack = OpenstackApiEndpoint("127.0.0.1", args.port)
    rest = RestApiEndpoint("127.0.0.1", args.rest_port)
    try:
        dc1 = net.addDatacenter("dc1")
        openstack.connect_datacenter(dc1)
        openstack.connect_dc_network(net)
        rest.connectDatacenter(dc1)
        rest.connectDCNetwork(net)
        net.start()
        openstack.start()
        rest.start()
        print("OpenStack APIs of dc1: OS_AUTH_URL=%s (%s)" % (
            openstack.auth_url, ", ".join("%s %s" % kv for kv in openstack.urls.items())))
        print("REST API on %s" % rest.url)
        if args.serve:
            serve_until_signal()
        elif sys.stdin.isatty() and not args.no_cli:
            net.CLI()
    finally:
        rest.stop()
        openstack.stop()
        net.stop()


if __name__ == "__main__":
    main()
