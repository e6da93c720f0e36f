#!/bin/sh
# The interfaces as they were when SON_EMU_CMD ran, in the shared results folder.
mkdir -p /mnt/share
ip -o -4 addr show > /mnt/share/interfaces-at-start.txt
date +%s > /mnt/share/started
exec iperf3 -s -D
