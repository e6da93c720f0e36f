import pytest

from emuvim.dcemulator.links import (IFNAMSIZ, InvalidInterfaceName, check_mac, clean_intf_id,
                                     needs_netem, parse_number, parse_time_ms,
                                     port_intf_name, shaping_attributes, shaping_commands)


def test_clean_intf_id_replaces_vim_emu_characters():
    assert clean_intf_id("vnf0:input") == "vnf0-input"
    assert clean_intf_id("a b.c_d") == "a-b-c-d"


@pytest.mark.parametrize("bad", ["", "x" * 16, "has/slash", "tab\tname"])
def test_clean_intf_id_rejects_invalid_names(bad):
    with pytest.raises(InvalidInterfaceName):
        clean_intf_id(bad)


def test_port_intf_name_is_mininet_style_when_short():
    assert port_intf_name("dc1.s1", 3) == "dc1.s1-eth3"


def test_port_intf_name_shortens_long_names_without_collisions():
    a = port_intf_name("averyveryverylongswitch1", 12)
    b = port_intf_name("averyveryverylongswitch2", 12)
    assert len(a) <= IFNAMSIZ and len(b) <= IFNAMSIZ
    assert a != b
    assert a.endswith("-e12")


@pytest.mark.parametrize("value,expected", [("50ms", 50.0), ("1s", 1000.0), ("200us", 0.2),
                                            (5, 5.0), ("7", 7.0), (None, None)])
def test_parse_time_ms(value, expected):
    assert parse_time_ms(value) == expected


def test_parse_time_rejects_garbage():
    with pytest.raises(ValueError):
        parse_time_ms("fast")


def test_parse_number_accepts_percent():
    assert parse_number("1.5%") == 1.5
    assert parse_number(10) == 10.0


def test_graph_attributes_are_numbers():
    attrs = shaping_attributes({"bw": "10", "delay": "20ms", "loss": "1%", "id": "x"})
    assert attrs == {"bw": 10.0, "delay": 20.0, "loss": 1.0}


def test_needs_netem_only_for_delay_jitter_loss():
    assert not needs_netem({"bw": 10})
    assert needs_netem({"delay": "1ms"})
    assert not needs_netem({"loss": 0})


def test_shaping_bw_only_is_htb():
    cmds = shaping_commands("x-eth1", bw=100)
    assert cmds[0][:8] == ["tc", "qdisc", "replace", "dev", "x-eth1", "root", "handle", "5:"]
    assert "htb" in cmds[0]
    assert cmds[1][-4:] == ["rate", "100mbit", "burst", "15k"]
    assert len(cmds) == 2


def test_shaping_netem_under_htb():
    cmds = shaping_commands("x-eth1", bw=10, delay="5ms", jitter="1ms", loss=2)
    netem = cmds[-1]
    assert netem[5:7] == ["parent", "5:1"]
    assert netem[netem.index("netem") + 1:] == ["delay", "5ms", "1ms", "loss", "2%"]


def test_shaping_netem_alone_is_root():
    cmds = shaping_commands("x-eth1", delay="5ms")
    assert len(cmds) == 1 and cmds[0][5] == "root"


def test_no_shaping_no_commands():
    assert shaping_commands("x-eth1") == []


@pytest.mark.parametrize("mac", ["zz:zz:zz:zz:zz:zz", "02:00:00:00:00", "0200.0000.0001", 7, ""])
def test_a_malformed_mac_is_refused_with_its_value(mac):
    with pytest.raises(ValueError, match="invalid MAC address"):
        check_mac(mac)


def test_a_mac_is_kept_in_lower_case():
    assert check_mac("02:AB:00:00:00:01") == "02:ab:00:00:00:01"
