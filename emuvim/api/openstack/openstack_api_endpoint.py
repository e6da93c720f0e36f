"""OpenstackApiEndpoint: one PoP as an OpenStack cloud (vim-emu's class and ports).

    api = OpenstackApiEndpoint("127.0.0.1", 6001)
    api.connect_datacenter(dc1)
    api.connect_dc_network(net)
    api.start()            # Keystone :6001, Nova :9775, Neutron :10697, Heat :9005,
                           # Glance :10243
    ...
    api.stop()

Port 0 gives every service a free port (`api.urls` lists them).

On loopback Keystone takes any user name and password, as vim-emu did.
Bound beyond loopback it needs `credentials=(user, password)` (or
$EMUVIM_OPENSTACK_USER / $EMUVIM_OPENSTACK_PASSWORD) and checks them; every
service is behind emuvim's HTTP guard (emuvim.httpguard).  Each
endpoint owns its state (flavors, networks, ports, servers, tokens): several
can run in one process, one per PoP.
"""

import logging
import os

from emuvim.api.openstack import glance, heat, keystone, neutron, nova
from emuvim.api.openstack.cloud import Cloud
from emuvim.api.openstack.common import Tokens
from emuvim.api.openstack.sfc import Sfc
from emuvim.api.openstack.stacks import Stacks
from emuvim.api.server import ThreadedServer
from emuvim.httpguard import Policy, is_loopback, protect

log = logging.getLogger(__name__)

USER_ENV, PASSWORD_ENV = "EMUVIM_OPENSTACK_USER", "EMUVIM_OPENSTACK_PASSWORD"

# vim-emu's layout: Keystone on the base port, the others at fixed offsets.
SERVICES = (("identity", "keystone", 0, keystone.build_app),
            ("compute", "nova", 3774, nova.build_app),
            ("network", "neutron", 4696, neutron.build_app),
            ("orchestration", "heat", 3004, heat.build_app),
            ("image", "glance", 4242, glance.build_app))


class OpenstackApiEndpoint:
    def __init__(self, listenip="127.0.0.1", port=6001, project_name="admin",
                 credentials=None, cors_origins=()):
        self.ip = listenip
        self.credentials = tuple(credentials) if credentials else configured_credentials()
        self.cors_origins = tuple(cors_origins)
        self.port = port
        self.project_name = project_name
        self.dc = None
        self.net = None
        self.cloud = None
        self.stacks = None
        self.sfc = None
        self.tokens = Tokens()
        self.urls = {}
        self._servers = []

    def connect_datacenter(self, dc):
        if self.dc is not None and dc is not self.dc:
            raise ValueError("an OpenStack endpoint serves one PoP (%s already); start "
                             "another endpoint for %s" % (self.dc.label, dc.label))
        self.dc = dc
        self.cloud = self.cloud or Cloud(dc)
        self.stacks = self.stacks or Stacks(self.cloud)
        self.sfc = self.sfc or Sfc(self.cloud)
        if getattr(dc, "net", None) is not None:
            dc.net.add_service_source(self.stacks)      # the dashboard groups by stack

    def connect_dc_network(self, net):
        self.net = net

    def start(self, wait_for_port=False):
        """Serve the five services; returns once each listens (so vim-emu's
        wait_for_port=True is what always happens)."""
        if self.dc is None:
            raise RuntimeError("connect_datacenter(dc) before start()")
        if not is_loopback(self.ip) and self.credentials is None:
            raise ValueError("the OpenStack APIs bound to %s need credentials: "
                             "OpenstackApiEndpoint(..., credentials=(user, password)) or "
                             "$%s and $%s" % (self.ip, USER_ENV, PASSWORD_ENV))
        host = "127.0.0.1" if self.ip in ("0.0.0.0", "") else self.ip
        try:
            for kind, _name, offset, build in SERVICES:
                port = self.port + offset if self.port else 0
                server = ThreadedServer(self.guarded(build(self)), self.ip, port)
                self.urls[kind] = "http://%s:%d" % (host, server.start())
                self._servers.append(server)
        except BaseException:
            self.stop()
            raise
        log.info("OpenStack APIs of %s: %s", self.dc.label, self.urls)

    def guarded(self, app):
        """Keystone's tokens authenticate; the guard does the rest (Host, origin,
        body types and sizes)."""
        return protect(app, Policy(listen_ip=self.ip, bearer=False,
                                   error_body=app.state.error_body,
                                   cors_origins=self.cors_origins))

    def stop(self):
        for server in self._servers:
            server.stop()
        self._servers = []
        if self.cloud is not None:
            self.cloud.close()
        if self.dc is not None and getattr(self.dc, "net", None) is not None:
            self.dc.net.remove_service_source(self.stacks)

    @property
    def auth_url(self):
        return self.urls["identity"] + "/v3"

    def catalog(self, v2=False):
        """(type, name, url) of each service, as Keystone lists them."""
        project = self.cloud.project_id
        urls = {"identity": self.urls["identity"] + ("/v2.0" if v2 else "/v3"),
                "compute": "%s/v2.1/%s" % (self.urls["compute"], project),
                "network": self.urls["network"], "image": self.urls["image"],
                "orchestration": "%s/v1/%s" % (self.urls["orchestration"], project)}
        return [(kind, name, urls[kind]) for kind, name, _offset, _build in SERVICES]


def configured_credentials():
    password = os.environ.get(PASSWORD_ENV)
    return (os.environ.get(USER_ENV, "admin"), password) if password else None
