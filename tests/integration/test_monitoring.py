"""Prometheus metrics of a running emulation, read as a scraper would."""

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from helpers import ping_ok, reachable


def scrape(url):
    reply = requests.get(url + "/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            samples[key] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_follow_the_emulation(api):
    net, url = api
    for dc, name, ip in (("datacenter0", "vnf1", "10.0.10.1/24"),
                         ("datacenter1", "vnf2", "10.0.10.2/24")):
        requests.put("%s/restapi/compute/%s/%s" % (url, dc, name),
                     json={"network": "(id=emu0,ip=%s)" % ip}).raise_for_status()
    requests.put(url + "/restapi/network", json={
        "vnf_src_name": "vnf1", "vnf_dst_name": "vnf2", "bidirectional": True,
        "cookie": 10}).raise_for_status()
    assert requests.put(url + "/restapi/monitor/interface",
                        params={"vnf_name": "vnf1:emu0"}).status_code == 200
    assert requests.put(url + "/restapi/monitor/flow",
                        params={"vnf_name": "vnf1", "cookie": "10"}).status_code == 200
    vnf1 = net.getNodeByName("vnf1")
    assert reachable(vnf1, "10.0.10.2") and ping_ok(vnf1, "10.0.10.2", count=5)

    samples = scrape(url)
    assert value(samples, "emuvim_datacenters") == 2
    assert value(samples, "emuvim_containers", datacenter="datacenter0") == 1
    assert value(samples, "emuvim_vnf_cpu_seconds_total", vnf_name="vnf1",
                 datacenter="datacenter0") > 0
    assert value(samples, "emuvim_vnf_memory_bytes", vnf_name="vnf2",
                 datacenter="datacenter1") > 0
    intf = dict(vnf_name="vnf1", vnf_interface="emu0", datacenter="datacenter0")
    assert value(samples, "emuvim_vnf_interface_tx_packets_total", **intf) >= 5
    assert value(samples, "emuvim_vnf_interface_rx_packets_total", **intf) >= 5
    flow = dict(cookie="10", vnf_name="vnf1", vnf_interface="emu0")
    assert value(samples, "emuvim_flow_packets_total", **flow) >= 10  # both directions

    assert requests.delete(url + "/restapi/monitor/interface",
                           params={"vnf_name": "vnf1"}).status_code == 200
    assert requests.delete(url + "/restapi/monitor/flow",
                           params={"vnf_name": "vnf1", "cookie": "10"}).status_code == 200
    samples = scrape(url)
    assert value(samples, "emuvim_vnf_interface_tx_packets_total", **intf) is None
    assert value(samples, "emuvim_flow_packets_total", **flow) is None
    requests.delete(url + "/restapi/compute/datacenter1/vnf2").raise_for_status()
    assert value(scrape(url), "emuvim_containers", datacenter="datacenter1") == 0


@pytest.mark.parametrize("method,path,params,status", [
    ("put", "/restapi/monitor/interface", {}, 400),
    ("put", "/restapi/monitor/interface", {"vnf_name": "ghost"}, 404),
    ("delete", "/restapi/monitor/interface", {"vnf_name": "ghost"}, 404),
    ("put", "/restapi/monitor/flow", {"vnf_name": "ghost", "cookie": "1"}, 404),
    ("put", "/restapi/monitor/flow", {"vnf_name": "ghost", "cookie": "x"}, 400),
])
def test_monitor_mistakes(api, method, path, params, status):
    _, url = api
    reply = getattr(requests, method)(url + path, params=params)
    assert reply.status_code == status, reply.text
    assert "error" in reply.json()


def test_real_prometheus_scrapes_the_endpoint(api, tmp_path):
    import shutil
    import socket
    import subprocess
    import time
    if shutil.which("prometheus") is None:
        pytest.skip("Debian's prometheus package is not installed (./run installs it)")
    net, url = api
    requests.put(url + "/restapi/compute/datacenter0/vnf1",
                 json={"image": "emuvim/busybox:latest"}).raise_for_status()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        prom_port = sock.getsockname()[1]
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1s}\n"
                      "scrape_configs:\n"
                      "  - job_name: emuvim\n"
                      "    static_configs: [{targets: ['%s']}]\n" % url.split("//")[1])
    prom = subprocess.Popen(["prometheus", "--config.file=%s" % config,
                             "--storage.tsdb.path=%s" % (tmp_path / "data"),
                             "--web.listen-address=127.0.0.1:%d" % prom_port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        query = "http://127.0.0.1:%d/api/v1/query" % prom_port
        result, deadline = [], time.monotonic() + 60
        while not result and time.monotonic() < deadline:
            try:
                reply = requests.get(query, params={"query": "emuvim_containers"}, timeout=5)
                result = reply.json()["data"]["result"] if reply.status_code == 200 else []
            except (requests.RequestException, ValueError, KeyError):
                result = []
            if not result:
                time.sleep(0.5)
        by_dc = {r["metric"]["datacenter"]: float(r["value"][1]) for r in result}
        assert by_dc == {"datacenter0": 1.0, "datacenter1": 0.0}
        cpu = requests.get(query, params={"query": "emuvim_vnf_cpu_seconds_total"}).json()
        assert [r["metric"]["vnf_name"] for r in cpu["data"]["result"]] == ["vnf1"]
    finally:
        prom.terminate()
        prom.wait(timeout=30)


def test_link_monitor(api):
    net, url = api
    for dc, name, ip in (("datacenter0", "vnf1", "10.0.10.1/24"),
                         ("datacenter1", "vnf2", "10.0.10.2/24")):
        requests.put("%s/restapi/compute/%s/%s" % (url, dc, name),
                     json={"network": "(id=emu0,ip=%s)" % ip}).raise_for_status()
    chain = {"vnf_src_name": "vnf1", "vnf_dst_name": "vnf2", "bidirectional": True,
             "cookie": 10}
    requests.put(url + "/restapi/network", json=chain).raise_for_status()
    watch = {"vnf_src_name": "vnf1", "vnf_dst_name": "vnf2", "monitor_placement": "tx",
             "cookie": 55, "metric": "tx_packets"}
    reply = requests.put(url + "/restapi/monitor/link", json=watch)
    assert reply.status_code == 200, reply.text
    assert "monitor tx" in reply.json() and "Started monitoring" in reply.json()
    vnf1 = net.getNodeByName("vnf1")
    assert reachable(vnf1, "10.0.10.2") and ping_ok(vnf1, "10.0.10.2", count=3)
    flow = dict(cookie="55", vnf_name="vnf1", vnf_interface="emu0")
    assert value(scrape(url), "emuvim_flow_packets_total", **flow) >= 3
    assert requests.delete(url + "/restapi/monitor/link", json=watch).status_code == 200
    assert value(scrape(url), "emuvim_flow_packets_total", **flow) is None
    assert len(net.listChains()) == 2  # the chain itself stays
    for bad, status in ((dict(watch, monitor_placement="middle"), 400),
                        (dict(watch, cookie=0), 400),
                        (dict(watch, vnf_src_name="ghost"), 404)):
        assert requests.put(url + "/restapi/monitor/link", json=bad).status_code == status
