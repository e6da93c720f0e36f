"""Neutron v2.0: networks, subnets and ports of one PoP, with Neutron's filters
(an empty list, never a 404, when nothing matches)."""

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from emuvim.api.bodies import documented
from emuvim.api.openstack import bodies as B
from emuvim.api.openstack.bodies import wrapped
from emuvim.api.openstack.common import json_body, neutron_error, service_app, version_link
from emuvim.api.openstack.model import matches, query_filters

EXTENSIONS = (
    ("binding", "Port Binding", "Expose port bindings of a virtual port"),
    ("external-net", "Neutron external network", "Adds external network attribute"),
    ("port-security", "Port Security", "Provides port security"),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("security-group", "security-group", "The security groups extension."),
    ("standard-attr-description", "standard-attr-description",
     "Extension to add descriptions to standard attributes"),
    ("sfc", "Port Chaining", "Service Function Chains (networking-sfc)"),
    ("flow_classifier", "Flow Classifier", "Flow classifiers for port chains"),
)
DEFAULT_SECURITY_GROUP = "6a7e2a6c-0000-4000-8000-000000000001"


def build_app(endpoint):
    cloud = endpoint.cloud
    project = cloud.project_id
    app = service_app("emuvim Neutron", neutron_error, tokens=endpoint.tokens,
                      open_paths=("/v2.0",))

    def url():
        return endpoint.urls["network"]

    @app.get("/", summary="networking API versions")
    def versions():
        return {"versions": [{"id": "v2.0", "status": "CURRENT",
                              "links": version_link(url() + "/v2.0/")}]}

    @app.get("/v2.0", summary="the v2.0 resources")
    def resources():
        return {"resources": [{"name": name, "collection": name + "s",
                               "links": version_link("%s/v2.0/%ss" % (url(), name))}
                              for name in ("network", "subnet", "port")]}

    @app.get("/v2.0/extensions", summary="the extensions this Neutron offers")
    def extensions():
        return {"extensions": [extension(*e) for e in EXTENSIONS]}

    @app.get("/v2.0/extensions/{alias}", summary="one extension")
    def one_extension(alias: str):
        found = [e for e in EXTENSIONS if e[0] == alias]
        if not found:
            return JSONResponse(neutron_error(404, "Extension with alias %s does not exist"
                                              % alias), status_code=404)
        return {"extension": extension(*found[0])}

    def common(item):
        return {"tenant_id": project, "project_id": project, "description": "", "tags": [],
                "revision_number": 1, "created_at": item.created_at,
                "updated_at": item.created_at}

    def network_view(network):
        view = common(network)
        view.update({"id": network.id, "name": network.name, "status": "ACTIVE",
                     "admin_state_up": network.admin_state_up, "shared": network.shared,
                     "subnets": list(network.subnets), "mtu": 1500,
                     "router:external": False, "port_security_enabled": True,
                     "availability_zones": ["nova"], "availability_zone_hints": [],
                     "is_default": False, "ipv4_address_scope": None,
                     "ipv6_address_scope": None})
        view.update(provider_view(network))
        return view

    def provider_view(network):
        """A tenant network as a plain OpenStack (ML2, VXLAN tenant networks)
        shows it; a provider network as it was asked for.  (Inside, every
        network is an isolated VLAN of the emulator's switches.)"""
        if network.provider is None:
            return {"provider:network_type": "vxlan", "provider:physical_network": None,
                    "provider:segmentation_id": network.vni}
        return {"provider:network_type": network.provider.get("provider:network_type", "flat"),
                "provider:physical_network": network.provider.get(
                    "provider:physical_network"),
                "provider:segmentation_id": network.provider.get(
                    "provider:segmentation_id")}

    def subnet_view(subnet):
        view = common(subnet)
        view.update({"id": subnet.id, "name": subnet.name, "network_id": subnet.network_id,
                     "cidr": subnet.cidr, "ip_version": 4, "gateway_ip": subnet.gateway_ip,
                     "allocation_pools": list(subnet.allocation_pools),
                     "enable_dhcp": subnet.enable_dhcp,
                     "dns_nameservers": list(subnet.dns_nameservers),
                     "host_routes": list(subnet.host_routes), "ipv6_ra_mode": None,
                     "ipv6_address_mode": None, "subnetpool_id": None,
                     "service_types": [], "segment_id": None})
        return view

    def port_view(port):
        view = common(port)
        view.update({"id": port.id, "name": port.name, "network_id": port.network_id,
                     "mac_address": port.mac_address, "admin_state_up": port.admin_state_up,
                     "status": port.status, "device_id": port.device_id,
                     "device_owner": port.device_owner, "fixed_ips": list(port.fixed_ips),
                     "allowed_address_pairs": [], "extra_dhcp_opts": [],
                     "security_groups": [DEFAULT_SECURITY_GROUP],
                     "port_security_enabled": True, "binding:vnic_type": "normal",
                     "binding:host_id": endpoint.dc.label if port.interface else "",
                     "binding:vif_type": "ovs" if port.interface else "unbound",
                     "binding:vif_details": {}, "binding:profile": {}, "dns_name": "",
                     "qos_policy_id": None})
        return view

    def listing(request, collection, items, view):
        filters = query_filters(request.query_params.multi_items())
        views = [view(item) for item in list(items)]
        return {collection: [v for v in views if matches(v, filters)]}

    def resource(kind, path, items, view, find, create, update, delete):
        """The five routes of a Neutron collection at /v2.0/<path>."""
        collection = path.split("/")[-1]

        @app.get("/v2.0/%s" % path, summary="list %s (Neutron filters)" % collection,
                 name="list_" + collection)
        def list_items(request: Request):
            return listing(request, collection, items().values(), view)

        @app.get("/v2.0/%s/{item_id}" % path, summary="show a %s" % kind,
                 name="show_" + kind)
        def show_item(item_id: str):
            return {kind: view(find(item_id))}

        @app.post("/v2.0/%s" % path, status_code=201, summary="create a %s" % kind,
                  name="create_" + kind,
                  openapi_extra=documented(wrapped(kind, B.NEUTRON[kind]), True))
        async def create_item(request: Request):
            item = await run_in_threadpool(create, await json_body(request, kind, B.NEUTRON[kind]))
            return JSONResponse({kind: view(item)}, status_code=201)

        @app.put("/v2.0/%s/{item_id}" % path, summary="update a %s" % kind,
                 name="update_" + kind,
                 openapi_extra=documented(wrapped(kind, B.NEUTRON[kind]), True))
        async def update_item(item_id: str, request: Request):
            return {kind: view(update(item_id, await json_body(request, kind, B.NEUTRON[kind])))}

        @app.delete("/v2.0/%s/{item_id}" % path, status_code=204,
                    summary="delete a %s" % kind, name="delete_" + kind)
        async def delete_item(item_id: str):
            await run_in_threadpool(delete, item_id)
            return Response(status_code=204)

    resource("network", "networks", lambda: cloud.networks, network_view, cloud.find_network,
             cloud.create_network, cloud.update_network, cloud.delete_network)
    resource("subnet", "subnets", lambda: cloud.subnets, subnet_view, cloud.find_subnet,
             cloud.create_subnet, cloud.update_subnet, cloud.delete_subnet)
    resource("port", "ports", lambda: cloud.ports, port_view, cloud.find_port,
             cloud.create_port, cloud.update_port, cloud.delete_port)
    sfc_routes(endpoint.sfc, resource, project)

    @app.get("/v2.0/floatingips", summary="floating IPs (none: the PoP has no router)")
    def floating_ips():
        return {"floatingips": []}

    @app.get("/v2.0/routers", summary="routers (none)")
    def routers():
        return {"routers": []}

    @app.get("/v2.0/security-groups", summary="the default security group (not enforced)")
    def security_groups(request: Request):
        group = {"id": DEFAULT_SECURITY_GROUP, "name": "default", "tenant_id": project,
                 "project_id": project, "description": "Default security group",
                 "security_group_rules": [], "stateful": True, "tags": []}
        return {"security_groups": [g for g in [group] if matches(
            g, query_filters(request.query_params.multi_items()))]}

    return app


def extension(alias, name, description):
    return {"alias": alias, "name": name, "description": description,
            "updated": "2023-01-01T00:00:00-00:00", "links": []}


def sfc_routes(sfc, resource, project):
    """networking-sfc's four collections under /v2.0/sfc/."""

    def common(item):
        return {"id": item.id, "name": item.name, "description": item.description,
                "tenant_id": project, "project_id": project}

    def pair_view(pair):
        return dict(common(pair), ingress=pair.ingress, egress=pair.egress,
                    service_function_parameters=dict(pair.service_function_parameters))

    def group_view(group):
        return dict(common(group), port_pairs=list(group.port_pairs), group_id=group.group_id,
                    port_pair_group_parameters=dict(group.port_pair_group_parameters),
                    tap_enabled=False)

    def classifier_view(classifier):
        return dict(common(classifier), **classifier.fields)

    def chain_view(chain):
        return dict(common(chain), port_pair_groups=list(chain.port_pair_groups),
                    flow_classifiers=list(chain.flow_classifiers),
                    chain_parameters=dict(chain.chain_parameters), chain_id=chain.chain_id)

    def updater(find):
        return lambda ref, body: sfc.update(find(ref), body)

    resource("port_pair", "sfc/port_pairs", lambda: sfc.port_pairs, pair_view,
             sfc.find_port_pair, sfc.create_port_pair, updater(sfc.find_port_pair),
             sfc.delete_port_pair)
    resource("port_pair_group", "sfc/port_pair_groups", lambda: sfc.port_pair_groups,
             group_view, sfc.find_port_pair_group, sfc.create_port_pair_group,
             updater(sfc.find_port_pair_group), sfc.delete_port_pair_group)
    resource("flow_classifier", "sfc/flow_classifiers", lambda: sfc.flow_classifiers,
             classifier_view, sfc.find_flow_classifier, sfc.create_flow_classifier,
             updater(sfc.find_flow_classifier), sfc.delete_flow_classifier)
    resource("port_chain", "sfc/port_chains", lambda: sfc.port_chains, chain_view,
             sfc.find_port_chain, sfc.create_port_chain, updater(sfc.find_port_chain),
             sfc.delete_port_chain)

