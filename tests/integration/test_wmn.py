"""The WMN scenario with real routers (babeld), the radio medium, OVS and Docker."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.dcemulator.images import image_exists
from emuvim.wmn import RangeModel, WMNetwork
from emuvim.wmn.model import delivery_ratio
from emuvim.wmn.network import MESH_IMAGE
from emuvim.wmn.stations import parse_iw

from helpers import NOTHING_OWNED, owned_objects

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "topologies", "wmn_disaster.py")
DIAMOND = {"n1": (0, 0), "n2": (100, 50), "n3": (100, -50), "n4": (200, 0)}


@pytest.fixture(autouse=True)
def router_image():
    if not image_exists(MESH_IMAGE):
        pytest.fail("%s missing: ./run install builds it" % MESH_IMAGE)


def start_mesh(make_net, layout, gateway="n1", rest=False, **options):
    net = make_net()
    options.setdefault("model", RangeModel(range_m=120, delay_ms=2))
    wmn = WMNetwork(net, hello_interval_s=1.0, seed=11, **options)
    endpoint = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net) if rest else None
    for name, pos in layout.items():
        pop = wmn.addMeshNode(name, pos, gateway=name == gateway).pop
        if endpoint:
            endpoint.connectDatacenter(pop)
    if gateway:
        wmn.addBackhaul("hq")
    net.start()
    wmn.start()
    if endpoint:
        endpoint.connectWMN(wmn)
        endpoint.start()
    return net, wmn, endpoint


@pytest.fixture
def diamond(make_net):
    net, wmn, endpoint = start_mesh(make_net, DIAMOND, rest=True)
    yield net, wmn, endpoint.url
    endpoint.stop()


def time_to_reach(wmn, source, target, deadline_s=30):
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        if wmn.probe(source, target, count=1, timeout_s=0.5)["received"]:
            return time.monotonic() - started
    return None


def node_of_link_local(wmn, address):
    """The mesh node whose mesh0 has this IPv6 link-local (from its MAC)."""
    return next(n for n, node in wmn.nodes.items()
                if address.endswith(":%x" % node.index) and "fe00" in address)


def test_routes_converge_and_the_gateway_route_reaches_every_node(diamond):
    _net, wmn, _url = diamond
    assert time_to_reach(wmn, "n4", "n1") is not None
    for name in ("n2", "n3", "n4"):
        assert time_to_reach(wmn, name, "hq", 15) is not None, name
    routes = wmn.routes("n4")
    default = [r for r in routes["routes"] if r["prefix"] == "0.0.0.0/0"
               and r["installed"] == "yes"]
    assert default and node_of_link_local(wmn, default[0]["via"]) in ("n2", "n3")
    kernel = wmn.nodes["n4"].router.netns_run(["ip", "route", "show", "default"])
    assert "proto babel" in kernel
    assert {node_of_link_local(wmn, n["address"]) for n in routes["neighbours"]} == {"n2",
                                                                                   "n3"}
    # The site's LAN is announced: n4's router reaches n1's lan0.
    assert wmn.probe("n4", str(next(wmn.nodes["n1"].lan.hosts())), count=3)["received"] > 0


def installed_next_hop(wmn, source, prefix):
    for route in wmn.routes(source)["routes"]:
        if route["prefix"] == prefix and route["installed"] == "yes":
            return node_of_link_local(wmn, route["via"])
    return None


def test_a_silent_next_hop_failure_is_repaired(diamond):
    _net, wmn, _url = diamond
    # n3's links lose some hellos, so babel prefers n2; failing n2 forces a switch.
    for peer in ("n1", "n4"):
        wmn.set_link("n3", peer, loss=0.15)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
            installed_next_hop(wmn, "n4", "10.200.0.1/32") == "n2"
            and installed_next_hop(wmn, "n1", "10.200.0.4/32") == "n2"):
        time.sleep(0.2)
    assert installed_next_hop(wmn, "n4", "10.200.0.1/32") == "n2"
    wmn.run_timeline([{"at_s": 1.0, "action": "fail", "node": "n2"}])
    result = wmn.probe("n4", "n1", count=200, interval_s=0.1)
    assert wmn.events[-1]["action"] == "fail"
    print("repair after a silent failure of the next hop: longest gap %.2f s, pdr %.2f"
          % (result["longest_gap_s"], result["pdr"]))
    # babeld notices a silent neighbour only by missing hellos (1 s here) and
    # switches on smoothed metrics: seconds, not milliseconds.
    assert 0.5 < result["longest_gap_s"] < 15.0
    assert result["received"] >= 200 - 10 - 150
    assert installed_next_hop(wmn, "n4", "10.200.0.1/32") == "n3"


def test_a_partition_cuts_and_heal_restores(diamond):
    _net, wmn, url = diamond
    assert time_to_reach(wmn, "n4", "n1") is not None
    reply = requests.post(url + "/v1/wmn/partition", json={"groups": [["n1", "n2", "n3"],
                                                                      ["n4"]]}, timeout=30)
    assert reply.status_code == 200 and reply.json()["partition"] == [["n1", "n2", "n3"],
                                                                     ["n4"]]
    assert wmn.probe("n4", "n1", count=5, interval_s=0.2)["received"] == 0
    assert requests.post(url + "/v1/wmn/heal", json={}, timeout=30).status_code == 200
    healed = time_to_reach(wmn, "n4", "n1", 20)
    print("first reply %.2f s after heal" % healed)
    assert healed is not None


def test_delivery_ratio_under_loss_matches_the_model(make_net):
    net, wmn, _ = start_mesh(make_net, {"a": (0, 0), "b": (50, 0)}, gateway=None,
                             retry_limit=1)
    assert time_to_reach(wmn, "a", "b") is not None
    wmn.set_link("a", "b", loss=0.2)
    result = wmn.probe("a", "b", count=300, interval_s=0.02)
    expected = delivery_ratio(0.2, 1, 1)                    # 0.64 for a round trip
    print("delivery ratio %.3f, model %.3f" % (result["pdr"], expected))
    assert abs(result["pdr"] - expected) < 0.1
    counters = {(p["src"], p["dst"]): p for p in wmn.client.call("stats")["pairs"]}
    assert counters[("a", "b")]["tx_failed"] > 30
    assert result["rtt_min_ms"] >= 2 * 2                      # 2 ms per direction


def test_stations_count_traffic_and_speak_iw(diamond):
    _net, wmn, url = diamond
    # n4 reaching n1 proves routes through one of n2/n3 only: n1 may not have
    # heard n2's own announcement yet.
    assert time_to_reach(wmn, "n4", "n1") is not None
    assert time_to_reach(wmn, "n1", "n2") is not None
    before = {s["peer"]: s for s in wmn.stations("n1")["stations"]}
    assert wmn.probe("n1", "n2", count=20, interval_s=0.02)["received"] == 20
    after = {s["peer"]: s for s in wmn.stations("n1")["stations"]}
    assert set(after) == {"n2", "n3"}

    def total(stations, key):        # babel may route n1 -> n2 through n3 for a while
        return sum(entry[key] for entry in stations.values())
    assert total(after, "tx_packets") >= total(before, "tx_packets") + 20
    assert total(after, "rx_packets") >= total(before, "rx_packets") + 20
    assert after["n2"]["signal_dbm"] == -60 and after["n2"]["mesh_plink"] == "ESTAB"
    text = requests.get(url + "/v1/wmn/nodes/n1/stations?format=iw", timeout=30)
    assert text.headers["content-type"].startswith("text/plain")
    parsed = {s["mac"]: s for s in parse_iw(text.text)}
    assert parsed[wmn.nodes["n2"].mac]["tx packets"] >= after["n2"]["tx_packets"]
    assert parsed[wmn.nodes["n3"].mac]["rx bytes"] >= after["n3"]["rx_bytes"]
    student = requests.post(url + "/meshnet", json={"interface": "n1"}, timeout=30)
    assert student.status_code == 200 and student.json()["source"] == "emulated-medium"


def test_rest_api_of_the_scenario(diamond):
    _net, wmn, url = diamond
    summary = requests.get(url + "/v1/wmn", timeout=30).json()
    assert summary["backend"] == "userspace" and summary["medium_alive"] is True
    assert summary["gateways"] == ["n1"] and summary["netem"] is False
    assert [n["name"] for n in requests.get(url + "/v1/wmn/nodes", timeout=30).json()] == [
        "n1", "n2", "n3", "n4"]
    failed = requests.post(url + "/v1/wmn/nodes/n2/fail", json={"mode": "radio"}, timeout=30)
    assert failed.status_code == 200 and failed.json()["failed"] == "radio"
    links = requests.get(url + "/v1/wmn/links", timeout=30).json()
    assert all(not l["up"] for l in links if "n2" in (l["a"], l["b"]))
    assert requests.post(url + "/v1/wmn/nodes/n2/recover", json={},
                         timeout=30).json()["failed"] is None
    patched = requests.patch(url + "/v1/wmn/links/n1/n3", json={"loss": 0.5, "delay_ms": 40},
                             timeout=30)
    assert patched.status_code == 200
    assert patched.json()[0]["override"] == {"loss": 0.5, "delay_ms": 40.0}
    assert requests.delete(url + "/v1/wmn/links/n1/n3/override", timeout=30).status_code == 204
    moved = requests.patch(url + "/v1/wmn/nodes/n4", json={"position": [100, 0]}, timeout=30)
    assert moved.json()["position"] == [100.0, 0.0]
    graph = requests.get(url + "/v1/wmn/topology", timeout=30).json()
    assert graph["type"] == "NetworkGraph" and {"n1", "n4"} <= {l["source"] for l in
                                                                graph["links"]} | {
        l["target"] for l in graph["links"]}
    scheduled = requests.post(url + "/v1/wmn/events", json={"events": [
        {"at_s": 0, "action": "fail", "node": "n3"}]}, timeout=30)
    assert scheduled.status_code == 202
    deadline = time.monotonic() + 5
    while wmn.nodes["n3"].failed != "radio" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert requests.get(url + "/v1/wmn/events", timeout=30).json()[-1]["node"] == "n3"
    for method, path, body, status, code in (
            ("POST", "/v1/wmn/nodes/n9/fail", {}, 404, "node_not_found"),
            ("POST", "/v1/wmn/nodes/n1/fail", {"mode": "fire"}, 400, "invalid_field"),
            ("PATCH", "/v1/wmn/links/n1/n2", {"loss": 7}, 400, "invalid_field"),
            ("PATCH", "/v1/wmn/nodes/n1", {"position": "here"}, 400, "invalid_field"),
            ("POST", "/v1/wmn/partition", {"groups": "all"}, 400, "invalid_field"),
            ("POST", "/v1/wmn/events", {"events": [{"action": "boom"}]}, 400,
             "invalid_field"),
            ("POST", "/v1/wmn/probe", {"from": "n1", "to": "nowhere"}, 400, "invalid_field")):
        reply = requests.request(method, url + path, json=body, timeout=30)
        assert (reply.status_code, reply.json().get("code")) == (status, code), path
    plain = requests.post(url + "/v1/wmn/heal", data="{}", timeout=30,
                          headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415


def test_the_medium_dying_takes_its_radios_and_a_removed_router_spares_the_rest(make_net):
    net, wmn, _ = start_mesh(make_net, DIAMOND)
    assert time_to_reach(wmn, "n4", "n1") is not None
    net.dcs["n2"].stopCompute("n2.router")             # its namespace, and the TAP, go
    assert time_to_reach(wmn, "n4", "n1", 20) is not None
    deadline = time.monotonic() + 5
    while "n2" not in wmn.client.call("stats")["gone"] and time.monotonic() < deadline:
        wmn.probe("n1", "n2", count=1, timeout_s=0.2)   # traffic towards n2's radio
    assert "n2" in wmn.client.call("stats")["gone"] and wmn.medium_alive()
    pid = wmn.medium.pid
    os.kill(pid, signal.SIGKILL)
    wmn.medium.wait()
    router = wmn.nodes["n4"].router
    assert "mesh0" not in router.netns_run(["ip", "-o", "link", "show"])
    assert not wmn.medium_alive()


def test_topology_script_smoke():
    out = subprocess.run([sys.executable, SCRIPT, "--rows", "2", "--cols", "2", "--smoke",
                          "--rest-port", "0"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    run_id = out.stdout.split("(run ")[1].split(")")[0]
    assert "every node reaches hq after" in out.stdout
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["pdr"] >= 0.9
    assert owned_objects(run_id) == NOTHING_OWNED


def test_timeline_thread_is_stopped_with_the_network(make_net):
    net, wmn, _ = start_mesh(make_net, {"a": (0, 0), "b": (50, 0)}, gateway=None)
    thread = wmn.run_timeline([{"at_s": 600, "action": "heal"}])
    net.stop()
    thread.join(5)
    assert not thread.is_alive() and not wmn.medium_alive()


del threading
