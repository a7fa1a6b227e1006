// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: test_parse - the parser's fast shape against its walk
 *
 * bpf/parse.h reads the common frame (untagged IPv4 with IHL 5, not a
 * fragment, TCP or UDP with right length fields) in one straight line,
 * parse_fast4(), and walks every other one, xlb_parse_buf(). The rest of
 * the pipeline cannot tell which of the two read a packet, so the two must
 * fill struct xlb_pkt alike. The parser is plain C over a byte range: this
 * test compiles it for the host and runs both on the same frames:
 *
 * - frames of the fast shape (TCP and UDP, flags, TOS, DF, a payload, a
 *   frame longer than the datagram): the fast shape takes them, and both
 *   give the same bytes of struct xlb_pkt, padding included;
 * - frames the fast shape must leave to the walk (VLAN tag, IPv4 options,
 *   a fragment, IPv6, ICMP, bad TCP data offset, bad UDP length, a
 *   truncated datagram, a UDP header without 12 bytes after it): it
 *   declines them and leaves the structure untouched;
 * - every single-byte change of the first 54 bytes of those frames, to
 *   every value: whenever the fast shape takes one, the walk says XLB_P_L4
 *   with the same structure.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas" /* clang's unroll */
#include "bpf/parse.h"
#pragma GCC diagnostic pop

#include "pkt.h"
#include "tap.h"

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 2 };

/* Both parsers on @f; 1 when the fast shape took it (and they agree),
 * 0 when it declined (and left @p untouched), -1 on a disagreement. */
static int both(const uint8_t *f, size_t len)
{
	/* the IP header 4-aligned, as the kernel places it (NET_IP_ALIGN) */
	static uint8_t raw[PKT_MAX + 2] __attribute__((aligned(8)));
	uint8_t *buf = raw + 2;
	struct xlb_pkt a, b, untouched;
	int r;

	memcpy(buf, f, len);
	memset(&a, 0xa5, sizeof(a));
	untouched = a;
	/* byte for byte, padding included: both parsers write every byte
	 * of the structure (fast4_fill() as whole words, the walk after a
	 * memset), and the fast shape must leave all of it untouched */
	if (!parse_fast4(buf, buf + len, &a))
		/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
		return memcmp(&a, &untouched, sizeof(a)) ? -1 : 0;
	memset(&b, 0, sizeof(b));
	r = xlb_parse_buf(buf, buf + len, &b);
	b.kind = XLB_P_L4; /* the caller's, from the result */
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
	if (r != XLB_P_L4 || memcmp(&a, &b, sizeof(a)))
		return -1;
	return 1;
}

static void tcp4(struct pkt *p, uint8_t tos, uint16_t frag, uint8_t flags,
		 size_t payload)
{
	struct pkt_ip4_opts o = { .src = "198.51.100.1",
				  .dst = "192.0.2.10",
				  .tos = tos,
				  .frag = frag };

	pkt_init(p);
	pkt_eth(p, MAC_A, MAC_B);
	pkt_ip4x(p, &o);
	pkt_tcp(p, 40000, 80, flags);
	if (payload)
		pkt_payload_fill(p, payload);
	pkt_finish(p);
}

static void udp4(struct pkt *p, size_t payload)
{
	pkt_init(p);
	pkt_eth(p, MAC_A, MAC_B);
	pkt_ip4(p, "198.51.100.2", "192.0.2.10");
	pkt_udp(p, 5353, 53);
	if (payload)
		pkt_payload_fill(p, payload);
	pkt_finish(p);
}

/* Frames of the fast shape. */
static int taken(void)
{
	struct pkt p;
	bool ok = true;

	tcp4(&p, 0, 0x4000, 0x10, 0);
	ok &= both(p.data, p.len) == 1;
	tcp4(&p, 0xb8, 0, 0x02, 100);
	ok &= both(p.data, p.len) == 1;
	tcp4(&p, 0x01, 0x4000, 0x14, 1400);
	ok &= both(p.data, p.len) == 1;
	udp4(&p, 12);
	ok &= both(p.data, p.len) == 1;
	udp4(&p, 512);
	ok &= both(p.data, p.len) == 1;
	tcp4(&p, 0, 0, 0x10, 20);
	pkt_pad(&p, p.len + 30); /* Ethernet padding after the datagram */
	ok &= both(p.data, p.len) == 1;
	return tap_result(ok, "parse: the fast shape and the walk fill "
			      "struct xlb_pkt alike (IPv4 TCP and UDP)");
}

/* Frames left to the walk; each also gives its single-byte variants. */
static void declined(struct pkt *p, int i)
{
	struct pkt_ip4_opts opt = { .src = "198.51.100.1",
				    .dst = "192.0.2.10",
				    .opts = (const uint8_t *)"\x01\x01\x01\x00",
				    .opts_len = 4 };
	struct pkt_ip4_opts frag = { .src = "198.51.100.1",
				     .dst = "192.0.2.10",
				     .frag = 0x2000 };

	pkt_init(p);
	pkt_eth(p, MAC_A, MAC_B);
	switch (i) {
	case 0:
		pkt_vlan(p, ETH_P_8021Q, 7);
		pkt_ip4(p, "198.51.100.1", "192.0.2.10");
		pkt_tcp(p, 40000, 80, 0x10);
		break;
	case 1:
		pkt_ip4x(p, &opt);
		pkt_tcp(p, 40000, 80, 0x10);
		break;
	case 2:
		pkt_ip4x(p, &frag);
		pkt_udp(p, 5353, 53);
		pkt_payload_fill(p, 40);
		break;
	case 3:
		pkt_ip6(p, "2001:db8::1", "2001:db8::10");
		pkt_tcp(p, 40000, 80, 0x10);
		break;
	case 4:
		pkt_ip4(p, "198.51.100.1", "192.0.2.10");
		pkt_icmp(p, 8, 0, 0);
		pkt_payload_fill(p, 40);
		break;
	default:
		pkt_ip4(p, "198.51.100.2", "192.0.2.10");
		pkt_udp(p, 5353, 53); /* 8 bytes of L4: the walk's */
		break;
	}
	pkt_finish(p);
}

#define NDECLINED 6

static int left_to_walk(void)
{
	struct pkt p;
	bool ok = true;
	int i;

	for (i = 0; i < NDECLINED; i++) {
		declined(&p, i);
		ok &= both(p.data, p.len) == 0;
	}
	/* bad TCP data offset, bad UDP length, a truncated datagram */
	tcp4(&p, 0, 0, 0x10, 0);
	p.data[46] = 4 << 4;
	ok &= both(p.data, p.len) == 0;
	udp4(&p, 20);
	p.data[38] = 0;
	p.data[39] = 7;
	ok &= both(p.data, p.len) == 0;
	tcp4(&p, 0, 0, 0x10, 100);
	ok &= both(p.data, p.len - 1) == 0;
	return tap_result(ok, "parse: the fast shape leaves tagged, optioned, "
			      "fragmented, IPv6, ICMP, bad-length and "
			      "truncated frames to the walk, untouched");
}

/* Every single-byte change of the headers, to every value. */
static int mutated(void)
{
	struct pkt p;
	int i, n = 0, fast = 0, bad = 0;
	size_t off;
	unsigned v;

	for (i = 0; i < NDECLINED + 2; i++) {
		if (i < NDECLINED)
			declined(&p, i);
		else if (i == NDECLINED)
			tcp4(&p, 0, 0x4000, 0x10, 20);
		else
			udp4(&p, 20);
		for (off = 0; off < 54 && off < p.len; off++) {
			uint8_t keep = p.data[off];

			for (v = 0; v < 256; v++) {
				int r;

				p.data[off] = (uint8_t)v;
				r = both(p.data, p.len);
				n++;
				fast += r == 1;
				if (r < 0 && bad++ < 5)
					printf("# frame %d byte %zu = %u: the "
					       "two parsers disagree\n",
					       i, off, v);
			}
			p.data[off] = keep;
		}
	}
	return tap_result(!bad && fast > 0,
			  "parse: %d single-byte variants, %d taken by the "
			  "fast shape, the walk agrees on every one",
			  n, fast);
}

int main(void)
{
	taken();
	left_to_walk();
	mutated();
	return tap_done();
}
