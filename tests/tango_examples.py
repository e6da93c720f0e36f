"""Descriptors and archives the LLCM tests (unit and integration) build on."""

import copy
import os
import stat
import zipfile

import requests
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "services", "emulator-example")


def example_descriptors():
    """{"nsd": ..., "vnfds": [...]} of services/emulator-example, fresh dicts."""
    load = lambda name: yaml.safe_load(open(os.path.join(EXAMPLE, name)))  # noqa: E731
    return {"nsd": load("emulator_example_nsd.yml"),
            "vnfds": [load("default-vnf0.yml"), load("default-vnf1.yml")]}


def make_multi_vdu(vnfd):
    """Give a VNFD a second unit vdu02: input enters vdu01, output leaves vdu02,
    and a VNFD-internal E-LAN "inner" joins the two units."""
    second = copy.deepcopy(vnfd["virtual_deployment_units"][0])
    second["id"] = "vdu02"
    vnfd["virtual_deployment_units"].append(second)
    for unit in vnfd["virtual_deployment_units"]:
        unit["connection_points"] = unit["connection_points"] + [{"id": "inner"}]
    vnfd["virtual_links"] = [
        {"id": "mgmt", "connectivity_type": "E-LAN",
         "connection_points_reference": ["vdu01:mgmt", "vdu02:mgmt", "mgmt"]},
        {"id": "input", "connectivity_type": "E-Line",
         "connection_points_reference": ["vdu01:input", "input"]},
        {"id": "output", "connectivity_type": "E-Line",
         "connection_points_reference": ["vdu02:output", "output"]},
        {"id": "inner", "connectivity_type": "E-LAN",
         "connection_points_reference": ["vdu01:inner", "vdu02:inner"]}]
    return vnfd


def write_zip(path, entries, symlink=None):
    """A zip of {name: text}; `symlink` adds an entry with a symlink mode."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/shadow")
    return str(path)


def write_package(path, nsd=None, vnfds=None, napd=None, extra=None, symlink=None):
    """A .tgo from descriptor dicts; napd=False leaves the NAPD out."""
    entries, content = {}, []
    if nsd is not None:
        entries["Definitions/nsd.yml"] = yaml.safe_dump(nsd)
        content.append({"source": "Definitions/nsd.yml",
                        "content-type": "application/vnd.5gtango.nsd"})
    for index, vnfd in enumerate(vnfds or []):
        entries["Definitions/vnfd%d.yml" % index] = yaml.safe_dump(vnfd)
        content.append({"source": "/Definitions/vnfd%d.yml" % index,
                        "content-type": "application/vnd.5gtango.vnfd"})
    if napd is None:
        napd = yaml.safe_dump({"vendor": "test", "name": "test-service", "version": "1",
                               "package_content": content})
    if napd is not False:
        entries["TOSCA-Metadata/NAPD.yaml"] = napd
    entries.update(extra or {})
    return write_zip(path, entries, symlink)


def upload_package(url, path):
    """POST a .tgo to an LLCM as multipart field 'package' (the Response)."""
    with open(path, "rb") as stream:
        return requests.post(url + "/packages", files={"package": stream})
