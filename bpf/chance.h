/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: second chance: the previous ring, for a window after a ring change
 *
 * Balancer hosts behind one router share no state (docs/scaling.md). A
 * connection that the router moves to another host misses that host's
 * connection table and is hashed on the ring; if the ring changed during
 * the connection's life, its slot may name another backend, which answers
 * with a reset. For a bounded window after each ring change (lb.
 * second_chance, written by xlbd into xlb_ring_prev), a TCP packet without
 * SYN that finds no entry at all takes its backend from the PREVIOUS ring
 * instead: a connection that is not opening most likely predates the
 * change. A SYN opens a connection, and takes the current ring.
 *
 * The guess is wrong for a connection opened after the change and moved
 * within the window: its SYN took the current ring, its later packets take
 * the previous one. docs/scaling.md weighs the two and says how it could be
 * made exact (the backend's decapsulator checking for a socket).
 *
 * The maps are here, not in maps.bpf.h, so the feature stays one header;
 * their layouts are in maps/xlb_maps.h. Both have max_vips entries (set by
 * userspace before load, like the others).
 */
#ifndef XLB_BPF_CHANCE_H
#define XLB_BPF_CHANCE_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"

#define XLB_TCP_FLAG_SYN 0x02

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_ring_prev);
} xlb_ring_prev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_chance_stats);
} xlb_chance_cnt SEC(".maps");

/**
 * xlb_chance_wanted() - might the packet take the previous ring?
 * @p: the packet
 * @c: its connection entry, NULL if none (a stale entry means the flow was
 *     on this host and its backend went away: the current ring is right)
 *
 * Return: true for a TCP packet without SYN and without any entry. ICMP
 * errors (icmp_type set) carry no TCP flags of their own: never.
 */
XLB_INLINE int xlb_chance_wanted(const struct xlb_pkt *p,
				 const struct xlb_conn *c)
{
	return p->proto == IPPROTO_TCP && !(p->tcp_flags & XLB_TCP_FLAG_SYN) &&
	       !p->icmp_type && !c;
}

/**
 * xlb_chance_window() - the VIP's previous ring, if its window is open
 * @vip: the packet's VIP
 *
 * Return: its xlb_ring_prev entry, or NULL (no previous ring, the window
 * is over, or the entry does not fit the VIP). Never for a VIP without a
 * connection table: there every packet misses, and a connection opened
 * after the change would have all but its SYN sent to the previous ring.
 */
XLB_INLINE struct xlb_ring_prev *xlb_chance_window(const struct xlb_vip *vip)
{
	struct xlb_ring_prev *rp;
	__u32 key = vip->id;

	if (vip->flags & XLB_VIP_F_NO_CONN)
		return NULL;
	rp = bpf_map_lookup_elem(&xlb_ring_prev, &key);
	if (!rp || !rp->until_ns || bpf_ktime_get_ns() >= rp->until_ns)
		return NULL;
	/* an entry naming the active copy would name a ring being
	 * rewritten: userspace never leaves one, but do not trust it */
	if ((rp->copy & 1) == (vip->active & 1) || !rp->ring_size ||
	    rp->ring_size > ring_max)
		return NULL;
	return rp;
}

/**
 * xlb_second_chance() - the previous ring's backend of a flow
 * @vip: the packet's VIP
 * @rp: from xlb_chance_window()
 * @hash: the flow's hash (the one the current ring was read with)
 * @id: in: the current ring's backend id (or XLB_BACKEND_NONE); out: the
 *      previous ring's, when that is returned
 *
 * For packets xlb_chance_wanted() accepted, within the window. Counted.
 * Return: the previous ring's backend when it is up or draining and of
 * this VIP; else NULL (use the current ring's).
 */
XLB_INLINE struct xlb_backend *xlb_second_chance(const struct xlb_vip *vip,
						 const struct xlb_ring_prev *rp,
						 __u64 hash, __u32 *id)
{
	struct xlb_chance_stats *st;
	struct xlb_ring_block *blk;
	struct xlb_backend *be;
	__u32 key = vip->id, idx, blkno, pid;

	idx = xlb_ring_index(vip->id, rp->copy & 1, ring_max,
			     xlb_hash_slot(hash, rp->ring_size));
	blkno = idx / XLB_RING_BLOCK_SLOTS;
	blk = bpf_map_lookup_elem(&xlb_ring, &blkno);
	if (!blk)
		return NULL;
	pid = blk->slot[idx % XLB_RING_BLOCK_SLOTS];
	if (pid == XLB_BACKEND_NONE)
		return NULL;
	be = bpf_map_lookup_elem(&xlb_backends, &pid);
	if (!be || be->vip_id != vip->id ||
	    (be->state != XLB_BE_UP && be->state != XLB_BE_DRAINING))
		return NULL;
	st = bpf_map_lookup_elem(&xlb_chance_cnt, &key);
	if (st) {
		st->hits++;
		if (pid != *id)
			st->moved++;
	}
	*id = pid;
	return be;
}

#endif /* XLB_BPF_CHANCE_H */
