"""A running service instance: carries out an InstancePlan and undoes it.

deploy() starts the containers (concurrently), the service access points,
the E-Line chains and E-LANs (all under the instance's own cookie), then
the units' start commands.  If any step fails, everything started so far is
removed again before the error is raised.  terminate() runs the stop
commands (bounded by a timeout, not a fixed wait) and removes containers,
SAPs, flows and VLANs, and gives the subnets back.
"""

import contextlib
import logging
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from emuvim.api.errors import HttpError, as_http_error
from emuvim.api.tango.package import load_yaml
from emuvim.api.tango.plan import CONTAINER_SAP
from emuvim.api.tango.service import E_LINE
from emuvim.dcemulator.switch import PortBatch

log = logging.getLogger(__name__)

START_VARS = ("SON_EMU_CMD", "VIM_EMU_CMD")       # the descriptor's command wins
STOP_VARS = ("SON_EMU_CMD_STOP", "VIM_EMU_CMD_STOP")


def load_env_file(folder, container_name):
    """`<folder>/<container>.env.yml` as a dict of strings ({} if there is none)."""
    if not folder:
        return {}
    path = os.path.join(os.path.expanduser(folder), "%s.env.yml" % container_name)
    if not os.path.exists(path):
        return {}
    data = load_yaml(path, "environment file %s" % path)
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


@contextlib.contextmanager
def client_errors(what):
    """Re-raise the core's refusals as HttpErrors (one status table for every
    API, see emuvim.api.errors), prefixed with `what`; anything else as it is."""
    try:
        yield
    except HttpError:
        raise
    except Exception as err:
        mapped = as_http_error(err, what)
        if mapped is None:
            raise
        raise mapped from err


class ServiceInstance:
    def __init__(self, uuid, service_uuid, service, plan, net, cookie, options, rules):
        self.uuid = uuid
        self.service_uuid = service_uuid
        self.service = service
        self.plan = plan
        self.net = net
        self.cookie = cookie
        self.options = options          # LlcmOptions
        self.rules = rules              # plan.DeploymentRules
        self.name = "%s-inst.%d" % (service.instance_prefix, plan.ssiid)
        self.created_at = time.time()
        self.status = "deploying"
        self._units = {}                # name -> Datacenter, of started containers
        self._saps = []                 # SapPlans of started SAPs
        self._lans = []
        self._announced = []        # entries of net.deployed_elines/elans
        self._lock = threading.Lock()
        # The switch ports of all units and SAP containers: one OVSDB transaction.
        self._ports = PortBatch()

    @property
    def ssiid(self):
        return self.plan.ssiid

    # -- deploy -----------------------------------------------------------------------

    def deploy(self):
        phases, mark = {}, time.monotonic()
        steps = (
            ("containers", lambda: self._parallel([(self._start_unit, u)
                                                   for u in self.plan.units])),
            ("saps", lambda: self._parallel([(self._start_sap, s) for s in self.plan.saps])),
            ("ports", self._ports.commit),
            ("links", self._connect_all),
            ("start commands", lambda: self._parallel([(self._start_command, name)
                                                       for name in list(self._units)])),
        )
        try:
            for phase, step in steps:
                step()
                phases[phase], mark = time.monotonic() - mark, time.monotonic()
        except BaseException as err:
            log.warning("instance %s failed (%s): rolling back", self.name, err)
            self.status = "failed"
            self.terminate(run_stop_commands=False)
            raise
        self.status = "running"
        log.info("instance %s deployed: %s", self.name,
                 ", ".join("%s %.2f s" % item for item in phases.items()))

    def _parallel(self, calls):
        """Run calls concurrently; the first error is raised after all finished."""
        if not calls:
            return
        with ThreadPoolExecutor(max_workers=self.options.max_workers) as pool:
            futures = [pool.submit(fn, arg) for fn, arg in calls]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]

    def _start_container(self, dc, name, **args):
        with client_errors("cannot start %s on %s" % (name, dc.label)):
            node = dc.startCompute(name, port_batch=self._ports, **args)
        if node is None:
            raise HttpError(409, "the resource model of PoP %s refuses %s" % (dc.label, name))
        with self._lock:
            self._units[name] = dc
        return node

    def _start_unit(self, unit_plan):
        unit = unit_plan.unit
        env = dict(unit.environment)
        env.update(load_env_file(self.options.env_conf_folder, unit_plan.name))
        bindings = {port: (self.options.publish_ip, host)
                    for port, host in unit_plan.port_bindings.items()}
        args = dict(unit.create_args)
        args.update(self.rules.unit_extras(unit_plan, self.service_uuid))
        node = self._start_container(
            unit_plan.dc, unit_plan.name, image=unit.image, network=unit_plan.interfaces,
            properties=env, ports=list(unit.ports), port_bindings=bindings,
            publish_all_ports=False, type="vnf", **args)
        if unit.docker_intf_name:
            with client_errors("cannot rename %s's Docker interface" % unit_plan.name):
                node.rename_docker_intf(unit.docker_intf_name)

    def _start_sap(self, sap):
        if sap.kind == CONTAINER_SAP:
            self._start_container(sap.dc, sap.name, image=self.options.sap_image,
                                  network=[{"id": sap.interface, "ip": sap.ip}], type="sap")
        else:
            with client_errors("cannot attach SAP %s" % sap.name):
                sap.dc.attachExternalSAP(sap.name, str(sap.subnet),
                                         sap_ip=sap.ip.split("/")[0])
        with self._lock:
            self._saps.append(sap)

    def _connect_all(self):
        """Every E-Line in one flow batch (all or none), then the E-LANs."""
        lines = [link for link in self.plan.links if link.kind == E_LINE]
        with client_errors("cannot deploy the E-Lines %s" % ", ".join(l.id for l in lines)):
            self.net.setChains([
                {"vnf_src_name": src, "vnf_src_interface": src_intf, "vnf_dst_name": dst,
                 "vnf_dst_interface": dst_intf, "cookie": self.cookie,
                 "bidirectional": self.options.bidirectional_chain}
                for (src, src_intf), (dst, dst_intf) in (l.members for l in lines)])
        for link in self.plan.links:
            if link.kind != E_LINE:
                with client_errors("cannot deploy virtual link %s" % link.id):
                    self._lans.append(self.net.setLAN(
                        [{"name": name, "interface": intf} for name, intf in link.members],
                        cookie=self.cookie))
        self._announce_links()

    def _announce_links(self):
        """The deployed links in net.deployed_elines/deployed_elans, as son-emu
        filled them (its tests read them): the virtual link with its
        connection_points_reference as "<container>:<interface>"."""
        for link in self.plan.links:
            entry = {"id": link.id, "connectivity_type": link.kind, "instance": self.uuid,
                     "connection_points_reference": [
                         "%s:%s" % (name, intf) if intf else name
                         for name, intf in link.members]}
            (self.net.deployed_elines if link.kind == E_LINE
             else self.net.deployed_elans).append(entry)
            self._announced.append(entry)

    def _withdraw_links(self):
        for entry in self._announced:
            for listing in (self.net.deployed_elines, self.net.deployed_elans):
                if entry in listing:
                    listing.remove(entry)
        self._announced = []

    def _node(self, name):
        return self.net.getNodeByName(name)

    def _start_command(self, name):
        command = self._node(name).start_vnf_command(START_VARS)
        if command:
            log.info("%s: started %r", name, command)

    # -- terminate --------------------------------------------------------------------

    def terminate(self, run_stop_commands=True):
        """Remove everything this instance created; errors are logged, not raised."""
        self.status = "terminating"
        if run_stop_commands:
            self._best_effort(self._stop_command, list(self._units))
        self._withdraw_links()
        self._best_effort(lambda cookie: self.net.deleteChainsByCookie(cookie), [self.cookie])
        self._best_effort(self.net.delLAN, list(self._lans))
        self._lans = []
        self._best_effort(self._remove_sap, list(self._saps))
        self._best_effort(self._stop_unit, list(self._units.items()))
        self.plan.release_subnets()
        self.status = "terminated"

    def _best_effort(self, fn, items):
        if not items:
            return
        with ThreadPoolExecutor(max_workers=self.options.max_workers) as pool:
            for item, future in zip(items, [pool.submit(fn, i) for i in items]):
                if future.exception() is not None:
                    log.warning("instance %s: cleaning up %s failed: %s", self.name,
                                item, future.exception())

    def _stop_command(self, name):
        try:
            self._node(name).stop_vnf_command(self.options.stop_timeout, STOP_VARS)
        except subprocess.TimeoutExpired:
            log.warning("%s: stop command still running after %.0f s; removing it anyway",
                        name, self.options.stop_timeout)

    def _remove_sap(self, sap):
        if sap.kind == CONTAINER_SAP:
            self._stop_unit((sap.name, sap.dc))
        else:
            sap.dc.removeExternalSAP(sap.name)
        with self._lock:
            self._saps.remove(sap)

    def _stop_unit(self, entry):
        name, dc = entry
        if name in dc.containers:
            dc.stopCompute(name)
        with self._lock:
            self._units.pop(name, None)

    # -- views ------------------------------------------------------------------------

    def summary(self):
        return {"uuid": self.uuid, "service_uuid": self.service_uuid,
                "instance_name": self.name, "status": self.status,
                "created_at": self.created_at}

    def group(self):
        """What a view needs to draw this instance around its VNFs."""
        return {"uuid": self.uuid, "name": self.name, "status": self.status,
                "cookie": self.cookie, "vnfs": [u.name for u in self.plan.units],
                "saps": [s.name for s in self.plan.saps],
                "links": [{"id": l.id, "type": l.kind, "subnet": str(l.subnet)}
                          for l in self.plan.links]}

    def details(self):
        result = self.summary()
        result["cookie"] = self.cookie
        result["warnings"] = list(self.service.warnings) + list(self.plan.skipped)
        result["units"] = [{
            "name": u.name, "vnf_id": u.vnf_id, "unit_id": u.unit.id, "image": u.unit.image,
            "datacenter": u.dc.label, "interfaces": u.interfaces,
            "published_ports": u.port_bindings} for u in self.plan.units]
        result["saps"] = [{"name": s.name, "cp": s.cp, "datacenter": s.dc.label, "ip": s.ip,
                           "kind": s.kind} for s in self.plan.saps]
        result["virtual_links"] = [{"id": l.id, "type": l.kind, "subnet": str(l.subnet),
                                    "members": ["%s:%s" % (n, i) if i else n
                                                for n, i in l.members]}
                                   for l in self.plan.links]
        return result
