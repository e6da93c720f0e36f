"""Heat stacks on a PoP's Cloud: create (in the background), show, delete.

A stack's resources are created in dependency order through the same Cloud
the Nova and Neutron APIs use; a server counts as created once it is
ACTIVE.  If anything fails, what the stack had created is deleted again and
the stack is CREATE_FAILED with the reason.  Every step is an event, the
stack's own CREATE_COMPLETE last (what `openstack stack create --wait` waits
for).
"""

import logging
import secrets
import threading
from dataclasses import dataclass, field

from emuvim.api import yamlsafe
from emuvim.api.errors import HttpError
from emuvim.api.openstack.hot import Template, check_stack_name
from emuvim.api.openstack.model import new_id, now_iso

log = logging.getLogger(__name__)

SERVER_BUILD_TIMEOUT_S = 300


@dataclass
class Event:
    id: str
    time: str
    resource_name: str
    physical_resource_id: str
    resource_type: str
    status: str
    reason: str


@dataclass
class StackResource:
    name: str
    type: str
    physical_id: str = ""
    status: str = "INIT_COMPLETE"
    reason: str = ""
    updated: str = field(default_factory=now_iso)


@dataclass
class Stack:
    id: str
    name: str
    template: Template
    parameters: dict
    status: str = "CREATE_IN_PROGRESS"
    reason: str = "Stack CREATE started"
    created: str = field(default_factory=now_iso)
    updated: str = None
    resources: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    outputs: dict = field(default_factory=dict)

    def event(self, resource_name, physical_id, resource_type, status, reason):
        self.events.append(Event(new_id(), now_iso(), resource_name, physical_id,
                                 resource_type, status, reason))


class Stacks:
    """The stacks of one PoP."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.stacks = {}
        self._lock = threading.Lock()

    def service_groups(self):
        """The stacks as the network's views show them (dashboard): a stack's
        servers are its VNFs, its Neutron networks its links."""
        with self._lock:
            stacks = list(self.stacks.values())
        return [self._group(stack) for stack in stacks]

    def _group(self, stack):
        resources = list(stack.resources.values())
        servers = [self.cloud.servers.get(r.physical_id) for r in resources
                   if r.type == "OS::Nova::Server" and r.physical_id]
        networks = [self.cloud.networks.get(r.physical_id) for r in resources
                    if r.type == "OS::Neutron::Net" and r.physical_id]
        return {"kind": "OpenStack Heat (%s)" % self.cloud.dc.label, "uuid": stack.id,
                "name": stack.name, "status": stack.status, "cookie": None,
                "vnfs": [server.node_name for server in servers if server is not None],
                "saps": [],
                "links": [{"id": network.name, "type": "Neutron network",
                           "vlan": network.vlan} for network in networks if network is not None]}

    def find(self, ref):
        with self._lock:
            stack = self.stacks.get(ref) or next(
                (s for s in self.stacks.values() if s.name == ref), None)
        if stack is None:
            raise HttpError(404, "The Stack (%s) could not be found." % ref)
        return stack

    def create(self, body):
        """Check the template, then create its resources in the background."""
        name = check_stack_name(body.get("stack_name"))
        values = dict(environment_of(body.get("environment")).get("parameters") or {})
        values.update(body.get("parameters") or {})
        if not body.get("template"):
            raise HttpError(400, "send the template itself (template_url is not supported)"
                            if body.get("template_url") else "a stack needs a template")
        template = Template(body["template"], values)
        self._check_servers(template)
        with self._lock:
            if any(s.name == name for s in self.stacks.values()):
                raise HttpError(409, "The Stack (%s) already exists." % name)
            stack = Stack(new_id(), name, template, template.parameters)
            for resource in template.order:
                stack.resources[resource] = StackResource(
                    resource, template.resources[resource]["type"])
            self.stacks[stack.id] = stack
        stack.event(name, stack.id, "OS::Heat::Stack", "CREATE_IN_PROGRESS",
                    "Stack CREATE started")
        threading.Thread(target=self._create, args=(stack,), daemon=True,
                         name="stack-%s" % name).start()
        return stack

    def _check_servers(self, template):
        """Images and flavors exist: a 400 now rather than a failed stack later."""
        for name in template.order:
            if template.resources[name]["type"] == "OS::Nova::Server":
                props = template.properties(name, lambda _resource: None)
                self.cloud.flavor_of(props.get("flavor"))
                self.cloud.image_of({"imageRef": props.get("image")})

    def _create(self, stack):
        try:
            for name in stack.template.order:
                self._create_resource(stack, stack.resources[name])
            stack.outputs = stack.template.output_values(
                lambda r: stack.resources[r].physical_id, lambda r, path: self._attr(
                    stack, r, path))
            stack.status, stack.reason = "CREATE_COMPLETE", "Stack CREATE completed successfully"
        except Exception as err:  # reported as the stack's status reason, as Heat does
            log.warning("stack %s failed: %s", stack.name, err)
            self._delete_resources(stack)
            stack.status, stack.reason = "CREATE_FAILED", "Resource CREATE failed: %s" % err
        stack.updated = now_iso()
        stack.event(stack.name, stack.id, "OS::Heat::Stack", stack.status, stack.reason)

    def _create_resource(self, stack, resource):
        resource.status = "CREATE_IN_PROGRESS"
        stack.event(resource.name, "", resource.type, resource.status, "state changed")
        properties = stack.template.properties(
            resource.name, lambda r: stack.resources[r].physical_id)
        try:
            resource.physical_id = CREATORS[resource.type](self, stack, resource, properties)
        except HttpError as err:
            resource.status, resource.reason = "CREATE_FAILED", str(err)
            stack.event(resource.name, "", resource.type, resource.status, str(err))
            raise HttpError(err.status, "%s: %s" % (resource.name, err)) from err
        resource.status, resource.updated = "CREATE_COMPLETE", now_iso()
        stack.event(resource.name, resource.physical_id, resource.type, resource.status,
                    "state changed")

    # -- one function per resource type --------------------------------------------

    def _net(self, stack, resource, props):
        return self.cloud.create_network({"name": props.get("name") or _generated(
            stack, resource), "admin_state_up": props.get("admin_state_up", True),
            "shared": props.get("shared", False)}).id

    def _subnet(self, stack, resource, props):
        body = {key: props[key] for key in ("cidr", "gateway_ip", "allocation_pools",
                                            "enable_dhcp", "dns_nameservers", "host_routes",
                                            "ip_version") if key in props}
        body["name"] = props.get("name") or _generated(stack, resource)
        body["network_id"] = self._network_id(props.get("network") or props.get("network_id"))
        return self.cloud.create_subnet(body).id

    def _port(self, stack, resource, props):
        body = {"name": props.get("name") or _generated(stack, resource),
                "network_id": self._network_id(props.get("network") or
                                               props.get("network_id"))}
        if props.get("fixed_ips"):
            body["fixed_ips"] = [{"ip_address": f.get("ip_address"), "subnet_id":
                                  f.get("subnet") or f.get("subnet_id")} for f in
                                 props["fixed_ips"] if isinstance(f, dict)]
            body["fixed_ips"] = [{k: v for k, v in f.items() if v} for f in body["fixed_ips"]]
        if props.get("mac_address"):
            body["mac_address"] = props["mac_address"]
        return self.cloud.create_port(body).id

    def _server(self, stack, resource, props):
        nics = []
        for nic in props.get("networks") or []:
            if not isinstance(nic, dict):
                raise HttpError(400, "server networks entries are mappings")
            if nic.get("port"):
                nics.append({"port": nic["port"]})
            elif nic.get("network"):
                nics.append({"uuid": self._network_id(nic["network"]),
                             "fixed_ip": nic.get("fixed_ip")})
            else:
                raise HttpError(400, "server networks entries need a port or a network")
        server = self.cloud.create_server({
            "name": props.get("name") or _generated(stack, resource),
            "flavorRef": props.get("flavor"), "imageRef": props.get("image"),
            "networks": nics or "none", "metadata": props.get("metadata") or {},
            "user_data": props.get("user_data")}, networks_required=True)
        self.cloud.wait_built(server, SERVER_BUILD_TIMEOUT_S)
        if server.state != "ACTIVE":
            raise HttpError(409, "server %s went to ERROR: %s" % (server.name, server.fault))
        return server.id

    def _network_id(self, ref):
        """A network by id or by name (HOT allows both)."""
        if ref in self.cloud.networks:
            return ref
        named = [n.id for n in list(self.cloud.networks.values()) if n.name == ref]
        if len(named) != 1:
            raise HttpError(400 if named else 404, "network %r: %s" % (
                ref, "more than one has this name" if named else "no such network"))
        return named[0]

    def _attr(self, stack, resource_name, path):
        resource = stack.resources[resource_name]
        if resource.type == "OS::Nova::Server" and path and path[0] == "first_address":
            server = self.cloud.find_server(resource.physical_id)
            port = self.cloud.ports.get(server.port_ids[0]) if server.port_ids else None
            return port.fixed_ips[0]["ip_address"] if port and port.fixed_ips else ""
        return resource.physical_id

    # -- delete ------------------------------------------------------------------

    def delete(self, ref):
        stack = self.find(ref)
        if stack.status == "CREATE_IN_PROGRESS":
            raise HttpError(409, "Stack %s is being created; delete it once it is done"
                            % stack.name)
        self._delete_resources(stack)
        with self._lock:
            self.stacks.pop(stack.id, None)

    def _delete_resources(self, stack):
        deleters = {"OS::Nova::Server": self.cloud.delete_server,
                    "OS::Neutron::Port": self.cloud.delete_port,
                    "OS::Neutron::Subnet": self.cloud.delete_subnet,
                    "OS::Neutron::Net": self.cloud.delete_network}
        for name in reversed(stack.template.order):
            resource = stack.resources[name]
            if not resource.physical_id:
                continue
            try:
                deleters[resource.type](resource.physical_id)
            except HttpError as err:
                if err.status != 404:
                    log.warning("stack %s: deleting %s failed: %s", stack.name, name, err)
            resource.physical_id, resource.status = "", "DELETE_COMPLETE"


CREATORS = {"OS::Neutron::Net": Stacks._net, "OS::Neutron::Subnet": Stacks._subnet,
            "OS::Neutron::Port": Stacks._port, "OS::Nova::Server": Stacks._server}


def _generated(stack, resource):
    """Heat's name for an unnamed resource: <stack>-<resource>-<random>."""
    return "%s-%s-%s" % (stack.name, resource.name, secrets.token_hex(6))


def environment_of(environment):
    """A stack's environment: a mapping, or its YAML text (python-heatclient's)."""
    if isinstance(environment, str):
        try:
            environment = yamlsafe.load(environment)
        except yamlsafe.YamlRefused as err:
            raise HttpError(400, "the environment is not YAML: %s" % err) from None
    environment = environment or {}
    if not isinstance(environment, dict) or not isinstance(
            environment.get("parameters") or {}, dict):
        raise HttpError(400, "the environment must be a mapping with a 'parameters' mapping")
    return environment
