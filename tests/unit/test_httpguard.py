"""The guard every emuvim API sits behind (emuvim.httpguard), driven through
a real FastAPI app in-process: Host, origin, body types, sizes, depth, token,
CORS."""

import json

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from emuvim import httpguard
from emuvim.api.errors import install_error_handlers


LOCAL = {"host": "127.0.0.1:5001"}


def make_client(listen_ip="127.0.0.1", token=None, **policy):
    app = FastAPI()
    install_error_handlers(app)
    seen = []

    @app.api_route("/things", methods=["GET", "POST", "PUT", "DELETE"])
    async def things(request: Request):
        body = await request.body()
        seen.append((request.method, body))
        return {"bytes": len(body)}

    @app.post("/upload")
    async def upload(request: Request):
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        seen.append(("UPLOAD", size))
        return {"bytes": size}

    @app.get("/page")
    def page():
        return {"page": True}

    @app.get("/wild")
    def wild():
        from fastapi.responses import JSONResponse
        return JSONResponse({}, headers={"Access-Control-Allow-Origin": "*"})

    policy.setdefault("uploads", [("/upload", ("application/x-tar",), 1000)])
    httpguard.protect(app, httpguard.Policy(listen_ip=listen_ip, token=token, **policy))
    client = TestClient(app, base_url="http://127.0.0.1:5001")
    client.seen = seen
    return client


def refusal(response):
    return response.status_code, response.json().get("code")


def test_dns_rebinding_host_is_refused_on_loopback():
    client = make_client()
    assert client.get("/things", headers=LOCAL).status_code == 200
    for host in ("localhost", "localhost:80", "[::1]:5001", "127.0.0.1"):
        assert client.get("/things", headers={"host": host}).status_code == 200
    for host in ("evil.example:5001", "127.0.0.1.nip.io", "", "localhost.evil"):
        assert refusal(client.get("/things", headers={"host": host})) == (
            403, "host_not_allowed")
    assert client.seen == [("GET", b"")] * 5


def test_more_host_names_by_choice(monkeypatch):
    monkeypatch.setenv(httpguard.HOSTS_ENV, "emu-box, lab.example")
    client = make_client()
    assert client.get("/things", headers={"host": "emu-box:5001"}).status_code == 200
    assert client.get("/things", headers={"host": "LAB.example"}).status_code == 200
    assert refusal(client.get("/things", headers={"host": "other"})) == (403, "host_not_allowed")


def test_requests_from_other_pages_change_nothing():
    client = make_client()
    for headers in ({"origin": "http://evil.example"}, {"origin": "null"},
                    {"origin": "http://localhost:8888"},
                    {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}):
        sent = client.post("/things", content=b'{"a": 1}',
                           headers=dict(LOCAL, **headers, **{"content-type": "application/json"}))
        assert refusal(sent) == (403, "cross_origin"), headers
    assert client.seen == []
    # the page served by the API itself may post (same origin)
    same = dict(LOCAL, origin="http://127.0.0.1:5001", **{"sec-fetch-site": "same-origin"})
    assert client.post("/things", json={"a": 1}, headers=same).status_code == 200
    # reading is not refused (no CORS header: a foreign page cannot read the answer)
    assert client.get("/things", headers=dict(LOCAL, origin="http://evil.example")) \
        .status_code == 200


def test_only_json_or_a_declared_upload_type():
    client = make_client(bare_json=False)
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        sent = client.post("/things", content=b"{}", headers=dict(LOCAL, **{"content-type": kind}))
        assert refusal(sent) == (415, "json_required"), kind
    bare = client.post("/things", content=b"{}", headers=LOCAL)
    assert refusal(bare) == (415, "json_required")
    assert client.delete("/things", headers=LOCAL).status_code == 200   # no body at all
    assert client.post("/things", content=b"{\"x\": 1}", headers=dict(
        LOCAL, **{"content-type": "application/json"})).json() == {"bytes": 8}
    vendor = {"content-type": "application/vnd.openstack+json"}
    assert client.post("/things", content=b"{}", headers=dict(LOCAL, **vendor)).status_code == 200
    tar = {"content-type": "application/x-tar"}
    assert client.post("/upload", content=b"x" * 10, headers=dict(LOCAL, **tar)).json() == {
        "bytes": 10}
    assert refusal(client.post("/things", content=b"x", headers=dict(LOCAL, **tar))) == (
        415, "json_required")


def test_bare_json_where_allowed():
    client = make_client(bare_json=True)
    assert client.post("/things", content=b'{"a": 1}', headers=LOCAL).status_code == 200
    # curl -d labels JSON as a form: a program's request, read as JSON ...
    form = dict(LOCAL, **{"content-type": "application/x-www-form-urlencoded"})
    assert client.post("/things", content=b'{"a": 1}', headers=form).status_code == 200
    # ... but never a browser's (it always adds Origin or Sec-Fetch-*)
    for marker in ({"sec-fetch-mode": "no-cors"}, {"sec-fetch-dest": "empty"}):
        sent = client.post("/things", content=b'{"a": 1}', headers=dict(form, **marker))
        assert refusal(sent) == (415, "json_required"), marker
    assert refusal(client.post("/things", content=b"{}", headers=dict(
        LOCAL, **{"content-type": "text/plain"}))) == (415, "json_required")


def chunks(total, size=64 << 10):
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def test_sizes_are_counted_chunked_or_not():
    client = make_client()
    big = httpguard.MAX_JSON_BYTES + 1
    declared = client.post("/things", content=b" " * big,
                           headers=dict(LOCAL, **{"content-type": "application/json"}))
    assert refusal(declared) == (413, "payload_too_large")
    chunked = client.post("/things", content=chunks(big),
                          headers=dict(LOCAL, **{"content-type": "application/json"}))
    assert refusal(chunked) == (413, "payload_too_large")
    upload = client.post("/upload", content=chunks(2000, 100),
                         headers=dict(LOCAL, **{"content-type": "application/x-tar"}))
    assert upload.status_code == 413 and "1000" in upload.json()["error"]
    assert client.seen == []


def test_deep_json_is_a_400_not_a_recursion_error():
    client = make_client()
    deep = b"[" * 50000 + b"]" * 50000
    sent = client.post("/things", content=deep,
                       headers=dict(LOCAL, **{"content-type": "application/json"}))
    assert refusal(sent) == (400, "invalid_field")
    # brackets inside strings do not count
    text = json.dumps({"s": "[" * 5000}).encode()
    assert client.post("/things", content=text, headers=dict(
        LOCAL, **{"content-type": "application/json"})).status_code == 200
    assert not httpguard.json_depth_exceeds(b"[" * 64 + b"]" * 64)
    assert httpguard.json_depth_exceeds(b"[" * 65 + b"]" * 65)


def test_token_for_every_route_beyond_loopback():
    client = make_client("0.0.0.0", token="s3cret", cookie_page="/page")
    remote = {"host": "10.0.0.5:5001"}
    for method in ("get", "delete"):
        assert refusal(getattr(client, method)("/things", headers=remote)) == (
            401, "unauthorized")
    bearer = dict(remote, authorization="Bearer s3cret")
    assert client.get("/things", headers=bearer).status_code == 200
    assert refusal(client.get("/things", headers=dict(remote, authorization="Bearer x"))) \
        == (401, "unauthorized")
    # ?token= only on the page; there it sets a SameSite cookie, honoured for GET only
    assert refusal(client.get("/things?token=s3cret", headers=remote)) == (401, "unauthorized")
    page = client.get("/page?token=s3cret", headers=remote)
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert "emuvim_token=s3cret" in cookie and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    with_cookie = dict(remote, cookie="emuvim_token=s3cret")
    assert client.get("/things", headers=with_cookie).status_code == 200
    assert refusal(client.post("/things", json={}, headers=with_cookie)) == (401, "unauthorized")
    # no token configured: nothing is served
    assert refusal(make_client("0.0.0.0").get("/things", headers=remote)) == (403, "forbidden")


def test_no_wildcard_cors_unless_an_origin_is_allowed():
    client = make_client()
    assert "access-control-allow-origin" not in client.get("/wild", headers=LOCAL).headers
    allowed = make_client(cors_origins=["http://localhost:3000"])
    reply = allowed.get("/wild", headers=dict(LOCAL, origin="http://localhost:3000"))
    assert reply.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert allowed.post("/things", json={}, headers=dict(
        LOCAL, origin="http://localhost:3000")).status_code == 200
    other = allowed.get("/wild", headers=dict(LOCAL, origin="http://evil.example"))
    assert "access-control-allow-origin" not in other.headers


def test_api_token_only_off_loopback(tmp_path, monkeypatch):
    monkeypatch.delenv(httpguard.TOKEN_ENV, raising=False)
    assert httpguard.api_token("127.0.0.1", str(tmp_path)) is None
    token = httpguard.api_token("0.0.0.0", str(tmp_path))
    written = tmp_path / "api-token"
    assert written.read_text().strip() == token
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    assert httpguard.api_token("10.0.0.5", str(tmp_path)) == token   # one token per run
    monkeypatch.setenv(httpguard.TOKEN_ENV, "given")
    assert httpguard.api_token("0.0.0.0", str(tmp_path)) == "given"


def test_routing_errors_have_the_error_shape():
    client = make_client()
    assert client.get("/nowhere", headers=LOCAL).json() == {"error": "no route GET /nowhere"}
    wrong = client.patch("/page", json={}, headers=LOCAL)
    assert wrong.status_code == 405 and "PATCH is not allowed" in wrong.json()["error"]
