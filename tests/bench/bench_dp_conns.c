// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: cost of counting connections per backend
 *
 * Time xlb_dp_conn_tally() (dp_conns.c), the walk behind the ACTIVE and
 * INACT columns of "xlbctl backend show", on private maps with the default
 * table sizes (XLB_DEFAULT_CONN_MAX flows per family), once empty and once
 * with a quarter of the IPv4 ways in use. xlbd runs it at most every 2 s.
 *
 * Output: "BENCH conn_tally_empty <median ms> ms" and
 * "BENCH conn_tally_filled <median ms> ms". Needs root (BPF). Times are
 * reported, never asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "dp.h"
#include "dp_conns.h"
#include "log.h"

#define RUNS  11
#define NBACK 64

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

static int run(struct xlb_dp *dp, const char *name)
{
	static struct xlb_conn_tally t[NBACK];
	double ms[RUNS], t0;
	__u64 n = 0;
	int i, err;

	for (i = 0; i < RUNS; i++) {
		t0 = now_ms();
		err = xlb_dp_conn_tally(dp, 100, 60, NULL, NBACK, t);
		ms[i] = now_ms() - t0;
		if (err) {
			fprintf(stderr, "bench_dp_conns: tally: %s\n",
				strerror(-err));
			return err;
		}
	}
	for (i = 0; i < NBACK; i++)
		n += t[i].active + t[i].inactive;
	qsort(ms, RUNS, sizeof(ms[0]), dbl_cmp);
	printf("# %s: %llu entries counted, min %.2f ms\n", name,
	       (unsigned long long)n, ms[0]);
	printf("BENCH %s %.2f ms\n", name, ms[RUNS / 2]);
	return 0;
}

int main(void)
{
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 16,
			   .max_backends = NBACK,
			   .ring_max = 251,
			   .conn_max = XLB_DEFAULT_CONN_MAX },
	};
	struct xlb_flow f = { .dport = 80, .proto = 6 };
	struct xlb_conn c = { .seen = 90 };
	struct xlb_dp *dp = NULL;
	__u32 i, fill = XLB_DEFAULT_CONN_MAX / 4;
	int err;

	xlb_log_init("bench_dp_conns", XLB_LOG_WARN);
	err = xlb_dp_open(&o, &dp);
	if (err) {
		fprintf(stderr, "bench_dp_conns: open: %s\n", strerror(-err));
		return 1;
	}
	err = run(dp, "conn_tally_empty");
	xlb_addr_parse("192.0.2.10", &f.dst);
	for (i = 0; i < fill && !err; i++) {
		f.src.family = XLB_AF_INET;
		f.src.a[0] = 0x0a000000u + i;
		f.sport = (__u16)(1024 + i % 60000);
		c.backend = i % NBACK;
		err = xlb_dp_conn_set(dp, &f, &c);
	}
	err = err ?: run(dp, "conn_tally_filled");
	xlb_dp_close(dp);
	return err ? 1 : 0;
}
