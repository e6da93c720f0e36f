#!/usr/bin/env python3
"""LLCM: time from POST /instantiations until every VNF is reachable.

For each (VNFs, PoPs) pair a service is generated: a line of E-Lines
input -> vnf0 -> ... -> vnfN-1 -> output plus a management E-LAN that
includes the host's SAP.  PoPs form a line under the os-ken controller
(learning off: only the service's own flows forward).  Round-robin placement
spreads the VNFs.  Columns:

* POST: the synchronous POST /instantiations (containers, SAPs, chains,
  E-LAN, start commands)
* reachable: from sending POST until the host has pinged every VNF's
  management address through the E-LAN
* DELETE: terminating the instance (stop commands, flows, containers)
* docker run xW: the same N containers with plain `docker run -d` W at a time
  (W = the LLCM's concurrency, 8) and sequentially, same image, same run

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_llcm.py [--cases 2x2 8x2 32x8]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import docker_rm, docker_run, print_table, timed  # noqa: E402

from mininet.node import RemoteController  # noqa: E402

from emuvim.api.tango import TangoLLCMEndpoint  # noqa: E402
from emuvim.api.tango.package import pack_project  # noqa: E402
from emuvim.dcemulator.net import DCNetwork  # noqa: E402

IMAGE = "emuvim/iperf-vnf:latest"
# As the LLCM runs them: a tty and open stdin keep the image's bash alive
# (without them the container exits at once and the start command cannot run).
RUN_ARGS = ["-t", "-i", IMAGE]
WORKERS = 8


def write_project(folder, n):
    vnfd = {"vendor": "bench", "name": "bench-vnf", "version": "1",
            "virtual_deployment_units": [{
                "id": "vdu01", "vm_image": IMAGE, "vm_image_format": "docker",
                "resource_requirements": {"cpu": {"vcpus": 0.5},
                                          "memory": {"size": 128, "size_unit": "MB"}},
                "connection_points": [{"id": c} for c in ("mgmt", "input", "output")]}]}
    ids = ["vnf%d" % i for i in range(n)]
    hops = ["input"] + ["%s:%s" % (v, cp) for v in ids for cp in ("input", "output")] + [
        "output"]
    links = [{"id": "mgmt", "connectivity_type": "E-LAN",
              "connection_points_reference": ["%s:mgmt" % v for v in ids] + ["mgmt"]}]
    links += [{"id": "l%d" % i, "connectivity_type": "E-Line",
               "connection_points_reference": [hops[2 * i], hops[2 * i + 1]]}
              for i in range(n + 1)]
    nsd = {"vendor": "bench", "name": "line-%d" % n, "version": "1",
           "network_functions": [{"vnf_id": v, "vnf_name": "bench-vnf"} for v in ids],
           "virtual_links": links, "forwarding_graphs": []}
    project = {"files": [{"path": "nsd.yml", "type": "application/vnd.5gtango.nsd"},
                         {"path": "vnfd.yml", "type": "application/vnd.5gtango.vnfd"}],
               "package": {"vendor": "bench", "name": "line-%d" % n, "version": "1"}}
    for name, data in (("nsd.yml", nsd), ("vnfd.yml", vnfd), ("project.yml", project)):
        with open(os.path.join(folder, name), "w") as stream:
            yaml.safe_dump(data, stream)
    return pack_project(folder, os.path.join(folder, "line-%d.tgo" % n))


def ping_until_up(ip, deadline):
    while time.monotonic() < deadline:
        if subprocess.run(["ping", "-c", "1", "-W", "1", ip],
                          capture_output=True).returncode == 0:
            return True
    return False


def measure_llcm(n, pops):
    net = DCNetwork(controller=RemoteController, enable_learning=False, monitor=False)
    llcm = TangoLLCMEndpoint("127.0.0.1", 0, max_workers=WORKERS)
    try:
        dcs = [net.addDatacenter("dc%d" % (i + 1)) for i in range(pops)]
        for a, b in zip(dcs, dcs[1:]):
            net.addLink(a, b)
        for dc in dcs:
            llcm.connectDatacenter(dc)
        net.start()
        llcm.start()
        with tempfile.TemporaryDirectory() as folder:
            with open(write_project(folder, n), "rb") as stream:
                assert requests.post(llcm.url + "/packages",
                                     files={"package": stream}).status_code == 201
        start = time.monotonic()
        response = requests.post(llcm.url + "/instantiations", json={}, timeout=600)
        post_s = time.monotonic() - start
        assert response.status_code == 201, response.text
        uuid = response.json()["service_instance_uuid"]
        info = requests.get("%s/instantiations/%s" % (llcm.url, uuid)).json()
        mgmt = [i["ip"].split("/")[0] for u in info["units"] for i in u["interfaces"]
                if i["id"] == "mgmt"]
        with ThreadPoolExecutor(max_workers=32) as pool:
            ok = all(pool.map(lambda ip: ping_until_up(ip, start + 300), mgmt))
        reachable_s = time.monotonic() - start
        delete_s, response = timed(requests.delete, llcm.url + "/instantiations", json={},
                                   timeout=600)
        return post_s, reachable_s if ok else float("nan"), delete_s
    finally:
        llcm.stop()
        net.stop()


def time_docker_run(n, workers, start_command=False):
    """Seconds to `docker run` n containers of the VNF image, `workers` at a
    time; with start_command, each then gets `docker exec -d` of the image's
    VIM_EMU_CMD, as the LLCM runs it (what doing it by hand takes)."""
    names = ["benchllcm%d" % i for i in range(n)]

    def run_and_start(name):
        docker_run([name], RUN_ARGS, 1)
        subprocess.run(["docker", "exec", "-d", name, "sh", "-c", "$VIM_EMU_CMD"],
                       check=True, capture_output=True)
    try:
        if start_command:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                seconds, _ = timed(lambda: list(pool.map(run_and_start, names)))
        else:
            seconds, _ = timed(docker_run, names, RUN_ARGS, workers)
    finally:
        docker_rm(names)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["2x2", "2x8", "8x2", "8x8", "32x2",
                                                       "32x8"],
                        help="VNFSxPOPS pairs")
    args = parser.parse_args()
    rows = []
    for case in args.cases:
        n, pops = (int(x) for x in case.split("x"))
        docker_par = time_docker_run(n, WORKERS)
        docker_cmd = time_docker_run(n, WORKERS, start_command=True)
        docker_seq = time_docker_run(n, 1)
        post_s, reachable_s, delete_s = measure_llcm(n, pops)
        rows.append((n, pops, post_s, reachable_s, delete_s, docker_par, docker_cmd,
                     docker_seq, reachable_s / docker_par, reachable_s / docker_cmd,
                     reachable_s / docker_seq))
    print_table("LLCM: POST /instantiations until all VNFs reachable (seconds)",
                ["VNFs", "PoPs", "POST", "reachable", "DELETE", "docker run x8",
                 "run+exec x8", "docker run x1", "ratio x8", "ratio run+exec",
                 "ratio x1"], rows,
                note="ratio = reachable / docker run of the same containers (same image, "
                     "same run); run+exec: each container also gets `docker exec -d` of its "
                     "start command, as the LLCM does; target ratio x8 <= 1.3")


if __name__ == "__main__":
    main()
