#!/usr/bin/env python3
"""The default demo: 2 PoPs joined by a shaped link, a 2-VNF service chained across them.

The switches forward nothing by themselves (no learning): the service's
traffic flows only because a bidirectional chain (VLAN-isolated, cookie 1)
is installed through the os-ken controller.  Run by `./run demo`.  With a terminal attached it drops into the Mininet CLI
(try `client ping server`, `server ip addr`); without one it prints the
summary and exits 0 if traffic flowed, 1 otherwise.
"""

import argparse
import re
import sys

from mininet.log import setLogLevel
from mininet.node import RemoteController
from rich.console import Console
from rich.table import Table

from emuvim.dcemulator.net import DCNetwork


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
    args = parser.parse_args()
    setLogLevel("output")  # shows CLI output, not the build chatter
    console = Console()

    net = DCNetwork(controller=RemoteController, enable_learning=False)
    try:
        dc1 = net.addDatacenter("dc1")
        dc2 = net.addDatacenter("dc2")
        net.addLink(dc1, dc2, bw=args.bw)
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
        if sys.stdin.isatty() and not args.no_cli:
            net.CLI()
        return 0 if ok else 1
    finally:
        net.stop()


def _wait_iperf(server, timeout=10):
    """Wait until the VNF's iperf3 server listens (readiness, not a fixed sleep)."""
    server.cmd("for i in $(seq %d); do ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done"
               % (timeout * 10))


if __name__ == "__main__":
    sys.exit(main())
