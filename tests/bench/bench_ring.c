// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: ring swap benchmark
 *
 * Time xlb_dp_ring_publish() on real kernel maps: write a 65537-slot
 * Maglev ring into the inactive copy of a VIP's ring, then flip the VIP
 * entry so packets use it. The two rings alternate (1000 backends, then the
 * same with one removed) so every publish changes slots. The maps are the
 * program's own, created from its skeleton (not pinned), with the default
 * sizes. After the runs the active copy is read back and compared with the
 * last ring written, so a publish that did nothing would fail the run.
 *
 * Output: "BENCH ring_swap <median ms> ms" (and the minimum as a comment).
 * Needs root (BPF). Times are reported, never asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "dp.h"
#include "log.h"
#include "maglev.h"

#define RUNS	  51
#define NBACKEND  1000
#define RING_SIZE XLB_DEFAULT_RING_SIZE

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int build(__u32 *ring, int skip)
{
	struct xlb_mg_backend *b = calloc(NBACKEND, sizeof(*b));
	size_t i, n = 0;
	int err;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < NBACKEND; i++) {
		__u32 v = 0x0a000001u + (__u32)i;
		__u8 *p = (__u8 *)b[n].addr.a;

		if ((int)i == skip)
			continue;
		b[n].addr.family = XLB_AF_INET;
		p[0] = v >> 24;
		p[1] = v >> 16;
		p[2] = v >> 8;
		p[3] = v;
		b[n].weight = 100;
		b[n].usable = true;
		b[n].id = (__u32)i;
		n++;
	}
	err = xlb_maglev_build(b, n, RING_SIZE, ring);
	free(b);
	return err;
}

int main(void)
{
	struct xlb_dp_opts o = { .pin_dir = NULL };
	static __u32 ring_a[RING_SIZE], ring_b[RING_SIZE], back[RING_SIZE];
	__u32 *ring[2] = { ring_a, ring_b };
	struct xlb_addr vip;
	struct xlb_vip v = { .id = 1 };
	struct xlb_dp *dp;
	double t[RUNS], t0;
	int i, err;

	xlb_log_set_level(XLB_LOG_WARN);
	if (build(ring[0], -1) || build(ring[1], 500)) {
		fprintf(stderr, "bench_ring: Maglev build failed\n");
		return 1;
	}
	err = xlb_dp_open(&o, &dp);
	if (err) {
		fprintf(stderr, "bench_ring: cannot open the data path: %s\n",
			strerror(-err));
		return 1;
	}
	if (xlb_addr_parse("192.0.2.1", &vip)) {
		fprintf(stderr, "bench_ring: address\n");
		return 1;
	}
	err = xlb_dp_vip_set(dp, &vip, 80, IPPROTO_TCP, &v);
	/* warm-up: both copies written once */
	err = err   ?:
		      xlb_dp_ring_publish(dp, &vip, 80, IPPROTO_TCP, &v,
					  ring[0], RING_SIZE);
	err = err   ?:
		      xlb_dp_ring_publish(dp, &vip, 80, IPPROTO_TCP, &v,
					  ring[1], RING_SIZE);
	for (i = 0; !err && i < RUNS; i++) {
		t0 = now_ms();
		err = xlb_dp_ring_publish(dp, &vip, 80, IPPROTO_TCP, &v,
					  ring[i & 1], RING_SIZE);
		t[i] = now_ms() - t0;
	}
	if (err) {
		fprintf(stderr, "bench_ring: publish failed: %s\n",
			strerror(-err));
		xlb_dp_close(dp);
		return 1;
	}
	/* what the data path now sees must be the last ring written */
	{
		struct xlb_vip cur;

		err = xlb_dp_vip_get(dp, &vip, 80, IPPROTO_TCP, &cur);
		err = err   ?:
			      xlb_dp_ring_read(dp, 1, cur.active & 1, back,
					       RING_SIZE);
		if (err || cur.ring_size != RING_SIZE ||
		    memcmp(back, ring[(RUNS - 1) & 1],
			   RING_SIZE * sizeof(__u32))) {
			fprintf(stderr, "bench_ring: active ring is not the "
					"last one published\n");
			xlb_dp_close(dp);
			return 1;
		}
	}
	xlb_dp_close(dp);
	qsort(t, RUNS, sizeof(t[0]), dbl_cmp);
	printf("# ring_swap: %d publishes of %d slots, min %.3f ms, max %.3f "
	       "ms\n",
	       RUNS, RING_SIZE, t[0], t[RUNS - 1]);
	printf("BENCH ring_swap %.3f ms\n", t[RUNS / 2]);
	return 0;
}
