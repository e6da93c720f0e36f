"""Bad packages and requests: a clear 4xx, and nothing half-created."""

import os
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from mininet.node import RemoteController

from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.package import pack_project
from emuvim.dcemulator.images import BUSYBOX_IMAGE

from helpers import run
from tango_examples import example_descriptors, upload_package, write_package

SCRATCH_IMAGE = "emuvim/llcm-rollback-test:latest"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def llcm(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2)
    net.start()
    endpoint = TangoLLCMEndpoint("127.0.0.1", 0, max_upload_bytes=256 * 1024)
    endpoint.connectDatacenter(dc1)
    endpoint.connectDatacenter(dc2)
    endpoint.start()
    yield net, endpoint
    endpoint.stop()


def catalogue_is_empty(endpoint):
    storage = os.path.join(endpoint.llcm.storage_dir, "catalog", "services")
    return (requests.get(endpoint.url + "/packages").json() == []
            and os.listdir(storage) == []
            and os.listdir(os.path.join(endpoint.llcm.storage_dir, "uploads")) == [])


def _mutated(change):
    d = example_descriptors()
    change(d)
    return d


BAD_PACKAGES = {
    "parent-path": (lambda p: write_package(p, extra={"../../escaped.txt": "x"}, **example_descriptors()),
                    400, "leaves the package"),
    "absolute-path": (lambda p: write_package(p, extra={"/tmp/escaped.txt": "x"}, **example_descriptors()),
                      400, "absolute"),
    "symlink": (lambda p: write_package(p, symlink="Definitions/link", **example_descriptors()),
                400, "symbolic link"),
    "no-napd": (lambda p: write_package(p, napd=False, **example_descriptors()), 422, "NAPD"),
    "napd-garbage": (lambda p: write_package(p, napd="{not: [yaml", **example_descriptors()), 422,
                     "not valid YAML"),
    "no-nsd": (lambda p: write_package(p, vnfds=example_descriptors()["vnfds"]), 422, "no NSD"),
    "no-vnfd": (lambda p: write_package(p, nsd=example_descriptors()["nsd"]), 422, "no VNFD"),
    "vnfd-missing-for-nsd": (lambda p: write_package(
        p, nsd=example_descriptors()["nsd"], vnfds=example_descriptors()["vnfds"][:1]), 422, "default-vnf1"),
    "image-missing": (lambda p: write_package(p, **_mutated(
        lambda d: d["vnfds"][1]["virtual_deployment_units"][0].update(
            vm_image="emuvim/does-not-exist:1"))), 422, "does-not-exist"),
    "bad-link": (lambda p: write_package(p, **_mutated(
        lambda d: d["nsd"]["virtual_links"][1].update(connectivity_type="E-Star"))),
                 422, "connectivity_type"),
    "yaml-with-python-tag": (lambda p: write_package(
        p, napd="!!python/object/apply:os.system ['touch /tmp/emuvim-pwned']\n",
        **example_descriptors()), 422, "YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD_PACKAGES))
def test_bad_package_is_refused_and_leaves_nothing(llcm, tmp_path, case):
    net, endpoint = llcm
    make, status, message = BAD_PACKAGES[case]
    response = upload_package(endpoint.url, make(tmp_path / "bad.tgo"))
    assert response.status_code == status, response.text
    body = response.json()
    assert message in body["error"] and body["service_uuid"] is None
    assert catalogue_is_empty(endpoint)
    assert not os.path.exists("/tmp/emuvim-pwned")
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not os.path.exists("/tmp/escaped.txt")


def test_uploads_that_are_not_packages(llcm, tmp_path):
    _, endpoint = llcm
    url = endpoint.url + "/packages"
    assert requests.post(url, data=b"garbage bytes").status_code == 400
    assert requests.post(url, data=b"").status_code == 400
    no_field = requests.post(url, files={"note": (None, "a form field, no file")})
    assert no_field.status_code == 400 and "package" in no_field.json()["error"]
    big = requests.post(url, files={"package": ("big.tgo", b"0" * (300 * 1024))})
    assert big.status_code == 413
    raw_big = requests.post(url, data=(b"0" * 1024 for _ in range(300)))  # chunked: no length
    assert raw_big.status_code == 413
    assert catalogue_is_empty(endpoint)
    # The raw-body form of a good package works (vim-emu accepted both).
    good = write_package(tmp_path / "good.tgo", **example_descriptors())
    with open(good, "rb") as stream:
        assert requests.post(url, data=stream.read()).status_code == 201


def test_bad_requests(llcm):
    _, endpoint = llcm
    url = endpoint.url
    none = requests.post(url + "/instantiations", json={})
    assert none.status_code == 404 and "No service" in none.json()["error"]
    assert requests.delete(url + "/instantiations").status_code == 404  # as in vim-emu
    assert requests.post(url + "/instantiations", data="{garbage").status_code == 400
    assert requests.post(url + "/instantiations", data="[1, 2]").status_code == 400
    assert requests.post(url + "/instantiations",
                         json={"service_uuid": {"x": 1}}).status_code == 400
    assert requests.post(url + "/instantiations", json={"service_uuid": "nope"}).status_code \
        == 404
    gone = requests.delete(url + "/instantiations", json={"service_instance_uuid": "nope"})
    assert gone.status_code == 404
    assert requests.get(url + "/instantiations/nope").status_code == 404


def test_failed_instantiation_rolls_back(llcm, tmp_path):
    net, endpoint = llcm
    assert run(["docker", "tag", BUSYBOX_IMAGE, SCRATCH_IMAGE]) == ""
    try:
        d = example_descriptors()
        d["vnfds"][1]["virtual_deployment_units"][0]["vm_image"] = SCRATCH_IMAGE
        response = upload_package(endpoint.url, write_package(tmp_path / "p.tgo", **d))
        assert response.status_code == 201, response.text
    finally:
        run(["docker", "rmi", SCRATCH_IMAGE])
    bridges_before = run(["ovs-vsctl", "list-br"]).split()
    failed = requests.post(endpoint.url + "/instantiations", json={})
    assert failed.status_code == 422 and SCRATCH_IMAGE in failed.json()["error"]
    assert requests.get(endpoint.url + "/instantiations").json() == []
    assert [n for n in net.nameToNode if n.startswith("vnf")] == []
    assert net.dcs["dc1"].containers == {} and net.dcs["dc2"].containers == {}
    assert net.installed_chains == [] and net.installed_lans == []
    assert endpoint.llcm.eline_pool.in_use() == [] and endpoint.llcm.elan_pool.in_use() == []
    assert run(["ovs-vsctl", "list-br"]).split() == bridges_before
    assert "mn.vnf0.vdu01.0" not in run(["docker", "ps", "-a", "--format", "{{.Names}}"])


def test_taken_host_port_is_a_conflict_and_rolls_back(llcm):
    """The published-port service wants host port 18080; something else has it."""
    net, endpoint = llcm
    package = pack_project(os.path.join(REPO, "services", "published-port"),
                           os.path.join(endpoint.llcm.storage_dir, "p.tgo"))
    assert upload_package(endpoint.url, package).status_code == 201
    os.unlink(package)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", 18080))
        squatter.listen()
        refused = requests.post(endpoint.url + "/instantiations", json={})
    assert refused.status_code == 409, refused.text
    assert "18080" in refused.json()["error"] or "allocated" in refused.json()["error"]
    assert requests.get(endpoint.url + "/instantiations").json() == []
    assert net.dcs["dc1"].containers == {} and endpoint.llcm.elan_pool.in_use() == []
    assert "mn.vnf0.vdu01.0" not in run(["docker", "ps", "-a", "--format", "{{.Names}}"])


def test_instantiation_waits_for_net_start_and_gives_up_on_a_stopped_net(make_net, tmp_path):
    """vim-emu scripts start their APIs before net.start()."""
    net = make_net(controller=RemoteController, enable_learning=False)
    dc1 = net.addDatacenter("dc1")
    endpoint = TangoLLCMEndpoint("127.0.0.1", 0, network_start_timeout=60)
    endpoint.connectDatacenter(dc1)
    endpoint.start()
    try:
        package = write_package(tmp_path / "p.tgo", **example_descriptors())
        assert upload_package(endpoint.url, package).status_code == 201
        with ThreadPoolExecutor(1) as pool:
            early = pool.submit(requests.post, endpoint.url + "/instantiations", json={})
            net.start()
            assert early.result().status_code == 201, early.result().text
        assert set(dc1.containers) == {"vnf0.vdu01.0", "vnf1.vdu01.0"}
        net.stop()
        late = requests.post(endpoint.url + "/instantiations", json={})
        assert late.status_code == 503 and "not running" in late.json()["error"]
    finally:
        endpoint.stop()
