"""Service chaining as data: paths, VLAN tags and OpenFlow flows.

Pure logic (no switches touched here), so it is unit-tested on its own:

* :class:`Flow`, one OpenFlow 1.3 flow, rendered for ``ovs-ofctl`` or as a
  Ryu ofctl_rest JSON body;
* :class:`VlanPool`, tags 1..4094, returned to the pool when a chain goes;
* :func:`switch_path`, the switches a chain crosses (shortest, weighted or
  explicit), with the ports it enters and leaves each one by;
* :func:`chain_flows`, the flows of one directed chain: on multi-switch
  paths the ingress switch pushes the chain's VLAN tag and the egress switch
  pops it; a single-switch chain stays untagged.
"""

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import networkx as nx

VLAN_MIN, VLAN_MAX = 1, 4094
OFPVID_PRESENT = 0x1000
ETH_TYPE_8021Q = 0x8100
MATCH_FIELD = re.compile(r"^[a-z][a-z0-9_]*\Z")
MATCH_VALUE = re.compile(r"^[A-Za-z0-9_.:/x-]+\Z")


class ChainError(Exception):
    """A chain cannot be set up or removed; the message says why."""


class NoPathError(ChainError):
    pass


class ChainExists(ChainError):
    """The same chain (endpoints and match) is installed already."""


class FlowConflict(ChainError):
    """A chain's or E-LAN's flows would replace flows another one owns."""


class FlowInstallFailed(ChainError):
    """The switches (or the controller) did not take the flows."""


def parse_match(match):
    """vim-emu's match string "k=v,k=v" (ovs-ofctl syntax) as ordered pairs."""
    if not match:
        return ()
    pairs = []
    for item in str(match).split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not MATCH_FIELD.match(key) or not MATCH_VALUE.match(value):
            raise ChainError("bad match field %r: use ovs-ofctl syntax like "
                             "'dl_type=0x0800,nw_proto=6,tp_dst=80'" % item)
        if key in ("in_port", "dl_vlan"):
            raise ChainError("match may not set %s: the chain sets it" % key)
        pairs.append((key, value))
    return tuple(pairs)


def _rest_value(value):
    """Numbers in match strings ("0x0800", "6") become ints for ofctl_rest."""
    if not isinstance(value, str):
        return value
    try:
        return int(value, 0)
    except ValueError:
        return value


@dataclass(frozen=True)
class Flow:
    """One flow: where, how important, what it matches, what it does.

    match: ordered (field, value) pairs in ovs-ofctl names;
    actions: ("push_vlan",), ("set_vlan", vid), ("pop_vlan",),
             ("set_eth_dst", mac), ("output", port), ("normal",).
    """

    switch: str
    dpid: int
    priority: int
    cookie: int
    match: tuple
    actions: tuple

    def ofctl_match(self, with_cookie=True):
        parts = ["cookie=%#x/-1" % self.cookie] if with_cookie else []
        parts.append("priority=%d" % self.priority)
        parts += ["%s=%s" % (k, v) for k, v in self.match]
        return ",".join(parts)

    def ofctl_add(self):
        """The flow as an ovs-ofctl add-flow argument (OpenFlow 1.3)."""
        return "cookie=%#x,priority=%d,%s,actions=%s" % (
            self.cookie, self.priority, ",".join("%s=%s" % kv for kv in self.match),
            ",".join(self._ofctl_action(a) for a in self.actions) or "drop")

    @staticmethod
    def _ofctl_action(action):
        kind = action[0]
        if kind == "push_vlan":
            return "push_vlan:%#x" % ETH_TYPE_8021Q
        if kind == "set_vlan":
            return "set_field:%d->vlan_vid" % (action[1] | OFPVID_PRESENT)
        if kind == "pop_vlan":
            return "pop_vlan"
        if kind == "set_eth_dst":
            return "set_field:%s->eth_dst" % action[1]
        if kind == "output":
            return "output:%d" % action[1]
        if kind == "normal":
            return "NORMAL"
        raise ValueError("unknown action %r" % (action,))

    def rest_body(self, strict=False):
        """The flow as a Ryu ofctl_rest body (flowentry/add, delete_strict)."""
        body = {"dpid": self.dpid, "cookie": self.cookie, "priority": self.priority,
                "table_id": 0,
                "match": {k: _rest_value(v) for k, v in self.match}}
        if strict:
            body["cookie_mask"] = 0xFFFFFFFFFFFFFFFF
        else:
            body["actions"] = [self._rest_action(a) for a in self.actions]
        return body

    @staticmethod
    def _rest_action(action):
        kind = action[0]
        if kind == "push_vlan":
            return {"type": "PUSH_VLAN", "ethertype": ETH_TYPE_8021Q}
        if kind == "set_vlan":
            return {"type": "SET_FIELD", "field": "vlan_vid", "value": action[1] | OFPVID_PRESENT}
        if kind == "pop_vlan":
            return {"type": "POP_VLAN"}
        if kind == "set_eth_dst":
            return {"type": "SET_FIELD", "field": "eth_dst", "value": action[1]}
        if kind == "output":
            return {"type": "OUTPUT", "port": action[1]}
        if kind == "normal":
            return {"type": "OUTPUT", "port": "NORMAL"}
        raise ValueError("unknown action %r" % (action,))


class VlanPool:
    """VLAN ids 1..4094: the lowest free one is handed out, and given back."""

    def __init__(self):
        self._users = {}

    def allocate(self):
        for vid in range(VLAN_MIN, VLAN_MAX + 1):
            if vid not in self._users:
                self._users[vid] = 1
                return vid
        raise ChainError("all %d VLAN ids are in use" % (VLAN_MAX - VLAN_MIN + 1))

    def reserve(self, vid):
        """Use a caller-chosen id (may be shared by chains that ask for it)."""
        vid = int(vid)
        if not VLAN_MIN <= vid <= VLAN_MAX:
            raise ChainError("VLAN id %d out of range %d..%d" % (vid, VLAN_MIN, VLAN_MAX))
        self._users[vid] = self._users.get(vid, 0) + 1
        return vid

    def release(self, vid):
        if vid in self._users:
            self._users[vid] -= 1
            if self._users[vid] <= 0:
                del self._users[vid]

    def in_use(self):
        return sorted(self._users)


@dataclass(frozen=True)
class Hop:
    switch: str
    in_port: int
    out_port: int


def _best_edge(graph, a, b, weight):
    """The (lightest) parallel edge a->b."""
    edges = graph[a][b]
    if weight:
        return min(edges.values(), key=lambda d: d.get(weight, 1))
    return edges[min(edges)]


def switch_path(graph, src_switch, in_port, dst_switch, out_port, is_switch,
                weight=None, path=None):
    """Hops from (src_switch, in_port) to (dst_switch, out_port).

    Only switches are traversed (a VNF with interfaces in two PoPs is not a
    path).  `path` is an explicit list of switch names; `weight` names a
    numeric edge attribute (e.g. "delay") to minimise.
    """
    if path:
        names = list(path)
        if names[0] != src_switch or names[-1] != dst_switch:
            raise NoPathError("path must start at %s and end at %s, got %s" % (
                src_switch, dst_switch, names))
        for a, b in zip(names, names[1:]):
            if not graph.has_edge(a, b) or not (is_switch(a) and is_switch(b)):
                raise NoPathError("path %s: no link between switches %s and %s" % (
                    names, a, b))
    else:
        switches = graph.subgraph([n for n in graph.nodes if is_switch(n)])
        try:
            names = nx.shortest_path(switches, src_switch, dst_switch, weight=weight)
        except (nx.NetworkXNoPath, nx.NodeNotFound) as err:
            raise NoPathError("No path could be found between %s and %s" % (
                src_switch, dst_switch)) from err
    hops, current_in = [], in_port
    for index, name in enumerate(names):
        if index == len(names) - 1:
            hops.append(Hop(name, current_in, out_port))
        else:
            edge = _best_edge(graph, name, names[index + 1], weight)
            hops.append(Hop(name, current_in, edge["src_port_nr"]))
            current_in = edge["dst_port_nr"]
    return hops


def chain_flows(hops, dpids, vlan, cookie, priority, user_match=()):
    """The flows of one directed chain along `hops` (see module docstring)."""
    if len(hops) == 1:
        hop = hops[0]
        return [Flow(hop.switch, dpids[hop.switch], priority, cookie,
                     (("in_port", hop.in_port),) + tuple(user_match),
                     (("output", hop.out_port),))]
    flows = []
    for index, hop in enumerate(hops):
        if index == 0:
            match = (("in_port", hop.in_port),) + tuple(user_match)
            actions = (("push_vlan",), ("set_vlan", vlan), ("output", hop.out_port))
        elif index == len(hops) - 1:
            match = (("in_port", hop.in_port), ("dl_vlan", vlan))
            actions = (("pop_vlan",), ("output", hop.out_port))
        else:
            match = (("in_port", hop.in_port), ("dl_vlan", vlan))
            actions = (("output", hop.out_port),)
        flows.append(Flow(hop.switch, dpids[hop.switch], priority, cookie, match, actions))
    return flows


@dataclass
class Chain:
    """An installed directed chain and the flows that make it."""

    src: str
    src_intf: str
    dst: str
    dst_intf: str
    match: tuple
    cookie: int
    priority: int
    vlan: int
    path: list
    flows: list = field(default_factory=list)

    def key(self):
        return (self.src, self.src_intf, self.dst, self.dst_intf, self.match)

    def describe(self):
        return {"vnf_src_name": self.src, "vnf_src_interface": self.src_intf,
                "vnf_dst_name": self.dst, "vnf_dst_interface": self.dst_intf,
                "match": ",".join("%s=%s" % kv for kv in self.match) or None,
                "cookie": self.cookie, "priority": self.priority, "vlan": self.vlan,
                "path": list(self.path)}


@dataclass
class Monitor:
    """Counting flows on a chain's first (tx) or last (rx) switch, own cookie."""

    chain: Chain
    placement: str
    cookie: int
    flows: list = field(default_factory=list)

    def describe(self):
        return {"chain": self.chain.describe(), "placement": self.placement,
                "cookie": self.cookie}


def monitor_flows(chain, placement, cookie):
    """The chain's edge flow copied one priority higher under `cookie`.

    Same match and actions: traffic is unchanged, only counted separately.
    """
    edge = chain.flows[0] if placement == "tx" else chain.flows[-1]
    return [Flow(edge.switch, edge.dpid, edge.priority + 1, cookie, edge.match, edge.actions)]


class LanMember(NamedTuple):
    """A VNF interface in an E-LAN and the switch port it is attached to."""

    vnf: str
    interface: str
    switch: str
    port_name: str
    port_nr: int


@dataclass
class Lan:
    """An installed E-LAN: member ports share one VLAN."""

    vlan: int
    cookie: int
    members: list          # [LanMember]
    flows: list = field(default_factory=list)

    def describe(self):
        return {"vlan": self.vlan, "cookie": self.cookie,
                "members": [{"vnf": m.vnf, "interface": m.interface, "switch": m.switch}
                            for m in self.members]}


def lan_flows(members, trunk_ports, dpids, vlan, cookie, priority):
    """Flows letting an E-LAN through switches whose base flow drops.

    Member (access) ports and the trunk ports between member switches hand
    the LAN's frames to OVS's NORMAL pipeline, which keeps VLANs apart.
    """
    flows = []
    for member in members:
        flows.append(Flow(member.switch, dpids[member.switch], priority, cookie,
                          (("in_port", member.port_nr),), (("normal",),)))
    for switch, port in sorted(trunk_ports):
        flows.append(Flow(switch, dpids[switch], priority, cookie,
                          (("in_port", port), ("dl_vlan", vlan)), (("normal",),)))
    return flows
