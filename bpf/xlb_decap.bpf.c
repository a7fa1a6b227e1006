// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlb_decap.bpf.c - the decapsulator of a backend host
 *
 * XDP on a backend's interface, for kernels without ipip/ip6tnl. The
 * balancer (xlb.bpf.c) sends client packets here inside IPIP, IP6IP6,
 * IPv4-in-IPv6 or IPv6-in-IPv4; this program strips the outer header when
 * the outer destination is one of this host's addresses and the inner
 * destination is a VIP it serves, and hands the inner packet to the stack,
 * which delivers it to the service bound on the VIP (held on lo). The
 * service answers the client directly.
 *
 * Pipeline: parse (L2, outer) -> local? -> source? -> inner -> VIP? ->
 * strip -> ECN
 * -> count. Everything that does not match passes untouched and is counted
 * by reason: the host's own traffic (SSH, ARP, ND, checks) never notices
 * the program. The steps are in decap.h, the maps in maps/xlb_decap.h.
 */
#include "common.h"
#include "decap.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct hdr_cursor c = { .pos = data, .end = end };
	__u64 len = end - data;
	struct decap_pkt d = {};
	int r;

	r = decap_parse(&c, data, &d);
	if (r != XLB_DECAP_NONE)
		return decap_count(r, len);
	if (!bpf_map_lookup_elem(&xlb_decap_local, &d.outer_dst))
		return decap_count(XLB_DC_PASS_NOT_LOCAL, len);
	if (!decap_source_ok(&d))
		return decap_count(XLB_DC_PASS_NOT_SOURCE, len);
	r = decap_inner(&c, data, &d);
	if (r != XLB_DECAP_NONE)
		return decap_count(r, len);
	if (!bpf_map_lookup_elem(&xlb_decap_vips, &d.inner_dst))
		return decap_count(XLB_DC_PASS_NOT_VIP, len);
	r = decap_strip(ctx, &d);
	if (r != XLB_DECAP_NONE)
		return decap_count(r, len);
	decap_ecn(ctx, &d);
	return decap_count(d.counter, len);
}

/* XDP_PASS, the baseline of bench_decap. */
SEC("xdp")
int xlb_decap_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
