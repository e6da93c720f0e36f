"""Link shaping measured with real traffic."""

import re

import pytest

from helpers import ping_ok, tcp_mbit_s


def _vnf_pair(net, dc1, dc2):
    a = dc1.startCompute("a", network=[{"id": "emu0", "ip": "10.5.0.1/24"}])
    b = dc2.startCompute("b", network=[{"id": "emu0", "ip": "10.5.0.2/24"}])
    return a, b


@pytest.mark.parametrize("bw", [20, 50])
def test_bandwidth_limit_within_ten_percent(make_net, bw):
    net = make_net()
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2, bw=bw)
    net.start()
    a, b = _vnf_pair(net, dc1, dc2)
    measured = tcp_mbit_s(a, b, "10.5.0.2", seconds=3)
    assert abs(measured - bw) <= 0.1 * bw, "measured %.1f Mbit/s for bw=%s" % (measured, bw)


def test_shaping_on_link_added_after_start(make_net):
    net = make_net()
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.start()
    net.addLink(dc1, dc2, bw=10)
    a, b = _vnf_pair(net, dc1, dc2)
    measured = tcp_mbit_s(a, b, "10.5.0.2", seconds=3)
    assert 9.0 <= measured <= 11.0, measured


def test_delay_adds_round_trip_time(make_net):
    net = make_net()
    if not net.netem_available:
        pytest.skip("this kernel has no sch_netem qdisc: delay/loss cannot be emulated here")
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2, delay="20ms")
    net.start()
    a, _ = _vnf_pair(net, dc1, dc2)
    assert ping_ok(a, "10.5.0.2")
    rtt = float(re.search(r"= [\d.]+/([\d.]+)/", a.cmd("ping -c 5 -i 0.2 10.5.0.2")).group(1))
    assert rtt >= 40.0, rtt  # 20 ms each way


def test_loss_drops_packets(make_net):
    net = make_net()
    if not net.netem_available:
        pytest.skip("this kernel has no sch_netem qdisc: delay/loss cannot be emulated here")
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2, loss=50)
    net.start()
    a, _ = _vnf_pair(net, dc1, dc2)
    out = a.cmd("ping -c 40 -i 0.05 -W 1 10.5.0.2")
    loss = int(re.search(r"(\d+)% packet loss", out).group(1))
    assert 40 <= loss <= 95, loss  # 50% each way -> ~75% round trip
