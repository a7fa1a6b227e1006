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
 * one), for VIPs without a connection table, and above the per-CPU rate of
 * new entries (lb.new_flow_rate, bpf/ratelimit.h).
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
#include "ratelimit.h"
#include "chance.h"

/**
 * struct xlb_sel - the backend of a packet
 * @be: the backend, NULL if none (yet)
 * @c: the connection entry found, usable or stale, or NULL
 * @id: backend id
 * @vip_id: VIP charged for the packet
 * @event: XLB_C_CONN_HIT, _MISS, _STALE, _NOINSERT, _INSERT_FAIL or
 *         _INSERT_SKIPPED
 * @fwd: enum xlb_fwd of the VIP
 * @new_flow: picked from the ring
 * @set4: the flow's IPv4 set (NULL for IPv6 or without a table)
 * @set6: the flow's IPv6 set
 * @now: xlb_conn.seen of now
 * @evicted: the new flow's entry replaced another flow's
 */
struct xlb_sel {
	struct xlb_backend *be;
	struct xlb_conn *c;
	struct xlb_conn4_set *set4;
	struct xlb_conn6_set *set6;
	__u32 id;
	__u32 vip_id;
	__u32 event;
	__u16 now;
	__u8 fwd;
	__u8 new_flow;
	__u8 evicted;
};

/*
 * The connection tables are arrays of sets (maps/xlb_maps.h). Inlined, so
 * the verifier turns each lookup into a bounds check and an address
 * computation (the family decides which map, and the two calls stay apart:
 * the result is used differently on each side).
 */
static __always_inline struct xlb_conn4_set *conn4_set(__u32 i)
{
	return bpf_map_lookup_elem(&xlb_conn4_v3, &i);
}

static __always_inline struct xlb_conn6_set *conn6_set(__u32 i)
{
	return bpf_map_lookup_elem(&xlb_conn6_v3, &i);
}

/* now, in xlb_conn.seen units */
XLB_INLINE __u16 conn_now(void)
{
	/* jiffies: the verifier turns the call into one load on x86-64 */
	return (__u16)(bpf_jiffies64() >> XLB_CONN_SEEN_SHIFT);
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

/* the set of a flow: its seeded 5-tuple hash (maps/xlb_hash.h) */
XLB_INLINE __u32 conn_set_index(const struct xlb_pkt *p, __u32 seed)
{
	return (__u32)xlb_pkt_hash(p, seed) & (conn_sets - 1);
}

/*
 * A flow's key as the 64-bit words a way stores (struct xlb_conn4_key,
 * xlb_conn6_key), taken from the parsed packet: no key is built on the
 * stack to be compared. The last word of both keys is the ports (as stored
 * in the packet, @ports), the protocol and the padding.
 */
XLB_INLINE __u64 conn_key_tail(__u32 ports, __u8 proto)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u64)ports | (__u64)proto << 32;
#else
	return (__u64)ports << 32 | (__u64)proto << 24;
#endif
}

XLB_INLINE __u32 pkt_ports(const struct xlb_pkt *p)
{
	return *(const __u32 *)&p->sport; /* sport, dport as stored */
}

/* The way of @s holding the IPv4 key whose two 64-bit words are @k0, @k1. */
XLB_INLINE struct xlb_conn *set4_match(struct xlb_conn4_set *s, __u64 k0,
				       __u64 k1)
{
	int i;

#pragma unroll
	for (i = 0; i < XLB_CONN_WAYS; i++) {
		const __u64 *wk = (const __u64 *)&s->w[i].k;

		if (s->w[i].c.used && wk[0] == k0 && wk[1] == k1)
			return &s->w[i].c;
	}
	return NULL;
}

/* The way of @s holding the IPv6 flow of @p (its key's five words). */
XLB_INLINE struct xlb_conn *set6_match(struct xlb_conn6_set *s,
				       const struct xlb_pkt *p)
{
	const __u64 *a = (const __u64 *)p->src, *b = (const __u64 *)p->dst;
	__u64 k4 = conn_key_tail(pkt_ports(p), p->proto);
	int i;

#pragma unroll
	for (i = 0; i < XLB_CONN_WAYS; i++) {
		const __u64 *wk = (const __u64 *)&s->w[i].k;

		if (s->w[i].c.used && wk[0] == a[0] && wk[1] == a[1] &&
		    wk[2] == b[0] && wk[3] == b[1] && wk[4] == k4)
			return &s->w[i].c;
	}
	return NULL;
}

/* the way a new flow takes: a free one, else the least recently seen */
#define XLB_PICK_WAY(s, now, evicted)                                       \
	({                                                                  \
		int __i, __pick = 0, __free = 0;                            \
		__u16 __age, __oldest = 0;                                  \
		_Pragma("unroll") for (__i = 0; __i < XLB_CONN_WAYS; __i++) \
		{                                                           \
			if (!(s)->w[__i].c.used) {                          \
				__pick = __i;                               \
				__free = 1;                                 \
				break;                                      \
			}                                                   \
			__age = (__u16)((now) - (s)->w[__i].c.seen);        \
			if (__age >= __oldest) {                            \
				__oldest = __age;                           \
				__pick = __i;                               \
			}                                                   \
		}                                                           \
		*(evicted) = !__free;                                       \
		__pick &(XLB_CONN_WAYS - 1);                                \
	})

XLB_INLINE int be_usable(const struct xlb_backend *be)
{
	return be->state == XLB_BE_UP || be->state == XLB_BE_DRAINING;
}

/**
 * conn_backend() - the backend of a connection entry, if still usable for it
 * @c: the entry
 * @id: set to the backend id the entry named (read once: another CPU may
 *      re-point a stale entry meanwhile)
 *
 * Return: the backend when it is up or draining, of the VIP that made the
 * entry and of the same generation; else NULL (the entry is stale).
 */
XLB_INLINE struct xlb_backend *conn_backend(const struct xlb_conn *c, __u32 *id)
{
	struct xlb_backend *be;

	*id = c->backend;
	be = bpf_map_lookup_elem(&xlb_backends, id);
	if (!be || be->gen != c->gen || be->vip_id != c->vip_id ||
	    !be_usable(be))
		return NULL;
	return be;
}

/* The entry of an IPv4 flow, and its set in @set. */
XLB_INLINE struct xlb_conn *conn4_find(const struct xlb_pkt *p, __u32 seed,
				       struct xlb_conn4_set **set)
{
	__u64 k0;

	*set = conn4_set(conn_set_index(p, seed));
	if (!*set)
		return NULL;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k0 = (__u64)p->src[0] | (__u64)p->dst[0] << 32;
#else
	k0 = (__u64)p->src[0] << 32 | p->dst[0];
#endif
	return set4_match(*set, k0, conn_key_tail(pkt_ports(p), p->proto));
}

/* The entry of an IPv6 flow, and its set in @set. */
XLB_INLINE struct xlb_conn *conn6_find(const struct xlb_pkt *p, __u32 seed,
				       struct xlb_conn6_set **set)
{
	*set = conn6_set(conn_set_index(p, seed));
	if (!*set)
		return NULL;
	return set6_match(*set, p);
}

/**
 * xlb_sel_init() - a selection without a backend yet
 * @s: set whole: no entry, no set, event XLB_C_CONN_MISS, the time now
 */
XLB_INLINE void xlb_sel_init(struct xlb_sel *s)
{
	*s = (struct xlb_sel){ .event = XLB_C_CONN_MISS, .now = conn_now() };
}

/* The selection of an entry found (@c, usable when @be), written whole. */
XLB_INLINE void sel_found(struct xlb_sel *s, struct xlb_conn *c,
			  struct xlb_backend *be, __u32 id, __u16 now)
{
	if (!be) {
		*s = (struct xlb_sel){ .c = c,
				       .event = XLB_C_CONN_STALE,
				       .now = now };
		return;
	}
	*s = (struct xlb_sel){
		.be = be,
		.c = c,
		.id = id,
		.vip_id = c->vip_id,
		.event = XLB_C_CONN_HIT,
		.now = now,
		.fwd = c->fwd,
	};
}

/**
 * xlb_conn_find() - the flow's connection entry and, if usable, its backend
 * @p: the parsed packet (its flow tuple)
 * @seed: xlb_config.conn_seed
 * @s: set whole: @s->be on a usable entry (event XLB_C_CONN_HIT); @s->c on
 *     any entry (a stale one is re-pointed by xlb_select_new()), the
 *     flow's set (@s->set4 or @s->set6), the time now; else as
 *     xlb_sel_init() with the set
 *
 * Each outcome writes the selection once, in one place.
 */
XLB_INLINE void xlb_conn_find(const struct xlb_pkt *p, __u32 seed,
			      struct xlb_sel *s)
{
	struct xlb_conn4_set *set4 = NULL;
	struct xlb_conn6_set *set6 = NULL;
	struct xlb_backend *be;
	struct xlb_conn *c;
	__u32 id = 0;
	__u16 now;

	if (p->family == XLB_AF_INET)
		c = conn4_find(p, seed, &set4);
	else
		c = conn6_find(p, seed, &set6);
	now = conn_now();
	if (!c) {
		*s = (struct xlb_sel){ .set4 = set4,
				       .set6 = set6,
				       .event = XLB_C_CONN_MISS,
				       .now = now };
		return;
	}
	if (c->seen != now)
		c->seen = now;
	be = conn_backend(c, &id);
	sel_found(s, c, be, id, now);
	s->set4 = set4;
	s->set6 = set6;
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
 * @vip: the VIP
 * @hash: the flow's hash (flow_hash())
 * @id: set to the slot's backend id (XLB_BACKEND_NONE for an empty slot),
 *      usable or not, as the second chance counts a move against it
 *
 * Return: the backend (up or draining, of this VIP), or NULL.
 */
XLB_INLINE struct xlb_backend *ring_pick(const struct xlb_vip *vip, __u64 hash,
					 __u32 *id)
{
	struct xlb_ring_block *blk;
	struct xlb_backend *be;
	__u32 slot, idx, blkno, bid;

	if (!vip->ring_size || vip->ring_size > ring_max)
		return NULL;
	slot = xlb_hash_slot(hash, vip->ring_size);
	idx = xlb_ring_index(vip->id, vip->active & 1, ring_max, slot);
	blkno = idx / XLB_RING_BLOCK_SLOTS;
	blk = bpf_map_lookup_elem(&xlb_ring, &blkno);
	if (!blk)
		return NULL;
	bid = blk->slot[idx % XLB_RING_BLOCK_SLOTS];
	*id = bid;
	if (bid == XLB_BACKEND_NONE)
		return NULL;
	/* a local key: the caller's selection never has its address taken */
	be = bpf_map_lookup_elem(&xlb_backends, &bid);
	if (!be || be->vip_id != vip->id || !be_usable(be))
		return NULL;
	return be;
}

/*
 * xlb_prev_pick() - the previous ring's backend id of a moved connection
 * older than the ring (bpf/chance.h, lb.second_chance), or
 * XLB_BACKEND_NONE: not in the window, or no usable backend there
 * @hash: the flow's hash (the one the current ring was read with)
 * @vip_id: its VIP's id
 * @fa: its VIP's flags, and its active copy shifted by 16
 * @id: the current ring's backend id (counted as moved when it differs)
 *
 * A global function, so the verifier checks it once on its own rather
 * than once for every state the packet's path arrives with: inlined, the
 * program's states multiplied past the 1M instructions the verifier
 * processes (kernel 6.18, clang 14, with the VIP's QUIC selection inlined
 * as well). It takes scalars only: given the address of the parsed packet
 * (pipe2), clang kept the packet and the selection in stack memory on
 * every path, reloaded after each helper call. Only non-SYN TCP packets
 * without an entry call it.
 */
__noinline __u32 xlb_prev_pick(__u64 hash, __u32 vip_id, __u32 fa, __u32 id)
{
	struct xlb_vip vip = { .id = vip_id, .active = fa >> 16, .flags = fa };
	struct xlb_ring_prev *rp;

	rp = xlb_chance_window(&vip);
	if (!rp || !xlb_second_chance(&vip, rp, hash, &id))
		return XLB_BACKEND_NONE;
	return id;
}

/*
 * ring_or_prev() - the ring's backend for @p, or the previous ring's for a
 * moved connection older than the ring (xlb_prev_pick())
 */
XLB_INLINE void ring_or_prev(const struct xlb_pkt *p, const struct xlb_vip *vip,
			     __u32 seed, struct xlb_sel *s)
{
	__u64 hash = flow_hash(p, vip, seed);
	struct xlb_backend *prev;
	__u32 id = s->id;

	s->be = ring_pick(vip, hash, &id);
	s->id = id;
	if (!xlb_chance_wanted(p, s->c))
		return;
	id = xlb_prev_pick(hash, vip->id, vip->flags | (__u32)vip->active << 16,
			   id);
	if (id == XLB_BACKEND_NONE)
		return;
	prev = bpf_map_lookup_elem(&xlb_backends, &id);
	if (prev) {
		s->be = prev;
		s->id = id;
	}
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

	s->vip_id = vip->id;
	s->fwd = vip->fwd;
	if (!s->be) /* else chosen by its QUIC connection ID (quic.h) */
		ring_or_prev(p, vip, seed, s);
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
		s->c->seen = s->now;
		return;
	}
	/* SYN-flood guard (bpf/ratelimit.h): over the rate, balanced but
	 * not recorded, so established flows keep their entries */
	if (!xlb_rl_conn()) {
		s->event = XLB_C_CONN_INSERT_SKIPPED;
		return;
	}
	nc.used = 1;
	nc.seen = s->now;
	if (p->family == XLB_AF_INET) {
		struct xlb_conn4_set *set = s->set4;
		int w;

		if (!set) {
			s->event = XLB_C_CONN_INSERT_FAIL;
			return;
		}
		w = XLB_PICK_WAY(set, s->now, &s->evicted);
		conn4_key(p, &k4);
		set->w[w].c.used = 0;
		set->w[w].k = k4;
		set->w[w].c = nc;
	} else {
		struct xlb_conn6_set *set = s->set6;
		int w;

		if (!set) {
			s->event = XLB_C_CONN_INSERT_FAIL;
			return;
		}
		w = XLB_PICK_WAY(set, s->now, &s->evicted);
		conn6_key(p, &k6);
		set->w[w].c.used = 0;
		set->w[w].k = k6;
		set->w[w].c = nc;
	}
}

#endif /* XLB_BPF_SELECT_H */
