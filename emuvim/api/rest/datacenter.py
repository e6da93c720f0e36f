"""/restapi/datacenter: the PoPs."""

from fastapi import APIRouter

from emuvim.api.rest.common import Lookups


def router(endpoint):
    api = APIRouter(tags=["datacenter"])
    lookups = Lookups(endpoint)

    @api.get("/restapi/datacenter", summary="all PoPs")
    def list_datacenters():
        return [dc.getStatus() for dc in endpoint.dcs.values()]

    @api.get("/restapi/datacenter/{dc_label}", summary="one PoP")
    def datacenter_status(dc_label: str):
        return lookups.datacenter(dc_label).getStatus()

    return api
