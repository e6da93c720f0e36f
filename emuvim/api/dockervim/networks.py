"""Docker networks of this run: create (subnet, ip range, gateway, bridge
name, all validated), list, inspect, remove, connect and disconnect."""

import ipaddress
import os

import docker.types

from emuvim.api.dockervim.containers import docker_name
from emuvim.api.dockervim.errors import docker_errors, refuse
from emuvim.api.errors import HttpError
from emuvim.api.dockervim.fields import (LINUX_IFNAME, Fields, address_of, invalid,
                                         network_of)
from emuvim.dcemulator.ownership import LABEL_RUN

CREATE_FIELDS = ("name", "kind", "driver", "subnet", "ip_range", "gateway", "bridge_name",
                 "internal", "labels")
BRIDGE_OPTION = "com.docker.network.bridge.name"


def check_addressing(subnet, ip_range, gateway):
    """Parsed (subnet, ip_range, gateway); 400 naming the field that is wrong."""
    net = network_of("subnet", subnet) if subnet else None
    if net is None and (ip_range or gateway):
        raise invalid("subnet", "is required with ip_range or gateway")
    pool = network_of("ip_range", ip_range) if ip_range else None
    if pool is not None and (pool.version != net.version or not pool.subnet_of(net)):
        raise invalid("ip_range", "%s is not inside the subnet %s" % (pool, net))
    gw = address_of("gateway", gateway) if gateway else None
    if gw is not None:
        if gw not in net:
            raise invalid("gateway", "%s is not inside the subnet %s" % (gw, net))
        if net.num_addresses > 2 and gw in (net.network_address, net.broadcast_address):
            raise invalid("gateway", "%s is the subnet's network or broadcast address" % gw)
    return net, pool, gw


def network_view(attrs, names_by_id):
    config = ((attrs.get("IPAM") or {}).get("Config") or [{}])
    first = config[0] if config else {}
    return {"name": attrs["Name"], "id": attrs["Id"], "short_id": attrs["Id"][:12],
            "kind": "docker", "driver": attrs.get("Driver"),
            "subnet": first.get("Subnet"), "ip_range": first.get("IPRange"),
            "gateway": first.get("Gateway"),
            "bridge_name": (attrs.get("Options") or {}).get(BRIDGE_OPTION),
            "internal": bool(attrs.get("Internal")),
            "created_at": (attrs.get("Created") or "").split(".")[0] + "Z",
            "labels": attrs.get("Labels") or {},
            "containers": sorted(names_by_id.get(cid, cid[:12]) for cid in
                                 (attrs.get("Containers") or {}))}


class NetworkService:
    def __init__(self, endpoint, containers):
        self.endpoint = endpoint
        self.containers = containers

    @property
    def api(self):
        return self.containers.engine.client.api

    def attrs(self, name):
        try:
            with docker_errors("inspecting network %s" % name):
                attrs = self.api.inspect_network(name)
        except HttpError as err:
            if err.status not in (400, 404):   # Docker refuses malformed names with 400
                raise
            attrs = None
        if attrs is None or attrs["Name"] != name or (attrs.get("Labels") or {}).get(
                LABEL_RUN) != self.containers.run_id:
            raise refuse(404, "network_not_found", "no network %r in this emulator run" % name)
        return attrs

    def _names_by_id(self):
        names = {}
        for name in self.containers.owned_names():
            try:
                names[self.containers.attrs(name)["Id"]] = name
            except Exception:  # noqa: BLE001  (removed meanwhile)
                continue
        return names

    def view(self, name):
        return network_view(self.attrs(name), self._names_by_id())

    def list(self):
        filters = {"label": ["%s=%s" % (LABEL_RUN, self.containers.run_id)]}
        with docker_errors("listing networks"):
            summaries = self.api.networks(filters=filters)
        names = self._names_by_id()
        return [network_view(self.api.inspect_network(s["Id"]), names) for s in summaries]

    def create(self, body):
        fields = Fields(body, CREATE_FIELDS)
        name = fields.name("name")
        if fields.get("kind", str, "docker") != "docker":
            raise invalid("kind", "only \"docker\" networks are offered here (E-LANs: "
                                  "the network API's LAN calls)")
        if fields.get("driver", str, "bridge") != "bridge":
            raise invalid("driver", "only the bridge driver is offered")
        subnet, pool, gateway = check_addressing(fields.get("subnet", str),
                                                 fields.get("ip_range", str),
                                                 fields.get("gateway", str))
        bridge = fields.get("bridge_name", str)
        labels = fields.string_map("labels")
        if any(k.startswith("emuvim.") for k in labels):
            raise invalid("labels", "emuvim.* labels are reserved")
        labels.update(self.containers.net.identity.docker_labels())
        self._check_free(name, subnet, bridge)
        ipam = None
        if subnet is not None:
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
                subnet=str(subnet), iprange=str(pool) if pool else None,
                gateway=str(gateway) if gateway else None)])
        try:
            with docker_errors("creating network %s" % name):
                self.api.create_network(name, driver="bridge", ipam=ipam, labels=labels,
                                        internal=fields.get("internal", bool, False),
                                        options={BRIDGE_OPTION: bridge} if bridge else None,
                                        check_duplicate=True)
        except Exception as err:
            if "overlap" in str(err).lower():
                raise refuse(409, "subnet_overlap", str(err)) from err
            raise
        return self.view(name)

    def _check_free(self, name, subnet, bridge):
        taken = self.api.networks(names=[name])
        if any(n["Name"] == name for n in taken):
            raise refuse(409, "name_taken", "a Docker network named %r exists already" % name)
        if bridge is not None:
            if not LINUX_IFNAME.match(bridge):
                raise invalid("bridge_name", "%r is not a valid interface name (at most 15 "
                                             "characters)" % bridge)
            if os.path.exists("/sys/class/net/%s" % bridge):
                raise refuse(409, "bridge_name_taken", "interface %s exists already" % bridge)
        if subnet is not None:
            for other in self.api.networks():
                for config in ((self.api.inspect_network(other["Id"]).get("IPAM") or {})
                               .get("Config") or []):
                    existing = config.get("Subnet")
                    if existing and _overlaps(subnet, existing):
                        raise refuse(409, "subnet_overlap", "%s overlaps %s of network %s"
                                     % (subnet, existing, other["Name"]))

    def remove(self, name):
        attrs = self.attrs(name)
        if attrs.get("Containers"):
            raise refuse(409, "network_in_use", "%s has containers attached: disconnect them"
                         % name)
        with docker_errors("removing network %s" % name):
            self.api.remove_network(attrs["Id"])

    def connect(self, name, body, attach):
        fields = Fields(body, ("container", "ipv4_address", "force"))
        container = fields.name("container")
        attrs = self.attrs(name)
        self.containers.attrs(container)       # ours, else 404
        address = fields.get("ipv4_address", str)
        if address is not None and not attach:
            raise invalid("ipv4_address", "is for connect only")
        if address is not None:
            subnet = ((attrs.get("IPAM") or {}).get("Config") or [{}])[0].get("Subnet")
            if subnet is None or address_of("ipv4_address", address) not in \
                    ipaddress.ip_network(subnet):
                raise invalid("ipv4_address", "%s is not in the network's subnet %s"
                              % (address, subnet))
        try:
            with docker_errors("%s %s" % ("connecting" if attach else "disconnecting",
                                          container)):
                if attach:
                    self.api.connect_container_to_network(docker_name(container), attrs["Id"],
                                                          ipv4_address=address)
                else:
                    self.api.disconnect_container_from_network(
                        docker_name(container), attrs["Id"], force=fields.get("force", bool,
                                                                              False))
        except Exception as err:
            if getattr(err, "status", None) == 502 and "already exists" in str(err):
                raise refuse(409, "already_connected", str(err)) from err
            if getattr(err, "status", None) == 502 and "not connected" in str(err):
                raise refuse(409, "not_connected", str(err)) from err
            raise
        return self.view(name)


def _overlaps(subnet, other):
    try:
        other_net = ipaddress.ip_network(other, strict=False)
    except ValueError:
        return False
    return subnet.version == other_net.version and subnet.overlaps(other_net)
