"""What a user would check: packets, throughput, what exists on the host."""

import json
import re
import subprocess

import requests

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.dcemulator.ownership import LABEL_RUN, OVS_RUN_KEY


def ping_ok(node, ip, count=2):
    out = node.cmd("ping -c %d -W 1 %s" % (count, ip))
    match = re.search(r"(\d+)% packet loss", out)
    return bool(match) and int(match.group(1)) == 0


def reachable(node, ip, attempts=10):
    """True once `ip` answers a ping (bounded): after a failed ARP the first
    packets of a new path may be lost while the neighbour entry recovers."""
    out = node.cmd("for i in $(seq %d); do ping -c 1 -W 1 %s >/dev/null && echo ok && break; "
                   "done" % (attempts, ip))
    return "ok" in out


def ping_fails(node, ip):
    out = node.cmd("ping -c 2 -W 1 %s" % ip)
    return " 0 received" in out or "100% packet loss" in out


def tcp_mbit_s(client, server, server_ip, seconds=2):
    """iperf3 TCP throughput client -> server in Mbit/s (0.0 if it fails)."""
    server.cmd("iperf3 -s -D -1 --logfile /tmp/iperf3-server.log")
    server.cmd("for i in $(seq 100); do ss -ltn | grep -q ':5201 ' && break; sleep 0.05; done")
    out = client.cmd("iperf3 -c %s -t %d -O 1 -J --connect-timeout 3000" % (server_ip, seconds))
    try:
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e6
    except (ValueError, KeyError):
        return 0.0


def host_ping(ip):
    """One ping from the host itself (through an external SAP)."""
    return subprocess.run(["ping", "-c", "1", "-W", "2", ip], capture_output=True).returncode == 0


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True).stdout


def containers_of(run_id):
    return run(["docker", "ps", "-a", "-q", "--filter", "label=%s=%s" % (LABEL_RUN, run_id)]).split()


def bridges_of(run_id):
    out = run(["ovs-vsctl", "--format=json", "--", "--columns=name,external_ids", "list",
               "Bridge"])
    return [name for name, ext in json.loads(out)["data"]
            if dict(ext[1]).get(OVS_RUN_KEY) == run_id]


def veths_of(run_id):
    links = json.loads(run(["ip", "-j", "link", "show"]) or "[]")
    return [l["ifname"] for l in links if run_id in (l.get("ifalias") or "")]


def networks_of(run_id):
    return run(["docker", "network", "ls", "-q", "--filter",
                "label=%s=%s" % (LABEL_RUN, run_id)]).split()


NOTHING_OWNED = {"containers": [], "bridges": [], "veths": [], "networks": []}


def owned_objects(run_id):
    return {"containers": containers_of(run_id), "bridges": bridges_of(run_id),
            "veths": veths_of(run_id), "networks": networks_of(run_id)}


def switch_ports(bridge):
    return run(["ovs-vsctl", "list-ports", bridge]).split()


def cgroup_value(node, v1_path, v2_file):
    """Read a cgroup limit from inside the container (cgroup v1 or v2)."""
    return node.cmd("cat /sys/fs/cgroup/%s 2>/dev/null || cat /sys/fs/cgroup/%s"
                    % (v1_path, v2_file)).strip()


# -- LLCM and SONATA gatekeeper clients ---------------------------------------------------


def instantiate(url, route="/instantiations", **body):
    """POST an instantiation; asserts 201 and returns the instance uuid."""
    response = requests.post(url + route, json=body, timeout=120)
    assert response.status_code == 201, response.text
    return response.json()["service_instance_uuid"]


def details(url, instance_uuid):
    return requests.get("%s/instantiations/%s" % (url, instance_uuid)).json()


def addresses(info):
    """{(container, interface): address} of an instance's details."""
    return {(u["name"], i["id"]): i["ip"].split("/")[0]
            for u in info["units"] for i in u["interfaces"] if i["ip"]}


def bridge_flows_with_cookie(bridge, cookie):
    out = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", bridge, "cookie=%d/-1" % cookie])
    return [line for line in out.splitlines() if "cookie=" in line]


def rest_over_two_pops(net, first, second, before_start=None):
    """Two linked PoPs behind a started REST endpoint; before_start(net,
    endpoint) may add more (PoPs must exist before net.start())."""
    endpoint = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
    for label in (first, second):
        endpoint.connectDatacenter(net.addDatacenter(label))
    net.addLink(first, second)
    if before_start:
        before_start(net, endpoint)
    net.start()
    endpoint.start()
    return endpoint
