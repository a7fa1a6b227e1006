#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Steady load for the soak (tests/soak/soak.sh), and its accounting.

run      from the client: HTTP GETs to VIP:80 at --rate per second, a new
         connection each (kernel-chosen source port), each bounded by
         --timeout; and a UDP stream to VIP:5300 at --udp-rate datagrams
         per second over --udp-flows source ports, answers matched by
         sequence number. With several --vip (an IPv4 and an IPv6 one),
         the rates are shared out between them. Every second (by the time a request started or a
         datagram was sent) gets one JSON line in --out once nothing of it
         can still complete:
           {"t": 1700000000, "ok": 50, "fail": 0, "reset": 0,
            "timeout": 0, "udp_sent": 50, "udp_recv": 50}
         ("reset": refused or reset by the peer; "timeout": no answer in
         --timeout; both are also counted in "fail"). Each failure and each
         lost datagram is a line of --fail-log: "TIME KIND DETAIL".
         Stops when --stop exists or after --duration seconds.
flood    from the client: --count UDP datagrams to VIP:PORT, each from its
         own (source address, source port), through a raw socket, at most
         --pps per second: new flows to fill the connection table.
summary  the figures of a time window [--from, --to) read back from the
         files of "run": one JSON object on stdout.

Every wait is bounded; nothing here retries forever.
"""
import argparse
import errno
import itertools
import json
import os
import select
import socket
import struct
import sys
import threading
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


class Books:
    """Per-second counters, written out once a second is final."""

    def __init__(self, out, fail_log, lag):
        self.lock = threading.Lock()
        self.sec = {}
        self.out = open(out, "a", buffering=1)
        self.fails = open(fail_log, "a", buffering=1)
        self.lag = lag
        self.written = 0
        self.udp_pending = {}  # seq -> send time

    def bucket(self, t):
        s = int(t)
        b = self.sec.get(s)
        if b is None:
            b = self.sec[s] = {"t": s, "ok": 0, "fail": 0, "reset": 0,
                               "timeout": 0, "udp_sent": 0, "udp_recv": 0}
        return b

    def http(self, t0, kind, detail=""):
        with self.lock:
            b = self.bucket(t0)
            if kind == "ok":
                b["ok"] += 1
                return
            b["fail"] += 1
            if kind in ("reset", "timeout"):
                b[kind] += 1
            self.fails.write("%.3f http-%s %s\n" % (t0, kind, detail))

    def udp_sent(self, seq, t):
        with self.lock:
            self.bucket(t)["udp_sent"] += 1
            self.udp_pending[seq] = t

    def udp_recv(self, seq):
        with self.lock:
            t = self.udp_pending.pop(seq, None)
            if t is not None:
                self.bucket(t)["udp_recv"] += 1

    def flush(self, now, final=False):
        """Write every second that can no longer change."""
        with self.lock:
            limit = now - self.lag
            for s in sorted(self.sec):
                if not final and s + 1 > limit:
                    break
                for seq, t in list(self.udp_pending.items()):
                    if int(t) == s:
                        self.fails.write("%.3f udp-lost seq %d\n" % (t, seq))
                        del self.udp_pending[seq]
                self.out.write(json.dumps(self.sec.pop(s), sort_keys=True)
                               + "\n")
                self.written = s


def http_once(vip, port, timeout):
    fam = family_of(vip)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        s.connect((vip, port))
        host = "[%s]" % vip if fam == socket.AF_INET6 else vip
        s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % host).encode())
        data = b""
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            s.settimeout(left)
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        if not data.startswith(b"HTTP/1.1 200"):
            raise OSError("bad response %r" % data[:40])
        return data.rpartition(b"\r\n\r\n")[2].decode().strip()
    finally:
        s.close()


def http_worker(books, a, vip, t0):
    try:
        http_once(vip, a.port, a.timeout)
        books.http(t0, "ok")
    except socket.timeout as e:
        books.http(t0, "timeout", str(e))
    except OSError as e:
        kind = "reset" if e.errno in (errno.ECONNRESET, errno.ECONNREFUSED,
                                      errno.EPIPE) else "error"
        books.http(t0, kind, str(e))


def http_loop(books, a, vip, stop):
    period = len(a.vip) / a.rate
    nxt = time.time()
    while not stop.is_set():
        now = time.time()
        if now < nxt:
            time.sleep(min(nxt - now, 0.1))
            continue
        # behind by more than a second (the machine stalled): skip ahead
        # rather than burst
        if now - nxt > 1.0:
            nxt = now
        threading.Thread(target=http_worker, args=(books, a, vip, now),
                         daemon=True).start()
        nxt += period


SEQ = itertools.count(1)


def udp_loop(books, a, vip, stop):
    fam = family_of(vip)
    socks = []
    for _ in range(a.udp_flows):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
        s.setblocking(False)
        socks.append(s)
    period = len(a.vip) / a.udp_rate
    nxt = time.time()
    while not stop.is_set():
        now = time.time()
        if now >= nxt:
            if now - nxt > 1.0:
                nxt = now
            seq = next(SEQ)
            try:
                books.udp_sent(seq, now)
                socks[seq % len(socks)].sendto(b"%d" % seq,
                                               (vip, a.udp_port))
            except OSError:
                pass  # counted as sent, so it shows as lost
            nxt += period
        r, _, _ = select.select(socks, [], [],
                                max(0.0, min(nxt - time.time(), 0.05)))
        for s in r:
            while True:
                try:
                    data = s.recv(2048)
                except OSError:
                    break
                # the echo answers "beN SEQ"
                try:
                    books.udp_recv(int(data.split()[1]))
                except (IndexError, ValueError):
                    pass


def run(a):
    books = Books(a.out, a.fail_log, a.timeout + 1.5)
    stop = threading.Event()
    threads = []
    for vip in a.vip:
        threads.append(threading.Thread(target=http_loop,
                                        args=(books, a, vip, stop),
                                        daemon=True))
        if a.udp_rate > 0:
            threads.append(threading.Thread(target=udp_loop,
                                            args=(books, a, vip, stop),
                                            daemon=True))
    for t in threads:
        t.start()
    end = time.time() + a.duration
    print("load running", flush=True)
    while time.time() < end and not os.path.exists(a.stop):
        time.sleep(0.5)
        books.flush(time.time())
    stop.set()
    time.sleep(a.timeout + 0.5)
    books.flush(time.time(), final=True)
    return 0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def flood(a):
    """UDP datagrams from --count distinct (source, port) pairs."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(a.vip)
    srcs = [socket.inet_aton(x) for x in a.src]
    payload = b"flood"
    sent = 0
    t0 = time.time()
    deadline = t0 + a.deadline
    while sent < a.count and time.time() < deadline:
        src = srcs[sent // 64000 % len(srcs)]
        sport = 1024 + sent % 64000
        udp = struct.pack("!HHHH", sport, a.port, 8 + len(payload), 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) +
                         len(payload), sent & 0xffff, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        try:
            raw.sendto(ip + udp + payload, (a.vip, 0))
        except OSError:
            time.sleep(0.001)  # a full queue: wait, do not count it
            continue
        sent += 1
        # pace: never ahead of --pps
        ahead = sent / a.pps - (time.time() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": sent, "seconds": round(time.time() - t0, 2)}),
          flush=True)
    return 0 if sent == a.count else 1


def summary(a):
    """Figures of [from, to): per-second lines for counts, the failure log
    for the times of the last failure."""
    out = {"ok": 0, "fail": 0, "reset": 0, "timeout": 0, "udp_sent": 0,
           "udp_lost": 0, "seconds": 0, "last_fail": None,
           "first_fail": None, "fail_seconds": 0}
    with open(a.file) as f:
        for line in f:
            d = json.loads(line)
            if d["t"] < a.t_from or d["t"] + 1 > a.t_to:
                continue
            out["seconds"] += 1
            for k in ("ok", "fail", "reset", "timeout", "udp_sent"):
                out[k] += d[k]
            lost = d["udp_sent"] - d["udp_recv"]
            out["udp_lost"] += lost
            if d["fail"] or lost:
                out["fail_seconds"] += 1
    with open(a.fail_log) as f:
        for line in f:
            t = float(line.split()[0])
            if a.t_from <= t < a.t_to:
                if out["first_fail"] is None or t < out["first_fail"]:
                    out["first_fail"] = t
                if out["last_fail"] is None or t > out["last_fail"]:
                    out["last_fail"] = t
    out["requests"] = out["ok"] + out["fail"]
    print(json.dumps(out, sort_keys=True))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run")
    r.add_argument("--vip", action="append", required=True)
    r.add_argument("--port", type=int, default=80)
    r.add_argument("--rate", type=float, default=50)
    r.add_argument("--timeout", type=float, default=2.0)
    r.add_argument("--udp-port", type=int, default=5300)
    r.add_argument("--udp-rate", type=float, default=50)
    r.add_argument("--udp-flows", type=int, default=8)
    r.add_argument("--duration", type=float, default=3600)
    r.add_argument("--out", required=True)
    r.add_argument("--fail-log", required=True)
    r.add_argument("--stop", required=True)
    f = sub.add_parser("flood")
    f.add_argument("--vip", required=True)
    f.add_argument("--port", type=int, default=9)
    f.add_argument("--src", action="append", required=True)
    f.add_argument("--count", type=int, default=70000)
    f.add_argument("--pps", type=float, default=20000)
    f.add_argument("--deadline", type=float, default=30)
    s = sub.add_parser("summary")
    s.add_argument("--file", required=True)
    s.add_argument("--fail-log", required=True)
    s.add_argument("--from", dest="t_from", type=float, required=True)
    s.add_argument("--to", dest="t_to", type=float, required=True)
    a = p.parse_args()
    return {"run": run, "flood": flood, "summary": summary}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
