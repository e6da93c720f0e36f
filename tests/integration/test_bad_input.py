"""Bad input gets a clear error and leaves nothing half-created."""

import pytest

from emuvim.dcemulator.docker_host import ImageNotFound
from emuvim.dcemulator.links import InvalidInterfaceName, NetemUnavailable

from helpers import owned_objects, switch_ports


@pytest.fixture
def pop(make_net):
    net = make_net()
    dc = net.addDatacenter("dc1")
    net.start()
    return net, dc


def snapshot(net, dc):
    return owned_objects(net.identity.run_id), switch_ports(dc.switch.name), \
        sorted(net.nameToNode), len(net.links)


def test_duplicate_datacenter_label(pop):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(ValueError, match="Data center label already exists: dc1"):
        net.addDatacenter("dc1")
    assert snapshot(net, dc) == before


@pytest.mark.parametrize("second_pop", [False, True])
def test_duplicate_compute_name(pop, second_pop):
    net, dc = pop
    other = net.addDatacenter("dc2") if second_pop else dc
    dc.startCompute("vnf1")
    before = snapshot(net, dc)
    with pytest.raises(ValueError, match="Container with name vnf1 already exists"):
        other.startCompute("vnf1")
    assert snapshot(net, dc) == before


def test_unknown_pop_in_link(pop):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(LookupError, match="unknown node or data center 'nope'"):
        net.addLink("nope", dc)
    assert snapshot(net, dc) == before


def test_missing_image_names_image_and_build_command(pop):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(ImageNotFound) as err:
        dc.startCompute("vnf1", image="emuvim/nonexistent:latest")
    assert "emuvim/nonexistent:latest" in str(err.value)
    assert "vim-emu images build" in str(err.value)
    assert snapshot(net, dc) == before
    assert dc.startCompute("vnf1") is not None  # the name was not left reserved


@pytest.mark.parametrize("network", [
    [{"id": "an-interface-name-too-long"}],
    [{"id": "in/out"}],
])
def test_invalid_interface_names(pop, network):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(InvalidInterfaceName, match="15 characters"):
        dc.startCompute("vnf1", network=network)
    assert snapshot(net, dc) == before


@pytest.mark.parametrize("name", ["", "bad name", "a/b", "-leadingdash", "x" * 64])
def test_invalid_compute_names(pop, name):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(ValueError, match="invalid compute name"):
        dc.startCompute(name)
    assert snapshot(net, dc) == before


def test_over_long_switch_name(pop):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(InvalidInterfaceName):
        net.addSwitch("a-switch-name-that-is-too-long")
    assert snapshot(net, dc) == before


def test_failure_half_way_rolls_back(pop):
    """The second interface fails (bad MAC) after the container and first link exist."""
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(Exception, match="zz:zz"):
        dc.startCompute("vnf1", network=[{"id": "a", "ip": "10.0.0.1/24"},
                                         {"id": "b", "mac": "zz:zz:zz:zz:zz:zz"}])
    assert snapshot(net, dc) == before
    assert dc.listCompute() == []


def test_a_foreign_device_with_the_port_name_survives(pop):
    """The switch side of the next link would be called like a device we do
    not own: the start fails, rolls back, and that device stays."""
    import subprocess
    net, dc = pop
    name = "%s-eth%d" % (dc.switch.name, dc.switch.newPort())
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", "xtforeign0"],
                   check=True)
    try:
        before = snapshot(net, dc)
        with pytest.raises(InvalidInterfaceName, match="exists already"):
            dc.startCompute("vnf1", network=[{"id": "a", "ip": "10.0.0.1/24"}])
        assert snapshot(net, dc) == before
        assert subprocess.run(["ip", "link", "show", name]).returncode == 0
    finally:
        subprocess.run(["ip", "link", "del", name])


def test_bad_ip_refused_before_anything_starts(pop):
    net, dc = pop
    before = snapshot(net, dc)
    with pytest.raises(ValueError, match="needs a prefix length"):
        dc.startCompute("vnf1", network=[{"id": "a", "ip": "10.0.0.1"}])
    assert snapshot(net, dc) == before


def test_delay_without_netem_is_refused_or_warned(make_net):
    net = make_net()
    if net.netem_available:
        pytest.skip("this kernel has sch_netem; the refusal path cannot occur here")
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    before = owned_objects(net.identity.run_id)
    with pytest.raises(NetemUnavailable, match="delay=50ms.*EMUVIM_NETEM_MISSING=warn"):
        net.addLink(dc1, dc2, delay="50ms")
    assert owned_objects(net.identity.run_id) == before and net.links == []
    tolerant = make_net(netem_missing="warn")
    a, b = tolerant.addDatacenter("a"), tolerant.addDatacenter("b")
    link = tolerant.addLink(a, b, delay="50ms", bw=10)
    assert link.intf1.shaping["delay"] is None and link.intf1.shaping["bw"] == 10
