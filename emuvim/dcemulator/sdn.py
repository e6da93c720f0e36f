"""Service chains (E-Line) and E-LANs: the Chaining object a DCNetwork owns.

vim-emu's ``setChain``/``setLAN`` semantics (see the API reference), minus
its bugs: tags go back to the pool when a chain is deleted, deletion removes
exactly the chain's own flows, weights are numbers, one-way means one-way,
chains are listed, and a chain whose flows would overwrite another chain's
is refused instead of silently breaking it.

:class:`Chaining` reads the network through a small :class:`Topology`
(the graph, which nodes are switches, their dpids) and changes it only
through a flow installer and the topology's port tagging, so its logic is
unit-tested against recording stand-ins without OVS.  DCNetwork owns one
and keeps vim-emu's method names (setChain, setLAN, ...) as thin delegates.
"""

import json
import logging
import threading

from mininet.node import Switch

from emuvim.dcemulator.chaining import (Chain, ChainError, ChainExists, FlowConflict,
                                        FlowInstallFailed, Lan, LanMember, Monitor, VlanPool,
                                        chain_flows, lan_flows, monitor_flows, parse_match,
                                        switch_path)
from emuvim.dcemulator.controller.flows import FlowInstallError
from emuvim.dcemulator.switch import set_port_tags

log = logging.getLogger(__name__)

DEFAULT_PRIORITY = 1000
LAN_PRIORITY = 1
COMMANDS = ("add-flow", "del-flows")


def _truthy(value):
    """Booleans as the REST API and CLI send them ("False" is false)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off", "none")
    return bool(value)


def _split_name(name, interface):
    """'vnf:intf' (vim-emu CLI style) when no interface is given separately."""
    if interface is None and isinstance(name, str) and ":" in name:
        name, interface = name.split(":", 1)
    return name, interface


class Topology:
    """What chaining reads of a DCNetwork, and the port tags it sets.

    graph: the network's MultiDiGraph (edges carry src_port_id,
    src_port_name, dst_port_nr, dst_port_name).
    """

    def __init__(self, net):
        self.net = net

    @property
    def graph(self):
        return self.net.DCNetwork_graph

    def is_switch(self, name):
        """Chains cross switches (external SAPs are standalone switches too)."""
        return isinstance(self.net.nameToNode.get(name), Switch)

    def is_ext_sap(self, name):
        return hasattr(self.net.nameToNode.get(name), "ext_sap")

    def has_node(self, name):
        return name in self.net.nameToNode

    def interfaces(self, name):
        return [intf.name for intf in self.net.nameToNode[name].intfList()]

    def dpids(self):
        return {s.name: int(s.dpid, 16) for s in self.net.switches}

    def set_port_tags(self, tags):
        """{switch port name: VLAN id or None} for the E-LANs' access ports."""
        set_port_tags(tags)


class Chaining:
    """Chains, E-LANs and their flows on one network; one lock guards them all."""

    def __init__(self, topology, installer):
        """installer: a callable returning the flow installer (the controller
        backend makes it once the network runs)."""
        self.topology = topology
        self._installer = installer
        self.vlans = VlanPool()
        self.chains = []
        self.lans = []
        self.monitors = []
        self._flow_owners = {}  # (switch, priority, match) -> Chain | Lan | Monitor
        self._lock = threading.RLock()

    @property
    def installer(self):
        return self._installer()

    # -- lookups ------------------------------------------------------------------

    def attachment(self, vnf_name, interface=None):
        """(interface name, switch, switch port nr, switch port name) of a VNF
        interface (its first one if `interface` is None)."""
        topo = self.topology
        is_sap = topo.is_ext_sap(vnf_name)
        if not topo.has_node(vnf_name) or (topo.is_switch(vnf_name) and not is_sap):
            raise LookupError("unknown VNF %r" % (vnf_name,))
        if interface is None and not is_sap:
            names = topo.interfaces(vnf_name)
            if not names:
                raise LookupError("VNF %s has no interfaces" % vnf_name)
            interface = names[0]
        known = []
        for neighbour, edges in topo.graph[vnf_name].items():
            for data in edges.values():
                known.append(data["src_port_name"])
                if interface is None or interface in (data["src_port_id"],
                                                      data["src_port_name"]):
                    if not topo.is_switch(neighbour):
                        raise ChainError("interface %s:%s is not attached to a switch" % (
                            vnf_name, interface))
                    return (data["src_port_name"], neighbour, data["dst_port_nr"],
                            data["dst_port_name"])
        raise LookupError("VNF %s has no interface %r (it has: %s)" % (
            vnf_name, interface, ", ".join(sorted(known)) or "none"))

    # -- chains -------------------------------------------------------------------

    def set_chain(self, vnf_src_name, vnf_dst_name, vnf_src_interface=None,
                  vnf_dst_interface=None, **kwargs):
        """Install or delete a chain; returns vim-emu's "success: ..." text.

        kwargs: cmd ("add-flow" | "del-flows"), bidirectional, cookie,
        priority (1000), match ("k=v,..." in ovs-ofctl syntax), path (switch
        names), weight (numeric link attribute, e.g. "delay"), tag (VLAN id),
        skip_vlan_tag (accepted; VNF ports are never tagged for chains),
        monitor + monitor_placement ("tx" | "rx"): count an installed chain's
        traffic under `cookie` at its first or last switch.
        Raises LookupError for unknown VNFs/interfaces, ChainError otherwise.
        """
        cmd = kwargs.get("cmd") or "add-flow"
        if cmd not in COMMANDS:
            raise ChainError("unknown cmd %r (use add-flow or del-flows)" % (cmd,))
        options, directions = self._chain_request(vnf_src_name, vnf_dst_name,
                                                  vnf_src_interface, vnf_dst_interface,
                                                  kwargs)
        with self._lock:
            if _truthy(kwargs.get("monitor")):
                return self._monitor(cmd, directions, kwargs.get("monitor_placement"), options)
            if cmd == "del-flows":
                return "\n".join(self._delete_chains(a, ai, b, bi, options)
                                 for a, ai, b, bi, _ in directions)
            done = self._add_chains([(a, ai, b, bi, dict(options, path=path))
                                     for a, ai, b, bi, path in directions])
            return "\n".join(self._success("add-flow", c) for c in done)

    def set_chains(self, requests):
        """Install several chains at once: all or none, one flow batch.

        requests: [{"vnf_src_name", "vnf_dst_name", and optionally
        "vnf_src_interface", "vnf_dst_interface", "bidirectional", "cookie",
        "priority", "match", "path", "weight"}] as for set_chain (add-flow).
        An LLCM instance's E-Lines go this way: the controller applies every
        flow-mod and confirms them with one barrier per switch.
        Returns the installed chains' descriptions.
        """
        planned = []
        for request in requests:
            request = dict(request)
            if request.pop("cmd", "add-flow") != "add-flow" or request.get("monitor"):
                raise ChainError("set_chains only adds chains (no del-flows or monitors)")
            src, dst = request.pop("vnf_src_name"), request.pop("vnf_dst_name")
            options, directions = self._chain_request(
                src, dst, request.pop("vnf_src_interface", None),
                request.pop("vnf_dst_interface", None), request)
            planned += [(a, ai, b, bi, dict(options, path=path))
                        for a, ai, b, bi, path in directions]
        with self._lock:
            return [c.describe() for c in self._add_chains(planned)]

    @staticmethod
    def _chain_request(src_name, dst_name, src_interface, dst_interface, kwargs):
        """(options, directions) of a set_chain call."""
        src, src_intf = _split_name(src_name, src_interface)
        dst, dst_intf = _split_name(dst_name, dst_interface)
        options = {
            "cookie": bounded_int(kwargs.get("cookie") or 0, "cookie", 0, MAX_COOKIE),
            "priority": bounded_int(kwargs.get("priority") or DEFAULT_PRIORITY, "priority",
                                    0, MAX_PRIORITY),
            "match": parse_match(kwargs.get("match")),
            "path": kwargs.get("path"), "weight": kwargs.get("weight") or None,
            "tag": kwargs.get("tag"),
        }
        directions = [(src, src_intf, dst, dst_intf, options["path"])]
        if _truthy(kwargs.get("bidirectional")):
            reverse_path = list(reversed(options["path"])) if options["path"] else None
            directions.append((dst, dst_intf, src, src_intf, reverse_path))
        return options, directions

    @staticmethod
    def _success(cmd, chain):
        return "success: %s between %s and %s with options: %s" % (
            cmd, chain.src, chain.dst, json.dumps(chain.describe()))

    def _add_chain(self, src, src_intf, dst, dst_intf, options):
        return self._add_chains([(src, src_intf, dst, dst_intf, options)])[0]

    def _add_chains(self, requests):
        """Plan every chain of [(src, src_intf, dst, dst_intf, options)], then
        install all their flows in one batch; nothing stays if one fails."""
        planned = []
        try:
            for src, src_intf, dst, dst_intf, options in requests:
                planned.append(self._plan_chain(src, src_intf, dst, dst_intf, options,
                                                planned))
            self._install_all([(chain, flow) for chain in planned for flow in chain.flows])
        except BaseException:
            for chain in planned:
                if chain.vlan is not None:
                    self.vlans.release(chain.vlan)
            raise
        self.chains.extend(planned)
        return planned

    def _plan_chain(self, src, src_intf, dst, dst_intf, options, planned=()):
        """A Chain with its path, VLAN (reserved) and flows; nothing installed."""
        src_intf, src_switch, in_port, _ = self.attachment(src, src_intf)
        dst_intf, dst_switch, out_port, _ = self.attachment(dst, dst_intf)
        hops = switch_path(self.topology.graph, src_switch, in_port, dst_switch, out_port,
                           self.topology.is_switch, weight=options["weight"],
                           path=options["path"])
        key = (src, src_intf, dst, dst_intf, options["match"])
        existing = next((c for c in list(self.chains) + list(planned) if c.key() == key), None)
        if existing is not None:
            raise ChainExists("a chain from %s:%s to %s:%s with this match exists already "
                              "(cookie %d); delete it first" % (src, src_intf, dst, dst_intf,
                                                                existing.cookie))
        if options["tag"] is not None:
            vlan = self.vlans.reserve(options["tag"])
        else:
            vlan = self.vlans.allocate() if len(hops) > 1 else None
        chain = Chain(src, src_intf, dst, dst_intf, options["match"], options["cookie"],
                      options["priority"], vlan, [h.switch for h in hops])
        chain.flows = chain_flows(hops, self.topology.dpids(), vlan, chain.cookie,
                                  chain.priority, chain.match)
        return chain

    def _install(self, owner, flows=None):
        """Install an owner's flows (or `flows` of it) unless one would
        overwrite another owner's."""
        self._install_all([(owner, flow)
                           for flow in (owner.flows if flows is None else flows)])

    def _install_all(self, pairs):
        """Flows of [(owner, flow)] in one installer call (one batch, one
        barrier per switch), unless one would overwrite another owner's."""
        claimed = {}
        for owner, flow in pairs:
            other = self._flow_owners.get(_flow_key(flow)) or claimed.get(_flow_key(flow))
            if other is not None and other is not owner:
                raise FlowConflict("flow on %s (%s) would replace one of %s; use another "
                                   "match or priority" % (flow.switch, flow.ofctl_match(False),
                                                          _describe(other)))
            claimed[_flow_key(flow)] = owner
        flows = [flow for _, flow in pairs]
        try:
            self.installer.add(flows)
        except FlowInstallError as err:
            self._take_back(flows)
            raise FlowInstallFailed("installing flows failed: %s" % err) from err
        self._flow_owners.update(claimed)

    def _take_back(self, flows):
        """Best-effort removal of a failed batch: the failure is what the caller
        hears about, not a second one from the rollback (the controller is
        often down when it is needed)."""
        try:
            self.installer.delete(flows)
        except FlowInstallError as err:
            log.warning("rolling back %d flows failed too (%s); the switches may keep "
                        "some until the chain is added again or the network stops",
                        len(flows), err)

    def _uninstall(self, owner):
        self._uninstall_all([owner])

    def _uninstall_all(self, owners):
        """Delete the owners' flows; FlowInstallFailed (nothing forgotten) if
        the controller or a switch does not take the deletion."""
        try:
            self.installer.delete([flow for owner in owners for flow in owner.flows])
        except FlowInstallError as err:
            raise FlowInstallFailed("deleting flows failed: %s" % err) from err
        for owner in owners:
            for flow in owner.flows:
                if self._flow_owners.get(_flow_key(flow)) is owner:
                    del self._flow_owners[_flow_key(flow)]

    def _remove_chains(self, chains):
        """Chains and their monitors go, their flows in one batch."""
        monitors = [m for m in self.monitors if any(m.chain is c for c in chains)]
        self._uninstall_all(monitors + list(chains))
        for monitor in monitors:
            self.monitors.remove(monitor)
        for chain in chains:
            if chain.vlan is not None:
                self.vlans.release(chain.vlan)
            if chain in self.chains:
                self.chains.remove(chain)

    def _chains_between(self, src, src_intf, dst, dst_intf):
        """Resolved interface names and the installed chains from src to dst."""
        src_intf = self.attachment(src, src_intf)[0]
        dst_intf = self.attachment(dst, dst_intf)[0]
        endpoints = (src, src_intf, dst, dst_intf)
        return src_intf, dst_intf, [c for c in self.chains
                                    if (c.src, c.src_intf, c.dst, c.dst_intf) == endpoints]

    def _delete_chains(self, src, src_intf, dst, dst_intf, options):
        src_intf, dst_intf, chains = self._chains_between(src, src_intf, dst, dst_intf)
        doomed = [c for c in chains
                  if (not options["cookie"] or c.cookie == options["cookie"])
                  and (not options["match"] or c.match == options["match"])]
        if not doomed:
            raise LookupError("no chain from %s:%s to %s:%s%s" % (
                src, src_intf, dst, dst_intf,
                " with cookie %d" % options["cookie"] if options["cookie"] else ""))
        self._remove_chains(doomed)
        return "\n".join(self._success("del-flows", c) for c in doomed)

    def _monitor(self, cmd, directions, placement, options):
        """monitor=True: count a chain's traffic at its first (tx) or last (rx) switch."""
        if placement not in ("tx", "rx"):
            raise ChainError("monitor_placement must be 'tx' or 'rx', not %r" % (placement,))
        results = []
        for src, src_intf, dst, dst_intf, path in directions:
            src_intf, dst_intf, chains = self._chains_between(src, src_intf, dst, dst_intf)
            chain = chains[0] if chains else None
            if cmd == "del-flows":
                results.append(self._remove_monitors(chain, placement, options["cookie"],
                                                     (src, src_intf, dst, dst_intf)))
                continue
            if chain is None:
                # vim-emu's behaviour: without a chain to watch, set one up.
                log.warning("no chain %s -> %s to monitor: installing one", src, dst)
                chain = self._add_chain(src, src_intf, dst, dst_intf, dict(options, path=path))
            monitor = Monitor(chain, placement, options["cookie"])
            monitor.flows = monitor_flows(chain, placement, monitor.cookie)
            self._install(monitor)
            self.monitors.append(monitor)
            results.append("success: add-flow monitor %s between %s and %s with options: %s"
                           % (placement, src, dst, json.dumps(monitor.describe())))
        return "\n".join(results)

    def _remove_monitors(self, chain, placement, cookie, endpoints):
        doomed = [m for m in self.monitors if m.chain is chain and m.placement == placement
                  and (not cookie or m.cookie == cookie)]
        if not doomed:
            raise LookupError("no %s monitor on the chain %s:%s -> %s:%s" % (
                (placement,) + endpoints))
        for monitor in doomed:
            self._uninstall(monitor)
            self.monitors.remove(monitor)
        return "success: del-flows monitor %s between %s and %s" % (
            placement, endpoints[0], endpoints[2])

    def delete_by_cookie(self, cookie):
        """Remove every chain carrying `cookie`; returns how many went."""
        with self._lock:
            cookie = bounded_int(cookie, "cookie", 0, MAX_COOKIE)
            doomed = [c for c in self.chains if c.cookie == cookie]
            self._remove_chains(doomed)
            return len(doomed)

    def unused_cookie(self, start=1):
        """The lowest cookie >= start that no chain, E-LAN or monitor uses."""
        with self._lock:
            used = {owner.cookie for owner in self.chains + self.lans + self.monitors}
            cookie = int(start)
            while cookie in used:
                cookie += 1
            return cookie

    def list_chains(self):
        with self._lock:
            return [c.describe() for c in self.chains]

    # -- E-LANs -------------------------------------------------------------------

    def set_lan(self, vnf_list, cookie=None):
        """Put the listed VNF interfaces on one isolated L2 segment (a VLAN).

        vnf_list: [{"name": vnf, "interface": intf or None}, ...]; members
        may sit in different PoPs.  Returns the Lan record.
        """
        with self._lock:
            members = self._new_lan_members(vnf_list)
            trunks = self._lan_trunk_ports(sorted({m.switch for m in members}))
            lan = Lan(self.vlans.allocate(), bounded_int(cookie or 0, "cookie", 0, MAX_COOKIE),
                      members)
            lan.flows = lan_flows(members, trunks, self.topology.dpids(), lan.vlan,
                                  lan.cookie, LAN_PRIORITY)
            try:
                self.topology.set_port_tags({m.port_name: lan.vlan for m in members})
                self._install(lan)
            except BaseException:
                self.topology.set_port_tags({m.port_name: None for m in members})
                self.vlans.release(lan.vlan)
                raise
            self.lans.append(lan)
            return lan

    def join_lan(self, lan, vnf_list):
        """Add VNF interfaces to an installed E-LAN (a network whose members
        arrive one by one, as a Neutron network's servers start)."""
        with self._lock:
            if lan not in self.lans:
                raise LookupError("no such E-LAN")
            members = self._new_lan_members(vnf_list)
            everyone = lan.members + members
            trunks = self._lan_trunk_ports(sorted({m.switch for m in everyone}))
            added = [f for f in lan_flows(everyone, trunks, self.topology.dpids(), lan.vlan,
                                          lan.cookie, LAN_PRIORITY) if f not in lan.flows]
            self.topology.set_port_tags({m.port_name: lan.vlan for m in members})
            try:
                self._install(lan, added)
            except BaseException:
                self.topology.set_port_tags({m.port_name: None for m in members})
                raise
            lan.members = everyone
            lan.flows = lan.flows + added

    def _new_lan_members(self, vnf_list):
        """LanMembers for [{"name", "interface"}], none of them in an E-LAN yet."""
        members = []
        for entry in vnf_list:
            intf, switch, port_nr, port_name = self.attachment(entry["name"],
                                                               entry.get("interface"))
            members.append(LanMember(entry["name"], intf, switch, port_name, port_nr))
        taken = {(m.vnf, m.interface) for lan in self.lans for m in lan.members}
        clash = [m for m in members if (m.vnf, m.interface) in taken]
        if clash:
            raise FlowConflict("%s:%s is already in an E-LAN" % (clash[0].vnf,
                                                                 clash[0].interface))
        return members

    def _lan_trunk_ports(self, switches):
        """(switch, port) pairs on the shortest paths joining the member switches."""
        trunks = set()
        for other in switches[1:]:
            hops = switch_path(self.topology.graph, switches[0], None, other, None,
                               self.topology.is_switch)
            for hop, following in zip(hops, hops[1:]):
                trunks.add((hop.switch, hop.out_port))
                trunks.add((following.switch, following.in_port))
        return trunks

    def del_lan(self, lan):
        """Remove an E-LAN (the record set_lan returned, or its VLAN id)."""
        with self._lock:
            if not isinstance(lan, Lan):
                lan = next((l for l in self.lans if l.vlan == int(lan)), None)
            if lan is None or lan not in self.lans:
                raise LookupError("no such E-LAN")
            self._uninstall(lan)
            self.topology.set_port_tags({m.port_name: None for m in lan.members
                                         if self.topology.has_node(m.vnf)})
            self.vlans.release(lan.vlan)
            self.lans.remove(lan)

    def list_lans(self):
        with self._lock:
            return [lan.describe() for lan in self.lans]

    # -- housekeeping ---------------------------------------------------------------

    def forget_node(self, vnf_name):
        """A VNF goes: its chains go, and it leaves its E-LANs."""
        with self._lock:
            self._remove_chains([c for c in self.chains if vnf_name in (c.src, c.dst)])
            for lan in self.lans:
                self._drop_lan_members(lan, [m for m in lan.members if m.vnf == vnf_name])

    def leave_lans(self, vnf_name, interface):
        """One interface of a VNF leaves its E-LAN (a port detached from a server)."""
        with self._lock:
            for lan in self.lans:
                self._drop_lan_members(lan, [m for m in lan.members
                                             if (m.vnf, m.interface) == (vnf_name, interface)])

    def _drop_lan_members(self, lan, gone):
        if not gone:
            return
        # Member flows match in_port only (trunk flows also match dl_vlan).
        member_ports = {(m.switch, m.port_nr) for m in gone}
        doomed = [f for f in lan.flows if len(f.match) == 1 and
                  (f.switch, dict(f.match)["in_port"]) in member_ports]
        self.installer.delete(doomed)
        for flow in doomed:
            self._flow_owners.pop(_flow_key(flow), None)
        lan.flows = [f for f in lan.flows if f not in doomed]
        lan.members = [m for m in lan.members if m not in gone]

    def reinstall_flows(self):
        """After a controller restart: every flow this network owns, again."""
        with self._lock:
            flows = [f for owner in self.chains + self.lans + self.monitors
                     for f in owner.flows]
            self.installer.add(flows)
            log.info("re-installed %d flows after a controller restart", len(flows))

    # -- counters -------------------------------------------------------------------

    def interface_counters(self, vnf_name, vnf_interface=None):
        """Packets/bytes of a VNF interface as the VNF sees them (switch side, swapped)."""
        intf, switch, port_nr, _ = self.attachment(vnf_name, vnf_interface)
        stats = self.installer.port_stats(switch, self.topology.dpids()[switch], port_nr)
        if stats is None:
            raise LookupError("no counters for %s:%s" % (vnf_name, intf))
        return {"vnf_name": vnf_name, "vnf_interface": intf,
                "tx_packets": stats["rx_packets"], "tx_bytes": stats["rx_bytes"],
                "rx_packets": stats["tx_packets"], "rx_bytes": stats["tx_bytes"]}

    def cookie_counters(self, cookie):
        """Traffic that entered the chains carrying `cookie` (counted at ingress)."""
        cookie = bounded_int(cookie, "cookie", 0, MAX_COOKIE)
        with self._lock:
            chains = [c for c in self.chains if c.cookie == cookie]
            monitors = [m for m in self.monitors if m.cookie == cookie]
        counted = [c.flows[0] for c in chains] + [m.flows[0] for m in monitors]
        packets = nbytes = 0
        for flow in counted:
            flow_packets, flow_bytes = self.installer.flow_counts(flow)
            packets += flow_packets
            nbytes += flow_bytes
        return {"cookie": cookie, "chains": len(chains), "monitors": len(monitors),
                "packets": packets, "bytes": nbytes}


def _flow_key(flow):
    return (flow.switch, flow.priority, flow.match)


def _describe(owner):
    if isinstance(owner, Monitor):
        return "a %s monitor" % owner.placement
    if isinstance(owner, Chain):
        return "the chain %s:%s -> %s:%s" % (owner.src, owner.src_intf, owner.dst,
                                             owner.dst_intf)
    return "the E-LAN with VLAN %d" % owner.vlan


MAX_COOKIE = (1 << 64) - 2      # all ones is OpenFlow's "any cookie" mask value
MAX_PRIORITY = 65535


def bounded_int(value, name, low, high):
    """An integer field of a chain request in [low, high], or ChainError."""
    try:
        if isinstance(value, bool):
            raise TypeError
        text = value.strip().lower() if isinstance(value, str) else None
        number = (int(text, 16) if text.startswith("0x") else int(text)) if text is not None \
            else int(value)
    except (TypeError, ValueError, OverflowError):
        raise ChainError("%s must be an integer, got %r" % (name, value)) from None
    if not low <= number <= high:
        raise ChainError("%s must be between %d and %d, got %d" % (name, low, high, number))
    return number
