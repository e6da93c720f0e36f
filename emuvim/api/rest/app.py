"""The vim-emu REST API as a FastAPI app (paths, fields and bodies as in vim-emu).

Unlike vim-emu, a client mistake never gets a 500: malformed input is 400,
an unknown PoP/VNF/interface 404, a name or chain that exists already 409,
each with {"error": "..."}.  Every response carries
``Access-Control-Allow-Origin: *`` so browser dashboards work.
"""

import re

import networkx as nx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from emuvim.api.jsonbody import BodyError, json_object
from emuvim.dcemulator.chaining import ChainError, ChainExists
from emuvim.dcemulator.docker_host import ImageNotFound
from emuvim.dcemulator.links import NetemUnavailable
from emuvim.dcemulator.system import AlreadyExists


NETWORK_ITEM = re.compile(r"\(([^()]*)\)")
CHAIN_FIELDS = ("vnf_src_name", "vnf_dst_name", "vnf_src_interface", "vnf_dst_interface",
                "weight", "match", "bidirectional", "cookie", "priority", "skip_vlan_tag",
                "monitor", "monitor_placement")
RESOURCE_FIELDS = {"blkio_weight": int, "cpu_period": int, "cpu_quota": int,
                   "cpu_shares": int, "cpuset_cpus": str, "cpuset_mems": str, "mem_limit": int,
                   "mem_reservation": int, "memswap_limit": int, "kernel_memory": int}


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def parse_network(value):
    """vim-emu's "(id=a,ip=10.0.0.1/24),(id=b)" (or a list of dicts) -> list of dicts."""
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        if not all(isinstance(item, dict) for item in value):
            raise ApiError(400, "network must be a list of objects")
        return value
    if not isinstance(value, str):
        raise ApiError(400, "network must be a string like '(id=input,ip=10.0.0.1/24)'")
    items = NETWORK_ITEM.findall(value)
    if not items or NETWORK_ITEM.sub("", value).replace(",", "").strip():
        raise ApiError(400, "cannot parse network %r: use '(id=a,ip=10.0.0.1/24),(id=b)'"
                       % value)
    result = []
    for item in items:
        entry = {}
        for pair in filter(None, (p.strip() for p in item.split(","))):
            key, sep, val = pair.partition("=")
            if not sep or not key.strip():
                raise ApiError(400, "cannot parse network item %r" % item)
            entry[key.strip()] = val.strip()
        result.append(entry)
    return result


async def read_json(request, required=False):
    """A JSON object from the body; vim-emu clients sometimes send a JSON string of it."""
    try:
        return json_object(await request.body(), required=required, decode_string=True)
    except BodyError as err:
        raise ApiError(400, str(err)) from err


def _status_of(err):
    if isinstance(err, ApiError):
        return err.status
    if isinstance(err, (KeyError, IndexError)):
        return 500  # a bug of ours, not a client mistake
    if isinstance(err, (AlreadyExists, ChainExists)):
        return 409
    if isinstance(err, ImageNotFound):
        return 400
    if isinstance(err, LookupError):
        return 404
    return 400


def build_app(endpoint):
    """The FastAPI app for a RestApiEndpoint (its PoPs and network)."""
    app = FastAPI(title="emuvim REST API", version="1",
                  description="vim-emu compatible: compute, datacenter and network "
                              "(service chaining) of a running emulation.")

    @app.middleware("http")
    async def allow_any_origin(request: Request, call_next):
        response = await call_next(request)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    for error_type in (ApiError, AlreadyExists, LookupError, ValueError, ChainError,
                       NetemUnavailable):
        @app.exception_handler(error_type)
        async def client_error(_request: Request, err: Exception):
            return JSONResponse(status_code=_status_of(err), content={"error": str(err)},
                                headers={"Access-Control-Allow-Origin": "*"})

    def datacenter(label):
        if label not in endpoint.dcs:
            raise ApiError(404, "unknown datacenter %r (known: %s)" % (
                label, ", ".join(sorted(endpoint.dcs)) or "none"))
        return endpoint.dcs[label]

    def compute(dc_label, name):
        dc = datacenter(dc_label)
        if name not in dc.containers:
            raise ApiError(404, "no compute %r in datacenter %r" % (name, dc_label))
        return dc.containers[name]

    def network():
        if endpoint.net is None:
            raise ApiError(404, "no network connected to this endpoint")
        return endpoint.net

    # -- compute --------------------------------------------------------------------

    @app.get("/restapi/compute", summary="all compute nodes as [name, status] pairs")
    def list_all_compute():
        return [[c.name, c.getStatus()] for dc in endpoint.dcs.values()
                for c in dc.listCompute()]

    @app.get("/restapi/compute/{dc_label}", summary="compute nodes of a PoP ('None': all)")
    def list_compute(dc_label: str):
        if dc_label == "None":
            return list_all_compute()
        return [[c.name, c.getStatus()] for c in datacenter(dc_label).listCompute()]

    @app.put("/restapi/compute/{dc_label}/{compute_name}", status_code=201,
             summary="start a compute node",
             description="JSON body: image, docker_command, network "
                         "'(id=a,ip=10.0.0.1/24),(id=b)'. The image's VIM_EMU_CMD runs once "
                         "the interfaces exist.")
    async def start_compute(dc_label: str, compute_name: str, request: Request):
        body = await read_json(request)
        dc = datacenter(dc_label)
        network_spec = parse_network(body.get("network"))
        command = body.get("docker_command") or body.get("command")
        node = await run_in_threadpool(
            dc.startCompute, compute_name, image=body.get("image"), command=command,
            network=network_spec, flavor_name=body.get("flavor_name") or "tiny")
        if node is None:
            raise ApiError(409, "datacenter %s has not enough resources left for %s" % (
                dc_label, compute_name))
        await run_in_threadpool(node.start_vnf_command)
        return await run_in_threadpool(node.getStatus)

    @app.get("/restapi/compute/{dc_label}/{compute_name}", summary="status of a compute node")
    def compute_status(dc_label: str, compute_name: str):
        return compute(dc_label, compute_name).getStatus()

    @app.delete("/restapi/compute/{dc_label}/{compute_name}", summary="stop a compute node")
    def stop_compute(dc_label: str, compute_name: str):
        compute(dc_label, compute_name)
        return datacenter(dc_label).stopCompute(compute_name)

    @app.put("/restapi/compute/resources/{dc_label}/{compute_name}",
             summary="change CPU/memory limits of a running compute node",
             description="Query parameters: cpu_bw (fraction of a CPU; <= 0 removes the "
                         "limit), " + ", ".join(RESOURCE_FIELDS))
    def update_resources(dc_label: str, compute_name: str, request: Request):
        node = compute(dc_label, compute_name)
        update = {}
        for key, value in request.query_params.items():
            if key == "cpu_bw":
                update.update(_cpu_bw(value))
            elif key in RESOURCE_FIELDS:
                try:
                    update[key] = RESOURCE_FIELDS[key](value)
                except ValueError as err:
                    raise ApiError(400, "%s=%r is not a number" % (key, value)) from err
            else:
                raise ApiError(400, "unknown resource parameter %r" % key)
        if "mem_limit" in update and "memswap_limit" not in update:
            update["memswap_limit"] = 2 * update["mem_limit"]
        node.update_resources(**update)
        return node.getStatus()

    # -- datacenter -----------------------------------------------------------------

    @app.get("/restapi/datacenter", summary="all PoPs")
    def list_datacenters():
        return [dc.getStatus() for dc in endpoint.dcs.values()]

    @app.get("/restapi/datacenter/{dc_label}", summary="one PoP")
    def datacenter_status(dc_label: str):
        return datacenter(dc_label).getStatus()

    # -- network --------------------------------------------------------------------

    async def request_params(request):
        """Query parameters and JSON body fields together (vim-emu accepts both)."""
        params = dict(request.query_params)
        params.update(await read_json(request))
        return params

    async def set_chain(params, cmd):
        """Validate chain fields and call setChain in the threadpool."""
        unknown = set(params) - set(CHAIN_FIELDS)
        if unknown:
            raise ApiError(400, "unknown parameters: %s" % ", ".join(sorted(unknown)))
        for key in ("vnf_src_name", "vnf_dst_name"):
            if not params.get(key):
                raise ApiError(400, "%s is required" % key)
        params = dict(params)
        src, dst = params.pop("vnf_src_name"), params.pop("vnf_dst_name")
        return await run_in_threadpool(
            network().setChain, src, dst, params.pop("vnf_src_interface", None),
            params.pop("vnf_dst_interface", None), cmd=cmd, **params)

    async def chain(request, cmd):
        return await set_chain(await request_params(request), cmd)

    @app.put("/restapi/network", summary="install a chain (setChain add-flow)",
             description="Fields (JSON body or query): " + ", ".join(CHAIN_FIELDS))
    async def add_chain(request: Request):
        return await chain(request, "add-flow")

    @app.delete("/restapi/network", summary="remove a chain (setChain del-flows)",
                description="Fields (JSON body or query): " + ", ".join(CHAIN_FIELDS))
    async def delete_chain(request: Request):
        return await chain(request, "del-flows")

    @app.get("/restapi/network/d3jsgraph", summary="the topology for d3.js")
    def d3_graph():
        graph = network().DCNetwork_graph
        names = list(graph.nodes)
        index = {name: i for i, name in enumerate(names)}
        links = [{"source": index[a], "target": index[b], "value": 10}
                 for a, b in nx.Graph(graph).edges()]
        return {"nodes": [{"name": n, "group": graph.nodes[n].get("type", "switch")}
                          for n in names], "links": links}

    # -- monitoring -------------------------------------------------------------------

    @app.get("/metrics", summary="Prometheus metrics of the emulation (text format)")
    def metrics():
        return Response(generate_latest(endpoint.metrics_registry()),
                        media_type=CONTENT_TYPE_LATEST)

    async def monitor_params(request):
        params = await request_params(request)
        if not params.get("vnf_name"):
            raise ApiError(400, "vnf_name is required")
        name, _, intf = params["vnf_name"].partition(":")
        return name, params.get("vnf_interface") or intf or None, params

    def cookie_of(params, required):
        try:
            return int(params.get("cookie") or (None if required else 0))
        except (TypeError, ValueError) as err:
            raise ApiError(400, "cookie must be a number") from err

    @app.put("/restapi/monitor/interface", summary="export a VNF interface's counters",
             description="Query/body: vnf_name (vnf[:intf]), vnf_interface, metric; with "
                         "cookie: the flow counters of that cookie instead")
    async def monitor_interface(request: Request):
        name, intf, params = await monitor_params(request)
        monitoring = network().monitoring
        if params.get("cookie"):
            return monitoring.start_flow(name, intf, cookie_of(params, True))
        return await run_in_threadpool(monitoring.start_interface, name, intf)

    @app.delete("/restapi/monitor/interface", summary="stop exporting interface counters")
    async def unmonitor_interface(request: Request):
        name, intf, params = await monitor_params(request)
        monitoring = network().monitoring
        if params.get("cookie"):
            return monitoring.stop_flow(name, intf, cookie_of(params, True))
        return monitoring.stop_interface(name, intf)

    @app.put("/restapi/monitor/flow", summary="export the counters of a cookie's chains")
    async def monitor_flow(request: Request):
        name, intf, params = await monitor_params(request)
        return await run_in_threadpool(network().monitoring.start_flow, name, intf,
                                       cookie_of(params, False))

    @app.delete("/restapi/monitor/flow", summary="stop exporting a cookie's counters")
    async def unmonitor_flow(request: Request):
        name, intf, params = await monitor_params(request)
        return network().monitoring.stop_flow(name, intf, cookie_of(params, False))

    async def monitor_link(request, cmd):
        params = await request_params(request)
        params.pop("metric", None)  # accepted: all packet/byte series are exported
        if params.get("monitor_placement") not in ("tx", "rx"):
            raise ApiError(400, "monitor_placement must be 'tx' or 'rx'")
        if not str(params.get("cookie") or "").isdigit() or int(params["cookie"]) <= 0:
            raise ApiError(400, "cookie must be a positive number")
        params["monitor"] = True
        chained = await set_chain(params, cmd)
        monitoring = network().monitoring
        flows = (monitoring.start_flow if cmd == "add-flow" else monitoring.stop_flow)(
            params["vnf_src_name"], params.get("vnf_src_interface"), int(params["cookie"]))
        return "%s %s" % (chained, flows)

    @app.put("/restapi/monitor/link", summary="count a chain's traffic at one end",
             description="Fields as /restapi/network plus metric; monitor_placement ('tx' "
                         "or 'rx') and a positive cookie are required. Exports "
                         "emuvim_flow_*_total for the cookie.")
    async def add_link_monitor(request: Request):
        return await monitor_link(request, "add-flow")

    @app.delete("/restapi/monitor/link", summary="stop counting a chain's traffic")
    async def delete_link_monitor(request: Request):
        return await monitor_link(request, "del-flows")

    return app


def _cpu_bw(value):
    """vim-emu's cpu_bw: a fraction of one CPU as a CFS quota (<= 0: no limit)."""
    try:
        fraction = float(value)
    except ValueError as err:
        raise ApiError(400, "cpu_bw=%r is not a number" % value) from err
    if fraction <= 0:
        return {"cpu_period": 100000, "cpu_quota": -1}
    return {"cpu_period": 100000, "cpu_quota": max(1000, int(round(100000 * fraction)))}
