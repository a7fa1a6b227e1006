// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: Maglev build benchmark
 *
 * Time xlb_maglev_build() for a VIP of 100 and of 1000 backends on the
 * default ring (65537 slots): all backends usable (the common rebuild), and
 * with 10% of them unusable (the per-slot fallback at work). Each figure is
 * the median of RUNS builds, after one warm-up build; the minimum is printed
 * as a comment. Times are reported, never asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maglev.h"

#define RUNS	  31
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

/* Backends 10.<i>, weight 100, every @down_every-th unusable (0: none) */
static void make_backends(struct xlb_mg_backend *b, size_t n, size_t down_every)
{
	size_t i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		__u32 v = 0x0a000000u + (__u32)i * 7919u + 1;
		__u8 *p = (__u8 *)b[i].addr.a;

		b[i].addr.family = XLB_AF_INET;
		p[0] = v >> 24;
		p[1] = v >> 16;
		p[2] = v >> 8;
		p[3] = v;
		b[i].weight = 100;
		b[i].usable = !(down_every && i % down_every == 0);
		b[i].id = (__u32)i;
	}
}

static int bench(const char *name, size_t n, size_t down_every)
{
	struct xlb_mg_backend *b = calloc(n, sizeof(*b));
	__u32 *ring = calloc(RING_SIZE, sizeof(*ring));
	double t[RUNS], t0;
	int err = -ENOMEM, i;

	if (!b || !ring)
		goto out;
	make_backends(b, n, down_every);
	err = xlb_maglev_build(b, n, RING_SIZE, ring); /* warm-up */
	for (i = 0; i < RUNS && !err; i++) {
		t0 = now_ms();
		err = xlb_maglev_build(b, n, RING_SIZE, ring);
		t[i] = now_ms() - t0;
	}
	if (err) {
		fprintf(stderr, "bench_maglev: %s: build failed: %s\n", name,
			strerror(-err));
		goto out;
	}
	qsort(t, RUNS, sizeof(t[0]), dbl_cmp);
	printf("# %s: %zu backends, %d slots, median of %d builds "
	       "(min %.3f ms)\n",
	       name, n, RING_SIZE, RUNS, t[0]);
	printf("BENCH %s %.3f ms\n", name, t[RUNS / 2]);
out:
	free(ring);
	free(b);
	return err;
}

int main(void)
{
	int err = 0;

	err = err ?: bench("maglev_build_100", 100, 0);
	err = err ?: bench("maglev_build_1000", 1000, 0);
	err = err ?: bench("maglev_build_1000_10pct_down", 1000, 10);
	return err ? 1 : 0;
}
