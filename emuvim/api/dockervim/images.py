"""Local images: list, inspect, build (offline), pull (with an honest
answer when no registry is reachable), remove what this API built."""

import os
import re
import shutil
import tarfile
import tempfile
import threading

import docker.errors

from emuvim.api.dockervim.errors import docker_errors, refuse
from emuvim.api.dockervim.fields import Fields, invalid
from emuvim.dcemulator import system
from emuvim.dcemulator.docker_host import IMAGE_REFERENCE
from emuvim.dcemulator.images import IMAGE_LABEL

BUILT_LABEL = "emuvim.dockervim"
EMULATOR_LABELS = (IMAGE_LABEL, "emuvim.son-image", BUILT_LABEL)
REFERENCE = IMAGE_REFERENCE
FROM_LINE = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)
BUILD_FIELDS = ("context", "tag", "dockerfile", "build_args", "no_cache")
REPOSITORY_IMAGES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), "images")


def image_reference(field, value):
    if not isinstance(value, str) or not REFERENCE.match(value):
        raise invalid(field, "%r is not an image reference like emuvim/name:tag" % (value,))
    last = value.rsplit("/", 1)[-1]
    return value if ":" in last else value + ":latest"


def image_view(attrs):
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return {"id": attrs["Id"], "short_id": attrs["Id"].split(":")[-1][:12],
            "tags": attrs.get("RepoTags") or [], "size_bytes": attrs.get("Size"),
            "created_at": (attrs.get("Created") or "").split(".")[0].rstrip("Z") + "Z",
            "labels": labels,
            "emulator_built": any(key in labels for key in EMULATOR_LABELS),
            "removable": BUILT_LABEL in labels}


def base_images(dockerfile_text):
    """The images a Dockerfile builds FROM (stage names and scratch left out)."""
    stages, bases = set(), []
    for image, stage in FROM_LINE.findall(dockerfile_text):
        if image.lower() != "scratch" and image not in stages:
            bases.append(image)
        if stage:
            stages.add(stage)
    return bases


def safe_extract(tar_path, target):
    """Extract a build context; links, devices and paths leaving `target` are refused."""
    with tarfile.open(tar_path) as archive:
        for member in archive.getmembers():
            path = os.path.normpath(member.name)
            if os.path.isabs(member.name) or path == ".." or path.startswith("../"):
                raise refuse(400, "bad_context_path", "tar member %r leaves the context"
                             % member.name)
            if not (member.isfile() or member.isdir()):
                raise refuse(400, "bad_context_path", "tar member %r is not a file or folder"
                             % member.name)
        archive.extractall(target)


class ImageService:
    def __init__(self, endpoint, build_roots=None, pull_timeout_s=20):
        self.endpoint = endpoint
        self.build_roots = dict(build_roots or {"images": REPOSITORY_IMAGES})
        self.pull_timeout_s = pull_timeout_s

    @property
    def api(self):
        return self.endpoint.net.docker_engine.client.api

    def inspect(self, ref):
        try:
            with docker_errors("inspecting image %s" % ref):
                return self.api.inspect_image(ref)
        except Exception as err:
            # Docker answers 400 for a malformed reference: no such image either.
            if getattr(err, "status", None) in (400, 404):
                raise refuse(404, "image_not_found", "no local image %r" % ref) from err
            raise

    def list(self, label=None, emulator_built=None):
        filters = {"label": [label]} if label else None
        with docker_errors("listing images"):
            summaries = self.api.images(filters=filters)
        views = [image_view(self.api.inspect_image(s["Id"])) for s in summaries]
        if emulator_built is not None:
            views = [v for v in views if v["emulator_built"] == emulator_built]
        return views

    def remove(self, ref):
        view = image_view(self.inspect(ref))
        if not view["removable"]:
            raise refuse(404, "image_not_found", "%r was not built through this API; it is "
                         "not removed here" % ref)
        try:
            with docker_errors("removing image %s" % ref):
                self.api.remove_image(ref)
        except Exception as err:
            if "conflict" in str(err).lower() or "being used" in str(err):
                raise refuse(409, "image_in_use", "%s is used by a container" % ref) from err
            raise

    # -- build --------------------------------------------------------------------

    def context_dir(self, context):
        """A build context named as <root>/<sub folder>, inside its root."""
        if not isinstance(context, str) or os.path.isabs(context) or ".." in context.split("/"):
            raise refuse(400, "bad_context_path", "context %r must be <root>/<folder> with "
                         "root one of %s" % (context, ", ".join(self.build_roots)))
        root_name, _, sub = context.partition("/")
        if root_name not in self.build_roots:
            raise refuse(400, "bad_context_path", "context root %r is not one of %s"
                         % (root_name, ", ".join(self.build_roots)))
        root = os.path.realpath(self.build_roots[root_name])
        path = os.path.realpath(os.path.join(root, sub))
        if path != root and not path.startswith(root + os.sep):
            raise refuse(400, "bad_context_path", "context %r leaves its root" % context)
        if not os.path.isdir(path):
            raise refuse(404, "context_not_found", "no folder %r" % context)
        return path

    def build_request(self, body):
        fields = Fields(body, BUILD_FIELDS)
        return {"path": self.context_dir(fields.get("context", str, required=True)),
                "tag": image_reference("tag", fields.get("tag", str, required=True)),
                "dockerfile": fields.get("dockerfile", str, "Dockerfile"),
                "build_args": fields.string_map("build_args"),
                "no_cache": fields.get("no_cache", bool, False)}

    def check_build(self, path, dockerfile, **_ignored):
        file_path = os.path.realpath(os.path.join(path, dockerfile))
        if not file_path.startswith(os.path.realpath(path) + os.sep) or not os.path.isfile(
                file_path):
            raise refuse(400, "bad_context_path", "no Dockerfile %r in the context"
                         % dockerfile)
        with open(file_path, errors="replace") as f:
            missing = [b for b in base_images(f.read()) if not self._exists(b)]
        if missing:
            raise refuse(422, "base_image_missing", "the build needs %s, which is not a local "
                         "image (no registry is pulled from)" % ", ".join(missing),
                         missing=missing)

    def _exists(self, ref):
        try:
            self.api.inspect_image(ref)
            return True
        except docker.errors.NotFound:
            return False

    def build(self, request, on_line=None):
        """Build; returns (image view, log lines).  Check with check_build first."""
        self.check_build(**request)
        log = []

        def line(text):
            log.append(text)
            if on_line:
                on_line(text)

        labels = {IMAGE_LABEL: request["tag"], BUILT_LABEL: "built"}
        try:
            self.endpoint.net.docker_engine.build_image(
                request["path"], request["tag"], labels, progress=line,
                dockerfile=os.path.join(request["path"], request["dockerfile"]),
                build_args=request["build_args"], no_cache=request["no_cache"])
        except system.CommandError as err:
            raise refuse(422, "build_failed", "building %s failed" % request["tag"],
                         log=log[-20:]) from err
        return image_view(self.inspect(request["tag"])), log

    def unpack_upload(self, tar_path, run_dir):
        target = tempfile.mkdtemp(prefix="build-", dir=run_dir)
        try:
            safe_extract(tar_path, target)
        except tarfile.TarError as err:
            shutil.rmtree(target, ignore_errors=True)
            raise refuse(400, "bad_context", "the body is not a tar archive: %s" % err) from err
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return target

    # -- pull ---------------------------------------------------------------------

    def pull(self, ref):
        """(view, pulled): a local image is answered at once; else one try,
        bounded by pull_timeout_s."""
        ref = image_reference("image", ref)
        if self._exists(ref):
            return image_view(self.inspect(ref)), False
        outcome = {}

        def attempt():
            try:
                repository, _, tag = ref.rpartition(":")
                self.api.pull(repository, tag=tag)
                outcome["ok"] = True
            except Exception as err:  # noqa: BLE001  (judged below)
                outcome["error"] = err

        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(self.pull_timeout_s)
        hint = ("build it locally: vim-emu docker images build --context images/<folder> "
                "--tag %s (FROM a local image)" % ref)
        if worker.is_alive():
            raise refuse(502, "registry_unreachable", "no registry answered within %d s"
                         % self.pull_timeout_s, hint=hint)
        if "error" in outcome:
            raise pull_refusal(ref, outcome["error"], hint)
        return image_view(self.inspect(ref)), True


def pull_refusal(ref, err, hint):
    text = str(getattr(err, "explanation", None) or err)
    lowered = text.lower()
    if any(s in lowered for s in ("manifest unknown", "not found: manifest", "repository does "
                                  "not exist")):
        return refuse(404, "image_not_found", "the registry has no %s: %s" % (ref, text))
    return refuse(502, "registry_unreachable", "pulling %s failed: %s" % (ref, text),
                  hint=hint)
