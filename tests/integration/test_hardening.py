"""What the hardening issue found, tried again on a real emulator: faults
(a VNF killed behind the emulator's back, limits Docker refuses), malformed
fields, published ports, tokens and credentials beyond loopback, and the
gatekeeper's missing DELETE."""

import subprocess
import urllib.parse

import pytest
import requests
from mininet.node import RemoteController

from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint
from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.sonata import SonataDummyGatekeeperEndpoint
from emuvim.api.sonata.package import pack_son
from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.httpguard import TOKEN_ENV

from helpers import run
from package_mutants import SONATA

EXPOSING_IMAGE = "emuvim/expose-test:latest"


def put_compute(url, dc, name, **body):
    return requests.put("%s/restapi/compute/%s/%s" % (url, dc, urllib.parse.quote(name, safe="")),
                        json=body, timeout=120)


def test_a_killed_vnf_is_listed_not_an_error(api):
    net, url = api
    assert put_compute(url, "datacenter0", "victim", image="emuvim/busybox:latest") \
        .status_code == 201
    subprocess.run(["docker", "kill", "mn.victim"], check=True, capture_output=True)
    for path in ("/restapi/compute", "/restapi/compute/datacenter0",
                 "/restapi/compute/datacenter0/victim", "/dashboard/state", "/v1/containers"):
        reply = requests.get(url + path, timeout=30)
        assert reply.status_code == 200, (path, reply.text)
    status = requests.get(url + "/restapi/compute/datacenter0/victim").json()
    assert status["state"]["Running"] is False
    assert [i["status"] for i in status["network"]] == ["MISSING"]
    # removed behind our back as well: still listed, as removed
    subprocess.run(["docker", "rm", "-f", "mn.victim"], check=True, capture_output=True)
    gone = requests.get(url + "/restapi/compute/datacenter0/victim").json()
    assert gone["state"]["Status"] == "removed"
    assert requests.delete(url + "/restapi/compute/datacenter0/victim").status_code == 200
    assert "victim" not in net.dcs["datacenter0"].containers


def test_malformed_fields_are_4xx_and_start_nothing(api):
    net, url = api
    for name, body, status, said in (
            ("obj", {"image": "emuvim/busybox:latest", "docker_command": {"a": 1}}, 400,
             "docker_command"),
            ("ref", {"image": "img;touch x"}, 400, "not a Docker image reference"),
            ("vnf\n", {"image": "emuvim/busybox:latest"}, 400, "invalid compute name"),
            ("flavor", {"image": "emuvim/busybox:latest", "flavor_name": ["tiny"]}, 400,
             "flavor_name")):
        reply = put_compute(url, "datacenter0", name, **body)
        assert reply.status_code == status and said in reply.json()["error"], reply.text
    assert net.dcs["datacenter0"].containers == {}
    assert run(["docker", "ps", "-aq", "--filter", "name=mn.ref"]) == ""
    # chains: a cookie or priority OpenFlow cannot carry
    put_compute(url, "datacenter0", "a", image="emuvim/busybox:latest")
    put_compute(url, "datacenter1", "b", image="emuvim/busybox:latest")
    for field, value in (("cookie", str(1 << 64)), ("priority", "70000"), ("cookie", "-3")):
        reply = requests.put(url + "/restapi/network", json={
            "vnf_src_name": "a", "vnf_dst_name": "b", field: value})
        assert reply.status_code == 400 and field in reply.json()["error"], reply.text
    assert net.chaining.chains == []


def test_limits_docker_refuses_are_422(api):
    _net, url = api
    assert put_compute(url, "datacenter0", "limited", image="emuvim/busybox:latest") \
        .status_code == 201
    base = url + "/restapi/compute/resources/datacenter0/limited"
    for query in ("mem_limit=1", "cpuset_cpus=999", "cpu_quota=5"):
        reply = requests.put(base + "?" + query)
        assert reply.status_code == 422 and "Docker refused" in reply.json()["error"], reply.text
    assert requests.put(base + "?cpu_bw=0.5").json()["cpu_quota"] == 50000


@pytest.fixture
def exposing_image(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM emuvim/busybox:latest\nEXPOSE 8080 9090/udp\n")
    subprocess.run(["docker", "build", "-q", "-t", EXPOSING_IMAGE, str(tmp_path)], check=True,
                   capture_output=True)
    yield EXPOSING_IMAGE
    subprocess.run(["docker", "rmi", "-f", EXPOSING_IMAGE], capture_output=True)


def published(container):
    ports = subprocess.run(["docker", "inspect", "-f", "{{json .HostConfig.PortBindings}}",
                            container], capture_output=True, text=True, check=True).stdout
    import json
    return {port: [b["HostIp"] for b in bindings] for port, bindings in
            (json.loads(ports) or {}).items()}


def test_api_started_vnfs_publish_on_loopback_only(api, exposing_image):
    net, url = api
    assert put_compute(url, "datacenter0", "exposed", image=exposing_image).status_code == 201
    assert published("mn.exposed") == {"8080/tcp": ["127.0.0.1"], "9090/udp": ["127.0.0.1"]}
    reply = requests.post(url + "/v1/containers", json={
        "name": "v1exposed", "image": exposing_image, "pop": "datacenter1", "start": True,
        "ports": {"7000/tcp": None}})
    assert reply.status_code == 201, reply.text
    assert published("mn.v1exposed") == {"8080/tcp": ["127.0.0.1"], "9090/udp": ["127.0.0.1"],
                                          "7000/tcp": ["127.0.0.1"]}
    # a topology script keeps Containernet's behaviour (its owner's choice)
    net.dcs["datacenter1"].startCompute("scripted", image=exposing_image)
    assert run(["docker", "inspect", "-f", "{{.HostConfig.PublishAllPorts}}",
                "mn.scripted"]).strip() == "true"
    assert run(["docker", "inspect", "-f", "{{.HostConfig.PublishAllPorts}}",
                "mn.exposed"]).strip() == "false"


def test_every_route_needs_the_token_beyond_loopback(make_net, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    net = make_net(controller=RemoteController, enable_learning=False)
    dc = net.addDatacenter("dc1")
    rest = RestApiEndpoint("0.0.0.0", 0, DCnetwork=net)
    rest.connectDatacenter(dc)
    llcm = TangoLLCMEndpoint("0.0.0.0", 0)
    llcm.connectDatacenter(dc)
    net.start()
    rest.start()
    llcm.start()
    try:
        rest_url = "http://127.0.0.1:%d" % rest.port
        llcm_url = "http://127.0.0.1:%d" % llcm.port
        bearer = {"Authorization": "Bearer s3cret-token"}
        for url in (rest_url + "/restapi/compute", rest_url + "/metrics",
                    rest_url + "/dashboard", rest_url + "/dashboard/state",
                    rest_url + "/v1/containers", rest_url + "/openapi.json",
                    llcm_url + "/packages", llcm_url + "/instantiations"):
            assert requests.get(url).status_code == 401, url
            assert requests.get(url, headers={"Authorization": "Bearer nope"}) \
                .status_code == 401, url
            assert requests.get(url, headers=bearer).status_code == 200, url
        refused = put_compute(rest_url, "dc1", "intruder", image="emuvim/busybox:latest")
        assert refused.status_code == 401 and "intruder" not in dc.containers
        # a browser: the page with ?token= once, then the cookie (GETs only)
        session = requests.Session()
        assert session.get(rest_url + "/dashboard?token=s3cret-token").status_code == 200
        assert session.get(rest_url + "/dashboard/state").status_code == 200
        assert session.put(rest_url + "/restapi/compute/dc1/intruder",
                           json={"image": "emuvim/busybox:latest"}).status_code == 401
    finally:
        llcm.stop()
        rest.stop()


def test_openstack_beyond_loopback_needs_and_checks_credentials(make_net, monkeypatch):
    monkeypatch.delenv("EMUVIM_OPENSTACK_PASSWORD", raising=False)
    net = make_net(controller=RemoteController, enable_learning=False)
    dc = net.addDatacenter("dc1")
    net.start()
    open_endpoint = OpenstackApiEndpoint("0.0.0.0", 0)
    open_endpoint.connect_datacenter(dc)
    with pytest.raises(ValueError, match="credentials"):
        open_endpoint.start()
    assert open_endpoint.urls == {}
    endpoint = OpenstackApiEndpoint("0.0.0.0", 0, credentials=("osm", "pa55"))
    endpoint.connect_datacenter(dc)
    endpoint.start()
    try:
        tokens = endpoint.auth_url + "/auth/tokens"

        def auth(**identity):
            return requests.post(tokens, json={"auth": {"identity": identity}})
        wrong = auth(methods=["password"], password={"user": {"name": "osm", "password": "x"}})
        assert wrong.status_code == 401
        assert auth(methods=["password"], password={"user": {"name": "admin",
                                                             "password": "pa55"}}).status_code \
            == 401
        forged = auth(methods=["token"], token={"id": "0" * 32})
        assert forged.status_code == 401
        right = auth(methods=["password"], password={"user": {"name": "osm", "password": "pa55"}})
        assert right.status_code == 201, right.text
        v2 = requests.post(endpoint.urls["identity"] + "/v2.0/tokens", json={"auth": {
            "passwordCredentials": {"username": "osm", "password": "nope"}}})
        assert v2.status_code == 401
        servers = endpoint.urls["compute"] + "/v2.1/servers"
        assert requests.get(servers).status_code == 401
        assert requests.get(servers, headers={
            "X-Auth-Token": right.headers["X-Subject-Token"]}).status_code == 200
    finally:
        endpoint.stop()


def test_gatekeeper_removes_a_service(make_lifecycle_endpoint, tmp_path):
    _net, gatekeeper = make_lifecycle_endpoint(SonataDummyGatekeeperEndpoint)
    package = pack_son(SONATA, str(tmp_path / "chain.son"))
    with open(package, "rb") as stream:
        reply = requests.post(gatekeeper.url + "/packages", files={"package": stream})
    assert reply.status_code == 201, reply.text
    service_uuid = reply.json()["service_uuid"]
    folder = gatekeeper.llcm.services[service_uuid].folder
    removed = requests.delete(gatekeeper.url + "/packages/" + service_uuid)
    assert removed.status_code == 200, removed.text
    assert requests.get(gatekeeper.url + "/packages").json() == {"service_uuid_list": []}
    assert not __import__("os").path.exists(folder)
    assert requests.delete(gatekeeper.url + "/api/v2/packages/" + service_uuid) \
        .status_code == 404
