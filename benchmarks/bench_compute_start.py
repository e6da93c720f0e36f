#!/usr/bin/env python3
"""Time to start N VNFs in one PoP against plain `docker run -d`, side by side.

Both sides start the same image, with the same Docker network, in the same
run.  Our time includes what startCompute does beyond docker: the veth into
the container, its addresses and offloads (netlink), the OVS port.  Columns:

* x1: N starts one after the other; docker `--network none` against
  startCompute(..., network_mode="none")
* x8: 8 at a time (dc.startComputes(specs, max_workers=8)), once with
  `--network none` on both sides and once with Docker's default bridge on
  both sides (what vim-emu did: eth0 on docker0, ports publishable)
* stop: net.stop() after the x8 bridge run
* AF_XDP x8: the x8 none run with every switch port AF_XDP
  (port_type="auto"), against docker x8 none: the price of AF_XDP ports

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_compute_start.py [--sizes 10 50]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import docker_rm, docker_run, print_table, timed  # noqa: E402

from emuvim.dcemulator.net import DCNetwork  # noqa: E402

IMAGE = "emuvim/base:latest"


NONE_RUN = ["--network", "none", IMAGE, "sleep", "infinity"]
BRIDGE_RUN = [IMAGE, "sleep", "infinity"]


def ours(n, network_mode=None, workers=1, port_type="system"):
    """(start seconds, stop seconds) of n VNFs in one PoP."""
    net = DCNetwork(controller=None, enable_learning=True, port_type=port_type)
    try:
        dc = net.addDatacenter("bench")
        net.start()
        extra = {"network_mode": network_mode} if network_mode else {}
        specs = [dict(name="b%d" % i, image=IMAGE, command="sleep infinity",
                      network=[{"id": "emu0", "ip": "10.%d.%d.%d/8" % (
                          (i >> 16) & 255, (i >> 8) & 255, (i & 255) + 1)}], **extra)
                 for i in range(n)]
        if workers > 1:
            seconds, _ = timed(dc.startComputes, specs, max_workers=workers)
        else:
            seconds, _ = timed(lambda: [dc.startCompute(**spec) for spec in specs])
        stop_s, _ = timed(net.stop)
        return seconds, stop_s
    finally:
        net.stop()


def plain(names, run_args, workers):
    seconds, _ = timed(docker_run, names, run_args, workers)
    docker_rm(names)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        names = ["plain%d" % i for i in range(n)]
        docker_x1 = plain(names, NONE_RUN, 1)
        ours_x1, _ = ours(n, network_mode="none")
        docker_x8 = plain(names, NONE_RUN, 8)
        ours_x8, _ = ours(n, network_mode="none", workers=8)
        docker_x8_bridge = plain(names, BRIDGE_RUN, 8)
        ours_x8_bridge, stop_s = ours(n, workers=8)
        xdp_x8, _ = ours(n, network_mode="none", workers=8, port_type="auto")
        rows.append([n, docker_x1, ours_x1, ours_x1 / docker_x1,
                     docker_x8, ours_x8, ours_x8 / docker_x8,
                     docker_x8_bridge, ours_x8_bridge, ours_x8_bridge / docker_x8_bridge,
                     stop_s, xdp_x8, xdp_x8 / docker_x8])
    print_table("Starting N VNFs in one PoP (seconds; ratio = ours / docker run)",
                ["N", "docker x1", "ours x1", "ratio", "docker x8", "ours x8", "ratio",
                 "docker x8 bridge", "ours x8 bridge", "ratio", "ours stop",
                 "AF_XDP x8", "ratio"], rows,
                note="targets: x8 ratio <= 1.1, x1 ratio <= 1.3 (same image and network "
                     "mode, same run); AF_XDP x8 is the x8 none run with AF_XDP switch ports")


if __name__ == "__main__":
    main()
