"""Every HTTP API an emulator serves, tried as a web page, a DNS-rebinding
page, a stranger beyond loopback and a schema-driven fuzzer would:

* REST (vim-emu's routes, /v1, /v1/wmn, the dashboard, /metrics), the
  5GTANGO LLCM, the SONATA gatekeeper, Keystone/Nova/Neutron/Heat/Glance of
  a PoP and the controller's REST all sit behind emuvim.httpguard;
* schemathesis, driven by each app's own OpenAPI document (bodies included),
  never gets a 5xx.
"""

import os
import stat

import pytest
import requests
from mininet.node import RemoteController

from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint
from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.sonata import SonataDummyGatekeeperEndpoint
from emuvim.api.tango import TangoLLCMEndpoint

from fuzzing import fuzz
from helpers import containers_of
from package_mutants import mutants, write_mutant
from tango_examples import example_descriptors, write_package

schemathesis = pytest.importorskip("schemathesis")

# Endless by design, or stopping the emulator under the fuzzer's feet.
SKIPPED = {"/dashboard/events", "/emulator/exit"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One emulator (two PoPs) with every API it has, on loopback."""
    from emuvim.dcemulator.net import DCNetwork
    net = DCNetwork(controller=RemoteController, enable_learning=False)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2)
    rest = RestApiEndpoint("127.0.0.1", 0)
    rest.connectDCNetwork(net)
    llcm = TangoLLCMEndpoint("127.0.0.1", 0)
    gatekeeper = SonataDummyGatekeeperEndpoint("127.0.0.1", 0)
    openstack = OpenstackApiEndpoint("127.0.0.1", 0)
    for dc in (dc1, dc2):
        rest.connectDatacenter(dc)
        llcm.connectDatacenter(dc)
        gatekeeper.connectDatacenter(dc)
    openstack.connect_datacenter(dc1)
    openstack.connect_dc_network(net)
    net.start()
    endpoints = [rest, llcm, gatekeeper, openstack]
    try:
        for endpoint in endpoints:
            endpoint.start()
        urls = {"rest": rest.url, "llcm": llcm.url, "sonata": gatekeeper.url,
                "controller": net.controller_backend.rest_url}
        urls.update({"openstack-" + kind: url for kind, url in openstack.urls.items()})
        yield net, urls, openstack
    finally:
        for endpoint in endpoints:
            endpoint.stop()
        net.stop()


def token_of(openstack):
    reply = requests.post(openstack.auth_url + "/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {"name": "admin", "password": "x"}}}}})
    assert reply.status_code == 201, reply.text
    return reply.headers["X-Subject-Token"]


# A write route of each app, with a body that would work, sent the way a web
# page can send it without a CORS preflight.
WRITES = {
    "rest": ("PUT", "/restapi/compute/dc1/pwned", '{"image": "emuvim/busybox:latest"}'),
    "llcm": ("POST", "/instantiations", '{"service_name": "latest"}'),
    "sonata": ("POST", "/instantiations", '{"service_uuid": "latest"}'),
    "controller": ("POST", "/stats/flowentry/add", '{"dpid": DPID, "priority": 7}'),
    "openstack-identity": ("POST", "/v3/auth/tokens",
                           '{"auth": {"identity": {"methods": ["password"], "password": '
                           '{"user": {"name": "a", "password": "b"}}}}}'),
    "openstack-network": ("POST", "/v2.0/networks", '{"network": {"name": "pwned"}}'),
}


def test_no_way_in_from_a_web_page(served, tmp_path):
    net, urls, openstack = served
    token = token_of(openstack)
    dpid = requests.get(urls["controller"] + "/stats/switches").json()[0]
    for app, (method, path, body) in WRITES.items():
        url, body = urls[app] + path, body.replace("DPID", str(dpid))
        auth = {"X-Auth-Token": token}
        # text/plain: the body a page sends with fetch(..., {mode: "no-cors"})
        plain = requests.request(method, url, data=body, headers=dict(
            auth, **{"Content-Type": "text/plain", "Origin": "http://evil.example"}))
        assert plain.status_code == 403, (app, plain.status_code, plain.text)
        # even text/plain without the Origin a browser always sends is not JSON
        bare_plain = requests.request(method, url, data=body, headers=dict(
            auth, **{"Content-Type": "text/plain"}))
        assert bare_plain.status_code == 415, (app, bare_plain.text)
        # a form as a browser sends it (Sec-Fetch-* marks every browser request)
        form = requests.request(method, url, data={"x": body}, headers=dict(
            auth, **{"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"}))
        assert form.status_code == 415, (app, form.text)
        # JSON from another origin (after a preflight no answer permits)
        cross = requests.request(method, url, data=body, headers=dict(
            auth, **{"Content-Type": "application/json", "Origin": "http://localhost:9999",
                     "Sec-Fetch-Site": "same-site"}))
        assert cross.status_code == 403, (app, cross.text)
        # DNS rebinding: the page's host name resolves to 127.0.0.1
        port = url.split("//")[1].split("/")[0].split(":")[1]
        rebound = requests.get(urls[app] + "/openapi.json", headers={
            "Host": "rebind.evil.example:%s" % port})
        assert rebound.status_code == 403, (app, rebound.text)
        for answer in (plain, bare_plain, form, cross, rebound):
            assert "access-control-allow-origin" not in answer.headers, app
    # a package upload (multipart, which a page's form can send) from a page
    package = write_package(str(tmp_path / "p.tgo"), **example_descriptors())
    for app in ("llcm", "sonata"):
        with open(package, "rb") as stream:
            upload = requests.post(urls[app] + "/packages", files={"package": stream},
                                   headers={"Origin": "http://evil.example"})
        assert upload.status_code == 403, (app, upload.text)
    # reading: no answer lets another origin's script read it
    for url in (urls["rest"] + "/restapi/compute", urls["rest"] + "/dashboard",
                urls["rest"] + "/dashboard/state", urls["llcm"] + "/packages",
                urls["llcm"] + "/instantiations", urls["sonata"] + "/packages"):
        answer = requests.get(url, headers={"Origin": "http://evil.example"})
        assert answer.status_code == 200 and "access-control-allow-origin" not in \
            answer.headers, url
    # nothing happened: no container, no network, no flow of priority 7, no package
    assert requests.get(urls["llcm"] + "/packages").json() == []
    assert "pwned" not in net.dcs["dc1"].containers
    assert not any(n.name == "pwned" for n in openstack.cloud.networks.values())
    flows = requests.get(urls["controller"] + "/stats/flow/%d" % dpid).json()
    assert flows[str(dpid)] and not any(f.get("priority") == 7 for f in flows[str(dpid)])
    # the OpenAPI documents are served (the OpenStack services' included)
    for app, url in urls.items():
        assert requests.get(url + "/openapi.json").status_code == 200, app


def test_run_directory_is_private(served):
    net, _urls, _openstack = served
    assert stat.S_IMODE(os.stat(net.record.path).st_mode) == 0o700
    for name in os.listdir(net.record.path):
        path = os.path.join(net.record.path, name)
        if os.path.isfile(path):
            assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, name


@pytest.mark.parametrize("app", ["llcm", "sonata", "controller", "openstack-identity",
                                 "openstack-compute", "openstack-network",
                                 "openstack-orchestration", "openstack-image"])
def test_no_server_errors_from_a_schema_driven_fuzzer(served, app):
    net, urls, openstack = served
    headers = {"X-Auth-Token": token_of(openstack)} if app.startswith("openstack") else None
    operations, statuses, failures = fuzz(schemathesis, urls[app], headers, SKIPPED)
    assert failures == []
    document = requests.get(urls[app] + "/openapi.json").json()
    undocumented = ["%s %s" % (method, path) for path, item in document["paths"].items()
                    for method, operation in item.items()
                    if method in ("post", "put", "patch") and "requestBody" not in operation
                    and path not in SKIPPED]
    assert undocumented == []       # every body is declared, so the fuzzer generates it
    assert len(statuses) >= 2 * len(operations)
    assert any(400 <= code < 500 for code in statuses)
    # whatever the fuzzer started is known to a PoP (nothing stray)
    tracked = sum(len(dc.containers) for dc in net.dcs.values())
    assert len(containers_of(net.identity.run_id)) == tracked


def test_packages_asking_for_host_access_are_refused(served, tmp_path):
    _net, urls, _openstack = served
    for key, value, named in (("cap_add", ["SYS_ADMIN"], "capability SYS_ADMIN"),
                              ("devices", ["/dev/vda:/dev/vda:rwm"], "device /dev/vda"),
                              ("ipc_mode", "host", "ipc_mode host")):
        descriptors = example_descriptors()
        descriptors["vnfds"][0]["virtual_deployment_units"][0][key] = value
        path = write_package(str(tmp_path / ("%s.tgo" % key)), **descriptors)
        for app in ("llcm", "sonata"):
            with open(path, "rb") as stream:
                reply = requests.post(urls[app] + "/packages", files={"package": stream})
            assert reply.status_code == 422, (app, reply.text)
            assert named in reply.json()["error"]
            assert "allow_host_access=True" in reply.json()["error"]



def test_mutated_packages_over_http_are_4xx_or_onboarded(served, tmp_path):
    """A sample of the single-field mutants the unit test runs in-process
    (every 40th), uploaded for real: never a 5xx, nothing left behind."""
    _net, urls, _openstack = served
    for kind, app in (("tango", "llcm"), ("sonata", "sonata")):
        statuses = []
        for index, (label, name, path, value) in enumerate(mutants(kind)):
            if index % 40:
                continue
            archive = write_mutant(kind, name, path, value, str(tmp_path))
            with open(archive, "rb") as stream:
                reply = requests.post(urls[app] + "/packages", files={"package": stream})
            assert reply.status_code < 500, (label, reply.text)
            statuses.append(reply.status_code)
            if reply.status_code == 201:
                uuid = reply.json()["service_uuid"]
                route = "/services/" if app == "llcm" else "/packages/"
                assert requests.delete(urls[app] + route + uuid).status_code == 200
            else:
                assert reply.json()["service_uuid"] is None and reply.json()["error"]
        assert {201, 422} <= set(statuses) and len(statuses) >= 40, (kind, statuses)
    assert requests.get(urls["llcm"] + "/packages").json() == []
