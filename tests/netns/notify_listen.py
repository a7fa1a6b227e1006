#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Play systemd's side of sd_notify for a test.

    notify_listen.py SOCKET LOG OUT

Binds a Unix datagram socket at SOCKET and writes one JSON line per
datagram to OUT: {"msg": "...", "log": [lines of LOG at that moment]}.
LOG is the daemon's log file: reading it when a message arrives shows what
the daemon had already logged when it sent the message (it logs before it
notifies, from the same thread, and stderr is unbuffered). Runs until
killed.
"""
import json
import os
import socket
import sys

sock, log, out = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if os.path.exists(sock):
    os.unlink(sock)
s.bind(sock)
with open(out, "a") as f:
    print(json.dumps({"msg": "LISTENING", "log": []}), file=f, flush=True)
    while True:
        msg = s.recv(4096).decode()
        try:
            with open(log) as lf:
                lines = lf.read().splitlines()
        except OSError:
            lines = []
        print(json.dumps({"msg": msg, "log": lines}), file=f, flush=True)
