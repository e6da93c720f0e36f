"""HOT templates without a cloud: versions, parameters, functions, ordering."""

import datetime

import pytest

from emuvim.api.errors import HttpError
from emuvim.api.openstack.hot import Template, check_stack_name, check_version


def template(resources, parameters=None, version="2018-08-31", outputs=None):
    return {"heat_template_version": version, "parameters": parameters or {},
            "resources": resources, "outputs": outputs or {}}


NET = {"type": "OS::Neutron::Net", "properties": {"name": "n"}}


@pytest.mark.parametrize("version", ["2013-05-23", "2021-04-16", datetime.date(2016, 10, 14),
                                     "queens", "wallaby", "2024.1"])
def test_dates_and_release_names(version):
    assert check_version(version)


@pytest.mark.parametrize("version", [None, "2012-12-12", "yesterday", "2018-13-01"])
def test_bad_versions(version):
    with pytest.raises(HttpError) as err:
        check_version(version)
    assert err.value.status == 400


def test_yaml_text_and_unquoted_dates_are_read():
    t = Template("heat_template_version: 2016-10-14\nresources: {net: {type: "
                 "OS::Neutron::Net}}\n")
    assert t.version == "2016-10-14" and t.order == ["net"]


def test_resources_come_after_what_they_refer_to():
    t = Template(template({
        "server": {"type": "OS::Nova::Server", "depends_on": ["subnet"],
                   "properties": {"networks": [{"port": {"get_resource": "port"}}]}},
        "port": {"type": "OS::Neutron::Port",
                 "properties": {"network": {"get_resource": "net"}}},
        "subnet": {"type": "OS::Neutron::Subnet",
                   "properties": {"network": {"get_resource": "net"}, "cidr": "10.0.0.0/24"}},
        "net": NET}))
    order = t.order
    assert order.index("net") < order.index("port") < order.index("server")
    assert order.index("subnet") < order.index("server")


def test_parameters_defaults_values_and_functions():
    t = Template(template(
        {"net": NET, "subnet": {"type": "OS::Neutron::Subnet", "properties": {
            "network": {"get_resource": "net"}, "cidr": {"get_param": "cidr"},
            "name": {"list_join": ["-", [{"get_param": "prefix"}, "subnet"]]}}}},
        parameters={"cidr": {"type": "string", "default": "10.0.0.0/24"},
                    "prefix": {"type": "string"}}), {"prefix": "lab"})
    props = t.properties("subnet", lambda name: "id-of-" + name)
    assert props == {"network": "id-of-net", "cidr": "10.0.0.0/24", "name": "lab-subnet"}


@pytest.mark.parametrize("resources,values,fragment", [
    ({"x": {"type": "OS::Heat::RandomString"}}, {}, "not supported"),
    ({"p": {"type": "OS::Neutron::Port", "properties": {"network": {"get_resource": "n"}}}},
     {}, "does not define"),
    ({"a": dict(NET, depends_on="b"), "b": dict(NET, depends_on="a")}, {}, "circle"),
    ({"s": {"type": "OS::Neutron::Subnet", "properties": {"cidr": {"get_param": "c"}}}},
     {}, "no value"),
    ({"n": NET}, {"nope": 1}, "no parameter nope"),
])
def test_bad_templates(resources, values, fragment):
    with pytest.raises(HttpError, match=fragment) as err:
        Template(template(resources), values)
    assert err.value.status == 400


def test_outputs_resolve_attributes():
    t = Template(template({"net": NET}, outputs={"net_id": {"value": {"get_resource": "net"}},
                                                  "addr": {"value": {"get_attr": [
                                                      "net", "first_address"]}}}))
    values = t.output_values(lambda r: "id-" + r, lambda r, path: "%s.%s" % (r, path[0]))
    assert values == {"net_id": "id-net", "addr": "net.first_address"}


def test_stack_names():
    assert check_stack_name("web-stack.1") == "web-stack.1"
    for bad in ("", "1abc", "has space", None):
        with pytest.raises(HttpError):
            check_stack_name(bad)
