"""5GTANGO service packages (.tgo): safe unpacking, reading, and packing.

A .tgo is a zip.  ``TOSCA-Metadata/NAPD.yaml`` lists the package content;
the entry with content type ``application/vnd.5gtango.nsd`` is the NSD and
every ``application/vnd.5gtango.vnfd`` entry is a VNFD.

Unpacking never writes outside the target folder: entries with absolute
paths, ``..`` components, drive letters or symlink modes are refused, as are
archives that would expand beyond a size or file-count limit.  Every problem
raises :class:`PackageError` carrying the HTTP status the API answers with
(400: not a usable archive; 413: too big; 422: descriptors wrong).
"""

import hashlib
import os
import shutil
import stat
import time
import zipfile

import yaml

from emuvim.api import yamlsafe
from emuvim.api.errors import HttpError

NAPD_PATH = "TOSCA-Metadata/NAPD.yaml"
NSD_TYPE = "application/vnd.5gtango.nsd"
VNFD_TYPE = "application/vnd.5gtango.vnfd"
PACKAGE_TYPE = "application/vnd.5gtango.package.nsp"
NAPD_SCHEMA = ("https://raw.githubusercontent.com/sonata-nfv/tng-schema/master/"
               "package-specification/napd-schema.yml")
MAX_UNPACKED_BYTES = 1 << 30
MAX_ENTRIES = 10000


class PackageError(HttpError, ValueError):
    """A package the LLCM cannot use (400 unreadable, 413 too big, 422 wrong)."""

    def __init__(self, message, status=422):
        super().__init__(status, message)


def sha1_of_file(path):
    digest = hashlib.sha1()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_member_path(name):
    """The relative path a zip entry may be written to, or PackageError."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise PackageError("package entry %r has an absolute path" % name, 400)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PackageError("package entry %r leaves the package folder ('..')" % name, 400)
    if not parts:
        raise PackageError("package entry %r has no file name" % name, 400)
    return os.path.join(*parts)


def _is_symlink(info):
    return stat.S_ISLNK(info.external_attr >> 16)


def unpack(archive_path, target_dir, max_bytes=MAX_UNPACKED_BYTES, max_entries=MAX_ENTRIES,
           admit=None):
    """Extract a .tgo into target_dir (which must not exist yet); all or nothing.

    admit(total bytes): called before anything is written, may refuse (the
    LLCM's catalogue and disk budget).  Returns the bytes unpacked.
    """
    if not zipfile.is_zipfile(archive_path):
        raise PackageError("the upload is not a zip archive (.tgo)", 400)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
            total = _check_members(members, max_bytes, max_entries)
            if admit is not None:
                admit(total)
            os.makedirs(target_dir)
            try:
                for info in members:
                    _extract(archive, info, target_dir)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as err:
                shutil.rmtree(target_dir, ignore_errors=True)
                raise PackageError("package entries collide (a file and a folder of the "
                                   "same name?): %s" % os.path.relpath(
                                       err.filename or "?", target_dir), 400) from err
            except BaseException:
                shutil.rmtree(target_dir, ignore_errors=True)
                raise
            return total
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as err:
        raise PackageError("cannot read the zip archive: %s" % err, 400) from err


def _check_members(members, max_bytes, max_entries):
    if len(members) > max_entries:
        raise PackageError("package has %d entries (limit %d)" % (len(members), max_entries),
                           413)
    total = 0
    for info in members:
        safe_member_path(info.filename)
        if _is_symlink(info):
            raise PackageError("package entry %r is a symbolic link" % info.filename, 400)
        total += info.file_size
    if total > max_bytes:
        raise PackageError("package expands to %d bytes (limit %d)" % (total, max_bytes), 413)
    return total


def _extract(archive, info, target_dir):
    relative = safe_member_path(info.filename)
    destination = os.path.join(target_dir, relative)
    if info.is_dir():
        os.makedirs(destination, exist_ok=True)
        return
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    # The declared size is checked above; the copy is bounded again here
    # because a forged header can understate it.
    limit, written = info.file_size, 0
    with archive.open(info) as source, open(destination, "wb") as sink:
        for block in iter(lambda: source.read(1 << 20), b""):
            written += len(block)
            if written > limit:
                raise PackageError("package entry %r is larger than its header says"
                                   % info.filename, 400)
            sink.write(block)


def load_yaml(path, what):
    """A YAML mapping from a file, loaded safely; PackageError otherwise."""
    try:
        with open(path) as stream:
            data = yamlsafe.load(stream)
    except FileNotFoundError as err:
        raise PackageError("%s %s is missing from the package" % (what, _short(path)),
                           422) from err
    except IsADirectoryError as err:
        raise PackageError("%s %s is a folder, not a file" % (what, _short(path)),
                           422) from err
    except (yamlsafe.YamlRefused, UnicodeDecodeError) as err:
        raise PackageError("%s is not valid YAML: %s" % (what, err), 422) from err
    if not isinstance(data, dict):
        raise PackageError("%s must be a YAML mapping" % what, 422)
    return data


def _short(path):
    return os.path.basename(path)


def source_path(source):
    """NAPD `source` -> a safe relative path (``file://`` and leading '/' dropped)."""
    if not isinstance(source, str) or not source:
        raise PackageError("a package_content entry has no source", 422)
    if source.startswith("file://"):
        source = source[len("file://"):]
    if "://" in source:
        raise PackageError("package_content source %r is not a file in the package"
                           % source, 422)
    try:
        return safe_member_path(source.lstrip("/"))
    except PackageError as err:
        raise PackageError(str(err), 422) from err


class PackageContent:
    """The parsed descriptors of an unpacked package."""

    def __init__(self, napd, nsd, vnfds, warnings=None):
        self.napd = napd                # the NAPD, or a SONATA MANIFEST.MF
        self.nsd = nsd
        self.vnfds = vnfds
        self.warnings = list(warnings or [])
        self.format = None              # set by the LLCM: "5GTANGO" or "SONATA"
        self.images_built = []          # [{"vnf", "image", "cached", "seconds"}]

    @property
    def name(self):
        return self.napd.get("name")


def read_descriptors(folder):
    """NAPD, NSD and VNFDs of an unpacked package: their structure checked
    (shapes), their meaning not yet."""
    from emuvim.api.tango import shapes
    napd = load_yaml(os.path.join(folder, NAPD_PATH), "NAPD (%s)" % NAPD_PATH)
    shapes.check(napd, shapes.NAPD, NAPD_PATH)
    content = napd.get("package_content")
    if not isinstance(content, list) or not all(isinstance(e, dict) for e in content):
        raise PackageError("NAPD has no package_content list", 422)
    nsd_entries = [e for e in content if e.get("content-type") == NSD_TYPE]
    vnfd_entries = [e for e in content if e.get("content-type") == VNFD_TYPE]
    if not nsd_entries:
        raise PackageError("NAPD lists no NSD (content-type %s)" % NSD_TYPE, 422)
    if not vnfd_entries:
        raise PackageError("NAPD lists no VNFD (content-type %s)" % VNFD_TYPE, 422)
    nsd = load_descriptor(folder, source_path(nsd_entries[0].get("source")), "NSD")
    vnfds = [load_descriptor(folder, source_path(e.get("source")), "VNFD")
             for e in vnfd_entries]
    return PackageContent(napd, nsd, vnfds)


def load_descriptor(folder, relative, kind):
    """An NSD or VNFD file of the package, its structure checked."""
    from emuvim.api.tango import shapes
    document = load_yaml(os.path.join(folder, relative), "%s %s" % (kind, relative))
    shapes.check(document, shapes.NSD if kind == "NSD" else shapes.VNFD, relative)
    return document


# -- packing ------------------------------------------------------------------------


def pack_project(project_dir, output_path=None):
    """Pack a tng-sdk-project folder (project.yml + descriptors) into a .tgo.

    Returns the path written.  The layout is the one tng-sdk-package makes:
    TOSCA-Metadata/{NAPD.yaml,TOSCA.meta}, etsi_manifest.mf, Definitions/.
    """
    project = load_yaml(os.path.join(project_dir, "project.yml"), "project.yml")
    meta = project.get("package") or {}
    for key in ("vendor", "name", "version"):
        if not meta.get(key):
            raise PackageError("project.yml: package.%s is missing" % key, 422)
    files = project.get("files") or []
    if not files:
        raise PackageError("project.yml lists no files", 422)
    if output_path is None:
        output_path = "%s.%s.%s.tgo" % (meta["vendor"], meta["name"], meta["version"])
    entries = []
    for entry in files:
        relative = safe_member_path(str(entry.get("path") or ""))
        local = os.path.join(project_dir, relative)
        if not os.path.isfile(local):
            raise PackageError("project.yml lists %s, which does not exist" % relative, 422)
        with open(local, "rb") as stream:
            data = stream.read()
        entries.append(("Definitions/" + relative.replace(os.sep, "/"), data, entry))
    napd = {
        "descriptor_schema": NAPD_SCHEMA,
        "vendor": meta["vendor"], "name": meta["name"], "version": str(meta["version"]),
        "package_type": PACKAGE_TYPE,
        "maintainer": meta.get("maintainer", ""),
        "release_date_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "description": meta.get("description", ""),
        "package_content": [{
            "source": path, "content-type": entry.get("type"),
            "algorithm": "SHA-256", "hash": hashlib.sha256(data).hexdigest(),
            "tags": list(entry.get("tags") or []),
        } for path, data, entry in entries],
    }
    tosca_meta = ("TOSCA-Meta-Version: 1.0\nCSAR-Version: 1.0\nCreated-By: emuvim\n"
                  "Entry-Manifest: etsi_manifest.mf\n")
    manifest = "ns_product_name: %s\nns_provider_id: %s\nns_package_version: %s\n" % (
        meta["name"], meta["vendor"], meta["version"])
    with zipfile.ZipFile(output_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(NAPD_PATH, yaml.safe_dump(napd, sort_keys=False))
        archive.writestr("TOSCA-Metadata/TOSCA.meta", tosca_meta)
        archive.writestr("etsi_manifest.mf", manifest)
        for path, data, _ in entries:
            archive.writestr(path, data)
    return output_path
