"""`vim-emu llcm ...`: a client of the 5GTANGO LLCM and of the SONATA
dummy gatekeeper (HTTP only).

The service developer's loop from the shell: upload a package (or a folder,
packed on the fly), instantiate it, look at it, terminate it.  The format
(.tgo or .son) is found from the package's content, and the answers of both
REST dialects are understood, so one command group serves both front ends.
"""

import os
import sys
import tempfile
import zipfile

from emuvim.cli import common
from emuvim.cli.common import CliError, add_command, add_group, call, print_result

DEFAULT_LLCM = "http://127.0.0.1:5000"


def add_parsers(groups):
    llcm = add_group(groups, "llcm", "5GTANGO LLCM or SONATA gatekeeper: upload, "
                     "instantiate, list, terminate", endpoint=DEFAULT_LLCM)
    commands = llcm.add_subparsers(dest="command", required=True)
    upload = add_command(commands, "upload", "on-board a .tgo or .son (or a folder)")
    upload.add_argument("package", help="a .tgo or .son file, a tng-sdk-project folder, or "
                        "a SONATA package folder (META-INF/MANIFEST.MF)")
    start = add_command(commands, "instantiate", "start an instance of a service")
    start.add_argument("-s", "--service-uuid", help="default: the latest on-boarded")
    start.add_argument("-n", "--service-name", help="package or NSD name")
    add_command(commands, "services", "list on-boarded services")
    add_command(commands, "list", "list running instances")
    show = add_command(commands, "show", "one instance: containers, PoPs, addresses")
    show.add_argument("instance_uuid")
    stop = add_command(commands, "terminate", "terminate instances")
    stop.add_argument("instance_uuid", nargs="?", help="default: all instances")
    stop.add_argument("-s", "--service-uuid", help="all instances of this service")


def package_format(path):
    """"5GTANGO" or "SONATA", from what the zip holds; CliError for anything else."""
    from emuvim.api.sonata.package import MANIFEST_PATH
    from emuvim.api.tango.package import NAPD_PATH
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile) as err:
        raise CliError("%s is not a package (a zip): %s" % (path, err)) from err
    for marker, name in ((NAPD_PATH, "5GTANGO"), (MANIFEST_PATH, "SONATA")):
        if marker in names:
            return name
    raise CliError("%s has neither %s (5GTANGO .tgo) nor %s (SONATA .son)" % (
        path, NAPD_PATH, MANIFEST_PATH))


def upload(endpoint, args):
    path = args.package
    if os.path.isdir(path):
        with tempfile.TemporaryDirectory() as folder:
            return _upload_file(endpoint, args, _pack_folder(path, folder))
    if not os.path.isfile(path):
        raise CliError("no such file or folder: %s" % path)
    return _upload_file(endpoint, args, path)


def _pack_folder(path, folder):
    from emuvim.api.sonata.package import MANIFEST_PATH, pack_son
    from emuvim.api.tango.package import PackageError, pack_project
    try:
        if os.path.isfile(os.path.join(path, MANIFEST_PATH)):
            return pack_son(path, os.path.join(folder, "package.son"))
        return pack_project(path, os.path.join(folder, "package.tgo"))
    except PackageError as err:
        raise CliError(str(err)) from err


def _upload_file(endpoint, args, path):
    kind = package_format(path)
    with open(path, "rb") as stream:
        reply = call("POST", endpoint + "/packages", files={"package": stream})
    if args.json:
        return print_result(args, reply)
    for warning in reply.get("warnings") or []:
        print("warning: %s" % warning, file=sys.stderr)
    for image in reply.get("images_built") or []:
        print("image %s for %s: %s" % (image["image"], image["vnf"], "cached" if image["cached"]
                                        else "built in %.1f s" % image["seconds"]),
              file=sys.stderr)
    print("on-boarded a %s package" % kind, file=sys.stderr)
    print_result(args, reply["service_uuid"])   # alone on stdout, for $(...) in scripts


def instantiate(endpoint, args):
    body = {"service_uuid": args.service_uuid, "service_name": args.service_name}
    reply = call("POST", endpoint + "/instantiations",
                  json={k: v for k, v in body.items() if v})
    print_result(args, reply if args.json else reply["service_instance_uuid"])


def services(endpoint, args):
    packages = call("GET", endpoint + "/packages")
    if isinstance(packages, dict):      # the SONATA gatekeeper lists uuids only
        return print_result(args, packages if args.json else "\n".join(
            packages.get("service_uuid_list") or []))
    rows = call("GET", endpoint + "/services")
    print_result(args, rows if args.json else "\n".join(
        "%s  %s.%s.%s" % (r["uuid"], r["nsd"]["vendor"], r["nsd"]["name"], r["nsd"]["version"])
        for r in rows))


def listing(endpoint, args):
    rows = call("GET", endpoint + "/instantiations")
    if args.json:
        return print_result(args, rows)
    if isinstance(rows, dict):          # SONATA: per service (as /packages lists them)
        services = call("GET", endpoint + "/packages").get("service_uuid_list") or []
        return print_result(args, "\n".join(
            "%s  service %s" % (instance, service)
            for service, instances in zip(services, rows.get("service_instantiations_list") or [])
            for instance in instances))
    print_result(args, "\n".join(
        "%s  %s  %s" % (r["uuid"], r["instance_name"], r["status"]) for r in rows))


def show(endpoint, args):
    info = call("GET", "%s/instantiations/%s" % (endpoint, args.instance_uuid))
    if args.json:
        return print_result(args, info)
    lines = ["%s (%s), cookie %d" % (info["instance_name"], info["status"], info["cookie"])]
    for unit in info["units"]:
        lines.append("  %-20s %-8s %s" % (unit["name"], unit["datacenter"], ", ".join(
            "%s=%s" % (i["id"], i["ip"]) for i in unit["interfaces"])))
    for sap in info["saps"]:
        lines.append("  SAP %-16s %-8s %s" % (sap["name"], sap["datacenter"], sap["ip"]))
    print_result(args, "\n".join(lines))


def terminate(endpoint, args):
    body = {"service_instance_uuid": args.instance_uuid, "service_uuid": args.service_uuid}
    print_result(args, call("DELETE", endpoint + "/instantiations",
                            json={k: v for k, v in body.items() if v}))


HANDLERS = {("llcm", "upload"): upload, ("llcm", "instantiate"): instantiate,
            ("llcm", "services"): services, ("llcm", "list"): listing,
            ("llcm", "show"): show, ("llcm", "terminate"): terminate}


def run(args):
    """Execute a parsed llcm command; returns the process exit code."""
    return common.run(args, HANDLERS, DEFAULT_LLCM)

