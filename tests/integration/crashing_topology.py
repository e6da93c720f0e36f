"""A topology that prints its run id, then waits to be killed (used by test_cleanup)."""

import sys
import time

from mininet.node import RemoteController

from emuvim.api.tango.llcm import TangoLLCM
from emuvim.dcemulator.net import DCNetwork

net = DCNetwork(controller=RemoteController, enable_learning=True)
dc1, dc2 = net.addDatacenter("dc1"), net.addDatacenter("dc2")
net.addLink(dc1, dc2, bw=50)
net.addSwitch("s9")
net.addLink("s9", dc1)
net.start()
dc1.startCompute("crashvnf1")
dc2.startCompute("crashvnf2")
# A Docker network of the run (as the Docker-VIM API makes them).
labels = net.identity.docker_labels()
net.docker_engine.client.api.create_network("crashnet-" + net.identity.run_id, labels=labels)
# An LLCM with its own temporary storage (outside the run directory).
llcm = TangoLLCM()
llcm.connectDatacenter(dc1)
print(net.identity.run_id, net.controller_backend.process.pid, llcm.storage_dir, flush=True)
print("READY", flush=True)
sys.stdin.read()  # until killed
time.sleep(3600)
