// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlb_probe.bpf.c - health checks that follow the data path
 *
 * A tc egress program on the balancer's interfaces. xlbd sends via_vip
 * health checks to the VIP from sockets marked XLB_PROBE_MARK | backend id
 * (maps/xlb_probe.h); this program turns each such packet into exactly
 * what the XDP balancer would send for a client packet to that backend:
 * the same outer header (encap.h: family rules, LB source address, TTL,
 * DSCP/ECN, DF, IPv6 flow label), the same next-hop and source MACs, out
 * of the same port. The backend decapsulates it, answers from the VIP
 * straight to the LB source address, and so the check proves the whole
 * path: tunnel, decapsulation, VIP binding, service. A membership of a GUE
 * VIP (XLB_BE_F_GUE) is probed in GUE, as its VIP's traffic goes: UDP to
 * its gue_port from the source port of the probe's flow hash (gue.h), so a
 * backend that cannot take GUE on that port fails the check.
 *
 * Unmarked packets pass untouched. A marked packet that cannot be
 * encapsulated is dropped, never sent to the VIP as it is: the router
 * would bring it back to some balancer, which could pick another backend,
 * and the check would vouch for the wrong one.
 *
 * It reads the balancer's own maps (xlb_backends, xlb_cfg): userspace
 * hands it their fds (bpf_map__reuse_fd(), see userspace/lib/dp/probe.c), so
 * the two programs can never disagree about a backend.
 */
#include "common.h"
#include "parse.h"
#include "encap.h"
#include "gue.h"
#include "../maps/xlb_probe.h"

#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

/*
 * Only the two maps the probe needs (maps_shared.bpf.h); including
 * maps.bpf.h would create the balancer's big conn and ring maps a second
 * time.
 */
#include "maps_shared.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_probe_stats);
} xlb_probe_stats SEC(".maps");

XLB_INLINE int probe_count(__u32 c, int verdict)
{
	struct xlb_probe_stats *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&xlb_probe_stats, &zero);
	if (s && c < XLB_PC_MAX)
		s->c[c]++;
	return verdict;
}

/* encap.h speaks in the balancer's drop reasons; count them as ours */
XLB_INLINE int probe_drop(int xdp_reason)
{
	switch (xdp_reason) {
	case XLB_C_DROP_NO_NEXTHOP:
		return probe_count(XLB_PC_DROP_NO_NEXTHOP, TC_ACT_SHOT);
	case XLB_C_DROP_NO_SOURCE:
		return probe_count(XLB_PC_DROP_NO_SOURCE, TC_ACT_SHOT);
	default:
		return probe_count(XLB_PC_DROP_ENCAP, TC_ACT_SHOT);
	}
}

/*
 * The one's-complement sum of the inner packet for the UDP checksum of an
 * IPv6 GUE probe, as the packet will be on the wire. A probe often leaves
 * its socket with the TCP/UDP checksum still to be finished by the device
 * (checksum offload: the field holds the pseudo header's sum), so its bytes
 * cannot just be summed, as xlb_gue_inner_sum() does for XDP frames. A
 * finished L4 checksum makes the segment sum to the complement of its
 * pseudo header, and a valid IPv4 header to zero, whoever finishes them
 * (Linux's UDP tunnels rely on the same: lco_csum()). An IPv6 header is
 * summed as it is. The probe's IP header has no options or extensions
 * (a local socket's).
 */
XLB_INLINE int probe_inner_sum(const struct xlb_pkt *p, xlb_word *ip, void *end,
			       __u32 *sum)
{
	__u32 l4len = p->l3_len - (p->l4_off - p->l3_off);
	__u64 s = 0, ph;

	ph = (__u64)bpf_htonl(l4len) + bpf_htonl(p->proto) + p->src[0] +
	     p->dst[0];
	if (p->family == XLB_AF_INET6) {
		if ((void *)(ip + 10) > end)
			return -1;
		s = (__u64)ip[0] + ip[1] + ip[2] + ip[3] + ip[4] + ip[5] +
		    ip[6] + ip[7] + ip[8] + ip[9];
		ph += (__u64)p->src[1] + p->src[2] + p->src[3] + p->dst[1] +
		      p->dst[2] + p->dst[3];
	}
	ph = (ph & 0xffffffff) + (ph >> 32);
	ph = (ph & 0xffffffff) + (ph >> 32);
	s += csum_fold((__u32)ph); /* the segment: ~pseudo header */
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	*sum = (__u32)s;
	return 0;
}

/* The outer header (and UDP for GUE) at @l3, up to @end. */
XLB_INLINE int probe_outer(void *l3, void *end, const struct xlb_pkt *p,
			   const struct xlb_backend *be,
			   const struct xlb_config *cfg, int gue, __u32 u0,
			   __u32 ulen)
{
	struct ipv6hdr *o6 = l3;
	struct iphdr *o4 = l3;
	__u32 inner;

	if (be->family == XLB_AF_INET) {
		/* the probe's own IP + TCP/UDP header follow: always 8 */
		if ((void *)(o4 + 1) + sizeof(struct udphdr) > end)
			return XLB_C_DROP_ENCAP;
		if (gue)
			gue_put4(o4, p, be, cfg, u0, ulen);
		else
			xlb_outer4(o4, p, be, cfg);
		return 0;
	}
	if ((void *)(o6 + 1) + sizeof(struct udphdr) > end)
		return XLB_C_DROP_ENCAP;
	if (!gue) {
		xlb_outer6(o6, p, be, cfg);
		return 0;
	}
	gue_put6(o6, p, be, cfg, u0, ulen);
	if (probe_inner_sum(p, (void *)(o6 + 1) + sizeof(struct udphdr), end,
			    &inner))
		return XLB_C_DROP_ENCAP;
	gue_check6(o6, ulen, inner);
	return 0;
}

/**
 * probe_encap() - grow @skb by the outer header and fill it like xlb_encap()
 * (or xlb_encap_gue() for a membership of a GUE VIP)
 * Return: 0 or an XLB_C_DROP_* reason.
 */
XLB_INLINE int probe_encap(struct __sk_buff *skb, const struct xlb_pkt *p,
			   const struct xlb_backend *be,
			   const struct xlb_config *cfg)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	int gue = be->flags & XLB_BE_F_GUE;
	__u16 l2_len = p->l2_len;
	const __u8 *dmac = NULL;
	struct l2_save l2 = {};
	__u32 olen = 0, u0 = 0, ulen = 0;
	struct ethhdr *eth;
	__u64 flags;
	int err;

	err = xlb_encap_prep(be, cfg, &dmac, &olen);
	if (err)
		return err;
	if (l2_len > sizeof(struct ethhdr) + 4 * XLB_MAX_VLAN)
		return XLB_C_DROP_ENCAP;

	/* On egress our MAC is the source; the XDP program finds it in the
	 * destination of what it received. */
	save_l2(data, end, l2_len, &l2);
	eth = data;
	if ((void *)(eth + 1) > end)
		return XLB_C_DROP_ENCAP;
	__builtin_memcpy(l2.our_mac, eth->h_source, ETH_ALEN);

	/* Room between L2 and L3. The ENCAP flags set the inner header
	 * offsets and switch skb->protocol to the outer family, so checksum
	 * offload and GSO treat the packet as a tunnel packet. */
	flags = be->family == XLB_AF_INET ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 :
					    BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
	if (gue) {
		olen += sizeof(struct udphdr);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
		gue_udp_words(p, be, cfg->hash_seed, &u0, &ulen);
	}
	if (bpf_skb_adjust_room(skb, olen, BPF_ADJ_ROOM_MAC, flags))
		return XLB_C_DROP_ENCAP;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (write_l2(data, end, l2_len, dmac, src_mac_for(be, l2.our_mac), &l2,
		     be->family == XLB_AF_INET ? bpf_htons(ETH_P_IP) :
						 bpf_htons(ETH_P_IPV6)))
		return XLB_C_DROP_ENCAP;
	return probe_outer(data + xlb_bound(l2_len, 0x1f), end, p, be, cfg, gue,
			   u0, ulen);
}

SEC("tc")
int xlb_probe(struct __sk_buff *skb)
{
	struct xlb_pkt p = {};
	struct xlb_backend *be;
	struct xlb_config *cfg;
	__u32 id, zero = 0;
	int err;

	if ((skb->mark & XLB_PROBE_MARK_MASK) != XLB_PROBE_MARK)
		return TC_ACT_OK;
	id = skb->mark & XLB_PROBE_ID_MASK;
	be = bpf_map_lookup_elem(&xlb_backends, &id);
	cfg = bpf_map_lookup_elem(&xlb_cfg, &zero);
	/* A backend that is down keeps its address and next hop: it must
	 * still be checked to come back. So the state is not looked at. */
	if (!be || !cfg ||
	    (be->family != XLB_AF_INET && be->family != XLB_AF_INET6))
		return probe_count(XLB_PC_DROP_NO_BACKEND, TC_ACT_SHOT);

	/* Probe packets are small; make all of it directly readable. */
	if (bpf_skb_pull_data(skb, skb->len))
		return probe_count(XLB_PC_DROP_ENCAP, TC_ACT_SHOT);
	if (xlb_parse_buf((void *)(long)skb->data, (void *)(long)skb->data_end,
			  &p) != XLB_P_L4)
		return probe_count(XLB_PC_DROP_NOT_IP, TC_ACT_SHOT);

	err = probe_encap(skb, &p, be, cfg);
	if (err)
		return probe_drop(err);

	if (be->ifindex && be->ifindex != skb->ifindex)
		return probe_count(XLB_PC_REDIRECT,
				   bpf_redirect(be->ifindex, 0));
	return probe_count(XLB_PC_ENCAP, TC_ACT_OK);
}
