"""vim-emu's resource-model arithmetic, with its own worked examples."""

import json

import pytest

from emuvim.dcemulator.resourcemodel import (NotEnoughResourcesAvailable, ResourceFlavor,
                                             ResourceModelRegistrar)
from emuvim.dcemulator.resourcemodel.upb.simple import (UpbDummyRM,
                                                        UpbOverprovisioningCloudDcRM,
                                                        UpbSimpleCloudDcRM)


class StandIn:
    """A compute node as a resource model sees it: name, flavor, limit setters."""

    def __init__(self, name, flavor_name):
        self.name, self.flavor_name = name, flavor_name
        self.cpu = None
        self.mem = None

    def updateCpuLimit(self, cpu_period=-1, cpu_quota=-1, **_):
        self.cpu = (cpu_period, cpu_quota)

    def updateMemoryLimit(self, mem_limit=-1, **_):
        self.mem = mem_limit


def registered(rm, e_cpu=1.0, e_mem=512):
    registrar = ResourceModelRegistrar(e_cpu, e_mem)
    registrar.register("dc1", rm)
    return rm


def test_base_model_has_five_default_flavors():
    rm = UpbSimpleCloudDcRM()
    assert sorted(rm._flavors) == ["large", "medium", "small", "tiny", "xlarge"]
    rm.addFlavour(ResourceFlavor("custom", {"compute": 2, "memory": 64, "disk": 1}))
    assert rm._flavors["custom"].get("memory") == 64
    with pytest.raises(ValueError):
        rm.addFlavour(ResourceFlavor("tiny", {}))


@pytest.mark.parametrize("flavor,cu,mu", [("tiny", 0.5, 32), ("small", 1.0, 128),
                                          ("medium", 4.0, 256), ("large", 8.0, 512),
                                          ("xlarge", 16.0, 1024)])
def test_allocation_computations(flavor, cu, mu):
    rm = registered(UpbSimpleCloudDcRM(max_cu=100, max_mu=2048), e_cpu=1.0, e_mem=512)
    d = StandIn("c", flavor)
    rm.allocate(d)
    period, quota = d.cpu
    assert quota / period == pytest.approx(1.0 / 100 * cu)
    assert d.mem == int(512 / 2048 * mu * 1024 * 1024)


def test_vim_emu_worked_example_tiny():
    rm = registered(UpbSimpleCloudDcRM(max_cu=100, max_mu=2048), e_cpu=1.0, e_mem=512)
    d = StandIn("c", "tiny")
    rm.allocate(d)
    assert d.cpu[1] / d.cpu[0] == pytest.approx(0.005)
    assert d.mem == 8 * 1024 * 1024


def test_cpu_limit_refuses_with_vim_emu_message():
    rm = registered(UpbSimpleCloudDcRM(max_cu=40, max_mu=4096))
    for i in range(2):
        rm.allocate(StandIn("x%d" % i, "xlarge"))
    with pytest.raises(NotEnoughResourcesAvailable, match="Not enough compute"):
        rm.allocate(StandIn("x3", "xlarge"))
    assert rm.dc_alloc_cu == 32.0  # the refused one left no trace


def test_memory_limit_refuses_with_vim_emu_message():
    rm = registered(UpbSimpleCloudDcRM(max_cu=100, max_mu=2048))
    for i in range(2):
        rm.allocate(StandIn("x%d" % i, "xlarge"))
    with pytest.raises(NotEnoughResourcesAvailable, match="Not enough memory"):
        rm.allocate(StandIn("x3", "xlarge"))
    assert rm.dc_alloc_cu == 32.0 and rm.dc_alloc_mu == 2048.0


def test_free_gives_back():
    rm = registered(UpbSimpleCloudDcRM(max_cu=100, max_mu=2048))
    d = StandIn("c", "tiny")
    rm.allocate(d)
    assert rm.dc_alloc_cu == 0.5
    assert rm.free(d) is True
    assert rm.dc_alloc_cu == 0 and rm.dc_alloc_mu == 0
    assert rm.free(d) is False


def test_shares_split_over_all_models():
    registrar = ResourceModelRegistrar(1.0, 512)
    a, b = UpbSimpleCloudDcRM(max_cu=10), UpbSimpleCloudDcRM(max_cu=30)
    registrar.register("dc1", a)
    registrar.register("dc2", b)
    d = StandIn("c", "small")
    a.allocate(d)
    assert d.cpu[1] / d.cpu[0] == pytest.approx(1.0 / 40)


def test_overprovisioning_factors():
    rm = registered(UpbOverprovisioningCloudDcRM(max_cu=3, max_mu=2048))
    nodes, factors = [], []
    for i in range(5):
        node = StandIn("s%d" % i, "small")
        nodes.append(node)
        rm.allocate(node)
        factors.append(rm.cpu_op_factor)
    assert factors[2:] == pytest.approx([1.0, 0.75, 0.6])
    # every container was re-limited to the shrunken share
    assert all(n.cpu[1] / n.cpu[0] == pytest.approx(1.0 / 3 * 0.6) for n in nodes)
    assert nodes[0].mem == nodes[4].mem


def test_dummy_model_only_counts():
    rm = registered(UpbDummyRM(max_cu=1, max_mu=2048))
    first, second = StandIn("a", "small"), StandIn("b", "small")
    rm.allocate(first)
    rm.allocate(second)
    assert len(rm._allocated_compute_instances) == 2
    assert first.cpu is None and second.mem is None


def test_allocation_log_is_json_lines(tmp_path):
    rm = registered(UpbSimpleCloudDcRM(max_cu=100, max_mu=2048))
    d = StandIn("c", "tiny")
    log = tmp_path / "rm.jsonl"
    rm.allocate(d)
    rm.write_allocation_log(d, str(log))
    rm.free(d)
    rm.write_free_log(d, str(log))
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["action"] for e in entries] == ["allocate", "free"]
    assert entries[0]["rm_state"]["dc_alloc_cu"] == 0.5
    state = entries[0]["container_state"]
    assert state["cpu_quota"] / state["cpu_period"] == 0.005


def test_unknown_flavor_is_refused():
    rm = registered(UpbSimpleCloudDcRM())
    with pytest.raises(NotEnoughResourcesAvailable, match="Unknown flavor 'huge'"):
        rm.allocate(StandIn("c", "huge"))
