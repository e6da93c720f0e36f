"""vim-emu's CLI client classes, for code that drives vim-emu through them
(5GTANGO's tng-sdk-test does): ``emuvim.cli.rest.compute.RestApiClient().
start(args)`` with argparse-style dicts, as in vim-emu.  Each method runs the
same handler as the `vim-emu` command of that name; like vim-emu's clients
they print the answer (a refusal as one "error: ..." line) and raise nothing.
"""

import argparse

from emuvim.cli.common import CliError

# vim-emu's argparse defaults, per group (what its dicts carry when unset).
DEFAULTS = {
    "compute": {"datacenter": None, "name": None, "image": None, "docker_command": None,
                "network": None, "flavor_name": None},
    "datacenter": {"datacenter": None},
    "network": {"source": None, "destination": None, "weight": None, "match": None,
                "bidirectional": False, "cookie": "10", "priority": "1000",
                "datacenter": None},
    "monitor": {"vnf_name": None, "metric": "tx_packets", "cookie": None},
}


class RestApiClient:
    """Commands of one `vim-emu` group as methods taking a dict."""

    group = None

    def __init__(self):
        self.cmds = {}

    def execute_command(self, args):
        """vim-emu's dispatcher: the method named by args["command"]."""
        method = getattr(self, str(args.get("command")), None)
        if method is None:
            print("Command not implemented.")
            return None
        return method(args)

    def _run(self, command, args):
        from emuvim.cli.rest import DEFAULT_ENDPOINT, HANDLERS
        given = {key: value for key, value in dict(args).items() if value is not None}
        namespace = argparse.Namespace(**dict(DEFAULTS[self.group], **given))
        namespace.json = bool(given.get("json"))
        endpoint = str(given.get("endpoint") or DEFAULT_ENDPOINT).rstrip("/")
        try:
            HANDLERS[(self.group, command)](endpoint, namespace)
        except CliError as err:
            print("error: %s" % err)


def command(name):
    """A RestApiClient method running the `vim-emu <group> <name>` handler."""
    def method(self, args):
        return self._run(name, args)
    method.__name__ = name
    return method
