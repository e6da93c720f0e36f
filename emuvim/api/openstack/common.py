"""What the OpenStack services share: their FastAPI app with OpenStack's
error shapes, token checks, JSON bodies and version documents."""

import secrets
import threading
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from emuvim.api.bodies import checked
from emuvim.api.errors import HttpError, install_error_handlers
from emuvim.api.jsonbody import BodyError, json_object

TOKEN_LIFETIME_S = 12 * 3600
NOVA_ERROR_KEYS = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
                   404: "itemNotFound", 405: "badMethod", 406: "notAcceptable",
                   409: "conflict", 413: "overLimit", 422: "unprocessableEntity",
                   503: "serviceUnavailable"}
NEUTRON_ERROR_TYPES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound",
                       409: "Conflict", 422: "Unprocessable", 503: "ServiceUnavailable"}
TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 413: "Request Entity Too Large", 422: "Unprocessable Entity",
          500: "Internal Server Error", 503: "Service Unavailable"}


def nova_error(status, message):
    return {NOVA_ERROR_KEYS.get(status, "computeFault"): {"code": status, "message": message}}


def neutron_error(status, message):
    return {"NeutronError": {"type": NEUTRON_ERROR_TYPES.get(status, "NeutronError"),
                             "message": message, "detail": ""}}


def keystone_error(status, message):
    """Keystone's shape; Glance and Heat clients read the same "message"."""
    return {"error": {"code": status, "title": TITLES.get(status, "Error"), "message": message}}


class Tokens:
    """Tokens one Keystone issued; the other services of the PoP accept only these."""

    def __init__(self):
        self._expiry = {}
        self._lock = threading.Lock()

    def issue(self):
        token = secrets.token_hex(16)
        expires = time.time() + TOKEN_LIFETIME_S
        with self._lock:
            self._expiry[token] = expires
        return token, expires

    def valid(self, token):
        with self._lock:
            expires = self._expiry.get(token)
        return expires is not None and expires > time.time()


def iso(timestamp):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(timestamp))


# Served to anyone, untouched by the project and .json rewrites.
DOCUMENTS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


def service_app(title, error_body, tokens=None, open_paths=(), project_id=None):
    """A FastAPI app for one OpenStack service.

    tokens: X-Auth-Token must be one of these, except on `open_paths`
    (version discovery).  project_id: a path segment equal to it is dropped,
    so /v2.1/<project>/servers and /v2.1/servers are the same route.
    """
    app = FastAPI(title=title, version="emuvim")
    app.state.error_body = error_body       # the guard refuses in the same shape
    install_error_handlers(app, body=error_body)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request, err):
        return JSONResponse(error_body(400, "invalid request: %s" % err.errors()[:1]),
                            status_code=400)

    @app.middleware("http")
    async def check_token_and_project(request: Request, call_next):
        path = request.scope["path"]
        if path in DOCUMENTS:
            return await call_next(request)
        if project_id:
            path = "/".join(part for part in path.split("/") if part != project_id) or "/"
            if path != request.scope["path"]:
                request.scope["path"] = path if path.startswith("/") else "/" + path
        if path.endswith(".json"):          # python-neutronclient's old style
            request.scope["path"] = path[:-len(".json")]
        opened = request.scope["path"].rstrip("/") in open_paths or request.scope["path"] == "/"
        if tokens is not None and not opened and not tokens.valid(
                request.headers.get("x-auth-token", "")):
            return JSONResponse(error_body(401, "The request you have made requires "
                                                "authentication."), status_code=401)
        return await call_next(request)

    return app


async def json_body(request, key=None, model=None):
    """The request's JSON object (400 if malformed); with `key`, its value
    there; with `model` (emuvim.api.openstack.bodies), checked by it."""
    try:
        body = json_object(await request.body(), required=True)
    except BodyError as err:
        raise HttpError(400, str(err)) from err
    if key is not None:
        if not isinstance(body.get(key), dict):
            raise HttpError(400, "the body needs a %r object" % key)
        body = body[key]
    return checked(model, body) if model is not None else body


def version_link(url):
    return [{"rel": "self", "href": url}]
