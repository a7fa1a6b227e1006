/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: counters
 *
 * Per-CPU counters, so the hot path never shares a cache line between
 * CPUs. Every packet ends in exactly one outcome counter (enum xlb_counter);
 * userspace sums the CPUs.
 */
#ifndef XLB_BPF_STATS_H
#define XLB_BPF_STATS_H

#include "common.h"
#include "maps.bpf.h"

XLB_INLINE struct xlb_global_stats *xlb_gstats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_stats_v4, &zero);
}

XLB_INLINE void xlb_count(__u32 c)
{
	struct xlb_global_stats *s = xlb_gstats();

	if (s && c < XLB_C_MAX)
		s->c[c]++;
}

/* An outcome and an event in one lookup. */
XLB_INLINE void xlb_count2(__u32 a, __u32 b)
{
	struct xlb_global_stats *s = xlb_gstats();

	if (!s)
		return;
	if (a < XLB_C_MAX)
		s->c[a]++;
	if (b < XLB_C_MAX)
		s->c[b]++;
}

XLB_INLINE int xlb_pass(void)
{
	xlb_count(XLB_C_PASS);
	return XDP_PASS;
}

/**
 * xlb_drop() - drop VIP traffic, counting the reason and the VIP
 * @vip_id: VIP to charge, or XLB_BACKEND_NONE for none
 * @reason: an XLB_C_DROP_* counter
 */
XLB_INLINE int xlb_drop(__u32 vip_id, __u32 reason)
{
	struct xlb_vip_stats *vs;

	xlb_count(reason);
	vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);
	if (vs)
		vs->drops++;
	return XDP_DROP;
}

/**
 * xlb_count_fwd() - count a packet forwarded to a backend
 * @vip_id: its VIP
 * @be_id: its backend
 * @bytes: frame length as received
 * @new_flow: picked from the ring (not the connection table)
 */
XLB_INLINE void xlb_count_fwd(__u32 vip_id, __u32 be_id, __u64 bytes,
			      int new_flow)
{
	struct xlb_vip_stats *vs;
	struct xlb_be_stats *bs;

	vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);
	if (vs) {
		vs->packets++;
		vs->bytes += bytes;
		vs->new_flows += new_flow;
	}
	bs = bpf_map_lookup_elem(&xlb_be_stats, &be_id);
	if (bs) {
		bs->packets++;
		bs->bytes += bytes;
		bs->new_flows += new_flow;
	}
}

#endif /* XLB_BPF_STATS_H */
