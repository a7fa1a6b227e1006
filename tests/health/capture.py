#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Capture IP packets on one interface and print them as JSON lines.

Usage: capture.py IFACE SECONDS

A raw AF_PACKET socket (no tcpdump, no scapy) reads every frame for
SECONDS and prints one line per IPv4/IPv6 packet: outer addresses,
protocol, TTL/hop limit, whether the IPv4 header checksum is right, and for
IP-in-IP (protocol 4 or 41) the inner packet's addresses, protocol, ports,
TCP flags and whether its TCP/UDP checksum is right; the same for GUE
(UDP to one of GUE_PORTS, comma-separated, default 6080, carrying an IP
packet: variant 1), with the outer UDP ports and whether the UDP checksum
is right ("udp_csum": 0 for none). Used to check that probe packets leave
the balancer encapsulated as client traffic would.

Usage: capture.py IFACE SECONDS [GUE_PORTS]
"""
import json
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def l4_ok(proto, src, dst, seg, v6):
    """TCP/UDP checksum over the pseudo header: sums to 0xffff if right."""
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    else:
        pseudo = src + dst + struct.pack("!xBH", proto, len(seg))
    return csum(pseudo + seg) == 0xFFFF


def parse_ip(b):
    """Returns a dict for an IP packet at b, or None."""
    if not b:
        return None
    v = b[0] >> 4
    if v == 4 and len(b) >= 20:
        ihl = (b[0] & 0xF) * 4
        tot = struct.unpack("!H", b[2:4])[0]
        d = {
            "v": 4,
            "src": socket.inet_ntop(socket.AF_INET, b[12:16]),
            "dst": socket.inet_ntop(socket.AF_INET, b[16:20]),
            "proto": b[9],
            "ttl": b[8],
            "tos": b[1],
            "df": bool(b[6] & 0x40),
            "len": tot,
            "csum_ok": csum(b[:ihl]) == 0xFFFF,
        }
        return d, b[ihl:tot], b[12:16], b[16:20]
    if v == 6 and len(b) >= 40:
        plen = struct.unpack("!H", b[4:6])[0]
        d = {
            "v": 6,
            "src": socket.inet_ntop(socket.AF_INET6, b[8:24]),
            "dst": socket.inet_ntop(socket.AF_INET6, b[24:40]),
            "proto": b[6],
            "ttl": b[7],
            "len": plen + 40,
            "flow": ((b[1] & 0xF) << 16) | (b[2] << 8) | b[3],
        }
        return d, b[40:40 + plen], b[8:24], b[24:40]
    return None


def l4_info(d, payload, src, dst):
    if d["proto"] in (6, 17) and len(payload) >= 8:
        d["sport"], d["dport"] = struct.unpack("!HH", payload[:4])
        d["l4_csum_ok"] = l4_ok(d["proto"], src, dst, payload, d["v"] == 6)
        if d["proto"] == 6 and len(payload) >= 14:
            d["tcp_flags"] = payload[13]


def main():
    iface, secs = sys.argv[1], float(sys.argv[2])
    gue_ports = {int(p) for p in
                 (sys.argv[3] if len(sys.argv) > 3 else "6080").split(",")}
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    print(json.dumps({"ready": True}), flush=True)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        eth_type = struct.unpack("!H", frame[12:14])[0]
        if eth_type not in (0x0800, 0x86DD):
            continue
        r = parse_ip(frame[14:])
        if not r:
            continue
        d, payload, src, dst = r
        d["dmac"] = frame[0:6].hex(":")
        d["smac"] = frame[6:12].hex(":")
        if d["proto"] in (4, 41):
            ir = parse_ip(payload)
            if ir:
                inner, ipay, isrc, idst = ir
                l4_info(inner, ipay, isrc, idst)
                d["inner"] = inner
        elif (d["proto"] == 17 and len(payload) >= 28 and
              struct.unpack("!H", payload[2:4])[0] in gue_ports and
              payload[8] >> 4 in (4, 6)):
            l4_info(d, payload, src, dst)
            d["gue"] = True
            d["udp_csum"] = struct.unpack("!H", payload[6:8])[0]
            ir = parse_ip(payload[8:])
            if ir:
                inner, ipay, isrc, idst = ir
                l4_info(inner, ipay, isrc, idst)
                d["inner"] = inner
        else:
            l4_info(d, payload, src, dst)
        print(json.dumps(d), flush=True)


if __name__ == "__main__":
    main()
