/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: QUIC connection-ID routing, the map contract
 *
 * A UDP VIP with XLB_VIP_F_QUIC reads a server id out of the destination
 * connection ID (DCID) of QUIC packets whose flow has no usable
 * connection-table entry, and sends the packet to the backend that
 * registered that id (bpf/quic.h, docs/datapath.md "QUIC"). This follows
 * the plaintext algorithm of QUIC-LB (draft-ietf-quic-load-balancers):
 * the server id is a fixed range of bytes of the DCID, by default right
 * after the first octet (which carries the config-rotation bits and the
 * length self-encoding, neither read here).
 *
 * ============== ============== ============================ ==============
 * name           type           key -> value                 entries
 * ============== ============== ============================ ==============
 * xlb_quic_vips  ARRAY          vip id -> xlb_quic_vip       max_vips
 * xlb_quic_ids   HASH (*)       xlb_quic_key -> xlb_quic_be  max_backends
 * xlb_quic_stats PERCPU_ARRAY   0 -> xlb_quic_stats          1
 * xlb_quic_vcnt  PERCPU_ARRAY   vip id -> xlb_quic_stats     max_vips
 * ============== ============== ============================ ==============
 *
 * (*) BPF_F_NO_PREALLOC: memory only for the ids configured (about 72
 * bytes each), not for max_backends entries.
 *
 * xlb_quic_ids holds one entry per backend with a configured id, whatever
 * its state: the program checks the backend's state itself, so a backend
 * that is down, draining or out of the ring (anything but XLB_BE_UP) never
 * gets a packet through its id; the packet goes through the ring and is
 * counted as quic_fallback.
 */
#ifndef XLB_QUIC_H
#define XLB_QUIC_H

#include <linux/types.h>

/* QUIC v1 (RFC 9000, 17.2): a connection ID is at most 20 bytes. */
#define XLB_QUIC_CID_MAX 20
/* the server id is 1 to 8 bytes (a u64), at offset 0..19 of the DCID,
 * wholly inside the first XLB_QUIC_CID_MAX bytes */
#define XLB_QUIC_ID_MAX_LEN	8
#define XLB_QUIC_DEFAULT_OFFSET 1 /* QUIC-LB: right after the first octet */

/* xlb_quic_vip.cr: check the config-rotation bits (with the value in the
 * low 3 bits) */
#define XLB_QUIC_CR_CHECK 0x80
/* QUIC-LB: config rotation 0b111 marks a connection ID as unroutable */
#define XLB_QUIC_CR_UNROUTABLE 7

/**
 * struct xlb_quic_vip - where a VIP's server ids are (xlb_quic_vips[vip id])
 * @offset: first byte of the server id in the DCID, 0..19
 * @len: bytes of the server id, 1..8; 0: the VIP does not route on it
 * @cr: 0, or XLB_QUIC_CR_CHECK | the config rotation (0..6) the DCID's
 *      first octet must carry in its top 3 bits (QUIC-LB); a DCID with
 *      others has no id here
 * @pad: zero
 */
struct xlb_quic_vip {
	__u8 offset;
	__u8 len;
	__u8 cr;
	__u8 pad;
};
_Static_assert(sizeof(struct xlb_quic_vip) == 4, "xlb_quic_vip size");

/**
 * struct xlb_quic_key - a server id of a VIP (xlb_quic_ids key)
 * @vip_id: the VIP
 * @pad: zero
 * @sid: the id's bytes read as a big-endian number (so 0x0102 is the two
 *       bytes 01 02), host order
 */
struct xlb_quic_key {
	__u32 vip_id;
	__u32 pad;
	__u64 sid;
};
_Static_assert(sizeof(struct xlb_quic_key) == 16, "xlb_quic_key size");

/**
 * struct xlb_quic_be - the backend of a server id (xlb_quic_ids value)
 * @backend: backend id (a membership of the VIP, maps/xlb_maps.h)
 * @gen: its xlb_backend.gen when written; a mismatch: not used
 */
struct xlb_quic_be {
	__u32 backend;
	__u32 gen;
};
_Static_assert(sizeof(struct xlb_quic_be) == 8, "xlb_quic_be size");

/*
 * enum xlb_quic_counter - what became of the QUIC-VIP packets that went
 * through connection-ID routing (those without a usable connection-table
 * entry); exactly one per such packet.
 */
enum xlb_quic_counter {
	XLB_QC_ROUTED = 0, /* sent to the backend its DCID names */
	XLB_QC_UNKNOWN_ID, /* the id names no backend of the VIP: ring */
	XLB_QC_FALLBACK, /* the id names a backend that is not up: ring */
	XLB_QC_NO_ID, /* no id to read: datagram or DCID shorter than the
		       * id range, or not QUIC-shaped: ring */
	XLB_QC_MAX,
};

#define XLB_QUIC_COUNTER_NAMES                                     \
	{                                                          \
		"quic_routed", "quic_unknown_id", "quic_fallback", \
			"quic_no_id",                              \
	}

/**
 * struct xlb_quic_stats - per-CPU counters: all VIPs' (xlb_quic_stats[0])
 * and each VIP's (xlb_quic_vcnt[vip id])
 */
struct xlb_quic_stats {
	__u64 c[XLB_QC_MAX];
};
_Static_assert(sizeof(struct xlb_quic_stats) == 8 * XLB_QC_MAX,
	       "xlb_quic_stats size");

#define XLB_MAP_QUIC_VIPS  "xlb_quic_vips"
#define XLB_MAP_QUIC_IDS   "xlb_quic_ids"
#define XLB_MAP_QUIC_STATS "xlb_quic_stats"
#define XLB_MAP_QUIC_VCNT  "xlb_quic_vcnt"

#endif /* XLB_QUIC_H */
