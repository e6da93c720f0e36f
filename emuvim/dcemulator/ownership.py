"""Who owns what: run identities, labels and the on-disk run record.

Every object an emulator run creates carries its run id and its owner
(the PID and start time of the Python process that created it):

* Docker containers: labels ``emuvim.run`` and ``emuvim.owner`` (plus
  Containernet's ``com.containernet``, for compatibility only);
* OVS bridges: ``external_ids:emuvim-run`` and ``external_ids:emuvim-owner``;
* veth interfaces left in the root namespace: the interface alias
  (``ip link set IF alias ...``), see :func:`veth_alias`;
* helper processes (controller): the run record on disk, with their start
  time so a recycled PID is never killed.

A run is *alive* while its owner process exists with the same start time.
Cleanup only ever touches objects of dead runs (or of a run named
explicitly), found by these labels, never by name patterns.
"""

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass

LABEL_RUN = "emuvim.run"
LABEL_OWNER = "emuvim.owner"
# Containernet's label: vim-emu's tests and users' scripts count emulator
# containers with `docker ps --filter label=com.containernet`.  Never used
# to find what to clean up (other tools set it too).
LABEL_CONTAINERNET = "com.containernet"
OVS_RUN_KEY = "emuvim-run"
OVS_OWNER_KEY = "emuvim-owner"
ALIAS_PREFIX = "emuvim run="

DEFAULT_RUN_ROOT = "/run/emuvim"


def run_root():
    """Directory holding one sub-directory per run (EMUVIM_RUN_ROOT overrides)."""
    return os.environ.get("EMUVIM_RUN_ROOT", DEFAULT_RUN_ROOT)


def process_start_time(pid):
    """Start time of `pid` in clock ticks since boot, or None if it is gone.

    A zombie counts as gone: it runs nothing, and an orphan's zombie may never
    be reaped where PID 1 does not reap.
    """
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError, ValueError):
        return None
    # After the ")" the list starts at field 3 (state); start time is field 22.
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def owner_is_alive(owner):
    """`owner` is "<pid>:<start time>"; True while that very process runs."""
    try:
        pid_text, start_text = owner.split(":", 1)
        pid, start = int(pid_text), int(start_text)
    except (AttributeError, ValueError):
        return False
    return process_start_time(pid) == start


@dataclass(frozen=True)
class RunIdentity:
    """The id of one emulator run and the process that owns it."""

    run_id: str
    owner: str

    @classmethod
    def new(cls):
        pid = os.getpid()
        return cls(run_id="emu-" + secrets.token_hex(4),
                   owner="%d:%d" % (pid, process_start_time(pid)))

    def docker_labels(self):
        return {LABEL_RUN: self.run_id, LABEL_OWNER: self.owner, LABEL_CONTAINERNET: ""}

    def ovs_external_ids(self):
        return {OVS_RUN_KEY: self.run_id, OVS_OWNER_KEY: self.owner}

    def veth_alias(self):
        return "%s%s owner=%s" % (ALIAS_PREFIX, self.run_id, self.owner)


def parse_veth_alias(alias):
    """(run_id, owner) from an interface alias written by veth_alias, else None."""
    if not alias or not alias.startswith(ALIAS_PREFIX):
        return None
    try:
        run_part, owner_part = alias[len(ALIAS_PREFIX):].split(" owner=", 1)
    except ValueError:
        return None
    return run_part, owner_part


class RunRecord:
    """The run directory: owner file, helper-process list, logs."""

    def __init__(self, identity, root=None):
        self.identity = identity
        self.path = os.path.join(root or run_root(), identity.run_id)

    def create(self):
        # Private: logs, tokens, uploads and sockets are the run owner's alone.
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        os.makedirs(self.path, mode=0o700, exist_ok=False)
        os.chmod(self.path, 0o700)          # whatever the umask
        self._write_json("owner.json", {"run_id": self.identity.run_id,
                                        "owner": self.identity.owner,
                                        "created": time.time()})

    def log_path(self, name):
        """A file of the run directory, created empty and private (0600) if new."""
        path = os.path.join(self.path, name)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        return path

    def add_process(self, pid, role):
        """Record a helper process so a cleanup after a crash can stop it."""
        entry = {"pid": pid, "start_time": process_start_time(pid), "role": role}
        self._append("processes.jsonl", entry)

    def add_path(self, path):
        """Record a folder of this run outside the run directory (an LLCM's
        storage): `vim-emu clean` removes it with the run's other leftovers."""
        self._append("paths.jsonl", {"path": os.path.abspath(path)})

    def _append(self, name, entry):
        fd = os.open(os.path.join(self.path, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     0o600)
        with os.fdopen(fd, "a") as out:
            out.write(json.dumps(entry) + "\n")

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def _write_json(self, name, data):
        fd = os.open(os.path.join(self.path, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out)


def read_run_dirs(root=None):
    """{run_id: {"owner": str|None, "processes": [...], "path": str}} on disk."""
    root = root or run_root()
    runs = {}
    if not os.path.isdir(root):
        return runs
    for run_id in os.listdir(root):
        path = os.path.join(root, run_id)
        owner = None
        try:
            with open(os.path.join(path, "owner.json")) as f:
                owner = json.load(f).get("owner")
        except (OSError, ValueError):
            pass
        runs[run_id] = {"owner": owner, "processes": _read_lines(path, "processes.jsonl"),
                        "paths": [e.get("path") for e in _read_lines(path, "paths.jsonl")],
                        "path": path}
    return runs


def _read_lines(path, name):
    entries = []
    try:
        with open(os.path.join(path, name)) as f:
            for line in f:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        pass
    return entries
