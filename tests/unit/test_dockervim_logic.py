"""Pure logic of the Docker-VIM API: field checks, addressing, Dockerfile
bases, tar contexts, the request guard, placements."""

import io
import tarfile

import pytest

from emuvim.api.dockervim.containers import ContainerService, Placement, iso_time
from emuvim.api.dockervim.fields import Fields, query_bool, query_number
from emuvim.api.dockervim.images import base_images, image_reference, safe_extract
from emuvim.api.dockervim.inside import Capture, interface_counters
from emuvim.api.dockervim.networks import check_addressing
from emuvim.api.errors import HttpError


def refused(func, *args):
    with pytest.raises(HttpError) as err:
        func(*args)
    return err.value.status, err.value.code


def test_fields_name_types_and_unknown_fields():
    assert refused(Fields, {"nmae": "x"}, ("name",)) == (400, "invalid_field")
    fields = Fields({"name": "../x", "start": "yes", "cmd": "ls"}, ("name", "start", "cmd"))
    assert refused(fields.name, "name") == (400, "invalid_field")
    assert refused(fields.get, "start", bool) == (400, "invalid_field")
    assert refused(fields.argv, "cmd", False) == (400, "invalid_field")
    assert Fields({"n": 3}, ("n",)).get("n", float) == 3.0
    assert refused(Fields({"n": True}, ("n",)).get, "n", int) == (400, "invalid_field")
    assert refused(Fields({"m": {"a": [1]}}, ("m",)).string_map, "m") == (400, "invalid_field")


def test_query_values():
    assert query_bool("true", "x") is True and query_bool("0", "x") is False
    assert query_bool(None, "x") is None
    assert refused(query_bool, "maybe", "x")[0] == 400
    assert query_number("2", "w", 0.1, 10) == 2.0
    assert refused(query_number, "99", "w", 0.1, 10)[0] == 400
    assert refused(query_number, "x", "w", 0, 1)[0] == 400


@pytest.mark.parametrize("subnet,ip_range,gateway,ok", [
    ("172.30.0.0/24", "172.30.0.128/25", "172.30.0.1", True),
    ("172.30.0.0/24", None, None, True),
    (None, None, None, True),
    ("172.30.0.1/24", None, None, False),          # host bits set
    ("172.30.0.0/24", "172.31.0.0/25", None, False),  # range outside
    ("172.30.0.0/24", None, "172.31.0.1", False),   # gateway outside
    ("172.30.0.0/24", None, "172.30.0.255", False),  # broadcast
    ("172.30.0.0/24", None, "172.30.0.0", False),   # network address
    (None, None, "172.30.0.1", False),              # gateway without subnet
    ("garbage", None, None, False),
])
def test_network_addressing(subnet, ip_range, gateway, ok):
    if ok:
        check_addressing(subnet, ip_range, gateway)
    else:
        assert refused(check_addressing, subnet, ip_range, gateway) == (400, "invalid_field")


def test_dockerfile_bases_skip_stages_and_scratch():
    text = ("FROM emuvim/base:latest AS build\nRUN make\n"
            "FROM --platform=linux/amd64 scratch\nCOPY --from=build /x /x\n"
            "from build as final\nFROM other/img:1\n")
    assert base_images(text) == ["emuvim/base:latest", "other/img:1"]


def test_image_references():
    assert image_reference("tag", "emuvim/x") == "emuvim/x:latest"
    assert image_reference("tag", "localhost:5000/a/b:1.0") == "localhost:5000/a/b:1.0"
    for bad in ("UPPER/x", "a b", "", "x:", "-x", 5):
        assert refused(image_reference, "tag", bad) == (400, "invalid_field")


def _tar(members):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = 2
                archive.addfile(info, io.BytesIO(b"hi"))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                archive.addfile(info)
    return data.getvalue()


@pytest.mark.parametrize("members", [
    [("../evil", "file")], [("/abs", "file")], [("a/../../evil", "file")],
    [("Dockerfile", "file"), ("link", "symlink")],
])
def test_tar_contexts_that_leave_are_refused(tmp_path, members):
    path = tmp_path / "ctx.tar"
    path.write_bytes(_tar(members))
    target = tmp_path / "out"
    target.mkdir()
    assert refused(safe_extract, str(path), str(target)) == (400, "bad_context_path")
    assert list(target.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_tar_context_extracts(tmp_path):
    path = tmp_path / "ctx.tar"
    path.write_bytes(_tar([("Dockerfile", "file"), ("sub/f", "file")]))
    safe_extract(str(path), str(tmp_path))
    assert (tmp_path / "sub" / "f").read_text() == "hi"


def test_create_options_refused_or_checked():
    fields = Fields({"cap_add": ["SYS_ADMIN"]}, ("cap_add",))
    assert refused(ContainerService._capabilities, fields) == (422, "option_refused")
    fields = Fields({"devices": ["/dev/sda"]}, ("devices",))
    assert refused(ContainerService._capabilities, fields) == (422, "option_refused")
    fields = Fields({"resources": {"cpu_quota": "lots"}}, ("resources",))
    assert refused(ContainerService._resources, fields) == (400, "invalid_field")
    fields = Fields({"ports": {"99999/tcp": 1}}, ("ports",))
    assert refused(ContainerService._ports, fields) == (400, "invalid_field")
    fields = Fields({"ports": {"80": 8080, "53/udp": None}}, ("ports",))
    assert ContainerService._ports(fields) == {"80/tcp": 8080, "53/udp": None}
    fields = Fields({"network": [{"id": "bad name!"}]}, ("network",))
    assert refused(ContainerService._network, fields) == (400, "invalid_field")
    assert ContainerService._network(Fields({}, ("network",))) == [{"id": "emu0"}]
    assert ContainerService._network(Fields({"network": []}, ("network",))) == []


def test_placement_label_round_trip_and_times():
    placement = Placement("dc2", [{"id": "in", "ip": "10.0.0.1/24"}], "small")
    assert Placement.from_label(placement.label()) == placement
    assert iso_time("2026-11-22T17:00:01.123456789Z") == "2026-11-22T17:00:01Z"
    assert iso_time("0001-01-01T00:00:00Z") is None


def test_capture_truncates_and_counters_parse(tmp_path):
    capture = Capture(4)
    capture.add(b"abc")
    capture.add(b"def")
    assert capture.text("utf-8") == "abcd" and capture.truncated
    assert capture.text("base64") == "YWJjZA=="
    assert interface_counters(10 ** 9) == {}
