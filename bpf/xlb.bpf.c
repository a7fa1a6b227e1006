// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlb.bpf.c - the XDP balancer
 *
 * One pass per packet, read top to bottom in xlb_lb():
 *
 *   parse -> connection table -> VIP and ring -> encapsulate -> count
 *
 * Each step is a small function, and each hands the next a context it has
 * filled whole: the parsed packet (struct xlb_pkt, parse.h, which reads the
 * common untagged IPv4 TCP/UDP shape in one straight line and walks every
 * other frame), then the selection (struct xlb_sel, select.h: the flow's
 * entry, or the VIP's ring for a flow without a usable one, or the backend
 * its QUIC connection ID names, quic.h). The parse step has one fast
 * branch, fast.h: an established IPv4 flow of the common shape is
 * finished there from its fields in registers (the same steps, without the
 * filled contexts' cost), any other packet given back untouched to the
 * pipeline. A step returns XLB_NEXT to go on,
 * or the packet's XDP action, already counted. Traffic that is not for a
 * VIP goes to the stack untouched; VIP traffic that cannot be served is
 * dropped and counted by reason, and so is traffic to a VIP address that
 * no VIP serves (unless its marker says pass). The other headers: lookup.h
 * (VIPs), encap.h and gue.h (IPIP, GUE, L2), pmtu.h (a packet too big once
 * encapsulated is answered with ICMP) with ratelimit.h, icmp.h (echo, and
 * errors about a flow), stats.h. docs/datapath.md describes the hostile
 * and oversized cases, docs/datapath-perf.md the cost of each step.
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
#include "quic.h"
#include "fast.h"

char LICENSE[] SEC("license") = "GPL";

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* A step's "go on to the next step": no XDP action is negative. */
#define XLB_NEXT (-1)

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

/*
 * A fragment (first or later) has no ports to look a VIP up with. The
 * address's marker says whether fragments there are balanced, and names the
 * VIP (its protocol and port, maps/xlb_maps.h XLB_VIP_F_FRAG_BALANCE). That
 * VIP hashes (source, destination, protocol) only, so every fragment of a
 * datagram, and every packet of that client to the VIP, meets the same
 * backend. Fragments are not recorded in the connection table, nor looked
 * up in it (conn_step()): they go through the ring, as a new unfragmented
 * packet does.
 *
 * Return: XLB_NEXT with @p's ports set so that xlb_lookup_vip() finds that
 * VIP, or an XDP action.
 */
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
	return XLB_NEXT;
}

/*
 * ICMP to a VIP address: an error about a flow goes on (XLB_NEXT) with
 * @p's tuple replaced by the client's flow (icmp.h), to that flow's
 * backend; an echo request is answered here.
 */
XLB_INLINE int icmp_vip(struct xdp_md *ctx, struct xlb_pkt *p)
{
	if (!xlb_lookup_vip_addr(p))
		return xlb_pass();
	if (xlb_icmp_is_error(p))
		return xlb_icmp_flow(ctx, p) ? xlb_pass() : XLB_NEXT;
	if (xlb_icmp_echo(ctx, p) == XDP_TX) {
		xlb_count(XLB_C_ICMP_ECHO);
		return XDP_TX;
	}
	return xlb_pass();
}

/* Step 1: parse, and keep only packets to balance (TCP or UDP to a VIP, an
 * ICMP error about one, a fragment of a VIP that balances them). */
XLB_INLINE int parse_step(struct xdp_md *ctx, struct xlb_pkt *p)
{
	int r = xlb_parse(ctx, p);

	if (likely(r == XLB_P_L4))
		return XLB_NEXT;
	switch (r) {
	case XLB_P_ICMP:
		p->kind = XLB_P_ICMP;
		return icmp_vip(ctx, p);
	case XLB_P_FRAG:
		p->kind = XLB_P_FRAG;
		return frag_vip(p);
	case XLB_P_BAD:
		return not_balanceable(p, XLB_C_DROP_MALFORMED);
	case XLB_P_BAD_L4:
		return not_balanceable(p, XLB_C_DROP_BAD_L4);
	case XLB_P_UNKNOWN_L4:
		return unserved(p);
	default:
		return xlb_pass();
	}
}

/* Step 2: the connection table. An established flow needs no VIP lookup. */
XLB_INLINE void conn_step(const struct xlb_pkt *p, const struct xlb_config *cfg,
			  struct xlb_sel *s)
{
	if (unlikely(p->kind == XLB_P_FRAG))
		xlb_sel_init(s);
	else
		xlb_conn_find(p, cfg->conn_seed, s);
}

/* A new flow gets an entry: not a fragment nor an ICMP error (no flow of
 * their own), nor a TCP RST (it ends a flow rather than starting one). */
XLB_INLINE int records(const struct xlb_pkt *p)
{
	return p->kind == XLB_P_L4 &&
	       !(p->proto == IPPROTO_TCP && (p->tcp_flags & TCP_FLAG_RST_BIT));
}

/* A packet of no VIP: an ICMP error about a flow of no VIP goes to the stack
 * as it always did (icmp_type is set for those only). */
XLB_INLINE int no_vip(const struct xlb_pkt *p)
{
	return p->icmp_type ? xlb_pass() : unserved(p);
}

/*
 * xlb_quic_pick() - the backend id a QUIC packet's connection ID names
 * (quic.h xlb_quic_id()), or XLB_BACKEND_NONE
 *
 * A global function, checked once by the verifier on its own, as
 * xlb_prev_pick() (select.h) for the same reason: inlined, the states the
 * program's paths arrive with multiplied past the verifier's 1M
 * instructions (kernel 6.18, clang 14). It takes the parsed packet by
 * address: given the fields it reads as scalars instead (l4_off, proto,
 * icmp_type), the program no longer verified (1,000,001 instructions
 * processed, kernel 6.18), and the established flow gained nothing (the
 * packet stays in stack memory anyway: docs/datapath-perf.md).
 */
__noinline __u32 xlb_quic_pick(struct xdp_md *ctx, const struct xlb_pkt *p,
			       __u32 vip_id)
{
	if (!ctx || !p || p->proto != IPPROTO_UDP || p->icmp_type)
		return XLB_BACKEND_NONE;
	return xlb_quic_id(ctx, p->l4_off, vip_id);
}

/* The backend named by a QUIC connection ID into @s, if any: UDP packets
 * of a VIP with XLB_VIP_F_QUIC that are not the flow an ICMP error quotes
 * (xlb_quic_pick()). */
XLB_INLINE void quic_step(struct xdp_md *ctx, const struct xlb_pkt *p,
			  const struct xlb_vip *vip, struct xlb_sel *s)
{
	__u32 id;

	if (!(vip->flags & XLB_VIP_F_QUIC))
		return;
	id = xlb_quic_pick(ctx, p, vip->id);
	if (id == XLB_BACKEND_NONE)
		return;
	s->be = bpf_map_lookup_elem(&xlb_backends, &id);
	s->id = id;
}

/* Step 3, for a packet without a usable entry: its VIP, then the backend
 * its QUIC connection ID names (quic.h), else the ring's. */
XLB_INLINE int ring_step(struct xdp_md *ctx, const struct xlb_pkt *p,
			 const struct xlb_config *cfg, struct xlb_sel *s)
{
	struct xlb_vip *vip = xlb_lookup_vip(p);

	if (!vip)
		return no_vip(p);
	quic_step(ctx, p, vip, s);
	xlb_select_new(p, vip, cfg->hash_seed, records(p), s);
	if (!s->be)
		return xlb_drop(vip->id, XLB_C_DROP_NO_BACKEND);
	return XLB_NEXT;
}

/* IPIP (encap.h): an untagged frame, the common case, without the tagged
 * frame's saved header */
XLB_INLINE int encap_ipip(struct xdp_md *ctx, const struct xlb_pkt *p,
			  const struct xlb_backend *be,
			  const struct xlb_config *cfg)
{
	const __u8 *dmac = NULL;
	__u32 olen = 0;
	int err;

	if (p->l2_len != sizeof(struct ethhdr))
		return xlb_encap(ctx, p, be, cfg);
	err = xlb_encap_prep(be, cfg, &dmac, &olen);
	if (err)
		return err;
	return encap_untagged(ctx, p, be, cfg, dmac, olen);
}

/* Step 4: encapsulate (IPIP, GUE) or rewrite the MACs (L2), if it fits the
 * link it leaves by once encapsulated (pmtu.h answers it otherwise). */
XLB_INLINE int encap_step(struct xdp_md *ctx, const struct xlb_pkt *p,
			  const struct xlb_sel *s, const struct xlb_config *cfg)
{
	__u32 olen, mtu;
	int err;

	olen = xlb_encap_overhead(s->fwd, s->be->family);
	mtu = xlb_pmtu_exceeded(ctx, s->be->ifindex, p->l3_len + olen);
	if (unlikely(mtu))
		return xlb_too_big(ctx, p, s->vip_id, mtu - olen);
	if (likely(s->fwd == XLB_FWD_IPIP))
		err = encap_ipip(ctx, p, s->be, cfg);
	else if (s->fwd == XLB_FWD_GUE)
		err = xlb_encap_gue(ctx, p, s->be, cfg);
	else
		err = xlb_l2_rewrite(ctx, p, s->be);
	if (unlikely(err))
		return xlb_drop(s->vip_id, err);
	return XLB_NEXT;
}

/* Step 5: count, and send out of the port we got it on or the backend's. */
XLB_INLINE int send_step(struct xdp_md *ctx, const struct xlb_sel *s, __u64 len)
{
	xlb_count_fwd(s->vip_id, s->id, len, s->new_flow);
	if (s->evicted)
		xlb_count(XLB_C_CONN_EVICT);
	if (s->be->ifindex && s->be->ifindex != ctx->ingress_ifindex) {
		if (bpf_redirect(s->be->ifindex, 0) != XDP_REDIRECT)
			return xlb_drop(s->vip_id, XLB_C_DROP_REDIRECT);
		xlb_count2(XLB_C_REDIRECT, s->event);
		return XDP_REDIRECT;
	}
	xlb_count2(XLB_C_TX, s->event);
	return XDP_TX;
}

/* Without the configuration (never: an array of one) nothing is sent. */
XLB_INLINE int no_config(const struct xlb_pkt *p)
{
	struct xlb_vip *vip = xlb_lookup_vip(p);

	if (!vip)
		return no_vip(p);
	return xlb_drop(vip->id, XLB_C_DROP_NO_SOURCE);
}

SEC("xdp")
int xlb_lb(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	struct xlb_config *cfg;
	struct xlb_sel sel;
	struct xlb_pkt p;
	__u32 zero = 0;
	int act;

	/* the frame's length as a number now: clang would otherwise keep
	 * ctx->data in a 32-bit stack slot, which the verifier refuses for a
	 * packet pointer ("invalid size of register spill") */
	asm volatile("" : "+r"(len));

	cfg = bpf_map_lookup_elem(&xlb_cfg, &zero);
	/* the parse step's fast branch: an established IPv4 flow of the
	 * common shape, forwarded whole, or a new one parsed and looked up
	 * (bpf/fast.h) */
	act = xlb_fast4(ctx, cfg, &p, &sel);
	if (act == XLB_FAST_NO) {
		act = parse_step(ctx, &p);
		if (unlikely(act != XLB_NEXT))
			return act;
		if (unlikely(!cfg))
			return no_config(&p);
		conn_step(&p, cfg, &sel);
	} else if (likely(act != XLB_FAST_MISS)) {
		return act;
	}
	if (unlikely(!sel.be)) {
		act = ring_step(ctx, &p, cfg, &sel);
		if (act != XLB_NEXT)
			return act;
	}
	act = encap_step(ctx, &p, &sel, cfg);
	if (unlikely(act != XLB_NEXT))
		return act;
	return send_step(ctx, &sel, len);
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
