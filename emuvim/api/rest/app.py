"""The vim-emu REST API as a FastAPI app (paths, fields and bodies as in vim-emu).

One router per resource: compute, datacenter, network, monitor; plus the
Docker-VIM API under /v1 (emuvim.api.dockervim), and the web dashboard at
/dashboard (emuvim.api.dashboard).  Unlike
vim-emu, a client mistake never gets a 500 (emuvim.api.errors has the one
table of statuses every API uses), each error comes as {"error": "..."},
and every response carries ``Access-Control-Allow-Origin: *`` so browser
dashboards work.
"""

from fastapi import FastAPI, Request

from emuvim.api import dashboard, dockervim, wmn
from emuvim.api.errors import install_error_handlers
from emuvim.api.rest import compute, datacenter, monitor, network


def build_app(endpoint):
    """The FastAPI app for a RestApiEndpoint (its PoPs and network)."""
    app = FastAPI(title="emuvim REST API", version="1",
                  description="vim-emu compatible: compute, datacenter and network "
                              "(service chaining) of a running emulation; and /v1, the "
                              "Docker-VIM API (containers, images and networks of this "
                              "run).")

    @app.middleware("http")
    async def allow_any_origin(request: Request, call_next):
        response = await call_next(request)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    install_error_handlers(app)
    for resource in (compute, datacenter, network, monitor, wmn):
        app.include_router(resource.router(endpoint))
    dashboard.install(app, endpoint)
    # Added last, so its guard is the outermost middleware (it strips the
    # header above from /v1 answers).
    dockervim.install(app, endpoint)
    return app
