// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the floor of an encapsulating XDP balancer (bench_veth.sh)
 *
 * Only the work no IPIP balancer can avoid: make room for one outer IPv4
 * header (bpf_xdp_adjust_head), write the Ethernet header (the MACs of the
 * received frame, swapped: back toward the router) and an outer IPv4 header
 * from a fixed LB source to a fixed backend, with its checksum, and send the
 * frame back out of the port it came in on (XDP_TX). No parsing beyond the
 * bounds check and the EtherType, no lookup of any kind, no flow state: the
 * balancer's cost per packet is compared against this.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define FLOOR_SRC 0x0a630002 /* 10.99.0.2, the PoP's address in the bench */
#define FLOOR_DST 0x0a660002 /* 10.102.0.2, the one backend */

SEC("xdp")
int floor_prog(struct xdp_md *ctx)
{
	void *data, *end;
	struct ethhdr *eth, *old;
	struct iphdr *ip, *in;
	__u32 sum, len;
	__u8 tos;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	old = data + sizeof(struct iphdr);
	ip = (void *)(eth + 1);
	in = (void *)(old + 1);
	if ((void *)(in + 1) > end)
		return XDP_ABORTED;
	if (old->h_proto != bpf_htons(ETH_P_IP))
		return XDP_ABORTED;
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

char LICENSE[] SEC("license") = "GPL";
