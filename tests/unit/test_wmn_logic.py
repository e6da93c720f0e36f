"""The WMN's pure parts: link model numbers, layouts, station dumps, ping
parsing, the medium's frame handling and the effective link table."""

import math

import pytest

from emuvim.wmn import layouts
from emuvim.wmn.medium import Medium, frame_error
from emuvim.wmn.model import OFDM_RATES, LogDistance, RangeModel, delivery_ratio
from emuvim.wmn.network import WMNError, WMNetwork, parse_ping
from emuvim.wmn.stations import parse_iw, render_iw, station


def test_log_distance_numbers():
    model = LogDistance()
    assert round(model.reference_loss_db, 1) == 40.1
    assert round(model.range_for(-82)) == 116 and round(model.range_for(-90)) == 214
    assert model.link(215).in_range is False and model.link(213).in_range is True
    rates = [model.link(d).rate_mbit for d in (5, 30, 60, 90, 110)]
    assert rates == sorted(rates, reverse=True) and rates[0] == 54 and rates[-1] == 6
    for rate, sensitivity in OFDM_RATES:      # 10 % PER at each sensitivity point
        assert math.isclose(model.per1000(sensitivity, sensitivity), 0.1)
    near, far = model.link(20), model.link(150)
    assert near.per1000 < 0.001 < far.per1000
    assert near.expected_throughput_mbit > far.expected_throughput_mbit
    steeper = LogDistance(exponent=3.5)
    assert steeper.range_for(-90) < model.range_for(-90)


def test_range_model_and_delivery_ratio():
    model = RangeModel(range_m=100, loss=0.2, delay_ms=5)
    assert model.link(100).in_range and not model.link(101).in_range
    assert model.link(50).delay_ms == 5
    assert math.isclose(delivery_ratio(0.3, 1, 1), 0.49)
    assert math.isclose(delivery_ratio(0.3, 2, 1), (1 - 0.09) ** 2)
    assert math.isclose(delivery_ratio(0.1, 1, 2, round_trip=False), 0.81)


def test_layouts():
    grid = layouts.grid(3, 4, 50)
    assert len(grid) == 12 and grid["n1"] == (0, 0) and grid["n12"] == (150, 100)
    assert layouts.line(3, 10) == {"n1": (0, 0), "n2": (10, 0), "n3": (20, 0)}
    assert len(layouts.circle(6)) == 6
    first = layouts.random_geometric(12, (300, 300), 110, seed=3)
    assert first == layouts.random_geometric(12, (300, 300), 110, seed=3)
    assert layouts.connected(first, 110)
    assert not layouts.connected({"a": (0, 0), "b": (500, 0)}, 100)
    with pytest.raises(ValueError):
        layouts.random_geometric(20, (5000, 5000), 10, seed=1, attempts=3)
    positions, links = layouts.from_netjson({"nodes": [{"id": "a", "pos": [1, 2]}],
                                             "links": [{"source": "a", "target": "b"}]})
    assert positions["a"] == (1.0, 2.0) and "b" in positions and links == [("a", "b")]
    with pytest.raises(ValueError):
        layouts.from_netjson({"nodes": [{"id": "a", "pos": [1]}]})


def test_station_dump_round_trips_through_an_iw_parser():
    quality = LogDistance().link(62.4)
    entry = station("n2", "02:5e:00:00:00:02",
                    {"tx_packets": 377, "tx_bytes": 48810, "tx_retries": 41, "tx_failed": 2},
                    {"tx_packets": 402, "tx_bytes": 52311, "inactive_ms": 120,
                     "connected_s": 310}, quality)
    dump = {"node": "n1", "interface": "mesh0", "stations": [entry]}
    text = render_iw(dump)
    assert text.startswith("Station 02:5e:00:00:00:02 (on mesh0)\n\tinactive time:\t120 ms")
    parsed = parse_iw(text)[0]
    assert parsed["mac"] == entry["mac"]
    assert (parsed["rx bytes"], parsed["tx packets"], parsed["tx retries"]) == (52311, 377, 41)
    assert parsed["signal"] == entry["signal_dbm"]
    assert parsed["tx bitrate"] == entry["tx_bitrate_mbps"]
    assert parsed["expected throughput"] == entry["expected_throughput_mbps"]
    assert parsed["mesh plink"] == "ESTAB"
    gone = station("n3", "02:5e:00:00:00:03", None, None, None)
    assert gone["signal_dbm"] is None and gone["mesh_plink"] == "BLOCKED"


def test_parse_ping_gaps_and_ratio():
    out = "".join("[%d.000000] 64 bytes from 10.0.0.1: icmp_seq=%d ttl=64 time=%d.5 ms\n"
                  % (100 + seq, seq, seq) for seq in (1, 2, 6, 7, 10))
    result = parse_ping(out, 10, 0.1)
    assert (result["received"], result["pdr"]) == (5, 0.5)
    assert result["longest_gap_s"] == 0.3          # 3, 4, 5 lost
    assert (result["rtt_min_ms"], result["rtt_max_ms"]) == (1.5, 10.5)
    assert parse_ping("", 4, 1.0)["longest_gap_s"] == 4.0


def frame(dst, src, size=100):
    return bytes(dst) + bytes(src) + b"\x08\x00" + b"x" * (size - 14)


A, B, BCAST = [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], [255] * 6


def medium_with(links, retry_limit=7, seed=1, queue_limit=10 ** 6):
    medium = Medium("wmtest", seed=seed)
    medium.set_links(links, retry_limit=retry_limit, queue_limit=queue_limit)
    return medium


def test_medium_unicast_retries_and_failures_are_counted():
    link = {"src": "a", "dst": "b", "rate_mbit": 6.0, "loss": 0.5, "delay_ms": 2}
    medium = medium_with([link], retry_limit=1)
    medium.transmit("b", frame(A, B))               # b's MAC is learnt
    for _ in range(1000):
        medium.transmit("a", frame(B, A))
    pair = medium.pairs[("a", "b")]
    delivered = len(medium.heap)
    assert pair.tx_failed + delivered == 1000 and 400 < delivered < 600
    assert pair.tx_retries == 0
    retrying = medium_with([link], retry_limit=7)
    retrying.transmit("b", frame(A, B))
    for _ in range(1000):
        retrying.transmit("a", frame(B, A))
    stats = retrying.pairs[("a", "b")]
    assert stats.tx_failed < 30 and stats.tx_retries > 700   # ~1000 retries expected


def test_medium_broadcast_out_of_range_and_timing():
    links = [{"src": "a", "dst": "b", "rate_mbit": 54.0, "per1000": 0.0,
              "bcast_per1000": 0.0, "delay_ms": 10},
             {"src": "a", "dst": "c", "rate_mbit": 54.0, "per1000": 0.0,
              "bcast_per1000": 0.0, "delay_ms": 10}]
    medium = medium_with(links)
    medium.transmit("a", frame(BCAST, A, 1000))
    assert sorted(item[3] for item in medium.heap) == ["b", "c"]
    when = medium.heap[0][0]
    airtime = 20e-6 + 8 * 1000 / 6e6                 # broadcast at the basic rate
    assert medium.busy_until["a"] - when + 0.010 == pytest.approx(0, abs=1e-3)
    assert medium.busy_until["a"] > airtime
    medium.transmit("c", frame(A, [2, 0, 0, 0, 0, 3]))   # c -> a: no link that way
    assert medium.pairs[("c", "a")].tx_failed == 1


def test_medium_drops_beyond_its_queue():
    link = {"src": "a", "dst": "b", "rate_mbit": 1.0, "per1000": 0.0}
    medium = medium_with([link], queue_limit=10)
    medium.transmit("b", frame(A, B))
    for _ in range(50):
        medium.transmit("a", frame(B, A, 1500))
    assert medium.pairs[("a", "b")].tx_dropped >= 30


def test_frame_error_scales_with_length():
    link = {"per1000": 0.1}
    assert frame_error(link, 1000, "per1000") == pytest.approx(0.1)
    assert frame_error(link, 2000, "per1000") == pytest.approx(0.19)
    assert frame_error({"loss": 0.3, "per1000": 0.9}, 50, "per1000") == 0.3


class FakeNet:
    netem_available = False

    def addDatacenter(self, label, metadata=None):
        return label


def diamond(**kwargs):
    wmn = WMNetwork(FakeNet(), model=RangeModel(range_m=120), **kwargs)
    for name, pos in {"n1": (0, 0), "n2": (100, 50), "n3": (100, -50),
                      "n4": (200, 0)}.items():
        wmn.addMeshNode(name, pos)
    return wmn


def pairs(wmn):
    return {(l["src"], l["dst"]) for l in wmn.effective_links()}


def test_effective_links_follow_failures_partitions_overrides_and_moves():
    wmn = diamond()
    everything = pairs(wmn)
    assert ("n1", "n2") in everything and ("n1", "n4") not in everything
    wmn.fail("n2")
    assert not any("n2" in pair for pair in pairs(wmn))
    wmn.recover("n2")
    assert pairs(wmn) == everything
    wmn.partition([["n1", "n2", "n3"], ["n4"]])
    assert not any("n4" in pair for pair in pairs(wmn))
    wmn.heal()
    wmn.set_link("n1", "n2", loss=0.25, delay_ms=30)
    link = next(l for l in wmn.effective_links() if (l["src"], l["dst"]) == ("n2", "n1"))
    assert (link["loss"], link["delay_ms"]) == (0.25, 30)
    wmn.set_link("n1", "n3", state="down", symmetric=False)
    assert ("n1", "n3") not in pairs(wmn) and ("n3", "n1") in pairs(wmn)
    wmn.clear_link("n1", "n3")
    wmn.move("n4", (0, 10))
    assert ("n1", "n4") in pairs(wmn)
    assert [e["action"] for e in wmn.events] == ["fail", "recover", "partition", "heal",
                                                  "link", "link", "clear_link", "move"]


def test_refusals():
    wmn = diamond()
    for call in (lambda: wmn.fail("n9"), lambda: wmn.move("nx", (0, 0))):
        with pytest.raises(LookupError):
            call()
    for call in (lambda: wmn.fail("n1", mode="fire"), lambda: wmn.set_link("n1", "n1"),
                 lambda: wmn.set_link("n1", "n2", loss=2), lambda: wmn.partition([["n1"]]),
                 lambda: wmn.addMeshNode("n1"), lambda: wmn.addMeshNode("bad/name"),
                 lambda: wmn.run_timeline([{"at_s": 1, "action": "explode"}])):
        with pytest.raises(WMNError):
            call()
    with pytest.raises(WMNError):
        WMNetwork(FakeNet(), airtime="psychic")
    links_only = WMNetwork(FakeNet(), model=RangeModel(range_m=1000), links=[("a", "b")])
    for name in ("a", "b", "c"):
        links_only.addMeshNode(name, (0, 0))
    assert pairs(links_only) == {("a", "b"), ("b", "a")}
