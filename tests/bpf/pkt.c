// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: test packet builder and checkers
 *
 * See pkt.h. The builder keeps a list of layers with their offsets; every
 * append patches the protocol field of the layer before it, and
 * pkt_finish() walks the list from the innermost layer outward, so lengths
 * of outer headers include everything inside them and L4 checksums use the
 * pseudo-header of their own (innermost enclosing) IP header.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

#define ETH_HLEN_ 14
#define ET_IP	  0x0800
#define ET_IP6	  0x86dd
#define ET_ARP	  0x0806
#define P_ICMP	  1
#define P_IPIP	  4
#define P_TCP	  6
#define P_UDP	  17
#define P_IPV6	  41
#define P_FRAG	  44
#define P_ICMP6	  58
#define P_AH	  51

static char diag[16384];
static size_t diag_len;

void pkt_diag(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (diag_len >= sizeof(diag) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(diag + diag_len, sizeof(diag) - diag_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	diag_len += (size_t)n;
	if (diag_len >= sizeof(diag) - 1) {
		diag_len = sizeof(diag) - 1;
		return;
	}
	diag[diag_len++] = '\n';
	diag[diag_len] = 0;
}

const char *pkt_diag_buf(void)
{
	return diag;
}

void pkt_diag_clear(void)
{
	diag_len = 0;
	diag[0] = 0;
}

void pkt_diag_hex(const char *what, const uint8_t *f, size_t len)
{
	char line[80];
	size_t i, o;

	pkt_diag("%s (%zu bytes):", what, len);
	for (i = 0; i < len; i += 16) {
		o = 0;
		for (size_t j = i; j < len && j < i + 16; j++)
			o += snprintf(line + o, sizeof(line) - o, "%02x ",
				      f[j]);
		pkt_diag("  %04zx: %s", i, line);
	}
}

void pkt_addr(const char *s, uint8_t out[16], int *family)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = 6;
		return;
	}
	fprintf(stderr, "pkt: bad address '%s' in a test\n", s);
	abort();
}

const char *pkt_addr_str(int family, const uint8_t *a)
{
	static char bufs[4][INET6_ADDRSTRLEN];
	static int next;
	char *b = bufs[next++ & 3];

	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, b,
		       INET6_ADDRSTRLEN))
		snprintf(b, INET6_ADDRSTRLEN, "?");
	return b;
}

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t n)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

static bool is_ip(enum pkt_layer_type t)
{
	return t == PKT_L_IP4 || t == PKT_L_IP6;
}

/* The family (4/6) of the innermost IP layer before layer @i, or 0. */
static int enclosing_ip(const struct pkt *p, int i)
{
	while (--i >= 0)
		if (is_ip(p->l[i].type))
			return p->l[i].type == PKT_L_IP4 ? 4 : 6;
	return 0;
}

/* Set the protocol field of the last layer to announce one of @type. */
static void link_prev(struct pkt *p, enum pkt_layer_type type, int value)
{
	struct pkt_layer *prev;
	uint8_t *h;
	int v = -1;

	if (!p->n)
		return;
	prev = &p->l[p->n - 1];
	h = p->data + prev->off;
	switch (prev->type) {
	case PKT_L_ETH:
	case PKT_L_VLAN:
		if (type == PKT_L_VLAN)
			v = value;
		else if (type == PKT_L_IP4)
			v = ET_IP;
		else if (type == PKT_L_IP6)
			v = ET_IP6;
		else if (type == PKT_L_ARP)
			v = ET_ARP;
		else if (type == PKT_L_RAW)
			v = value;
		if (v >= 0)
			put16(h + (prev->type == PKT_L_ETH ? 12 : 2),
			      (uint16_t)v);
		return;
	case PKT_L_IP4:
	case PKT_L_IP6:
	case PKT_L_IP6_EXT:
	case PKT_L_IP6_FRAG:
		switch (type) {
		case PKT_L_IP4:
			v = P_IPIP;
			break;
		case PKT_L_IP6:
			v = P_IPV6;
			break;
		case PKT_L_IP6_EXT:
		case PKT_L_RAW:
			v = value;
			break;
		case PKT_L_IP6_FRAG:
			v = P_FRAG;
			break;
		case PKT_L_TCP:
			v = P_TCP;
			break;
		case PKT_L_UDP:
			v = P_UDP;
			break;
		case PKT_L_ICMP:
			v = enclosing_ip(p, p->n) == 6 ? P_ICMP6 : P_ICMP;
			break;
		default:
			return;
		}
		if (prev->type == PKT_L_IP4)
			h[9] = (uint8_t)v;
		else if (prev->type == PKT_L_IP6)
			h[6] = (uint8_t)v;
		else
			h[0] = (uint8_t)v;
		return;
	default:
		return;
	}
}

/* Append a zeroed header of @len bytes as a new layer. */
static uint8_t *add_layer(struct pkt *p, enum pkt_layer_type type, size_t len,
			  int link_value)
{
	struct pkt_layer *l;
	uint8_t *h;

	if (p->err || p->n >= PKT_MAX_LAYERS || p->len + len > PKT_MAX) {
		p->err = 1;
		return NULL;
	}
	link_prev(p, type, link_value);
	l = &p->l[p->n++];
	l->type = type;
	l->off = (uint16_t)p->len;
	l->len = (uint16_t)len;
	l->fixed = false;
	h = p->data + p->len;
	memset(h, 0, len);
	p->len += len;
	return h;
}

void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t *h = add_layer(p, PKT_L_ETH, ETH_HLEN_, 0);

	if (!h)
		return;
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
}

void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci)
{
	uint8_t *h = add_layer(p, PKT_L_VLAN, 4, tpid);

	if (h)
		put16(h, tci);
}

void pkt_arp(struct pkt *p, uint16_t op, const uint8_t sha[6], const char *spa,
	     const uint8_t tha[6], const char *tpa)
{
	uint8_t *h = add_layer(p, PKT_L_ARP, 28, 0);
	uint8_t a[16];
	int fam;

	if (!h)
		return;
	put16(h, 1);
	put16(h + 2, ET_IP);
	h[4] = 6;
	h[5] = 4;
	put16(h + 6, op);
	memcpy(h + 8, sha, 6);
	pkt_addr(spa, a, &fam);
	memcpy(h + 14, a, 4);
	memcpy(h + 18, tha, 6);
	pkt_addr(tpa, a, &fam);
	memcpy(h + 24, a, 4);
}

void pkt_ip4x(struct pkt *p, const struct pkt_ip4_opts *o)
{
	size_t hl = 20 + o->opts_len;
	uint8_t a[16], *h;
	int fam;

	if (o->opts_len % 4 || o->opts_len > 40) {
		p->err = 1;
		return;
	}
	h = add_layer(p, PKT_L_IP4, hl, 0);
	if (!h)
		return;
	h[0] = 0x40 | (uint8_t)(hl / 4);
	h[1] = o->tos;
	put16(h + 4, o->id);
	put16(h + 6, o->frag);
	h[8] = o->ttl ? o->ttl : 64;
	h[9] = 59; /* patched by the next layer */
	pkt_addr(o->src, a, &fam);
	memcpy(h + 12, a, 4);
	pkt_addr(o->dst, a, &fam);
	memcpy(h + 16, a, 4);
	if (o->opts_len)
		memcpy(h + 20, o->opts, o->opts_len);
}

void pkt_ip4(struct pkt *p, const char *src, const char *dst)
{
	struct pkt_ip4_opts o = {
		.src = src, .dst = dst, .id = 0x1234, .frag = 0x4000
	};

	pkt_ip4x(p, &o);
}

void pkt_ip6x(struct pkt *p, const struct pkt_ip6_opts *o)
{
	uint8_t *h = add_layer(p, PKT_L_IP6, 40, 0);
	uint32_t w;
	int fam;

	if (!h)
		return;
	w = 6u << 28 | (uint32_t)o->tclass << 20 | (o->flow & 0xfffff);
	put16(h, (uint16_t)(w >> 16));
	put16(h + 2, (uint16_t)w);
	h[6] = 59; /* no next header, patched by the next layer */
	h[7] = o->hlim ? o->hlim : 64;
	pkt_addr(o->src, h + 8, &fam);
	pkt_addr(o->dst, h + 24, &fam);
}

void pkt_ip6(struct pkt *p, const char *src, const char *dst)
{
	struct pkt_ip6_opts o = { .src = src, .dst = dst };

	pkt_ip6x(p, &o);
}

void pkt_ip6_ext(struct pkt *p, uint8_t type, size_t len)
{
	uint8_t *h;

	if (type == P_AH ? (len < 12 || len % 4) : (len < 8 || len % 8)) {
		p->err = 1;
		return;
	}
	h = add_layer(p, PKT_L_IP6_EXT, len, type);
	if (!h)
		return;
	h[0] = 59;
	h[1] = (uint8_t)(type == P_AH ? len / 4 - 2 : len / 8 - 1);
	/* One PadN option covering the rest (hop-by-hop, dest options). */
	if (type != P_AH && len > 2) {
		h[2] = 1;
		h[3] = (uint8_t)(len - 4);
	}
}

void pkt_ip6_frag(struct pkt *p, uint16_t offset, bool more, uint32_t id)
{
	uint8_t *h = add_layer(p, PKT_L_IP6_FRAG, 8, 0);

	if (!h)
		return;
	h[0] = 59;
	put16(h + 2, (uint16_t)(offset & 0xfff8) | (more ? 1 : 0));
	put16(h + 4, (uint16_t)(id >> 16));
	put16(h + 6, (uint16_t)id);
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *h = add_layer(p, PKT_L_TCP, 20, 0);

	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, 0x0102);
	put16(h + 6, 0x0304); /* sequence */
	if (flags & PKT_ACK)
		put16(h + 10, 0x0506);
	h[12] = 5 << 4;
	h[13] = flags;
	put16(h + 14, 65535);
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = add_layer(p, PKT_L_UDP, 8, 0);

	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint32_t rest)
{
	uint8_t *h = add_layer(p, PKT_L_ICMP, 8, 0);

	if (!h)
		return;
	h[0] = type;
	h[1] = code;
	put16(h + 4, (uint16_t)(rest >> 16));
	put16(h + 6, (uint16_t)rest);
}

void pkt_payload(struct pkt *p, const void *data, size_t n)
{
	if (p->err || p->len + n > PKT_MAX) {
		p->err = 1;
		return;
	}
	memcpy(p->data + p->len, data, n);
	p->len += n;
}

void pkt_payload_fill(struct pkt *p, size_t n)
{
	size_t i;

	if (p->err || p->len + n > PKT_MAX) {
		p->err = 1;
		return;
	}
	for (i = 0; i < n; i++)
		p->data[p->len + i] = (uint8_t)(0xa0 + i * 7);
	p->len += n;
}

void pkt_raw(struct pkt *p, uint8_t proto, const void *data, size_t n)
{
	uint8_t *h = add_layer(p, PKT_L_RAW, n, proto);

	if (h && n)
		memcpy(h, data, n);
}

void pkt_fix_last(struct pkt *p)
{
	if (p->n)
		p->l[p->n - 1].fixed = true;
}

/* Pseudo-header sum for an L4 header at layer @i carrying protocol @proto. */
static uint32_t pseudo_sum(const struct pkt *p, int i, uint8_t proto)
{
	const uint8_t *ip = NULL;
	uint32_t sum = 0, l4len = (uint32_t)(p->len - p->l[i].off);
	int j, fam = 0;

	for (j = i - 1; j >= 0; j--) {
		if (is_ip(p->l[j].type)) {
			ip = p->data + p->l[j].off;
			fam = p->l[j].type == PKT_L_IP4 ? 4 : 6;
			break;
		}
	}
	if (!ip)
		return 0;
	if (fam == 4) {
		sum = pkt_csum_add(sum, ip + 12, 8);
		sum += proto;
		sum += l4len;
	} else {
		sum = pkt_csum_add(sum, ip + 8, 32);
		sum += l4len >> 16;
		sum += l4len & 0xffff;
		sum += proto;
	}
	return sum;
}

int pkt_finish(struct pkt *p)
{
	uint32_t sum;
	uint8_t *h;
	size_t rest;
	int i;

	if (p->err)
		return -1;
	for (i = p->n - 1; i >= 0; i--) {
		struct pkt_layer *l = &p->l[i];

		if (l->fixed)
			continue;
		h = p->data + l->off;
		rest = p->len - l->off;
		switch (l->type) {
		case PKT_L_TCP:
			put16(h + 16, 0);
			sum = pseudo_sum(p, i, P_TCP);
			sum = pkt_csum_add(sum, h, rest);
			put16(h + 16, pkt_csum_fold(sum));
			break;
		case PKT_L_UDP:
			put16(h + 4, (uint16_t)rest);
			put16(h + 6, 0);
			sum = pseudo_sum(p, i, P_UDP);
			sum = pkt_csum_add(sum, h, rest);
			put16(h + 6, pkt_csum_fold(sum) ?: 0xffff);
			break;
		case PKT_L_ICMP:
			put16(h + 2, 0);
			sum = enclosing_ip(p, i) == 6 ?
				      pseudo_sum(p, i, P_ICMP6) :
				      0;
			sum = pkt_csum_add(sum, h, rest);
			put16(h + 2, pkt_csum_fold(sum));
			break;
		case PKT_L_IP4:
			put16(h + 2, (uint16_t)rest);
			put16(h + 10, 0);
			put16(h + 10,
			      pkt_csum_fold(pkt_csum_add(0, h, l->len)));
			break;
		case PKT_L_IP6:
			put16(h + 4, (uint16_t)(rest - 40));
			break;
		default:
			break;
		}
	}
	return 0;
}

void pkt_pad(struct pkt *p, size_t to)
{
	if (to > PKT_MAX || to <= p->len)
		return;
	memset(p->data + p->len, 0, to - p->len);
	p->len = to;
}

int pkt_find(const struct pkt *p, enum pkt_layer_type type)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->l[i].type == type)
			return i;
	return -1;
}

size_t pkt_l3_off(const struct pkt *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (is_ip(p->l[i].type))
			return p->l[i].off;
	return p->len;
}

const uint8_t *pkt_l3(const struct pkt *p)
{
	return p->data + pkt_l3_off(p);
}

size_t pkt_l3_len(const struct pkt *p)
{
	size_t off = pkt_l3_off(p);
	const uint8_t *h = p->data + off;

	if (off + 40 <= p->len && h[0] >> 4 == 6)
		return 40u + get16(h + 4);
	if (off + 20 <= p->len && h[0] >> 4 == 4)
		return get16(h + 2);
	return 0;
}

/* --- parsing and checking -------------------------------------------------*/

int pkt_parse_ip(const uint8_t *ip, size_t len, struct pkt_info *pi)
{
	size_t hl, off;
	uint8_t nh;
	int i;

	if (len < 1) {
		pkt_diag("IP packet empty");
		return -1;
	}
	if (ip[0] >> 4 == 4) {
		if (len < 20) {
			pkt_diag("IPv4 header truncated: %zu bytes", len);
			return -1;
		}
		hl = (size_t)(ip[0] & 0xf) * 4;
		pi->family = 4;
		pi->l3_len = get16(ip + 2);
		if (hl < 20 || hl > len || pi->l3_len < hl ||
		    pi->l3_len > len) {
			pkt_diag("IPv4 lengths bad: ihl %zu total %zu in %zu "
				 "bytes",
				 hl, pi->l3_len, len);
			return -1;
		}
		pi->tos = ip[1];
		pi->df = get16(ip + 6) & 0x4000;
		pi->frag = get16(ip + 6) & 0x3fff;
		pi->ttl = ip[8];
		pi->proto = ip[9];
		memset(pi->src, 0, 16);
		memset(pi->dst, 0, 16);
		memcpy(pi->src, ip + 12, 4);
		memcpy(pi->dst, ip + 16, 4);
		pi->l4_off = hl;
		return 0;
	}
	if (ip[0] >> 4 != 6) {
		pkt_diag("IP version %d", ip[0] >> 4);
		return -1;
	}
	if (len < 40) {
		pkt_diag("IPv6 header truncated: %zu bytes", len);
		return -1;
	}
	pi->family = 6;
	pi->l3_len = 40u + get16(ip + 4);
	if (pi->l3_len > len) {
		pkt_diag("IPv6 payload length %u beyond %zu bytes",
			 get16(ip + 4), len);
		return -1;
	}
	pi->tos = (uint8_t)((get16(ip) >> 4) & 0xff);
	pi->flow = ((uint32_t)(ip[1] & 0xf) << 16) | get16(ip + 2);
	pi->ttl = ip[7];
	pi->df = false;
	pi->frag = false;
	memcpy(pi->src, ip + 8, 16);
	memcpy(pi->dst, ip + 24, 16);
	nh = ip[6];
	off = 40;
	for (i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60 || nh == 135 ||
		    nh == P_AH) {
			if (off + 8 > pi->l3_len) {
				pkt_diag("IPv6 extension header truncated");
				return -1;
			}
			hl = nh == P_AH ? ((size_t)ip[off + 1] + 2) * 4 :
					  ((size_t)ip[off + 1] + 1) * 8;
			nh = ip[off];
			off += hl;
			continue;
		}
		if (nh == P_FRAG) {
			if (off + 8 > pi->l3_len) {
				pkt_diag("IPv6 fragment header truncated");
				return -1;
			}
			pi->frag = get16(ip + off + 2) & 0xfff9;
			nh = ip[off];
			off += 8;
			continue;
		}
		break;
	}
	if (off > pi->l3_len) {
		pkt_diag("IPv6 extension headers beyond the packet");
		return -1;
	}
	pi->proto = nh;
	pi->l4_off = off;
	return 0;
}

int pkt_parse(const uint8_t *f, size_t len, struct pkt_info *pi)
{
	size_t off = ETH_HLEN_;
	uint16_t et;

	memset(pi, 0, sizeof(*pi));
	if (len < ETH_HLEN_) {
		pkt_diag("frame shorter than Ethernet: %zu", len);
		return -1;
	}
	et = get16(f + 12);
	while ((et == 0x8100 || et == 0x88a8) && pi->nvlan < 2) {
		if (off + 4 > len) {
			pkt_diag("VLAN tag truncated");
			return -1;
		}
		pi->tpid[pi->nvlan] = et;
		pi->tci[pi->nvlan] = get16(f + off);
		pi->nvlan++;
		et = get16(f + off + 2);
		off += 4;
	}
	pi->l2_len = off;
	pi->ethertype = et;
	pi->l3_off = off;
	if (et != ET_IP && et != ET_IP6)
		return 0;
	if (pkt_parse_ip(f + off, len - off, pi))
		return -1;
	if ((et == ET_IP) != (pi->family == 4)) {
		pkt_diag("EtherType %#06x but IPv%d", et, pi->family);
		return -1;
	}
	pi->l4_off += off;
	return 0;
}

/* Checksum over an L4 segment with the pseudo-header of @ip; 0 if right. */
static uint16_t l4_csum(const uint8_t *ip, int family, uint8_t proto,
			const uint8_t *l4, size_t n, bool pseudo)
{
	uint32_t sum = 0;

	if (pseudo && family == 4) {
		sum = pkt_csum_add(sum, ip + 12, 8);
		sum += proto;
		sum += (uint32_t)n;
	} else if (pseudo) {
		sum = pkt_csum_add(sum, ip + 8, 32);
		sum += (uint32_t)(n >> 16);
		sum += (uint32_t)(n & 0xffff);
		sum += proto;
	}
	return pkt_csum_fold(pkt_csum_add(sum, l4, n));
}

int pkt_check_ip(const uint8_t *ip, size_t len)
{
	struct pkt_info pi;
	const uint8_t *l4;
	size_t n;

	if (pkt_parse_ip(ip, len, &pi))
		return -1;
	if (pi.family == 4 &&
	    pkt_csum_fold(pkt_csum_add(0, ip, (ip[0] & 0xf) * 4u))) {
		pkt_diag("IPv4 header checksum wrong (%#06x) %s -> %s",
			 get16(ip + 10), pkt_addr_str(4, pi.src),
			 pkt_addr_str(4, pi.dst));
		return -1;
	}
	if (pi.frag)
		return 0; /* no L4 header to check in a fragment */
	l4 = ip + pi.l4_off;
	n = pi.l3_len - pi.l4_off;
	switch (pi.proto) {
	case P_IPIP:
	case P_IPV6:
		if (n < 1 || (l4[0] >> 4) != (pi.proto == P_IPIP ? 4 : 6)) {
			pkt_diag("tunnel protocol %u but inner version %d",
				 pi.proto, n ? l4[0] >> 4 : -1);
			return -1;
		}
		if (pkt_check_ip(l4, n) || pkt_parse_ip(l4, n, &pi))
			return -1;
		if (pi.l3_len != n) {
			pkt_diag("inner packet %zu bytes in a %zu-byte payload",
				 pi.l3_len, n);
			return -1;
		}
		return 0;
	case P_TCP:
		if (n < 20) {
			pkt_diag("TCP header truncated");
			return -1;
		}
		if (l4_csum(ip, pi.family, P_TCP, l4, n, true)) {
			pkt_diag("TCP checksum wrong (%#06x)", get16(l4 + 16));
			return -1;
		}
		return 0;
	case P_UDP:
		if (n < 8 || get16(l4 + 4) != n) {
			pkt_diag("UDP length %u, segment %zu",
				 n >= 8 ? get16(l4 + 4) : 0, n);
			return -1;
		}
		if (pi.family == 4 && !get16(l4 + 6))
			return 0;
		if (l4_csum(ip, pi.family, P_UDP, l4, n, true)) {
			pkt_diag("UDP checksum wrong (%#06x)", get16(l4 + 6));
			return -1;
		}
		return 0;
	case P_ICMP:
	case P_ICMP6:
		if (n < 8) {
			pkt_diag("ICMP header truncated");
			return -1;
		}
		if ((pi.proto == P_ICMP6) != (pi.family == 6)) {
			pkt_diag("ICMP protocol %u in IPv%d", pi.proto,
				 pi.family);
			return -1;
		}
		if (l4_csum(ip, pi.family, pi.proto, l4, n, pi.family == 6)) {
			pkt_diag("ICMP checksum wrong (%#06x)", get16(l4 + 2));
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

int pkt_check_frame(const uint8_t *f, size_t len)
{
	struct pkt_info pi;

	if (pkt_parse(f, len, &pi))
		return -1;
	if (!pi.family)
		return 0;
	return pkt_check_ip(f + pi.l3_off, len - pi.l3_off);
}

int pkt_fix_csums(uint8_t *f, size_t len)
{
	struct pkt_info pi;
	uint8_t *ip, *l4;
	size_t n;
	int off;

	if (pkt_parse(f, len, &pi) || !pi.family)
		return -1;
	ip = f + pi.l3_off;
	if (pi.family == 4) {
		put16(ip + 10, 0);
		put16(ip + 10, pkt_csum_fold(pkt_csum_add(
				       0, ip, pi.l4_off - pi.l3_off)));
	}
	if (pi.frag)
		return 0;
	l4 = f + pi.l4_off;
	n = pi.l3_off + pi.l3_len - pi.l4_off;
	if (pi.proto == P_TCP && n >= 20)
		off = 16;
	else if (pi.proto == P_UDP && n >= 8)
		off = 6;
	else if ((pi.proto == P_ICMP || pi.proto == P_ICMP6) && n >= 8)
		off = 2;
	else
		return 0;
	put16(l4 + off, 0);
	put16(l4 + off,
	      l4_csum(ip, pi.family, pi.proto, l4, n, pi.proto != P_ICMP));
	if (pi.proto == P_UDP && !get16(l4 + off))
		put16(l4 + off, 0xffff);
	return 0;
}

static int want_addr(const char *what, int family, const uint8_t *got,
		     const char *want)
{
	uint8_t w[16];
	int fam;

	pkt_addr(want, w, &fam);
	if (fam == family && !memcmp(got, w, family == 4 ? 4 : 16))
		return 0;
	pkt_diag("%s is %s, want %s", what, pkt_addr_str(family, got), want);
	return -1;
}

int pkt_check_encap(const uint8_t *out, size_t len, const struct pkt *in,
		    const struct pkt_encap_want *w)
{
	struct pkt_info po, pi;
	const uint8_t *o;
	size_t ohl, in_tail, out_tail;
	int i, bad = 0;

	if (pkt_parse(in->data, in->len, &pi) || !pi.family) {
		pkt_diag("input frame is not IP");
		return -1;
	}
	if (pkt_parse(out, len, &po))
		return -1;
	if (memcmp(out, w->dmac, 6) || memcmp(out + 6, w->smac, 6)) {
		pkt_diag("MACs %02x:%02x:%02x:%02x:%02x:%02x <- "
			 "%02x:%02x:%02x:%02x:%02x:%02x, want "
			 "%02x:%02x:%02x:%02x:%02x:%02x <- "
			 "%02x:%02x:%02x:%02x:%02x:%02x",
			 out[0], out[1], out[2], out[3], out[4], out[5], out[6],
			 out[7], out[8], out[9], out[10], out[11], w->dmac[0],
			 w->dmac[1], w->dmac[2], w->dmac[3], w->dmac[4],
			 w->dmac[5], w->smac[0], w->smac[1], w->smac[2],
			 w->smac[3], w->smac[4], w->smac[5]);
		bad = 1;
	}
	if (po.nvlan != pi.nvlan) {
		pkt_diag("%d VLAN tags, input had %d", po.nvlan, pi.nvlan);
		bad = 1;
	}
	for (i = 0; i < po.nvlan && i < pi.nvlan; i++) {
		if (po.tpid[i] != pi.tpid[i] || po.tci[i] != pi.tci[i]) {
			pkt_diag("VLAN tag %d is %#06x/%u, input %#06x/%u", i,
				 po.tpid[i], po.tci[i], pi.tpid[i], pi.tci[i]);
			bad = 1;
		}
	}
	if (po.family != w->family) {
		pkt_diag("outer family IPv%d, want IPv%d", po.family,
			 w->family);
		return -1;
	}
	o = out + po.l3_off;
	ohl = w->family == 4 ? 20 : 40;
	bad |= want_addr("outer source", po.family, po.src, w->src);
	bad |= want_addr("outer destination", po.family, po.dst, w->dst);
	if (po.ttl != (w->ttl ? w->ttl : 64)) {
		pkt_diag("outer TTL/hop limit %u, want %u", po.ttl,
			 w->ttl ? w->ttl : 64);
		bad = 1;
	}
	if (po.proto != (pi.family == 4 ? P_IPIP : P_IPV6)) {
		pkt_diag("outer protocol %u for an IPv%d packet", po.proto,
			 pi.family);
		bad = 1;
	}
	if (po.l3_len != pi.l3_len + ohl || po.l4_off != po.l3_off + ohl) {
		pkt_diag("outer length %zu (header %zu), inner %zu", po.l3_len,
			 po.l4_off - po.l3_off, pi.l3_len);
		bad = 1;
	}
	if (po.tos != pi.tos) {
		pkt_diag("outer DSCP/ECN %#04x, inner %#04x", po.tos, pi.tos);
		bad = 1;
	}
	if (w->family == 4) {
		if ((o[0] & 0xf) != 5) {
			pkt_diag("outer IHL %d", o[0] & 0xf);
			bad = 1;
		}
		if (po.df != (pi.family == 6 || pi.df)) {
			pkt_diag("outer DF %d, inner IPv%d DF %d", po.df,
				 pi.family, pi.df);
			bad = 1;
		}
		if (po.frag & 0x3fff) {
			pkt_diag("outer header is a fragment");
			bad = 1;
		}
	}
	if (po.l3_off + po.l3_len <= len &&
	    memcmp(o + ohl, in->data + pi.l3_off, pi.l3_len)) {
		pkt_diag("inner packet differs from the input's IP packet");
		pkt_diag_hex("inner", o + ohl, pi.l3_len);
		pkt_diag_hex("input", in->data + pi.l3_off, pi.l3_len);
		bad = 1;
	}
	/* Ethernet padding of the input may stay behind the packet. */
	in_tail = in->len - pi.l3_off - pi.l3_len;
	out_tail = len - po.l3_off - po.l3_len;
	if (in_tail != out_tail) {
		pkt_diag("%zu bytes after the packet, input had %zu", out_tail,
			 in_tail);
		bad = 1;
	}
	if (pkt_check_frame(out, len))
		bad = 1;
	return bad ? -1 : 0;
}
