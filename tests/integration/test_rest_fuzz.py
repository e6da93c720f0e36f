"""Fuzz the REST API from its own OpenAPI document (bounded): never a 5xx."""

import pytest
from hypothesis import HealthCheck, given, settings
from mininet.node import RemoteController

from emuvim.api.rest.rest_api_endpoint import RestApiEndpoint

from helpers import containers_of

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES_PER_OPERATION = 20


def test_no_server_errors_and_nothing_left(make_net):
    net = make_net(controller=RemoteController, enable_learning=False)
    endpoint = RestApiEndpoint("127.0.0.1", 0, DCnetwork=net)
    for label in ("datacenter0", "datacenter1"):
        endpoint.connectDatacenter(net.addDatacenter(label))
    net.addLink("datacenter0", "datacenter1")
    net.start()
    endpoint.start()
    net.dcs["datacenter0"].startCompute("vnf1", image="emuvim/busybox:latest")
    try:
        schema = schemathesis.openapi.from_url(endpoint.url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 14
        failures, statuses = [], []
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def no_server_error(case):
                response = case.call(timeout=60)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append("%s %s -> %d %s" % (case.method, case.formatted_path,
                                                         response.status_code,
                                                         response.text[:200]))
            no_server_error()
        assert failures == []
        assert len(statuses) >= 3 * len(operations)  # the fuzzer really sent requests
        assert any(400 <= code < 500 for code in statuses)
        print("fuzzed %d requests over %d operations: %s" % (
            len(statuses), len(operations), sorted(set(statuses))))
        # the fuzzer may have started nodes through PUT; they are tracked by the PoPs
        tracked = sum(len(dc.containers) for dc in net.dcs.values())
        assert len(containers_of(net.identity.run_id)) == tracked
    finally:
        endpoint.stop()
