/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: per-CPU rate limits
 *
 * Token buckets in a per-CPU array (xlb_rl), one per limit, with rates
 * from xlb_limits (maps/xlb_maps.h). Per CPU, so no packet waits on
 * another CPU's cache line; the rate a host allows is the per-CPU rate
 * times the CPUs its NIC queues spread traffic over.
 *
 * - ICMP errors the program sends (bpf/pmtu.h): at most icmp_rate per
 *   second, burst icmp_burst.
 * - New connection entries (bpf/select.h): above conn_rate per second,
 *   new flows are still balanced by the ring but not recorded, so a SYN
 *   flood cannot push established flows out of the table (the approach of
 *   Katran's LRU bypass). Established flows keep their entries; a new flow
 *   that was not recorded stays on its ring backend as long as the ring
 *   does not change.
 */
#ifndef XLB_BPF_RATELIMIT_H
#define XLB_BPF_RATELIMIT_H

#include "common.h"
#include "maps.bpf.h"

#define XLB_NSEC	   1000000000ull
#define XLB_RL_MAX_ELAPSED (10 * XLB_NSEC)

/**
 * xlb_rl_take() - take one token from a bucket
 * @ts: last refill, ns (0: never, the bucket starts full)
 * @tokens: tokens in units of 1e-9
 * @rate: tokens per second
 * @burst: bucket size, tokens
 *
 * Return: 1 if a token was taken, 0 if the bucket is empty.
 */
XLB_INLINE int xlb_rl_take(__u64 *ts, __u64 *tokens, __u32 rate, __u32 burst)
{
	__u64 now = bpf_ktime_get_ns(), el = now - *ts, t;
	__u64 cap = (__u64)burst * XLB_NSEC;

	if (el > XLB_RL_MAX_ELAPSED)
		el = XLB_RL_MAX_ELAPSED;
	t = *tokens + el * rate;
	if (t > cap)
		t = cap;
	*ts = now;
	if (t < XLB_NSEC) {
		*tokens = t;
		return 0;
	}
	*tokens = t - XLB_NSEC;
	return 1;
}

XLB_INLINE struct xlb_limits *xlb_limits_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_limits, &zero);
}

XLB_INLINE struct xlb_rl_state *xlb_rl_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_rl, &zero);
}

/* May this CPU send one more ICMP error now? */
XLB_INLINE int xlb_rl_icmp(void)
{
	struct xlb_limits *l = xlb_limits_get();
	struct xlb_rl_state *s = xlb_rl_get();
	__u32 rate = XLB_DEFAULT_ICMP_RATE, burst = XLB_DEFAULT_ICMP_BURST;

	if (!s)
		return 0;
	if (l && l->icmp_rate)
		rate = l->icmp_rate;
	if (l && l->icmp_burst)
		burst = l->icmp_burst;
	return xlb_rl_take(&s->icmp_ts, &s->icmp_tokens, rate, burst);
}

/* May this CPU record one more new flow now? */
XLB_INLINE int xlb_rl_conn(void)
{
	struct xlb_limits *l = xlb_limits_get();
	struct xlb_rl_state *s;

	if (!l || !l->conn_rate)
		return 1;
	s = xlb_rl_get();
	if (!s)
		return 1;
	return xlb_rl_take(&s->conn_ts, &s->conn_tokens, l->conn_rate,
			   l->conn_burst ? l->conn_burst : l->conn_rate);
}

#endif /* XLB_BPF_RATELIMIT_H */
