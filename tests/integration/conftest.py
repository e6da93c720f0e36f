"""Integration fixtures: real dockerd, OVS and controller; nets always torn down."""

import os
import subprocess

import pytest

from mininet.node import RemoteController

from emuvim.dcemulator import cleanup
from emuvim.dcemulator.images import BASE_IMAGE, BUSYBOX_IMAGE, image_exists
from emuvim.dcemulator.net import DCNetwork

from helpers import NOTHING_OWNED, owned_objects, rest_over_two_pops

BYSTANDER_CONTAINER = "emuvim-test-bystander"
BYSTANDER_BRIDGE = "bystander-br"
BYSTANDER_VETH = ("bystander0", "bystander1")


def _sh(*argv):
    return subprocess.run(argv, capture_output=True, text=True)


@pytest.fixture(scope="session", autouse=True)
def platform():
    if os.getuid() != 0:
        pytest.fail("integration tests need root (run ./run test)")
    for image in (BASE_IMAGE, BUSYBOX_IMAGE):
        if not image_exists(image):
            pytest.fail("image %s missing: run `vim-emu images build`" % image)
    # Our own crashed runs only (owner process gone): never anybody else's.
    cleanup.clean()
    yield


@pytest.fixture(scope="session")
def bystanders(platform):
    """Objects the emulator does not own; every test checks they survive."""
    _sh("docker", "rm", "-f", BYSTANDER_CONTAINER)
    assert _sh("docker", "run", "-d", "--name", BYSTANDER_CONTAINER, "--network", "none",
               BUSYBOX_IMAGE, "sleep", "3600").returncode == 0
    _sh("ovs-vsctl", "--may-exist", "add-br", BYSTANDER_BRIDGE, "--", "set", "bridge",
        BYSTANDER_BRIDGE, "datapath_type=netdev")
    _sh("ip", "link", "add", BYSTANDER_VETH[0], "type", "veth", "peer", "name",
        BYSTANDER_VETH[1])
    yield
    _sh("docker", "rm", "-f", BYSTANDER_CONTAINER)
    _sh("ovs-vsctl", "--if-exists", "del-br", BYSTANDER_BRIDGE)
    _sh("ip", "link", "del", BYSTANDER_VETH[0])


def bystanders_intact():
    running = _sh("docker", "inspect", "-f", "{{.State.Running}}", BYSTANDER_CONTAINER)
    return (running.stdout.strip() == "true"
            and _sh("ovs-vsctl", "br-exists", BYSTANDER_BRIDGE).returncode == 0
            # the bridge's local port, a tap device like those of our bridges
            and _sh("ip", "link", "show", BYSTANDER_BRIDGE).returncode == 0
            and _sh("ip", "link", "show", BYSTANDER_VETH[0]).returncode == 0)


@pytest.fixture(autouse=True)
def bystanders_survive(bystanders):
    yield
    assert bystanders_intact(), "a test removed an object the emulator does not own"


@pytest.fixture
def make_net():
    """DCNetwork factory; every net is stopped and must leave nothing behind."""
    nets = []

    def factory(**kwargs):
        kwargs.setdefault("controller", None)
        kwargs.setdefault("enable_learning", True)
        net = DCNetwork(**kwargs)
        nets.append(net)
        return net

    yield factory
    for net in nets:
        net.stop()
    for net in nets:
        left = owned_objects(net.identity.run_id)
        assert left == NOTHING_OWNED, left
        assert not os.path.exists(net.record.path)


@pytest.fixture
def make_lifecycle_endpoint(make_net):
    """Two linked PoPs dc1, dc2 (the controller forwards installed flows only)
    behind an LLCM-style endpoint class (TangoLLCMEndpoint, the SONATA
    gatekeeper) on a free port; its storage must be gone after stop()."""
    endpoints = []

    def factory(endpoint_class, **options):
        net = make_net(controller=RemoteController, enable_learning=False)
        dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
        net.addLink(dc1, dc2)
        net.start()
        endpoint = endpoint_class("127.0.0.1", 0, **options)
        endpoint.connectDatacenter(dc1)
        endpoint.connectDatacenter(dc2)
        endpoint.start()
        endpoints.append(endpoint)
        return net, endpoint

    yield factory
    for endpoint in endpoints:
        endpoint.stop()
        assert not os.path.exists(endpoint.llcm.storage_dir)


@pytest.fixture
def two_pops(make_net):
    net = make_net()
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2)
    net.start()
    return net, dc1, dc2


@pytest.fixture
def api(make_net):
    """Two linked PoPs (datacenter0, datacenter1) behind a REST API endpoint.

    The controller forwards only installed chains.  Yields (net, base URL).
    """
    net = make_net(controller=RemoteController, enable_learning=False)
    endpoint = rest_over_two_pops(net, "datacenter0", "datacenter1")
    yield net, endpoint.url
    endpoint.stop()
