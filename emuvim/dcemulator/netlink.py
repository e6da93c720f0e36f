"""Interface plumbing over netlink (pyroute2) instead of `ip`/`ethtool` processes.

Starting a VNF makes a veth pair, names, addresses and brings up both ends,
and turns checksum offloads off for OVS's userspace datapath.  As processes
that is seven to nine execs per interface (`nsenter` + `ip` for the
container's end); here it is a few netlink messages from this process.

A socket belongs to the network namespace its creating thread was in, so a
short-lived thread enters the container's namespace (setns), opens the
sockets and ends; the main threads never change namespace.
"""

import array
import contextlib
import ctypes
import errno
import fcntl
import random
import socket
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

CLONE_NEWNET = 0x40000000
SIOCETHTOOL = 0x8946
ETHTOOL_SRXCSUM = 0x15
ETHTOOL_STXCSUM = 0x17

_libc = ctypes.CDLL(None, use_errno=True)


class InterfaceExists(RuntimeError):
    """A device of that name exists already (in that namespace)."""


def _open_sockets():
    # pyroute2's asyncio transport wants a datagram socket.
    return (socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, socket.NETLINK_ROUTE),
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM))


def _sockets_in_netns(pid):
    """Netlink and ioctl sockets in the network namespace of process `pid`."""
    result = {}

    def enter_and_open():
        try:
            with open("/proc/%d/ns/net" % pid) as namespace:
                if _libc.setns(namespace.fileno(), CLONE_NEWNET) != 0:
                    code = ctypes.get_errno()
                    raise OSError(code, "cannot enter the network namespace of process "
                                        "%d: %s" % (pid, errno.errorcode.get(code, code)))
            result["sockets"] = _open_sockets()
        except BaseException as err:     # handed to the caller's thread
            result["error"] = err
    # This thread ends inside the namespace; no other thread ever changes it.
    thread = threading.Thread(target=enter_and_open, name="netns-%d" % pid)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["sockets"]


class OwnThread:
    """An object whose method calls all run on one worker thread of its own.

    pyroute2's synchronous API sets its transport up per thread and drives an
    asyncio loop, which cannot run in a thread where another loop runs (a
    Jupyter kernel, Playwright's sync API, an async handler).  One thread per
    IPRoute keeps both true wherever the emulator is called from.
    """

    def __init__(self, factory):
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netlink")
        self._target = self._worker.submit(factory).result()

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute
        return lambda *args, **kwargs: self._worker.submit(attribute, *args, **kwargs).result()

    def close(self):
        try:
            self._worker.submit(self._target.close).result()
        finally:
            self._worker.shutdown()


class Namespace:
    """Netlink and ethtool access to one network namespace (a pid's, or ours)."""

    def __init__(self, pid=None):
        route, self._ioctl = _sockets_in_netns(pid) if pid else _open_sockets()
        fileno = route.detach()
        self.ipr = OwnThread(lambda: IPRoute(fileno=fileno))

    def close(self):
        self.ipr.close()
        self._ioctl.close()

    def index(self, name):
        found = self.ipr.link_lookup(ifname=name)
        if not found:
            raise LookupError("no interface %s" % name)
        return found[0]

    def configure(self, name, mac=None, address=None, up=True):
        """`ip link set address`, `ip addr flush` + `add` and `ip link set up` in one place."""
        index = self.index(name)
        if mac:
            self.ipr.link("set", index=index, address=mac)
        if address:
            ip, prefix = address.split("/")
            self.ipr.flush_addr(index=index)
            self.ipr.addr("add", index=index, address=ip, prefixlen=int(prefix))
        if up:
            self.ipr.link("set", index=index, state="up")

    def set_alias(self, name, alias):
        self.ipr.link("set", index=self.index(name), ifalias=alias)

    def checksum_offload_off(self, name, tx=True, rx=True):
        """`ethtool -K NAME tx off rx off` (the legacy ioctls; the kernel then
        also drops the segmentation offloads that need checksumming)."""
        for wanted, command in ((tx, ETHTOOL_STXCSUM), (rx, ETHTOOL_SRXCSUM)):
            if not wanted:
                continue
            value = array.array("I", [command, 0])
            request = struct.pack("16sP", name.encode(), value.buffer_info()[0])
            fcntl.ioctl(self._ioctl.fileno(), SIOCETHTOOL, request)


class Session:
    """Namespaces opened as needed during one link's plumbing, closed together."""

    def __init__(self):
        self._namespaces = {}

    def namespace(self, node):
        """The Namespace where `node`'s interfaces live (the host's for switches)."""
        pid = node.pid if node is not None and node.inNamespace else None
        if pid not in self._namespaces:
            self._namespaces[pid] = Namespace(pid)
        return self._namespaces[pid]

    def make_veth(self, name1, node1, mac1, name2, node2, mac2):
        """A veth pair whose ends are created directly in their nodes' namespaces."""
        ends = []
        for name, node, mac in ((name1, node1, mac1), (name2, node2, mac2)):
            end = {"ifname": name}
            if mac:
                end["address"] = mac
            if node is not None and node.inNamespace:
                end["net_ns_pid"] = node.pid
            ends.append(end)
        try:
            self.namespace(None).ipr.link("add", kind="veth", peer=ends[1], **ends[0])
        except NetlinkError as err:
            if err.code == errno.EEXIST:
                raise InterfaceExists(str(err)) from err
            raise

    def close(self):
        for namespace in self._namespaces.values():
            namespace.close()
        self._namespaces.clear()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()


def delete_tap_devices(names):
    """Remove the named tap devices of our namespace in one kernel batch.

    Unregistering a network device waits for an RCU grace period (~20 ms
    here); one by one, an OVS bridge's local port (a tap on the userspace
    datapath) makes 1024 bridges take 20 s to delete.  Devices that share a
    link group are removed by one request, one grace period for all.  The
    group is an unused random number, and only tap devices of the given names
    join it; should any other device turn up in it, nothing is deleted.
    Returns the names deleted.
    """
    wanted = set(names)
    with contextlib.closing(Namespace()) as host:
        links = host.ipr.get_links()
        taps = {link["index"]: link.get("ifname") for link in links
                if link.get("ifname") in wanted and _link_kind(link) == "tun"}
        if not taps:
            return []
        group = _unused_group({link.get("group") for link in links})
        for index in taps:
            host.ipr.link("set", index=index, group=group)
        members = {link["index"] for link in host.ipr.get_links() if link.get("group") == group}
        if members != set(taps):
            for index in set(taps) & members:
                host.ipr.link("set", index=index, group=0)
            return []
        host.ipr.link("del", group=group)
    return sorted(taps.values())


def _link_kind(link):
    info = link.get_attr("IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info is not None else None


def _unused_group(used):
    while True:
        group = random.randrange(1 << 20, 1 << 31)
        if group not in used:
            return group
