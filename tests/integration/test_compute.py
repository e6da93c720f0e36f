"""Compute nodes: lifecycle, status, resources, run-time interfaces."""

import docker
import pytest

from emuvim.dcemulator.node import EmulatorCompute

from helpers import cgroup_value, containers_of, ping_fails, ping_ok, reachable, switch_ports


def test_start_compute_creates_labelled_container(two_pops):
    net, dc1, _ = two_pops
    vnf = dc1.startCompute("vnf1")
    assert isinstance(vnf, EmulatorCompute)
    assert dc1.listCompute() == [vnf] and net.getAllContainers() == [vnf]
    container = docker.from_env().containers.get("mn.vnf1")
    assert container.status == "running"
    assert container.labels["emuvim.run"] == net.identity.run_id
    assert "NET_ADMIN" in container.attrs["HostConfig"]["CapAdd"]
    assert container.attrs["HostConfig"]["Privileged"] is False
    assert "VNF_NAME=vnf1" in container.attrs["Config"]["Env"]


def test_status_has_vim_emu_keys_and_is_current(two_pops):
    net, dc1, _ = two_pops
    vnf = dc1.startCompute("vnf1", network=[{"id": "input", "ip": "10.0.10.1/24"}])
    status = vnf.getStatus()
    for key in ("name", "network", "docker_network", "image", "flavor_name", "cpu_quota",
                "cpu_period", "cpu_shares", "cpuset", "mem_limit", "memswap_limit", "state",
                "id", "short_id", "hostname", "datacenter"):
        assert key in status, key
    assert status["name"] == "vnf1" and status["state"]["Running"]
    assert status["datacenter"] == "dc1" and status["short_id"] == status["id"][:12]
    assert status["network"][0]["intf_name"] == "input"
    assert status["network"][0]["ip"] == "10.0.10.1/24"
    assert status["network"][0]["up"] is True
    vnf.intf("input").setIP("10.0.99.1/24")  # not cached: the next status sees it
    assert vnf.getStatus()["network"][0]["ip"] == "10.0.99.1/24"
    dc_status = dc1.getStatus()
    assert dc_status["vnf_list"] == ["vnf1"] and dc_status["n_running_containers"] == 1
    assert dc_status["switch"] == dc1.switch.name and "ext SAP list" in dc_status


def test_stop_compute_removes_container_and_switch_port(two_pops):
    net, dc1, _ = two_pops
    dc1.startCompute("vnf1")
    ports_before = switch_ports(dc1.switch.name)
    assert dc1.stopCompute("vnf1") is True
    assert dc1.listCompute() == [] and net.getNodeByName("vnf1") is None
    assert containers_of(net.identity.run_id) == []
    assert len(switch_ports(dc1.switch.name)) == len(ports_before) - 1
    assert "vnf1" not in net.DCNetwork_graph


def test_interleaved_add_remove_in_several_pops(two_pops):
    net, dc1, dc2 = two_pops
    v1 = dc1.startCompute("vnf1")
    v2 = dc2.startCompute("vnf2")
    assert ping_ok(v1, v2.IP())
    dc1.stopCompute("vnf1")
    v3 = dc1.startCompute("vnf3")
    v4 = dc2.startCompute("vnf4")
    assert ping_ok(v3, v2.IP()) and ping_ok(v4, v3.IP())
    dc2.stopCompute("vnf2")
    v1 = dc1.startCompute("vnf1")
    assert ping_ok(v1, v4.IP())
    assert sorted(c.name for c in net.getAllContainers()) == ["vnf1", "vnf3", "vnf4"]
    assert len(containers_of(net.identity.run_id)) == 3


def test_busybox_vnf_is_configured_from_the_host(two_pops):
    net, dc1, dc2 = two_pops
    tiny = dc1.startCompute("tiny", image="emuvim/busybox:latest",
                            network=[{"id": "data", "ip": "10.3.0.1/24"}])
    peer = dc2.startCompute("peer", network=[{"id": "data", "ip": "10.3.0.2/24"}])
    assert ping_ok(tiny, "10.3.0.2") and ping_ok(peer, "10.3.0.1")


def test_command_overrides_image_cmd(two_pops):
    _, dc1, _ = two_pops
    vnf = dc1.startCompute("vnf1", image="emuvim/busybox:latest", command="sleep 600")
    assert vnf.inspect()["Config"]["Cmd"] == ["sleep", "600"]


def test_cpu_and_memory_limits_reach_the_cgroup(two_pops):
    _, dc1, _ = two_pops
    vnf = dc1.startCompute("vnf1", cpu_period=100000, cpu_quota=25000,
                           mem_limit=64 * 1024 * 1024)
    assert cgroup_value(vnf, "cpu/cpu.cfs_quota_us", "cpu.max").split()[0] == "25000"
    assert cgroup_value(vnf, "memory/memory.limit_in_bytes", "memory.max") == str(64 * 2 ** 20)
    vnf.updateCpuLimit(cpu_quota=50000, cpu_period=100000)
    vnf.updateMemoryLimit(mem_limit=128 * 1024 * 1024, memswap_limit=256 * 1024 * 1024)
    assert cgroup_value(vnf, "cpu/cpu.cfs_quota_us", "cpu.max").split()[0] == "50000"
    assert cgroup_value(vnf, "memory/memory.limit_in_bytes", "memory.max") == str(128 * 2 ** 20)
    assert vnf.getStatus()["cpu_quota"] == 50000


def test_cpu_percent_sets_quota(two_pops):
    net, dc1, _ = two_pops
    vnf = dc1.startCompute("vnf1", cpu_percent=0.2)
    status = vnf.getStatus()
    assert status["cpu_period"] == net.cpu_period
    assert status["cpu_quota"] == int(0.2 * net.cpu_period)


def test_interfaces_added_and_removed_at_run_time(two_pops):
    net, dc1, dc2 = two_pops
    vnf = dc1.startCompute("vnf1", network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
    dc2.startCompute("peer", network=[{"id": "emu0", "ip": "10.0.0.2/24"},
                                      {"id": "extra", "ip": "10.9.0.2/24"}])
    net.addLink(vnf, dc2, params1={"id": "extra", "ip": "10.9.0.1/24"}, intfName1="extra")
    assert [i["intf_name"] for i in vnf.getStatus()["network"]] == ["emu0", "extra"]
    assert ping_ok(vnf, "10.9.0.2")
    ports = switch_ports(dc2.switch.name)
    net.removeLink(node1=vnf, node2=dc2)
    assert [i["intf_name"] for i in vnf.getStatus()["network"]] == ["emu0"]
    assert "extra" not in vnf.netns_run(["ip", "-o", "link"])
    assert len(switch_ports(dc2.switch.name)) == len(ports) - 1
    assert ping_fails(vnf, "10.9.0.2")
    assert ping_ok(vnf, "10.0.0.2")


def test_many_computes_started_concurrently(two_pops):
    net, dc1, _ = two_pops
    specs = [{"name": "c%d" % i, "network": [{"id": "emu0", "ip": "10.7.0.%d/24" % (i + 1)}]}
             for i in range(6)]
    nodes = dc1.startComputes(specs, max_workers=6)
    assert [n.name for n in nodes] == ["c%d" % i for i in range(6)]
    assert len(containers_of(net.identity.run_id)) == 6
    ports = {n.getStatus()["network"][0]["dc_portname"] for n in nodes}
    assert len(ports) == 6
    assert ping_ok(nodes[0], "10.7.0.6")


def test_an_interface_can_ask_for_an_af_xdp_port_alone(make_net):
    """The network keeps plain ports; one VNF interface asks for AF_XDP."""
    import subprocess
    from emuvim.dcemulator.switch import supported_interface_types
    net = make_net(port_type="system")
    dc = net.addDatacenter("dc1")
    net.start()
    fast = dc.startCompute("fast", network=[{"id": "data", "ip": "10.0.0.1/24",
                                             "port_type": "afxdp-nonpmd"}])
    plain = dc.startCompute("plain", network=[{"id": "data", "ip": "10.0.0.2/24"}])

    def port_type(vnf):
        port = vnf.intf("data").link.intf2.name
        return subprocess.run(["ovs-vsctl", "get", "Interface", port, "type"],
                              capture_output=True, text=True).stdout.strip().strip('"')
    if "afxdp-nonpmd" in supported_interface_types():
        assert port_type(fast) == "afxdp-nonpmd"
    assert port_type(plain) == ""
    assert ping_ok(fast, "10.0.0.2") and ping_ok(plain, "10.0.0.1")
    with pytest.raises(ValueError, match="port_type must be"):
        dc.startCompute("bad", network=[{"id": "data", "port_type": "warp"}])


def test_a_port_batch_adds_the_switch_ports_of_several_vnfs_at_commit(two_pops):
    """What an LLCM instance does: VNFs start with their switch ports held in
    a batch; commit() adds them in one go; a VNF gone before that leaves no
    port record behind."""
    from emuvim.dcemulator.switch import PortBatch
    net, dc1, dc2 = two_pops
    batch = PortBatch()
    a = dc1.startCompute("a", network=[{"id": "e", "ip": "10.0.0.1/24"}], port_batch=batch)
    b = dc2.startCompute("b", network=[{"id": "e", "ip": "10.0.0.2/24"}], port_batch=batch)
    dc1.startCompute("gone", network=[{"id": "e", "ip": "10.0.0.3/24"}], port_batch=batch)
    before = switch_ports(dc1.switch.name) + switch_ports(dc2.switch.name)
    assert not any(port.endswith(("-eth2", "-eth3")) for port in before)
    assert ping_fails(a, "10.0.0.2")          # interfaces up, not yet on the switches
    dc1.stopCompute("gone")
    batch.commit()
    assert switch_ports(dc1.switch.name) == ["dc1.s1-eth1", "dc1.s1-eth2"]
    assert switch_ports(dc2.switch.name) == ["dc2.s1-eth1", "dc2.s1-eth2"]
    assert reachable(a, "10.0.0.2")           # learning switches: plain L2 now
    batch.commit()                             # nothing left to add
    assert switch_ports(dc1.switch.name) == ["dc1.s1-eth1", "dc1.s1-eth2"]
    assert b.name == "b"
