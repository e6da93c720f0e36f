"""The Chaining object's logic against a recording flow installer (no OVS):
overwrite refusal, rollback, VLAN reuse, E-LAN member removal."""

import networkx as nx
import pytest

from emuvim.dcemulator.chaining import ChainError, ChainExists, FlowConflict, FlowInstallFailed
from emuvim.dcemulator.controller.flows import FlowInstallError
from emuvim.dcemulator.sdn import Chaining


class RecordingInstaller:
    """Keeps the flows it was given; can be told to fail the next add."""

    def __init__(self):
        self.flows = set()
        self.fail_next_add = False
        self.calls = []

    def add(self, flows):
        self.calls.append(("add", len(flows)))
        if self.fail_next_add:
            self.fail_next_add = False
            self.flows.update(flows[:1])        # a partial install, as a switch may do
            raise FlowInstallError("switch did not answer")
        self.flows.update(flows)

    def delete(self, flows):
        self.calls.append(("delete", len(flows)))
        self.flows.difference_update(flows)


class FakeTopology:
    """Two switches s1 -- s2 (port 9 on both); VNFs a, c on s1 and b on s2."""

    SWITCHES = {"s1": 1, "s2": 2}

    def __init__(self):
        self.graph = nx.MultiDiGraph()
        self.tags = {}
        self._link("s1", 9, "s1-eth9", "s2", 9, "s2-eth9")
        self.ports = {}
        for vnf, switch, port in (("a", "s1", 1), ("c", "s1", 2), ("b", "s2", 1)):
            for intf, offset in (("eth0", 0), ("lan", 4)):
                self._link(vnf, 0, intf, switch, port + offset,
                           "%s-eth%d" % (switch, port + offset))

    def _link(self, a, a_port, a_name, b, b_port, b_name):
        for src, sp, sn, dst, dp, dn in ((a, a_port, a_name, b, b_port, b_name),
                                         (b, b_port, b_name, a, a_port, a_name)):
            self.graph.add_edge(src, dst, src_port_id=sn, src_port_name=sn, src_port_nr=sp,
                                dst_port_nr=dp, dst_port_name=dn)

    def is_switch(self, name):
        return name in self.SWITCHES

    def is_ext_sap(self, name):
        return False

    def has_node(self, name):
        return name in self.graph

    def interfaces(self, name):
        return ["eth0", "lan"]

    def dpids(self):
        return dict(self.SWITCHES)

    def set_port_tags(self, tags):
        self.tags.update(tags)


@pytest.fixture
def chaining():
    installer = RecordingInstaller()
    chaining = Chaining(FakeTopology(), lambda: installer)
    chaining.recorder = installer
    return chaining


def test_chain_across_switches_installs_tagged_flows_and_gives_its_vlan_back(chaining):
    chaining.set_chain("a", "b", "eth0", "eth0", cookie=7)
    [chain] = chaining.chains
    assert chain.vlan == 1 and chain.path == ["s1", "s2"]
    assert chaining.recorder.flows == set(chain.flows) and len(chain.flows) == 2
    assert chaining.delete_by_cookie(7) == 1
    assert chaining.recorder.flows == set() and chaining.vlans.in_use() == []
    chaining.set_chain("c", "b", "eth0", "eth0")
    assert chaining.chains[0].vlan == 1            # the freed tag is handed out again


def test_a_chain_that_would_overwrite_anothers_flows_is_refused(chaining):
    chaining.set_chain("a", "b", "eth0", "eth0", cookie=1)
    installed = set(chaining.recorder.flows)
    with pytest.raises(ChainExists):
        chaining.set_chain("a", "b", "eth0", "eth0", cookie=2)
    # Same ingress port, priority and match toward another VNF: same first flow.
    with pytest.raises(FlowConflict, match="would replace one of the chain a:eth0 -> b:eth0"):
        chaining.set_chain("a", "c", "eth0", "eth0", cookie=3)
    assert chaining.recorder.flows == installed
    assert [c.cookie for c in chaining.chains] == [1] and chaining.vlans.in_use() == [1]


def test_bidirectional_chain_is_rolled_back_when_the_reverse_fails(chaining):
    chaining.set_chain("b", "c", "eth0", "eth0", cookie=1)   # occupies b's ingress flow
    with pytest.raises(FlowConflict):
        chaining.set_chain("a", "b", "eth0", "eth0", bidirectional=True, cookie=2)
    assert [c.cookie for c in chaining.chains] == [1]
    assert chaining.recorder.flows == set(chaining.chains[0].flows)
    assert chaining.vlans.in_use() == [1]


def test_a_failed_install_leaves_no_flow_and_no_vlan(chaining):
    chaining.recorder.fail_next_add = True
    with pytest.raises(FlowInstallFailed):
        chaining.set_chain("a", "b", "eth0", "eth0")
    assert chaining.recorder.flows == set() and chaining.chains == []
    assert chaining.vlans.in_use() == []


def test_lan_member_leaving_takes_only_its_own_flows(chaining):
    lan = chaining.set_lan([{"name": "a", "interface": "lan"}, {"name": "b", "interface": "lan"},
                            {"name": "c", "interface": "lan"}], cookie=5)
    assert [m.vnf for m in lan.members] == ["a", "b", "c"]
    assert chaining.topology.tags == {"s1-eth5": 1, "s2-eth5": 1, "s1-eth6": 1}
    trunk_flows = {f for f in lan.flows if len(f.match) == 2}
    chaining.forget_node("c")
    assert [m.vnf for m in lan.members] == ["a", "b"]
    assert not any(f.match == (("in_port", 6),) and f.switch == "s1"
                   for f in chaining.recorder.flows)
    assert trunk_flows <= chaining.recorder.flows       # a and b still reach each other
    assert chaining.recorder.flows == set(lan.flows)
    with pytest.raises(FlowConflict, match="a:lan is already in an E-LAN"):
        chaining.set_lan([{"name": "a", "interface": "lan"}])
    chaining.del_lan(lan)
    assert chaining.recorder.flows == set() and chaining.vlans.in_use() == []
    # The members' ports are trunks again (c's port went with its container).
    assert chaining.topology.tags["s1-eth5"] is None and chaining.topology.tags["s2-eth5"] is None


def test_forgetting_a_vnf_removes_its_chains(chaining):
    chaining.set_chain("a", "b", "eth0", "eth0", bidirectional=True, cookie=1)
    chaining.set_chain("c", "b", "lan", "lan", cookie=2)
    chaining.forget_node("a")
    assert [(c.src, c.dst) for c in chaining.chains] == [("c", "b")]
    assert chaining.recorder.flows == set(chaining.chains[0].flows)


def test_unknown_vnf_or_interface(chaining):
    with pytest.raises(LookupError, match="unknown VNF 'zz'"):
        chaining.set_chain("zz", "b")
    with pytest.raises(LookupError, match="has no interface 'nope'"):
        chaining.set_chain("a", "b", "nope", "eth0")
    assert chaining.recorder.flows == set()


def test_a_lan_grows_as_members_join(chaining):
    lan = chaining.set_lan([], cookie=9)          # a network before its first server
    assert lan.flows == [] and chaining.vlans.in_use() == [lan.vlan]
    chaining.join_lan(lan, [{"name": "a", "interface": "lan"}])
    assert {f.switch for f in lan.flows} == {"s1"}      # one switch: no trunk yet
    chaining.join_lan(lan, [{"name": "b", "interface": "lan"}])
    trunks = {(f.switch, f.match) for f in lan.flows if len(f.match) == 2}
    assert trunks == {("s1", (("in_port", 9), ("dl_vlan", lan.vlan))),
                      ("s2", (("in_port", 9), ("dl_vlan", lan.vlan)))}
    assert chaining.recorder.flows == set(lan.flows)
    assert chaining.topology.tags == {"s1-eth5": lan.vlan, "s2-eth5": lan.vlan}
    with pytest.raises(FlowConflict):
        chaining.join_lan(lan, [{"name": "a", "interface": "lan"}])
    assert [m.vnf for m in lan.members] == ["a", "b"]


def test_several_chains_go_in_one_batch_and_leave_in_one(chaining):
    described = chaining.set_chains([
        {"vnf_src_name": "a", "vnf_dst_name": "b", "bidirectional": True, "cookie": 3},
        {"vnf_src_name": "c", "vnf_dst_name": "b", "vnf_src_interface": "lan",
         "vnf_dst_interface": "lan", "cookie": 3}])
    assert [(d["vnf_src_name"], d["vnf_dst_name"]) for d in described] == [("a", "b"), ("b", "a"), ("c", "b")]
    assert chaining.recorder.calls == [("add", 6)]          # 3 chains x 2 switches
    assert len(chaining.recorder.flows) == 6
    assert chaining.delete_by_cookie(3) == 3
    assert chaining.recorder.calls[-1] == ("delete", 6)
    assert chaining.recorder.flows == set() and chaining.vlans.in_use() == []


@pytest.mark.parametrize("bad", [
    {"vnf_src_name": "a", "vnf_dst_name": "nobody"},                    # unknown VNF
    {"vnf_src_name": "a", "vnf_dst_name": "b"},                         # the same chain twice
    {"vnf_src_name": "a", "vnf_dst_name": "b", "cmd": "del-flows"},     # not an add
])
def test_a_bad_chain_in_a_batch_installs_nothing(chaining, bad):
    with pytest.raises((LookupError, ChainError)):
        chaining.set_chains([{"vnf_src_name": "a", "vnf_dst_name": "b"}, bad])
    assert chaining.recorder.flows == set() and chaining.chains == []
    assert chaining.vlans.in_use() == [] and chaining.recorder.calls == []


def test_a_failed_batch_takes_back_what_the_switches_took(chaining):
    chaining.recorder.fail_next_add = True
    with pytest.raises(FlowInstallFailed):
        chaining.set_chains([{"vnf_src_name": "a", "vnf_dst_name": "b"},
                             {"vnf_src_name": "c", "vnf_dst_name": "b"}])
    assert chaining.recorder.flows == set() and chaining.chains == []
    assert chaining.vlans.in_use() == []


class ControllerDown(RecordingInstaller):
    """The controller is gone: every call fails, as FlowInstaller's do."""

    def add(self, flows):
        raise FlowInstallError("controller unreachable")

    def delete(self, flows):
        raise FlowInstallError("controller unreachable")


def test_controller_down_adds_and_deletes_are_install_failures_not_crashes(chaining):
    chaining.set_chain("a", "b", "eth0", "eth0", cookie=7)
    down = ControllerDown()
    chaining._installer = lambda: down          # the controller went away
    # the add's rollback fails too: the caller hears of the add only (a 503)
    with pytest.raises(FlowInstallFailed, match="installing flows failed"):
        chaining.set_chain("c", "b", "eth0", "eth0", cookie=8)
    with pytest.raises(FlowInstallFailed, match="deleting flows failed"):
        chaining.delete_by_cookie(7)
    with pytest.raises(FlowInstallFailed, match="deleting flows failed"):
        chaining.set_chain("a", "b", "eth0", "eth0", cmd="del-flows")
    # nothing was forgotten: the chain is still known, its VLAN still held
    assert [c.cookie for c in chaining.chains] == [7] and chaining.vlans.in_use() == [1]


@pytest.mark.parametrize("field,value", [("cookie", 1 << 64), ("cookie", -1),
                                         ("priority", 70000), ("priority", "x"),
                                         ("cookie", float("inf"))])
def test_out_of_range_cookie_and_priority_are_chain_errors(chaining, field, value):
    with pytest.raises(ChainError, match=field):
        chaining.set_chain("a", "b", "eth0", "eth0", **{field: value})
    assert chaining.chains == [] and chaining.recorder.calls == []
