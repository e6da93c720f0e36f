"""TangoLLCMEndpoint: vim-emu's LLCM wrapper (same name, arguments and methods).

Each endpoint owns its LLCM (catalogue, instances, pools, storage folder)
and its HTTP server, so several can run in one process.
"""

import logging
import threading

from emuvim import httpguard
from emuvim.api.server import ThreadedServer
from emuvim.api.tango.app import build_app
from emuvim.api.tango.llcm import LlcmOptions, TangoLLCM
from emuvim.api.tango.package import load_yaml

log = logging.getLogger(__name__)

# A package comes as multipart field 'package' or as the raw body.
UPLOAD_PATHS = r"(/api/v[23])?/packages"
UPLOAD_TYPES = ("multipart/form-data", "application/octet-stream", "application/zip",
                "application/x-zip-compressed", "application/x-zip", "")


def sap_image_from_vnfd(path):
    """The image of the first unit of a SAP VNFD (vim-emu's sap_vnfd_path)."""
    vnfd = load_yaml(path, "SAP VNFD %s" % path)
    units = (vnfd.get("virtual_deployment_units") or []) + (
        vnfd.get("cloudnative_deployment_units") or [])
    image = units[0].get("vm_image") or units[0].get("image") if units else None
    if not image:
        raise ValueError("SAP VNFD %s names no image" % path)
    return image


class TangoLLCMEndpoint:
    def __init__(self, listenip="127.0.0.1", port=5000, deploy_sap=False,
                 docker_management=False, auto_deploy=False, auto_delete=False,
                 sap_vnfd_path=None, placement_algorithm_obj=None, env_conf_folder=None,
                 **options):
        """vim-emu's arguments; `options` sets further LlcmOptions fields
        (stop_timeout, publish_ip, max_upload_bytes, bidirectional_chain, ...),
        `storage_dir` and `cors_origins` (web origins allowed to read answers)."""
        self.ip = listenip
        self.port = port
        storage_dir = options.pop("storage_dir", None)
        self.cors_origins = tuple(options.pop("cors_origins", ()))
        if sap_vnfd_path:
            options.setdefault("sap_image", sap_image_from_vnfd(sap_vnfd_path))
        rules_options = {key: options.pop(key) for key in self.RULES_OPTIONS if key in options}
        llcm_options = LlcmOptions(deploy_sap=deploy_sap, docker_management=docker_management,
                                   auto_deploy=auto_deploy, auto_delete=auto_delete,
                                   env_conf_folder=env_conf_folder, **options)
        self.llcm = TangoLLCM(placement=placement_algorithm_obj, options=llcm_options,
                              storage_dir=storage_dir,
                              rules=self.make_rules(llcm_options, **rules_options))
        self.llcm.kind = self.NAME
        self._server = None
        self.exit_requested = threading.Event()

    RULES_OPTIONS = ()      # endpoint arguments meant for make_rules
    NAME = "5GTANGO LLCM"

    def make_rules(self, options):
        """The deployment rules of this front end (None: the LLCM's own)."""
        return None

    def make_app(self):
        return build_app(self.llcm, on_exit=self._request_exit)

    def connectDatacenter(self, dc):
        self.llcm.connectDatacenter(dc)

    def guarded_app(self):
        """The app behind the guard every emuvim API has (emuvim.httpguard)."""
        token = httpguard.api_token(self.ip, self.llcm.storage_dir)
        return httpguard.protect(self.make_app(), httpguard.Policy(
            listen_ip=self.ip, token=token, cors_origins=self.cors_origins,
            # the LLCM limits uploads itself while they stream (max_upload_bytes)
            uploads=[(UPLOAD_PATHS, UPLOAD_TYPES, None)]))

    def start(self, wait_for_port=False):
        """Serve; returns once the port listens (vim-emu's wait_for_port is
        what always happens)."""
        self._server = ThreadedServer(self.guarded_app(), self.ip, self.port)
        self.port = self._server.start()
        log.info("%s on %s", self.NAME, self.url)

    def _request_exit(self):
        """PUT /emulator/exit: terminate the instances and stop the network, in the
        background so that the answer still goes out."""
        def stop():
            self.llcm.terminate_all()
            if self.llcm.dcs:
                self.llcm.net.stop()
            self.exit_requested.set()
        threading.Thread(target=stop, name="llcm-exit", daemon=True).start()

    def stop(self):
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.llcm.close()

    @property
    def url(self):
        return "http://%s:%d" % (self.ip, self.port)


def serve_until_exit(endpoint):
    """Block until Ctrl-C, SIGTERM or PUT /emulator/exit (for topology scripts)."""
    import signal

    def terminate(_signum, _frame):
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        while not endpoint.exit_requested.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
