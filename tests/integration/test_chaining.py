"""Service chains and E-LANs through the real controller (and through ovs-ofctl)."""

import os
import signal
import subprocess
import time

import pytest
import requests
from mininet.node import RemoteController

from emuvim.dcemulator.chaining import ChainError, NoPathError

from helpers import host_ping, ping_fails, ping_ok, reachable, tcp_mbit_s


def dump_flows(bridge):
    return subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", bridge],
                          capture_output=True, text=True).stdout


def flows_with_cookie(net, cookie):
    return sum(dump_flows(s.name).count("cookie=%#x," % cookie) for s in net.switches)


def tcp_connects(client, server, ip):
    server.cmd("iperf3 -s -D -1")
    server.cmd("for i in $(seq 100); do ss -ltn | grep -q ':5201 ' && break; sleep 0.05; done")
    return client.cmd("nc -z -w 2 %s 5201; echo rc=$?" % ip).strip().endswith("rc=0")


def line_of_pops(net, n):
    dcs = [net.addDatacenter("dc%d" % (i + 1)) for i in range(n)]
    for a, b in zip(dcs, dcs[1:]):
        net.addLink(a, b)
    return dcs


@pytest.mark.parametrize("controller", [RemoteController, None], ids=["os-ken", "ovs-ofctl"])
@pytest.mark.parametrize("pops", [1, 3])
def test_chain_carries_traffic_only_while_installed(make_net, controller, pops):
    net = make_net(controller=controller, enable_learning=False)
    dcs = line_of_pops(net, pops)
    net.start()
    a = dcs[0].startCompute("a", network=[{"id": "in", "ip": "10.0.10.1/24"}])
    b = dcs[-1].startCompute("b", network=[{"id": "out", "ip": "10.0.10.2/24"}])
    assert not tcp_connects(a, b, "10.0.10.2")
    result = net.setChain("a", "b", "in", "out", bidirectional=True, cmd="add-flow", cookie=7)
    assert result.count("success: add-flow") == 2
    # ARP failed while there was no chain: the first packet may be lost.
    assert reachable(a, "10.0.10.2")
    assert ping_ok(a, "10.0.10.2")
    assert tcp_mbit_s(a, b, "10.0.10.2") > 10
    assert flows_with_cookie(net, 7) == 2 * pops
    if pops > 1:
        assert "push_vlan" in dump_flows(dcs[0].switch.name)
    else:
        assert "vlan" not in dump_flows(dcs[0].switch.name).split("cookie=0x7,", 1)[1]
    net.setChain("a", "b", "in", "out", bidirectional=True, cmd="del-flows", cookie=7)
    assert flows_with_cookie(net, 7) == 0
    assert net.vlans.in_use() == []
    assert not tcp_connects(a, b, "10.0.10.2")


def test_one_way_chain_is_one_way(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, _, dc3 = line_of_pops(net, 3)
    net.start()
    dc1.startCompute("a", network=[{"id": "in", "ip": "10.0.10.1/24"}])
    dc3.startCompute("b", network=[{"id": "out", "ip": "10.0.10.2/24"}])
    net.setChain("a", "b", "in", "out", bidirectional=False, cookie=3)
    assert flows_with_cookie(net, 3) == 3
    assert [c["vnf_src_name"] for c in net.listChains()] == ["a"]


def test_two_services_are_isolated_by_cookie_and_vlan(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, _, dc3 = line_of_pops(net, 3)
    net.start()
    # All four VNFs share one subnet: only the chains decide who reaches whom.
    s1a = dc1.startCompute("s1a", network=[{"id": "emu0", "ip": "10.0.10.1/24"}])
    s1b = dc3.startCompute("s1b", network=[{"id": "emu0", "ip": "10.0.10.2/24"}])
    s2a = dc1.startCompute("s2a", network=[{"id": "emu0", "ip": "10.0.10.3/24"}])
    s2b = dc3.startCompute("s2b", network=[{"id": "emu0", "ip": "10.0.10.4/24"}])
    net.setChain("s1a", "s1b", bidirectional=True, cookie=1)
    net.setChain("s2a", "s2b", bidirectional=True, cookie=2)
    assert flows_with_cookie(net, 1) == 6 and flows_with_cookie(net, 2) == 6
    assert ping_ok(s1a, "10.0.10.2") and ping_ok(s2a, "10.0.10.4")
    assert ping_fails(s1a, "10.0.10.4") and ping_fails(s2b, "10.0.10.1")
    assert len(set(net.vlans.in_use())) == 4
    net.setChain("s1a", "s1b", bidirectional=True, cmd="del-flows", cookie=1)
    assert flows_with_cookie(net, 1) == 0 and flows_with_cookie(net, 2) == 6
    assert ping_fails(s1a, "10.0.10.2")
    assert ping_ok(s2a, "10.0.10.4")
    assert tcp_mbit_s(s2a, s2b, "10.0.10.4") > 10
    counters = net.getCookieCounters(2)
    assert counters["chains"] == 2 and counters["packets"] > 0
    assert net.getInterfaceCounters("s2a")["tx_packets"] > 0
    assert s1b.getStatus()["state"]["Running"]
    assert net.deleteChainsByCookie(2) == 2
    assert flows_with_cookie(net, 2) == 0 and net.vlans.in_use() == []
    assert ping_fails(s2a, "10.0.10.4")


def test_weighted_path_avoids_the_costly_direct_link(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2, dc3 = (net.addDatacenter(n) for n in ("dc1", "dc2", "dc3"))
    net.addLink(dc1, dc2, cost=1)
    net.addLink(dc2, dc3, cost=1)
    net.addLink(dc1, dc3, cost=10)
    net.start()
    a = dc1.startCompute("a", network=[{"id": "emu0", "ip": "10.0.10.1/24"}])
    dc3.startCompute("b", network=[{"id": "emu0", "ip": "10.0.10.2/24"}])
    net.setChain("a", "b", bidirectional=True, cookie=5, weight="cost")
    assert net.listChains()[0]["path"] == [dc1.switch.name, dc2.switch.name, dc3.switch.name]
    assert "cookie=0x5," in dump_flows(dc2.switch.name)
    assert ping_ok(a, "10.0.10.2")
    net.setChain("a", "b", cmd="del-flows", bidirectional=True, cookie=5)
    net.setChain("a", "b", bidirectional=True, cookie=6)  # unweighted: hop count
    assert net.listChains()[0]["path"] == [dc1.switch.name, dc3.switch.name]
    assert "cookie=0x6," not in dump_flows(dc2.switch.name)
    assert ping_ok(a, "10.0.10.2")


def test_explicit_path(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2, dc3 = (net.addDatacenter(n) for n in ("dc1", "dc2", "dc3"))
    net.addLink(dc1, dc2)
    net.addLink(dc2, dc3)
    net.addLink(dc1, dc3)
    net.start()
    a = dc1.startCompute("a", network=[{"id": "emu0", "ip": "10.0.10.1/24"}])
    dc3.startCompute("b", network=[{"id": "emu0", "ip": "10.0.10.2/24"}])
    path = [dc1.switch.name, dc2.switch.name, dc3.switch.name]
    net.setChain("a", "b", bidirectional=True, cookie=4, path=path)
    assert [c["path"] for c in net.listChains()] == [path, path[::-1]]
    assert ping_ok(a, "10.0.10.2")


@pytest.mark.parametrize("learning", [True, False])
def test_elan_across_two_pops_is_isolated(make_net, learning):
    net = make_net(controller=RemoteController, enable_learning=learning)
    dc1, dc2 = line_of_pops(net, 2)
    net.start()
    m1 = dc1.startCompute("m1", network=[{"id": "lan", "ip": "10.0.30.1/24"}])
    dc1.startCompute("m2", network=[{"id": "lan", "ip": "10.0.30.2/24"}])
    m3 = dc2.startCompute("m3", network=[{"id": "lan", "ip": "10.0.30.3/24"}])
    other = dc2.startCompute("x", network=[{"id": "lan", "ip": "10.0.30.9/24"}])
    y = dc1.startCompute("y", network=[{"id": "lan", "ip": "10.0.30.8/24"}])
    lan = net.setLAN([{"name": "m1", "interface": "lan"}, {"name": "m2", "interface": "lan"},
                      {"name": "m3", "interface": "lan"}], cookie=30)
    other_lan = net.setLAN([{"name": "x"}, {"name": "y"}], cookie=31)
    assert lan.vlan != other_lan.vlan
    assert ping_ok(m1, "10.0.30.2") and ping_ok(m1, "10.0.30.3") and ping_ok(m3, "10.0.30.2")
    assert ping_ok(y, "10.0.30.9")
    assert ping_fails(m1, "10.0.30.9") and ping_fails(other, "10.0.30.3")
    net.delLAN(lan)
    assert lan.vlan not in net.vlans.in_use()
    assert flows_with_cookie(net, 30) == 0


def test_controller_restart_reinstalls_owned_flows(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, _, dc3 = line_of_pops(net, 3)
    net.start()
    a = dc1.startCompute("a", network=[{"id": "emu0", "ip": "10.0.10.1/24"}])
    dc3.startCompute("b", network=[{"id": "emu0", "ip": "10.0.10.2/24"}])
    net.setChain("a", "b", bidirectional=True, cookie=9)
    backend = net.controller_backend
    old_pid = backend.process.pid
    os.kill(old_pid, signal.SIGKILL)
    for switch in net.switches:  # the switches lose our flows while it is down
        subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "del-flows", switch.name,
                        "cookie=0x9/-1"], check=True)
    assert flows_with_cookie(net, 9) == 0
    deadline = time.monotonic() + 30
    while backend.restarts < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert backend.restarts == 1 and backend.process.pid != old_pid
    assert flows_with_cookie(net, 9) == 6
    assert reachable(a, "10.0.10.2") and ping_ok(a, "10.0.10.2")
    net.setChain("a", "b", cmd="del-flows", bidirectional=True, cookie=9)
    assert flows_with_cookie(net, 9) == 0


def test_a_stuck_controller_is_replaced_when_switches_wait_for_it(make_net):
    """Alive but frozen (SIGSTOP): the watchdog cannot see that, so a wait for
    the switches restarts it once; old chains keep working, new ones install."""
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2 = line_of_pops(net, 2)
    net.start()
    a = dc1.startCompute("a", network=[{"id": "emu0", "ip": "10.0.11.1/24"}])
    dc2.startCompute("b", network=[{"id": "emu0", "ip": "10.0.11.2/24"}])
    dc2.startCompute("c", network=[{"id": "emu0", "ip": "10.0.11.3/24"}])
    d = dc1.startCompute("d", network=[{"id": "emu0", "ip": "10.0.11.4/24"}])
    net.setChain("a", "b", bidirectional=True, cookie=11)
    backend = net.controller_backend
    stuck_pid = backend.process.pid
    os.kill(stuck_pid, signal.SIGSTOP)
    try:
        backend.wait_switches(net.switches, timeout_s=3)
    finally:
        subprocess.run(["kill", "-CONT", str(stuck_pid)], capture_output=True)
    assert backend.process.pid != stuck_pid and backend.is_alive()
    assert reachable(a, "10.0.11.2")
    net.setChain("d", "c", bidirectional=True, cookie=12)
    assert reachable(d, "10.0.11.3")


def test_chain_errors_leave_no_flows(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")  # not linked
    net.start()
    dc1.startCompute("a", network=[{"id": "in"}])
    dc1.startCompute("b", network=[{"id": "out"}])
    dc2.startCompute("c")
    before = {s.name: dump_flows(s.name).count("cookie=") for s in net.switches}
    with pytest.raises(LookupError, match="unknown VNF 'nope'"):
        net.setChain("a", "nope", cookie=1)
    with pytest.raises(LookupError, match="no interface 'eth9' \\(it has: in\\)"):
        net.setChain("a", "b", "eth9", "out", cookie=1)
    with pytest.raises(NoPathError, match="No path could be found"):
        net.setChain("a", "c", bidirectional=True, cookie=1)
    with pytest.raises(ChainError, match="bad match field"):
        net.setChain("a", "b", match="nw_src=10.0.0.1 ; rm -rf", cookie=1)
    with pytest.raises(ChainError, match="unknown cmd"):
        net.setChain("a", "b", cmd="drop-everything")
    net.setChain("a", "b", cookie=1)
    with pytest.raises(ChainError, match="exists already"):
        net.setChain("a", "b", cookie=2)
    with pytest.raises(ChainError, match="would replace one of the chain a:in -> b:out"):
        _conflicting_chain(net)
    with pytest.raises(LookupError, match="no chain from b:out to a:in"):
        net.setChain("b", "a", cmd="del-flows")
    after = {s.name: dump_flows(s.name).count("cookie=") for s in net.switches}
    after[dc1.switch.name] -= 1  # the one chain that was created on purpose
    assert after == before
    assert net.vlans.in_use() == []


def _conflicting_chain(net):
    """a:in -> b2 would need the same ingress flow (in_port of a:in) as a:in -> b."""
    net.dcs["dc1"].startCompute("b2")
    net.setChain("a", "b2", "in", None, cookie=4)


def test_stopping_a_vnf_removes_its_chains(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, _, dc3 = line_of_pops(net, 3)
    net.start()
    dc1.startCompute("a")
    dc3.startCompute("b")
    net.setChain("a", "b", bidirectional=True, cookie=8)
    dc3.stopCompute("b")
    assert net.listChains() == [] and net.vlans.in_use() == []
    assert flows_with_cookie(net, 8) == 0


def test_controller_rest_api_is_ryu_compatible(make_net):
    net = make_net(controller=RemoteController, enable_learning=True)
    dc1 = net.addDatacenter("dc1")
    net.start()
    url = net.controller_backend.rest_url
    dpid = int(dc1.switch.dpid, 16)
    assert requests.get(url + "/stats/switches").json() == [dpid]
    flow = {"dpid": dpid, "cookie": 0x42, "priority": 7, "match": {"in_port": 1},
            "actions": [{"type": "OUTPUT", "port": 2}]}
    # vim-emu's client posts JSON without a JSON content type.
    import json
    assert requests.post(url + "/stats/flowentry/add", data=json.dumps(flow)).status_code == 200
    assert "cookie=0x42" in dump_flows(dc1.switch.name)
    all_ones = 0xFFFFFFFFFFFFFFFF
    listed = requests.post(url + "/stats/flow/%d" % dpid,
                           json={"cookie": 0x42, "cookie_mask": all_ones}).json()[str(dpid)]
    assert [f["priority"] for f in listed] == [7]
    assert requests.post(url + "/stats/flow/%d" % dpid,
                         json={"cookie": 1, "cookie_mask": -1}).status_code == 400
    strict = dict(flow, cookie_mask=all_ones)
    del strict["actions"]
    assert requests.post(url + "/stats/flowentry/delete_strict", json=strict).status_code == 200
    assert "cookie=0x42" not in dump_flows(dc1.switch.name)
    assert requests.get(url + "/stats/port/%d" % dpid).status_code == 200
    assert requests.post(url + "/stats/flowentry/add", data="garbage").status_code == 400
    assert requests.post(url + "/stats/flowentry/add", json={"dpid": 999}).status_code == 404
    assert requests.post(url + "/stats/flowentry/add",
                         json={"dpid": dpid, "match": {"in_port": "x"}}).status_code == 400


def test_monitor_counts_a_chain_without_changing_it(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, _, dc3 = line_of_pops(net, 3)
    net.start()
    a = dc1.startCompute("a", network=[{"id": "emu0", "ip": "10.0.10.1/24"}])
    dc3.startCompute("b", network=[{"id": "emu0", "ip": "10.0.10.2/24"}])
    net.setChain("a", "b", bidirectional=True, cookie=1)
    result = net.setChain("a", "b", monitor=True, monitor_placement="tx", cookie=77)
    assert "monitor tx" in result
    assert "cookie=0x4d," in dump_flows(dc1.switch.name)
    assert ping_ok(a, "10.0.10.2")
    assert net.getCookieCounters(77)["packets"] >= 2
    with pytest.raises(ChainError, match="monitor_placement"):
        net.setChain("a", "b", monitor=True, monitor_placement="middle", cookie=78)
    net.setChain("a", "b", cmd="del-flows", monitor=True, monitor_placement="tx", cookie=77)
    assert flows_with_cookie(net, 77) == 0
    assert ping_ok(a, "10.0.10.2")


def test_stopping_a_lan_member_keeps_the_rest_of_the_lan(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2 = line_of_pops(net, 2)
    net.start()
    m1 = dc1.startCompute("m1", network=[{"id": "lan", "ip": "10.0.30.1/24"}])
    dc1.startCompute("m2", network=[{"id": "lan", "ip": "10.0.30.2/24"}])
    dc2.startCompute("m3", network=[{"id": "lan", "ip": "10.0.30.3/24"}])
    lan = net.setLAN([{"name": "m1"}, {"name": "m2"}, {"name": "m3"}], cookie=40)
    flows_before = flows_with_cookie(net, 40)
    dc1.stopCompute("m2")
    assert [m["vnf"] for m in net.listLANs()[0]["members"]] == ["m1", "m3"]
    assert flows_with_cookie(net, 40) == flows_before - 1
    assert ping_ok(m1, "10.0.30.3")
    net.delLAN(lan.vlan)
    assert flows_with_cookie(net, 40) == 0 and net.vlans.in_use() == []


def test_external_sap_is_a_chain_endpoint(make_net):
    """The host reaches a VNF in another PoP through its SAP only while a
    chain joins them; removing the SAP removes its chains."""
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2 = line_of_pops(net, 2)
    net.start()
    dc1.attachExternalSAP("sap1", "10.71.0.0/24")
    dc2.startCompute("vnf1", network=[{"id": "emu0", "ip": "10.71.0.2/24"}])
    assert not host_ping("10.71.0.2")
    net.setChain("sap1", "vnf1", None, "emu0", bidirectional=True, cookie=71)
    assert any(host_ping("10.71.0.2") for _ in range(5))
    assert flows_with_cookie(net, 71) > 0
    dc1.removeExternalSAP("sap1")
    assert net.installed_chains == [] and flows_with_cookie(net, 71) == 0
