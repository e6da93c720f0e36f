"""Every descriptor field of the example packages, given the wrong type or
size, is refused with a 4xx naming the problem, never a Python error: the
LLCM's whole on-boarding (unpack, descriptors, rules, host access, plan)
runs without Docker (PoPs and the image store stand in)."""

import pytest

from emuvim.api.errors import HttpError
from emuvim.api.sonata.rules import SonataRules
from emuvim.api.tango.llcm import TangoLLCM

from package_mutants import mutants, write_mutant



class ImageStore:
    def image_exists(self, _image):
        return True


class Net:
    docker_engine = ImageStore()
    allow_host_access = False
    record = None

    def add_service_source(self, _source):
        pass

    def remove_service_source(self, _source):
        pass


class Pop:
    def __init__(self, label):
        self.label, self.net = label, Net()


@pytest.mark.parametrize("kind", ["tango", "sonata"])
def test_every_wrong_field_is_a_client_error(kind, tmp_path, caplog):
    llcm = TangoLLCM(storage_dir=str(tmp_path / "storage"),
                     rules=SonataRules() if kind == "sonata" else None)
    for label in ("dc1", "dc2"):
        llcm.connectDatacenter(Pop(label))
    outcomes, slips = {"accepted": 0, "refused": 0}, []
    for label, name, path, value in mutants(kind):
        archive = write_mutant(kind, name, path, value, str(tmp_path))
        try:
            service_uuid = llcm.onboard(archive, 0, "")
        except HttpError as err:
            assert 400 <= err.status < 500, (label, err.status, str(err))
            if "cannot be used" in str(err):        # the safety net, not a check
                slips.append("%s: %s" % (label, err))
            outcomes["refused"] += 1
        else:
            llcm.remove_service(service_uuid)
            outcomes["accepted"] += 1
    assert slips == []
    assert outcomes["refused"] > 300 and outcomes["accepted"] > 30, outcomes
    assert list((tmp_path / "storage" / "catalog" / "services").iterdir()) == []
