/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the floor's unavoidable write (floor.bpf.c, floor_mem.bpf.c)
 *
 * Both floor programs end the same way: the Ethernet header of the frame
 * grown by one IPv4 header (the received MACs swapped: back toward the
 * router) and an outer IPv4 header from a fixed LB source to a fixed
 * backend, with its checksum, then XDP_TX.
 */
#ifndef XLB_BENCH_FLOOR_H
#define XLB_BENCH_FLOOR_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define FLOOR_SRC 0x0a630002 /* 10.99.0.2, the PoP's address in the bench */
#define FLOOR_DST 0x0a660002 /* 10.102.0.2, the one backend */

/* @eth, @ip: the new headers; @old, @in: the received ones, moved back by
 * the grown room; all bounds already checked */
static __always_inline int floor_put(struct ethhdr *eth, struct ethhdr *old,
				     struct iphdr *ip, const struct iphdr *in)
{
	__u32 sum, len;
	__u8 tos;

	__builtin_memcpy(eth->h_dest, old->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old->h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	/* The checksum from the field values (constants fold), not read
	 * back from the header just written: the loads would wait on the
	 * narrower stores (docs/datapath-perf.md). */
	tos = in->tos;
	len = bpf_ntohs(in->tot_len) + sizeof(*ip);
	sum = (0x4500 | tos) + len + 0x4000 + (64 << 8 | IPPROTO_IPIP) +
	      (FLOOR_SRC >> 16) + (FLOOR_SRC & 0xffff) + (FLOOR_DST >> 16) +
	      (FLOOR_DST & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = tos;
	ip->tot_len = bpf_htons(len);
	ip->id = 0;
	ip->frag_off = bpf_htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_IPIP;
	ip->check = bpf_htons((__u16)~sum);
	ip->saddr = bpf_htonl(FLOOR_SRC);
	ip->daddr = bpf_htonl(FLOOR_DST);
	return XDP_TX;
}

#endif /* XLB_BENCH_FLOOR_H */
