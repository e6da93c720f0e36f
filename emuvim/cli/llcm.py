"""`vim-emu llcm ...`: a client of the 5GTANGO LLCM (HTTP only).

The service developer's loop from the shell: upload a package (or a project
folder, packed on the fly), instantiate it, look at it, terminate it.
"""

import os
import tempfile

from emuvim.cli import common
from emuvim.cli.common import CliError, add_command, add_group, call, print_result

DEFAULT_LLCM = "http://127.0.0.1:5000"


def add_parsers(groups):
    llcm = add_group(groups, "llcm", "5GTANGO LLCM: upload, instantiate, list, terminate",
                  endpoint=DEFAULT_LLCM)
    commands = llcm.add_subparsers(dest="command", required=True)
    upload = add_command(commands, "upload", "on-board a .tgo (or a project folder)")
    upload.add_argument("package", help="a .tgo file or a tng-sdk-project folder")
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


def upload(endpoint, args):
    path = args.package
    if os.path.isdir(path):
        from emuvim.api.tango.package import PackageError, pack_project
        with tempfile.TemporaryDirectory() as folder:
            try:
                packed = pack_project(path, os.path.join(folder, "package.tgo"))
            except PackageError as err:
                raise CliError(str(err)) from err
            return _upload_file(endpoint, args, packed)
    if not os.path.isfile(path):
        raise CliError("no such file or folder: %s" % path)
    return _upload_file(endpoint, args, path)


def _upload_file(endpoint, args, path):
    with open(path, "rb") as stream:
        reply = call("POST", endpoint + "/packages", files={"package": stream})
    print_result(args, reply if args.json else reply["service_uuid"])


def instantiate(endpoint, args):
    body = {"service_uuid": args.service_uuid, "service_name": args.service_name}
    reply = call("POST", endpoint + "/instantiations",
                  json={k: v for k, v in body.items() if v})
    print_result(args, reply if args.json else reply["service_instance_uuid"])


def services(endpoint, args):
    rows = call("GET", endpoint + "/services")
    print_result(args, rows if args.json else "\n".join(
        "%s  %s.%s.%s" % (r["uuid"], r["nsd"]["vendor"], r["nsd"]["name"], r["nsd"]["version"])
        for r in rows))


def listing(endpoint, args):
    rows = call("GET", endpoint + "/instantiations")
    print_result(args, rows if args.json else "\n".join(
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

