"""A wireless-mesh (WMN) disaster-network scenario on the emulator: mesh
sites with babeld routers, a userspace radio medium with a distance-driven
link model, failure and partition injection, station statistics."""

from emuvim.wmn.model import LogDistance, RangeModel
from emuvim.wmn.network import WMNetwork, WMNError

__all__ = ["LogDistance", "RangeModel", "WMNetwork", "WMNError"]
