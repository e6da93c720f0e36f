#!/usr/bin/env python3
"""SONATA gatekeeper: on-boarding with image builds, and instantiation, against plain Docker.

Two PoPs in a line under the os-ken controller, the gatekeeper with
deploy_sap=True.  Each row is the median of --repeat runs:

* upload (build): POST /packages of services/sonata-docker-build with a fresh
  build context (a nonce file), so both VNF images are really built;
  against `docker build` of the same two contexts with fresh nonces
* upload (cached): the same .son again; the images exist (content hash)
* instantiate: POST /instantiations of services/sonata-empty-chain (3 VNFs,
  2 host SAPs, 1 SAP container, 4 E-Lines, 1 E-LAN) until it answers, and
  until the host has pinged both ends of the chain through the SAPs; against
  4 plain `docker run -d` of the same image, 8 at a time
* terminate: DELETE /instantiations (stop commands, flows, containers)

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_sonata.py [--repeat 3]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import docker_rm, docker_run, print_table, sh, timed  # noqa: E402

from mininet.node import RemoteController  # noqa: E402

from emuvim.api.sonata import SonataDummyGatekeeperEndpoint  # noqa: E402
from emuvim.api.sonata.package import pack_son  # noqa: E402
from emuvim.dcemulator.net import DCNetwork  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAIN = os.path.join(REPO, "services", "sonata-empty-chain")
BUILD = os.path.join(REPO, "services", "sonata-docker-build")
VNFS = ("son-probe", "son-sink")
IMAGE = "emuvim/iperf-vnf:latest"


def fresh_build_package(workdir):
    folder = os.path.join(workdir, "build-%s" % uuid.uuid4().hex[:8])
    shutil.copytree(BUILD, folder)
    for vnf in VNFS:
        with open(os.path.join(folder, "docker_files", vnf, "nonce"), "w") as out:
            out.write(uuid.uuid4().hex)
    return folder


def upload(url, path):
    with open(path, "rb") as stream:
        reply = requests.post(url + "/packages", files={"package": stream}, timeout=600)
    reply.raise_for_status()
    return reply.json()


def host_pings(ip):
    return subprocess.run(["ping", "-c", "1", "-W", "1", ip], capture_output=True).returncode == 0


def wait_until(check, timeout=60):
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError("gave up after %d s" % timeout)
    return time.perf_counter()


def one_round(gk, workdir, images):
    row = {}
    folder = fresh_build_package(workdir)
    son = pack_son(folder, folder + ".son")
    row["upload (build)"], body = timed(upload, gk.url, son)
    images.extend(b["image"] for b in body["images_built"])
    row["upload (cached)"], again = timed(upload, gk.url, son)
    assert all(b["cached"] for b in again["images_built"])

    plain = fresh_build_package(workdir)
    tags = ["bench-son-%s" % uuid.uuid4().hex[:8] for _ in VNFS]
    start = time.perf_counter()
    for vnf, tag in zip(VNFS, tags):
        sh("docker", "build", "-q", "-t", tag, os.path.join(plain, "docker_files", vnf))
    row["docker build"] = time.perf_counter() - start
    images.extend(tags)

    chain = upload(gk.url, pack_son(CHAIN, os.path.join(workdir, "chain.son")))
    start = time.perf_counter()
    reply = requests.post(gk.url + "/instantiations",
                          json={"service_uuid": chain["service_uuid"]}, timeout=120)
    row["instantiate"] = time.perf_counter() - start
    instance = reply.json()["service_instance_uuid"]
    info = requests.get(gk.url + "/instantiations/" + instance).json()
    ends = [i["ip"].split("/")[0] for u in info["units"] for i in u["interfaces"]
            if (u["name"], i["id"]) in (("chain_vnf1", "input"), ("chain_vnf3", "output"))]
    row["reachable"] = wait_until(lambda: all(host_pings(ip) for ip in ends)) - start
    row["terminate"], _ = timed(requests.delete, gk.url + "/instantiations",
                                json={"service_instance_uuid": instance}, timeout=120)
    names = ["bench-son-run-%d" % i for i in range(4)]
    row["docker run x8"], _ = timed(docker_run, names, [IMAGE, "sleep", "infinity"], 8)
    docker_rm(names)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    net = DCNetwork(controller=RemoteController, enable_learning=False, monitor=False)
    gk = SonataDummyGatekeeperEndpoint("127.0.0.1", 0, deploy_sap=True)
    workdir = tempfile.mkdtemp(prefix="bench-sonata-")
    images, rows = [], []
    try:
        dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
        net.addLink(dc1, dc2)
        gk.connectDatacenter(dc1)
        gk.connectDatacenter(dc2)
        net.start()
        gk.start()
        rows = [one_round(gk, workdir, images) for _ in range(args.repeat)]
    finally:
        gk.stop()
        net.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        subprocess.run(["docker", "rmi", "-f"] + images, capture_output=True)
    columns = list(rows[0])
    print_table("SONATA gatekeeper, median of %d runs (s)" % len(rows), columns,
                [[statistics.median(r[c] for r in rows) for c in columns]],
                note="upload (build) vs docker build: two images from fresh contexts; "
                     "instantiate/reachable: 3 VNFs + 1 SAP container on 2 PoPs vs "
                     "4 x docker run (8 at a time)")


if __name__ == "__main__":
    main()
