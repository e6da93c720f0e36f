"""Docker containers as Mininet hosts.

Two pieces:

* :class:`DockerEngine` (docker_engine.py), the small interface to the
  container engine; nothing else in the emulator talks to Docker directly.
* :class:`DockerHost`, a Mininet ``Host`` backed by a container.  The
  container is created and started when the node is constructed; the
  interactive shell Mininet uses for ``cmd()`` is a ``docker exec`` started
  on first use only, because most VNFs never need one and starting it would
  cost more than the container itself.  Interfaces are configured from the
  host inside the container's network namespace (see ``system.netns_argv``),
  so images need no networking tools.
"""

import json
import logging
import os
import pty
import re
import select
import subprocess
import time

import docker.errors
from mininet.node import Host

from emuvim.dcemulator import system
from emuvim.dcemulator.docker_engine import DEFAULT_IMAGE, DockerEngine  # noqa: F401
from emuvim.dcemulator.ownership import LABEL_RUN

log = logging.getLogger(__name__)

CONTAINER_PREFIX = "mn."
# Docker's own limit for names is looser; this keeps names readable and safe
# as interface aliases, file names and REST path segments.
# A Docker image reference (name[:tag][@digest]) or an image id: anything else
# reaches Docker's parser as a 400 (or a shell, in clients that build commands).
IMAGE_REFERENCE = re.compile(     # separators as Docker's grammar: [._] | __ | -+
    r"^(?:[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::\d+)?"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?"
    r"|sha256:[a-f0-9]{64}|[a-f0-9]{12,64})\Z")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")
SHELL_SENTINEL = chr(127)
# Docker's own interface (eth0, the management network) is renamed to this
# when a VNF asks for the name: the requested name always wins.
DOCKER_INTF_RENAME = "docker-%s"

# Keyword arguments of vim-emu/Containernet Docker nodes that map 1:1 onto
# Docker SDK create() arguments.
PASSTHROUGH_DOCKER_ARGS = (
    "cpu_quota", "cpu_period", "cpu_shares", "cpuset_cpus", "mem_limit",
    "memswap_limit", "environment", "volumes", "tmpfs", "network_mode",
    "publish_all_ports", "dns", "ipc_mode", "devices", "storage_opt", "sysctls",
    "shm_size", "working_dir", "user", "entrypoint", "privileged",
    "security_opt", "ulimits", "extra_hosts", "cap_drop", "mac_address",
)


class ImageNotFound(LookupError):
    """The requested image is not in the local Docker image store."""

    def __init__(self, image):
        self.image = image
        hint = ("build it with `vim-emu images build`" if image.startswith("emuvim/")
                else "build or load it locally (`docker build` / `docker load`); "
                     "no registry is pulled from")
        super().__init__("Docker image %r is not available locally: %s" % (image, hint))


class LimitRefused(ValueError):
    """Docker refused resource limits (out of range, CPUs this host lacks, ...)."""


class ContainerStartError(RuntimeError):
    """The container could not be created or exited right after starting."""


def port_mapping(ports=None, port_bindings=None):
    """vim-emu's ``ports`` list + ``port_bindings`` dict as the SDK's ``ports`` dict.

    ``ports`` items are ints or ``(port, "udp")``; ``port_bindings`` maps a
    container port to a host port or a ``(host ip, host port)`` pair.
    Exposed ports without a binding get a random host port, as with
    ``docker run -p PORT``.
    """
    mapping = {}
    for item in ports or []:
        port, proto = (item, "tcp") if not isinstance(item, (tuple, list)) else item
        mapping["%s/%s" % (port, proto)] = None
    for ctr_port, host_port in (port_bindings or {}).items():
        key = str(ctr_port) if "/" in str(ctr_port) else "%s/tcp" % ctr_port
        if isinstance(host_port, (tuple, list)):
            mapping[key] = (str(host_port[0]), int(host_port[1]))
        else:
            mapping[key] = int(host_port) if host_port is not None else None
    return mapping


def docker_create_args(params, labels, command, exposed=None):
    """The Docker SDK create() arguments for a DockerHost's keyword params.

    With params["publish_ip"], every published port binds to that address
    only (Docker's publish_all_ports binds 0.0.0.0): `exposed` lists the
    image's exposed ports ("80/tcp") to bind.
    """
    args = {key: params[key] for key in PASSTHROUGH_DOCKER_ARGS if params.get(key) is not None}
    args.setdefault("network_mode", "bridge")
    args.setdefault("publish_all_ports", True)
    if args["network_mode"] == "none":
        args.pop("publish_all_ports")
    publish_ip = params.get("publish_ip")
    cap_add = list(params.get("cap_add") or [])
    if "NET_ADMIN" not in cap_add:
        cap_add.append("NET_ADMIN")
    args["cap_add"] = cap_add
    if params.get("cpus"):
        args["nano_cpus"] = int(float(params["cpus"]) * 1e9)
    ports = port_mapping(params.get("ports"), params.get("port_bindings"))
    if publish_ip:
        if args.pop("publish_all_ports", False):
            ports = dict({port: None for port in exposed or ()}, **ports)
        ports = {port: binding if isinstance(binding, tuple) else (publish_ip, binding)
                 for port, binding in ports.items()}
    if ports and args["network_mode"] != "none":
        args["ports"] = ports
    args["labels"] = dict(labels)
    # A tty and open stdin keep images whose command is a shell alive, as
    # Containernet did.
    args["tty"] = params.get("tty", True)
    args["stdin_open"] = True
    if command:
        args["command"] = command
    return args


def docker_made_intfs(attrs):
    """{name: name} of the interfaces Docker made in a container's own namespace.

    Docker names them eth0, eth1, ... in network order; a container sharing
    the host's or another container's namespace has none of its own.
    """
    mode = attrs.get("HostConfig", {}).get("NetworkMode") or ""
    if mode in ("none", "host") or mode.startswith("container:"):
        return {}
    networks = attrs.get("NetworkSettings", {}).get("Networks") or {}
    return {"eth%d" % i: "eth%d" % i for i in range(len(networks))}


def rename_intf_commands(old, new, routes):
    """`ip -batch` lines renaming an interface and restoring its gateway routes.

    A link must be down to be renamed, and going down drops the routes via a
    gateway (the kernel's own subnet route comes back with the address).
    """
    commands = ["link set dev %s down" % old, "link set dev %s name %s" % (old, new),
                "link set dev %s up" % new]
    for route in routes:
        if route.get("gateway"):
            commands.append("route replace %s via %s dev %s" % (
                route.get("dst", "default"), route["gateway"], new))
    return commands


class DockerHost(Host):
    """A Mininet host backed by a Docker container named ``mn.<name>``."""

    def __init__(self, name, dimage=None, dcmd=None, engine=None, labels=None,
                 **params):
        if not NAME_PATTERN.match(name or ""):
            raise ValueError("invalid node name %r: use letters, digits, '.', '_' "
                             "or '-' (at most 63 characters, starting with a letter "
                             "or digit)" % (name,))
        if dimage is not None and not (isinstance(dimage, str) and IMAGE_REFERENCE.match(dimage)):
            raise ValueError("%r is not a Docker image reference (like emuvim/base:latest)"
                             % (dimage,))
        self.engine = engine or DockerEngine()
        self.dimage = dimage or DEFAULT_IMAGE
        self.dcmd = dcmd
        self.labels = dict(labels or {})
        self.container_name = CONTAINER_PREFIX + name
        self.docker_params = dict(params)
        self.container_id = None
        self.container_env = []
        self._shell_argv = None
        self.docker_intfs = {}      # Docker-made interface: its current name
        Host.__init__(self, name, **params)

    # -- container lifecycle ----------------------------------------------------

    def startShell(self, mnopts=None):
        """Mininet calls this from Node.__init__: we start the container here.

        With the parameter adopt=True, a container this run created earlier
        (created or stopped, e.g. through the Docker-VIM API) is started
        instead of a new one; a failed start then leaves it stopped, not gone.
        """
        try:
            attrs = self._adopt() if self.adopted else self._create_and_start()
        except docker.errors.ImageNotFound as err:
            raise ImageNotFound(self.dimage) from err
        except docker.errors.APIError as err:
            raise ContainerStartError("cannot start container %s: %s" % (
                self.container_name, err.explanation or err)) from err
        self.container_id = attrs["Id"]
        # A container's environment is fixed at creation: kept for the
        # VNF start/stop commands instead of inspecting again.
        self.container_env = list(attrs.get("Config", {}).get("Env") or [])
        state = attrs["State"]
        if not state.get("Running") or not state.get("Pid"):
            logs = self.engine.logs_tail(self.container_name)
            self._discard_container()
            raise ContainerStartError(
                "container %s exited right after start (exit code %s)%s" % (
                    self.container_name, state.get("ExitCode"),
                    ": " + logs if logs else ""))
        # Mininet moves interfaces into "the node's pid": the container's init.
        self.pid = state["Pid"]
        self.docker_intfs = docker_made_intfs(attrs)

    @property
    def adopted(self):
        return bool(self.docker_params.get("adopt"))

    def _create_and_start(self):
        exposed = (self.engine.exposed_ports(self.dimage)
                   if self.docker_params.get("publish_ip") else None)
        args = docker_create_args(self.docker_params, self.labels, self.dcmd, exposed)
        try:
            return self.engine.run(self.container_name, self.dimage, hostname=self.name,
                                   **args)
        except docker.errors.APIError as err:
            if err.status_code == 409 and "already in use" in str(err.explanation):
                raise system.AlreadyExists(
                    "a container named %r already exists (another emulator run, or "
                    "leftovers of a crashed one: `vim-emu clean` removes those)"
                    % self.container_name) from err
            raise

    def _adopt(self):
        """Start the existing container of this name, if this run owns it."""
        run_label = self.labels.get(LABEL_RUN)
        try:
            attrs = self.engine.inspect(self.container_name)
        except docker.errors.NotFound as err:
            raise LookupError("no container %s to start" % self.container_name) from err
        if (attrs["Config"].get("Labels") or {}).get(LABEL_RUN) != run_label:
            raise system.AlreadyExists("container %s belongs to another run"
                                       % self.container_name)
        return self.engine.start(self.container_name)

    def _discard_container(self):
        if self.adopted:
            self.engine.stop(self.container_name, timeout=1)
        else:
            self.engine.remove(self.container_name)

    def terminate(self):
        """Stop the exec shell (if any) and remove the container."""
        Host.terminate(self)
        self.engine.remove(self.container_name)

    def stop_container(self, timeout=10):
        """Stop the exec shell and the container, keeping the container (and
        its file system) for a later start."""
        Host.terminate(self)
        self.engine.stop(self.container_name, timeout=timeout)

    def deleteIntfs(self, checkName=True):
        """Interfaces vanish with the container's network namespace."""
        for intf in list(self.intfs.values()):
            self.delIntf(intf)

    def inspect(self):
        return self.engine.inspect(self.container_name)

    def inspect_or_gone(self):
        """Docker's view of the container; for one removed behind the
        emulator's back, a stand-in whose state says so."""
        try:
            return self.inspect()
        except docker.errors.NotFound:
            return {"Id": self.container_id or "", "HostConfig": {}, "Config": {},
                    "NetworkSettings": {}, "State": {"Status": "removed", "Running": False}}

    # -- the lazily started interactive shell ----------------------------------

    def _ensure_shell(self):
        if self.shell is None:
            self._start_exec_shell()

    def _start_exec_shell(self):
        shell = ("bash --norc --noediting -is mininet:%s" % self.name
                 if self._exec_ok(["test", "-x", "/bin/bash"]) else "sh -i")
        # With echo off, busybox's line editor reads plainly instead of
        # querying the cursor position (which nobody would answer).
        script = "stty -echo 2>/dev/null; exec env PS1=%s %s" % (SHELL_SENTINEL, shell)
        argv = self.engine.exec_argv(self.container_name, interactive=True, tty=True) + [
            "sh", "-c", script]
        self.master, self.slave = pty.openpty()
        self.shell = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave,
                                      stderr=self.slave, close_fds=False,
                                      start_new_session=True)
        self.stdin = os.fdopen(self.master, "r")
        self.stdout = self.stdin
        self.pollOut = select.poll()
        self.pollOut.register(self.stdout)
        self.outToNode[self.stdout.fileno()] = self
        self.inToNode[self.stdin.fileno()] = self
        self.execed, self.lastCmd, self.lastPid, self.readbuf = False, None, None, ""
        self._wait_for_prompt()
        self.waiting = False
        self.cmd("unset HISTFILE; stty -echo; set +m")

    def _wait_for_prompt(self, timeout_s=30):
        deadline = time.monotonic() + timeout_s
        seen = ""
        while time.monotonic() < deadline:
            if self.pollOut.poll(200):
                data = self.read(1024)
                seen += data
                if data and data[-1] == SHELL_SENTINEL:
                    return
            elif self.shell.poll() is not None:
                break
        self.terminate_shell()
        raise ContainerStartError("no shell prompt from %s: %r" % (self.container_name,
                                                                  seen[-200:]))

    def terminate_shell(self):
        Host.terminate(self)

    def _exec_ok(self, argv):
        return self.engine.exec_ok(self.container_name, argv)

    def sendCmd(self, *args, **kwargs):
        self._ensure_shell()
        return Host.sendCmd(self, *args, **kwargs)

    def cmd(self, *args, **kwargs):
        self._ensure_shell()
        return Host.cmd(self, *args, **kwargs)

    def popen(self, *args, **kwargs):
        """A process inside the container (its namespaces and cgroups)."""
        if kwargs.pop("shell", False):
            command = args[0] if len(args) == 1 else " ".join(map(str, args))
            if isinstance(command, list):
                command = " ".join(command)
            args = (["sh", "-c", command],)
        kwargs.setdefault("mncmd", self.engine.exec_argv(self.container_name, interactive=True))
        return Host.popen(self, *args, **kwargs)

    # -- networking, done from the host in the container's namespace -----------

    def netns_run(self, argv, check=True, input_text=None):
        return system.run(system.netns_argv(self.pid, argv), check=check,
                          input_text=input_text)

    def yield_intf_name(self, name):
        """Free `name` for an emulator interface if Docker's interface has it.

        eth0, Docker's management interface, is also the usual name of a
        5GTANGO unit's first connection point.  Docker's interface is renamed
        (docker-eth0) with its address and routes, so management traffic and
        published ports keep working.
        """
        if self.docker_intfs.get(name) != name:
            return
        self.rename_docker_intf(DOCKER_INTF_RENAME % name, name)
        log.info("%s: Docker's interface %s renamed to docker-%s for the requested %s",
                 self.name, name, name, name)

    def rename_docker_intf(self, new, old="eth0"):
        """Give Docker's interface `old` the name `new`, keeping its address and routes.

        The SONATA gatekeeper's docker management: the management connection
        point of a VNF is Docker's own interface, under the descriptor's name.
        """
        current = self.docker_intfs.get(old)
        if current is None:
            raise LookupError("%s has no Docker interface %s (network mode none?)"
                              % (self.name, old))
        if current == new:
            return
        if new in self.intfNames() or new in self.docker_intfs.values() or new == "lo":
            raise ValueError("%s already has an interface named %s" % (self.name, new))
        routes = json.loads(self.netns_run(["ip", "-j", "route", "show", "dev", current])
                            or "[]")
        self.netns_run(["ip", "-batch", "-"], input_text="".join(
            line + "\n" for line in rename_intf_commands(current, new, routes)))
        self.docker_intfs[old] = new

    def config(self, mac=None, ip=None, defaultRoute=None, lo="up", **_params):
        """Node.config without the shell (Docker already brought lo up)."""
        results = {}
        self.setParam(results, "setMAC", mac=mac)
        self.setParam(results, "setIP", ip=ip)
        self.setParam(results, "setDefaultRoute", defaultRoute=defaultRoute)
        return results

    def setDefaultRoute(self, intf=None):
        if isinstance(intf, str) and " " in intf:
            params = intf.split()
        else:
            params = ["dev", str(self.intf(intf))]
        self.netns_run(["ip", "route", "replace", "default"] + params)

    def setHostRoute(self, ip, intf):
        self.netns_run(["ip", "route", "replace", ip, "dev", str(intf)])

    def setARP(self, ip, mac):
        self.netns_run(["ip", "neigh", "replace", ip, "lladdr", mac, "dev",
                        str(self.defaultIntf())])

    # -- resources ---------------------------------------------------------------

    def updateCpuLimit(self, cpu_quota=-1, cpu_period=-1, cpu_shares=-1, cores=None):
        """Change CPU limits of the running container (-1 = leave unchanged)."""
        update = {}
        if cpu_period >= 0:
            update["cpu_period"] = int(cpu_period)
        if cpu_quota != -1:
            update["cpu_quota"] = int(cpu_quota)
        if cpu_shares >= 0:
            update["cpu_shares"] = int(cpu_shares)
        if cores is not None:
            update["cpuset_cpus"] = str(cores)
        if update:
            self.engine.update(self.container_name, **update)

    def updateMemoryLimit(self, mem_limit=-1, memswap_limit=-1):
        """Change memory limits of the running container (bytes; -1 = unchanged).

        Docker refuses a memory change that crosses the current swap limit, so
        a memory limit given alone comes with the swap limit `docker run
        --memory` would default to: twice the memory.
        """
        update = {}
        if mem_limit != -1:
            update["mem_limit"] = int(mem_limit)
            if memswap_limit == -1:
                memswap_limit = 2 * int(mem_limit)
        if memswap_limit != -1:
            update["memswap_limit"] = int(memswap_limit)
        if update:
            self.engine.update(self.container_name, **update)

    def update_resources(self, **resources):
        """Any Docker update() argument (cpu_quota, mem_limit, cpuset_cpus, ...);
        LimitRefused when Docker (or the kernel under it) refuses the values."""
        if not resources:
            return
        try:
            self.engine.update(self.container_name, **resources)
        except docker.errors.NotFound as err:
            raise LookupError("container %s is gone" % self.container_name) from err
        except (docker.errors.APIError, docker.errors.InvalidArgument, TypeError) as err:
            # Docker answers 500 for what the cgroup write refused: still the
            # values' fault, not the emulator's.
            raise LimitRefused("Docker refused the limits %s for %s: %s" % (
                resources, self.name, getattr(err, "explanation", None) or err)) from err

    @property
    def resources(self):
        """Current limits, read from Docker (never a stale copy)."""
        host = self.inspect()["HostConfig"]
        return {"cpu_quota": host.get("CpuQuota"), "cpu_period": host.get("CpuPeriod"),
                "cpu_shares": host.get("CpuShares"), "cpuset": host.get("CpusetCpus"),
                "mem_limit": host.get("Memory"), "memswap_limit": host.get("MemorySwap")}
