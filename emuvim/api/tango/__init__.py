"""5GTANGO lightweight lifecycle manager (LLCM), vim-emu compatible.

    from emuvim.api.tango import TangoLLCMEndpoint
    from emuvim.api.tango.llcm import StaticConfigPlacement
"""

from emuvim.api.tango.endpoint import TangoLLCMEndpoint  # noqa: F401
