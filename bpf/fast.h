/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the fast path of an established IPv4 flow
 *
 * Most packets a balancer sees are the same shape: an untagged Ethernet
 * frame, IPv4 without options or fragmentation, TCP or UDP, of a flow that
 * is already in the connection table, whose backend is an IPv4 backend
 * reached by IPIP on the port the packet came in on. xlb_fast4() handles
 * exactly that packet in one straight line, with the flow's fields in
 * registers, and gives every other packet back untouched (XLB_FAST_NO) to
 * the general path (parse.h, select.h, encap.h), which then handles it from
 * the start as if the fast path had not run.
 *
 * A miss (this shape, no entry: a new flow, or traffic for the host) is
 * handed on with the packet's fields and the flow's set (XLB_FAST_MISS), so
 * the general path goes on from the VIP lookup without parsing or hashing
 * again.
 *
 * It makes the same decisions as the general path, in the same order, and
 * moves the same counters: every forwarding fixture of the packet tests is
 * sent a second time, as an established flow, and must come out byte for
 * byte as the first (through this path when its shape is the common one,
 * through the general path otherwise), with the counters of a hit. The
 * benchmark's established_v4 case measures it (docs/datapath-perf.md).
 */
#ifndef XLB_BPF_FAST_H
#define XLB_BPF_FAST_H

#include "common.h"
#include "maps.bpf.h"
#include "select.h"
#include "encap.h"
#include "stats.h"
#include "pmtu.h"

#define XLB_FAST_NO   (-1) /* not this shape: the general path from the start */
#define XLB_FAST_MISS (-2) /* this shape, no entry: @p and @sel are filled */

/* The first 32-bit word of an IPv4 header with IHL 5, in memory order. */
#define XLB_IP4_VER_IHL5 0x45

/* What the general path needs of a packet whose flow is not in the table. */
XLB_INLINE void fast4_pkt(struct xlb_pkt *p, const struct iphdr *iph,
			  const struct tcphdr *tcp, __u32 proto, __u32 tot)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->src[0] = iph->saddr;
	p->dst[0] = iph->daddr;
	p->sport = tcp->source;
	p->dport = tcp->dest;
	p->l3_len = tot;
	p->l2_len = sizeof(struct ethhdr);
	p->l3_off = sizeof(struct ethhdr);
	p->l4_off = sizeof(struct ethhdr) + sizeof(*iph);
	p->family = XLB_AF_INET;
	p->proto = proto;
	p->tos = iph->tos;
	p->df = !!(iph->frag_off & bpf_htons(IP_DF));
	if (proto == IPPROTO_TCP)
		p->tcp_flags = ((const __u8 *)tcp)[13];
}

/*
 * fast4_shape() - is the frame at @eth the one layout of the fast path?
 * @proto, @tot: set to the IPv4 protocol and total length when it is
 *
 * The general parser's checks for this one layout: Ethernet, IPv4 without
 * options nor fragmentation, TCP or UDP with sane length fields (a bad one
 * is for the general path to drop, XLB_P_BAD_L4), the whole datagram in
 * the frame. A TCP header must be complete; for UDP, 20 bytes of L4 are
 * asked of the frame (shorter UDP packets take the general path).
 */
XLB_INLINE int fast4_shape(struct ethhdr *eth, void *end, __u32 *proto,
			   __u32 *tot)
{
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(iph + 1);
	__u32 ulen;

	if ((void *)(tcp + 1) > end)
		return 0;
	if (eth->h_proto != bpf_htons(ETH_P_IP) ||
	    *(__u8 *)iph != XLB_IP4_VER_IHL5 ||
	    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return 0;
	*proto = iph->protocol;
	*tot = bpf_ntohs(iph->tot_len);
	if (*proto == IPPROTO_TCP) {
		if (*tot < sizeof(*iph) + tcp->doff * 4 || tcp->doff < 5)
			return 0;
	} else if (*proto == IPPROTO_UDP) {
		ulen = bpf_ntohs(((struct udphdr *)tcp)->len);
		if (ulen < sizeof(struct udphdr) || *tot < sizeof(*iph) + ulen)
			return 0;
	} else {
		return 0;
	}
	return (void *)iph + *tot <= end;
}

/* A flow without an entry: @p and @sel filled for the general path. */
XLB_INLINE int fast4_miss(struct xlb_pkt *p, struct xlb_sel *sel,
			  const struct iphdr *iph, const struct tcphdr *tcp,
			  __u32 proto, __u32 tot, struct xlb_conn4_set *set,
			  __u16 now)
{
	fast4_pkt(p, iph, tcp, proto, tot);
	__builtin_memset(sel, 0, sizeof(*sel));
	sel->set4 = set;
	sel->now = now;
	sel->event = XLB_C_CONN_MISS;
	return XLB_FAST_MISS;
}

/**
 * xlb_fast4() - forward an established IPv4 flow, or decline
 * @ctx: the XDP context
 * @p: filled in on XLB_FAST_MISS, as xlb_parse() would
 * @sel: on XLB_FAST_MISS, the flow's set and the time, as xlb_conn_find()
 *       leaves them when it finds no entry
 *
 * Return: XDP_TX with the packet encapsulated and counted, XDP_DROP (counted)
 * if the packet cannot grow, XLB_FAST_MISS for a packet of this shape whose
 * flow has no entry (a new flow: the general path goes on from the VIP
 * lookup without parsing or hashing again), or XLB_FAST_NO with the packet,
 * the tables and the counters unchanged (except the flow's last-seen time,
 * which the general path would set as well).
 */
XLB_INLINE int xlb_fast4(struct xdp_md *ctx, struct xlb_pkt *p,
			 struct xlb_sel *sel)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(iph + 1);
	__u64 len = end - data;
	struct xlb_config *cfg;
	struct xlb_conn4_set *set;
	struct xlb_backend *be;
	struct xlb_conn *c;
	__u32 saddr, daddr, ports, proto, tot, id, olen, w0, w1, w2;
	const __u8 *dmac = NULL;
	__u64 k0, k1;
	__u16 now;
	__u32 zero = 0;

	if (!fast4_shape(eth, end, &proto, &tot))
		return XLB_FAST_NO;
	saddr = iph->saddr;
	daddr = iph->daddr;
	ports = *(__u32 *)tcp; /* source and destination port, as stored */

	cfg = bpf_map_lookup_elem(&xlb_cfg, &zero);
	if (!cfg)
		return XLB_FAST_NO;

	/* The connection table: the set of the flow, then its way. */
	id = (__u32)xlb_hash4(cfg->conn_seed, saddr, daddr, tcp->source,
			      tcp->dest, (__u8)proto) &
	     (conn_sets - 1);
	set = bpf_map_lookup_elem(&xlb_conn4_v3, &id);
	if (!set)
		return XLB_FAST_NO;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k0 = (__u64)saddr | (__u64)daddr << 32;
	k1 = (__u64)ports | (__u64)proto << 32;
#else
	k0 = (__u64)saddr << 32 | daddr;
	k1 = (__u64)ports << 32 | (__u64)proto << 24;
#endif
	c = set4_match(set, k0, k1);
	now = conn_now();
	if (!c)
		return fast4_miss(p, sel, iph, tcp, proto, tot, set, now);
	if (c->fwd != XLB_FWD_IPIP)
		return XLB_FAST_NO;
	be = conn_backend(c, &id);
	if (!be || be->family != XLB_AF_INET ||
	    (be->ifindex && be->ifindex != ctx->ingress_ifindex) ||
	    xlb_encap_prep(be, cfg, &dmac, &olen))
		return XLB_FAST_NO;
	/* too big once encapsulated: the general path answers it */
	if (xlb_pmtu_exceeded(ctx, 0, tot + sizeof(*iph)))
		return XLB_FAST_NO;

	if (c->seen != now)
		c->seen = now;

	/* Outer header words, computed before the packet moves. */
	xlb_outer4_words(iph->tos, tot, iph->frag_off & bpf_htons(IP_DF),
			 IPPROTO_IPIP, &w0, &w1, &w2);

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return xlb_drop(c->vip_id, XLB_C_DROP_ENCAP);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > end)
		return xlb_drop(c->vip_id, XLB_C_DROP_ENCAP);
	xlb_eth_moved(eth, be, dmac, sizeof(*iph), bpf_htons(ETH_P_IP));
	xlb_outer4_put(iph, w0, w1, w2, cfg->src4, be->addr[0]);
	xlb_count_fwd(c->vip_id, id, len, 0);
	xlb_count2(XLB_C_TX, XLB_C_CONN_HIT);
	return XDP_TX;
}

#endif /* XLB_BPF_FAST_H */
