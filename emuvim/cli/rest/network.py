"""vim-emu's ``emuvim.cli.rest.network``: RestApiClient().add/remove(args) with
vim-emu's keys (source, destination "vnf:intf", weight, match, bidirectional,
cookie, priority)."""

from emuvim.cli.rest.clients import RestApiClient as _Base, command


class RestApiClient(_Base):
    group = "network"
    add, remove = command("add"), command("remove")
