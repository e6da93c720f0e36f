"""One error vocabulary for every API.

* :class:`HttpError`: a request an API refuses, with the status to answer.
* :func:`status_of`: the one table from the core's exceptions to HTTP
  statuses (None: not a client mistake, i.e. a bug, answered with 500).
* :func:`install_error_handlers`: the FastAPI handlers every app uses, so a
  core refusal answers the same status through the REST API, the LLCM and
  the APIs still to come, always as ``{"error": "..."}``.

The controller's own REST (an ofctl_rest emulation that runs in the
controller process) keeps its small error class: the core does not import
the API layer.
"""

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from emuvim.dcemulator.chaining import (ChainError, ChainExists, FlowConflict,
                                        FlowInstallFailed, NoPathError)
from emuvim.dcemulator.docker_host import ContainerStartError, ImageNotFound, LimitRefused
from emuvim.dcemulator.hostaccess import HostAccessRefused
from emuvim.dcemulator.links import NetemUnavailable
from emuvim.dcemulator.resourcemodel import NotEnoughResourcesAvailable
from emuvim.dcemulator.system import AlreadyExists
from emuvim.httpguard import BodyTooLarge

log = logging.getLogger(__name__)


class HttpError(Exception):
    """A request an API refuses; `status` is the HTTP status to answer with.

    `code` (a short machine-readable reason) and `details` (a dict) are added
    to the answer where the API has them (the Docker-VIM API always has a code).
    """

    def __init__(self, status, message, code=None, details=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details


# First match wins: subclasses before their bases.
STATUS_BY_TYPE = (
    (KeyError, None),                 # a LookupError, but a bug of ours
    (BodyTooLarge, 413),              # an upload streamed past its limit
    (IndexError, None),
    (AlreadyExists, 409),             # a name that is taken
    (ChainExists, 409),
    (FlowConflict, 409),              # a chain's flows would replace another's
    (NoPathError, 409),               # the topology has no path for the chain
    (FlowInstallFailed, 503),         # the switches or the controller did not take them
    (ContainerStartError, 409),       # e.g. a host port taken, a command not in the image
    (NotEnoughResourcesAvailable, 409),
    (ImageNotFound, 422),             # names an image this host does not have
    (LimitRefused, 422),              # limits Docker or the kernel refuse
    (NetemUnavailable, 422),          # asks for delay/loss on a kernel without netem
    (HostAccessRefused, 422),         # asks for host devices, capabilities, namespaces
    (ChainError, 400),                # a malformed chain request
    (LookupError, 404),               # an unknown PoP, VNF, interface, chain, ...
    (ValueError, 400),                # malformed input
)
CLIENT_ERRORS = tuple(kind for kind, status in STATUS_BY_TYPE if status is not None)


def status_of(err):
    """The HTTP status for an exception; None if it is no client mistake."""
    if isinstance(err, HttpError):
        return err.status
    for kind, status in STATUS_BY_TYPE:
        if isinstance(err, kind):
            return status
    return None


def as_http_error(err, context=None):
    """`err` as an HttpError (prefixed with `context`), or None for a bug."""
    status = status_of(err)
    if status is None:
        return None
    if isinstance(err, HttpError) and context is None:
        return err
    return HttpError(status, "%s: %s" % (context, err) if context else str(err))


def error_response(status, message, **extra):
    return JSONResponse(dict(extra, error=message), status_code=status)


def emuvim_error_body(_status, message):
    return {"error": message}


# Paths whose errors always carry a "code" (the Docker-VIM API's contract).
CODED_PATH_PREFIX = "/v1"
CODE_BY_STATUS = {400: "invalid_field", 401: "unauthorized", 403: "forbidden",
                  404: "not_found", 405: "method_not_allowed", 409: "conflict",
                  413: "payload_too_large",
                  415: "json_required", 422: "unprocessable", 500: "internal_error",
                  502: "docker_error", 503: "unavailable", 504: "docker_timeout"}


def coded(request):
    path = request.url.path
    return path == CODED_PATH_PREFIX or path.startswith(CODED_PATH_PREFIX + "/")


def install_error_handlers(app, body=emuvim_error_body):
    """Answer HttpErrors and the core's refusals with their status and a JSON
    reason; `body(status, message)` shapes it (OpenStack services have their own)."""

    async def client_error(request, err):
        status = status_of(err)
        if status is None:
            log.error("unexpected error answering a request: %r", err)
            status, message = 500, "internal error: %s" % err
        else:
            message = str(err)
        payload = body(status, message)
        if isinstance(payload, dict) and "error" in payload:
            code = getattr(err, "code", None) or (
                CODE_BY_STATUS.get(status) if coded(request) else None)
            if code:
                payload["code"] = code
            if getattr(err, "details", None):
                payload["details"] = err.details
        return JSONResponse(payload, status_code=status)

    async def invalid_request(request, err):
        problems = "; ".join("%s: %s" % (".".join(str(p) for p in e.get("loc", ())),
                                         e.get("msg")) for e in err.errors())
        return shaped(request, 400, "invalid request: %s" % problems, "invalid_field")

    async def routing_error(request, err):
        """Starlette's 404/405 (no such route or method) in the app's error shape."""
        message = err.detail if isinstance(err.detail, str) else str(err.detail)
        if err.status_code == 404:
            message = "no route %s %s" % (request.method, request.url.path)
        elif err.status_code == 405:
            message = "%s is not allowed on %s" % (request.method, request.url.path)
        return shaped(request, err.status_code, message,
                      CODE_BY_STATUS.get(err.status_code), dict(err.headers or {}))

    def shaped(request, status, message, code, headers=None):
        payload = body(status, message)
        if isinstance(payload, dict) and "error" in payload and code and coded(request):
            payload["code"] = code
        return JSONResponse(payload, status_code=status, headers=headers)

    async def server_error(request, err):
        log.exception("unexpected error answering %s %s", request.method, request.url.path,
                      exc_info=err)
        return shaped(request, 500, "internal error: %s" % type(err).__name__, "internal_error")

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, routing_error)
    app.add_exception_handler(Exception, server_error)

    for kind in (HttpError,) + CLIENT_ERRORS:
        app.add_exception_handler(kind, client_error)
