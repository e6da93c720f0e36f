"""The structure of the descriptors the LLCM reads, checked before use.

A field the parser reads must have the type it expects: a list where it
iterates, a mapping where it looks up keys, a number where it computes.  A
package that breaks this is refused with 422 naming the file and the field
("Definitions/vnfd.yml: virtual_deployment_units[0].resource_requirements.cpu
must be a mapping, got a list"), never a TypeError deep in the parser.

Shapes: a type tag (TEXT, SCALAR, NUMBER, ANY), a dict {key: shape} for a
mapping (other keys are not checked), a one-item list [shape] for a list,
and MapOf(shape) for a mapping with free keys.  An absent or null field is
always accepted: whether it is required is the parser's business.
"""

import math

from emuvim.api.tango.package import PackageError

TEXT, SCALAR, NUMBER, ANY = "a string", "a string or number", "a number", "anything"
MAX_NUMBER = 1e12       # no descriptor field means more (CPUs, bytes, ports)
MAX_TEXT = 4096


class MapOf:
    def __init__(self, shape):
        self.shape = shape


CONNECTION_POINT = {"id": SCALAR, "type": SCALAR, "interface": SCALAR, "address": SCALAR,
                    "ip": SCALAR, "port": SCALAR, "ports": [SCALAR],
                    "publish": MapOf(SCALAR)}
VIRTUAL_LINK = {"id": SCALAR, "connectivity_type": SCALAR,
                "connection_points_reference": [SCALAR]}
RESOURCES = {"cpu": {"vcpus": NUMBER, "cpu_bw": NUMBER, "cpuset": SCALAR},
             "memory": {"size": NUMBER, "size_unit": SCALAR},
             "storage": {"size": NUMBER, "size_unit": SCALAR}}
UNIT = {"id": SCALAR, "vm_image": TEXT, "image": TEXT, "vm_image_format": SCALAR,
        "connection_points": [CONNECTION_POINT], "resource_requirements": RESOURCES,
        "ipc_mode": TEXT, "devices": [TEXT], "cap_add": [TEXT],
        "vm_cmd_start": SCALAR, "vm_cmd_stop": SCALAR, "monitoring_parameters": ANY}
VNFD = {"name": SCALAR, "vendor": SCALAR, "version": SCALAR,
        "connection_points": [CONNECTION_POINT], "virtual_deployment_units": [UNIT],
        "cloudnative_deployment_units": [UNIT], "virtual_links": [VIRTUAL_LINK]}
NSD = {"name": SCALAR, "vendor": SCALAR, "version": SCALAR,
       "network_functions": [{"vnf_id": SCALAR, "vnf_name": SCALAR, "vnf_vendor": SCALAR,
                              "vnf_version": SCALAR}],
       "connection_points": [CONNECTION_POINT], "virtual_links": [VIRTUAL_LINK],
       "forwarding_graphs": ANY}
NAPD = {"name": SCALAR, "vendor": SCALAR, "version": SCALAR,
        "package_content": [{"source": TEXT, "content-type": TEXT}]}
MANIFEST = {"name": SCALAR, "vendor": SCALAR, "version": SCALAR, "entry_service_template": TEXT,
            "package_content": [{"name": TEXT, "content-type": TEXT}]}


def check(document, shape, where):
    """PackageError (422) at the first field of `document` that breaks `shape`."""
    _check(document, shape, where, "")


def _check(value, shape, where, path):
    if value is None or shape is ANY:
        return
    if isinstance(shape, dict):
        _expect(isinstance(value, dict), value, "a mapping", where, path)
        for key, inner in shape.items():
            _check(value.get(key), inner, where, _join(path, key))
    elif isinstance(shape, list):
        _expect(isinstance(value, list), value, "a list", where, path)
        for index, item in enumerate(value):
            _check(item, shape[0], where, "%s[%d]" % (path, index))
    elif isinstance(shape, MapOf):
        _expect(isinstance(value, dict), value, "a mapping", where, path)
        for key, item in value.items():
            _expect(_is_scalar(key), key, "a string or number as key", where, path)
            _check(item, shape.shape, where, _join(path, str(key)))
    else:
        _expect(_fits(value, shape), value, _expected(shape), where, path)


def _fits(value, tag):
    if tag == TEXT:
        return isinstance(value, str) and len(value) <= MAX_TEXT
    if tag == SCALAR:
        return _is_scalar(value) and (not isinstance(value, str) or len(value) <= MAX_TEXT)
    if tag == NUMBER:
        return _is_number(value)
    return True


def _expected(tag):
    if tag == NUMBER:
        return "a number of at most %g" % MAX_NUMBER
    if tag in (TEXT, SCALAR):
        return "%s of at most %d characters" % (tag, MAX_TEXT)
    return tag


def _is_scalar(value):
    return isinstance(value, (str, int, float)) and not (
        isinstance(value, float) and not math.isfinite(value))


def _is_number(value):
    if isinstance(value, bool):
        return False
    try:
        number = float(value) if isinstance(value, (int, float, str)) else None
    except (ValueError, OverflowError):
        return False
    return number is not None and math.isfinite(number) and abs(number) <= MAX_NUMBER


def _join(path, key):
    return "%s.%s" % (path, key) if path else str(key)


def _expect(ok, value, expected, where, path):
    if not ok:
        raise PackageError("%s: %s must be %s, got %s" % (
            where, path or "the document", expected, _kind(value)), 422)


def _kind(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string of %d characters" % len(value) if len(value) > 40 else repr(value)
    return repr(value)
