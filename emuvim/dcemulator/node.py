"""PoPs (Datacenter) and their compute nodes (EmulatorCompute), vim-emu style."""

import ipaddress
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from emuvim.dcemulator import system
from emuvim.dcemulator.docker_engine import DEFAULT_IMAGE
from emuvim.dcemulator.docker_host import NAME_PATTERN, DockerHost
from emuvim.dcemulator.links import clean_intf_id, peer_intf
from emuvim.dcemulator.resourcemodel import NotEnoughResourcesAvailable, cpu_limit
from emuvim.dcemulator.switch import PORT_TYPES

log = logging.getLogger(__name__)

DEFAULT_INTERFACE = "emu0"
NO_NETWORK = "none"          # startCompute(network="none"): Docker's interface only
DCDPID_BASE = 1000


class EmulatorCompute(DockerHost):
    """A VNF container in a PoP."""

    def __init__(self, name, dimage=None, **kwargs):
        self.datacenter = kwargs.pop("datacenter", None)
        self.flavor_name = kwargs.pop("flavor_name", "tiny")
        DockerHost.__init__(self, name, dimage=dimage, **kwargs)

    START_COMMAND_VARS = ("VIM_EMU_CMD", "SON_EMU_CMD")
    STOP_COMMAND_VARS = ("VIM_EMU_CMD_STOP", "SON_EMU_CMD_STOP")

    def _image_command(self, names):
        env = dict(item.split("=", 1) for item in self.container_env if "=" in item)
        return next((env[n] for n in names if env.get(n) not in (None, "", "None")), None)

    def start_vnf_command(self, names=START_COMMAND_VARS):
        """Run the image's VIM_EMU_CMD/SON_EMU_CMD in the background, if it has one.

        vim-emu's convention: the command starts the VNF's software once the
        emulator has attached the interfaces.  `names`: the variables to look
        for, first found wins.  Returns the command or None.
        """
        command = self._image_command(names)
        if command:
            # Through the API: a `docker exec -d` process costs ~0.1 s more per VNF.
            self.engine.exec_detached(self.container_name, ["sh", "-c", command])
        return command

    def stop_vnf_command(self, timeout=10, names=STOP_COMMAND_VARS):
        """Run VIM_EMU_CMD_STOP/SON_EMU_CMD_STOP and wait for it (at most `timeout` s)."""
        command = self._image_command(names)
        if command:
            self.engine.exec_wait(self.container_name, ["sh", "-c", command], timeout)
        return command

    def getNetworkStatus(self, running=True):
        """One dict per emulator interface, read from the kernel on every call
        (status MISSING for each when the container is not running: a VNF
        killed behind the emulator's back is reported, never an error)."""
        kernel = {}
        if running:
            try:
                kernel = {entry["ifname"]: entry for entry in json.loads(
                    self.netns_run(["ip", "-j", "addr", "show"]) or "[]")}
            except system.CommandError:
                pass            # it died just now: its namespace went with it
        return [self._intf_status(intf, kernel.get(intf.name)) for intf in self.intfList()]

    @staticmethod
    def _intf_status(intf, entry):
        peer = peer_intf(intf)
        status = {"intf_name": intf.name, "ip": None, "netmask": None, "mac": None,
                  "up": False, "status": "MISSING", "dc_portname": peer.name if peer else None}
        if entry is None:
            return status
        inet = [a for a in entry.get("addr_info", []) if a.get("family") == "inet"]
        if inet:
            status["ip"] = "%s/%d" % (inet[0]["local"], inet[0]["prefixlen"])
            status["netmask"] = inet[0]["prefixlen"]
        status["mac"] = entry.get("address")
        status["up"] = "UP" in entry.get("flags", [])
        status["status"] = "OK"
        return status

    def getStatus(self):
        info = self.inspect_or_gone()
        host = info["HostConfig"]
        return {
            "name": self.name,
            "network": self.getNetworkStatus(running=bool(info["State"].get("Running"))),
            "docker_network": info["NetworkSettings"].get("IPAddress") or None,
            # Docker's management interface: docker-eth0 if a VNF asked for eth0.
            "docker_interface": next(iter(self.docker_intfs.values()), None),
            "image": self.dimage,
            "flavor_name": self.flavor_name,
            "cpu_quota": host.get("CpuQuota"),
            "cpu_period": host.get("CpuPeriod"),
            "cpu_shares": host.get("CpuShares"),
            "cpuset": host.get("CpusetCpus"),
            "mem_limit": host.get("Memory"),
            "memswap_limit": host.get("MemorySwap"),
            "state": info["State"],
            "id": info["Id"],
            "short_id": info["Id"][:12],
            "hostname": info["Config"].get("Hostname"),
            "datacenter": self.datacenter.label if self.datacenter else None,
        }


def normalize_network(network):
    """vim-emu's `network` argument as a list of interface dicts with clean ids.

    None/{}/[] mean one interface "emu0" (as in vim-emu); "none" means no
    emulator interface at all; a single dict is one interface.  An entry's
    "port_type" ("afxdp-nonpmd", "afxdp", "auto" or "system") asks for that
    kind of switch port for this interface alone, whatever the network's
    default: AF_XDP only where the throughput is worth its start cost.
    Raises ValueError for bad ids, duplicates or unparsable addresses.
    """
    if network == NO_NETWORK:
        return []
    if not network:
        network = [{"id": DEFAULT_INTERFACE}]
    elif isinstance(network, dict):
        network = [network]
    result, seen = [], set()
    for entry in network:
        if not isinstance(entry, dict):
            raise ValueError("each network entry must be a dict like "
                             "{'id': 'input', 'ip': '10.0.0.1/24'}, got %r" % (entry,))
        entry = dict(entry)
        entry["id"] = clean_intf_id(entry.get("id") or "if0")
        if entry["id"] in seen:
            raise ValueError("interface %r is listed twice" % entry["id"])
        seen.add(entry["id"])
        if entry.get("ip"):
            try:
                ipaddress.ip_interface(entry["ip"])
            except ValueError as err:
                raise ValueError("interface %s: bad ip %r (%s)" % (
                    entry["id"], entry["ip"], err)) from err
            if "/" not in entry["ip"]:
                raise ValueError("interface %s: ip %r needs a prefix length, e.g. %s/24" % (
                    entry["id"], entry["ip"], entry["ip"]))
        port_type = entry.get("port_type")
        if port_type is not None and port_type != "auto" and port_type not in PORT_TYPES:
            raise ValueError("interface %s: port_type must be 'auto' or one of %s, not %r"
                             % (entry["id"], ", ".join(PORT_TYPES), port_type))
        result.append(entry)
    return result


class Datacenter:
    """A PoP: one OVS switch and the compute nodes attached to it."""

    def __init__(self, label, metadata=None, resource_log_path=None, name=None):
        self.net = None
        self.label = label
        self.name = name
        self.metadata = dict(metadata or {})
        self.resource_log_path = resource_log_path
        self.switch = None
        self.containers = {}
        self.extSAPs = {}
        self._resource_model = None
        # Compute nodes start and stop concurrently; the models are not thread-safe.
        self._resource_lock = threading.Lock()

    def __repr__(self):
        return self.label

    @property
    def index(self):
        return int(self.name[2:])

    def create(self):
        """Create the PoP's switch ("big switch" model: one per PoP)."""
        self.switch = self.net.addSwitch(
            "%s.s1" % self.name, dpid="%016x" % (DCDPID_BASE + self.index))

    def start(self):
        pass

    def startCompute(self, name, image=None, command=None, network=None,
                     flavor_name="tiny", properties=None, **params):
        """Start a VNF container attached to this PoP's switch.

        Returns the EmulatorCompute, or None if the resource model refuses it.
        Raises ValueError/LookupError for bad input; nothing is left behind.
        adopt=True starts this run's existing (created or stopped) container
        of that name instead of a new one; a failure leaves it stopped.
        port_batch (a switch.PortBatch) holds its switch ports back until the
        batch's commit(), which adds those of many VNFs in one transaction.
        """
        if not NAME_PATTERN.match(name or ""):
            raise ValueError("invalid compute name %r" % (name,))
        if self.net.getNodeByName(name) is not None:
            raise system.AlreadyExists("Container with name %s already exists." % name)
        interfaces = normalize_network(network)
        port_batch = params.pop("port_batch", None)
        environment = dict(params.pop("environment", None) or {})
        environment.update(properties or {})
        environment["VNF_NAME"] = name
        if params.get("cpu_percent") is not None:
            params.update(cpu_limit(float(params.pop("cpu_percent"))))
        d = self.net.addDocker(name, dimage=image or DEFAULT_IMAGE, dcmd=command,
                               environment=environment, datacenter=self,
                               flavor_name=flavor_name, **params)
        try:
            self.net.addLinks([dict(node1=d, node2=self.switch, params1=nw, intfName1=nw["id"])
                               for nw in interfaces], port_batch=port_batch)
            if self._resource_model is not None:
                with self._resource_lock:
                    self._resource_model.allocate(d)
                    self._resource_model.write_allocation_log(d, self.resource_log_path)
        except NotEnoughResourcesAvailable as err:
            log.warning("resource model of %s refused %s: %s", self.label, name, err)
            self.net.removeDocker(name, keep_container=d.adopted)
            return None
        except BaseException:
            self.net.removeDocker(name, keep_container=d.adopted)
            raise
        self.containers[name] = d
        return d

    def startComputes(self, specs, max_workers=8):
        """Start several compute nodes concurrently.

        `specs` is a list of dicts of startCompute arguments.  Container
        creation (the slow part) overlaps; results keep the order of specs.
        """
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            futures = [pool.submit(self.startCompute, **spec) for spec in specs]
            return [f.result() for f in futures]

    def stopCompute(self, name, keep_container=False, stop_timeout=10):
        """Take a compute node out of the PoP and remove its container (only
        stop it with keep_container=True: the Docker-VIM's stop)."""
        if name not in self.containers:
            raise LookupError("Container with name %s not found." % name)
        d = self.containers[name]
        if self._resource_model is not None:
            with self._resource_lock:
                self._resource_model.free(d)
                self._resource_model.write_free_log(d, self.resource_log_path)
        self.net.removeDocker(name, keep_container=keep_container, stop_timeout=stop_timeout)
        del self.containers[name]
        return True

    def attachExternalSAP(self, sap_name, sap_net, sap_ip=None, **params):
        """An external SAP: a host-side port with an address in `sap_net`.

        The address is `sap_ip` (an address in sap_net) or the net's first host.
        """
        network = ipaddress.ip_network(sap_net, strict=False)
        address = ipaddress.ip_address(sap_ip) if sap_ip else next(network.hosts())
        if address not in network:
            raise ValueError("SAP address %s is not in %s" % (address, network))
        sap_ip = "%s/%d" % (address, network.prefixlen)
        sap = self.net.addExtSAP(sap_name, sap_ip, **params)
        self.net.addLink(sap, self.switch)
        sap.datacenter = self
        self.extSAPs[sap_name] = sap
        return sap

    def removeExternalSAP(self, sap_name):
        if sap_name not in self.extSAPs:
            raise LookupError("External SAP with name %s not found." % sap_name)
        self.net.removeExtSAP(sap_name)
        del self.extSAPs[sap_name]

    def listCompute(self):
        return list(self.containers.values())

    def listExtSAPs(self):
        return list(self.extSAPs.values())

    def getStatus(self):
        return {
            "label": self.label,
            "internalname": self.name,
            "switch": self.switch.name if self.switch else None,
            "n_running_containers": len(self.containers),
            "metadata": self.metadata,
            "vnf_list": list(self.containers),
            "ext SAP list": list(self.extSAPs),
        }

    def assignResourceModel(self, rm):
        if self._resource_model is not None:
            raise RuntimeError("There is already a resource model assigned to this DC.")
        self._resource_model = rm
        self.net.rm_registrar.register(self, rm)


class EmulatorExtSAP:
    """A service access point on the host: an OVS internal port with an address.

    Traffic from the host to the SAP's network enters the emulated network
    through the SAP's switch.
    """

    def __init__(self, name, switch, sap_ip):
        self.name = name
        self.switch = switch
        self.ip = sap_ip
        self.datacenter = None

    def configure_address(self):
        system.run(["ip", "addr", "add", self.ip, "dev", self.switch.name])
        system.run(["ip", "link", "set", "dev", self.switch.name, "up"])

    def getStatus(self):
        return {"name": self.switch.name,
                "datacenter": self.datacenter.name if self.datacenter else None,
                "network": [{"intf_name": self.switch.name, "ip": self.ip}]}
