#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""quic_send.py - QUIC-shaped UDP datagrams, one per source, and who answered

Each datagram is a QUIC short header (first byte 0x41) whose destination
connection ID is: one octet (--first-octet, 0x00), the server id (--sid, --sid-len bytes,
big-endian), then a fixed pattern up to 8 bytes, followed by a packet
number and 24 bytes standing for the protected payload. The lab's UDP
echo answers "NAME ...": the first word of each answer is counted. With
--long, a long-header Initial (version 1) with that DCID instead.

Prints {"counts": {name: n}, "errors": n}; exits 1 if more than
--max-errors datagrams went unanswered.
"""
import argparse
import json
import socket
import sys


def dcid(sid, sid_len, first):
    d = bytes([first]) + sid.to_bytes(sid_len, "big")
    return d + bytes(range(0x30, 0x30 + 8 - len(d)))


def datagram(a):
    d = dcid(a.sid, a.sid_len, a.first_octet)
    if a.long:
        return (bytes([0xc3]) + (1).to_bytes(4, "big") + bytes([len(d)]) +
                d + bytes([0, 0]) + bytes(1200))
    return bytes([0x41]) + d + bytes([0x17]) + bytes(24)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vip", required=True)
    p.add_argument("--port", type=int, default=5300)
    p.add_argument("--src", action="append", required=True,
                   help="source address (repeat: each is used in turn)")
    p.add_argument("--sport-base", type=int, required=True)
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--sid", type=lambda s: int(s, 0), required=True)
    p.add_argument("--sid-len", type=int, default=2)
    p.add_argument("--first-octet", type=lambda s: int(s, 0), default=0,
                   help="the DCID's first octet (QUIC-LB: config rotation "
                   "in its top 3 bits)")
    p.add_argument("--long", action="store_true")
    p.add_argument("--timeout", type=float, default=2)
    p.add_argument("--max-errors", type=int, default=0)
    a = p.parse_args()
    fam = socket.AF_INET6 if ":" in a.vip else socket.AF_INET
    counts, errors = {}, 0
    for i in range(a.n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(a.timeout)
        try:
            s.bind((a.src[i % len(a.src)], a.sport_base + i))
            s.sendto(datagram(a), (a.vip, a.port))
            data, _ = s.recvfrom(65535)
            name = data.split(b" ", 1)[0].decode()
            counts[name] = counts.get(name, 0) + 1
        except OSError:
            errors += 1
        finally:
            s.close()
    print(json.dumps({"counts": counts, "errors": errors}))
    return 0 if errors <= a.max_errors else 1


if __name__ == "__main__":
    sys.exit(main())
