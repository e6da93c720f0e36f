#!/usr/bin/env python3
"""Chain installation time, flow-mod rate, and TCP through a chain.

1. Time to install (and delete) a one-way chain across k = 1, 4, 16 switches
   (a line of k PoPs), through the os-ken controller's REST API and through
   ovs-ofctl (no controller), and the resulting flow-mods per second.
   Then a batch: 64 chains (distinct UDP ports, the same two VNFs) across
   the 16 switches in one setChains call, as an LLCM instance installs its
   E-Lines: 1024 flow-mods confirmed by one barrier per switch.
2. TCP throughput between two VNFs through a bidirectional chain across 3 PoPs
   (joined by unshaped links, i.e. OVS patch ports), against the same two VNFs
   on one switch (one PoP, plain L2), for plain and AF_XDP VNF ports.

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_chaining.py
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topologies"))

from common import print_table, timed  # noqa: E402
from linear_topology import build_linear  # noqa: E402
from mininet.node import RemoteController  # noqa: E402

from emuvim.dcemulator.net import DCNetwork  # noqa: E402

REPEATS = 5


def time_chains(k, controller, chains, add, delete):
    """Mean add/delete time of `chains` one-way chains between a VNF in the
    first and one in the last of k PoPs in a line; add(net, i), delete(net)."""
    net = DCNetwork(controller=controller, enable_learning=False)
    try:
        pops = build_linear(net, k)
        net.start()
        pops[0].startCompute("src", network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
        pops[-1].startCompute("dst", network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
        add_s = delete_s = 0.0
        for index in range(REPEATS):
            add_s += timed(add, net, index)[0]
            delete_s += timed(delete, net)[0]
        add_s, delete_s = add_s / REPEATS, delete_s / REPEATS
        return ["%d x %d" % (chains, k), "os-ken REST" if controller else "ovs-ofctl",
                add_s * 1000, delete_s * 1000, chains * k / add_s]
    finally:
        net.stop()


def chain_install(k, controller):
    return time_chains(k, controller, 1,
                       lambda net, i: net.setChain("src", "dst", cookie=i + 1),
                       lambda net: net.setChain("src", "dst", cmd="del-flows"))


def chain_batch(k, chains, controller):
    """`chains` chains (one per UDP port) in one setChains batch."""
    requests = [{"vnf_src_name": "src", "vnf_dst_name": "dst", "cookie": 7,
                 "match": "dl_type=0x0800,nw_proto=17,tp_dst=%d" % (5000 + i)}
                for i in range(chains)]
    return time_chains(k, controller, chains, lambda net, _i: net.setChains(requests),
                       lambda net: net.deleteChainsByCookie(7))


def iperf(client, server, ip, seconds):
    server.cmd("iperf3 -s -D -1")
    server.cmd("for i in $(seq 100); do ss -ltn | grep -q ':5201 ' && break; sleep 0.05; done")
    out = client.cmd("iperf3 -c %s -t %d -O 1 -J" % (ip, seconds))
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e6


def chain_throughput(seconds, port_type):
    net = DCNetwork(controller=RemoteController, enable_learning=False, port_type=port_type)
    try:
        pops = build_linear(net, 3)
        net.start()
        a = pops[0].startCompute("a", network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
        b = pops[-1].startCompute("b", network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
        net.setChain("a", "b", bidirectional=True, cookie=1)
        chained = iperf(a, b, "10.0.0.2", seconds)
    finally:
        net.stop()
    net = DCNetwork(controller=None, enable_learning=True, port_type=port_type)
    try:
        pop = net.addDatacenter("one")
        net.start()
        a = pop.startCompute("a", network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
        b = pop.startCompute("b", network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
        direct = iperf(a, b, "10.0.0.2", seconds)
    finally:
        net.stop()
    return chained, direct


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--batch", type=int, default=64, help="chains in the batch row")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--port-types", nargs="+", default=["system", "afxdp-nonpmd"])
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (median)")
    args = parser.parse_args()
    rows = [chain_install(k, controller) for k in args.sizes
            for controller in (RemoteController, None)]
    rows += [chain_batch(max(args.sizes), args.batch, controller)
             for controller in (RemoteController, None)]
    print_table("Installing one-way chains across k switches (mean of %d)" % REPEATS,
                ["chains x switches", "via", "add ms", "delete ms", "flow-mods/s (add)"],
                rows, note="targets: 16-switch chain < 20 ms, >= 2000 flow-mods/s through "
                           "the controller")
    rows = []
    for port_type in args.port_types:
        runs = [chain_throughput(args.duration, port_type) for _ in range(args.runs)]
        chained = statistics.median(r[0] for r in runs)
        direct = statistics.median(r[1] for r in runs)
        rows += [["direct (1 PoP, one switch, L2), %s ports" % port_type, direct, 1.0],
                 ["chain across 3 PoPs (VLAN-tagged), %s ports" % port_type, chained,
                  chained / direct]]
    print_table("TCP through a chain (Mbit/s, median of %d runs)" % args.runs,
                ["path", "Mbit/s", "ratio"], rows,
                note="target ratio >= 0.9; the PoPs are joined by OVS patch ports, so the "
                     "chain adds flow-table lookups and a VLAN push/pop, not device crossings")


if __name__ == "__main__":
    main()
