"""Ownership: nothing foreign is touched, crashed runs can be cleaned."""

import os
import signal
import subprocess
import sys

from emuvim.dcemulator import netlink
from emuvim.dcemulator.ownership import process_start_time

from helpers import containers_of, owned_objects, NOTHING_OWNED

HERE = os.path.dirname(os.path.abspath(__file__))
VIM_EMU = os.path.join(os.path.dirname(sys.executable), "vim-emu")


def test_stop_removes_everything_and_is_idempotent(make_net):
    net = make_net()
    dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
    net.addLink(dc1, dc2, bw=10)
    net.start()
    dc1.startCompute("vnf1")
    dc2.startCompute("vnf2")
    run_id = net.identity.run_id
    created = owned_objects(run_id)
    assert len(created["containers"]) == 2 and len(created["bridges"]) == 2
    # Root-namespace veth ends: both ends of the inter-PoP link plus the
    # switch-side end of each container link.
    assert sorted(created["veths"]) == ["dc1.s1-eth1", "dc1.s1-eth2",
                                        "dc2.s1-eth1", "dc2.s1-eth2"]
    net.stop()
    net.stop()
    assert owned_objects(run_id) == NOTHING_OWNED


def test_tap_batch_deletes_only_the_named_taps():
    """Bridges' local ports go in one kernel batch: a named device that is
    no tap, and a tap not named, stay."""
    names = {"xttap0": "tuntap", "xttap1": "tuntap", "xtnottap": "veth", "xtothertap": "tuntap"}
    try:
        for name, kind in names.items():
            argv = (["ip", "tuntap", "add", "dev", name, "mode", "tap"] if kind == "tuntap"
                    else ["ip", "link", "add", name, "type", "veth", "peer", "name", name + "p"])
            subprocess.run(argv, check=True)
        deleted = netlink.delete_tap_devices(["xttap0", "xttap1", "xtnottap", "xtabsent"])
        assert deleted == ["xttap0", "xttap1"]
        present = {name: _link_exists(name) for name in names}
        assert present == {"xttap0": False, "xttap1": False, "xtnottap": True,
                           "xtothertap": True}
    finally:
        for name in names:
            subprocess.run(["ip", "link", "del", name], capture_output=True)


def _link_exists(name):
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def test_clean_after_sigkill_removes_only_the_dead_run(make_net):
    live = make_net()
    live_dc = live.addDatacenter("live")
    live.start()
    live_dc.startCompute("survivor")

    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "crashing_topology.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        run_id, controller_pid, llcm_storage = proc.stdout.readline().split()
        assert proc.stdout.readline().strip() == "READY"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    controller_pid = int(controller_pid)
    left = owned_objects(run_id)
    assert len(left["containers"]) == 2 and len(left["bridges"]) == 3 and left["veths"]
    assert len(left["networks"]) == 1
    assert process_start_time(controller_pid) is not None, "controller outlived its owner"
    assert os.path.isdir(llcm_storage)

    dry = subprocess.run([VIM_EMU, "clean", "--dry-run"], capture_output=True, text=True)
    assert "would clean run %s: 2 containers, 3 bridges" % run_id in dry.stdout
    assert "1 networks" in dry.stdout
    assert owned_objects(run_id) == left

    out = subprocess.run([VIM_EMU, "clean"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "cleaning run %s" % run_id in out.stdout
    assert live.identity.run_id in out.stdout  # reported as left alone
    assert owned_objects(run_id) == NOTHING_OWNED
    assert process_start_time(controller_pid) is None
    assert not os.path.exists(llcm_storage), "the LLCM's temporary storage was left"
    assert len(containers_of(live.identity.run_id)) == 1, "a live run was touched"

    again = subprocess.run([VIM_EMU, "clean"], capture_output=True, text=True)
    assert "nothing to clean" in again.stdout


FAILING_SCRIPT = """
from emuvim.dcemulator.net import DCNetwork
net = DCNetwork(controller=None, enable_learning=True)
dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
net.addLink(dc1, dc2)
net.start()
dc1.startCompute("vnf1")
print(net.identity.run_id, flush=True)
raise RuntimeError("the script's own error")
"""


def test_a_script_that_fails_ends_with_its_own_error(tmp_path):
    """The atexit stop of a failing script cleans up quietly: its error stays
    the last thing it printed (no teardown warning buries it)."""
    script = tmp_path / "fails.py"
    script.write_text(FAILING_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1
    run_id = done.stdout.split()[0]
    assert done.stderr.strip().splitlines()[-1] == "RuntimeError: the script's own error", \
        done.stderr[-2000:]
    assert "could not remove" not in done.stderr
    assert owned_objects(run_id) == NOTHING_OWNED
