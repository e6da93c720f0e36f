"""Local administration: images, packages and cleanup (no running emulator needed)."""

import os
import sys


def _progress():
    """A progress printer: a rich spinner line on a terminal, plain lines otherwise."""
    from rich.console import Console
    console = Console(stderr=True)

    def show(message):
        console.print("[bold cyan]..[/] %s" % message)
    return show


def images_build(names=None, force=False, dirs=()):
    from emuvim.dcemulator import images
    report = images.ensure_images(names or None, force=force, progress=_progress(),
                                  extra_dirs=dirs)
    for image, state in report.items():
        print("%-32s %s" % (image, state))
    return 0


def images_list():
    from emuvim.dcemulator.docker_engine import DockerEngine
    from emuvim.dcemulator.images import IMAGE_LABEL
    print(DockerEngine().image_table(IMAGE_LABEL).rstrip())
    return 0


def clean(run_ids=None, dry_run=False, include_alive=False):
    from emuvim.dcemulator import cleanup
    leftovers = cleanup.find_leftovers()
    selected = [item for run_id, item in sorted(leftovers.items())
                if (not run_ids or run_id in run_ids) and (include_alive or not item.alive)]
    for item in selected:
        print("%s run %s: %d containers, %d bridges, %d veths, %d networks, %d processes" % (
            "would clean" if dry_run else "cleaning", item.run_id, len(item.containers),
            len(item.bridges), len(item.veths), len(item.networks), len(item.processes)))
        if not dry_run:
            for error in cleanup.remove_leftovers(item):
                print("  error: %s" % error, file=sys.stderr)
    alive = [item.run_id for item in leftovers.values() if item.alive and not include_alive]
    if alive:
        print("left alone (owner still running): %s" % ", ".join(sorted(alive)))
    if not selected:
        print("nothing to clean")
    return 0


def package_pack(project, output=None):
    """A tng-sdk-project folder into a .tgo, or a SONATA package folder into a .son."""
    from emuvim.api.sonata.package import MANIFEST_PATH, pack_son
    from emuvim.api.tango.package import PackageError, pack_project
    try:
        if os.path.isfile(os.path.join(project, MANIFEST_PATH)):
            path = pack_son(project, output or os.path.basename(
                os.path.abspath(project)) + ".son")
        else:
            path = pack_project(project, output)
    except PackageError as err:
        print("vim-emu: %s" % err, file=sys.stderr)
        return 1
    print(path)
    return 0
