"""Pure logic of the hardening: YAML expansion bounds, names and image
references, chain integer ranges, published ports, the private run
directory, the LLCM catalogue's budget."""

import os
import stat

import pytest
import yaml

from emuvim.api import yamlsafe
from emuvim.api.errors import HttpError
from emuvim.api.jsonbody import BodyError, json_object
from emuvim.api.tango.llcm import LlcmOptions, TangoLLCM
from emuvim.dcemulator.chaining import ChainError
from emuvim.dcemulator.cleanup import is_removable_path
from emuvim.dcemulator.docker_host import IMAGE_REFERENCE, NAME_PATTERN, docker_create_args
from emuvim.dcemulator.ownership import RunIdentity, RunRecord, read_run_dirs
from emuvim.dcemulator.sdn import MAX_COOKIE, bounded_int

from package_mutants import TANGO, write_mutant
from tango_examples import example_descriptors, write_package, write_zip
from test_package_shapes import Pop


BOMB = """
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
name: [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def test_yaml_alias_bombs_recursion_and_depth_are_refused():
    with pytest.raises(yamlsafe.YamlRefused, match="expands to more than"):
        yamlsafe.load(BOMB)
    with pytest.raises(yamlsafe.YamlRefused, match="recursive"):
        yamlsafe.load("a: &a [1, *a]")
    with pytest.raises(yamlsafe.YamlRefused, match="deeply"):
        yamlsafe.load("[" * 5000 + "]" * 5000)
    with pytest.raises(yamlsafe.YamlRefused):
        yamlsafe.load("!!python/object/apply:os.system ['true']")
    # anchors a real descriptor uses are fine, and load as safe_load would
    assert yamlsafe.load("base: &b {cpu: 1}\nunit: *b\n") == {"base": {"cpu": 1},
                                                              "unit": {"cpu": 1}}
    assert yamlsafe.load("") is None


def test_deep_json_is_a_body_error():
    with pytest.raises(BodyError, match="deeply"):
        json_object(b"[" * 100000 + b"]" * 100000)


@pytest.mark.parametrize("name", ["vnf1\n", "vnf1\n\n", "a b", "", "-x", "x" * 64])
def test_names_with_a_trailing_newline_or_worse_are_refused(name):
    assert not NAME_PATTERN.match(name)


@pytest.mark.parametrize("ref,ok", [
    ("emuvim/base:latest", True), ("localhost:5000/a/b:1.0", True), ("ubuntu", True),
    ("sha256:" + "a" * 64, True), ("x@sha256:" + "b" * 64, True),
    ("img;touch x", False), ("img\n", False), ("UPPER", False), ("a:b:c", False),
    ("$(reboot)", False), ("", False), ("0..0", False), ("a._b", False), ("a__b:1", True),
    ("a--b", True)])
def test_image_references(ref, ok):
    assert bool(IMAGE_REFERENCE.match(ref)) is ok


def test_chain_integers_are_bounded():
    assert bounded_int("10", "cookie", 0, MAX_COOKIE) == 10
    assert bounded_int("0x10", "cookie", 0, MAX_COOKIE) == 16
    assert bounded_int(MAX_COOKIE, "cookie", 0, MAX_COOKIE) == MAX_COOKIE
    for bad in (MAX_COOKIE + 1, -1, 10 ** 30, float("inf"), "1e400", "x", [], True, None):
        with pytest.raises(ChainError, match="cookie"):
            bounded_int(bad, "cookie", 0, MAX_COOKIE)


def test_published_ports_bind_to_the_publish_address():
    args = docker_create_args({"publish_ip": "127.0.0.1", "ports": [80],
                               "port_bindings": {8080: 18080}}, {}, None,
                              exposed=["22/tcp", "80/tcp"])
    assert "publish_all_ports" not in args
    assert args["ports"] == {"22/tcp": ("127.0.0.1", None), "80/tcp": ("127.0.0.1", None),
                             "8080/tcp": ("127.0.0.1", 18080)}
    # topology scripts keep Containernet's default (every exposed port, any address)
    assert docker_create_args({}, {}, None)["publish_all_ports"] is True


def test_run_directory_and_its_files_are_private(tmp_path):
    record = RunRecord(RunIdentity.new(), root=str(tmp_path / "runs"))
    old = os.umask(0o022)
    try:
        record.create()
        record.add_process(os.getpid(), "test")
        log = record.log_path("controller.log")
        record.add_path(str(tmp_path))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(record.path).st_mode) == 0o700
    for name in ("owner.json", "processes.jsonl", "paths.jsonl", os.path.basename(log)):
        assert stat.S_IMODE(os.stat(os.path.join(record.path, name)).st_mode) == 0o600, name
    assert read_run_dirs(str(tmp_path / "runs"))[record.identity.run_id]["paths"] == [
        str(tmp_path)]


def test_only_emuvim_folders_are_removed_by_clean(tmp_path):
    ours = tmp_path / "emuvim-llcm-abc"
    ours.mkdir()
    assert is_removable_path(str(ours))
    for path in ("/", "/etc", str(tmp_path), "emuvim-llcm-abc", None, 42):
        assert not is_removable_path(path)
    link = tmp_path / "emuvim-link"
    link.symlink_to("/etc")
    assert not is_removable_path(str(link))


def llcm_with_pops(tmp_path, **options):
    llcm = TangoLLCM(storage_dir=str(tmp_path / "storage"), options=LlcmOptions(**options))
    for label in ("dc1", "dc2"):
        llcm.connectDatacenter(Pop(label))
    return llcm


def refusal(func, *args):
    with pytest.raises(HttpError) as err:
        func(*args)
    return err.value.status, str(err.value)


def test_catalogue_budget_and_disk(tmp_path):
    package = write_package(str(tmp_path / "p.tgo"), **example_descriptors())
    llcm = llcm_with_pops(tmp_path, max_catalog_bytes=6000)
    first = llcm.onboard(package, 0, "")
    status, message = refusal(llcm.onboard, package, 0, "")
    assert status == 413 and "remove services first" in message
    llcm.remove_service(first)
    llcm.onboard(package, 0, "")            # room again
    short = llcm_with_pops(tmp_path / "b", min_free_bytes=1 << 62)
    status, message = refusal(short.onboard, package, 0, "")
    assert status == 507 and "bytes free" in message
    assert os.listdir(os.path.join(short.storage_dir, "catalog", "services")) == []


def test_a_descriptor_that_names_a_folder_is_a_422(tmp_path):
    llcm = llcm_with_pops(tmp_path)
    descriptors = example_descriptors()
    napd = yaml.safe_dump({"vendor": "t", "name": "t", "version": "1", "package_content": [
        {"source": "Definitions/nsd", "content-type": "application/vnd.5gtango.nsd"},
        {"source": "Definitions/vnfd.yml", "content-type": "application/vnd.5gtango.vnfd"}]})
    package = write_zip(str(tmp_path / "dir.tgo"), {
        "TOSCA-Metadata/NAPD.yaml": napd, "Definitions/nsd/x.yml": "a: 1\n",
        "Definitions/vnfd.yml": yaml.safe_dump(descriptors["vnfds"][0])})
    status, message = refusal(llcm.onboard, package, 0, "")
    assert status == 422 and "is a folder" in message


def test_colliding_entries_are_a_400_and_leave_nothing(tmp_path):
    llcm = llcm_with_pops(tmp_path)
    package = write_package(str(tmp_path / "c.tgo"), extra={"Definitions/nsd.yml/x": "a"},
                            **example_descriptors())
    status, message = refusal(llcm.onboard, package, 0, "")
    assert status == 400 and "collide" in message
    assert os.listdir(os.path.join(llcm.storage_dir, "catalog", "services")) == []


def test_image_reference_in_a_package_is_checked(tmp_path):
    llcm = llcm_with_pops(tmp_path)
    archive = write_mutant("tango", "default-vnf0.yml",
                           ("virtual_deployment_units", 0, "vm_image"), "img;touch x",
                           str(tmp_path))
    status, message = refusal(llcm.onboard, archive, 0, "")
    assert status == 422 and "not a Docker image reference" in message
    assert os.path.isdir(TANGO)
