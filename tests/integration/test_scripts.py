"""The shipped topology scripts, run as a user runs them (no terminal)."""

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from emuvim.api.tango.package import pack_project
from emuvim.dcemulator import cleanup
from helpers import host_ping, owned_objects, NOTHING_OWNED
from helpers import run as run_cmd

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_script(name, *args):
    return subprocess.run([sys.executable, os.path.join(REPO, "topologies", name)] + list(args),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)


def test_demo_moves_traffic_and_exits_zero():
    out = run_script("default_demo.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ping loss 0%" in out.stdout
    assert "TCP" in out.stdout and "Mbit/s" in out.stdout


@pytest.mark.parametrize("script,args", [
    ("linear_topology.py", ["--pops", "3", "--bw", "50"]),
    ("two_pop_shaped_link.py", ["--bw", "20"]),
])
def test_topology_scripts_ping_end_to_end(script, args):
    out = run_script(script, "--no-cli", *args)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0% packet loss" in out.stdout


def test_single_dc_topology_serves_the_rest_api():
    out = run_script("default_single_dc_topology.py", "--no-cli", "--rest-port", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "REST API on http://127.0.0.1:" in out.stdout


def stop_killing_if_needed(process):
    """After a failed test: kill the script and remove what its dead run left,
    so that the failure does not spill into later tests."""
    if process.poll() is None:
        process.kill()
        process.wait()
        cleanup.clean()


def read_banner(process, marker):
    """The script's output up to the line announcing `marker`."""
    banner = ""
    while marker not in banner:
        line = process.stdout.readline()
        assert line, "topology ended early: " + banner
        banner += line
    return banner


def test_one_pop_llcm_topology_starts_and_stops():
    out = run_script("tango_default_cli_topology_1_pop.py", "--smoke", "--rest-port", "0",
                     "--llcm-port", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "LLCM on http://127.0.0.1:" in out.stdout


def test_readme_llcm_walk_through_on_two_pops(tmp_path):
    """The README's curl walk-through against the 2-PoP LLCM topology, then
    PUT /emulator/exit: the script ends by itself and leaves nothing behind."""
    topology = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "topologies", "tango_default_cli_topology_2_pop.py"),
         "--serve", "--rest-port", "0", "--llcm-port", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = read_banner(topology, "LLCM on")
        url = re.search(r"LLCM on (http://\S+) \(run (emu-\w+)\)", banner)
        llcm, run_id = url.group(1), url.group(2)
        tgo = str(tmp_path / "example.tgo")
        vim_emu = os.path.join(os.path.dirname(sys.executable), "vim-emu")
        subprocess.run([vim_emu, "package", "pack", os.path.join(REPO, "services",
                                                                 "emulator-example"),
                        "-o", tgo], check=True)
        curl = lambda *a: subprocess.run(["curl", "-sf"] + list(a), capture_output=True,  # noqa
                                         text=True, timeout=120, check=True).stdout
        assert json.loads(curl("-X", "POST", "-F", "package=@" + tgo,
                               llcm + "/packages"))["service_uuid"]
        instance = json.loads(curl("-X", "POST", llcm + "/instantiations", "-d", "{}"))
        info = json.loads(curl(llcm + "/instantiations/" + instance["service_instance_uuid"]))
        mgmt = [i["ip"].split("/")[0] for u in info["units"] for i in u["interfaces"]
                if i["id"] == "mgmt"]
        assert len(mgmt) == 2
        for ip in mgmt:  # through the host's management SAP, across both PoPs
            assert "VNF_NAME=" in curl("--retry", "5", "--retry-all-errors", "--retry-delay",
                                       "0", "http://%s:8080/" % ip)
        curl("-X", "PUT", llcm + "/emulator/exit")
        assert topology.wait(timeout=120) == 0
    finally:
        stop_killing_if_needed(topology)
    assert owned_objects(run_id) == NOTHING_OWNED


def test_sonata_topology_walk_through(tmp_path):
    """The README's SONATA walk-through: a .son folder uploaded with the CLI,
    instantiated with son-emu's curl call, reached from the host, then exit."""
    topology = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "topologies", "sonata_gatekeeper.py"), "--serve",
         "--rest-port", "0", "--gk-port", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = read_banner(topology, "SONATA gatekeeper on")
        found = re.search(r"gatekeeper on (http://\S+) \(run (emu-\w+)\)", banner)
        gk, run_id = found.group(1), found.group(2)
        vim_emu = os.path.join(os.path.dirname(sys.executable), "vim-emu")
        subprocess.run([vim_emu, "llcm", "-e", gk, "upload",
                        os.path.join(REPO, "services", "sonata-empty-chain")], check=True,
                       capture_output=True, timeout=120)
        curl = lambda *a: subprocess.run(["curl", "-sf"] + list(a), capture_output=True,  # noqa
                                         text=True, timeout=120, check=True).stdout
        instance = json.loads(curl("-X", "POST", gk + "/instantiations", "-d", "{}"))
        info = json.loads(curl(gk + "/instantiations/" + instance["service_instance_uuid"]))
        entry = next(i["ip"].split("/")[0] for u in info["units"] for i in u["interfaces"]
                     if u["name"] == "chain_vnf1" and i["id"] == "input")
        assert any(host_ping(entry) for _ in range(5))   # through the external SAP ns:input
        curl("-X", "PUT", gk + "/emulator/exit")
        assert topology.wait(timeout=120) == 0
    finally:
        stop_killing_if_needed(topology)
    assert owned_objects(run_id) == NOTHING_OWNED


VIM_EMU_STYLE_LLCM_SCRIPT = '''
import logging
from mininet.log import setLogLevel
from emuvim.dcemulator.net import DCNetwork
from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.tango import TangoLLCMEndpoint

logging.basicConfig(level=logging.INFO)
setLogLevel('info')


def create_topology():
    net = DCNetwork(monitor=False, enable_learning=True)
    dc1 = net.addDatacenter("dc1")
    rapi1 = RestApiEndpoint("127.0.0.1", %(rest)d)
    rapi1.connectDCNetwork(net)
    rapi1.connectDatacenter(dc1)
    rapi1.start()
    llcm1 = TangoLLCMEndpoint("127.0.0.1", %(llcm)d, deploy_sap=False)
    llcm1.connectDatacenter(dc1)
    llcm1.start()
    net.start()
    net.CLI()
    rapi1.stop()
    llcm1.stop()
    net.stop()


def main():
    create_topology()


if __name__ == '__main__':
    main()
'''


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_until(stream, *markers, timeout=60):
    """What `stream` (a pipe) yields until every marker was seen, in order (bounded)."""
    seen, position, deadline = "", 0, time.monotonic() + timeout
    poller = select.poll()       # not select(): the test process may hold fds above 1023
    poller.register(stream, select.POLLIN)
    for marker in markers:
        while marker not in seen[position:]:
            left = deadline - time.monotonic()
            assert left > 0, "no %r in the output: %r" % (marker, seen[-500:])
            if poller.poll(left * 1000):
                chunk = os.read(stream.fileno(), 4096).decode(errors="replace")
                assert chunk, "the output ended before %r: %r" % (marker, seen[-500:])
                seen += chunk
        position = seen.index(marker, position) + len(marker)
    return seen


def test_vim_emu_style_llcm_script_with_its_cli(tmp_path):
    """A topology written the vim-emu way (APIs started before net.start(),
    Mininet CLI last) deploys a package; the CLI runs a command in an LLCM
    container (a dotted name); 'exit' on the CLI ends it cleanly."""
    ports = {"rest": _free_port(), "llcm": _free_port()}
    script = tmp_path / "tango_topology.py"
    script.write_text(VIM_EMU_STYLE_LLCM_SCRIPT % ports)
    llcm = "http://127.0.0.1:%d" % ports["llcm"]
    topology = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        for _ in range(300):  # readiness: the LLCM answers (bounded)
            try:
                requests.get(llcm + "/packages", timeout=1)
                break
            except requests.ConnectionError:
                assert topology.poll() is None, "the script ended early"
                time.sleep(0.1)
        tgo = pack_project(os.path.join(REPO, "services", "emulator-example"),
                           str(tmp_path / "example.tgo"))
        with open(tgo, "rb") as stream:
            assert requests.post(llcm + "/packages", files={"package": stream}).status_code \
                == 201
        assert requests.post(llcm + "/instantiations", json={}).status_code == 201
        names = run_cmd(["docker", "ps", "--format", "{{.Names}}"])
        assert "mn.vnf0.vdu01.0" in names and "mn.vnf1.vdu01.0" in names
        # The shell computes the marker: only a command that ran prints it.
        topology.stdin.write(b"vnf0.vdu01.0 echo cli-reached-$((6*7))\n")
        topology.stdin.flush()
        # The next prompt: the CLI is done with the node and reads its own input again.
        output = read_until(topology.stdout, "cli-reached-42", "mininet>")
        assert "Unknown command" not in output
        topology.communicate(b"exit\n", timeout=120)
        assert topology.returncode == 0
    finally:
        stop_killing_if_needed(topology)
    assert "mn.vnf0.vdu01.0" not in run_cmd(["docker", "ps", "-a", "--format", "{{.Names}}"])


def test_openstack_topology_serves_a_server_until_sigterm():
    import openstack
    topology = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "topologies", "openstack_single_dc.py"), "--serve",
         "--port", "0", "--rest-port", "0"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        output = read_until(topology.stdout, "OS_AUTH_URL=", "REST API on")
        auth_url = re.search(r"OS_AUTH_URL=(\S+)", output).group(1)
        conn = openstack.connect(auth_url=auth_url, username="admin", password="any",
                                 project_name="admin", user_domain_name="Default",
                                 project_domain_name="Default", region_name="RegionOne")
        lan = conn.network.create_network(name="lan")
        conn.network.create_subnet(network_id=lan.id, ip_version=4, cidr="10.10.0.0/24")
        server = conn.compute.create_server(
            name="vm1", image_id=conn.image.find_image("emuvim/base").id,
            flavor_id=conn.compute.find_flavor("m1.tiny").id, networks=[{"uuid": lan.id}])
        assert conn.compute.wait_for_server(server, wait=60).status == "ACTIVE"
        assert "mn.vm1" in run_cmd(["docker", "ps", "--format", "{{.Names}}"]).split()
        topology.send_signal(signal.SIGTERM)
        topology.communicate(timeout=120)
        assert topology.returncode == 0
    finally:
        stop_killing_if_needed(topology)
    assert "mn.vm1" not in run_cmd(["docker", "ps", "-a", "--format", "{{.Names}}"]).split()


def test_two_pop_openstack_topology_starts_and_stops():
    out = run_script("openstack_two_pops.py", "--no-cli", "--port", "0", "--rest-port", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("OS_AUTH_URL=http://127.0.0.1:") == 2
