/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: path MTU and the per-CPU rate limits
 *
 * Encapsulation adds 20 or 40 bytes. A client whose packets already fill
 * its path (1500 bytes on most of the internet) would have them sent out
 * of a link they no longer fit, where they are lost: TCP then stalls after
 * the handshake. So before a packet is encapsulated, its size once
 * encapsulated is checked against the MTU of the link it leaves by
 * (xlb_mtu, maps/xlb_maps.h). One that does not fit is answered here, like
 * a router would: IPv4 with DF by ICMP "fragmentation needed" (type 3
 * code 4), IPv6 by ICMPv6 "packet too big", both carrying the MTU minus
 * the outer header and quoting the packet's headers and 8 bytes more; the
 * client's stack learns the smaller MTU and sends smaller packets. IPv4
 * without DF is dropped (the balancer does not fragment). ICMP errors
 * themselves are never answered with one (RFC 1122 3.2.2).
 *
 * The answers are rate-limited per CPU (bpf/ratelimit.h).
 */
#ifndef XLB_BPF_PMTU_H
#define XLB_BPF_PMTU_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"
#include "encap.h"
#include "stats.h"
#include "ratelimit.h"

/* Longest quote of the packet in the answer: its IP and extension headers
 * and 8 bytes of L4, cut here (a multiple of 4). */
#define XLB_QUOTE_MAX 256

/**
 * xlb_pmtu_exceeded() - does a packet of @len bytes once encapsulated fit?
 * @ctx: XDP context (the ingress port, the egress when @ifindex is 0)
 * @ifindex: the backend's egress port, 0 for the ingress port
 * @len: its IP length once encapsulated
 *
 * Packets of at most XLB_MTU_MIN bytes fit without a map lookup. Slot 0
 * (the default) is never above an interface's own MTU (userspace keeps it
 * so), so a packet within it fits whatever port it leaves by: then neither
 * the port nor its slot is read. That is the common full-size packet where
 * every port has the same MTU.
 *
 * Return: 0 when it fits, else the MTU it exceeds.
 */
XLB_INLINE __u32 xlb_pmtu_exceeded(struct xdp_md *ctx, __u32 ifindex, __u32 len)
{
	__u32 k = 0, def, *m;

	if (len <= XLB_MTU_MIN)
		return 0;
	m = bpf_map_lookup_elem(&xlb_mtu, &k);
	def = m ? *m : 0;
	if (def && len <= def)
		return 0;
	k = ifindex ? ifindex : ctx->ingress_ifindex;
	if (k < XLB_MTU_SLOTS) {
		m = bpf_map_lookup_elem(&xlb_mtu, &k);
		if (m && *m)
			return len > *m ? *m : 0;
	}
	return def;
}

/* xlb_word (encap.h): the sum below reads, as words, the ICMP header just
 * written field by field (its checksum field is a __sum16). With the
 * answer split into helpers, plain __u32 loads made a frag-needed behind a
 * VLAN tag come out with a wrong checksum, and before that ICMPv6
 * packet-too-big answers a real client refused while a fixture with zeros
 * there passed. */

/* One's-complement sum of the 32-bit words from @w to @end (at most 2 +
 * XLB_QUOTE_MAX / 4 of them: the ICMP header and the quote). */
XLB_INLINE __u64 sum_words(xlb_word *w, void *end)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < 2 + XLB_QUOTE_MAX / 4; i++) {
		if ((void *)(w + 1) > end)
			break;
		sum += *w;
		w++;
	}
	return sum;
}

XLB_INLINE __u16 fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold((__u32)sum);
}

/* The outer IPv4 header and ICMP "fragmentation needed" of the answer to
 * @p (@q bytes quoted, up to @end), the checksum summed last. */
XLB_INLINE void frag_needed_put(struct iphdr *o4, struct icmphdr *icmp,
				void *end, const struct xlb_pkt *p, __u32 mtu,
				__u32 q)
{
	__u32 w0, w2;

	/* precedence "internet control", as Linux sends its own */
	w0 = bpf_htonl(0x45c00000 | (sizeof(*o4) + sizeof(*icmp) + q));
	w2 = bpf_htonl((__u32)outer_ttl << 24 | IPPROTO_ICMP << 16);
	xlb_outer4_put(o4, w0, 0, w2, p->dst[0], p->src[0]);
	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = 4; /* fragmentation needed and DF set */
	icmp->checksum = 0;
	icmp->rest = bpf_htonl(mtu & 0xffff);
	icmp->checksum = fold64(sum_words((xlb_word *)icmp, end));
}

/* The IPv6 header and ICMPv6 "packet too big" of the answer to @p, the
 * checksum over the pseudo-header and the message, summed last. */
XLB_INLINE void pkt_too_big_put(struct ipv6hdr *o6, struct icmphdr *icmp,
				void *end, const struct xlb_pkt *p, __u32 mtu,
				__u32 q)
{
	__u32 *w = (__u32 *)o6;
	__u32 plen = sizeof(*icmp) + q;
	__u64 sum;

	w[0] = bpf_htonl(6u << 28);
	w[1] = bpf_htonl(plen << 16 | IPPROTO_ICMPV6 << 8 | outer_ttl);
	__builtin_memcpy(&o6->saddr, p->dst, 16);
	__builtin_memcpy(&o6->daddr, p->src, 16);
	icmp->type = ICMPV6_PKT_TOOBIG;
	icmp->code = 0;
	icmp->checksum = 0;
	icmp->rest = bpf_htonl(mtu);
	/* pseudo-header: addresses, upper-layer length, next header */
	sum = (__u64)p->src[0] + p->src[1] + p->src[2] + p->src[3] + p->dst[0] +
	      p->dst[1] + p->dst[2] + p->dst[3] + bpf_htonl(plen) +
	      bpf_htonl(IPPROTO_ICMPV6);
	sum += sum_words((xlb_word *)icmp, end);
	icmp->checksum = fold64(sum);
}

/**
 * icmp_too_big() - turn the packet into the ICMP error answering it
 * @ctx: XDP context
 * @p: the parsed packet (TCP or UDP; its L4 header is whole)
 * @mtu: the MTU to announce
 *
 * Grows the frame at the front by the new IP and ICMP headers, which then
 * sit just before the packet's own IP header, and cuts it after the quote.
 * The MACs are swapped and VLAN tags kept: the answer leaves by the port
 * the packet came in on, toward the router that brought it.
 *
 * Return: 0, or -1 if the frame could not be reshaped.
 */
XLB_INLINE int icmp_too_big(struct xdp_md *ctx, const struct xlb_pkt *p,
			    __u32 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l2_len = p->l2_len, ohl, q, newlen;
	struct l2_save l2 = {};
	struct ethhdr *eth = data;
	struct icmphdr *icmp;
	struct ipv6hdr *o6;
	struct iphdr *o4;
	__u8 peer[ETH_ALEN];
	int v4 = p->family == XLB_AF_INET;

	if ((void *)(eth + 1) > end ||
	    l2_len > sizeof(struct ethhdr) + 4 * XLB_MAX_VLAN)
		return -1;
	__builtin_memcpy(peer, eth->h_source, ETH_ALEN);
	save_l2(data, end, l2_len, &l2);
	ohl = v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	q = p->l4_off - p->l3_off + 8;
	if (q > XLB_QUOTE_MAX)
		q = XLB_QUOTE_MAX;
	newlen = l2_len + ohl + sizeof(*icmp) + q;

	if (bpf_xdp_adjust_head(ctx, -(int)(ohl + sizeof(*icmp))))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (newlen > (__u32)(end - data))
		return -1;
	if (bpf_xdp_adjust_tail(ctx, -(int)((end - data) - newlen)))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (write_l2(data, end, l2_len, peer, l2.our_mac, &l2,
		     v4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6)))
		return -1;

	if (v4) {
		o4 = data + xlb_bound(l2_len, 0x1f);
		icmp = (void *)(o4 + 1);
		if ((void *)(icmp + 1) > end)
			return -1;
		frag_needed_put(o4, icmp, end, p, mtu, q);
		return 0;
	}
	o6 = data + xlb_bound(l2_len, 0x1f);
	icmp = (void *)(o6 + 1);
	if ((void *)(icmp + 1) > end)
		return -1;
	pkt_too_big_put(o6, icmp, end, p, mtu, q);
	return 0;
}

/**
 * xlb_too_big() - a packet that does not fit once encapsulated
 * @ctx: XDP context
 * @p: the parsed packet
 * @vip_id: its VIP, charged for a drop
 * @mtu: the MTU to announce (the link's minus the outer header)
 *
 * Return: XDP_TX with the ICMP error, or XDP_DROP (counted).
 */
XLB_INLINE int xlb_too_big(struct xdp_md *ctx, const struct xlb_pkt *p,
			   __u32 vip_id, __u32 mtu)
{
	/* an ICMP error being forwarded (icmp_type is only set for those):
	 * no error about an error */
	if (p->icmp_type || (p->family == XLB_AF_INET && !p->df))
		return xlb_drop(vip_id, XLB_C_DROP_TOO_BIG);
	if (!xlb_rl_icmp())
		return xlb_drop(vip_id, XLB_C_DROP_ICMP_RATELIMIT);
	if (icmp_too_big(ctx, p, mtu))
		return xlb_drop(vip_id, XLB_C_DROP_TOO_BIG);
	xlb_count(p->family == XLB_AF_INET ? XLB_C_ICMP_FRAG_NEEDED :
					     XLB_C_ICMP_PTB);
	return XDP_TX;
}

#endif /* XLB_BPF_PMTU_H */
