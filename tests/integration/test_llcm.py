"""The 5GTANGO LLCM end to end: upload, instantiate, traffic, isolation, teardown."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml

from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.llcm import StaticConfigPlacement
from emuvim.api.tango.package import pack_project
from emuvim.dcemulator.images import image_exists

from tango_examples import example_descriptors, make_multi_vdu, upload_package, write_package
from helpers import (addresses, bridge_flows_with_cookie, cgroup_value, details, host_ping,
                     instantiate, ping_fails, reachable, run, tcp_mbit_s)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VNF_IMAGE = "emuvim/iperf-vnf:latest"


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    if not image_exists(VNF_IMAGE):
        pytest.fail("image %s missing: run `vim-emu images build --dir images/iperf-vnf`"
                    % VNF_IMAGE)
    folder = tmp_path_factory.mktemp("tgo")
    return {name: pack_project(os.path.join(REPO, "services", name),
                               str(folder / ("%s.tgo" % name)))
            for name in ("emulator-example", "published-port", "probe-benchmark",
                         "multi-unit")}


@pytest.fixture
def make_llcm(make_lifecycle_endpoint):
    return lambda **options: make_lifecycle_endpoint(TangoLLCMEndpoint, **options)


def host_reaches(ip, attempts=5):
    return any(host_ping(ip) for _ in range(attempts))


def test_upload_instantiate_traffic_isolation_and_teardown(make_llcm, packages):
    net, llcm = make_llcm()
    url = llcm.url
    vlans_before = net.vlans.in_use()

    response = upload_package(url, packages["emulator-example"])
    assert response.status_code == 201, response.text
    body = response.json()
    content = open(packages["emulator-example"], "rb").read()
    assert body["sha1"] == hashlib.sha1(content).hexdigest()
    assert body["size"] == len(content) and body["error"] is None
    assert [p["pd"]["name"] for p in requests.get(url + "/packages").json()] == [
        "emulator-example-service"]
    services = requests.get(url + "/api/v3/services")
    assert "access-control-allow-origin" not in services.headers   # no wildcard CORS
    assert services.json()[0]["nsd"] == {"name": "emulator_example", "version": "0.9",
                                         "vendor": "eu.5gtango"}

    first = instantiate(url, service_uuid=body["service_uuid"])
    info = details(url, first)
    ips = addresses(info)
    assert {u["name"]: u["datacenter"] for u in info["units"]} == {
        "vnf0.vdu01.0": "dc1", "vnf1.vdu01.0": "dc2"}  # round robin: one per PoP
    vnf0, vnf1 = net.getNodeByName("vnf0.vdu01.0"), net.getNodeByName("vnf1.vdu01.0")
    # vim-emu/son-emu scripts read the deployed links from the network
    assert {l["connectivity_type"] for l in net.deployed_elines} == {"E-Line"}
    assert any(ref.startswith("vnf0.vdu01.0:") for l in net.deployed_elines
               for ref in l["connection_points_reference"])
    assert [l["id"] for l in net.deployed_elans] == ["mgmt"]
    # Resources from the VNFD: vcpus 1 x cpu_bw 0.5 = half a CPU, 256 MB.
    assert cgroup_value(vnf0, "cpu/cpu.cfs_quota_us", "cpu.max").split()[0] == "50000"
    assert cgroup_value(vnf0, "memory/memory.limit_in_bytes", "memory.max") == str(256 << 20)
    # The VNF's start command ran once networking was up.
    assert "started" in vnf0.cmd("cat /tmp/vnf.status")

    # E-Line vnf0 -> vnf1 across the PoPs: TCP flows.
    assert reachable(vnf0, ips[("vnf1.vdu01.0", "input")])
    assert tcp_mbit_s(vnf0, vnf1, ips[("vnf1.vdu01.0", "input")]) > 10
    # E-Lines from and to the NS endpoints: the host reaches both ends.
    assert host_reaches(ips[("vnf0.vdu01.0", "input")])
    assert host_reaches(ips[("vnf1.vdu01.0", "output")])
    # E-LAN: VNFs and the host's management SAP see each other.
    assert reachable(vnf0, ips[("vnf1.vdu01.0", "mgmt")])
    status = requests.get("http://%s:8080/" % ips[("vnf1.vdu01.0", "mgmt")], timeout=5)
    assert "VNF_NAME=vnf1.vdu01.0" in status.text
    cookie = info["cookie"]
    assert bridge_flows_with_cookie("dc1.s1", cookie) and bridge_flows_with_cookie("dc2.s1", cookie)

    # A second instance of the same service: own containers, subnets, VLANs, cookie.
    second = instantiate(url)  # "latest" service
    info2 = details(url, second)
    ips2 = addresses(info2)
    assert info2["instance_name"].endswith("-inst.1") and info2["cookie"] != cookie
    assert {l["subnet"] for l in info["virtual_links"]}.isdisjoint(
        l["subnet"] for l in info2["virtual_links"])
    a0, a1 = net.getNodeByName("vnf0.vdu01.1"), net.getNodeByName("vnf1.vdu01.1")
    assert reachable(a0, ips2[("vnf1.vdu01.1", "mgmt")])
    # Isolation: an address in instance 0's subnets does not reach instance 0.
    a0.cmd("ip addr add 30.0.0.99/24 dev mgmt; ip addr add %s/24 dev output" %
           _other_host(ips[("vnf1.vdu01.0", "input")]))
    assert ping_fails(a0, ips[("vnf1.vdu01.0", "mgmt")])
    assert ping_fails(a0, ips[("vnf1.vdu01.0", "input")])
    listed = requests.get(url + "/instantiations").json()
    assert sorted(i["uuid"] for i in listed) == sorted([first, second])

    # Terminate the first; the second keeps working.
    response = requests.delete(url + "/instantiations", json={"service_instance_uuid": first})
    assert response.status_code == 200
    assert net.getNodeByName("vnf0.vdu01.0") is None
    assert not bridge_flows_with_cookie("dc1.s1", cookie) and not bridge_flows_with_cookie("dc2.s1", cookie)
    assert not any(s["name"] in run(["ovs-vsctl", "list-br"]).split() for s in info["saps"])
    assert reachable(a0, ips2[("vnf1.vdu01.1", "input")])
    assert tcp_mbit_s(a0, a1, ips2[("vnf1.vdu01.1", "input")]) > 10

    # Terminate all: nothing of the service is left.
    assert requests.delete(url + "/api/v2/requests").status_code == 200
    assert requests.get(url + "/instantiations").json() == []
    assert net.deployed_elines == [] and net.deployed_elans == []
    assert not any(n.startswith(("vnf0.", "vnf1.")) for n in net.nameToNode)
    assert net.installed_chains == [] and net.installed_lans == []
    assert net.vlans.in_use() == vlans_before
    assert llcm.llcm.eline_pool.in_use() == [] and llcm.llcm.elan_pool.in_use() == []
    for bridge in ("dc1.s1", "dc2.s1"):
        assert not bridge_flows_with_cookie(bridge, info2["cookie"])
    # With no instance left the service can leave the catalogue too.
    service = url + "/services/" + body["service_uuid"]
    assert requests.delete(service).status_code == 200
    assert requests.get(url + "/services").json() == []
    assert requests.delete(service).status_code == 404
    assert os.listdir(os.path.join(llcm.llcm.storage_dir, "catalog", "services")) == []


def _other_host(ip):
    """Another address in the same /24."""
    parts = ip.split(".")
    return ".".join(parts[:3] + ["99"])


def test_chain_end_to_end_through_both_vnfs_with_sap_containers(make_llcm, packages):
    net, llcm = make_llcm(deploy_sap=True)
    assert upload_package(llcm.url, packages["emulator-example"]).status_code == 201
    info = details(llcm.url, instantiate(llcm.url))
    assert {s["name"] for s in info["saps"]} == {"sap.mgmt.0", "sap.input.0", "sap.output.0"}
    ips = addresses(info)
    ips.update({(s["name"], s["cp"]): s["ip"].split("/")[0] for s in info["saps"]})
    sap_in, sap_out = net.getNodeByName("sap.input.0"), net.getNodeByName("sap.output.0")
    vnf0, vnf1 = net.getNodeByName("vnf0.vdu01.0"), net.getNodeByName("vnf1.vdu01.0")
    # Make the VNFs route: input -> vnf0 -> vnf1 -> output and back.
    out_net = ips[("sap.output.0", "output")].rsplit(".", 1)[0] + ".0/24"
    in_net = ips[("sap.input.0", "input")].rsplit(".", 1)[0] + ".0/24"
    for vnf in (vnf0, vnf1):
        vnf.netns_run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    sap_in.netns_run(["ip", "route", "add", out_net, "via", ips[("vnf0.vdu01.0", "input")]])
    vnf0.netns_run(["ip", "route", "add", out_net, "via", ips[("vnf1.vdu01.0", "input")]])
    vnf1.netns_run(["ip", "route", "add", in_net, "via", ips[("vnf0.vdu01.0", "output")]])
    sap_out.netns_run(["ip", "route", "add", in_net, "via", ips[("vnf1.vdu01.0", "output")]])
    target = ips[("sap.output.0", "output")]
    assert reachable(sap_in, target)
    assert "ttl=62" in sap_in.cmd("ping -c 1 -W 2 %s" % target)  # two routers on the way
    assert tcp_mbit_s(sap_in, sap_out, target) > 10
    assert requests.delete(llcm.url + "/instantiations").status_code == 200
    assert not [n for n in net.nameToNode if n.startswith(("sap.", "vnf"))]


def test_published_ports_move_per_instance_and_env_files_apply(make_llcm, packages, tmp_path):
    (tmp_path / "vnf0.vdu01.1.env.yml").write_text("SERVICE_COLOR: blue\n")
    net, llcm = make_llcm(env_conf_folder=str(tmp_path))
    assert upload_package(llcm.url, packages["published-port"]).status_code == 201
    first, second = instantiate(llcm.url), instantiate(llcm.url)
    assert details(llcm.url, second)["units"][0]["published_ports"] == {"8080/tcp": 19080}
    pages = {}
    for port in (18080, 19080):
        pages[port] = _get_when_up("http://127.0.0.1:%d/" % port)
    assert "VNF_NAME=vnf0.vdu01.0" in pages[18080] and "SERVICE_COLOR" not in pages[18080]
    assert "VNF_NAME=vnf0.vdu01.1" in pages[19080] and "SERVICE_COLOR=blue" in pages[19080]
    ports = json.loads(run(["docker", "inspect", "-f", "{{json .HostConfig.PortBindings}}",
                            "mn.vnf0.vdu01.1"]))
    assert ports["8080/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "19080"}]
    requests.delete(llcm.url + "/instantiations", json={"service_instance_uuid": first})
    assert "VNF_NAME=vnf0.vdu01.1" in _get_when_up("http://127.0.0.1:19080/")


def _get_when_up(url, attempts=50):
    """The page once the VNF's server accepts connections (bounded)."""
    for _ in range(attempts):
        try:
            return requests.get(url, timeout=2).text
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("%s never answered" % url)


def test_static_placement_from_yaml(make_llcm, packages, tmp_path):
    placement = tmp_path / "placement.yml"
    placement.write_text("vnf0.vdu01.0: dc2\nvnf1.vdu01.0: dc2\n")
    net, llcm = make_llcm(placement_algorithm_obj=StaticConfigPlacement(str(placement)))
    upload_package(llcm.url, packages["emulator-example"])
    info = details(llcm.url, instantiate(llcm.url, service_name="emulator-example-service"))
    assert {u["datacenter"] for u in info["units"]} == {"dc2"}
    assert set(net.dcs["dc2"].containers) == {"vnf0.vdu01.0", "vnf1.vdu01.0"}
    assert net.dcs["dc1"].containers == {}
    vnf0 = net.getNodeByName("vnf0.vdu01.0")
    assert reachable(vnf0, addresses(info)[("vnf1.vdu01.0", "input")])
    # A file naming a PoP this LLCM does not have: refused, nothing started.
    placement.write_text("vnf0.vdu01.1: dc7\n")
    refused = requests.post(llcm.url + "/instantiations", json={})
    assert refused.status_code == 422 and "dc7" in refused.json()["error"]
    assert len(requests.get(llcm.url + "/instantiations").json()) == 1
    assert "vnf0.vdu01.1" not in net.nameToNode


def test_two_llcms_in_one_process_keep_their_own_catalogues(make_llcm, packages):
    _, first = make_llcm()
    _, second = make_llcm()
    assert upload_package(first.url, packages["published-port"]).status_code == 201
    assert len(requests.get(first.url + "/packages").json()) == 1
    assert requests.get(second.url + "/packages").json() == []
    assert first.llcm.storage_dir != second.llcm.storage_dir
    paths = requests.get(first.url + "/openapi.json").json()["paths"]
    assert {"/packages", "/services", "/instantiations", "/api/v3/records/services",
            "/emulator/exit"} <= set(paths)


def test_multi_vdu_vnf_on_e_lines_and_internal_lan(make_llcm, tmp_path):
    """vnf0 has two units: input enters vdu01, output leaves vdu02, and the
    VNFD's own E-LAN joins the units."""
    project = tmp_path / "project"
    shutil.copytree(os.path.join(REPO, "services", "emulator-example"), project)
    vnfd_path = project / "default-vnf0.yml"
    vnfd = make_multi_vdu(yaml.safe_load(vnfd_path.read_text()))
    vnfd_path.write_text(yaml.safe_dump(vnfd))
    net, llcm = make_llcm()
    response = upload_package(llcm.url, pack_project(str(project), str(tmp_path / "multi.tgo")))
    assert response.status_code == 201, response.text
    info = details(llcm.url, instantiate(llcm.url))
    ips = addresses(info)
    assert {u["name"] for u in info["units"]} == {"vnf0.vdu01.0", "vnf0.vdu02.0",
                                                  "vnf1.vdu01.0"}
    vdu1, vdu2 = net.getNodeByName("vnf0.vdu01.0"), net.getNodeByName("vnf0.vdu02.0")
    vnf1 = net.getNodeByName("vnf1.vdu01.0")
    assert reachable(vdu1, ips[("vnf0.vdu02.0", "inner")])          # internal E-LAN
    assert reachable(vdu2, ips[("vnf1.vdu01.0", "input")])          # vnf0:output is vdu02's
    assert tcp_mbit_s(vdu2, vnf1, ips[("vnf1.vdu01.0", "input")]) > 10
    assert host_reaches(ips[("vnf0.vdu01.0", "input")])             # input is vdu01's
    assert reachable(vdu1, ips[("vnf0.vdu02.0", "mgmt")])


def test_auto_deploy_and_auto_delete(make_llcm, packages):
    net, llcm = make_llcm(auto_deploy=True, auto_delete=True)
    assert upload_package(llcm.url, packages["published-port"]).status_code == 201
    first = requests.get(llcm.url + "/instantiations").json()
    assert [i["status"] for i in first] == ["running"]
    assert "vnf0.vdu01.0" in net.dcs["dc1"].containers
    # The next upload terminates what runs, then deploys the new service.
    assert upload_package(llcm.url, packages["emulator-example"]).status_code == 201
    second = requests.get(llcm.url + "/instantiations").json()
    assert len(second) == 1 and second[0]["uuid"] != first[0]["uuid"]
    assert second[0]["instance_name"].startswith("eu.5gtango.emulator_example")
    running = list(net.dcs["dc1"].containers) + list(net.dcs["dc2"].containers)
    assert sorted(running) == ["vnf0.vdu01.0", "vnf1.vdu01.0"]


def _exec_events(container, since):
    out = run(["docker", "events", "--since", since, "--until", "0s", "--filter",
               "container=" + container, "--filter", "event=exec_start", "--format",
               "{{.Action}}"])
    return out.splitlines()


def test_parallel_instantiations_and_bounded_stop_commands(make_llcm, packages, tmp_path):
    """Two POSTs at once get instances 0 and 1; cap_add and ipc_mode reach
    Docker where the emulator allows host access; DELETE runs each unit's stop command and waits for it at most
    stop_timeout (here 1 s, the command would take 60 s)."""
    project = tmp_path / "project"
    shutil.copytree(os.path.join(REPO, "services", "published-port"), project)
    vnfd_path = project / "status-vnf.yml"
    vnfd = yaml.safe_load(vnfd_path.read_text())
    unit = vnfd["virtual_deployment_units"][0]
    unit.update(vm_cmd_stop="/usr/local/bin/vnf-stop; sleep 60", cap_add=["SYS_PTRACE"],
                ipc_mode="shareable")
    vnfd_path.write_text(yaml.safe_dump(vnfd))
    net, llcm = make_llcm(stop_timeout=1)
    package = pack_project(str(project), str(tmp_path / "p.tgo"))
    refused = upload_package(llcm.url, package)     # SYS_PTRACE is host access
    assert refused.status_code == 422 and "allow_host_access" in refused.json()["error"]
    net.allow_host_access = True                    # the emulator's owner allows it
    assert upload_package(llcm.url, package).status_code == 201
    since = run(["date", "+%s"]).strip()
    with ThreadPoolExecutor(2) as pool:
        uuids = list(pool.map(lambda _: instantiate(llcm.url), range(2)))
    names = sorted(details(llcm.url, u)["instance_name"] for u in uuids)
    assert names == ["eu.emuvim.status_service.0.1-inst.0",
                     "eu.emuvim.status_service.0.1-inst.1"]
    host_config = json.loads(run(["docker", "inspect", "-f", "{{json .HostConfig}}",
                                  "mn.vnf0.vdu01.0"]))
    assert "SYS_PTRACE" in host_config["CapAdd"] and host_config["IpcMode"] == "shareable"
    response = requests.delete(llcm.url + "/instantiations", timeout=30)
    assert response.status_code == 200
    assert net.dcs["dc1"].containers == {} and net.dcs["dc2"].containers == {}
    for unit in ("mn.vnf0.vdu01.0", "mn.vnf0.vdu01.1"):
        events = _exec_events(unit, since)
        assert any("vnf-start" in e for e in events), events   # the image's VIM_EMU_CMD
        assert any("vnf-stop; sleep 60" in e for e in events), events  # the VNFD's stop


def test_vim_emu_llcm_commands(make_llcm):
    """The shell loop: upload a project folder, instantiate, show, terminate."""
    net, llcm = make_llcm()
    vim_emu = os.path.join(os.path.dirname(sys.executable), "vim-emu")

    def cli(*argv):
        out = subprocess.run([vim_emu, "llcm", "-e", llcm.url] + list(argv),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()
    service_uuid = cli("upload", os.path.join(REPO, "services", "published-port"))
    assert service_uuid in cli("services")
    instance = cli("instantiate", "-n", "published-port-service")
    assert "vnf0.vdu01.0" in cli("show", instance)
    assert instance in cli("list")
    assert "vnf0.vdu01.0" in net.dcs["dc1"].containers
    busy = requests.delete(llcm.url + "/services/" + service_uuid)
    assert busy.status_code == 409 and "terminate" in busy.json()["error"]
    cli("terminate", instance)
    assert cli("list") == "" and net.dcs["dc1"].containers == {}
    refused = subprocess.run([vim_emu, "llcm", "-e", llcm.url, "show", "nope"],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "404" in refused.stderr


# -- packages as SONATA, tng-sdk-benchmark and 5GTANGO CNFs write them ----------------------


def intf_names(node):
    return {i["ifname"] for i in json.loads(node.netns_run(["ip", "-j", "link", "show"]))}


def test_ns_prefixed_cps_and_eth0_units_by_package_name(make_llcm, packages):
    net, llcm = make_llcm()
    assert upload_package(llcm.url, packages["probe-benchmark"]).status_code == 201
    # vim-emu matched names in service_uuid too; tng-bench sends the package name.
    info = details(llcm.url, instantiate(llcm.url, service_uuid="probe-benchmark-service"))
    assert {s["cp"] for s in info["saps"]} == {"ns-mgmt", "ns-input", "ns-output"}
    ips = addresses(info)
    probe = net.getNodeByName("probe.vdu01.0")
    assert {"eth0", "eth1", "eth2", "docker-eth0"} <= intf_names(probe)
    assert [(i["intf_name"], i["ip"].split("/")[0]) for i in probe.getNetworkStatus()] == [
        (cp, ips[("probe.vdu01.0", cp)]) for cp in ("eth0", "eth1", "eth2")]
    # ns:input and ns:output reach the unit's eth1 and eth2, ns:mgmt its eth0.
    for cp in ("eth0", "eth1", "eth2"):
        assert host_reaches(ips[("probe.vdu01.0", cp)]), cp
    status = requests.get("http://%s:8080/" % ips[("probe.vdu01.0", "eth0")], timeout=5)
    assert "VNF_NAME=probe.vdu01.0" in status.text
    # Docker's management network, renamed docker-eth0, still serves the VNF.
    docker_ip = probe.getStatus()["docker_network"]
    assert "VNF_NAME=probe.vdu01.0" in requests.get("http://%s:8080/" % docker_ip,
                                                    timeout=5).text


def test_vdus_and_cdus_with_eth0_interfaces(make_llcm, packages):
    net, llcm = make_llcm()
    assert upload_package(llcm.url, packages["multi-unit"]).status_code == 201
    info = details(llcm.url, instantiate(llcm.url, service_uuid="multi-unit-service"))
    assert {u["name"]: u["datacenter"] for u in info["units"]} == {
        "relay.vdu01.0": "dc1", "relay.vdu02.0": "dc2", "sink.cdu01.0": "dc1",
        "sink.cdu02.0": "dc2"}
    ips = addresses(info)
    front, back = net.getNodeByName("relay.vdu01.0"), net.getNodeByName("relay.vdu02.0")
    sink, helper = net.getNodeByName("sink.cdu01.0"), net.getNodeByName("sink.cdu02.0")
    # relay:output -> sink:input, an E-Line across the PoPs: TCP flows.
    assert reachable(back, ips[("sink.cdu01.0", "eth1")])
    assert tcp_mbit_s(back, sink, ips[("sink.cdu01.0", "eth1")]) > 10
    # The relay's units talk over their inner link (eth2).
    assert reachable(front, ips[("relay.vdu02.0", "eth2")])
    # Management E-LAN over every unit's eth0 (both PoPs) and the host.
    assert reachable(helper, ips[("relay.vdu01.0", "eth0")])
    assert reachable(sink, ips[("relay.vdu02.0", "eth0")])
    assert host_reaches(ips[("sink.cdu02.0", "eth0")])
    # ns:input reaches the relay's first unit.
    assert host_reaches(ips[("relay.vdu01.0", "eth1")])
    # Isolation: the sink (same PoP as the relay's front unit) with an address
    # in the ns:input link's subnet still does not reach that link.
    sink.cmd("ip addr add %s/24 dev eth1" % _other_host(ips[("relay.vdu01.0", "eth1")]))
    assert ping_fails(sink, ips[("relay.vdu01.0", "eth1")])


def test_elan_member_of_an_unlisted_vnf_is_skipped_and_reported(make_llcm, tmp_path):
    net, llcm = make_llcm()
    descriptors = example_descriptors()
    mgmt = next(l for l in descriptors["nsd"]["virtual_links"] if l["id"] == "mgmt")
    mgmt["connection_points_reference"].insert(1, "vnf_monitor:mgmt")
    tgo = write_package(tmp_path / "p.tgo", descriptors["nsd"], descriptors["vnfds"])
    assert upload_package(llcm.url, tgo).status_code == 201
    warning = ("E-LAN mgmt: member vnf_monitor:mgmt skipped, the NSD lists no vnf_id "
               "vnf_monitor")
    assert requests.get(llcm.url + "/services").json()[0]["warnings"] == [warning]
    info = details(llcm.url, instantiate(llcm.url))
    assert info["warnings"] == [warning]
    ips = addresses(info)
    vnf0 = net.getNodeByName("vnf0.vdu01.0")
    assert reachable(vnf0, ips[("vnf1.vdu01.0", "mgmt")])
    assert host_reaches(ips[("vnf1.vdu01.0", "mgmt")])

