"""The SONATA dummy gatekeeper (son-emu's emuvim.api.sonata) for .son packages.

    from emuvim.api.sonata import SonataDummyGatekeeperEndpoint
    sdkg = SonataDummyGatekeeperEndpoint("127.0.0.1", 5000, deploy_sap=False)
    sdkg.connectDatacenter(dc1)
    sdkg.start()
"""

from emuvim.api.sonata.endpoint import SonataDummyGatekeeperEndpoint  # noqa: F401
