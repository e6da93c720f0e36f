"""`vim-emu` as a user runs it, against a real emulation behind the REST API."""

import ast
import json
import os
import subprocess
import sys

import pytest

from helpers import containers_of, ping_fails, ping_ok, reachable

VIM_EMU = os.path.join(os.path.dirname(sys.executable), "vim-emu")


def cli(url, *args):
    return subprocess.run([VIM_EMU] + list(args) + ["-e", url], capture_output=True,
                          text=True, timeout=120)


def test_user_session(api):
    net, url = api
    for dc, name, ip in (("datacenter0", "vnf1", "10.0.10.1/24"),
                         ("datacenter1", "vnf2", "10.0.10.2/24"),
                         ("datacenter1", "vnf3", "10.0.10.3/24")):
        out = cli(url, "compute", "start", "-d", dc, "-n", name, "--net", "(id=emu0,ip=%s)" % ip)
        assert out.returncode == 0, out.stderr
    assert len(containers_of(net.identity.run_id)) == 3
    listing = cli(url, "compute", "list")
    assert listing.returncode == 0
    for text in ("datacenter0", "vnf1", "vnf3", "emu0:10.0.10.2/24"):
        assert text in listing.stdout, text
    status = ast.literal_eval(cli(url, "compute", "status", "-d", "datacenter0",
                                  "-n", "vnf1").stdout)
    assert status["name"] == "vnf1" and status["state"]["Running"]
    as_json = json.loads(cli(url, "compute", "list", "-d", "datacenter1", "--json").stdout)
    assert sorted(entry[0] for entry in as_json) == ["vnf2", "vnf3"]
    assert "datacenter0" in cli(url, "datacenter", "list").stdout
    assert "datacenter1" in cli(url, "datacenter", "status", "-d", "datacenter1").stdout

    vnf1 = net.getNodeByName("vnf1")
    assert ping_fails(vnf1, "10.0.10.2")
    added = cli(url, "network", "add", "-src", "vnf1:emu0", "-dst", "vnf2:emu0", "-b", "-c", "10")
    assert added.returncode == 0 and "add-flow" in added.stdout and "success" in added.stdout
    assert reachable(vnf1, "10.0.10.2") and ping_ok(vnf1, "10.0.10.2")
    removed = cli(url, "network", "remove", "-src", "vnf1:emu0", "-dst", "vnf2:emu0", "-b")
    assert removed.returncode == 0 and "del-flows" in removed.stdout
    assert ping_fails(vnf1, "10.0.10.2")
    one_way = cli(url, "network", "add", "-src", "vnf1", "-dst", "vnf3")
    assert one_way.returncode == 0
    assert len(net.listChains()) == 1  # without -b: one way (vim-emu: always both)

    stopped = cli(url, "compute", "stop", "-d", "datacenter1", "-n", "vnf3")
    assert stopped.returncode == 0 and stopped.stdout.strip() == "True"
    assert len(containers_of(net.identity.run_id)) == 2


def test_dcmd_reaches_the_server(api):
    net, url = api
    out = cli(url, "compute", "start", "-d", "datacenter0", "-n", "sleeper", "-i",
              "emuvim/busybox:latest", "-c", "sleep 4321")
    assert out.returncode == 0, out.stderr
    assert net.getNodeByName("sleeper").inspect()["Config"]["Cmd"] == ["sleep", "4321"]


@pytest.mark.parametrize("args,fragment", [
    (["compute", "start", "-d", "nope", "-n", "x"], "404"),
    (["compute", "status", "-d", "datacenter0", "-n", "ghost"], "no compute"),
    (["network", "add", "-src", "ghost", "-dst", "ghost2"], "unknown VNF"),
])
def test_refusals_are_one_line_and_non_zero(api, args, fragment):
    _, url = api
    out = cli(url, *args)
    assert out.returncode != 0
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_unreachable_endpoint():
    out = subprocess.run([VIM_EMU, "datacenter", "list", "-e", "http://127.0.0.1:9"],
                         capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.startswith("error: cannot reach")


def test_monitor_commands_start_and_really_stop(api):
    net, url = api
    cli(url, "compute", "start", "-d", "datacenter0", "-n", "vnf1")
    assert cli(url, "monitor", "setup_metric", "-vnf", "vnf1:emu0").returncode == 0
    assert net.monitoring._interfaces == {("vnf1", "emu0")}
    stopped = cli(url, "monitor", "stop_metric", "-vnf", "vnf1:emu0")
    assert stopped.returncode == 0 and "Stopped" in stopped.stdout
    assert net.monitoring._interfaces == set()
    assert cli(url, "monitor", "setup_flow", "-vnf", "vnf1", "-c", "7").returncode == 0
    assert cli(url, "monitor", "stop_flow", "-vnf", "vnf1", "-c", "7").returncode == 0
    assert net.monitoring._flows == set()
    again = cli(url, "monitor", "stop_flow", "-vnf", "vnf1", "-c", "7")
    assert again.returncode == 1 and "404" in again.stderr


def test_vim_emus_client_classes_as_tng_sdk_test_calls_them(api, capsys):
    """5GTANGO's tng-sdk-test drives vim-emu through emuvim.cli.rest.<group>.
    RestApiClient with argparse-style dicts: the same calls work here."""
    from emuvim.cli.rest.compute import RestApiClient as ComputeClient
    from emuvim.cli.rest.network import RestApiClient as NetworkClient
    net, url = api
    compute, network = ComputeClient(), NetworkClient()
    for dc, name, ip in (("datacenter0", "c1", "10.0.9.1/24"), ("datacenter1", "c2",
                                                                  "10.0.9.2/24")):
        compute.start({"endpoint": url, "datacenter": dc, "name": name,
                       "image": "emuvim/busybox:latest", "docker_command": None,
                       "network": "(id=input,ip=%s)" % ip})
    c1, c2 = net.getNodeByName("c1"), net.getNodeByName("c2")
    assert c1 is not None and c2 is not None
    assert ping_fails(c1, "10.0.9.2")           # only chains forward
    network.add({"endpoint": url, "source": "c1:input", "destination": "c2:input",
                 "weight": None, "match": None, "bidirectional": True, "cookie": "12",
                 "priority": "1000"})
    assert ping_ok(c1, "10.0.9.2")
    assert [c["cookie"] for c in net.chaining.list_chains()] == [12, 12]
    compute.execute_command({"command": "status", "endpoint": url,
                             "datacenter": "datacenter0", "name": "c1"})
    assert "10.0.9.1/24" in capsys.readouterr().out
    compute.start({"endpoint": url, "datacenter": "nowhere", "name": "c3"})
    assert "error: 404" in capsys.readouterr().out       # printed, not raised
    network.remove({"endpoint": url, "source": "c1:input", "destination": "c2:input",
                    "bidirectional": True, "cookie": "12"})
    assert net.chaining.list_chains() == []
    for name, dc in (("c1", "datacenter0"), ("c2", "datacenter1")):
        compute.stop({"endpoint": url, "datacenter": dc, "name": name})
    assert net.getNodeByName("c1") is None
