"""UPB resource models: CPU and memory shares per flavor, applied to containers.

A PoP with ``max_cu`` compute units and ``max_mu`` memory units gets its
share of the emulation's budget (``dc_emulation_max_cpu`` as a fraction of
the machine, ``dc_emulation_max_mem`` in MB), split over all PoPs with a
resource model:

    single_cu = e_cpu / sum(max_cu of all models)
    CPU share of a container = single_cu * flavor CU   (CFS quota / period)
    single_mu = e_mem / sum(max_mu of all models)
    memory limit = single_mu * flavor MU  MB

Example (vim-emu's own): e_cpu = 1, max_cu = 100, flavor tiny (0.5 CU) ->
quota/period = 0.005; e_mem = 512, max_mu = 2048, tiny (32 MU) -> 8 MB.
Every allocate/free re-applies the limits to all containers of the model.
"""

import json
import logging
import time

from emuvim.dcemulator.resourcemodel import (BaseResourceModel, NotEnoughResourcesAvailable,
                                             cpu_limit)

log = logging.getLogger(__name__)

MIN_MEM_MB = 4


class UpbSimpleCloudDcRM(BaseResourceModel):
    """Hard limits: refuses containers beyond max_cu / max_mu."""

    def __init__(self, max_cu=32, max_mu=1024, deactivate_cpu_limit=False,
                 deactivate_mem_limit=False):
        super().__init__()
        self.dc_max_cu = max_cu
        self.dc_max_mu = max_mu
        self.dc_alloc_cu = 0.0
        self.dc_alloc_mu = 0.0
        self.single_cu = 0.0
        self.single_mu = 0.0
        self.cpu_op_factor = 1.0
        self.mem_op_factor = 1.0
        self.deactivate_cpu_limit = deactivate_cpu_limit
        self.deactivate_mem_limit = deactivate_mem_limit
        self._containers = {}   # name -> container (EmulatorCompute or a stand-in)
        self._applied = {}      # name -> {"cpu_period", "cpu_quota", "mem_limit"}

    # -- bookkeeping ----------------------------------------------------------------

    def _flavor(self, d):
        if d.flavor_name not in self._flavors:
            raise NotEnoughResourcesAvailable("Unknown flavor %r (known: %s)." % (
                d.flavor_name, ", ".join(sorted(self._flavors))))
        return self._flavors[d.flavor_name]

    def allocate(self, d):
        flavor = self._flavor(d)
        self._allocate_cpu(flavor)
        try:
            self._allocate_mem(flavor)
        except NotEnoughResourcesAvailable:
            self.dc_alloc_cu -= flavor.get("compute")
            raise
        super().allocate(d)
        self._containers[d.name] = d
        self._apply_limits()

    def _allocate_cpu(self, flavor):
        if self.dc_alloc_cu + flavor.get("compute") > self.dc_max_cu:
            raise NotEnoughResourcesAvailable("Not enough compute resources left.")
        self.dc_alloc_cu += flavor.get("compute")

    def _allocate_mem(self, flavor):
        if self.dc_alloc_mu + flavor.get("memory") > self.dc_max_mu:
            raise NotEnoughResourcesAvailable("Not enough memory resources left.")
        self.dc_alloc_mu += flavor.get("memory")

    def free(self, d):
        if d.name not in self._containers:
            return False
        flavor = self._flavor(d)
        self.dc_alloc_cu -= flavor.get("compute")
        self.dc_alloc_mu -= flavor.get("memory")
        super().free(d)
        del self._containers[d.name]
        self._applied.pop(d.name, None)
        self._apply_limits()
        return True

    # -- arithmetic ----------------------------------------------------------------

    def _sum_over_models(self, attribute):
        models = self.registrar.resource_models if self.registrar else [self]
        return float(sum(getattr(rm, attribute) for rm in models))

    def _cpu_share(self, flavor):
        """Fraction of one machine this flavor's container may use."""
        self.single_cu = self.registrar_e_cpu() / self._sum_over_models("dc_max_cu")
        self.single_cu *= self._cpu_overprovisioning()
        return self.single_cu * flavor.get("compute")

    def _cpu_overprovisioning(self):
        return 1.0

    def _mem_limit_mb(self, flavor):
        self.single_mu = self.registrar_e_mem() / self._sum_over_models("dc_max_mu")
        return max(MIN_MEM_MB, self.single_mu * flavor.get("memory"))

    def registrar_e_cpu(self):
        return self.registrar.e_cpu if self.registrar else 1.0

    def registrar_e_mem(self):
        return self.registrar.e_mem if self.registrar else 512

    def limits_for(self, d):
        """{cpu_period, cpu_quota, mem_limit (bytes)} this model grants `d` now."""
        flavor = self._flavor(d)
        return dict(cpu_limit(self._cpu_share(flavor)),
                    mem_limit=int(round(self._mem_limit_mb(flavor) * 1024 * 1024)))

    def _apply_limits(self):
        for name, d in self._containers.items():
            limits = self.limits_for(d)
            applied = self._applied.get(name, {})
            if not self.deactivate_cpu_limit and (
                    applied.get("cpu_quota"), applied.get("cpu_period")) != (
                    limits["cpu_quota"], limits["cpu_period"]):
                d.updateCpuLimit(cpu_period=limits["cpu_period"], cpu_quota=limits["cpu_quota"])
            if not self.deactivate_mem_limit and applied.get("mem_limit") != limits["mem_limit"]:
                d.updateMemoryLimit(mem_limit=limits["mem_limit"])
            self._applied[name] = limits

    # -- state and log ------------------------------------------------------------------

    def get_state_dict(self):
        return {
            "e_cpu": self.registrar_e_cpu(), "e_mem": self.registrar_e_mem(),
            "dc_max_cu": self.dc_max_cu, "dc_max_mu": self.dc_max_mu,
            "dc_alloc_cu": self.dc_alloc_cu, "dc_alloc_mu": self.dc_alloc_mu,
            "single_cu_percentage": self.single_cu, "single_mu_percentage": self.single_mu,
            "cpu_op_factor": self.cpu_op_factor, "mem_op_factor": self.mem_op_factor,
            "allocation_state": {name: dict(limits) for name, limits in self._applied.items()},
        }

    def write_allocation_log(self, d, path):
        self._write_log(d, path, "allocate")

    def write_free_log(self, d, path):
        self._write_log(d, path, "free")

    def _write_log(self, d, path, action):
        if not path:
            return
        entry = {"t": time.time(), "container_state": dict(self._applied.get(d.name, {})),
                 "action": action, "rm_state": self.get_state_dict()}
        with open(path, "a") as out:
            out.write(json.dumps(entry) + "\n")

    def __repr__(self):
        return "%s(max_cu=%s, max_mu=%s)" % (type(self).__name__, self.dc_max_cu, self.dc_max_mu)


class UpbOverprovisioningCloudDcRM(UpbSimpleCloudDcRM):
    """CPU may be over-committed: all shares shrink by max_cu / allocated_cu."""

    def _allocate_cpu(self, flavor):
        self.dc_alloc_cu += flavor.get("compute")

    def _cpu_overprovisioning(self):
        self.cpu_op_factor = float(self.dc_max_cu) / max(self.dc_max_cu, self.dc_alloc_cu)
        return self.cpu_op_factor


class UpbDummyRM(UpbSimpleCloudDcRM):
    """Bookkeeping only: no CPU refusal, no limits applied (memory still refused)."""

    def _allocate_cpu(self, flavor):
        self.dc_alloc_cu += flavor.get("compute")

    def _apply_limits(self):
        pass
