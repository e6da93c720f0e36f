import argparse

import pytest

from emuvim.api.errors import HttpError
from emuvim.api.rest.common import parse_network
from emuvim.api.rest.compute import cpu_bw_limit
from emuvim.dcemulator.resourcemodel import cpu_limit
from emuvim.cli import rest
from emuvim.cli.main import build_parser


def test_parse_network_string():
    assert parse_network("(id=input,ip=10.0.0.1/24),(id=output)") == [
        {"id": "input", "ip": "10.0.0.1/24"}, {"id": "output"}]
    assert parse_network(None) is None and parse_network("") is None
    assert parse_network([{"id": "a"}]) == [{"id": "a"}]


@pytest.mark.parametrize("bad", ["id=a", "(id=a)junk", "(=x)", 42, ["a"]])
def test_parse_network_rejects(bad):
    with pytest.raises(HttpError) as err:
        parse_network(bad)
    assert err.value.status == 400


def test_cpu_bw():
    assert cpu_bw_limit("0.5") == {"cpu_period": 100000, "cpu_quota": 50000}
    assert cpu_bw_limit("0") == {"cpu_period": 100000, "cpu_quota": -1}
    with pytest.raises(HttpError):
        cpu_bw_limit("half")


@pytest.mark.parametrize("cpus,period,quota", [
    (2, 100000, 200000), (0.5, 100000, 50000), (0.01, 100000, 1000),
    (0.005, 200000, 1000),     # below 1 ms of quota: a longer period, same share
    (0.0001, 1000000, 1000),   # the kernel's limits: 1 s period, 1 ms quota
])
def test_one_cpu_limit_for_every_api(cpus, period, quota):
    assert cpu_limit(cpus) == {"cpu_period": period, "cpu_quota": quota}


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_endpoint_before_or_after_the_command():
    assert parse("compute", "-e", "http://x:1", "list").endpoint == "http://x:1"
    assert parse("compute", "list", "-e", "http://y:2").endpoint == "http://y:2"
    assert parse("compute", "list").endpoint == rest.DEFAULT_ENDPOINT


def test_chain_params_split_interfaces_and_keep_one_way():
    args = parse("network", "add", "-src", "vnf1:in", "-dst", "vnf2")
    params = rest._chain_params(args)
    assert params["vnf_src_interface"] == "in" and "vnf_dst_interface" not in params
    assert params["bidirectional"] is False and params["cookie"] == "10"
    assert rest._chain_params(parse("network", "add", "-src", "a", "-dst", "b",
                                    "-b"))["bidirectional"] is True


def test_dcmd_is_sent_as_docker_command():
    args = parse("compute", "start", "-d", "dc1", "-n", "x", "-c", "sleep 5")
    assert args.docker_command == "sleep 5"


def test_missing_required_option_exits_2():
    with pytest.raises(SystemExit) as err:
        parse("compute", "start", "-n", "x")
    assert err.value.code == 2
    assert isinstance(build_parser(), argparse.ArgumentParser)
