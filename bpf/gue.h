/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: GUE encapsulation (XLB_FWD_GUE)
 *
 * Generic UDP Encapsulation, draft-ietf-intarea-gue, variant 1: the inner
 * IPv4 or IPv6 packet directly after a UDP header (its first two bits, 01,
 * are the variant; the inner IP version tells the family). Variant 1 is
 * what Katran sends and what Linux's fou module receives on a port added
 * with `ip fou add port N gue` (gue_udp_recv() resubmits it as IPPROTO_IPIP
 * or IPPROTO_IPV6), and xlb_decap.bpf.o takes it too; it is 4 bytes shorter
 * than variant 0, which carries the same protocol number in a header of its
 * own. The backend-side decapsulator also accepts variant 0 (what a Linux
 * sender with `encap gue` emits), so either side can be the kernel.
 *
 * Outer header by the backend's family exactly as IP-in-IP (encap.h): the
 * LB source address, TTL 64, the inner DSCP/ECN, DF as the inner packet,
 * the IPv6 flow label. Then UDP: source port from the flow hash
 * (xlb_gue_sport(), maps/xlb_maps.h), destination the membership's
 * gue_port, length 8 + the inner packet. The UDP checksum is 0 over IPv4
 * (RFC 768 allows it; the inner packet carries its own checksums). Over
 * IPv6 a zero checksum is only allowed for tunnels whose receivers opt in
 * (RFC 6935/6936, Linux udp6zerocsumrx), so it is computed: the pseudo
 * header and UDP header here, the inner packet in xlb_gue_inner_sum(), a
 * global function so the verifier walks its loops once, not once per
 * caller path.
 */
#ifndef XLB_BPF_GUE_H
#define XLB_BPF_GUE_H

#include "common.h"
#include "parse.h"
#include "encap.h"

#define XLB_GUE_CSUM_CHUNK  512 /* bytes per bpf_csum_diff() call (its max) */
#define XLB_GUE_CSUM_CHUNKS 18 /* 9216 bytes: a jumbo frame */
/* Offset of the inner packet, at most: Ethernet, two VLAN tags, the outer
 * IPv6 and the UDP header (70). It was 64, and every IPv6 GUE frame behind
 * a VLAN tag (inner packet at 66 or 70) was dropped as drop_encap. */
#define XLB_GUE_INNER_OFF_MAX                                                \
	(sizeof(struct ethhdr) + 4 * XLB_MAX_VLAN + sizeof(struct ipv6hdr) + \
	 sizeof(struct udphdr))

/**
 * xlb_encap_overhead() - bytes the forwarding mode adds in front of the IP
 * packet: 0 for L2, the outer IP header for IPIP, and 8 more for GUE
 * @fwd: enum xlb_fwd
 * @family: the backend's family
 */
XLB_INLINE __u32 xlb_encap_overhead(__u8 fwd, __u8 family)
{
	__u32 ip = family == XLB_AF_INET ? sizeof(struct iphdr) :
					   sizeof(struct ipv6hdr);

	if (fwd == XLB_FWD_L2)
		return 0;
	if (fwd == XLB_FWD_GUE)
		return ip + sizeof(struct udphdr);
	return ip;
}

/**
 * xlb_gue_inner_sum() - one's-complement sum of @len bytes at @off
 * @ctx: the XDP context (the frame already encapsulated)
 * @off: offset of the inner packet in the frame
 * @len: its length
 *
 * 512-byte blocks by bpf_csum_diff(), then 32-bit words, then the last
 * bytes padded with zeros; the sum is of the bytes as stored, so it adds to
 * the other memory-order words of the checksum whatever the CPU's order.
 *
 * Return: the sum folded to 32 bits, or -1 if the frame is shorter.
 */
__attribute__((noinline)) int xlb_gue_inner_sum(struct xdp_md *ctx, __u32 off,
						__u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 sum = 0;
	__u32 t = 0;
	__u8 *pos, *tb = (__u8 *)&t;
	__u32 *w;
	int i;

	if (off > XLB_GUE_INNER_OFF_MAX)
		return -1;
	pos = data + off;
	for (i = 0; i < XLB_GUE_CSUM_CHUNKS; i++) {
		if (len < XLB_GUE_CSUM_CHUNK)
			break;
		if ((void *)(pos + XLB_GUE_CSUM_CHUNK) > end)
			return -1;
		sum += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)pos,
					    XLB_GUE_CSUM_CHUNK, 0);
		pos += XLB_GUE_CSUM_CHUNK;
		len -= XLB_GUE_CSUM_CHUNK;
	}
	if (len >= XLB_GUE_CSUM_CHUNK)
		return -1;
	w = (__u32 *)pos;
	for (i = 0; i < XLB_GUE_CSUM_CHUNK / 4; i++) {
		if (len < 4)
			break;
		/* kernel 6.18: without this barrier clang derives the trip
		 * count from pkt_end - w, arithmetic the verifier refuses
		 * ("pointer arithmetic on pkt_end prohibited") */
		asm volatile("" : "+r"(w));
		if ((void *)(w + 1) > end)
			return -1;
		sum += *w;
		w++;
		len -= 4;
	}
	pos = (__u8 *)w;
	if (len) {
		if ((void *)(pos + 1) > end)
			return -1;
		tb[0] = pos[0];
		if (len > 1) {
			if ((void *)(pos + 2) > end)
				return -1;
			tb[1] = pos[1];
		}
		if (len > 2) {
			if ((void *)(pos + 3) > end)
				return -1;
			tb[2] = pos[2];
		}
		sum += t;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	/* as 32 bits folded to 31, so the value is never negative */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (int)sum;
}

/* The UDP header's words, in memory order: ports, then length and check. */
XLB_INLINE void gue_udp_words(const struct xlb_pkt *p,
			      const struct xlb_backend *be, __u32 seed,
			      __u32 *u0, __u32 *ulen)
{
	__be16 dport = be->gue_port ?: bpf_htons(XLB_GUE_DEFAULT_PORT);
	__u64 h = xlb_pkt_hash(p, seed);

	*ulen = p->l3_len + sizeof(struct udphdr);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*u0 = (__u32)bpf_htons(xlb_gue_sport(h)) | (__u32)dport << 16;
#else
	*u0 = (__u32)xlb_gue_sport(h) << 16 | dport;
#endif
}

/*
 * The outer IPv4 and UDP headers at @o4 (bounds checked by the caller),
 * as word stores; UDP checksum 0.
 */
XLB_INLINE void gue_put4(struct iphdr *o4, const struct xlb_pkt *p,
			 const struct xlb_backend *be,
			 const struct xlb_config *cfg, __u32 u0, __u32 ulen)
{
	xlb_word *uh = (xlb_word *)(o4 + 1);
	__u32 w0, w1, w2;

	xlb_outer4_words(p->tos, ulen, p->df, IPPROTO_UDP, &w0, &w1, &w2);
	xlb_outer4_put(o4, w0, w1, w2, cfg->src4, be->addr[0]);
	uh[0] = u0;
	uh[1] = bpf_htonl(ulen << 16); /* length, check 0 */
}

/*
 * The outer IPv6 and UDP headers at @o6 (bounds checked by the caller),
 * the UDP checksum 0 until gue_check6() has the sum.
 */
XLB_INLINE void gue_put6(struct ipv6hdr *o6, const struct xlb_pkt *p,
			 const struct xlb_backend *be,
			 const struct xlb_config *cfg, __u32 u0, __u32 ulen)
{
	xlb_word *uh = (xlb_word *)(o6 + 1);

	xlb_outer6_put(o6, p, be, cfg, ulen, IPPROTO_UDP);
	uh[0] = u0;
	uh[1] = bpf_htonl(ulen << 16);
}

/*
 * The UDP checksum over IPv6 from the sum of the inner packet @inner:
 * pseudo header (addresses, UDP length, next header 17) and the UDP
 * header with its check 0, read back through xlb_word so the loads stay
 * after the stores of gue_put6() whatever the helpers' shape.
 */
XLB_INLINE void gue_check6(struct ipv6hdr *o6, __u32 ulen, __u32 inner)
{
	xlb_word *w = (xlb_word *)o6;
	xlb_word *uh = (xlb_word *)(o6 + 1);
	__u64 sum;

	sum = (__u64)w[2] + w[3] + w[4] + w[5] + w[6] + w[7] + w[8] + w[9];
	sum += bpf_htonl(ulen) + bpf_htonl(IPPROTO_UDP);
	sum += (__u64)uh[0] + uh[1] + inner; /* in 64 bits: no lost carry */
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	((struct udphdr *)uh)->check = csum_fold((__u32)sum) ?: 0xffff;
}

/**
 * xlb_encap_gue() - encapsulate the packet toward @be in GUE
 * @ctx: XDP context (the packet grows at the front)
 * @p: the parsed packet
 * @be: its backend (family, address, next hop, gue_port)
 * @cfg: LB source addresses, default next hop, the hash seed
 *
 * The IP-in-IP encapsulation of encap.h (xlb_encap_push(), the outer
 * header) with a UDP header between the outer and the inner IP header.
 *
 * Return: 0, or the XLB_C_DROP_* reason why the packet cannot be sent.
 */
XLB_INLINE int xlb_encap_gue(struct xdp_md *ctx, const struct xlb_pkt *p,
			     const struct xlb_backend *be,
			     const struct xlb_config *cfg)
{
	const __u8 *dmac = NULL;
	__u32 olen = 0, u0, ulen;
	void *end, *l3;
	struct ipv6hdr *o6;
	struct iphdr *o4;
	int err, inner;

	err = xlb_encap_prep(be, cfg, &dmac, &olen);
	if (err)
		return err;
	olen += sizeof(struct udphdr);
	gue_udp_words(p, be, cfg->hash_seed, &u0, &ulen);

	l3 = xlb_encap_push(ctx, p->l2_len, be, dmac, olen);
	if (!l3)
		return XLB_C_DROP_ENCAP;
	end = (void *)(long)ctx->data_end;
	if (be->family == XLB_AF_INET) {
		o4 = l3;
		if ((void *)(o4 + 1) + sizeof(struct udphdr) > end)
			return XLB_C_DROP_ENCAP;
		gue_put4(o4, p, be, cfg, u0, ulen);
		return 0;
	}
	o6 = l3;
	if ((void *)(o6 + 1) + sizeof(struct udphdr) > end)
		return XLB_C_DROP_ENCAP;
	gue_put6(o6, p, be, cfg, u0, ulen);
	inner = xlb_gue_inner_sum(ctx,
				  xlb_bound(p->l2_len, 0x1f) + sizeof(*o6) +
					  sizeof(struct udphdr),
				  ulen - sizeof(struct udphdr));
	if (inner < 0)
		return XLB_C_DROP_ENCAP;
	gue_check6(o6, ulen, (__u32)inner);
	return 0;
}

#endif /* XLB_BPF_GUE_H */
