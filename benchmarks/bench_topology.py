#!/usr/bin/env python3
"""Build, start and stop a linear topology of N PoPs; memory; leftovers.

For each N: time to add the PoPs and links, time to start (switches created
and connected to the os-ken controller, learning flows installed), memory
(ovs-vswitchd RSS, controller RSS, growth of this process's RSS), time to stop,
and the objects of the run still on the host after stop (must be 0).

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_topology.py [--sizes 1 8 32 128]
"""

import argparse
import os
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


def measure(n):
    vswitchd = pid_of("ovs-vswitchd")
    self_before = rss_kb(os.getpid())
    net = DCNetwork(controller=RemoteController, enable_learning=True)
    try:
        build_s, _ = timed(build_linear, net, n)
        start_s, _ = timed(net.start)
        controller_kb = rss_kb(net.controller_backend.process.pid)
        ovs_kb = rss_kb(vswitchd)
        self_kb = rss_kb(os.getpid()) - self_before
        run_id = net.identity.run_id
        stop_s, _ = timed(net.stop)
    finally:
        net.stop()
    return [n, build_s, start_s, stop_s, ovs_kb / 1024.0, controller_kb / 1024.0,
            self_kb / 1024.0, leftovers(run_id)]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 32, 128])
    args = parser.parse_args()
    rows = [measure(n) for n in args.sizes]
    print_table("Linear topology of N PoPs (seconds, MiB)",
                ["PoPs", "build", "start", "stop", "ovs-vswitchd MiB", "controller MiB",
                 "emulator +MiB", "leftovers"], rows,
                note="ovs-vswitchd MiB is its whole RSS while the topology runs (it does not "
                     "shrink after earlier runs, so no delta is shown).")


if __name__ == "__main__":
    main()
