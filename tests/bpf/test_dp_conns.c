// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: connections per backend, counted from the connection tables
 *
 * Entries are written into private tables with xlb_dp_conn_set() (the way
 * the data path writes them: backend id, generation, last-seen stamp), and
 * xlb_dp_conn_tally() must split them per backend into active and inactive
 * around the window, skip stale generations and ids out of range, count
 * IPv4 and IPv6 alike and handle the 16-bit wrap of the stamp. The clock
 * is checked against the kernel's own: its HZ must be one the kernel can
 * have, and two readings 0.3 s apart must differ by about that; the
 * estimate an unprivileged xlbd uses must agree with it within one unit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "dp.h"
#include "dp_conns.h"
#include "log.h"
#include "pkt.h"
#include "tap.h"

#define NIDS 8

static int put(struct xlb_dp *dp, const char *src, __u16 sport, __u32 be,
	       __u32 gen, __u16 seen)
{
	struct xlb_flow f = { .sport = sport, .dport = 80, .proto = 6 };
	struct xlb_conn c = { .backend = be, .gen = gen, .seen = seen };
	int r;

	r = xlb_addr_parse(src, &f.src);
	r = r	  ?:
		    xlb_addr_parse(strchr(src, ':') ? "2001:db8::10" :
						      "192.0.2.10",
				   &f.dst);
	return r ?: xlb_dp_conn_set(dp, &f, &c);
}

static void test_tally(struct xlb_dp *dp)
{
	static const __u32 gen[NIDS] = { 1, 1, 2, 1, 1, 1, 1, 1 };
	struct xlb_conn_tally t[NIDS];
	int err = 0, i;
	bool ok;

	/* now = 1000, window 10: seen 991..1000 active, older inactive */
	for (i = 0; i < 5 && !err; i++) /* backend 1: 5 active */
		err = put(dp, "198.51.100.1", (__u16)(1000 + i), 1, 1,
			  (__u16)(1000 - i));
	for (i = 0; i < 3 && !err; i++) /* backend 1: 3 inactive */
		err = put(dp, "198.51.100.1", (__u16)(2000 + i), 1, 1,
			  (__u16)(990 - i));
	for (i = 0; i < 4 && !err; i++) /* backend 2: stale generation */
		err = put(dp, "198.51.100.2", (__u16)(1000 + i), 2, 1, 1000);
	for (i = 0; i < 2 && !err; i++) /* backend 2: IPv6, current gen */
		err = put(dp, "2001:db8:c::7", (__u16)(1000 + i), 2, 2, 999);
	if (!err) /* id out of range */
		err = put(dp, "198.51.100.3", 1000, 40, 1, 1000);
	if (err) {
		pkt_diag("xlb_dp_conn_set: %s", strerror(-err));
		tap_result(false, "entries are split per backend");
		return;
	}
	err = xlb_dp_conn_tally(dp, 1000, 10, gen, NIDS, t);
	ok = !err && t[1].active == 5 && t[1].inactive == 3 &&
	     t[2].active == 2 && t[2].inactive == 0 && !t[0].active &&
	     !t[3].active && !t[3].inactive;
	if (!ok)
		pkt_diag("err %d; be1 %llu/%llu be2 %llu/%llu", err,
			 (unsigned long long)t[1].active,
			 (unsigned long long)t[1].inactive,
			 (unsigned long long)t[2].active,
			 (unsigned long long)t[2].inactive);
	tap_result(ok, "entries are split per backend into active and "
		       "inactive; stale generations and unknown ids skipped");

	err = xlb_dp_conn_tally(dp, 1000, 10, NULL, NIDS, t);
	ok = !err && t[2].active == 6;
	tap_result(ok, "without generations every entry counts");

	/* the stamp wraps: now 3, an entry seen at 65533 is 6 units old */
	err = put(dp, "198.51.100.4", 1, 5, 1, 65533);
	err = err ?: xlb_dp_conn_tally(dp, 3, 10, gen, NIDS, t);
	ok = !err && t[5].active == 1 && t[5].inactive == 0;
	tap_result(ok, "ages are taken modulo the 16-bit stamp");
}

/* the unprivileged estimate agrees with the counter (within one unit) */
static void test_estimate(void)
{
	unsigned int hz = 0, hze = 0;
	__u16 a = 0, e = 0, b = 0;
	int err, erre;

	err = xlb_conn_clock(&a, &hz);
	erre = xlb_conn_clock_estimate(&e, &hze);
	err = err ?: xlb_conn_clock(&b, &hz);
	if (erre == -ENODATA) {
		tap_skip("no kernel configuration to read CONFIG_HZ from",
			 "the estimated clock agrees with jiffies");
		return;
	}
	pkt_diag("jiffies units %u..%u, estimate %u (HZ %u, CONFIG_HZ %u)", a,
		 b, e, hz, hze);
	tap_result(!err && !erre && hz == hze &&
			   (__u16)(e - a + 1) <= (__u16)(b - a + 2),
		   "the estimated clock agrees with jiffies within one unit");
}

static void test_clock(void)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	unsigned int hz1 = 0, hz2 = 0;
	__u16 a = 0, b = 0;
	double dt;
	int err;

	err = xlb_conn_clock(&a, &hz1);
	if (err == -EACCES || err == -ENOENT) {
		tap_skip("no /proc/timer_list", "the clock reads jiffies");
		return;
	}
	nanosleep(&ts, NULL);
	err = err ?: xlb_conn_clock(&b, &hz2);
	/* 0.3 s is 0.3 * HZ / 256 units: 0..2 at HZ 1000, 0..1 below */
	dt = (double)(__u16)(b - a) * 256.0 / (hz1 ? hz1 : 1);
	pkt_diag("HZ %u, %u -> %u units (%.2f s)", hz1, a, b, dt);
	tap_result(!err && hz1 == hz2 &&
			   (hz1 == 100 || hz1 == 250 || hz1 == 300 ||
			    hz1 == 1000) &&
			   dt <= 0.3 + 2 * 256.0 / hz1,
		   "the clock reads jiffies and the kernel's HZ");
}

int main(void)
{
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 4,
			   .max_backends = 64,
			   .ring_max = 251,
			   .conn_max = 4096 },
	};
	struct xlb_dp *dp = NULL;
	int err;

	xlb_log_init("test_dp_conns", XLB_LOG_WARN);
	err = xlb_dp_open(&o, &dp);
	if (err) {
		printf("not ok - open private maps: %s\n", strerror(-err));
		return 1;
	}
	test_tally(dp);
	test_clock();
	test_estimate();
	xlb_dp_close(dp);
	return tap_done();
}
