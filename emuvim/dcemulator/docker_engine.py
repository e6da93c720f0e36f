"""DockerEngine: the one interface between the emulator and Docker.

Nothing else in the emulator core talks to Docker (the Docker-VIM API,
emuvim.api.dockervim, is a Docker API itself: it works on this engine's SDK
client, scoped to the objects of one run).  Most calls go through the
Docker SDK; a few use the docker command line where a process is what is
needed: an interactive shell on a pty, a command waited for with a time
limit, a tar stream into ``docker import``, a build.
"""

import subprocess

import docker
import docker.errors
# What ContainerCollection.create() does with its keywords, without the extra
# inspect it makes after creating (a quarter of a VNF start's API calls).
from docker.models.containers import _create_container_args

from emuvim.dcemulator import system

DEFAULT_IMAGE = "emuvim/base:latest"   # the image compute nodes run unless told otherwise
DOCKER = "docker"                      # the command line client


class DockerEngine:
    """The container engine as the emulator needs it."""

    def __init__(self, client=None, connect=True):
        """connect=False defers reaching the daemon to the first SDK call
        (cleanup must work, and find nothing, when dockerd is down)."""
        self._client = client
        if connect:
            self.client  # noqa: B018  (fail early and clearly without a daemon)

    @property
    def client(self):
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=120)
            except docker.errors.DockerException as err:
                raise RuntimeError("cannot reach the Docker daemon (%s): start it, e.g. with "
                                   "`./run install`" % err) from err
        return self._client

    def close(self):
        """Close the SDK client's connections (a network closes the engine it made)."""
        if self._client is not None:
            self._client.close()

    # -- containers -------------------------------------------------------------

    def container_exists(self, name):
        try:
            self.client.containers.get(name)
            return True
        except docker.errors.NotFound:
            return False

    def run(self, name, image, **create_args):
        """Create and start a container; return its inspect data.

        Three API calls (create, start, inspect), as the docker CLI makes: a
        missing image (docker.errors.ImageNotFound) or a taken name (an
        APIError with status 409) come back as create's errors instead of
        being asked about first.  `create_args` are the SDK's
        containers.create() keywords.
        """
        api = self.client.api
        create_args = dict(create_args, image=image, name=name, detach=True,
                           version=api._version)
        container_id = api.create_container(**_create_container_args(create_args))["Id"]
        try:
            api.start(container_id)
            return api.inspect_container(container_id)
        except docker.errors.APIError:
            api.remove_container(container_id, force=True)
            raise

    def create(self, name, image, **create_args):
        """Create a container without starting it; return its inspect data."""
        container = self.client.containers.create(image, name=name, detach=True,
                                                  **create_args)
        return container.attrs

    def start(self, name):
        """Start a created or stopped container; return its inspect data."""
        self.client.api.start(name)
        return self.inspect(name)

    def stop(self, name, timeout=10):
        self.client.api.stop(name, timeout=timeout)

    def inspect(self, name):
        return self.client.api.inspect_container(name)

    def labelled_container_ids(self, **labels):
        """Ids of the containers (any state) carrying every label key=value."""
        filters = {"label": ["%s=%s" % item for item in labels.items()]}
        return [c["Id"] for c in self.client.api.containers(all=True, filters=filters)]

    def logs_tail(self, name, lines=10):
        try:
            return self.client.api.logs(name, tail=lines).decode(errors="replace").strip()
        except docker.errors.APIError:
            return ""

    def update(self, name, **resources):
        self.client.api.update_container(name, **resources)

    def pause(self, name):
        self.client.api.pause(name)

    def unpause(self, name):
        self.client.api.unpause(name)

    def remove(self, name):
        """Remove a container; a container already gone is not an error."""
        try:
            self.client.api.remove_container(name, force=True, v=True)
        except docker.errors.NotFound:
            pass

    def labelled_containers(self, label, *value_labels):
        """(name, value of each of value_labels) of every container carrying
        `label`, running or not; none if the daemon cannot be reached."""
        fields = ["{{.Names}}"] + ['{{.Label "%s"}}' % key for key in value_labels]
        out = system.run([DOCKER, "ps", "-a", "--filter", "label=" + label, "--format",
                          "\t".join(fields)], check=False)
        rows = [tuple(line.split("\t")) for line in out.splitlines()]
        return [row for row in rows if len(row) == len(fields)]

    def remove_containers(self, names, timeout=300):
        """Remove several containers in one call (cleanup of a dead run)."""
        if names:
            system.run([DOCKER, "rm", "-f", "-v"] + list(names), timeout=timeout)

    def labelled_networks(self, label, *value_labels):
        """(name, value of each of value_labels) of every network carrying `label`."""
        fields = ["{{.Name}}"] + ['{{.Label "%s"}}' % key for key in value_labels]
        out = system.run([DOCKER, "network", "ls", "--filter", "label=" + label, "--format",
                          "\t".join(fields)], check=False)
        rows = [tuple(line.split("\t")) for line in out.splitlines()]
        return [row for row in rows if len(row) == len(fields)]

    def labelled_network_names(self, **labels):
        filters = {"label": ["%s=%s" % item for item in labels.items()]}
        return [n["Name"] for n in self.client.api.networks(filters=filters)]

    def remove_networks(self, names):
        """Remove networks (a network already gone is not an error)."""
        for name in names:
            try:
                self.client.api.remove_network(name)
            except docker.errors.NotFound:
                pass

    # -- processes inside a container ---------------------------------------------

    def exec_argv(self, name, interactive=False, tty=False):
        """The argv prefix that runs a command inside the container."""
        return [DOCKER, "exec"] + (["-i"] if interactive else []) + (
            ["-t"] if tty else []) + [name]

    def exec_detached(self, name, argv):
        """Start argv in the container and return at once (`docker exec -d`)."""
        exec_id = self.client.api.exec_create(name, argv)["Id"]
        self.client.api.exec_start(exec_id, detach=True)

    def exec_ok(self, name, argv):
        """True when argv exits 0 inside the container."""
        return system.succeeds(self.exec_argv(name) + list(argv))

    def exec_wait(self, name, argv, timeout):
        """Run argv in the container and wait for it, at most `timeout` s
        (subprocess.TimeoutExpired after that); returns its output."""
        return system.run(self.exec_argv(name) + list(argv), check=False, timeout=timeout)

    # -- images -----------------------------------------------------------------

    def image_exists(self, image):
        try:
            self.client.images.get(image)
            return True
        except docker.errors.ImageNotFound:
            return False

    def exposed_ports(self, image):
        """The ports an image exposes ("80/tcp", ...); ImageNotFound if absent."""
        config = self.client.api.inspect_image(image).get("Config") or {}
        return sorted(config.get("ExposedPorts") or {})

    def image_tags(self):
        """(tag, size in bytes, creation time) of every tagged local image."""
        result = []
        for image in self.client.images.list():
            for tag in image.tags:
                result.append((tag, image.attrs.get("Size", 0), image.attrs.get("Created", "")))
        return result

    def image_id(self, name):
        try:
            return self.client.images.get(name).id
        except docker.errors.ImageNotFound:
            return None

    def import_rootfs(self, rootfs, name, changes):
        """A directory tree as an image (`docker import` with Dockerfile-style changes)."""
        argv = [DOCKER, "import"]
        for change in changes:
            argv += ["--change", change]
        argv += ["-", name]
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        try:
            out = subprocess.run(argv, stdin=tar.stdout, capture_output=True, text=True)
        finally:
            tar.stdout.close()
            tar.wait()
        if out.returncode != 0 or tar.returncode != 0:
            raise system.CommandError(argv, out.returncode, out.stderr)

    def build_image(self, path, name, labels, timeout=1800, progress=None,
                    dockerfile=None, build_args=None, no_cache=False):
        """`docker build` of a directory (offline: FROM must name a local image).

        `progress`, if given, is called with each line of the build's output
        as it comes; a failed build raises CommandError with the last lines.
        """
        argv = [DOCKER, "build", "--force-rm"]   # a failed step leaves no container
        for key, value in labels.items():
            argv += ["--label", "%s=%s" % (key, value)]
        for key, value in (build_args or {}).items():
            argv += ["--build-arg", "%s=%s" % (key, value)]
        if dockerfile:
            argv += ["--file", dockerfile]
        if no_cache:
            argv.append("--no-cache")
        argv += ["-t", name, path]
        if progress is None:
            system.run(argv, timeout=timeout)
            return
        system.run_streaming(argv, progress, timeout=timeout)

    def image_table(self, label):
        """A printable table of the images carrying `label`."""
        return system.run([DOCKER, "images", "--filter", "label=" + label, "--format",
                           "table {{.Repository}}:{{.Tag}}\t{{.Size}}\t{{.CreatedSince}}"])
