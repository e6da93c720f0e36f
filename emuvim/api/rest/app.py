"""The vim-emu REST API as a FastAPI app (paths, fields and bodies as in vim-emu).

One router per resource: compute, datacenter, network, monitor; plus the
Docker-VIM API under /v1 (emuvim.api.dockervim), and the web dashboard at
/dashboard (emuvim.api.dashboard).  Unlike
vim-emu, a client mistake never gets a 500 (emuvim.api.errors has the one
table of statuses every API uses), each error comes as {"error": "..."},
and the app is wrapped in the guard every emuvim API has (emuvim.httpguard):
no requests from other web pages, no wildcard CORS (vim-emu sent
``Access-Control-Allow-Origin: *``; `cors_origins` allows chosen origins).
"""

from fastapi import FastAPI

from emuvim import httpguard
from emuvim.api import dashboard, dockervim, wmn
from emuvim.api.errors import install_error_handlers
from emuvim.api.rest import compute, datacenter, monitor, network

# Non-JSON bodies the REST endpoint takes: image build contexts (tar) on /v1.
TAR_TYPES = ("application/x-tar", "application/tar")


def build_app(endpoint):
    """The FastAPI app for a RestApiEndpoint (its PoPs and network)."""
    app = FastAPI(title="emuvim REST API", version="1",
                  description="vim-emu compatible: compute, datacenter and network "
                              "(service chaining) of a running emulation; and /v1, the "
                              "Docker-VIM API (containers, images and networks of this "
                              "run).")

    install_error_handlers(app)
    for resource in (compute, datacenter, network, monitor, wmn):
        app.include_router(resource.router(endpoint))
    dashboard.install(app, endpoint)
    dockervim.install(app, endpoint)
    return httpguard.protect(app, policy_of(endpoint))


def policy_of(endpoint):
    return httpguard.Policy(
        listen_ip=endpoint.ip, token=endpoint.api_token,
        uploads=[("/v1/images/build", TAR_TYPES, httpguard.MAX_UPLOAD_BYTES)],
        # vim-emu's clients may post JSON without a Content-Type; /v1 never took that
        bare_json=lambda path: not (path == "/v1" or path.startswith("/v1/")),
        cookie_page="/dashboard", cors_origins=getattr(endpoint, "cors_origins", ()))
