/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: packet parsing
 *
 * A cursor walks the headers; each parse_*() helper checks bounds before it
 * reads and returns the next protocol, or a negative value when the packet
 * ends early or is malformed. xlb_parse() fills a struct xlb_pkt with what
 * the later steps need and classifies the packet (enum xlb_parse_result).
 */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include "common.h"

#define XLB_MAX_VLAN	 2 /* 802.1Q, and 802.1ad outer tag */
#define XLB_MAX_EXT_HDRS 6 /* IPv6 extension headers walked */

struct hdr_cursor {
	void *pos;
	void *end;
};

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Fragment header of IPv6 (linux/ipv6.h has no struct for it in uapi). */
struct frag_hdr6 {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* enum xlb_parse_result - what kind of packet xlb_parse() saw */
enum xlb_parse_result {
	XLB_P_L4 = 0, /* TCP or UDP, addresses and ports valid */
	XLB_P_ICMP, /* ICMP/ICMPv6, addresses valid, icmp_type set */
	XLB_P_FRAG, /* a fragment: addresses, proto and l3_len valid, no
		     * ports (not even for a first fragment) */
	XLB_P_BAD, /* addresses valid, later header bad or truncated */
	XLB_P_OTHER, /* not IP, bad IP header: not for us */
	XLB_P_BAD_L4, /* TCP/UDP header whose length field is impossible:
		       * TCP data offset < 5 or beyond the packet, UDP
		       * length < 8 or beyond the packet; addresses valid */
	XLB_P_UNKNOWN_L4, /* another L4 protocol: addresses valid, no ports */
};

/**
 * struct xlb_pkt - what the parser learned about a packet
 * @src: source address (IPv4 in src[0])
 * @dst: destination address
 * @sport: L4 source port (network order)
 * @dport: L4 destination port (network order)
 * @l3_len: IP packet length from its header (without L2 padding)
 * @l2_len: bytes of Ethernet header including VLAN tags
 * @l3_off: offset of the IP header from the start of the frame
 * @l4_off: offset of the L4 header (after options, extension headers)
 * @family: XLB_AF_INET or XLB_AF_INET6
 * @proto: L4 protocol (after IPv6 extension headers)
 * @tos: DSCP and ECN (IPv4 TOS, IPv6 traffic class)
 * @tcp_flags: byte 13 of the TCP header
 * @icmp_type: ICMP type for XLB_P_ICMP
 * @df: IPv4 Don't Fragment bit set (always 1 for IPv6)
 * @kind: enum xlb_parse_result, as xlb_parse() returned it
 *
 * Aligned to 8 bytes: the connection table compares an IPv6 flow's
 * addresses as 64-bit words read straight from @src and @dst (stack
 * accesses must be aligned for the verifier).
 */
struct xlb_pkt {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u16 l3_len;
	__u16 l2_len;
	__u16 l3_off;
	__u16 l4_off;
	__u8 family;
	__u8 proto;
	__u8 tos;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 df;
	__u8 kind;
} __attribute__((aligned(8)));

#define TCP_FLAG_RST_BIT 0x04

/**
 * parse_ethhdr() - Ethernet header and up to XLB_MAX_VLAN VLAN tags
 * Return: the EtherType in network order, or -1 if truncated.
 */
XLB_INLINE int parse_ethhdr(struct hdr_cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XLB_MAX_VLAN; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = vh->proto;
	}
	return proto;
}

/**
 * parse_ip4() - IPv4 header of any IHL
 * Return: the L4 protocol, -1 if not even the fixed header is there, -2 if
 * the header is present but invalid (addresses are then filled in), -3 for
 * a fragment (addresses, l3_len and proto filled in).
 */
XLB_INLINE int parse_ip4(struct hdr_cursor *c, struct xlb_pkt *p)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;
	__u16 tot;

	if ((void *)(iph + 1) > c->end)
		return -1;
	p->family = XLB_AF_INET;
	p->src[0] = iph->saddr;
	p->dst[0] = iph->daddr;
	p->tos = iph->tos;
	p->df = !!(iph->frag_off & bpf_htons(IP_DF));

	hlen = (iph->ihl & 0xf) * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (iph->version != 4 || hlen < sizeof(*iph) || tot < hlen)
		return -2;
	if ((void *)iph + hlen > c->end)
		return -2;
	/* A header claiming more than the frame holds is not forwarded. */
	if ((void *)iph + tot > c->end)
		return -2;
	p->l3_len = tot;
	/* a fragment keeps its protocol: fragments: balance hashes on it */
	p->proto = iph->protocol;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return -3;
	c->pos = (void *)iph + hlen;
	return iph->protocol;
}

/**
 * parse_ip6() - IPv6 header and a bounded walk of extension headers
 * Return: as parse_ip4(). An atomic fragment (offset 0, no more fragments)
 * is not a fragment (RFC 6946) and parsing continues after it.
 */
XLB_INLINE int parse_ip6(struct hdr_cursor *c, struct xlb_pkt *p)
{
	struct ipv6hdr *ip6h = c->pos;
	struct ipv6_opt_hdr *oh;
	struct frag_hdr6 *fh;
	__u16 plen;
	__u8 nh;
	int i;

	if ((void *)(ip6h + 1) > c->end)
		return -1;
	p->family = XLB_AF_INET6;
	__builtin_memcpy(p->src, &ip6h->saddr, 16);
	__builtin_memcpy(p->dst, &ip6h->daddr, 16);
	p->tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
	p->df = 1;
	if (ip6h->version != 6)
		return -2;
	plen = bpf_ntohs(ip6h->payload_len);
	if ((void *)(ip6h + 1) + plen > c->end)
		return -2;
	p->l3_len = plen + sizeof(*ip6h);
	c->pos = ip6h + 1;
	nh = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < XLB_MAX_EXT_HDRS; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			oh = c->pos;
			if ((void *)(oh + 1) > c->end)
				return -2;
			nh = oh->nexthdr;
			c->pos += (oh->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			oh = c->pos;
			if ((void *)(oh + 1) > c->end)
				return -2;
			nh = oh->nexthdr;
			c->pos += (oh->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			fh = c->pos;
			if ((void *)(fh + 1) > c->end)
				return -2;
			/* the header after the fragment header: the L4
			 * protocol unless another extension header follows */
			p->proto = fh->nexthdr;
			if (fh->frag_off & bpf_htons(0xfff9))
				return -3;
			nh = fh->nexthdr;
			c->pos = fh + 1;
			break;
		default:
			return nh;
		}
	}
	/* Too many extension headers to walk: treat as malformed. */
	return -2;
}

/**
 * xlb_parse_buf() - parse the frame in [@data, @end) for the balancer
 * @data: start of the frame (XDP or tc direct packet access)
 * @end: its end
 * @p: filled in
 *
 * Shared by the XDP balancer and the tc probe program (xlb_probe.bpf.c).
 *
 * Return: enum xlb_parse_result.
 */
/*
 * The L4 header, which must lie inside the IP packet (ending at @l3_end).
 * Checking against the frame end alone would read ports out of the
 * Ethernet padding of a short packet whose IP header ends early (the bounds
 * checks on c->end are still needed: they are what the verifier
 * understands).
 */
XLB_INLINE int parse_l4(struct hdr_cursor *c, struct xlb_pkt *p, __u32 l3_end)
{
	struct icmphdr *icmp;
	struct tcphdr *tcp;
	struct udphdr *udp;
	__u32 l4_len;

	switch (p->proto) {
	case IPPROTO_TCP:
		tcp = c->pos;
		if ((void *)(tcp + 1) > c->end ||
		    p->l4_off + sizeof(*tcp) > l3_end)
			return XLB_P_BAD;
		p->sport = tcp->source;
		p->dport = tcp->dest;
		p->tcp_flags = ((__u8 *)tcp)[13];
		/* A backend's stack drops these; forwarding them only spends
		 * its time (and a connection entry). */
		l4_len = tcp->doff * 4;
		if (l4_len < sizeof(*tcp) || p->l4_off + l4_len > l3_end)
			return XLB_P_BAD_L4;
		return XLB_P_L4;
	case IPPROTO_UDP:
		udp = c->pos;
		if ((void *)(udp + 1) > c->end ||
		    p->l4_off + sizeof(*udp) > l3_end)
			return XLB_P_BAD;
		p->sport = udp->source;
		p->dport = udp->dest;
		/* 0 is an IPv6 jumbogram's (RFC 2675), never balanced */
		l4_len = bpf_ntohs(udp->len);
		if (l4_len < sizeof(*udp) || p->l4_off + l4_len > l3_end)
			return XLB_P_BAD_L4;
		return XLB_P_L4;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* ICMPv6 in IPv4 (or ICMP in IPv6) is no ICMP we speak: echo
		 * handling would otherwise answer it with a bogus reply. */
		if (p->proto !=
		    (p->family == XLB_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6))
			return XLB_P_UNKNOWN_L4;
		icmp = c->pos;
		/* type, code, checksum and the 4-byte rest: 8 bytes */
		if ((void *)(icmp + 1) > c->end ||
		    p->l4_off + sizeof(*icmp) > l3_end)
			return XLB_P_BAD;
		p->icmp_type = icmp->type;
		return XLB_P_ICMP;
	default:
		return XLB_P_UNKNOWN_L4;
	}
}

XLB_INLINE int xlb_parse_buf(void *data, void *end, struct xlb_pkt *p)
{
	struct hdr_cursor c = { .pos = data, .end = end };
	int proto;

	proto = parse_ethhdr(&c);
	if (proto < 0)
		return XLB_P_OTHER;
	p->l2_len = c.pos - data;
	p->l3_off = p->l2_len;

	if (proto == bpf_htons(ETH_P_IP))
		proto = parse_ip4(&c, p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		proto = parse_ip6(&c, p);
	else
		return XLB_P_OTHER;

	if (proto == -1)
		return XLB_P_OTHER;
	if (proto == -2)
		return XLB_P_BAD;
	if (proto == -3)
		return XLB_P_FRAG;
	p->proto = proto;
	p->l4_off = c.pos - data;
	return parse_l4(&c, p, p->l3_off + p->l3_len);
}

/* The first byte of an IPv4 header with IHL 5. */
#define XLB_IP4_VER_IHL5 0x45

/*
 * @p as the walk fills it for the fast shape below, in eight 64-bit stores
 * of words built in registers (field by field it took twenty stores, the
 * most of what the fast shape costs).
 */
XLB_INLINE void fast4_fill(struct xlb_pkt *p, const struct iphdr *iph,
			   __u32 ports, __u32 tot, __u32 proto, __u8 flags)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u64 *w = (__u64 *)p;
	__u64 df = !!(iph->frag_off & bpf_htons(IP_DF));

	_Static_assert(sizeof(*p) == 56 &&
			       __builtin_offsetof(struct xlb_pkt, sport) == 32,
		       "xlb_pkt layout of fast4_fill()");
	w[0] = iph->saddr;
	w[1] = 0;
	w[2] = iph->daddr;
	w[3] = 0;
	/* sport, dport (as stored), l3_len, l2_len */
	w[4] = ports | (__u64)tot << 32 | (__u64)sizeof(struct ethhdr) << 48;
	/* l3_off, l4_off, family, proto, tos, tcp_flags */
	w[5] = sizeof(struct ethhdr) |
	       (__u64)(sizeof(struct ethhdr) + sizeof(*iph)) << 16 |
	       (__u64)XLB_AF_INET << 32 | (__u64)proto << 40 |
	       (__u64)iph->tos << 48 | (__u64)flags << 56;
	/* icmp_type 0, df, kind XLB_P_L4 */
	w[6] = df << 8;
#else
	*p = (struct xlb_pkt){
		.src = { iph->saddr },
		.dst = { iph->daddr },
		.sport = (__be16)(ports >> 16),
		.dport = (__be16)ports,
		.l3_len = tot,
		.l2_len = sizeof(struct ethhdr),
		.l3_off = sizeof(struct ethhdr),
		.l4_off = sizeof(struct ethhdr) + sizeof(*iph),
		.family = XLB_AF_INET,
		.proto = proto,
		.tos = iph->tos,
		.tcp_flags = flags,
		.df = !!(iph->frag_off & bpf_htons(IP_DF)),
		.kind = XLB_P_L4,
	};
#endif
}

/*
 * The fast shape. Most packets a balancer sees are an untagged Ethernet
 * frame with IPv4 without options and not a fragment, and a whole TCP or UDP
 * header whose length field is right. xlb_fast4_shape() recognises that one
 * layout in one straight line, without the cursor's walk: it accepts only
 * what the walk would class as XLB_P_L4; every other frame (a bad length
 * field too, which the walk drops as XLB_P_BAD_L4) is left to the walk. A
 * TCP header must be whole in the frame; for UDP, 20 bytes of L4 are asked
 * of it (shorter UDP packets take the walk). bpf/fast.h forwards an
 * established flow of this shape from the scalars it returns;
 * parse_fast4() fills every field of a struct xlb_pkt from them as the
 * walk would (tests/bpf/test_parse.c runs both on the same frames and every
 * single-byte change of their headers, and compares the result byte for
 * byte).
 *
 * Return: 1 with @proto, @tot (IPv4 total length) and @flags (TCP flags,
 * 0 for UDP) set, or 0.
 */
XLB_INLINE int xlb_fast4_shape(void *data, void *end, __u32 *proto, __u32 *tot,
			       __u8 *flags)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *l4 = (void *)(iph + 1);
	__u32 l4_len;

	if ((void *)(l4 + 1) > end)
		return 0;
	if (eth->h_proto != bpf_htons(ETH_P_IP) ||
	    *(__u8 *)iph != XLB_IP4_VER_IHL5 ||
	    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return 0;
	*proto = iph->protocol;
	*tot = bpf_ntohs(iph->tot_len);
	*flags = 0;
	if (*proto == IPPROTO_TCP) {
		l4_len = l4->doff * 4;
		if (l4_len < sizeof(struct tcphdr))
			return 0;
		*flags = ((const __u8 *)l4)[13];
	} else if (*proto == IPPROTO_UDP) {
		l4_len = bpf_ntohs(((struct udphdr *)l4)->len);
		if (l4_len < sizeof(struct udphdr))
			return 0;
	} else {
		return 0;
	}
	return *tot >= sizeof(*iph) + l4_len && (void *)iph + *tot <= end;
}

/* The fast shape into @p, filled whole. Return: 1, or 0 with @p untouched. */
XLB_INLINE int parse_fast4(void *data, void *end, struct xlb_pkt *p)
{
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u32 proto, tot;
	__u8 flags;

	if (!xlb_fast4_shape(data, end, &proto, &tot, &flags))
		return 0;
	fast4_fill(p, iph, *(__u32 *)(iph + 1), tot, proto, flags);
	return 1;
}

/**
 * xlb_parse() - parse an XDP frame for the balancer
 * @ctx: the XDP context
 * @p: filled in, every field but @p->kind (the caller's, from the result)
 *
 * The fast shape first, the general walk for every other frame.
 *
 * Return: enum xlb_parse_result.
 */
XLB_INLINE int xlb_parse(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (__builtin_expect(parse_fast4(data, end, p), 1))
		return XLB_P_L4;
	__builtin_memset(p, 0, sizeof(*p));
	return xlb_parse_buf(data, end, p);
}

/**
 * xlb_pkt_hash() - the seeded 5-tuple hash of a parsed packet
 * (maps/xlb_hash.h, as userspace's xlb_flow_hash() with the ports): its
 * connection-table set (select.h) and its GUE source port (gue.h)
 * @p: the packet
 * @seed: lb.hash_seed
 */
XLB_INLINE __u64 xlb_pkt_hash(const struct xlb_pkt *p, __u32 seed)
{
	if (p->family == XLB_AF_INET)
		return xlb_hash4(seed, p->src[0], p->dst[0], p->sport, p->dport,
				 p->proto);
	return xlb_hash6(seed, p->src, p->dst, p->sport, p->dport, p->proto);
}

#endif /* XLB_BPF_PARSE_H */
