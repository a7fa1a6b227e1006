/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: backend selection
 *
 * Two steps. xlb_conn_find() looks the flow up in the connection table
 * first, before any VIP lookup: an entry whose backend is still usable for
 * the VIP that made it (state up or draining, same VIP, same generation)
 * carries everything the packet needs (backend, VIP id, forwarding mode),
 * so an established flow costs one hash lookup, not two. Only packets
 * without a usable entry look up their VIP; xlb_select_new() then hashes
 * the flow into the VIP's active Maglev ring (maps/xlb_hash.h) and records
 * the choice, except for a TCP RST (which ends a flow rather than starting
 * one) and for VIPs without a connection table.
 *
 * Trusting the entry without the VIP means a VIP's established flows live
 * as long as its backend memberships do: removing a VIP must set its
 * backends' state to XLB_BE_REMOVED, which is what freeing a membership
 * does anyway (maps/xlb_maps.h).
 */
#ifndef XLB_BPF_SELECT_H
#define XLB_BPF_SELECT_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"

/**
 * struct xlb_sel - the backend of a packet
 * @be: the backend, NULL if none (yet)
 * @c: the connection entry found, usable or stale, or NULL
 * @id: backend id
 * @vip_id: VIP charged for the packet
 * @event: XLB_C_CONN_HIT, _MISS, _STALE, _NOINSERT or _INSERT_FAIL
 * @fwd: enum xlb_fwd of the VIP
 * @new_flow: picked from the ring
 */
struct xlb_sel {
	struct xlb_backend *be;
	struct xlb_conn *c;
	__u32 id;
	__u32 vip_id;
	__u32 event;
	__u8 fwd;
	__u8 new_flow;
};

/*
 * Each connection-table call sits in a function of its own. Inlined, clang
 * 14 merges the IPv4 and IPv6 calls into one call whose map depends on the
 * path; the verifier (kernel 6.18) then cannot tell the map, so instead of
 * inlining the lookup it leaves the generic helper with an indirect call:
 * ~40 ns more per established packet here. A call of our own costs ~1 ns.
 */
static __attribute__((noinline)) struct xlb_conn *
conn4_lookup(const struct xlb_conn4_key *k)
{
	return bpf_map_lookup_elem(&xlb_conn4_v2, k);
}

static __attribute__((noinline)) struct xlb_conn *
conn6_lookup(const struct xlb_conn6_key *k)
{
	return bpf_map_lookup_elem(&xlb_conn6_v2, k);
}

static __attribute__((noinline)) int conn4_insert(const struct xlb_conn4_key *k,
						  const struct xlb_conn *c)
{
	return bpf_map_update_elem(&xlb_conn4_v2, k, c, BPF_ANY);
}

static __attribute__((noinline)) int conn6_insert(const struct xlb_conn6_key *k,
						  const struct xlb_conn *c)
{
	return bpf_map_update_elem(&xlb_conn6_v2, k, c, BPF_ANY);
}

XLB_INLINE void conn4_key(const struct xlb_pkt *p, struct xlb_conn4_key *k)
{
	k->src = p->src[0];
	k->dst = p->dst[0];
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
}

XLB_INLINE void conn6_key(const struct xlb_pkt *p, struct xlb_conn6_key *k)
{
	__builtin_memcpy(k->src, p->src, 16);
	__builtin_memcpy(k->dst, p->dst, 16);
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
}

XLB_INLINE int be_usable(const struct xlb_backend *be)
{
	return be->state == XLB_BE_UP || be->state == XLB_BE_DRAINING;
}

/**
 * xlb_conn_find() - the flow's connection entry and, if usable, its backend
 * @p: the parsed packet (its flow tuple)
 * @s: result: @s->be set on a usable entry (event XLB_C_CONN_HIT); @s->c
 *     set on any entry (a stale one is re-pointed by xlb_select_new())
 */
XLB_INLINE void xlb_conn_find(const struct xlb_pkt *p, struct xlb_sel *s)
{
	struct xlb_conn4_key k4 = {};
	struct xlb_conn6_key k6 = {};
	struct xlb_backend *be;
	struct xlb_conn *c;
	__u32 id;

	if (p->family == XLB_AF_INET) {
		conn4_key(p, &k4);
		c = conn4_lookup(&k4);
	} else {
		conn6_key(p, &k6);
		c = conn6_lookup(&k6);
	}
	s->c = c;
	s->event = XLB_C_CONN_MISS;
	if (!c)
		return;
	s->event = XLB_C_CONN_STALE;
	id = c->backend;
	be = bpf_map_lookup_elem(&xlb_backends, &id);
	if (!be || be->gen != c->gen || be->vip_id != c->vip_id ||
	    !be_usable(be))
		return;
	s->be = be;
	s->id = id;
	s->vip_id = c->vip_id;
	s->fwd = c->fwd;
	s->event = XLB_C_CONN_HIT;
}

XLB_INLINE __u64 flow_hash(const struct xlb_pkt *p, const struct xlb_vip *vip,
			   __u32 seed)
{
	__be16 sport = p->sport, dport = p->dport;

	if (vip->flags & XLB_VIP_F_SRC_ONLY)
		sport = dport = 0;
	if (p->family == XLB_AF_INET)
		return xlb_hash4(seed, p->src[0], p->dst[0], sport, dport,
				 p->proto);
	return xlb_hash6(seed, p->src, p->dst, sport, dport, p->proto);
}

/**
 * ring_pick() - the backend of a new flow from the VIP's active ring
 * Return: the backend (up or draining, of this VIP), or NULL.
 */
XLB_INLINE struct xlb_backend *ring_pick(const struct xlb_pkt *p,
					 const struct xlb_vip *vip, __u32 seed,
					 __u32 *id)
{
	struct xlb_ring_block *blk;
	struct xlb_backend *be;
	__u32 slot, idx, blkno;

	if (!vip->ring_size || vip->ring_size > ring_max)
		return NULL;
	slot = xlb_hash_slot(flow_hash(p, vip, seed), vip->ring_size);
	idx = xlb_ring_index(vip->id, vip->active & 1, ring_max, slot);
	blkno = idx / XLB_RING_BLOCK_SLOTS;
	blk = bpf_map_lookup_elem(&xlb_ring, &blkno);
	if (!blk)
		return NULL;
	*id = blk->slot[idx % XLB_RING_BLOCK_SLOTS];
	if (*id == XLB_BACKEND_NONE)
		return NULL;
	be = bpf_map_lookup_elem(&xlb_backends, id);
	if (!be || be->vip_id != vip->id || !be_usable(be))
		return NULL;
	return be;
}

/**
 * xlb_select_new() - pick the backend of a packet without a usable entry
 * @p: the parsed packet (its flow tuple)
 * @vip: its VIP
 * @seed: the hash seed
 * @record: record a new flow in the connection table
 * @s: from xlb_conn_find(); completed here (@s->be NULL: no backend)
 */
XLB_INLINE void xlb_select_new(const struct xlb_pkt *p,
			       const struct xlb_vip *vip, __u32 seed,
			       int record, struct xlb_sel *s)
{
	struct xlb_conn4_key k4 = {};
	struct xlb_conn6_key k6 = {};
	struct xlb_conn nc = {};
	int err;

	s->vip_id = vip->id;
	s->fwd = vip->fwd;
	s->be = ring_pick(p, vip, seed, &s->id);
	if (!s->be)
		return;
	s->new_flow = 1;
	if ((vip->flags & XLB_VIP_F_NO_CONN) || !record) {
		s->event = XLB_C_CONN_NOINSERT;
		return;
	}

	nc.backend = s->id;
	nc.gen = s->be->gen;
	nc.vip_id = vip->id;
	nc.fwd = vip->fwd;
	if (s->c) {
		/* Stale entry: repoint it in place, no second hash walk. The
		 * fields are written one by one: a packet of the same flow on
		 * another CPU at that instant may see a mix, which nearly
		 * always fails the checks and takes this path too. */
		s->c->backend = nc.backend;
		s->c->gen = nc.gen;
		s->c->vip_id = nc.vip_id;
		s->c->fwd = nc.fwd;
		return;
	}
	if (p->family == XLB_AF_INET) {
		conn4_key(p, &k4);
		err = conn4_insert(&k4, &nc);
	} else {
		conn6_key(p, &k6);
		err = conn6_insert(&k6, &nc);
	}
	if (err)
		s->event = XLB_C_CONN_INSERT_FAIL;
}

#endif /* XLB_BPF_SELECT_H */
