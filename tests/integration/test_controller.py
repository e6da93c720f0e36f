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
