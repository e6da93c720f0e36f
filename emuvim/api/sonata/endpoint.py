"""SonataDummyGatekeeperEndpoint: son-emu's gatekeeper (same name and arguments).

It is the 5GTANGO LLCM's endpoint with SONATA's deployment rules and REST
dialect: one engine (catalogue, planning, rollback, teardown), two front ends.
"""

from emuvim.api.sonata.app import build_app
from emuvim.api.sonata.rules import SonataRules
from emuvim.api.tango.endpoint import TangoLLCMEndpoint


class SonataDummyGatekeeperEndpoint(TangoLLCMEndpoint):
    """son-emu's arguments: listenip, port (5000), deploy_sap, docker_management,
    auto_deploy, auto_delete, sap_vnfd_path.  Further keyword arguments:
    results_dir (default <run dir>/results), placement_algorithm_obj,
    storage_dir, and the LlcmOptions fields (bidirectional_chain, stop_timeout, ...).

    Chains are bidirectional by default (son-emu's were one-way, so a ping
    across an E-Line never came back); bidirectional_chain=False restores that.
    """

    RULES_OPTIONS = ("results_dir",)
    NAME = "SONATA dummy gatekeeper"

    def __init__(self, listenip="127.0.0.1", port=5000, deploy_sap=False,
                 docker_management=False, auto_deploy=False, auto_delete=False,
                 sap_vnfd_path=None, **options):
        super().__init__(listenip, port, deploy_sap=deploy_sap,
                         docker_management=docker_management, auto_deploy=auto_deploy,
                         auto_delete=auto_delete, sap_vnfd_path=sap_vnfd_path, **options)

    def make_rules(self, options, results_dir=None):
        return SonataRules(deploy_sap=options.deploy_sap,
                           docker_management=options.docker_management,
                           results_dir=results_dir)

    def make_app(self):
        return build_app(self.llcm, on_exit=self._request_exit)
