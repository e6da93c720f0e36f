"""The `vim-emu` command line.

The REST groups (compute, datacenter, network, monitor), the docker group
(the Docker-VIM API) and the llcm group talk to a running emulator's APIs over HTTP only.  The local groups
`images`, `package` and `clean` work on this machine (image builds, packing
.tgo files, leftovers of crashed runs) and need no emulator.
"""

import argparse
import sys

from emuvim import __version__
from emuvim.cli import docker, llcm, rest


def build_parser():
    parser = argparse.ArgumentParser(prog="vim-emu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version="emuvim " + __version__)
    groups = parser.add_subparsers(dest="group")
    rest.add_parsers(groups)
    llcm.add_parsers(groups)
    docker.add_parsers(groups)

    images = groups.add_parser("images", help="build or list the local VNF images")
    images_cmd = images.add_subparsers(dest="command", required=True)
    build = images_cmd.add_parser("build", help="build missing images (cached otherwise)")
    build.add_argument("names", nargs="*", help="emuvim/base:latest, emuvim/busybox:latest "
                                                "(default: both)")
    build.add_argument("--force", action="store_true", help="rebuild even if present")
    build.add_argument("--dir", action="append", default=[], dest="dirs",
                       help="also docker-build this image directory (repeatable)")
    images_cmd.add_parser("list", help="list images built by emuvim")

    package = groups.add_parser("package", help="service packages (.tgo, .son)")
    package_cmd = package.add_subparsers(dest="command", required=True)
    pack = package_cmd.add_parser("pack", help="pack a tng-sdk-project folder into a .tgo, "
                                  "or a SONATA package folder into a .son")
    pack.add_argument("project", help="folder with project.yml and the descriptors, or with "
                                      "META-INF/MANIFEST.MF")
    pack.add_argument("-o", "--output", help="output file (default: "
                                             "<vendor>.<name>.<version>.tgo or <folder>.son "
                                             "here)")

    clean = groups.add_parser("clean", help="remove leftovers of crashed emulator runs")
    clean.add_argument("--run", action="append", dest="run_ids",
                       help="only this run id (repeatable)")
    clean.add_argument("--dry-run", action="store_true", help="only show what would go")
    clean.add_argument("--include-alive", action="store_true",
                       help="also runs whose owner process is still running")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.group is None:
        parser.print_help()
        return 0
    if args.group in ("compute", "datacenter", "network", "monitor"):
        return rest.run(args)
    if args.group == "llcm":
        return llcm.run(args)
    if args.group == "docker":
        return docker.run(args)
    from emuvim import admin
    if args.group == "images":
        if args.command == "build":
            return admin.images_build(args.names, force=args.force, dirs=args.dirs)
        return admin.images_list()
    if args.group == "package":
        return admin.package_pack(args.project, args.output)
    if args.group == "clean":
        return admin.clean(args.run_ids, dry_run=args.dry_run,
                           include_alive=args.include_alive)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
