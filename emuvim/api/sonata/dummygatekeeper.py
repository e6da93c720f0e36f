"""son-emu's module path of the gatekeeper; everything lives in this package."""

from emuvim.api.sonata.endpoint import SonataDummyGatekeeperEndpoint  # noqa: F401
from emuvim.api.sonata.rules import ELAN_POOL, ELINE_POOL, SAP_POOL  # noqa: F401
from emuvim.api.tango.llcm import initialize_GK, parse_interface  # noqa: F401
