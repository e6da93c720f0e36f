"""One PoP as an OpenStack cloud: flavors, images, networks, subnets, ports
and servers, carried out on the emulator.

* A network is an E-LAN of the PoP (its own VLAN): a port joins it when its
  server starts, so servers on one network reach each other and servers on
  different networks do not.
* A server is a compute node of the PoP with one interface per port (eth0,
  eth1, ... in port order, with the port's address and MAC) and the
  flavor's CPU and memory limits.  It is built in the background: the
  create request answers at once with status BUILD, which turns ACTIVE once
  the container runs and its ports are on their networks, or ERROR.
* SHUTOFF (os-stop) freezes the container (docker pause) and takes its
  interfaces down; os-start undoes that; reboot is a stop and a start that
  also runs the image's start command again.

Every request is checked before anything is created; a refusal is an
HttpError (statuses from emuvim.api.errors).
"""

import base64
import binascii
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from emuvim.api.errors import HttpError
from emuvim.api.openstack.model import (
    DEFAULT_FLAVORS, Flavor, Image, Network, Port, Server, Subnet, bad_request, check_mac,
    find_in, image_id, image_name, new_id, node_name_for, not_found, parse_address, positive_int,
    random_mac, subnet_layout)
from emuvim.dcemulator.node import NO_NETWORK

log = logging.getLogger(__name__)

AUTO_NETWORK = "auto_allocated_network"
AUTO_CIDR = "192.168.233.0/24"
BUILD_WORKERS = 4


class Cloud:
    def __init__(self, dc, project_id=None):
        self.dc = dc
        self.project_id = project_id or uuid.uuid4().hex
        self.flavors = {f.id: Flavor(**vars(f)) for f in DEFAULT_FLAVORS}
        self.networks = {}
        self._next_vni = 1000        # tenant networks' reported VXLAN ids
        self.subnets = {}
        self.ports = {}
        self.servers = {}
        self._lock = threading.RLock()
        self._builds = ThreadPoolExecutor(max_workers=BUILD_WORKERS,
                                          thread_name_prefix="os-build-%s" % dc.label)
        self._futures = {}

    @property
    def net(self):
        return self.dc.net

    def close(self):
        self._builds.shutdown(wait=True)

    def _find(self, items, ref, what):
        return find_in(items, ref, what, self._lock)

    # -- flavors ------------------------------------------------------------------

    def find_flavor(self, ref):
        with self._lock:
            flavor = self.flavors.get(str(ref)) or next(
                (f for f in self.flavors.values() if f.name == ref), None)
        if flavor is None:
            raise not_found("Flavor %s could not be found." % ref)
        return flavor

    def create_flavor(self, body):
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("a flavor needs a name")
        flavor_id = str(body.get("id") or new_id())
        flavor = Flavor(flavor_id, name, positive_int(body, "vcpus"), positive_int(body, "ram"),
                        positive_int(body, "disk", 0, 0),
                        positive_int(body, "OS-FLV-EXT-DATA:ephemeral", 0, 0),
                        positive_int(body, "swap", 0, 0) if body.get("swap") != "" else 0,
                        bool(body.get("os-flavor-access:is_public", True)))
        with self._lock:
            if flavor_id in self.flavors or any(f.name == name for f in self.flavors.values()):
                raise HttpError(409, "Flavor with name %s or id %s already exists." % (
                    name, flavor_id))
            self.flavors[flavor_id] = flavor
        return flavor

    def delete_flavor(self, ref):
        flavor = self.find_flavor(ref)
        with self._lock:
            del self.flavors[flavor.id]

    # -- images (the PoP's local Docker images) ---------------------------------------

    def images(self):
        result = []
        for tag, size, created in self.net.docker_engine.image_tags():
            result.append(Image(image_id(tag), image_name(tag), tag, size, created))
        return sorted(result, key=lambda i: i.name)

    def find_image(self, ref):
        for image in self.images():
            if ref in (image.id, image.name, image.docker_ref):
                return image
        raise not_found("Image %s could not be found." % ref)

    # -- networks -------------------------------------------------------------------

    def find_network(self, ref):
        return self._find(self.networks, ref, "Network")

    def create_network(self, body):
        network = Network(new_id(), str(body.get("name") or ""),
                          admin_state_up=bool(body.get("admin_state_up", True)),
                          shared=bool(body.get("shared", False)),
                          provider=provider_fields(body))
        with self._lock:
            self._next_vni += 1
            network.vni = self._next_vni
            self.networks[network.id] = network
        return network

    def update_network(self, ref, body):
        network = self.find_network(ref)
        for key in ("name", "admin_state_up", "shared"):
            if key in body:
                setattr(network, key, body[key])
        return network

    def delete_network(self, ref):
        """Its unbound ports and its subnets go with it; a port a server uses: 409."""
        with self._lock:
            network = self.find_network(ref)
            ports = [p for p in self.ports.values() if p.network_id == network.id]
            if any(p.device_id for p in ports):
                raise HttpError(409, "Unable to complete operation on network %s. There are "
                                     "one or more ports still in use on the network." % ref)
            for port in ports:
                self._forget_port(port)
            for subnet_id in network.subnets:
                self.subnets.pop(subnet_id, None)
            del self.networks[network.id]
        if network.lan is not None:
            self.net.chaining.del_lan(network.lan)

    def auto_network(self):
        """The network behind `"networks": "auto"`, made on first use."""
        with self._lock:
            existing = next((n for n in self.networks.values() if n.name == AUTO_NETWORK), None)
            if existing is not None:
                return existing
            network = self.create_network({"name": AUTO_NETWORK})
            self.create_subnet({"network_id": network.id, "cidr": AUTO_CIDR,
                                "name": AUTO_NETWORK + "-subnet"})
            return network

    # -- subnets --------------------------------------------------------------------

    def find_subnet(self, ref):
        return self._find(self.subnets, ref, "Subnet")

    def create_subnet(self, body):
        if str(body.get("ip_version", 4)) != "4":
            raise bad_request("only IPv4 subnets are emulated")
        if not body.get("cidr"):
            raise bad_request("a subnet needs a cidr")
        cidr, gateway, pools = subnet_layout(body["cidr"], body.get("gateway_ip", ""),
                                             body.get("allocation_pools"))
        with self._lock:
            network = self.find_network(body.get("network_id"))
            subnet = Subnet(new_id(), str(body.get("name") or ""), network.id, cidr, gateway,
                            pools, bool(body.get("enable_dhcp", True)),
                            list(body.get("dns_nameservers") or []),
                            list(body.get("host_routes") or []))
            self.subnets[subnet.id] = subnet
            network.subnets.append(subnet.id)
        return subnet

    def update_subnet(self, ref, body):
        subnet = self.find_subnet(ref)
        for key in ("name", "enable_dhcp", "dns_nameservers", "host_routes"):
            if key in body:
                setattr(subnet, key, body[key])
        return subnet

    def delete_subnet(self, ref):
        with self._lock:
            subnet = self.find_subnet(ref)
            if any(ip["subnet_id"] == subnet.id for p in self.ports.values()
                   for ip in p.fixed_ips):
                raise HttpError(409, "Unable to complete operation on subnet %s: one or more "
                                     "ports have an IP allocation from this subnet." % ref)
            del self.subnets[subnet.id]
            self.networks[subnet.network_id].subnets.remove(subnet.id)

    # -- ports ----------------------------------------------------------------------

    def find_port(self, ref):
        return self._find(self.ports, ref, "Port")

    def create_port(self, body, created_by_server=False):
        with self._lock:
            network = self.find_network(body.get("network_id"))
            mac = check_mac(body["mac_address"]) if body.get("mac_address") else random_mac()
            if any(p.mac_address == mac for p in self.ports.values()):
                raise HttpError(409, "MAC address %s is in use." % mac)
            fixed_ips = self._allocate_ips(network, body.get("fixed_ips"))
            port = Port(new_id(), str(body.get("name") or ""), network.id, mac, fixed_ips,
                        admin_state_up=bool(body.get("admin_state_up", True)),
                        device_id=str(body.get("device_id") or ""),
                        device_owner=str(body.get("device_owner") or ""),
                        created_by_server=created_by_server)
            self.ports[port.id] = port
        return port

    def _allocate_ips(self, network, requested):
        """fixed_ips as asked ([{subnet_id?, ip_address?}]), or one from the first subnet."""
        if requested is None:
            requested = [{}] if network.subnets else []
        if not isinstance(requested, list):
            raise bad_request("fixed_ips must be a list")
        allocated = []
        try:
            for item in requested:
                subnet = self._subnet_for(network, item)
                allocated.append({"subnet_id": subnet.id,
                                  "ip_address": subnet.allocate(item.get("ip_address"))})
        except BaseException:
            self._release_ips(allocated)
            raise
        return allocated

    def _subnet_for(self, network, item):
        if not isinstance(item, dict):
            raise bad_request("fixed_ips entries are objects")
        if item.get("subnet_id"):
            subnet = self.find_subnet(item["subnet_id"])
            if subnet.network_id != network.id:
                raise bad_request("subnet %s is not on network %s" % (subnet.id, network.id))
            return subnet
        candidates = [self.subnets[s] for s in network.subnets]
        if item.get("ip_address"):
            address = parse_address(item["ip_address"], "ip_address")
            candidates = [s for s in candidates if address in s.network]
        if not candidates:
            raise bad_request("network %s has no subnet for %s" % (
                network.id, item.get("ip_address") or "an address"))
        return candidates[0]

    def _release_ips(self, fixed_ips):
        for item in fixed_ips:
            subnet = self.subnets.get(item["subnet_id"])
            if subnet is not None:
                subnet.release(item["ip_address"])

    def update_port(self, ref, body):
        port = self.find_port(ref)
        for key in ("name", "admin_state_up"):
            if key in body:
                setattr(port, key, body[key])
        return port

    def delete_port(self, ref):
        """A port a running server uses is detached from it first (as Neutron does)."""
        port = self.find_port(ref)
        server = self.servers.get(port.device_id)
        if server is not None and port.interface:
            self._detach(server, port)
        with self._lock:
            if server is not None and port.id in server.port_ids:
                server.port_ids.remove(port.id)
            self._forget_port(port)

    def _forget_port(self, port):
        self._release_ips(port.fixed_ips)
        self.ports.pop(port.id, None)

    # -- servers --------------------------------------------------------------------

    def find_server(self, ref):
        return self._find(self.servers, ref, "Instance")

    def create_server(self, body, networks_required):
        """Check everything, reserve ports and addresses, and start the build."""
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise bad_request("a server needs a name (1 to 255 characters)")
        if int(body.get("min_count") or 1) != 1 or int(body.get("max_count") or 1) != 1:
            raise bad_request("one server per request (min_count and max_count 1)")
        flavor = self.flavor_of(body.get("flavorRef"))
        image = self.image_of(body)
        user_data = _check_user_data(body.get("user_data"))
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be an object")
        nics = body.get("networks")
        if nics is None:
            if networks_required:
                raise bad_request("networks is required from microversion 2.37 on")
            nics = "auto"
        with self._lock:
            server_id = new_id()
            taken = set(self.net.nameToNode) | {s.node_name for s in self.servers.values()}
            server = Server(server_id, name, node_name_for(name, server_id, taken), flavor,
                            image, [], metadata={str(k): str(v) for k, v in metadata.items()},
                            user_data=user_data)
            server.port_ids = self._ports_for(server, nics)
            self.servers[server.id] = server
        self._futures[server.id] = self._builds.submit(self._build, server)
        return server

    def flavor_of(self, ref):
        """The flavor a server asks for; 400 if there is none (Nova's answer)."""
        return _requested(self.find_flavor, ref)

    def image_of(self, body):
        """The image a server asks for (imageRef or a boot mapping); 400 if none."""
        ref = body.get("imageRef")
        if not ref:
            # Boot from an image given in block_device_mapping_v2 only.
            mappings = body.get("block_device_mapping_v2") or []
            ref = next((m.get("uuid") for m in mappings if isinstance(m, dict)
                        and m.get("source_type") == "image"), None)
        return _requested(self.find_image, ref)

    def _ports_for(self, server, nics):
        """The server's ports, in nic order: existing ones or new ones on networks."""
        if nics == "none":
            return []
        if nics == "auto":
            nics = [{"uuid": self.auto_network().id}]
        if not isinstance(nics, list):
            raise bad_request("networks must be a list, 'auto' or 'none'")
        plan = []
        for nic in nics:
            if not isinstance(nic, dict) or not (nic.get("port") or nic.get("uuid")):
                raise bad_request("each entry of networks needs a uuid or a port")
            if nic.get("port"):
                port = _requested(self.find_port, nic["port"])
                if port.device_id:
                    raise HttpError(409, "Port %s is still in use." % port.id)
                plan.append((port, None))
            else:
                plan.append((None, self._network_of(nic["uuid"], nic.get("fixed_ip"))))
        ports = []
        try:
            for port, request in plan:
                if port is None:
                    port = self.create_port(request, created_by_server=True)
                ports.append(port)
        except BaseException:
            for port in ports:
                if port.created_by_server:
                    self._forget_port(port)
            raise
        for port in ports:
            port.device_id, port.device_owner = server.id, "compute:nova"
        return [p.id for p in ports]

    def _network_of(self, ref, fixed_ip):
        network = _requested(self.find_network, ref)
        request = {"network_id": network.id}
        if fixed_ip:
            request["fixed_ips"] = [{"ip_address": fixed_ip}]
        return request

    def _build(self, server):
        """Start the container, put its ports on their networks, run its start command."""
        try:
            ports = [self.ports[p] for p in server.port_ids]
            interfaces = [self._interface(i, port) for i, port in enumerate(ports)]
            node = self.dc.startCompute(
                server.node_name, image=server.image.docker_ref,
                network=interfaces or NO_NETWORK, environment=dict(server.metadata),
                type="server", publish_ip="127.0.0.1", **server.flavor.limits())
            if node is None:
                raise RuntimeError("the PoP's resource model refused the server")
            for index, port in enumerate(ports):
                self._attach(server, port, "eth%d" % index)
            node.start_vnf_command()
            server.state = "ACTIVE"
        except Exception as err:  # reported as the server's fault, as Nova does
            log.warning("server %s (%s) failed to build: %s", server.name, server.id, err)
            server.fault = str(err)
            server.state = "ERROR"
            self._remove_container(server)
        server.touch()

    def _interface(self, index, port):
        """The container interface of a port: eth<index>, the port's MAC and first address."""
        interface = {"id": "eth%d" % index, "mac": port.mac_address}
        if port.fixed_ips:
            first = port.fixed_ips[0]
            prefix = self.subnets[first["subnet_id"]].network.prefixlen
            interface["ip"] = "%s/%d" % (first["ip_address"], prefix)
        return interface

    def _attach(self, server, port, interface):
        network = self.networks[port.network_id]
        member = [{"name": server.node_name, "interface": interface}]
        with self._lock:
            if network.lan is None:
                network.lan = self.net.chaining.set_lan(member)
            else:
                self.net.chaining.join_lan(network.lan, member)
            port.interface = interface

    def _detach(self, server, port):
        """Take a port's interface out of its network and out of the container."""
        node = self.net.getNodeByName(server.node_name)
        self.net.chaining.leave_lans(server.node_name, port.interface)
        if node is not None:
            ends = {(node, port.interface)}
            for link in [l for l in self.net.links
                         if {(l.intf1.node, l.intf1.name), (l.intf2.node, l.intf2.name)} & ends]:
                self.net.removeLink(link=link)
        port.interface = None

    def _remove_container(self, server):
        if server.node_name in self.dc.containers:
            self.dc.stopCompute(server.node_name)
        for port_id in server.port_ids:
            if port_id in self.ports:
                self.ports[port_id].interface = None

    def wait_built(self, server, timeout=None):
        future = self._futures.get(server.id)
        if future is not None:
            future.result(timeout)

    def delete_server(self, ref):
        server = self.find_server(ref)
        self.wait_built(server)
        self._remove_container(server)
        with self._lock:
            for port_id in server.port_ids:
                port = self.ports.get(port_id)
                if port is None:
                    continue
                if port.created_by_server:
                    self._forget_port(port)
                else:
                    port.device_id = port.device_owner = ""
            self.servers.pop(server.id, None)
            self._futures.pop(server.id, None)

    def status(self, server):
        """(status, fault): what we did, checked against the container."""
        if server.state in ("BUILD", "ERROR"):
            return server.state, server.fault
        node = self.net.getNodeByName(server.node_name)
        try:
            state = node.inspect()["State"] if node is not None else None
        except Exception:  # the container was removed behind our back
            state = None
        if state is None:
            return "ERROR", "the container of this server is gone"
        if not state.get("Running"):
            return "ERROR", "the container exited (exit code %s)" % state.get("ExitCode")
        if server.state == "SHUTOFF" and state.get("Paused"):
            return "SHUTOFF", None
        return server.state, None

    # -- server actions ---------------------------------------------------------------

    def action(self, ref, name, _argument):
        server = self.find_server(ref)
        status, _ = self.status(server)
        if name == "os-stop":
            self._expect(server, status, "ACTIVE", "stop")
            self._power_off(server)
        elif name == "os-start":
            self._expect(server, status, "SHUTOFF", "start")
            self._power_on(server)
        elif name == "reboot":
            if status not in ("ACTIVE", "SHUTOFF"):
                self._expect(server, status, "ACTIVE", "reboot")
            if status == "ACTIVE":
                self._power_off(server)
            self._power_on(server)
            self.net.getNodeByName(server.node_name).start_vnf_command()
        else:
            raise bad_request("server action %s is not supported (os-start, os-stop, "
                              "reboot)" % name)
        server.touch()

    @staticmethod
    def _expect(server, status, wanted, what):
        if status != wanted:
            raise HttpError(409, "Cannot '%s' instance %s while it is in status %s" % (
                what, server.id, status))

    def _power_off(self, server):
        node = self.net.getNodeByName(server.node_name)
        for port_id in server.port_ids:
            port = self.ports[port_id]
            if port.interface:
                node.netns_run(["ip", "link", "set", "dev", port.interface, "down"])
        self.net.docker_engine.pause(node.container_name)
        server.state = "SHUTOFF"

    def _power_on(self, server):
        node = self.net.getNodeByName(server.node_name)
        self.net.docker_engine.unpause(node.container_name)
        for port_id in server.port_ids:
            port = self.ports[port_id]
            if port.interface:
                node.netns_run(["ip", "link", "set", "dev", port.interface, "up"])
        server.state = "ACTIVE"


def _requested(find, ref):
    """What a server request names: a missing flavor, image, network or port is a
    mistake in the request (400, as Nova answers), not a missing URL (404)."""
    try:
        return find(ref)
    except HttpError as err:
        if err.status != 404:
            raise
        raise bad_request(str(err)) from None


def _check_user_data(value):
    """Nova takes user_data base64-encoded (up to 64 KB); it is kept, not run
    (containers have no cloud-init)."""
    if value in (None, ""):
        return None
    try:
        decoded = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("user_data must be base64-encoded") from None
    if len(decoded) > 65535:
        raise bad_request("user_data is larger than 64 KB")
    return str(value)


PROVIDER_KEYS = ("provider:network_type", "provider:physical_network",
                 "provider:segmentation_id")


def provider_fields(body):
    """The provider attributes a request asked for (None: a tenant network)."""
    asked = {key: body[key] for key in PROVIDER_KEYS if body.get(key) is not None}
    for key, value in asked.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise HttpError(400, "%s must be a string or a number" % key)
    return asked or None
