"""What runs inside a running container: exec, logs, stats.

exec is real ``docker exec`` (the student project started a new container
instead): stdout and stderr apart, the exit code, and a deadline after
which the command and everything it started are killed.
"""

import base64
import os
import signal
import threading
import time

from emuvim.dcemulator.monitoring import (CGROUP_ROOT, container_cpu_seconds,
                                          container_memory_bytes)


class Capture:
    """Output of one stream, cut at `limit` bytes."""

    def __init__(self, limit):
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk):
        if not chunk:
            return
        room = self.limit - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        self.data += chunk[:max(room, 0)]

    def text(self, encoding):
        if encoding == "base64":
            return base64.b64encode(bytes(self.data)).decode()
        return bytes(self.data).decode("utf-8", errors="replace")


def descendants(pid):
    """Host PIDs of every process below `pid` (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid):
    for target in [pid] + descendants(pid):
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_exec(api, container, argv, env=None, workdir=None, user="", timeout_s=30,
             max_output_bytes=1 << 20, encoding="utf-8"):
    """Run argv in the container; the result the API answers with."""
    started = time.monotonic()
    exec_id = api.exec_create(container, argv, stdout=True, stderr=True,
                              environment=env or None, workdir=workdir or None,
                              user=user or "")["Id"]
    stream = api.exec_start(exec_id, stream=True, demux=True)
    out, err = Capture(max_output_bytes), Capture(max_output_bytes)

    def pump():
        try:
            for chunk_out, chunk_err in stream:
                out.add(chunk_out)
                err.add(chunk_err)
        except Exception:  # noqa: BLE001  (socket closed by a kill or a read timeout)
            pass

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = started + timeout_s
    reader.join(timeout_s)
    while api.exec_inspect(exec_id)["Running"] and time.monotonic() < deadline:
        time.sleep(0.05)   # the stream ended early (read timeout): wait for the process
    info = api.exec_inspect(exec_id)
    timed_out = bool(info["Running"])
    if timed_out and info.get("Pid"):
        kill_tree(info["Pid"])
        reader.join(5)
    return {"exit_code": None if timed_out else info.get("ExitCode"),
            "stdout": out.text(encoding), "stderr": err.text(encoding),
            "timed_out": timed_out, "duration_s": round(time.monotonic() - started, 3),
            "stdout_truncated": out.truncated, "stderr_truncated": err.truncated,
            "encoding": encoding}


def read_logs(api, container, tail=1000, since=None, until=None, stdout=True, stderr=True,
              timestamps=True):
    """Log lines of both streams, each tagged with its stream, merged by time."""
    lines = []
    for stream, wanted in (("stdout", stdout), ("stderr", stderr)):
        if not wanted:
            continue
        raw = api.logs(container, stdout=stream == "stdout", stderr=stream == "stderr",
                       timestamps=True, tail=tail, since=since, until=until)
        for line in raw.decode("utf-8", errors="replace").splitlines():
            stamp, _, text = line.partition(" ")
            lines.append({"stream": stream, "time": stamp, "text": text})
    lines.sort(key=lambda item: item["time"])
    truncated = tail is not None and len(lines) > tail
    lines = lines[-tail:] if tail is not None else lines
    if not timestamps:
        for item in lines:
            item.pop("time")
    return {"lines": lines, "truncated": truncated}


def _cgroup_number(container_id, v1_path, v2_name):
    for path in (os.path.join(CGROUP_ROOT, v1_path % container_id),
                 os.path.join(CGROUP_ROOT, "system.slice", "docker-%s.scope" % container_id,
                              v2_name),
                 os.path.join(CGROUP_ROOT, "docker", container_id, v2_name)):
        try:
            with open(path) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return None


def interface_counters(pid):
    """{interface: counters} as the container sees them (/proc/<pid>/net/dev)."""
    result = {}
    try:
        with open("/proc/%d/net/dev" % pid) as dev:
            rows = dev.read().splitlines()[2:]
    except OSError:
        return result
    for row in rows:
        name, _, numbers = row.partition(":")
        values = [int(v) for v in numbers.split()]
        if name.strip() == "lo" or len(values) < 10:
            continue
        result[name.strip()] = {"rx_bytes": values[0], "rx_packets": values[1],
                                "tx_bytes": values[8], "tx_packets": values[9]}
    return result


def read_stats(attrs, window_s=1.0):
    """CPU (over `window_s`), memory, pids and interface counters of a running container."""
    cid, pid = attrs["Id"], attrs["State"]["Pid"]
    cpu_before, started = container_cpu_seconds(cid), time.monotonic()
    time.sleep(window_s)
    cpu_after, elapsed = container_cpu_seconds(cid), time.monotonic() - started
    percent = None
    if cpu_before is not None and cpu_after is not None:
        percent = round(100.0 * (cpu_after - cpu_before) / elapsed, 2)
    return {"cpu_seconds_total": cpu_after, "cpu_percent": percent,
            "window_s": round(elapsed, 3),
            "memory_bytes": container_memory_bytes(cid),
            "memory_limit_bytes": attrs["HostConfig"].get("Memory") or None,
            "pids": _cgroup_number(cid, "pids/docker/%s/pids.current", "pids.current"),
            "interfaces": interface_counters(pid)}
