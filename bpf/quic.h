/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: QUIC connection-ID routing
 *
 * For a UDP VIP with XLB_VIP_F_QUIC, a packet that found no usable
 * connection-table entry (a new 5-tuple: a new connection, a client that
 * migrated or was re-bound by a NAT, a flow that ECMP moved to this host)
 * has its destination connection ID read before the ring is asked:
 *
 * - short header (first bit 0): the DCID starts at byte 1 of the UDP
 *   payload; its length is not in the packet, the server id range from
 *   the VIP's configuration (xlb_quic_vip) is read where it would be;
 * - long header (first bit 1): version (4 bytes), DCID length byte, DCID;
 *   the range must lie within that DCID length.
 *
 * The id, read as a big-endian number, is looked up with the VIP id in
 * xlb_quic_ids. A backend of this VIP, of the same generation and up
 * (XLB_BE_UP only: a draining backend or one out of the ring takes no
 * migrated client either) gets the packet (quic_routed); otherwise the
 * ring decides, as for any UDP flow: quic_fallback when the id named a
 * backend that is not usable, quic_unknown_id when it named none (a
 * client's first Initial carries a random DCID), quic_no_id when there was
 * no id to read (truncated datagram, DCID too short). Nothing is dropped
 * for its id. Either way the choice is recorded in the connection table
 * like that of any new flow.
 *
 * Bytes are read from the packet directly, at offsets the verifier sees
 * bounded (l4_off below 0x4000, the id's offset below 32), behind one
 * bounds check for 8 bytes from the id's first byte on, whatever the id's
 * length: a datagram with fewer has no id (a real QUIC packet always has
 * them, see xlb_quic_sid() in maps/xlb_quic_rule.h, the rule userspace
 * applies too).
 */
#ifndef XLB_BPF_QUIC_H
#define XLB_BPF_QUIC_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"
#include "select.h"
#include "../maps/xlb_quic.h"
#include "../maps/xlb_quic_rule.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_quic_vip);
} xlb_quic_vips SEC(".maps");

/* Not preallocated: sized for every backend (lb.tables.max_backends, up
 * to 1M: 72 MiB preallocated), it holds only those with a quic_id, and
 * only userspace adds to it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, struct xlb_quic_key);
	__type(value, struct xlb_quic_be);
} xlb_quic_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_quic_stats);
} xlb_quic_stats SEC(".maps");

/* The same counters per VIP (xlb_quic_vcnt[vip id]): a map of its own, so
 * no existing map changes its layout (docs/datapath.md, Maps). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_quic_stats);
} xlb_quic_vcnt SEC(".maps");

/* Frames of XDP are at most a page or so: a larger l4_off is no QUIC. */
#define XLB_QUIC_L4_MAX 0x3fff

/* one packet's outcome @c, in all VIPs' counters and in VIP @vip_id's */
XLB_INLINE void quic_count(__u32 vip_id, __u32 c)
{
	struct xlb_quic_stats *s;
	__u32 zero = 0;

	if (c >= XLB_QC_MAX)
		return;
	s = bpf_map_lookup_elem(&xlb_quic_stats, &zero);
	if (s)
		s->c[c]++;
	s = bpf_map_lookup_elem(&xlb_quic_vcnt, &vip_id);
	if (s)
		s->c[c]++;
}

/**
 * quic_read_sid() - the server id in the DCID of a QUIC packet
 * @ctx: the frame
 * @l4: the offset of its UDP header in the frame
 * @qv: where the id is
 * @sid: result
 *
 * Return: 0 and @sid set, or -1 when the packet holds no such id
 * (xlb_quic_sid(), maps/xlb_quic_rule.h).
 */
XLB_INLINE int quic_read_sid(struct xdp_md *ctx, __u32 l4,
			     const struct xlb_quic_vip *qv, __u64 *sid)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;

	if (l4 > XLB_QUIC_L4_MAX)
		return -1;
	return xlb_quic_sid(data + xlb_bound(l4, XLB_QUIC_L4_MAX) +
				    sizeof(struct udphdr),
			    end, qv, sid);
}

/**
 * xlb_quic_id() - the backend a QUIC packet's DCID names, if usable
 * @ctx: the frame
 * @l4: the offset of its UDP header in the frame
 * @vip_id: its VIP, one with XLB_VIP_F_QUIC
 *
 * Only for UDP packets (xlb_quic_on()) without a usable connection entry
 * that are not the quoted flow of an ICMP error: the caller checks. Scalars
 * in, a scalar out: the caller's parsed packet and selection stay in
 * registers (xlb.bpf.c, xlb_quic_pick()). The rule is
 * maps/xlb_quic_rule.h's, which `xlbctl flow --dcid` applies too
 * (xlb_dp_quic_pick()).
 *
 * Return: the id of an up backend of the VIP (counted quic_routed), or
 * XLB_BACKEND_NONE for the ring (counted by why).
 */
XLB_INLINE __u32 xlb_quic_id(struct xdp_md *ctx, __u32 l4, __u32 vip_id)
{
	struct xlb_quic_key k = {};
	struct xlb_backend *be = NULL;
	struct xlb_quic_vip *qv;
	struct xlb_quic_be *qb;
	__u32 c, id = XLB_BACKEND_NONE;

	qv = bpf_map_lookup_elem(&xlb_quic_vips, &vip_id);
	if (!qv || !qv->len)
		return XLB_BACKEND_NONE;
	if (quic_read_sid(ctx, l4, qv, &k.sid)) {
		quic_count(vip_id, XLB_QC_NO_ID);
		return XLB_BACKEND_NONE;
	}
	k.vip_id = vip_id;
	qb = bpf_map_lookup_elem(&xlb_quic_ids, &k);
	if (qb) {
		id = qb->backend;
		be = bpf_map_lookup_elem(&xlb_backends, &id);
	}
	c = xlb_quic_verdict(qb, be, vip_id);
	quic_count(vip_id, c);
	if (c == XLB_QC_ROUTED && qb && be)
		return id;
	return XLB_BACKEND_NONE;
}

#endif /* XLB_BPF_QUIC_H */
