"""`vim-emu docker ...`: a client of the Docker-VIM API (/v1), HTTP only.

Tables by default, --json for scripts.  `vim-emu docker exec NAME -- CMD`
behaves like `docker exec`: the remote stdout and stderr go to ours and the
exit code is the remote one (124 if the command timed out).  A refusal
prints one line (and the server's hint) and exits 1.
"""

import io
import json
import os
import sys
import tarfile

import requests
from rich.console import Console
from rich.table import Table

from emuvim.cli import common
from emuvim.cli.common import CliError, add_command, add_group

DEFAULT_ENDPOINT = "http://127.0.0.1:5001"
TOKEN_ENV = "EMUVIM_API_TOKEN"
EXEC_TIMED_OUT = 124


def add_parsers(groups):
    docker = add_group(groups, "docker", "the Docker-VIM API: containers, images and "
                                         "networks of a running emulator", DEFAULT_ENDPOINT)
    docker.add_argument("--token", default=os.environ.get(TOKEN_ENV),
                        help="bearer token (when the API listens beyond loopback; "
                             "default $%s)" % TOKEN_ENV)
    commands = docker.add_subparsers(dest="command", required=True)
    add_command(commands, "info", "Docker and emulator summary")
    ps = add_command(commands, "ps", "list containers of this run (all states)")
    for option in ("state", "pop", "image", "label"):
        ps.add_argument("--" + option)
    for name, help_text in (("create", "create a container in a PoP (not started)"),
                            ("run", "create and start a container in a PoP")):
        _container_options(add_command(commands, name, help_text))
    for name in ("start", "stop", "restart", "pause", "unpause", "inspect", "stats"):
        parser = add_command(commands, name, "%s a container" % name)
        parser.add_argument("name")
        if name in ("stop", "restart"):
            parser.add_argument("-t", "--time", type=int, default=10, dest="timeout_s")
    remove = add_command(commands, "rm", "remove a container")
    remove.add_argument("name")
    remove.add_argument("-f", "--force", action="store_true")
    logs = add_command(commands, "logs", "log lines of a container")
    logs.add_argument("name")
    logs.add_argument("--tail", type=int, default=200)
    execute = add_command(commands, "exec", "run a command in a running container")
    execute.add_argument("name")
    execute.add_argument("--timeout", type=float, default=30.0)
    execute.add_argument("--shell", action="store_true", help="run CMD with /bin/sh -c")
    execute.add_argument("cmd", nargs="+", help="the command (put -- before it)")
    stop_all = add_command(commands, "stop-all", "stop every running container of this run")
    stop_all.add_argument("--pop")
    add_command(commands, "prune", "remove this run's stopped containers")
    _image_parsers(add_command(commands, "images", "local images"))
    _network_parsers(add_command(commands, "network", "Docker networks of this run"))


def _container_options(parser):
    parser.add_argument("--name", required=True)
    parser.add_argument("--pop", help="PoP label (may be left out with one PoP)")
    parser.add_argument("--net", action="append", default=[], metavar="id=IF[,ip=CIDR]"
                        "[,mac=MAC]", help="an emulator interface (repeatable; default one "
                                           "'emu0'); --net none for none")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-l", "--label", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-p", "--publish", action="append", default=[],
                        metavar="HOST:CONTAINER[/PROTO]")
    parser.add_argument("--cap-add", action="append", default=[])
    parser.add_argument("--device", action="append", default=[])
    parser.add_argument("--sysctl", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--memory", help="memory limit, e.g. 128m")
    parser.add_argument("--cpu-quota", type=int)
    parser.add_argument("--cpu-period", type=int)
    parser.add_argument("--cpuset-cpus")
    parser.add_argument("image")
    parser.add_argument("command_args", nargs="*", metavar="CMD")


def _image_parsers(parser):
    commands = parser.add_subparsers(dest="image_command", required=True)
    listing = commands.add_parser("ls", help="list local images")
    listing.add_argument("--emulator-built", action="store_true")
    build = commands.add_parser("build", help="build an image (offline)")
    build.add_argument("--tag", required=True)
    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument("--context", help="<root>/<folder> on the server, e.g. "
                                          "images/iperf-vnf")
    source.add_argument("--upload", metavar="DIR", help="a local folder, sent as a tar")
    build.add_argument("--file", dest="dockerfile")
    build.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE")
    build.add_argument("--no-cache", action="store_true")
    pull = commands.add_parser("pull", help="pull once (fails clearly when offline)")
    pull.add_argument("image")
    remove = commands.add_parser("rm", help="remove an image built through the API")
    remove.add_argument("image")


def _network_parsers(parser):
    commands = parser.add_subparsers(dest="network_command", required=True)
    commands.add_parser("ls", help="list networks")
    create = commands.add_parser("create", help="create a bridge network")
    create.add_argument("name")
    for option in ("subnet", "ip-range", "gateway", "bridge-name"):
        create.add_argument("--" + option)
    create.add_argument("--internal", action="store_true")
    remove = commands.add_parser("rm", help="remove a network")
    remove.add_argument("name")
    for verb in ("connect", "disconnect"):
        sub = commands.add_parser(verb, help="%s a container" % verb)
        sub.add_argument("name")
        sub.add_argument("container")
        if verb == "connect":
            sub.add_argument("--ip", dest="ipv4_address")


# -- requests -------------------------------------------------------------------------

class Client:
    def __init__(self, endpoint, token):
        self.base = endpoint.rstrip("/") + "/v1"
        self.headers = {"Authorization": "Bearer " + token} if token else {}

    def call(self, method, path, body=None, **kwargs):
        headers = dict(self.headers, **kwargs.pop("headers", {}))
        if method in ("POST", "PUT", "PATCH") and "data" not in kwargs:
            kwargs["json"] = body if body is not None else {}
        try:
            reply = requests.request(method, self.base + path, headers=headers, timeout=3700,
                                     **kwargs)
        except requests.RequestException as err:
            raise CliError("cannot reach %s: %s" % (self.base, err.__class__.__name__)) \
                from err
        if reply.status_code >= 400:
            raise CliError(refusal_text(reply))
        if reply.status_code == 204 or not reply.content:
            return None
        return reply.json() if "json" in reply.headers.get("content-type", "") else reply


def refusal_text(reply):
    try:
        body = reply.json()
    except ValueError:
        return "%s %s" % (reply.status_code, reply.text.strip()[:200])
    text = "%s %s: %s" % (reply.status_code, body.get("code", reply.reason), body.get("error"))
    hint = (body.get("details") or {}).get("hint")
    return text + ("\nhint: %s" % hint if hint else "")


def pairs(items, option):
    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError("%s wants KEY=VALUE, got %r" % (option, item))
        result[key] = value
    return result


def interfaces(items):
    if items == ["none"]:
        return []
    if not items:
        return None
    return [pairs(item.split(","), "--net") for item in items]


def published(items):
    ports = {}
    for item in items:
        host, sep, container = item.partition(":")
        if not sep or not host.isdigit():
            raise CliError("-p wants HOST:CONTAINER[/PROTO], got %r" % item)
        ports[container] = int(host)
    return ports


def container_body(args, start):
    body = {"name": args.name, "image": args.image, "start": start,
            "environment": pairs(args.env, "--env"), "labels": pairs(args.label, "--label"),
            "ports": published(args.publish), "cap_add": args.cap_add,
            "devices": args.device, "sysctls": pairs(args.sysctl, "--sysctl")}
    for key in ("pop",):
        if getattr(args, key):
            body[key] = getattr(args, key)
    if args.command_args:
        body["command"] = args.command_args
    network = interfaces(args.net)
    if network is not None:
        body["network"] = network
    resources = {"mem_limit": args.memory, "cpu_quota": args.cpu_quota,
                 "cpu_period": args.cpu_period, "cpuset_cpus": args.cpuset_cpus}
    body["resources"] = {k: v for k, v in resources.items() if v is not None}
    return body


# -- output ---------------------------------------------------------------------------

def out(args, data, columns=None, rows=None):
    if args.json or columns is None:
        print(json.dumps(data, indent=2))
        return
    table = Table(*columns)
    for row in rows(data):
        table.add_row(*["" if v is None else str(v) for v in row])
    Console(width=160).print(table)


def container_rows(items):
    for c in items:
        yield (c["name"], c["pop"], c["state"], c["image"], c["short_id"],
               ", ".join("%s:%s" % (i["id"], i.get("ip") or "-") for i in c["interfaces"]))


CONTAINER_COLUMNS = ("Name", "PoP", "State", "Image", "Id", "Interfaces")


# -- commands -------------------------------------------------------------------------

def handle(endpoint, args):
    client = Client(endpoint, args.token)
    command = args.command
    if command == "images":
        return images(client, args)
    if command == "network":
        return networks(client, args)
    if command == "exec":
        return execute(client, args)
    if command == "info":
        return out(args, client.call("GET", "/info"))
    if command == "ps":
        query = {k: getattr(args, k) for k in ("state", "pop", "image", "label")
                 if getattr(args, k)}
        items = client.call("GET", "/containers", params=query)
        return out(args, items, CONTAINER_COLUMNS, container_rows)
    if command in ("create", "run"):
        view = client.call("POST", "/containers", container_body(args, command == "run"))
        return out(args, [view], CONTAINER_COLUMNS, container_rows)
    if command in ("start", "stop", "restart", "pause", "unpause"):
        body = {"timeout_s": args.timeout_s} if command in ("stop", "restart") else {}
        result = client.call("POST", "/containers/%s/%s" % (args.name, command), body)
        return out(args, [result["container"]], CONTAINER_COLUMNS, container_rows)
    if command == "inspect":
        return out(args, client.call("GET", "/containers/" + args.name))
    if command == "stats":
        return out(args, client.call("GET", "/containers/%s/stats" % args.name))
    if command == "rm":
        client.call("DELETE", "/containers/" + args.name,
                    params={"force": "true"} if args.force else None)
        return print(args.name)
    if command == "logs":
        result = client.call("GET", "/containers/%s/logs" % args.name,
                             params={"tail": args.tail})
        if args.json:
            return out(args, result)
        for line in result["lines"]:
            print(line["text"], file=sys.stderr if line["stream"] == "stderr" else sys.stdout)
        return None
    if command == "stop-all":
        return out(args, client.call("POST", "/containers/actions/stop-all",
                                     {"pop": args.pop} if args.pop else {}))
    if command == "prune":
        return out(args, client.call("POST", "/containers/actions/prune", {}))
    raise CliError("unknown command %s" % command)


class ExitCode(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def execute(client, args):
    cmd = " ".join(args.cmd) if args.shell else args.cmd
    result = client.call("POST", "/containers/%s/exec" % args.name,
                         {"cmd": cmd, "shell": args.shell, "timeout_s": args.timeout})
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        sys.stdout.write(result["stdout"])
        sys.stderr.write(result["stderr"])
    if result["timed_out"]:
        print("error: the command timed out after %s s" % args.timeout, file=sys.stderr)
        raise ExitCode(EXEC_TIMED_OUT)
    raise ExitCode(result["exit_code"])


def images(client, args):
    sub = args.image_command
    if sub == "ls":
        items = client.call("GET", "/images", params={"emulator_built": "true"}
                            if args.emulator_built else None)
        return out(args, items, ("Tags", "Id", "Size (MB)", "Emulator-built"), lambda data: (
            (", ".join(i["tags"]) or "<none>", i["short_id"],
             "%.1f" % ((i["size_bytes"] or 0) / 1e6), i["emulator_built"]) for i in data))
    if sub == "pull":
        return out(args, client.call("POST", "/images/pull", {"image": args.image}))
    if sub == "rm":
        client.call("DELETE", "/images/" + args.image)
        return print(args.image)
    return build(client, args)


def build(client, args):
    headers = {"Accept": "application/x-ndjson"}
    if args.upload:
        if not os.path.isdir(args.upload):
            raise CliError("%s is not a folder" % args.upload)
        params = {"tag": args.tag, "no_cache": str(args.no_cache).lower()}
        if args.dockerfile:
            params["dockerfile"] = args.dockerfile
        reply = client.call("POST", "/images/build", data=tar_of(args.upload), params=params,
                            headers=dict(headers, **{"Content-Type": "application/x-tar"}),
                            stream=True)
    else:
        body = {"context": args.context, "tag": args.tag, "no_cache": args.no_cache,
                "build_args": pairs(args.build_arg, "--build-arg")}
        if args.dockerfile:
            body["dockerfile"] = args.dockerfile
        reply = client.call("POST", "/images/build", body, headers=headers, stream=True)
    for raw in reply.iter_lines():
        item = json.loads(raw)
        if "stream" in item:
            print(item["stream"], file=sys.stderr)
        elif "error" in item:
            log = "\n".join((item.get("details") or {}).get("log") or [])
            raise CliError("%s: %s%s" % (item.get("code"), item["error"],
                                         "\n" + log if log else ""))
        else:
            return out(args, item["image"])
    raise CliError("the build answer ended early")


def tar_of(folder):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        archive.add(folder, arcname=".")
    return data.getvalue()


def networks(client, args):
    sub = args.network_command
    if sub == "ls":
        return out(args, client.call("GET", "/networks"),
                   ("Name", "Subnet", "Gateway", "Bridge", "Containers"), lambda data: (
                       (n["name"], n["subnet"], n["gateway"], n["bridge_name"],
                        ", ".join(n["containers"])) for n in data))
    if sub == "create":
        body = {"name": args.name, "internal": args.internal}
        for option in ("subnet", "ip_range", "gateway", "bridge_name"):
            if getattr(args, option):
                body[option] = getattr(args, option)
        return out(args, client.call("POST", "/networks", body))
    if sub == "rm":
        client.call("DELETE", "/networks/" + args.name)
        return print(args.name)
    body = {"container": args.container}
    if sub == "connect" and args.ipv4_address:
        body["ipv4_address"] = args.ipv4_address
    return out(args, client.call("POST", "/networks/%s/%s" % (args.name, sub), body))


def run(args):
    """Execute a parsed docker command; returns the process exit code."""
    try:
        return common.run(args, {("docker", args.command): handle}, DEFAULT_ENDPOINT)
    except ExitCode as code:
        return code.code
