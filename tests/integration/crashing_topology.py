"""A topology that prints its run id, then waits to be killed (used by test_cleanup)."""

import sys
import time

from mininet.node import RemoteController

from emuvim.dcemulator.net import DCNetwork

net = DCNetwork(controller=RemoteController, enable_learning=True)
dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
net.addLink(dc1, dc2, bw=50)
net.addSwitch("s9")
net.addLink("s9", dc1)
net.start()
dc1.startCompute("crashvnf1")
dc2.startCompute("crashvnf2")
print(net.identity.run_id, net.controller_backend.process.pid, flush=True)
print("READY", flush=True)
sys.stdin.read()  # until killed
time.sleep(3600)
