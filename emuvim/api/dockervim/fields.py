"""Reading and checking request fields: every mistake is a 400 that names
the field (never a KeyError turned 500, as in the student project)."""

import ipaddress
import re

from emuvim.api.dockervim.errors import refuse
from emuvim.api.jsonbody import BodyError, json_object
from emuvim.dcemulator.docker_host import NAME_PATTERN

LINUX_IFNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\Z")
PORT_KEY = re.compile(r"^(\d{1,5})(/(tcp|udp|sctp))?\Z")


def invalid(field, message):
    return refuse(400, "invalid_field", "%s: %s" % (field, message), field=field)


async def body_of(request):
    try:
        return json_object(await request.body())
    except BodyError as err:
        raise refuse(400, "invalid_json", str(err)) from err


class Fields:
    """Typed access to a JSON body's fields; unknown fields are refused."""

    def __init__(self, body, known):
        unknown = sorted(set(body) - set(known))
        if unknown:
            raise invalid(unknown[0], "unknown field (known: %s)" % ", ".join(sorted(known)))
        self.body = body

    def get(self, name, kind, default=None, required=False):
        if name not in self.body or self.body[name] is None:
            if required:
                raise invalid(name, "is required")
            return default
        value = self.body[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise invalid(name, "must be %s" % _kind_name(kind))
        return value

    def name(self, name, required=True):
        value = self.get(name, str, required=required)
        if value is not None and not NAME_PATTERN.match(value):
            raise invalid(name, "%r must match %s" % (value, NAME_PATTERN.pattern))
        return value

    def string_map(self, name):
        value = self.get(name, dict, default={})
        for key, item in value.items():
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                raise invalid("%s.%s" % (name, key), "must be a string or number")
        return {str(k): str(v) for k, v in value.items()}

    def argv(self, name, allow_string=True):
        """A command: a list of strings, or (allow_string) one string."""
        value = self.get(name, (list, str))
        if isinstance(value, str) and not allow_string:
            raise invalid(name, "must be a list of strings (or set \"shell\": true)")
        if isinstance(value, list) and not all(isinstance(a, str) for a in value):
            raise invalid(name, "must be a list of strings")
        if value == [] or value == "":
            raise invalid(name, "must not be empty")
        return value


def _kind_name(kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def network_of(field, value):
    try:
        return ipaddress.ip_network(value, strict=True)
    except (TypeError, ValueError) as err:
        raise invalid(field, "%r is not a network in CIDR notation (%s)" % (value, err)) \
            from err


def address_of(field, value):
    try:
        return ipaddress.ip_address(value)
    except (TypeError, ValueError) as err:
        raise invalid(field, "%r is not an IP address" % (value,)) from err


def query_bool(value, field):
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise invalid(field, "%r is not true or false" % value)


def query_number(value, field, low, high, kind=float):
    if value is None:
        return None
    try:
        number = kind(value)
    except ValueError as err:
        raise invalid(field, "%r is not a number" % value) from err
    if not low <= number <= high:
        raise invalid(field, "must be between %s and %s" % (low, high))
    return number
