"""Per-neighbour station statistics, as JSON and as `iw dev X station dump`
text (so parsers written for iw keep working).  The values come from the
radio medium's counters and the link model: `source: "emulated-medium"`."""

import re

IW_FIELDS = (
    # (json key, iw label, format)
    ("inactive_time_ms", "inactive time", "{} ms"),
    ("rx_bytes", "rx bytes", "{}"),
    ("rx_packets", "rx packets", "{}"),
    ("tx_bytes", "tx bytes", "{}"),
    ("tx_packets", "tx packets", "{}"),
    ("tx_retries", "tx retries", "{}"),
    ("tx_failed", "tx failed", "{}"),
    ("rx_drop_misc", "rx drop misc", "{}"),
    ("signal_dbm", "signal", "{} dBm"),
    ("signal_avg_dbm", "signal avg", "{} dBm"),
    ("tx_bitrate_mbps", "tx bitrate", "{:.1f} MBit/s"),
    ("rx_bitrate_mbps", "rx bitrate", "{:.1f} MBit/s"),
    ("expected_throughput_mbps", "expected throughput", "{:.1f}Mbps"),
    ("mesh_plink", "mesh plink", "{}"),
    ("connected_time_s", "connected time", "{} seconds"),
)
NUMBER = re.compile(r"^-?\d+(\.\d+)?")


def station(peer, mac, tx, rx, quality):
    """One station entry: tx/rx are the medium's pair counters (or None)."""
    tx, rx = tx or {}, rx or {}
    rssi = quality.rssi_dbm if quality and quality.in_range else None
    rate = quality.rate_mbit if quality and quality.in_range else None
    return {"mac": mac, "peer": peer,
            "inactive_time_ms": rx.get("inactive_ms"),
            "connected_time_s": rx.get("connected_s") or tx.get("connected_s") or 0,
            "rx_bytes": rx.get("tx_bytes", 0), "rx_packets": rx.get("tx_packets", 0),
            "tx_bytes": tx.get("tx_bytes", 0), "tx_packets": tx.get("tx_packets", 0),
            "tx_retries": tx.get("tx_retries", 0), "tx_failed": tx.get("tx_failed", 0),
            "tx_dropped": tx.get("tx_dropped", 0), "rx_drop_misc": 0,
            "signal_dbm": None if rssi is None else int(round(rssi)),
            "signal_avg_dbm": None if rssi is None else int(round(rssi)),
            "tx_bitrate_mbps": rate, "rx_bitrate_mbps": rate,
            "expected_throughput_mbps": quality.expected_throughput_mbit
            if quality and quality.in_range else None,
            "distance_m": round(quality.distance_m, 1) if quality else None,
            "loss": round(1 - (1 - quality.per1000) ** 1.5, 4)
            if quality and quality.in_range else None,
            "mesh_plink": "ESTAB" if rssi is not None else "BLOCKED"}


def render_iw(dump):
    """`iw dev <if> station dump` text of a station dump dict."""
    lines = []
    for entry in dump["stations"]:
        lines.append("Station %s (on %s)" % (entry["mac"], dump["interface"]))
        for key, label, fmt in IW_FIELDS:
            value = entry.get(key)
            if value is None:
                continue
            lines.append("\t%s:%s%s" % (label, "\t" if len(label) >= 7 else "  \t",
                                        fmt.format(value)))
    return "\n".join(lines) + ("\n" if lines else "")


def parse_iw(text):
    """The stations of `iw ... station dump` text: [{"mac", label: value}]."""
    stations = []
    for line in text.splitlines():
        if line.startswith("Station "):
            stations.append({"mac": line.split()[1]})
        elif line.startswith("\t") and stations and ":" in line:
            label, _, value = line.strip().partition(":")
            value = value.strip()
            number = NUMBER.match(value)
            stations[-1][label] = (float(number.group()) if number and "." in number.group()
                                   else int(number.group()) if number else value)
    return stations
