"""Resource models: how much CPU and memory a PoP grants its compute nodes.

This module holds the pieces every model shares (flavors, the registrar that
knows the emulation's total CPU/memory, bookkeeping); concrete models that
apply limits to containers live in submodules.
"""

import logging

log = logging.getLogger(__name__)

CPU_PERIOD = 100000        # Docker's default CFS period: 100 ms
MIN_CPU_QUOTA = 1000       # the kernel's smallest CFS quota: 1 ms
MAX_CPU_PERIOD = 1000000   # the kernel's longest CFS period: 1 s


def cpu_limit(cpus):
    """Docker's cpu_period/cpu_quota for a share of `cpus` CPUs (None or <= 0: no limit).

    Every API and model limits CPU through this.  The period is Docker's
    100 ms; only a share so small that its quota would fall below the
    kernel's 1 ms minimum gets a longer period (up to 1 s), so quota/period
    is still the share (0.005 CPUs: 1000/200000).
    """
    if cpus is None or cpus <= 0:
        return {"cpu_period": CPU_PERIOD, "cpu_quota": -1}
    period = CPU_PERIOD
    if cpus * period < MIN_CPU_QUOTA:
        period = min(MAX_CPU_PERIOD, int(round(MIN_CPU_QUOTA / cpus)))
    return {"cpu_period": period, "cpu_quota": max(MIN_CPU_QUOTA, int(round(cpus * period)))}


class NotEnoughResourcesAvailable(Exception):
    """A PoP's resource model refuses an allocation."""


class ResourceFlavor:
    """A named set of resource metrics (compute units, memory units, disk)."""

    def __init__(self, name, metrics):
        self.name = name
        self._metrics = dict(metrics)

    def get(self, key):
        return self._metrics[key]

    def __repr__(self):
        return "ResourceFlavor(%r, %r)" % (self.name, self._metrics)


DEFAULT_FLAVORS = {
    "tiny": {"compute": 0.5, "memory": 32, "disk": 1},
    "small": {"compute": 1.0, "memory": 128, "disk": 20},
    "medium": {"compute": 4.0, "memory": 256, "disk": 40},
    "large": {"compute": 8.0, "memory": 512, "disk": 80},
    "xlarge": {"compute": 16.0, "memory": 1024, "disk": 160},
}


class ResourceModelRegistrar:
    """Knows the emulation's CPU/memory budget and which PoP uses which model."""

    def __init__(self, dc_emulation_max_cpu, dc_emulation_max_mem):
        self.e_cpu = dc_emulation_max_cpu
        self.e_mem = dc_emulation_max_mem
        self._resource_models = {}

    def register(self, dc, rm):
        if dc in self._resource_models:
            raise ValueError("data center %s already has a resource model" % dc)
        self._resource_models[dc] = rm
        rm.registrar = self
        rm.dcs.append(dc)
        log.info("registered resource model %r for %s", rm, dc)

    @property
    def resource_models(self):
        return list(self._resource_models.values())

    @property
    def num_dcs_with_rms(self):
        return len(self._resource_models)


class BaseResourceModel:
    """Bookkeeping only: tracks which compute node uses which flavor."""

    def __init__(self):
        self._flavors = {}
        self._allocated_compute_instances = {}
        self.registrar = None
        self.dcs = []
        for name, metrics in DEFAULT_FLAVORS.items():
            self.addFlavour(ResourceFlavor(name, metrics))

    def addFlavour(self, flavor):
        if flavor.name in self._flavors:
            raise ValueError("flavor %r already exists" % flavor.name)
        self._flavors[flavor.name] = flavor

    def allocate(self, d):
        self._allocated_compute_instances[d.name] = d.flavor_name

    def free(self, d):
        self._allocated_compute_instances.pop(d.name, None)

    def get_state_dict(self):
        return {}

    def write_allocation_log(self, d, path):
        pass

    def write_free_log(self, d, path):
        pass
