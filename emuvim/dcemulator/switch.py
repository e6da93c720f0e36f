"""Open vSwitch switches.

The datapath is chosen per machine: the kernel datapath where the
openvswitch module is available, the userspace (netdev) datapath otherwise.
On the userspace datapath TCP over veth needs TX checksum offload off on
both veth ends; links attached to such switches are configured that way.
"""

import json
import logging
import os
import re
import threading

from mininet.node import OVSSwitch

from emuvim.dcemulator import netlink, system
from emuvim.dcemulator.links import PatchIntf, check_intf_name, needs_shaping

log = logging.getLogger(__name__)

DATAPATHS = ("kernel", "user")


class SwitchError(RuntimeError):
    pass


def kernel_datapath_available():
    """True if the openvswitch kernel module is loaded or loadable."""
    if os.path.isdir("/sys/module/openvswitch"):
        return True
    return system.succeeds(["modprobe", "-q", "openvswitch"])


def choose_datapath(requested=None):
    """'kernel' or 'user'; `requested` (or EMUVIM_DATAPATH) forces one."""
    requested = requested or os.environ.get("EMUVIM_DATAPATH") or "auto"
    if requested in ("auto", None):
        return "kernel" if kernel_datapath_available() else "user"
    if requested not in DATAPATHS:
        raise ValueError("datapath must be 'kernel', 'user' or 'auto', not %r" % requested)
    return requested


PORT_TYPES = ("system", "afxdp", "afxdp-nonpmd")


def supported_interface_types():
    out = system.run(["ovs-vsctl", "--timeout=10", "get", "Open_vSwitch", ".", "iface_types"],
                     check=False)
    return {t.strip() for t in out.strip().strip("[]").split(",") if t.strip()}


def choose_port_type(requested, datapath):
    """OVS interface type for unshaped ports.

    Plain (AF_PACKET) ports are the default: they take ~10 ms to add.  AF_XDP
    ports give ~1.7x the TCP throughput on the userspace datapath but take
    ~100 ms each to add, which would double a VNF's start time.  "auto" picks
    "afxdp-nonpmd" where OVS has it (the PMD variant "afxdp" is faster still
    but busy-polls a whole core even when idle).  The kernel datapath always
    uses plain ports.
    """
    requested = requested or os.environ.get("EMUVIM_PORT_TYPE") or "system"
    if requested != "auto" and requested not in PORT_TYPES:
        raise ValueError("port_type must be 'auto' or one of %s, not %r" % (PORT_TYPES, requested))
    if datapath != "user":
        return "system"
    if requested == "auto":
        return "afxdp-nonpmd" if "afxdp-nonpmd" in supported_interface_types() else "system"
    return requested


def interface_errors(names):
    """{interface: error text} for those of `names` that OVS failed to open."""
    if not names:
        return {}
    out = vsctl("--format=json", "--", "--columns=name,error", "list", "Interface", *names)
    return {name: err for name, err in json.loads(out)["data"] if isinstance(err, str) and err}


def vsctl(*args, timeout_s=30):
    return system.run(["ovs-vsctl", "--timeout=%d" % timeout_s] + [str(a) for a in args],
                      timeout=timeout_s + 10)


def list_bridges():
    """{bridge name: external_ids dict} of every OVS bridge on the host."""
    out = vsctl("--format=json", "--", "--columns=name,external_ids", "list", "Bridge")
    bridges = {}
    for name, ext in json.loads(out)["data"]:
        bridges[name] = dict(ext[1]) if ext and ext[0] == "map" else {}
    return bridges


def set_port_tags(tags):
    """Make ports VLAN access ports ({port: vid}) or trunks again ({port: None})."""
    args = []
    for port, vid in sorted(tags.items()):
        args += ["--", "set", "Port", port, "tag=%d" % vid] if vid is not None else \
            ["--", "clear", "Port", port, "tag"]
    if args:
        vsctl(*args)


# Bridges created per OVSDB transaction: vswitchd reconfigures after each
# transaction, and creating 1024 bridges in one outlasted ovs-vsctl's time
# limit (22 s against 15.6 s in chunks of 128).  Deleting is the other way
# round: one transaction for 1024 bridges took 33 s, chunks of 128 took 41 s.
CHUNK = 128
CHUNK_TIMEOUT_S = 120
DELETE_S_PER_BRIDGE = 0.1      # the limit of one deletion transaction grows with it


def delete_bridges(names):
    """Delete the named bridges (missing ones are fine) in one transaction.

    Their local ports go first, in one kernel batch: the transaction alone
    would remove them one by one at ~20 ms each.
    """
    names = list(names)
    if not names:
        return
    try:
        netlink.delete_tap_devices(names)
    except RuntimeError as err:
        # At interpreter exit (a script's atexit stop) no new threads may
        # start: expected, and the transaction below removes them anyway.
        log.debug("bridges' local ports not removed in one batch: %s", err)
    except Exception as err:     # the transaction below removes them anyway, slower
        log.warning("could not remove the bridges' local ports in one batch: %s", err)
    args = []
    for name in names:
        args += ["--", "--if-exists", "del-br", name]
    vsctl(*args, timeout_s=max(30, int(DELETE_S_PER_BRIDGE * len(names))))


def start_switches(switches, targets):
    """Create `switches` with ports and controllers, CHUNK per OVSDB transaction."""
    if not switches:
        return
    for start in range(0, len(switches), CHUNK):
        args = []
        for switch in switches[start:start + CHUNK]:
            args += switch.creation_args(targets)
        try:
            vsctl(*args, timeout_s=CHUNK_TIMEOUT_S)
        except system.CommandError as err:
            raise SwitchError(_explain_failure(err, switches)) from err
    for switch in switches:
        switch.started = True
        switch.fall_back_to_plain_ports(switch.intfList())
        for intf in switch.intfList():
            switch.TCReapply(intf)


def _explain_failure(err, switches):
    existing = list_bridges()
    taken = ["%s (owned by %s)" % (s.name, existing[s.name].get("emuvim-run", "someone else"))
             for s in switches if s.name in existing]
    if taken:
        return "OVS bridge names already in use: %s" % ", ".join(taken)
    return "creating OVS bridges failed: %s" % err.stderr


def _ovsdb_map(values):
    return "{%s}" % ",".join('"%s"="%s"' % item for item in sorted(values.items()))


class VsctlBatcher:
    """ovs-vsctl commands of concurrent callers, run as one transaction.

    Group commit: the first caller runs everything queued so far in one
    ovs-vsctl (one process, one vswitchd reconfiguration); callers arriving
    meanwhile queue up for the next one.  When a combined transaction fails,
    each command runs alone so the failure reaches its own caller only.
    A network owns one for all its switches.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._queue = []
        self._busy = False

    def run(self, args):
        ticket = {"args": list(args), "done": False, "error": None}
        with self._cond:
            self._queue.append(ticket)
            while self._busy and not ticket["done"]:
                self._cond.wait()
            if not ticket["done"]:
                self._busy = True
                batch, self._queue = self._queue, []
        if not ticket["done"]:
            try:
                self._execute(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if ticket["error"] is not None:
            raise ticket["error"]

    @staticmethod
    def _execute(batch):
        try:
            vsctl(*[arg for ticket in batch for arg in ticket["args"]])
            failed = []
        except system.CommandError as err:
            failed = batch if len(batch) > 1 else []
            if len(batch) == 1:
                batch[0]["error"] = err
        for ticket in failed:
            try:
                vsctl(*ticket["args"])
            except system.CommandError as err:
                ticket["error"] = err
        for ticket in batch:
            ticket["done"] = True


def attach_ports(intfs):
    """Add the ports of `intfs` to their running bridges: one transaction per
    batcher (a network's), then AF_XDP fallbacks and shaping per port."""
    groups = {}
    for intf in intfs:
        batcher = intf.node.vsctl_batcher
        groups.setdefault(id(batcher), (batcher, []))[1].append(intf)
    for batcher, group in groups.values():
        batcher.run([arg for intf in group for arg in intf.node._add_port_args(intf)])
    for intf in intfs:
        intf.node.fall_back_to_plain_ports([intf])
        intf.node.TCReapply(intf)


class PortBatch:
    """Switch ports of several VNF starts, added in one transaction at commit().

    Every OVSDB transaction costs ovs-vswitchd a reconfiguration (~20 ms of
    CPU here, whatever its size): 96 ports in 96 transactions take it 2 s of
    CPU, in one 0.04 s.  An LLCM instance starts all its VNFs with one batch
    and commits it before it chains them.  Until then the VNFs' interfaces
    are up and addressed, but not on their switches.
    """

    def __init__(self):
        self._intfs = []
        self._lock = threading.Lock()

    def add(self, intfs):
        with self._lock:
            self._intfs.extend(intfs)

    def commit(self):
        """Attach what was added (ports of links removed since are skipped)."""
        with self._lock:
            pending, self._intfs = self._intfs, []
        attach_ports([intf for intf in pending if intf in intf.node.ports])


class EmuSwitch(OVSSwitch):
    """An OVS bridge owned by one emulator run.

    Differs from Mininet's OVSSwitch in three ways that matter on a shared
    host: it never deletes an existing bridge of the same name, it labels
    the bridge with the run's external_ids, and it runs ovs-vsctl/ovs-ofctl
    directly instead of through an interactive shell (which starts only if
    the user calls ``cmd()``).
    """

    def __init__(self, name, datapath="user", external_ids=None, port_type="system",
                 vsctl_batcher=None, **params):
        check_intf_name(name)
        self.external_ids = dict(external_ids or {})
        self.port_type = port_type
        # Ports added or removed while the bridge runs go through the
        # network's batcher: concurrent VNF starts share transactions.
        self.vsctl_batcher = vsctl_batcher or VsctlBatcher()
        self.started = False
        params.setdefault("protocols", "OpenFlow10,OpenFlow12,OpenFlow13")
        # Mininet's Switch.__init__ brings the root namespace's lo up through
        # the node's shell: lo is up already, and that shell (a bash per
        # switch, ~13 ms each) is what a 1024-PoP build must not pay for.
        self._constructing = True
        OVSSwitch.__init__(self, name, datapath=datapath, **params)
        self._constructing = False

    # Shell on demand only: 128 PoPs should not mean 128 idle bash processes.
    def startShell(self, mnopts=None):
        self.pid = None

    def _ensure_shell(self):
        if self.shell is None:
            OVSSwitch.startShell(self)

    def sendCmd(self, *args, **kwargs):
        self._ensure_shell()
        return OVSSwitch.sendCmd(self, *args, **kwargs)

    def cmd(self, *args, **kwargs):
        if getattr(self, "_constructing", False):
            return ""
        self._ensure_shell()
        return OVSSwitch.cmd(self, *args, **kwargs)

    @property
    def userspace(self):
        return self.datapath == "user"

    def vsctl(self, *args, **kwargs):
        return vsctl(*(" ".join(str(a) for a in args).split()))

    def dpctl(self, *args):
        """ovs-ofctl <cmd> <this bridge> <args>, OpenFlow 1.3."""
        argv = ["ovs-ofctl", "-O", "OpenFlow13", args[0], self.name]
        argv += [str(a) for a in args[1:]]
        return system.run(argv)

    def start(self, controllers):
        start_switches([self], controllers)

    def creation_args(self, targets):
        """ovs-vsctl arguments creating this bridge, its ports and controllers."""
        args = ["--", "add-br", self.name, "--", "set", "bridge", self.name,
                "fail_mode=%s" % self.failMode,
                "other-config:datapath-id=%s" % self.dpid,
                "other-config:disable-in-band=true",
                "other-config:dp-desc=%s" % self.name,
                "external_ids=%s" % _ovsdb_map(self.external_ids)]
        if self.userspace:
            args.append("datapath_type=netdev")
        if self.protocols:
            args.append("protocols=%s" % self.protocols)
        for intf in self.intfList():
            if self.ports[intf]:
                args += self._add_port_args(intf)
        if targets:
            args += self._controller_args(targets)
        return args

    def _controller_args(self, targets):
        # A short reconnect backoff: OVS otherwise waits up to 8 s between
        # attempts, e.g. after a controller restart.
        args, ids = [], []
        for index, target in enumerate(targets):
            ref = "@%s_c%d" % (re.sub(r"\W", "_", self.name), index)
            args += ["--", "--id=%s" % ref, "create", "Controller", "target=\"%s\"" % target,
                     "max_backoff=%d" % self.reconnectms]
            ids.append(ref)
        return args + ["--", "set", "bridge", self.name, "controller=[%s]" % ",".join(ids)]

    def _add_port_args(self, intf):
        args = ["--", "add-port", self.name, intf.name, "--", "set", "Interface",
                intf.name, "ofport_request=%d" % self.ports[intf]]
        if isinstance(intf, PatchIntf):
            args += ["type=patch", "options:peer=%s" % intf.peer.name]
        elif self._fast_port(intf):
            args.append("type=%s" % self.intf_port_type(intf))
        return args

    def intf_port_type(self, intf):
        """The port's OVS type: the interface's own request, else the switch's."""
        requested = (getattr(intf, "params", None) or {}).get("port_type")
        if requested is None:
            return self.port_type
        return choose_port_type(requested, self.datapath)

    def _fast_port(self, intf):
        """AF_XDP for unshaped veth ports only: its transmit path bypasses tc qdiscs."""
        if isinstance(intf, PatchIntf):
            return False
        return (self.intf_port_type(intf) != "system"
                and not needs_shaping(getattr(intf, "shaping", {})))

    def fall_back_to_plain_ports(self, intfs):
        """Ports OVS could not open as AF_XDP become plain ports."""
        fast = [i.name for i in intfs if self.ports.get(i) and self._fast_port(i)]
        for name, error in interface_errors(fast).items():
            log.warning("%s: %s port %s failed (%s); using a plain port", self.name,
                        self.port_type, name, error)
            vsctl("set", "Interface", name, "type=system")

    def attach(self, intf):
        """Add a port to the running bridge."""
        attach_ports([intf])

    @staticmethod
    def TCReapply(intf):
        """Adding a port makes OVS clear its root qdisc: shape it again."""
        if hasattr(intf, "apply_shaping"):
            intf.apply_shaping()

    def detach(self, intf):
        self.vsctl_batcher.run(["--", "--if-exists", "del-port", self.name, str(intf)])

    def stop(self, deleteIntfs=True):
        delete_bridges([self.name])
        self.started = False
        if deleteIntfs:
            self.deleteIntfs()
        self.terminate()

    @classmethod
    def batchShutdown(cls, switches, run=None):
        delete_bridges([s.name for s in switches])
        for switch in switches:
            switch.started = False
            switch.terminate()
        return switches

    def connected(self):
        """True once the bridge has a live connection to one of its controllers."""
        out = system.run(["ovs-vsctl", "--timeout=10", "get", "Bridge", self.name,
                          "controller"], check=False)
        uuids = [u.strip() for u in out.strip().strip("[]").split(",") if u.strip()]
        return any(system.run(["ovs-vsctl", "--timeout=10", "get", "Controller", uuid,
                               "is_connected"], check=False).strip() == "true"
                   for uuid in uuids)
