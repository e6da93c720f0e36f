"""The SONATA dummy gatekeeper end to end: .son packages on real containers."""

import ipaddress
import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile

import pytest
import requests
import yaml

from emuvim.api.sonata import SonataDummyGatekeeperEndpoint
from emuvim.api.sonata.dummygatekeeper import parse_interface
from emuvim.api.sonata.package import pack_son
from emuvim.api.tango.package import pack_project

from helpers import (addresses, bridge_flows_with_cookie, details, host_ping, instantiate,
                     reachable, run)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAIN = os.path.join(REPO, "services", "sonata-empty-chain")
BUILD = os.path.join(REPO, "services", "sonata-docker-build")


@pytest.fixture
def make_gk(make_lifecycle_endpoint):
    return lambda **options: make_lifecycle_endpoint(SonataDummyGatekeeperEndpoint, **options)


@pytest.fixture
def son(tmp_path):
    """Pack a package folder (optionally edited first) into a .son."""
    def pack(folder, edit=None):
        target = tmp_path / ("pkg-%s" % uuid.uuid4().hex[:6])
        shutil.copytree(folder, target)
        if edit:
            edit(target)
        return pack_son(str(target), str(target) + ".son")
    return pack


@pytest.fixture
def built_images():
    """Tags of images a test had the gatekeeper build; removed afterwards."""
    tags = []
    yield tags
    for tag in tags:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def upload(url, path, route="/packages"):
    with open(path, "rb") as stream:
        return requests.post(url + route, files={"package": stream}, timeout=600)


def onboard(url, path):
    response = upload(url, path)
    assert response.status_code == 201, response.text
    return response.json()


def intf_names(node):
    return {i for i in node.cmd("ls /sys/class/net").split() if i != "lo"}


def wait_for_file(path, timeout=20):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "%s did not appear" % path
        time.sleep(0.1)
    return open(path).read()


def test_chain_service_deploys_as_the_sonata_gatekeeper_did(make_gk, son):
    net, gk = make_gk(deploy_sap=True)
    url = gk.url
    package = son(CHAIN)
    body = onboard(url, package)
    service = body["service_uuid"]
    assert body["size"] == os.path.getsize(package) and body["error"] is None
    for route in ("/packages", "/api/v2/packages"):
        assert requests.get(url + route).json() == {"service_uuid_list": [service]}

    first = instantiate(url, "/api/v2/requests", service_uuid=service)
    assert requests.get(url + "/instantiations").json() == {
        "service_instantiations_list": [[first]]}       # son-emu's shape
    info = details(url, first)
    ips = addresses(info)
    vnfs = [net.getNodeByName("chain_vnf%d" % n) for n in (1, 2, 3)]
    # One container per VNF, named after its vnf_id, interfaces after the VNF's cps.
    assert all(v is not None and intf_names(v) >= {"mgmt", "input", "output"} for v in vnfs)
    assert {l["id"]: l["subnet"].rsplit(".", 2)[0] for l in info["virtual_links"]} == {
        "mgmt": "10.20", "link-input": "10.10", "link-12": "10.30", "link-23": "10.30",
        "link-output": "10.10"}
    # son-emu's own gatekeeper test reads net.deployed_elines like this: both
    # ends of each VNF-to-VNF E-Line have an address in one subnet.
    checked = 0
    for link in net.deployed_elines:
        vnf_src, intf_src, _ = parse_interface(link["connection_points_reference"][0])
        vnf_dst, intf_dst, _ = parse_interface(link["connection_points_reference"][1])
        src, dst = net.getNodeByName(vnf_src), net.getNodeByName(vnf_dst)
        if not src or not dst or not hasattr(src, "getNetworkStatus") or not hasattr(
                dst, "getNetworkStatus"):
            continue
        src_ip = [i["ip"] for i in src.getNetworkStatus() if i["intf_name"] == intf_src][0]
        dst_ip = [i["ip"] for i in dst.getNetworkStatus() if i["intf_name"] == intf_dst][0]
        assert ipaddress.ip_network(src_ip, strict=False) == ipaddress.ip_network(
            dst_ip, strict=False), link
        checked += 1
    assert checked == 2                                    # link-12 and link-23
    assert [l["id"] for l in net.deployed_elans] == ["mgmt"]
    # Every E-Line: VNF to VNF across PoPs, and the host through its external SAPs.
    assert reachable(vnfs[0], ips[("chain_vnf2", "input")])
    assert reachable(vnfs[1], ips[("chain_vnf3", "input")])
    assert host_ping(ips[("chain_vnf1", "input")]) or host_ping(ips[("chain_vnf1", "input")])
    assert host_ping(ips[("chain_vnf3", "output")]) or host_ping(ips[("chain_vnf3", "output")])
    # The management E-LAN, with the SAP container of ns:mgmt on it.
    sap = net.getNodeByName("sap_mgmt")
    assert intf_names(sap) >= {"mgmt"}
    for n in (1, 2, 3):
        assert reachable(sap, ips[("chain_vnf%d" % n, "mgmt")])
    # The results folder of each VNF, under the run's directory, at /mnt/share.
    vnfs[0].cmd("echo measured > /mnt/share/result.txt")
    results = os.path.join(net.record.path, "results", service, "chain_vnf1")
    assert open(os.path.join(results, "result.txt")).read() == "measured\n"

    # A second instance: its own names and subnets; deleting with defaults takes the first.
    second = instantiate(url, service_uuid=service)
    second_ips = addresses(details(url, second))
    copy = net.getNodeByName("chain_vnf1.1")
    assert copy is not None and reachable(copy, second_ips[("chain_vnf2.1", "input")])
    assert requests.delete(url + "/instantiations", json={}).status_code == 200
    assert net.getNodeByName("chain_vnf1") is None and net.getNodeByName("sap_mgmt") is None
    for bridge in ("dc1.s1", "dc2.s1"):
        assert not bridge_flows_with_cookie(bridge, info["cookie"])
    assert reachable(copy, second_ips[("chain_vnf2.1", "input")])

    response = requests.delete(url + "/instantiations", json={
        "service_uuid": service, "service_instance_uuid": second})
    assert response.status_code == 200
    assert requests.delete(url + "/instantiations", json={}).status_code == 404
    assert requests.get(url + "/instantiations").json() == {"service_instantiations_list": [[]]}
    assert net.deployed_elines == [] and net.deployed_elans == []
    assert net.dcs["dc1"].containers == {} and net.dcs["dc2"].containers == {}
    assert net.installed_chains == [] and net.installed_lans == []
    assert all(pool.in_use() == [] for pool in gk.llcm.rules.pools())
    saps = [s["name"] for s in info["saps"] if s["kind"] == "ext"]
    assert saps and not set(saps) & set(run(["ovs-vsctl", "list-br"]).split())


def test_docker_files_are_built_cached_and_their_start_and_stop_commands_run(
        make_gk, son, built_images, caplog):
    def unique_contexts(folder):    # a fresh content hash: this run really builds
        for vnf in ("son-probe", "son-sink"):
            (folder / "docker_files" / vnf / "nonce").write_text(uuid.uuid4().hex)
    net, gk = make_gk(deploy_sap=True)
    package = son(BUILD, unique_contexts)
    with caplog.at_level(logging.INFO, logger="emuvim.api.sonata.package"):
        body = onboard(gk.url, package)
    built = {b["vnf"]: b for b in body["images_built"]}
    built_images.extend(b["image"] for b in built.values())
    assert not built["probe"]["cached"] and not built["sink"]["cached"]
    assert built["probe"]["image"].startswith("son-probe:")       # tagged after the VNF
    assert built["sink"]["image"].startswith("emuvim/son-sink:")  # after the image it names
    assert "[build probe] Step 1/" in caplog.text                  # progress, as it builds
    again = onboard(gk.url, package)
    assert all(b["cached"] for b in again["images_built"])
    assert {b["image"] for b in again["images_built"]} == set(built_images)

    instance = instantiate(gk.url, service_uuid=body["service_uuid"])
    info = details(gk.url, instance)
    ips = addresses(info)
    results = os.path.join(net.record.path, "results", body["service_uuid"])
    # SON_EMU_CMD ran once the links were up: it saw its addresses.
    wait_for_file(os.path.join(results, "probe", "started"))   # written after the list
    seen = open(os.path.join(results, "probe", "interfaces-at-start.txt")).read()
    assert ips[("probe", "input")] in seen and ips[("probe", "output")] in seen
    wait_for_file(os.path.join(results, "sink", "started"))
    probe, sink = net.getNodeByName("probe"), net.getNodeByName("sink")
    assert reachable(probe, ips[("sink", "input")])
    assert "iperf3" in sink.cmd("ps -o comm= -e")
    assert reachable(net.getNodeByName("sap_mgmt"), ips[("sink", "mgmt")])

    assert requests.delete(gk.url + "/instantiations", json={
        "service_instance_uuid": instance}).status_code == 200
    # SON_EMU_CMD_STOP ran before the containers went.
    assert os.path.exists(os.path.join(results, "probe", "stopped"))
    assert os.path.exists(os.path.join(results, "sink", "stopped"))
    assert net.dcs["dc1"].containers == {} and net.dcs["dc2"].containers == {}


def test_docker_management_uses_dockers_interface_as_mgmt(make_gk, son):
    net, gk = make_gk(docker_management=True)
    body = onboard(gk.url, son(CHAIN))
    instance = instantiate(gk.url)                   # no uuid: the latest service
    info = details(gk.url, instance)
    assert "mgmt" not in [l["id"] for l in info["virtual_links"]]
    assert any("management link mgmt" in w for w in info["warnings"])
    assert net.getNodeByName("sap_mgmt") is None
    vnf = net.getNodeByName("chain_vnf2")
    assert "docker-eth0" not in intf_names(vnf) and "eth0" not in intf_names(vnf)
    mgmt_ip = vnf.cmd("ip -4 -o addr show dev mgmt").split()[3].split("/")[0]
    assert mgmt_ip.startswith("172.")                # Docker's bridge network
    assert host_ping(mgmt_ip)
    assert "default" in vnf.cmd("ip route show dev mgmt")
    assert reachable(vnf, addresses(info)[("chain_vnf3", "input")])
    assert body["service_uuid"] == info["service_uuid"]


def test_auto_deploy_auto_delete_tgo_packages_and_exit(make_gk, son, packages_dir):
    net, gk = make_gk(auto_deploy=True, auto_delete=True)
    first = onboard(gk.url, son(CHAIN))["service_uuid"]
    listed = requests.get(gk.url + "/api/v2/instantiations").json()
    assert [len(ids) for ids in listed["service_instantiations_list"]] == [1]
    assert net.getNodeByName("chain_vnf1") is not None
    # A 5GTANGO .tgo on the SONATA gatekeeper: same engine, SONATA's names.
    second = onboard(gk.url, packages_dir["emulator-example"])["service_uuid"]
    listed = requests.get(gk.url + "/instantiations").json()["service_instantiations_list"]
    assert requests.get(gk.url + "/packages").json()["service_uuid_list"] == [first, second]
    assert [len(ids) for ids in listed] == [0, 1]        # the first was auto-deleted
    assert net.getNodeByName("chain_vnf1") is None
    assert net.getNodeByName("vnf0") is not None and net.getNodeByName("vnf1") is not None

    assert requests.put(gk.url + "/emulator/exit").status_code == 200
    assert gk.exit_requested.wait(60)
    assert net.stopped and run(["docker", "ps", "-q", "--filter",
                                "label=emuvim.run=%s" % net.identity.run_id]) == ""


@pytest.fixture
def packages_dir(tmp_path):
    return {"emulator-example": pack_project(os.path.join(REPO, "services", "emulator-example"),
                                             str(tmp_path / "example.tgo"))}


def _set_image(image):
    def edit(folder):
        path = folder / "function_descriptors" / "chain-vnf2-vnfd.yml"
        vnfd = yaml.safe_load(open(path))
        vnfd["virtual_deployment_units"][0]["vm_image"] = image
        yaml.safe_dump(vnfd, open(path, "w"))
    return edit


def _with_dockerfile(text):
    def edit(folder):
        _set_image("file:///docker_files/broken/Dockerfile")(folder)
        (folder / "docker_files" / "broken").mkdir(parents=True)
        (folder / "docker_files" / "broken" / "Dockerfile").write_text(text)
    return edit


def _zip(entries, symlink=None):
    def make(path):
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
            if symlink:
                info = zipfile.ZipInfo(symlink)
                info.external_attr = 0o120777 << 16
                archive.writestr(info, "/etc/passwd")
    return make


def test_bad_packages_get_4xx_and_leave_nothing(make_gk, son, tmp_path):
    net, gk = make_gk(max_upload_bytes=200000)
    cases = [
        (son(CHAIN, _set_image("emuvim/no-such-image")), 422, "emuvim/no-such-image"),
        (son(CHAIN, _with_dockerfile("FROM emuvim/not-here:latest\n")), 422,
         "building the image of chain_vnf2"),
        (son(CHAIN, lambda f: (f / "META-INF" / "MANIFEST.MF").write_text("a: [\n")), 422,
         "not valid YAML"),
        (son(CHAIN, lambda f: (f / "service_descriptors" / "nsd.yml").write_text(
            "!!python/object/apply:os.system ['true']\n")), 422, "NSD"),
    ]
    for name, maker, status, message in [
            ("slip.son", _zip({"META-INF/MANIFEST.MF": "x: 1\n", "../../evil": "x"}), 400,
             "leaves the package folder"),
            ("link.son", _zip({"META-INF/MANIFEST.MF": "x: 1\n"}, symlink="docker_files/l"),
             400, "symbolic link"),
            ("big.son", _zip({"META-INF/MANIFEST.MF": os.urandom(300000).hex()}), 413,
             "larger than"),
            ("none.son", _zip({"service_descriptors/nsd.yml": "a: 1\n"}), 422,
             "neither TOSCA-Metadata/NAPD.yaml")]:
        maker(str(tmp_path / name))
        cases.append((str(tmp_path / name), status, message))
    (tmp_path / "text.son").write_text("not a zip")
    cases.append((str(tmp_path / "text.son"), 400, "not a zip"))
    for path, status, message in cases:
        response = upload(gk.url, path, route="/api/v2/packages")
        assert response.status_code == status, (path, response.text)
        assert message in response.json()["error"] and response.json()["service_uuid"] is None
    storage = gk.llcm.storage_dir
    assert os.listdir(os.path.join(storage, "catalog", "services")) == []
    assert os.listdir(os.path.join(storage, "uploads")) == []
    assert requests.get(gk.url + "/packages").json() == {"service_uuid_list": []}
    # Requests without a package, with garbage, or for unknown things.
    assert requests.post(gk.url + "/instantiations", json={}).status_code == 404
    assert requests.post(gk.url + "/instantiations", data=b"{nope").status_code == 400
    onboard(gk.url, son(CHAIN))
    assert requests.post(gk.url + "/instantiations", json={
        "service_uuid": "no-such"}).status_code == 404
    assert requests.delete(gk.url + "/instantiations", json={
        "service_instance_uuid": "no-such"}).status_code == 404
    assert net.dcs["dc1"].containers == {} and net.dcs["dc2"].containers == {}


def test_vim_emu_cli_detects_son_packages(make_gk, son):
    net, gk = make_gk()
    vim_emu = os.path.join(os.path.dirname(sys.executable), "vim-emu")

    def cli(*argv):
        out = subprocess.run([vim_emu, "llcm", "-e", gk.url] + list(argv),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip(), out.stderr
    service, note = cli("upload", CHAIN)                 # a folder: packed into a .son
    assert "SONATA package" in note
    assert cli("services")[0] == service
    instance = cli("instantiate", "-s", service)[0]
    assert "chain_vnf1" in cli("show", instance)[0]
    assert cli("list")[0] == "%s  service %s" % (instance, service)
    cli("terminate", instance)
    assert cli("list")[0] == "" and net.dcs["dc1"].containers == {}
    refused = subprocess.run([vim_emu, "llcm", "-e", gk.url, "upload", __file__],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "not a package" in refused.stderr
