#!/usr/bin/env python3
"""Build, start and stop N PoPs in a line or a random mesh; memory; leftovers.

For each N: time to add the PoPs and links, time to start (switches created
and connected to the os-ken controller, base flows installed and confirmed),
memory (ovs-vswitchd RSS, controller RSS, growth of this process's RSS, and
their growth per PoP), time to stop, and the objects of the run still on the
host after stop (must be 0).  The mesh is a random spanning tree plus N/2
random extra links (seeded), about 1.5 links per PoP; its switches drop what
no chain matches (learning off: NORMAL flooding would loop).

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_topology.py \
        [--shape line|mesh|both] [--sizes 1 8 32 128 512 1024]
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topologies"))

from common import pid_of, print_table, rss_kb, timed  # noqa: E402
from linear_topology import build_linear  # noqa: E402
from mininet.node import RemoteController  # noqa: E402

from emuvim.dcemulator import cleanup  # noqa: E402
from emuvim.dcemulator.net import DCNetwork  # noqa: E402


def leftovers(run_id):
    item = cleanup.find_leftovers().get(run_id)
    return item.count() if item else 0


def build_mesh(net, n, seed=1):
    """PoPs pop1..popN: a random spanning tree plus n/2 extra random links."""
    rng = random.Random(seed)
    pops = [net.addDatacenter("pop%d" % (i + 1)) for i in range(n)]
    edges = {(rng.randrange(i), i) for i in range(1, n)}
    while n > 2 and len(edges) < (n - 1) + n // 2:
        a, b = sorted(rng.sample(range(n), 2))
        edges.add((a, b))
    for a, b in sorted(edges):
        net.addLink(pops[a], pops[b])
    return pops


def measure(shape, n):
    vswitchd = pid_of("ovs-vswitchd")
    ovs_before, self_before = rss_kb(vswitchd), rss_kb(os.getpid())
    net = DCNetwork(controller=RemoteController, enable_learning=shape == "line")
    try:
        build_s, _ = timed(build_linear if shape == "line" else build_mesh, net, n)
        links = len(net.links)
        start_s, _ = timed(net.start)
        controller_kb = rss_kb(net.controller_backend.process.pid)
        ovs_kb = rss_kb(vswitchd)
        self_kb = rss_kb(os.getpid()) - self_before
        run_id = net.identity.run_id
        stop_s, _ = timed(net.stop)
    finally:
        net.stop()
    memory_kb = max(ovs_kb - ovs_before, 0) + controller_kb + self_kb
    return [shape, n, links, build_s, start_s, stop_s,
            "%.1f" % (1000 * (build_s + start_s) / n), "%.1f" % (1000 * stop_s / n),
            ovs_kb / 1024.0, controller_kb / 1024.0, self_kb / 1024.0,
            memory_kb, leftovers(run_id)]


def marginal_memory(rows):
    """KiB per PoP between the smallest size of a shape and each larger one."""
    first = {}
    for row in rows:
        shape, n, memory_kb = row[0], row[1], row[11]
        base = first.setdefault(shape, (n, memory_kb))
        row[11] = "-" if n == base[0] else "%.0f" % ((memory_kb - base[1]) / (n - base[0]))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 32, 128, 512, 1024])
    parser.add_argument("--shape", choices=("line", "mesh", "both"), default="both")
    args = parser.parse_args()
    shapes = ("line", "mesh") if args.shape == "both" else (args.shape,)
    rows = marginal_memory([measure(shape, n) for shape in shapes for n in args.sizes])
    print_table("N PoPs in a line or a random mesh (seconds, MiB)",
                ["shape", "PoPs", "links", "build", "start", "stop", "ms/PoP up",
                 "ms/PoP stop", "ovs-vswitchd MiB", "controller MiB", "emulator +MiB",
                 "KiB/PoP", "leftovers"], rows,
                note="ovs-vswitchd MiB is its whole RSS while the topology runs; KiB/PoP is "
                     "what one more PoP costs (vswitchd growth + controller RSS + this "
                     "process's growth, against the smallest size). Stop removes the bridges' "
                     "local ports (tap devices) in one kernel batch, then the bridges in one "
                     "OVSDB transaction.")


if __name__ == "__main__":
    main()
