"""vim-emu's ``emuvim.cli.rest.monitor``: RestApiClient().setup_metric/
stop_metric/setup_flow/stop_flow(args) (vnf_name "vnf:intf", metric, cookie)."""

from emuvim.cli.rest.clients import RestApiClient as _Base, command


class RestApiClient(_Base):
    group = "monitor"
    setup_metric, stop_metric = command("setup_metric"), command("stop_metric")
    setup_flow, stop_flow = command("setup_flow"), command("stop_flow")
