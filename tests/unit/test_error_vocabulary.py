"""One error vocabulary: each core exception answers the same status through
every API (the REST API and the LLCM), as {"error": "..."}."""

import pytest
from fastapi.testclient import TestClient

from emuvim.api.errors import HttpError, status_of
from emuvim.api.rest.app import build_app as build_rest_app
from emuvim.api.tango.app import build_app as build_llcm_app
from emuvim.api.tango.placement import PlacementError
from emuvim.dcemulator.chaining import (ChainError, ChainExists, FlowConflict,
                                        FlowInstallFailed, NoPathError)
from emuvim.dcemulator.docker_host import ContainerStartError, ImageNotFound
from emuvim.dcemulator.links import InvalidInterfaceName, NetemUnavailable
from emuvim.dcemulator.resourcemodel import NotEnoughResourcesAvailable
from emuvim.dcemulator.system import AlreadyExists

CASES = [
    (AlreadyExists("name vnf1 is taken"), 409),
    (ChainExists("chain exists"), 409),
    (FlowConflict("would replace a flow"), 409),
    (NoPathError("no path"), 409),
    (ContainerStartError("executable file not found"), 409),
    (NotEnoughResourcesAvailable("Not enough compute"), 409),
    (ImageNotFound("no/such:image"), 422),
    (NetemUnavailable("no sch_netem"), 422),
    (FlowInstallFailed("controller down"), 503),
    (ChainError("bad match"), 400),
    (LookupError("unknown VNF"), 404),
    (PlacementError("no PoP"), 404),
    (InvalidInterfaceName("bad name"), 400),
    (ValueError("bad value"), 400),
    (HttpError(418, "teapot"), 418),
]


class Raiser:
    """Stands in for the core behind an API: every call raises `error`."""

    def __init__(self, error):
        self.error = error

    def __call__(self, *args, **kwargs):
        raise self.error


class RestSide:
    def __init__(self, error):
        self.dcs = {"dc1": type("Dc", (), {"startCompute": Raiser(error), "containers": {}})()}
        self.net = None
        self.ip, self.api_token = "127.0.0.1", None


class LlcmSide:
    def __init__(self, error):
        self.instantiate = Raiser(error)


def rest_answer(error):
    client = TestClient(build_rest_app(RestSide(error)), raise_server_exceptions=False,
                        base_url="http://127.0.0.1")
    return client.put("/restapi/compute/dc1/vnf1", json={})


def llcm_answer(error):
    client = TestClient(build_llcm_app(LlcmSide(error)), raise_server_exceptions=False)
    return client.post("/instantiations", json={})


@pytest.mark.parametrize("error,status", CASES, ids=lambda v: type(v).__name__
                         if isinstance(v, Exception) else str(v))
@pytest.mark.parametrize("answer", [rest_answer, llcm_answer], ids=["rest", "llcm"])
def test_each_core_refusal_has_one_status_in_every_api(answer, error, status):
    response = answer(error)
    assert response.status_code == status
    assert response.json() == {"error": str(error)}
    assert "access-control-allow-origin" not in response.headers   # no wildcard CORS


@pytest.mark.parametrize("answer", [rest_answer, llcm_answer], ids=["rest", "llcm"])
def test_a_bug_is_a_500_not_a_client_error(answer):
    assert status_of(KeyError("x")) is None
    response = answer(KeyError("internal"))
    assert response.status_code == 500
