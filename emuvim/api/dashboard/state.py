"""What the dashboard shows: the topology of a running network, and its rates.

`topology(net)` is a plain-JSON picture of the emulation (PoPs, switches,
inter-switch links with their shaping, VNFs with interfaces and addresses,
SAPs, chains with cookie/VLAN/path, E-LANs, service instances).  It only
reads what the core keeps in memory: no process, no container inspect, so it
can be taken every second.

`Sampler` turns counters into rates between two of its samples: per-VNF CPU
(cgroup) and memory, per-interface bit rates (kernel counters of the
switch-side veth end, read from sysfs) and per-chain rates (the packets and
bytes of the chain's ingress flow, one flow-stats request per switch).  Each
dashboard connection owns one, so nothing is sampled while nobody looks.
"""

import logging
import os
import time

from emuvim.dcemulator.links import peer_intf
from emuvim.dcemulator.monitoring import container_cpu_seconds, container_memory_bytes

log = logging.getLogger(__name__)

SYSFS_NET = "/sys/class/net"


# -- the topology ---------------------------------------------------------------------


def topology(net, attempts=3):
    """The network as the dashboard draws it (JSON-ready dict)."""
    for attempt in range(attempts):
        try:
            return _topology(net)
        except RuntimeError:
            # A dict changed size while we read it (a VNF or link came or
            # went meanwhile): read again rather than fail the page.
            if attempt == attempts - 1:
                raise
    return None


def _topology(net):
    if net is None:
        return {"run_id": None, "pops": [], "switches": [], "links": [], "vnfs": [],
                "saps": [], "chains": [], "lans": [], "services": []}
    pops = list(net.dcs.values())
    return {
        "run_id": net.identity.run_id,
        "stopped": net.stopped,
        "pops": [{"label": dc.label, "switch": dc.switch.name if dc.switch else None,
                  "metadata": _plain(dc.metadata)} for dc in pops],
        "switches": _switches(net, pops),
        "links": _switch_links(net),
        "vnfs": [_vnf(node, net.DCNetwork_graph) for node in compute_nodes(net)],
        "saps": _ext_saps(net),
        "chains": [dict(chain, id=chain_id(chain)) for chain in net.chaining.list_chains()],
        "lans": net.chaining.list_lans(),
        "services": net.service_groups(),
    }


def compute_nodes(net):
    """Every container node of the network, PoP members first (a copy)."""
    nodes = net.getAllContainers()
    seen = {id(node) for node in nodes}
    return nodes + [h for h in list(net.hosts)
                    if id(h) not in seen and getattr(h, "container_id", None)]


def chain_id(chain):
    """A chain's stable name: its ends and its match (chains differ by those)."""
    return "%s:%s>%s:%s%s" % (chain["vnf_src_name"], chain["vnf_src_interface"],
                              chain["vnf_dst_name"], chain["vnf_dst_interface"],
                              "|" + chain["match"] if chain.get("match") else "")


def _switches(net, pops):
    pop_of = {dc.switch.name: dc.label for dc in pops if dc.switch}
    result = []
    for switch in list(net.switches):
        sap = getattr(switch, "ext_sap", None)
        result.append({"name": switch.name, "dpid": getattr(switch, "dpid", None),
                       "pop": pop_of.get(switch.name), "sap": sap.name if sap else None})
    return result


def _switch_links(net):
    """Links whose both ends are switches (inter-PoP links), once each."""
    graph = net.DCNetwork_graph
    switches = {s.name for s in net.switches}
    links, seen = [], set()
    for src, dst, data in list(graph.edges(data=True)):
        if src not in switches or dst not in switches:
            continue
        key = tuple(sorted([(src, data.get("src_port_name")), (dst, data.get("dst_port_name"))]))
        if key in seen:
            continue
        seen.add(key)
        links.append({"id": "%s|%s" % ("%s:%s" % key[0], "%s:%s" % key[1]),
                      "a": src, "b": dst, "a_port": data.get("src_port_name"),
                      "b_port": data.get("dst_port_name"),
                      **{k: data[k] for k in ("bw", "delay", "jitter", "loss") if k in data}})
    return links


def _vnf(node, graph):
    dc = getattr(node, "datacenter", None)
    attributes = graph.nodes[node.name] if graph.has_node(node.name) else {}
    return {"name": node.name, "pop": dc.label if dc else None,
            "image": getattr(node, "dimage", None),
            "kind": attributes.get("type", "docker"),
            "interfaces": [_interface(intf) for intf in node.intfList()
                           if intf.name != "lo"]}


def _interface(intf):
    peer = peer_intf(intf)
    return {"name": intf.name,
            "ip": "%s/%s" % (intf.ip, intf.prefixLen) if intf.ip else None,
            "mac": intf.mac,
            "switch": peer.node.name if peer else None,
            "port": peer.node.ports.get(peer) if peer else None,
            "switch_port": peer.name if peer else None}


def _ext_saps(net):
    saps = []
    for switch in list(net.switches):
        sap = getattr(switch, "ext_sap", None)
        if sap is not None:
            saps.append({"name": sap.name, "ip": sap.ip, "switch": switch.name,
                         "pop": sap.datacenter.label if sap.datacenter else None})
    return saps


def _plain(value):
    """Metadata as JSON can carry it (anything else as its text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- rates ----------------------------------------------------------------------------


class RateMeter:
    """Per-second rates of growing counters, from one reading to the next."""

    def __init__(self):
        self._last = {}

    def rate(self, key, value, now):
        """The rate since this key's last reading; None on the first one, or
        when the counter went back (a restarted container, a new port)."""
        previous = self._last.get(key)
        self._last[key] = (value, now)
        if previous is None or now <= previous[1] or value < previous[0]:
            return None
        return (value - previous[0]) / (now - previous[1])

    def keep_only(self, keys):
        """Forget counters that no longer exist."""
        for key in set(self._last) - set(keys):
            del self._last[key]


class Sampler:
    """One dashboard connection's view of the rates (see the module doc)."""

    def __init__(self, net, clock=time.monotonic, wall_clock=time.time):
        self.net = net
        self.clock = clock
        self.wall_clock = wall_clock
        self.meter = RateMeter()

    def sample(self):
        """{"time": epoch seconds, "vnfs": {name: usage}, "interfaces": {"vnf:intf":
        rates}, "chains": {chain id: rates}}; a rate is None on the first sample."""
        now = self.clock()
        nodes = compute_nodes(self.net) if self.net is not None else []
        metrics = {"time": self.wall_clock(), "vnfs": {}, "interfaces": {}, "chains": {}}
        keys = []
        for node in nodes:
            metrics["vnfs"][node.name] = self._vnf_usage(node, now, keys)
            for intf in node.intfList():
                rates = self._interface_rates(node, intf, now, keys)
                if rates is not None:
                    metrics["interfaces"]["%s:%s" % (node.name, intf.name)] = rates
        chains = self._chains()
        for chain, counts in zip(chains, self._chain_counts(chains)):
            metrics["chains"][chain_id(chain.describe())] = self._chain_rates(chain, counts,
                                                                              now, keys)
        self.meter.keep_only(keys)
        return metrics

    def _vnf_usage(self, node, now, keys):
        container = node.container_id
        seconds = container_cpu_seconds(container) if container else None
        key = "cpu:" + node.name
        keys.append(key)
        cpu = self.meter.rate(key, seconds, now) if seconds is not None else None
        memory = container_memory_bytes(container) if container else None
        return {"cpu_percent": None if cpu is None else round(100 * cpu, 2),
                "memory_bytes": memory}

    def _interface_rates(self, node, intf, now, keys):
        """Bit/packet rates as the VNF sees them: the switch side's rx is its tx."""
        peer = peer_intf(intf)
        if peer is None or getattr(peer.node, "inNamespace", False):
            return None
        counters = read_kernel_counters(peer.name)
        if counters is None:
            return None
        prefix = "intf:%s:%s:" % (node.name, intf.name)
        result = {}
        for ours, theirs in (("tx", "rx"), ("rx", "tx")):
            for unit, scale in (("bytes", 8), ("packets", 1)):
                key = prefix + ours + unit
                keys.append(key)
                rate = self.meter.rate(key, counters["%s_%s" % (theirs, unit)], now)
                name = "%s_%s" % (ours, "bps" if unit == "bytes" else "pps")
                result[name] = None if rate is None else round(rate * scale, 1)
        return result

    def _chains(self):
        if self.net is None:
            return []
        return list(self.net.chaining.chains)

    def _chain_counts(self, chains):
        """(packets, bytes) entering each chain (its first flow), or Nones."""
        if not chains:
            return []
        try:
            return self.net.flow_installer.flow_counts_many([c.flows[0] for c in chains])
        except Exception as err:   # the controller may be restarting: no rates this time
            log.debug("no chain counters: %s", err)
            return [None] * len(chains)

    def _chain_rates(self, chain, counts, now, keys):
        if counts is None:
            return {"bps": None, "pps": None}
        packets, nbytes = counts
        prefix = "chain:%r:" % (chain.key(),)
        keys.extend([prefix + "b", prefix + "p"])
        bps = self.meter.rate(prefix + "b", nbytes, now)
        pps = self.meter.rate(prefix + "p", packets, now)
        return {"bps": None if bps is None else round(bps * 8, 1),
                "pps": None if pps is None else round(pps, 1)}


def read_kernel_counters(device):
    """rx/tx bytes/packets of a root-namespace device, or None if it is gone."""
    base = os.path.join(SYSFS_NET, device, "statistics")
    values = {}
    try:
        for name in ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets"):
            with open(os.path.join(base, name)) as stream:
                values[name] = int(stream.read())
    except (OSError, ValueError):
        return None
    return values
