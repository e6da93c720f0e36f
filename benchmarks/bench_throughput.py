#!/usr/bin/env python3
"""TCP throughput VNF to VNF: one PoP, two PoPs, against a direct veth pair.

All three cases use the same two container images in the same run:

* direct veth: two plain containers joined by one veth pair (no switch);
* one PoP: both VNFs on one PoP's OVS switch;
* two PoPs: VNFs on two PoPs joined by an unshaped link;

each emulated case with plain (AF_PACKET) and AF_XDP ports.

iperf3, TCP, one stream, DURATION seconds, first second omitted.

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_throughput.py [--duration 5]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import print_table, sh  # noqa: E402

from emuvim.dcemulator.net import DCNetwork  # noqa: E402

IMAGE = "emuvim/base:latest"


def iperf(client_exec, server_exec, server_ip, duration):
    server_exec("iperf3 -s -D -1")
    server_exec("for i in $(seq 100); do ss -ltn | grep -q ':5201 ' && break; sleep 0.05; done")
    out = client_exec("iperf3 -c %s -t %d -O 1 -J" % (server_ip, duration))
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e6


def direct_veth(duration):
    names = ["bench-direct-a", "bench-direct-b"]
    try:
        for name in names:
            sh("docker", "run", "-d", "--network", "none", "--cap-add", "NET_ADMIN", "--name",
               name, IMAGE, "sleep", "infinity")
        pids = [sh("docker", "inspect", "-f", "{{.State.Pid}}", n).strip() for n in names]
        sh("ip", "link", "add", "name", "bdirect0", "netns", pids[0], "type", "veth", "peer",
           "name", "bdirect1", "netns", pids[1])
        for pid, intf, ip in ((pids[0], "bdirect0", "10.8.0.1/24"),
                              (pids[1], "bdirect1", "10.8.0.2/24")):
            ns = ["nsenter", "--net=/proc/%s/ns/net" % pid]
            sh(*ns, "ip", "addr", "add", ip, "dev", intf)
            sh(*ns, "ip", "link", "set", "dev", intf, "up")

        def exec_in(name):
            return lambda cmd: sh("docker", "exec", name, "sh", "-c", cmd)
        return iperf(exec_in(names[0]), exec_in(names[1]), "10.8.0.2", duration)
    finally:
        sh("docker", "rm", "-f", *names, check=False)


def emulated(pops, duration, port_type):
    net = DCNetwork(controller=None, enable_learning=True, port_type=port_type)
    try:
        dcs = [net.addDatacenter("pop%d" % i) for i in range(pops)]
        if pops == 2:
            net.addLink(dcs[0], dcs[1])
        net.start()
        a = dcs[0].startCompute("ta", network=[{"id": "emu0", "ip": "10.8.1.1/24"}])
        b = dcs[-1].startCompute("tb", network=[{"id": "emu0", "ip": "10.8.1.2/24"}])
        return iperf(a.cmd, b.cmd, "10.8.1.2", duration)
    finally:
        net.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--port-types", nargs="+", default=["system", "afxdp-nonpmd"],
                        help="OVS port types to compare (afxdp busy-polls a core)")
    args = parser.parse_args()
    direct = direct_veth(args.duration)
    rows = [["direct veth pair", direct, 1.0]]
    for port_type in args.port_types:
        for pops in (1, 2):
            mbit = emulated(pops, args.duration, port_type)
            rows.append(["%d PoP%s, %s ports" % (pops, "s" if pops > 1 else "", port_type),
                         mbit, mbit / direct])
    net = DCNetwork(controller=None)
    datapath = net.datapath
    net.stop()
    print_table("TCP throughput VNF to VNF (Mbit/s)", ["path", "Mbit/s", "vs direct"], rows,
                note="OVS datapath: %s" % datapath)


if __name__ == "__main__":
    main()
