"""The web dashboard: a live picture of the running emulation at /dashboard.

Served by the REST API's app (RestApiEndpoint), read-only: it has GET
routes only and changes nothing.

* ``GET /dashboard``: the page (HTML, its scripts and the vendored graph and
  chart libraries under /dashboard/static; nothing comes from a CDN);
* ``GET /dashboard/state``: one picture as JSON, ``{"topology", "metrics"}``;
* ``GET /dashboard/events``: server-sent events, ``topology`` whenever it
  changed and ``metrics`` (rates) every ``interval`` seconds (query
  parameter, 0.2-10, default 1).
"""

import asyncio
import json
import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from emuvim.api.dashboard.state import Sampler, topology
from emuvim.api.errors import HttpError

log = logging.getLogger(__name__)

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
DEFAULT_INTERVAL_S = 1.0
INTERVAL_RANGE_S = (0.2, 10.0)


def install(app, endpoint):
    """Add the dashboard's routes and static files to the REST API's app."""
    app.include_router(router(endpoint))
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")


def sse_event(name, data):
    """One server-sent event (compact JSON keeps it on one data line)."""
    return "event: %s\ndata: %s\n\n" % (name, json.dumps(data, separators=(",", ":")))


def parse_interval(value):
    if value is None:
        return DEFAULT_INTERVAL_S
    try:
        interval = float(value)
    except ValueError as err:
        raise HttpError(400, "interval must be a number of seconds") from err
    low, high = INTERVAL_RANGE_S
    if not low <= interval <= high:
        raise HttpError(400, "interval must be between %g and %g seconds" % (low, high))
    return interval


def router(endpoint):
    api = APIRouter(tags=["dashboard"])

    @api.get("/dashboard", summary="the web dashboard (HTML)", response_class=FileResponse)
    def page():
        return FileResponse(os.path.join(STATIC, "index.html"), media_type="text/html")

    @api.get("/dashboard/state", summary="topology and rates, once (JSON)")
    def state():
        net = network_of(endpoint)
        return {"topology": topology(net), "metrics": Sampler(net).sample()}

    @api.get("/dashboard/events", summary="topology and rates as server-sent events",
             description="event `topology` whenever it changes, event `metrics` every "
                         "`interval` seconds (0.2-10, default 1)")
    async def events(request: Request, interval: str = None):
        seconds = parse_interval(interval)
        return StreamingResponse(_stream(endpoint, request, seconds),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    return api


def network_of(endpoint):
    """The endpoint's network; for scripts that connected PoPs only, theirs."""
    if endpoint.net is not None:
        return endpoint.net
    return next((dc.net for dc in endpoint.dcs.values() if getattr(dc, "net", None)), None)


async def _stream(endpoint, request, interval):
    sampler = Sampler(network_of(endpoint))
    last = None
    while not endpoint.stopping.is_set() and not await request.is_disconnected():
        net = network_of(endpoint)
        if sampler.net is not net:      # connected since: start afresh
            sampler = Sampler(net)
        try:
            picture, metrics = await run_in_threadpool(_sample, sampler)
        except Exception as err:     # a bad moment (the network stopping): say so, go on
            log.warning("dashboard sample failed: %s", err)
            yield sse_event("problem", {"error": str(err)})
        else:
            if picture != last:
                yield sse_event("topology", picture)
                last = picture
            yield sse_event("metrics", metrics)
        await _sleep_unless_stopping(endpoint, interval)


def _sample(sampler):
    return topology(sampler.net), sampler.sample()


async def _sleep_unless_stopping(endpoint, seconds):
    step = 0.1
    while seconds > 0 and not endpoint.stopping.is_set():
        await asyncio.sleep(min(step, seconds))
        seconds -= step
