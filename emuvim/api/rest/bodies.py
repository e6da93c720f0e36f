"""The REST API's request bodies (vim-emu's fields; strings where vim-emu's
clients send strings)."""

from typing import List, Optional, Union

from emuvim.api.bodies import Body, StrictBody

Flag = Union[bool, str, int]        # vim-emu's clients send "True", true or 1
Number = Union[int, str]


class ComputeStart(Body):
    image: Optional[str] = None
    docker_command: Optional[Union[str, List[str]]] = None
    command: Optional[Union[str, List[str]]] = None
    network: Optional[Union[str, List[dict]]] = None
    flavor_name: Optional[str] = None


class Chain(StrictBody):
    vnf_src_name: str
    vnf_dst_name: str
    vnf_src_interface: Optional[str] = None
    vnf_dst_interface: Optional[str] = None
    weight: Optional[str] = None
    match: Optional[str] = None
    bidirectional: Optional[Flag] = None
    cookie: Optional[Number] = None
    priority: Optional[Number] = None
    skip_vlan_tag: Optional[Flag] = None
    monitor: Optional[Flag] = None
    monitor_placement: Optional[str] = None


class LinkMonitor(Chain):
    metric: Optional[str] = None


class Monitor(StrictBody):
    vnf_name: str
    vnf_interface: Optional[str] = None
    metric: Optional[str] = None
    cookie: Optional[Number] = None
