"""PoPs, switches and links: the shapes vim-emu's own tests built."""

import pytest

from helpers import ping_fails, ping_ok, tcp_mbit_s, veths_of


def test_single_pop_with_mininet_hosts(make_net):
    net = make_net()
    dc = net.addDatacenter("datacenter0")
    h1, h2 = net.addHost("h1"), net.addHost("h2")
    net.addLink(h1, dc)
    net.addLink(h2, "datacenter0")  # a PoP label works as an endpoint too
    net.start()
    assert len(net.switches) == 1 and len(net.hosts) == 2
    assert ping_ok(h1, h2.IP())


def test_two_pops_linked_directly(two_pops):
    net, dc1, dc2 = two_pops
    v1 = dc1.startCompute("vnf1", network=[{"id": "emu0", "ip": "10.0.1.1/24"}])
    v2 = dc2.startCompute("vnf2", network=[{"id": "emu0", "ip": "10.0.1.2/24"}])
    assert len(net.switches) == 2
    assert ping_ok(v1, "10.0.1.2")
    assert tcp_mbit_s(v1, v2, "10.0.1.2") > 50


def test_two_pops_through_intermediate_switches(make_net):
    net = make_net()
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    s1, s2, s3 = (net.addSwitch(name) for name in ("s1", "s2", "s3"))
    net.addLink(dc1, s1)
    net.addLink(s1, s2)
    net.addLink(s2, s3)
    net.addLink(s3, dc2)
    net.start()
    v1 = dc1.startCompute("vnf1")
    v2 = dc2.startCompute("vnf2")
    assert len(net.switches) == 5
    assert ping_ok(v1, v2.IP())
    assert tcp_mbit_s(v1, v2, v2.IP()) > 50
    path = [n for n in __import__("networkx").shortest_path(net.DCNetwork_graph, "vnf1", "vnf2")]
    assert path == ["vnf1", "dc1.s1", "s1", "s2", "s3", "dc2.s1", "vnf2"]


def test_graph_edges_carry_ports_and_numeric_attributes(make_net):
    net = make_net()
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2, bw=50)
    vnf = dc1.startCompute("vnf1", network=[{"id": "input", "ip": "10.0.0.1/24"}])
    graph = net.DCNetwork_graph
    edge = graph["dc1.s1"]["dc2.s1"][0]
    assert edge["bw"] == 50.0
    back = graph["dc2.s1"]["dc1.s1"][0]
    assert (edge["src_port_name"], edge["dst_port_name"]) == (back["dst_port_name"],
                                                             back["src_port_name"])
    to_switch = graph["vnf1"]["dc1.s1"][0]
    assert to_switch["src_port_id"] == "input" and to_switch["src_port_name"] == "input"
    assert graph.nodes["vnf1"]["type"] == "docker"
    assert vnf.getStatus()["network"][0]["dc_portname"] == to_switch["dst_port_name"]


def test_two_networks_in_one_process(make_net):
    nets = []
    for index in (1, 2):
        net = make_net()
        dc = net.addDatacenter("pop")
        net.start()
        a = dc.startCompute("n%da" % index)
        b = dc.startCompute("n%db" % index)
        nets.append((net, a, b))
    switches = {nets[0][0].switches[0].name, nets[1][0].switches[0].name}
    assert len(switches) == 2, "two runs must not share a bridge name"
    for _, a, b in nets:
        assert ping_ok(a, b.IP())
    nets[0][0].stop()
    _, a, b = nets[1]
    assert ping_ok(a, b.IP())


def _interface_type(name):
    import subprocess
    return subprocess.run(["ovs-vsctl", "get", "Interface", name, "type"], capture_output=True,
                          text=True).stdout.strip().strip('"')


def test_unshaped_ports_use_af_xdp_shaped_ones_stay_plain(make_net):
    net = make_net(port_type="auto")
    if net.port_type == "system":
        pytest.skip("this OVS (or datapath) has no AF_XDP port type")
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    shaped = net.addLink(dc1, dc2, bw=50)
    net.start()
    a = dc1.startCompute("a")
    b = dc2.startCompute("b")
    assert _interface_type(a.intf("emu0").link.intf2.name) == net.port_type
    assert _interface_type(shaped.intf1.name) in ("", "system")
    assert ping_ok(a, b.IP())
    assert tcp_mbit_s(a, b, b.IP()) > 30


def test_plain_ports_by_default(make_net):
    net = make_net()
    dc = net.addDatacenter("dc1")
    net.start()
    a, b = dc.startCompute("a"), dc.startCompute("b")
    assert _interface_type(a.intf("emu0").link.intf2.name) in ("", "system")
    assert tcp_mbit_s(a, b, b.IP()) > 50


def test_external_sap_reaches_vnf_from_the_host(make_net):
    import subprocess
    net = make_net()
    dc = net.addDatacenter("dc1")
    net.start()
    sap = dc.attachExternalSAP("sap1", "10.66.0.0/24")
    assert sap.getStatus()["network"][0]["ip"] == "10.66.0.1/24"
    vnf = dc.startCompute("vnf1", network=[{"id": "emu0", "ip": "10.66.0.2/24"}])
    host_ping = subprocess.run(["ping", "-c", "2", "-W", "1", "10.66.0.2"], capture_output=True,
                               text=True)
    assert host_ping.returncode == 0, host_ping.stdout
    assert ping_ok(vnf, "10.66.0.1")
    assert dc.getStatus()["ext SAP list"] == ["sap1"]
    dc.removeExternalSAP("sap1")
    assert dc.listExtSAPs() == []
    assert "10.66.0.1" not in subprocess.run(["ip", "-o", "addr"], capture_output=True,
                                             text=True).stdout


@pytest.mark.parametrize("patch_links", [True, False])
def test_unshaped_switch_links_are_patch_ports(make_net, patch_links):
    net = make_net(patch_links=patch_links)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    plain = net.addLink(dc1, dc2)
    net.start()
    a = dc1.startCompute("a")
    b = dc2.startCompute("b")
    kind = _interface_type(plain.intf1.name)
    assert kind == ("patch" if patch_links else "")
    assert (plain.intf1.name in veths_of(net.identity.run_id)) is not patch_links
    assert ping_ok(a, b.IP())
    assert tcp_mbit_s(a, b, b.IP()) > 50
    net.removeLink(link=plain)
    assert ping_fails(a, b.IP())


def test_external_sap_added_while_running_stays_off_the_controller(make_net):
    import subprocess
    from mininet.node import RemoteController
    net = make_net(controller=RemoteController, enable_learning=True)
    dc = net.addDatacenter("dc1")
    net.start()
    dc.startCompute("vnf1", network=[{"id": "emu0", "ip": "10.67.0.2/24"}])
    dc.attachExternalSAP("sap2", "10.67.0.0/24")
    controller = subprocess.run(["ovs-vsctl", "get-controller", "sap2"], capture_output=True,
                                text=True).stdout.strip()
    flows = subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "sap2"],
                           capture_output=True, text=True).stdout
    assert controller == "" and "cookie=0x656d7576" not in flows
    host_ping = subprocess.run(["ping", "-c", "2", "-W", "1", "10.67.0.2"],
                               capture_output=True, text=True)
    assert host_ping.returncode == 0, host_ping.stdout
