// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: Maglev ring tests
 *
 * The properties the data path relies on: balance, exact proportion to
 * weight, minimal disruption when a backend goes down or comes back (only
 * its own slots move), bounded disruption when one is removed from the
 * configuration, and a result that depends on nothing but the backend set
 * (not the input order, not the run), pinned by a golden checksum because
 * PoPs running different versions must still build the same rings.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "maglev.h"

#define M XLB_DEFAULT_RING_SIZE

/* checksum of the ring in test_golden() */
#define GOLDEN 0x714b50afd47de601ull

/* xorshift64*: a seeded, portable PRNG so the tests are reproducible */
static __u64 rng_state;

static void rng_seed(__u64 s)
{
	rng_state = s ? s : 1;
}

static __u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void set_v4(struct xlb_addr *a, __u32 host)
{
	__u8 *p = (__u8 *)a->a;

	memset(a, 0, sizeof(*a));
	a->family = XLB_AF_INET;
	p[0] = host >> 24;
	p[1] = host >> 16;
	p[2] = host >> 8;
	p[3] = host;
}

static void set_v6(struct xlb_addr *a, __u32 low)
{
	__u8 *p = (__u8 *)a->a;

	memset(a, 0, sizeof(*a));
	a->family = XLB_AF_INET6;
	p[0] = 0x20;
	p[1] = 0x01;
	p[2] = 0x0d;
	p[3] = 0xb8;
	p[12] = low >> 24;
	p[13] = low >> 16;
	p[14] = low >> 8;
	p[15] = low;
}

/* @n backends 10.0.0.0 + 1..n (every third IPv6), weight 100, id = index */
static struct xlb_mg_backend *make_backends(size_t n)
{
	struct xlb_mg_backend *b = calloc(n, sizeof(*b));
	size_t i;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		if (i % 3 == 2)
			set_v6(&b[i].addr, (__u32)i + 1);
		else
			set_v4(&b[i].addr, 0x0a000000u + (__u32)i + 1);
		b[i].weight = 100;
		b[i].usable = true;
		b[i].id = (__u32)i;
	}
	return b;
}

static __u32 *build(const struct xlb_mg_backend *b, size_t n, __u32 m)
{
	__u32 *ring = malloc(m * sizeof(*ring));

	assert_non_null(ring);
	assert_int_equal(xlb_maglev_build(b, n, m, ring), 0);
	return ring;
}

/* slots per id (ids < n); returns slots holding XLB_BACKEND_NONE */
static size_t count(const __u32 *ring, __u32 m, size_t *cnt, size_t n)
{
	size_t none = 0;
	__u32 s;

	memset(cnt, 0, n * sizeof(*cnt));
	for (s = 0; s < m; s++) {
		if (ring[s] == XLB_BACKEND_NONE) {
			none++;
			continue;
		}
		assert_true(ring[s] < n);
		cnt[ring[s]]++;
	}
	return none;
}

static void test_is_prime(void **state)
{
	/* largest 32-bit primes included */
	static const __u32 primes[] = {
		2,     3,	5,	     7,		  251,	       1021,
		65537, 1048573, 2147483647u, 4294967279u, 4294967291u,
	};
	/* 561 Carmichael; 2047, 3215031751, 25326001: strong pseudoprimes
	 * to small bases */
	static const __u32 composites[] = {
		0,	   1,		4,	     9,	      561,
		2047,	   65535,	65536,	     1048575, 3215031751u,
		25326001u, 4294967293u, 4294967295u,
	};
	__u32 n, d;
	bool p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		assert_true(xlb_is_prime(primes[i]));
	for (i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		assert_false(xlb_is_prime(composites[i]));
	/* against trial division for every small n */
	for (n = 0; n < 20000; n++) {
		p = n >= 2;
		for (d = 2; d * d <= n && p; d++)
			if (n % d == 0)
				p = false;
		assert_int_equal(xlb_is_prime(n), p);
	}
}

static void test_balance_100(void **state)
{
	struct xlb_mg_backend *b = make_backends(100);
	__u32 *ring = build(b, 100, M);
	size_t cnt[100], i, max = 0;
	double avg = (double)M / 100;

	(void)state;
	assert_int_equal(count(ring, M, cnt, 100), 0);
	for (i = 0; i < 100; i++)
		if (cnt[i] > max)
			max = cnt[i];
	print_message("# balance: max %zu slots, avg %.2f, max/avg %.4f\n", max,
		      avg, max / avg);
	assert_true(max / avg <= 1.01);
	free(ring);
	free(b);
}

static void check_weights(const __u32 *w, size_t n)
{
	struct xlb_mg_backend *b = make_backends(n);
	size_t *cnt = calloc(n, sizeof(*cnt)), i;
	double sum = 0, want, worst = 0;
	__u32 *ring;

	assert_non_null(cnt);
	for (i = 0; i < n; i++) {
		b[i].weight = w[i];
		sum += w[i];
	}
	ring = build(b, n, M);
	assert_int_equal(count(ring, M, cnt, n), 0);
	for (i = 0; i < n; i++) {
		want = (double)M * w[i] / sum;
		/* shares are exact up to the rounding of one slot */
		assert_true(fabs(cnt[i] - want) < 1.0);
		if (want < 100)
			continue;
		if (fabs(cnt[i] - want) / want > worst)
			worst = fabs(cnt[i] - want) / want;
		assert_true(fabs(cnt[i] - want) <= 0.01 * want);
	}
	print_message("# %zu weighted backends: worst deviation %.4f%%\n", n,
		      worst * 100);
	free(ring);
	free(cnt);
	free(b);
}

static void test_weights_1234(void **state)
{
	static const __u32 w[] = { 1, 2, 3, 4 };

	(void)state;
	check_weights(w, 4);
}

static void test_weights_random(void **state)
{
	__u32 w[50];
	size_t i;

	(void)state;
	rng_seed(42);
	/* Shares of a few hundred slots at least, so that one slot of
	 * rounding is below 1% of the share. */
	for (i = 0; i < 20; i++)
		w[i] = 100 + (__u32)(rng() % 901);
	check_weights(w, 20);
	for (i = 0; i < 50; i++)
		w[i] = 1 + (__u32)(rng() % 1000);
	check_weights(w, 50);
	/* A wide spread, 1 .. 1000000: tiny shares still round right */
	w[0] = 1;
	w[1] = 1000000;
	w[2] = 1000;
	w[3] = 999999;
	w[4] = 7;
	check_weights(w, 5);
}

/* Weight 0 means drain: no slot, whether usable or not. */
static void test_weight_zero(void **state)
{
	struct xlb_mg_backend *b = make_backends(10);
	size_t cnt[10];
	__u32 *ring;

	(void)state;
	b[3].weight = 0;
	ring = build(b, 10, M);
	assert_int_equal(count(ring, M, cnt, 10), 0);
	assert_int_equal(cnt[3], 0);
	free(ring);
	free(b);
}

/* One backend down: exactly its slots move; back up: exactly they return. */
static void check_down_up(size_t n, size_t k)
{
	struct xlb_mg_backend *b = make_backends(n);
	__u32 *a, *d, *u, s;
	size_t moved = 0, *got = calloc(n, sizeof(*got)), receivers = 0, i;

	assert_non_null(got);
	a = build(b, n, M);
	b[k].usable = false;
	d = build(b, n, M);
	for (s = 0; s < M; s++) {
		if (a[s] != k) {
			assert_int_equal(d[s], a[s]);
			continue;
		}
		moved++;
		assert_int_not_equal(d[s], k);
		assert_int_not_equal(d[s], XLB_BACKEND_NONE);
		got[d[s]]++;
	}
	for (i = 0; i < n; i++)
		receivers += got[i] > 0;
	/* the displaced slots spread out rather than all landing on one */
	assert_true(moved > 0);
	assert_true(receivers >= (moved < n - 1 ? moved : n - 1) / 2);
	b[k].usable = true;
	u = build(b, n, M);
	assert_memory_equal(u, a, M * sizeof(*a));
	free(got);
	free(u);
	free(d);
	free(a);
	free(b);
}

static void test_down_up(void **state)
{
	(void)state;
	check_down_up(100, 0);
	check_down_up(100, 37);
	check_down_up(100, 99);
	check_down_up(10, 4);
	check_down_up(1000, 500);
	check_down_up(2, 1);
}

/* A second backend down leaves the first one's fallback choices alone
 * unless they chose the second: rendezvous, not a rehash of everything. */
static void test_two_down(void **state)
{
	struct xlb_mg_backend *b = make_backends(50);
	__u32 *one, *two, s;

	(void)state;
	b[7].usable = false;
	one = build(b, 50, M);
	b[20].usable = false;
	two = build(b, 50, M);
	for (s = 0; s < M; s++) {
		if (one[s] != 20) {
			assert_int_equal(two[s], one[s]);
			continue;
		}
		assert_int_not_equal(two[s], 7);
		assert_int_not_equal(two[s], 20);
	}
	free(two);
	free(one);
	free(b);
}

/* The slots of a backend that is down spread in proportion to weight. */
static void test_fallback_weighted(void **state)
{
	static const __u32 w[] = { 1, 2, 3, 4, 10 };
	struct xlb_mg_backend *b = make_backends(5);
	size_t cnt[5], moved = 0, i;
	double want;
	__u32 *a, *d, s;

	(void)state;
	for (i = 0; i < 5; i++)
		b[i].weight = w[i];
	a = build(b, 5, M);
	b[4].usable = false;
	d = build(b, 5, M);
	memset(cnt, 0, sizeof(cnt));
	for (s = 0; s < M; s++)
		if (a[s] == 4) {
			moved++;
			cnt[d[s]]++;
		}
	assert_int_equal(cnt[4], 0);
	for (i = 0; i < 4; i++) {
		want = moved * w[i] / 10.0;
		print_message("# fallback weight %u: %zu slots, want %.0f\n",
			      w[i], cnt[i], want);
		/* statistical: about 3 standard deviations for weight 1 */
		assert_true(fabs(cnt[i] - want) <= 0.06 * want);
	}
	free(d);
	free(a);
	free(b);
}

/* Removing a backend from the set moves about 1/N of the ring. */
static void check_remove(size_t n, size_t k)
{
	struct xlb_mg_backend *b = make_backends(n);
	__u32 *a, *r, s;
	size_t moved = 0;
	double frac;

	a = build(b, n, M);
	memmove(&b[k], &b[k + 1], (n - k - 1) * sizeof(*b));
	r = build(b, n - 1, M);
	for (s = 0; s < M; s++) {
		if (a[s] == k)
			assert_int_not_equal(r[s], k);
		moved += r[s] != a[s];
	}
	frac = (double)moved / M;
	print_message("# remove 1 of %zu: %.3f%% moved (1/N = %.3f%%)\n", n,
		      frac * 100, 100.0 / n);
	assert_true(frac <= 1.0 / n + 0.01);
	free(r);
	free(a);
	free(b);
}

static void test_remove(void **state)
{
	(void)state;
	check_remove(100, 0);
	check_remove(100, 50);
	check_remove(10, 3);
	check_remove(1000, 999);
}

static void test_deterministic(void **state)
{
	struct xlb_mg_backend *b = make_backends(200), *sh;
	__u32 *a, *c, tmp_id;
	size_t i, j, round;

	(void)state;
	for (i = 0; i < 200; i += 9)
		b[i].weight = 50 + (__u32)i;
	b[11].usable = false;
	b[12].usable = false;
	a = build(b, 200, M);
	c = build(b, 200, M);
	assert_memory_equal(a, c, M * sizeof(*a));
	free(c);
	sh = malloc(200 * sizeof(*sh));
	assert_non_null(sh);
	rng_seed(7);
	for (round = 0; round < 5; round++) {
		struct xlb_mg_backend t;

		memcpy(sh, b, 200 * sizeof(*sh));
		for (i = 199; i > 0; i--) {
			j = rng() % (i + 1);
			t = sh[i];
			sh[i] = sh[j];
			sh[j] = t;
		}
		c = build(sh, 200, M);
		assert_memory_equal(a, c, M * sizeof(*a));
		free(c);
	}
	/* Ids are carried, not positions: swap two ids, the slots follow. */
	memcpy(sh, b, 200 * sizeof(*sh));
	tmp_id = sh[0].id;
	sh[0].id = sh[1].id;
	sh[1].id = tmp_id;
	c = build(sh, 200, M);
	for (i = 0; i < M; i++)
		assert_int_equal(c[i], a[i] == 0 ? 1 : a[i] == 1 ? 0 : a[i]);
	free(c);
	free(sh);
	free(a);
	free(b);
}

/* Unused words of an IPv4 address are not part of its identity. */
static void test_v4_padding(void **state)
{
	struct xlb_mg_backend *b = make_backends(30);
	__u32 *a, *c;

	(void)state;
	a = build(b, 30, M);
	b[0].addr.a[1] = 0xdeadbeef;
	b[3].addr.a[3] = 1;
	c = build(b, 30, M);
	assert_memory_equal(a, c, M * sizeof(*a));
	free(c);
	free(a);
	free(b);
}

/*
 * The ring definition is a contract between PoPs (and versions of xlbd
 * during a rolling upgrade): any change to the hashing, the weighting or
 * the fallback changes this checksum. Update it only on purpose.
 */
static void test_golden(void **state)
{
	struct xlb_mg_backend *b = make_backends(20);
	__u64 h = 0xcbf29ce484222325ull;
	__u32 *ring;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		b[i].weight = 10 + (__u32)i * 5;
	b[5].usable = false;
	ring = build(b, 20, 1021);
	for (i = 0; i < 1021; i++) {
		h ^= ring[i];
		h *= 0x100000001b3ull;
	}
	print_message("# golden checksum 0x%016llx\n", (unsigned long long)h);
	assert_true(h == GOLDEN);
	free(ring);
	free(b);
}

static void test_none(void **state)
{
	struct xlb_mg_backend *b = make_backends(10);
	__u32 *ring = malloc(M * sizeof(*ring)), s;
	size_t i;

	(void)state;
	assert_non_null(ring);
	for (i = 0; i < 10; i++)
		b[i].usable = false;
	assert_int_equal(xlb_maglev_build(b, 10, M, ring), 0);
	for (s = 0; s < M; s++)
		assert_int_equal(ring[s], XLB_BACKEND_NONE);
	/* usable but drained (weight 0) is no better */
	for (i = 0; i < 10; i++) {
		b[i].usable = true;
		b[i].weight = 0;
	}
	memset(ring, 0, M * sizeof(*ring));
	assert_int_equal(xlb_maglev_build(b, 10, M, ring), 0);
	for (s = 0; s < M; s++)
		assert_int_equal(ring[s], XLB_BACKEND_NONE);
	memset(ring, 0, M * sizeof(*ring));
	assert_int_equal(xlb_maglev_build(NULL, 0, M, ring), 0);
	for (s = 0; s < M; s++)
		assert_int_equal(ring[s], XLB_BACKEND_NONE);
	free(ring);
	free(b);
}

static void test_single(void **state)
{
	struct xlb_mg_backend *b = make_backends(1);
	__u32 *ring, s;

	(void)state;
	b[0].id = 4242;
	ring = build(b, 1, M);
	for (s = 0; s < M; s++)
		assert_int_equal(ring[s], 4242);
	free(ring);
	b[0].usable = false;
	ring = build(b, 1, 7);
	for (s = 0; s < 7; s++)
		assert_int_equal(ring[s], XLB_BACKEND_NONE);
	free(ring);
	free(b);
}

/* More backends than slots: every slot still filled, by distinct ones. */
static void test_tiny_ring(void **state)
{
	struct xlb_mg_backend *b = make_backends(50);
	size_t cnt[50], i;
	__u32 *ring;

	(void)state;
	ring = build(b, 50, 7);
	assert_int_equal(count(ring, 7, cnt, 50), 0);
	for (i = 0; i < 50; i++)
		assert_true(cnt[i] <= 1);
	free(ring);
	ring = build(b, 50, 2);
	assert_int_equal(count(ring, 2, cnt, 50), 0);
	free(ring);
	free(b);
}

static void test_bad_args(void **state)
{
	static const __u32 bad[] = { 0, 1, 4, 9, 65535, 65536, 1048576 };
	struct xlb_mg_backend *b = make_backends(4);
	__u32 *ring = malloc(1048576 * sizeof(*ring));
	size_t i;

	(void)state;
	assert_non_null(ring);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(xlb_maglev_build(b, 4, bad[i], ring), -EINVAL);
	assert_int_equal(xlb_maglev_build(b, 4, M, NULL), -EINVAL);
	assert_int_equal(xlb_maglev_build(NULL, 4, M, ring), -EINVAL);
	/* a duplicate address, even with different padding */
	b[2].addr = b[1].addr;
	b[2].addr.a[2] = 5;
	assert_int_equal(xlb_maglev_build(b, 4, M, ring), -EINVAL);
	b[2].addr.family = XLB_AF_NONE;
	assert_int_equal(xlb_maglev_build(b, 4, M, ring), -EINVAL);
	free(ring);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_prime),
		cmocka_unit_test(test_balance_100),
		cmocka_unit_test(test_weights_1234),
		cmocka_unit_test(test_weights_random),
		cmocka_unit_test(test_weight_zero),
		cmocka_unit_test(test_down_up),
		cmocka_unit_test(test_two_down),
		cmocka_unit_test(test_fallback_weighted),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_v4_padding),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_tiny_ring),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests_name("maglev", tests, NULL, NULL);
}
