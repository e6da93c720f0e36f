"""The deployment plan of one service instance (pure; no Docker, no network).

Given a Service, an instance number, a placement algorithm and subnet pools,
plan_instance decides every container name, PoP, interface address and
published port, the service access points (SAPs) that stand for NS-level
connection points, and which members each E-Line and E-LAN joins.  The
runtime (instance.py) then only carries the plan out, and can undo it.
"""

import ipaddress
import threading
from dataclasses import dataclass, field

from emuvim.api.errors import HttpError
from emuvim.api.tango.service import E_LINE

ELINE_POOL = "20.0.0.0/16"   # vim-emu: 20.0.0.0/24 ... 20.0.49.0/24
ELAN_POOL = "30.0.0.0/16"    # vim-emu: 30.0.0.0/24 ... 30.0.49.0/24
PORT_OFFSET = 1000           # published host ports move by this per instance


class PoolExhausted(HttpError):
    def __init__(self, message):
        super().__init__(409, message)


class SubnetPool:
    """/24s of a larger network, lowest free first; released ones are reused."""

    def __init__(self, network, prefixlen=24):
        self.network = ipaddress.ip_network(network)
        self.prefixlen = prefixlen
        self._used = set()
        self._lock = threading.Lock()

    def allocate(self):
        with self._lock:
            for subnet in self.network.subnets(new_prefix=self.prefixlen):
                if subnet not in self._used:
                    self._used.add(subnet)
                    return subnet
        raise PoolExhausted("all /%d subnets of %s are in use" % (self.prefixlen, self.network))

    def release(self, subnet):
        with self._lock:
            self._used.discard(ipaddress.ip_network(subnet))

    def in_use(self):
        with self._lock:
            return sorted(self._used)


@dataclass
class UnitPlan:
    name: str
    vnf_id: str
    unit: object                     # service.Unit
    dc: object                       # Datacenter
    interfaces: list                 # [{"id", "ip"}]
    port_bindings: dict


@dataclass
class SapPlan:
    name: str                        # container or ext-SAP (bridge) name
    cp: str
    dc: object
    ip: str = None                   # "a.b.c.d/n"
    subnet: object = None


@dataclass
class LinkPlan:
    id: str
    kind: str
    members: list                    # [(node name, interface or None for an ext SAP)]
    subnet: object


@dataclass
class InstancePlan:
    ssiid: int
    units: list = field(default_factory=list)
    saps: list = field(default_factory=list)
    links: list = field(default_factory=list)
    subnets: list = field(default_factory=list)   # [(pool, subnet)] to give back

    def release_subnets(self):
        for pool, subnet in self.subnets:
            pool.release(subnet)
        self.subnets = []


def unit_name(vnf_id, unit_id, ssiid):
    return "%s.%s.%d" % (vnf_id, unit_id, ssiid)


NS_CP_PREFIX = "ns-"   # SONATA's "ns:input", after interface-name cleaning


def ext_sap_name(cp, token, taken=()):
    """A host-side bridge name: at most 15 characters, unique per instance token.

    The NS prefix is dropped (it would eat half of the 6 characters); a cp
    whose first characters another SAP of the instance has gets a number.
    """
    stem = cp[len(NS_CP_PREFIX):] if cp.startswith(NS_CP_PREFIX) and len(cp) > 3 else cp
    name = "%s.%s" % (stem[:6], token[:8])
    number = 1
    while name in taken:
        name = "%s%d.%s" % (stem[:6 - len(str(number))], number, token[:8])
        number += 1
    return name


def sap_container_name(cp, ssiid):
    return "sap.%s.%d" % (cp, ssiid)


def plan_instance(service, ssiid, placement, dcs, eline_pool, elan_pool, token,
                  sap_containers=False):
    """The InstancePlan; on error nothing stays allocated in the pools."""
    plan = InstancePlan(ssiid)
    try:
        _plan_units(plan, service, ssiid, placement, dcs)
        _plan_links(plan, service, dcs, eline_pool, elan_pool, token, sap_containers)
    except BaseException:
        plan.release_subnets()
        raise
    return plan


def _plan_units(plan, service, ssiid, placement, dcs):
    for vnf in service.vnfs.values():
        for unit in vnf.units:
            name = unit_name(vnf.vnf_id, unit.id, ssiid)
            dc = placement.place(dcs, vnf.descriptor, vnf.vnf_id, unit.descriptor, ssiid, name)
            if isinstance(dc, str):
                if dc not in dcs:
                    raise HttpError(422, "placement put %s on unknown PoP %r" % (name, dc))
                dc = dcs[dc]
            bindings = {}
            for ctr_port, host_port in unit.publish.items():
                host_port += PORT_OFFSET * ssiid
                if host_port > 65535:
                    raise HttpError(409, "%s: published port %s would be host port %d (instance %d "
                                    "x %d offset): too high" % (name, ctr_port, host_port,
                                                                 ssiid, PORT_OFFSET))
                bindings[ctr_port] = host_port
            interfaces = [dict(cp) for cp in unit.cps]
            plan.units.append(UnitPlan(name, vnf.vnf_id, unit, dc, interfaces, bindings))


def _links_to_deploy(service):
    """NS links, plus VNF-internal links whose unit CPs no NS link already covers."""
    links = [(link, None) for link in service.links]
    covered = set()
    for link in service.links:
        for e in link.endpoints:
            if e.vnf_id:
                covered.update((e.vnf_id,) + pair for pair in service.vnfs[e.vnf_id].unit_cps(e.cp))
    for vnf in service.vnfs.values():
        for link in vnf.internal_links:
            if not any((e.vnf_id, e.unit_id, e.cp) in covered for e in link.endpoints):
                links.append((link, vnf))
    return links


def _plan_links(plan, service, dcs, eline_pool, elan_pool, token, sap_containers):
    interfaces = {(u.name, i["id"]): i for u in plan.units for i in u.interfaces}
    unit_dc = {u.name: u.dc for u in plan.units}
    in_link = {}
    for link, _ in _links_to_deploy(service):
        members, saps = [], []
        for e in link.endpoints:
            if e.vnf_id is None:
                taken = {s.name for s in plan.saps + saps}
                sap = SapPlan(sap_container_name(e.cp, plan.ssiid) if sap_containers
                              else ext_sap_name(e.cp, token, taken), e.cp, None)
                saps.append(sap)
                members.append((sap, None))
                continue
            pairs = ([(e.unit_id, e.cp)] if e.unit_id else
                     service.vnfs[e.vnf_id].unit_cps(e.cp))
            for unit_id, cp in pairs:
                name = unit_name(e.vnf_id, unit_id, plan.ssiid)
                if (name, cp) in in_link:
                    raise HttpError(422, "%s:%s is in two virtual links (%s and %s)" % (
                        name, cp, in_link[(name, cp)], link.id))
                in_link[(name, cp)] = link.id
                members.append((interfaces[(name, cp)], name))
        pool = eline_pool if link.kind == E_LINE else elan_pool
        subnet = pool.allocate()
        plan.subnets.append((pool, subnet))
        _address_members(members, subnet)
        home = next((unit_dc[m[1]] for m in members if m[1] is not None), None)
        for sap in saps:
            sap.dc = home or next(iter(dcs.values()))
            sap.subnet = subnet
        plan.saps.extend(saps)
        plan.links.append(LinkPlan(link.id, link.kind, [
            (m[0].name, m[0].cp if sap_containers else None) if isinstance(m[0], SapPlan)
            else (m[1], m[0]["id"]) for m in members], subnet))


def _address_members(members, subnet):
    """Hosts of `subnet` in member order (.1, .2, ...), keeping fixed addresses."""
    fixed = {ipaddress.ip_interface(m[0]["ip"]).ip for m in members
             if isinstance(m[0], dict) and m[0].get("ip")}
    hosts = (h for h in subnet.hosts() if h not in fixed)
    for target, _ in members:
        if isinstance(target, SapPlan):
            target.ip = "%s/%d" % (next(hosts), subnet.prefixlen)
        elif not target.get("ip"):
            target["ip"] = "%s/%d" % (next(hosts), subnet.prefixlen)
