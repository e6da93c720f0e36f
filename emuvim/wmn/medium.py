"""The userspace radio medium: one process owning one TAP per mesh radio.

Frames a radio sends are delivered to the radios in range, with the loss,
retries, airtime (rate) and delay of the link table the emulator pushes
over a Unix socket (JSON lines).  This is how delay and loss exist at all
on a kernel without netem (the EMANE/CORE interface style).  Semantics:

* broadcast/multicast (and unicast to a MAC not seen yet) reach every radio
  in range, one attempt each, no retries (as wmediumd);
* unicast to a known MAC: up to `retry_limit` attempts, each lost with the
  link's frame error rate; counted as tx_retries / tx_failed;
* a sender's frames queue behind each other for their airtime
  (8 * len / rate + preamble); `airtime: "shared"` makes the whole medium
  one channel; a backlog beyond `queue_limit` frames is dropped (tx_dropped);
* delivery happens after the airtime plus the link's delay.

Run as ``python -m emuvim.wmn.medium --socket PATH --tap-prefix PREFIX``;
its TAPs vanish with the process (non-persistent), so nothing outlives it.
Control operations: add_radio, set_links, stats, ping.
"""

import argparse
import errno
import fcntl
import heapq
import json
import os
import random
import selectors
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
PREAMBLE_S = 20e-6
GONE_ERRNOS = (errno.EBADFD, errno.EIO, errno.ENXIO, errno.ENODEV)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def frame_error(link, length, key):
    """Loss probability of one attempt of a frame of `length` bytes."""
    if link.get("loss") is not None:
        return link["loss"]
    per1000 = link.get(key, 0.0)
    return 1.0 - (1.0 - per1000) ** (length / 1000.0)


class Pair:
    __slots__ = ("tx_packets", "tx_bytes", "tx_retries", "tx_failed", "tx_dropped",
                 "last_rx", "first_seen")

    def __init__(self):
        self.tx_packets = self.tx_bytes = self.tx_retries = self.tx_failed = 0
        self.tx_dropped = 0
        self.last_rx = None
        self.first_seen = time.time()


class Medium:
    def __init__(self, tap_prefix, seed=None):
        self.tap_prefix = tap_prefix
        self.random = random.Random(seed)
        self.radios = {}          # node -> fd
        self.taps = {}            # node -> tap name
        self.by_fd = {}
        self.gone = set()
        self.mac_at = {}
        self.links = {}           # (src, dst) -> link dict
        self.retry_limit = 7
        self.queue_limit = 100
        self.shared = False
        self.busy_until = {}
        self.heap = []
        self.seq = 0
        self.pairs = {}
        self.frames_in = 0
        self.selector = selectors.DefaultSelector()

    # -- control ----------------------------------------------------------------

    def add_radio(self, node):
        if node in self.radios:
            return {"tap": self.taps[node]}
        name = "%s%d" % (self.tap_prefix, len(self.taps))
        fd = open_tap(name)
        self.radios[node], self.taps[node], self.by_fd[fd] = fd, name, node
        self.busy_until[node] = 0.0
        self.selector.register(fd, selectors.EVENT_READ, ("tap", node))
        return {"tap": name}

    def set_links(self, links, retry_limit=7, queue_limit=100, airtime="per_sender"):
        self.links = {(l["src"], l["dst"]): l for l in links}
        self.retry_limit = max(1, int(retry_limit))
        self.queue_limit = max(1, int(queue_limit))
        self.shared = airtime == "shared"
        return {"links": len(self.links)}

    def stats(self):
        now = time.time()
        pairs = []
        for (src, dst), p in self.pairs.items():
            pairs.append({"src": src, "dst": dst, "tx_packets": p.tx_packets,
                          "tx_bytes": p.tx_bytes, "tx_retries": p.tx_retries,
                          "tx_failed": p.tx_failed, "tx_dropped": p.tx_dropped,
                          "inactive_ms": None if p.last_rx is None else
                          int((now - p.last_rx) * 1000),
                          "connected_s": int(now - p.first_seen)})
        return {"pairs": pairs, "radios": self.taps, "gone": sorted(self.gone),
                "frames_in": self.frames_in, "queued": len(self.heap)}

    def handle(self, request):
        op = request.get("op")
        if op == "add_radio":
            return self.add_radio(request["node"])
        if op == "set_links":
            return self.set_links(request["links"], request.get("retry_limit", 7),
                                  request.get("queue_limit", 100),
                                  request.get("airtime", "per_sender"))
        if op == "stats":
            return self.stats()
        if op == "ping":
            return {"pong": True}
        raise ValueError("unknown op %r" % op)

    # -- frames -----------------------------------------------------------------

    def pair(self, src, dst):
        key = (src, dst)
        if key not in self.pairs:
            self.pairs[key] = Pair()
        return self.pairs[key]

    def read_radio(self, node):
        fd = self.radios[node]
        for _ in range(64):
            try:
                frame = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError as err:
                if err.errno in GONE_ERRNOS:
                    self.radio_gone(node)
                    return
                raise
            self.frames_in += 1
            self.transmit(node, frame)

    def radio_gone(self, node):
        """The radio's namespace vanished (its router was removed or crashed)."""
        fd = self.radios.pop(node)
        self.selector.unregister(fd)
        del self.by_fd[fd]
        os.close(fd)
        self.gone.add(node)
        print("medium: radio of %s is gone" % node, file=sys.stderr, flush=True)

    def airtime(self, length, rate_mbit):
        return PREAMBLE_S + 8.0 * length / (rate_mbit * 1e6)

    def transmit(self, src, frame):
        now = time.monotonic()
        dst_mac, src_mac = frame[0:6], frame[6:12]
        self.mac_at[src_mac] = src
        unicast = not dst_mac[0] & 1 and dst_mac in self.mac_at
        if unicast:
            self.send_unicast(src, self.mac_at[dst_mac], frame, now)
        else:
            self.send_broadcast(src, frame, now)

    def channel(self, src):
        return "*" if self.shared else src

    def backlogged(self, src, now, airtime):
        return self.busy_until.get(self.channel(src), 0.0) - now > self.queue_limit * airtime

    def occupy(self, src, now, airtime):
        key = self.channel(src)
        end = max(now, self.busy_until.get(key, 0.0)) + airtime
        self.busy_until[key] = end
        return end

    def send_unicast(self, src, dst, frame, now):
        link = self.links.get((src, dst))
        stats = self.pair(src, dst)
        if link is None:
            stats.tx_failed += 1          # out of range, failed or partitioned
            return
        one = self.airtime(len(frame), link["rate_mbit"])
        if self.backlogged(src, now, one):
            stats.tx_dropped += 1
            return
        error = frame_error(link, len(frame), "per1000")
        attempts = 1
        while self.random.random() < error:
            if attempts == self.retry_limit:
                stats.tx_retries += attempts - 1
                stats.tx_failed += 1
                self.occupy(src, now, attempts * one)
                return
            attempts += 1
        stats.tx_retries += attempts - 1
        end = self.occupy(src, now, attempts * one)
        self.schedule(end + link.get("delay_ms", 0) / 1000.0, src, dst, frame)

    def send_broadcast(self, src, frame, now):
        targets = [(dst, l) for (s, dst), l in self.links.items() if s == src]
        if not targets:
            return
        rate = min(l.get("basic_rate_mbit", 6.0) for _, l in targets)
        one = self.airtime(len(frame), rate)
        if self.backlogged(src, now, one):
            for dst, _ in targets:
                self.pair(src, dst).tx_dropped += 1
            return
        end = self.occupy(src, now, one)
        for dst, link in targets:
            if self.random.random() < frame_error(link, len(frame), "bcast_per1000"):
                continue                      # no retries for broadcast
            self.schedule(end + link.get("delay_ms", 0) / 1000.0, src, dst, frame)

    def schedule(self, when, src, dst, frame):
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, src, dst, frame))

    def deliver_due(self):
        now = time.monotonic()
        while self.heap and self.heap[0][0] <= now:
            _, _, src, dst, frame = heapq.heappop(self.heap)
            fd = self.radios.get(dst)
            if fd is None:
                continue
            try:
                os.write(fd, frame)
            except OSError as err:
                if err.errno in GONE_ERRNOS:
                    self.radio_gone(dst)
                continue                      # a full queue in the node: lost
            stats = self.pair(src, dst)
            stats.tx_packets += 1
            stats.tx_bytes += len(frame)
            stats.last_rx = time.time()

    # -- the loop ---------------------------------------------------------------

    def serve(self, socket_path):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(socket_path)
        os.chmod(socket_path, 0o600)
        server.listen(8)
        server.setblocking(False)
        self.selector.register(server, selectors.EVENT_READ, ("listen", None))
        buffers = {}
        while True:
            timeout = None
            if self.heap:
                timeout = max(0.0, self.heap[0][0] - time.monotonic())
            for key, _ in self.selector.select(timeout):
                kind, node = key.data
                if kind == "tap":
                    if node in self.radios:
                        self.read_radio(node)
                elif kind == "listen":
                    client, _ = server.accept()
                    client.setblocking(True)
                    buffers[client] = b""
                    self.selector.register(client, selectors.EVENT_READ, ("client", None))
                else:
                    self.serve_client(key.fileobj, buffers)
            self.deliver_due()

    def serve_client(self, client, buffers):
        data = client.recv(1 << 20)
        if not data:
            self.selector.unregister(client)
            buffers.pop(client, None)
            client.close()
            return
        buffers[client] += data
        while b"\n" in buffers[client]:
            line, buffers[client] = buffers[client].split(b"\n", 1)
            try:
                reply = {"ok": True, "result": self.handle(json.loads(line))}
            except Exception as err:  # noqa: BLE001  (answered, the medium goes on)
                reply = {"ok": False, "error": "%s: %s" % (type(err).__name__, err)}
            client.sendall(json.dumps(reply).encode() + b"\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--tap-prefix", required=True)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    Medium(args.tap_prefix, args.seed).serve(args.socket)


if __name__ == "__main__":
    main()
