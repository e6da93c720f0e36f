"""Nova (compute v2.1, microversions up to 2.60): flavors and servers of one PoP."""

import re

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from emuvim.api.errors import HttpError
from emuvim.api.bodies import documented
from emuvim.api.openstack import bodies as B
from emuvim.api.openstack.bodies import wrapped
from emuvim.api.openstack.common import json_body, nova_error, service_app, version_link
from emuvim.api.openstack.model import (EMBEDDED_FLAVOR_VERSION, NETWORKS_REQUIRED_VERSION,
                                        NOVA_MAX_VERSION, NOVA_MIN_VERSION, matches,
                                        parse_microversion, query_filters, version_text)

POWER_STATE = {"ACTIVE": 1, "SHUTOFF": 4, "BUILD": 0, "ERROR": 0}
VM_STATE = {"ACTIVE": "active", "SHUTOFF": "stopped", "BUILD": "building", "ERROR": "error"}
SERVER_FILTERS_IGNORED = ("deleted", "all_tenants", "project_id", "tenant_id", "changes-since")


def version_document(url):
    return {"id": "v2.1", "status": "CURRENT", "version": version_text(NOVA_MAX_VERSION),
            "min_version": version_text(NOVA_MIN_VERSION), "updated": "2013-07-23T11:33:21Z",
            "links": version_link(url + "/v2.1/"),
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


def build_app(endpoint):
    cloud = endpoint.cloud
    app = service_app("emuvim Nova", nova_error, tokens=endpoint.tokens,
                      open_paths=("/v2.1",), project_id=cloud.project_id)

    @app.middleware("http")
    async def microversion(request: Request, call_next):
        try:
            request.state.version = parse_microversion(request.headers)
        except HttpError as err:
            return JSONResponse(nova_error(err.status, str(err)), status_code=err.status)
        response = await call_next(request)
        text = version_text(request.state.version)
        response.headers["OpenStack-API-Version"] = "compute " + text
        response.headers["X-OpenStack-Nova-API-Version"] = text
        response.headers["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
        return response

    def url():
        return endpoint.urls["compute"]

    @app.get("/", summary="compute API versions")
    def versions():
        return {"versions": [version_document(url())]}

    @app.get("/v2.1", summary="the v2.1 version document")
    def v21():
        return {"version": version_document(url())}

    # -- flavors ------------------------------------------------------------------

    def flavor_view(flavor, detail=True):
        view = {"id": flavor.id, "name": flavor.name,
                "links": version_link("%s/v2.1/flavors/%s" % (url(), flavor.id))}
        if detail:
            view.update({"vcpus": flavor.vcpus, "ram": flavor.ram, "disk": flavor.disk,
                         "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral, "swap": flavor.swap or "",
                         "os-flavor-access:is_public": flavor.is_public, "rxtx_factor": 1.0,
                         "OS-FLV-DISABLED:disabled": False, "description": None,
                         "extra_specs": dict(flavor.extra_specs)})
        return view

    @app.get("/v2.1/flavors", summary="flavors")
    def flavors():
        return {"flavors": [flavor_view(f, False) for f in list(cloud.flavors.values())]}

    @app.get("/v2.1/flavors/detail", summary="flavors with details")
    def flavors_detail():
        return {"flavors": [flavor_view(f) for f in list(cloud.flavors.values())]}

    @app.get("/v2.1/flavors/{flavor_id}", summary="one flavor")
    def flavor(flavor_id: str):
        return {"flavor": flavor_view(find_flavor_by_id(flavor_id))}

    def find_flavor_by_id(flavor_id):
        if flavor_id not in cloud.flavors:
            raise HttpError(404, "Flavor %s could not be found." % flavor_id)
        return cloud.flavors[flavor_id]

    @app.post("/v2.1/flavors", summary="create a flavor",
              openapi_extra=documented(wrapped("flavor", B.Flavor), True))
    async def create_flavor(request: Request):
        return {"flavor": flavor_view(cloud.create_flavor(await json_body(request, "flavor", B.Flavor)))}

    @app.delete("/v2.1/flavors/{flavor_id}", status_code=202, summary="delete a flavor")
    def delete_flavor(flavor_id: str):
        cloud.delete_flavor(find_flavor_by_id(flavor_id).id)
        return Response(status_code=202)

    @app.get("/v2.1/flavors/{flavor_id}/os-extra_specs", summary="a flavor's extra specs")
    def extra_specs(flavor_id: str):
        return {"extra_specs": dict(find_flavor_by_id(flavor_id).extra_specs)}

    @app.post("/v2.1/flavors/{flavor_id}/os-extra_specs", summary="set extra specs",
              openapi_extra=documented(B.ExtraSpecs, True))
    async def set_extra_specs(flavor_id: str, request: Request):
        flavor = find_flavor_by_id(flavor_id)
        specs = (await json_body(request, model=B.ExtraSpecs)).get("extra_specs")
        if not isinstance(specs, dict):
            raise HttpError(400, "the body needs an 'extra_specs' object")
        flavor.extra_specs.update({str(k): str(v) for k, v in specs.items()})
        return {"extra_specs": dict(flavor.extra_specs)}

    @app.get("/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", summary="one extra spec")
    def extra_spec(flavor_id: str, key: str):
        specs = find_flavor_by_id(flavor_id).extra_specs
        if key not in specs:
            raise HttpError(404, "Flavor %s has no extra specs with key %s." % (flavor_id, key))
        return {key: specs[key]}

    @app.delete("/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", summary="drop an extra spec")
    def delete_extra_spec(flavor_id: str, key: str):
        specs = find_flavor_by_id(flavor_id).extra_specs
        if specs.pop(key, None) is None:
            raise HttpError(404, "Flavor %s has no extra specs with key %s." % (flavor_id, key))
        return Response(status_code=200)

    # -- servers ------------------------------------------------------------------

    def server_view(server, version, detail=True):
        view = {"id": server.id, "name": server.name,
                "links": version_link("%s/v2.1/servers/%s" % (url(), server.id))}
        if not detail:
            return view
        status, fault = cloud.status(server)
        flavor = server.flavor
        view.update({
            "status": status, "tenant_id": cloud.project_id, "user_id": "emuvim",
            "metadata": dict(server.metadata), "hostId": endpoint.dc.label,
            "image": {"id": server.image.id, "links": []},
            "flavor": ({"original_name": flavor.name, "vcpus": flavor.vcpus, "ram": flavor.ram,
                        "disk": flavor.disk, "ephemeral": flavor.ephemeral,
                        "swap": flavor.swap, "extra_specs": dict(flavor.extra_specs)}
                       if version >= EMBEDDED_FLAVOR_VERSION else
                       {"id": flavor.id, "links": []}),
            "created": server.created, "updated": server.updated,
            "addresses": addresses(server), "accessIPv4": "", "accessIPv6": "",
            "OS-DCF:diskConfig": "MANUAL", "progress": 100 if status == "ACTIVE" else 0,
            "OS-EXT-AZ:availability_zone": "nova", "config_drive": "", "key_name": None,
            "OS-SRV-USG:launched_at": server.created, "OS-SRV-USG:terminated_at": None,
            "OS-EXT-SRV-ATTR:host": endpoint.dc.label,
            "OS-EXT-SRV-ATTR:hypervisor_hostname": endpoint.dc.label,
            "OS-EXT-SRV-ATTR:instance_name": server.node_name,
            "OS-EXT-STS:task_state": "spawning" if status == "BUILD" else None,
            "OS-EXT-STS:vm_state": VM_STATE[status],
            "OS-EXT-STS:power_state": POWER_STATE[status],
            "os-extended-volumes:volumes_attached": [],
            "security_groups": [{"name": "default"}], "locked": False, "tags": [],
            "description": None, "trusted_image_certificates": None})
        if fault:
            view["fault"] = {"code": 500, "message": fault, "created": server.updated}
        return view

    def addresses(server):
        result = {}
        for port_id in server.port_ids:
            port = cloud.ports.get(port_id)
            network = cloud.networks.get(port.network_id) if port else None
            if network is None:
                continue
            result.setdefault(network.name or network.id, []).extend(
                {"addr": ip["ip_address"], "version": 4, "OS-EXT-IPS:type": "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": port.mac_address} for ip in port.fixed_ips)
        return result

    def listed(request):
        filters = query_filters(request.query_params.multi_items(),
                                ignore=SERVER_FILTERS_IGNORED + ("name", "status"))
        name = request.query_params.get("name")
        status = request.query_params.get("status")
        result = []
        for server in list(cloud.servers.values()):
            # Nova matches name as a regular expression.
            if name and not _name_matches(name, server.name):
                continue
            if status and cloud.status(server)[0] != status.upper():
                continue
            if matches({"id": server.id}, filters):
                result.append(server)
        return result

    @app.get("/v2.1/servers", summary="servers (?name= is a regular expression)")
    def servers(request: Request):
        return {"servers": [server_view(s, request.state.version, False)
                            for s in listed(request)]}

    @app.get("/v2.1/servers/detail", summary="servers with details")
    def servers_detail(request: Request):
        return {"servers": [server_view(s, request.state.version) for s in listed(request)]}

    @app.get("/v2.1/servers/{server_id}", summary="one server")
    def server(server_id: str, request: Request):
        return {"server": server_view(cloud.find_server(server_id), request.state.version)}

    @app.post("/v2.1/servers", status_code=202, summary="create a server (built in the "
                                                         "background: BUILD, then ACTIVE)",
              openapi_extra=documented(wrapped("server", B.Server), True))
    async def create_server(request: Request):
        body = await json_body(request, "server", B.Server)
        version = request.state.version
        server = await run_in_threadpool(cloud.create_server, body,
                                         version >= NETWORKS_REQUIRED_VERSION)
        view = server_view(server, version, False)
        view.update({"OS-DCF:diskConfig": "MANUAL", "security_groups": [{"name": "default"}],
                     "adminPass": ""})
        return JSONResponse({"server": view}, status_code=202)

    @app.delete("/v2.1/servers/{server_id}", status_code=204, summary="delete a server")
    async def delete_server(server_id: str):
        await run_in_threadpool(cloud.delete_server, server_id)
        return Response(status_code=204)

    @app.post("/v2.1/servers/{server_id}/action", status_code=202,
              summary="os-start, os-stop, reboot",
              openapi_extra=documented(B.Body, True))
    async def server_action(server_id: str, request: Request):
        body = await json_body(request)
        if len(body) != 1:
            raise HttpError(400, "one action per request, e.g. {\"os-stop\": null}")
        [(name, argument)] = body.items()
        await run_in_threadpool(cloud.action, server_id, name, argument)
        return Response(status_code=202)

    @app.get("/v2.1/servers/{server_id}/os-interface", summary="a server's ports")
    def interfaces(server_id: str):
        server = cloud.find_server(server_id)
        return {"interfaceAttachments": [
            {"port_id": p.id, "net_id": p.network_id, "mac_addr": p.mac_address,
             "port_state": p.status, "fixed_ips": list(p.fixed_ips)}
            for p in (cloud.ports.get(i) for i in server.port_ids) if p is not None]}

    # -- what clients ask for on connecting -----------------------------------------

    @app.get("/v2.1/os-availability-zone", summary="availability zones")
    @app.get("/v2.1/os-availability-zone/detail", summary="availability zones")
    def zones():
        return {"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": True},
                                          "hosts": None}]}

    @app.get("/v2.1/os-keypairs", summary="key pairs (none: containers take no keys)")
    def keypairs():
        return {"keypairs": []}

    @app.get("/v2.1/limits", summary="limits")
    def limits():
        return {"limits": {"rate": [], "absolute": {
            "maxTotalInstances": -1, "maxTotalCores": -1, "maxTotalRAMSize": -1,
            "totalInstancesUsed": len(cloud.servers), "totalCoresUsed": sum(
                s.flavor.vcpus for s in list(cloud.servers.values())),
            "totalRAMUsed": sum(s.flavor.ram for s in list(cloud.servers.values()))}}}

    return app


def _name_matches(pattern, name):
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return pattern == name
