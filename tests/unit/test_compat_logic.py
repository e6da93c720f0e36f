"""vim-emu compatibility in pure logic: descriptors as real packages write them,
vim-emu's LLCM helpers, Docker's interface names, the CLI's node names."""

import os

import pytest
import yaml

from emuvim.api.tango.llcm import (LlcmOptions, OnboardedService, TangoLLCM, initialize_GK,
                                   parse_interface)
from emuvim.api.errors import HttpError
from emuvim.api.tango.package import PackageContent, PackageError
from emuvim.api.tango.plan import DeploymentRules, ext_sap_name, plan_instance
from emuvim.api.tango.placement import RoundRobinDcPlacement
from emuvim.api.tango.service import parse_service, split_ref
from emuvim.dcemulator.docker_host import docker_made_intfs, rename_intf_commands
from emuvim.dcemulator.links import InvalidInterfaceName, check_intf_name
from emuvim.dcemulator.mncli import EmulatorCLI

from tango_examples import REPO, example_descriptors


class FakeDc:
    def __init__(self, label):
        self.label = label


DCS = {"dc1": FakeDc("dc1"), "dc2": FakeDc("dc2")}


def service_folder(name):
    """PackageContent of a services/<name> project (NSD first in project.yml)."""
    folder = os.path.join(REPO, "services", name)
    project = yaml.safe_load(open(os.path.join(folder, "project.yml")))
    docs = {f["path"]: yaml.safe_load(open(os.path.join(folder, f["path"])))
            for f in project["files"]}
    nsd = next(d for p, d in docs.items() if "nsd" in p)
    vnfds = [d for p, d in docs.items() if "nsd" not in p]
    return PackageContent(project["package"], nsd, vnfds)


def plan(service):
    return plan_instance(service, 0, RoundRobinDcPlacement(), DCS, DeploymentRules(),
                         "0123456789abcdef")


# -- connection point ids with a colon ---------------------------------------------------


def test_own_connection_points_are_matched_before_splitting():
    own = {"ns:input", "mgmt"}
    assert split_ref("ns:input", "NSD", own) == (None, "ns:input")
    assert split_ref("vnf0:input", "NSD", own) == ("vnf0", "input")
    assert split_ref("mgmt", "NSD", own) == (None, "mgmt")
    with pytest.raises(PackageError):
        split_ref("a:b:c", "NSD", own)


def test_sonata_style_package_with_ns_and_vnf_prefixes():
    service = parse_service(service_folder("probe-benchmark"))
    links = {l.id: [(e.vnf_id, e.cp) for e in l.endpoints] for l in service.links}
    assert links == {"mgmt": [("probe", "mgmt"), (None, "ns-mgmt")],
                     "link-input": [(None, "ns-input"), ("probe", "input")],
                     "link-output": [("probe", "output"), (None, "ns-output")]}
    # "probe:input" in the NSD is the VNFD's "vnf:input", i.e. vdu01's eth1.
    assert service.vnfs["probe"].unit_cps("input") == [("vdu01", "eth1")]
    unit = plan(service).units[0]
    assert [i["id"] for i in unit.interfaces] == ["eth0", "eth1", "eth2"]


def test_ns_prefixed_saps_get_distinct_bridge_names():
    saps = plan(parse_service(service_folder("probe-benchmark"))).saps
    names = [s.name for s in saps]
    assert names == ["mgmt.01234567", "input.01234567", "output.01234567"]
    assert all(len(n) <= 15 for n in names)


def test_ext_sap_names_stay_unique_when_prefixes_collide():
    first = ext_sap_name("ns-input1", "0123456789abcdef")
    second = ext_sap_name("ns-input2", "0123456789abcdef", {first})
    assert first == "input1.01234567" and second != first and len(second) <= 15


def test_multi_unit_package_with_vdus_and_cdus():
    service = parse_service(service_folder("multi-unit"))
    units = {vnf_id: [u.id for u in v.units] for vnf_id, v in service.vnfs.items()}
    assert units == {"relay": ["vdu01", "vdu02"], "sink": ["cdu01", "cdu02"]}
    p = plan(service)
    assert sorted(u.name for u in p.units) == ["relay.vdu01.0", "relay.vdu02.0",
                                               "sink.cdu01.0", "sink.cdu02.0"]
    members = {l.id: l.members for l in p.links}
    assert len(members["mgmt"]) == 5          # four units' eth0 and the host SAP
    assert members["relay-2-sink"] == [("relay.vdu02.0", "eth1"), ("sink.cdu01.0", "eth1")]
    assert members["inner"] == [("relay.vdu01.0", "eth2"), ("relay.vdu02.0", "eth2")]
    assert service.warnings == []


# -- E-LAN members naming VNFs the NSD does not list --------------------------------------


def with_links(*links):
    d = example_descriptors()
    d["nsd"]["virtual_links"] = list(links)
    return PackageContent({"name": "x"}, d["nsd"], d["vnfds"])


def test_unknown_elan_member_is_skipped_with_a_warning():
    service = parse_service(with_links(
        {"id": "mgmt", "connectivity_type": "E-LAN",
         "connection_points_reference": ["vnf0:mgmt", "vnf9:mgmt", "vnf1:mgmt", "mgmt"]}))
    [link] = service.links
    assert [(e.vnf_id, e.cp) for e in link.endpoints] == [
        ("vnf0", "mgmt"), ("vnf1", "mgmt"), (None, "mgmt")]
    assert service.warnings == ["E-LAN mgmt: member vnf9:mgmt skipped, the NSD lists no "
                                "vnf_id vnf9"]


def test_elan_left_with_one_member_is_not_deployed():
    service = parse_service(with_links(
        {"id": "lonely", "connectivity_type": "E-LAN",
         "connection_points_reference": ["vnf0:mgmt", "ghost:mgmt"]}))
    assert service.links == []
    assert len(service.warnings) == 2 and "fewer than 2 members" in service.warnings[1]


def test_unknown_eline_end_is_still_refused():
    with pytest.raises(PackageError, match="unknown vnf_id ghost") as err:
        parse_service(with_links({"id": "x", "connectivity_type": "E-Line",
                                  "connection_points_reference": ["vnf0:input",
                                                                  "ghost:input"]}))
    assert err.value.status == 422


# -- finding a service by name ------------------------------------------------------------


@pytest.fixture
def catalogue(tmp_path):
    llcm = TangoLLCM(options=LlcmOptions(), storage_dir=str(tmp_path))
    content = PackageContent({"vendor": "eu.5gtango", "name": "emulator-example-service",
                              "version": "0.1"}, example_descriptors()["nsd"], [])
    service = parse_service(PackageContent(content.napd, *example_descriptors().values()))
    llcm.services["uuid-1"] = OnboardedService("uuid-1", service, content, "", 0, "", 0)
    return llcm


@pytest.mark.parametrize("key", ["uuid-1", "emulator-example-service",
                                 "eu.5gtango.emulator-example-service.0.1",
                                 "emulator_example", "latest", None])
def test_service_uuid_may_name_the_package(catalogue, key):
    assert catalogue.find_service(service_uuid=key).uuid == "uuid-1"


def test_unknown_service_name_is_404(catalogue):
    with pytest.raises(HttpError) as err:
        catalogue.find_service(service_uuid="no-such-package")
    assert err.value.status == 404 and "no-such-package" in str(err.value)


# -- vim-emu's module helpers -------------------------------------------------------------


def test_parse_interface_as_in_vim_emu():
    assert parse_interface("vnf0:input") == ("vnf0", "input")
    assert parse_interface("mgmt") == (None, "mgmt")


def test_initialize_gk_leaves_endpoints_their_own_state(tmp_path):
    first = TangoLLCM(storage_dir=str(tmp_path / "a"))
    first.services["x"] = object()
    assert initialize_GK() is None
    second = TangoLLCM(storage_dir=str(tmp_path / "b"))
    assert second.services == {} and first.services != {}
    assert second.eline_pool.in_use() == [] and second.placement is not first.placement


# -- interface names ----------------------------------------------------------------------


def test_docker_made_interfaces():
    bridge = {"HostConfig": {"NetworkMode": "bridge"},
              "NetworkSettings": {"Networks": {"bridge": {}}}}
    assert docker_made_intfs(bridge) == {"eth0": "eth0"}
    for mode in ("none", "host", "container:abc"):
        assert docker_made_intfs({"HostConfig": {"NetworkMode": mode},
                                  "NetworkSettings": {"Networks": {"x": {}}}}) == {}


def test_renaming_dockers_interface_keeps_its_gateway_route():
    routes = [{"dst": "default", "gateway": "172.17.0.1", "dev": "eth0"},
              {"dst": "172.17.0.0/16", "dev": "eth0", "protocol": "kernel"}]
    assert rename_intf_commands("eth0", "docker-eth0", routes) == [
        "link set dev eth0 down", "link set dev eth0 name docker-eth0",
        "link set dev docker-eth0 up",
        "route replace default via 172.17.0.1 dev docker-eth0"]


def test_lo_is_not_a_name_a_vnf_can_ask_for():
    with pytest.raises(InvalidInterfaceName):
        check_intf_name("lo")
    check_intf_name("eth0")


# -- the CLI ------------------------------------------------------------------------------


class FakeNet(dict):
    """What the CLI reads of a network: node names."""

    @property
    def nameToNode(self):
        return self


@pytest.fixture
def cli():
    shell = EmulatorCLI.__new__(EmulatorCLI)   # no loop: only the parsing is tested
    shell.mn = FakeNet({"vnf0.vdu01.0": 1, "vnf0.vdu02.0": 2, "my-vnf": 3, "dc1.s1": 4})
    return shell


def test_cli_reads_dotted_and_dashed_node_names(cli):
    assert cli.parseline("vnf0.vdu01.0 ifconfig")[:2] == ("vnf0.vdu01.0", "ifconfig")
    assert cli.parseline("my-vnf ps aux")[:2] == ("my-vnf", "ps aux")
    assert cli.parseline("pingall")[:2] == ("pingall", "")


def test_cli_completes_node_names(cli):
    assert cli.completenames("vnf0.vdu0") == ["vnf0.vdu01.0", "vnf0.vdu02.0"]
    assert "pingall" in cli.completenames("ping")
    assert cli.completedefault("my", "vnf0.vdu01.0 ping my", 21, 23) == ["my-vnf"]


def test_parse_interface_of_son_emus_gatekeeper_module():
    from emuvim.api.sonata.dummygatekeeper import parse_interface as son_emu_parse
    assert son_emu_parse("vnf0:input") == ("vnf0", "input", "vnf0_input")
    assert son_emu_parse("mgmt") == ("mgmt", "mgmt", "mgmt")
    vnf_id, vnf_interface, sap_name = son_emu_parse("ns:input")   # son-emu's tests
    assert (vnf_id, vnf_interface, sap_name) == ("ns", "input", "ns_input")
