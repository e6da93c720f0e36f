"""Local VNF images: no registry is ever pulled from.

* ``emuvim/base:latest``: Debian bookworm minbase (debootstrap from the
  mirror apt is configured with) plus networking tools, imported with
  ``docker import``;
* ``emuvim/busybox:latest``: busybox-static and its applet links (2 MB);
* any directory with a Dockerfile whose FROM is a local image (see
  ``images/`` in the repository), built offline with ``docker build``.

Built images are cached: a present image is not rebuilt unless forced.
"""

import contextlib
import glob
import os
import re
import shutil
import subprocess
import tempfile

from emuvim.dcemulator import system
from emuvim.dcemulator.docker_engine import DEFAULT_IMAGE, DockerEngine

BASE_IMAGE = DEFAULT_IMAGE
BUSYBOX_IMAGE = "emuvim/busybox:latest"
BASE_PACKAGES = ["iproute2", "iputils-ping", "iperf3", "net-tools", "procps", "tcpdump",
                 "curl", "ethtool", "netcat-openbsd", "ca-certificates"]
DEFAULT_MIRROR = "http://deb.debian.org/debian"
IMAGE_LABEL = "emuvim.image"


@contextlib.contextmanager
def docker(engine=None):
    """`engine`, or an engine of our own that is closed afterwards."""
    if engine is not None:
        yield engine
        return
    own = DockerEngine(connect=False)
    try:
        yield own
    finally:
        own.close()


def image_exists(name, engine=None):
    with docker(engine) as d:
        return d.image_exists(name)


def apt_mirror():
    """The Debian mirror apt uses on this machine (deb822 or one-line sources)."""
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
        try:
            text = open(path).read()
        except OSError:
            continue
        for match in re.finditer(r"^\s*URIs:\s*(\S+)", text, re.M):
            if "security" not in match.group(1):
                return match.group(1)
        for match in re.finditer(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", text, re.M):
            if "security" not in match.group(1) and "-" not in match.group(2):
                return match.group(1)
    return DEFAULT_MIRROR


def debootstrap_suite():
    """(suite, components): bookworm on Debian; the host's own release on Ubuntu,
    whose apt mirror has no Debian suites."""
    info = {}
    try:
        for line in open("/etc/os-release").read().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                info[key] = value.strip('"')
    except OSError:
        pass
    if info.get("ID") == "ubuntu" and info.get("VERSION_CODENAME"):
        return info["VERSION_CODENAME"], "main,universe"
    return "bookworm", "main"


def build_base(progress, mirror=None, engine=None):
    suite, components = debootstrap_suite()
    mirror = mirror or apt_mirror()
    workdir = tempfile.mkdtemp(prefix="emuvim-base-")
    rootfs = os.path.join(workdir, "rootfs")
    try:
        progress("debootstrap %s from %s (about 30 s)" % (suite, mirror))
        system.run(["debootstrap", "--variant=minbase", "--components=" + components,
                    "--include=" + ",".join(BASE_PACKAGES), suite, rootfs, mirror],
                   timeout=1800)
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(os.path.join(rootfs, cache), ignore_errors=True)
        progress("importing %s" % BASE_IMAGE)
        with docker(engine) as d:
            d.import_rootfs(rootfs, BASE_IMAGE, ['CMD ["/bin/bash"]',
                                                 "LABEL %s=base" % IMAGE_LABEL,
                                                 "ENV PATH=/usr/local/sbin:/usr/local/bin:"
                                                 "/usr/sbin:/usr/bin:/sbin:/bin"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def static_busybox():
    """Path of a statically linked busybox (busybox-static), or None."""
    for path in ("/bin/busybox", shutil.which("busybox")):
        if path and os.path.exists(path):
            with open(path, "rb") as binary:
                # A dynamic executable names its ELF interpreter (ld-linux...).
                if b"ld-linux" not in binary.read(4096):
                    return path
    return None


def build_busybox(progress, engine=None):
    busybox = static_busybox()
    if busybox is None:
        raise RuntimeError("no static busybox found: apt-get install busybox-static")
    workdir = tempfile.mkdtemp(prefix="emuvim-busybox-")
    try:
        progress("assembling busybox rootfs")
        for sub in ("bin", "etc", "tmp", "proc", "sys", "dev", "root"):
            os.makedirs(os.path.join(workdir, sub))
        target = os.path.join(workdir, "bin", "busybox")
        shutil.copy2(busybox, target)
        for applet in system.run([target, "--list"]).split():
            link = os.path.join(workdir, "bin", applet)
            if not os.path.exists(link):
                os.symlink("busybox", link)
        with open(os.path.join(workdir, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        progress("importing %s" % BUSYBOX_IMAGE)
        with docker(engine) as d:
            d.import_rootfs(workdir, BUSYBOX_IMAGE, ['CMD ["/bin/sh"]',
                                                     "LABEL %s=busybox" % IMAGE_LABEL,
                                                     "ENV PATH=/bin"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


HOST_PACKAGES = "host-packages"


def fetch_host_packages(path, progress):
    """Download the Debian packages listed in <dir>/host-packages into <dir>/debs.

    Image builds must not depend on a registry, and the host's apt already
    reaches its mirror (through whatever proxy it is configured with): the
    Dockerfile COPYs the .deb files and installs them with dpkg.
    """
    listing = os.path.join(path, HOST_PACKAGES)
    if not os.path.isfile(listing):
        return
    packages = open(listing).read().split()
    target = os.path.join(path, "debs")
    os.makedirs(target, exist_ok=True)
    have = {name.split("_")[0] for name in os.listdir(target) if name.endswith(".deb")}
    missing = [p for p in packages if p not in have]
    if not missing:
        return
    progress("apt-get download %s" % " ".join(missing))
    argv = ["apt-get", "download"] + missing
    proc = subprocess.run(argv, cwd=target, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:       # package lists missing or stale: refresh once
        system.run(["apt-get", "update", "-qq"], timeout=600)
        proc = subprocess.run(argv, cwd=target, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise system.CommandError(argv, proc.returncode, proc.stderr)


def build_dockerfile_dir(path, progress, name=None, engine=None):
    """docker build of an image directory; the name is emuvim/<dir>:latest by default."""
    name = name or "emuvim/%s:latest" % os.path.basename(os.path.normpath(path))
    fetch_host_packages(path, progress)
    progress("docker build %s" % name)
    with docker(engine) as d:
        d.build_image(path, name, {IMAGE_LABEL: name})
    return name


BUILDERS = {BASE_IMAGE: build_base, BUSYBOX_IMAGE: build_busybox}


def ensure_images(names=None, force=False, progress=print, extra_dirs=()):
    """Build the named base images (all by default) and image directories.

    Returns {image: "built" | "cached"}.  Dockerfile directories are built
    after the base images they depend on.
    """
    report = {}
    with docker() as d:
        for name in names or list(BUILDERS):
            if name not in BUILDERS:
                raise ValueError("unknown image %s (known: %s)" % (name, ", ".join(BUILDERS)))
            if d.image_exists(name) and not force:
                report[name] = "cached"
                continue
            BUILDERS[name](progress, engine=d)
            report[name] = "built"
        for path in extra_dirs:
            # Always handed to docker build: its layer cache makes an unchanged
            # directory instant, and an edited one is rebuilt.
            name = "emuvim/%s:latest" % os.path.basename(os.path.normpath(path))
            before = d.image_id(name)
            build_dockerfile_dir(path, progress, name, engine=d)
            report[name] = "cached" if before and before == d.image_id(name) else "built"
    return report


def image_id(name, engine=None):
    with docker(engine) as d:
        return d.image_id(name)
