#!/bin/sh
# Serve iperf3 on all interfaces; the emulator runs this after networking is up.
iperf3 -s -D --logfile /tmp/iperf3.log
echo "started $(date -u +%FT%TZ)" > /tmp/vnf.status
