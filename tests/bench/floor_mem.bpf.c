// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the floor plus one random memory read (bench_veth.sh, floor_mem)
 *
 * floor_prog of floor.bpf.c with one thing added: before the headers are
 * written, the flow's source address and ports are hashed (two multiplies)
 * to an index into floor_tbl, an array of 128-byte entries (the size of a
 * set of xlb's IPv4 connection table), and the entry is read; the packet is
 * only sent if the entry's first word is not all ones (it never is: the
 * array is zero), so the read cannot be left out nor done after the
 * transmit. With as many entries as the connection table has sets, this is
 * what a single random access to that much memory costs on the machine,
 * with no other work of xlb's: the control for the connection table's part
 * of xlb's cost (docs/datapath-perf.md, "The veth pipeline").
 *
 * floor_mem2 reads both 64-byte lines of the entry (what xlb reads when
 * the flow is not in the set: all four ways compared) and floor_memw also
 * writes 16 bytes into it (a new flow recorded).
 *
 * veth_bench sizes floor_tbl from VETH_TBL_SETS (a power of two, default
 * 262144 sets: 32 MiB, xlb's default IPv4 table of 1M flows) and writes the
 * mask into floor_mask before the program runs.
 */
#include "floor.h"

struct floor_ent {
	__u64 w[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 262144);
	__type(key, __u32);
	__type(value, struct floor_ent);
} floor_tbl SEC(".maps");

__u32 floor_mask = 262144 - 1;

/*
 * floor_body() - the floor, with the read (and write) of the flow's entry;
 * @lines: 64-byte lines of the entry read (1 or 2); @write: also store 16
 * bytes into it, as xlb does when it records a new flow
 */
static __always_inline int floor_body(struct xdp_md *ctx, int lines, int write)
{
	void *data, *end;
	struct ethhdr *eth, *old;
	struct iphdr *ip, *in;
	struct floor_ent *e;
	__u32 x;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	old = data + sizeof(struct iphdr);
	ip = (void *)(eth + 1);
	in = (void *)(old + 1);
	if ((void *)(in + 1) + sizeof(__u32) > end)
		return XDP_ABORTED;
	if (old->h_proto != bpf_htons(ETH_P_IP))
		return XDP_ABORTED;

	/* the flow's entry: source address and both ports, hashed */
	x = in->saddr ^ *(__u32 *)(in + 1);
	x *= 0x9e3779b1;
	x ^= x >> 16;
	x *= 0x85ebca6b;
	x ^= x >> 13;
	x &= floor_mask;
	e = bpf_map_lookup_elem(&floor_tbl, &x);
	if (!e || e->w[0] == ~0ULL)
		return XDP_ABORTED;
	if (lines > 1 && e->w[8] == ~0ULL)
		return XDP_ABORTED;
	if (write) {
		e->w[2] = in->saddr;
		e->w[3] = x;
	}

	return floor_put(eth, old, ip, in);
}

/* one line of the entry read: an established flow found in its set's
 * first line */
SEC("xdp")
int floor_mem(struct xdp_md *ctx)
{
	return floor_body(ctx, 1, 0);
}

/* both lines read: a set's four ways compared, as for a flow not there */
SEC("xdp")
int floor_mem2(struct xdp_md *ctx)
{
	return floor_body(ctx, 2, 0);
}

/* both lines read and 16 bytes written: a new flow recorded */
SEC("xdp")
int floor_memw(struct xdp_md *ctx)
{
	return floor_body(ctx, 2, 1);
}

char LICENSE[] SEC("license") = "GPL";
