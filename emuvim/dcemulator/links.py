"""Links: veth pairs, interface naming, traffic shaping.

Shaping uses HTB for bandwidth and netem for delay, jitter and loss.  Some
kernels (these build machines among them) have no sch_netem; the emulator
probes for it once and refuses a link that needs it with a clear error,
unless the user chose to continue without (``netem_missing="warn"``).
"""

import hashlib
import logging
import re
import subprocess

from mininet.link import Intf, Link

from emuvim.dcemulator import netlink, system

log = logging.getLogger(__name__)

IFNAMSIZ = 15  # usable characters of a Linux interface name
INVALID_IFNAME = re.compile(r"[\s/:]")
UNIT_SECONDS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
RESERVED_IFNAMES = ("lo",)
SHAPING_KEYS = ("bw", "delay", "jitter", "loss", "max_queue_size")


class InvalidInterfaceName(ValueError):
    pass


class NetemUnavailable(RuntimeError):
    """A link asks for delay/jitter/loss but the kernel has no sch_netem."""


def clean_intf_id(intf_id):
    """vim-emu's interface-id cleaning (':', ' ', '.', '_' become '-'), validated."""
    name = re.sub(r"[:. _]", "-", str(intf_id))
    check_intf_name(name)
    return name


def check_intf_name(name):
    if not name or len(name) > IFNAMSIZ or INVALID_IFNAME.search(name) or name in (".", ".."):
        raise InvalidInterfaceName(
            "invalid interface name %r: Linux interface names have 1-%d characters "
            "and no whitespace, '/' or ':'" % (name, IFNAMSIZ))
    if name in RESERVED_IFNAMES:
        raise InvalidInterfaceName("invalid interface name %r: every network namespace "
                                   "has it already" % name)


MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


def check_mac(mac):
    """A MAC address as 6 colon-separated hex bytes, or ValueError."""
    if not isinstance(mac, str) or not MAC.fullmatch(mac):
        raise ValueError("invalid MAC address %r: use six hex bytes like 02:00:00:00:00:01"
                         % (mac,))
    return mac.lower()


def port_intf_name(node_name, port):
    """``<node>-eth<port>`` as Mininet names it, shortened collision-free if too long.

    Long node names are cut and given a hash of the full name, so two nodes
    whose names share a prefix still get distinct interface names.
    """
    name = "%s-eth%d" % (node_name, port)
    if len(name) <= IFNAMSIZ:
        return name
    tail = "-e%d" % port
    digest = hashlib.sha1(node_name.encode()).hexdigest()[:4]
    return node_name[:IFNAMSIZ - len(tail) - len(digest)] + digest + tail


def parse_time_ms(value):
    """'50ms', '1s', '200us', 5, '5' -> milliseconds as float (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*(us|ms|s)?\s*", str(value))
    if not match:
        raise ValueError("cannot parse time %r (use e.g. '10ms', '1s', '200us')" % value)
    return float(match.group(1)) * UNIT_SECONDS[match.group(2) or "ms"]


def parse_number(value):
    """Numbers given as strings ('10', '1.5%') -> float; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*%?\s*", str(value))
    if not match:
        raise ValueError("cannot parse number %r" % value)
    return float(match.group(1))


def shaping_attributes(params):
    """Numeric link attributes for the topology graph (bw Mbit/s, delay ms, ...).

    `cost` is a routing-only attribute (no shaping) for weighted chains.
    """
    attrs = {}
    for key in ("bw", "loss", "max_queue_size", "cost"):
        if params.get(key) is not None:
            attrs[key] = parse_number(params[key])
    for key in ("delay", "jitter"):
        if params.get(key) is not None:
            attrs[key] = parse_time_ms(params[key])
    return attrs


def needs_netem(params):
    return any(params.get(key) not in (None, "", 0, "0") for key in ("delay", "jitter", "loss"))


def probe_qdisc(kind_args):
    """True if a qdisc can be added, tried on lo of a throw-away namespace."""
    script = "ip link set lo up && tc qdisc add dev lo root %s" % kind_args
    try:
        return subprocess.run(["unshare", "--net", "sh", "-c", script],
                              capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def shaping_commands(ifname, bw=None, delay=None, jitter=None, loss=None,
                     max_queue_size=None):
    """tc commands (argv lists) shaping egress of `ifname`; empty if no shaping."""
    commands = []
    parent = ["root"]
    if bw is not None:
        rate = "%.6gmbit" % parse_number(bw)
        commands.append(["tc", "qdisc", "replace", "dev", ifname, "root", "handle", "5:",
                         "htb", "default", "1"])
        commands.append(["tc", "class", "replace", "dev", ifname, "parent", "5:",
                         "classid", "5:1", "htb", "rate", rate, "burst", "15k"])
        parent = ["parent", "5:1"]
    netem = []
    if delay is not None:
        netem += ["delay", "%.6gms" % parse_time_ms(delay)]
        if jitter is not None:
            netem += ["%.6gms" % parse_time_ms(jitter)]
    if loss is not None and parse_number(loss) > 0:
        netem += ["loss", "%.6g%%" % parse_number(loss)]
    if netem:
        if max_queue_size is not None:
            netem += ["limit", str(int(parse_number(max_queue_size)))]
        commands.append(["tc", "qdisc", "replace", "dev", ifname] + parent +
                        ["handle", "10:", "netem"] + netem)
    elif max_queue_size is not None and bw is not None:
        commands.append(["tc", "qdisc", "replace", "dev", ifname] + parent +
                        ["handle", "10:", "pfifo", "limit",
                         str(int(parse_number(max_queue_size)))])
    return commands


def run_in_node(node, argv, check=True, input_text=None):
    """Run an argv where `node`'s interfaces live; return stdout."""
    if node is not None and node.inNamespace:
        argv = system.netns_argv(node.pid, argv)
    return system.run(argv, check=check, input_text=input_text)


def peer_intf(intf):
    """The interface at the other end of `intf`'s link (None without a link)."""
    link = intf.link
    if link is None:
        return None
    return link.intf2 if link.intf1 is intf else link.intf1


class EmuIntf(Intf):
    """An interface configured from the host, wherever it lives, with shaping.

    Commands never need tools inside the node (a container image may have
    neither ``ip`` nor ``tc``), and never start a node's interactive shell.
    """

    def cmd(self, *args, **kwargs):
        argv = " ".join(str(a) for a in args).split()
        try:
            return run_in_node(self.node, argv)
        except system.CommandError as err:
            return err.stderr

    def ifconfig(self, *args):
        return self.cmd("ifconfig", self.name, *args)

    def setIP(self, ipstr, prefixLen=None):
        if "/" not in ipstr:
            if prefixLen is None:
                raise ValueError("no prefix length for IP address %s" % ipstr)
            ipstr = "%s/%s" % (ipstr, prefixLen)
        self._ip_batch(self._address_commands(ipstr) + self._up_commands())
        return ""

    def setMAC(self, macstr):
        self._ip_batch(self._mac_commands(macstr))
        return ""

    def _mac_commands(self, mac):
        self.mac = mac
        return ["link set dev %s address %s" % (self.name, mac)]

    def _address_commands(self, ipstr):
        if "/" not in ipstr:
            raise ValueError("no prefix length for IP address %s" % ipstr)
        self.ip, self.prefixLen = ipstr.split("/")
        return ["addr flush dev %s" % self.name, "addr add %s dev %s" % (ipstr, self.name)]

    def _up_commands(self):
        return ["link set dev %s up" % self.name]

    def _ip_batch(self, commands):
        """Several `ip` commands in one process: every spawn counts when starting VNFs."""
        if commands:
            run_in_node(self.node, ["ip", "-batch", "-"], input_text="\n".join(commands) + "\n")

    def updateIP(self):
        return self.updateAddr()[0]

    def updateMAC(self):
        return self.updateAddr()[1]

    def updateAddr(self):
        out = run_in_node(self.node, ["ip", "-o", "-4", "addr", "show", "dev", self.name],
                          check=False)
        match = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/(\d+)", out)
        self.ip, self.prefixLen = (match.group(1), match.group(2)) if match else (None, None)
        link = run_in_node(self.node, ["ip", "-o", "link", "show", "dev", self.name],
                           check=False)
        mac = re.search(r"link/ether ([0-9a-f:]{17})", link)
        self.mac = mac.group(1) if mac else None
        return self.ip, self.mac

    def isUp(self, setUp=False):
        if setUp:
            run_in_node(self.node, ["ip", "link", "set", "dev", self.name, "up"])
            return True
        out = run_in_node(self.node, ["ip", "-o", "link", "show", "dev", self.name],
                          check=False)
        return ",UP" in out or "<UP" in out

    def config(self, mac=None, ip=None, ifconfig=None, up=True, bw=None, delay=None,
               jitter=None, loss=None, max_queue_size=None, txo=True, rxo=True, **_params):
        """Mininet's Intf.config plus shaping and checksum-offload control.

        The interface's attributes (mac, ip, shaping) are set at once; the
        device is configured now, or when its link is realized if the link
        defers that (see EmuLink).
        """
        if mac:
            self.mac = mac
        if ip:
            self._address_commands(ip)          # validates and sets ip/prefixLen
        self.shaping = {"bw": bw, "delay": delay, "jitter": jitter, "loss": loss,
                        "max_queue_size": max_queue_size}
        commands = [(["ifconfig", self.name] + str(ifconfig).split(), False)] if ifconfig else []
        commands += [(argv, True) for argv in shaping_commands(self.name, **self.shaping)]
        plan = {"mac": mac, "address": ip, "up": up, "tx_off": not txo, "rx_off": not rxo,
                "commands": commands}
        deferred = getattr(self.link, "deferred", None)
        if deferred is not None:
            deferred.append(lambda session: self._apply(plan, session))
        else:
            with netlink.Session() as session:
                self._apply(plan, session)
        return {}

    def _apply(self, plan, session):
        """Configure the device over netlink; tc and ifconfig remain commands."""
        namespace = session.namespace(self.node)
        if plan["mac"] or plan["address"] or plan["up"]:
            namespace.configure(self.name, plan["mac"], plan["address"], plan["up"])
        if plan["tx_off"] or plan["rx_off"]:
            namespace.checksum_offload_off(self.name, plan["tx_off"], plan["rx_off"])
        for argv, check in plan["commands"]:
            run_in_node(self.node, argv, check=check)

    def apply_shaping(self):
        """(Re)install the qdiscs; OVS clears a port's root qdisc when adding it."""
        for argv in shaping_commands(self.name, **getattr(self, "shaping", {})):
            run_in_node(self.node, argv)

    def delete(self):
        run_in_node(self.node, ["ip", "link", "del", "dev", self.name], check=False)
        self.node.delIntf(self)
        self.link = None


class EmuLink(Link):
    """A veth link whose ends are created directly in their nodes' namespaces.

    Mininet's own makeIntfPair first deletes interfaces of the same names,
    which could belong to someone else; this one never deletes anything.
    Root-namespace ends get the run's ownership alias so a cleanup after a
    crash can find them.
    """

    def __init__(self, node1, node2, owner_alias=None, defer=False, **params):
        """defer=True: only the Python side is made here (ports, names,
        addresses, the interfaces in their nodes); the devices are created and
        configured by realize(), which needs no lock on the network's state.
        """
        self.owner_alias = owner_alias
        self._created = None
        self.deferred = [] if defer else None
        params.setdefault("intf", EmuIntf)
        try:
            Link.__init__(self, node1, node2, **params)
        except BaseException:
            self._delete_created_pair()
            raise

    def realize(self, session):
        """Run the steps a deferred link recorded, in their order, on a
        netlink Session (several links may share one).

        On failure the caller deletes the link (it knows which lock to hold).
        """
        steps, self.deferred = self.deferred or [], None
        for step in steps:
            step(session)

    def _delete_created_pair(self):
        """Undo makeIntfPair after a failure while configuring the ends."""
        if not self._created:
            return
        for node, name in self._created:
            for intf in list(node.intfs.values()) if node else []:
                if intf.name == name:
                    node.delIntf(intf)
        node, name = self._created[0]
        run_in_node(node, ["ip", "link", "del", "dev", name], check=False)  # takes its peer along

    def intfName(self, node, n):
        return port_intf_name(node.name, n)

    def makeIntfPair(self, intfname1, intfname2, addr1=None, addr2=None,
                     node1=None, node2=None, deleteIntfs=False):
        for name in (intfname1, intfname2):
            check_intf_name(name)
        if self.deferred is not None:
            self.deferred.append(lambda session: self._make_pair(
                session, intfname1, intfname2, addr1, addr2, node1, node2))
        else:
            with netlink.Session() as session:
                self._make_pair(session, intfname1, intfname2, addr1, addr2, node1, node2)

    def _make_pair(self, session, intfname1, intfname2, addr1, addr2, node1, node2):
        for node, name in ((node1, intfname1), (node2, intfname2)):
            if hasattr(node, "yield_intf_name"):
                node.yield_intf_name(name)   # a requested name wins over Docker's eth0
        try:
            session.make_veth(intfname1, node1, addr1, intfname2, node2, addr2)
        except netlink.InterfaceExists as err:
            raise InvalidInterfaceName("interface %s on %s or %s on %s exists already" % (
                intfname1, node1, intfname2, node2)) from err
        self._created = ((node1, intfname1), (node2, intfname2))
        if self.owner_alias:
            for node, name in ((node1, intfname1), (node2, intfname2)):
                if not _in_own_namespace(node):
                    session.namespace(None).set_alias(name, self.owner_alias)

    def delete(self):
        """Delete both ends (deleting one veth end removes its peer).

        A deferred link whose pair was never made only leaves its nodes: a
        device of that name is someone else's.
        """
        for intf in (self.intf1, self.intf2):
            if intf is None:
                continue
            if self._created is None and isinstance(intf, EmuIntf):
                intf.node.delIntf(intf)
                intf.link = None
            else:
                intf.delete()
        self.intf1 = self.intf2 = None


def _in_own_namespace(node):
    return node is not None and node.inNamespace



class TCLink(EmuLink):
    """Drop-in for mininet.link.TCLink: both ends shaped with the same params."""


class PatchIntf(Intf):
    """One end of an OVS patch link: an OVS port with no Linux device."""

    def config(self, **_params):
        self.shaping = {}
        return {}

    def isUp(self, setUp=False):
        return True

    def updateAddr(self):
        return None, None

    def delete(self):
        """The port goes with the switch's del-port (or its bridge)."""
        self.node.delIntf(self)
        self.link = None

    @property
    def peer(self):
        return peer_intf(self)


class PatchLink(EmuLink):
    """Two switches joined inside OVS: no veth, no kernel crossing.

    On the userspace datapath all bridges share one datapath, so a packet
    crossing a patch link costs no extra trip through a Linux device (TCP
    through a 3-PoP chain: ~740 Mbit/s vs ~500 over veths).  Used for
    unshaped switch-to-switch links; shaped links need a veth for tc.
    """

    def __init__(self, node1, node2, owner_alias=None, **params):
        params.update(cls1=PatchIntf, cls2=PatchIntf)
        EmuLink.__init__(self, node1, node2, owner_alias=None, **params)

    def makeIntfPair(self, *args, **kwargs):
        """Nothing to create: the switches add the patch ports."""


def needs_shaping(params):
    return any(params.get(key) not in (None, "") for key in SHAPING_KEYS)
