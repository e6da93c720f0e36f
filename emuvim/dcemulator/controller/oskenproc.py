"""The os-ken controller as a child process owned by one emulator run."""

import logging
import random
import socket
import subprocess
import sys
import threading
import time

import requests

from emuvim.dcemulator import system
from emuvim.dcemulator.controller.base import ControllerBackend
from emuvim.dcemulator.controller.flows import RestInstaller

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 30
WATCH_INTERVAL_S = 0.2


class ControllerError(RuntimeError):
    pass


LOW_PORT = 10000


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as stream:
            low, high = (int(x) for x in stream.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_tcp_port(host="127.0.0.1", attempts=50, exclude=()):
    """A free port below the kernel's ephemeral range, not one of `exclude`.

    The controller binds it a moment later, in its own process.  Ports from
    the ephemeral range could be taken in between, by an outgoing connection
    or by a random host port Docker publishes, and the switches would then
    talk to a stranger.
    """
    low, _ = ephemeral_range()
    candidates = random.Random().sample(range(LOW_PORT, low), min(attempts, low - LOW_PORT)) \
        if low > LOW_PORT else []
    for port in candidates:
        if port in exclude:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class OsKenController(ControllerBackend):
    """Runs emuvim.dcemulator.controller.app under os-ken (eventlet stays there).

    The process listens for OpenFlow on `port` (on `host`, 127.0.0.1 unless
    told otherwise) and serves the Ryu-compatible REST API on `rest_port`,
    always on 127.0.0.1 (it changes flows and has no token).
    """

    def __init__(self, enable_learning=False, host="127.0.0.1", port=None, rest_port=None):
        super().__init__(enable_learning)
        self.host = host
        self.port = port
        self.rest_port = rest_port
        self.process = None
        self.log_path = None
        self.restarts = 0
        self._record = None
        self._switches = []
        self._watcher = None
        self._stopping = threading.Event()
        # Respawning happens in the watchdog and in wait_switches: one at a time.
        self._respawn_lock = threading.RLock()

    @property
    def rest_url(self):
        return "http://127.0.0.1:%d" % self.rest_port

    def start(self, run_record):
        self._record = run_record
        self.port = self.port or free_tcp_port(self.host)
        # Both ports are only bound later, by the controller: the second pick
        # must not be the first (the REST API then failed to bind, 1 in ~31000).
        self.rest_port = self.rest_port or free_tcp_port("127.0.0.1", exclude=(self.port,))
        self.log_path = run_record.log_path("controller.log")
        self._spawn()

    def _spawn(self):
        argv = [sys.executable, "-m", "emuvim.dcemulator.controller.app",
                "--port", str(self.port), "--host", self.host, "--rest-port", str(self.rest_port)]
        if self.enable_learning:
            argv.append("--learning")
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        self._record.add_process(self.process.pid, "controller")
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ControllerError("controller exited with code %s; see %s" % (
                    self.process.returncode, self.log_path))
            if port_accepts(self.host, self.port) and port_accepts("127.0.0.1", self.rest_port):
                return
            time.sleep(0.05)
        self._terminate()
        raise ControllerError("controller did not listen on %s:%d/%d within %ds; see %s" % (
            self.host, self.port, self.rest_port, READY_TIMEOUT_S, self.log_path))

    def wait_switches(self, switches, timeout_s=30, restarts=1):
        """Until the controller holds every switch and its base flow is installed.

        The controller process itself says which switches it has installed the
        base flow on and seen a barrier reply for, since it started (so the
        old base flows a restarted controller finds do not count): one HTTP
        request per poll instead of an ovs-ofctl process per switch.
        (OVSDB's Controller.is_connected is refreshed only every few seconds.)
        """
        self._switches = list({s.name: s for s in self._switches + list(switches)}.values())
        pending = {int(s.dpid, 16): s.name for s in switches}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            if not self.is_alive():
                raise ControllerError("controller died; see %s" % self.log_path)
            ready = set(self._ready_dpids())
            pending = {dpid: name for dpid, name in pending.items() if dpid not in ready}
            if pending:
                time.sleep(0.02)
        if not pending:
            return
        message = "switches not under control after %ds: %s; see %s%s" % (
            timeout_s, ", ".join(sorted(pending.values())), self.log_path, self._diagnosis())
        if restarts <= 0:
            raise ControllerError(message)
        # A live but stuck controller is not caught by the watchdog: one fresh
        # process on the same ports, which the switches reconnect to.
        log.warning("%s; restarting the controller", message)
        with self._respawn_lock:
            self._terminate()
            self._spawn()
        self.wait_switches(switches, timeout_s, restarts - 1)

    def _diagnosis(self):
        """What OVS and the controller log say (the log goes with the run)."""
        out = system.run(["ovs-vsctl", "--timeout=5", "--columns=is_connected,status", "find",
                          "Controller", 'target="%s"' % self.targets()[0]], check=False)
        lines = ["OVSDB controller rows: " + " ".join(out.split())]
        try:
            with open(self.log_path, errors="replace") as stream:
                lines += ["controller.log: " + l.rstrip() for l in stream.readlines()[-15:]]
        except (OSError, TypeError):
            pass
        return "\n" + "\n".join(lines)

    def _ready_dpids(self):
        try:
            reply = requests.get(self.rest_url + "/emuvim/ready", timeout=5)
            return reply.json() if reply.status_code == 200 else []
        except (requests.RequestException, ValueError):
            return []

    def flow_installer(self):
        return RestInstaller(self.rest_url)

    def watch(self, on_restart):
        """Restart the controller when it dies, then call on_restart() (flows back)."""
        if self._watcher is not None:
            return
        self._watcher = threading.Thread(target=self._watch_loop, args=(on_restart,),
                                         name="controller-watchdog", daemon=True)
        self._watcher.start()

    def _watch_loop(self, on_restart):
        """Respawn a dead controller; retry the flow re-install until it succeeds."""
        reinstall_pending = False
        while not self._stopping.wait(WATCH_INTERVAL_S):
            try:
                with self._respawn_lock:
                    if self.process is not None and self.process.poll() is not None:
                        log.warning("controller (pid %d) exited with %s; restarting it",
                                    self.process.pid, self.process.returncode)
                        self._spawn()
                        reinstall_pending = True
                if reinstall_pending:
                    self.wait_switches(self._switches)
                    on_restart()
                    reinstall_pending = False
                    self.restarts += 1
            except Exception:  # keep watching: the next round retries
                log.exception("controller restart failed; retrying")

    def stop(self):
        self._stopping.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=10)
        self._watcher = None
        self._terminate()

    def _terminate(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def targets(self):
        return ["tcp:%s:%d" % (self.host, self.port)]

    def is_alive(self):
        return self.process is not None and self.process.poll() is None
