"""The OpenStack services' request bodies: the fields emuvim reads, with the
types it reads them as.  Other fields are kept (clients send many); a field
of the wrong type is a 400 naming it, as the real services answer."""

from typing import Dict, List, Optional, Union

from pydantic import create_model

from emuvim.api.bodies import Body

Scalar = Union[str, int, float]
Flag = Union[bool, str]


class Named(Body):
    id: Optional[str] = None
    name: Optional[str] = None


class Domained(Named):
    domain: Optional[Named] = None


# -- Keystone -------------------------------------------------------------------------------

class PasswordUser(Domained):
    password: Optional[str] = None


class Password(Body):
    user: Optional[PasswordUser] = None


class TokenRef(Body):
    id: Optional[str] = None


class Identity(Body):
    methods: Optional[List[str]] = None
    password: Optional[Password] = None
    token: Optional[TokenRef] = None


class Scope(Body):
    project: Optional[Domained] = None
    domain: Optional[Named] = None


class AuthV3(Body):
    identity: Optional[Identity] = None
    scope: Optional[Union[Scope, str]] = None


class PasswordCredentials(Body):
    username: Optional[str] = None
    password: Optional[str] = None


class AuthV2(Body):
    passwordCredentials: Optional[PasswordCredentials] = None
    tenantName: Optional[str] = None
    tenantId: Optional[str] = None
    token: Optional[TokenRef] = None


# -- Nova -----------------------------------------------------------------------------------

class Flavor(Body):
    name: Optional[str] = None
    id: Optional[Scalar] = None
    ram: Optional[Scalar] = None
    vcpus: Optional[Scalar] = None
    disk: Optional[Scalar] = None
    swap: Optional[Scalar] = None


class ExtraSpecs(Body):
    extra_specs: Dict[str, Scalar]


class Nic(Body):
    uuid: Optional[str] = None
    port: Optional[str] = None
    fixed_ip: Optional[str] = None


class Server(Body):
    name: Optional[str] = None
    flavorRef: Optional[Scalar] = None
    imageRef: Optional[str] = None
    networks: Optional[Union[List[Nic], str]] = None
    metadata: Optional[Dict[str, str]] = None
    user_data: Optional[str] = None
    min_count: Optional[Scalar] = None
    max_count: Optional[Scalar] = None
    block_device_mapping_v2: Optional[List[dict]] = None
    security_groups: Optional[List[dict]] = None
    key_name: Optional[str] = None
    availability_zone: Optional[str] = None


# -- Neutron --------------------------------------------------------------------------------

class Network(Body):
    name: Optional[str] = None
    admin_state_up: Optional[bool] = None
    shared: Optional[bool] = None
    description: Optional[str] = None


class Pool(Body):
    start: str
    end: str


class Subnet(Body):
    name: Optional[str] = None
    network_id: Optional[str] = None
    cidr: Optional[str] = None
    ip_version: Optional[Scalar] = None
    gateway_ip: Optional[str] = None
    allocation_pools: Optional[List[Pool]] = None
    enable_dhcp: Optional[bool] = None
    dns_nameservers: Optional[List[str]] = None
    host_routes: Optional[List[dict]] = None
    description: Optional[str] = None


class FixedIp(Body):
    subnet_id: Optional[str] = None
    ip_address: Optional[str] = None


class Port(Body):
    name: Optional[str] = None
    network_id: Optional[str] = None
    mac_address: Optional[str] = None
    fixed_ips: Optional[List[FixedIp]] = None
    admin_state_up: Optional[bool] = None
    device_id: Optional[str] = None
    device_owner: Optional[str] = None
    description: Optional[str] = None
    port_security_enabled: Optional[bool] = None
    security_groups: Optional[List[str]] = None


class PortPair(Body):
    name: Optional[str] = None
    description: Optional[str] = None
    ingress: Optional[str] = None
    egress: Optional[str] = None
    service_function_parameters: Optional[dict] = None


class PortPairGroup(Body):
    name: Optional[str] = None
    description: Optional[str] = None
    port_pairs: Optional[List[str]] = None
    port_pair_group_parameters: Optional[dict] = None


class FlowClassifier(Body):
    name: Optional[str] = None
    description: Optional[str] = None
    ethertype: Optional[str] = None
    protocol: Optional[Scalar] = None
    source_port_range_min: Optional[Scalar] = None
    source_port_range_max: Optional[Scalar] = None
    destination_port_range_min: Optional[Scalar] = None
    destination_port_range_max: Optional[Scalar] = None
    source_ip_prefix: Optional[str] = None
    destination_ip_prefix: Optional[str] = None
    logical_source_port: Optional[str] = None
    logical_destination_port: Optional[str] = None
    l7_parameters: Optional[dict] = None


class PortChain(Body):
    name: Optional[str] = None
    description: Optional[str] = None
    port_pair_groups: Optional[List[str]] = None
    flow_classifiers: Optional[List[str]] = None
    chain_parameters: Optional[dict] = None
    chain_id: Optional[Scalar] = None


# -- Heat -----------------------------------------------------------------------------------

class Environment(Body):
    parameters: Optional[dict] = None


class Stack(Body):
    stack_name: Optional[str] = None
    template: Optional[Union[dict, str]] = None
    template_url: Optional[str] = None
    parameters: Optional[dict] = None
    environment: Optional[Union[Environment, str]] = None
    files: Optional[Dict[str, str]] = None
    timeout_mins: Optional[Scalar] = None
    disable_rollback: Optional[Flag] = None


NEUTRON = {"network": Network, "subnet": Subnet, "port": Port, "port_pair": PortPair,
           "port_pair_group": PortPairGroup, "flow_classifier": FlowClassifier,
           "port_chain": PortChain}


def wrapped(key, model):
    """The body model {key: model} (OpenStack wraps each object in its kind)."""
    return create_model("%s_%s" % (key.title().replace("_", ""), model.__name__),
                        __base__=Body, **{key: (model, ...)})
