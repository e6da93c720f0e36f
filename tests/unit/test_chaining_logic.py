import networkx as nx
import pytest

from emuvim.dcemulator.chaining import (ChainError, Flow, Hop, LanMember, NoPathError, VlanPool,
                                        chain_flows, lan_flows, parse_match, switch_path)


def test_vlan_pool_hands_out_lowest_and_takes_back():
    pool = VlanPool()
    assert [pool.allocate() for _ in range(3)] == [1, 2, 3]
    pool.release(2)
    assert pool.allocate() == 2
    assert pool.in_use() == [1, 2, 3]


def test_vlan_pool_shared_reservation_is_refcounted():
    pool = VlanPool()
    assert pool.reserve(100) == 100 and pool.reserve(100) == 100
    pool.release(100)
    assert pool.in_use() == [100]
    pool.release(100)
    assert pool.in_use() == []
    with pytest.raises(ChainError):
        pool.reserve(4095)


def test_vlan_pool_exhaustion_is_an_error():
    pool = VlanPool()
    for _ in range(4094):
        pool.allocate()
    with pytest.raises(ChainError, match="in use"):
        pool.allocate()


def test_parse_match():
    assert parse_match("dl_type=0x0800, nw_proto=6,tp_dst=80") == (
        ("dl_type", "0x0800"), ("nw_proto", "6"), ("tp_dst", "80"))
    assert parse_match(None) == () and parse_match("") == ()


@pytest.mark.parametrize("bad", ["nw_src", "x=1;reboot", "in_port=3", "dl_vlan=4", "A=1"])
def test_parse_match_rejects(bad):
    with pytest.raises(ChainError):
        parse_match(bad)


def test_flow_renderings():
    flow = Flow("s1", 5, 1000, 7, (("in_port", 1), ("dl_type", "0x0800")),
                (("push_vlan",), ("set_vlan", 3), ("output", 2)))
    assert flow.ofctl_add() == ("cookie=0x7,priority=1000,in_port=1,dl_type=0x0800,"
                                "actions=push_vlan:0x8100,set_field:4099->vlan_vid,output:2")
    assert flow.ofctl_match() == "cookie=0x7/-1,priority=1000,in_port=1,dl_type=0x0800"
    body = flow.rest_body()
    assert body["match"] == {"in_port": 1, "dl_type": 0x0800}
    assert body["actions"] == [{"type": "PUSH_VLAN", "ethertype": 0x8100},
                               {"type": "SET_FIELD", "field": "vlan_vid", "value": 4099},
                               {"type": "OUTPUT", "port": 2}]
    strict = flow.rest_body(strict=True)
    assert "actions" not in strict and strict["cookie_mask"] == 2 ** 64 - 1


def triangle():
    """s1-s2-s3 with a direct s1-s3 link of cost 10, plus a VNF on s1 and s3."""
    g = nx.MultiDiGraph()
    ports = {"s1": 1, "s2": 1, "s3": 1}

    def link(a, b, **attrs):
        pa, pb = ports[a], ports[b]
        ports[a] += 1
        ports[b] += 1
        g.add_edge(a, b, src_port_nr=pa, dst_port_nr=pb, **attrs)
        g.add_edge(b, a, src_port_nr=pb, dst_port_nr=pa, **attrs)

    link("s1", "s2", cost=1)
    link("s2", "s3", cost=1)
    link("s1", "s3", cost=10)
    g.add_edge("vnf", "s1", src_port_nr=0, dst_port_nr=9)
    g.add_edge("vnf", "s3", src_port_nr=1, dst_port_nr=9)
    return g


def is_switch(name):
    return name.startswith("s")


def test_shortest_path_by_hops_and_by_weight():
    g = triangle()
    direct = switch_path(g, "s1", 9, "s3", 9, is_switch)
    assert [h.switch for h in direct] == ["s1", "s3"]
    assert direct[0] == Hop("s1", 9, 2) and direct[1] == Hop("s3", 2, 9)
    weighted = switch_path(g, "s1", 9, "s3", 9, is_switch, weight="cost")
    assert [h.switch for h in weighted] == ["s1", "s2", "s3"]


def test_explicit_path_is_checked():
    g = triangle()
    hops = switch_path(g, "s1", 9, "s3", 9, is_switch, path=["s1", "s2", "s3"])
    assert [h.switch for h in hops] == ["s1", "s2", "s3"]
    with pytest.raises(NoPathError):
        switch_path(g, "s1", 9, "s3", 9, is_switch, path=["s1", "vnf", "s3"])
    with pytest.raises(NoPathError):
        switch_path(g, "s1", 9, "s3", 9, is_switch, path=["s2", "s3"])


def test_no_path_never_crosses_a_vnf():
    g = nx.MultiDiGraph()
    g.add_edge("s1", "vnf", src_port_nr=1, dst_port_nr=0)
    g.add_edge("vnf", "s2", src_port_nr=1, dst_port_nr=1)
    with pytest.raises(NoPathError, match="No path could be found between s1 and s2"):
        switch_path(g, "s1", 5, "s2", 5, is_switch)


def test_single_switch_chain_is_untagged():
    flows = chain_flows([Hop("s1", 1, 2)], {"s1": 1}, None, 5, 1000)
    assert len(flows) == 1
    assert flows[0].actions == (("output", 2),)


def test_multi_switch_chain_pushes_and_pops():
    hops = [Hop("s1", 1, 2), Hop("s2", 1, 2), Hop("s3", 1, 3)]
    flows = chain_flows(hops, {"s1": 1, "s2": 2, "s3": 3}, 12, 5, 1000, (("tp_dst", "80"),))
    first, middle, last = flows
    assert first.match == (("in_port", 1), ("tp_dst", "80"))
    assert first.actions == (("push_vlan",), ("set_vlan", 12), ("output", 2))
    assert middle.match == (("in_port", 1), ("dl_vlan", 12))
    assert middle.actions == (("output", 2),)
    assert last.actions == (("pop_vlan",), ("output", 3))
    assert {f.cookie for f in flows} == {5}


def test_lan_flows_cover_members_and_trunks():
    members = [LanMember("a", "lan", "s1", "s1-eth2", 2),
               LanMember("b", "lan", "s2", "s2-eth3", 3)]
    flows = lan_flows(members, {("s1", 1), ("s2", 1)}, {"s1": 1, "s2": 2}, 7, 30, 1)
    assert {(f.switch, f.match) for f in flows} == {
        ("s1", (("in_port", 2),)), ("s2", (("in_port", 3),)),
        ("s1", (("in_port", 1), ("dl_vlan", 7))), ("s2", (("in_port", 1), ("dl_vlan", 7)))}
    assert all(f.actions == (("normal",),) for f in flows)
