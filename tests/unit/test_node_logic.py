import pytest

from emuvim.dcemulator.docker_host import docker_create_args, port_mapping
from emuvim.dcemulator.links import InvalidInterfaceName
from emuvim.dcemulator.node import normalize_network


def test_default_network_is_one_emu0_interface():
    assert normalize_network(None) == [{"id": "emu0"}]
    assert normalize_network([]) == [{"id": "emu0"}]
    assert normalize_network({}) == [{"id": "emu0"}]


def test_single_dict_is_wrapped_and_cleaned():
    assert normalize_network({"id": "in:put", "ip": "10.0.0.1/24"}) == [
        {"id": "in-put", "ip": "10.0.0.1/24"}]


def test_duplicate_interface_is_refused():
    with pytest.raises(ValueError, match="listed twice"):
        normalize_network([{"id": "a"}, {"id": "a"}])


@pytest.mark.parametrize("ip", ["10.0.0.300/24", "banana", "10.0.0.1"])
def test_bad_addresses_are_refused(ip):
    with pytest.raises(ValueError):
        normalize_network([{"id": "a", "ip": ip}])


def test_long_interface_id_is_refused():
    with pytest.raises(InvalidInterfaceName):
        normalize_network([{"id": "an-interface-name-too-long"}])


def test_non_dict_entry_is_refused():
    with pytest.raises(ValueError):
        normalize_network(["emu0"])


def test_port_mapping_merges_ports_and_bindings():
    assert port_mapping([80, (53, "udp")], {80: 8080, 9000: 9100}) == {
        "80/tcp": 8080, "53/udp": None, "9000/tcp": 9100}


def test_create_args_add_net_admin_and_labels():
    args = docker_create_args({"cap_add": ["SYS_PTRACE"], "mem_limit": 64 * 2 ** 20},
                              {"emuvim.run": "r"}, None)
    assert args["cap_add"] == ["SYS_PTRACE", "NET_ADMIN"]
    assert args["labels"] == {"emuvim.run": "r"}
    assert args["mem_limit"] == 64 * 2 ** 20
    assert "command" not in args  # the image's CMD keeps its meaning
    assert "privileged" not in args


def test_create_args_network_none_drops_ports():
    args = docker_create_args({"network_mode": "none", "ports": [80]}, {}, "sleep 1")
    assert "ports" not in args and "publish_all_ports" not in args
    assert args["command"] == "sleep 1"


def test_the_controllers_two_ports_are_never_the_same(monkeypatch):
    """Both ports are bound later by the controller: a second pick equal to the
    first made its REST API fail to bind (seen once in a full test run)."""
    from emuvim.dcemulator.controller import oskenproc
    monkeypatch.setattr(oskenproc, "LOW_PORT", 20000)
    monkeypatch.setattr(oskenproc, "ephemeral_range", lambda: (20002, 60999))
    picks = {oskenproc.free_tcp_port(exclude=(20000,)) for _ in range(20)}
    assert 20000 not in picks
