"""The os-ken OpenFlow 1.3 application run in the controller process.

Run as ``python -m emuvim.dcemulator.controller.app --port P [--learning]``.
With learning, a priority-0 NORMAL flow lets OVS switch L2 traffic itself
(E-LANs rely on it); without, unmatched traffic is dropped so that only
installed chains forward packets.
"""

import argparse

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, set_ev_cls
from os_ken.ofproto import ofproto_v1_3

from emuvim.dcemulator.controller.base import BASE_FLOW_COOKIE

class EmuSwitchApp(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]
    learning = False  # set by main() before the app manager instantiates us

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def on_switch_features(self, ev):
        datapath = ev.msg.datapath
        self.install_base_flow(datapath, self.learning)
        self.logger.info("switch %016x connected (learning=%s)", datapath.id, self.learning)

    @staticmethod
    def install_base_flow(datapath, learning):
        """Priority-0 flow: OVS's own L2 switching (NORMAL) or an explicit drop."""
        ofp, parser = datapath.ofproto, datapath.ofproto_parser
        actions = [parser.OFPActionOutput(ofp.OFPP_NORMAL)] if learning else []
        datapath.send_msg(parser.OFPFlowMod(
            datapath=datapath, priority=0, cookie=BASE_FLOW_COOKIE, match=parser.OFPMatch(),
            instructions=[parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="OpenFlow listen port")
    parser.add_argument("--host", default="127.0.0.1", help="OpenFlow listen address")
    parser.add_argument("--learning", action="store_true")
    args = parser.parse_args(argv)
    from os_ken import cfg
    from os_ken.base.app_manager import AppManager
    EmuSwitchApp.learning = args.learning
    cfg.CONF(args=["--ofp-tcp-listen-port", str(args.port),
                   "--ofp-listen-host", args.host], project="os_ken")
    AppManager.run_apps([__name__])


if __name__ == "__main__":
    main()
