"""Running host commands: one place that turns failures into clear errors."""

import shlex
import subprocess
import threading


class AlreadyExists(ValueError):
    """A name (PoP label, node, container, chain) is taken already."""


class CommandError(RuntimeError):
    """A host command failed; the message carries the command and its stderr."""

    def __init__(self, argv, returncode, stderr):
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = (stderr or "").strip()
        super().__init__("command failed (exit %d): %s: %s" % (
            returncode, " ".join(shlex.quote(a) for a in self.argv), self.stderr))


def run(argv, check=True, input_text=None, timeout=60):
    """Run argv (a list, never a shell string) and return its stdout."""
    proc = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stderr or proc.stdout)
    return proc.stdout


def run_streaming(argv, on_line, timeout=600, keep=20):
    """Run argv, handing each output line (stdout and stderr) to on_line."""
    tail = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as proc:
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            for line in proc.stdout:
                line = line.rstrip("\n")
                tail = (tail + [line])[-keep:]
                on_line(line)
        finally:
            timer.cancel()
        returncode = proc.wait()
    if returncode != 0:
        raise CommandError(argv, returncode, "\n".join(tail))


def succeeds(argv, timeout=30):
    """True when argv exits 0 (output discarded)."""
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def netns_argv(pid, argv):
    """argv run from the host inside the network namespace of process `pid`.

    Only the network namespace is entered, so the host's own ip/tc/ethtool are
    used: VNF images need no networking tools of their own.
    """
    return ["nsenter", "--net=/proc/%d/ns/net" % pid, "--"] + list(argv)
