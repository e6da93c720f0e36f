import os

from emuvim.dcemulator.controller import NoController, OsKenController, backend_for
from emuvim.dcemulator.ownership import (RunIdentity, owner_is_alive, parse_veth_alias,
                                         process_start_time)
from mininet.node import Controller, RemoteController


def test_identity_is_alive_for_this_process():
    identity = RunIdentity.new()
    assert identity.run_id.startswith("emu-")
    assert owner_is_alive(identity.owner)


def test_owner_with_other_start_time_is_dead():
    pid = os.getpid()
    assert not owner_is_alive("%d:%d" % (pid, process_start_time(pid) + 1))
    assert not owner_is_alive("garbage")
    assert not owner_is_alive(None)


def test_veth_alias_round_trip():
    identity = RunIdentity.new()
    assert parse_veth_alias(identity.veth_alias()) == (identity.run_id, identity.owner)
    assert parse_veth_alias("someone else's alias") is None
    assert parse_veth_alias(None) is None


def test_labels_carry_run_and_owner():
    identity = RunIdentity("emu-1234", "1:2")
    assert identity.docker_labels() == {"emuvim.run": "emu-1234", "emuvim.owner": "1:2",
                                        "com.containernet": ""}
    assert identity.ovs_external_ids() == {"emuvim-run": "emu-1234", "emuvim-owner": "1:2"}


def test_controller_mapping():
    assert isinstance(backend_for(RemoteController, True), OsKenController)
    reference = backend_for(Controller, False)
    assert isinstance(reference, NoController) and reference.fail_mode == "standalone"
    assert backend_for(None, False).fail_mode == "secure"
    assert backend_for(None, True).fail_mode == "standalone"


def test_core_import_keeps_eventlet_out():
    """os-ken brings eventlet's monkey-patching: it must stay in the controller process."""
    import subprocess
    import sys
    code = ("import sys, emuvim.dcemulator.net; "
            "print('os_ken' in sys.modules or 'eventlet' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
