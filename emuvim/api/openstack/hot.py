"""HOT templates (Heat Orchestration Templates), read and checked; pure.

Supported: any heat_template_version from 2013-05-23 on, as a date or a
release name; parameters with defaults (and the stack's values); resources
OS::Neutron::Net, OS::Neutron::Subnet, OS::Neutron::Port and
OS::Nova::Server; get_resource, get_param, get_attr (in outputs),
list_join; depends_on.  Everything else is refused with a 400 before
anything is created.
"""

import datetime
import re

from emuvim.api import yamlsafe

from emuvim.api.errors import HttpError

FIRST_VERSION = datetime.date(2013, 5, 23)
RELEASE_NAMES = ("newton", "ocata", "pike", "queens", "rocky", "stein", "train", "ussuri",
                 "victoria", "wallaby", "xena", "yoga", "zed", "2023.1", "2023.2", "2024.1",
                 "2024.2", "2025.1", "2025.2", "2026.1", "2026.2")
RESOURCE_TYPES = ("OS::Neutron::Net", "OS::Neutron::Subnet", "OS::Neutron::Port",
                  "OS::Nova::Server")
FUNCTIONS = ("get_resource", "get_param", "get_attr", "list_join")


def invalid(message):
    return HttpError(400, message)


def load_template(template):
    """A template given as a dict, or as YAML/JSON text."""
    if isinstance(template, str):
        try:
            template = yamlsafe.load(template)
        except yamlsafe.YamlRefused as err:
            raise invalid("the template is not YAML: %s" % err) from None
    if not isinstance(template, dict):
        raise invalid("the template must be a mapping")
    return template


def check_version(version):
    if isinstance(version, datetime.date):
        version = version.isoformat()
    text = str(version or "").strip()
    if text in RELEASE_NAMES:
        return text
    try:
        date = datetime.date.fromisoformat(text)
    except ValueError:
        raise invalid("heat_template_version %r is neither a date (2013-05-23 or later) "
                      "nor a release name (%s)" % (text, ", ".join(RELEASE_NAMES[:3]) + ", ...")
                      ) from None
    if date < FIRST_VERSION:
        raise invalid("heat_template_version %s is older than 2013-05-23" % text)
    return text


class Template:
    """A checked template: parameters resolved, resources in creation order."""

    def __init__(self, template, values=None):
        template = load_template(template)
        self.version = check_version(template.get("heat_template_version"))
        self.description = str(template.get("description") or "")
        self.raw = template
        self.parameters = _parameters(template.get("parameters") or {}, values or {})
        resources = template.get("resources") or {}
        if not isinstance(resources, dict):
            raise invalid("resources must be a mapping")
        self.resources = {}
        for name, body in resources.items():
            if not isinstance(body, dict) or body.get("type") not in RESOURCE_TYPES:
                raise invalid("resource %s: type %r is not supported here (%s)" % (
                    name, body.get("type") if isinstance(body, dict) else None,
                    ", ".join(RESOURCE_TYPES)))
            self.resources[str(name)] = body
        self.order = self._creation_order()
        self.outputs = template.get("outputs") or {}

    def properties(self, name, resolve_resource):
        """A resource's properties with every function resolved; get_resource
        gives `resolve_resource(name)` (the physical id)."""
        return self._resolve(self.resources[name].get("properties") or {}, resolve_resource,
                             None)

    def output_values(self, resolve_resource, resolve_attr):
        return {name: self._resolve((body or {}).get("value"), resolve_resource, resolve_attr)
                for name, body in self.outputs.items()}

    def _resolve(self, value, resource, attr):
        if isinstance(value, list):
            return [self._resolve(v, resource, attr) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and next(iter(value)) in FUNCTIONS:
            [(function, argument)] = value.items()
            argument = self._resolve(argument, resource, attr)
            if function == "get_resource":
                return resource(argument)
            if function == "get_param":
                return self.parameters[argument[0] if isinstance(argument, list) else argument]
            if function == "list_join":
                return str(argument[0]).join(str(v) for v in argument[1])
            if attr is None:
                raise invalid("get_attr works in outputs only here")
            return attr(argument[0], argument[1:])
        return {key: self._resolve(v, resource, attr) for key, v in value.items()}

    def _creation_order(self):
        """Resources ordered so that each comes after what it refers to."""
        needs = {name: set(_references(body.get("properties"), "get_resource")) |
                 set(_as_list(body.get("depends_on"))) for name, body in self.resources.items()}
        for name, wanted in needs.items():
            unknown = sorted(w for w in wanted if w not in self.resources)
            if unknown:
                raise invalid("resource %s refers to %s, which the template does not define"
                              % (name, ", ".join(unknown)))
        for name, body in self.resources.items():
            for param in _references(body.get("properties"), "get_param"):
                param = param[0] if isinstance(param, list) else param
                if param not in self.parameters:
                    raise invalid("resource %s uses parameter %r, which has no value"
                                  % (name, param))
        order, done = [], set()
        while len(order) < len(needs):
            ready = sorted(n for n in needs if n not in done and needs[n] <= done)
            if not ready:
                raise invalid("the resources depend on each other in a circle: %s" % ", ".join(
                    sorted(n for n in needs if n not in done)))
            order.extend(ready)
            done.update(ready)
        return order


def _parameters(declared, values):
    if not isinstance(declared, dict):
        raise invalid("parameters must be a mapping")
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise invalid("the template has no parameter %s" % ", ".join(unknown))
    result = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in values:
            result[name] = _typed(name, values[name], spec.get("type", "string"))
        elif "default" in spec:
            result[name] = spec["default"]
    return result


def _typed(name, value, kind):
    if kind == "number":
        try:
            return float(value) if "." in str(value) else int(value)
        except (TypeError, ValueError):
            raise invalid("parameter %s must be a number, got %r" % (name, value)) from None
    if kind == "boolean":
        return str(value).lower() in ("true", "1", "yes", "on", "t", "y")
    if kind in ("comma_delimited_list",) and isinstance(value, str):
        return [v.strip() for v in value.split(",")]
    return value


def _references(value, function):
    if isinstance(value, list):
        for item in value:
            yield from _references(item, function)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == function:
                yield item
            else:
                yield from _references(item, function)


def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}\Z")


def check_stack_name(name):
    if not isinstance(name, str) or not STACK_NAME.match(name):
        raise invalid("stack_name %r: a letter, then letters, digits, '_', '.' or '-'"
                      % (name,))
    return name
