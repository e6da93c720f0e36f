"""Fuzz the REST API from its own OpenAPI document (bounded): never a 5xx."""

import pytest

from fuzzing import fuzz
from helpers import containers_of

schemathesis = pytest.importorskip("schemathesis")

# Endless by design (server-sent events); its parameter checks are tested in
# test_dashboard.py.
STREAMS = {"/dashboard/events"}


def test_no_server_errors_and_nothing_left(api):
    net, url = api
    net.dcs["datacenter0"].startCompute("vnf1", image="emuvim/busybox:latest")
    operations, statuses, failures = fuzz(schemathesis, url, skipped=STREAMS)
    assert len(operations) >= 14
    assert failures == []
    assert len(statuses) >= 3 * len(operations)  # the fuzzer really sent requests
    assert any(400 <= code < 500 for code in statuses)
    # the fuzzer may have started nodes through PUT; the PoPs must know each one
    tracked = sum(len(dc.containers) for dc in net.dcs.values())
    assert len(containers_of(net.identity.run_id)) == tracked
