#!/bin/sh
date +%s > /mnt/share/stopped
