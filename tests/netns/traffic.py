#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Servers and clients for the xlb lab.

serve    run on a backend: HTTP, a TCP line echo and a UDP echo, bound to
         the VIPs, every answer naming the backend (so the client can tell
         where each request went).
http     client: N HTTP requests to a VIP, each from its own source port;
         prints {"counts": {backend: n}, "errors": n, "imbalance": max/avg}.
udp      client: N datagrams from distinct source ports; same output.
stream   client: UDP datagrams from a set of source ports, paced, no answer
         awaited (to watch where a PoP sends traffic over time).
listen   a bare TCP listener, a health-check target.
hold     client: one long-lived TCP connection to the line echo; every
         INTERVAL it sends a line and expects the same backend to answer.
         Writes progress to --status and exits 1 on the first error.

Every wait is bounded by a timeout; nothing here retries forever.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import http.server
import socketserver


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


# --- servers -----------------------------------------------------------------

class HTTPHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    name = "?"

    def do_GET(self):
        body = (self.name + "\n").encode()
        code = 200
        if self.path.startswith("/status/"):
            try:
                code = int(self.path.split("/")[2])
            except ValueError:
                code = 400
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", self.name)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def make_server_class(fam):
    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        address_family = fam
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 1024

        def server_bind(self):
            # HTTPServer's own looks the address up in reverse DNS
            # (getfqdn), which waits out a resolver timeout in a namespace
            # without one.
            socketserver.TCPServer.server_bind(self)
            self.server_name = str(self.server_address[0])
            self.server_port = self.server_address[1]
    return S


class EchoHandler(socketserver.StreamRequestHandler):
    name = "?"

    def handle(self):
        self.connection.settimeout(300)
        try:
            for line in self.rfile:
                self.wfile.write(("%s %s" % (self.name, line.decode(
                    errors="replace"))).encode())
                self.wfile.flush()
        except OSError:
            pass


def make_tcp_class(fam):
    class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
        address_family = fam
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 1024
    return S


def udp_echo(addr, port, name):
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(("%s %s" % (name, data.decode(errors="replace"))).encode(),
                 peer)


def serve(a):
    threads = []
    HTTPHandler.name = a.name
    EchoHandler.name = a.name
    for addr in a.addr:
        fam = family_of(addr)
        if a.http:
            srv = make_server_class(fam)((addr, a.http), HTTPHandler)
            threads.append(threading.Thread(target=srv.serve_forever,
                                            daemon=True))
        if a.echo:
            srv = make_tcp_class(fam)((addr, a.echo), EchoHandler)
            threads.append(threading.Thread(target=srv.serve_forever,
                                            daemon=True))
        if a.udp:
            threads.append(threading.Thread(target=udp_echo,
                                            args=(addr, a.udp, a.name),
                                            daemon=True))
    for t in threads:
        t.start()
    print("serving", a.name, a.addr, flush=True)
    while True:
        time.sleep(3600)


# --- clients -----------------------------------------------------------------

def summary(counts, errors, extra=None):
    vals = list(counts.values())
    avg = sum(vals) / len(vals) if vals else 0
    out = {"counts": counts, "errors": errors,
           "imbalance": (max(vals) / avg) if avg else None}
    if extra:
        out.update(extra)
    print(json.dumps(out, sort_keys=True), flush=True)


def http_one(vip, port, sport, timeout, path="/"):
    fam = family_of(vip)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    try:
        if sport:
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
        s.connect((vip, port))
        host = "[%s]" % vip if fam == socket.AF_INET6 else vip
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (path, host)).encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise OSError("bad response %r" % head[:40])
        return body.decode().strip()
    finally:
        s.close()


def http_client(a):
    counts, errors, first_err = {}, 0, None
    deadline = time.time() + a.deadline
    for i in range(a.n):
        if time.time() > deadline:
            errors += a.n - i
            first_err = first_err or "deadline"
            break
        sport = a.sport_base + i if a.sport_base else 0
        try:
            name = http_one(a.vip, a.port, sport, a.timeout)
            counts[name] = counts.get(name, 0) + 1
        except OSError as e:
            errors += 1
            first_err = first_err or "%s (sport %d)" % (e, sport)
    summary(counts, errors, {"first_error": first_err})
    return 0 if errors <= a.max_errors else 1


def udp_client(a):
    counts, errors = {}, 0
    fam = family_of(a.vip)
    for i in range(a.n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(a.timeout)
        try:
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0",
                    a.sport_base + i if a.sport_base else 0))
            s.sendto(b"hello %d" % i, (a.vip, a.port))
            data, _ = s.recvfrom(65535)
            name = data.decode().split(" ", 1)[0]
            counts[name] = counts.get(name, 0) + 1
        except OSError:
            errors += 1
        finally:
            s.close()
    summary(counts, errors)
    return 0 if errors <= a.max_errors else 1


def write_status(path, d):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(d, f)
    os.replace(tmp, path)


def hold(a):
    fam = family_of(a.vip)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    st = {"backend": None, "sent": 0, "ok": 0, "error": None, "done": False}
    try:
        if a.sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
        s.connect((a.vip, a.port))
        f = s.makefile("rwb")
        end = time.time() + a.duration
        while time.time() < end and not os.path.exists(a.status + ".stop"):
            st["sent"] += 1
            f.write(b"line %d\n" % st["sent"])
            f.flush()
            line = f.readline()
            if not line:
                raise OSError("connection closed")
            name = line.decode().split(" ", 1)[0]
            if st["backend"] is None:
                st["backend"] = name
            elif name != st["backend"]:
                raise OSError("answered by %s, not %s" % (name,
                                                          st["backend"]))
            st["ok"] += 1
            write_status(a.status, st)
            time.sleep(a.interval)
    except OSError as e:
        st["error"] = str(e)
    st["done"] = True
    write_status(a.status, st)
    return 1 if st["error"] else 0


def stream(a):
    """UDP datagrams to the VIP from --flows source ports in turn, one
    every --interval seconds, for --duration seconds. No answer needed."""
    fam = family_of(a.vip)
    socks = []
    for i in range(a.flows):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", a.sport_base + i))
        socks.append(s)
    end = time.monotonic() + a.duration
    i = 0
    while time.monotonic() < end:
        socks[i % len(socks)].sendto(b"s", (a.vip, a.port))
        i += 1
        time.sleep(a.interval)
    return 0


def listen(a):
    """A bare TCP listener (a health-check target) until killed."""
    s = socket.socket(family_of(a.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        c.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--name", required=True)
    s.add_argument("--addr", action="append", required=True)
    s.add_argument("--http", type=int, default=80)
    s.add_argument("--echo", type=int, default=7)
    s.add_argument("--udp", type=int, default=5300)
    for m in ("http", "udp"):
        c = sub.add_parser(m)
        c.add_argument("--vip", required=True)
        c.add_argument("--port", type=int,
                       default=80 if m == "http" else 5300)
        c.add_argument("--n", type=int, default=100)
        c.add_argument("--sport-base", type=int, default=0)
        c.add_argument("--timeout", type=float, default=2.0)
        c.add_argument("--deadline", type=float, default=120.0)
        c.add_argument("--max-errors", type=int, default=0)
    h = sub.add_parser("hold")
    h.add_argument("--vip", required=True)
    h.add_argument("--port", type=int, default=7)
    h.add_argument("--sport", type=int, default=0)
    h.add_argument("--duration", type=float, default=60)
    h.add_argument("--interval", type=float, default=0.1)
    h.add_argument("--timeout", type=float, default=3.0)
    h.add_argument("--status", required=True)
    st = sub.add_parser("stream")
    st.add_argument("--vip", required=True)
    st.add_argument("--port", type=int, default=5300)
    st.add_argument("--flows", type=int, default=64)
    st.add_argument("--sport-base", type=int, default=20000)
    st.add_argument("--interval", type=float, default=0.001)
    st.add_argument("--duration", type=float, default=10)
    ls = sub.add_parser("listen")
    ls.add_argument("--addr", required=True)
    ls.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    if a.mode == "stream":
        return stream(a)
    if a.mode == "listen":
        return listen(a)
    if a.mode == "serve":
        serve(a)
    elif a.mode == "http":
        return http_client(a)
    elif a.mode == "udp":
        return udp_client(a)
    return hold(a)


if __name__ == "__main__":
    sys.exit(main())
