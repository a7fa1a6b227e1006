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
#include "floor.h"

SEC("xdp")
int floor_prog(struct xdp_md *ctx)
{
	void *data, *end;
	struct ethhdr *eth, *old;
	struct iphdr *ip, *in;

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
	return floor_put(eth, old, ip, in);
}

char LICENSE[] SEC("license") = "GPL";
