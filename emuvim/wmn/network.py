"""WMNetwork: a wireless mesh network (WMN) on the emulator.

Each mesh node is a site: a PoP named after the node (where VNFs and field
devices attach) plus a router container ``<node>.router`` running babeld,
with ``lan0`` on the PoP's switch and ``mesh0`` on the radio medium.
Gateways also have ``wan0`` on a backhaul PoP and announce a default route.

    wmn = WMNetwork(net, model=LogDistance())
    for name, pos in layouts.grid(3, 3).items():
        wmn.addMeshNode(name, pos, gateway=(name == "n1"))
    wmn.addBackhaul("hq")
    net.start(); wmn.start()
    wmn.fail("n5"); wmn.probe("n9", "hq")

Radio: the userspace medium (emuvim.wmn.medium), a helper process of the
run, gives delay, loss and rate on any kernel; this one has no netem and
no wireless stack, so there is no other backend here.
"""

import ipaddress
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from emuvim.dcemulator import system
from emuvim.dcemulator.docker_engine import DEFAULT_IMAGE
from emuvim.dcemulator.docker_host import NAME_PATTERN
from emuvim.wmn import stations as station_dump
from emuvim.wmn.model import LogDistance, distance

log = logging.getLogger(__name__)

MESH_IMAGE = "emuvim/meshrouter:latest"
BACKHAUL_HOST_IP = "10.202.0.1"
FAIL_MODES = ("radio", "pause")
ROUTER_SYSCTLS = {"net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1,
                  "net.ipv4.conf.all.rp_filter": 0, "net.ipv4.conf.default.rp_filter": 0,
                  "net.ipv6.conf.all.disable_ipv6": 0, "net.ipv6.conf.default.disable_ipv6": 0,
                  "net.ipv6.conf.default.accept_dad": 0}


class WMNError(ValueError):
    """A request the mesh scenario refuses (unknown node, bad parameter)."""


@dataclass
class MeshNode:
    name: str
    position: tuple
    index: int
    gateway: bool = False
    pop: object = None
    router: object = None
    tap: str = None
    failed: str = None

    @property
    def mesh_ip(self):
        return "10.200.%d.%d" % divmod(self.index, 256)

    @property
    def lan(self):
        return ipaddress.ip_network("10.201.%d.0/24" % self.index)

    @property
    def mac(self):
        return "02:5e:00:00:%02x:%02x" % divmod(self.index, 256)

    @property
    def router_name(self):
        return "%s.router" % self.name


@dataclass
class Override:
    loss: float = None
    delay_ms: float = None
    rate_mbit: float = None
    down: bool = False

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}


@dataclass
class Event:
    at_s: float
    action: str
    args: dict = field(default_factory=dict)


class MediumClient:
    """JSON lines to the medium's control socket."""

    def __init__(self, path):
        self.path = path
        self._sock = None
        self._lock = threading.Lock()

    def connect(self, timeout_s=10, alive=lambda: True):
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.path)
                self._sock, self._file = sock, sock.makefile("rb")
                return
            except OSError:
                sock.close()
                if time.monotonic() > deadline or not alive():
                    raise RuntimeError("the radio medium did not open %s" % self.path)
                time.sleep(0.02)

    def call(self, op, **args):
        with self._lock:
            self._sock.sendall(json.dumps(dict(args, op=op)).encode() + b"\n")
            reply = json.loads(self._file.readline() or b'{"ok": false, "error": "closed"}')
        if not reply["ok"]:
            raise RuntimeError("radio medium: %s" % reply["error"])
        return reply["result"]

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class WMNetwork:
    def __init__(self, net, model=None, hello_interval_s=1.0, retry_limit=7,
                 airtime="per_sender", queue_limit=100, seed=None, image=MESH_IMAGE,
                 links=None):
        """links: pairs of node names that may hear each other (a file-given
        topology); None: every pair the model puts in range."""
        if airtime not in ("per_sender", "shared"):
            raise WMNError("airtime must be per_sender or shared")
        self.net = net
        self.model = model or LogDistance()
        self.hello_interval_s = float(hello_interval_s)
        self.retry_limit = int(retry_limit)
        self.airtime = airtime
        self.queue_limit = int(queue_limit)
        self.seed = seed
        self.image = image
        self.allowed_links = {frozenset(p) for p in links} if links else None
        self.nodes = {}
        self.backhaul = None
        self.backhaul_host = None
        self.overrides = {}
        self.partition_groups = []
        self.events = []
        self.medium = None
        self.client = None
        self.started_at = None
        self._lock = threading.RLock()
        self._timeline = None

    # -- building -----------------------------------------------------------------

    def addMeshNode(self, name, pos=(0.0, 0.0), gateway=False):
        """A mesh site (before net.start()): its PoP now, its router at start()."""
        if not NAME_PATTERN.match(name or "") or name in self.nodes:
            raise WMNError("mesh node name %r is invalid or taken" % (name,))
        node = MeshNode(name, (float(pos[0]), float(pos[1])), len(self.nodes) + 1, gateway)
        node.pop = self.net.addDatacenter(name, metadata={"wmn": "site"})
        self.nodes[name] = node
        return node

    def addBackhaul(self, label="hq"):
        """The PoP gateways connect to (headquarters / the Internet stand-in)."""
        self.backhaul = self.net.addDatacenter(label, metadata={"wmn": "backhaul"})
        return self.backhaul

    # -- start/stop -------------------------------------------------------------------

    def start(self):
        if not self.nodes:
            raise WMNError("no mesh nodes")
        if any(n.gateway for n in self.nodes.values()) and self.backhaul is None:
            raise WMNError("gateways need a backhaul PoP: addBackhaul() before start()")
        self._start_medium()
        self.net.add_stop_hook(self.stop)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self._start_router, self.nodes.values()))
        if self.backhaul is not None:
            self._start_backhaul_host()
        self.push_links()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self._start_daemon, self.nodes.values()))
        self.started_at = time.time()

    def _start_medium(self):
        record = self.net.record
        socket_path = os.path.join(record.path, "wmn-medium.sock")
        prefix = "wm%s" % self.net.identity.run_id[-8:]
        argv = [sys.executable, "-m", "emuvim.wmn.medium", "--socket", socket_path,
                "--tap-prefix", prefix]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        with open(record.log_path("wmn-medium.log"), "ab") as log_file:
            self.medium = subprocess.Popen(argv, stdout=log_file, stderr=log_file,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
        record.add_process(self.medium.pid, "wmn-medium")
        self.client = MediumClient(socket_path)
        self.client.connect(alive=lambda: self.medium.poll() is None)

    def _start_router(self, node):
        router = node.pop.startCompute(
            node.router_name, image=self.image, network_mode="none",
            network=[{"id": "lan0", "ip": "%s/24" % next(node.lan.hosts())}])
        if router is None:
            raise RuntimeError("PoP %s refused the router" % node.name)
        node.router = router
        node.tap = self.client.call("add_radio", node=node.name)["tap"]
        system.run(["ip", "link", "set", node.tap, "netns", str(router.pid)])
        sysctls = dict(ROUTER_SYSCTLS, **{"net.ipv4.conf.lan0.rp_filter": 0})
        router.netns_run(["sysctl", "-q", "-w"] + ["%s=%s" % kv for kv in sysctls.items()])
        router.netns_run(["ip", "-batch", "-"], input_text="".join(line + "\n" for line in (
            "link set dev %s name mesh0 address %s" % (node.tap, node.mac),
            "addr add %s/32 dev mesh0" % node.mesh_ip,
            "link set dev mesh0 up")))
        router.netns_run(["sysctl", "-q", "-w", "net.ipv4.conf.mesh0.rp_filter=0"])
        if node.gateway:
            gateways = [n for n in self.nodes.values() if n.gateway]
            address = "10.202.0.%d/24" % (2 + gateways.index(node))
            self.net.addLink(router, self.backhaul.switch, intfName1="wan0",
                             params1={"ip": address})
            router.netns_run(["ip", "route", "replace", "default", "via", BACKHAUL_HOST_IP,
                              "dev", "wan0", "proto", "static"])

    def _start_backhaul_host(self):
        host = self.backhaul.startCompute(
            "%s.host" % self.backhaul.label, image=DEFAULT_IMAGE, network_mode="none",
            network=[{"id": "wan0", "ip": BACKHAUL_HOST_IP + "/24"}])
        first = next(n for n in self.nodes.values() if n.gateway)
        via = "10.202.0.%d" % 2
        for prefix in ("10.200.0.0/16", "10.201.0.0/16"):
            host.netns_run(["ip", "route", "replace", prefix, "via", via, "dev", "wan0"])
        self.backhaul_host = host
        log.info("backhaul host %s reaches the mesh through %s", host.name, first.name)

    def babeld_config(self, node):
        lines = ["skip-kernel-setup true", "local-path /run/babeld.sock",
                 "interface mesh0 type wireless hello-interval %g" % self.hello_interval_s,
                 "redistribute local ip %s/32 allow" % node.mesh_ip,
                 "redistribute ip %s eq 24 allow" % node.lan,
                 "redistribute local deny"]
        if node.gateway:
            lines.insert(-1, "redistribute ip 0.0.0.0/0 eq 0 metric 128 allow")
        return "\n".join(lines) + "\n"

    def _start_daemon(self, node):
        router = node.router
        argv = router.engine.exec_argv(router.container_name, interactive=True) + [
            "sh", "-c", "cat > /etc/babeld.conf"]
        system.run(argv, input_text=self.babeld_config(node))
        router.engine.exec_detached(router.container_name, [
            "babeld", "-D", "-I", "/run/babeld.pid", "-S", "/var/lib/babel-state",
            "-L", "/var/log/babeld.log", "-c", "/etc/babeld.conf"])

    def stop(self):
        """Stop the medium (its TAPs go with it); net.stop() does this too."""
        if self._timeline is not None:
            self._timeline.cancel()
        if self.client is not None:
            self.client.close()
        if self.medium is not None and self.medium.poll() is None:
            self.medium.terminate()
            try:
                self.medium.wait(5)
            except subprocess.TimeoutExpired:
                self.medium.kill()
                self.medium.wait()

    def medium_alive(self):
        return self.medium is not None and self.medium.poll() is None

    # -- the link table -------------------------------------------------------------

    def node(self, name):
        if name not in self.nodes:
            raise LookupError("no mesh node %r (nodes: %s)" % (name, ", ".join(self.nodes)))
        return self.nodes[name]

    def quality(self, a, b):
        return self.model.link(distance(self.nodes[a].position, self.nodes[b].position))

    def link_state(self, a, b):
        """(quality, override, up) of the ordered pair a -> b."""
        quality = self.quality(a, b)
        override = self.overrides.get((a, b))
        up = quality.in_range and not (override and override.down)
        if self.allowed_links is not None and frozenset((a, b)) not in self.allowed_links:
            up = False
        if self.nodes[a].failed == "radio" or self.nodes[b].failed == "radio":
            up = False
        if any((a in g) != (b in g) for g in self.partition_groups):
            up = False
        return quality, override, up

    def effective_links(self):
        links = []
        for a in self.nodes:
            for b in self.nodes:
                if a == b:
                    continue
                quality, override, up = self.link_state(a, b)
                if not up:
                    continue
                link = {"src": a, "dst": b, "rate_mbit": quality.rate_mbit,
                        "per1000": quality.per1000, "bcast_per1000": quality.bcast_per1000,
                        "delay_ms": quality.delay_ms, "basic_rate_mbit": 6.0}
                if override is not None:
                    for key in ("loss", "delay_ms", "rate_mbit"):
                        if getattr(override, key) is not None:
                            link[key] = getattr(override, key)
                links.append(link)
        return links

    def push_links(self):
        with self._lock:
            links = self.effective_links()
            if self.client is not None:
                self.client.call("set_links", links=links, retry_limit=self.retry_limit,
                                 queue_limit=self.queue_limit, airtime=self.airtime)
        return links

    # -- injection ----------------------------------------------------------------------

    def fail(self, name, mode="radio"):
        """radio: the node's radio goes silent (a destroyed antenna); pause:
        its router's processes freeze (babeld stops, the kernel still forwards)."""
        if mode not in FAIL_MODES:
            raise WMNError("mode must be one of %s" % ", ".join(FAIL_MODES))
        node = self.node(name)
        if node.failed:
            self.recover(name)
        node.failed = mode
        if mode == "pause":
            node.router.engine.pause(node.router.container_name)
        self.push_links()
        self._log("fail", node=name, mode=mode)

    def recover(self, name):
        node = self.node(name)
        if node.failed == "pause":
            node.router.engine.unpause(node.router.container_name)
        node.failed = None
        self.push_links()
        self._log("recover", node=name)

    def set_link(self, a, b, loss=None, delay_ms=None, rate_mbit=None, state=None,
                 symmetric=True):
        self.node(a), self.node(b)
        if a == b:
            raise WMNError("a link needs two different nodes")
        if loss is not None and not 0 <= loss <= 1:
            raise WMNError("loss must be between 0 and 1")
        if delay_ms is not None and not 0 <= delay_ms <= 10000:
            raise WMNError("delay_ms must be between 0 and 10000")
        if rate_mbit is not None and not 0 < rate_mbit <= 10000:
            raise WMNError("rate_mbit must be above 0 and at most 10000")
        if state not in (None, "up", "down"):
            raise WMNError("state must be up or down")
        override = Override(loss, delay_ms, rate_mbit, state == "down")
        for pair in ((a, b), (b, a)) if symmetric else ((a, b),):
            self.overrides[pair] = override
        self.push_links()
        self._log("link", a=a, b=b, **override.as_dict())

    def clear_link(self, a, b):
        self.node(a), self.node(b)
        self.overrides.pop((a, b), None)
        self.overrides.pop((b, a), None)
        self.push_links()
        self._log("clear_link", a=a, b=b)

    def partition(self, groups):
        groups = [set(g) for g in groups]
        for name in set().union(*groups) if groups else ():
            self.node(name)
        if len(groups) < 2:
            raise WMNError("a partition needs at least two groups")
        self.partition_groups = groups
        self.push_links()
        self._log("partition", groups=[sorted(g) for g in groups])

    def heal(self):
        self.partition_groups = []
        self.push_links()
        self._log("heal")

    def move(self, name, pos):
        node = self.node(name)
        if len(pos) != 2:
            raise WMNError("a position is [x, y]")
        node.position = (float(pos[0]), float(pos[1]))
        self.push_links()
        self._log("move", node=name, pos=list(node.position))

    def _log(self, action, **details):
        self.events.append({"action": action, "wall_time": time.time(),
                            "monotonic": time.monotonic(), **details})

    ACTIONS = ("fail", "recover", "link", "clear_link", "partition", "heal", "move")

    def run_timeline(self, events):
        """Replay [{"at_s", "action", ...}] from now, in a background thread."""
        for event in events:
            self._check_event(event)
        plan = sorted(events, key=lambda e: e["at_s"])
        started = time.monotonic()
        stop = threading.Event()

        def replay():
            for event in plan:
                if stop.wait(max(0.0, started + event["at_s"] - time.monotonic())):
                    return
                try:
                    self.apply(event)
                except Exception as err:  # noqa: BLE001  (logged in the event log)
                    self._log("error", event=event, error=str(err))

        thread = threading.Thread(target=replay, daemon=True, name="wmn-timeline")
        thread.cancel = stop.set
        thread.start()
        self._timeline = thread
        return thread

    def _check_event(self, event):
        if not isinstance(event, dict) or event.get("action") not in self.ACTIONS or \
                not isinstance(event.get("at_s"), (int, float)) or event["at_s"] < 0:
            raise WMNError("bad event %r: needs at_s (seconds from now) and an action of %s"
                           % (event, ", ".join(self.ACTIONS)))
        for key in ("node", "a", "b"):
            if key in event and event[key] not in self.nodes:
                raise WMNError("event %r names an unknown node %r" % (event, event[key]))

    def apply(self, event):
        args = {k: v for k, v in event.items() if k not in ("at_s", "action")}
        action = event["action"]
        if action == "fail":
            return self.fail(args["node"], args.get("mode", "radio"))
        if action == "recover":
            return self.recover(args["node"])
        if action == "link":
            return self.set_link(**args)
        if action == "clear_link":
            return self.clear_link(args["a"], args["b"])
        if action == "partition":
            return self.partition(args["groups"])
        if action == "heal":
            return self.heal()
        return self.move(args["node"], args["pos"])

    # -- observation --------------------------------------------------------------------

    def stations(self, name):
        node = self.node(name)
        counters = {(p["src"], p["dst"]): p for p in self.client.call("stats")["pairs"]}
        entries = []
        for peer in self.nodes.values():
            if peer is node:
                continue
            quality, _override, up = self.link_state(node.name, peer.name)
            tx, rx = counters.get((node.name, peer.name)), counters.get((peer.name, node.name))
            if not up and not tx and not rx:
                continue
            entries.append(station_dump.station(peer.name, peer.mac, tx, rx,
                                                quality if up else None))
        return {"node": name, "interface": "mesh0", "source": "emulated-medium",
                "stations": entries}

    def stations_iw(self, name):
        return station_dump.render_iw(self.stations(name))

    def routes(self, name):
        """babeld's view (its local socket, read from the host): neighbours and routes."""
        node = self.node(name)
        path = "/proc/%d/root/run/babeld.sock" % node.router.pid
        text = babel_dump(path)
        neighbours, routes = [], []
        for line in text.splitlines():
            fields = line.split()
            if len(fields) < 3 or fields[0] != "add":
                continue
            entry = dict(zip(fields[3::2], fields[4::2]), id=fields[2])
            (neighbours if fields[1] == "neighbour" else routes if fields[1] == "route"
             else []).append(entry)
        return {"node": name, "neighbours": neighbours, "routes": routes}

    def address_of(self, target):
        if target in self.nodes:
            return self.nodes[target].mesh_ip
        if self.backhaul is not None and target == self.backhaul.label:
            return BACKHAUL_HOST_IP
        try:
            return str(ipaddress.ip_address(target))
        except ValueError as err:
            raise WMNError("%r is neither a mesh node, the backhaul nor an address"
                           % target) from err

    def probe(self, source, target, count=20, interval_s=0.1, timeout_s=1.0):
        """Ping from a router: sent, received, delivery ratio, RTTs, longest gap."""
        node = self.node(source)
        address = self.address_of(target)
        if not 1 <= count <= 10000 or not 0.01 <= interval_s <= 10:
            raise WMNError("count must be 1..10000 and interval_s 0.01..10")
        argv = ["ping", "-n", "-D", "-i", "%g" % interval_s, "-c", str(count), "-W",
                "%g" % timeout_s, address]
        budget = count * interval_s + timeout_s + 10
        out = node.router.engine.exec_wait(node.router.container_name, argv, timeout=budget)
        return dict(parse_ping(out, count, interval_s), source=source, target=target,
                    address=address)

    def summary(self):
        return {"backend": "userspace", "netem": self.net.netem_available,
                "medium_alive": self.medium_alive(), "model": model_params(self.model),
                "daemon": "babeld", "hello_interval_s": self.hello_interval_s,
                "retry_limit": self.retry_limit, "airtime": self.airtime,
                "nodes": sorted(self.nodes),
                "gateways": sorted(n for n, node in self.nodes.items() if node.gateway),
                "backhaul": self.backhaul.label if self.backhaul else None,
                "failed": {n: node.failed for n, node in self.nodes.items() if node.failed},
                "partition": [sorted(g) for g in self.partition_groups],
                "uptime_s": round(time.time() - self.started_at, 1)
                if self.started_at else None}

    def node_view(self, name):
        node = self.node(name)
        return {"name": name, "position": list(node.position), "gateway": node.gateway,
                "failed": node.failed, "mesh_ip": node.mesh_ip, "mac": node.mac,
                "lan": str(node.lan), "pop": node.name, "router": node.router_name}

    def links_view(self):
        counters = {}
        if self.client is not None:
            counters = {(p["src"], p["dst"]): p for p in self.client.call("stats")["pairs"]}
        rows = []
        for a in self.nodes:
            for b in self.nodes:
                if a >= b:
                    continue
                quality, override, up = self.link_state(a, b)
                if not quality.in_range and override is None:
                    continue
                rows.append({"a": a, "b": b, "distance_m": round(quality.distance_m, 1),
                             "in_range": quality.in_range, "up": up,
                             "rssi_dbm": quality.rssi_dbm, "snr_db": quality.snr_db,
                             "rate_mbit": quality.rate_mbit,
                             "per1000": None if quality.per1000 is None else
                             round(quality.per1000, 5),
                             "override": override.as_dict() if override else None,
                             "counters": {"a_to_b": counters.get((a, b)),
                                          "b_to_a": counters.get((b, a))}})
        return rows


def model_params(model):
    return dict(model.__dict__, name=type(model).__name__)


def babel_dump(path, timeout_s=5):
    """`dump` on babeld's read-only local socket, up to its final "ok"."""
    if not os.path.exists(path):
        raise RuntimeError("babeld is not running (no %s)" % path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(path)
        data = b""
        while not data.endswith(b"ok\n"):       # the banner ends with "ok"
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.sendall(b"dump\n")
        data = b""
        while not data.endswith(b"ok\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


PING_REPLY = re.compile(r"^\[(\d+\.\d+)\].*icmp_seq=(\d+).*time=([\d.]+) ms", re.M)


def parse_ping(out, count, interval_s):
    replies = [(float(t), int(seq), float(rtt)) for t, seq, rtt in PING_REPLY.findall(out)]
    received = len({seq for _, seq, _ in replies})
    rtts = [rtt for _, _, rtt in replies]
    seqs = sorted(seq for _, seq, _ in replies)
    # The longest run of lost replies, in seconds of sending time.
    gap, previous = 0.0, 0
    for seq in seqs + [count + 1]:
        gap = max(gap, (seq - previous - 1) * interval_s)
        previous = seq
    return {"sent": count, "received": received, "pdr": round(received / count, 4),
            "rtt_min_ms": min(rtts) if rtts else None,
            "rtt_avg_ms": round(sum(rtts) / len(rtts), 3) if rtts else None,
            "rtt_max_ms": max(rtts) if rtts else None,
            "longest_gap_s": round(gap, 3)}
