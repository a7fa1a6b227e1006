/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: health probes that follow the data path (contract)
 *
 * A health check with via_vip is sent to the VIP from a socket whose
 * SO_MARK is XLB_PROBE_MARK | backend id. The tc egress program
 * bpf/xlb_probe.bpf.c recognises the mark and encapsulates the packet to
 * xlb_backends[id] exactly as the XDP balancer encapsulates client traffic.
 * The mark layout is shared here by the program and userspace (health.c,
 * probe.c), like the map layouts in xlb_maps.h.
 *
 * The top 12 bits are a fixed prefix ("X" 0x58, then 0x1) and the low 20
 * bits the backend id: backend ids are below XLB_MAX_BACKENDS_LIMIT (2^20).
 * Hosts that use fwmarks for policy routing must keep this prefix free.
 */
#ifndef XLB_PROBE_H
#define XLB_PROBE_H

#include <linux/types.h>

#include "xlb_maps.h"

#define XLB_PROBE_MARK	    0x58100000u
#define XLB_PROBE_MARK_MASK 0xfff00000u
#define XLB_PROBE_ID_MASK   0x000fffffu

_Static_assert((XLB_PROBE_MARK & XLB_PROBE_ID_MASK) == 0, "prefix bits only");
_Static_assert((XLB_PROBE_MARK_MASK | XLB_PROBE_ID_MASK) == 0xffffffffu,
	       "mark is prefix | id");
_Static_assert(XLB_MAX_BACKENDS_LIMIT - 1 <= XLB_PROBE_ID_MASK,
	       "every backend id fits in the mark");

/* enum xlb_probe_counter - xlb_probe_stats.c[]: fate of marked packets */
enum xlb_probe_counter {
	XLB_PC_ENCAP = 0, /* encapsulated, sent on the same device */
	XLB_PC_REDIRECT, /* encapsulated, redirected to be->ifindex */
	XLB_PC_DROP_NO_BACKEND, /* id out of range or entry without family */
	XLB_PC_DROP_NOT_IP, /* marked, but not TCP/UDP over IPv4/IPv6 */
	XLB_PC_DROP_NO_NEXTHOP, /* no next-hop MAC for the backend */
	XLB_PC_DROP_NO_SOURCE, /* no LB source address for the outer family */
	XLB_PC_DROP_ENCAP, /* could not make room for the outer header */
	XLB_PC_MAX,
};

#define XLB_PROBE_COUNTER_NAMES                                            \
	{                                                                  \
		"encap", "redirect", "drop_no_backend", "drop_not_ip",     \
			"drop_no_nexthop", "drop_no_source", "drop_encap", \
	}

/** struct xlb_probe_stats - per-CPU counters (xlb_probe_stats[0]) */
struct xlb_probe_stats {
	__u64 c[XLB_PC_MAX];
};
_Static_assert(sizeof(struct xlb_probe_stats) == 8 * XLB_PC_MAX,
	       "xlb_probe_stats size");

#define XLB_MAP_PROBE_STATS "xlb_probe_stats"

#endif /* XLB_PROBE_H */
