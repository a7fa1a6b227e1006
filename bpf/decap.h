/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: decapsulation on a backend host
 *
 * The steps of xlb_decap.bpf.c: parse the outer header (IPv4 of any IHL,
 * or IPv6 with hop-by-hop/destination options), decide whether the packet
 * is a tunnel for this host (outer destination in xlb_decap_local), check
 * the inner header and its destination (xlb_decap_vips), propagate a CE
 * mark (RFC 6040), and strip the outer header keeping the Ethernet header
 * and VLAN tags. The maps and counters are laid out in maps/xlb_decap.h.
 *
 * Every parse step checks bounds against the frame and returns a counter
 * (enum xlb_decap_counter) that says why a packet is left alone; the only
 * verdict of the program is XDP_PASS, for the stripped inner packet or for
 * the untouched frame.
 */
#ifndef XLB_BPF_DECAP_H
#define XLB_BPF_DECAP_H

#include "common.h"
#include "parse.h"
#include "../maps/xlb_decap.h"

#define XLB_DECAP_MAX_EXT 3 /* IPv6 options headers walked in the outer */
#define XLB_DECAP_NONE	  (-1) /* a step found nothing to report */

#define ECN_MASK 0x03
#define ECN_CE	 0x03

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DECAP_MAX_LOCAL);
	__type(key, struct xlb_decap_addr);
	__type(value, struct xlb_decap_val);
} xlb_decap_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DECAP_MAX_VIPS);
	__type(key, struct xlb_decap_addr);
	__type(value, struct xlb_decap_val);
} xlb_decap_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XLB_DECAP_MAX_SOURCES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xlb_decap_prefix);
	__type(value, struct xlb_decap_val);
} xlb_decap_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_decap_cfg);
} xlb_decap_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_decap_stats);
} xlb_decap_stats_v2 SEC(".maps");

/**
 * struct decap_pkt - what the steps learn about a frame
 * @outer_dst: outer destination, the key into xlb_decap_local
 * @outer_src: outer source as a full-length key into xlb_decap_sources
 * @inner_dst: inner destination, the key into xlb_decap_vips
 * @l2_len: Ethernet header and VLAN tags
 * @outer_len: bytes to strip: outer header with options / extension headers
 * @outer_end: offset of the end of the outer packet (its length field)
 * @inner_proto: IPPROTO_IPIP or IPPROTO_IPV6: the inner family
 * @outer_ecn: ECN bits of the outer header
 * @counter: the XLB_DC_DECAP_* counter of this encapsulation
 */
struct decap_pkt {
	struct xlb_decap_addr outer_dst;
	struct xlb_decap_prefix outer_src;
	struct xlb_decap_addr inner_dst;
	__u16 l2_len;
	__u16 outer_len;
	__u32 outer_end;
	__u8 inner_proto;
	__u8 outer_ecn;
	__u8 counter;
};

/* Count an outcome, pass the frame to the stack. */
XLB_INLINE int decap_count(__u32 c, __u64 bytes)
{
	struct xlb_decap_stats *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&xlb_decap_stats_v2, &zero);
	if (s && c < XLB_DC_MAX) {
		s->c[c]++;
		if (c <= XLB_DC_DECAP_6IN4)
			s->decap_bytes += bytes;
	}
	return XDP_PASS;
}

/*
 * One's-complement sum of an IPv4 header of @hlen bytes (20..60) must be
 * 0xffff: the kernel would drop the frame otherwise, and after stripping
 * the header it could no longer tell.
 */
XLB_INLINE int ip4_hdr_csum_ok(const struct iphdr *iph, __u32 hlen, void *end)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

	/* Unrolled: constant offsets from iph are what the verifier can
	 * check against the packet end. */
#pragma unroll
	for (i = 0; i < 30; i++) {
		if ((__u32)i * 2 >= hlen)
			continue;
		if ((void *)(w + i + 1) > end)
			return 0;
		sum += w[i];
	}
	return csum_fold(sum) == 0;
}

/* The GUE port of xlb_decap_cfg, network order. */
XLB_INLINE __be16 decap_gue_port(void)
{
	struct xlb_decap_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&xlb_decap_cfg, &zero);
	if (cfg && cfg->gue_port)
		return cfg->gue_port;
	return bpf_htons(XLB_GUE_DEFAULT_PORT);
}

/**
 * decap_gue() - a UDP header at @pos (inside an outer packet that ends at
 * @pkt_end) to the GUE port: variant 1 (the inner IP header follows; its
 * version is the family) or variant 0 without control messages, carrying
 * protocol 4 or 41, its optional fields skipped (Linux's `encap gue`)
 * @inner_proto: set to IPPROTO_IPIP or IPPROTO_IPV6
 * @hlen: set to the bytes of UDP and GUE header before the inner packet
 *
 * The UDP checksum is not verified: as with IPIP, the inner packet's own
 * checksums protect it, and the frame is the backend's own (outer
 * destination local) from a balancer (source check).
 *
 * Return: XLB_DECAP_NONE, XLB_DC_PASS_NOT_TUNNEL (other UDP), or
 * XLB_DC_PASS_MALFORMED.
 */
XLB_INLINE int decap_gue(void *pos, void *end, void *pkt_end, __u8 *inner_proto,
			 __u32 *hlen)
{
	struct udphdr *uh = pos;
	__u8 *g = (void *)(uh + 1);
	__u32 ulen;

	if ((void *)(uh + 1) > end)
		return XLB_DC_PASS_MALFORMED;
	if (uh->dest != decap_gue_port())
		return XLB_DC_PASS_NOT_TUNNEL;
	ulen = bpf_ntohs(uh->len);
	if ((void *)(g + 4) > end || pos + ulen > pkt_end ||
	    ulen < sizeof(*uh) + 4)
		return XLB_DC_PASS_MALFORMED;
	switch (g[0] >> 6) {
	case 1: /* variant 1: the IP header itself */
		*hlen = sizeof(*uh);
		if (g[0] >> 4 == 4)
			*inner_proto = IPPROTO_IPIP;
		else if (g[0] >> 4 == 6)
			*inner_proto = IPPROTO_IPV6;
		else
			return XLB_DC_PASS_MALFORMED;
		return XLB_DECAP_NONE;
	case 0: /* variant 0: C bit clear, Hlen words of fields, protocol */
		if (g[0] & 0x20)
			return XLB_DC_PASS_NOT_TUNNEL; /* control message */
		if (g[1] != IPPROTO_IPIP && g[1] != IPPROTO_IPV6)
			return XLB_DC_PASS_NOT_TUNNEL;
		*inner_proto = g[1];
		*hlen = sizeof(*uh) + 4 + (g[0] & 0x1f) * 4;
		if (*hlen + 20 > ulen)
			return XLB_DC_PASS_MALFORMED;
		return XLB_DECAP_NONE;
	}
	return XLB_DC_PASS_MALFORMED;
}

/**
 * decap_outer4() - outer IPv4 header at @c->pos
 * Return: XLB_DECAP_NONE with @d filled and @c->pos at the inner header,
 * or the counter that explains why the frame is not ours.
 */
XLB_INLINE int decap_outer4(struct hdr_cursor *c, void *data,
			    struct decap_pkt *d)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot, ghlen = 0;
	__u8 proto;
	int r;

	if ((void *)(iph + 1) > c->end)
		return XLB_DC_PASS_MALFORMED;
	if (iph->version != 4)
		return XLB_DC_PASS_MALFORMED;
	if (iph->protocol != IPPROTO_IPIP && iph->protocol != IPPROTO_IPV6 &&
	    iph->protocol != IPPROTO_UDP)
		return XLB_DC_PASS_NOT_TUNNEL;
	hlen = (iph->ihl & 0xf) * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (hlen < sizeof(*iph) || tot < hlen)
		return XLB_DC_PASS_MALFORMED;
	if ((void *)iph + hlen > c->end || (void *)iph + tot > c->end)
		return XLB_DC_PASS_MALFORMED;
	if (!ip4_hdr_csum_ok(iph, hlen, c->end))
		return XLB_DC_PASS_MALFORMED;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return XLB_DC_PASS_FRAGMENT;
	proto = iph->protocol;
	if (proto == IPPROTO_UDP) {
		r = decap_gue((void *)iph + hlen, c->end, (void *)iph + tot,
			      &proto, &ghlen);
		if (r != XLB_DECAP_NONE)
			return r;
	}

	d->outer_dst.family = XLB_AF_INET;
	d->outer_dst.addr[0] = iph->daddr;
	d->outer_src.prefixlen = 32 + 32;
	d->outer_src.family = XLB_AF_INET;
	d->outer_src.addr[0] = iph->saddr;
	d->outer_len = hlen + ghlen;
	d->outer_end = (void *)iph - data + tot;
	d->inner_proto = proto;
	d->outer_ecn = iph->tos & ECN_MASK;
	d->counter =
		proto == IPPROTO_IPIP ? XLB_DC_DECAP_IPIP : XLB_DC_DECAP_6IN4;
	c->pos = (void *)iph + hlen + ghlen;
	return XLB_DECAP_NONE;
}

/**
 * decap_outer6() - outer IPv6 header at @c->pos, then up to
 * XLB_DECAP_MAX_EXT hop-by-hop or destination options headers (kernel
 * ip6tnl senders put a tunnel encapsulation limit option there)
 * Return: as decap_outer4().
 */
XLB_INLINE int decap_outer6(struct hdr_cursor *c, void *data,
			    struct decap_pkt *d)
{
	struct ipv6hdr *ip6h = c->pos;
	struct ipv6_opt_hdr *oh;
	__u32 plen, ghlen;
	__u8 nh;
	int i, r;

	if ((void *)(ip6h + 1) > c->end)
		return XLB_DC_PASS_MALFORMED;
	if (ip6h->version != 6)
		return XLB_DC_PASS_MALFORMED;
	plen = bpf_ntohs(ip6h->payload_len);
	nh = ip6h->nexthdr;
	c->pos = ip6h + 1;

#pragma unroll
	for (i = 0; i < XLB_DECAP_MAX_EXT; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS)
			break;
		oh = c->pos;
		if ((void *)(oh + 1) > c->end)
			return XLB_DC_PASS_MALFORMED;
		nh = oh->nexthdr;
		c->pos += (oh->hdrlen + 1) * 8;
	}
	if (nh == IPPROTO_FRAGMENT)
		return XLB_DC_PASS_FRAGMENT;
	if (nh != IPPROTO_IPIP && nh != IPPROTO_IPV6 && nh != IPPROTO_UDP)
		return XLB_DC_PASS_NOT_TUNNEL;
	if ((void *)(ip6h + 1) + plen > c->end ||
	    c->pos > (void *)(ip6h + 1) + plen)
		return XLB_DC_PASS_MALFORMED;
	if (nh == IPPROTO_UDP) {
		r = decap_gue(c->pos, c->end, (void *)(ip6h + 1) + plen, &nh,
			      &ghlen);
		if (r != XLB_DECAP_NONE)
			return r;
		c->pos += ghlen;
	}

	d->outer_dst.family = XLB_AF_INET6;
	__builtin_memcpy(d->outer_dst.addr, &ip6h->daddr, 16);
	d->outer_src.prefixlen = 32 + 128;
	d->outer_src.family = XLB_AF_INET6;
	__builtin_memcpy(d->outer_src.addr, &ip6h->saddr, 16);
	d->outer_len = c->pos - (void *)ip6h;
	d->outer_end = (void *)(ip6h + 1) - data + plen;
	d->inner_proto = nh;
	d->outer_ecn = (ip6h->flow_lbl[0] >> 4) & ECN_MASK;
	d->counter =
		nh == IPPROTO_IPIP ? XLB_DC_DECAP_4IN6 : XLB_DC_DECAP_IP6IP6;
	return XLB_DECAP_NONE;
}

/**
 * decap_parse() - Ethernet, VLAN tags and the outer header
 * Return: XLB_DECAP_NONE for a tunnel packet (@d filled, @c at the inner
 * header), else the counter of why not.
 */
XLB_INLINE int decap_parse(struct hdr_cursor *c, void *data,
			   struct decap_pkt *d)
{
	int proto = parse_ethhdr(c);

	if (proto < 0)
		return XLB_DC_PASS_NOT_IP;
	d->l2_len = c->pos - data;
	if (proto == bpf_htons(ETH_P_IP))
		return decap_outer4(c, data, d);
	if (proto == bpf_htons(ETH_P_IPV6))
		return decap_outer6(c, data, d);
	return XLB_DC_PASS_NOT_IP;
}

/**
 * decap_source_ok() - the outer source may send us tunnels: the source
 * check is off, or the source is inside a prefix of xlb_decap_sources (the
 * balancers). Without it anyone who can reach a local address could put
 * packets "from" any client onto the VIP's service past the filters that
 * guard it.
 */
XLB_INLINE int decap_source_ok(const struct decap_pkt *d)
{
	struct xlb_decap_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&xlb_decap_cfg, &zero);
	if (!cfg || !(cfg->flags & XLB_DECAP_F_SOURCES))
		return 1;
	return bpf_map_lookup_elem(&xlb_decap_sources, &d->outer_src) != NULL;
}

/**
 * decap_inner() - the inner header at @c->pos: complete, of the family the
 * outer header announced, and inside the outer packet
 * Return: XLB_DECAP_NONE (inner_dst filled) or XLB_DC_PASS_MALFORMED.
 */
XLB_INLINE int decap_inner(struct hdr_cursor *c, void *data,
			   struct decap_pkt *d)
{
	__u32 off = c->pos - data, hlen, tot;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;

	if (d->inner_proto == IPPROTO_IPIP) {
		iph = c->pos;
		if ((void *)(iph + 1) > c->end)
			return XLB_DC_PASS_MALFORMED;
		hlen = (iph->ihl & 0xf) * 4;
		tot = bpf_ntohs(iph->tot_len);
		if (iph->version != 4 || hlen < sizeof(*iph) || tot < hlen ||
		    off + tot > d->outer_end)
			return XLB_DC_PASS_MALFORMED;
		d->inner_dst.family = XLB_AF_INET;
		d->inner_dst.addr[0] = iph->daddr;
		return XLB_DECAP_NONE;
	}
	ip6h = c->pos;
	if ((void *)(ip6h + 1) > c->end)
		return XLB_DC_PASS_MALFORMED;
	tot = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	if (ip6h->version != 6 || off + tot > d->outer_end)
		return XLB_DC_PASS_MALFORMED;
	d->inner_dst.family = XLB_AF_INET6;
	__builtin_memcpy(d->inner_dst.addr, &ip6h->daddr, 16);
	return XLB_DECAP_NONE;
}

/**
 * decap_ecn() - RFC 6040: a CE mark on the outer header survives on an
 * ECN-capable inner packet (the IPv4 header checksum is updated). A
 * not-ECT inner packet is left as it is. Runs on the stripped frame.
 */
XLB_INLINE void decap_ecn(struct xdp_md *ctx, const struct decap_pkt *d)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *l3 = data + xlb_bound(d->l2_len, 0x1f);
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u16 old, new;
	__u32 sum;

	if (d->outer_ecn != ECN_CE)
		return;
	if (d->inner_proto == IPPROTO_IPIP) {
		iph = l3;
		if ((void *)(iph + 1) > end || !(iph->tos & ECN_MASK) ||
		    (iph->tos & ECN_MASK) == ECN_CE)
			return;
		old = *(__u16 *)iph;
		iph->tos |= ECN_CE;
		new = *(__u16 *)iph;
		/* RFC 1624: HC' = ~(~HC + ~m + m') */
		sum = (__u16)~iph->check;
		sum += (__u16)~old;
		sum += new;
		iph->check = csum_fold(sum);
		return;
	}
	ip6h = l3;
	if ((void *)(ip6h + 1) > end)
		return;
	if (((ip6h->flow_lbl[0] >> 4) & ECN_MASK) == 0)
		return;
	ip6h->flow_lbl[0] |= ECN_CE << 4;
}

/* Ethernet header and VLAN tags, kept across the strip. */
struct l2_copy {
	struct ethhdr eth;
	__be16 tags[2 * XLB_MAX_VLAN]; /* TCI, next TPID or type, ... */
};

/**
 * decap_strip() - remove the outer header: save the L2 header, move the
 * packet head past the outer header, write the L2 header back with the
 * inner EtherType
 * Return: XLB_DECAP_NONE or XLB_DC_PASS_ERROR.
 */
XLB_INLINE int decap_strip(struct xdp_md *ctx, const struct decap_pkt *d)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__be16 type = d->inner_proto == IPPROTO_IPIP ? bpf_htons(ETH_P_IP) :
						       bpf_htons(ETH_P_IPV6);
	struct ethhdr *eth = data;
	__be16 *tags = (__be16 *)(eth + 1);
	struct l2_copy l2 = {};

	if ((void *)(tags + 2 * XLB_MAX_VLAN) > end)
		return XLB_DC_PASS_MALFORMED;
	__builtin_memcpy(&l2, data, sizeof(l2));

	if (bpf_xdp_adjust_head(ctx, d->outer_len))
		return XLB_DC_PASS_ERROR;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	tags = (__be16 *)(eth + 1);
	/*
	 * Every inner packet is at least 20 bytes, so this cannot fail; if it
	 * did, moving the head back restores the frame as it came.
	 */
	if ((void *)(tags + 2 * XLB_MAX_VLAN) > end) {
		bpf_xdp_adjust_head(ctx, -(int)d->outer_len);
		return XLB_DC_PASS_ERROR;
	}

	__builtin_memcpy(eth->h_dest, l2.eth.h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_source, l2.eth.h_source, ETH_ALEN);
	if (d->l2_len == sizeof(*eth)) {
		eth->h_proto = type;
		return XLB_DECAP_NONE;
	}
	eth->h_proto = l2.eth.h_proto;
	tags[0] = l2.tags[0];
	if (d->l2_len == sizeof(*eth) + 4) {
		tags[1] = type;
		return XLB_DECAP_NONE;
	}
	tags[1] = l2.tags[1];
	tags[2] = l2.tags[2];
	tags[3] = type;
	return XLB_DECAP_NONE;
}

#endif /* XLB_BPF_DECAP_H */
