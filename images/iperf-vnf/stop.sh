#!/bin/sh
# Run by the emulator before the container is removed (VIM_EMU_CMD_STOP).
touch /tmp/vnf.stopped
kill "$(pidof iperf3)" 2>/dev/null
pkill -x nc 2>/dev/null
echo "stopped $(date -u +%FT%TZ)" >> /tmp/vnf.status
