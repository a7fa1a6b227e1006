/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: encapsulation
 *
 * IP-in-IP toward the backend, chosen by the backend's family: IPIP (4in4),
 * IPv4-in-IPv6, IP6IP6 and IPv6-in-IPv4 (protocol 41). The outer header
 * carries the LB source address of its family, TTL/hop limit 64, the inner
 * DSCP/ECN, DF when the inner packet must not be fragmented, and for IPv6 a
 * flow label derived from the ports so backends' RSS and ECMP spread flows.
 * VLAN tags are kept. Or, in L2 mode, only the MAC addresses change.
 */
#ifndef XLB_BPF_ENCAP_H
#define XLB_BPF_ENCAP_H

#include "common.h"
#include "parse.h"

struct l2_save {
	__u8 our_mac[6];
	__be16 tags[2 * XLB_MAX_VLAN]; /* TCI, TPID pairs after the MACs */
};

/* Source MAC for a backend: its egress port's, else @our (the port we got
 * the packet on). */
XLB_INLINE const __u8 *src_mac_for(const struct xlb_backend *be,
				   const __u8 *our)
{
	if (be->flags & XLB_BE_F_NH_VALID && be->ifindex)
		return be->src_mac;
	return our;
}

XLB_INLINE int write_l2(void *data, void *end, __u16 l2_len, const __u8 *dmac,
			const __u8 *smac, const struct l2_save *l2,
			__be16 outer_proto)
{
	struct ethhdr *eth = data;
	__be16 *tags = (__be16 *)(eth + 1);

	if ((void *)(eth + 1) > end)
		return -1;
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	if (l2_len == sizeof(*eth)) {
		eth->h_proto = outer_proto;
		return 0;
	}
	/* Tagged: TPID stays in h_proto, the tags follow, EtherType last. */
	if ((void *)(tags + 4) > end)
		return -1;
	eth->h_proto = l2->tags[0];
	tags[0] = l2->tags[1];
	if (l2_len == sizeof(*eth) + 4) {
		tags[1] = outer_proto;
		return 0;
	}
	tags[1] = l2->tags[2];
	tags[2] = l2->tags[3];
	tags[3] = outer_proto;
	return 0;
}

XLB_INLINE void save_l2(void *data, void *end, __u16 l2_len, struct l2_save *l2)
{
	struct ethhdr *eth = data;
	__be16 *tags = (__be16 *)(eth + 1);

	if ((void *)(eth + 1) > end)
		return;
	__builtin_memcpy(l2->our_mac, eth->h_dest, ETH_ALEN);
	if (l2_len == sizeof(*eth))
		return;
	if ((void *)(tags + 3) > end)
		return;
	l2->tags[0] = eth->h_proto;
	l2->tags[1] = tags[0];
	l2->tags[2] = tags[1];
	l2->tags[3] = tags[2];
}

/**
 * xlb_encap_prep() - next hop and outer size for encapsulating toward @be
 * @be: the backend
 * @cfg: LB source addresses, default next hop
 * @dmac: set to the next-hop MAC
 * @olen: set to the outer header length (by the backend's family)
 *
 * Shared with the probe program (xlb_probe.bpf.c), which must follow the
 * same rules as client traffic.
 *
 * Return: 0, or the XLB_C_DROP_* reason why the packet cannot be sent.
 */
XLB_INLINE int xlb_encap_prep(const struct xlb_backend *be,
			      const struct xlb_config *cfg, const __u8 **dmac,
			      __u32 *olen)
{
	if (be->flags & XLB_BE_F_NH_VALID)
		*dmac = be->nh_mac;
	else if (cfg->flags & XLB_CFG_F_NH_VALID)
		*dmac = cfg->nh_mac;
	else
		return XLB_C_DROP_NO_NEXTHOP;

	if (be->family == XLB_AF_INET) {
		if (!(cfg->flags & XLB_CFG_F_SRC4_VALID))
			return XLB_C_DROP_NO_SOURCE;
		*olen = sizeof(struct iphdr);
	} else {
		if (!(cfg->flags & XLB_CFG_F_SRC6_VALID))
			return XLB_C_DROP_NO_SOURCE;
		*olen = sizeof(struct ipv6hdr);
	}
	return 0;
}

/*
 * A 32-bit word that may alias anything: the type through which a header
 * written field by field (16-bit stores such as a checksum = 0) is read
 * back as words for a sum. With plain __u32 loads, type-based alias
 * analysis lets clang move the loads before the narrower stores, and the
 * sum then takes whatever the frame held there (seen in pmtu.h: a
 * frag-needed behind a VLAN tag came out with a wrong checksum).
 */
typedef __u32 __attribute__((__may_alias__)) xlb_word;

/*
 * The outer headers are built in registers and written with word stores,
 * never read back: filling them field by field (bitfields, bytes) and then
 * summing the IPv4 header from memory made the loads wait on narrower
 * stores (store-to-load forwarding fails), which cost more than the rest
 * of the encapsulation (docs/datapath-perf.md).
 */

/* One's-complement sum of the words of an IPv4 header, as the stored check. */
XLB_INLINE __u16 ip4_csum_words(__u32 w0, __u32 w1, __u32 w2, __u32 w3,
				__u32 w4)
{
	__u64 sum = (__u64)w0 + w1 + w2 + w3 + w4;

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold((__u32)sum);
}

/**
 * xlb_outer4_words() - the first three words of an outer IPv4 header
 * @tos: the inner TOS / traffic class
 * @inner_len: the inner IP packet's length
 * @df: DF is set when non-zero
 * @proto: IPPROTO_IPIP or IPPROTO_IPV6
 * @w0: version, IHL 5, TOS, total length (memory order, as all three)
 * @w1: ID 0, DF
 * @w2: TTL outer_ttl, @proto, checksum field 0
 *
 * Computed apart from xlb_outer4_put() so a caller can take the inner
 * fields before the packet moves.
 */
XLB_INLINE void xlb_outer4_words(__u8 tos, __u32 inner_len, int df, __u8 proto,
				 __u32 *w0, __u32 *w1, __u32 *w2)
{
	*w0 = bpf_htonl(0x45000000 | (__u32)tos << 16 |
			((inner_len + sizeof(struct iphdr)) & 0xffff));
	*w1 = df ? bpf_htonl(IP_DF) : 0;
	*w2 = bpf_htonl((__u32)outer_ttl << 24 | (__u32)proto << 16);
}

/* Store an outer IPv4 header: its words, the addresses, the checksum. */
XLB_INLINE void xlb_outer4_put(struct iphdr *o4, __u32 w0, __u32 w1, __u32 w2,
			       __be32 saddr, __be32 daddr)
{
	__u32 *w = (__u32 *)o4;

	w[0] = w0;
	w[1] = w1;
	w[2] = w2;
	w[3] = saddr;
	w[4] = daddr;
	o4->check = ip4_csum_words(w0, w1, w2, saddr, daddr);
}

/**
 * xlb_outer4() - fill the outer IPv4 header toward @be (IPIP or 6in4)
 * @o4: the header, bounds already checked
 * @p: the inner packet as parsed
 * @be: the backend (IPv4)
 * @cfg: LB source address
 *
 * Version 4, IHL 5, the inner TOS, ID 0, DF copied, TTL outer_ttl, the
 * checksum computed from the words before they are stored.
 */
XLB_INLINE void xlb_outer4(struct iphdr *o4, const struct xlb_pkt *p,
			   const struct xlb_backend *be,
			   const struct xlb_config *cfg)
{
	__u32 w0, w1, w2;

	xlb_outer4_words(p->tos, p->l3_len, p->df,
			 p->family == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6,
			 &w0, &w1, &w2);
	xlb_outer4_put(o4, w0, w1, w2, cfg->src4, be->addr[0]);
}

/**
 * xlb_outer6_put() - fill an outer IPv6 header toward @be
 * @o6: the header, bounds already checked
 * @p: the inner packet as parsed
 * @be: the backend (IPv6)
 * @cfg: LB source address
 * @plen: payload length (the inner packet, plus 8 for GUE's UDP header)
 * @nh: next header (IPPROTO_IPIP, IPPROTO_IPV6 or IPPROTO_UDP)
 *
 * Version 6, the inner traffic class, a flow label from the ports and the
 * client address's last word, hop limit outer_ttl; ten word stores.
 */
XLB_INLINE void xlb_outer6_put(struct ipv6hdr *o6, const struct xlb_pkt *p,
			       const struct xlb_backend *be,
			       const struct xlb_config *cfg, __u32 plen,
			       __u32 nh)
{
	xlb_word *w = (xlb_word *)o6;
	__u32 fl = (bpf_ntohs(p->sport) ^ bpf_ntohs(p->dport) ^
		    bpf_ntohl(p->src[3])) &
		   0xfffff;

	w[0] = bpf_htonl(6u << 28 | (__u32)p->tos << 20 | fl);
	w[1] = bpf_htonl(plen << 16 | nh << 8 | outer_ttl);
	w[2] = cfg->src6[0];
	w[3] = cfg->src6[1];
	w[4] = cfg->src6[2];
	w[5] = cfg->src6[3];
	w[6] = be->addr[0];
	w[7] = be->addr[1];
	w[8] = be->addr[2];
	w[9] = be->addr[3];
}

/* The outer IPv6 header of IP6IP6 or 4in6 (xlb_outer6_put()). */
XLB_INLINE void xlb_outer6(struct ipv6hdr *o6, const struct xlb_pkt *p,
			   const struct xlb_backend *be,
			   const struct xlb_config *cfg)
{
	xlb_outer6_put(o6, p, be, cfg, p->l3_len,
		       p->family == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6);
}

/**
 * xlb_eth_moved() - the Ethernet header of a frame grown by @olen bytes
 * @eth: the new start of the frame, @olen + ETH_HLEN bytes checked
 * @be: the backend (its egress port's MAC, if it has one)
 * @dmac: the next hop's MAC
 * @olen: by how much the frame grew (the outer IP header)
 * @proto: the outer EtherType
 *
 * An untagged frame's old header now sits @olen bytes in, where the outer
 * IP header goes: our MAC (its destination) is copied from there first, so
 * nothing is saved on the stack.
 */
XLB_INLINE void xlb_eth_moved(struct ethhdr *eth, const struct xlb_backend *be,
			      const __u8 *dmac, __u32 olen, __be16 proto)
{
	const __u8 *smac = src_mac_for(be, (const __u8 *)eth + olen);

	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	eth->h_proto = proto;
}

/* An untagged frame, the common case (xlb_eth_moved()). */
XLB_INLINE int encap_untagged(struct xdp_md *ctx, const struct xlb_pkt *p,
			      const struct xlb_backend *be,
			      const struct xlb_config *cfg, const __u8 *dmac,
			      __u32 olen)
{
	struct ethhdr *eth;
	struct ipv6hdr *o6;
	struct iphdr *o4;
	void *end;

	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return XLB_C_DROP_ENCAP;
	eth = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (be->family == XLB_AF_INET) {
		o4 = (void *)(eth + 1);
		if ((void *)(o4 + 1) > end)
			return XLB_C_DROP_ENCAP;
		xlb_eth_moved(eth, be, dmac, sizeof(*o4), bpf_htons(ETH_P_IP));
		xlb_outer4(o4, p, be, cfg);
		return 0;
	}
	o6 = (void *)(eth + 1);
	if ((void *)(o6 + 1) > end)
		return XLB_C_DROP_ENCAP;
	xlb_eth_moved(eth, be, dmac, sizeof(*o6), bpf_htons(ETH_P_IPV6));
	xlb_outer6(o6, p, be, cfg);
	return 0;
}

/**
 * xlb_encap_push() - grow a frame by @olen bytes between L2 and L3
 * @ctx: XDP context
 * @l2_len: the frame's L2 header length (Ethernet and its VLAN tags)
 * @be: the backend (family: the outer EtherType; its egress port's MAC)
 * @dmac: the next hop's MAC
 * @olen: the outer headers' length
 *
 * The L2 header, tags and all, is saved before the frame grows and written
 * back in front with the next hop's addresses and the outer family's
 * EtherType. Shared by IP-in-IP (tagged frames) and GUE (gue.h).
 *
 * Return: where the outer IP header goes (not bounds checked), or NULL.
 */
XLB_INLINE void *xlb_encap_push(struct xdp_md *ctx, __u16 l2_len,
				const struct xlb_backend *be, const __u8 *dmac,
				__u32 olen)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct l2_save l2 = {};

	if (l2_len > sizeof(struct ethhdr) + 4 * XLB_MAX_VLAN)
		return NULL;
	save_l2(data, end, l2_len, &l2);
	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return NULL;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (write_l2(data, end, l2_len, dmac, src_mac_for(be, l2.our_mac), &l2,
		     be->family == XLB_AF_INET ? bpf_htons(ETH_P_IP) :
						 bpf_htons(ETH_P_IPV6)))
		return NULL;
	return data + xlb_bound(l2_len, 0x1f);
}

/**
 * xlb_encap() - encapsulate the packet toward @be
 * @ctx: XDP context (the packet grows at the front)
 * @p: the parsed packet
 * @be: its backend (family, address, next hop)
 * @cfg: LB source addresses, default next hop
 *
 * Return: 0, or the XLB_C_DROP_* reason why the packet cannot be sent.
 */
XLB_INLINE int xlb_encap(struct xdp_md *ctx, const struct xlb_pkt *p,
			 const struct xlb_backend *be,
			 const struct xlb_config *cfg)
{
	const __u8 *dmac = NULL;
	struct ipv6hdr *o6;
	struct iphdr *o4;
	__u32 olen = 0;
	void *l3, *end;
	int err;

	err = xlb_encap_prep(be, cfg, &dmac, &olen);
	if (err)
		return err;
	if (p->l2_len == sizeof(struct ethhdr))
		return encap_untagged(ctx, p, be, cfg, dmac, olen);

	/* VLAN tags: saved before the packet grows, written back in front. */
	l3 = xlb_encap_push(ctx, p->l2_len, be, dmac, olen);
	if (!l3)
		return XLB_C_DROP_ENCAP;
	end = (void *)(long)ctx->data_end;
	if (be->family == XLB_AF_INET) {
		o4 = l3;
		if ((void *)(o4 + 1) > end)
			return XLB_C_DROP_ENCAP;
		xlb_outer4(o4, p, be, cfg);
		return 0;
	}
	o6 = l3;
	if ((void *)(o6 + 1) > end)
		return XLB_C_DROP_ENCAP;
	xlb_outer6(o6, p, be, cfg);
	return 0;
}

/**
 * xlb_l2_rewrite() - L2 direct server return: new MACs, packet unchanged
 * Return: 0 or an XLB_C_DROP_* reason.
 */
XLB_INLINE int xlb_l2_rewrite(struct xdp_md *ctx, const struct xlb_pkt *p,
			      const struct xlb_backend *be)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 our[ETH_ALEN];

	if (!(be->flags & XLB_BE_F_NH_VALID))
		return XLB_C_DROP_NO_NEXTHOP;
	if ((void *)(eth + 1) > end)
		return XLB_C_DROP_MALFORMED;
	__builtin_memcpy(our, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->nh_mac, ETH_ALEN);
	if (be->ifindex)
		__builtin_memcpy(eth->h_source, be->src_mac, ETH_ALEN);
	else
		__builtin_memcpy(eth->h_source, our, ETH_ALEN);
	(void)p;
	return 0;
}

#endif /* XLB_BPF_ENCAP_H */
