"""vim-emu's ``emuvim.cli.rest.compute``: RestApiClient().start/stop/list/status(args)."""

from emuvim.cli.rest.clients import RestApiClient as _Base, command


class RestApiClient(_Base):
    group = "compute"
    start, stop, list, status = (command(n) for n in ("start", "stop", "list", "status"))
