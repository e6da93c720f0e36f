"""The deployment plan of one service instance (pure; no Docker, no network).

Given a Service, an instance number, a placement algorithm and subnet pools,
plan_instance decides every container name, PoP, interface address and
published port, the service access points (SAPs) that stand for NS-level
connection points, and which members each E-Line and E-LAN joins.  The
runtime (instance.py) then only carries the plan out, and can undo it.
"""

import copy
import ipaddress
import threading
from dataclasses import dataclass, field

from emuvim.api.errors import HttpError
from emuvim.api.tango.service import E_LINE, use_docker_management

ELINE_POOL = "20.0.0.0/16"   # vim-emu: 20.0.0.0/24 ... 20.0.49.0/24
ELAN_POOL = "30.0.0.0/16"    # vim-emu: 30.0.0.0/24 ... 30.0.49.0/24
PORT_OFFSET = 1000           # published host ports move by this per instance
EXT_SAP = "ext"              # an NS connection point as a host-side interface
CONTAINER_SAP = "container"  # ... as a container of its own


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
    kind: str = EXT_SAP              # EXT_SAP (host side) or CONTAINER_SAP
    interface: str = None            # a SAP container's interface


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
    skipped: list = field(default_factory=list)   # why links or ends were left out

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


class DeploymentRules:
    """How an instance's containers, SAPs and subnets are named and chosen.

    These are the 5GTANGO LLCM's rules; the SONATA gatekeeper subclasses
    them (emuvim.api.sonata.rules).  The rules own the subnet pools, so two
    LLCMs never hand out the same subnet twice within themselves.
    """

    def __init__(self, eline_pool=ELINE_POOL, elan_pool=ELAN_POOL, sap_containers=False,
                 docker_management=False, eline_prefixlen=24):
        self.eline_pool = SubnetPool(eline_pool, eline_prefixlen)
        self.elan_pool = SubnetPool(elan_pool)
        self.sap_containers = sap_containers
        self.docker_management = docker_management

    def pools(self):
        return [self.eline_pool, self.elan_pool]

    def scratch(self):
        """The same rules with empty pools of their own (for dry-run plans)."""
        clone = copy.copy(self)
        for attribute, pool in vars(self).items():
            if isinstance(pool, SubnetPool):
                setattr(clone, attribute, SubnetPool(pool.network, pool.prefixlen))
        return clone

    def adapt(self, service):
        """Change a freshly parsed service to these rules (docker management)."""
        if self.docker_management:
            use_docker_management(service)
        return service

    def unit_name(self, vnf, unit, ssiid):
        return unit_name(vnf.vnf_id, unit.id, ssiid)

    def sap_kind(self, service, cp):
        """EXT_SAP, CONTAINER_SAP, or None to leave the NS connection point out."""
        return CONTAINER_SAP if self.sap_containers else EXT_SAP

    def sap_container(self, cp, ssiid):
        """(container name, interface name) of a SAP container."""
        return sap_container_name(cp, ssiid), cp

    def pool(self, link, sap_kinds):
        """The pool a link's subnet comes from; sap_kinds: the kinds of its SAPs."""
        return self.eline_pool if link.kind == E_LINE else self.elan_pool

    def unit_extras(self, unit_plan, service_uuid):
        """Further startCompute arguments of a unit (volumes, ...)."""
        return {}


def plan_instance(service, ssiid, placement, dcs, rules, token):
    """The InstancePlan; on error nothing stays allocated in the pools."""
    plan = InstancePlan(ssiid)
    try:
        _plan_units(plan, service, ssiid, placement, dcs, rules)
        _plan_links(plan, service, dcs, rules, token)
    except BaseException:
        plan.release_subnets()
        raise
    return plan


def _plan_units(plan, service, ssiid, placement, dcs, rules):
    for vnf in service.vnfs.values():
        for unit in vnf.units:
            name = rules.unit_name(vnf, unit, ssiid)
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


def _plan_links(plan, service, dcs, rules, token):
    interfaces = {(u.name, i["id"]): i for u in plan.units for i in u.interfaces}
    names = {(u.vnf_id, u.unit.id): u.name for u in plan.units}
    unit_dc = {u.name: u.dc for u in plan.units}
    in_link = {}
    for link, _ in _links_to_deploy(service):
        members, saps = [], []
        for e in link.endpoints:
            if e.vnf_id is None:
                sap = _plan_sap(plan, service, rules, e.cp, token, saps)
                if sap is not None:
                    saps.append(sap)
                    members.append((sap, None))
                continue
            pairs = ([(e.unit_id, e.cp)] if e.unit_id else
                     service.vnfs[e.vnf_id].unit_cps(e.cp))
            for unit_id, cp in pairs:
                name = names[(e.vnf_id, unit_id)]
                if (name, cp) in in_link:
                    raise HttpError(422, "%s:%s is in two virtual links (%s and %s)" % (
                        name, cp, in_link[(name, cp)], link.id))
                in_link[(name, cp)] = link.id
                members.append((interfaces[(name, cp)], name))
        if len(members) < 2:
            plan.skipped.append("virtual link %s: fewer than 2 ends are deployed, left out"
                                % link.id)
            continue
        pool = rules.pool(link, [s.kind for s in saps])
        subnet = pool.allocate()
        plan.subnets.append((pool, subnet))
        _address_members(members, subnet)
        home = next((unit_dc[m[1]] for m in members if m[1] is not None), None)
        for sap in saps:
            sap.dc = home or next(iter(dcs.values()))
            sap.subnet = subnet
        plan.saps.extend(saps)
        plan.links.append(LinkPlan(link.id, link.kind, [
            (m[0].name, m[0].interface) if isinstance(m[0], SapPlan)
            else (m[1], m[0]["id"]) for m in members], subnet))


def _plan_sap(plan, service, rules, cp, token, saps):
    """The SapPlan of an NS connection point, or None if the rules leave it out."""
    kind = rules.sap_kind(service, cp)
    if kind is None:
        plan.skipped.append("NS connection point %s is not deployed" % cp)
        return None
    if kind == CONTAINER_SAP:
        name, interface = rules.sap_container(cp, plan.ssiid)
        return SapPlan(name, cp, None, kind=kind, interface=interface)
    taken = {s.name for s in plan.saps + saps}
    return SapPlan(ext_sap_name(cp, token, taken), cp, None, kind=kind)


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
