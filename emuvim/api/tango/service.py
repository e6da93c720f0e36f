"""A network service as the LLCM deploys it, read from 5GTANGO descriptors.

Everything here is pure: descriptors in, validated model out (PackageError
with status 422 for anything wrong), and a deployment plan per instance.
Nothing touches Docker or the network.
"""

import ipaddress
import re
from dataclasses import dataclass, field

from emuvim.api.tango.package import PackageError
from emuvim.dcemulator import hostaccess
from emuvim.dcemulator.links import clean_intf_id
from emuvim.dcemulator.resourcemodel import cpu_limit

E_LINE = "E-Line"
VNF_CP_PREFIX = "vnf:"
LAN_TYPES = ("E-LAN", "E-Tree")
MIN_MEMORY = 6 * 1024 * 1024  # Docker refuses less
MEMORY_UNITS = {"": 1024 ** 3, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3,
                "T": 1024 ** 4}
PORT_ITEM = re.compile(r"^(\d{1,5})(?:/(tcp|udp|sctp))?\Z")


def invalid(message):
    return PackageError(message, 422)


# -- VNFs ---------------------------------------------------------------------------


@dataclass
class Unit:
    """A VDU or CDU: one container per instance."""
    id: str
    image: str
    cps: list                       # [{"id": intf, "ip": "a.b.c.d/n" or None}]
    create_args: dict               # resource limits and docker extras
    ports: list                     # [(port, proto)]
    publish: dict                   # {"port/proto": host port}
    environment: dict
    descriptor: dict = None         # the raw VDU/CDU (placement algorithms get it)
    docker_intf_name: str = None    # Docker's eth0 is renamed to this (docker management)


@dataclass
class Vnf:
    vnf_id: str
    name: str
    units: list                     # [Unit]
    cp_map: dict                    # VNF-level cp -> [(unit id, unit cp)]
    internal_links: list = field(default_factory=list)  # [Link] between units
    descriptor: dict = None         # the raw VNFD

    def unit_cps(self, cp):
        """The (unit id, unit cp) pairs a VNF-level (or unit-level) CP stands for."""
        if cp in self.cp_map:
            return self.cp_map[cp]
        return [(u.id, c["id"]) for u in self.units for c in u.cps if c["id"] == cp]


@dataclass
class Endpoint:
    vnf_id: str                     # None for an NS-level connection point
    cp: str
    unit_id: str = None             # set for links inside a VNF


@dataclass
class Link:
    id: str
    kind: str                       # "E-Line" or "E-LAN" (E-Tree is deployed as an E-LAN)
    endpoints: list


@dataclass
class Service:
    vendor: str
    name: str
    version: str
    package_name: str
    vnfs: dict                      # vnf_id -> Vnf, in NSD order
    links: list
    warnings: list = field(default_factory=list)  # what was skipped, and why
    ns_cp_types: dict = field(default_factory=dict)  # NS cp (cleaned id) -> type

    @property
    def instance_prefix(self):
        return "%s.%s.%s" % (self.vendor, self.name, self.version)

    def images(self):
        return sorted({u.image for v in self.vnfs.values() for u in v.units})


# -- parsing --------------------------------------------------------------------------


def memory_bytes(memory, where):
    if memory is None or memory.get("size") is None:
        return None
    try:
        size = float(memory["size"])
    except (TypeError, ValueError):
        raise invalid("%s: memory size %r is not a number" % (where, memory["size"]))
    unit = str(memory.get("size_unit") or "GB").strip().upper()
    prefix = unit.rstrip("B").rstrip("I")
    if prefix not in MEMORY_UNITS:
        raise invalid("%s: unknown memory size_unit %r" % (where, memory.get("size_unit")))
    value = int(size * MEMORY_UNITS[prefix])
    if value < MIN_MEMORY:
        raise invalid("%s: memory %s %s is below Docker's minimum of 6 MB" % (
            where, memory["size"], unit))
    return value


def _positive(value, what, where):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid("%s: %s %r is not a number" % (where, what, value))
    if number <= 0:
        raise invalid("%s: %s must be positive, got %r" % (where, what, value))
    return number


def resource_args(requirements, where):
    """Docker create() arguments for a unit's resource_requirements.

    vcpus is a number of CPUs (a CFS quota), cpu_bw a fraction of each;
    cpuset pins to CPUs.  (vim-emu pinned `vcpus: 1` to CPU #1.)
    """
    requirements = requirements or {}
    if not isinstance(requirements, dict):
        raise invalid("%s: resource_requirements must be a mapping" % where)
    cpu = requirements.get("cpu") or {}
    args = {}
    if cpu.get("cpuset") is not None:
        args["cpuset_cpus"] = str(cpu["cpuset"]).replace(" ", "")
        if not re.match(r"^[0-9]+([,-][0-9]+)*\Z", args["cpuset_cpus"]):
            raise invalid("%s: cpuset %r is not like '0-2,4'" % (where, cpu["cpuset"]))
    if cpu.get("vcpus") is not None or cpu.get("cpu_bw") is not None:
        cpus = _positive(cpu.get("vcpus", 1), "vcpus", where)
        cpus *= _positive(cpu.get("cpu_bw", 1.0), "cpu_bw", where)
        args.update(cpu_limit(cpus))
    mem = memory_bytes(requirements.get("memory"), where)
    if mem is not None:
        args["mem_limit"] = mem
    return args


def _port(item, where):
    match = PORT_ITEM.match(str(item).strip())
    if not match or not 0 < int(match.group(1)) < 65536:
        raise invalid("%s: bad port %r (use 80 or '53/udp')" % (where, item))
    return int(match.group(1)), match.group(2) or "tcp"


def _unit_ports(cps, where):
    ports, publish = [], {}
    for cp in cps:
        items = ([cp["port"]] if cp.get("port") is not None else []) + list(cp.get("ports") or [])
        for item in items:
            port = _port(item, where)
            if port not in ports:
                ports.append(port)
        for ctr, host in (cp.get("publish") or {}).items():
            port, proto = _port(ctr, where)
            publish["%d/%s" % (port, proto)] = _port(host, where)[0]
            if (port, proto) not in ports:
                ports.append((port, proto))
    return ports, publish


def _address(cp, where):
    value = cp.get("address") or cp.get("ip")
    if not value:
        return None
    value = str(value)
    if "/" not in value:
        value += "/24"
    try:
        ipaddress.ip_interface(value)
    except ValueError as err:
        raise invalid("%s: connection point %s has a bad address %r" % (
            where, cp.get("id"), value)) from err
    return value


def _intf_id(value, where):
    try:
        return clean_intf_id(str(value))
    except ValueError as err:
        raise invalid("%s: %s" % (where, err)) from err


SIMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")
MAX_ID_CHARS = 28  # vnf_id.unit_id.NNNN stays within container name limits


def simple_name(value, what, where):
    """vnf_ids and unit ids become container and file names: keep them plain."""
    value = str(value) if value is not None else ""
    if not SIMPLE_NAME.match(value) or len(value) > MAX_ID_CHARS:
        raise invalid("%s: %s %r must be letters, digits, '_' or '-' (at most %d)" % (
            where, what, value, MAX_ID_CHARS))
    return value


def parse_unit(du, cloudnative, vnf_cps, where):
    if not isinstance(du, dict) or not du.get("id"):
        raise invalid("%s: a deployment unit has no id" % where)
    simple_name(du["id"], "unit id", where)
    where = "%s unit %s" % (where, du["id"])
    if cloudnative:
        image = du.get("image")
    else:
        if du.get("vm_image_format", "docker") != "docker":
            raise invalid("%s: vm_image_format %r: only docker images run here" % (
                where, du.get("vm_image_format")))
        image = du.get("vm_image")
    if not image or not isinstance(image, str):
        raise invalid("%s: no image" % where)
    image = re.sub(r"^https?://", "", image)
    cps, seen = [], set()
    for cp in du.get("connection_points") or []:
        if not isinstance(cp, dict) or not cp.get("id"):
            raise invalid("%s: a connection point has no id" % where)
        cp_id = _intf_id(cp["id"], where)
        if cp_id in seen:
            raise invalid("%s: connection point %s is listed twice" % (where, cp_id))
        seen.add(cp_id)
        address = _address(cp, where) or _address(vnf_cps.get(cp["id"], {}), where)
        cps.append({"id": cp_id, "ip": address})
    ports, publish = _unit_ports(du.get("connection_points") or [], where)
    args = resource_args(du.get("resource_requirements"), where)
    for key in ("ipc_mode", "devices", "cap_add"):
        if du.get(key) is not None:
            args[key] = du[key]
    try:        # types now; whether the emulator allows them when it deploys
        hostaccess.check(args, True, where)
    except hostaccess.HostAccessRefused as err:
        raise invalid(str(err)) from err
    env = {}
    for key, var in (("vm_cmd_start", "SON_EMU_CMD"), ("vm_cmd_stop", "SON_EMU_CMD_STOP")):
        if du.get(key) not in (None, "", "None"):
            env[var] = str(du[key])
    return Unit(str(du["id"]), image, cps, args, ports, publish, env, du)


def split_ref(ref, where, own_cps=()):
    """A connection point reference as (vnf or unit id, cp), or (None, cp) for
    a connection point of the descriptor itself.

    The descriptor's own connection points are matched first: SONATA and
    tng-sdk-benchmark name them "ns:input" or "vnf:mgmt", colon included.
    """
    if not isinstance(ref, str) or not ref:
        raise invalid("%s: bad connection point reference %r" % (where, ref))
    if ref in own_cps:
        return None, ref
    if ref.count(":") > 1:
        raise invalid("%s: bad connection point reference %r" % (where, ref))
    return tuple(ref.split(":")) if ":" in ref else (None, ref)


def own_cp_ids(descriptor):
    return {cp.get("id") for cp in descriptor.get("connection_points") or []
            if isinstance(cp, dict) and isinstance(cp.get("id"), str)}


def parse_vnfd(vnfd, vnf_id):
    where = "VNFD %s" % vnfd.get("name")
    vnf_cps = {cp.get("id"): cp for cp in vnfd.get("connection_points") or []
               if isinstance(cp, dict)}
    units = [parse_unit(du, False, vnf_cps, where)
             for du in vnfd.get("virtual_deployment_units") or []]
    units += [parse_unit(du, True, vnf_cps, where)
              for du in vnfd.get("cloudnative_deployment_units") or []]
    if not units:
        raise invalid("%s has no virtual_deployment_units or cloudnative_deployment_units"
                      % where)
    if len({u.id for u in units}) != len(units):
        raise invalid("%s: deployment unit ids are not unique" % where)
    vnf = Vnf(vnf_id, vnfd["name"], units, {}, descriptor=vnfd)
    unit_cps = {(u.id, c["id"]) for u in units for c in u.cps}
    for vl in vnfd.get("virtual_links") or []:
        refs = [split_ref(r, where, vnf_cps) for r in (vl.get("connection_points_reference") or [])]
        inner = [(u, _intf_id(c, where)) for u, c in refs if u is not None]
        for unit_id, cp in inner:
            if (unit_id, cp) not in unit_cps:
                raise invalid("%s: virtual link %s refers to %s:%s, which no unit has" % (
                    where, vl.get("id"), unit_id, cp))
        for _, outer in [r for r in refs if r[0] is None]:
            vnf.cp_map.setdefault(outer, []).extend(inner)
            if outer.startswith(VNF_CP_PREFIX):
                # An NSD names SONATA's "vnf:input" as "<vnf_id>:input".
                vnf.cp_map.setdefault(outer[len(VNF_CP_PREFIX):], []).extend(inner)
        if len(inner) >= 2:
            vnf.internal_links.append(_link(vl, [Endpoint(vnf_id, c, u) for u, c in inner],
                                            where))
    return vnf


def _link(vl, endpoints, where):
    kind = vl.get("connectivity_type")
    if kind not in (E_LINE,) + LAN_TYPES:
        raise invalid("%s: virtual link %s has connectivity_type %r (use E-Line, E-LAN "
                      "or E-Tree)" % (where, vl.get("id"), kind))
    if kind == E_LINE and len(endpoints) != 2:
        raise invalid("%s: E-Line %s needs exactly 2 connection points, has %d" % (
            where, vl.get("id"), len(endpoints)))
    return Link(str(vl.get("id")), E_LINE if kind == E_LINE else "E-LAN", endpoints)


def _find_vnfd(function, vnfds):
    """The VNFD a network_functions entry names (vendor/version disambiguate)."""
    named = [d for d in vnfds if d.get("name") == function.get("vnf_name")]
    for key in ("vnf_vendor", "vnf_version"):
        narrowed = [d for d in named
                    if function.get(key) is None or str(d.get(key[4:])) == str(function[key])]
        named = narrowed or named
    if not named:
        raise invalid("NSD function %s names VNFD %r, which is not in the package (it has: "
                      "%s)" % (function.get("vnf_id"), function.get("vnf_name"),
                               ", ".join(sorted(str(d.get("name")) for d in vnfds))))
    return named[0]


def parse_service(content):
    """Service model of a package (see package.read_descriptors); PackageError if wrong."""
    nsd = content.nsd
    for key in ("vendor", "name", "version"):
        if not nsd.get(key):
            raise invalid("NSD has no %s" % key)
    functions = nsd.get("network_functions")
    if not isinstance(functions, list) or not functions:
        raise invalid("NSD has no network_functions")
    vnfs = {}
    for function in functions:
        vnf_id = function.get("vnf_id") if isinstance(function, dict) else None
        vnf_id = simple_name(vnf_id, "vnf_id", "NSD")
        if vnf_id in vnfs:
            raise invalid("NSD lists vnf_id %s twice" % vnf_id)
        vnfs[vnf_id] = parse_vnfd(_find_vnfd(function, content.vnfds), vnf_id)
    service = Service(str(nsd["vendor"]), str(nsd["name"]), str(nsd["version"]),
                      content.name, vnfs, [], ns_cp_types=_cp_types(nsd, "NSD"))
    # vim-emu deployed links only when forwarding_graphs was present too; a
    # service's links are its links, so they are always deployed here.
    ns_cps = own_cp_ids(nsd)
    for vl in nsd.get("virtual_links") or []:
        if not isinstance(vl, dict):
            raise invalid("NSD virtual_links entries must be mappings")
        refs = [split_ref(r, "NSD", ns_cps) for r in vl.get("connection_points_reference") or []]
        if vl.get("connectivity_type") in LAN_TYPES:
            refs = _known_lan_members(service, vl, refs)
            if len(refs) < 2:
                service.warnings.append("E-LAN %s: fewer than 2 members left, not deployed"
                                        % vl.get("id"))
                continue
        endpoints = [_ns_endpoint(vnfs, vl, vnf_id, cp) for vnf_id, cp in refs]
        service.links.append(_link(vl, endpoints, "NSD"))
    _check_links(service)
    return service


def _cp_types(descriptor, where):
    """{cleaned connection point id: its type} of a descriptor's own CPs."""
    return {_intf_id(cp["id"], where): str(cp.get("type") or "")
            for cp in descriptor.get("connection_points") or []
            if isinstance(cp, dict) and isinstance(cp.get("id"), str)}


def _known_lan_members(service, vl, refs):
    """An E-LAN's members without those naming a VNF the NSD does not list.

    vim-emu skipped such members and deployed the rest; so do we, but say so.
    """
    kept = []
    for vnf_id, cp in refs:
        if vnf_id is not None and vnf_id not in service.vnfs:
            service.warnings.append(
                "E-LAN %s: member %s:%s skipped, the NSD lists no vnf_id %s" % (
                    vl.get("id"), vnf_id, cp, vnf_id))
        else:
            kept.append((vnf_id, cp))
    return kept


def _ns_endpoint(vnfs, vl, vnf_id, cp):
    where = "NSD virtual link %s" % vl.get("id")
    if vnf_id is None:
        return Endpoint(None, _intf_id(cp, where))
    if vnf_id not in vnfs:
        raise invalid("%s refers to unknown vnf_id %s" % (where, vnf_id))
    if not vnfs[vnf_id].unit_cps(cp):
        raise invalid("%s refers to %s:%s, but VNFD %s has no such connection point" % (
            where, vnf_id, cp, vnfs[vnf_id].name))
    return Endpoint(vnf_id, cp)


def _check_links(service):
    ns_cps = [e.cp for l in service.links for e in l.endpoints if e.vnf_id is None]
    twice = sorted({cp for cp in ns_cps if ns_cps.count(cp) > 1})
    if twice:
        raise invalid("NS connection point %s is used by more than one virtual link" % twice[0])
    for link in service.links:
        if link.kind == E_LINE:
            for e in link.endpoints:
                if e.vnf_id and len(service.vnfs[e.vnf_id].unit_cps(e.cp)) != 1:
                    raise invalid("E-Line %s: %s:%s stands for %d unit connection points; an "
                                  "E-Line end must be exactly one" % (
                                      link.id, e.vnf_id, e.cp,
                                      len(service.vnfs[e.vnf_id].unit_cps(e.cp))))


# -- docker management ----------------------------------------------------------------

MANAGEMENT = "management"


def _vnf_cp_type(vnf, cp):
    for entry in (vnf.descriptor or {}).get("connection_points") or []:
        if isinstance(entry, dict) and entry.get("id") in (cp, VNF_CP_PREFIX + cp):
            return entry.get("type")
    return None


def is_management_link(service, link):
    """An NS link with an NS connection point of type management, or one whose
    every VNF end is a VNF connection point of type management."""
    if any(e.vnf_id is None and service.ns_cp_types.get(e.cp) == MANAGEMENT
           for e in link.endpoints):
        return True
    ends = [e for e in link.endpoints if e.vnf_id is not None]
    return bool(ends) and all(_vnf_cp_type(service.vnfs[e.vnf_id], e.cp) == MANAGEMENT
                              for e in ends)


def use_docker_management(service):
    """Docker's own interface becomes each VNF's management interface.

    Management links are not deployed; the unit connection points at their
    VNF ends are not plumbed into the emulated network.  Instead, the unit's
    Docker interface (eth0, on Docker's bridge, reachable from the host) is
    renamed to that connection point's name.  A unit has one Docker
    interface: a second management connection point is left unconnected.
    """
    kept = []
    for link in service.links:
        if not is_management_link(service, link):
            kept.append(link)
            continue
        service.warnings.append("management link %s: Docker's interfaces are used instead"
                                % link.id)
        for e in link.endpoints:
            if e.vnf_id is not None:
                _to_docker_interface(service, service.vnfs[e.vnf_id], e.cp)
    service.links = kept
    return service


def _to_docker_interface(service, vnf, cp):
    units = {u.id: u for u in vnf.units}
    for unit_id, unit_cp in vnf.unit_cps(cp):
        unit = units[unit_id]
        if unit.docker_intf_name not in (None, unit_cp):
            service.warnings.append("%s unit %s: %s is a second management connection point; "
                                    "Docker's interface is %s already" % (
                                        vnf.vnf_id, unit_id, unit_cp, unit.docker_intf_name))
            continue
        unit.docker_intf_name = unit_cp
        unit.cps = [c for c in unit.cps if c["id"] != unit_cp]
    vnf.internal_links = [l for l in vnf.internal_links
                          if not any(e.cp == cp or (e.unit_id, e.cp) in vnf.unit_cps(cp)
                                     for e in l.endpoints)]
