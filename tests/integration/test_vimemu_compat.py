"""Things vim-emu users' scripts and tests do, against real containers:
interfaces named eth0, counting containers by Containernet's label, and
vim-emu's test base class."""

import json

import requests
from mininet.node import RemoteController

from emuvim.dcemulator.node import EmulatorCompute
from emuvim.test.base import SimpleTestTopology

from helpers import containers_of, host_ping, ping_ok, run, tcp_mbit_s


def default_route(node):
    return json.loads(node.netns_run(["ip", "-j", "route", "show", "default"]) or "[]")


def test_requested_eth0_wins_and_management_keeps_working(make_net):
    net = make_net()
    dc = net.addDatacenter("dc1")
    net.start()
    a = dc.startCompute("a", network=[{"id": "eth0", "ip": "10.9.0.1/24"},
                                      {"id": "eth1", "ip": "10.8.0.1/24"}])
    b = dc.startCompute("b", network=[{"id": "eth0", "ip": "10.9.0.2/24"}])
    status = a.getStatus()
    assert [(i["intf_name"], i["ip"]) for i in status["network"]] == [
        ("eth0", "10.9.0.1/24"), ("eth1", "10.8.0.1/24")]
    # The emulator's eth0 carries the VNF's traffic...
    assert ping_ok(a, "10.9.0.2")
    assert tcp_mbit_s(b, a, "10.9.0.1") > 10
    # ...and Docker's management interface, renamed, still works.
    assert status["docker_interface"] == "docker-eth0"
    assert host_ping(status["docker_network"])
    assert [(r["dev"], r["gateway"]) for r in default_route(a)] == [("docker-eth0",
                                                                     "172.17.0.1")]
    # A container that asked for no eth0 keeps Docker's as it is.
    c = dc.startCompute("c", network=[{"id": "input"}])
    assert c.getStatus()["docker_interface"] == "eth0"


def test_rest_compute_with_eth0_and_a_name_no_vnf_may_have(api):
    net, url = api
    response = requests.put(url + "/restapi/compute/datacenter0/vnf1",
                            json={"image": "emuvim/base:latest",
                                  "network": "(id=eth0,ip=10.0.0.1/24)"})
    assert response.status_code == 201, response.text
    assert [(i["intf_name"], i["ip"]) for i in response.json()["network"]] == [
        ("eth0", "10.0.0.1/24")]
    response = requests.put(url + "/restapi/compute/datacenter0/vnf2",
                            json={"network": "(id=lo,ip=10.0.0.2/24)"})
    assert response.status_code == 400
    assert "lo" in response.json()["error"]
    assert "vnf2" not in net.dcs["datacenter0"].containers
    assert "mn.vnf2" not in run(["docker", "ps", "-a", "--format", "{{.Names}}"])


def containernet_labelled(run_id):
    return run(["docker", "ps", "-q", "--filter", "label=com.containernet",
                "--filter", "label=emuvim.run=%s" % run_id]).split()


def test_every_container_carries_containernets_label(make_net):
    net = make_net()
    dc = net.addDatacenter("dc1")
    net.start()
    dc.startCompute("vnf1")
    net.addDocker("d1")
    assert len(containernet_labelled(net.identity.run_id)) == 2
    assert sorted(containernet_labelled(net.identity.run_id)) == sorted(
        containers_of(net.identity.run_id))


class TestVimEmuBaseClass(SimpleTestTopology):
    """Tests written against vim-emu's emuvim.test.base run unchanged."""

    def test_compute_count_by_label_and_ping_through_a_pop(self):
        self.createNet(nswitches=0, ndatacenter=1, nhosts=1, ndockers=0)
        self.net.addLink(self.dc[0], self.h[0])
        self.startNet()
        before = len(self.getContainernetContainers())
        vnf1 = self.dc[0].startCompute("vnf1")
        self.assertEqual(len(self.getContainernetContainers()), before + 1)
        self.assertEqual(len(self.net.hosts), 2)
        self.assertIsInstance(self.dc[0].listCompute()[0], EmulatorCompute)
        self.assertTrue(self.net.ping([self.h[0], vnf1]) <= 0.0)
        self.dc[0].stopCompute("vnf1")
        self.assertEqual(len(self.getContainernetContainers()), before)
        self.stopNet()

    def test_chained_switches_and_sdn_chaining(self):
        self.createNet(nswitches=3, ndatacenter=2, autolinkswitches=True,
                       controller=RemoteController, enable_learning=False)
        self.net.addLink(self.dc[0], self.s[0])
        self.net.addLink(self.s[2], self.dc[1])
        self.startNet()
        vnf1 = self.dc[0].startCompute("vnf1", network=[{"id": "eth0", "ip": "10.0.10.1/24"}])
        vnf2 = self.dc[1].startCompute("vnf2", network=[{"id": "eth0", "ip": "10.0.10.2/24"}])
        self.assertEqual(len(self.net.switches), 5)
        self.assertTrue(self.net.ping([vnf1, vnf2]) > 0.0)
        self.assertTrue(self.net.ping([vnf1], manualdestip="10.0.10.2", timeout=1) > 0.0)
        self.net.setChain("vnf1", "vnf2", "eth0", "eth0", bidirectional=True, cmd="add-flow")
        self.assertTrue(self.net.ping([vnf1, vnf2]) <= 0.0)
        # Containernet's signature, as son-emu's and vim-emu's tests call it
        self.assertTrue(self.net.ping([vnf1], manualdestip="10.0.10.2") <= 0.0)
        self.assertTrue(self.net.ping([vnf1, vnf2], manualdestip="10.0.10.1") <= 0.0)
        # tearDown stops the net: a test that forgets stopNet() leaves nothing.
