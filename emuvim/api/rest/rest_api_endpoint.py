"""RestApiEndpoint: vim-emu's REST API wrapper (same name, same methods).

Each endpoint object owns its registry of PoPs and its server, so several
endpoints can run in one process.
"""

import tempfile
import threading

from emuvim.httpguard import api_token
from emuvim.api.rest.app import build_app
from emuvim.api.server import ThreadedServer


class RestApiEndpoint:
    def __init__(self, listenip="127.0.0.1", port=5001, DCnetwork=None, build_roots=None,
                 cors_origins=(), publish_ip="127.0.0.1"):
        """build_roots: {name: folder} the Docker-VIM may build images from
        (default: the repository's images/ as "images").  cors_origins: web
        origins (e.g. "http://localhost:3000") allowed to read answers; none
        by default.  publish_ip: the host address the exposed ports of VNFs
        started through the API are published on (vim-emu: every address)."""
        self.cors_origins = tuple(cors_origins)
        self.publish_ip = publish_ip
        self.ip = listenip
        self.port = port
        self.build_roots = build_roots
        self.api_token = None
        self.docker_vim = None
        self.wmn = None
        self.dcs = {}
        self.net = None
        self._registry = None
        self._server = None
        self.stopping = threading.Event()     # ends the dashboard's event streams
        if DCnetwork is not None:
            self.connectDCNetwork(DCnetwork)

    def connectDatacenter(self, dc):
        self.dcs[dc.label] = dc

    def connectWMN(self, wmn):
        """Serve a WMNetwork's scenario under /v1/wmn."""
        self.wmn = wmn

    def connectDCNetwork(self, net):
        self.net = net
        self._registry = None

    def metrics_registry(self):
        """This endpoint's own Prometheus registry (no process-global state)."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry
            self._registry = CollectorRegistry(auto_describe=True)
            if self.net is not None:
                self._registry.register(self.net.monitoring)
        return self._registry

    def start(self, wait_for_port=False):
        """Serve; returns once the port listens (wait_for_port is accepted as in
        vim-emu's other endpoints: it always waits)."""
        run_dir = self.net.record.path if self.net is not None else tempfile.gettempdir()
        # Bound beyond loopback, every route needs a bearer token (httpguard).
        self.api_token = api_token(self.ip, run_dir)
        self.stopping.clear()
        self._server = ThreadedServer(build_app(self), self.ip, self.port)
        self.port = self._server.start()

    def stop(self):
        self.stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self):
        return "http://%s:%d" % (self.ip, self.port)
