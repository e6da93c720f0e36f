"""/v1/wmn routes over an endpoint's WMNetwork (endpoint.wmn)."""

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from emuvim.api.bodies import documented
from emuvim.api.dockervim import bodies as B
from emuvim.api.dockervim.errors import refuse
from emuvim.api.dockervim.fields import Fields, body_of
from emuvim.api.jsonbody import BodyError, json_object
from emuvim.wmn.network import WMNError


def router(endpoint):
    api = APIRouter(tags=["wmn"])

    def wmn():
        if getattr(endpoint, "wmn", None) is None:
            raise refuse(404, "wmn_not_found", "no mesh scenario runs on this endpoint")
        return endpoint.wmn

    def call(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except WMNError as err:
            raise refuse(400, "invalid_field", str(err)) from err
        except LookupError as err:
            raise refuse(404, "node_not_found", str(err).strip("'\"")) from err

    @api.get("/v1/wmn", summary="scenario summary: backend, model, nodes, gateways")
    def summary():
        return wmn().summary()

    @api.get("/v1/wmn/nodes")
    def nodes():
        mesh = wmn()
        return [mesh.node_view(name) for name in mesh.nodes]

    @api.get("/v1/wmn/nodes/{node}")
    def node(node: str):
        return call(wmn().node_view, node)

    @api.patch("/v1/wmn/nodes/{node}", openapi_extra=documented(B.Move, True), summary="move a node: {\"position\": [x, y]}")
    async def move(node: str, request: Request):
        fields = Fields(await body_of(request), ("position",))
        position = fields.get("position", list, required=True)
        if len(position) != 2 or not all(isinstance(v, (int, float)) and not isinstance(
                v, bool) for v in position):
            raise refuse(400, "invalid_field", "position: must be [x, y] in metres")
        await run_in_threadpool(call, wmn().move, node, position)
        return wmn().node_view(node)

    @api.post("/v1/wmn/nodes/{node}/fail", openapi_extra=documented(B.Fail), summary="{\"mode\": \"radio\" | \"pause\"}")
    async def fail(node: str, request: Request):
        fields = Fields(await body_of(request), ("mode",))
        await run_in_threadpool(call, wmn().fail, node, fields.get("mode", str, "radio"))
        return wmn().node_view(node)

    @api.post("/v1/wmn/nodes/{node}/recover", openapi_extra=documented(B.Nothing))
    async def recover(node: str, request: Request):
        Fields(await body_of(request), ())
        await run_in_threadpool(call, wmn().recover, node)
        return wmn().node_view(node)

    @api.get("/v1/wmn/nodes/{node}/stations",
             summary="station dump (JSON; ?format=iw or Accept: text/plain for iw text)")
    def stations(node: str, request: Request, format: str = "json"):
        dump = call(wmn().stations, node)
        if format == "iw" or request.headers.get("accept", "").startswith("text/plain"):
            from emuvim.wmn.stations import render_iw
            return PlainTextResponse(render_iw(dump))
        if format != "json":
            raise refuse(400, "invalid_field", "format: json or iw")
        return dump

    @api.get("/v1/wmn/nodes/{node}/routes", summary="babeld's neighbours and routes")
    def routes(node: str):
        try:
            return call(wmn().routes, node)
        except RuntimeError as err:
            raise refuse(409, "daemon_unavailable", str(err)) from err

    @api.get("/v1/wmn/links", summary="model and counters of every pair in range")
    def links():
        return wmn().links_view()

    @api.patch("/v1/wmn/links/{a}/{b}", openapi_extra=documented(B.LinkOverride, True),
               summary="override loss, delay_ms, rate_mbit or state (up/down)")
    async def set_link(a: str, b: str, request: Request):
        fields = Fields(await body_of(request), ("loss", "delay_ms", "rate_mbit", "state",
                                                 "symmetric"))
        await run_in_threadpool(
            call, wmn().set_link, a, b, loss=fields.get("loss", float),
            delay_ms=fields.get("delay_ms", float), rate_mbit=fields.get("rate_mbit", float),
            state=fields.get("state", str), symmetric=fields.get("symmetric", bool, True))
        return [link for link in wmn().links_view() if {link["a"], link["b"]} == {a, b}]

    @api.delete("/v1/wmn/links/{a}/{b}/override", status_code=204)
    def clear_link(a: str, b: str):
        call(wmn().clear_link, a, b)

    @api.post("/v1/wmn/partition", openapi_extra=documented(B.Partition, True), summary="{\"groups\": [[\"n1\", \"n2\"], [\"n3\"]]}")
    async def partition(request: Request):
        fields = Fields(await body_of(request), ("groups",))
        groups = fields.get("groups", list, required=True)
        if not all(isinstance(g, list) and all(isinstance(n, str) for n in g) for g in groups):
            raise refuse(400, "invalid_field", "groups: a list of lists of node names")
        await run_in_threadpool(call, wmn().partition, groups)
        return wmn().summary()

    @api.post("/v1/wmn/heal", openapi_extra=documented(B.Nothing))
    async def heal(request: Request):
        Fields(await body_of(request), ())
        await run_in_threadpool(wmn().heal)
        return wmn().summary()

    @api.post("/v1/wmn/events", status_code=202, openapi_extra=documented(B.Timeline, True),
              summary="replay a timeline: {\"events\": [{\"at_s\", \"action\", ...}]}")
    async def events(request: Request):
        fields = Fields(await body_of(request), ("events",))
        plan = fields.get("events", list, required=True)
        if not all(isinstance(e, dict) for e in plan):
            raise refuse(400, "invalid_field", "events: a list of objects")
        call(wmn().run_timeline, plan)
        return {"scheduled": len(plan)}

    @api.get("/v1/wmn/events", summary="the executed-event log")
    def event_log():
        return wmn().events

    @api.post("/v1/wmn/probe", openapi_extra=documented(B.Probe, True), summary="ping from a node: PDR, RTTs, longest gap")
    async def probe(request: Request):
        fields = Fields(await body_of(request), ("from", "to", "count", "interval_s"))
        return await run_in_threadpool(
            call, wmn().probe, fields.get("from", str, required=True),
            fields.get("to", str, required=True), fields.get("count", int, 20),
            fields.get("interval_s", float, 0.1))

    @api.get("/v1/wmn/topology", summary="netjson NetworkGraph with current link metrics")
    def topology():
        mesh = wmn()
        return {"type": "NetworkGraph", "protocol": "babel", "version": "1.12",
                "metric": "etx", "nodes": [
                    {"id": n, "label": n, "properties": mesh.node_view(n)} for n in mesh.nodes],
                "links": [{"source": l["a"], "target": l["b"], "cost": l["per1000"],
                           "properties": l} for l in mesh.links_view() if l["up"]]}

    @api.post("/meshnet", openapi_extra=documented(B.Meshnet, True), summary="the student project's route: {\"interface\": \"<node>\"} "
                                  "-> the station dump (JSON)")
    async def meshnet(request: Request):
        try:
            body = json_object(await request.body(), required=True)
        except BodyError as err:
            raise refuse(400, "invalid_json", str(err)) from err
        node_name = body.get("interface")
        if not isinstance(node_name, str):
            raise refuse(400, "invalid_field", "interface: the mesh node's name")
        return call(wmn().stations, node_name)

    return api
