"""The dashboard's pure parts: rates from counters, events, parameters."""

import json

import pytest

from emuvim.api.dashboard import parse_interval, sse_event
from emuvim.api.dashboard.state import RateMeter, chain_id, topology
from emuvim.api.errors import HttpError


def test_rate_needs_two_readings_and_survives_counter_resets():
    meter = RateMeter()
    assert meter.rate("eth0", 1000, 10.0) is None          # first reading
    assert meter.rate("eth0", 3000, 12.0) == 1000.0        # 2000 in 2 s
    assert meter.rate("eth0", 500, 13.0) is None           # counter went back
    assert meter.rate("eth0", 1500, 14.0) == 1000.0
    assert meter.rate("eth0", 1500, 14.0) is None          # no time passed


def test_rate_meter_forgets_what_is_gone():
    meter = RateMeter()
    meter.rate("a", 1, 1.0)
    meter.rate("b", 1, 1.0)
    meter.keep_only(["a"])
    assert meter.rate("a", 2, 2.0) == 1.0
    assert meter.rate("b", 2, 2.0) is None


def test_sse_event_is_one_data_line_of_json():
    text = sse_event("metrics", {"vnfs": {"a": {"cpu_percent": 1.5}}, "note": "two\nlines"})
    lines = text.split("\n")
    assert lines[0] == "event: metrics" and lines[1].startswith("data: ")
    assert lines[2:] == ["", ""]
    assert json.loads(lines[1][6:])["note"] == "two\nlines"


@pytest.mark.parametrize("value, expected", [(None, 1.0), ("0.5", 0.5), ("10", 10.0)])
def test_interval_accepted(value, expected):
    assert parse_interval(value) == expected


@pytest.mark.parametrize("value", ["abc", "0", "0.1", "11", "nan", "-1"])
def test_interval_refused_with_400(value):
    with pytest.raises(HttpError) as err:
        parse_interval(value)
    assert err.value.status == 400 and "interval" in str(err.value)


def test_chain_id_names_ends_and_match():
    chain = {"vnf_src_name": "a", "vnf_src_interface": "out", "vnf_dst_name": "b",
             "vnf_dst_interface": "in", "match": None}
    assert chain_id(chain) == "a:out>b:in"
    assert chain_id(dict(chain, match="dl_type=2048")) == "a:out>b:in|dl_type=2048"


def test_topology_without_a_network_is_empty():
    picture = topology(None)
    assert picture["run_id"] is None
    assert all(picture[key] == [] for key in ("pops", "vnfs", "chains", "lans", "services"))


def test_network_from_the_endpoint_or_else_from_its_pops():
    from types import SimpleNamespace
    from emuvim.api.dashboard import network_of
    net, other = object(), object()
    pop = SimpleNamespace(net=net)
    assert network_of(SimpleNamespace(net=other, dcs={"dc1": pop})) is other
    assert network_of(SimpleNamespace(net=None, dcs={"dc1": pop})) is net
    assert network_of(SimpleNamespace(net=None, dcs={})) is None


def test_batch_flow_counts_take_exactly_the_flow():
    """One stats reply per switch: only entries with the flow's cookie,
    priority and exactly its match fields count."""
    from emuvim.dcemulator.chaining import Flow
    from emuvim.dcemulator.controller.flows import _counts_of
    flow = Flow("s1", 1, 1000, 7, (("in_port", 2),), (("output", 1),))
    entries = [
        {"cookie": 7, "priority": 1000, "match": {"in_port": 2}, "packet_count": 5,
         "byte_count": 500},
        # same port, narrower match (another chain's): not this flow
        {"cookie": 7, "priority": 1000, "match": {"in_port": 2, "dl_type": 2048},
         "packet_count": 40, "byte_count": 4000},
        {"cookie": 8, "priority": 1000, "match": {"in_port": 2}, "packet_count": 1,
         "byte_count": 1},
        {"cookie": 7, "priority": 1001, "match": {"in_port": 2}, "packet_count": 1,
         "byte_count": 1},
    ]
    assert _counts_of(flow, entries) == (5, 500)
    assert _counts_of(flow, []) == (0, 0)


def test_topology_read_again_when_the_network_changed_meanwhile(monkeypatch):
    from emuvim.api.dashboard import state
    calls = []

    def changing(net):
        calls.append(net)
        if len(calls) == 1:
            raise RuntimeError("dictionary changed size during iteration")
        return {"pops": []}
    monkeypatch.setattr(state, "_topology", changing)
    assert state.topology("net") == {"pops": []} and len(calls) == 2

    def always_changing(net):
        raise RuntimeError("dictionary changed size during iteration")
    monkeypatch.setattr(state, "_topology", always_changing)
    with pytest.raises(RuntimeError):
        state.topology("net")
