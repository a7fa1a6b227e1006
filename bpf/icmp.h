/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: ICMP for VIPs
 *
 * Two things, both only for packets to a VIP address:
 *
 * - Echo requests are answered here (XDP_TX), so operators can ping a VIP
 *   and reach the nearest PoP. IPv6 requests with extension headers are
 *   left to the stack.
 * - Errors about a flow (IPv4 destination unreachable, including
 *   "fragmentation needed"; IPv6 destination unreachable and packet too
 *   big) are forwarded to the backend of the flow they quote. Backends answer
 *   clients directly, so without this path MTU discovery breaks. The quoted
 *   packet is the backend's reply (VIP -> client); reversing its tuple gives
 *   the client's flow, which selects the same backend.
 */
#ifndef XLB_BPF_ICMP_H
#define XLB_BPF_ICMP_H

#include "common.h"
#include "parse.h"

/* RFC 1624 eqn. 3: checksum after one 16-bit word changes from old to new. */
XLB_INLINE __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old;
	sum += new;
	return csum_fold(sum);
}

/*
 * ip4_csum_ok() - does the IPv4 header at @iph (options too) sum right?
 *
 * An echo reply is made by editing the request's header in place, and the
 * incremental checksum update (RFC 1624) keeps a wrong sum wrong: a request
 * whose header is damaged goes to the stack instead, which drops it, rather
 * than being answered with a damaged reply.
 */
XLB_INLINE int ip4_csum_ok(const struct iphdr *iph, const void *end)
{
	const __u16 *w = (const void *)iph;
	__u32 words = iph->ihl * 2, sum = 0, i;

#pragma unroll
	for (i = 0; i < 30; i++) {
		if (i < words) {
			if ((const void *)(w + i + 1) > end)
				return 0;
			sum += w[i];
		}
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/**
 * xlb_icmp_echo() - answer an echo request to a VIP address in place
 * Return: XDP_TX when answered, -1 when the stack should see it.
 */
XLB_INLINE int xlb_icmp_echo(struct xdp_md *ctx, const struct xlb_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct icmphdr *icmp;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u8 mac[ETH_ALEN];
	__be32 a4, a6[4];
	__u16 old;

	if ((void *)(eth + 1) > end || p->l3_off > 64 || p->l4_off > 128)
		return -1;
	icmp = data + xlb_bound(p->l4_off, 0xff);
	if ((void *)(icmp + 1) > end)
		return -1;

	if (p->family == XLB_AF_INET) {
		iph = data + xlb_bound(p->l3_off, 0x3f);
		if ((void *)(iph + 1) > end)
			return -1;
		if (icmp->type != ICMP_ECHO || icmp->code ||
		    !ip4_csum_ok(iph, end))
			return -1;
		icmp->type = ICMP_ECHOREPLY;
		icmp->checksum =
			csum_replace2(icmp->checksum, bpf_htons(ICMP_ECHO << 8),
				      bpf_htons(ICMP_ECHOREPLY << 8));
		old = *(__u16 *)&iph->ttl;
		iph->ttl = outer_ttl;
		iph->check =
			csum_replace2(iph->check, old, *(__u16 *)&iph->ttl);
		a4 = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = a4;
	} else {
		ip6h = data + xlb_bound(p->l3_off, 0x3f);
		if ((void *)(ip6h + 1) > end)
			return -1;
		if (icmp->type != ICMPV6_ECHO_REQUEST || icmp->code ||
		    p->l4_off != p->l3_off + sizeof(*ip6h))
			return -1;
		icmp->type = ICMPV6_ECHO_REPLY;
		/* The pseudo-header sum does not change when the addresses
		 * swap, so only the type word enters the update. */
		icmp->checksum = csum_replace2(
			icmp->checksum, bpf_htons(ICMPV6_ECHO_REQUEST << 8),
			bpf_htons(ICMPV6_ECHO_REPLY << 8));
		ip6h->hop_limit = outer_ttl;
		__builtin_memcpy(a6, &ip6h->saddr, 16);
		__builtin_memcpy(&ip6h->saddr, &ip6h->daddr, 16);
		__builtin_memcpy(&ip6h->daddr, a6, 16);
	}

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return XDP_TX;
}

/**
 * xlb_icmp_is_error() - an ICMP error that quotes a flow we should forward
 */
XLB_INLINE int xlb_icmp_is_error(const struct xlb_pkt *p)
{
	if (p->family == XLB_AF_INET)
		return p->proto == IPPROTO_ICMP &&
		       p->icmp_type == ICMP_DEST_UNREACH;
	return p->proto == IPPROTO_ICMPV6 &&
	       (p->icmp_type == ICMPV6_DEST_UNREACH ||
		p->icmp_type == ICMPV6_PKT_TOOBIG);
}

/**
 * xlb_icmp_flow() - the client flow an ICMP error is about
 * @ctx: XDP context
 * @p: the parsed ICMP packet; on success its flow tuple (addresses, ports,
 *     protocol) is replaced by the client's flow. Lengths, family and
 *     header offsets still describe the ICMP packet, which is what gets
 *     encapsulated.
 *
 * Return: 0 when the quoted packet is TCP or UDP from a VIP, -1 otherwise.
 */
XLB_INLINE int xlb_icmp_flow(struct xdp_md *ctx, struct xlb_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ipv6hdr *q6;
	struct iphdr *q4;
	__be16 *ports;
	__u32 hlen;

	if (p->l4_off > 128)
		return -1;
	if (p->family == XLB_AF_INET) {
		q4 = data + xlb_bound(p->l4_off, 0xff) + sizeof(struct icmphdr);
		if ((void *)(q4 + 1) > end)
			return -1;
		hlen = (q4->ihl & 0xf) * 4;
		if (q4->version != 4 || hlen < sizeof(*q4))
			return -1;
		if (q4->frag_off & bpf_htons(IP_OFFSET))
			return -1;
		if (q4->protocol != IPPROTO_TCP && q4->protocol != IPPROTO_UDP)
			return -1;
		ports = (void *)q4 + xlb_bound(hlen, 0x3c);
		if ((void *)(ports + 2) > end)
			return -1;
		p->src[0] = q4->daddr;
		p->dst[0] = q4->saddr;
		p->proto = q4->protocol;
	} else {
		q6 = data + xlb_bound(p->l4_off, 0xff) +
		     sizeof(struct icmp6hdr);
		if ((void *)(q6 + 1) > end)
			return -1;
		/* Quoted extension headers are not walked. */
		if (q6->nexthdr != IPPROTO_TCP && q6->nexthdr != IPPROTO_UDP)
			return -1;
		ports = (void *)(q6 + 1);
		if ((void *)(ports + 2) > end)
			return -1;
		__builtin_memcpy(p->src, &q6->daddr, 16);
		__builtin_memcpy(p->dst, &q6->saddr, 16);
		p->proto = q6->nexthdr;
	}
	p->sport = ports[1];
	p->dport = ports[0];
	return 0;
}

#endif /* XLB_BPF_ICMP_H */
