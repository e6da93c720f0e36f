"""vim-emu's ``emuvim.cli.rest.datacenter``: RestApiClient().list/status(args)."""

from emuvim.cli.rest.clients import RestApiClient as _Base, command


class RestApiClient(_Base):
    group = "datacenter"
    list, status = command("list"), command("status")
