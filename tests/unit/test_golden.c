// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: golden vectors for the flow hash and the Maglev ring
 *
 * Every PoP, and every build of xlb, must send a flow to the same backend:
 * ECMP moves flows between balancers, and an upgrade replaces the program
 * under live flows. The agreement test in tests/bpf compiles the same hash
 * on both sides, so a change to maps/xlb_hash.h or to the ring builder
 * would pass it and still break cross-PoP and upgrade consistency. These
 * values were recorded from the build of 2026-12-07 (seed 0x5eed, three
 * backends, ring 65537); if one of them changes, a mixed fleet or an
 * upgrade moves established flows. Change them only together with a plan
 * for that (docs/datapath-perf.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "dp.h"
#include "maglev.h"
#include "maps/xlb_hash.h"

#define SEED 0x5eed
#define RING 65537

static const struct {
	const char *src, *dst;
	__u16 sport, dport;
	__u8 proto;
	__u16 flags;
	__u64 hash;
	__u32 slot;
	__u32 backend;
} golden[] = {
	{ "198.51.100.7", "192.0.2.10", 40000, 80, IPPROTO_TCP, 0,
	  0x7bedb44a1d543864ull, 31726, 2 },
	{ "198.51.100.8", "192.0.2.10", 40000, 80, IPPROTO_TCP, 0,
	  0xf9f411f98cce9aedull, 63989, 2 },
	{ "198.51.100.7", "192.0.2.10", 40001, 80, IPPROTO_TCP, 0,
	  0x856b7927de9083afull, 34155, 0 },
	{ "203.0.113.200", "192.0.2.10", 5353, 5300, IPPROTO_UDP, 0,
	  0xdb749fd85ebcae0cull, 56181, 1 },
	{ "203.0.113.200", "192.0.2.10", 5354, 5300, IPPROTO_UDP,
	  XLB_VIP_F_SRC_ONLY, 0x5ed91d0004f32051ull, 24281, 0 },
	{ "2001:db8:ffff::1", "2001:db8::10", 40000, 443, IPPROTO_TCP, 0,
	  0x2204342e0050fdb4ull, 8708, 1 },
	{ "2001:db8:ffff::2", "2001:db8::10", 65535, 443, IPPROTO_UDP, 0,
	  0xd7b28736841ebab0ull, 55219, 0 },
	{ "2001:db8:ffff::2", "2001:db8::10", 1, 443, IPPROTO_UDP,
	  XLB_VIP_F_SRC_ONLY, 0x67251ab7cc8cb208ull, 26405, 1 },
};

static __u32 ring[RING];

static void build_ring(void)
{
	static const char *const addrs[] = { "10.0.0.1", "10.0.0.2",
					     "10.0.0.3" };
	struct xlb_mg_backend b[3];
	size_t i;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 3; i++) {
		assert_int_equal(xlb_addr_parse(addrs[i], &b[i].addr), 0);
		b[i].weight = 100;
		b[i].usable = true;
		b[i].id = (__u32)i;
	}
	assert_int_equal(xlb_maglev_build(b, 3, RING, ring), 0);
}

static void test_flow_hash_golden(void **state)
{
	struct xlb_flow f;
	size_t i;
	__u64 h;

	(void)state;
	build_ring();
	for (i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		memset(&f, 0, sizeof(f));
		assert_int_equal(xlb_addr_parse(golden[i].src, &f.src), 0);
		assert_int_equal(xlb_addr_parse(golden[i].dst, &f.dst), 0);
		f.sport = golden[i].sport;
		f.dport = golden[i].dport;
		f.proto = golden[i].proto;
		h = xlb_flow_hash(SEED, &f, golden[i].flags);
		if (h != golden[i].hash)
			print_error(
				"vector %zu: hash 0x%016llx, want 0x%016llx\n",
				i, (unsigned long long)h,
				(unsigned long long)golden[i].hash);
		assert_true(h == golden[i].hash);
		assert_int_equal(xlb_hash_slot(h, RING), golden[i].slot);
		assert_int_equal(ring[golden[i].slot], golden[i].backend);
	}
}

/* The whole ring, not only the slots above: FNV-1a over the ids, and each
 * backend's share. */
static void test_maglev_ring_golden(void **state)
{
	__u64 ck = 1469598103934665603ull;
	__u32 count[3] = { 0 };
	size_t i;

	(void)state;
	build_ring();
	for (i = 0; i < RING; i++) {
		ck ^= ring[i];
		ck *= 1099511628211ull;
		assert_true(ring[i] < 3);
		count[ring[i]]++;
	}
	assert_int_equal(count[0], 21846);
	assert_int_equal(count[1], 21846);
	assert_int_equal(count[2], 21845);
	assert_true(ck == 0x6dbb5f7764357c4dull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_hash_golden),
		cmocka_unit_test(test_maglev_ring_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
