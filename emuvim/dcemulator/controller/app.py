"""The os-ken OpenFlow 1.3 application run in the controller process.

Run as ``python -m emuvim.dcemulator.controller.app --port P --rest-port R
[--learning]``.  It

* installs a priority-0 base flow on every switch: NORMAL with learning
  (OVS switches L2 itself; E-LANs rely on it), an explicit drop without
  (only installed chains forward packets);
* serves the subset of Ryu's ofctl_rest API that clients use (FastAPI on
  127.0.0.1:R, in a thread: os-ken 4's default hub is native threads).  Flow
  modifications are followed by an OpenFlow barrier, so a reply means the
  switch has applied them.
"""

import argparse
import struct
import threading

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import (CONFIG_DISPATCHER, DEAD_DISPATCHER, MAIN_DISPATCHER,
                                       set_ev_cls)
from os_ken.lib import hub, ofctl_utils
from os_ken.lib import ofctl_v1_3 as ofctl
from os_ken.ofproto import ofproto_v1_3

from emuvim.dcemulator.controller.base import BASE_FLOW_COOKIE

class RestError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class EmuSwitchApp(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]
    # Set by main() before the app manager instantiates the app.
    learning = False
    rest_host = "127.0.0.1"
    rest_port = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.datapaths = {}
        self.waiters = {}
        # Switches whose base flow this process installed and saw confirmed
        # by a barrier: what the emulator waits for at start.
        self.ready = set()
        self._base_barriers = {}     # dpid -> xid of the barrier after the base flow

    # -- switches -----------------------------------------------------------------

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def on_switch_features(self, ev):
        datapath = ev.msg.datapath
        self.ready.discard(datapath.id)
        self.install_base_flow(datapath, self.learning)
        barrier = datapath.ofproto_parser.OFPBarrierRequest(datapath)
        datapath.set_xid(barrier)
        self._base_barriers[datapath.id] = barrier.xid
        datapath.send_msg(barrier)
        self.logger.info("switch %016x connected (learning=%s)", datapath.id, self.learning)

    @set_ev_cls(ofp_event.EventOFPBarrierReply, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def on_base_flow_confirmed(self, ev):
        dpid = ev.msg.datapath.id
        if self._base_barriers.get(dpid) == ev.msg.xid:
            del self._base_barriers[dpid]
            self.ready.add(dpid)

    @set_ev_cls(ofp_event.EventOFPStateChange, [MAIN_DISPATCHER, DEAD_DISPATCHER])
    def on_state_change(self, ev):
        datapath = ev.datapath
        if ev.state == MAIN_DISPATCHER and datapath.id is not None:
            self.datapaths[datapath.id] = datapath
        elif ev.state == DEAD_DISPATCHER and datapath.id is not None:
            self.datapaths.pop(datapath.id, None)
            self.ready.discard(datapath.id)

    @staticmethod
    def install_base_flow(datapath, learning):
        """Priority-0 flow: OVS's own L2 switching (NORMAL) or an explicit drop."""
        ofp, parser = datapath.ofproto, datapath.ofproto_parser
        actions = [parser.OFPActionOutput(ofp.OFPP_NORMAL)] if learning else []
        datapath.send_msg(parser.OFPFlowMod(
            datapath=datapath, priority=0, cookie=BASE_FLOW_COOKIE, match=parser.OFPMatch(),
            instructions=[parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]))

    # -- replies to requests we wait for ------------------------------------------

    @set_ev_cls([ofp_event.EventOFPFlowStatsReply, ofp_event.EventOFPPortStatsReply,
                 ofp_event.EventOFPBarrierReply], MAIN_DISPATCHER)
    def on_reply(self, ev):
        msg = ev.msg
        waiting = self.waiters.get(msg.datapath.id, {})
        if msg.xid not in waiting:
            return
        lock, msgs = waiting[msg.xid]
        msgs.append(msg)
        if getattr(msg, "flags", 0) & msg.datapath.ofproto.OFPMPF_REPLY_MORE:
            return
        del waiting[msg.xid]
        lock.set()

    # -- the REST API (Ryu ofctl_rest subset) --------------------------------------

    def start(self):
        thread = super().start()
        if self.rest_port:
            threading.Thread(target=self._serve_rest, name="rest", daemon=True).start()
        return thread

    def _serve_rest(self):
        import uvicorn
        # The REST API stays on loopback whatever address OpenFlow listens on:
        # it changes flows and has no token of its own.
        server = uvicorn.Server(uvicorn.Config(build_rest_app(self), host=self.rest_host,
                                               port=self.rest_port, log_level="warning"))
        server.run()

    def datapath(self, dpid):
        datapath = self.datapaths.get(int(dpid))
        if datapath is None:
            raise RestError(404, "unknown switch (dpid %s)" % dpid)
        return datapath

    FLOW_COMMANDS = {"add": "OFPFC_ADD", "modify": "OFPFC_MODIFY",
                     "modify_strict": "OFPFC_MODIFY_STRICT", "delete": "OFPFC_DELETE",
                     "delete_strict": "OFPFC_DELETE_STRICT"}

    def flowentry(self, command, body):
        if command not in self.FLOW_COMMANDS:
            raise RestError(404, "unknown flow command %r" % command)
        if not isinstance(body, dict) or "dpid" not in body:
            raise RestError(400, "body must be a JSON object with 'dpid'")
        self.send_flows([(self.datapath(body["dpid"]), command, body)])
        return {}

    def flowentries(self, batch):
        """Several flow modifications, then one barrier per switch they touched.

        `batch` is {"flows": [{"command": "add"|..., "flow": <ofctl_rest flow body>}]}.
        Everything is checked before anything is sent; a reply means every
        switch has applied its part (one barrier per switch, all in flight
        at once, instead of one round trip per flow).
        """
        items = batch.get("flows")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RestError(400, "'flows' must be a list of {command, flow} objects")
        steps = []
        for item in items:
            command, body = item.get("command"), item.get("flow")
            if command not in self.FLOW_COMMANDS:
                raise RestError(400, "unknown flow command %r" % (command,))
            if not isinstance(body, dict) or "dpid" not in body:
                raise RestError(400, "each flow must be a JSON object with 'dpid'")
            steps.append((self.datapath(body["dpid"]), command, body))
        return {"applied": len(steps), "switches": self.send_flows(steps)}

    def send_flows(self, steps):
        """Send [(datapath, command, body)], then one barrier per switch;
        returns how many switches were touched."""
        touched = {}
        for datapath, command, body in steps:
            ofctl.mod_flow_entry(datapath, body,
                                 getattr(datapath.ofproto, self.FLOW_COMMANDS[command]))
            touched[datapath.id] = datapath
        self.barriers(list(touched.values()))
        return len(touched)

    def barriers(self, datapaths):
        """A barrier to each switch at once; wait for all replies."""
        pending = []
        for datapath in datapaths:
            request = datapath.ofproto_parser.OFPBarrierRequest(datapath)
            datapath.set_xid(request)
            done, msgs = hub.Event(), []
            self.waiters.setdefault(datapath.id, {})[request.xid] = (done, msgs)
            datapath.send_msg(request)
            pending.append((datapath, request.xid, done, msgs))
        late = []
        for datapath, xid, done, msgs in pending:
            done.wait(timeout=ofctl_utils.DEFAULT_TIMEOUT)
            if not msgs:
                self.waiters.get(datapath.id, {}).pop(xid, None)
                late.append(datapath.id)
        if late:
            raise RestError(504, "switches %s did not answer the barrier" % late)


def build_rest_app(controller):
    """The FastAPI app serving Ryu's ofctl_rest paths for `controller`."""
    import json

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException

    from typing import List, Optional, Union

    from emuvim import httpguard
    from emuvim.httpbodies import Body, documented

    Int = Union[int, str]       # Ryu's clients send numbers as strings too

    class FlowBody(Body):
        """An ofctl_rest flow (Ryu's fields; see os_ken.lib.ofctl_v1_3)."""
        dpid: Int
        cookie: Optional[Int] = None
        cookie_mask: Optional[Int] = None
        table_id: Optional[Int] = None
        idle_timeout: Optional[Int] = None
        hard_timeout: Optional[Int] = None
        priority: Optional[Int] = None
        flags: Optional[Int] = None
        match: Optional[dict] = None
        actions: Optional[List[dict]] = None

    class FlowStep(Body):
        command: str
        flow: FlowBody

    class FlowBatch(Body):
        flows: List[FlowStep]

    class FlowFilter(Body):
        cookie: Optional[Int] = None
        cookie_mask: Optional[Int] = None
        table_id: Optional[Int] = None
        match: Optional[dict] = None

    app = FastAPI(title="emuvim OpenFlow controller",
                  description="The subset of Ryu's ofctl_rest API that NFV clients use.")

    @app.exception_handler(RestError)
    async def rest_error(_request: Request, err: RestError):
        return JSONResponse(status_code=err.status, content={"error": str(err)})

    @app.exception_handler(HTTPException)
    async def routing_error(request: Request, err: HTTPException):
        return JSONResponse(status_code=err.status_code, headers=dict(err.headers or {}),
                            content={"error": "%s %s: %s" % (request.method, request.url.path,
                                                             err.detail)})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, err: RequestValidationError):
        problems = "; ".join("%s: %s" % (".".join(str(p) for p in e.get("loc", ())),
                                         e.get("msg")) for e in err.errors())
        return JSONResponse(status_code=400, content={"error": "invalid request: %s"
                                                               % problems})

    async def json_body(request, default=None):
        """Ryu clients often post JSON without a JSON Content-Type: parse it anyway."""
        raw = await request.body()
        if not raw.strip():
            if default is None:
                raise RestError(400, "a JSON body is required")
            return default
        try:
            body = json.loads(raw)
        except ValueError as err:
            raise RestError(400, "body is not JSON: %s" % err) from err
        if not isinstance(body, dict):
            raise RestError(400, "body must be a JSON object")
        return body

    async def guarded(func, *args):
        """Blocking OpenFlow work in the threadpool; malformed fields are a 400."""
        try:
            return await run_in_threadpool(func, *args)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError,
                struct.error) as err:
            raise RestError(400, "bad request: %s" % err) from err

    @app.get("/stats/switches", summary="dpids of the connected switches")
    def switches():
        return sorted(controller.datapaths)

    @app.get("/emuvim/ready", summary="dpids whose base flow is installed and confirmed")
    def ready():
        return sorted(controller.ready & set(controller.datapaths))

    @app.post("/stats/flowentry/{command}", summary="add/modify/delete[_strict] a flow",
              openapi_extra=documented(FlowBody, True))
    async def flowentry(command: str, request: Request):
        return await guarded(controller.flowentry, command, await json_body(request))

    @app.post("/emuvim/flows", summary="a batch of flow modifications, one barrier per switch",
              openapi_extra=documented(FlowBatch, True))
    async def flows_batch(request: Request):
        return await guarded(controller.flowentries, await json_body(request))

    @app.get("/stats/flow/{dpid}", summary="all flows of a switch")
    async def flows(dpid: int):
        return await guarded(ofctl.get_flow_stats, controller.datapath(dpid),
                             controller.waiters, {})

    @app.post("/stats/flow/{dpid}", summary="flows of a switch matching a filter",
              openapi_extra=documented(FlowFilter))
    async def flows_filtered(dpid: int, request: Request):
        return await guarded(ofctl.get_flow_stats, controller.datapath(dpid),
                             controller.waiters, await json_body(request, {}))

    @app.get("/stats/port/{dpid}", summary="counters of all ports of a switch")
    async def ports(dpid: int):
        return await guarded(ofctl.get_port_stats, controller.datapath(dpid),
                             controller.waiters)

    @app.get("/stats/port/{dpid}/{port}", summary="counters of one port")
    async def port(dpid: int, port: int):
        return await guarded(ofctl.get_port_stats, controller.datapath(dpid),
                             controller.waiters, port)

    # Ryu's clients post JSON without a Content-Type: taken (bare_json), but
    # never from a web page (the guard checks Origin and Host).
    return httpguard.protect(app, httpguard.Policy(listen_ip=controller.rest_host))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="OpenFlow listen port")
    parser.add_argument("--host", default="127.0.0.1", help="OpenFlow listen address")
    parser.add_argument("--rest-port", type=int, default=None, help="REST API port")
    parser.add_argument("--learning", action="store_true")
    args = parser.parse_args(argv)
    from os_ken import cfg
    from os_ken.base.app_manager import AppManager
    EmuSwitchApp.learning = args.learning
    EmuSwitchApp.rest_host = "127.0.0.1"
    EmuSwitchApp.rest_port = args.rest_port
    cfg.CONF(args=["--ofp-tcp-listen-port", str(args.port),
                   "--ofp-listen-host", args.host], project="os_ken")
    AppManager.run_apps([__name__])


if __name__ == "__main__":
    main()
