"""The one guard in front of every HTTP API emuvim serves.

Every app (the REST API with /v1 and the dashboard, the LLCM, the SONATA
gatekeeper, the five OpenStack services of each PoP, the controller's REST)
is wrapped in :class:`Guard`, an ASGI middleware that refuses, before any
route runs:

* a ``Host`` that is not a loopback name while bound to loopback (a
  DNS-rebinding page names its own host);
* a request sent by another web page: a non-GET request whose ``Origin`` is
  not the server's own, or whose ``Sec-Fetch-Site`` says cross-site or
  same-site (another port of localhost is "same-site").  Browsers send
  ``Origin`` on every POST/PUT/PATCH/DELETE, so a non-browser client without
  it is never affected;
* a body that is neither JSON nor one of the upload types a path declares
  (text/plain, forms and multipart are what a page can send without a CORS
  preflight); where the app's clients need it, a body without Content-Type
  (Ryu's and vim-emu's clients post JSON bare) or labelled as a form by a
  program (`curl -d '{...}'`, as vim-emu's README does) is read as JSON:
  never from a browser, which marks its requests with Origin/Sec-Fetch-*;
* a JSON body over 1 MiB (chunked or not: the bytes are counted as they
  arrive) or nested deeper than :data:`MAX_JSON_DEPTH`; an upload over its
  limit;
* without the bearer token, any request when bound beyond loopback (a
  browser gets the dashboard with ``?token=``, which sets a SameSite cookie
  that is honoured for GET only).

It also removes ``Access-Control-Allow-Origin`` from every answer unless the
request's origin was explicitly allowed (``cors_origins``).

This module imports nothing of emuvim's, so the controller process (core)
and every API use the same code.
"""

import hmac
import ipaddress
import json
import os
import re
import secrets
from urllib.parse import parse_qs

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
SAFE = {"GET", "HEAD", "OPTIONS"}
MAX_JSON_BYTES = 1 << 20
MAX_UPLOAD_BYTES = 512 << 20
MAX_JSON_DEPTH = 64
TOKEN_ENV = "EMUVIM_API_TOKEN"
HOSTS_ENV = "EMUVIM_API_HOSTS"      # more Host names to serve (comma-separated)
TOKEN_COOKIE = "emuvim_token"
JSON_TYPES = ("application/json",)
FORM_TYPE = "application/x-www-form-urlencoded"
BROWSER_HEADERS = ("origin", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest")
CROSS_SITE = {"cross-site", "same-site"}


class BodyTooLarge(Exception):
    """Raised into the app when an upload streams past its limit (a 413).

    Apps map it with their error handlers; `status` says which status."""

    status = 413

    def __init__(self, limit):
        super().__init__("the body is larger than the limit of %d bytes" % limit)
        self.limit = limit


def is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def api_token(listen_ip, folder):
    """The bearer token an API bound to `listen_ip` requires (None on loopback).

    From $EMUVIM_API_TOKEN, else generated into <folder>/api-token (mode 0600)
    and reused by every API of the run that writes to the same folder.
    """
    if is_loopback(listen_ip):
        return None
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token
    path = os.path.join(folder, "api-token")
    try:
        with open(path) as stream:
            token = stream.read().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return token


def default_error_body(_status, message):
    return {"error": message}


class Policy:
    """What one app accepts.

    listen_ip: where the app is bound (decides Host check and token need).
    token: the bearer token (None: none needed; required beyond loopback
      unless `bearer` is False, i.e. the app authenticates itself, as the
      OpenStack services do with Keystone tokens).
    uploads: [(path regex, content types, byte limit)] for non-JSON bodies
      ("" among the types: also a body without Content-Type; limit None: the
      app enforces its own, in its own answer shape).
    bare_json: a body without Content-Type is JSON (non-browser clients only:
      a browser's request carries an Origin, checked first); a bool, or a
      function of the path.
    cookie_page: the HTML page that takes ``?token=`` and sets the cookie.
    cors_origins: origins explicitly allowed to read answers cross-site.
    allowed_hosts: Host names served besides loopback's (default: from
      $EMUVIM_API_HOSTS, e.g. the name an SSH tunnel or /etc/hosts gives
      127.0.0.1); bound beyond loopback, the only names served if given.
    error_body(status, message): the app's error shape (a refusal adds its
      "code" where the shape has a string "error").
    """

    def __init__(self, listen_ip="127.0.0.1", token=None, bearer=True, uploads=(),
                 bare_json=True, cookie_page=None, cors_origins=(), allowed_hosts=None,
                 error_body=default_error_body,
                 max_json_bytes=MAX_JSON_BYTES):
        self.listen_ip = listen_ip
        self.loopback = is_loopback(listen_ip)
        self.token = token
        self.bearer = bearer
        self.uploads = [(re.compile(pattern), tuple(types), limit)
                        for pattern, types, limit in uploads]
        self.bare_json = bare_json if callable(bare_json) else (lambda _path: bare_json)
        self.cookie_page = cookie_page
        self.cors_origins = {o.rstrip("/").lower() for o in cors_origins}
        if allowed_hosts is None:
            allowed_hosts = [h.strip() for h in os.environ.get(HOSTS_ENV, "").split(",")
                             if h.strip()]
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.error_body = error_body
        self.max_json_bytes = max_json_bytes

    def upload_rule(self, path):
        for pattern, types, limit in self.uploads:
            if pattern.fullmatch(path):
                return types, limit
        return (), 0


class Refusal(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code


def host_name(header):
    host = (header or "").strip().lower()
    if host.startswith("["):
        return host[:host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def media_type(header):
    return (header or "").split(";")[0].strip().lower()


def is_json_type(kind):
    return kind in JSON_TYPES or (kind.startswith("application/") and kind.endswith("+json"))


def json_depth_exceeds(raw, limit=MAX_JSON_DEPTH):
    """True if the JSON text nests arrays/objects deeper than `limit`."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for token in STRUCTURE.finditer(raw):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif first in (b"]", b"}"):
            depth -= 1
    return False


STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class Request:
    """What the guard reads of an ASGI scope."""

    def __init__(self, scope):
        self.scope = scope
        self.method = scope["method"]
        self.path = scope["path"]
        self.headers = {}
        for key, value in scope.get("headers", ()):
            self.headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        self.query = parse_qs(scope.get("query_string", b"").decode("latin-1"))

    def header(self, name):
        return self.headers.get(name)

    def own_origin(self):
        return "%s://%s" % (self.scope.get("scheme", "http"), (self.header("host") or "").lower())

    def cookie(self, name):
        for part in (self.header("cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None


def check_request(request, policy):
    """Refusal for anything but the body (size and JSON depth come later)."""
    name = host_name(request.header("host"))
    if policy.loopback and name not in LOOPBACK_NAMES | policy.allowed_hosts:
        raise Refusal(403, "host_not_allowed",
                      "Host %r is not a loopback name (the API listens on %s); "
                      "a page that renamed 127.0.0.1 is not served" % (
                          request.header("host"), policy.listen_ip))
    if not policy.loopback and policy.allowed_hosts and name not in policy.allowed_hosts:
        raise Refusal(403, "host_not_allowed", "Host %r is not served here"
                      % request.header("host"))
    check_cross_site(request, policy)
    check_token(request, policy)
    if request.method in MUTATING:
        return check_content_type(request, policy)
    return None


def allowed_origin(request, policy):
    origin = (request.header("origin") or "").rstrip("/").lower()
    return origin if origin and origin in policy.cors_origins else None


def check_cross_site(request, policy):
    if request.method in SAFE or allowed_origin(request, policy):
        return
    origin = request.header("origin")
    if origin is not None and origin.rstrip("/").lower() != request.own_origin():
        raise Refusal(403, "cross_origin", "%s from the web page at %s refused: this API "
                      "takes requests from its own origin or from programs only" % (
                          request.method, origin))
    site = (request.header("sec-fetch-site") or "").lower()
    if site in CROSS_SITE:
        raise Refusal(403, "cross_origin", "%s sent by a %s web page refused"
                      % (request.method, site))


def check_token(request, policy):
    if policy.loopback or not policy.bearer:
        return
    if policy.token is None:
        raise Refusal(403, "forbidden", "bound beyond loopback without a token: set %s"
                      % TOKEN_ENV)
    given = request.header("authorization") or ""
    if hmac.compare_digest(given.encode(), ("Bearer " + policy.token).encode()):
        return
    if request.method in ("GET", "HEAD"):
        candidates = [request.cookie(TOKEN_COOKIE) or ""]
        if request.path == policy.cookie_page:
            candidates += request.query.get("token", [])
        if any(hmac.compare_digest(c.encode(), policy.token.encode()) for c in candidates):
            return
    raise Refusal(401, "unauthorized", "a valid 'Authorization: Bearer <token>' is required "
                  "(the API is bound to %s)" % policy.listen_ip)


def check_content_type(request, policy):
    """How to read the body: ("json", limit), ("upload", limit or None) or
    ("empty", 0); Refusal for a type this path does not take."""
    kind = media_type(request.header("content-type"))
    types, upload_limit = policy.upload_rule(request.path)
    if kind and kind in types:
        return "upload", upload_limit
    if is_json_type(kind):
        return "json", policy.max_json_bytes
    if kind == FORM_TYPE and policy.bare_json(request.path) and not from_browser(request):
        # `curl -d '{...}'` (vim-emu's README) labels JSON as a form; a browser
        # could send a form too, but always with the headers checked here.
        return "json", policy.max_json_bytes
    if not kind and (policy.bare_json(request.path) or "" in types):
        return ("upload", upload_limit) if "" in types else ("json", policy.max_json_bytes)
    if not kind and request.method != "DELETE":
        # e.g. /v1's contract: every POST/PUT/PATCH says application/json
        raise Refusal(415, "json_required", "%s %s needs Content-Type: application/json"
                      % (request.method, request.path))
    if not kind:
        return "empty", 0
    wanted = ", ".join(("application/json",) + tuple(t for t in types if t))
    raise Refusal(415, "json_required", "%s %s needs Content-Type: %s (got %r)" % (
        request.method, request.path, wanted, kind))


def from_browser(request):
    """True if a browser sent the request (it adds these; programs do not)."""
    return any(request.header(name) is not None for name in BROWSER_HEADERS)


class Guard:
    """ASGI middleware applying a :class:`Policy` to every HTTP request."""

    def __init__(self, app, policy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        try:
            reading = check_request(request, self.policy)
            if reading is not None:
                receive = await self.body_receive(request, receive, *reading)
        except Refusal as refusal:
            return await self.refuse(request, send, refusal)
        await self.app(scope, receive, self.filtered_send(request, send))

    async def body_receive(self, request, receive, how, limit):
        declared = request.header("content-length")
        if how == "upload" and limit is None:
            return receive
        if declared and declared.isdigit() and int(declared) > limit and how != "empty":
            raise Refusal(413, "payload_too_large", "body of %s bytes exceeds the limit of %d"
                          % (declared, limit))
        if how == "upload":
            return counting_receive(receive, limit)
        body = await read_body(receive, limit if how == "json" else 0)
        if how == "json" and json_depth_exceeds(body):
            raise Refusal(400, "invalid_field", "the JSON body nests deeper than %d levels"
                          % MAX_JSON_DEPTH)
        return replay_receive(body, receive)

    def filtered_send(self, request, send):
        allowed = allowed_origin(request, self.policy)
        set_cookie = (self.policy.cookie_page == request.path and self.policy.token
                      and request.query.get("token"))

        async def send_filtered(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"access-control-allow-origin"]
                if allowed:
                    headers += [(b"access-control-allow-origin", allowed.encode()),
                                (b"vary", b"Origin")]
                if set_cookie:
                    headers.append((b"set-cookie", (
                        "%s=%s; HttpOnly; SameSite=Strict; Path=/" % (
                            TOKEN_COOKIE, self.policy.token)).encode()))
                message = dict(message, headers=headers)
            await send(message)
        return send_filtered

    async def refuse(self, request, send, refusal):
        payload = self.policy.error_body(refusal.status, str(refusal))
        if isinstance(payload, dict) and isinstance(payload.get("error"), str):
            payload["code"] = refusal.code
        body = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": refusal.status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


async def read_body(receive, limit):
    """The whole body, refusing (413) once more than `limit` bytes arrived."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            if limit == 0:
                raise Refusal(415, "json_required", "a body needs Content-Type: "
                                                    "application/json")
            raise Refusal(413, "payload_too_large",
                          "the body exceeds the limit of %d bytes" % limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_receive(body, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


def counting_receive(receive, limit):
    seen = 0

    async def counted():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message
    return counted


def protect(app, policy):
    """Wrap a Starlette/FastAPI app's stack in the guard (outermost but for
    the server-error middleware); returns the app."""
    app.add_middleware(Guard, policy=policy)
    return app
