"""The OpenStack APIs of a PoP, driven by the real clients (openstacksdk, the
`openstack` command line, keystoneauth) against real containers."""

import base64
import json
import os
import subprocess
import time
import sys

import openstack
import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v2 as ks_v2
from mininet.node import RemoteController
from openstack import exceptions as os_exc

from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint

from helpers import cgroup_value, containers_of, ping_fails, reachable, run, tcp_mbit_s

OPENSTACK_CLI = os.path.join(os.path.dirname(sys.executable), "openstack")


@pytest.fixture
def pop(make_net):
    """One PoP (only installed flows forward) with its OpenStack APIs; yields
    (net, endpoint, openstacksdk connection)."""
    net = make_net(controller=RemoteController, enable_learning=False)
    dc = net.addDatacenter("dc1")
    api = OpenstackApiEndpoint("127.0.0.1", 0)
    api.connect_datacenter(dc)
    api.connect_dc_network(net)
    net.start()
    api.start(wait_for_port=True)     # vim-emu's own tests start it so
    conn = openstack.connect(auth_url=api.auth_url, username="tester", password="any",
                             project_name="admin", user_domain_name="Default",
                             project_domain_name="Default", region_name="RegionOne")
    yield net, api, conn
    conn.close()
    api.stop()


def cli(api, *argv, output=True):
    """`openstack ...` with plain OS_* variables; the parsed JSON output."""
    env = dict(os.environ, OS_AUTH_URL=api.auth_url, OS_USERNAME="tester", OS_PASSWORD="any",
               OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default",
               OS_PROJECT_DOMAIN_NAME="Default", OS_REGION_NAME="RegionOne",
               OS_IDENTITY_API_VERSION="3")
    out = subprocess.run([OPENSTACK_CLI] + list(argv) + (["-f", "json"] if output else []),
                         env=env,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    # --wait may print progress lines (heatclient's events) before the JSON.
    lines = out.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line[:1] in "[{"), None)
    return json.loads("\n".join(lines[start:])) if start is not None else None


def node_of(net, server):
    return net.getNodeByName(server.to_dict()["OS-EXT-SRV-ATTR:instance_name"]
                             if hasattr(server, "to_dict") else server)


def boot(conn, name, **nics):
    image = conn.image.find_image("emuvim/base")
    flavor = conn.compute.find_flavor("m1.tiny")
    server = conn.compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id,
                                        **nics)
    return conn.compute.wait_for_server(server, wait=60)


def intf_of(node, name):
    info = json.loads(node.netns_run(["ip", "-j", "addr", "show", "dev", name]))[0]
    return info["address"], [a["local"] for a in info["addr_info"] if a["family"] == "inet"]


# -- Keystone ----------------------------------------------------------------------------


def test_keystone_v3_and_v2_for_the_real_clients(pop):
    net, api, conn = pop
    token = cli(api, "token", "issue")
    assert token["project_id"] == api.cloud.project_id and token["id"]
    raw = requests.post(api.auth_url + "/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "u", "domain": {"id": "default"}, "password": "x"}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    assert raw.status_code == 201 and raw.headers["X-Subject-Token"]
    catalog = {s["type"]: s["endpoints"] for s in raw.json()["token"]["catalog"]}
    assert {"identity", "compute", "network", "image"} <= set(catalog)
    public = [e for e in catalog["compute"] if e["interface"] == "public"][0]
    assert public["region"] == "RegionOne" and api.cloud.project_id in public["url"]
    # OSM registers VIMs with Keystone v2.0.
    v2 = ks_session.Session(auth=ks_v2.Password(auth_url=api.urls["identity"] + "/v2.0",
                                                username="osm", password="x",
                                                tenant_name="admin"))
    assert v2.get_token() and v2.get_project_id() == api.cloud.project_id
    assert v2.get_endpoint(service_type="network", interface="public") == api.urls["network"]
    # The PoP's services take only tokens this Keystone issued.
    anonymous = requests.get(api.urls["network"] + "/v2.0/networks")
    assert anonymous.status_code == 401 and "NeutronError" in anonymous.json()
    forged = requests.get(api.urls["network"] + "/v2.0/networks",
                          headers={"X-Auth-Token": "forged"})
    assert forged.status_code == 401


# -- servers on networks -------------------------------------------------------------------


def test_servers_on_networks_reach_each_other_and_only_each_other(pop):
    net, api, conn = pop
    lan = conn.network.create_network(name="lan")
    subnet = conn.network.create_subnet(
        network_id=lan.id, ip_version=4, cidr="10.60.0.0/24", name="lan-subnet",
        gateway_ip="10.60.0.254", allocation_pools=[{"start": "10.60.0.10",
                                                     "end": "10.60.0.20"}])
    assert subnet.gateway_ip == "10.60.0.254"
    port = conn.network.create_port(network_id=lan.id, name="a-port",
                                    mac_address="fa:16:3e:00:00:15",
                                    fixed_ips=[{"ip_address": "10.60.0.15"}])
    other = conn.network.create_network(name="other")
    conn.network.create_subnet(network_id=other.id, ip_version=4, cidr="10.61.0.0/24")

    a = boot(conn, "a", networks=[{"port": port.id}])
    b = boot(conn, "b", networks=[{"uuid": lan.id}])
    c = boot(conn, "c", networks=[{"uuid": other.id}])
    assert {s.status for s in (a, b, c)} == {"ACTIVE"}
    # The requested address and MAC, on the container's eth0.
    assert a.addresses == {"lan": [{"addr": "10.60.0.15", "version": 4,
                                    "OS-EXT-IPS:type": "fixed",
                                    "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:15"}]}
    node_a, node_b, node_c = (net.getNodeByName(n) for n in ("a", "b", "c"))
    assert intf_of(node_a, "eth0") == ("fa:16:3e:00:00:15", ["10.60.0.15"])
    b_ip = b.addresses["lan"][0]["addr"]
    assert b_ip in ["10.60.0.%d" % i for i in range(10, 21)]
    assert intf_of(node_b, "eth0")[1] == [b_ip]
    port = conn.network.get_port(port.id)
    assert (port.device_id, port.device_owner, port.status) == (a.id, "compute:nova", "ACTIVE")
    # Same network: packets flow (ping and TCP).
    assert reachable(node_a, b_ip)
    assert tcp_mbit_s(node_a, node_b, b_ip) > 10
    # Another network: nothing gets through, even with an address in the subnet.
    node_c.cmd("ip addr add 10.60.0.99/24 dev eth0")
    assert ping_fails(node_c, b_ip)
    # The flavor's limits are the container's.
    assert cgroup_value(node_a, "memory/memory.limit_in_bytes", "memory.max") == str(512 << 20)
    quota, period = (int(cgroup_value(node_a, "cpu/cpu.cfs_%s_us" % k, "cpu.max").split()[0])
                     for k in ("quota", "period"))
    assert quota / period == 1.0
    # Neutron's filters: matching ports only, and an empty list (not a 404) for none.
    assert [p.id for p in conn.network.ports(device_id=a.id)] == [port.id]
    assert [p.network_id for p in conn.network.ports(network_id=other.id)] == [other.id]
    assert list(conn.network.networks(name="no-such-network")) == []
    # Deleting a server removes its container and the ports made for it; a port
    # created beforehand stays, unbound.
    conn.compute.delete_server(b)
    conn.compute.wait_for_delete(b, wait=60)
    assert net.getNodeByName("b") is None
    assert not list(conn.network.ports(device_id=b.id))
    conn.compute.delete_server(a)
    conn.compute.wait_for_delete(a, wait=60)
    assert conn.network.get_port(port.id).device_id == ""


def test_power_actions_and_a_truthful_status(pop):
    net, api, conn = pop
    lan = conn.network.create_network(name="lan")
    conn.network.create_subnet(network_id=lan.id, ip_version=4, cidr="10.62.0.0/24")
    a = boot(conn, "a", networks=[{"uuid": lan.id}])
    boot(conn, "b", networks=[{"uuid": lan.id}])
    node_b, a_ip = net.getNodeByName("b"), a.addresses["lan"][0]["addr"]
    assert reachable(node_b, a_ip)
    conn.compute.stop_server(a)
    assert conn.compute.wait_for_server(a, status="SHUTOFF", wait=30).status == "SHUTOFF"
    assert net.docker_engine.inspect("mn.a")["State"]["Paused"]
    assert ping_fails(node_b, a_ip)
    conn.compute.start_server(a)
    assert conn.compute.wait_for_server(a, status="ACTIVE", wait=30).status == "ACTIVE"
    assert reachable(node_b, a_ip)
    conn.compute.reboot_server(a, "SOFT")
    assert conn.compute.get_server(a.id).status == "ACTIVE" and reachable(node_b, a_ip)
    with pytest.raises(os_exc.ConflictException):
        conn.compute.start_server(a)                 # already running: 409
    # The container dies behind the API's back: the server says ERROR.
    run(["docker", "kill", "mn.a"])
    server = conn.compute.get_server(a.id)
    assert server.status == "ERROR" and "exited" in server.fault["message"]


def test_networks_auto_and_none_and_user_data(pop):
    net, api, conn = pop
    user_data = base64.b64encode(b"#cloud-config\nruncmd: [true]\n").decode()
    image = conn.image.find_image("emuvim/base")
    flavor = conn.compute.find_flavor("m1.tiny")
    alone = conn.compute.create_server(name="alone", image_id=image.id, flavor_id=flavor.id,
                                       networks="none", user_data=user_data)
    auto = conn.compute.create_server(name="auto", image_id=image.id, flavor_id=flavor.id,
                                      networks="auto")
    alone = conn.compute.wait_for_server(alone, wait=60)
    auto = conn.compute.wait_for_server(auto, wait=60)
    # "none": no port, only Docker's own management interface.
    assert alone.addresses == {} and net.getNodeByName("alone").intfList() == []
    assert net.getNodeByName("alone").getStatus()["docker_interface"] == "eth0"
    assert list(auto.addresses) == ["auto_allocated_network"]


# -- the command line ----------------------------------------------------------------------


def test_openstack_command_line(pop):
    net, api, conn = pop
    assert {f["Name"] for f in cli(api, "flavor", "list")} >= {"m1.tiny", "m1.large"}
    assert "emuvim/base" in {i["Name"] for i in cli(api, "image", "list")}
    cli(api, "network", "create", "cli-net")
    subnet = cli(api, "subnet", "create", "--network", "cli-net", "--subnet-range",
                 "10.70.0.0/24", "cli-subnet")
    assert subnet["cidr"] == "10.70.0.0/24"
    port = cli(api, "port", "create", "--network", "cli-net", "cli-port")
    server = cli(api, "server", "create", "--wait", "--image", "emuvim/base", "--flavor",
                 "m1.tiny", "--port", "cli-port", "cli-server")
    assert server["status"] == "ACTIVE" and server["name"] == "cli-server"
    listed = cli(api, "server", "list", "--name", "cli-server")
    assert [s["Name"] for s in listed] == ["cli-server"]
    assert cli(api, "server", "show", "cli-server")["addresses"] == {
        "cli-net": [port["fixed_ips"][0]["ip_address"]]}
    cli(api, "server", "stop", "cli-server", output=False)
    cli(api, "server", "delete", "--wait", "cli-server", output=False)
    assert net.getNodeByName("cli-server") is None
    # Deleting a network deletes its own ports, nobody else's.
    cli(api, "network", "create", "keep")
    kept = cli(api, "port", "create", "--network", "keep", "keep-port")
    cli(api, "network", "delete", "cli-net", output=False)
    assert [p["ID"] for p in cli(api, "port", "list")] == [kept["id"]]


# -- client mistakes -----------------------------------------------------------------------


def test_client_mistakes_are_4xx_and_start_nothing(pop):
    net, api, conn = pop
    image = conn.image.find_image("emuvim/base")
    lan = conn.network.create_network(name="lan")
    before = containers_of(net.identity.run_id)
    for kwargs, fragment in (
            ({"flavor_id": "nope", "image_id": image.id}, "Flavor nope"),
            ({"flavor_id": "1", "image_id": "nope"}, "Image nope"),
            ({"flavor_id": "1", "image_id": image.id, "networks": [{"uuid": "nope"}]},
             "Network nope")):
        kwargs.setdefault("networks", [{"uuid": lan.id}])
        with pytest.raises(os_exc.BadRequestException, match=fragment):
            conn.compute.create_server(name="bad", **kwargs)
    assert containers_of(net.identity.run_id) == before
    assert list(conn.network.ports()) == [] and list(conn.compute.servers()) == []
    with pytest.raises(os_exc.NotFoundException):
        conn.compute.get_server("no-such-server")
    with pytest.raises(os_exc.NotFoundException):
        conn.image.get_image("00000000-0000-0000-0000-000000000000")
    token = conn.session.get_token()
    for url in (api.urls["compute"] + "/v2.1/servers", api.urls["network"] + "/v2.0/networks"):
        garbage = requests.post(url, data="{not json", headers={"X-Auth-Token": token})
        assert garbage.status_code == 400, garbage.text
    taken = conn.network.create_port(network_id=lan.id, name="taken")
    conn.network.create_subnet(network_id=lan.id, ip_version=4, cidr="10.63.0.0/24")
    with pytest.raises(os_exc.BadRequestException):
        conn.network.create_port(network_id=lan.id, fixed_ips=[{"ip_address": "10.99.0.1"}])
    assert taken.fixed_ips == []          # made before the subnet existed
    assert containers_of(net.identity.run_id) == before


def test_flavors_and_extra_specs(pop):
    net, api, conn = pop
    flavor = conn.compute.create_flavor(name="vnf.small", ram=256, vcpus=1, disk=1)
    conn.compute.create_flavor_extra_specs(flavor, {"hw:cpu_policy": "dedicated"})
    assert conn.compute.fetch_flavor_extra_specs(flavor).extra_specs == {
        "hw:cpu_policy": "dedicated"}
    assert conn.compute.find_flavor("vnf.small").ram == 256
    with pytest.raises(os_exc.ConflictException):
        conn.compute.create_flavor(name="vnf.small", ram=256, vcpus=1, disk=1)
    conn.compute.delete_flavor(flavor)
    assert conn.compute.find_flavor("vnf.small") is None


# -- Heat ------------------------------------------------------------------------------------

HOT = """
heat_template_version: %(version)s
description: a web server and a database on one network
parameters:
  image: {type: string, default: emuvim/base}
  flavor: {type: string, default: m1.tiny}
  cidr: {type: string, default: 10.80.0.0/24}
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: heat-net}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: {get_param: cidr}}
  port:
    type: OS::Neutron::Port
    depends_on: subnet
    properties:
      network: {get_resource: net}
      fixed_ips: [{ip_address: %(web_ip)s}]
  web:
    type: OS::Nova::Server
    properties:
      name: web
      image: {get_param: image}
      flavor: {get_param: flavor}
      networks: [{port: {get_resource: port}}]
  db:
    type: OS::Nova::Server
    depends_on: subnet
    properties:
      name: db
      image: {get_param: image}
      flavor: {get_param: flavor}
      networks: [{network: {get_resource: net}}]
outputs:
  web_ip:
    value: {get_attr: [web, first_address]}
"""


def test_heat_stack_with_the_openstack_command_line(pop, tmp_path):
    net, api, conn = pop
    template = tmp_path / "stack.yaml"
    template.write_text(HOT % {"version": "queens", "web_ip": "10.80.0.50"})
    stack = cli(api, "stack", "create", "--wait", "-t", str(template), "web-stack")
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    servers = {s.name: s for s in conn.compute.servers()}
    assert set(servers) == {"web", "db"} and {s.status for s in servers.values()} == {"ACTIVE"}
    assert servers["web"].addresses["heat-net"][0]["addr"] == "10.80.0.50"
    assert reachable(net.getNodeByName("db"), "10.80.0.50")
    shown = cli(api, "stack", "show", "web-stack")
    assert shown["outputs"] == [{"output_key": "web_ip", "output_value": "10.80.0.50",
                                 "description": ""}]
    resources = {r["resource_name"]: r for r in cli(api, "stack", "resource", "list",
                                                    "web-stack")}
    assert {r["resource_status"] for r in resources.values()} == {"CREATE_COMPLETE"}
    assert resources["web"]["physical_resource_id"] == servers["web"].id
    cli(api, "stack", "delete", "--wait", "-y", "web-stack", output=False)
    assert list(conn.compute.servers()) == [] and list(conn.network.networks()) == []
    assert net.getNodeByName("web") is None and list(conn.network.ports()) == []


def test_heat_stack_with_openstacksdk_dated_version_and_parameters(pop):
    net, api, conn = pop
    import yaml
    template = yaml.safe_load(HOT % {"version": "'2016-10-14'", "web_ip": "10.81.0.9"})
    stack = conn.orchestration.create_stack(name="sdk-stack", template=template,
                                            parameters={"cidr": "10.81.0.0/24"})
    stack = conn.orchestration.wait_for_status(stack, "CREATE_COMPLETE", failures=[
        "CREATE_FAILED"], wait=120)
    assert stack.status == "CREATE_COMPLETE"
    [subnet] = conn.network.subnets()
    assert subnet.cidr == "10.81.0.0/24"
    assert {s.name for s in conn.compute.servers()} == {"web", "db"}
    # The dashboard groups the stack's servers (service sources of the network).
    [group] = net.service_groups()
    assert group["kind"] == "OpenStack Heat (dc1)" and group["name"] == "sdk-stack"
    assert group["status"] == "CREATE_COMPLETE" and sorted(group["vnfs"]) == ["db", "web"]
    assert [link["type"] for link in group["links"]] == ["Neutron network"]


@pytest.mark.parametrize("change,fragment", [
    (lambda t: t.replace("heat_template_version: queens", "heat_template_version: 2012-12-12"),
     "older than 2013-05-23"),
    (lambda t: t.replace("OS::Neutron::Port", "OS::Trove::Instance"), "not supported"),
    (lambda t: t.replace("{get_resource: port}", "{get_resource: nothing}"), "nothing"),
    (lambda t: t.replace("depends_on: subnet\n    properties:\n      network",
                         "depends_on: web\n    properties:\n      network"), "circle"),
    (lambda t: t.replace("default: emuvim/base", "default: no/such-image"), "no/such-image"),
])
def test_bad_templates_are_400_and_create_nothing(pop, change, fragment):
    net, api, conn = pop
    template = change(HOT % {"version": "queens", "web_ip": "10.80.0.50"})
    token = conn.session.get_token()
    reply = requests.post("%s/v1/%s/stacks" % (api.urls["orchestration"], api.cloud.project_id),
                          json={"stack_name": "bad", "template": template},
                          headers={"X-Auth-Token": token})
    assert reply.status_code == 400, reply.text
    assert fragment in reply.json()["error"]["message"]
    assert list(conn.network.networks()) == [] and list(conn.orchestration.stacks()) == []


def test_a_stack_that_fails_half_way_is_rolled_back(pop):
    net, api, conn = pop
    import yaml
    template = yaml.safe_load(HOT % {"version": "queens", "web_ip": "10.80.0.50"})
    # A second port asking for the web server's address: the stack fails there.
    template["resources"]["clash"] = {
        "type": "OS::Neutron::Port", "depends_on": "web",
        "properties": {"network": {"get_resource": "net"},
                       "fixed_ips": [{"ip_address": "10.80.0.50"}]}}
    stack = conn.orchestration.create_stack(name="doomed", template=template)
    stack = conn.orchestration.wait_for_status(stack, "CREATE_FAILED", wait=120)
    assert "already allocated" in stack.status_reason
    assert list(conn.compute.servers()) == [] and list(conn.network.networks()) == []
    assert list(conn.network.ports()) == [] and net.getNodeByName("web") is None
    with pytest.raises(os_exc.ConflictException):
        conn.orchestration.create_stack(name="doomed", template=template)


# -- Neutron SFC -------------------------------------------------------------------------------


def captures(node, interface, bpf, trigger):
    """True if `trigger()` makes a packet matching `bpf` arrive on the node's interface."""
    node.cmd("rm -f /tmp/cap /tmp/cap.err; tcpdump -ni %s -c 1 -l '%s' >/tmp/cap "
             "2>/tmp/cap.err &" % (interface, bpf))
    node.cmd("for i in $(seq 100); do grep -q listening /tmp/cap.err && break; sleep 0.05; done")
    trigger()
    out = node.cmd("for i in $(seq 40); do [ -s /tmp/cap ] && break; sleep 0.05; done; "
                   "cat /tmp/cap; pkill tcpdump")
    return bool(out.strip())


def test_neutron_sfc_steers_classified_traffic_and_removes_exactly_its_flows(pop):
    net, api, conn = pop
    lan = conn.network.create_network(name="lan")
    conn.network.create_subnet(network_id=lan.id, ip_version=4, cidr="10.90.0.0/24")
    ports = {name: conn.network.create_port(network_id=lan.id, name=name)
             for name in ("client", "sf", "server")}
    for name, port in ports.items():
        boot(conn, name, networks=[{"port": port.id}])
    client, sf, server = (net.getNodeByName(n) for n in ("client", "sf", "server"))
    server_ip = ports["server"].fixed_ips[0]["ip_address"]
    assert reachable(client, server_ip)

    pair = conn.network.create_sfc_port_pair(name="pp", ingress=ports["sf"].id,
                                             egress=ports["sf"].id)
    group = conn.network.create_sfc_port_pair_group(name="ppg", port_pairs=[pair.id])
    classifier = conn.network.create_sfc_flow_classifier(
        name="web", ethertype="IPv4", protocol="tcp", destination_port_range_min=80,
        destination_port_range_max=80, destination_ip_prefix=server_ip + "/32",
        logical_source_port=ports["client"].id)
    chain = conn.network.create_sfc_port_chain(name="pc", port_pair_groups=[group.id],
                                               flow_classifiers=[classifier.id])
    # The keys OSM's RO reads, and ?id= on every collection.
    shown = conn.network.get_sfc_port_chain(chain.id).to_dict()
    assert shown["chain_parameters"]["correlation"] == "mpls" and shown["project_id"]
    token = conn.session.get_token()
    for collection, item in (("port_pairs", pair), ("port_pair_groups", group),
                             ("flow_classifiers", classifier), ("port_chains", chain)):
        listed = requests.get("%s/v2.0/sfc/%s" % (api.urls["network"], collection),
                              params={"id": item.id}, headers={"X-Auth-Token": token}).json()
        assert [i["id"] for i in listed[collection]] == [item.id]
    assert requests.get(api.urls["network"] + "/v2.0/sfc/port_chains/nope",
                        headers={"X-Auth-Token": token}).status_code == 404
    chain_id = requests.get(api.urls["network"] + "/v2.0/sfc/port_chains/" + chain.id,
                            headers={"X-Auth-Token": token}).json()["port_chain"]["chain_id"]
    assert chain_id >= 1

    # Real flows under the chain's own cookie, matching the classifier.
    cookie = next(c.cookie for c in net.installed_chains)
    flows = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "dc1.s1",
                 "cookie=%d/-1" % cookie])
    assert "tp_dst=80" in flows and "nw_dst=%s" % server_ip in flows
    others = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "dc1.s1"]).count("cookie=") - \
        flows.count("cookie=")
    # TCP to port 80 is steered into the service function; ping is not.
    syn = lambda: client.cmd("timeout 2 bash -c 'exec 3<>/dev/tcp/%s/80' 2>/dev/null; true"
                             % server_ip)
    assert captures(sf, "eth0", "tcp dst port 80", syn)
    assert reachable(client, server_ip)

    with pytest.raises(os_exc.ConflictException):
        conn.network.delete_sfc_port_pair_group(group)     # in use by the chain
    conn.network.delete_sfc_port_chain(chain)
    assert "cookie=" not in run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "dc1.s1",
                                 "cookie=%d/-1" % cookie])
    remaining = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "dc1.s1"]).count("cookie=")
    assert remaining == others                              # the network's flows stay
    assert not captures(sf, "eth0", "tcp dst port 80", syn)
    assert captures(server, "eth0", "tcp dst port 80", syn)
    for delete, item in ((conn.network.delete_sfc_port_pair_group, group),
                         (conn.network.delete_sfc_port_pair, pair),
                         (conn.network.delete_sfc_flow_classifier, classifier)):
        delete(item)
    assert list(conn.network.sfc_port_pairs()) == []


def test_novaclient_and_neutronclient_as_osm_ro_uses_them(pop):
    """RO: keystoneauth v3 session, novaclient pinned to 2.60, neutronclient 2.0."""
    from keystoneauth1.identity import v3 as ks_v3
    from neutronclient.v2_0 import client as neutron_client
    from novaclient import client as nova_client
    net, api, conn = pop
    session = ks_session.Session(auth=ks_v3.Password(
        auth_url=api.auth_url, username="osm", password="x", project_name="admin",
        project_domain_id="default", user_domain_id="default"))
    nova = nova_client.Client("2.60", session=session)
    neutron = neutron_client.Client(session=session)
    assert neutron.list_networks(name="mgmt")["networks"] == []     # RO then creates it
    network = neutron.create_network({"network": {"name": "mgmt", "admin_state_up": True,
                                                  "shared": False}})["network"]
    neutron.create_subnet({"subnet": {"name": "mgmt-subnet", "network_id": network["id"],
                                      "ip_version": 4, "cidr": "192.168.77.0/24",
                                      "gateway_ip": None}})
    port = neutron.create_port({"port": {"network_id": network["id"], "name": "eth0",
                                         "admin_state_up": True,
                                         "fixed_ips": [{"ip_address": "192.168.77.7"}]}})["port"]
    flavors = nova.flavors.list()
    assert flavors[0].get_keys() == {}                       # RO reads os-extra_specs
    image = conn.image.find_image("emuvim/base")
    server = nova.servers.create("vnf1-vdu1", image.id, flavors[0].id,
                                 nics=[{"port-id": port["id"], "tag": "eth0"}],
                                 userdata="#cloud-config\n")
    for _ in range(200):
        server = nova.servers.get(server.id)
        if server.status != "BUILD":
            break
        time.sleep(0.1)
    assert server.status == "ACTIVE" and server.flavor["original_name"] == flavors[0].name
    assert [p["mac_address"] for p in neutron.list_ports(device_id=server.id)["ports"]] == [
        port["mac_address"]]
    assert intf_of(net.getNodeByName("vnf1-vdu1"), "eth0") == (port["mac_address"],
                                                               ["192.168.77.7"])
    server.stop()
    for _ in range(100):
        if nova.servers.get(server.id).status == "SHUTOFF":
            break
        time.sleep(0.1)
    assert nova.servers.get(server.id).status == "SHUTOFF"
    # RO's delete_network: the network's ports (by network_id), then the network.
    neutron.delete_port(port["id"])
    nova.servers.delete(server.id)
    assert neutron.list_ports(network_id=network["id"])["ports"] == []
    neutron.delete_network(network["id"])
    assert neutron.list_networks(id=network["id"])["networks"] == []


def test_networks_report_tenant_or_requested_provider_types(pop):
    """A tenant network looks as a plain OpenStack shows one (VXLAN, no
    physical network); a provider network as it was asked for."""
    _net, api, conn = pop
    tenant = conn.network.create_network(name="tenant-net")
    assert tenant.provider_network_type == "vxlan"
    assert tenant.provider_physical_network is None
    assert isinstance(tenant.provider_segmentation_id, int)
    other = conn.network.create_network(name="tenant-net-2")
    assert other.provider_segmentation_id != tenant.provider_segmentation_id
    provider = conn.network.create_network(name="phys", provider_network_type="vlan",
                                           provider_physical_network="physnet1",
                                           provider_segmentation_id=42)
    shown = conn.network.get_network(provider.id)
    assert (shown.provider_network_type, shown.provider_physical_network,
            shown.provider_segmentation_id) == ("vlan", "physnet1", 42)
