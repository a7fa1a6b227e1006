/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: QUIC connection-ID routing maps (maps/xlb_quic.h)
 *
 * Per VIP, where its server ids are in the DCID (xlb_quic_vips); per
 * (VIP, server id), the backend membership that owns it (xlb_quic_ids);
 * and the counters of bpf/quic.h (xlb_quic_stats, and per VIP
 * xlb_quic_vcnt).
 */
#ifndef XLB_DP_QUIC_H
#define XLB_DP_QUIC_H

#include <stdbool.h>
#include <linux/types.h>

#include "dp.h"
#include "maps/xlb_quic.h"

struct xlb_bpf;

/**
 * xlb_dp_quic_vip_set() - where VIP @vip_id's server ids are
 * @qv: offset and length; a length of 0 turns the routing off
 */
int xlb_dp_quic_vip_set(struct xlb_dp *dp, __u32 vip_id,
			const struct xlb_quic_vip *qv);

/** xlb_dp_quic_id_set() - server id @sid of VIP @vip_id is backend @b */
int xlb_dp_quic_id_set(struct xlb_dp *dp, __u32 vip_id, __u64 sid,
		       const struct xlb_quic_be *b);

/** xlb_dp_quic_id_get() - the backend of a server id (-ENOENT: none) */
int xlb_dp_quic_id_get(struct xlb_dp *dp, __u32 vip_id, __u64 sid,
		       struct xlb_quic_be *b);

/**
 * xlb_dp_quic_prune() - delete VIP @vip_id's server ids that @keep refuses
 * @keep: called with each id of the VIP and its entry; NULL deletes all
 * @arg: passed to @keep
 *
 * Return: 0 or -errno.
 */
int xlb_dp_quic_prune(struct xlb_dp *dp, __u32 vip_id,
		      bool (*keep)(void *arg, __u64 sid,
				   const struct xlb_quic_be *b),
		      void *arg);

/** xlb_dp_quic_stats() - the counters of all VIPs, summed over CPUs */
int xlb_dp_quic_stats(struct xlb_dp *dp, struct xlb_quic_stats *out);

/**
 * xlb_dp_quic_stats_vip() - VIP @vip_id's counters, summed over CPUs
 * (cleared with the VIP's others, xlb_dp_stats_vip_clear())
 */
int xlb_dp_quic_stats_vip(struct xlb_dp *dp, __u32 vip_id,
			  struct xlb_quic_stats *out);

/** xlb_dp_quic_vip_get() - where VIP @vip_id's server ids are */
int xlb_dp_quic_vip_get(struct xlb_dp *dp, __u32 vip_id,
			struct xlb_quic_vip *qv);

/**
 * xlb_dp_quic_pick() - what the data path does with a QUIC packet whose
 * DCID is @dcid, of a flow of @vip without a usable connection entry
 * @vip: the VIP's entry as the program reads it (its id and flags)
 * @proto: the flow's protocol
 * @dcid: the destination connection ID, @len bytes (at most 20)
 * @sid: out, the server id read (when one was)
 * @backend: out, the backend id (when XLB_QC_ROUTED)
 *
 * The rule is the program's own (maps/xlb_quic_rule.h) over the maps it
 * reads (xlb_quic_vips, xlb_quic_ids, xlb_backends), applied to the
 * long-header packet that carries @dcid: an id range beyond @len bytes is
 * no id. (A short header does not carry the DCID's length: there the
 * range is read wherever it lies, so a DCID at least offset + length bytes
 * long gives the same answer in both.)
 *
 * Return: XLB_QC_ROUTED (to @backend), XLB_QC_UNKNOWN_ID, XLB_QC_FALLBACK
 * or XLB_QC_NO_ID (the ring decides), XLB_QC_MAX when the VIP does not
 * route on connection IDs, or -errno.
 */
int xlb_dp_quic_pick(struct xlb_dp *dp, const struct xlb_vip *vip, __u8 proto,
		     const __u8 *dcid, size_t len, __u64 *sid, __u32 *backend);

/**
 * xlb_quic_dcid_parse() - a connection ID from hex, "0x" optional
 * @hex: an even number of hex digits, at most 40 (20 bytes); "" is the
 *       empty DCID
 * @dcid: out, XLB_QUIC_CID_MAX bytes
 * @len: out, its length
 *
 * Return: 0 or -EINVAL.
 */
int xlb_quic_dcid_parse(const char *hex, __u8 *dcid, size_t *len);

/** xlb_quic_counter_name() - "quic_routed", ... */
const char *xlb_quic_counter_name(unsigned int c);

#endif /* XLB_DP_QUIC_H */
