#!/usr/bin/env python3
"""Time to start N VNFs in one PoP against plain `docker run -d --network none`.

Both sides start the same image in the same run.  Our time includes what
startCompute does beyond docker: the veth into the container, the OVS port,
addresses, checksum-offload settings.  Columns:

* docker run: N sequential `docker run -d --network none IMAGE sleep infinity`
* ours (none): N sequential startCompute(..., network_mode="none")
* ours (default): N sequential startCompute with Docker's default management
  network (what vim-emu did: eth0 on docker0, ports publishable)
* ours concurrent: dc.startComputes(specs, max_workers=8), default network
* docker concurrent: the same docker run commands, 8 at a time
* ratio AF_XDP: ours (default) with port_type="auto" (AF_XDP switch ports)

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_compute_start.py [--sizes 1 10 50]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import docker_rm, docker_run, print_table, timed  # noqa: E402

from emuvim.dcemulator.net import DCNetwork  # noqa: E402

IMAGE = "emuvim/base:latest"


PLAIN_RUN = ["--network", "none", IMAGE, "sleep", "infinity"]


def ours(n, network_mode=None, concurrent=False, port_type="system"):
    net = DCNetwork(controller=None, enable_learning=True, port_type=port_type)
    try:
        dc = net.addDatacenter("bench")
        net.start()
        extra = {"network_mode": network_mode} if network_mode else {}
        specs = [dict(name="b%d" % i, image=IMAGE, command="sleep infinity",
                      network=[{"id": "emu0", "ip": "10.%d.%d.%d/8" % (
                          (i >> 16) & 255, (i >> 8) & 255, (i & 255) + 1)}], **extra)
                 for i in range(n)]
        if concurrent:
            seconds, _ = timed(dc.startComputes, specs, max_workers=8)
        else:
            seconds, _ = timed(lambda: [dc.startCompute(**spec) for spec in specs])
        stop_s, _ = timed(net.stop)
        return seconds, stop_s
    finally:
        net.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        names = ["plain%d" % i for i in range(n)]
        docker_s, _ = timed(docker_run, names, PLAIN_RUN)
        docker_rm(names)
        docker_par_s, _ = timed(docker_run, names, PLAIN_RUN, 8)
        docker_rm(names)
        none_s, _ = ours(n, network_mode="none")
        default_s, stop_s = ours(n)
        conc_s, _ = ours(n, concurrent=True)
        xdp_s, _ = ours(n, port_type="auto")
        rows.append([n, docker_s, none_s, none_s / docker_s, default_s, default_s / docker_s,
                     docker_par_s, conc_s, conc_s / docker_par_s, stop_s, xdp_s / docker_s])
    print_table("Starting N VNFs in one PoP (seconds; ratio = ours / docker run)",
                ["N", "docker run", "ours (none)", "ratio", "ours (default)", "ratio",
                 "docker x8", "ours x8", "ratio", "ours stop", "ratio AF_XDP"], rows,
                note="target: ratio <= 1.3 (sequential, same image, same run); 'ratio AF_XDP' "
                     "is ours (default) with port_type='auto'")


if __name__ == "__main__":
    main()
