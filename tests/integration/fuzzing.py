"""A bounded schemathesis run against one app's own OpenAPI document (shared
by the REST fuzz test and the every-API guard test)."""

import os

from hypothesis import HealthCheck, given, settings

# EMUVIM_FUZZ_EXAMPLES=300 for a deeper run than CI's.
EXAMPLES_PER_OPERATION = int(os.environ.get("EMUVIM_FUZZ_EXAMPLES", "12"))


def fuzz(schemathesis, url, headers=None, skipped=()):
    """(operations, statuses, failures) of every operation but `skipped` paths."""
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    operations = [op for op in (r.ok() for r in schema.get_all_operations())
                  if op.path not in skipped]
    statuses, failures = [], []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            response = case.call(timeout=60, headers=dict(headers or {}))
            statuses.append(response.status_code)
            if response.status_code >= 500 and not upstream_failure(response):
                failures.append("%s %s -> %d %s | body %r" % (
                    case.method, case.formatted_path, response.status_code,
                    response.text[:200], str(case.body)[:200]))
        no_server_error()
    return operations, statuses, failures


def upstream_failure(response):
    """A 502 that is the registry's absence (this machine has none), not ours."""
    try:
        return response.status_code == 502 and response.json().get("code") == \
            "registry_unreachable"
    except ValueError:
        return False
