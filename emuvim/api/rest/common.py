"""What the REST API's routers share: body parsing and lookups of PoPs,
compute nodes and the network, all refusing with an HttpError."""

import re

from emuvim.api.errors import HttpError
from emuvim.api.jsonbody import BodyError, json_object

NETWORK_ITEM = re.compile(r"\(([^()]*)\)")


def parse_network(value):
    """vim-emu's "(id=a,ip=10.0.0.1/24),(id=b)" (or a list of dicts) -> list of dicts."""
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        if not all(isinstance(item, dict) for item in value):
            raise HttpError(400, "network must be a list of objects")
        return value
    if not isinstance(value, str):
        raise HttpError(400, "network must be a string like '(id=input,ip=10.0.0.1/24)'")
    items = NETWORK_ITEM.findall(value)
    if not items or NETWORK_ITEM.sub("", value).replace(",", "").strip():
        raise HttpError(400, "cannot parse network %r: use '(id=a,ip=10.0.0.1/24),(id=b)'"
                        % value)
    result = []
    for item in items:
        entry = {}
        for pair in filter(None, (p.strip() for p in item.split(","))):
            key, sep, val = pair.partition("=")
            if not sep or not key.strip():
                raise HttpError(400, "cannot parse network item %r" % item)
            entry[key.strip()] = val.strip()
        result.append(entry)
    return result


async def read_json(request, required=False):
    """A JSON object from the body; vim-emu clients sometimes send a JSON string of it."""
    try:
        return json_object(await request.body(), required=required, decode_string=True)
    except BodyError as err:
        raise HttpError(400, str(err)) from err


async def request_params(request):
    """Query parameters and JSON body fields together (vim-emu accepts both)."""
    params = dict(request.query_params)
    params.update(await read_json(request))
    return params


class Lookups:
    """An endpoint's PoPs, compute nodes and network, or a 404."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def datacenter(self, label):
        dcs = self.endpoint.dcs
        if label not in dcs:
            raise HttpError(404, "unknown datacenter %r (known: %s)" % (
                label, ", ".join(sorted(dcs)) or "none"))
        return dcs[label]

    def compute(self, dc_label, name):
        dc = self.datacenter(dc_label)
        if name not in dc.containers:
            raise HttpError(404, "no compute %r in datacenter %r" % (name, dc_label))
        return dc.containers[name]

    def network(self):
        if self.endpoint.net is None:
            raise HttpError(404, "no network connected to this endpoint")
        return self.endpoint.net
