"""LLCM logic without Docker: packages, descriptors, plans, placement."""

import os

import pytest

from emuvim.api.errors import HttpError
from emuvim.api.tango.package import (PackageError, pack_project, read_descriptors,
                                      safe_member_path, unpack)
from emuvim.api.tango.placement import (FirstDcPlacement, PlacementError,
                                        RoundRobinDcPlacement, StaticConfigPlacement)
from emuvim.api.tango.plan import PORT_OFFSET, DeploymentRules, SubnetPool, plan_instance
from emuvim.api.tango.service import memory_bytes, parse_service, resource_args
from emuvim.api.tango.package import PackageContent

from tango_examples import EXAMPLE, example_descriptors, make_multi_vdu, write_zip



class FakeDc:
    def __init__(self, label):
        self.label = label


DCS = {"dc1": FakeDc("dc1"), "dc2": FakeDc("dc2")}


def example_content():
    d = example_descriptors()
    return PackageContent({"name": "emulator-example-service"}, d["nsd"], d["vnfds"])


def plan(service, ssiid=0, placement=None, sap_containers=False, pools=None):
    rules = DeploymentRules(sap_containers=sap_containers)
    if pools:
        rules.eline_pool, rules.elan_pool = pools
    return plan_instance(service, ssiid, placement or RoundRobinDcPlacement(), DCS, rules,
                         "0123456789abcdef")


# -- zip safety ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../evil", "a/../../evil", "/etc/evil", "C:/evil",
                                  "a\\..\\evil"])
def test_unsafe_entry_names_are_refused(tmp_path, name):
    archive = write_zip(tmp_path / "p.tgo", {"ok.txt": "x", name: "boom"})
    with pytest.raises(PackageError) as err:
        unpack(str(archive), str(tmp_path / "out"))
    assert err.value.status == 400
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil").exists()


def test_symlink_entries_are_refused(tmp_path):
    archive = write_zip(tmp_path / "p.tgo", {"ok.txt": "x"}, symlink="link")
    with pytest.raises(PackageError, match="symbolic link"):
        unpack(str(archive), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_not_a_zip_and_too_big(tmp_path):
    (tmp_path / "junk").write_bytes(b"not a zip at all")
    with pytest.raises(PackageError, match="not a zip") as err:
        unpack(str(tmp_path / "junk"), str(tmp_path / "out"))
    assert err.value.status == 400
    archive = write_zip(tmp_path / "big.tgo", {"a": "x" * 5000})
    with pytest.raises(PackageError, match="expands") as err:
        unpack(str(archive), str(tmp_path / "out"), max_bytes=1000)
    assert err.value.status == 413


def test_safe_member_path_keeps_normal_names():
    assert safe_member_path("./Definitions/nsd.yml") == os.path.join("Definitions", "nsd.yml")


def test_pack_then_unpack_round_trip(tmp_path):
    out = pack_project(EXAMPLE, str(tmp_path / "ex.tgo"))
    unpack(out, str(tmp_path / "pkg"))
    content = read_descriptors(str(tmp_path / "pkg"))
    assert content.name == "emulator-example-service"
    assert content.nsd["name"] == "emulator_example"
    assert sorted(v["name"] for v in content.vnfds) == ["default-vnf0", "default-vnf1"]


@pytest.mark.parametrize("napd,message", [
    (None, "NAPD .* missing"),
    ("- just\n- a list\n", "mapping"),
    ("name: x\npackage_content: []\n", "no NSD"),
    ("name: x\npackage_content:\n- {source: a.yml, content-type: application/vnd.5gtango.nsd}\n",
     "no VNFD"),
    ("name: x\n  bad: [indent\n", "not valid YAML"),
])
def test_napd_problems(tmp_path, napd, message):
    entries = {"a.yml": "name: a\n"}
    if napd is not None:
        entries["TOSCA-Metadata/NAPD.yaml"] = napd
    unpack(write_zip(tmp_path / "p.tgo", entries), str(tmp_path / "pkg"))
    with pytest.raises(PackageError, match=message) as err:
        read_descriptors(str(tmp_path / "pkg"))
    assert err.value.status == 422


def test_napd_source_may_not_leave_the_package(tmp_path):
    napd = ("name: x\npackage_content:\n"
            "- {source: file:///../../etc/passwd, content-type: application/vnd.5gtango.nsd}\n"
            "- {source: a.yml, content-type: application/vnd.5gtango.vnfd}\n")
    unpack(write_zip(tmp_path / "p.tgo", {"TOSCA-Metadata/NAPD.yaml": napd, "a.yml": "x: 1"}),
           str(tmp_path / "pkg"))
    with pytest.raises(PackageError, match=r"\.\."):
        read_descriptors(str(tmp_path / "pkg"))


# -- descriptors ---------------------------------------------------------------------------


def test_vcpus_are_a_cpu_count_not_a_cpu_index():
    args = resource_args({"cpu": {"vcpus": 2}}, "t")
    assert args == {"cpu_period": 100000, "cpu_quota": 200000}
    assert "cpuset_cpus" not in args
    assert resource_args({"cpu": {"vcpus": 1, "cpu_bw": 0.25}}, "t")["cpu_quota"] == 25000
    assert resource_args({"cpu": {"cpuset": "0, 2"}}, "t") == {"cpuset_cpus": "0,2"}


@pytest.mark.parametrize("memory,expected", [
    ({"size": 1}, 1024 ** 3), ({"size": 256, "size_unit": "MB"}, 256 * 1024 ** 2),
    ({"size": 0.5, "size_unit": "GiB"}, 512 * 1024 ** 2), (None, None), ({}, None),
])
def test_memory_units(memory, expected):
    assert memory_bytes(memory, "t") == expected


@pytest.mark.parametrize("requirements,message", [
    ({"cpu": {"vcpus": 0}}, "positive"), ({"cpu": {"vcpus": "many"}}, "not a number"),
    ({"memory": {"size": 1, "size_unit": "KB"}}, "minimum"),
    ({"memory": {"size": 1, "size_unit": "parsecs"}}, "size_unit"),
    ({"cpu": {"cpuset": "all"}}, "cpuset"),
])
def test_bad_resources(requirements, message):
    with pytest.raises(PackageError, match=message):
        resource_args(requirements, "t")


def test_example_service_model():
    service = parse_service(example_content())
    assert list(service.vnfs) == ["vnf0", "vnf1"]
    assert service.instance_prefix == "eu.5gtango.emulator_example.0.9"
    assert [(l.id, l.kind) for l in service.links] == [
        ("mgmt", "E-LAN"), ("input-2-vnf0", "E-Line"), ("vnf0-2-vnf1", "E-Line"),
        ("vnf1-2-output", "E-Line")]
    unit = service.vnfs["vnf0"].units[0]
    assert unit.image == "emuvim/iperf-vnf:latest"
    assert unit.create_args == {"cpu_period": 100000, "cpu_quota": 50000,
                                "mem_limit": 256 * 1024 ** 2}


def broken(mutate):
    content = example_content()
    mutate(content)
    return content


@pytest.mark.parametrize("mutate,message", [
    (lambda c: c.nsd["network_functions"][1].update(vnf_name="nope"), "not in the package"),
    (lambda c: c.nsd.pop("network_functions"), "no network_functions"),
    (lambda c: c.nsd["virtual_links"][1].update(connectivity_type="E-Mesh"), "connectivity"),
    (lambda c: c.nsd["virtual_links"][2]["connection_points_reference"].append("vnf0:mgmt"),
     "exactly 2"),
    (lambda c: c.nsd["virtual_links"][2]["connection_points_reference"].__setitem__(
        0, "vnf7:output"), "unknown vnf_id"),
    (lambda c: c.nsd["virtual_links"][2]["connection_points_reference"].__setitem__(
        0, "vnf0:nothere"), "no such connection point"),
    (lambda c: c.vnfds[0]["virtual_deployment_units"][0].pop("vm_image"), "no image"),
    (lambda c: c.vnfds[0].pop("virtual_deployment_units"), "no virtual_deployment_units"),
    (lambda c: c.vnfds[0]["virtual_deployment_units"][0]["connection_points"][0].update(
        id="a-name-longer-than-fifteen"), "interface"),
    (lambda c: c.nsd["network_functions"].append(dict(c.nsd["network_functions"][0])),
     "twice"),
    (lambda c: c.vnfds[0]["virtual_deployment_units"][0].update(vm_image_format="qcow2"),
     "only docker"),
    (lambda c: c.vnfds[0]["virtual_deployment_units"][0].update(id="../../etc"), "unit id"),
    (lambda c: c.nsd["network_functions"][0].update(vnf_id="v" * 40), "vnf_id"),
])
def test_bad_descriptors(mutate, message):
    with pytest.raises(PackageError, match=message) as err:
        parse_service(broken(mutate))
    assert err.value.status == 422


# -- plans --------------------------------------------------------------------------------


def test_plan_addresses_saps_and_links():
    p = plan(parse_service(example_content()))
    assert [(u.name, u.dc.label) for u in p.units] == [("vnf0.vdu01.0", "dc1"),
                                                       ("vnf1.vdu01.0", "dc2")]
    ips = {(u.name, i["id"]): i["ip"] for u in p.units for i in u.interfaces}
    assert ips[("vnf0.vdu01.0", "mgmt")] == "30.0.0.1/24"
    assert ips[("vnf1.vdu01.0", "mgmt")] == "30.0.0.2/24"
    assert ips[("vnf0.vdu01.0", "input")] == "20.0.0.2/24"      # the SAP "input" is .1
    assert ips[("vnf0.vdu01.0", "output")] == "20.0.1.1/24"
    assert ips[("vnf1.vdu01.0", "input")] == "20.0.1.2/24"
    saps = {s.cp: (s.name, s.dc.label, s.ip) for s in p.saps}
    assert saps["input"] == ("input.01234567", "dc1", "20.0.0.1/24")
    assert saps["output"] == ("output.01234567", "dc2", "20.0.2.2/24")
    assert all(len(s.name) <= 15 for s in p.saps)
    eline = next(l for l in p.links if l.id == "vnf0-2-vnf1")
    assert eline.members == [("vnf0.vdu01.0", "output"), ("vnf1.vdu01.0", "input")]


def test_sap_containers_have_interfaces_and_instance_names():
    p = plan(parse_service(example_content()), ssiid=3, sap_containers=True)
    assert {s.name for s in p.saps} == {"sap.mgmt.3", "sap.input.3", "sap.output.3"}
    link = next(l for l in p.links if l.id == "input-2-vnf0")
    assert link.members[0] == ("sap.input.3", "input")


def test_fixed_addresses_are_kept_and_skipped():
    content = example_content()
    content.vnfds[1]["virtual_deployment_units"][0]["connection_points"][0]["address"] = \
        "30.0.0.1"
    p = plan(parse_service(content))
    ips = {(u.name, i["id"]): i["ip"] for u in p.units for i in u.interfaces}
    assert ips[("vnf1.vdu01.0", "mgmt")] == "30.0.0.1/24"
    assert ips[("vnf0.vdu01.0", "mgmt")] == "30.0.0.2/24"


def test_instances_get_their_own_subnets_and_give_them_back():
    pools = (SubnetPool("20.0.0.0/16"), SubnetPool("30.0.0.0/16"))
    service = parse_service(example_content())
    first, second = plan(service, 0, pools=pools), plan(service, 1, pools=pools)
    assert {str(l.subnet) for l in first.links}.isdisjoint(str(l.subnet) for l in second.links)
    assert len(pools[0].in_use()) == 6 and len(pools[1].in_use()) == 2
    first.release_subnets()
    second.release_subnets()
    assert pools[0].in_use() == [] and pools[1].in_use() == []


def test_failed_plan_releases_subnets():
    pools = (SubnetPool("20.0.0.0/23"), SubnetPool("30.0.0.0/16"))  # 2 E-Line /24s only
    with pytest.raises(Exception, match="in use"):
        plan(parse_service(example_content()), pools=pools)
    assert pools[0].in_use() == [] and pools[1].in_use() == []


def test_published_ports_move_per_instance():
    content = example_content()
    cp = content.vnfds[0]["virtual_deployment_units"][0]["connection_points"][0]
    cp.update(port=8080, ports=[5201, "53/udp"], publish={8080: 18080})
    p = plan(parse_service(content), ssiid=2)
    unit = p.units[0]
    assert unit.unit.ports == [(8080, "tcp"), (5201, "tcp"), (53, "udp")]
    assert unit.port_bindings == {"8080/tcp": 18080 + 2 * PORT_OFFSET}
    with pytest.raises(HttpError, match="too high"):
        plan(parse_service(content), ssiid=50)


def multi_vdu_content():
    content = example_content()
    make_multi_vdu(content.vnfds[0])
    return content


def test_multi_vdu_vnf_maps_cps_to_units_and_deploys_internal_links():
    p = plan(parse_service(multi_vdu_content()), placement=FirstDcPlacement())
    assert [u.name for u in p.units] == ["vnf0.vdu01.0", "vnf0.vdu02.0", "vnf1.vdu01.0"]
    links = {l.id: l.members for l in p.links}
    assert links["vnf0-2-vnf1"] == [("vnf0.vdu02.0", "output"), ("vnf1.vdu01.0", "input")]
    assert links["input-2-vnf0"][1] == ("vnf0.vdu01.0", "input")
    assert ("vnf0.vdu02.0", "mgmt") in links["mgmt"]
    assert links["inner"] == [("vnf0.vdu01.0", "inner"), ("vnf0.vdu02.0", "inner")]


# -- placement ----------------------------------------------------------------------------


def test_round_robin_continues_across_calls():
    rr = RoundRobinDcPlacement()
    labels = [rr.place(DCS, {}, "v", {}, 0, "c").label for _ in range(5)]
    assert labels == ["dc1", "dc2", "dc1", "dc2", "dc1"]
    with pytest.raises(PlacementError):
        rr.place({}, {}, "v", {}, 0, "c")


def test_static_placement(tmp_path):
    path = tmp_path / "placement.yml"
    path.write_text("vnf0.vdu01.0: dc2\nvnf1.vdu01.0: dc9\n")
    static = StaticConfigPlacement(str(path))
    assert static.place(DCS, {}, "vnf0", {}, 0, "vnf0.vdu01.0").label == "dc2"
    assert static.place(DCS, {}, "vnfx", {}, 0, "other").label == "dc1"
    with pytest.raises(PlacementError, match="dc9"):
        static.place(DCS, {}, "vnf1", {}, 0, "vnf1.vdu01.0")
    with pytest.raises(PlacementError, match="cannot read"):
        StaticConfigPlacement(str(tmp_path / "missing.yml")).place(DCS, {}, "v", {}, 0, "c")


def test_pack_project_reports_missing_files(tmp_path):
    (tmp_path / "project.yml").write_text(
        "files:\n- {path: nsd.yml, type: application/vnd.5gtango.nsd}\n"
        "package: {vendor: v, name: n, version: '1'}\n")
    with pytest.raises(PackageError, match="does not exist"):
        pack_project(str(tmp_path), str(tmp_path / "out.tgo"))


def test_sap_image_comes_from_the_sap_vnfd(tmp_path):
    from emuvim.api.tango.endpoint import sap_image_from_vnfd
    path = tmp_path / "sap_vnfd.yml"
    path.write_text("name: sap\nvirtual_deployment_units:\n- {id: u, vm_image: my/sap:1}\n")
    assert sap_image_from_vnfd(str(path)) == "my/sap:1"
    path.write_text("name: sap\n")
    with pytest.raises(ValueError, match="no image"):
        sap_image_from_vnfd(str(path))
