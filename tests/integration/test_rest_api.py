"""The vim-emu REST API over real HTTP against a real 2-PoP emulation."""

from concurrent.futures import ThreadPoolExecutor

import docker
import pytest
import requests

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint

from helpers import containers_of, ping_fails, ping_ok, reachable


def put_compute(url, dc, name, **body):
    return requests.put("%s/restapi/compute/%s/%s" % (url, dc, name), json=body)


def test_compute_lifecycle(api):
    net, url = api
    reply = put_compute(url, "datacenter0", "vnf1", image="emuvim/base:latest",
                        network="(id=input,ip=10.0.10.1/24)")
    assert reply.status_code == 201, reply.text
    status = reply.json()
    assert status["name"] == "vnf1" and status["state"]["Running"]
    assert status["network"][0]["intf_name"] == "input"
    assert status["network"][0]["ip"] == "10.0.10.1/24"
    assert "Access-Control-Allow-Origin" not in reply.headers     # no wildcard CORS
    assert requests.get(url + "/restapi/compute/datacenter0/vnf1").json()["datacenter"] == \
        "datacenter0"
    listed = requests.get(url + "/restapi/compute").json()
    assert [entry[0] for entry in listed] == ["vnf1"]
    assert requests.get(url + "/restapi/compute/None").json() == listed
    assert requests.get(url + "/restapi/compute/datacenter1").json() == []
    dcs = requests.get(url + "/restapi/datacenter").json()
    assert [d["label"] for d in dcs] == ["datacenter0", "datacenter1"]
    assert requests.get(url + "/restapi/datacenter/datacenter0").json()["vnf_list"] == ["vnf1"]
    reply = requests.delete(url + "/restapi/compute/datacenter0/vnf1")
    assert reply.status_code == 200 and reply.json() is True
    assert containers_of(net.identity.run_id) == []


def test_docker_command_reaches_the_container(api):
    net, url = api
    reply = put_compute(url, "datacenter0", "vnf1", image="emuvim/busybox:latest",
                        docker_command="sleep 1234")
    assert reply.status_code == 201, reply.text
    assert net.getNodeByName("vnf1").inspect()["Config"]["Cmd"] == ["sleep", "1234"]


def test_body_as_json_string_like_old_clients(api):
    _, url = api
    reply = requests.put(url + "/restapi/compute/datacenter0/vnf1",
                         data='"{\\"image\\": \\"emuvim/busybox:latest\\"}"')
    assert reply.status_code == 201, reply.text


def test_chain_through_the_api(api):
    net, url = api
    put_compute(url, "datacenter0", "vnf1", network="(id=emu0,ip=10.0.10.1/24)")
    put_compute(url, "datacenter1", "vnf2", network="(id=emu0,ip=10.0.10.2/24)")
    vnf1 = net.getNodeByName("vnf1")
    assert ping_fails(vnf1, "10.0.10.2")
    reply = requests.put(url + "/restapi/network",
                         params={"vnf_src_name": "vnf1", "vnf_dst_name": "vnf2",
                                 "bidirectional": "True", "cookie": "10", "priority": "1000"})
    assert reply.status_code == 200, reply.text
    assert "success: add-flow" in reply.json()
    assert reachable(vnf1, "10.0.10.2") and ping_ok(vnf1, "10.0.10.2")
    reply = requests.delete(url + "/restapi/network",
                            json={"vnf_src_name": "vnf1", "vnf_dst_name": "vnf2",
                                  "bidirectional": True, "cookie": 10})
    assert reply.status_code == 200 and "del-flows" in reply.json()
    assert net.listChains() == []
    one_way = requests.put(url + "/restapi/network",
                           params={"vnf_src_name": "vnf1", "vnf_dst_name": "vnf2",
                                   "bidirectional": "False"})
    assert one_way.status_code == 200
    assert len(net.listChains()) == 1  # "False" is false, unlike vim-emu
    graph = requests.get(url + "/restapi/network/d3jsgraph").json()
    assert {n["name"] for n in graph["nodes"]} >= {"vnf1", "vnf2"}
    assert graph["links"]


def test_resource_update(api):
    net, url = api
    put_compute(url, "datacenter0", "vnf1")
    reply = requests.put(url + "/restapi/compute/resources/datacenter0/vnf1",
                         params={"cpu_bw": "0.25", "mem_limit": str(64 * 2 ** 20)})
    assert reply.status_code == 200, reply.text
    assert reply.json()["cpu_quota"] == 25000 and reply.json()["mem_limit"] == 64 * 2 ** 20
    bad = requests.put(url + "/restapi/compute/resources/datacenter0/vnf1",
                       params={"cpu_shares": "lots"})
    assert bad.status_code == 400


@pytest.mark.parametrize("method,path,kwargs,status,fragment", [
    ("put", "/restapi/compute/nope/vnf1", {"json": {}}, 404, "unknown datacenter"),
    ("get", "/restapi/compute/datacenter0/ghost", {}, 404, "no compute"),
    ("delete", "/restapi/compute/datacenter0/ghost", {}, 404, "no compute"),
    ("put", "/restapi/compute/datacenter0/vnf1", {"data": "{garbage"}, 400, "not JSON"),
    ("put", "/restapi/compute/datacenter0/vnf1", {"json": {"network": "id=a"}}, 400,
     "cannot parse network"),
    ("put", "/restapi/compute/datacenter0/vnf1",
     {"json": {"network": "(id=way-too-long-interface-name)"}}, 400, "15 characters"),
    ("put", "/restapi/compute/datacenter0/vnf1", {"json": {"image": "no/such:image"}}, 422,
     "not available locally"),
    # The container cannot start: a client mistake (409), not a 500.
    ("put", "/restapi/compute/datacenter0/vnf1",
     {"json": {"image": "emuvim/busybox:latest", "docker_command": "/no/such/binary"}}, 409,
     "cannot start"),
    ("put", "/restapi/compute/datacenter0/bad%20name", {"json": {}}, 400, "invalid"),
    ("put", "/restapi/network", {"params": {"vnf_src_name": "x"}}, 400,
     "vnf_dst_name is required"),
    ("put", "/restapi/network", {"params": {"vnf_src_name": "x", "vnf_dst_name": "y"}}, 404,
     "unknown VNF"),
    ("put", "/restapi/network", {"params": {"vnf_src_name": "x", "vnf_dst_name": "y",
                                            "evil": "1"}}, 400, "unknown parameters"),
    ("get", "/restapi/datacenter/nope", {}, 404, "unknown datacenter"),
    ("get", "/restapi/compute/nope", {}, 404, "unknown datacenter"),
    ("put", "/restapi/compute/resources/datacenter0/ghost", {}, 404, "no compute"),
])
def test_client_mistakes_get_clear_4xx(api, method, path, kwargs, status, fragment):
    net, url = api
    reply = getattr(requests, method)(url + path, **kwargs)
    assert reply.status_code == status, reply.text
    assert fragment in reply.json()["error"]
    assert containers_of(net.identity.run_id) == []


def test_duplicates_are_conflicts(api):
    net, url = api
    assert put_compute(url, "datacenter0", "vnf1").status_code == 201
    assert put_compute(url, "datacenter1", "vnf2").status_code == 201
    reply = put_compute(url, "datacenter1", "vnf1")
    assert reply.status_code == 409 and "already exists" in reply.json()["error"]
    chain = {"vnf_src_name": "vnf1", "vnf_dst_name": "vnf2"}
    assert requests.put(url + "/restapi/network", json=chain).status_code == 200
    assert requests.put(url + "/restapi/network", json=chain).status_code == 409
    assert len(containers_of(net.identity.run_id)) == 2


def test_two_endpoints_in_one_process(make_net):
    urls, endpoints = [], []
    for index in range(2):
        net = make_net()
        endpoint = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
        endpoint.connectDatacenter(net.addDatacenter("pop%d" % index))
        net.start()
        endpoint.start()
        endpoints.append(endpoint)
        urls.append(endpoint.url)
    try:
        assert [d["label"] for d in requests.get(urls[0] + "/restapi/datacenter").json()] == \
            ["pop0"]
        assert [d["label"] for d in requests.get(urls[1] + "/restapi/datacenter").json()] == \
            ["pop1"]
    finally:
        for endpoint in endpoints:
            endpoint.stop()


def test_openapi_documents_every_path(api):
    _, url = api
    paths = requests.get(url + "/openapi.json").json()["paths"]
    for path in ("/restapi/compute", "/restapi/compute/{dc_label}",
                 "/restapi/compute/{dc_label}/{compute_name}",
                 "/restapi/compute/resources/{dc_label}/{compute_name}",
                 "/restapi/datacenter", "/restapi/datacenter/{dc_label}",
                 "/restapi/network", "/restapi/network/d3jsgraph", "/metrics",
                 "/restapi/monitor/interface", "/restapi/monitor/flow",
                 "/restapi/monitor/link"):
        assert path in paths, path


def test_twenty_parallel_starts_end_consistent(api):
    net, url = api

    def start(index):
        dc = "datacenter%d" % (index % 2)
        # two requests per name: exactly one of each pair may win
        return put_compute(url, dc, "p%d" % (index // 2),
                           image="emuvim/busybox:latest").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(start, range(20)))
    assert sorted(codes) == [201] * 10 + [409] * 10, codes
    listed = sorted(entry[0] for entry in requests.get(url + "/restapi/compute").json())
    owned = docker.from_env().containers.list(
        filters={"label": "emuvim.run=%s" % net.identity.run_id})
    running = sorted(c.name[len("mn."):] for c in owned)
    assert listed == running == sorted("p%d" % i for i in range(10))
