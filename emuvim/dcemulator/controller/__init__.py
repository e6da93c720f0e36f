"""OpenFlow controller backends.

A backend decides the switches' fail mode and controller targets, and owns
any controller process.  ``backend_for`` maps what a vim-emu script passes
as ``controller=`` onto a backend:

* ``RemoteController`` (vim-emu's default): our os-ken app in its own process;
* Mininet's reference ``Controller`` / ``OVSController`` / ``DefaultController``:
  no process, switches in standalone mode (OVS learns MACs itself, which is
  what the reference learning controller did);
* ``None``: no controller; switches standalone with ``enable_learning=True``,
  else secure (nothing flows until flows are installed with ovs-ofctl).
"""

from mininet.node import Controller, RemoteController

from emuvim.dcemulator.controller.base import ControllerBackend, NoController
from emuvim.dcemulator.controller.oskenproc import OsKenController

__all__ = ["ControllerBackend", "NoController", "OsKenController", "backend_for"]


def backend_for(controller, enable_learning):
    """A ControllerBackend for a DCNetwork(controller=...) argument."""
    if isinstance(controller, ControllerBackend):
        return controller
    if isinstance(controller, type) and issubclass(controller, ControllerBackend):
        return controller(enable_learning=enable_learning)
    if controller is None:
        return NoController(enable_learning=enable_learning)
    if controller is RemoteController or controller == "oskenapp":
        return OsKenController(enable_learning=enable_learning)
    if isinstance(controller, type) and issubclass(controller, Controller):
        return NoController(enable_learning=True)
    raise ValueError("unsupported controller %r: use RemoteController, Controller, None "
                     "or a ControllerBackend" % (controller,))
