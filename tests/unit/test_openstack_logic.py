"""OpenStack model logic without Docker: subnets and addresses, MACs, filters,
microversions, server node names."""

import pytest

from emuvim.api.errors import HttpError
from emuvim.api.openstack.model import (Subnet, check_mac, image_id, image_name, matches,
                                        node_name_for, parse_microversion, query_filters,
                                        random_mac, subnet_layout)


def test_subnet_defaults_as_neutron_derives_them():
    assert subnet_layout("10.0.0.0/24") == (
        "10.0.0.0/24", "10.0.0.1", [{"start": "10.0.0.2", "end": "10.0.0.254"}])
    # gateway_ip null: no gateway, every host allocatable.
    assert subnet_layout("10.0.0.0/29", None) == (
        "10.0.0.0/29", None, [{"start": "10.0.0.1", "end": "10.0.0.6"}])
    cidr, gateway, pools = subnet_layout("10.0.0.0/24", "10.0.0.254",
                                         [{"start": "10.0.0.10", "end": "10.0.0.20"}])
    assert (gateway, pools) == ("10.0.0.254", [{"start": "10.0.0.10", "end": "10.0.0.20"}])


@pytest.mark.parametrize("cidr,gateway,pools", [
    ("not-a-cidr", "", None), ("fd00::/64", "", None), ("10.0.0.0/31", "", None),
    ("10.0.0.0/24", "10.9.9.9", None), ("10.0.0.0/24", "", [{"start": "10.0.0.20",
                                                              "end": "10.0.0.10"}]),
    ("10.0.0.0/24", "", [{"start": "10.1.0.1", "end": "10.1.0.9"}]),
])
def test_bad_subnets_are_400(cidr, gateway, pools):
    with pytest.raises(HttpError) as err:
        subnet_layout(cidr, gateway, pools)
    assert err.value.status == 400


def subnet(pools=({"start": "10.0.0.2", "end": "10.0.0.4"},), gateway="10.0.0.1"):
    return Subnet("s", "", "n", "10.0.0.0/24", gateway, list(pools))


def test_addresses_come_from_the_pools_lowest_first_and_go_back():
    s = subnet()
    assert [s.allocate() for _ in range(3)] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    with pytest.raises(HttpError) as err:
        s.allocate()
    assert err.value.status == 409
    s.release("10.0.0.3")
    assert s.allocate() == "10.0.0.3"


def test_requested_addresses():
    s = subnet()
    assert s.allocate("10.0.0.200") == "10.0.0.200"    # any address of the subnet
    for taken in ("10.0.0.200", "10.0.0.1"):           # in use, or the gateway
        with pytest.raises(HttpError) as err:
            s.allocate(taken)
        assert err.value.status == 409
    with pytest.raises(HttpError) as err:
        s.allocate("10.1.0.5")
    assert err.value.status == 400


def test_macs():
    mac = random_mac()
    assert mac.startswith("fa:16:3e:") and check_mac(mac) == mac
    assert check_mac("FA:16:3E:00:00:01") == "fa:16:3e:00:00:01"
    for bad in ("01:00:5e:00:00:01", "fa:16:3e:00:00", "zz:16:3e:00:00:01", 42):
        with pytest.raises(HttpError):
            check_mac(bad)


def test_neutron_filters():
    item = {"id": "a", "name": "lan", "admin_state_up": True, "network_id": "n1"}
    assert matches(item, query_filters([("name", "lan")]))
    assert matches(item, query_filters([("id", "b"), ("id", "a")]))   # either id
    assert not matches(item, query_filters([("network_id", "n2")]))
    assert matches(item, query_filters([("admin_state_up", "true"), ("fields", "id")]))
    assert matches(item, query_filters([("unknown_key", "x")]))          # ignored


@pytest.mark.parametrize("headers,version", [
    ({}, (2, 1)),
    ({"openstack-api-version": "compute 2.60"}, (2, 60)),
    ({"x-openstack-nova-api-version": "2.38"}, (2, 38)),
    ({"openstack-api-version": "compute latest"}, (2, 60)),
])
def test_microversions(headers, version):
    assert parse_microversion(headers) == version


def test_microversions_beyond_what_is_honoured_are_406():
    with pytest.raises(HttpError) as err:
        parse_microversion({"openstack-api-version": "compute 2.96"})
    assert err.value.status == 406


def test_server_node_names():
    assert node_name_for("vnf1", "0123456789", set()) == "vnf1"
    assert node_name_for("vnf1", "0123456789", {"vnf1"}) == "srv-01234567"
    assert node_name_for("my server", "abcdef0123", set()) == "srv-abcdef01"


def test_images_keep_stable_ids_and_short_names():
    assert image_id("emuvim/base:latest") == image_id("emuvim/base:latest")
    assert image_id("emuvim/base:latest") != image_id("emuvim/base:1")
    assert image_name("emuvim/base:latest") == "emuvim/base"
    assert image_name("emuvim/base:1") == "emuvim/base:1"


# -- SFC flow classifiers ------------------------------------------------------------------

from emuvim.api.openstack.sfc import classifier_fields, classifier_match  # noqa: E402


def test_classifier_matches():
    fields = classifier_fields({"protocol": "tcp", "destination_port_range_min": 80,
                                "destination_port_range_max": 80,
                                "source_ip_prefix": "10.0.0.10", "logical_source_port": "p"})
    assert classifier_match(fields) == "dl_type=0x0800,nw_proto=6,nw_src=10.0.0.10/32,tp_dst=80"
    assert classifier_match(classifier_fields({})) == "dl_type=0x0800"
    everything = classifier_fields({"protocol": "udp", "source_port_range_min": 0,
                                    "source_port_range_max": 65535})
    assert classifier_match(everything) == "dl_type=0x0800,nw_proto=17"


@pytest.mark.parametrize("body", [
    {"ethertype": "IPv6"}, {"protocol": "sctp-ish"}, {"destination_ip_prefix": "nope"},
    {"protocol": "tcp", "destination_port_range_min": 70000},
    {"protocol": "tcp", "destination_port_range_min": 80, "destination_port_range_max": 90},
    {"destination_port_range_min": 80},
])
def test_classifiers_that_cannot_be_matched_are_400(body):
    with pytest.raises(HttpError) as err:
        classifier_match(classifier_fields(body))
    assert err.value.status == 400
