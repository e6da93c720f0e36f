"""How the SONATA dummy gatekeeper deployed a service, as LLCM deployment rules.

* One container per VNF, named after its vnf_id (``empty_vnf1``); a second
  instance of the service gets ``empty_vnf1.1`` and so on.  (A VNF of several
  units gets ``<vnf_id>.<unit id>``.)
* Interfaces are named after the VNF-level connection points (``mgmt``,
  ``input``, ``output``), not after the VDU's.
* NS connection points of type ``external`` are host-side SAPs; the others
  (``internal``, ``management``, or SONATA's older ``interface``) are SAP
  containers when deploy_sap is on, and left out otherwise.
* Subnets: an E-Line to a host-side SAP gets a /30 of 10.10.0.0/16, an E-Line
  between VNFs a /30 of 10.30.0.0/16, an E-LAN a /24 of 10.20.0.0/16.
* Each VNF gets a shared folder at /mnt/share for its results.
"""

import os

from emuvim.api.tango.plan import (CONTAINER_SAP, EXT_SAP, NS_CP_PREFIX, DeploymentRules,
                                   SubnetPool)
from emuvim.api.tango.service import E_LINE, VNF_CP_PREFIX, use_docker_management
from emuvim.dcemulator.links import clean_intf_id

SAP_POOL = "10.10.0.0/16"
ELAN_POOL = "10.20.0.0/16"
ELINE_POOL = "10.30.0.0/16"
EXTERNAL = "external"
RESULTS_MOUNT = "/mnt/share/"


class SonataRules(DeploymentRules):
    def __init__(self, deploy_sap=False, docker_management=False, results_dir=None,
                 sap_pool=SAP_POOL, eline_pool=ELINE_POOL, elan_pool=ELAN_POOL):
        super().__init__(eline_pool, elan_pool, deploy_sap, docker_management,
                         eline_prefixlen=30)
        self.sap_pool = SubnetPool(sap_pool, 30)
        self.results_dir = results_dir

    def pools(self):
        return [self.sap_pool, self.eline_pool, self.elan_pool]

    def adapt(self, service):
        for vnf in service.vnfs.values():
            name_interfaces_after_vnf_cps(vnf)
        if self.docker_management:
            use_docker_management(service)
        return service

    def unit_name(self, vnf, unit, ssiid):
        name = vnf.vnf_id if len(vnf.units) == 1 else "%s.%s" % (vnf.vnf_id, unit.id)
        return name if ssiid == 0 else "%s.%d" % (name, ssiid)

    def sap_kind(self, service, cp):
        if service.ns_cp_types.get(cp) == EXTERNAL:
            return EXT_SAP
        return CONTAINER_SAP if self.sap_containers else None

    def sap_container(self, cp, ssiid):
        stem = cp[len(NS_CP_PREFIX):] if cp.startswith(NS_CP_PREFIX) else cp
        name = "sap_%s" % stem
        return (name if ssiid == 0 else "%s.%d" % (name, ssiid)), stem

    def pool(self, link, sap_kinds):
        if link.kind != E_LINE:
            return self.elan_pool
        return self.sap_pool if EXT_SAP in sap_kinds else self.eline_pool

    def unit_extras(self, unit_plan, service_uuid):
        """The VNF's results folder, <run dir>/results/<service>/<vnf_id>, at /mnt/share."""
        root = self.results_dir or os.path.join(unit_plan.dc.net.record.path, "results")
        folder = os.path.join(root, service_uuid, unit_plan.vnf_id)
        os.makedirs(folder, exist_ok=True)
        return {"volumes": ["%s:%s" % (folder, RESULTS_MOUNT)]}


def vnf_cp_name(cp):
    """'vnf:input' and 'input' are both the interface 'input'."""
    return clean_intf_id(cp[len(VNF_CP_PREFIX):] if cp.startswith(VNF_CP_PREFIX) else cp)


def name_interfaces_after_vnf_cps(vnf):
    """Rename each unit connection point to the VNF-level one it stands for.

    A unit CP behind exactly one VNF CP takes that CP's name, unless another
    CP of the same unit has the name already; the rest keep their own ids.
    """
    owners = {}
    for cp, pairs in vnf.cp_map.items():
        for pair in pairs:
            owners.setdefault(pair, set()).add(vnf_cp_name(cp))
    renames = {}
    for unit in vnf.units:
        taken = {c["id"] for c in unit.cps}
        for cp in unit.cps:
            names = owners.get((unit.id, cp["id"]), set())
            if len(names) == 1:
                new = next(iter(names))
                if new != cp["id"] and new not in taken:
                    renames[(unit.id, cp["id"])] = new
                    taken.add(new)
        for cp in unit.cps:
            cp["id"] = renames.get((unit.id, cp["id"]), cp["id"])
    vnf.cp_map = {cp: [(u, renames.get((u, c), c)) for u, c in pairs]
                  for cp, pairs in vnf.cp_map.items()}
    for link in vnf.internal_links:
        for end in link.endpoints:
            end.cp = renames.get((end.unit_id, end.cp), end.cp)
