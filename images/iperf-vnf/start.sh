#!/bin/sh
# Run by the emulator once the interfaces are attached (VIM_EMU_CMD / SON_EMU_CMD).
# Serves iperf3 (port 5201) and a plain-text status page on port 8080 that
# shows the VNF's name and its VNF_* / SERVICE_* environment.
iperf3 -s -D --logfile /tmp/iperf3.log
echo "started $(date -u +%FT%TZ)" > /tmp/vnf.status
(
  while [ ! -e /tmp/vnf.stopped ]; do
    { printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n'
      cat /tmp/vnf.status
      env | grep -E '^(VNF_|SERVICE_)' | sort
    } | nc -l -N 8080 >/dev/null 2>&1 || sleep 0.2
  done
) >/dev/null 2>&1 &
