#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Many long-lived TCP connections to the lab's line echo, watched together.

Opens --n connections to VIP:PORT, each from its own source port
(--sport-base + i), notes the backend that answers each one, then runs
rounds until --duration is over or STATUS.stop exists: every round sends
one line on every live connection and waits (at most --timeout) for every
answer. A connection is broken, and closed, on the first error: reset,
closed, no answer in time, or an answer from another backend than its
first. After each round the status file (JSON, replaced atomically) holds:

  {"n": N, "open": connections opened, "open_errors": n, "rounds": r,
   "broken": n, "alive": n, "backends": {name: n},
   "reasons": {reason: n}, "done": bool}

Every wait is bounded; nothing retries. Exit status 0 unless the
connections could not be opened.
"""
import argparse
import json
import os
import select
import socket
import sys
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def write_status(path, d):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(d, f, sort_keys=True)
    os.replace(tmp, path)


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.backend = None
        self.alive = True


def read_lines(conns, deadline):
    """One answer line from every connection in conns, until deadline.
    Returns {conn: line or None (closed), "timeout" for the rest}."""
    got = {}
    waiting = {c.sock.fileno(): c for c in conns}
    while waiting:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select(list(waiting), [], [], left)
        for fd in r:
            c = waiting[fd]
            try:
                chunk = c.sock.recv(4096)
            except OSError as e:
                got[c] = "error: %s" % e.strerror
                del waiting[fd]
                continue
            if not chunk:
                got[c] = "closed"
                del waiting[fd]
                continue
            c.buf += chunk
            if b"\n" in c.buf:
                line, _, c.buf = c.buf.partition(b"\n")
                got[c] = line.decode(errors="replace")
                del waiting[fd]
    for c in waiting.values():
        got[c] = "timeout"
    return got


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vip", required=True)
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--sport-base", type=int, required=True)
    p.add_argument("--duration", type=float, default=300)
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--status", required=True)
    a = p.parse_args()

    fam = family_of(a.vip)
    any_addr = "::" if fam == socket.AF_INET6 else "0.0.0.0"
    st = {"n": a.n, "open": 0, "open_errors": 0, "rounds": 0, "broken": 0,
          "alive": 0, "backends": {}, "reasons": {}, "done": False}
    conns = []
    for i in range(a.n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(a.timeout)
        try:
            s.bind((any_addr, a.sport_base + i))
            s.connect((a.vip, a.port))
        except OSError:
            st["open_errors"] += 1
            s.close()
            continue
        s.setblocking(False)
        conns.append(Conn(s))
    st["open"] = len(conns)

    def broken(c, why):
        c.alive = False
        st["broken"] += 1
        st["reasons"][why] = st["reasons"].get(why, 0) + 1
        c.sock.close()

    end = time.monotonic() + a.duration
    rnd = 0
    while time.monotonic() < end and not os.path.exists(a.status + ".stop"):
        rnd += 1
        live = [c for c in conns if c.alive]
        sent = []
        for c in live:
            try:
                c.sock.send(b"round %d\n" % rnd)
                sent.append(c)
            except OSError as e:
                broken(c, "send: %s" % e.strerror)
        got = read_lines(sent, time.monotonic() + a.timeout)
        for c, line in got.items():
            if line in ("closed", "timeout") or line.startswith("error"):
                broken(c, line)
                continue
            name = line.split(" ", 1)[0]
            if c.backend is None:
                c.backend = name
            elif name != c.backend:
                broken(c, "answered by another backend")
        st["rounds"] = rnd
        st["alive"] = sum(1 for c in conns if c.alive)
        backends = {}
        for c in conns:
            if c.alive and c.backend:
                backends[c.backend] = backends.get(c.backend, 0) + 1
        st["backends"] = backends
        write_status(a.status, st)
        time.sleep(a.interval)
    st["done"] = True
    write_status(a.status, st)
    for c in conns:
        if c.alive:
            c.sock.close()
    return 0 if conns else 1


if __name__ == "__main__":
    sys.exit(main())
