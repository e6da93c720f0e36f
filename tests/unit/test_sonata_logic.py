"""SONATA .son reading and the gatekeeper's deployment rules (pure: no Docker, no OVS)."""

import hashlib
import os
import shutil
import zipfile

import pytest
import yaml

from emuvim.api.sonata.package import (context_hash, is_package_file_reference, pack_son,
                                       read_son, repository_name)
from emuvim.api.sonata.rules import SonataRules
from emuvim.api.tango.package import PackageError, unpack
from emuvim.api.tango.placement import RoundRobinDcPlacement
from emuvim.api.tango.plan import CONTAINER_SAP, EXT_SAP, plan_instance
from emuvim.api.tango.service import parse_service

pytestmark = pytest.mark.unit

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAIN = os.path.join(REPO, "services", "sonata-empty-chain")
BUILD = os.path.join(REPO, "services", "sonata-docker-build")


class FakeDc:
    def __init__(self, label):
        self.label = label


DCS = {"dc1": FakeDc("dc1"), "dc2": FakeDc("dc2")}


def service_of(folder, rules=None):
    content = read_son(folder)
    service = parse_service(content)
    service.warnings[:0] = content.warnings
    return (rules or SonataRules()).adapt(service)


def plan(service, rules, ssiid=0):
    return plan_instance(service, ssiid, RoundRobinDcPlacement(), DCS, rules, "0123456789abcdef")


def copy_package(tmp_path, source=CHAIN):
    target = tmp_path / "pkg"
    shutil.copytree(source, target)
    return target


def edit_yaml(path, change):
    data = yaml.safe_load(open(path))
    change(data)
    with open(path, "w") as out:
        yaml.safe_dump(data, out)


# -- reading ------------------------------------------------------------------------------


def test_containers_and_interfaces_are_named_as_the_sonata_gatekeeper_did():
    service = service_of(CHAIN)
    assert list(service.vnfs) == ["chain_vnf1", "chain_vnf2", "chain_vnf3"]
    p = plan(service, SonataRules(deploy_sap=True))
    assert [u.name for u in p.units] == ["chain_vnf1", "chain_vnf2", "chain_vnf3"]
    # VDU cps "vdu01:cp0N" become the VNF-level names.
    assert [[i["id"] for i in u.interfaces] for u in p.units] == [["mgmt", "input", "output"]] * 3
    assert [u.name for u in plan(service, SonataRules(), ssiid=2).units] == [
        "chain_vnf1.2", "chain_vnf2.2", "chain_vnf3.2"]


def test_subnets_come_from_sonatas_three_pools():
    p = plan(service_of(CHAIN), SonataRules(deploy_sap=True))
    subnets = {l.id: str(l.subnet) for l in p.links}
    assert subnets == {"mgmt": "10.20.0.0/24", "link-input": "10.10.0.0/30",
                       "link-12": "10.30.0.0/30", "link-23": "10.30.0.4/30",
                       "link-output": "10.10.0.4/30"}
    ips = {(u.name, i["id"]): i["ip"] for u in p.units for i in u.interfaces}
    assert ips[("chain_vnf1", "output")] == "10.30.0.1/30"
    assert ips[("chain_vnf2", "input")] == "10.30.0.2/30"
    p.release_subnets()


def test_external_points_are_host_saps_and_the_others_containers_only_with_deploy_sap():
    service = service_of(CHAIN)
    with_saps = plan(service, SonataRules(deploy_sap=True))
    assert {s.cp: (s.kind, s.name, s.interface) for s in with_saps.saps} == {
        "ns-mgmt": (CONTAINER_SAP, "sap_mgmt", "mgmt"),
        "ns-input": (EXT_SAP, "input.01234567", None),
        "ns-output": (EXT_SAP, "output.01234567", None)}
    without = plan(service, SonataRules(deploy_sap=False))
    assert {s.cp for s in without.saps} == {"ns-input", "ns-output"}
    lan = next(l for l in without.links if l.id == "mgmt")
    assert [m[0] for m in lan.members] == ["chain_vnf1", "chain_vnf2", "chain_vnf3"]
    assert "NS connection point ns-mgmt is not deployed" in without.skipped


def test_an_e_line_to_a_left_out_sap_is_left_out(tmp_path):
    folder = copy_package(tmp_path)
    edit_yaml(folder / "service_descriptors" / "nsd.yml",
              lambda nsd: nsd["connection_points"][1].update(type="internal"))
    p = plan(service_of(folder), SonataRules(deploy_sap=False))
    assert "link-input" not in [l.id for l in p.links]
    assert any("link-input" in s for s in p.skipped)


def test_docker_management_drops_the_management_lan_and_renames_dockers_interface():
    service = service_of(CHAIN, SonataRules(docker_management=True))
    assert "mgmt" not in [l.id for l in service.links]
    for vnf in service.vnfs.values():
        unit = vnf.units[0]
        assert unit.docker_intf_name == "mgmt"
        assert [c["id"] for c in unit.cps] == ["input", "output"]
    assert any("management link mgmt" in w for w in service.warnings)


def test_real_package_quirks_md5_blanks_and_colon_cp_ids(tmp_path):
    folder = copy_package(tmp_path, BUILD)
    manifest = folder / "META-INF" / "MANIFEST.MF"
    probe = folder / "function_descriptors" / "son-probe-vnfd.yml"
    probe_md5 = hashlib.md5(open(probe, "rb").read()).hexdigest()
    edit_yaml(manifest, lambda m: m["package_content"][0].update(md5="0" * 32) or
              m["package_content"][1].update(md5=probe_md5))
    edit_yaml(folder / "service_descriptors" / "nsd.yml",
              lambda nsd: nsd["virtual_links"][2].update(
                  connection_points_reference=["probe:output  ", " sink:input"]))
    content = read_son(str(folder))
    assert len(content.warnings) == 1 and "md5 of /service_descriptors/nsd.yml" in \
        content.warnings[0] and "used anyway" in content.warnings[0]
    service = parse_service(content)
    SonataRules().adapt(service)
    probe = service.vnfs["probe"]
    # VDU id '1' with cp ids 'vdu01:cp0N'; the VNFD's 'output   ' reference.
    assert probe.units[0].id == "1"
    assert [c["id"] for c in probe.units[0].cps] == ["mgmt", "input", "output"]
    assert [e.cp for e in service.links[2].endpoints] == ["output", "input"]


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("entry_service_template") and m.update(package_content=[
        e for e in m["package_content"] if "service" not in e["content-type"]]), "names no NSD"),
    (lambda m: m.update(package_content=[
        e for e in m["package_content"] if "function" not in e["content-type"]]), "no VNFD"),
    (lambda m: m.update(entry_service_template="/../../etc/passwd"), "leaves the package"),
    (lambda m: m.update(entry_service_template="http://example.com/nsd.yml"),
     "not a file in the package"),
    (lambda m: m.update(package_content="nope"), "package_content must be a list"),
])
def test_bad_manifests_are_422(tmp_path, change, message):
    folder = copy_package(tmp_path)
    edit_yaml(folder / "META-INF" / "MANIFEST.MF", change)
    with pytest.raises(PackageError, match=message) as err:
        read_son(str(folder))
    assert err.value.status == 422


def test_garbage_manifest_yaml_is_422(tmp_path):
    folder = copy_package(tmp_path)
    (folder / "META-INF" / "MANIFEST.MF").write_text("vendor: [unclosed\n")
    with pytest.raises(PackageError, match="not valid YAML") as err:
        read_son(str(folder))
    assert err.value.status == 422


def test_son_zips_get_the_same_unpacking_safety(tmp_path):
    archive = tmp_path / "evil.son"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "name: x\n")
        z.writestr("../docker_files/evil", "boom")
    with pytest.raises(PackageError) as err:
        unpack(str(archive), str(tmp_path / "out"))
    assert err.value.status == 400 and not (tmp_path / "out").exists()


def test_pack_son_round_trips_the_folder(tmp_path):
    path = pack_son(BUILD, str(tmp_path / "p.son"))
    names = zipfile.ZipFile(path).namelist()
    assert "META-INF/MANIFEST.MF" in names and "docker_files/son-probe/Dockerfile" in names
    with pytest.raises(PackageError, match="not a SONATA package folder"):
        pack_son(str(tmp_path), str(tmp_path / "q.son"))


# -- images from docker_files --------------------------------------------------------------


def test_context_hash_changes_with_content_and_names_only(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        (folder / "Dockerfile").write_text("FROM emuvim/base:latest\n")
    assert context_hash(str(a)) == context_hash(str(b))
    (b / "extra.sh").write_text("echo\n")
    assert context_hash(str(a)) != context_hash(str(b))
    (a / "other.sh").write_text("echo\n")
    assert context_hash(str(a)) != context_hash(str(b))


def test_image_references_and_repository_names():
    assert is_package_file_reference("file:///docker_files/x/Dockerfile")
    assert is_package_file_reference("/docker_files/x/Dockerfile")
    assert is_package_file_reference("docker_files/x")
    assert not is_package_file_reference("sonatanfv/sonata-empty-vnf")
    assert repository_name("Empty VNF 1") == "empty-vnf-1"
    assert repository_name("emuvim/son-sink:latest") == "emuvim/son-sink"
