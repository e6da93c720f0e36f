"""Resource models applied to real containers (read back from the cgroup)."""

from emuvim.dcemulator.resourcemodel.upb.simple import (UpbOverprovisioningCloudDcRM,
                                                        UpbSimpleCloudDcRM)

from helpers import cgroup_value, containers_of


def cpu_quota_and_period(node):
    quota = cgroup_value(node, "cpu/cpu.cfs_quota_us", "cpu.max").split()[0]
    period = cgroup_value(node, "cpu/cpu.cfs_period_us", "cpu.max").split()[-1]
    return int(quota), int(period)


def test_simple_model_limits_reach_the_cgroup(make_net):
    net = make_net(dc_emulation_max_cpu=1.0, dc_emulation_max_mem=512)
    dc = net.addDatacenter("dc1")
    dc.assignResourceModel(UpbSimpleCloudDcRM(max_cu=100, max_mu=2048))
    net.start()
    vnf = dc.startCompute("vnf1", flavor_name="tiny")
    quota, period = cpu_quota_and_period(vnf)
    assert quota / period == 0.005  # vim-emu's worked example
    assert cgroup_value(vnf, "memory/memory.limit_in_bytes", "memory.max") == str(8 * 2 ** 20)
    status = vnf.getStatus()
    assert (status["cpu_quota"], status["cpu_period"]) == (quota, period)


def test_refused_compute_leaves_nothing(make_net):
    net = make_net()
    dc = net.addDatacenter("dc1")
    rm = UpbSimpleCloudDcRM(max_cu=1, max_mu=2048)
    dc.assignResourceModel(rm)
    net.start()
    assert dc.startCompute("first", flavor_name="small") is not None
    assert dc.startCompute("second", flavor_name="small") is None
    assert [c.name for c in dc.listCompute()] == ["first"]
    assert len(containers_of(net.identity.run_id)) == 1
    dc.stopCompute("first")
    assert rm.dc_alloc_cu == 0
    assert dc.startCompute("second", flavor_name="small") is not None


def test_overprovisioning_relimits_running_containers(make_net):
    net = make_net(dc_emulation_max_cpu=1.0)
    dc = net.addDatacenter("dc1")
    dc.assignResourceModel(UpbOverprovisioningCloudDcRM(max_cu=2, max_mu=2048))
    net.start()
    first = dc.startCompute("c0", flavor_name="small")
    quota, period = cpu_quota_and_period(first)
    assert quota / period == 0.5
    dc.startCompute("c1", flavor_name="small")
    dc.startCompute("c2", flavor_name="small")  # 3 CU on 2: every share x 2/3
    quota, period = cpu_quota_and_period(first)
    assert quota == round(period * 0.5 * 2 / 3)
