"""The Docker-VIM API (/v1) against real Docker, OVS and the emulator."""

import io
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest
import requests

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.wmn import WMNetwork

from helpers import containers_of, networks_of, rest_over_two_pops, run, switch_ports

BASE = "emuvim/base:latest"
BUSYBOX = "emuvim/busybox:latest"
SLEEPER = ["sleep", "infinity"]
VIM_EMU = os.path.join(os.path.dirname(sys.executable), "vim-emu")
FOREIGN = {"container": "emuvim-test-foreign-running", "stopped": "emuvim-test-foreign-stopped",
           "network": "emuvim-test-foreign-net"}


@pytest.fixture
def vim(make_net):
    """Two linked PoPs dc1 and dc2 (learning switches) behind a REST endpoint."""
    net = make_net()
    endpoint = rest_over_two_pops(net, "dc1", "dc2")
    yield net, endpoint.url + "/v1"
    endpoint.stop()


@pytest.fixture
def vim_with_mesh(make_net):
    """As vim, plus a one-site mesh "m1" (for the student project's /meshnet)."""
    net = make_net()
    mesh = WMNetwork(net)

    def add_mesh(_net, endpoint):
        mesh.addMeshNode("m1", (0, 0))
        endpoint.connectWMN(mesh)

    endpoint = rest_over_two_pops(net, "dc1", "dc2", before_start=add_mesh)
    mesh.start()
    yield net, endpoint.url + "/v1"
    endpoint.stop()


def post(url, body=None, **kwargs):
    return requests.post(url, json=body if body is not None else {}, timeout=120, **kwargs)


def run_container(url, name, pop="dc1", ip=None, start=True, **extra):
    body = dict({"name": name, "image": BASE, "pop": pop, "command": SLEEPER,
                 "start": start}, **extra)
    if ip:
        body["network"] = [{"id": "in", "ip": ip}]
    reply = post(url + "/containers", body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def execute(url, name, cmd, **extra):
    reply = post("%s/containers/%s/exec" % (url, name), dict({"cmd": cmd}, **extra))
    assert reply.status_code == 200, reply.text
    return reply.json()


def pings(url, name, ip):
    return execute(url, name, ["ping", "-c", "1", "-W", "2", ip])["exit_code"] == 0


def is_json(reply):
    return reply.headers["content-type"].startswith("application/json")


# -- the student project's operations, one by one ------------------------------------------

def _bridge_exists(name):
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


STUDENT_OPERATIONS = [
    # (student route, method, /v1 path, body, status, check(reply json))
    ("GET /", "GET", "/health", None, 200, lambda j: j["status"] == "ok"),
    ("GET /info", "GET", "/info", None, 200,
     lambda j: isinstance(j["docker"]["containers"], int) and j["emulator"]["pops"] == [
         "dc1", "dc2"]),
    ("POST /pull", "POST", "/images/pull", {"image": BASE}, 200,
     lambda j: j["pulled"] is False and BASE in j["image"]["tags"]),
    ("GET /Ilist", "GET", "/images", None, 200,
     lambda j: any(BASE in i["tags"] for i in j)),
    ("POST /create", "POST", "/containers",
     {"name": "c1", "image": BASE, "pop": "dc1", "command": SLEEPER}, 201,
     lambda j: j["state"] == "created" and len(j["id"]) == 64),
    ("POST /start", "POST", "/containers/c1/start", {}, 200,
     lambda j: j["changed"] and j["container"]["state"] == "running"),
    ("POST /run", "POST", "/containers",
     {"name": "c2", "image": BASE, "pop": "dc2", "command": SLEEPER, "start": True}, 201,
     lambda j: j["state"] == "running" and j["interfaces"][0]["switch"] == "dc2.s1"),
    ("GET /Clist", "GET", "/containers", None, 200,
     lambda j: sorted(c["name"] for c in j) == ["c1", "c2", "m1.router"]),
    ("POST /inspectCont", "GET", "/containers/c1", None, 200,
     lambda j: j["pop"] == "dc1" and j["interfaces"][0]["ip"]),
    ("POST /networkcreate", "POST", "/networks",
     {"name": "dvnet", "subnet": "172.29.7.0/24", "ip_range": "172.29.7.128/25",
      "gateway": "172.29.7.1", "bridge_name": "br-dvtest"}, 201,
     lambda j: j["gateway"] == "172.29.7.1" and _bridge_exists("br-dvtest")),
    ("POST /containerexec", "POST", "/containers/c1/exec", {"cmd": ["hostname"]}, 200,
     lambda j: j["exit_code"] == 0 and j["stdout"] == "c1\n"),
    ("POST /meshnet", "GET", "/wmn/nodes/m1/stations", None, 200,
     lambda j: j["interface"] == "mesh0" and j["source"] == "emulated-medium"),
    ("POST /stoponecont", "POST", "/containers/c1/stop", {"timeout_s": 1}, 200,
     lambda j: j["container"]["state"] == "exited"),
    ("GET /stop", "POST", "/containers/actions/stop-all", {"timeout_s": 1}, 200,
     lambda j: j["stopped"] == ["c2", "m1.router"] and j["already_stopped"] == ["c1"]),
    ("DELETE /remove", "POST", "/containers/actions/prune", {}, 200,
     lambda j: j["removed"] == ["c1", "c2", "m1.router"]),
]


def test_every_student_operation_has_a_json_equivalent(vim_with_mesh):
    net, url = vim_with_mesh
    assert len(STUDENT_OPERATIONS) == 15
    for route, method, path, body, status, check in STUDENT_OPERATIONS:
        reply = requests.request(method, url + path, json=body, timeout=120)
        assert reply.status_code == status, (route, reply.text)
        assert is_json(reply), route
        assert check(reply.json()), (route, reply.json())
    # The student project's own /meshnet route answers the same station dump.
    student = requests.post(url[:-len("/v1")] + "/meshnet", json={"interface": "m1"},
                            timeout=30)
    assert student.status_code == 200 and student.json()["node"] == "m1"
    assert containers_of(net.identity.run_id) == []
    assert len(networks_of(net.identity.run_id)) == 1


# -- scoping ----------------------------------------------------------------------------

@pytest.fixture
def foreign():
    """A running and a stopped container and a network that nobody labelled."""
    for name in (FOREIGN["container"], FOREIGN["stopped"]):
        run(["docker", "rm", "-f", name])
    run(["docker", "network", "rm", FOREIGN["network"]])
    subprocess.run(["docker", "run", "-d", "--name", FOREIGN["container"], "--network", "none",
                    BUSYBOX, "sleep", "3600"], check=True, capture_output=True)
    subprocess.run(["docker", "create", "--name", FOREIGN["stopped"], BUSYBOX, "true"],
                   check=True, capture_output=True)
    subprocess.run(["docker", "network", "create", FOREIGN["network"]], check=True,
                   capture_output=True)
    yield
    for name in (FOREIGN["container"], FOREIGN["stopped"]):
        run(["docker", "rm", "-f", name])
    run(["docker", "network", "rm", FOREIGN["network"]])


def test_foreign_objects_are_invisible_and_survive(vim, foreign):
    _net, url = vim
    run_container(url, "mine")
    # Foreign containers are named without our mn. prefix: address them by
    # their full Docker name too, in case a path resolves it.
    for name in (FOREIGN["container"], FOREIGN["stopped"], "mn." + FOREIGN["container"]):
        for method, path in (("GET", ""), ("GET", "/logs"), ("GET", "/stats"),
                             ("POST", "/start"), ("POST", "/stop"), ("POST", "/exec"),
                             ("POST", "/pause"), ("DELETE", "")):
            body = {"cmd": ["true"]} if path == "/exec" else {}
            reply = requests.request(method, "%s/containers/%s%s" % (url, name, path),
                                     json=body if method == "POST" else None, timeout=30)
            assert reply.status_code == 404, (name, path, reply.text)
            assert reply.json()["code"] == "container_not_found"
    for method, path, body in (("GET", "", None), ("DELETE", "", None),
                               ("POST", "/connect", {"container": "mine"})):
        reply = requests.request(method, "%s/networks/%s%s" % (url, FOREIGN["network"], path),
                                 json=body, timeout=30)
        assert reply.status_code == 404 and reply.json()["code"] == "network_not_found"
    assert post(url + "/containers/actions/stop-all", {"timeout_s": 1}).json()["stopped"] == [
        "mine"]
    assert post(url + "/containers/actions/prune").json()["removed"] == ["mine"]
    listed = [c["name"] for c in requests.get(url + "/containers", timeout=30).json()]
    assert listed == [] and requests.get(url + "/networks", timeout=30).json() == []
    state = run(["docker", "inspect", "-f", "{{.State.Status}}", FOREIGN["container"],
                 FOREIGN["stopped"]]).split()
    assert state == ["running", "created"]
    assert run(["docker", "network", "ls", "-q", "-f", "name=" + FOREIGN["network"]]).strip()


# -- lifecycle in the network --------------------------------------------------------------

def test_stop_detaches_and_start_reattaches_with_the_same_address(vim):
    net, url = vim
    run_container(url, "left", "dc1", ip="10.31.0.1/24")
    right = run_container(url, "right", "dc2", ip="10.31.0.2/24")
    assert pings(url, "left", "10.31.0.2")
    ports_before = switch_ports("dc2.s1")
    assert post(url + "/containers/right/stop", {"timeout_s": 1}).json()["changed"] is True
    assert len(switch_ports("dc2.s1")) == len(ports_before) - 1
    assert "right" not in net.dcs["dc2"].containers
    assert not pings(url, "left", "10.31.0.2")
    assert post(url + "/containers/right/stop").json()["changed"] is False
    started = post(url + "/containers/right/start")
    assert started.status_code == 200 and started.json()["changed"] is True
    again = requests.get(url + "/containers/right", timeout=30).json()
    assert again["id"] == right["id"]
    assert again["interfaces"][0]["ip"] == "10.31.0.2/24"
    assert again["interfaces"][0]["mac"] == right["interfaces"][0]["mac"]
    assert pings(url, "left", "10.31.0.2")
    restarted = post(url + "/containers/right/restart", {"timeout_s": 1})
    assert restarted.status_code == 200 and pings(url, "left", "10.31.0.2")
    # Paused: its processes are frozen (the kernel still answers pings).
    assert post(url + "/containers/right/pause").json()["container"]["state"] == "paused"
    assert post(url + "/containers/right/exec", {"cmd": ["true"]}).status_code == 409
    assert run(["docker", "inspect", "-f", "{{.State.Paused}}", "mn.right"]).strip() == "true"
    assert post(url + "/containers/right/unpause").json()["container"]["state"] == "running"
    assert pings(url, "left", "10.31.0.2")
    refused = requests.delete(url + "/containers/right", timeout=30)
    assert refused.status_code == 409 and refused.json()["code"] == "container_running"
    assert requests.delete(url + "/containers/right?force=true", timeout=60).status_code == 204
    assert requests.get(url + "/containers/right", timeout=30).status_code == 404
    assert "right" not in net.dcs["dc2"].containers


def test_vnfs_of_other_apis_are_listed_and_stoppable(vim):
    net, url = vim
    net.dcs["dc1"].startCompute("restvnf", network=[{"id": "in", "ip": "10.32.0.1/24"}])
    listed = {c["name"]: c for c in requests.get(url + "/containers", timeout=30).json()}
    assert listed["restvnf"]["pop"] == "dc1" and listed["restvnf"]["state"] == "running"
    assert post(url + "/containers/restvnf/stop", {"timeout_s": 1}).status_code == 200
    assert post(url + "/containers/restvnf/start").status_code == 200
    assert net.dcs["dc1"].containers["restvnf"].getNetworkStatus()[0]["ip"] == "10.32.0.1/24"


# -- exec, logs, stats, resources -----------------------------------------------------------

def test_exec_separates_streams_honours_timeouts_and_needs_a_running_container(vim):
    _net, url = vim
    run_container(url, "box")
    result = execute(url, "box", "echo out; echo err >&2; exit 3", shell=True)
    assert (result["exit_code"], result["stdout"], result["stderr"]) == (3, "out\n", "err\n")
    assert result["timed_out"] is False
    started = time.monotonic()
    result = execute(url, "box", ["sh", "-c", "sleep 60; echo never"], timeout_s=1)
    assert result["timed_out"] is True and result["exit_code"] is None
    assert time.monotonic() - started < 3
    assert execute(url, "box", ["pgrep", "-f", "sleep 60"])["exit_code"] == 1, "sleep survived"
    env = execute(url, "box", "echo $GREETING; pwd", shell=True, env={"GREETING": "hi"},
                  workdir="/tmp")
    assert env["stdout"] == "hi\n/tmp\n"
    capped = execute(url, "box", ["seq", "1", "10000"], max_output_bytes=10)
    assert capped["stdout"] == "1\n2\n3\n4\n5\n" and capped["stdout_truncated"]
    refused = post(url + "/containers/box/exec", {"cmd": "ls"})
    assert refused.status_code == 400 and "shell" in refused.json()["error"]
    post(url + "/containers/box/stop", {"timeout_s": 1})
    stopped = post(url + "/containers/box/exec", {"cmd": ["true"]})
    assert stopped.status_code == 409 and stopped.json()["code"] == "container_not_running"


def test_logs_keep_streams_apart_and_stats_match_the_cgroup(vim):
    net, url = vim
    run_container(url, "talker", command=["sh", "-c", "echo to-out; echo to-err >&2; "
                                                      "exec sleep infinity"],
                  resources={"mem_limit": "64m", "cpu_quota": 20000, "cpu_period": 100000})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        logs = requests.get(url + "/containers/talker/logs", timeout=30).json()
        if len(logs["lines"]) == 2:
            break
        time.sleep(0.1)
    assert {(l["stream"], l["text"]) for l in logs["lines"]} == {("stdout", "to-out"),
                                                                ("stderr", "to-err")}
    only_err = requests.get(url + "/containers/talker/logs?stdout=false", timeout=30).json()
    assert [l["text"] for l in only_err["lines"]] == ["to-err"]
    stats = requests.get(url + "/containers/talker/stats?window_s=0.2", timeout=30).json()
    node = net.dcs["dc1"].containers["talker"]
    cgroup = int(node.cmd("cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null || "
                          "cat /sys/fs/cgroup/memory.current").strip())
    assert abs(stats["memory_bytes"] - cgroup) <= max(cgroup * 0.3, 2 << 20)
    assert stats["memory_limit_bytes"] == 64 << 20
    assert stats["pids"] >= 1 and "emu0" in stats["interfaces"]
    assert node.resources["cpu_quota"] == 20000
    patched = requests.patch(url + "/containers/talker/resources", json={"cpu_quota": 50000},
                             timeout=30)
    assert patched.status_code == 200 and node.resources["cpu_quota"] == 50000


# -- images -----------------------------------------------------------------------------

def _context_tar(dockerfile):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        content = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return data.getvalue()


TAR = {"Content-Type": "application/x-tar"}


def test_images_build_list_remove_and_pull_offline(vim):
    _net, url = vim
    tag = "emuvim/dv-test:%d" % os.getpid()
    dockerfile = "FROM %s\nRUN echo built > /built\nLABEL purpose=test\n" % BUSYBOX
    reply = requests.post(url + "/images/build", params={"tag": tag},
                          data=_context_tar(dockerfile), headers=TAR, timeout=300)
    try:
        assert reply.status_code == 201, reply.text
        assert reply.headers["location"] == "/v1/images/" + tag
        assert any(line.startswith("Step 1/") for line in reply.json()["log"])
        listed = requests.get(url + "/images?emulator_built=true", timeout=30).json()
        mine = [i for i in listed if tag in i["tags"]]
        assert mine and mine[0]["removable"] and mine[0]["labels"]["purpose"] == "test"
        run_container(url, "user", image=tag)
        assert execute(url, "user", ["cat", "/built"])["stdout"] == "built\n"
        in_use = requests.delete(url + "/images/" + tag, timeout=60)
        assert in_use.status_code == 409 and in_use.json()["code"] == "image_in_use"
        requests.delete(url + "/containers/user?force=true", timeout=60)
        assert requests.delete(url + "/images/" + tag, timeout=60).status_code == 204
        assert requests.get(url + "/images/" + tag, timeout=30).status_code == 404
    finally:
        run(["docker", "rmi", "-f", tag])
    base = requests.delete(url + "/images/" + BASE, timeout=30)
    assert base.status_code == 404 and "not built through this API" in base.json()["error"]

    streamed = requests.post(url + "/images/build", json={
        "context": "images/iperf-vnf", "tag": "emuvim/iperf-vnf:latest"},
        headers={"Accept": "application/x-ndjson"}, timeout=300, stream=True)
    assert streamed.status_code == 201
    items = [json.loads(line) for line in streamed.iter_lines()]
    assert any("Step 1/" in i.get("stream", "") for i in items)
    assert "emuvim/iperf-vnf:latest" in items[-1]["image"]["tags"]

    missing = requests.post(url + "/images/build", params={"tag": "emuvim/x:1"}, headers=TAR,
                            data=_context_tar("FROM nosuch/image:1\n"), timeout=60)
    assert missing.status_code == 422 and missing.json()["code"] == "base_image_missing"
    for context in ("../etc", "/etc", "images/../../etc", "nosuchroot/x"):
        bad = post(url + "/images/build", {"context": context, "tag": "emuvim/x:1"})
        assert bad.status_code == 400 and bad.json()["code"] == "bad_context_path", context

    started = time.monotonic()
    pulled = post(url + "/images/pull", {"image": "nosuch-registry-image/x:1"})
    assert pulled.status_code == 502 and pulled.json()["code"] == "registry_unreachable"
    assert "build it locally" in pulled.json()["details"]["hint"]
    assert time.monotonic() - started < 20 + 2
    absent = post(url + "/containers", {"name": "ghost", "image": "nosuch/image:1", "pop": "dc1"})
    assert absent.status_code == 422 and absent.json()["code"] == "image_missing"


# -- networks -------------------------------------------------------------------------------

def test_networks_validated_connected_and_removed(vim):
    net, url = vim
    body = {"name": "mgmt", "subnet": "172.29.8.0/24", "ip_range": "172.29.8.128/25",
            "gateway": "172.29.8.1", "bridge_name": "br-dvmgmt"}
    created = post(url + "/networks", body)
    assert created.status_code == 201 and created.headers["location"] == "/v1/networks/mgmt"
    assert _bridge_exists("br-dvmgmt")
    ipam = json.loads(run(["docker", "network", "inspect", "-f", "{{json .IPAM.Config}}",
                           "mgmt"]))
    assert ipam == [{"Subnet": "172.29.8.0/24", "IPRange": "172.29.8.128/25",
                     "Gateway": "172.29.8.1"}]
    cases = [(dict(body, name="m2", gateway="172.29.9.1", bridge_name=None), 400,
              "invalid_field"),
             (dict(body, bridge_name="br-other"), 409, "name_taken"),
             (dict(body, name="m3", bridge_name=None, subnet="172.29.8.0/25", ip_range=None,
                   gateway=None), 409, "subnet_overlap"),
             (dict(body, name="m4", subnet="172.29.10.0/24", ip_range=None, gateway=None,
                   bridge_name="br-dvmgmt"), 409, "bridge_name_taken"),
             (dict(body, name="m5", subnet=None, ip_range=None, gateway=None,
                   bridge_name="this-name-is-too-long"), 400, "invalid_field")]
    for request, status, code in cases:
        reply = post(url + "/networks", {k: v for k, v in request.items() if v is not None})
        assert (reply.status_code, reply.json()["code"]) == (status, code), request
    run_container(url, "member")
    joined = post(url + "/networks/mgmt/connect", {"container": "member",
                                                   "ipv4_address": "172.29.8.130"})
    assert joined.status_code == 200 and joined.json()["containers"] == ["member"]
    assert "172.29.8.130" in execute(url, "member", ["ip", "-4", "addr"])["stdout"]
    assert subprocess.run(["ping", "-c", "1", "-W", "2", "172.29.8.130"]).returncode == 0
    busy = requests.delete(url + "/networks/mgmt", timeout=30)
    assert busy.status_code == 409 and busy.json()["code"] == "network_in_use"
    assert post(url + "/networks/mgmt/disconnect", {"container": "member"}).status_code == 200
    assert requests.delete(url + "/networks/mgmt", timeout=30).status_code == 204
    post(url + "/networks", dict(body, name="left-for-stop"))
    assert len(networks_of(net.identity.run_id)) == 1   # net.stop removes it (fixture checks)


# -- what a browser or a careless client may send ---------------------------------------------

def test_browser_requests_and_gets_change_nothing(vim):
    net, url = vim
    run_container(url, "target")
    marker = ["test", "-e", "/tmp/pwned"]
    for headers, data in (({"Content-Type": "text/plain"}, '{"cmd": ["touch", "/tmp/pwned"]}'),
                          ({"Content-Type": "application/x-www-form-urlencoded"},
                           "cmd=touch+/tmp/pwned"),
                          ({}, None)):
        reply = requests.post(url + "/containers/target/exec", data=data, headers=headers,
                              timeout=30)
        assert reply.status_code == 415 and reply.json()["code"] == "json_required"
    assert execute(url, "target", marker)["exit_code"] == 1
    for path in ("/containers/actions/stop-all", "/containers/actions/prune",
                 "/containers/target/stop", "/containers/target/exec"):
        assert requests.get(url + path, timeout=30).status_code in (404, 405)
    assert requests.get(url + "/containers/target", timeout=30).json()["state"] == "running"
    evil = requests.get(url + "/containers", headers={"Host": "attacker.example"}, timeout=30)
    assert evil.status_code == 403 and evil.json()["code"] == "host_not_allowed"
    v1 = requests.get(url + "/containers", headers={"Origin": "http://attacker.example"},
                      timeout=30)
    assert "access-control-allow-origin" not in v1.headers
    preflight = requests.options(url + "/containers/target/exec", timeout=30, headers={
        "Origin": "http://attacker.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    vim_emu = requests.get(url.replace("/v1", "/restapi/datacenter"), timeout=30)
    assert "access-control-allow-origin" not in vim_emu.headers    # no wildcard anywhere


def test_bad_requests_are_4xx_and_leave_nothing(vim):
    net, url = vim
    run_container(url, "taken")
    cases = [
        (b"{not json", 400, "invalid_json"),
        ({"name": "x", "image": BASE, "pop": "dc9"}, 404, "pop_not_found"),
        ({"name": "taken", "image": BASE, "pop": "dc1"}, 409, "name_taken"),
        ({"name": "bad/name", "image": BASE, "pop": "dc1"}, 400, "invalid_field"),
        ({"name": "x", "image": BASE}, 400, "invalid_field"),                 # two PoPs
        ({"name": "x", "image": BASE, "pop": "dc1", "network": [{"id": "bad if!"}]}, 400,
         "invalid_field"),
        ({"name": "x", "image": BASE, "pop": "dc1", "network": [{"id": "a", "ip": "1.2.3"}]},
         400, "invalid_field"),
        ({"name": "x", "image": BASE, "pop": "dc1", "privileged": True}, 422, "option_refused"),
        ({"name": "x", "image": BASE, "pop": "dc1", "cap_add": ["SYS_ADMIN"]}, 422,
         "option_refused"),
        ({"name": "x", "image": BASE, "pop": "dc1", "volumes": {"/": {"bind": "/host"}}}, 422,
         "option_refused"),
        ({"name": "x", "image": BASE, "pop": "dc1", "bogus": 1}, 400, "invalid_field"),
        ({"name": "x", "image": BASE, "pop": "dc1", "command": ["no-such-binary"],
          "start": True}, 409, None),
        ([1, 2], 400, "invalid_json"),
    ]
    for body, status, code in cases:
        data = body if isinstance(body, bytes) else json.dumps(body)
        reply = requests.post(url + "/containers", data=data, timeout=60,
                              headers={"Content-Type": "application/json"})
        assert reply.status_code == status, (body, reply.text)
        assert is_json(reply) and reply.json()["error"]
        if code:
            assert reply.json()["code"] == code, (body, reply.json())
    names = [c["name"] for c in requests.get(url + "/containers", timeout=30).json()]
    assert names == ["taken"]
    assert len(containers_of(net.identity.run_id)) == 1
    unknown = requests.get(url + "/containers/nosuch/logs", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["code"] == "container_not_found"
    assert requests.get(url + "/containers/taken/stats?window_s=abc",
                        timeout=30).status_code == 400


def test_token_required_when_bound_beyond_loopback(make_net, monkeypatch):
    monkeypatch.setenv("EMUVIM_API_TOKEN", "test-token")
    net = make_net()
    endpoint = RestApiEndpoint("0.0.0.0", 0, DCnetwork=net)
    endpoint.connectDatacenter(net.addDatacenter("dc1"))
    net.start()
    endpoint.start()
    try:
        url = "http://127.0.0.1:%d/v1/containers" % endpoint.port
        assert requests.get(url, timeout=30).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer wrong"},
                            timeout=30).status_code == 401
        ok = requests.get(url, headers={"Authorization": "Bearer test-token"}, timeout=30)
        assert ok.status_code == 200 and ok.json() == []
    finally:
        endpoint.stop()


# -- the command line ---------------------------------------------------------------------------

def cli(url, *argv):
    endpoint = url[:-len("/v1")]
    return subprocess.run([VIM_EMU, "docker", "-e", endpoint] + list(argv),
                          capture_output=True, text=True, timeout=120)


def test_cli(vim):
    _net, url = vim
    endpoint = url[:-len("/v1")]
    created = cli(url, "run", "--name", "clivnf", "--pop", "dc2", "--net",
                  "id=in,ip=10.33.0.5/24", "--json", BASE, "sleep", "infinity")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)[0]["interfaces"][0]["ip"] == "10.33.0.5/24"
    listing = cli(url, "ps")
    assert "clivnf" in listing.stdout and "running" in listing.stdout
    remote = subprocess.run([VIM_EMU, "docker", "-e", endpoint, "exec", "--shell", "clivnf",
                             "--", "echo out; echo err >&2; exit 7"], capture_output=True,
                            text=True, timeout=60)
    assert (remote.returncode, remote.stdout, remote.stderr) == (7, "out\n", "err\n")
    slow = subprocess.run([VIM_EMU, "docker", "-e", endpoint, "exec", "--timeout", "0.5",
                           "clivnf", "--", "sleep", "30"], capture_output=True, text=True,
                          timeout=60)
    assert slow.returncode == 124 and "timed out" in slow.stderr
    assert cli(url, "stop", "clivnf", "-t", "1").returncode == 0
    assert "exited" in cli(url, "ps").stdout
    pulled = cli(url, "images", "pull", "nosuch-registry-image/x:1")
    assert pulled.returncode == 1 and "registry_unreachable" in pulled.stderr
    assert "hint: build it locally" in pulled.stderr
    made = cli(url, "network", "create", "clinet", "--subnet", "172.29.11.0/24")
    assert made.returncode == 0 and json.loads(made.stdout)["subnet"] == "172.29.11.0/24"
    assert "clinet" in cli(url, "network", "ls").stdout
    assert cli(url, "rm", "clivnf").returncode == 0
    missing = cli(url, "rm", "clivnf")
    assert missing.returncode == 1 and "container_not_found" in missing.stderr
