// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the maps' memory, as the operator is told it
 *
 * xlb_mem_total() (maps/xlb_maps.h) is what lb.tables.max_memory_percent
 * is checked against. It must count every map of xlb.bpf.o at the size
 * xlb_dp_open() gives it, so a map added to the program without being
 * added to the sum fails here. The skeleton is opened, not loaded (no
 * kernel needed): xlb_dp_size_maps() sizes its maps, and each is costed
 * from its type, key, value and entries the way the kernel lays it out
 * (arrays: values rounded up to 8 bytes; per-CPU arrays: that once per
 * possible CPU; hash maps: key and value rounded up to 8 plus the
 * element header, XLB_HTAB_ELEM_OVERHEAD, for every entry, preallocated
 * or not, since a full table uses them all).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "dp.h"
#include "xlb.skel.h"

#define R8(x) (((unsigned long long)(x) + 7) & ~7ull)

/* the cost of map @m, or 0 (and a message) for a type with no model */
static unsigned long long map_cost(const struct bpf_map *m, unsigned int ncpus)
{
	unsigned long long n = bpf_map__max_entries(m);
	unsigned long long k = R8(bpf_map__key_size(m));
	unsigned long long v = R8(bpf_map__value_size(m));

	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_ARRAY:
		return n * v;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return n * v * ncpus;
	case BPF_MAP_TYPE_HASH:
		return n * (k + v + XLB_HTAB_ELEM_OVERHEAD);
	default:
		print_error("map %s: type %d has no cost model here\n",
			    bpf_map__name(m), (int)bpf_map__type(m));
		return 0;
	}
}

static void check_sizes(struct xlb_dp_sizes sz, unsigned int ncpus)
{
	struct xlb_bpf *skel = xlb_bpf__open();
	unsigned long long sum = 0, c, total;
	struct bpf_map *m;

	assert_non_null(skel);
	assert_int_equal(xlb_dp_size_maps(skel, &sz), 0);
	bpf_object__for_each_map(m, skel->obj)
	{
		if (bpf_map__is_internal(m))
			continue;
		c = map_cost(m, ncpus);
		assert_true(c > 0);
		sum += c;
	}
	total = xlb_mem_total(sz.max_vips, sz.max_backends, sz.ring_max,
			      sz.conn_max, ncpus);
	if (total != sum) {
		print_error("sizes %u VIPs, %u backends, ring %u, %u flows, "
			    "%u CPUs: xlb_mem_total() %llu bytes, the maps "
			    "%llu:\n",
			    sz.max_vips, sz.max_backends, sz.ring_max,
			    sz.conn_max, ncpus, total, sum);
		bpf_object__for_each_map(
			m, skel->obj) if (!bpf_map__is_internal(m))
			print_error("  %-16s %llu\n", bpf_map__name(m),
				    map_cost(m, ncpus));
	}
	xlb_bpf__destroy(skel);
	assert_true(total == sum);
}

/* every map counted, for sizes that tell each size's factor apart */
static void test_mem_total_counts_every_map(void **state)
{
	(void)state;
	check_sizes((struct xlb_dp_sizes){ 8, 32, 257, 1024 }, 1);
	check_sizes((struct xlb_dp_sizes){ 16, 96, 509, 4096 }, 4);
	check_sizes((struct xlb_dp_sizes){ XLB_DEFAULT_MAX_VIPS,
					   XLB_DEFAULT_MAX_BACKENDS,
					   XLB_DEFAULT_RING_SIZE,
					   XLB_DEFAULT_CONN_MAX },
		    2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_total_counts_every_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
