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

/* Checksum of a 20-byte IPv4 header whose check field is zero. */
XLB_INLINE __u16 ip4_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

/* Source MAC for a backend: its egress port's, else the port we got it on. */
XLB_INLINE const __u8 *src_mac_for(const struct xlb_backend *be,
				   const struct l2_save *l2)
{
	if (be->flags & XLB_BE_F_NH_VALID && be->ifindex)
		return be->src_mac;
	return l2->our_mac;
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

/**
 * xlb_outer4() - fill the outer IPv4 header toward @be (IPIP or 6in4)
 * @o4: the header, bounds already checked
 * @p: the inner packet as parsed
 * @be: the backend (IPv4)
 * @cfg: LB source address
 */
XLB_INLINE void xlb_outer4(struct iphdr *o4, const struct xlb_pkt *p,
			   const struct xlb_backend *be,
			   const struct xlb_config *cfg)
{
	o4->version = 4;
	o4->ihl = 5;
	o4->tos = p->tos;
	o4->tot_len = bpf_htons(p->l3_len + sizeof(*o4));
	o4->id = 0;
	o4->frag_off = p->df ? bpf_htons(IP_DF) : 0;
	o4->ttl = XLB_TTL;
	o4->protocol = p->family == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	o4->check = 0;
	o4->saddr = cfg->src4;
	o4->daddr = be->addr[0];
	o4->check = ip4_csum(o4);
}

/**
 * xlb_outer6() - fill the outer IPv6 header toward @be (IP6IP6 or 4in6)
 * @o6: the header, bounds already checked
 * @p: the inner packet as parsed
 * @be: the backend (IPv6)
 * @cfg: LB source address
 */
XLB_INLINE void xlb_outer6(struct ipv6hdr *o6, const struct xlb_pkt *p,
			   const struct xlb_backend *be,
			   const struct xlb_config *cfg)
{
	__u32 fl = (bpf_ntohs(p->sport) ^ bpf_ntohs(p->dport) ^
		    bpf_ntohl(p->src[3])) &
		   0xfffff;

	o6->version = 6;
	o6->priority = p->tos >> 4;
	o6->flow_lbl[0] = ((p->tos & 0xf) << 4) | (fl >> 16);
	o6->flow_lbl[1] = fl >> 8;
	o6->flow_lbl[2] = fl;
	o6->payload_len = bpf_htons(p->l3_len);
	o6->nexthdr = p->family == XLB_AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	o6->hop_limit = XLB_TTL;
	__builtin_memcpy(&o6->saddr, cfg->src6, 16);
	__builtin_memcpy(&o6->daddr, be->addr, 16);
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
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u16 l2_len = p->l2_len;
	const __u8 *dmac = NULL;
	struct l2_save l2 = {};
	struct iphdr *o4;
	struct ipv6hdr *o6;
	__u32 olen = 0;
	void *l3;
	int err;

	err = xlb_encap_prep(be, cfg, &dmac, &olen);
	if (err)
		return err;

	save_l2(data, end, l2_len, &l2);
	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return XLB_C_DROP_ENCAP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;

	if (l2_len > sizeof(struct ethhdr) + 4 * XLB_MAX_VLAN)
		return XLB_C_DROP_ENCAP;
	l3 = data + xlb_bound(l2_len, 0x1f);

	if (be->family == XLB_AF_INET) {
		if (write_l2(data, end, l2_len, dmac, src_mac_for(be, &l2), &l2,
			     bpf_htons(ETH_P_IP)))
			return XLB_C_DROP_ENCAP;
		o4 = l3;
		if ((void *)(o4 + 1) > end)
			return XLB_C_DROP_ENCAP;
		xlb_outer4(o4, p, be, cfg);
		return 0;
	}

	if (write_l2(data, end, l2_len, dmac, src_mac_for(be, &l2), &l2,
		     bpf_htons(ETH_P_IPV6)))
		return XLB_C_DROP_ENCAP;
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
