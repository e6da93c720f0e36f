"""`vim-emu compute|datacenter|network|monitor`: a client of the REST API (HTTP only).

Same commands and options as vim-emu's CLI, with its bugs fixed: `-c/--dcmd`
reaches the server, `network add` without `-b` is one-way, `monitor stop_*`
really stops.  Errors print one
line and exit non-zero; `--json` prints machine-readable output.
"""

from rich.console import Console
from rich.table import Table

from emuvim.cli import common
from emuvim.cli.common import add_command, add_group, call, print_result

DEFAULT_ENDPOINT = "http://127.0.0.1:5001"


def add_parsers(groups):
    """Register the REST groups on the top-level subparsers."""
    compute = add_group(groups, "compute", "start, stop, list and inspect compute nodes",
                        DEFAULT_ENDPOINT)
    commands = compute.add_subparsers(dest="command", required=True)
    start = add_command(commands, "start", "start a compute node")
    _dc(start, required=True)
    _name(start)
    start.add_argument("-i", "--image", help="image (default emuvim/base:latest)")
    start.add_argument("-c", "--dcmd", dest="docker_command", help="command to run")
    start.add_argument("--net", dest="network", help='"(id=input,ip=10.0.0.1/24),(id=b)"')
    start.add_argument("--flavor", dest="flavor_name", help="resource flavor (tiny...)")
    stop = add_command(commands, "stop", "stop a compute node")
    _dc(stop, required=True)
    _name(stop)
    listing = add_command(commands, "list", "list compute nodes")
    _dc(listing, required=False)
    status = add_command(commands, "status", "status of a compute node")
    _dc(status, required=True)
    _name(status)

    datacenter = add_group(groups, "datacenter", "list and inspect PoPs",
                           DEFAULT_ENDPOINT)
    commands = datacenter.add_subparsers(dest="command", required=True)
    add_command(commands, "list", "list PoPs")
    _dc(add_command(commands, "status", "status of a PoP"), required=True)

    network = add_group(groups, "network", "add and remove chains between VNFs",
                        DEFAULT_ENDPOINT)
    commands = network.add_subparsers(dest="command", required=True)
    for name in ("add", "remove"):
        chain = add_command(commands, name, "%s a chain" % name)
        chain.add_argument("-src", "--source", required=True, help="vnf[:interface]")
        chain.add_argument("-dst", "--destination", required=True, help="vnf[:interface]")
        chain.add_argument("-w", "--weight", help="link attribute to minimise, e.g. delay")
        chain.add_argument("-p", "--priority", default="1000")
        chain.add_argument("-m", "--match", help="ovs-ofctl match, e.g. 'dl_type=0x0800'")
        chain.add_argument("-b", "--bidirectional", action="store_true")
        chain.add_argument("-c", "--cookie", default="10")
        chain.add_argument("-d", "--datacenter", help="ignored (vim-emu compatibility)")

    _add_monitor_parsers(groups)


def _add_monitor_parsers(groups):
    monitor = add_group(groups, "monitor", "export interface or flow counters to /metrics",
                        DEFAULT_ENDPOINT)
    commands = monitor.add_subparsers(dest="command", required=True)
    for name in ("setup_metric", "stop_metric", "setup_flow", "stop_flow"):
        parser = add_command(commands, name, name.replace("_", " "))
        parser.add_argument("-vnf", "--vnf_name", required=True, help="vnf[:interface]")
        parser.add_argument("-m", "--metric", default="tx_packets",
                            help="accepted for vim-emu compatibility: all four "
                                 "rx/tx packet/byte series are exported")
        if name.endswith("flow"):
            parser.add_argument("-c", "--cookie", required=True)


def _dc(parser, required):
    parser.add_argument("-d", "--datacenter", required=required, help="PoP label")


def _name(parser):
    parser.add_argument("-n", "--name", required=True, help="compute node name")


# -- running a command ---------------------------------------------------------------

def run(args, handlers=None):
    """Execute a parsed REST command; returns the process exit code."""
    return common.run(args, handlers or HANDLERS, DEFAULT_ENDPOINT)


def compute_url(endpoint, args):
    return "%s/restapi/compute/%s/%s" % (endpoint, args.datacenter, args.name)


def compute_start(endpoint, args):
    body = {key: getattr(args, key) for key in ("image", "docker_command", "network",
                                                  "flavor_name") if getattr(args, key)}
    print_result(args, call("PUT", compute_url(endpoint, args), json=body))


def compute_stop(endpoint, args):
    print_result(args, call("DELETE", compute_url(endpoint, args)))


def compute_list(endpoint, args):
    data = call("GET", "%s/restapi/compute/%s" % (endpoint, args.datacenter or "None"))
    if args.json:
        return print_result(args, data)
    table = Table("Datacenter", "Container", "Image", "Interface list",
                  "Datacenter interfaces")
    for name, status in data:
        intfs = status.get("network") or []
        table.add_row(status.get("datacenter") or "", name, status.get("image") or "",
                      ",".join("%s:%s" % (i["intf_name"], i["ip"]) for i in intfs),
                      ",".join(i.get("dc_portname") or "" for i in intfs))
    Console(width=160).print(table)


def compute_status(endpoint, args):
    print_result(args, call("GET", compute_url(endpoint, args)))


def _datacenter_table(args, rows):
    if args.json:
        return print_result(args, rows)
    table = Table("Label", "Internal Name", "Switch", "# Containers", "# Metadata Items")
    for dc in rows:
        table.add_row(dc["label"], dc["internalname"], dc["switch"],
                      str(dc["n_running_containers"]), str(len(dc.get("metadata") or {})))
    Console(width=160).print(table)


def datacenter_list(endpoint, args):
    _datacenter_table(args, call("GET", endpoint + "/restapi/datacenter"))


def datacenter_status(endpoint, args):
    _datacenter_table(args, [call("GET", "%s/restapi/datacenter/%s" % (endpoint,
                                                                         args.datacenter))])


def _chain_params(args):
    src, _, src_intf = args.source.partition(":")
    dst, _, dst_intf = args.destination.partition(":")
    params = {"vnf_src_name": src, "vnf_dst_name": dst,
              "bidirectional": bool(args.bidirectional),
              "cookie": args.cookie, "priority": args.priority}
    optional = {"vnf_src_interface": src_intf, "vnf_dst_interface": dst_intf,
                "weight": args.weight, "match": args.match}
    params.update({k: v for k, v in optional.items() if v})
    return params


def network_add(endpoint, args):
    print_result(args, call("PUT", endpoint + "/restapi/network", json=_chain_params(args)))


def network_remove(endpoint, args):
    print_result(args, call("DELETE", endpoint + "/restapi/network", json=_chain_params(args)))


def _monitor(method, path):
    def handler(endpoint, args):
        params = {"vnf_name": args.vnf_name, "metric": args.metric}
        if getattr(args, "cookie", None) is not None:
            params["cookie"] = args.cookie
        print_result(args, call(method, endpoint + path, params=params))
    return handler


HANDLERS = {
    ("compute", "start"): compute_start, ("compute", "stop"): compute_stop,
    ("compute", "list"): compute_list, ("compute", "status"): compute_status,
    ("datacenter", "list"): datacenter_list, ("datacenter", "status"): datacenter_status,
    ("network", "add"): network_add, ("network", "remove"): network_remove,
    # vim-emu sent PUT for the stop commands too, restarting instead of stopping.
    ("monitor", "setup_metric"): _monitor("PUT", "/restapi/monitor/interface"),
    ("monitor", "stop_metric"): _monitor("DELETE", "/restapi/monitor/interface"),
    ("monitor", "setup_flow"): _monitor("PUT", "/restapi/monitor/flow"),
    ("monitor", "stop_flow"): _monitor("DELETE", "/restapi/monitor/flow"),
}
