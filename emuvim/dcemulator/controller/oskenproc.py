"""The os-ken controller as a child process owned by one emulator run."""

import socket
import subprocess
import sys
import time

from emuvim.dcemulator.controller.base import BASE_FLOW_COOKIE, ControllerBackend
from emuvim.dcemulator.switch import has_flow

READY_TIMEOUT_S = 30


class ControllerError(RuntimeError):
    pass


def free_tcp_port(host="127.0.0.1"):
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
    """Runs emuvim.dcemulator.controller.app under os-ken (eventlet stays there)."""

    def __init__(self, enable_learning=False, host="127.0.0.1", port=None):
        super().__init__(enable_learning)
        self.host = host
        self.port = port
        self.process = None
        self.log_path = None

    def start(self, run_record):
        self.port = self.port or free_tcp_port(self.host)
        self.log_path = run_record.log_path("controller.log")
        argv = [sys.executable, "-m", "emuvim.dcemulator.controller.app",
                "--port", str(self.port), "--host", self.host]
        if self.enable_learning:
            argv.append("--learning")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        run_record.add_process(self.process.pid, "controller")
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ControllerError("controller exited with code %s; see %s" % (
                    self.process.returncode, self.log_path))
            if port_accepts(self.host, self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise ControllerError("controller did not listen on %s:%d within %ds; see %s" % (
            self.host, self.port, READY_TIMEOUT_S, self.log_path))

    def stop(self):
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

    def wait_switches(self, switches, timeout_s=30):
        """Until the controller has installed its base flow on every switch.

        (OVSDB's Controller.is_connected is refreshed only every few seconds,
        so the flow is the faster and the more meaningful signal.)
        """
        marker = "cookie=%#x," % BASE_FLOW_COOKIE
        pending = [s.name for s in switches]
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            if not self.is_alive():
                raise ControllerError("controller died; see %s" % self.log_path)
            pending = [name for name in pending if not has_flow(name, marker)]
            if pending:
                time.sleep(0.02)
        if pending:
            raise ControllerError("switches not under control after %ds: %s; see %s" % (
                timeout_s, ", ".join(sorted(pending)), self.log_path))

    def is_alive(self):
        return self.process is not None and self.process.poll() is None
