/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: map contract of the backend-side decapsulator (xlb_decap.bpf.o)
 *
 * Shared by bpf/xlb_decap.bpf.c and userspace (backend_host.c, the packet
 * tests, the benchmark). Same rules as maps/xlb_maps.h: fixed-width types,
 * network order in __be fields, explicit padding, sizes checked.
 *
 * Maps (pinned under the backend host's pin dir, default
 * /sys/fs/bpf/xlb-decap/, by "xlbctl backend-host setup"):
 *
 * ================ ============= ============================= ========
 * name             type          key -> value                  entries
 * ================ ============= ============================= ========
 * xlb_decap_local  HASH          xlb_decap_addr -> xlb_decap_val  256
 * xlb_decap_vips   HASH          xlb_decap_addr -> xlb_decap_val  1024
 * xlb_decap_sources LPM_TRIE    xlb_decap_prefix -> xlb_decap_val 256
 * xlb_decap_cfg    ARRAY         0 -> xlb_decap_cfg             1
 * xlb_decap_stats_v2 PERCPU_ARRAY 0 -> xlb_decap_stats          1
 * ================ ============= ============================= ========
 *
 * A tunnelled packet is decapsulated only when its outer destination is in
 * xlb_decap_local AND its inner destination is in xlb_decap_vips AND, when
 * the source check is on (XLB_DECAP_F_SOURCES in xlb_decap_cfg), its outer
 * source is inside a prefix of xlb_decap_sources (the balancers' LB source
 * addresses); anything else goes to the stack untouched.
 *
 * Memory: the hash maps take about (key + value + ~50 bytes) per entry
 * allocated up front: xlb_decap_local ~20 KiB, xlb_decap_vips ~80 KiB; the
 * trie allocates per entry (~100 bytes); the counters 8 * 13 bytes per CPU.
 *
 * v2 of the counters: XLB_DC_PASS_NOT_SOURCE was added (a pin of the older
 * layout is not reused: set the host up again).
 */
#ifndef XLB_DECAP_H
#define XLB_DECAP_H

#include <linux/types.h>

#include "xlb_maps.h"

#define XLB_DECAP_MAX_LOCAL   256
#define XLB_DECAP_MAX_VIPS    1024
#define XLB_DECAP_MAX_SOURCES 256

#define XLB_DECAP_PROG_NAME "xlb_decap" /* SEC("xdp") function name */
#define XLB_DECAP_PIN_DIR   "/sys/fs/bpf/xlb-decap"

#define XLB_MAP_DECAP_LOCAL   "xlb_decap_local"
#define XLB_MAP_DECAP_VIPS    "xlb_decap_vips"
#define XLB_MAP_DECAP_SOURCES "xlb_decap_sources"
#define XLB_MAP_DECAP_CFG     "xlb_decap_cfg"
#define XLB_MAP_DECAP_STATS   "xlb_decap_stats_v2"

/**
 * struct xlb_decap_addr - key of xlb_decap_local and xlb_decap_vips
 * @addr: the address, network order; IPv4 in addr[0], addr[1..3] zero
 * @family: XLB_AF_INET or XLB_AF_INET6
 * @pad: zero
 */
struct xlb_decap_addr {
	__be32 addr[4];
	__u8 family;
	__u8 pad[3];
};
_Static_assert(sizeof(struct xlb_decap_addr) == 20, "xlb_decap_addr size");

/**
 * struct xlb_decap_val - value of xlb_decap_local and xlb_decap_vips
 * @flags: reserved, zero
 * @pad: zero
 */
struct xlb_decap_val {
	__u32 flags;
	__u32 pad;
};
_Static_assert(sizeof(struct xlb_decap_val) == 8, "xlb_decap_val size");

/**
 * struct xlb_decap_prefix - key of xlb_decap_sources (an LPM trie)
 * @prefixlen: bits that must match, counted from @family: 32 + the prefix
 *             length of the address (the family and pad bytes always match)
 * @family: XLB_AF_INET or XLB_AF_INET6
 * @pad: zero
 * @addr: the prefix, network order, host bits zero; IPv4 in addr[0]
 */
struct xlb_decap_prefix {
	__u32 prefixlen;
	__u8 family;
	__u8 pad[3];
	__be32 addr[4];
};
_Static_assert(sizeof(struct xlb_decap_prefix) == 24, "xlb_decap_prefix size");

#define XLB_DECAP_F_SOURCES 0x1 /* check the outer source (xlb_decap_cfg) */

/**
 * struct xlb_decap_cfg - xlb_decap_cfg[0], the program's switches
 * @flags: XLB_DECAP_F_*
 * @gue_port: UDP port (network order) on which GUE (variant 1, or variant
 *            0 carrying IPIP / IPv6) is taken as a tunnel; 0 means
 *            XLB_GUE_DEFAULT_PORT (6080). Counted as the IP-in-IP of the
 *            same outer and inner family (decap_ipip, ...).
 * @pad: zero
 */
struct xlb_decap_cfg {
	__u32 flags;
	__be16 gue_port;
	__u16 pad;
};
_Static_assert(sizeof(struct xlb_decap_cfg) == 8, "xlb_decap_cfg size");

/* enum xlb_decap_counter - xlb_decap_stats.c[]: what became of a packet */
enum xlb_decap_counter {
	XLB_DC_DECAP_IPIP = 0, /* IPv4 in IPv4 stripped, inner passed */
	XLB_DC_DECAP_4IN6, /* IPv4 in IPv6 stripped */
	XLB_DC_DECAP_IP6IP6, /* IPv6 in IPv6 stripped */
	XLB_DC_DECAP_6IN4, /* IPv6 in IPv4 (protocol 41) stripped */
	XLB_DC_PASS_NOT_IP, /* not IPv4/IPv6 (ARP, ...) or runt frame */
	XLB_DC_PASS_NOT_TUNNEL, /* IP, but not IPIP/IPv6 as next protocol */
	XLB_DC_PASS_NOT_LOCAL, /* tunnel whose outer dst is not ours */
	XLB_DC_PASS_NOT_SOURCE, /* to us, from a source not allowed */
	XLB_DC_PASS_NOT_VIP, /* tunnel to us whose inner dst is no VIP */
	XLB_DC_PASS_FRAGMENT, /* outer header is a fragment: the stack's */
	XLB_DC_PASS_MALFORMED, /* outer or inner header bad or truncated */
	XLB_DC_PASS_ERROR, /* could not move the packet head */
	XLB_DC_MAX,
};

#define XLB_DECAP_COUNTER_NAMES                                             \
	{                                                                   \
		"decap_ipip", "decap_4in6", "decap_ip6ip6", "decap_6in4",   \
			"pass_not_ip", "pass_not_tunnel", "pass_not_local", \
			"pass_not_source", "pass_not_vip", "pass_fragment", \
			"pass_malformed", "pass_error",                     \
	}

/** struct xlb_decap_stats - per-CPU counters (xlb_decap_stats_v2[0]) */
struct xlb_decap_stats {
	__u64 c[XLB_DC_MAX];
	__u64 decap_bytes; /* bytes of the frames decapsulated, as received */
};
_Static_assert(sizeof(struct xlb_decap_stats) == 8 * (XLB_DC_MAX + 1),
	       "xlb_decap_stats size");

#endif /* XLB_DECAP_H */
