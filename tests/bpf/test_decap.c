// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: packet fixtures of the backend-side decapsulator
 *
 * Every case runs xlb_decap through BPF_PROG_TEST_RUN. The maps hold the
 * standard backend below (two local addresses per family, two VIPs per
 * family), and the counters are zeroed before each case. A case is a row:
 * a description, the frame (described by a struct spec, or built by a
 * function for the odd ones), an optional poke that breaks it after it was
 * finished, the counter that must move, and whether the frame must come
 * out decapsulated. The program's only verdict is XDP_PASS; the output
 * frame must then be either byte-identical to the input (everything the
 * program must leave alone) or exactly the frame the client's packet would
 * have been without the tunnel: same MACs and VLAN tags, the inner
 * EtherType, the inner packet byte for byte (except a CE mark carried over
 * from the outer header, RFC 6040), and every checksum valid. After every
 * case all counters must equal what the case predicted: one outcome
 * counter at 1, the others at 0, and the decapsulated bytes.
 *
 * The last cases cut tunnel frames at every length, run a mix of packets
 * to see the counters add up, and change the maps between packets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "addr.h"
#include "log.h"
#include "maps/xlb_decap.h"
#include "pkt.h"
#include "tap.h"
#include "xlb_decap.skel.h"

static const __u8 MAC_BE[6] = { 0x02, 0, 0, 0, 0x0b, 0x01 };
static const __u8 MAC_RT[6] = { 0x02, 0, 0, 0, 0x0b, 0xfe };

#define LOCAL4	"10.102.1.2"
#define LOCAL4B "10.102.1.3"
#define LOCAL6	"fd00:102:1::2"
#define LOCAL6B "fd00:102:1::3"
#define LB4	"10.101.1.2"
#define LB6	"fd00:101:1::2"
#define VIP4	"192.0.2.10"
#define VIP4B	"192.0.2.11"
#define VIP6	"2001:db8::10"
#define VIP6B	"2001:db8::11"
#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:c::7"
#define OTHER4	"10.102.9.9"
#define OTHER6	"fd00:102:9::9"
#define NOVIP4	"192.0.2.99"
#define NOVIP6	"2001:db8::99"

#define IPPROTO_GRE_ 47
#define NH_ROUTING   43
#define NH_DSTOPTS   60
#define NH_HOPOPTS   0

static struct xlb_decap_bpf *skel;
static int prog_fd;
static int bad;
static const char *const CNAMES[] = XLB_DECAP_COUNTER_NAMES;

#define CHECK(cond, ...)                       \
	do {                                   \
		if (!(cond)) {                 \
			pkt_diag(__VA_ARGS__); \
			bad = 1;               \
		}                              \
	} while (0)

/* --- maps ------------------------------------------------------------------*/

static struct xlb_decap_addr dkey(const char *s)
{
	struct xlb_decap_addr k = {};
	struct xlb_addr a;

	if (xlb_addr_parse(s, &a)) {
		fprintf(stderr, "bad address %s in a test\n", s);
		abort();
	}
	k.family = a.family;
	memcpy(k.addr, a.a, sizeof(k.addr));
	return k;
}

static int map_add(struct bpf_map *m, const char *s)
{
	struct xlb_decap_addr k = dkey(s);
	struct xlb_decap_val v = {};

	return bpf_map__update_elem(m, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
}

static int map_del(struct bpf_map *m, const char *s)
{
	struct xlb_decap_addr k = dkey(s);

	return bpf_map__delete_elem(m, &k, sizeof(k), 0);
}

static int world_fill(void)
{
	static const char *const locals[] = { LOCAL4, LOCAL4B, LOCAL6,
					      LOCAL6B };
	static const char *const vips[] = { VIP4, VIP4B, VIP6, VIP6B };
	size_t i;
	int err = 0;

	for (i = 0; i < 4 && !err; i++)
		err = map_add(skel->maps.xlb_decap_local, locals[i]) ?:
			      map_add(skel->maps.xlb_decap_vips, vips[i]);
	return err;
}

static int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n < 1 ? 1 : n;
}

static int stats_zero(void)
{
	struct xlb_decap_stats *v = calloc((size_t)ncpus(), sizeof(*v));
	__u32 zero = 0;
	int err;

	if (!v)
		return -ENOMEM;
	err = bpf_map__update_elem(skel->maps.xlb_decap_stats_v2, &zero,
				   sizeof(zero), v, sizeof(*v) * ncpus(), 0);
	free(v);
	return err;
}

static int stats_read(struct xlb_decap_stats *sum)
{
	struct xlb_decap_stats *v = calloc((size_t)ncpus(), sizeof(*v));
	__u32 zero = 0;
	int err, c, i;

	memset(sum, 0, sizeof(*sum));
	if (!v)
		return -ENOMEM;
	err = bpf_map__lookup_elem(skel->maps.xlb_decap_stats_v2, &zero,
				   sizeof(zero), v, sizeof(*v) * ncpus(), 0);
	for (c = 0; !err && c < ncpus(); c++) {
		for (i = 0; i < XLB_DC_MAX; i++)
			sum->c[i] += v[c].c[i];
		sum->decap_bytes += v[c].decap_bytes;
	}
	free(v);
	return err;
}

/* Counters equal @want (outcome counts) and @bytes decapsulated. */
static void check_stats(const __u64 want[XLB_DC_MAX], __u64 bytes)
{
	struct xlb_decap_stats s;
	int i;

	if (stats_read(&s)) {
		CHECK(0, "cannot read xlb_decap_stats_v2");
		return;
	}
	for (i = 0; i < XLB_DC_MAX; i++)
		CHECK(s.c[i] == want[i], "counter %s is %llu, want %llu",
		      CNAMES[i], (unsigned long long)s.c[i],
		      (unsigned long long)want[i]);
	CHECK(s.decap_bytes == bytes, "decap_bytes is %llu, want %llu",
	      (unsigned long long)s.decap_bytes, (unsigned long long)bytes);
}

/* --- frames ----------------------------------------------------------------*/

/**
 * struct spec - a frame as the balancer (or anything else) would send it
 * @outer: 0 (no tunnel), 4 or 6
 * @odst: outer destination (default: LOCAL4 / LOCAL6)
 * @osrc: outer source (default: LB4 / LB6)
 * @inner: 4 or 6 (the only IP header when @outer is 0)
 * @idst: inner destination (default: VIP4 / VIP6)
 * @l4: IPPROTO_TCP (default), IPPROTO_UDP or IPPROTO_ICMP
 * @vlans: 802.1Q tags (2: 802.1ad outer, 802.1Q inner; 3: three tags)
 * @o4opts: bytes of IPv4 options in the outer header
 * @o4frag: outer flags+offset (default DF)
 * @n_ext: IPv6 extension headers (8 bytes each) after the outer header
 * @ext: their types
 * @otos: outer DSCP/ECN
 * @itos: inner DSCP/ECN
 * @itos_out: inner DSCP/ECN after decapsulation (when @itos_changes)
 * @itos_changes: the program must change the inner TOS (CE mark)
 * @i4frag: inner IPv4 flags+offset (default DF)
 * @payload: payload bytes (default 32)
 * @pad_to: Ethernet padding of the finished frame up to this length
 * @gue: 0 no UDP; 1 GUE variant 1 (UDP then the inner IP header, UDP
 *       checksum 0 over IPv4 as the balancer sends it); 2 variant 0 with a
 *       4-byte GUE header (Linux `encap gue`); 3 variant 0 with one word of
 *       optional fields; 4 variant 0 control message (C bit)
 * @gue_port: UDP destination port (default 6080)
 */
struct spec {
	int outer;
	const char *odst;
	const char *osrc;
	int inner;
	const char *idst;
	__u8 l4;
	int vlans;
	size_t o4opts;
	int o4frag_set;
	__u16 o4frag;
	int n_ext;
	__u8 ext[3];
	__u8 otos;
	__u8 itos;
	__u8 itos_out;
	int itos_changes;
	int i4frag_set;
	__u16 i4frag;
	size_t payload;
	size_t pad_to;
	int gue;
	__u16 gue_port;
};

static const __u8 OPTS[40] = {
	/* router alert (4 bytes), then NOPs, then end of list */
	0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00,
};

static void l2(struct pkt *p, int vlans)
{
	int i;

	pkt_init(p);
	pkt_eth(p, MAC_BE, MAC_RT);
	if (vlans == 1)
		pkt_vlan(p, 0x8100, 100);
	if (vlans >= 2) {
		pkt_vlan(p, 0x88a8, 100);
		pkt_vlan(p, 0x8100, 200);
	}
	for (i = 3; i <= vlans; i++)
		pkt_vlan(p, 0x8100, 300);
}

/* Build the frame of @s, with its outer header or (@with_outer false) as
 * it must come out of the decapsulator. */
static void build(struct pkt *p, const struct spec *s, bool with_outer)
{
	const char *isrc = s->inner == 4 ? CLIENT4 : CLIENT6;
	const char *idst = s->idst ?: (s->inner == 4 ? VIP4 : VIP6);
	__u8 itos = s->itos;
	int i;

	l2(p, s->vlans);
	if (with_outer && s->outer == 4) {
		struct pkt_ip4_opts o = {
			.src = s->osrc ?: LB4,
			.dst = s->odst ?: LOCAL4,
			.tos = s->otos,
			.id = 0,
			.frag = s->o4frag_set ? s->o4frag : 0x4000,
			.opts = OPTS,
			.opts_len = s->o4opts,
		};

		pkt_ip4x(p, &o);
	} else if (with_outer && s->outer == 6) {
		struct pkt_ip6_opts o = {
			.src = s->osrc ?: LB6,
			.dst = s->odst ?: LOCAL6,
			.tclass = s->otos,
			.flow = 0x12345,
		};

		pkt_ip6x(p, &o);
		for (i = 0; i < s->n_ext; i++)
			pkt_ip6_ext(p, s->ext[i], 8);
	}
	if (with_outer && s->outer && s->gue) {
		__u8 g[8] = { s->gue == 3 ? 1 :
			      s->gue == 4 ? 0x20 :
					    0,
			      s->inner == 4 ? 4 : 41 };

		pkt_udp(p, 49999, s->gue_port ?: 6080);
		if (s->gue >= 2)
			pkt_payload(p, g, s->gue == 3 ? 8 : 4);
	}
	if (!with_outer && s->itos_changes)
		itos = s->itos_out;
	if (s->inner == 4) {
		struct pkt_ip4_opts o = {
			.src = isrc,
			.dst = idst,
			.tos = itos,
			.id = 0x4242,
			.frag = s->i4frag_set ? s->i4frag : 0x4000,
		};

		pkt_ip4x(p, &o);
	} else {
		struct pkt_ip6_opts o = {
			.src = isrc, .dst = idst, .tclass = itos, .flow = 0xbeef
		};

		pkt_ip6x(p, &o);
	}
	switch (s->l4) {
	case IPPROTO_UDP:
		pkt_udp(p, 40000, 5300);
		break;
	case IPPROTO_ICMP:
		pkt_icmp(p, s->inner == 4 ? 8 : 128, 0, 0x00010001);
		break;
	default:
		pkt_tcp(p, 40000, 80, PKT_SYN);
		break;
	}
	pkt_payload_fill(p, s->payload ?: 32);
	pkt_finish(p);
	if (with_outer && s->outer == 4 && s->gue == 1) {
		p->data[pkt_l3_off(p) + 20 + s->o4opts + 6] = 0;
		p->data[pkt_l3_off(p) + 20 + s->o4opts + 7] = 0;
	}
	if (s->pad_to && with_outer)
		pkt_pad(p, s->pad_to);
}

/* Bytes of the outer header (with options / extension headers) of @s. */
static size_t outer_len(const struct spec *s)
{
	size_t g = !s->gue ? 0 : s->gue == 1 ? 8 : s->gue == 3 ? 16 : 12;

	if (s->outer == 4)
		return 20 + s->o4opts + g;
	if (s->outer == 6)
		return 40 + 8 * (size_t)s->n_ext + g;
	return 0;
}

/* --- odd frames and pokes --------------------------------------------------*/

static void b_arp(struct pkt *p)
{
	static const __u8 zero[6];

	l2(p, 0);
	pkt_arp(p, 1, MAC_RT, "10.102.1.1", zero, LOCAL4);
	pkt_finish(p);
}

static void b_nd(struct pkt *p)
{
	l2(p, 0);
	pkt_ip6(p, "fe80::1", "ff02::1:ff00:2");
	pkt_icmp(p, 135, 0, 0);
	pkt_payload_fill(p, 16);
	pkt_finish(p);
}

static void b_gre(struct pkt *p)
{
	static const __u8 gre[4] = { 0, 0, 0x08, 0x00 };

	l2(p, 0);
	pkt_ip4(p, LB4, LOCAL4);
	pkt_raw(p, IPPROTO_GRE_, gre, sizeof(gre));
	pkt_ip4(p, CLIENT4, VIP4);
	pkt_udp(p, 1, 2);
	pkt_finish(p);
}

/* IP6IP6 behind a routing header: the packet is not at its last hop. */
static void b_v6_routing(struct pkt *p)
{
	l2(p, 0);
	pkt_ip6(p, LB6, LOCAL6);
	pkt_ip6_ext(p, NH_ROUTING, 8);
	pkt_ip6(p, CLIENT6, VIP6);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_finish(p);
}

static void b_v6_outer_frag(struct pkt *p)
{
	l2(p, 0);
	pkt_ip6(p, LB6, LOCAL6);
	pkt_ip6_frag(p, 0, true, 7);
	pkt_ip6(p, CLIENT6, VIP6);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

/* Offset of the first IP header in a finished frame. */
static size_t l3(const struct pkt *p)
{
	return pkt_l3_off(p);
}

static void refix_outer4_csum(struct pkt *p)
{
	__u8 *ip = p->data + l3(p);
	size_t hl = (ip[0] & 0xf) * 4u;

	ip[10] = ip[11] = 0;
	{
		__u16 c = pkt_csum_fold(pkt_csum_add(0, ip, hl));

		ip[10] = (__u8)(c >> 8);
		ip[11] = (__u8)c;
	}
}

static void poke_o4_csum(struct pkt *p)
{
	p->data[l3(p) + 11] ^= 0x5a;
}

static void poke_o4_opt_csum(struct pkt *p)
{
	/* an option byte changed, the checksum not updated */
	p->data[l3(p) + 20 + 5] ^= 0x01;
}

static void poke_o4_totlen_long(struct pkt *p)
{
	__u8 *ip = p->data + l3(p);
	__u16 t = (__u16)(ip[2] << 8 | ip[3]) + 20;

	ip[2] = (__u8)(t >> 8);
	ip[3] = (__u8)t;
	refix_outer4_csum(p);
}

static void poke_o4_ihl4(struct pkt *p)
{
	__u8 *ip = p->data + l3(p);

	ip[0] = 0x44;
	refix_outer4_csum(p);
}

static void poke_o4_version6(struct pkt *p)
{
	__u8 *ip = p->data + l3(p);

	ip[0] = 0x65;
	refix_outer4_csum(p);
}

/* IPIP announced, IPv6 inside (the protocol number says 4, not 41) */
static void poke_o4_proto_lies(struct pkt *p)
{
	__u8 *ip = p->data + l3(p);

	ip[9] = IPPROTO_IPIP;
	refix_outer4_csum(p);
}

/* the inner IPv4 packet claims more than the outer payload */
static void poke_i4_totlen_long(struct pkt *p)
{
	__u8 *ip = p->data + l3(p), *in = ip + (ip[0] & 0xf) * 4u;
	__u16 t = (__u16)(in[2] << 8 | in[3]) + 4;

	in[2] = (__u8)(t >> 8);
	in[3] = (__u8)t;
}

static void poke_i4_ihl4(struct pkt *p)
{
	__u8 *ip = p->data + l3(p), *in = ip + (ip[0] & 0xf) * 4u;

	in[0] = 0x44;
}

static void poke_i6_plen_long(struct pkt *p)
{
	__u8 *in = p->data + l3(p) + 40;
	__u16 t = (__u16)(in[4] << 8 | in[5]) + 8;

	in[4] = (__u8)(t >> 8);
	in[5] = (__u8)t;
}

static void poke_o6_plen_long(struct pkt *p)
{
	__u8 *ip = p->data + l3(p);
	__u16 t = (__u16)(ip[4] << 8 | ip[5]) + 1;

	ip[4] = (__u8)(t >> 8);
	ip[5] = (__u8)t;
}

/* --- the table ---------------------------------------------------------*/

/**
 * struct dcase - one row
 * @desc: TAP description
 * @s: the frame (unless @fn)
 * @fn: builds an odd frame instead
 * @poke: breaks the finished frame
 * @ctr: the counter that must count it
 * @decap: the frame must come out decapsulated (else untouched)
 */
struct dcase {
	const char *desc;
	struct spec s;
	void (*fn)(struct pkt *p);
	void (*poke)(struct pkt *p);
	int ctr;
	bool decap;
};

#define T4(...) .outer = 4, .inner = 4, __VA_ARGS__
#define T6(...) .outer = 6, .inner = 6, __VA_ARGS__

static const struct dcase CASES[] = {
	/* GUE on the default port 6080 (bpf/decap.h decap_gue()) */
	{ "GUE variant 1, IPv4 in IPv4, TCP, UDP checksum 0: stripped",
	  { T4(.gue = 1) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "GUE variant 1, IPv4 in IPv4, UDP: stripped",
	  { T4(.gue = 1, .l4 = IPPROTO_UDP) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "GUE variant 1, IPv6 in IPv6: stripped",
	  { T6(.gue = 1) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "GUE variant 1, IPv4 in IPv6: stripped",
	  { .outer = 6, .inner = 4, .gue = 1 },
	  .ctr = XLB_DC_DECAP_4IN6,
	  .decap = true },
	{ "GUE variant 1, IPv6 in IPv4: stripped",
	  { .outer = 4, .inner = 6, .gue = 1 },
	  .ctr = XLB_DC_DECAP_6IN4,
	  .decap = true },
	{ "GUE variant 1 behind two VLAN tags, outer IPv4 options: stripped",
	  { T4(.gue = 1, .vlans = 2, .o4opts = 8) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "GUE variant 0 (Linux encap gue), IPv4 in IPv4: stripped",
	  { T4(.gue = 2) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "GUE variant 0 with one word of optional fields, IPv6 in IPv6",
	  { T6(.gue = 3) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "GUE variant 0 control message: passes untouched",
	  { T4(.gue = 4) },
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "GUE to another UDP port: passes untouched",
	  { T4(.gue = 1, .gue_port = 6081) },
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "GUE to an address not local: passes untouched",
	  { T4(.gue = 1, .odst = OTHER4) },
	  .ctr = XLB_DC_PASS_NOT_LOCAL },
	{ "GUE whose inner destination is no VIP: passes untouched",
	  { T6(.gue = 1, .idst = NOVIP6) },
	  .ctr = XLB_DC_PASS_NOT_VIP },
	/* decapsulated */
	{ "IPIP TCP to VIP4: stripped",
	  { T4() },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP UDP to VIP4: stripped",
	  { T4(.l4 = IPPROTO_UDP) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP ICMP echo to VIP4: stripped",
	  { T4(.l4 = IPPROTO_ICMP) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP to the second local address and second VIP",
	  { T4(.odst = LOCAL4B, .idst = VIP4B) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IP6IP6 TCP to VIP6: stripped",
	  { T6() },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "IP6IP6 UDP to VIP6: stripped",
	  { T6(.l4 = IPPROTO_UDP) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "IP6IP6 to the second local address and second VIP",
	  { T6(.odst = LOCAL6B, .idst = VIP6B) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "4in6 TCP to VIP4: stripped",
	  { .outer = 6, .inner = 4 },
	  .ctr = XLB_DC_DECAP_4IN6,
	  .decap = true },
	{ "4in6 UDP to VIP4: stripped",
	  { .outer = 6, .inner = 4, .l4 = IPPROTO_UDP },
	  .ctr = XLB_DC_DECAP_4IN6,
	  .decap = true },
	{ "6in4 TCP to VIP6: stripped",
	  { .outer = 4, .inner = 6 },
	  .ctr = XLB_DC_DECAP_6IN4,
	  .decap = true },
	{ "6in4 UDP to VIP6: stripped",
	  { .outer = 4, .inner = 6, .l4 = IPPROTO_UDP },
	  .ctr = XLB_DC_DECAP_6IN4,
	  .decap = true },
	{ "IPIP, outer IPv4 with 4 bytes of options",
	  { T4(.o4opts = 4) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP, outer IPv4 with 40 bytes of options (IHL 15)",
	  { T4(.o4opts = 40) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "6in4, outer IPv4 with 12 bytes of options",
	  { .outer = 4, .inner = 6, .o4opts = 12 },
	  .ctr = XLB_DC_DECAP_6IN4,
	  .decap = true },
	{ "IPIP behind an 802.1Q tag: tag kept",
	  { T4(.vlans = 1) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IP6IP6 behind 802.1ad + 802.1Q tags: tags kept",
	  { T6(.vlans = 2) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "4in6 behind an 802.1Q tag",
	  { .outer = 6, .inner = 4, .vlans = 1 },
	  .ctr = XLB_DC_DECAP_4IN6,
	  .decap = true },
	{ "4in6 with a destination options header (ip6tnl encap limit)",
	  { .outer = 6, .inner = 4, .n_ext = 1, .ext = { NH_DSTOPTS } },
	  .ctr = XLB_DC_DECAP_4IN6,
	  .decap = true },
	{ "IP6IP6 with hop-by-hop and destination options",
	  { T6(.n_ext = 2, .ext = { NH_HOPOPTS, NH_DSTOPTS }) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "IPIP carrying an inner fragment: stripped (the stack reassembles)",
	  { T4(.i4frag_set = 1, .i4frag = 0x2000) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP, 1400 bytes of payload",
	  { T4(.payload = 1400) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP of a short UDP packet in a padded frame: padding kept",
	  { T4(.l4 = IPPROTO_UDP, .payload = 1, .pad_to = 64) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP, outer CE, inner ECT(0): inner becomes CE, checksum fixed",
	  { T4(.otos = 0x03, .itos = 0xb8 | 0x02, .itos_out = 0xb8 | 0x03,
	       .itos_changes = 1) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP, outer CE, inner not-ECT: inner unchanged",
	  { T4(.otos = 0x03, .itos = 0x28) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IPIP, outer ECT(0), inner ECT(1): inner unchanged",
	  { T4(.otos = 0x02, .itos = 0x01) },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },
	{ "IP6IP6, outer CE, inner ECT(1): inner becomes CE",
	  { T6(.otos = 0x03, .itos = 0x01, .itos_out = 0x03,
	       .itos_changes = 1) },
	  .ctr = XLB_DC_DECAP_IP6IP6,
	  .decap = true },
	{ "6in4, outer CE, inner ECT(0): inner becomes CE",
	  { .outer = 4,
	    .inner = 6,
	    .otos = 0x03,
	    .itos = 0x02,
	    .itos_out = 0x03,
	    .itos_changes = 1 },
	  .ctr = XLB_DC_DECAP_6IN4,
	  .decap = true },
	{ "4in6, outer CE, inner ECT(0): inner CE, checksum fixed",
	  { .outer = 6,
	    .inner = 4,
	    .otos = 0x03,
	    .itos = 0x02,
	    .itos_out = 0x03,
	    .itos_changes = 1 },
	  .ctr = XLB_DC_DECAP_4IN6,
	  .decap = true },
	{ "IPIP from any source (source check off)",
	  { T4(.osrc = "203.0.113.5") },
	  .ctr = XLB_DC_DECAP_IPIP,
	  .decap = true },

	/* not a tunnel: untouched */
	{ "plain TCP to the host's IPv4 address: untouched",
	  { .inner = 4, .idst = LOCAL4 },
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "plain UDP to the host's IPv6 address: untouched",
	  { .inner = 6, .idst = LOCAL6, .l4 = IPPROTO_UDP },
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "plain TCP straight to a VIP: untouched",
	  { .inner = 4 },
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "ping to the host: untouched",
	  { .inner = 4, .idst = LOCAL4, .l4 = IPPROTO_ICMP },
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "ARP request: untouched", .fn = b_arp, .ctr = XLB_DC_PASS_NOT_IP },
	{ "ND neighbour solicitation: untouched", .fn = b_nd,
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "GRE to the host: untouched", .fn = b_gre,
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "IP6IP6 behind a routing header: untouched", .fn = b_v6_routing,
	  .ctr = XLB_DC_PASS_NOT_TUNNEL },
	{ "three VLAN tags: untouched",
	  { T4(.vlans = 3) },
	  .ctr = XLB_DC_PASS_NOT_IP },

	/* not for us */
	{ "IPIP to another host: untouched",
	  { T4(.odst = OTHER4) },
	  .ctr = XLB_DC_PASS_NOT_LOCAL },
	{ "IP6IP6 to another host: untouched",
	  { T6(.odst = OTHER6) },
	  .ctr = XLB_DC_PASS_NOT_LOCAL },
	{ "4in6 to another host: untouched",
	  { .outer = 6, .inner = 4, .odst = OTHER6 },
	  .ctr = XLB_DC_PASS_NOT_LOCAL },
	{ "6in4 to another host: untouched",
	  { .outer = 4, .inner = 6, .odst = OTHER4 },
	  .ctr = XLB_DC_PASS_NOT_LOCAL },
	{ "IPIP to a VIP address as outer destination: untouched",
	  { T4(.odst = VIP4) },
	  .ctr = XLB_DC_PASS_NOT_LOCAL },
	{ "IPIP to us, inner destination not a VIP: untouched",
	  { T4(.idst = NOVIP4) },
	  .ctr = XLB_DC_PASS_NOT_VIP },
	{ "IPIP to us, inner destination our own address: untouched",
	  { T4(.idst = LOCAL4) },
	  .ctr = XLB_DC_PASS_NOT_VIP },
	{ "IP6IP6 to us, inner destination not a VIP: untouched",
	  { T6(.idst = NOVIP6) },
	  .ctr = XLB_DC_PASS_NOT_VIP },
	{ "4in6 to us, inner destination not a VIP: untouched",
	  { .outer = 6, .inner = 4, .idst = NOVIP4 },
	  .ctr = XLB_DC_PASS_NOT_VIP },
	{ "6in4 to us, inner destination not a VIP: untouched",
	  { .outer = 4, .inner = 6, .idst = NOVIP6 },
	  .ctr = XLB_DC_PASS_NOT_VIP },

	/* fragments and malformed: untouched */
	{ "IPIP outer first fragment (MF): untouched",
	  { T4(.o4frag_set = 1, .o4frag = 0x2000) },
	  .ctr = XLB_DC_PASS_FRAGMENT },
	{ "IPIP outer later fragment (offset): untouched",
	  { T4(.o4frag_set = 1, .o4frag = 0x0010) },
	  .ctr = XLB_DC_PASS_FRAGMENT },
	{ "IP6IP6 outer fragment header: untouched", .fn = b_v6_outer_frag,
	  .ctr = XLB_DC_PASS_FRAGMENT },
	{ "IPIP with a wrong outer header checksum: untouched",
	  { T4() },
	  .poke = poke_o4_csum,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "IPIP with options, option changed, checksum stale: untouched",
	  { T4(.o4opts = 8) },
	  .poke = poke_o4_opt_csum,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "IPIP whose outer total length exceeds the frame: untouched",
	  { T4() },
	  .poke = poke_o4_totlen_long,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "IPIP with outer IHL 4: untouched",
	  { T4() },
	  .poke = poke_o4_ihl4,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "EtherType IPv4, version 6 in the header: untouched",
	  { T4() },
	  .poke = poke_o4_version6,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "protocol 4 (IPIP) with an IPv6 packet inside: untouched",
	  { .outer = 4, .inner = 6 },
	  .poke = poke_o4_proto_lies,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "inner IPv4 longer than the outer payload: untouched",
	  { T4() },
	  .poke = poke_i4_totlen_long,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "inner IPv4 with IHL 4: untouched",
	  { T4() },
	  .poke = poke_i4_ihl4,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "inner IPv6 longer than the outer payload: untouched",
	  { T6() },
	  .poke = poke_i6_plen_long,
	  .ctr = XLB_DC_PASS_MALFORMED },
	{ "outer IPv6 payload length beyond the frame: untouched",
	  { T6() },
	  .poke = poke_o6_plen_long,
	  .ctr = XLB_DC_PASS_MALFORMED },
};

#define N_CASES (sizeof(CASES) / sizeof(CASES[0]))

/* --- running -----------------------------------------------------------*/

struct res {
	__u32 ret;
	__u32 len;
	__u8 out[PKT_MAX + 256];
};

static int xrun(const __u8 *in, size_t len, struct res *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (__u32)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &o)) {
		CHECK(0, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	r->ret = o.retval;
	r->len = o.data_size_out;
	return 0;
}

static void want_same(const __u8 *in, size_t len, const struct res *r)
{
	CHECK(r->ret == XDP_PASS, "action %u, want XDP_PASS", r->ret);
	if (r->len != len || memcmp(r->out, in, len)) {
		CHECK(0, "frame changed (%u bytes out, %zu in)", r->len, len);
		pkt_diag_hex("in", in, len);
		pkt_diag_hex("out", r->out, r->len);
	}
}

/* The output is @want (the frame without the tunnel), padding aside. */
static void want_decap(const struct pkt *in, const struct pkt *want,
		       size_t olen, const struct res *r)
{
	struct pkt_info pi;

	CHECK(r->ret == XDP_PASS, "action %u, want XDP_PASS", r->ret);
	CHECK(r->len == in->len - olen, "%u bytes out, want %zu", r->len,
	      in->len - olen);
	if (r->len < want->len || memcmp(r->out, want->data, want->len)) {
		CHECK(0, "decapsulated frame differs from the inner frame");
		pkt_diag_hex("want", want->data, want->len);
		pkt_diag_hex("out", r->out, r->len);
		return;
	}
	if (pkt_parse(r->out, r->len, &pi) || !pi.family) {
		CHECK(0, "output does not parse as an IP frame");
		return;
	}
	if (pkt_check_ip(r->out + pi.l3_off, r->len - pi.l3_off))
		CHECK(0, "checksums or lengths of the output are wrong");
}

static int run_case(const struct dcase *c)
{
	__u64 want[XLB_DC_MAX] = {};
	struct pkt in, exp;
	struct res r;
	size_t olen = 0;

	bad = 0;
	if (stats_zero()) {
		CHECK(0, "cannot zero the counters");
		return tap_result(false, "%s", c->desc);
	}
	if (c->fn) {
		c->fn(&in);
	} else {
		build(&in, &c->s, true);
		olen = outer_len(&c->s);
	}
	if (in.err) {
		CHECK(0, "test bug: frame did not build");
		return tap_result(false, "%s", c->desc);
	}
	if (c->poke)
		c->poke(&in);
	if (xrun(in.data, in.len, &r))
		return tap_result(false, "%s", c->desc);
	if (c->decap) {
		build(&exp, &c->s, false);
		if (c->s.pad_to && in.len - olen > exp.len)
			pkt_pad(&exp, in.len - olen);
		want_decap(&in, &exp, olen, &r);
	} else {
		want_same(in.data, in.len, &r);
	}
	want[c->ctr] = 1;
	check_stats(want, c->decap ? in.len : 0);
	return tap_result(!bad, "%s", c->desc);
}

/*
 * Cut a tunnel frame at every length below its own: each cut must pass
 * untouched, counted as not IP (inside the Ethernet header or tags) or
 * malformed (inside or after the outer header: the outer length field
 * then claims more than the frame holds).
 */
static int run_truncation(const char *name, const struct spec *s)
{
	__u64 want[XLB_DC_MAX] = {};
	struct pkt in;
	struct res r;
	size_t cut, l2len;
	int failed_at = -1;

	bad = 0;
	build(&in, s, true);
	l2len = pkt_l3_off(&in);
	if (stats_zero())
		CHECK(0, "cannot zero the counters");
	/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet
	 * header, as drivers never hand such frames to XDP. */
	for (cut = 14; cut < in.len && !bad; cut++) {
		if (xrun(in.data, cut, &r))
			break;
		if (r.ret == XDP_PASS && r.len == cut &&
		    !memcmp(r.out, in.data, cut)) {
			want[cut < l2len ? XLB_DC_PASS_NOT_IP :
					   XLB_DC_PASS_MALFORMED]++;
			continue;
		}
		want_same(in.data, cut, &r);
		failed_at = (int)cut;
	}
	if (failed_at >= 0)
		pkt_diag("cut at %d bytes", failed_at);
	check_stats(want, 0);
	return tap_result(!bad, "truncation: %s cut at every length 14..%zu",
			  name, in.len - 1);
}

/* Every row of the table in turn, then again: the counters add up, per
 * outcome and in bytes. */
static int run_mix(void)
{
	__u64 want[XLB_DC_MAX] = {}, bytes = 0;
	struct pkt in;
	struct res r;
	size_t i, n = 0;

	bad = 0;
	stats_zero();
	for (i = 0; i < 2 * N_CASES && !bad; i++) {
		const struct dcase *c = &CASES[i % N_CASES];

		if (c->fn)
			c->fn(&in);
		else
			build(&in, &c->s, true);
		if (c->poke)
			c->poke(&in);
		if (xrun(in.data, in.len, &r))
			break;
		want[c->ctr]++;
		if (c->decap)
			bytes += in.len;
		n++;
	}
	check_stats(want, bytes);
	return tap_result(!bad,
			  "counters add up over %zu packets of every kind", n);
}

/* Map changes take effect on the next packet, both ways. */
static int run_map_changes(void)
{
	__u64 want[XLB_DC_MAX] = {};
	struct spec s4 = { T4() }, s6 = { T6() };
	struct pkt p4, p6;
	struct res r;

	bad = 0;
	stats_zero();
	build(&p4, &s4, true);
	build(&p6, &s6, true);

	CHECK(!map_del(skel->maps.xlb_decap_vips, VIP4), "delete VIP4");
	if (!xrun(p4.data, p4.len, &r))
		want_same(p4.data, p4.len, &r);
	want[XLB_DC_PASS_NOT_VIP]++;
	CHECK(!map_del(skel->maps.xlb_decap_local, LOCAL6), "delete LOCAL6");
	if (!xrun(p6.data, p6.len, &r))
		want_same(p6.data, p6.len, &r);
	want[XLB_DC_PASS_NOT_LOCAL]++;

	CHECK(!map_add(skel->maps.xlb_decap_vips, VIP4), "add VIP4");
	CHECK(!map_add(skel->maps.xlb_decap_local, LOCAL6), "add LOCAL6");
	if (!xrun(p4.data, p4.len, &r))
		CHECK(r.len == p4.len - 20, "VIP4 back: not decapsulated");
	want[XLB_DC_DECAP_IPIP]++;
	if (!xrun(p6.data, p6.len, &r))
		CHECK(r.len == p6.len - 40, "LOCAL6 back: not decapsulated");
	want[XLB_DC_DECAP_IP6IP6]++;
	check_stats(want, p4.len + p6.len);
	return tap_result(!bad, "removing and re-adding a VIP and a local "
				"address takes effect at once");
}

/* --- the source check --------------------------------------------------*/

static int cfg_set(__u32 flags)
{
	struct xlb_decap_cfg c = { .flags = flags };
	__u32 zero = 0;

	return bpf_map__update_elem(skel->maps.xlb_decap_cfg, &zero,
				    sizeof(zero), &c, sizeof(c), BPF_ANY);
}

static int src_add(const char *s, int len)
{
	struct xlb_decap_addr a = dkey(s);
	struct xlb_decap_prefix k = { .family = a.family };
	struct xlb_decap_val v = {};

	k.prefixlen = 32 + (__u32)len;
	memcpy(k.addr, a.addr, sizeof(k.addr));
	return bpf_map__update_elem(skel->maps.xlb_decap_sources, &k, sizeof(k),
				    &v, sizeof(v), BPF_ANY);
}

static int src_del(const char *s, int len)
{
	struct xlb_decap_addr a = dkey(s);
	struct xlb_decap_prefix k = { .family = a.family };

	k.prefixlen = 32 + (__u32)len;
	memcpy(k.addr, a.addr, sizeof(k.addr));
	return bpf_map__delete_elem(skel->maps.xlb_decap_sources, &k, sizeof(k),
				    0);
}

/**
 * struct scase - a row of the source-check table
 * @desc: TAP description
 * @s: the frame
 * @ctr: its counter
 * @decap: it must come out decapsulated
 */
struct scase {
	const char *desc;
	struct spec s;
	int ctr;
	bool decap;
};

/* With the check on and the balancers' prefixes 10.101.0.0/16 and
 * fd00:101::/32 (LB4 and LB6 inside), plus one /32 host elsewhere. */
static const struct scase SCASES[] = {
	{ "source check: IPIP from a balancer prefix: stripped",
	  { T4() },
	  XLB_DC_DECAP_IPIP,
	  true },
	{ "source check: IPIP from the allowed /32 host: stripped",
	  { T4(.osrc = "203.0.113.9") },
	  XLB_DC_DECAP_IPIP,
	  true },
	{ "source check: IPIP from the /32 host's neighbour: passes",
	  { T4(.osrc = "203.0.113.8") },
	  XLB_DC_PASS_NOT_SOURCE,
	  false },
	{ "source check: IPIP from outside every prefix: passes untouched",
	  { T4(.osrc = "10.102.1.99") },
	  XLB_DC_PASS_NOT_SOURCE,
	  false },
	{ "source check: IP6IP6 from a balancer prefix: stripped",
	  { T6() },
	  XLB_DC_DECAP_IP6IP6,
	  true },
	{ "source check: IP6IP6 from outside: passes untouched",
	  { T6(.osrc = "fd00:102:1::99") },
	  XLB_DC_PASS_NOT_SOURCE,
	  false },
	{ "source check: 4in6 from a v6 balancer: stripped",
	  { .outer = 6, .inner = 4 },
	  XLB_DC_DECAP_4IN6,
	  true },
	{ "source check: 6in4 from outside: passes untouched",
	  { .outer = 4, .inner = 6, .osrc = "192.0.2.200" },
	  XLB_DC_PASS_NOT_SOURCE,
	  false },
	{ "source check: a v4-mapped v6 source is not the v4 prefix",
	  { T6(.osrc = "::ffff:10.101.1.2") },
	  XLB_DC_PASS_NOT_SOURCE,
	  false },
	{ "source check: not local from outside: counted as not local",
	  { T4(.osrc = "10.102.1.99", .odst = OTHER4) },
	  XLB_DC_PASS_NOT_LOCAL,
	  false },
};

#define N_SCASES (sizeof(SCASES) / sizeof(SCASES[0]))

static void run_one(const struct spec *s, int ctr, bool decap, __u64 *want,
		    __u64 *bytes)
{
	struct pkt in, exp;
	struct res r;

	build(&in, s, true);
	if (xrun(in.data, in.len, &r))
		return;
	if (decap) {
		build(&exp, s, false);
		want_decap(&in, &exp, outer_len(s), &r);
		*bytes += in.len;
	} else {
		want_same(in.data, in.len, &r);
	}
	want[ctr]++;
}

static void run_sources(void)
{
	__u64 want[XLB_DC_MAX], bytes;
	struct spec foreign = { T4(.osrc = "10.102.1.99") };
	size_t i;

	bad = 0;
	if (src_add("10.101.0.0", 16) || src_add("fd00:101::", 32) ||
	    src_add("203.0.113.9", 32) || cfg_set(XLB_DECAP_F_SOURCES))
		CHECK(0, "cannot fill the source maps");
	tap_result(!bad, "source check: prefixes and switch in the maps");
	for (i = 0; i < N_SCASES; i++) {
		bad = 0;
		memset(want, 0, sizeof(want));
		bytes = 0;
		stats_zero();
		run_one(&SCASES[i].s, SCASES[i].ctr, SCASES[i].decap, want,
			&bytes);
		check_stats(want, bytes);
		tap_result(!bad, "%s", SCASES[i].desc);
	}

	/* prefixes come and go at once; the switch decides */
	bad = 0;
	memset(want, 0, sizeof(want));
	bytes = 0;
	stats_zero();
	CHECK(!src_del("10.101.0.0", 16), "delete 10.101.0.0/16");
	run_one(&(struct spec){ T4() }, XLB_DC_PASS_NOT_SOURCE, false, want,
		&bytes);
	CHECK(!src_add("10.101.1.0", 24), "add 10.101.1.0/24");
	run_one(&(struct spec){ T4() }, XLB_DC_DECAP_IPIP, true, want, &bytes);
	CHECK(!src_del("10.101.1.0", 24), "delete 10.101.1.0/24");
	CHECK(!src_del("fd00:101::", 32), "delete fd00:101::/32");
	CHECK(!src_del("203.0.113.9", 32), "delete 203.0.113.9/32");
	run_one(&(struct spec){ T6() }, XLB_DC_PASS_NOT_SOURCE, false, want,
		&bytes);
	run_one(&foreign, XLB_DC_PASS_NOT_SOURCE, false, want, &bytes);
	CHECK(!cfg_set(0), "switch the check off");
	run_one(&foreign, XLB_DC_DECAP_IPIP, true, want, &bytes);
	run_one(&(struct spec){ T6() }, XLB_DC_DECAP_IP6IP6, true, want,
		&bytes);
	check_stats(want, bytes);
	tap_result(!bad, "source check: changes to the prefixes take effect "
			 "at once; an empty list with the check on lets "
			 "nothing in; off, every source is decapsulated");
}

/* --- GUE: the frame on the wire, and the configured port ------------------*/

/*
 * One GUE frame written out byte by byte from draft-ietf-intarea-gue
 * (variant 1) and RFC 768/791, not by the packet builder: what xlb.bpf.o
 * sends to a backend and what Linux's fou receive path (`ip fou add port
 * 6080 gue`) takes: Ethernet; IPv4 10.101.1.2 -> 10.102.1.2, DF, TTL 64,
 * protocol 17; UDP 50000 -> 6080, length 40, checksum 0; then the client's
 * IPv4/UDP packet 198.51.100.7:40000 -> 192.0.2.10:5300 carrying "GUE!".
 */
static const __u8 GUE_FRAME[74] = {
	0x02, 0x00, 0x00, 0x00, 0x0b, 0x01, 0x02, 0x00, 0x00, 0x00, 0x0b,
	0xfe, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00,
	0x40, 0x11, 0x23, 0xe3, 0x0a, 0x65, 0x01, 0x02, 0x0a, 0x66, 0x01,
	0x02, 0xc3, 0x50, 0x17, 0xc0, 0x00, 0x28, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x20, 0x42, 0x42, 0x40, 0x00, 0x40, 0x11, 0x0c, 0x46, 0xc6,
	0x33, 0x64, 0x07, 0xc0, 0x00, 0x02, 0x0a, 0x9c, 0x40, 0x14, 0xb4,
	0x00, 0x0c, 0xd6, 0x25, 0x47, 0x55, 0x45, 0x21,
};

static int gue_port_set(__u16 port)
{
	struct xlb_decap_cfg c = { .gue_port = htons(port) };
	__u32 zero = 0;

	return bpf_map__update_elem(skel->maps.xlb_decap_cfg, &zero,
				    sizeof(zero), &c, sizeof(c), BPF_ANY);
}

static void run_gue_wire(void)
{
	__u64 want[XLB_DC_MAX] = {};
	__u8 exp[sizeof(GUE_FRAME)];
	struct res r;

	bad = 0;
	stats_zero();
	CHECK(!pkt_check_frame(GUE_FRAME, sizeof(GUE_FRAME)),
	      "the written-out frame itself is invalid");
	memcpy(exp, GUE_FRAME, 14);
	memcpy(exp + 14, GUE_FRAME + 14 + 28, sizeof(GUE_FRAME) - 14 - 28);
	if (!xrun(GUE_FRAME, sizeof(GUE_FRAME), &r)) {
		CHECK(r.ret == XDP_PASS, "action %u", r.ret);
		CHECK(r.len == sizeof(GUE_FRAME) - 28 &&
			      !memcmp(r.out, exp, r.len),
		      "GUE frame not stripped to the client's packet");
		if (bad)
			pkt_diag_hex("out", r.out, r.len);
	}
	want[XLB_DC_DECAP_IPIP] = 1;
	check_stats(want, sizeof(GUE_FRAME));
	tap_result(!bad, "GUE frame written out byte by byte (variant 1, UDP "
			 "checksum 0) stripped to the client's packet");
}

/* gue_port in xlb_decap_cfg: GUE is taken on that port, not on 6080. */
static void run_gue_port(void)
{
	__u64 want[XLB_DC_MAX] = {}, bytes = 0;

	bad = 0;
	stats_zero();
	CHECK(!gue_port_set(7777), "set gue_port 7777");
	run_one(&(struct spec){ T4(.gue = 1, .gue_port = 7777) },
		XLB_DC_DECAP_IPIP, true, want, &bytes);
	run_one(&(struct spec){ T6(.gue = 2, .gue_port = 7777) },
		XLB_DC_DECAP_IP6IP6, true, want, &bytes);
	run_one(&(struct spec){ T4(.gue = 1) }, XLB_DC_PASS_NOT_TUNNEL, false,
		want, &bytes);
	CHECK(!gue_port_set(0), "reset gue_port");
	run_one(&(struct spec){ T4(.gue = 1) }, XLB_DC_DECAP_IPIP, true, want,
		&bytes);
	check_stats(want, bytes);
	tap_result(!bad, "gue_port 7777 configured: GUE taken there, not on "
			 "6080; reset to 0: 6080 again");
}

/* Empty maps: the program decapsulates nothing. */
static int run_empty(void)
{
	struct xlb_decap_bpf *e = xlb_decap_bpf__open_and_load();
	struct spec s4 = { T4() };
	struct pkt p;
	struct res r;
	int keep = prog_fd;

	bad = 0;
	if (!e) {
		CHECK(0, "second load failed");
		return tap_result(false, "empty maps");
	}
	prog_fd = bpf_program__fd(e->progs.xlb_decap);
	build(&p, &s4, true);
	if (!xrun(p.data, p.len, &r))
		want_same(p.data, p.len, &r);
	prog_fd = keep;
	xlb_decap_bpf__destroy(e);
	return tap_result(!bad, "freshly loaded, empty maps: IPIP to a VIP "
				"passes untouched");
}

int main(void)
{
	struct spec t_ipip = { T4(.o4opts = 8, .payload = 8) };
	struct spec t_ip6 = { T6(.vlans = 1, .n_ext = 1, .ext = { NH_DSTOPTS },
				 .payload = 8) };
	struct spec t_4in6 = { .outer = 6, .inner = 4, .payload = 8 };
	struct spec t_6in4 = {
		.outer = 4, .inner = 6, .vlans = 2, .payload = 8
	};
	struct spec t_gue4 = { T4(.gue = 1, .payload = 8) };
	struct spec t_gue6 = { T6(.gue = 3, .payload = 8) };
	size_t i;
	int err;

	xlb_log_init("test_decap", XLB_LOG_WARN);
	skel = xlb_decap_bpf__open_and_load();
	if (!skel) {
		printf("not ok - load xlb_decap.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.xlb_decap);
	err = world_fill();
	if (err) {
		printf("not ok - fill the maps: %s\n", strerror(-err));
		xlb_decap_bpf__destroy(skel);
		return 1;
	}
	for (i = 0; i < N_CASES; i++)
		run_case(&CASES[i]);
	run_truncation("IPIP with outer options", &t_ipip);
	run_truncation("IP6IP6 with VLAN tag and destination options", &t_ip6);
	run_truncation("4in6", &t_4in6);
	run_truncation("6in4 behind two VLAN tags", &t_6in4);
	run_truncation("GUE variant 1, IPv4 in IPv4", &t_gue4);
	run_truncation("GUE variant 0, IPv6 in IPv6, optional fields", &t_gue6);
	run_mix();
	run_map_changes();
	run_sources();
	run_gue_wire();
	run_gue_port();
	run_empty();
	xlb_decap_bpf__destroy(skel);
	return tap_done();
}
