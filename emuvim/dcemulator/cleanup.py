"""Find and remove what crashed emulator runs left behind.

Objects are found by their ownership labels (see ownership.py), never by
name patterns, and only those of runs whose owner process is gone (or of
runs named explicitly) are removed.
"""

import json
import os
import shutil
import signal
from dataclasses import dataclass, field

from emuvim.dcemulator import switch, system
from emuvim.dcemulator.docker_engine import DockerEngine
from emuvim.dcemulator.ownership import (LABEL_OWNER, LABEL_RUN, OVS_OWNER_KEY, OVS_RUN_KEY,
                                         owner_is_alive, parse_veth_alias, process_start_time,
                                         read_run_dirs)


@dataclass
class RunLeftovers:
    run_id: str
    owner: str = None
    containers: list = field(default_factory=list)
    bridges: list = field(default_factory=list)
    veths: list = field(default_factory=list)
    networks: list = field(default_factory=list)
    processes: list = field(default_factory=list)
    paths: list = field(default_factory=list)     # recorded folders (LLCM storage)
    run_dir: str = None

    @property
    def alive(self):
        return owner_is_alive(self.owner)

    def count(self):
        return (len(self.containers) + len(self.bridges) + len(self.veths)
                + len(self.networks) + len(self.processes))


def _owned_containers():
    for name, run_id, owner in DockerEngine(connect=False).labelled_containers(
            LABEL_RUN, LABEL_RUN, LABEL_OWNER):
        yield run_id, owner, name


def _owned_networks():
    for name, run_id, owner in DockerEngine(connect=False).labelled_networks(
            LABEL_RUN, LABEL_RUN, LABEL_OWNER):
        yield run_id, owner, name


def _owned_bridges():
    if not system.succeeds(["ovs-vsctl", "--timeout=5", "show"]):
        return
    for name, ids in switch.list_bridges().items():
        if OVS_RUN_KEY in ids:
            yield ids[OVS_RUN_KEY], ids.get(OVS_OWNER_KEY), name


def _owned_veths():
    out = system.run(["ip", "-j", "link", "show"], check=False) or "[]"
    for link in json.loads(out):
        parsed = parse_veth_alias(link.get("ifalias"))
        if parsed:
            yield parsed[0], parsed[1], link["ifname"]


def find_leftovers():
    """{run_id: RunLeftovers} for every run with objects on this host."""
    runs = {}

    def entry(run_id, owner):
        item = runs.setdefault(run_id, RunLeftovers(run_id))
        item.owner = item.owner or owner
        return item

    for run_id, owner, name in _owned_containers():
        entry(run_id, owner).containers.append(name)
    for run_id, owner, name in _owned_networks():
        entry(run_id, owner).networks.append(name)
    for run_id, owner, name in _owned_bridges():
        entry(run_id, owner).bridges.append(name)
    for run_id, owner, name in _owned_veths():
        entry(run_id, owner).veths.append(name)
    for run_id, info in read_run_dirs().items():
        item = entry(run_id, info["owner"])
        item.run_dir = info["path"]
        item.paths = [p for p in info.get("paths", ()) if is_removable_path(p)]
        item.processes = [p for p in info["processes"]
                          if process_start_time(p["pid"]) == p.get("start_time")]
    return runs


def remove_leftovers(item):
    """Remove one run's objects; returns a list of error strings."""
    errors = []
    for proc in item.processes:
        try:
            os.kill(proc["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        DockerEngine(connect=False).remove_containers(item.containers)
    except system.CommandError as err:
        errors.append(str(err))
    for name in item.networks:
        system.run(["docker", "network", "rm", name], check=False)
    try:
        switch.delete_bridges(item.bridges)
    except system.CommandError as err:
        errors.append(str(err))
    for name in item.veths:
        system.run(["ip", "link", "del", "dev", name], check=False)
    for path in item.paths:
        shutil.rmtree(path, ignore_errors=True)
    if item.run_dir:
        system.run(["rm", "-rf", item.run_dir], check=False)
    return errors


def is_removable_path(path):
    """Only folders emuvim made (named emuvim-*), whatever a run file says."""
    return (isinstance(path, str) and os.path.isabs(path) and os.path.isdir(path)
            and not os.path.islink(path) and os.path.basename(path).startswith("emuvim-"))


def clean(run_ids=None, include_alive=False):
    """Remove leftovers of dead runs (or of `run_ids`); returns the runs cleaned."""
    cleaned = []
    for run_id, item in sorted(find_leftovers().items()):
        if run_ids and run_id not in run_ids:
            continue
        if item.alive and not include_alive:
            continue
        remove_leftovers(item)
        cleaned.append(item)
    return cleaned
