"""The web dashboard in a real browser (Debian's headless Chromium driven by
Playwright) against a real emulation; screenshots are kept in
artifacts/dashboard/ (EMUVIM_ARTIFACTS overrides the folder)."""

import json
import os
import threading

import pytest
import requests
from mininet.node import RemoteController

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint
from emuvim.api.tango import TangoLLCMEndpoint
from emuvim.api.tango.package import pack_project

from helpers import details, instantiate, rest_over_two_pops
from tango_examples import upload_package

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.environ.get("EMUVIM_ARTIFACTS") or os.path.join(REPO, "artifacts")
CHROMIUM = os.environ.get("EMUVIM_CHROMIUM") or next(
    (path for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
     if os.path.exists(path)), "/usr/bin/chromium")
VNF_IMAGE = "emuvim/iperf-vnf:latest"
# Without the network flags Chromium keeps calling home, which this closed
# network refuses; --no-sandbox because the tests run as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 20000


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium missing at %s: `./run test` installs Debian's chromium "
                    "(or set EMUVIM_CHROMIUM)" % CHROMIUM)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert errors == [], "the page threw: %s" % errors


def screenshot(page, name):
    folder = os.path.join(ARTIFACTS, "dashboard")
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, name + ".png"), full_page=True)


def graph_ids(page, what="elements"):
    return set(page.evaluate("window.emuvimDashboard.cy.%s().map(e => e.id())" % what))


def cell_value(page, selector):
    return page.eval_on_selector(selector, "cell => Number(cell.dataset.value)")


def wait_value_above(page, selector, threshold):
    page.wait_for_function(
        "([sel, limit]) => { const c = document.querySelector(sel);"
        " return c && c.dataset.value !== undefined && Number(c.dataset.value) > limit; }",
        arg=[selector, threshold], timeout=WAIT_MS)


@pytest.fixture
def shaped_two_pops(make_net):
    """dc1 - dc2 at 50 Mbit/s, vnf1 in dc1 and vnf2 in dc2, REST API on a free
    port; only chains forward."""
    net = make_net(controller=RemoteController, enable_learning=False)
    endpoint = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    endpoint.connectDatacenter(dc1)
    endpoint.connectDatacenter(dc2)
    net.addLink(dc1, dc2, bw=50)
    net.start()
    endpoint.start()
    dc1.startCompute("vnf1", image=VNF_IMAGE, network=[{"id": "input", "ip": "10.0.0.1/24"}])
    dc2.startCompute("vnf2", image=VNF_IMAGE, network=[{"id": "output", "ip": "10.0.0.2/24"}])
    yield net, endpoint
    endpoint.stop()


def test_live_topology_chain_and_rates_without_reload(shaped_two_pops, page):
    net, endpoint = shaped_two_pops
    page.goto(endpoint.url + "/dashboard")
    page.wait_for_selector('#vnfs tr[data-key="vnf2"]', timeout=WAIT_MS)

    # Every PoP and VNF, in the tables and in the graph, and the shaped link.
    assert page.inner_text("#pops tbody").split() == ["dc1", "dc1.s1", "1", "dc2", "dc2.s1", "1"]
    nodes = graph_ids(page, "nodes")
    assert {"pop:dc1", "pop:dc2", "sw:dc1.s1", "sw:dc2.s1", "vnf:vnf1", "vnf:vnf2"} <= nodes
    labels = page.evaluate("window.emuvimDashboard.cy.edges('.link').map(e => e.data('label'))")
    assert labels == ["50 Mbit/s"]
    assert "10.0.0.1/24" in page.inner_text('#interfaces tr[data-key="vnf1:input"]')
    assert page.evaluate("window.emuvimDashboard.cy.getElementById('vnf:vnf1')"
                         ".parent().id()") == "pop:dc1"
    page.evaluate("window.stillTheSamePage = true")

    # A VNF started through the REST API appears, without a reload.
    reply = requests.put(endpoint.url + "/restapi/compute/dc1/vnf3",
                         json={"image": VNF_IMAGE, "network": "(id=mgmt,ip=10.0.1.3/24)"})
    assert reply.status_code == 201, reply.text
    page.wait_for_selector('#vnfs tr[data-key="vnf3"]', timeout=WAIT_MS)
    assert "vnf:vnf3" in graph_ids(page, "nodes")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "1-vnf-started-through-rest")

    # A chain appears with its cookie and VLANs.
    reply = requests.put(endpoint.url + "/restapi/network", json={
        "vnf_src_name": "vnf1", "vnf_dst_name": "vnf2", "vnf_src_interface": "input",
        "vnf_dst_interface": "output", "bidirectional": True, "cookie": 11})
    assert reply.status_code == 200, reply.text
    forward = "vnf1:input>vnf2:output"
    page.wait_for_selector('#chains tr[data-key="%s"]' % forward, timeout=WAIT_MS)
    chain = next(c for c in net.chaining.list_chains() if c["vnf_src_name"] == "vnf1")
    row = page.inner_text('#chains tr[data-key="%s"]' % forward).split("\t")
    assert row[:5] == ["vnf1:input", "vnf2:output", "11", str(chain["vlan"]),
                       "dc1.s1 › dc2.s1"]
    edge_label = page.evaluate("window.emuvimDashboard.cy.getElementById('chain:%s')"
                               ".data('label')" % forward)
    assert edge_label == "cookie 11 / VLAN %d" % chain["vlan"]
    # Clicking the chain in the graph marks its row in the table.
    page.evaluate("() => { window.emuvimDashboard.cy.getElementById('chain:%s').emit('tap'); }"
                  % forward)
    assert page.get_attribute('#chains tr[data-key="%s"]' % forward, "class") == "selected"
    screenshot(page, "2-chain-installed")

    # Rates move while iperf3 runs through the chain.
    chain_rate = '#chains tr[data-key="%s"] td[data-metric="rate"]' % forward
    tx_rate = '#interfaces tr[data-key="vnf1:input"] td[data-metric="tx"]'
    wait_value_above(page, chain_rate, -1)         # a first rate is in
    assert cell_value(page, chain_rate) < 1e6      # idle: no traffic yet
    vnf1, vnf2 = net.getNodeByName("vnf1"), net.getNodeByName("vnf2")
    vnf2.cmd("iperf3 -s -D")
    vnf1.cmd("iperf3 -c 10.0.0.2 -t 15 >/tmp/dashboard-iperf.log 2>&1 &")
    try:
        wait_value_above(page, chain_rate, 5e6)
        wait_value_above(page, tx_rate, 5e6)
        wait_value_above(page, '#vnfs tr[data-key="vnf1"] td[data-metric="cpu"]', 0)
        history = page.evaluate("window.emuvimDashboard.histories['chain:%s'][1]" % forward)
        assert max(v for v in history if v is not None) > 5e6
        assert page.query_selector('td[data-chart="chain:%s"] canvas' % forward) is not None
        screenshot(page, "3-rates-while-iperf3-runs")
    finally:
        vnf1.cmd("pkill iperf3")

    # A VNF stopped through the REST API goes, with its charts.
    assert requests.delete(endpoint.url + "/restapi/compute/dc1/vnf3").status_code == 200
    page.wait_for_selector('#vnfs tr[data-key="vnf3"]', state="detached", timeout=WAIT_MS)
    page.wait_for_function("!('cpu:vnf3' in window.emuvimDashboard.histories)", timeout=WAIT_MS)
    assert "vnf:vnf3" not in graph_ids(page, "nodes")
    assert page.evaluate("window.stillTheSamePage") is True


def test_llcm_instance_grouped_with_its_elan(make_lifecycle_endpoint, page, tmp_path):
    net, llcm = make_lifecycle_endpoint(TangoLLCMEndpoint)
    rest = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
    for dc in net.dcs.values():
        rest.connectDatacenter(dc)
    rest.start()
    try:
        package = pack_project(os.path.join(REPO, "services", "emulator-example"),
                               str(tmp_path / "example.tgo"))
        service = upload_package(llcm.url, package).json()
        uuid = instantiate(llcm.url, service_uuid=service["service_uuid"])
        name = details(llcm.url, uuid)["instance_name"]
        page.goto(rest.url + "/dashboard")
        box = page.wait_for_selector('.service[data-service="%s"]' % uuid, timeout=WAIT_MS)
        text = box.inner_text()
        assert name in text and "5GTANGO LLCM · running" in text
        assert "VNFs: vnf0.vdu01.0, vnf1.vdu01.0" in text
        page.wait_for_selector('#vnfs tr[data-key="vnf0.vdu01.0"]', timeout=WAIT_MS)
        service_cell = page.inner_text('#vnfs tr[data-key="vnf0.vdu01.0"] td:nth-child(4)')
        assert service_cell.strip() == name
        # The management E-LAN, drawn with its VLAN, and the E-Lines' chains.
        lan = net.chaining.list_lans()[0]
        assert page.inner_text('#lans tr[data-key="%d"]' % lan["vlan"]).startswith(
            str(lan["vlan"]))
        assert "lan:%d" % lan["vlan"] in graph_ids(page, "nodes")
        chains = net.chaining.list_chains()
        assert len(page.query_selector_all("#chains tbody tr[data-key]")) == len(chains)
        # Chains to the SAPs included: every chain is drawn.
        assert page.evaluate("window.emuvimDashboard.cy.edges('.chain').length") == len(chains)
        screenshot(page, "4-llcm-service-instance")
        requests.delete(llcm.url + "/instantiations", json={"service_instance_uuid": uuid})
        page.wait_for_selector('.service[data-service="%s"]' % uuid, state="detached",
                               timeout=WAIT_MS)
    finally:
        rest.stop()


def test_events_stream_and_bad_requests(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    endpoint = rest_over_two_pops(net, "dc1", "dc2")
    url = endpoint.url
    try:
        for bad in ("abc", "0", "60"):
            reply = requests.get(url + "/dashboard/events", params={"interval": bad})
            assert reply.status_code == 400 and "interval" in reply.json()["error"]
        assert requests.get(url + "/dashboard/static/nothing.js").status_code == 404
        assert requests.get(url + "/dashboard/static/vendor/cytoscape.min.js").status_code == 200
        page = requests.get(url + "/dashboard")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]

        events = []
        ended = threading.Event()

        def listen():
            with requests.get(url + "/dashboard/events", params={"interval": "0.2"},
                              stream=True, timeout=30) as stream:
                name = None
                for line in stream.iter_lines(decode_unicode=True):
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        events.append((name, json.loads(line[6:])))
            ended.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        net.dcs["dc1"].startCompute("late")

        def late_seen():
            return any(n == "topology" and any(v["name"] == "late" for v in d["vnfs"])
                       for n, d in list(events))
        for _ in range(300):             # at most 30 s, checked every 0.1 s
            if late_seen() or ended.wait(0.1):
                break
        assert late_seen(), "the new VNF never reached the stream"
        assert events[0][0] == "topology" and events[1][0] == "metrics"
        assert [p["label"] for p in events[0][1]["pops"]] == ["dc1", "dc2"]
    finally:
        endpoint.stop()
    # Stopping the endpoint ends open streams (the server does not hang on them).
    assert ended.wait(15), "the event stream outlived the endpoint"


def test_dashboard_in_a_browser_beyond_loopback_with_the_token(make_net, page, monkeypatch):
    """Bound beyond loopback every route wants the token: a browser gets the
    page with ?token= once and the rest through its SameSite cookie."""
    monkeypatch.setenv("EMUVIM_API_TOKEN", "browser-t0ken")
    net = make_net(controller=RemoteController, enable_learning=False)
    endpoint = RestApiEndpoint("0.0.0.0", 0, DCnetwork=net)
    endpoint.connectDatacenter(net.addDatacenter("dc1"))
    net.start()
    endpoint.start()
    try:
        net.dcs["dc1"].startCompute("vnf1", image=VNF_IMAGE)
        base = "http://127.0.0.1:%d" % endpoint.port
        refused = page.goto(base + "/dashboard")
        assert refused.status == 401
        page.goto(base + "/dashboard?token=browser-t0ken")
        page.wait_for_selector('#vnfs tr[data-key="vnf1"]', timeout=WAIT_MS)
        assert "vnf:vnf1" in graph_ids(page, "nodes")
        screenshot(page, "5-beyond-loopback-with-token")
    finally:
        endpoint.stop()
