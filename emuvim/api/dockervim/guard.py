"""What keeps a web page (or a stranger) from driving /v1.

* Host check: bound to loopback, only loopback host names are served (a
  DNS-rebinding page names its own host);
* a bearer token when bound elsewhere (EMUVIM_API_TOKEN or a generated one);
* mutating requests must be JSON (a cross-site form or "simple" fetch can
  only send text/plain, form or multipart bodies without a CORS preflight,
  and /v1 never answers a preflight with permission);
* request bodies are size-limited;
* no ``Access-Control-Allow-Origin`` on /v1 answers (the vim-emu routes
  keep theirs, as vim-emu's dashboards expect).
"""

import hmac
import ipaddress
import os
import secrets

from fastapi.responses import JSONResponse

PREFIX = "/v1"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_BYTES = 1 << 20
MAX_UPLOAD_BYTES = 512 << 20
# Bodies that are not JSON, by path: image build contexts as tar.
UPLOAD_TYPES = {"/v1/images/build": ("application/x-tar", "application/tar")}
TOKEN_ENV = "EMUVIM_API_TOKEN"


def is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def api_token(listen_ip, run_dir):
    """The token /v1 requires, or None when bound to loopback.

    From EMUVIM_API_TOKEN, else generated into <run dir>/api-token (mode 0600).
    """
    if is_loopback(listen_ip):
        return None
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token
    token = secrets.token_urlsafe(24)
    path = os.path.join(run_dir, "api-token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return token


def _refusal(status, code, message):
    return JSONResponse({"error": message, "code": code}, status_code=status)


def _host_name(header):
    host = header or ""
    if host.startswith("["):
        return host[:host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check(request, listen_ip, token):
    """None if the request may proceed, else the refusal to answer."""
    if not is_loopback(listen_ip) and token is None:
        return _refusal(403, "forbidden", "no token configured for a non-loopback bind")
    if is_loopback(listen_ip) and _host_name(request.headers.get("host")) not in LOOPBACK_NAMES:
        return _refusal(403, "host_not_allowed",
                        "Host %r is not a loopback name (the API listens on %s)"
                        % (request.headers.get("host"), listen_ip))
    if token is not None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), ("Bearer " + token).encode()):
            return _refusal(401, "unauthorized", "a valid 'Authorization: Bearer <token>' "
                                                 "is required")
    if request.method in MUTATING:
        return _check_body(request)
    return None


def _check_body(request):
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = int(request.headers.get("content-length") or 0)
    uploads = UPLOAD_TYPES.get(request.url.path, ())
    if content_type in uploads:
        limit = MAX_UPLOAD_BYTES
    elif content_type == "application/json":
        limit = MAX_JSON_BYTES
    elif request.method == "DELETE" and not length and not content_type:
        return None   # no body: nothing a form could have sent
    else:
        wanted = " or ".join(("application/json",) + uploads)
        return _refusal(415, "json_required", "%s %s needs Content-Type: %s (got %r)"
                        % (request.method, request.url.path, wanted, content_type or None))
    if length > limit:
        return _refusal(413, "payload_too_large", "body of %d bytes exceeds the limit of %d"
                        % (length, limit))
    return None


def install(app, endpoint):
    @app.middleware("http")
    async def guard_v1(request, call_next):
        if not (request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")):
            return await call_next(request)
        refusal = check(request, endpoint.ip, getattr(endpoint, "api_token", None))
        response = refusal or await call_next(request)
        if "access-control-allow-origin" in response.headers:
            del response.headers["access-control-allow-origin"]
        return response
