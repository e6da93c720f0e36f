"""Installing flows and reading counters: through ovs-ofctl or the controller's REST.

Both installers take :class:`emuvim.dcemulator.chaining.Flow` objects and
answer counter queries in the same shape, so the chaining code does not care
which controller backend runs.
"""

import re

import requests

from emuvim.dcemulator import system

PORT_STATS = re.compile(r"port\s+\"?(\S+?)\"?:\s+rx pkts=(\d+), bytes=(\d+).*?\n\s+tx pkts=(\d+), "
                        r"bytes=(\d+)", re.S)
FLOW_COUNTS = re.compile(r"n_packets=(\d+), n_bytes=(\d+)")


class FlowInstallError(RuntimeError):
    pass


class OfctlInstaller:
    """Flows written with ovs-ofctl (no controller process)."""

    def add(self, flows):
        by_switch = {}
        for flow in flows:
            by_switch.setdefault(flow.switch, []).append(flow.ofctl_add())
        for switch, lines in by_switch.items():
            try:
                system.run(["ovs-ofctl", "-O", "OpenFlow13", "add-flows", switch, "-"],
                           input_text="\n".join(lines) + "\n")
            except system.CommandError as err:
                raise FlowInstallError(str(err)) from err

    def delete(self, flows):
        """One ovs-ofctl per switch: a flow file's lines may name their command."""
        by_switch = {}
        for flow in flows:
            by_switch.setdefault(flow.switch, []).append("delete_strict " + flow.ofctl_match())
        for switch, lines in by_switch.items():
            system.run(["ovs-ofctl", "-O", "OpenFlow13", "add-flows", switch, "-"],
                       input_text="\n".join(lines) + "\n", check=False)

    def port_stats(self, switch, dpid, port_nr):
        out = system.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-ports", switch, str(port_nr)])
        match = PORT_STATS.search(out)
        if not match:
            return None
        rx_p, rx_b, tx_p, tx_b = (int(v) for v in match.groups()[1:])
        return {"rx_packets": rx_p, "rx_bytes": rx_b, "tx_packets": tx_p, "tx_bytes": tx_b}

    def flow_counts(self, flow):
        """(packets, bytes) of the installed flow exactly matching `flow`."""
        out = system.run(["ovs-ofctl", "-O", "OpenFlow13", "--strict", "dump-flows",
                          flow.switch, flow.ofctl_match()], check=False)
        totals = [0, 0]
        for packets, nbytes in FLOW_COUNTS.findall(out):
            totals[0] += int(packets)
            totals[1] += int(nbytes)
        return tuple(totals)

    def flow_counts_many(self, flows):
        """flow_counts of each flow (an ovs-ofctl per flow: no controller to batch)."""
        return [self.flow_counts(flow) for flow in flows]


class RestInstaller:
    """Flows written through the controller's Ryu-compatible REST API."""

    def __init__(self, base_url, timeout=10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _post(self, path, body):
        try:
            reply = self.session.post(self.base_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as err:
            raise FlowInstallError("controller unreachable at %s: %s" % (self.base_url, err))
        if reply.status_code != 200:
            raise FlowInstallError("controller refused %s: %s %s" % (
                path, reply.status_code, reply.text.strip()))
        return reply.json()

    def add(self, flows):
        """All flows in one request; the controller confirms them with one
        barrier per switch (not one round trip and barrier per flow)."""
        if flows:
            self._post("/emuvim/flows", {"flows": [
                {"command": "add", "flow": flow.rest_body()} for flow in flows]})

    def delete(self, flows):
        if flows:
            self._post("/emuvim/flows", {"flows": [
                {"command": "delete_strict", "flow": flow.rest_body(strict=True)}
                for flow in flows]})

    def port_stats(self, switch, dpid, port_nr):
        try:
            reply = self.session.get("%s/stats/port/%d/%d" % (self.base_url, dpid, port_nr),
                                     timeout=self.timeout)
        except requests.RequestException as err:
            raise FlowInstallError("controller unreachable: %s" % err)
        entries = reply.json().get(str(dpid), []) if reply.status_code == 200 else []
        if not entries:
            return None
        return {k: entries[0][k] for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes")}

    def flow_counts(self, flow):
        body = flow.rest_body(strict=True)
        entries = self._post("/stats/flow/%d" % flow.dpid, body).get(str(flow.dpid), [])
        wanted = dict(body["match"])
        packets = nbytes = 0
        for entry in entries:
            if entry.get("priority") == flow.priority and _same_match(entry.get("match"), wanted):
                packets += entry.get("packet_count", 0)
                nbytes += entry.get("byte_count", 0)
        return packets, nbytes

    def flow_counts_many(self, flows):
        """flow_counts of each flow, with one stats request per switch (a
        dashboard reads every chain's counters every second)."""
        by_dpid = {}
        for flow in flows:
            by_dpid.setdefault(flow.dpid, []).append(flow)
        counts = {}
        for dpid, group in by_dpid.items():
            try:
                reply = self.session.get("%s/stats/flow/%d" % (self.base_url, dpid),
                                         timeout=self.timeout)
            except requests.RequestException as err:
                raise FlowInstallError("controller unreachable: %s" % err)
            entries = reply.json().get(str(dpid), []) if reply.status_code == 200 else []
            for flow in group:
                counts[id(flow)] = _counts_of(flow, entries)
        return [counts[id(flow)] for flow in flows]


def _counts_of(flow, entries):
    """(packets, bytes) of the entries that are exactly `flow` (cookie,
    priority and the same match fields)."""
    wanted = dict(flow.rest_body(strict=True)["match"])
    packets = nbytes = 0
    for entry in entries:
        if (entry.get("cookie") == flow.cookie and entry.get("priority") == flow.priority
                and set(entry.get("match") or {}) == set(wanted)
                and _same_match(entry.get("match"), wanted)):
            packets += entry.get("packet_count", 0)
            nbytes += entry.get("byte_count", 0)
    return packets, nbytes


def _same_match(reported, wanted):
    """Ryu reports dl_vlan as a string and in_port as an int; compare loosely."""
    reported = {k: str(v) for k, v in (reported or {}).items()}
    return all(reported.get(k) == str(v) for k, v in wanted.items())
