// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlb.bpf.c - the XDP balancer
 *
 * One pass per packet: parse -> connection table (-> VIP lookup and ring for
 * a new flow) -> encap -> count -> XDP_TX (or XDP_REDIRECT to the backend's
 * egress port). Traffic
 * that is not for a VIP goes to the stack untouched; VIP traffic that cannot
 * be served is dropped and counted by reason, and so is traffic to a VIP
 * address that no VIP serves (unless its marker says pass). Each step is
 * one header: parse.h, lookup.h, select.h, encap.h, icmp.h, stats.h, and
 * pmtu.h (a packet too big once encapsulated is answered with ICMP) with
 * ratelimit.h. Before all of them, fast.h forwards the common packet of an
 * established IPv4 flow in one straight line. docs/datapath.md describes
 * the hostile and oversized cases.
 */
#include "common.h"
#include "maps.bpf.h"
#include "parse.h"
#include "lookup.h"
#include "select.h"
#include "encap.h"
#include "gue.h"
#include "icmp.h"
#include "stats.h"
#include "pmtu.h"
#include "fast.h"
#include "quic.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Traffic to a VIP address that no VIP serves (another port or protocol):
 * dropped, unless the address's marker lets it through to the stack.
 */
XLB_INLINE int unserved(const struct xlb_pkt *p)
{
	struct xlb_vip *marker = xlb_lookup_vip_addr(p);

	if (!marker || (marker->flags & XLB_VIP_F_UNSERVED_PASS))
		return xlb_pass();
	return xlb_drop(marker->id, XLB_C_DROP_UNSERVED);
}

/* VIP traffic that has no port to balance on: drop if the address is a VIP. */
XLB_INLINE int not_balanceable(const struct xlb_pkt *p, __u32 reason)
{
	struct xlb_vip *marker = xlb_lookup_vip_addr(p);

	if (!marker)
		return xlb_pass();
	return xlb_drop(marker->id, reason);
}

/**
 * balance_sel() - select a backend, encapsulate, count, send
 * @record: whether a new flow goes into the connection table
 * @sel: the selection so far
 * @looked_up: the connection table was already looked up (by xlb_fast4(),
 *             which found no entry): @sel has the flow's set
 *
 * The connection table comes first: an established flow needs no VIP
 * lookup (bpf/select.h).
 */
XLB_INLINE int balance_sel(struct xdp_md *ctx, struct xlb_pkt *p, __u64 len,
			   int record, struct xlb_sel *sel, int looked_up)
{
	struct xlb_config *cfg;
	struct xlb_vip *vip;
	__u32 zero = 0, olen, mtu;
	int err;

	cfg = bpf_map_lookup_elem(&xlb_cfg, &zero);
	if (!looked_up)
		xlb_conn_find(p, cfg ? cfg->conn_seed : 0, sel);
	if (!sel->be) {
		vip = xlb_lookup_vip(p);
		/* an ICMP error about a flow of no VIP goes to the stack as
		 * it always did (icmp_type is set for those only) */
		if (!vip)
			return p->icmp_type ? xlb_pass() : unserved(p);
		if (!cfg)
			return xlb_drop(vip->id, XLB_C_DROP_NO_SOURCE);
		xlb_quic_select(ctx, p, vip, sel); /* bpf/quic.h */
		xlb_select_new(p, vip, cfg->hash_seed, record, sel);
		if (!sel->be)
			return xlb_drop(vip->id, XLB_C_DROP_NO_BACKEND);
	}
	if (!cfg)
		return xlb_drop(sel->vip_id, XLB_C_DROP_NO_SOURCE);

	/* Will it fit the link it leaves by? (bpf/pmtu.h) */
	olen = xlb_encap_overhead(sel->fwd, sel->be->family);
	mtu = xlb_pmtu_exceeded(ctx, sel->be->ifindex, p->l3_len + olen);
	if (mtu)
		return xlb_too_big(ctx, p, sel->vip_id, mtu - olen);

	if (sel->fwd == XLB_FWD_L2)
		err = xlb_l2_rewrite(ctx, p, sel->be);
	else if (sel->fwd == XLB_FWD_GUE)
		err = xlb_encap_gue(ctx, p, sel->be, cfg);
	else
		err = xlb_encap(ctx, p, sel->be, cfg);
	if (err)
		return xlb_drop(sel->vip_id, err);

	xlb_count_fwd(sel->vip_id, sel->id, len, sel->new_flow);
	if (sel->evicted)
		xlb_count(XLB_C_CONN_EVICT);
	if (sel->be->ifindex && sel->be->ifindex != ctx->ingress_ifindex) {
		if (bpf_redirect(sel->be->ifindex, 0) != XDP_REDIRECT)
			return xlb_drop(sel->vip_id, XLB_C_DROP_REDIRECT);
		xlb_count2(XLB_C_REDIRECT, sel->event);
		return XDP_REDIRECT;
	}
	xlb_count2(XLB_C_TX, sel->event);
	return XDP_TX;
}

XLB_INLINE int balance(struct xdp_md *ctx, struct xlb_pkt *p, __u64 len,
		       int record)
{
	struct xlb_sel sel = {};

	return balance_sel(ctx, p, len, record, &sel, 0);
}

/*
 * A fragment (first or later) has no ports to look a VIP up with. The
 * address's marker says whether fragments there are balanced, and names the
 * VIP (its protocol and port, maps/xlb_maps.h XLB_VIP_F_FRAG_BALANCE). That
 * VIP hashes (source, destination, protocol) only, so every fragment of a
 * datagram, and every packet of that client to the VIP, meets the same
 * backend. Fragments are not recorded in the connection table, nor looked
 * up in it: they go through the ring, as a new unfragmented packet does.
 *
 * Return: an XDP action, or XLB_FRAG_BALANCE with @p's ports set so that
 * xlb_lookup_vip() finds that VIP (the caller then balances it: one copy of
 * balance_sel() in the program, not two).
 */
#define XLB_FRAG_BALANCE (-3) /* not an XDP action nor an XLB_FAST_* */

XLB_INLINE int frag_vip(struct xlb_pkt *p)
{
	struct xlb_vip *marker = xlb_lookup_vip_addr(p);
	__u32 key;

	if (!marker)
		return xlb_pass();
	key = marker->ring_size;
	if (!(marker->flags & XLB_VIP_F_FRAG_BALANCE) || key >> 16 != p->proto)
		return xlb_drop(marker->id, XLB_C_DROP_FRAGMENT);
	p->sport = 0;
	p->dport = bpf_htons(key & 0xffff);
	xlb_count(XLB_C_FRAG_BALANCED);
	return XLB_FRAG_BALANCE;
}

XLB_INLINE int handle_icmp(struct xdp_md *ctx, struct xlb_pkt *p, __u64 len)
{
	if (!xlb_lookup_vip_addr(p))
		return xlb_pass();
	if (xlb_icmp_is_error(p)) {
		if (xlb_icmp_flow(ctx, p))
			return xlb_pass();
		return balance(ctx, p, len, 0);
	}
	if (xlb_icmp_echo(ctx, p) == XDP_TX) {
		xlb_count(XLB_C_ICMP_ECHO);
		return XDP_TX;
	}
	return xlb_pass();
}

SEC("xdp")
int xlb_lb(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	struct xlb_sel sel;
	struct xlb_pkt p;
	int act;

	/* p and sel are filled by xlb_fast4() on XLB_FAST_MISS only: the fast
	 * path does not pay for clearing them. Clang keeps their fields in
	 * registers; if a change makes it copy a field that is still unset,
	 * the verifier refuses the program ("R1 !read_ok", every test then
	 * fails to load it). An empty asm taking &p and &sel with a memory
	 * clobber keeps them in memory and cures that, for about 0.06x of
	 * the baseline on established_v4 (measured with a second fast path,
	 * for IPv6, which hit this; not kept: docs/datapath-perf.md). */
	act = xlb_fast4(ctx, &p, &sel);
	if (act == XLB_FAST_NO) {
		__builtin_memset(&p, 0, sizeof(p));
		__builtin_memset(&sel, 0, sizeof(sel));
		switch (xlb_parse(ctx, &p)) {
		case XLB_P_L4:
			break;
		case XLB_P_ICMP:
			return handle_icmp(ctx, &p, len);
		case XLB_P_FRAG:
			act = frag_vip(&p);
			if (act != XLB_FRAG_BALANCE)
				return act;
			break;
		case XLB_P_BAD:
			return not_balanceable(&p, XLB_C_DROP_MALFORMED);
		case XLB_P_BAD_L4:
			return not_balanceable(&p, XLB_C_DROP_BAD_L4);
		case XLB_P_UNKNOWN_L4:
			return unserved(&p);
		default:
			return xlb_pass();
		}
	} else if (act != XLB_FAST_MISS) {
		return act;
	}

	/* a fragment (act XLB_FRAG_BALANCE) is neither looked up in the
	 * connection table nor recorded */
	return balance_sel(
		ctx, &p, len,
		act != XLB_FRAG_BALANCE && !(p.proto == IPPROTO_TCP &&
					     (p.tcp_flags & TCP_FLAG_RST_BIT)),
		&sel, act == XLB_FAST_MISS || act == XLB_FRAG_BALANCE);
}

/* An XDP_PASS program, the baseline of the benchmark and the peer program
 * that lets XDP_TX frames arrive on a veth (tests/README.md, "XDP_TX on a
 * veth"). */
SEC("xdp")
int xlb_pass_prog(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
