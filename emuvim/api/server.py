"""Serving a FastAPI app from a thread (every emuvim API uses this)."""

import socket
import threading
import time

import uvicorn


class ServerError(RuntimeError):
    pass


class ThreadedServer:
    """uvicorn in a background thread, bound before it starts.

    Binding first turns "port in use" into an immediate, clear error and lets
    port 0 pick a free port (see `port` after start()).
    """

    def __init__(self, app, host="127.0.0.1", port=0):
        self.app = app
        self.host = host
        self.port = port
        self._server = None
        self._thread = None

    def start(self, timeout_s=15):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as err:
            sock.close()
            raise ServerError("cannot listen on %s:%d: %s" % (self.host, self.port, err)) from err
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="api-%d" % self.port, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServerError("API server on %s:%d did not start" % (self.host, self.port))
            time.sleep(0.01)
        return self.port

    def stop(self):
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)
