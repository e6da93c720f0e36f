"""Metrics of a running emulation, as a Prometheus collector.

Always exported (read at scrape time, nothing polls in between):

* ``emuvim_datacenters`` and ``emuvim_containers{datacenter}``;
* ``emuvim_vnf_cpu_seconds_total`` and ``emuvim_vnf_memory_bytes``
  ``{vnf_name, datacenter}``, read from the container's cgroup (Docker's
  stats API takes about a second per container);

Exported once turned on (vim-emu's monitor endpoints), read from the
switches:

* ``emuvim_vnf_interface_{rx,tx}_{packets,bytes}_total``
  ``{vnf_name, vnf_interface, datacenter}`` as the VNF sees them;
* ``emuvim_flow_{packets,bytes}_total{cookie, vnf_name, vnf_interface}``:
  traffic that entered the chains (and monitor flows) carrying the cookie.
"""

import logging
import os
import threading

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

CGROUP_ROOT = "/sys/fs/cgroup"


def _read_number(path):
    try:
        with open(path) as f:
            return f.read().split()[0]
    except (OSError, IndexError):
        return None


def container_cpu_seconds(container_id):
    """CPU time used by a container (cgroup v1 cpuacct or v2 cpu.stat), or None."""
    for group in ("cpuacct", "cpu,cpuacct"):
        value = _read_number(os.path.join(CGROUP_ROOT, group, "docker", container_id,
                                          "cpuacct.usage"))
        if value is not None:
            return int(value) / 1e9
    for base in ("system.slice/docker-%s.scope" % container_id, "docker/%s" % container_id):
        try:
            with open(os.path.join(CGROUP_ROOT, base, "cpu.stat")) as stat:
                for line in stat:
                    if line.startswith("usage_usec"):
                        return int(line.split()[1]) / 1e6
        except OSError:
            continue
    return None


def container_memory_bytes(container_id):
    """Memory used by a container (cgroup v1 or v2), or None."""
    candidates = [os.path.join(CGROUP_ROOT, "memory", "docker", container_id,
                               "memory.usage_in_bytes"),
                  os.path.join(CGROUP_ROOT, "system.slice", "docker-%s.scope" % container_id,
                               "memory.current"),
                  os.path.join(CGROUP_ROOT, "docker", container_id, "memory.current")]
    for path in candidates:
        value = _read_number(path)
        if value is not None:
            return int(value)
    return None


class Monitoring:
    """The optional series switched on for a DCNetwork, and its collector."""

    def __init__(self, net):
        self.net = net
        self._interfaces = set()   # (vnf, interface)
        self._flows = set()        # (vnf, interface, cookie)
        self._lock = threading.Lock()

    def start_interface(self, vnf_name, vnf_interface=None):
        intf = self.net.chaining.attachment(vnf_name, vnf_interface)[0]
        with self._lock:
            self._interfaces.add((vnf_name, intf))
        return "Started monitoring %s:%s" % (vnf_name, intf)

    def stop_interface(self, vnf_name, vnf_interface=None):
        with self._lock:
            doomed = {i for i in self._interfaces if i[0] == vnf_name and
                      vnf_interface in (None, i[1])}
            if not doomed:
                raise LookupError("%s%s is not monitored" % (
                    vnf_name, ":" + vnf_interface if vnf_interface else ""))
            self._interfaces -= doomed
        return "Stopped monitoring %s" % ", ".join("%s:%s" % i for i in sorted(doomed))

    def start_flow(self, vnf_name, vnf_interface, cookie):
        from emuvim.dcemulator.sdn import MAX_COOKIE, bounded_int
        cookie = bounded_int(cookie, "cookie", 0, MAX_COOKIE)
        intf = self.net.chaining.attachment(vnf_name, vnf_interface)[0]
        with self._lock:
            self._flows.add((vnf_name, intf, cookie))
        return "Started monitoring flows with cookie %d at %s:%s" % (cookie, vnf_name, intf)

    def stop_flow(self, vnf_name, vnf_interface, cookie):
        with self._lock:
            doomed = {f for f in self._flows if f[0] == vnf_name and f[2] == int(cookie) and
                      vnf_interface in (None, f[1])}
            if not doomed:
                raise LookupError("no flow monitor with cookie %s at %s" % (cookie, vnf_name))
            self._flows -= doomed
        return "Stopped monitoring flows with cookie %d at %s" % (int(cookie), vnf_name)

    def forget_vnf(self, vnf_name):
        with self._lock:
            self._interfaces = {i for i in self._interfaces if i[0] != vnf_name}
            self._flows = {f for f in self._flows if f[0] != vnf_name}

    # -- the collector ------------------------------------------------------------------

    def collect(self):
        dcs = list(self.net.dcs.values())
        pops = GaugeMetricFamily("emuvim_datacenters", "PoPs in the emulation")
        pops.add_metric([], len(dcs))
        containers = GaugeMetricFamily("emuvim_containers", "compute nodes per PoP",
                                       labels=["datacenter"])
        cpu = CounterMetricFamily("emuvim_vnf_cpu_seconds", "CPU time used by a VNF",
                                  labels=["vnf_name", "datacenter"])
        memory = GaugeMetricFamily("emuvim_vnf_memory_bytes", "memory used by a VNF",
                                   labels=["vnf_name", "datacenter"])
        for dc in dcs:
            nodes = dc.listCompute()
            containers.add_metric([dc.label], len(nodes))
            for node in nodes:
                seconds = container_cpu_seconds(node.container_id)
                used = container_memory_bytes(node.container_id)
                if seconds is not None:
                    cpu.add_metric([node.name, dc.label], seconds)
                if used is not None:
                    memory.add_metric([node.name, dc.label], used)
        yield from (pops, containers, cpu, memory)
        yield from self._interface_metrics()
        yield from self._flow_metrics()

    def _interface_metrics(self):
        families = {key: CounterMetricFamily(
            "emuvim_vnf_interface_%s" % key, "%s of a monitored VNF interface, as the VNF "
            "sees it" % key.replace("_", " "), labels=["vnf_name", "vnf_interface",
                                                        "datacenter"])
            for key in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes")}
        with self._lock:
            interfaces = sorted(self._interfaces)
        for vnf, intf in interfaces:
            node = self.net.getNodeByName(vnf)
            if node is None:
                continue
            try:
                counters = self.net.getInterfaceCounters(vnf, intf)
            except Exception as err:  # a scrape must not fail for one VNF
                log.warning("no counters for %s:%s: %s", vnf, intf, err)
                continue
            label = node.datacenter.label if getattr(node, "datacenter", None) else ""
            for key, family in families.items():
                family.add_metric([vnf, intf, label], counters[key])
        yield from families.values()

    def _flow_metrics(self):
        packets = CounterMetricFamily("emuvim_flow_packets", "packets that entered the "
                                      "chains carrying a cookie",
                                      labels=["cookie", "vnf_name", "vnf_interface"])
        nbytes = CounterMetricFamily("emuvim_flow_bytes", "bytes that entered the chains "
                                     "carrying a cookie",
                                     labels=["cookie", "vnf_name", "vnf_interface"])
        with self._lock:
            flows = sorted(self._flows)
        for vnf, intf, cookie in flows:
            try:
                counters = self.net.getCookieCounters(cookie)
            except Exception as err:  # a scrape must not fail for one cookie
                log.warning("no counters for cookie %d: %s", cookie, err)
                continue
            packets.add_metric([str(cookie), vnf, intf], counters["packets"])
            nbytes.add_metric([str(cookie), vnf, intf], counters["bytes"])
        yield packets
        yield nbytes
