"""The os-ken controller process (vim-emu's RemoteController)."""

import os
import subprocess

from mininet.node import RemoteController

from emuvim.dcemulator.controller.base import BASE_FLOW_COOKIE
from emuvim.dcemulator.ownership import process_start_time

from helpers import ping_fails, ping_ok


def dump_flows(bridge):
    return subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", bridge],
                          capture_output=True, text=True).stdout


def test_learning_controller_forwards(make_net):
    net = make_net(controller=RemoteController, enable_learning=True)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2)
    net.start()
    backend = net.controller_backend
    assert backend.is_alive()
    assert os.path.exists(backend.log_path)
    for switch in net.switches:
        target = subprocess.run(["ovs-vsctl", "get-controller", switch.name],
                                capture_output=True, text=True).stdout.strip()
        assert target == backend.targets()[0]
        assert "cookie=%#x" % BASE_FLOW_COOKIE in dump_flows(switch.name)
    a = dc1.startCompute("a")
    b = dc2.startCompute("b")
    assert ping_ok(a, b.IP())
    assert "actions=NORMAL" in dump_flows(dc1.switch.name)


def test_without_learning_nothing_flows_until_chained(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc = net.addDatacenter("dc1")
    net.start()
    a = dc.startCompute("a")
    b = dc.startCompute("b")
    assert ping_fails(a, b.IP())
    flows = dump_flows(dc.switch.name)
    assert "cookie=%#x" % BASE_FLOW_COOKIE in flows and "actions=drop" in flows
    assert "NORMAL" not in flows


def test_controller_process_ends_with_stop(make_net):
    net = make_net(controller=RemoteController, enable_learning=True)
    net.addDatacenter("dc1")
    net.start()
    pid = net.controller_backend.process.pid
    net.stop()
    assert process_start_time(pid) is None


def test_flow_batch_lands_on_every_switch_or_not_at_all(make_net):
    import requests
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2)
    net.start()
    url = net.controller_backend.rest_url + "/emuvim/flows"
    dpids = [int(dc.switch.dpid, 16) for dc in (dc1, dc2)]

    def flow(dpid, cookie):        # a match of its own, or one flow replaces the other
        return {"command": "add", "flow": {"dpid": dpid, "cookie": cookie, "priority": 5,
                                           "match": {"in_port": cookie}, "actions": []}}
    bad = {"flows": [flow(dpids[0], 0x51), {"command": "explode", "flow": {"dpid": 1}}]}
    reply = requests.post(url, json=bad, timeout=30)
    assert reply.status_code == 400 and "explode" in reply.text
    for garbage in (b"[1, 2]", b'{"flows": 3}', b"{nope"):
        assert requests.post(url, data=garbage, timeout=30).status_code == 400
    unknown = requests.post(url, json={"flows": [flow(999999, 0x52)]}, timeout=30)
    assert unknown.status_code == 404
    assert "cookie=0x51" not in dump_flows(dc1.switch.name)

    good = {"flows": [flow(dpid, 0x60 + i) for dpid in dpids for i in range(3)]}
    reply = requests.post(url, json=good, timeout=30)
    assert reply.status_code == 200 and reply.json() == {"applied": 6, "switches": 2}
    for dc in (dc1, dc2):         # the reply came after the barriers: already there
        flows = dump_flows(dc.switch.name)
        assert all("cookie=%#x" % (0x60 + i) in flows for i in range(3)), flows
