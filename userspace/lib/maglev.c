// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: Maglev ring builder
 *
 * The ring is a pure function of the set of (address, weight, usable, id)
 * tuples and the ring size, computed with integer arithmetic only: floating
 * point (log() in particular) may differ in the last bit between libm
 * versions, and two PoPs that disagree on one slot send a flow moved by ECMP
 * to two different backends.
 *
 * Base ring (weighted Maglev). Backends with weight > 0 are sorted by
 * address; each gets a permutation of the slots from a hash of its address
 * (offset, skip) and takes turns claiming its next preferred free slot, as
 * in the paper. Weights decide how often a backend takes a turn: its share
 * of the ring (quota) is fixed first, exactly proportional to its weight
 * (largest remainder, ties to the lower address), and its turns are spread
 * evenly over the rounds of the build, so heavy and light backends
 * interleave instead of the light ones filling the leftovers at the end.
 * Turns are kept in a calendar (one list per round, at most one round per
 * slot), so a build costs O(slots + backends) bookkeeping plus Maglev's own
 * probing, whatever the spread of the weights. With equal weights the
 * sequence of turns is exactly the paper's round robin, and so is the ring.
 *
 * Fallback. A slot whose base backend is not usable goes to the usable
 * base backend with the smallest -log2(u) / weight, where u is a per
 * (backend, slot) hash mapped to (0, 1]: weighted rendezvous hashing, so
 * the displaced slots spread over the others in proportion to weight, and
 * a slot's choice changes only when its chosen backend changes state.
 * -log2 is computed in 32.32 fixed point from a 64-entry table with linear
 * interpolation (error below 5e-5), and scores are compared by cross
 * multiplication, again to stay exact.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "maps/xlb_hash.h"

/* Index value meaning "no entry" in the calendar lists and the ring. */
#define MG_NONE 0xffffffffu

/* log2(1 + i/64) in 0.32 fixed point, i = 0..64 (generated with Python's
 * math.log2 and rounded; the values are part of the ring definition). */
static const __u64 log2_tab[65] = {
	0x000000000ull, 0x005b9e5a1ull, 0x00b5d69bbull, 0x010eb38a0ull,
	0x01663f6fbull, 0x01bc84241ull, 0x02118b11aull, 0x02655d3c5ull,
	0x02b803474ull, 0x0309857a0ull, 0x0359ebc5bull, 0x03a93dc98ull,
	0x03f782d72ull, 0x0444c1f6bull, 0x049101eacull, 0x04dc4933bull,
	0x05269e12full, 0x0570068e8ull, 0x05b888736ull, 0x06002958cull,
	0x0646eea24ull, 0x068cdd82aull, 0x06d1fafddull, 0x07164beb5ull,
	0x0759d4f81ull, 0x079c9aa88ull, 0x07dea15a3ull, 0x081fed45dull,
	0x086082807ull, 0x08a064fd5ull, 0x08df988f5ull, 0x091e20ea1ull,
	0x095c01a3aull, 0x09993e356ull, 0x09d5d9fd5ull, 0x0a11d83f5ull,
	0x0a4d3c25eull, 0x0a8808c38ull, 0x0ac241135ull, 0x0afbe7fa1ull,
	0x0b3500472ull, 0x0b6d8cb54ull, 0x0ba58feb2ull, 0x0bdd0c7caull,
	0x0c1404eaeull, 0x0c4a7ba58ull, 0x0c80730b0ull, 0x0cb5ed695ull,
	0x0ceaecfebull, 0x0d1f73f9cull, 0x0d53847acull, 0x0d8720936ull,
	0x0dba4a47bull, 0x0ded038e6ull, 0x0e1f4e517ull, 0x0e512c6e5ull,
	0x0e829fb69ull, 0x0eb3a9f02ull, 0x0ee44cd5aull, 0x0f148a170ull,
	0x0f446359bull, 0x0f73da38eull, 0x0fa2f045eull, 0x0fd1a708cull,
	0x100000000ull,
};

/**
 * struct mg_ent - a backend during one build
 * @addr: its address (points into the caller's array)
 * @key: hash of the address; seeds the permutation and the rendezvous
 * @offset: first slot of its permutation
 * @skip: permutation step, 1..M-1 (coprime with the prime M)
 * @pos: next slot of its permutation to try
 * @weight: its weight
 * @quota: slots it gets in the base ring
 * @taken: slots claimed so far
 * @next: next entry in the same calendar round
 * @round: round of its next turn
 * @rem: remainder of @round's division
 * @step_q: rounds between turns, integer part
 * @step_r: rounds between turns, remainder
 * @den: divisor of @rem and @step_r (2 * quota)
 * @id: value written into the ring
 * @usable: may take new flows
 */
struct mg_ent {
	const struct xlb_addr *addr;
	__u64 key;
	__u32 offset;
	__u32 skip;
	__u32 pos;
	__u32 weight;
	__u32 quota;
	__u32 taken;
	__u32 next;
	__u64 round;
	__u64 rem;
	__u64 step_q;
	__u64 step_r;
	__u64 den;
	__u32 id;
	bool usable;
};

static __u64 mulmod(__u64 a, __u64 b, __u64 m)
{
	return (__u64)((unsigned __int128)a * b % m);
}

static __u64 powmod(__u64 a, __u64 e, __u64 m)
{
	__u64 r = 1;

	a %= m;
	while (e) {
		if (e & 1)
			r = mulmod(r, a, m);
		a = mulmod(a, a, m);
		e >>= 1;
	}
	return r;
}

bool xlb_is_prime(__u32 n)
{
	/* Miller-Rabin with these bases is exact for every n < 2^32. */
	static const __u32 bases[] = { 2, 7, 61 };
	__u64 d = n - 1, x;
	unsigned int s = 0, i, r;

	if (n < 2)
		return false;
	if (n < 4)
		return true;
	if (!(n & 1))
		return false;
	while (!(d & 1)) {
		d >>= 1;
		s++;
	}
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (bases[i] % n == 0)
			continue;
		x = powmod(bases[i], d, n);
		if (x == 1 || x == n - 1)
			continue;
		for (r = 1; r < s; r++) {
			x = mulmod(x, x, n);
			if (x == n - 1)
				break;
		}
		if (r == s)
			return false;
	}
	return true;
}

/* Address bytes i..i+7 as a big-endian integer: the same on every host. */
static __u64 addr_word(const struct xlb_addr *a, unsigned int i)
{
	const __u8 *p = (const __u8 *)a->a;
	__u64 v = 0;
	unsigned int j;

	for (j = 0; j < 8; j++)
		v = v << 8 | p[i + j];
	return v;
}

static __u64 addr_key(const struct xlb_addr *a)
{
	__u64 h = xlb_hash_mix(XLB_HASH_K2, a->family);

	if (a->family == XLB_AF_INET)
		return xlb_hash_fmix(xlb_hash_mix(h, addr_word(a, 0) >> 32));
	h = xlb_hash_mix(h, addr_word(a, 0));
	return xlb_hash_fmix(xlb_hash_mix(h, addr_word(a, 8)));
}

/* IPv4 keeps only a[0]; the other words may hold anything. */
static int addr_cmp(const struct xlb_addr *a, const struct xlb_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, a->family == XLB_AF_INET ? 4 : 16);
}

static int ent_cmp(const void *x, const void *y)
{
	return addr_cmp(((const struct mg_ent *)x)->addr,
			((const struct mg_ent *)y)->addr);
}

/* 2^32 * -log2(x / 2^64) for x >= 1, from the table; 0 < result <= 64.32 */
static __u64 neg_log2_fx(__u64 x)
{
	unsigned int msb = 63 - __builtin_clzll(x);
	__u64 m = x << (63 - msb); /* 1.63 fixed point, top bit set */
	unsigned int i = (m >> 57) & 63;
	__u64 frac = (m >> 25) & 0xffffffffull;
	__u64 lo = log2_tab[i], hi = log2_tab[i + 1];

	return ((__u64)(64 - msb) << 32) - lo - (((hi - lo) * frac) >> 32);
}

/**
 * struct mg_cand - a usable base backend, as the fallback sees it
 * @key: its address hash
 * @weight: its weight
 * @rank: its place in address order (the last tie-break)
 * @id: value written into the ring
 */
struct mg_cand {
	__u64 key;
	__u32 weight;
	__u32 rank;
	__u32 id;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct mg_cand *a = x, *b = y;

	if (a->weight != b->weight)
		return a->weight < b->weight ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* u of backend @key for @slot, as a 64-bit fraction of 2^64 */
static __u64 slot_draw(__u64 key, __u32 slot)
{
	return xlb_hash_fmix(xlb_hash_mix(key, slot)) | 1;
}

/*
 * Rendezvous winner of @slot: the candidate with the smallest
 * -log2(u) / weight, then the largest u, then the lowest rank, compared by
 * cross multiplication in 128 bits (scores are below 2^39, weights 2^32).
 *
 * Within one weight the score only falls as u grows, so the winner of a
 * weight class is simply its largest u (then lowest rank) and the log is
 * taken once per class, not once per backend. @c is sorted by weight, then
 * rank; @cls holds the start of each class, @ncls of them, and c[n] ends
 * the last.
 */
static __u32 rendezvous(const struct mg_cand *c, size_t n, const size_t *cls,
			size_t ncls, __u32 slot)
{
	const struct mg_cand *best = NULL, *w;
	__u64 best_s = 0, best_x = 0, s, x, wx;
	size_t k, i, end;

	for (k = 0; k < ncls; k++) {
		end = k + 1 < ncls ? cls[k + 1] : n;
		w = &c[cls[k]];
		wx = slot_draw(w->key, slot);
		/* Strictly larger: on equal u the lower rank, seen first, stays */
		for (i = cls[k] + 1; i < end; i++) {
			x = slot_draw(c[i].key, slot);
			if (x > wx) {
				wx = x;
				w = &c[i];
			}
		}
		s = neg_log2_fx(wx);
		if (best) {
			unsigned __int128 l =
				(unsigned __int128)s * best->weight;
			unsigned __int128 r =
				(unsigned __int128)best_s * w->weight;

			if (l > r ||
			    (l == r && (wx < best_x || (wx == best_x &&
							w->rank > best->rank))))
				continue;
		}
		best = w;
		best_s = s;
		best_x = wx;
	}
	return best ? best->id : XLB_BACKEND_NONE;
}

/*
 * Replace the base backend indexes in @ring by ids, sending the slots of
 * unusable base backends to the rendezvous winner among the usable ones.
 */
static int fill_fallback(const struct mg_ent *e, size_t nb, __u32 m,
			 __u32 *ring)
{
	struct mg_cand *c = NULL;
	size_t *cls = NULL, i, nc = 0, ncls = 0;
	__u32 s;
	int err = 0;

	c = calloc(nb, sizeof(*c));
	cls = calloc(nb, sizeof(*cls));
	if (!c || !cls) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nb; i++) {
		if (!e[i].usable)
			continue;
		c[nc].key = e[i].key;
		c[nc].weight = e[i].weight;
		c[nc].rank = (__u32)i;
		c[nc].id = e[i].id;
		nc++;
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (i = 0; i < nc; i++)
		if (!i || c[i].weight != c[i - 1].weight)
			cls[ncls++] = i;
	for (s = 0; s < m; s++) {
		const struct mg_ent *o = &e[ring[s]];

		if (o->usable)
			ring[s] = o->id;
		else
			ring[s] = rendezvous(c, nc, cls, ncls, s);
	}
out:
	free(cls);
	free(c);
	return err;
}

/*
 * The build runs in R rounds, R the largest quota. A backend with quota q
 * has its turn k (k < q) at round floor((2k + 1) * R / (2q)): its turns are
 * spread evenly over the rounds, at least one round apart (q <= R), and the
 * heaviest backend has one every round. The round is kept as quotient and
 * remainder and advanced by addition: no division in the build loop.
 */
static void turns_init(struct mg_ent *e, __u64 r)
{
	__u64 den = 2 * (__u64)e->quota;

	e->den = den;
	e->round = r / den;
	e->rem = r % den;
	e->step_q = 2 * r / den;
	e->step_r = 2 * r % den;
}

static void turns_next(struct mg_ent *e)
{
	e->round += e->step_q;
	e->rem += e->step_r;
	if (e->rem >= e->den) {
		e->rem -= e->den;
		e->round++;
	}
}

struct mg_rem {
	__u64 r;
	__u32 i;
};

static int rem_cmp(const void *x, const void *y)
{
	const struct mg_rem *a = x, *b = y;

	if (a->r != b->r)
		return a->r > b->r ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * Share of the ring per backend: exact proportion to the weight, with the
 * slots left by rounding down going to the largest remainders (ties to the
 * lower address).
 */
static int set_quotas(struct mg_ent *e, size_t n, __u32 m, __u64 wsum)
{
	struct mg_rem *rem;
	__u64 given = 0;
	size_t i;

	rem = calloc(n, sizeof(*rem));
	if (!rem)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e[i].quota = (__u32)((__u64)m * e[i].weight / wsum);
		rem[i].r = (__u64)m * e[i].weight % wsum;
		rem[i].i = (__u32)i;
		given += e[i].quota;
	}
	qsort(rem, n, sizeof(*rem), rem_cmp);
	/* Fewer than n slots are left over. */
	for (i = 0; given < m; i++, given++)
		e[rem[i].i].quota++;
	free(rem);
	return 0;
}

static void cal_append(struct mg_ent *e, __u32 *head, __u32 *tail, __u32 i)
{
	__u64 d = e[i].round;

	e[i].next = MG_NONE;
	if (head[d] == MG_NONE)
		head[d] = i;
	else
		e[tail[d]].next = i;
	tail[d] = i;
}

/*
 * Fill @ring with indexes into @e (base backends, weight > 0, in address
 * order) by weighted Maglev. The calendar has one list per round; a
 * backend's next turn is always in a later round, so appending never
 * touches the list being walked.
 */
static int fill_base(struct mg_ent *e, size_t n, __u32 m, __u32 *ring)
{
	__u32 *head = NULL, *tail = NULL, i, nx, pos;
	__u64 *used = NULL;
	__u64 wsum = 0, rounds = 0, t;
	int err;

	for (i = 0; i < n; i++)
		wsum += e[i].weight;
	err = set_quotas(e, n, m, wsum);
	if (err)
		goto out;
	for (i = 0; i < n; i++)
		if (e[i].quota > rounds)
			rounds = e[i].quota;
	/* rounds >= 1: a zero-byte malloc may return NULL */
	rounds = rounds ? rounds : 1;
	head = malloc(rounds * sizeof(*head));
	tail = malloc(rounds * sizeof(*tail));
	if (!head || !tail) {
		err = -ENOMEM;
		goto out;
	}
	memset(head, 0xff, rounds * sizeof(*head));
	for (i = 0; i < n; i++) {
		if (!e[i].quota)
			continue;
		turns_init(&e[i], rounds);
		cal_append(e, head, tail, i);
	}
	/* Probing is most of the work; a bitmap of taken slots (8 KiB for
	 * the default ring) stays in L1 where the ring itself would not. */
	used = calloc(((size_t)m + 63) / 64, sizeof(*used));
	if (!used) {
		err = -ENOMEM;
		goto out;
	}
	for (t = 0; t < rounds; t++) {
		for (i = head[t]; i != MG_NONE; i = nx) {
			struct mg_ent *b = &e[i];

			nx = b->next;
			pos = b->pos;
			while (used[pos >> 6] & (1ull << (pos & 63))) {
				pos += b->skip;
				if (pos >= m)
					pos -= m;
			}
			used[pos >> 6] |= 1ull << (pos & 63);
			ring[pos] = i;
			pos += b->skip;
			b->pos = pos >= m ? pos - m : pos;
			if (++b->taken == b->quota)
				continue;
			turns_next(b);
			cal_append(e, head, tail, i);
		}
	}
out:
	free(used);
	free(head);
	free(tail);
	return err;
}

int xlb_maglev_build(const struct xlb_mg_backend *b, size_t n, __u32 ring_size,
		     __u32 *ring)
{
	struct mg_ent *e = NULL;
	size_t i, nb = 0, nu = 0;
	__u32 s, m = ring_size;
	__u64 skip;
	int err = 0;

	if (!ring || !xlb_is_prime(ring_size) || (n && !b))
		return -EINVAL;
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (b[i].addr.family != XLB_AF_INET &&
		    b[i].addr.family != XLB_AF_INET6) {
			err = -EINVAL;
			goto out;
		}
		e[i].addr = &b[i].addr;
		e[i].weight = b[i].weight;
		e[i].usable = b[i].usable;
		e[i].id = b[i].id;
	}
	/* Address order makes the result independent of the input order. */
	qsort(e, n, sizeof(*e), ent_cmp);
	for (i = 1; i < n; i++)
		if (!addr_cmp(e[i - 1].addr, e[i].addr)) {
			err = -EINVAL;
			goto out;
		}
	/* Backends with weight 0 take no part; compact the others. */
	for (i = 0; i < n; i++) {
		if (!e[i].weight)
			continue;
		e[nb] = e[i];
		e[nb].key = addr_key(e[nb].addr);
		e[nb].offset = (__u32)(e[nb].key % m);
		/* m is a prime >= 2, so any skip in 1..m-1 visits every slot */
		skip = xlb_hash_fmix(e[nb].key + XLB_HASH_K1) % (m - 1);
		e[nb].skip = (__u32)skip + 1;
		e[nb].pos = e[nb].offset;
		nu += e[nb].usable;
		nb++;
	}
	if (!nu) {
		for (s = 0; s < m; s++)
			ring[s] = XLB_BACKEND_NONE;
		goto out;
	}
	err = fill_base(e, nb, m, ring);
	if (err)
		goto out;
	if (nu == nb) {
		for (s = 0; s < m; s++)
			ring[s] = e[ring[s]].id;
		goto out;
	}
	err = fill_fallback(e, nb, m, ring);
out:
	free(e);
	return err;
}
