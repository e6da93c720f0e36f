"""The 5GTANGO lightweight lifecycle manager: catalogue, instances, teardown.

`TangoLLCM` holds all state of one LLCM (no module globals, unlike
vim-emu): its storage folder, on-boarded services, running instances,
subnet pools and options.  The HTTP layer (app.py) and the vim-emu style
wrapper (endpoint.py) sit on top.  Placement classes are importable from
here, as in vim-emu.
"""

import logging
import os
import shutil
import tempfile
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass

from emuvim.api.tango.instance import ServiceInstance
from emuvim.api.errors import HttpError, status_of
from emuvim.api.tango.package import NAPD_PATH, PackageError, read_descriptors, unpack
from emuvim.api.tango.placement import (  # noqa: F401  (vim-emu's import paths too)
    FirstDcPlacement, PlacementAlgorithm, PlacementError, RoundRobinDcPlacement,
    StaticConfigPlacement)
from emuvim.api.tango.plan import ELAN_POOL, ELINE_POOL, DeploymentRules, plan_instance
from emuvim.api.tango.service import parse_service
from emuvim.dcemulator import hostaccess
from emuvim.dcemulator.docker_engine import DEFAULT_IMAGE
from emuvim.dcemulator.docker_host import IMAGE_REFERENCE

log = logging.getLogger(__name__)

# What reading a descriptor may raise beyond PackageError.
PARSER_SLIPS = (TypeError, AttributeError, LookupError, ValueError, OverflowError,
                RecursionError, UnicodeError)

COOKIE_BASE = 0x7A000    # LLCM instances use the lowest free cookie from here
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


@dataclass
class LlcmOptions:
    deploy_sap: bool = False
    docker_management: bool = False
    auto_deploy: bool = False
    auto_delete: bool = False
    sap_image: str = DEFAULT_IMAGE
    env_conf_folder: str = None
    bidirectional_chain: bool = True
    stop_timeout: float = 10.0       # s to wait for a unit's stop command
    publish_ip: str = "127.0.0.1"    # host address published ports bind to
    max_workers: int = 8
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_unpacked_bytes: int = 256 << 20    # one package, unpacked
    max_catalog_bytes: int = 2 << 30       # all on-boarded packages, unpacked
    min_free_bytes: int = 256 << 20        # left free on the storage's disk
    network_start_timeout: float = 120.0  # s an instantiation waits for net.start()
    # vim-emu's ranges (public address space: host-side SAPs route the /24s
    # in use to the emulator while an instance runs); any prefix shorter
    # than /24 works.
    eline_pool: str = ELINE_POOL
    elan_pool: str = ELAN_POOL


@dataclass
class OnboardedService:
    uuid: str
    service: object                  # service.Service
    content: object                  # package.PackageContent
    folder: str
    size: int
    sha1: str
    created_at: float
    unpacked_bytes: int = 0

    def package_summary(self):
        napd = self.content.napd
        return {"uuid": self.uuid, "pd": {"name": napd.get("name"),
                                          "version": str(napd.get("version")),
                                          "vendor": napd.get("vendor")},
                "created_at": self.created_at, "sha1": self.sha1, "size": self.size}

    def service_summary(self):
        s = self.service
        return {"uuid": self.uuid, "nsd": {"name": s.name, "version": s.version,
                                           "vendor": s.vendor},
                "created_at": self.created_at, "warnings": list(s.warnings)}


class TangoFormat:
    """5GTANGO packages (.tgo): TOSCA-Metadata/NAPD.yaml lists the descriptors."""
    name = "5GTANGO"
    marker = NAPD_PATH

    def load(self, folder, engine):
        content = read_descriptors(folder)
        return content, parse_service(content)


def package_formats():
    """Every package format an LLCM reads, whichever REST dialect it speaks."""
    from emuvim.api.sonata.package import SonataFormat  # sonata builds on this module
    return [TangoFormat(), SonataFormat()]


class TangoLLCM:
    """The lifecycle engine: catalogue, planning, instances, teardown.

    `rules` (plan.DeploymentRules) decide names, SAP kinds and subnets: the
    5GTANGO LLCM's by default, the SONATA gatekeeper's in emuvim.api.sonata.
    Both read both package formats.
    """

    kind = "5GTANGO LLCM"     # how views name this engine; the SONATA front end renames it

    def __init__(self, placement=None, options=None, storage_dir=None, rules=None):
        self.placement = placement or RoundRobinDcPlacement()
        self.options = options or LlcmOptions()
        self.rules = rules or DeploymentRules(self.options.eline_pool, self.options.elan_pool,
                                              self.options.deploy_sap,
                                              self.options.docker_management)
        self.formats = package_formats()
        self.dcs = {}
        self.services = {}
        self.instances = {}
        self._own_storage = storage_dir is None
        self._recorded = []
        self._reserved = 0          # bytes of packages being unpacked now
        self.storage_dir = storage_dir or tempfile.mkdtemp(prefix="emuvim-llcm-")
        for sub in ("uploads", "catalog/services"):
            os.makedirs(os.path.join(self.storage_dir, sub), exist_ok=True)
        self._lock = threading.RLock()

    # -- PoPs -----------------------------------------------------------------------

    def connectDatacenter(self, dc):
        self.dcs[dc.label] = dc
        net = getattr(dc, "net", None)
        if net is not None:
            net.add_service_source(self)
            if self._own_storage and net.record is not None and net not in self._recorded:
                # a SIGKILLed run's storage is then removed by `vim-emu clean`
                net.record.add_path(self.storage_dir)
                self._recorded.append(net)

    def service_groups(self):
        """The running instances as the network's views show them (dashboard)."""
        with self._lock:
            instances = list(self.instances.values())
        return [dict(instance.group(), kind=self.kind) for instance in instances]

    @property
    def net(self):
        if not self.dcs:
            raise HttpError(409, "the LLCM has no PoP connected")
        return next(iter(self.dcs.values())).net

    @property
    def eline_pool(self):
        return self.rules.eline_pool

    @property
    def elan_pool(self):
        return self.rules.elan_pool

    @property
    def upload_dir(self):
        return os.path.join(self.storage_dir, "uploads")

    # -- catalogue ------------------------------------------------------------------

    def onboard(self, archive_path, size, sha1):
        """Unpack, read and check a package; returns its new service uuid."""
        service_uuid = str(uuidlib.uuid4())
        folder = os.path.join(self.storage_dir, "catalog", "services", service_uuid)
        admitted = []
        try:
            unpacked = unpack(archive_path, folder, self.options.max_unpacked_bytes,
                              admit=lambda total: admitted.append(self._admit(total)))
            content, service = self._read_package(folder)
            self.rules.adapt(service)
            self._check_deployable(service, content)
        except PARSER_SLIPS as err:
            shutil.rmtree(folder, ignore_errors=True)
            if status_of(err) is not None:     # a refusal (PackageError, ...): as it is
                raise
            # A descriptor the shape checks let through and the parser choked
            # on: still the package's fault (422), and a bug of ours to log.
            log.exception("package %s: unexpected parser error", service_uuid)
            raise PackageError("the package's descriptors cannot be used: %s: %s" % (
                type(err).__name__, err), 422) from err
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            with self._lock:
                self._reserved -= sum(admitted)
        record = OnboardedService(service_uuid, service, content, folder, size, sha1,
                                  time.time(), unpacked)
        if self.options.auto_delete:
            self.terminate_all()
        with self._lock:
            self.services[service_uuid] = record
        log.info("on-boarded %s as %s", service.instance_prefix, service_uuid)
        for warning in service.warnings:
            log.warning("%s: %s", service.instance_prefix, warning)
        if self.options.auto_deploy:
            self.instantiate(service_uuid=service_uuid)
        return service_uuid

    def _admit(self, total):
        """Reserve `total` bytes of the catalogue for a package being unpacked,
        or refuse: 413 beyond the catalogue's limit, 507 when the disk is short."""
        options = self.options
        with self._lock:
            held = sum(r.unpacked_bytes for r in self.services.values()) + self._reserved
            if held + total > options.max_catalog_bytes:
                raise PackageError(
                    "the catalogue holds %d bytes of unpacked packages; this one (%d bytes) "
                    "would pass the limit of %d: remove services first (DELETE "
                    "/services/<uuid>)" % (held, total, options.max_catalog_bytes), 413)
            free = shutil.disk_usage(self.storage_dir).free
            if free - total < options.min_free_bytes:
                raise PackageError("the disk of %s has %d bytes free; unpacking %d bytes "
                                   "would leave less than %d" % (
                                       self.storage_dir, free, total, options.min_free_bytes),
                                   507)
            self._reserved += total
        return total

    def _read_package(self, folder):
        """(content, service) of an unpacked package, in whichever format it is."""
        for package_format in self.formats:
            if os.path.isfile(os.path.join(folder, package_format.marker)):
                content, service = package_format.load(folder, self.net.docker_engine)
                content.format = package_format.name
                return content, service
        raise PackageError("not a service package: it has neither %s" % " nor ".join(
            "%s (%s)" % (f.marker, f.name) for f in self.formats), 422)

    def _check_deployable(self, service, content):
        """Host access as the emulator allows, images present locally, and a
        plan can be made (addresses, links)."""
        for vnf in service.vnfs.values():
            for unit in vnf.units:
                where = "VNF %s unit %s" % (vnf.vnf_id, unit.id)
                hostaccess.check(unit.create_args, self.net.allow_host_access, where)
                if not IMAGE_REFERENCE.match(unit.image):
                    raise PackageError("%s: image %r is not a Docker image reference (like "
                                       "emuvim/base:latest)" % (where, unit.image), 422)
        missing = [i for i in service.images() if not self.net.docker_engine.image_exists(i)]
        if missing:
            raise PackageError("image(s) not found locally: %s. Nothing is pulled from a "
                               "registry; build them first (docker build -t <image> <folder "
                               "with its Dockerfile>)%s" % (", ".join(missing), (
                                   ", or add docker_files/<vnf>/Dockerfile to the .son"
                                   if content.format == "SONATA" else "")), 422)
        first = dict(list(self.dcs.items())[:1])
        plan = plan_instance(service, 0, FirstDcPlacement(), first, self.rules.scratch(),
                             "00000000")
        plan.release_subnets()

    def find_service(self, service_uuid=None, service_name=None):
        with self._lock:
            if not self.services:
                raise HttpError(404, "No service on-boarded.")
            # vim-emu matched names in service_uuid too (tng-cli and tng-bench send them).
            for key in (service_uuid, service_name):
                if key in (None, "", "latest"):
                    continue
                record = self.services.get(key) or self._find_by_name(key)
                if record is None:
                    raise HttpError(404, "Service %r not found: neither an on-boarded service's "
                                    "uuid nor its package or service name" % key)
                return record
            return list(self.services.values())[-1]

    def _find_by_name(self, name):
        """The latest on-boarded service whose package or NSD has this name
        (plain, or vendor.name.version as in the .tgo's file name)."""
        for record in reversed(list(self.services.values())):
            s, napd = record.service, record.content.napd
            package_id = "%s.%s.%s" % (napd.get("vendor"), napd.get("name"), napd.get("version"))
            if name in (record.content.name, package_id, s.name, s.instance_prefix):
                return record
        return None

    def remove_service(self, service_uuid):
        """Drop an on-boarded service from the catalogue (none of its instances may run)."""
        with self._lock:
            record = self.services.get(service_uuid)
            if record is None:
                raise HttpError(404, "Service %s not found" % service_uuid)
            if any(i.service_uuid == service_uuid for i in self.instances.values()):
                raise HttpError(409, "Service %s has instances; terminate them first"
                                % service_uuid)
            del self.services[service_uuid]
        shutil.rmtree(record.folder, ignore_errors=True)

    # -- instances ------------------------------------------------------------------

    def instantiate(self, service_uuid=None, service_name=None):
        """Deploy a new instance (synchronously); returns its uuid."""
        record = self.find_service(service_uuid, service_name)
        self._wait_until_network_started()
        instance_uuid = str(uuidlib.uuid4())
        with self._lock:
            taken = {i.ssiid for i in self.instances.values() if i.service_uuid == record.uuid}
            ssiid = next(n for n in range(len(taken) + 1) if n not in taken)
            try:
                plan = plan_instance(record.service, ssiid, self.placement, self.dcs,
                                     self.rules, instance_uuid.replace("-", ""))
            except PlacementError as err:
                raise HttpError(422, "placement failed: %s" % err) from err
            instance = ServiceInstance(instance_uuid, record.uuid, record.service, plan,
                                       self.net, self._new_cookie(), self.options,
                                       self.rules)
            self.instances[instance_uuid] = instance
        try:
            instance.deploy()
        except BaseException:
            with self._lock:
                self.instances.pop(instance_uuid, None)
            raise
        log.info("instance %s (%s) running", instance.name, instance_uuid)
        return instance_uuid

    def _wait_until_network_started(self):
        """vim-emu scripts start their APIs before net.start(): a request that
        arrives in between waits for the network instead of failing."""
        deadline = time.monotonic() + self.options.network_start_timeout
        while self.net.stopped or not self.net.started:
            if self.net.stopped or time.monotonic() > deadline:
                raise HttpError(503, "the emulated network is not running (net.start() has not "
                                "finished, or it was stopped)")
            time.sleep(0.05)

    def _new_cookie(self):
        used = {i.cookie for i in self.instances.values()}
        cookie = self.net.unused_cookie(COOKIE_BASE)
        while cookie in used:
            cookie = self.net.unused_cookie(cookie + 1)
        return cookie

    def terminate(self, service_uuid=None, instance_uuid=None):
        """Terminate one instance, a service's instances, or all; returns how many."""
        with self._lock:
            if not self.services:
                raise HttpError(404, "No service on-boarded.")
            if instance_uuid:
                if instance_uuid not in self.instances:
                    raise HttpError(404, "Service instance %s not found" % instance_uuid)
                instance = self.instances[instance_uuid]
                if instance.status != "running":
                    raise HttpError(409, "instance %s is %s" % (instance_uuid, instance.status))
                doomed = [instance]
            elif service_uuid:
                if service_uuid not in self.services:
                    raise HttpError(404, "Service %s not found" % service_uuid)
                doomed = [i for i in self.instances.values() if i.service_uuid == service_uuid]
            else:
                doomed = list(self.instances.values())
        return self._terminate_running(doomed)

    def terminate_all(self):
        """Every running instance (auto_delete, exit, close); never refuses."""
        with self._lock:
            doomed = list(self.instances.values())
        return self._terminate_running(doomed)

    def _terminate_running(self, instances):
        with self._lock:
            doomed = [i for i in instances if i.status == "running"]
            for instance in doomed:
                instance.status = "terminating"
        for instance in doomed:
            instance.terminate()
            with self._lock:
                self.instances.pop(instance.uuid, None)
        return len(doomed)

    def running_instances(self, service_uuid=None):
        """Uuids of the running instances (of one service), oldest first."""
        with self._lock:
            return [i.uuid for i in self.instances.values() if i.status == "running" and
                    service_uuid in (None, i.service_uuid)]

    def list_instances(self):
        with self._lock:
            return [i.summary() for i in self.instances.values()]

    def instance_details(self, instance_uuid):
        with self._lock:
            if instance_uuid not in self.instances:
                raise HttpError(404, "Service instance %s not found" % instance_uuid)
            return self.instances[instance_uuid].details()

    # -- shutdown -------------------------------------------------------------------

    def close(self, terminate_instances=False):
        if terminate_instances:
            self.terminate_all()
        for dc in self.dcs.values():
            if getattr(dc, "net", None) is not None:
                dc.net.remove_service_source(self)
        if self._own_storage:
            shutil.rmtree(self.storage_dir, ignore_errors=True)


# -- vim-emu's module-level helpers (its LLCM tests and tools import them) ---------------


def initialize_GK():
    """vim-emu's reset of its one global gatekeeper, kept for scripts that call it.

    emuvim has no global gatekeeper: every TangoLLCMEndpoint owns its
    catalogue, instances, subnet pools and placement state, and a new
    endpoint starts from the defaults.  So there is nothing shared to reset,
    and nothing one emulator did can leak into the next one's LLCM.
    Returns None, as vim-emu's did.
    """
    log.debug("initialize_GK(): every LLCM endpoint has its own state; nothing to reset")


def parse_interface(interface_name):
    """"vnf:intf" -> ("vnf", "intf"); a name without ':' -> (None, name), as in vim-emu."""
    vnf_id, sep, interface = str(interface_name).partition(":")
    return (vnf_id, interface) if sep else (None, vnf_id)

