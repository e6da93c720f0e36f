#!/usr/bin/env python3
"""OpenStack `server create` on an emulated PoP against plain `docker run`.

For each N, N servers are created back to back through openstacksdk on one
network of one PoP (flavor m1.tiny, image emuvim/base), and timed from the
first create call:

* ACTIVE: until every server reports ACTIVE (GET /servers/<id> polled every 20 ms)
* ping: until a server that was running before answers a ping from each new one
* docker run: N plain `docker run -d` of the same image on Docker's bridge,
  until the last returns, and until the host pings each container

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_openstack.py [--sizes 1 5 10]
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import docker_rm, docker_run, print_table, sh  # noqa: E402

import openstack  # noqa: E402
from mininet.node import RemoteController  # noqa: E402

from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint  # noqa: E402
from emuvim.dcemulator.net import DCNetwork  # noqa: E402

IMAGE = "emuvim/base:latest"
POLL_S = 0.02


def wait_until(check, timeout=120):
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("gave up after %d s" % timeout)
        time.sleep(POLL_S)
    return time.perf_counter()


def pings(node, ip):
    return node.cmd("ping -c 1 -W 1 %s >/dev/null && echo ok" % ip).strip() == "ok"


def ours(n):
    net = DCNetwork(controller=RemoteController, enable_learning=False)
    api = OpenstackApiEndpoint("127.0.0.1", 0)
    try:
        api.connect_datacenter(net.addDatacenter("bench"))
        net.start()
        api.start()
        conn = openstack.connect(auth_url=api.auth_url, username="bench", password="x",
                                 project_name="admin", user_domain_name="Default",
                                 project_domain_name="Default", region_name="RegionOne")
        lan = conn.network.create_network(name="lan")
        conn.network.create_subnet(network_id=lan.id, ip_version=4, cidr="10.20.0.0/16")
        image = conn.image.find_image("emuvim/base").id
        flavor = conn.compute.find_flavor("m1.tiny").id

        def create(name):
            return conn.compute.create_server(name=name, image_id=image, flavor_id=flavor,
                                              networks=[{"uuid": lan.id}])
        peer = conn.compute.wait_for_server(create("peer"), wait=120)
        peer_ip = peer.addresses["lan"][0]["addr"]
        start = time.perf_counter()
        servers = [create("s%d" % i) for i in range(n)]
        active = max(wait_until(lambda s=s: conn.compute.get_server(s.id).status == "ACTIVE")
                     for s in servers) - start
        pinged = max(wait_until(lambda s=s: pings(net.getNodeByName(s.name), peer_ip))
                     for s in servers) - start
        return active, pinged
    finally:
        api.stop()
        net.stop()


def docker(n):
    names = ["bench-plain%d" % i for i in range(n)]
    start = time.perf_counter()
    docker_run(names, [IMAGE, "sleep", "infinity"])
    returned = time.perf_counter() - start
    for name in names:
        ip = json.loads(sh("docker", "inspect", name))[0]["NetworkSettings"]["IPAddress"]
        wait_until(lambda ip=ip: subprocess.run(["ping", "-c", "1", "-W", "1", ip],
                                                capture_output=True).returncode == 0)
    pinged = time.perf_counter() - start
    docker_rm(names)
    return returned, pinged


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 10])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        docker_s, docker_ping_s = docker(n)
        active_s, ping_s = ours(n)
        rows.append([n, docker_s, active_s, active_s / docker_s, docker_ping_s, ping_s,
                     ping_s / docker_ping_s])
    print_table("OpenStack server create on one PoP vs plain docker run (seconds from the "
                "first request)",
                ["N", "docker run", "ACTIVE", "ratio", "docker ping", "first ping", "ratio"],
                rows, note="ACTIVE: every server ACTIVE; first ping: every new server pings a "
                           "server on its network; docker: the host pings each container")


if __name__ == "__main__":
    main()
