"""/restapi/network: service chains (setChain) and the topology graph."""

import networkx as nx
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from emuvim.api.bodies import checked, documented
from emuvim.api.errors import HttpError
from emuvim.api.rest.bodies import Chain
from emuvim.api.rest.common import Lookups, request_params

CHAIN_FIELDS = ("vnf_src_name", "vnf_dst_name", "vnf_src_interface", "vnf_dst_interface",
                "weight", "match", "bidirectional", "cookie", "priority", "skip_vlan_tag",
                "monitor", "monitor_placement")


async def set_chain(net, params, cmd):
    """Validate chain fields and call setChain in the threadpool."""
    unknown = set(params) - set(CHAIN_FIELDS)
    if unknown:
        raise HttpError(400, "unknown parameters: %s" % ", ".join(sorted(unknown)))
    for key in ("vnf_src_name", "vnf_dst_name"):
        if not params.get(key):
            raise HttpError(400, "%s is required" % key)
    params = checked(Chain, params)
    src, dst = params.pop("vnf_src_name"), params.pop("vnf_dst_name")
    return await run_in_threadpool(
        net.setChain, src, dst, params.pop("vnf_src_interface", None),
        params.pop("vnf_dst_interface", None), cmd=cmd, **params)


def router(endpoint):
    api = APIRouter(tags=["network"])
    lookups = Lookups(endpoint)

    async def chain(request, cmd):
        return await set_chain(lookups.network(), await request_params(request), cmd)

    @api.put("/restapi/network", summary="install a chain (setChain add-flow)",
             openapi_extra=documented(Chain),
             description="Fields (JSON body or query): " + ", ".join(CHAIN_FIELDS))
    async def add_chain(request: Request):
        return await chain(request, "add-flow")

    @api.delete("/restapi/network", summary="remove a chain (setChain del-flows)",
                openapi_extra=documented(Chain),
                description="Fields (JSON body or query): " + ", ".join(CHAIN_FIELDS))
    async def delete_chain(request: Request):
        return await chain(request, "del-flows")

    @api.get("/restapi/network/d3jsgraph", summary="the topology for d3.js")
    def d3_graph():
        graph = lookups.network().DCNetwork_graph
        names = list(graph.nodes)
        index = {name: i for i, name in enumerate(names)}
        links = [{"source": index[a], "target": index[b], "value": 10}
                 for a, b in nx.Graph(graph).edges()]
        return {"nodes": [{"name": n, "group": graph.nodes[n].get("type", "switch")}
                          for n in names], "links": links}

    return api
