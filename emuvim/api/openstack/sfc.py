"""Neutron SFC (networking-sfc) on a PoP: port pairs, port pair groups, flow
classifiers and port chains, with real chain flows.

A port chain becomes emuvim chains (setChain) under a cookie of its own:
from each classifier's logical_source_port to the first port pair's
ingress, from each pair's egress to the next pair's ingress, and from the
last egress to the classifier's logical_destination_port if it has one.
The classifier's fields are the chains' match (IPv4, protocol, addresses,
one port); other traffic keeps taking the network.  Deleting the chain
removes exactly its flows.  A group's first port pair carries the traffic
(no load balancing across pairs).
"""

import ipaddress
import threading
from dataclasses import dataclass, field

from emuvim.api.errors import HttpError
from emuvim.api.openstack.model import find_in, new_id

SFC_PRIORITY = 2000          # above emuvim's default chains (1000) and E-LANs (1)
SFC_COOKIE_BASE = 0x5FC000
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}
CLASSIFIER_FIELDS = ("ethertype", "protocol", "source_port_range_min", "source_port_range_max",
                     "destination_port_range_min", "destination_port_range_max",
                     "source_ip_prefix", "destination_ip_prefix", "logical_source_port",
                     "logical_destination_port", "l7_parameters")


@dataclass
class PortPair:
    id: str
    name: str
    description: str
    ingress: str
    egress: str
    service_function_parameters: dict


@dataclass
class PortPairGroup:
    id: str
    name: str
    description: str
    port_pairs: list
    group_id: int
    port_pair_group_parameters: dict


@dataclass
class FlowClassifier:
    id: str
    name: str
    description: str
    fields: dict


@dataclass
class PortChain:
    id: str
    name: str
    description: str
    port_pair_groups: list
    flow_classifiers: list
    chain_parameters: dict
    chain_id: int
    cookie: int = 0
    segments: list = field(default_factory=list)   # [(src port, dst port)]


def bad(message):
    return HttpError(400, message)


def classifier_fields(body):
    """A flow classifier's fields, checked (networking-sfc's defaults)."""
    fields = {key: body.get(key) for key in CLASSIFIER_FIELDS}
    fields["ethertype"] = fields["ethertype"] or "IPv4"
    if fields["ethertype"] != "IPv4":
        raise bad("only IPv4 flow classifiers are emulated")
    protocol = fields["protocol"]
    if protocol is not None and str(protocol).lower() not in PROTOCOLS and not str(
            protocol).isdigit():
        raise bad("protocol %r: tcp, udp, icmp or a number" % (protocol,))
    for key in CLASSIFIER_FIELDS[2:6]:
        if fields[key] is not None:
            try:
                fields[key] = int(fields[key])
            except (TypeError, ValueError):
                raise bad("%s must be a port number" % key) from None
            if not 0 <= fields[key] <= 65535:
                raise bad("%s must be 0 to 65535" % key)
    for key in ("source_ip_prefix", "destination_ip_prefix"):
        if fields[key]:
            try:
                fields[key] = str(ipaddress.ip_network(fields[key], strict=False))
            except ValueError:
                raise bad("%s %r is not an IPv4 prefix" % (key, fields[key])) from None
    fields["l7_parameters"] = fields["l7_parameters"] or {}
    return fields


def classifier_match(fields):
    """The ovs-ofctl match of a classifier."""
    match = ["dl_type=0x0800"]
    protocol = fields.get("protocol")
    if protocol is not None:
        name = str(protocol).lower()
        match.append("nw_proto=%d" % (PROTOCOLS[name] if name in PROTOCOLS else int(protocol)))
    for key, ovs in (("source_ip_prefix", "nw_src"), ("destination_ip_prefix", "nw_dst")):
        if fields.get(key):
            match.append("%s=%s" % (ovs, fields[key]))
    for side, ovs in (("source", "tp_src"), ("destination", "tp_dst")):
        low = fields.get("%s_port_range_min" % side)
        high = fields.get("%s_port_range_max" % side)
        if low is None and high is None:
            continue
        if protocol is None or str(protocol).lower() not in ("tcp", "udp", "6", "17"):
            raise bad("%s ports need protocol tcp or udp" % side)
        low, high = low if low is not None else high, high if high is not None else low
        if low == 0 and high == 65535:
            continue
        if low != high:
            raise bad("%s port range %d-%d: give one port (ranges are not emulated)" % (
                side, low, high))
        match.append("%s=%d" % (ovs, low))
    return ",".join(match)


class Sfc:
    """The SFC resources of one PoP, on its Cloud."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.port_pairs = {}
        self.port_pair_groups = {}
        self.flow_classifiers = {}
        self.port_chains = {}
        self._lock = threading.RLock()

    def _find(self, items, ref, what):
        return find_in(items, ref, what, self._lock)

    def find_port_pair(self, ref):
        return self._find(self.port_pairs, ref, "Port pair")

    def find_port_pair_group(self, ref):
        return self._find(self.port_pair_groups, ref, "Port pair group")

    def find_flow_classifier(self, ref):
        return self._find(self.flow_classifiers, ref, "Flow classifier")

    def find_port_chain(self, ref):
        return self._find(self.port_chains, ref, "Port chain")

    # -- port pairs and groups ---------------------------------------------------------

    def create_port_pair(self, body):
        for key in ("ingress", "egress"):
            self.cloud.find_port(body.get(key))
        pair = PortPair(new_id(), str(body.get("name") or ""),
                        str(body.get("description") or ""), body["ingress"], body["egress"],
                        dict(body.get("service_function_parameters") or
                             {"correlation": None, "weight": 1}))
        with self._lock:
            self.port_pairs[pair.id] = pair
        return pair

    def create_port_pair_group(self, body):
        pairs = list(body.get("port_pairs") or [])
        with self._lock:
            for pair in pairs:
                self.find_port_pair(pair)
                if any(pair in g.port_pairs for g in self.port_pair_groups.values()):
                    raise HttpError(409, "Port pair %s is in use by another group." % pair)
            group = PortPairGroup(new_id(), str(body.get("name") or ""),
                                  str(body.get("description") or ""), pairs,
                                  1 + max([g.group_id for g in self.port_pair_groups.values()],
                                          default=0),
                                  dict(body.get("port_pair_group_parameters") or
                                       {"lb_fields": [], "ppg_n_tuple_mapping": {}}))
            self.port_pair_groups[group.id] = group
        return group

    def create_flow_classifier(self, body):
        fields = classifier_fields(body)
        for key in ("logical_source_port", "logical_destination_port"):
            if fields[key]:
                self.cloud.find_port(fields[key])
        classifier_match(fields)                     # refuse what cannot be matched
        classifier = FlowClassifier(new_id(), str(body.get("name") or ""),
                                    str(body.get("description") or ""), fields)
        with self._lock:
            self.flow_classifiers[classifier.id] = classifier
        return classifier

    # -- port chains ---------------------------------------------------------------

    def create_port_chain(self, body):
        groups = [self.find_port_pair_group(g) for g in body.get("port_pair_groups") or []]
        if not groups or any(not g.port_pairs for g in groups):
            raise bad("a port chain needs port pair groups with port pairs")
        classifiers = [self.find_flow_classifier(c) for c in body.get("flow_classifiers") or []]
        parameters = {"correlation": "mpls", "symmetric": False}
        parameters.update(body.get("chain_parameters") or {})
        with self._lock:
            used = {c.chain_id for c in self.port_chains.values()}
            chain_id = int(body.get("chain_id") or next(
                n for n in range(1, len(used) + 2) if n not in used))
            if chain_id in used:
                raise HttpError(409, "chain_id %d is in use" % chain_id)
            chain = PortChain(new_id(), str(body.get("name") or ""),
                              str(body.get("description") or ""), [g.id for g in groups],
                              [c.id for c in classifiers], parameters, chain_id)
            chain.cookie = self.cloud.net.unused_cookie(SFC_COOKIE_BASE)
            self._install(chain, groups, classifiers)
            self.port_chains[chain.id] = chain
        return chain

    def _install(self, chain, groups, classifiers):
        hops = [self.port_pairs[g.port_pairs[0]] for g in groups]
        try:
            for classifier in classifiers:
                fields = classifier.fields
                if not fields["logical_source_port"]:
                    raise bad("flow classifier %s needs a logical_source_port: it says where "
                              "the chain's traffic enters" % classifier.id)
                ends = [fields["logical_source_port"]]
                for hop in hops:
                    ends += [hop.ingress, hop.egress]
                if fields["logical_destination_port"]:
                    ends.append(fields["logical_destination_port"])
                for src, dst in zip(ends[0::2], ends[1::2]):
                    self._segment(chain, src, dst, classifier_match(fields))
        except BaseException:
            self.cloud.net.deleteChainsByCookie(chain.cookie)
            raise

    def _segment(self, chain, src_port, dst_port, match):
        (src, src_intf), (dst, dst_intf) = self._attached(src_port), self._attached(dst_port)
        self.cloud.net.setChain(src, dst, src_intf, dst_intf, cmd="add-flow", match=match,
                                cookie=chain.cookie, priority=SFC_PRIORITY,
                                bidirectional=bool(chain.chain_parameters.get("symmetric")))
        chain.segments.append((src_port, dst_port))

    def _attached(self, port_id):
        """(node name, interface) of a port that a running server uses."""
        port = self.cloud.find_port(port_id)
        server = self.cloud.servers.get(port.device_id)
        if server is None or not port.interface:
            raise HttpError(409, "port %s is not attached to a running server" % port_id)
        return server.node_name, port.interface

    def delete_port_chain(self, ref):
        chain = self.find_port_chain(ref)
        with self._lock:
            self.cloud.net.deleteChainsByCookie(chain.cookie)
            del self.port_chains[chain.id]

    # -- deletes that must not break a chain -------------------------------------------

    def delete_port_pair_group(self, ref):
        group = self.find_port_pair_group(ref)
        with self._lock:
            if any(group.id in c.port_pair_groups for c in self.port_chains.values()):
                raise HttpError(409, "Port pair group %s is in use by a port chain." % ref)
            del self.port_pair_groups[group.id]

    def delete_port_pair(self, ref):
        pair = self.find_port_pair(ref)
        with self._lock:
            if any(pair.id in g.port_pairs for g in self.port_pair_groups.values()):
                raise HttpError(409, "Port pair %s is in use by a port pair group." % ref)
            del self.port_pairs[pair.id]

    def delete_flow_classifier(self, ref):
        classifier = self.find_flow_classifier(ref)
        with self._lock:
            if any(classifier.id in c.flow_classifiers for c in self.port_chains.values()):
                raise HttpError(409, "Flow classifier %s is in use by a port chain." % ref)
            del self.flow_classifiers[classifier.id]

    def update(self, item, body):
        """name and description, as networking-sfc allows for every resource."""
        for key in ("name", "description"):
            if key in body:
                setattr(item, key, str(body[key] or ""))
        return item
