/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: QUIC connection-ID routing, the rule both sides apply
 *
 * Which backend a QUIC packet's destination connection ID (DCID) names is
 * decided by the functions below, compiled into the XDP program
 * (bpf/quic.h) and into userspace (xlb_dp_quic_pick(), which answers
 * `xlbctl flow --dcid`) from this one file, so the two cannot disagree
 * (as maps/xlb_hash.h does for the ring's hash):
 *
 * 1. xlb_quic_on(): only UDP packets of a VIP with XLB_VIP_F_QUIC whose
 *    xlb_quic_vips entry has a length;
 * 2. xlb_quic_sid(): the server id, read from the UDP payload (short or
 *    long header), or none (the ring: quic_no_id);
 * 3. xlb_quic_verdict(): its xlb_quic_ids entry and the backend it names
 *    give the outcome: that backend (quic_routed), or the ring
 *    (quic_unknown_id, quic_fallback).
 *
 * The program reads the packet itself; userspace builds the long-header
 * packet a DCID would arrive in, followed by the bytes a real QUIC packet
 * always has after it.
 */
#ifndef XLB_QUIC_RULE_H
#define XLB_QUIC_RULE_H

#include <linux/types.h>

#include "xlb_maps.h" /* and xlb_quic.h */

/* IPPROTO_UDP: from linux/in.h (BPF) or netinet/in.h (userspace), which
 * the includer has; the two cannot both be included here */

#ifndef XLB_INLINE
#define XLB_INLINE static inline __attribute__((always_inline))
#endif

/* @v, which the compiler can no longer reason about: the mask applied to
 * it afterwards stays in the code, where the verifier needs it to bound a
 * packet offset (the same as bpf/common.h's xlb_bound()) */
XLB_INLINE __u32 xlb_quic_opaque(__u32 v)
{
	__asm__ volatile("" : "+r"(v));
	return v;
}

/** xlb_quic_on() - packets of protocol @proto to @vip read their DCID */
XLB_INLINE int xlb_quic_on(const struct xlb_vip *vip, __u8 proto)
{
	return (vip->flags & XLB_VIP_F_QUIC) && proto == IPPROTO_UDP;
}

/**
 * xlb_quic_sid() - the server id in the DCID of a QUIC packet
 * @q: the first byte of the UDP payload
 * @end: the end of the datagram
 * @qv: where the id is (xlb_quic_vips)
 * @sid: result
 *
 * Short header (first bit 0): the DCID starts at byte 1; its length is not
 * in the packet, the id is read where @qv says. Long header (first bit 1):
 * version (4 bytes), DCID length, DCID; the id range must lie within that
 * length. With XLB_QUIC_CR_CHECK, the DCID's first octet must carry the
 * config rotation in its top 3 bits (QUIC-LB). One bounds check covers 8
 * bytes from the id's first byte, whatever its length: a real QUIC packet
 * always has them (its DCID is followed by a packet number and a 16-byte
 * AEAD tag); a datagram with fewer has no id. (Checking byte by byte,
 * clang turns "s + i + 1 > end" into arithmetic on end, which the verifier
 * refuses: "R5 pointer arithmetic on pkt_end prohibited", kernel 6.18,
 * clang 14.)
 *
 * Return: 0 and @sid set, or -1 when the packet holds no such id.
 */
XLB_INLINE int xlb_quic_sid(const __u8 *q, const __u8 *end,
			    const struct xlb_quic_vip *qv, __u64 *sid)
{
	__u32 off = qv->offset, len = qv->len, cr = qv->cr, i;
	const __u8 *s;
	__u64 v = 0;

	if (!len || len > XLB_QUIC_ID_MAX_LEN || off + len > XLB_QUIC_CID_MAX)
		return -1;
	if (q + 6 > end) {
		/* too short for a long header; a short one needs 1 + the
		 * id range, checked below */
		if (q + 1 > end || (q[0] & 0x80))
			return -1;
		s = q + 1;
	} else if (q[0] & 0x80) {
		/* long header: the range must be inside the DCID */
		if (off + len > q[5])
			return -1;
		s = q + 6;
	} else {
		s = q + 1;
	}
	/* QUIC-LB's config rotation: the first octet's top 3 bits */
	if (cr & XLB_QUIC_CR_CHECK) {
		if (s + 1 > end || s[0] >> 5 != (cr & 7))
			return -1;
	}
	s += xlb_quic_opaque(off) & 31;
	if (s + XLB_QUIC_ID_MAX_LEN > end)
		return -1;
#ifdef __clang__
#pragma unroll
#endif
	for (i = 0; i < XLB_QUIC_ID_MAX_LEN; i++)
		if (i < len)
			v = v << 8 | s[i];
	*sid = v;
	return 0;
}

/**
 * xlb_quic_verdict() - what a server id of VIP @vip_id decides
 * @qb: its xlb_quic_ids entry, NULL: none
 * @be: xlb_backends[@qb->backend], NULL: none (or no @qb)
 * @vip_id: the packet's VIP
 *
 * A backend of this VIP, of the same generation and up (XLB_BE_UP only: a
 * draining backend or one out of the ring takes no migrated client
 * either) gets the packet; otherwise the ring decides.
 *
 * Return: XLB_QC_ROUTED (to @qb->backend), XLB_QC_UNKNOWN_ID (the id names
 * no backend) or XLB_QC_FALLBACK (it names one that is not usable).
 */
XLB_INLINE __u32 xlb_quic_verdict(const struct xlb_quic_be *qb,
				  const struct xlb_backend *be, __u32 vip_id)
{
	if (!qb)
		return XLB_QC_UNKNOWN_ID;
	if (!be || be->gen != qb->gen || be->vip_id != vip_id ||
	    be->state != XLB_BE_UP)
		return XLB_QC_FALLBACK;
	return XLB_QC_ROUTED;
}

#endif /* XLB_QUIC_RULE_H */
