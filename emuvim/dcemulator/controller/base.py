"""The controller backend interface and the process-less backend.

No os-ken import here: os-ken and its threads live in the controller
process only.
"""

# The cookie ("emuv") of the controller's priority-0 base flow: its presence
# on a switch tells the emulator that the controller has taken the switch over.
BASE_FLOW_COOKIE = 0x656D7576


class ControllerBackend:
    """What DCNetwork needs from an OpenFlow controller."""

    def __init__(self, enable_learning=False):
        self.enable_learning = enable_learning

    @property
    def fail_mode(self):
        """OVS fail mode for switches under this controller."""
        return "standalone" if self.enable_learning else "secure"

    def start(self, run_record):
        """Start whatever process is needed; record it in `run_record`."""

    def stop(self):
        """Stop the process (idempotent)."""

    def targets(self):
        """Controller targets for ovs-vsctl set-controller (empty: none)."""
        return []

    def is_alive(self):
        return True

    def wait_switches(self, switches, timeout_s=30):
        """Block until `switches` are under control (nothing to wait for here)."""

    def flow_installer(self):
        """How flows reach the switches (ovs-ofctl unless a controller serves REST)."""
        from emuvim.dcemulator.controller.flows import OfctlInstaller
        return OfctlInstaller()

    def watch(self, on_restart):
        """Restart a dead controller and call on_restart() (no process: nothing to do)."""


class NoController(ControllerBackend):
    """No controller process: OVS forwards by itself (standalone) or not at all."""
