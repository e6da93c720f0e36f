"""/restapi/monitor and /metrics: what is counted, and the Prometheus export."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from emuvim.api.bodies import checked, documented
from emuvim.api.errors import HttpError
from emuvim.api.rest.bodies import LinkMonitor, Monitor
from emuvim.api.rest.common import Lookups, request_params
from emuvim.api.rest.network import set_chain


async def monitor_params(request):
    params = await request_params(request)
    if not params.get("vnf_name"):
        raise HttpError(400, "vnf_name is required")
    params = checked(Monitor, params)
    name, _, intf = params["vnf_name"].partition(":")
    return name, params.get("vnf_interface") or intf or None, params


def cookie_of(params, required):
    try:
        return int(params.get("cookie") or (None if required else 0))
    except (TypeError, ValueError) as err:
        raise HttpError(400, "cookie must be a number") from err


def router(endpoint):
    api = APIRouter(tags=["monitor"])
    lookups = Lookups(endpoint)

    def monitoring():
        return lookups.network().monitoring

    @api.get("/metrics", summary="Prometheus metrics of the emulation (text format)")
    def metrics():
        return Response(generate_latest(endpoint.metrics_registry()),
                        media_type=CONTENT_TYPE_LATEST)

    @api.put("/restapi/monitor/interface", openapi_extra=documented(Monitor),
             summary="export a VNF interface's counters",
             description="Query/body: vnf_name (vnf[:intf]), vnf_interface, metric; with "
                         "cookie: the flow counters of that cookie instead")
    async def monitor_interface(request: Request):
        name, intf, params = await monitor_params(request)
        if params.get("cookie"):
            return monitoring().start_flow(name, intf, cookie_of(params, True))
        return await run_in_threadpool(monitoring().start_interface, name, intf)

    @api.delete("/restapi/monitor/interface", openapi_extra=documented(Monitor),
                summary="stop exporting interface counters")
    async def unmonitor_interface(request: Request):
        name, intf, params = await monitor_params(request)
        if params.get("cookie"):
            return monitoring().stop_flow(name, intf, cookie_of(params, True))
        return monitoring().stop_interface(name, intf)

    @api.put("/restapi/monitor/flow", openapi_extra=documented(Monitor),
             summary="export the counters of a cookie's chains")
    async def monitor_flow(request: Request):
        name, intf, params = await monitor_params(request)
        return await run_in_threadpool(monitoring().start_flow, name, intf,
                                       cookie_of(params, False))

    @api.delete("/restapi/monitor/flow", openapi_extra=documented(Monitor),
                summary="stop exporting a cookie's counters")
    async def unmonitor_flow(request: Request):
        name, intf, params = await monitor_params(request)
        return monitoring().stop_flow(name, intf, cookie_of(params, False))

    async def monitor_link(request, cmd):
        params = checked(LinkMonitor, await request_params(request))
        params.pop("metric", None)  # accepted: all packet/byte series are exported
        if params.get("monitor_placement") not in ("tx", "rx"):
            raise HttpError(400, "monitor_placement must be 'tx' or 'rx'")
        if not str(params.get("cookie") or "").isdigit() or int(params["cookie"]) <= 0:
            raise HttpError(400, "cookie must be a positive number")
        params["monitor"] = True
        chained = await set_chain(lookups.network(), params, cmd)
        counters = monitoring()
        flows = (counters.start_flow if cmd == "add-flow" else counters.stop_flow)(
            params["vnf_src_name"], params.get("vnf_src_interface"), int(params["cookie"]))
        return "%s %s" % (chained, flows)

    @api.put("/restapi/monitor/link", openapi_extra=documented(LinkMonitor),
             summary="count a chain's traffic at one end",
             description="Fields as /restapi/network plus metric; monitor_placement ('tx' "
                         "or 'rx') and a positive cookie are required. Exports "
                         "emuvim_flow_*_total for the cookie.")
    async def add_link_monitor(request: Request):
        return await monitor_link(request, "add-flow")

    @api.delete("/restapi/monitor/link", openapi_extra=documented(LinkMonitor),
                summary="stop counting a chain's traffic")
    async def delete_link_monitor(request: Request):
        return await monitor_link(request, "del-flows")

    return api
