"""One host-access policy for packages and API calls (emuvim.dcemulator.hostaccess)."""

import pytest

from emuvim.dcemulator import hostaccess
from emuvim.dcemulator.hostaccess import HostAccessRefused, check


REFUSED = [
    {"cap_add": ["SYS_ADMIN"]}, {"cap_add": ["CAP_SYS_ADMIN"]}, {"cap_add": ["ALL"]},
    {"cap_add": ["sys_ptrace"]}, {"devices": ["/dev/vda"]}, {"devices": ["/dev/vda:/dev/x:rwm"]},
    {"ipc_mode": "host"}, {"ipc_mode": "container:other"}, {"pid_mode": "host"},
    {"network_mode": "host"}, {"privileged": True}, {"volumes": ["/:/host"]},
    {"security_opt": ["apparmor=unconfined"]}, {"userns_mode": "host"},
]


@pytest.mark.parametrize("options", REFUSED, ids=lambda o: "%s=%s" % next(iter(o.items())))
def test_host_access_refused_by_default_and_the_refusal_names_the_option(options):
    with pytest.raises(HostAccessRefused) as err:
        check(options, False, "VNF v unit u")
    assert "VNF v unit u" in str(err.value)
    assert "allow_host_access=True" in str(err.value) and hostaccess.ALLOW_ENV in str(err.value)
    check(options, True, "VNF v unit u")       # the emulator's owner allowed it


def test_what_network_functions_need_is_allowed():
    check({"cap_add": ["NET_ADMIN", "cap_net_raw", "SYS_NICE"], "devices": ["/dev/net/tun"],
           "ipc_mode": "private", "network_mode": "none"}, False, "x")


@pytest.mark.parametrize("options", [{"cap_add": "SYS_ADMIN"}, {"cap_add": [1]},
                                     {"devices": {"a": 1}}, {"ipc_mode": ["host"]}])
def test_wrong_types_are_refused_even_when_allowed(options):
    with pytest.raises(HostAccessRefused, match="must be"):
        check(options, True, "x")


def test_environment_switch(monkeypatch):
    monkeypatch.setenv(hostaccess.ALLOW_ENV, "1")
    assert hostaccess.allowed_by_environment()
    monkeypatch.setenv(hostaccess.ALLOW_ENV, "0")
    assert not hostaccess.allowed_by_environment()
