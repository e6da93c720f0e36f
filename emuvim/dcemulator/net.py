"""DCNetwork: a multi-PoP network of OVS switches and Docker VNFs.

Compatible with vim-emu's ``emuvim.dcemulator.net.DCNetwork``.  One object
owns everything it creates (containers, bridges, veths, the controller
process), labelled with its run id; ``stop()`` removes exactly those, and
``vim-emu clean`` removes what a crashed run left behind.
"""

import atexit
import logging
import os
import resource
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import networkx as nx
from mininet.net import Mininet
from mininet.node import RemoteController
from mininet.log import output
from mininet.util import ipAdd

from emuvim.dcemulator import hostaccess, netlink, system
from emuvim.dcemulator.controller import backend_for
from emuvim.dcemulator.docker_host import DockerEngine, DockerHost
from emuvim.dcemulator.links import (EmuIntf, EmuLink, NetemUnavailable, PatchLink,
                                     check_mac, needs_netem, needs_shaping, probe_qdisc,
                                     shaping_attributes)
from emuvim.dcemulator.node import Datacenter, EmulatorCompute, EmulatorExtSAP
from emuvim.dcemulator.ownership import LABEL_RUN, RunIdentity, RunRecord
from emuvim.dcemulator.resourcemodel import CPU_PERIOD, ResourceModelRegistrar
from emuvim.dcemulator.monitoring import Monitoring
from emuvim.dcemulator.sdn import Chaining, Topology
from emuvim.dcemulator.switch import (EmuSwitch, VsctlBatcher, attach_ports, choose_datapath,
                                     choose_port_type, delete_bridges, list_bridges,
                                     start_switches)

log = logging.getLogger(__name__)

EXTSAPDPID_BASE = 2000
SWITCHDPID_BASE = 3000
NETEM_POLICIES = ("error", "warn")


class DCNetwork(Mininet):
    """Emulated multi-PoP infrastructure (vim-emu compatible)."""

    def __init__(self, controller=RemoteController, monitor=False, enable_learning=False,
                 dc_emulation_max_cpu=1.0, dc_emulation_max_mem=512,
                 datapath="auto", port_type=None, netem_missing=None, patch_links=True,
                 docker_engine=None, allow_host_access=None, **kwargs):
        """
        controller: RemoteController (our os-ken app, as in vim-emu), Mininet's
            Controller (OVS learns by itself), None, or a ControllerBackend.
        enable_learning: L2 learning in the switches (else only chains forward).
        datapath: "auto" (kernel if the OVS module exists), "kernel" or "user".
        port_type: OVS type of unshaped ports on the userspace datapath:
            "system" (default: plain ports, ~10 ms to add), "auto" (afxdp-nonpmd
            where OVS has it: ~1.7x the TCP throughput, ~100 ms to add a port),
            "afxdp-nonpmd", or "afxdp" (fastest, busy-polls a core);
            EMUVIM_PORT_TYPE sets the default.
        patch_links: unshaped switch-to-switch links become OVS patch links
            (no veth; much faster on the userspace datapath); False keeps veths.
        netem_missing: what a link asking for delay/jitter/loss does when the
            kernel has no sch_netem: "error" (default) or "warn" (shape
            bandwidth only); EMUVIM_NETEM_MISSING sets the default.
        allow_host_access: service packages and API calls may ask for any
            capability, host device or namespace (default: refused, see
            emuvim.dcemulator.hostaccess); EMUVIM_ALLOW_HOST_ACCESS=1 sets it.
        kwargs: passed to Mininet (ipBase, autoSetMacs, switch=, link=, ...).
        """
        self.allow_host_access = (hostaccess.allowed_by_environment()
                                  if allow_host_access is None else bool(allow_host_access))
        self.dcs = {}
        self.deployed_nsds, self.deployed_elines, self.deployed_elans = [], [], []
        self.chaining = Chaining(Topology(self), lambda: self.flow_installer)
        self._installer = None
        self.monitoring = Monitoring(self)
        self.enable_learning = enable_learning
        self.monitor_agent = None
        # monitor=True (vim-emu) needs nothing: metrics are read at scrape time.
        self.cpu_period = CPU_PERIOD
        self.rm_registrar = ResourceModelRegistrar(dc_emulation_max_cpu, dc_emulation_max_mem)
        self.DCNetwork_graph = nx.MultiDiGraph()
        self.datapath = choose_datapath(datapath)
        self.port_type = choose_port_type(port_type, self.datapath)
        self.netem_missing = netem_missing or os.environ.get("EMUVIM_NETEM_MISSING", "error")
        if self.netem_missing not in NETEM_POLICIES:
            raise ValueError("netem_missing must be one of %s" % (NETEM_POLICIES,))
        self._netem_available = None
        self.patch_links = patch_links
        self.controller_backend = backend_for(controller, enable_learning)
        self._own_engine = docker_engine is None
        self.docker_engine = docker_engine or DockerEngine()
        self.identity = RunIdentity.new()
        self.record = RunRecord(self.identity)
        self._lock = threading.RLock()
        self.vsctl_batcher = VsctlBatcher()    # concurrent port changes share transactions
        self._pending_names = set()
        self._stop_hooks = []
        self._service_sources = []
        self._next_dpid = SWITCHDPID_BASE
        self._host_bridges = None
        self.started = False
        self.stopped = False
        kwargs.setdefault("switch", EmuSwitch)
        kwargs.setdefault("link", EmuLink)
        kwargs.setdefault("intf", EmuIntf)
        Mininet.__init__(self, controller=None, **kwargs)
        self.record.create()
        _stop_at_exit(self)
        log.info("DCNetwork %s: datapath=%s ports=%s controller=%s", self.identity.run_id,
                 self.datapath, self.port_type, type(self.controller_backend).__name__)

    @classmethod
    def init(cls):
        """Mininet.init() without its host-wide sysctl changes."""
        if os.getuid() != 0:
            raise PermissionError("the emulator must run as root (it creates bridges, "
                                  "veths and containers)")
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

    # -- PoPs ---------------------------------------------------------------------

    def ping(self, hosts=None, timeout=None, manualdestip=None):
        """Mininet's ping test; returns the packet loss in percent.

        manualdestip (Containernet's signature, used by vim-emu's and
        son-emu's tests): every host pings that address once instead of each
        other.
        """
        if manualdestip is None:
            return Mininet.ping(self, hosts, timeout)
        hosts = self.hosts if hosts is None else hosts
        options = "-W %s" % timeout if timeout else ""
        output("*** Ping: testing ping reachability of %s\n" % manualdestip)
        sent_total = lost = 0
        for node in hosts:
            sent, received = self._parsePing(node.cmd("ping -c1 %s %s" % (
                options, manualdestip)))
            sent_total, lost = sent_total + sent, lost + sent - received
            output("%s -> %s\n" % (node.name, manualdestip if received else "X"))
        loss = 100.0 * lost / sent_total if sent_total else 0.0
        output("*** Results: %i%% dropped (%d/%d received)\n" % (
            loss, sent_total - lost, sent_total))
        return loss

    def addDatacenter(self, label, metadata=None, resource_log_path=None):
        with self._lock:
            if label in self.dcs:
                raise system.AlreadyExists("Data center label already exists: %s" % label)
            dc = Datacenter(label, metadata=metadata, resource_log_path=resource_log_path,
                            name=self._free_dc_name())
            dc.net = self
            dc.create()
            self.dcs[label] = dc
        return dc

    def _free_dc_name(self):
        """The lowest dc<N> whose bridge exists neither here nor on the host.

        The host's bridges are read once; a bridge another run creates later
        makes our bridge creation fail with a clear error instead.
        """
        if self._host_bridges is None:
            self._host_bridges = set(list_bridges())
        taken = self._host_bridges | {n.name for n in self.switches}
        index = 1
        while "dc%d.s1" % index in taken:
            index += 1
        return "dc%d" % index

    def getAllContainers(self):
        return [c for dc in self.dcs.values() for c in dc.listCompute()]

    def getNodeByName(self, name):
        return self.nameToNode.get(name)

    # -- chains and E-LANs (vim-emu's names; the work is done by self.chaining) ----

    @property
    def flow_installer(self):
        """How flows reach the switches: through the controller, or ovs-ofctl."""
        if self._installer is None:
            self._installer = self.controller_backend.flow_installer()
        return self._installer

    def setChain(self, vnf_src_name, vnf_dst_name, vnf_src_interface=None,
                 vnf_dst_interface=None, **kwargs):
        return self.chaining.set_chain(vnf_src_name, vnf_dst_name, vnf_src_interface,
                                       vnf_dst_interface, **kwargs)

    setChain.__doc__ = Chaining.set_chain.__doc__

    def setChains(self, requests):
        return self.chaining.set_chains(requests)

    setChains.__doc__ = Chaining.set_chains.__doc__

    def deleteChainsByCookie(self, cookie):
        return self.chaining.delete_by_cookie(cookie)

    def unused_cookie(self, start=1):
        return self.chaining.unused_cookie(start)

    def listChains(self):
        return self.chaining.list_chains()

    def setLAN(self, vnf_list, cookie=None):
        return self.chaining.set_lan(vnf_list, cookie)

    def delLAN(self, lan):
        return self.chaining.del_lan(lan)

    def listLANs(self):
        return self.chaining.list_lans()

    def getInterfaceCounters(self, vnf_name, vnf_interface=None):
        return self.chaining.interface_counters(vnf_name, vnf_interface)

    def getCookieCounters(self, cookie):
        return self.chaining.cookie_counters(cookie)

    @property
    def vlans(self):
        return self.chaining.vlans

    @property
    def installed_chains(self):
        return self.chaining.chains

    @property
    def installed_lans(self):
        return self.chaining.lans

    @property
    def installed_monitors(self):
        return self.chaining.monitors

    # -- switches -----------------------------------------------------------------

    def addSwitch(self, name, add_to_graph=True, controlled=True, **params):
        """A switch; controlled=False keeps it away from the controller (ext SAPs)."""
        with self._lock:
            self._check_free_name(name)
            params.setdefault("failMode", self.controller_backend.fail_mode)
            params.setdefault("datapath", self.datapath)
            params.setdefault("port_type", self.port_type)
            params.setdefault("external_ids", self.identity.ovs_external_ids())
            params.setdefault("dpid", self._default_dpid(name))
            cls = params.get("cls") or self.switch
            if isinstance(cls, type) and issubclass(cls, EmuSwitch):
                params.setdefault("vsctl_batcher", self.vsctl_batcher)
            switch = Mininet.addSwitch(self, name, **params)
            switch.controlled = controlled
            if self.started:
                try:
                    switch.start(self.controller_backend.targets() if controlled else [])
                    if controlled:
                        self.controller_backend.wait_switches([switch])
                except BaseException:
                    self.switches.remove(switch)
                    del self.nameToNode[name]
                    switch.stop()
                    raise
            if add_to_graph:
                self.DCNetwork_graph.add_node(name, type=params.get("type", "switch"))
        return switch

    def _default_dpid(self, name):
        """Mininet's dpid-from-name (s3 -> 3) unless taken; else the next free one."""
        taken = {int(s.dpid, 16) for s in self.switches}
        digits = "".join(ch if ch.isdigit() else " " for ch in name).split()
        if digits and int(digits[0]) not in taken:
            return "%016x" % int(digits[0])
        while self._next_dpid in taken:
            self._next_dpid += 1
        self._next_dpid += 1
        return "%016x" % (self._next_dpid - 1)

    # -- containers ---------------------------------------------------------------

    def addDocker(self, label, **params):
        """Start a container node; other names must not be taken yet."""
        node_type = params.pop("type", "docker")
        cls = params.pop("cls", None) or EmulatorCompute
        with self._lock:
            self._check_free_name(label)
            self._pending_names.add(label)
        try:
            # The slow part (container create + start) runs outside the lock so
            # several nodes can start concurrently.
            node = cls(label, engine=self.docker_engine,
                       labels=self.identity.docker_labels(), **params)
        finally:
            with self._lock:
                self._pending_names.discard(label)
        with self._lock:
            self.hosts.append(node)
            self.nameToNode[label] = node
            self.DCNetwork_graph.add_node(label, type=node_type)
        return node

    def removeDocker(self, label, keep_container=False, stop_timeout=10, **params):
        """Take a container node out of the network (links, chains, flows) and
        remove its container, or only stop it with keep_container=True."""
        with self._lock:
            node = self.nameToNode.get(label)
            if node is None:
                raise LookupError("no node named %s" % label)
            self.chaining.forget_node(label)
            self.monitoring.forget_vnf(label)
            for link in [l for l in self.links if node in (l.intf1.node, l.intf2.node)]:
                # Explicitly: namespace teardown after `docker rm` is asynchronous
                # and would leave the switch-side veth around for a while.
                self._delete_link(link)
            if self.DCNetwork_graph.has_node(label):
                self.DCNetwork_graph.remove_node(label)
            self.hosts.remove(node)
            del self.nameToNode[label]
        if keep_container:
            node.stop_container(stop_timeout)
        else:
            node.terminate()

    def _check_not_stopped(self):
        if self.stopped:
            raise RuntimeError("this network (run %s) is stopped; create a new DCNetwork"
                               % self.identity.run_id)

    def _check_free_name(self, name):
        self._check_not_stopped()
        if name in self.nameToNode or name in self._pending_names:
            raise system.AlreadyExists("a node named %r already exists" % name)

    # -- external SAPs ------------------------------------------------------------

    def addExtSAP(self, sap_name, sap_ip, **params):
        """A host-side access point: an OVS bridge whose own port has `sap_ip`."""
        switch = self.addSwitch(sap_name, add_to_graph=False, controlled=False,
                                failMode="standalone",
                                dpid="%016x" % (EXTSAPDPID_BASE + len(self.switches) + 1))
        self.DCNetwork_graph.add_node(sap_name, type=params.get("type", "sap_ext"))
        sap = EmulatorExtSAP(sap_name, switch, sap_ip)
        switch.ext_sap = sap
        if self.started:
            sap.configure_address()
        return sap

    def removeExtSAP(self, sap_name):
        switch = self.nameToNode.get(sap_name)
        if switch is None or not hasattr(switch, "ext_sap"):
            raise LookupError("no external SAP named %s" % sap_name)
        with self._lock:
            self.chaining.forget_node(sap_name)
            for link in [l for l in self.links if switch in (l.intf1.node, l.intf2.node)]:
                self._delete_link(link)
            if self.DCNetwork_graph.has_node(sap_name):
                self.DCNetwork_graph.remove_node(sap_name)
            self.switches.remove(switch)
            del self.nameToNode[sap_name]
        switch.stop()

    # -- links --------------------------------------------------------------------

    def _resolve(self, node):
        if isinstance(node, Datacenter):
            return node.switch
        if isinstance(node, EmulatorExtSAP):
            return node.switch
        if isinstance(node, str):
            if node in self.dcs:
                return self.dcs[node].switch
            if node not in self.nameToNode:
                raise LookupError("unknown node or data center %r" % node)
            return self.nameToNode[node]
        return node

    @property
    def netem_available(self):
        if self._netem_available is None:
            self._netem_available = probe_qdisc("netem delay 1ms")
        return self._netem_available

    def _check_netem(self, node1, node2, params):
        if not needs_netem(params) or self.netem_available:
            return params
        message = ("link %s<->%s asks for delay/jitter/loss (%s) but this kernel has no "
                   "sch_netem qdisc" % (node1, node2, ", ".join(
                       "%s=%s" % (k, params[k]) for k in ("delay", "jitter", "loss")
                       if params.get(k) is not None)))
        if self.netem_missing == "error":
            raise NetemUnavailable(message + "; pass DCNetwork(netem_missing='warn') or set "
                                   "EMUVIM_NETEM_MISSING=warn to continue without them")
        log.warning("%s: continuing without delay/jitter/loss", message)
        return {k: v for k, v in params.items() if k not in ("delay", "jitter", "loss")}

    def _next_host_ip(self):
        ip = ipAdd(self.nextIP, ipBaseNum=self.ipBaseNum, prefixLen=self.prefixLen)
        self.nextIP += 1
        return "%s/%d" % (ip, self.prefixLen)

    def getNextIp(self):
        with self._lock:
            return self._next_host_ip()

    def addLink(self, node1, node2, port1=None, port2=None, cls=None, **params):
        """Link two nodes (Datacenter objects, PoP labels, node names or nodes)."""
        return self.addLinks([dict(params, node1=node1, node2=node2, port1=port1,
                                   port2=port2, cls=cls)])[0]

    def addLinks(self, specs, port_batch=None):
        """Several links at once, all or none: [{node1, node2, and addLink's
        other arguments}].  A VNF's interfaces come this way, so their switch
        ports are added in one OVSDB transaction; with a switch.PortBatch,
        they wait in it for the batch's commit()."""
        self._check_not_stopped()
        prepared = [self._prepare_link(**spec) for spec in specs]
        links = []
        try:
            with self._lock:
                for node1, node2, port1, port2, cls, params in prepared:
                    links.append(self._make_link(node1, node2, port1, port2, cls, params))
            # Under the lock only the Python side was made (ports reserved,
            # names, addresses).  The devices, their addresses and offloads,
            # and the OVS ports need no shared state: outside it, concurrent
            # VNF starts overlap.
            with netlink.Session() as session:      # a VNF's namespace opened once
                for link in links:
                    if isinstance(link, EmuLink):
                        link.realize(session)
            ports = [intf for link in links for intf in (link.intf1, link.intf2)
                     if isinstance(intf.node, EmuSwitch) and intf.node.started]
            if port_batch is not None:
                port_batch.add(ports)
            else:
                attach_ports(ports)
        except BaseException:
            with self._lock:
                for link in links:
                    self._delete_link(link)
            raise
        with self._lock:
            for link, (*_nodes, params) in zip(links, prepared):
                self._add_graph_edges(link, params)
        return links

    def _prepare_link(self, node1, node2, port1=None, port2=None, cls=None, **params):
        node1, node2 = self._resolve(node1), self._resolve(node2)
        params = self._check_netem(node1, node2, params)
        if cls is None or cls.__module__ == "mininet.link":
            # mininet.link.Link/TCLink map onto ours (same parameters).
            both_switches = all(isinstance(n, EmuSwitch) for n in (node1, node2))
            patch = self.patch_links and both_switches and not needs_shaping(params)
            cls = PatchLink if patch else self.link
        return node1, node2, port1, port2, cls, params

    def _make_link(self, node1, node2, port1, port2, cls, params):
        """The link's Python side (called under the lock; `params` completed in place)."""
        self._hand_port_type_to_switch(node1, node2, params)
        for node, key, addr in ((node1, "params1", "addr1"), (node2, "params2", "addr2")):
            side = dict(params.get(key) or {})
            if side.get("mac"):
                # The MAC is set when the veth is created (Mininet's addr1/addr2).
                params[addr] = check_mac(side.pop("mac"))
            if isinstance(node, DockerHost) and not side.get("ip"):
                side["ip"] = self._first_ip_param(node) or self._next_host_ip()
            params[key] = side
        if any(getattr(n, "userspace", False) for n in (node1, node2)):
            # OVS's userspace datapath forwards frames with partial checksums
            # unfixed: TCP over veth stalls unless TX offload is off.
            params.setdefault("txo", False)
            params.setdefault("rxo", False)
        params.setdefault("owner_alias", self.identity.veth_alias())
        options = dict(params)
        if isinstance(cls, type) and issubclass(cls, EmuLink):
            options["defer"] = True
        return Mininet.addLink(self, node1, node2, port1, port2, cls=cls, **options)

    @staticmethod
    def _hand_port_type_to_switch(node1, node2, params):
        """A VNF interface's `port_type` is about the switch port at the other end."""
        sides = ((node1, "params1", node2, "params2"), (node2, "params2", node1, "params1"))
        for node, key, other, other_key in sides:
            side = dict(params.get(key) or {})
            if "port_type" in side and not isinstance(node, EmuSwitch):
                port_type = side.pop("port_type")
                params[key] = side
                if isinstance(other, EmuSwitch) and port_type is not None:
                    params[other_key] = dict(params.get(other_key) or {}, port_type=port_type)

    def _first_ip_param(self, node):
        """A Docker node's `ip` parameter applies to its first interface only."""
        if node.intfList():
            return None
        return node.params.get("ip")

    def _add_graph_edges(self, link, params):
        attrs = shaping_attributes(params)
        ends = [(link.intf1, params.get("params1") or {}), (link.intf2, params.get("params2") or {})]
        for (src, src_params), (dst, dst_params) in (ends, ends[::-1]):
            src_port = src.node.ports[src]
            dst_port = dst.node.ports[dst]
            self.DCNetwork_graph.add_edge(
                src.node.name, dst.node.name,
                src_port_id=src_params.get("id", src_port), src_port_nr=src_port,
                src_port_name=src.name, dst_port_id=dst_params.get("id", dst_port),
                dst_port_nr=dst_port, dst_port_name=dst.name, **attrs)

    def removeLink(self, link=None, node1=None, node2=None):
        """Remove `link`, or every link between node1 and node2."""
        with self._lock:
            if link is None:
                node1, node2 = self._resolve(node1), self._resolve(node2)
                links = self.linksBetween(node1, node2)
                if not links:
                    raise LookupError("no link between %s and %s" % (node1, node2))
            else:
                links = [link]
            for item in links:
                self._delete_link(item)

    def _delete_link(self, link):
        self._forget_link(link)
        self._detach_from_switches(link)
        link.delete()

    def _forget_link(self, link):
        if link in self.links:
            self.links.remove(link)
        a, b = link.intf1.node.name, link.intf2.node.name
        for src, dst, src_port in ((a, b, link.intf1.name), (b, a, link.intf2.name)):
            if not self.DCNetwork_graph.has_edge(src, dst):
                continue
            for key, data in list(self.DCNetwork_graph[src][dst].items()):
                if data.get("src_port_name") == src_port:
                    self.DCNetwork_graph.remove_edge(src, dst, key)

    @staticmethod
    def _detach_from_switches(link):
        for intf in (link.intf1, link.intf2):
            if isinstance(intf.node, EmuSwitch):
                if intf.node.started:
                    intf.node.detach(intf)
                intf.node.delIntf(intf)

    # -- lifecycle ----------------------------------------------------------------

    def start(self):
        """Start the controller and all switches (containers are already running)."""
        if self.started:
            return
        if not self.built:
            self.build()
        self.controller_backend.start(self.record)
        targets = self.controller_backend.targets()
        pending = [s for s in self.switches if not s.started]
        controlled = [s for s in pending if getattr(s, "controlled", True)]
        start_switches(controlled, targets)
        start_switches([s for s in pending if s not in controlled], [])
        self.controller_backend.wait_switches(controlled)
        self.controller_backend.watch(self.chaining.reinstall_flows)
        for switch in self.switches:
            if hasattr(switch, "ext_sap"):
                switch.ext_sap.configure_address()
        self.started = True

    def configHosts(self):
        """Configure plain Mininet hosts; Docker nodes are configured per link."""
        for host in self.hosts:
            if not isinstance(host, DockerHost):
                host.configDefault(**({} if host.defaultIntf() else {"ip": None, "mac": None}))

    def stop(self):
        """Remove everything this network created; safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        errors = []
        for hook in reversed(self._stop_hooks):
            errors.extend(_capture_errors(hook))
        errors.extend(_capture_errors(self._delete_root_veths))
        containers = [h for h in self.hosts if isinstance(h, DockerHost)]
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                for result in pool.map(_capture_errors, [c.terminate for c in containers]):
                    errors.extend(result)
        except RuntimeError:
            # At interpreter exit (the atexit path) no new threads may start.
            for container in containers:
                errors.extend(_capture_errors(container.terminate))
        for host in self.hosts:
            if not isinstance(host, DockerHost):
                errors.extend(_capture_errors(host.terminate))
        errors.extend(_capture_errors(self._remove_detached_docker_objects))
        errors.extend(_capture_errors(self._delete_bridges))
        errors.extend(_capture_errors(self.controller_backend.stop))
        if self._own_engine:
            errors.extend(_capture_errors(self.docker_engine.close))
        self.record.remove()
        self.hosts, self.links = [], []
        for dc in self.dcs.values():
            dc.containers.clear()
        for err in errors:
            log.warning("while stopping %s: %s", self.identity.run_id, err)

    def add_service_source(self, source):
        """Register an object whose `service_groups()` lists the service
        instances it runs on this network (the LLCM does), so that views such
        as the dashboard can group VNFs by service.  The core never reads
        inside the groups."""
        if source not in self._service_sources:
            self._service_sources.append(source)

    def remove_service_source(self, source):
        if source in self._service_sources:
            self._service_sources.remove(source)

    def service_groups(self):
        groups = []
        for source in list(self._service_sources):
            try:
                groups.extend(source.service_groups())
            except Exception as err:     # one broken source must not hide the others
                log.warning("service source %r failed: %s", source, err)
        return groups

    def add_stop_hook(self, hook):
        """Call `hook()` first thing in stop() (scenarios on top of the core,
        e.g. the WMN's radio medium, stop their helpers there)."""
        self._stop_hooks.append(hook)

    def _remove_detached_docker_objects(self):
        """Containers of this run that are no nodes (created or stopped through
        the Docker-VIM API), then the Docker networks of this run."""
        label = {LABEL_RUN: self.identity.run_id}
        self.docker_engine.remove_containers(self.docker_engine.labelled_container_ids(**label))
        self.docker_engine.remove_networks(self.docker_engine.labelled_network_names(**label))

    def _delete_root_veths(self):
        """Delete every link's root-namespace end in one go (its peer goes too).

        Done before containers are removed: the kernel destroys a removed
        container's namespace asynchronously, so waiting for it would race.
        """
        ends = (_root_end(l) for l in self.links if not isinstance(l, PatchLink))
        names = [end.name for end in ends if end is not None]
        if names:
            system.run(["ip", "-force", "-batch", "-"],
                       input_text="".join("link del dev %s\n" % n for n in names), check=False)

    def _delete_bridges(self):
        delete_bridges([s.name for s in self.switches if isinstance(s, EmuSwitch)])
        for switch in self.switches:
            switch.started = False
            switch.terminate()

    def CLI(self, **kwargs):
        """Mininet's CLI, accepting the emulator's node names (vnf0.vdu01.0)."""
        from emuvim.dcemulator.mncli import EmulatorCLI
        EmulatorCLI(self, **kwargs)


def _root_end(link):
    """The end of `link` in the root namespace, if any."""
    for intf in (link.intf1, link.intf2):
        if intf is not None and not intf.node.inNamespace:
            return intf
    return None


def _capture_errors(func):
    try:
        func()
        return []
    except Exception as err:  # collected and logged: stop() must get through
        return [err]


def _stop_at_exit(net):
    """Stop a network its script forgot to stop (normal exit or exception)."""
    ref = weakref.ref(net)

    def stop_if_running():
        live = ref()
        if live is not None and not live.stopped:
            live.stop()

    atexit.register(stop_if_running)
