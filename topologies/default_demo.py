#!/usr/bin/env python3
"""The default demo: 2 PoPs joined by a shaped link, then two services on them.

1. Two VNFs chained by hand: the switches forward nothing by themselves (no
   learning); traffic flows only because a bidirectional chain
   (VLAN-isolated, cookie 1) is installed through the os-ken controller.
2. The 5GTANGO example service (services/emulator-example) pushed to the
   LLCM over HTTP as a .tgo: vnf0 and vnf1 placed round robin on the PoPs,
   chained by its E-Lines, reachable from the host over its management E-LAN.

The REST API (and its web dashboard, printed at the start) listens on
127.0.0.1:5001, or a free port if that one is taken.

Run by `./run demo`.  With a terminal attached it drops into the Mininet CLI
(try `client ping server`, `server ip addr`); without one it prints the
summary and exits 0 if traffic flowed, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import requests
from mininet.log import setLogLevel
from mininet.node import RemoteController
from rich.console import Console
from rich.table import Table

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.server import ServerError
from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.package import pack_project
from emuvim.dcemulator.net import DCNetwork

EXAMPLE_SERVICE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services",
                               "emulator-example")


def measure(client, server_ip):
    ping = client.cmd("ping -c 3 -W 2 %s" % server_ip)
    loss = re.search(r"(\d+)% packet loss", ping)
    rtt = re.search(r"= [\d.]+/([\d.]+)/", ping)
    iperf = client.cmd("iperf3 -c %s -t 3 -f m | grep receiver" % server_ip)
    rate = re.search(r"([\d.]+) Mbits/sec", iperf)
    return {"ping_loss_pct": int(loss.group(1)) if loss else 100,
            "rtt_ms": float(rtt.group(1)) if rtt else None,
            "tcp_mbit_s": float(rate.group(1)) if rate else 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bw", type=float, default=100, help="inter-PoP link Mbit/s")
    parser.add_argument("--no-cli", action="store_true", help="never open the CLI")
    parser.add_argument("--rest-port", type=int, default=5001,
                        help="REST API and dashboard port (0: any free one)")
    args = parser.parse_args()
    setLogLevel("output")  # shows CLI output, not the build chatter
    console = Console()

    net = DCNetwork(controller=RemoteController, enable_learning=False)
    try:
        dc1 = net.addDatacenter("dc1")
        dc2 = net.addDatacenter("dc2")
        net.addLink(dc1, dc2, bw=args.bw)
        rest = start_rest_api(net, args.rest_port)
        console.print("dashboard: %s/dashboard (live while the demo runs)" % rest.url)
        net.start()
        client = dc1.startCompute("client", image="emuvim/base:latest",
                                  network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
        server = dc2.startCompute("server", image="emuvim/iperf-vnf:latest",
                                  network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
        server.start_vnf_command()  # starts iperf3 -s inside the VNF
        net.setChain("client", "server", "emu0", "emu0", bidirectional=True, cookie=1)
        _wait_iperf(server)
        result = measure(client, "10.0.0.2")

        table = Table(title="emuvim demo: 2 PoPs, 2 VNFs (run %s)" % net.identity.run_id)
        for column in ("PoP", "VNF", "image", "interface", "ip", "switch port"):
            table.add_column(column)
        for vnf in (client, server):
            status = vnf.getStatus()
            for intf in status["network"]:
                table.add_row(status["datacenter"], status["name"], status["image"],
                              intf["intf_name"], intf["ip"], intf["dc_portname"])
        console.print(table)
        console.print("inter-PoP link: %s Mbit/s (HTB); datapath: %s; controller: os-ken"
                      % (args.bw, net.datapath))
        for chain in net.listChains():
            console.print("chain %s -> %s: cookie %d, VLAN %s, path %s" % (
                chain["vnf_src_name"], chain["vnf_dst_name"], chain["cookie"], chain["vlan"],
                " > ".join(chain["path"])))
        console.print("client -> server: ping loss %d%%, rtt %s ms, TCP %.1f Mbit/s" % (
            result["ping_loss_pct"], result["rtt_ms"], result["tcp_mbit_s"]))
        counters = net.getCookieCounters(1)
        console.print("cookie 1 counters: %d packets, %d bytes entered the chains" % (
            counters["packets"], counters["bytes"]))
        ok = result["ping_loss_pct"] == 0 and result["tcp_mbit_s"] > 0
        ok = llcm_demo(net, console) and ok
        if sys.stdin.isatty() and not args.no_cli:
            net.CLI()
        return 0 if ok else 1
    finally:
        net.stop()


def start_rest_api(net, port):
    """The REST API on 127.0.0.1:port, or on a free port if that one is taken;
    it stops with the network."""
    rest = RestApiEndpoint("127.0.0.1", port, DCnetwork=net)
    for dc in net.dcs.values():
        rest.connectDatacenter(dc)
    try:
        rest.start()
    except ServerError:
        rest.port = 0
        rest.start()
    net.add_stop_hook(rest.stop)
    return rest


def llcm_demo(net, console):
    """Upload, instantiate, measure and terminate the 5GTANGO example service."""
    llcm = TangoLLCMEndpoint("127.0.0.1", 0)
    for dc in net.dcs.values():
        llcm.connectDatacenter(dc)
    llcm.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            tgo = pack_project(EXAMPLE_SERVICE, os.path.join(folder, "example.tgo"))
            with open(tgo, "rb") as stream:
                uploaded = requests.post(llcm.url + "/packages", files={"package": stream})
        uploaded.raise_for_status()
        created = requests.post(llcm.url + "/instantiations", json={}, timeout=300)
        created.raise_for_status()
        info = requests.get("%s/instantiations/%s" % (
            llcm.url, created.json()["service_instance_uuid"])).json()
        table = Table(title="5GTANGO service %s via the LLCM on %s" % (
            info["instance_name"], llcm.url))
        for column in ("PoP", "container", "interfaces"):
            table.add_column(column)
        ips = {}
        for unit in info["units"]:
            table.add_row(unit["datacenter"], unit["name"], ", ".join(
                "%s %s" % (i["id"], i["ip"]) for i in unit["interfaces"]))
            ips.update({(unit["vnf_id"], i["id"]): i["ip"].split("/")[0]
                        for i in unit["interfaces"]})
        console.print(table)
        vnf0, vnf1 = (net.getNodeByName(u["name"]) for u in info["units"])
        _wait_iperf(vnf1)
        result = measure(vnf0, ips[("vnf1", "input")])
        console.print("E-Line vnf0:output -> vnf1:input: ping loss %d%%, TCP %.1f Mbit/s" % (
            result["ping_loss_pct"], result["tcp_mbit_s"]))
        host_ok = all(subprocess.run(["ping", "-c", "2", "-W", "2", ips[(v, "mgmt")]],
                                     capture_output=True).returncode == 0
                      for v in ("vnf0", "vnf1"))
        console.print("host -> vnf0, vnf1 over the management E-LAN (SAP %s): %s" % (
            next(s["ip"] for s in info["saps"] if s["cp"] == "mgmt"),
            "ping ok" if host_ok else "ping FAILED"))
        requests.delete(llcm.url + "/instantiations").raise_for_status()
        console.print("service terminated: containers, flows, VLANs and subnets released")
        return result["ping_loss_pct"] == 0 and result["tcp_mbit_s"] > 0 and host_ok
    finally:
        llcm.stop()


def _wait_iperf(server, timeout=10):
    """Wait until the VNF's iperf3 server listens (readiness, not a fixed sleep)."""
    server.cmd("for i in $(seq %d); do ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done"
               % (timeout * 10))


if __name__ == "__main__":
    sys.exit(main())
