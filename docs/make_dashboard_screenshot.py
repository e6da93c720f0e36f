#!/usr/bin/env python3
"""Take the README's dashboard screenshot (docs/dashboard.png).

Two PoPs at 100 Mbit/s, a hand-made chain client -> server carrying iperf3,
and the 5GTANGO example service from the LLCM; Debian's headless Chromium
(Playwright) looks at /dashboard once the charts hold ~20 s of rates.

    sudo /opt/emuvim-venv/bin/python docs/make_dashboard_screenshot.py [--out FILE]
"""

import argparse
import os
import tempfile

import requests
from mininet.node import RemoteController
from playwright.sync_api import sync_playwright

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.package import pack_project
from emuvim.dcemulator.net import DCNetwork

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "services", "emulator-example")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def build(net):
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2, bw=100)
    rest = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
    llcm = TangoLLCMEndpoint("127.0.0.1", 0)
    for dc in (dc1, dc2):
        rest.connectDatacenter(dc)
        llcm.connectDatacenter(dc)
    net.start()
    rest.start()
    llcm.start()
    net.add_stop_hook(rest.stop)
    net.add_stop_hook(llcm.stop)
    client = dc1.startCompute("client", image="emuvim/iperf-vnf:latest",
                              network=[{"id": "emu0", "ip": "10.0.0.1/24"}])
    server = dc2.startCompute("server", image="emuvim/iperf-vnf:latest",
                              network=[{"id": "emu0", "ip": "10.0.0.2/24"}])
    net.setChain("client", "server", "emu0", "emu0", bidirectional=True, cookie=1)
    with tempfile.TemporaryDirectory() as folder:
        package = pack_project(EXAMPLE, os.path.join(folder, "example.tgo"))
        with open(package, "rb") as stream:
            requests.post(llcm.url + "/packages", files={"package": stream}).raise_for_status()
    requests.post(llcm.url + "/instantiations", json={}, timeout=300).raise_for_status()
    return rest, client, server


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(HERE, "dashboard.png"))
    args = parser.parse_args()
    net = DCNetwork(controller=RemoteController, enable_learning=False)
    try:
        rest, client, server = build(net)
        server.cmd("iperf3 -s -D")
        client.cmd("iperf3 -c 10.0.0.2 -t 40 -b 60M >/dev/null 2>&1 &")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1050})
            page.goto(rest.url + "/dashboard")
            page.wait_for_function("window.emuvimDashboard.updates >= 20", timeout=60000)
            page.screenshot(path=args.out)
            browser.close()
        print("wrote", args.out)
    finally:
        net.stop()


if __name__ == "__main__":
    main()
