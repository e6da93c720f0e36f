#!/bin/sh
kill "$(pidof iperf3)" 2>/dev/null
echo "stopped $(date -u +%FT%TZ)" >> /tmp/vnf.status
