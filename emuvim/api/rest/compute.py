"""/restapi/compute: start, list, inspect, stop compute nodes, change their limits."""

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from emuvim.api.bodies import checked, documented
from emuvim.api.errors import HttpError
from emuvim.api.rest.bodies import ComputeStart
from emuvim.api.rest.common import Lookups, parse_network, read_json
from emuvim.dcemulator.resourcemodel import cpu_limit

RESOURCE_FIELDS = {"blkio_weight": int, "cpu_period": int, "cpu_quota": int,
                   "cpu_shares": int, "cpuset_cpus": str, "cpuset_mems": str, "mem_limit": int,
                   "mem_reservation": int, "memswap_limit": int, "kernel_memory": int}


def cpu_bw_limit(value):
    """vim-emu's cpu_bw: a fraction of one CPU as a CFS quota (<= 0: no limit)."""
    try:
        fraction = float(value)
    except ValueError as err:
        raise HttpError(400, "cpu_bw=%r is not a number" % value) from err
    return cpu_limit(fraction if fraction > 0 else None)


def router(endpoint):
    api = APIRouter(tags=["compute"])
    lookups = Lookups(endpoint)

    def statuses(dcs):
        return [[c.name, c.getStatus()] for dc in dcs for c in dc.listCompute()]

    @api.get("/restapi/compute", summary="all compute nodes as [name, status] pairs")
    def list_all_compute():
        return statuses(endpoint.dcs.values())

    @api.get("/restapi/compute/{dc_label}", summary="compute nodes of a PoP ('None': all)")
    def list_compute(dc_label: str):
        if dc_label == "None":
            return list_all_compute()
        return statuses([lookups.datacenter(dc_label)])

    @api.put("/restapi/compute/{dc_label}/{compute_name}", status_code=201,
             summary="start a compute node", openapi_extra=documented(ComputeStart),
             description="JSON body: image, docker_command, network "
                         "'(id=a,ip=10.0.0.1/24),(id=b)'. The image's VIM_EMU_CMD runs once "
                         "the interfaces exist.")
    async def start_compute(dc_label: str, compute_name: str, request: Request):
        body = checked(ComputeStart, await read_json(request))
        dc = lookups.datacenter(dc_label)
        network_spec = parse_network(body.get("network"))
        command = body.get("docker_command") or body.get("command")
        node = await run_in_threadpool(
            dc.startCompute, compute_name, image=body.get("image"), command=command,
            network=network_spec, flavor_name=body.get("flavor_name") or "tiny",
            publish_ip=getattr(endpoint, "publish_ip", "127.0.0.1"))
        if node is None:
            raise HttpError(409, "datacenter %s has not enough resources left for %s" % (
                dc_label, compute_name))
        await run_in_threadpool(node.start_vnf_command)
        return await run_in_threadpool(node.getStatus)

    @api.get("/restapi/compute/{dc_label}/{compute_name}", summary="status of a compute node")
    def compute_status(dc_label: str, compute_name: str):
        return lookups.compute(dc_label, compute_name).getStatus()

    @api.delete("/restapi/compute/{dc_label}/{compute_name}", summary="stop a compute node")
    def stop_compute(dc_label: str, compute_name: str):
        lookups.compute(dc_label, compute_name)
        return lookups.datacenter(dc_label).stopCompute(compute_name)

    @api.put("/restapi/compute/resources/{dc_label}/{compute_name}",
             summary="change CPU/memory limits of a running compute node",
             description="Query parameters: cpu_bw (fraction of a CPU; <= 0 removes the "
                         "limit), " + ", ".join(RESOURCE_FIELDS))
    def update_resources(dc_label: str, compute_name: str, request: Request):
        node = lookups.compute(dc_label, compute_name)
        update = resource_update(request.query_params.items())
        node.update_resources(**update)
        return node.getStatus()

    return api


def resource_update(query):
    """Docker update() arguments from the query parameters of a resources request."""
    update = {}
    for key, value in query:
        if key == "cpu_bw":
            update.update(cpu_bw_limit(value))
        elif key in RESOURCE_FIELDS:
            try:
                update[key] = RESOURCE_FIELDS[key](value)
            except ValueError as err:
                raise HttpError(400, "%s=%r is not a number" % (key, value)) from err
        else:
            raise HttpError(400, "unknown resource parameter %r" % key)
    if "mem_limit" in update and "memswap_limit" not in update:
        update["memswap_limit"] = 2 * update["mem_limit"]
    return update
