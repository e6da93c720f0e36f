#!/usr/bin/env python3
"""Docker-VIM API (/v1): what a call costs against the docker command line.

One PoP behind the REST endpoint.  Each row is the median of --repeat runs:

* run: POST /v1/containers with start=true (create, start, one emulator
  interface on the PoP's switch) against `docker run -d` of the same image;
* stop + start: POST .../stop then .../start (interfaces detached and
  attached again) against `docker stop -t 0` + `docker start`;
* exec: POST .../exec of `true` against `docker exec NAME true`;
* remove: DELETE ?force=true against `docker rm -f`;
* list (10 containers): GET /v1/containers against `docker ps -a`.

    sudo /opt/emuvim-venv/bin/python benchmarks/bench_dockervim.py [--repeat 5]
"""

import argparse
import os
import statistics
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import docker_rm, print_table, sh, timed  # noqa: E402

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint  # noqa: E402
from emuvim.dcemulator.net import DCNetwork  # noqa: E402

IMAGE = "emuvim/base:latest"


def post(url, body=None):
    reply = requests.post(url, json=body or {}, timeout=120)
    reply.raise_for_status()
    return reply


def api_round(url, name):
    times = {}
    times["run"], _ = timed(post, url + "/containers", {
        "name": name, "image": IMAGE, "pop": "dc1", "command": ["sleep", "infinity"],
        "start": True})
    stop, _ = timed(post, "%s/containers/%s/stop" % (url, name), {"timeout_s": 0})
    start, _ = timed(post, "%s/containers/%s/start" % (url, name))
    times["stop + start"] = stop + start
    times["exec"], _ = timed(post, "%s/containers/%s/exec" % (url, name), {"cmd": ["true"]})
    times["remove"], _ = timed(requests.delete, "%s/containers/%s?force=true" % (url, name),
                               timeout=60)
    return times


def docker_round(name):
    times = {}
    times["run"], _ = timed(sh, "docker", "run", "-d", "--name", name, IMAGE, "sleep",
                            "infinity")
    stop, _ = timed(sh, "docker", "stop", "-t", "0", name)
    start, _ = timed(sh, "docker", "start", name)
    times["stop + start"] = stop + start
    times["exec"], _ = timed(sh, "docker", "exec", name, "true")
    times["remove"], _ = timed(sh, "docker", "rm", "-f", name)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    net = DCNetwork(controller=None, enable_learning=True)
    endpoint = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
    endpoint.connectDatacenter(net.addDatacenter("dc1"))
    api_runs, docker_runs = [], []
    try:
        net.start()
        endpoint.start()
        url = endpoint.url + "/v1"
        for i in range(args.repeat):
            api_runs.append(api_round(url, "bench%d" % i))
            docker_runs.append(docker_round("emuvim-bench-plain%d" % i))
        names = ["list%d" % i for i in range(10)]
        for name in names:
            post(url + "/containers", {"name": name, "image": IMAGE, "pop": "dc1",
                                       "command": ["sleep", "infinity"], "start": True})
        plain = ["emuvim-bench-list%d" % i for i in range(10)]
        for name in plain:
            sh("docker", "run", "-d", "--name", name, IMAGE, "sleep", "infinity")
        api_list = statistics.median(timed(requests.get, url + "/containers", timeout=60)[0]
                                     for _ in range(args.repeat))
        docker_list = statistics.median(timed(sh, "docker", "ps", "-a")[0]
                                        for _ in range(args.repeat))
        docker_rm(plain)
    finally:
        endpoint.stop()
        net.stop()
    rows = []
    for key in ("run", "stop + start", "exec", "remove"):
        api = statistics.median(r[key] for r in api_runs)
        plain = statistics.median(r[key] for r in docker_runs)
        rows.append([key, api, plain, "%.2fx" % (api / plain)])
    rows.append(["list (10)", api_list, docker_list, "%.2fx" % (api_list / docker_list)])
    print_table("Docker-VIM /v1 against the docker CLI (median of %d, seconds)" % args.repeat,
                ["operation", "/v1", "docker CLI", "ratio"], rows,
                note="/v1 run and start include attaching the emulator interface (veth, "
                     "address, OVS port); stop detaches it")


if __name__ == "__main__":
    main()
