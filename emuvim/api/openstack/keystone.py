"""Keystone v3 and v2.0: version discovery, tokens and the service catalog.

On loopback any user name and password are accepted (an emulator has no
users), unless the endpoint was given `credentials`; bound beyond loopback
the endpoint needs them and Keystone checks them.  A token is real in that
the PoP's other services accept only tokens issued here (and the token
method accepts only those).  The token's project is the PoP's one project, and the catalog's URLs
carry the same project id.
"""

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse

from emuvim.api.bodies import documented
from emuvim.api.errors import HttpError
from emuvim.api.openstack import bodies as B
from emuvim.api.openstack.bodies import wrapped
from emuvim.api.openstack.common import (iso, json_body, keystone_error, service_app,
                                         version_link)

REGION = "RegionOne"
DOMAIN = {"id": "default", "name": "Default"}
USER_ID = "e7e0bf9a1a9544d1a4d7a6b1f0a5c000"


def v3_version(url):
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": version_link(url + "/v3/"),
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v3+json"}]}


def v2_version(url):
    return {"id": "v2.0", "status": "deprecated", "updated": "2014-04-17T00:00:00Z",
            "links": version_link(url + "/v2.0/"),
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v2.0+json"}]}


def build_app(endpoint):
    tokens, project = endpoint.tokens, endpoint.cloud.project_id
    app = service_app("emuvim Keystone", keystone_error, tokens=tokens,
                      open_paths=("/v3", "/v2.0", "/v3/auth/tokens", "/v2.0/tokens"))

    def base():
        return endpoint.urls["identity"]

    @app.get("/", summary="identity API versions")
    def versions():
        return JSONResponse({"versions": {"values": [v3_version(base()), v2_version(base())]}},
                            status_code=300)

    @app.get("/v3", summary="the v3 version document")
    def v3():
        return {"version": v3_version(base())}

    @app.get("/v2.0", summary="the v2.0 version document")
    def v2():
        return {"version": v2_version(base())}

    @app.post("/v3/auth/tokens", status_code=201, summary="issue a token",
              openapi_extra=documented(wrapped("auth", B.AuthV3), True))
    async def v3_token(request: Request):
        auth = await json_body(request, "auth", B.AuthV3)
        user, project_name = _v3_user_and_project(auth, endpoint)
        token, expires = tokens.issue()
        body = {"token": {
            "methods": ["password"], "expires_at": iso(expires), "issued_at": iso(expires - 1),
            "user": {"id": USER_ID, "name": user, "domain": DOMAIN, "password_expires_at": None},
            "project": {"id": project, "name": project_name, "domain": DOMAIN},
            "roles": [{"id": "r-admin", "name": "admin"}, {"id": "r-member", "name": "member"}],
            "is_domain": False, "catalog": catalog_v3(endpoint)}}
        return JSONResponse(body, status_code=201, headers={"X-Subject-Token": token})

    @app.get("/v3/auth/tokens", summary="validate a token (X-Subject-Token)")
    def v3_check(request: Request):
        if not tokens.valid(request.headers.get("x-subject-token", "")):
            raise HttpError(404, "Could not find token.")
        return {"token": {"expires_at": None, "catalog": catalog_v3(endpoint),
                          "project": {"id": project, "name": endpoint.project_name,
                                      "domain": DOMAIN},
                          "user": {"id": USER_ID, "domain": DOMAIN}}}

    @app.get("/v3/projects", summary="the PoP's project")
    def projects():
        return {"projects": [{"id": project, "name": endpoint.project_name,
                              "domain_id": "default", "enabled": True, "is_domain": False,
                              "parent_id": "default", "description": ""}]}

    @app.post("/v2.0/tokens", summary="issue a v2.0 token",
              openapi_extra=documented(wrapped("auth", B.AuthV2), True))
    async def v2_token(request: Request):
        auth = await json_body(request, "auth", B.AuthV2)
        credentials = mapping(auth, "passwordCredentials")
        if auth.get("token") is not None:
            check_token(tokens, mapping(auth, "token").get("id"))
        elif not credentials.get("username"):
            raise HttpError(400, "passwordCredentials.username is required")
        else:
            check_password(endpoint, credentials.get("username"), credentials.get("password"))
        token, expires = tokens.issue()
        tenant = {"id": project, "name": text(auth, "tenantName", "auth.tenantName") or endpoint.project_name,
                  "enabled": True, "description": None}
        return {"access": {
            "token": {"id": token, "expires": iso(expires), "issued_at": iso(expires - 1),
                      "tenant": tenant},
            "user": {"id": USER_ID, "name": credentials.get("username") or "admin",
                     "username": credentials.get("username") or "admin",
                     "roles": [{"name": "admin"}], "roles_links": []},
            "serviceCatalog": catalog_v2(endpoint),
            "metadata": {"is_admin": 0, "roles": []}}}

    @app.get("/v2.0/tenants", summary="the PoP's project (v2.0)")
    def tenants():
        return {"tenants": [{"id": project, "name": endpoint.project_name, "enabled": True,
                             "description": None}], "tenants_links": []}

    return app


def mapping(parent, key, where=None):
    """parent[key] as a dict ({} when absent); 400 naming the field otherwise."""
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HttpError(400, "%s must be an object" % (where or key))
    return value


def text(parent, key, where):
    value = parent.get(key)
    if value is not None and not isinstance(value, str):
        raise HttpError(400, "%s must be a string" % where)
    return value


def check_password(endpoint, user, password):
    """With configured credentials, the user and password must match them."""
    if endpoint.credentials is None:
        return
    wanted_user, wanted_password = endpoint.credentials
    given = ("%s\0%s" % (user, password)).encode()
    if not (isinstance(password, str) and hmac.compare_digest(
            given, ("%s\0%s" % (wanted_user, wanted_password)).encode())):
        raise HttpError(401, "The request you have made requires authentication.")


def check_token(tokens, token):
    if not (isinstance(token, str) and tokens.valid(token)):
        raise HttpError(401, "The request you have made requires authentication.")


def _v3_user_and_project(auth, endpoint):
    identity = mapping(auth, "identity", "auth.identity")
    methods = identity.get("methods") or []
    if not isinstance(methods, list):
        raise HttpError(400, "auth.identity.methods must be a list")
    if "password" in methods:
        password = mapping(identity, "password", "auth.identity.password")
        user = mapping(password, "user", "auth.identity.password.user")
        name = text(user, "name", "user.name") or text(user, "id", "user.id")
        if not name:
            raise HttpError(400, "auth.identity.password.user needs a name or an id")
        check_password(endpoint, name, user.get("password"))
    elif "token" in methods:
        check_token(endpoint.tokens, mapping(identity, "token", "auth.identity.token").get("id"))
        name = "admin"
    else:
        raise HttpError(400, "auth.identity.methods must include password or token")
    scope = mapping(mapping(auth, "scope", "auth.scope"), "project", "auth.scope.project")
    return name, text(scope, "name", "auth.scope.project.name") or "admin"


def catalog_v3(endpoint):
    return [{"type": kind, "name": name, "id": kind,
             "endpoints": [{"id": "%s-%s" % (kind, interface), "interface": interface,
                            "region": REGION, "region_id": REGION, "url": url}
                           for interface in ("public", "internal", "admin")]}
            for kind, name, url in endpoint.catalog()]


def catalog_v2(endpoint):
    return [{"type": kind, "name": name,
             "endpoints": [{"region": REGION, "publicURL": url, "internalURL": url,
                            "adminURL": url, "id": kind}], "endpoints_links": []}
            for kind, name, url in endpoint.catalog(v2=True)]
