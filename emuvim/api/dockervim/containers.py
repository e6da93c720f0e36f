"""Containers of this run: create, start, stop, remove, list, inspect.

A running container is an emulator node in a PoP (its interfaces are on
the PoP's switch); a created or stopped one is only a Docker container
carrying this run's labels and, in a label, the PoP and interfaces it
gets on start.  Stopping takes the node out of the network (links, chains
and flows go, as when it is removed) but keeps the container; starting
attaches the same interfaces again.
"""

import json
import threading
from dataclasses import dataclass, field

from emuvim.api.dockervim.errors import docker_errors, refuse
from emuvim.api.errors import HttpError
from emuvim.api.dockervim.fields import LINUX_IFNAME, PORT_KEY, Fields, invalid
from emuvim.dcemulator.docker_host import CONTAINER_PREFIX, docker_create_args
from emuvim.dcemulator.links import peer_intf
from emuvim.dcemulator import hostaccess
from emuvim.dcemulator.node import normalize_network
from emuvim.dcemulator.ownership import LABEL_CONTAINERNET, LABEL_RUN

SPEC_LABEL = "emuvim.dockervim.spec"
RESERVED_LABEL_PREFIXES = ("emuvim.", LABEL_CONTAINERNET)
RESOURCE_FIELDS = {"cpu_quota": int, "cpu_period": int, "cpu_shares": int,
                   "cpuset_cpus": str, "mem_limit": (int, str), "memswap_limit": (int, str)}
CREATE_FIELDS = ("name", "image", "pop", "command", "entrypoint", "environment", "network",
                 "resources", "ports", "cap_add", "sysctls", "labels", "start", "tty",
                 "devices", "working_dir", "user", "flavor", "privileged", "network_mode",
                 "volumes")
REFUSED_OPTIONS = {"privileged": "privileged containers are not offered",
                   "network_mode": "the network mode is the emulator's",
                   "volumes": "host mounts are not offered"}


@dataclass
class Placement:
    """Where a container's interfaces go when it starts."""

    pop: str
    network: list = field(default_factory=list)
    flavor: str = "tiny"

    def label(self):
        return json.dumps({"pop": self.pop, "network": self.network, "flavor": self.flavor})

    @classmethod
    def from_label(cls, text):
        data = json.loads(text)
        return cls(data["pop"], data.get("network") or [], data.get("flavor") or "tiny")


def docker_name(name):
    return CONTAINER_PREFIX + name


class ContainerService:
    """The lifecycle of this run's containers (one per REST endpoint)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.placements = {}          # name -> Placement of containers out of the network
        self._lock = threading.RLock()

    # -- lookups ------------------------------------------------------------------

    @property
    def net(self):
        if self.endpoint.net is None:
            raise refuse(503, "emulator_not_started", "no emulated network is connected")
        return self.endpoint.net

    @property
    def engine(self):
        return self.net.docker_engine

    @property
    def run_id(self):
        return self.net.identity.run_id

    def pop(self, label):
        if label not in self.endpoint.dcs:
            raise refuse(404, "pop_not_found", "unknown PoP %r (known: %s)" % (
                label, ", ".join(sorted(self.endpoint.dcs)) or "none"))
        return self.endpoint.dcs[label]

    def attrs(self, name):
        """Docker's inspect data of this run's container `name`, else 404.

        A container of another run or tool is not ours to show: 404 as well.
        """
        try:
            with docker_errors("inspecting %s" % name):
                attrs = self.engine.inspect(docker_name(name))
        except HttpError as err:
            if err.status not in (400, 404):   # Docker refuses malformed names with 400
                raise
            attrs = None
        if attrs is None or (attrs["Config"].get("Labels") or {}).get(LABEL_RUN) != self.run_id:
            raise refuse(404, "container_not_found", "no container %r in this emulator run"
                         % name)
        return attrs

    def node(self, name):
        """The emulator node of `name` if it is in the network, else None."""
        node = self.net.getNodeByName(name)
        return node if getattr(node, "datacenter", None) is not None else None

    def owned_names(self):
        with docker_errors("listing containers"):
            ids = self.engine.labelled_container_ids(**{LABEL_RUN: self.run_id})
            attrs = [self.engine.inspect(i) for i in ids]
        return sorted(a["Name"].lstrip("/")[len(CONTAINER_PREFIX):] for a in attrs
                      if a["Name"].lstrip("/").startswith(CONTAINER_PREFIX))

    def placement(self, name, attrs):
        with self._lock:
            if name in self.placements:
                return self.placements[name]
        node = self.node(name)
        if node is not None:
            return placement_of_node(node)
        text = (attrs["Config"].get("Labels") or {}).get(SPEC_LABEL)
        if text:
            return Placement.from_label(text)
        raise refuse(409, "no_placement", "container %r was not started by the emulator and "
                     "has no PoP to start in" % name)

    # -- create -------------------------------------------------------------------

    def create(self, body):
        """Create (and with start=true run) a container; returns its name."""
        fields = Fields(body, CREATE_FIELDS)
        for option, reason in REFUSED_OPTIONS.items():
            if body.get(option) not in (None, False, "bridge", [], {}):
                raise refuse(422, "option_refused", "%s: %s" % (option, reason), field=option)
        name = fields.name("name")
        image = fields.get("image", str, required=True)
        pop_label = fields.get("pop", str) or self._only_pop()
        placement = Placement(pop_label, self._network(fields), fields.get("flavor", str,
                                                                              "tiny"))
        params = self._docker_params(fields, name, placement)
        start = fields.get("start", bool, False)
        command = fields.argv("command")
        with self._lock:
            self.pop(pop_label)
            self._check_free(name)
            if not self.engine.image_exists(image):
                raise refuse(422, "image_missing", "image %r is not available locally" % image,
                             hint="build it: vim-emu docker images build --context <dir> "
                                  "--tag %s (its FROM must be local)" % image)
            args = docker_create_args(params, params.pop("labels"), command,
                                      self.engine.exposed_ports(image))
            with docker_errors("creating %s" % name):
                self.engine.create(docker_name(name), image, hostname=name, **args)
            self.placements[name] = placement
        if start:
            try:
                self.start(name)
            except BaseException:
                self.remove(name, force=True)
                raise
        return name

    def _only_pop(self):
        if len(self.endpoint.dcs) == 1:
            return next(iter(self.endpoint.dcs))
        raise invalid("pop", "is required (PoPs: %s)" % ", ".join(sorted(self.endpoint.dcs)))

    def _check_free(self, name):
        if self.net.getNodeByName(name) is not None or self.engine.container_exists(
                docker_name(name)):
            raise refuse(409, "name_taken", "a container named %r exists already" % name)

    @staticmethod
    def _network(fields):
        """The emulator interfaces: one "emu0" (an address from the emulator's
        pool) unless listed; an empty list means none (Docker's eth0 only)."""
        entries = fields.get("network", list)
        if entries is None:
            return normalize_network(None)
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) - {"id", "ip", "mac"}:
                raise invalid("network", "each entry is an object with id, ip and mac")
            if entry.get("id") and not LINUX_IFNAME.match(str(entry["id"])):
                raise invalid("network", "interface id %r is not a valid interface name"
                              % entry["id"])
        try:
            return normalize_network(entries) if entries else []
        except ValueError as err:
            raise invalid("network", str(err)) from err

    def _docker_params(self, fields, name, placement):
        environment = fields.string_map("environment")
        environment["VNF_NAME"] = name
        labels = fields.string_map("labels")
        reserved = [k for k in labels if k.startswith(RESERVED_LABEL_PREFIXES)]
        if reserved:
            raise invalid("labels", "%r is reserved for the emulator" % reserved[0])
        labels.update(self.net.identity.docker_labels())
        labels[SPEC_LABEL] = placement.label()
        params = {"environment": environment, "labels": labels,
                  "tty": fields.get("tty", bool, False),
                  "sysctls": fields.string_map("sysctls") or None,
                  "entrypoint": fields.argv("entrypoint"),
                  "working_dir": fields.get("working_dir", str),
                  "user": fields.get("user", str)}
        params.update(self._capabilities(fields, self.net.allow_host_access))
        params.update(self._resources(fields))
        params["port_bindings"] = self._ports(fields)
        params["publish_ip"] = getattr(self.endpoint, "publish_ip", "127.0.0.1")
        return params

    @staticmethod
    def _capabilities(fields, allowed=False):
        """cap_add and devices as the emulator's host-access policy allows
        (emuvim.dcemulator.hostaccess: one policy for /v1 and packages)."""
        caps = fields.get("cap_add", list, default=[])
        devices = fields.get("devices", list, default=[])
        for option, value in (("cap_add", caps), ("devices", devices)):
            try:
                hostaccess.check({option: value}, allowed, "the container")
            except hostaccess.HostAccessRefused as err:
                raise refuse(422, "option_refused", str(err), field=option) from err
        return {"cap_add": caps,
                "devices": ["%s:%s:rwm" % (d, d) if ":" not in d else d for d in devices]
                or None}

    @staticmethod
    def _resources(fields):
        resources = fields.get("resources", dict, default={})
        result = {}
        for key, value in resources.items():
            kind = RESOURCE_FIELDS.get(key)
            if kind is None:
                raise invalid("resources." + key, "unknown (known: %s)"
                              % ", ".join(RESOURCE_FIELDS))
            if not isinstance(value, kind) or isinstance(value, bool):
                raise invalid("resources." + key, "has the wrong type")
            result[key] = value
        return result

    @staticmethod
    def _ports(fields):
        bindings = {}
        for key, host_port in fields.get("ports", dict, default={}).items():
            if not PORT_KEY.match(key) or not int(PORT_KEY.match(key).group(1)) < 65536:
                raise invalid("ports", "%r is not PORT or PORT/PROTO" % key)
            if host_port is not None and (not isinstance(host_port, int) or isinstance(
                    host_port, bool) or not 0 < host_port < 65536):
                raise invalid("ports", "host port of %s must be 1..65535 or null" % key)
            bindings[key if "/" in key else key + "/tcp"] = host_port
        return bindings or None

    # -- state changes ------------------------------------------------------------

    def start(self, name):
        """Start and attach; True if it changed anything."""
        with self._lock:
            attrs = self.attrs(name)
            node = self.node(name)
            if node is not None and attrs["State"].get("Running"):
                return False
            if node is not None:        # its process ended: take it out first
                self._detach(name, node, timeout=1)
            placement = self.placement(name, attrs)
            dc = self.pop(placement.pop)
            started = dc.startCompute(name, image=attrs["Config"]["Image"],
                                      network=placement.network or "none",
                                      flavor_name=placement.flavor, adopt=True)
            if started is None:
                raise refuse(422, "resource_model_refused", "PoP %s has not enough resources "
                             "left for %s" % (placement.pop, name))
            self.placements.pop(name, None)
        started.start_vnf_command()
        return True

    def stop(self, name, timeout=10):
        """Detach and stop, keeping the container; True if it changed anything."""
        with self._lock:
            attrs = self.attrs(name)
            node = self.node(name)
            if node is not None:
                self._detach(name, node, timeout)
                return True
            if attrs["State"].get("Running"):
                with docker_errors("stopping %s" % name):
                    self.engine.stop(docker_name(name), timeout=timeout)
                return True
            return False

    def _detach(self, name, node, timeout):
        self.placements[name] = placement_of_node(node)
        node.datacenter.stopCompute(name, keep_container=True, stop_timeout=timeout)

    def restart(self, name, timeout=10):
        self.stop(name, timeout)
        return self.start(name)

    def pause(self, name, paused):
        with self._lock:
            attrs = self.attrs(name)
            if not attrs["State"].get("Running"):
                raise refuse(409, "container_not_running", "%s is not running" % name)
            if attrs["State"].get("Paused") == paused:
                return False
            with docker_errors("pausing %s" % name):
                (self.engine.pause if paused else self.engine.unpause)(docker_name(name))
            return True

    def remove(self, name, force=False):
        with self._lock:
            attrs = self.attrs(name)
            node = self.node(name)
            if (node is not None or attrs["State"].get("Running")) and not force:
                raise refuse(409, "container_running", "%s is running: stop it first or "
                             "remove with ?force=true" % name)
            if node is not None:
                node.datacenter.stopCompute(name)
            else:
                self.engine.remove(docker_name(name))
            self.placements.pop(name, None)

    def running(self, name):
        """The node of a running container (exec, stats), else 409."""
        attrs = self.attrs(name)
        node = self.node(name)
        if node is None or not attrs["State"].get("Running"):
            raise refuse(409, "container_not_running", "%s is not running" % name)
        if attrs["State"].get("Paused"):
            raise refuse(409, "container_paused", "%s is paused" % name)
        return node, attrs

    def stop_all(self, pop=None, timeout=10):
        result = {"stopped": [], "already_stopped": [], "failed": []}
        for name in self.owned_names():
            try:
                attrs = self.attrs(name)
                if pop is not None and self.placement(name, attrs).pop != pop:
                    continue
                changed = self.stop(name, timeout)
                result["stopped" if changed else "already_stopped"].append(name)
            except Exception as err:  # reported per container: the others go on
                result["failed"].append({"name": name, "error": str(err)})
        return result

    def prune(self):
        removed = []
        for name in self.owned_names():
            with self._lock:
                attrs = self.attrs(name)
                if self.node(name) is None and not attrs["State"].get("Running"):
                    self.engine.remove(docker_name(name))
                    self.placements.pop(name, None)
                    removed.append(name)
        return {"removed": removed, "space_reclaimed_bytes": 0}

    # -- views --------------------------------------------------------------------

    def view(self, name, detail=False):
        attrs = self.attrs(name)
        node = self.node(name)
        try:
            placement = self.placement(name, attrs)
        except Exception:  # noqa: BLE001  (a foreign-made container without a PoP)
            placement = None
        return container_view(name, attrs, node, placement, detail)

    def list(self, state=None, pop=None, image=None, label=None):
        views = []
        for name in self.owned_names():
            try:
                item = self.view(name)
            except Exception:  # noqa: BLE001  (removed while listing)
                continue
            if state and item["state"] != state or pop and item["pop"] != pop:
                continue
            if image and item["image"] != image:
                continue
            if label and not _has_label(item["labels"], label):
                continue
            views.append(item)
        return views


def _has_label(labels, wanted):
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def placement_of_node(node):
    network = [{"id": s["intf_name"], "ip": s["ip"], "mac": s["mac"]}
               for s in node.getNetworkStatus()]
    return Placement(node.datacenter.label, [{k: v for k, v in entry.items() if v}
                                             for entry in network], node.flavor_name)


def docker_state(state):
    if state.get("Paused"):
        return "paused"
    if state.get("Running"):
        return "running"
    return state.get("Status") or "unknown"


def iso_time(value):
    if not value or value.startswith("0001-"):
        return None
    return value.split(".")[0].rstrip("Z") + "Z"


def container_view(name, attrs, node, placement, detail):
    state, config, host = attrs["State"], attrs["Config"], attrs["HostConfig"]
    labels = config.get("Labels") or {}
    view = {
        "name": name, "docker_name": docker_name(name), "id": attrs["Id"],
        "short_id": attrs["Id"][:12], "image": config.get("Image"),
        "image_id": attrs.get("Image"), "pop": placement.pop if placement else None,
        "state": docker_state(state), "in_network": node is not None,
        "exit_code": None if state.get("Running") or state.get("Status") == "created"
        else state.get("ExitCode"),
        "oom_killed": bool(state.get("OOMKilled")),
        "created_at": iso_time(attrs.get("Created")),
        "started_at": iso_time(state.get("StartedAt")),
        "finished_at": iso_time(state.get("FinishedAt")) if not state.get("Running") else None,
        "command": config.get("Cmd"),
        "interfaces": interfaces(node, placement, detail),
        "resources": {"cpu_quota": host.get("CpuQuota"), "cpu_period": host.get("CpuPeriod"),
                      "cpu_shares": host.get("CpuShares"),
                      "cpuset_cpus": host.get("CpusetCpus") or None,
                      "mem_limit": host.get("Memory") or None},
        "labels": {k: v for k, v in labels.items() if k != SPEC_LABEL},
        "links": {rel: "/v1/containers/%s%s" % (name, suffix) for rel, suffix in (
            ("self", ""), ("logs", "/logs"), ("stats", "/stats"), ("exec", "/exec"))},
    }
    if detail:
        view["docker_address"] = attrs["NetworkSettings"].get("IPAddress") or None
        view["ports"] = attrs["NetworkSettings"].get("Ports") or {}
    return view


def interfaces(node, placement, detail):
    if node is None:
        return [dict(entry, switch=None, switch_port=None) for entry in (
            placement.network if placement else [])]
    status = {s["intf_name"]: s for s in node.getNetworkStatus()} if detail else {}
    result = []
    for intf in node.intfList():
        peer = peer_intf(intf)
        item = {"id": intf.name, "ip": status.get(intf.name, {}).get("ip") or (
            "%s/%s" % (intf.ip, intf.prefixLen) if intf.ip else None),
                "mac": status.get(intf.name, {}).get("mac") or intf.mac,
                "switch": peer.node.name, "switch_port": peer.node.ports.get(peer)}
        result.append(item)
    return result
