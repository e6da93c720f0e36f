"""vim-emu's test base class, for test suites written against vim-emu.

    from emuvim.test.base import SimpleTestTopology

    class MyTest(SimpleTestTopology):
        def test_two_pops(self):
            self.createNet(ndatacenter=2, nhosts=2)
            ...

The same attributes and helpers as vim-emu's (net, s, h, d, dc, createNet,
startNet, stopNet, getDockerCli, getContainernetContainers).  One thing is
done differently on purpose: tearDown stops only this test's network, which
removes exactly what it created, instead of vim-emu's host-wide ``mn -c``
and ``docker rm -f`` of every Containernet-labelled container.
"""

import unittest

import docker
from mininet.node import Controller

from emuvim.dcemulator.docker_engine import DEFAULT_IMAGE
from emuvim.dcemulator.net import DCNetwork
from emuvim.dcemulator.ownership import LABEL_CONTAINERNET


class SimpleTestTopology(unittest.TestCase):
    """A network of N switches (s1..sN, optionally chained), PoPs datacenter0..,
    hosts h0.. and Docker nodes d0.., created on demand by createNet()."""

    def __init__(self, *args, **kwargs):
        self.net = None
        self.s = []      # switches
        self.h = []      # Mininet hosts
        self.d = []      # Docker nodes
        self.dc = []     # PoPs
        self.docker_cli = None
        super().__init__(*args, **kwargs)

    def createNet(self, nswitches=0, ndatacenter=0, nhosts=0, ndockers=0,
                  autolinkswitches=False, controller=Controller, dimage=DEFAULT_IMAGE,
                  **kwargs):
        """The DCNetwork and its nodes (not started).  As in vim-emu the default
        controller is Mininet's (the switches learn by themselves); kwargs go
        to DCNetwork (enable_learning, ...)."""
        self.net = DCNetwork(controller=controller, **kwargs)
        # Switch numbers start at 1: Mininet derives the dpid from the name.
        self.s.extend(self.net.addSwitch("s%d" % i) for i in range(1, nswitches + 1))
        if autolinkswitches:
            for left, right in zip(self.s, self.s[1:]):
                self.net.addLink(left, right)
        self.dc.extend(self.net.addDatacenter("datacenter%d" % i, metadata={"unittest_dc": i})
                       for i in range(ndatacenter))
        self.h.extend(self.net.addHost("h%d" % i) for i in range(nhosts))
        self.d.extend(self.net.addDocker("d%d" % i, dimage=dimage) for i in range(ndockers))
        return self.net

    def startNet(self):
        self.net.start()

    def stopNet(self):
        self.net.stop()

    def getDockerCli(self):
        """A low-level Docker client (vim-emu's helper)."""
        if self.docker_cli is None:
            self.docker_cli = docker.APIClient(base_url="unix://var/run/docker.sock")
        return self.docker_cli

    def getContainernetContainers(self):
        """Running emulator containers on this host, found by Containernet's label."""
        return self.getDockerCli().containers(filters={"label": LABEL_CONTAINERNET})

    def setUp(self):
        pass

    def tearDown(self):
        if self.net is not None:
            self.net.stop()          # idempotent: a test that stopped it already is fine
        if self.docker_cli is not None:
            self.docker_cli.close()
            self.docker_cli = None
