"""SONATA service packages (.son): reading, normalising, building images.

A .son is a zip: ``META-INF/MANIFEST.MF`` (YAML despite its name) names the
entry NSD (``entry_service_template``) and lists the content with content
types; VNFDs are ``application/sonata.function_descriptor`` entries, and
``docker_files/<vnf>/`` may hold the build context of a VNF's image.
Unpacking (and its zip-slip, symlink and size checks) is the LLCM's
(emuvim.api.tango.package.unpack); so is the service model: descriptors are
normalised here into what emuvim.api.tango.service.parse_service reads.

Real packages differ from their schema in small ways that the SONATA
gatekeeper tolerated, and so does this reader: md5 sums that do not match
(a warning), trailing blanks in references, and VDU connection point ids that
carry their VDU's id (``vdu01:cp01``).
"""

import hashlib
import logging
import os
import re
import time
import zipfile

from emuvim.api.tango import shapes
from emuvim.api.tango.package import (PackageContent, PackageError, load_yaml,
                                      safe_member_path)

log = logging.getLogger(__name__)

MANIFEST_PATH = "META-INF/MANIFEST.MF"
NSD_TYPES = ("application/sonata.service_descriptor", "application/sonata.service_descriptors")
VNFD_TYPE = "application/sonata.function_descriptor"
DOCKER_FILES_TYPE = "application/sonata.docker_files"
DOCKER_FILES_DIR = "docker_files"
IMAGE_LABEL = "emuvim.son-image"          # images built from a package's docker_files
BUILD_TIMEOUT = 1800


def invalid(message):
    return PackageError(message, 422)


def package_path(folder, name, what):
    """A MANIFEST path ('/x', 'x' or 'file:///x') as a path inside the package."""
    if not isinstance(name, str) or not name.strip():
        raise invalid("MANIFEST.MF: %s has no path" % what)
    name = name.strip()
    if name.startswith("file://"):
        name = name[len("file://"):]
    if "://" in name:
        raise invalid("MANIFEST.MF: %s %r is not a file in the package" % (what, name))
    try:
        return os.path.join(folder, safe_member_path(name.lstrip("/")))
    except PackageError as err:
        raise invalid("MANIFEST.MF: %s" % err) from err


# -- reading ------------------------------------------------------------------------


def read_son(folder):
    """MANIFEST, NSD and VNFDs of an unpacked .son, normalised (PackageContent)."""
    manifest = load_yaml(os.path.join(folder, MANIFEST_PATH), "MANIFEST (%s)" % MANIFEST_PATH)
    shapes.check(manifest, shapes.MANIFEST, MANIFEST_PATH)
    entries = manifest.get("package_content") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise invalid("MANIFEST.MF: package_content must be a list of mappings")
    nsd_name = manifest.get("entry_service_template") or next(
        (e.get("name") for e in entries if e.get("content-type") in NSD_TYPES), None)
    if not nsd_name:
        raise invalid("MANIFEST.MF names no NSD (entry_service_template, or a package_content "
                      "entry of type %s)" % NSD_TYPES[0])
    vnfd_names = [e.get("name") for e in entries if e.get("content-type") == VNFD_TYPE]
    if not vnfd_names:
        raise invalid("MANIFEST.MF lists no VNFD (content-type %s)" % VNFD_TYPE)
    nsd = checked(load_yaml(package_path(folder, nsd_name, "the NSD"), "NSD"), nsd_name, "NSD")
    vnfds = [checked(load_yaml(package_path(folder, name, "a VNFD"), "VNFD"), name, "VNFD")
             for name in vnfd_names]
    normalise_nsd(nsd)
    for vnfd in vnfds:
        normalise_vnfd(vnfd)
    return PackageContent(manifest, nsd, vnfds, warnings=md5_warnings(folder, entries))


def checked(document, name, kind):
    shapes.check(document, shapes.NSD if kind == "NSD" else shapes.VNFD, name.strip())
    return document


def md5_warnings(folder, entries):
    """Entries whose md5 does not match (real packages were edited after packing)."""
    warnings = []
    for entry in entries:
        expected = str(entry.get("md5") or "").strip().lower()
        try:
            path = package_path(folder, entry.get("name"), "a package_content entry")
        except PackageError as err:
            warnings.append(str(err))
            continue
        if not expected or not os.path.isfile(path):
            continue
        with open(path, "rb") as stream:
            actual = hashlib.md5(stream.read()).hexdigest()
        if actual != expected:
            warnings.append("MANIFEST.MF: md5 of %s is %s, the manifest says %s (used anyway)"
                            % (entry.get("name"), actual, expected))
    return warnings


def _strip_refs(links):
    for link in links or []:
        if isinstance(link, dict) and isinstance(link.get("connection_points_reference"), list):
            link["connection_points_reference"] = [
                r.strip() if isinstance(r, str) else r
                for r in link["connection_points_reference"]]


def _strip_ids(cps):
    for cp in cps or []:
        if isinstance(cp, dict) and isinstance(cp.get("id"), str):
            cp["id"] = cp["id"].strip()


def normalise_nsd(nsd):
    """Trailing blanks out of ids and references."""
    _strip_ids(nsd.get("connection_points"))
    _strip_refs(nsd.get("virtual_links"))
    for function in nsd.get("network_functions") or []:
        if isinstance(function, dict):
            for key in ("vnf_id", "vnf_name", "vnf_vendor", "vnf_version"):
                if isinstance(function.get(key), str):
                    function[key] = function[key].strip()


def normalise_vnfd(vnfd):
    """Blanks stripped; a VDU connection point id 'vdu01:cp01' becomes 'cp01' of its
    VDU, and references to it name the VDU by its id (which may be '1')."""
    _strip_ids(vnfd.get("connection_points"))
    _strip_refs(vnfd.get("virtual_links"))
    renamed = {}
    for vdu in vnfd.get("virtual_deployment_units") or []:
        if not isinstance(vdu, dict):
            continue
        _strip_ids(vdu.get("connection_points"))
        for cp in vdu.get("connection_points") or []:
            if isinstance(cp, dict) and isinstance(cp.get("id"), str) and ":" in cp["id"]:
                short = cp["id"].rsplit(":", 1)[1]
                renamed[cp["id"]] = "%s:%s" % (vdu.get("id"), short)
                cp["id"] = short
    for link in vnfd.get("virtual_links") or []:
        if isinstance(link, dict) and isinstance(link.get("connection_points_reference"), list):
            link["connection_points_reference"] = [
                renamed.get(r, r) for r in link["connection_points_reference"]]


# -- images from docker_files/ ------------------------------------------------------------


def is_package_file_reference(image):
    return image.startswith(("file:", "/", DOCKER_FILES_DIR + "/")) or \
        image.endswith("Dockerfile")


def context_hash(context):
    """sha256 over the build context's file names and contents (the cache key)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(context):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, context).encode() + b"\0")
            with open(path, "rb") as stream:
                digest.update(hashlib.sha256(stream.read()).digest())
    return digest.hexdigest()


def repository_name(name):
    """A Docker repository name from a VNF or image name (lower case, no tag)."""
    name = re.sub(r":[^/:]*$", "", name).lower()
    name = re.sub(r"[^a-z0-9._/-]+", "-", name).strip("-./") or "vnf"
    return name


def _context_of(folder, image, where):
    """The build context an image reference in the package points to."""
    path = package_path(folder, image, "%s: vm_image" % where)
    if os.path.isfile(path):
        path = os.path.dirname(path)
    if not os.path.isfile(os.path.join(path, "Dockerfile")):
        raise invalid("%s: vm_image %r points into the package, but there is no Dockerfile "
                      "at %s" % (where, image, os.path.relpath(path, folder)))
    return path


def _docker_files_for(folder, vnf, unit):
    """docker_files/<dir>/ named after the VNFD, the vnf_id or the image, if any."""
    base = os.path.join(folder, DOCKER_FILES_DIR)
    names = [vnf.name, vnf.vnf_id, repository_name(unit.image).rsplit("/", 1)[-1]]
    for name in names:
        candidate = os.path.join(base, str(name))
        if os.path.isfile(os.path.join(candidate, "Dockerfile")):
            return candidate
    return None


def build_images(service, folder, engine, content):
    """Build the images the package carries; units then use the built tags.

    A unit whose vm_image points into the package (file:///docker_files/x/
    Dockerfile) is built from there, tagged after its VNF; a unit naming an
    image gets it built from docker_files/<VNFD name | vnf_id | image name>/
    if the package has that folder.  Tags end in the context's content hash,
    so an unchanged context is not built again.
    """
    for vnf in service.vnfs.values():
        for unit in vnf.units:
            where = "VNFD %s unit %s" % (vnf.name, unit.id)
            if is_package_file_reference(unit.image):
                context, repository = _context_of(folder, unit.image, where), vnf.name
            else:
                context, repository = _docker_files_for(folder, vnf, unit), unit.image
            if context is not None:
                unit.image = _build(engine, context, repository, vnf.vnf_id, content)


def _build(engine, context, repository, vnf_id, content):
    tag = "%s:%s" % (repository_name(repository), context_hash(context)[:12])
    started = time.monotonic()
    cached = engine.image_exists(tag)
    if not cached:
        log.info("building %s for %s from the package's %s", tag, vnf_id,
                 os.path.basename(context))
        try:
            engine.build_image(context, tag, {IMAGE_LABEL: vnf_id}, timeout=BUILD_TIMEOUT,
                               progress=lambda line: log.info("[build %s] %s", vnf_id, line))
        except Exception as err:  # a failed build is the package's fault: FROM, RUN, ...
            raise invalid("building the image of %s from %s failed (FROM must name a local "
                          "image; nothing is pulled): %s" % (
                              vnf_id, os.path.basename(context), err)) from err
    content.images_built.append({"vnf": vnf_id, "image": tag, "cached": cached,
                                 "seconds": round(time.monotonic() - started, 2)})
    return tag


class SonataFormat:
    """SONATA packages (.son) as one of the formats every LLCM reads."""
    name = "SONATA"
    marker = MANIFEST_PATH

    def load(self, folder, engine):
        from emuvim.api.tango.service import parse_service  # keeps pack_son light for the CLI
        content = read_son(folder)
        service = parse_service(content)
        service.warnings[:0] = content.warnings
        build_images(service, folder, engine, content)
        return content, service


def pack_son(folder, output_path):
    """Zip a SONATA package folder (META-INF/MANIFEST.MF at its top) into a .son."""
    if not os.path.isfile(os.path.join(folder, MANIFEST_PATH)):
        raise invalid("%s has no %s: not a SONATA package folder" % (folder, MANIFEST_PATH))
    with zipfile.ZipFile(output_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                archive.write(path, os.path.relpath(path, folder))
    return output_path
