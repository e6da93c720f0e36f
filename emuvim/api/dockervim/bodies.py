"""/v1's request bodies, as the OpenAPI document shows them (the routes
check them field by field with `fields.Fields`, unknown fields refused)."""

from typing import Dict, List, Optional, Union

from pydantic import Field

from emuvim.api.bodies import Body, StrictBody

Argv = Union[List[str], str]


class Interface(StrictBody):
    id: Optional[str] = None
    ip: Optional[str] = None
    mac: Optional[str] = None


class Resources(StrictBody):
    cpu_quota: Optional[int] = None
    cpu_period: Optional[int] = None
    cpu_shares: Optional[int] = None
    cpuset_cpus: Optional[str] = None
    mem_limit: Optional[Union[int, str]] = None
    memswap_limit: Optional[Union[int, str]] = None


class ContainerCreate(StrictBody):
    name: str
    image: str
    pop: Optional[str] = None
    command: Optional[Argv] = None
    entrypoint: Optional[Argv] = None
    environment: Optional[Dict[str, str]] = None
    network: Optional[List[Interface]] = None
    resources: Optional[Resources] = None
    ports: Optional[Dict[str, Optional[int]]] = None
    cap_add: Optional[List[str]] = None
    devices: Optional[List[str]] = None
    sysctls: Optional[Dict[str, str]] = None
    labels: Optional[Dict[str, str]] = None
    start: Optional[bool] = None
    tty: Optional[bool] = None
    working_dir: Optional[str] = None
    user: Optional[str] = None
    flavor: Optional[str] = None


class StopAll(StrictBody):
    timeout_s: Optional[int] = None
    pop: Optional[str] = None


class Nothing(StrictBody):
    pass


class Timeout(StrictBody):
    timeout_s: Optional[int] = None


class Exec(StrictBody):
    cmd: Argv
    shell: Optional[bool] = None
    env: Optional[Dict[str, str]] = None
    workdir: Optional[str] = None
    user: Optional[str] = None
    timeout_s: Optional[float] = None
    max_output_bytes: Optional[int] = None
    encoding: Optional[str] = None


class ImageBuild(StrictBody):
    context: str
    tag: str
    dockerfile: Optional[str] = None
    build_args: Optional[Dict[str, str]] = None
    no_cache: Optional[bool] = None


class ImagePull(StrictBody):
    image: str


class NetworkCreate(StrictBody):
    name: str
    kind: Optional[str] = None
    driver: Optional[str] = None
    subnet: Optional[str] = None
    ip_range: Optional[str] = None
    gateway: Optional[str] = None
    bridge_name: Optional[str] = None
    internal: Optional[bool] = None
    labels: Optional[Dict[str, str]] = None


class NetworkConnect(StrictBody):
    container: str
    ipv4_address: Optional[str] = None
    force: Optional[bool] = None


# -- /v1/wmn ------------------------------------------------------------------------------

class Move(StrictBody):
    position: List[float]


class Fail(StrictBody):
    mode: Optional[str] = None


class LinkOverride(StrictBody):
    loss: Optional[float] = None
    delay_ms: Optional[float] = None
    rate_mbit: Optional[float] = None
    state: Optional[str] = None
    symmetric: Optional[bool] = None


class Partition(StrictBody):
    groups: List[List[str]]


class Timeline(StrictBody):
    events: List[dict]


class Probe(StrictBody):
    model_config = dict(StrictBody.model_config, populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    count: Optional[int] = None
    interval_s: Optional[float] = None


class Meshnet(Body):
    interface: str
