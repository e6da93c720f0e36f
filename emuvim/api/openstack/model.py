"""The OpenStack resources of one PoP as data, and the pure rules about them.

No Docker and no network here: flavors, networks, subnets (with address
allocation), ports (with MACs), servers, Neutron-style list filters and
Nova microversions.  cloud.py carries them out on the emulator.
"""

import ipaddress
import random
import re
import time
import uuid
from dataclasses import dataclass, field

from emuvim.api.errors import HttpError

NOVA_MIN_VERSION = (2, 1)
NOVA_MAX_VERSION = (2, 60)        # what OSM's RO pins; the shapes up to it are honoured
EMBEDDED_FLAVOR_VERSION = (2, 47)
NETWORKS_REQUIRED_VERSION = (2, 37)
NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}\Z")


def new_id():
    return str(uuid.uuid4())


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def find_in(items, ref, what, lock):
    """items[ref] under `lock`, or a 404 naming what was looked for."""
    with lock:
        item = items.get(ref)
    if item is None:
        raise not_found("%s %s could not be found." % (what, ref))
    return item


def bad_request(message):
    return HttpError(400, message)


def not_found(message):
    return HttpError(404, message)


# -- flavors ------------------------------------------------------------------------------


@dataclass
class Flavor:
    id: str
    name: str
    vcpus: int
    ram: int                        # MB
    disk: int                       # GB (not enforced: containers share the host's disk)
    ephemeral: int = 0
    swap: int = 0
    is_public: bool = True
    extra_specs: dict = field(default_factory=dict)

    def limits(self):
        """What the container really gets: vcpus CPUs, ram MB."""
        from emuvim.dcemulator.resourcemodel import cpu_limit
        return dict(cpu_limit(self.vcpus), mem_limit=self.ram * 1024 * 1024)


DEFAULT_FLAVORS = (Flavor("1", "m1.tiny", 1, 512, 1), Flavor("2", "m1.small", 1, 2048, 20),
                   Flavor("3", "m1.medium", 2, 4096, 40), Flavor("4", "m1.large", 4, 8192, 80),
                   Flavor("5", "m1.xlarge", 8, 16384, 160))


def positive_int(body, key, default=None, minimum=1):
    value = body.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad_request("%s must be an integer, got %r" % (key, value)) from None
    if number < minimum:
        raise bad_request("%s must be at least %d" % (key, minimum))
    return number


# -- networks, subnets, ports ---------------------------------------------------------------


@dataclass
class Network:
    id: str
    name: str
    lan: object = None              # the E-LAN (VLAN) its ports join
    admin_state_up: bool = True
    shared: bool = False
    subnets: list = field(default_factory=list)
    created_at: str = field(default_factory=now_iso)
    # provider:network_type/physical_network/segmentation_id as requested
    # (an admin's provider network); None: a tenant network
    provider: dict = None
    vni: int = None                 # a tenant network's segmentation id, as reported

    @property
    def vlan(self):
        return self.lan.vlan if self.lan is not None else None


@dataclass
class Subnet:
    id: str
    name: str
    network_id: str
    cidr: str
    gateway_ip: str
    allocation_pools: list          # [{"start", "end"}]
    enable_dhcp: bool = True
    dns_nameservers: list = field(default_factory=list)
    host_routes: list = field(default_factory=list)
    used: set = field(default_factory=set)   # addresses handed out
    created_at: str = field(default_factory=now_iso)

    @property
    def network(self):
        return ipaddress.ip_network(self.cidr)

    def allocate(self, requested=None):
        """An address of the pools (the lowest free, or `requested`)."""
        if requested is not None:
            address = parse_address(requested, "ip_address")
            if address not in self.network:
                raise bad_request("IP address %s is not in subnet %s (%s)" % (
                    address, self.id, self.cidr))
            if str(address) in self.used or str(address) == self.gateway_ip:
                raise HttpError(409, "IP address %s is already allocated in subnet %s" % (
                    address, self.id))
            self.used.add(str(address))
            return str(address)
        for pool in self.allocation_pools:
            start = ipaddress.ip_address(pool["start"])
            end = ipaddress.ip_address(pool["end"])
            for number in range(int(start), int(end) + 1):
                candidate = str(ipaddress.ip_address(number))
                if candidate not in self.used and candidate != self.gateway_ip:
                    self.used.add(candidate)
                    return candidate
        raise HttpError(409, "no more IP addresses available in subnet %s" % self.id)

    def release(self, address):
        self.used.discard(address)


def parse_address(value, what):
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise bad_request("%s %r is not an IP address" % (what, value)) from None


def subnet_layout(cidr, gateway_ip="", allocation_pools=None):
    """(network, gateway or None, pools) as Neutron derives them.

    gateway_ip absent: the first host; null: no gateway.  Pools default to
    every host except the gateway.
    """
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        raise bad_request("invalid cidr %r" % (cidr,)) from None
    if network.version != 4 or network.prefixlen > 30:
        raise bad_request("cidr %s: IPv4 with a prefix of /30 or shorter, please" % network)
    first = network.network_address + 1
    last = network.broadcast_address - 1
    if gateway_ip == "":
        gateway = str(first)
    elif gateway_ip is None:
        gateway = None
    else:
        gateway = str(parse_address(gateway_ip, "gateway_ip"))
        if ipaddress.ip_address(gateway) not in network:
            raise bad_request("gateway_ip %s is not in %s" % (gateway, network))
    if allocation_pools:
        pools = []
        for pool in allocation_pools:
            if not isinstance(pool, dict):
                raise bad_request("allocation_pools entries need start and end")
            start = parse_address(pool.get("start"), "allocation pool start")
            end = parse_address(pool.get("end"), "allocation pool end")
            if start not in network or end not in network or end < start:
                raise bad_request("allocation pool %s-%s is not a range in %s" % (
                    start, end, network))
            pools.append({"start": str(start), "end": str(end)})
    elif gateway == str(first):
        pools = [{"start": str(first + 1), "end": str(last)}]
    else:
        pools = [{"start": str(first), "end": str(last)}]
    return str(network), gateway, pools


def random_mac():
    """OpenStack's fa:16:3e prefix: locally administered, unicast."""
    return "fa:16:3e:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(3))


MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")


def check_mac(value):
    if not isinstance(value, str) or not MAC.match(value) or int(value[:2], 16) & 1:
        raise bad_request("mac_address %r is not a unicast MAC like fa:16:3e:00:11:22"
                          % (value,))
    return value.lower()


@dataclass
class Port:
    id: str
    name: str
    network_id: str
    mac_address: str
    fixed_ips: list                 # [{"subnet_id", "ip_address"}]
    admin_state_up: bool = True
    device_id: str = ""
    device_owner: str = ""
    created_by_server: bool = False  # made for a server's "uuid" nic: deleted with it
    interface: str = None           # the interface name in the container, once bound
    created_at: str = field(default_factory=now_iso)

    @property
    def status(self):
        return "ACTIVE" if self.interface else "DOWN"


@dataclass
class Image:
    """A local Docker image as Glance shows it."""
    id: str
    name: str                       # repository:tag, ":latest" left out
    docker_ref: str                 # what Docker runs
    size: int
    created: str


def image_name(tag):
    return tag[:-len(":latest")] if tag.endswith(":latest") else tag


def image_id(docker_ref):
    """A stable UUID per image tag (Docker ids are not UUIDs; clients expect them)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "emuvim-image:" + docker_ref))


# -- servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    id: str
    name: str
    node_name: str                  # the emulator's compute node (container mn.<node_name>)
    flavor: Flavor
    image: object                   # glance image record
    port_ids: list
    metadata: dict = field(default_factory=dict)
    user_data: str = None
    state: str = "BUILD"            # BUILD, ACTIVE, SHUTOFF, ERROR (what we did)
    fault: str = None
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)

    def touch(self):
        self.updated = now_iso()


def node_name_for(name, server_id, taken):
    """The compute node name of a server: its own name when that is a valid,
    free node name, else a name made from its id."""
    if isinstance(name, str) and NODE_NAME.match(name) and name not in taken:
        return name
    return "srv-%s" % server_id[:8]


# -- lists and filters ------------------------------------------------------------------------


def matches(item, filters):
    """Neutron/Nova style filters: each key must match one of its values
    (?id=a&id=b is "a or b"); unknown keys are ignored, as Neutron does."""
    for key, wanted in filters.items():
        if key not in item:
            continue
        value = item[key]
        texts = {str(v).lower() if isinstance(v, bool) else str(v) for v in wanted}
        if isinstance(value, bool):
            value = str(value).lower()
        if str(value) not in texts:
            return False
    return True


LIST_CONTROLS = ("fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse")


def query_filters(query_items, ignore=()):
    filters = {}
    for key, value in query_items:
        if key in LIST_CONTROLS or key in ignore:
            continue
        filters.setdefault(key, []).append(value)
    return filters


# -- microversions ------------------------------------------------------------------------------


def parse_microversion(headers):
    """The requested compute microversion as a tuple (2.1 when none is asked for)."""
    value = None
    modern = headers.get("openstack-api-version")
    if modern:
        parts = modern.split()
        if len(parts) == 2 and parts[0] == "compute":
            value = parts[1]
    value = value or headers.get("x-openstack-nova-api-version")
    if not value:
        return NOVA_MIN_VERSION
    if value == "latest":
        return NOVA_MAX_VERSION
    match = re.fullmatch(r"(\d+)\.(\d+)", value.strip())
    if not match:
        raise bad_request("invalid compute microversion %r" % value)
    version = (int(match.group(1)), int(match.group(2)))
    if not NOVA_MIN_VERSION <= version <= NOVA_MAX_VERSION:
        raise HttpError(406, "compute microversion %s is not supported (2.1 to %d.%d)" % (
            value, *NOVA_MAX_VERSION))
    return version


def version_text(version):
    return "%d.%d" % version
