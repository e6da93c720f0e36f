"""son-emu's module path of the gatekeeper; everything lives in this package."""

from emuvim.api.sonata.endpoint import SonataDummyGatekeeperEndpoint  # noqa: F401
from emuvim.api.sonata.rules import ELAN_POOL, ELINE_POOL, SAP_POOL  # noqa: F401
from emuvim.api.tango.llcm import initialize_GK  # noqa: F401


def parse_interface(interface_name):
    """son-emu's: "vnf:intf" -> ("vnf", "intf", "vnf_intf"), the last being the
    name son-emu gave a SAP's container; a name without ':' is all three.

    (The 5GTANGO LLCM's parse_interface, in emuvim.api.tango.llcm, returns
    vim-emu's pair.)"""
    if ":" in interface_name:
        vnf_id, vnf_interface = interface_name.split(":")
        return vnf_id, vnf_interface, interface_name.replace(":", "_")
    return interface_name, interface_name, interface_name
