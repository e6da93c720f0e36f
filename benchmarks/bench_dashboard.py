#!/usr/bin/env python3
"""What one dashboard page costs the emulator, per update.

For N VNFs on 2 PoPs (one interface each, N/2 bidirectional chains between
pairs in different PoPs): the time to take the topology picture and one
metrics sample (CPU and memory of every VNF, rates of every interface and
chain), the size of both events as sent, and, for comparison in the same
run, `docker stats --no-stream` of the same containers (Docker's own way to
show their CPU and memory).  Medians of 10 updates.

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_dashboard.py [--sizes 2 16 64]
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import print_table, sh, timed  # noqa: E402
from mininet.node import RemoteController  # noqa: E402

from emuvim.api.dashboard.state import Sampler, topology  # noqa: E402
from emuvim.dcemulator.net import DCNetwork  # noqa: E402

UPDATES = 10


def measure(n):
    net = DCNetwork(controller=RemoteController, enable_learning=False)
    try:
        dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
        net.addLink(dc1, dc2)
        net.start()
        specs = [{"name": "v%d" % i, "image": "emuvim/busybox:latest",
                  "network": [{"id": "emu0", "ip": "10.0.%d.%d/16" % (i // 250, i % 250 + 1)}]}
                 for i in range(n)]
        dc1.startComputes(specs[0::2])
        dc2.startComputes(specs[1::2])
        net.setChains([{"vnf_src_name": "v%d" % i, "vnf_dst_name": "v%d" % (i + 1),
                        "vnf_src_interface": "emu0", "vnf_dst_interface": "emu0",
                        "bidirectional": True, "cookie": 1} for i in range(0, n - 1, 2)])
        sampler = Sampler(net)
        sampler.sample()
        picture_s, sample_s = [], []
        for _ in range(UPDATES):
            seconds, picture = timed(topology, net)
            picture_s.append(seconds)
            seconds, metrics = timed(sampler.sample)
            sample_s.append(seconds)
        ids = [node.container_id for dc in (dc1, dc2) for node in dc.listCompute()]
        stats_s = statistics.median(timed(sh, "docker", "stats", "--no-stream", *ids)[0]
                                    for _ in range(3))
        chains = len(net.chaining.chains)
        return [n, chains, 1000 * statistics.median(picture_s),
                1000 * statistics.median(sample_s), len(json.dumps(picture)) // 1024,
                len(json.dumps(metrics)) // 1024, 1000 * stats_s]
    finally:
        net.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 16, 64])
    args = parser.parse_args()
    rows = [measure(n) for n in args.sizes]
    print_table("One dashboard update (ms, KiB)",
                ["VNFs", "chains", "topology ms", "metrics ms", "topology KiB", "metrics KiB",
                 "docker stats ms"], rows,
                note="topology: the picture sent when it changes; metrics: the sample sent every "
                     "interval (1 s by default) to each open page. docker stats --no-stream: "
                     "CPU/memory of the same containers as Docker reports them.")


if __name__ == "__main__":
    main()
