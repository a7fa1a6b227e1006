/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: backend selection
 *
 * A flow in the connection table stays on its backend while that backend is
 * usable for this VIP: state up or draining, same VIP, same generation. A
 * miss, or a stale entry, hashes the flow into the VIP's active Maglev ring
 * (maps/xlb_hash.h) and records the choice, except for a TCP RST (which
 * ends a flow rather than starting one) and for VIPs without a connection
 * table.
 */
#ifndef XLB_BPF_SELECT_H
#define XLB_BPF_SELECT_H

#include "common.h"
#include "maps.bpf.h"
#include "parse.h"

/**
 * struct xlb_sel - result of xlb_select()
 * @be: the backend, NULL if the VIP has no usable backend
 * @id: its id
 * @event: XLB_C_CONN_HIT, _MISS, _STALE or _NOINSERT
 * @new_flow: picked from the ring
 */
struct xlb_sel {
	struct xlb_backend *be;
	__u32 id;
	__u32 event;
	__u8 new_flow;
};

XLB_INLINE struct xlb_backend *backend_usable(__u32 id, __u32 gen,
					      __u32 vip_id)
{
	struct xlb_backend *be = bpf_map_lookup_elem(&xlb_backends, &id);

	if (!be || be->gen != gen || be->vip_id != vip_id)
		return NULL;
	if (be->state != XLB_BE_UP && be->state != XLB_BE_DRAINING)
		return NULL;
	return be;
}

XLB_INLINE void conn_touch(struct xlb_conn *c)
{
	__u64 now = bpf_ktime_get_coarse_ns();

	/* Write only when stale: a store per packet would bounce the line. */
	if (now - c->last_seen > XLB_CONN_TOUCH_NS)
		c->last_seen = now;
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
 * Return: the backend (up or draining), or NULL.
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
	if (!be || be->vip_id != vip->id)
		return NULL;
	if (be->state != XLB_BE_UP && be->state != XLB_BE_DRAINING)
		return NULL;
	return be;
}

/**
 * xlb_select() - pick the backend of a packet
 * @p: the parsed packet (its flow tuple)
 * @vip: its VIP
 * @seed: the hash seed
 * @record: record a new flow in the connection table
 * @s: result
 */
XLB_INLINE void xlb_select(const struct xlb_pkt *p, const struct xlb_vip *vip,
			   __u32 seed, int record, struct xlb_sel *s)
{
	struct xlb_conn4_key k4 = {};
	struct xlb_conn6_key k6 = {};
	struct xlb_conn *c = NULL;
	struct xlb_conn nc = {};
	int use_conn = !(vip->flags & XLB_VIP_F_NO_CONN);
	int err;

	s->event = XLB_C_CONN_MISS;
	if (use_conn) {
		if (p->family == XLB_AF_INET) {
			k4.src = p->src[0];
			k4.dst = p->dst[0];
			k4.sport = p->sport;
			k4.dport = p->dport;
			k4.proto = p->proto;
			c = bpf_map_lookup_elem(&xlb_conn4, &k4);
		} else {
			__builtin_memcpy(k6.src, p->src, 16);
			__builtin_memcpy(k6.dst, p->dst, 16);
			k6.sport = p->sport;
			k6.dport = p->dport;
			k6.proto = p->proto;
			c = bpf_map_lookup_elem(&xlb_conn6, &k6);
		}
		if (c) {
			s->be = backend_usable(c->backend, c->gen, vip->id);
			if (s->be) {
				s->id = c->backend;
				s->event = XLB_C_CONN_HIT;
				conn_touch(c);
				return;
			}
			s->event = XLB_C_CONN_STALE;
		}
	}

	s->be = ring_pick(p, vip, seed, &s->id);
	if (!s->be)
		return;
	s->new_flow = 1;
	if (!use_conn || !record) {
		s->event = XLB_C_CONN_NOINSERT;
		return;
	}

	nc.backend = s->id;
	nc.gen = s->be->gen;
	nc.last_seen = bpf_ktime_get_coarse_ns();
	if (c) {
		/* Stale entry: repoint it in place, no second hash walk. */
		c->backend = nc.backend;
		c->gen = nc.gen;
		c->last_seen = nc.last_seen;
		return;
	}
	if (p->family == XLB_AF_INET)
		err = bpf_map_update_elem(&xlb_conn4, &k4, &nc, BPF_ANY);
	else
		err = bpf_map_update_elem(&xlb_conn6, &k6, &nc, BPF_ANY);
	if (err)
		s->event = XLB_C_CONN_INSERT_FAIL;
}

#endif /* XLB_BPF_SELECT_H */
