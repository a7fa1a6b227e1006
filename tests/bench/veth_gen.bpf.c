// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: traffic of the veth benchmark (bench_veth.sh): a closed loop
 *
 * veth_reflect sits on the generator's veth, facing the PoP. Every frame
 * the PoP sends back (IPIP-encapsulated by xlb or the floor program, or
 * DNATed and routed by the kernel) is turned into a new client frame and
 * sent to the PoP again with XDP_TX: the outer IPv4 header, if any, is
 * taken off, the MACs are swapped (the frame came from the PoP), and the
 * IPv4/UDP headers get the next flow's source address and port, the VIP
 * 192.0.2.10:5300 as destination, TTL 64, a fresh header checksum and no
 * UDP checksum. The script puts a few hundred datagrams into the loop once;
 * from then on they go round as fast as the slower of the two sides takes
 * them, always as XDP frames (ndo_xdp_xmit) at the PoP, as a NIC would
 * hand them over.
 *
 * Flow i of gen_cfg.flows (a power of two): source 10.200.0.0 + (i >> 14),
 * source port 1024 + (i & 16383). The counter is one plain variable: the
 * veth's NAPI runs on one CPU at a time.
 *
 * Anything else is passed to the stack. veth_sink (XDP_DROP) replaces the
 * reflector to empty the loop.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VIP	 0xc000020a /* 192.0.2.10 */
#define VIP_PORT 5300

struct gen_cfg {
	__u32 flows;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_cfg);
} gen_cfg SEC(".maps");

__u64 gen_next;

SEC("xdp")
int veth_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, *neth;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 mac[ETH_ALEN];
	struct udphdr *udp;
	struct gen_cfg *c;
	__u32 key = 0, i, *w;
	__u64 sum = 0;
	int k;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	if (ip->protocol == IPPROTO_IPIP) {
		/* the Ethernet header moves forward over the outer IPv4 one */
		neth = (void *)ip + sizeof(*ip) - sizeof(*neth);
		__builtin_memcpy(neth->h_source, eth->h_dest, ETH_ALEN);
		neth->h_proto = bpf_htons(ETH_P_IP);
		if (bpf_xdp_adjust_head(ctx, (int)sizeof(*ip)))
			return XDP_DROP;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		eth = data;
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return XDP_DROP;
	} else {
		__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	}
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	udp = (void *)(ip + 1);
	if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    (void *)(udp + 1) > end)
		return XDP_PASS;
	c = bpf_map_lookup_elem(&gen_cfg, &key);
	if (!c || !c->flows)
		return XDP_DROP;
	i = (__u32)gen_next++ & (c->flows - 1);
	ip->saddr = bpf_htonl(0x0ac80000 | (i >> 14));
	ip->daddr = bpf_htonl(VIP);
	ip->ttl = 64;
	ip->tos = 0;
	ip->check = 0;
	udp->source = bpf_htons(1024 + (i & 16383));
	udp->dest = bpf_htons(VIP_PORT);
	udp->check = 0;
	w = (__u32 *)ip;
	for (k = 0; k < 5; k++)
		sum += w[k];
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
	return XDP_TX;
}

SEC("xdp")
int veth_sink(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_DROP;
}

SEC("xdp")
int veth_pass(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
