"""Where the LLCM starts each deployment unit.

A placement algorithm is any object with

    place(dcs, vnfd, vnfid, vdu, ssiid, cname) -> Datacenter (or its label)

called once per container, in NSD order: `dcs` maps PoP labels to
Datacenter objects (in the order they were connected), `vnfd` and `vdu` are
the raw descriptor dicts, `vnfid` the NSD's vnf_id, `ssiid` the instance
number within the service and `cname` the container name
(``<vnf_id>.<vdu_id>.<ssiid>``).  These are vim-emu's arguments, so
algorithms written for it keep working.  Subclass PlacementAlgorithm for the
name, or write any class with that method.
"""

import logging
import os
import threading

import yaml

log = logging.getLogger(__name__)


class PlacementError(LookupError):
    pass


class PlacementAlgorithm:
    def place(self, dcs, vnfd, vnfid, vdu, ssiid, cname):
        raise NotImplementedError


def _first(dcs):
    if not dcs:
        raise PlacementError("the LLCM has no PoP connected (connectDatacenter)")
    return next(iter(dcs.values()))


class FirstDcPlacement(PlacementAlgorithm):
    """Everything on the first PoP."""

    def place(self, dcs, vnfd, vnfid, vdu, ssiid, cname):
        return _first(dcs)


class RoundRobinDcPlacement(PlacementAlgorithm):
    """PoP 1, 2, ..., n, 1, ... across all containers this object places."""

    def __init__(self):
        self._count = 0
        self._lock = threading.Lock()

    def place(self, dcs, vnfd, vnfid, vdu, ssiid, cname):
        _first(dcs)
        with self._lock:
            index = self._count % len(dcs)
            self._count += 1
        return list(dcs.values())[index]


class StaticConfigPlacement(PlacementAlgorithm):
    """PoPs from a YAML file ``{container name: PoP label}``, read at each placement.

    Containers the file does not name go to the first PoP (as in vim-emu); a
    label that is not a connected PoP is an error.
    """

    def __init__(self, path="static_placement.yml"):
        self.path = os.path.expanduser(path)

    def _mapping(self):
        try:
            with open(self.path) as stream:
                data = yaml.safe_load(stream) or {}
        except OSError as err:
            raise PlacementError("cannot read static placement %s: %s" % (self.path, err))
        except yaml.YAMLError as err:
            raise PlacementError("static placement %s is not valid YAML: %s" % (self.path, err))
        if not isinstance(data, dict):
            raise PlacementError("static placement %s must map container names to PoP labels"
                                 % self.path)
        return data

    def place(self, dcs, vnfd, vnfid, vdu, ssiid, cname):
        label = self._mapping().get(cname)
        if label is None:
            log.warning("static placement %s does not name %s: using the first PoP",
                        self.path, cname)
            return _first(dcs)
        if label not in dcs:
            raise PlacementError("static placement %s puts %s on %r, which is not a PoP of "
                                 "this LLCM (it has: %s)" % (self.path, cname, label,
                                                            ", ".join(dcs)))
        return dcs[label]
