#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test servers for tests/health/suite_health.sh, all in one asyncio process.

Usage: hc_servers.py --addr A --log FILE [--cert C --key K] SPEC...

Each SPEC is KIND:PORT[:ARG] and opens one listener on A:PORT:
  http      200 "ok" (logs method, path and Host of each request)
  https     the same over TLS (logs the SNI it was asked for)
  status    answers with status ARG (e.g. 503)
  hang      accepts, reads, never answers (logs the most connections open
            at once as "hang_max N")
  slow      answers a valid response one byte per second
  garbage   answers bytes that are not HTTP, then closes
  flap      200 and 503 alternate every ARG seconds (from start)
  flapreq   200 and 503 alternate on every request
  udp       UDP: answers "pong:" + the datagram
  tcpflap   a listener that is open ARG seconds, then closed (the port
            answers SYNs with a reset) ARG seconds, and so on
Lines go to --log, flushed at once, so the suite can read them while the
servers run.
"""
import argparse
import asyncio
import ssl
import time

LOG = None
START = time.monotonic()


def log(line):
    LOG.write(line + "\n")
    LOG.flush()


async def read_request(reader):
    """Request line and headers; returns (method, path, headers)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ") + ["", "", ""])[:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return method, path, headers


def response(status, body=b"ok\n"):
    reason = {200: "OK", 503: "Service Unavailable"}.get(status, "Status")
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


def http_handler(kind, port, arg):
    state = {"n": 0}

    async def handle(reader, writer):
        try:
            method, path, headers = await read_request(reader)
            log(f"req {port} {method} {path} host={headers.get('host', '')}")
            if kind in ("http", "https"):
                status = 200
            elif kind == "status":
                status = int(arg)
            elif kind == "flap":
                phase = int((time.monotonic() - START) / float(arg))
                status = 200 if phase % 2 == 0 else 503
            elif kind == "flapreq":
                state["n"] += 1
                status = 200 if state["n"] % 2 else 503
            writer.write(response(status))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return handle


def hang_handler(port):
    state = {"open": 0, "max": 0}

    async def handle(reader, writer):
        state["open"] += 1
        if state["open"] > state["max"]:
            state["max"] = state["open"]
            log(f"hang_max {port} {state['max']}")
        try:
            while await reader.read(4096):
                pass
        except ConnectionError:
            pass
        finally:
            state["open"] -= 1
            writer.close()

    return handle


async def slow_handle(reader, writer):
    try:
        await read_request(reader)
        for b in response(200):
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(1)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def garbage_handle(reader, writer):
    try:
        await read_request(reader)
        writer.write(b"\x00\x01garbage\xff\xfe not http at all\r\n\r\n")
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.t = transport

    def datagram_received(self, data, addr):
        self.t.sendto(b"pong:" + data, addr)


async def tcpflap(addr, port, period):
    async def drop(reader, writer):
        writer.close()

    while True:
        srv = await asyncio.start_server(drop, addr, port, backlog=256,
                                         reuse_address=True)
        log(f"tcpflap {port} open")
        await asyncio.sleep(period)
        srv.close()
        await srv.wait_closed()
        log(f"tcpflap {port} closed")
        await asyncio.sleep(period)


async def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("spec", nargs="+")
    a = ap.parse_args()
    LOG = open(a.log, "a")
    loop = asyncio.get_running_loop()
    for spec in a.spec:
        kind, port, arg = (spec.split(":") + [None])[:3]
        port = int(port)
        if kind == "tcpflap":
            asyncio.create_task(tcpflap(a.addr, port, float(arg)))
            continue
        if kind == "udp":
            await loop.create_datagram_endpoint(
                Echo, local_addr=(a.addr, port))
            continue
        ctx = None
        if kind == "https":
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(a.cert, a.key)

            def sni(sock, name, _ctx, port=port):
                log(f"sni {port} {name}")
            ctx.sni_callback = sni
        if kind in ("http", "https", "status", "flap", "flapreq"):
            h = http_handler(kind, port, arg)
        elif kind == "hang":
            h = hang_handler(port)
        elif kind == "slow":
            h = slow_handle
        elif kind == "garbage":
            h = garbage_handle
        else:
            raise SystemExit(f"unknown server kind {kind}")
        await asyncio.start_server(h, a.addr, port, ssl=ctx, backlog=256)
    log("ready")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
