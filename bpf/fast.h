/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the established IPv4 flow of the common shape, whole
 *
 * Most packets a balancer sees are the same shape: an untagged Ethernet
 * frame, IPv4 without options or fragmentation, TCP or UDP, of a flow that
 * is already in the connection table, whose backend is an IPv4 backend
 * reached by IPIP on the port the packet came in on. xlb_fast4() is the
 * parse step's fast branch for that packet: it runs the same steps as the
 * pipeline of xlb.bpf.c (parse, connection table, encapsulate, count), each
 * on the flow's fields in registers, and finishes the packet. A packet of
 * this shape whose flow has no entry (a new flow) it hands on parsed and
 * looked up (XLB_FAST_MISS: struct xlb_pkt and struct xlb_sel filled whole,
 * as the parse and connection table steps fill them), so the pipeline goes
 * on at the VIP and ring step. Any other packet it gives back untouched
 * (XLB_FAST_NO), and the pipeline handles it from the start as if this had
 * not run.
 *
 * Why a branch of its own rather than the pipeline's steps: the pipeline's
 * contexts (struct xlb_pkt, struct xlb_sel) are filled whole and kept on the
 * stack, reloaded after each helper call, and it tests the family and the
 * forwarding in each step; on this packet that is about 50 more
 * instructions and 0.11-0.17 of the empty program's time
 * (docs/datapath-perf.md, "The pipeline and its fast branch").
 *
 * It makes the same decisions as the pipeline, in the same order, and moves
 * the same counters: every forwarding fixture of the packet tests is sent a
 * second time, as an established flow, and must come out byte for byte as
 * the first (through this branch when its shape is the common one, through
 * the pipeline otherwise), with the counters of a hit.
 */
#ifndef XLB_BPF_FAST_H
#define XLB_BPF_FAST_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"
#include "select.h"
#include "encap.h"
#include "stats.h"
#include "pmtu.h"

#define XLB_FAST_NO   (-1) /* not this packet: the pipeline from the start */
#define XLB_FAST_MISS (-2) /* no entry: parsed and looked up, @p and @s whole */

/* Connection table: the entry of the flow of @iph in its set (*@setp), or
 * NULL. */
XLB_INLINE struct xlb_conn *fast4_entry(const struct xlb_config *cfg,
					const struct iphdr *iph, __u32 proto,
					struct xlb_conn4_set **setp)
{
	const struct tcphdr *tcp = (const void *)(iph + 1);
	__u32 saddr = iph->saddr, daddr = iph->daddr;
	__u32 ports = *(const __u32 *)tcp; /* both ports, as stored */
	struct xlb_conn4_set *set;
	__u64 k0, k1;
	__u32 id;

	id = (__u32)xlb_hash4(cfg->conn_seed, saddr, daddr, tcp->source,
			      tcp->dest, (__u8)proto) &
	     (conn_sets - 1);
	set = bpf_map_lookup_elem(&xlb_conn4_v3, &id);
	*setp = set;
	if (!set)
		return NULL;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k0 = (__u64)saddr | (__u64)daddr << 32;
	k1 = (__u64)ports | (__u64)proto << 32;
#else
	k0 = (__u64)saddr << 32 | daddr;
	k1 = (__u64)ports << 32 | (__u64)proto << 24;
#endif
	return set4_match(set, k0, k1);
}

/*
 * A flow of the fast shape without an entry (a new flow): @p and @s filled
 * whole, as the parse and connection table steps would have, so the
 * pipeline goes on at the VIP and ring step without parsing or hashing
 * again.
 */
XLB_INLINE int fast4_miss(const struct iphdr *iph, __u32 proto, __u32 tot,
			  __u8 flags, struct xlb_conn4_set *set,
			  struct xlb_pkt *p, struct xlb_sel *s)
{
	fast4_fill(p, iph, *(const __u32 *)(iph + 1), tot, proto, flags);
	*s = (struct xlb_sel){ .set4 = set,
			       .event = XLB_C_CONN_MISS,
			       .now = conn_now() };
	return XLB_FAST_MISS;
}

/**
 * xlb_fast4() - forward an established IPv4 flow of the common shape, or
 * decline
 * @ctx: the XDP context
 * @cfg: the configuration (NULL: declined)
 * @p: filled whole on XLB_FAST_MISS only
 * @s: filled whole on XLB_FAST_MISS only (a miss, with the flow's set)
 *
 * Return: XDP_TX with the packet encapsulated and counted, XDP_DROP
 * (counted) if the packet cannot grow, XLB_FAST_MISS for a packet of this
 * shape whose flow has no entry, or XLB_FAST_NO with the packet, the
 * tables and the counters unchanged (except the flow's last-seen time,
 * which the pipeline would set as well).
 */
XLB_INLINE int xlb_fast4(struct xdp_md *ctx, const struct xlb_config *cfg,
			 struct xlb_pkt *p, struct xlb_sel *s)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u64 len = end - data;
	struct xlb_conn4_set *set;
	struct xlb_backend *be;
	struct xlb_conn *c;
	__u32 proto, tot, id, olen, w0, w1, w2;
	const __u8 *dmac = NULL;
	__u16 now;
	__u8 flags;

	if (!cfg || !xlb_fast4_shape(data, end, &proto, &tot, &flags))
		return XLB_FAST_NO;
	c = fast4_entry(cfg, iph, proto, &set);
	if (!c)
		return set ? fast4_miss(iph, proto, tot, flags, set, p, s) :
			     XLB_FAST_NO;
	if (c->fwd != XLB_FWD_IPIP)
		return XLB_FAST_NO;
	be = conn_backend(c, &id);
	if (!be || be->family != XLB_AF_INET ||
	    (be->ifindex && be->ifindex != ctx->ingress_ifindex) ||
	    xlb_encap_prep(be, cfg, &dmac, &olen))
		return XLB_FAST_NO;
	/* too big once encapsulated: the pipeline answers it */
	if (xlb_pmtu_exceeded(ctx, 0, tot + sizeof(*iph)))
		return XLB_FAST_NO;

	now = conn_now();
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
