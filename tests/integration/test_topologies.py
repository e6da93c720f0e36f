"""PoPs, switches and links: the shapes vim-emu's own tests built."""

from helpers import ping_ok, tcp_mbit_s


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
