"""The shipped topology scripts, run as a user runs them (no terminal)."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_script(name, *args):
    return subprocess.run([sys.executable, os.path.join(REPO, "topologies", name)] + list(args),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)


def test_demo_moves_traffic_and_exits_zero():
    out = run_script("default_demo.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ping loss 0%" in out.stdout
    assert "TCP" in out.stdout and "Mbit/s" in out.stdout


@pytest.mark.parametrize("script,args", [
    ("linear_topology.py", ["--pops", "3", "--bw", "50"]),
    ("two_pop_shaped_link.py", ["--bw", "20"]),
])
def test_topology_scripts_ping_end_to_end(script, args):
    out = run_script(script, "--no-cli", *args)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0% packet loss" in out.stdout


def test_single_dc_topology_serves_the_rest_api():
    out = run_script("default_single_dc_topology.py", "--no-cli", "--rest-port", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "REST API on http://127.0.0.1:" in out.stdout
