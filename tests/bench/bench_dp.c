// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: per-packet cost of the XDP balancer
 *
 * Runs xlb_lb through BPF_PROG_TEST_RUN one packet at a time (repeat = 1:
 * with repeat > 1 the kernel would run the program again on the packet it
 * already encapsulated, tests/README.md) and reads the kernel's own run-time
 * statistics (BPF_STATS_RUN_TIME: run_time_ns / run_cnt of the program), so
 * the syscall around each run is not counted. The XDP_PASS program of the
 * same object, measured the same way, is the baseline: the figures that
 * matter are the ratios to it, since the absolute cost of a run depends on
 * the machine and on the statistics themselves.
 *
 * Two VIPs (IPv4 and IPv6, TCP port 80) with 100 backends each and rings of
 * 65537 slots. Cases:
 *
 * - established_v4/v6: one flow already in the connection table, again
 *   and again (everything warm in the cache).
 * - established_v4_full: the same with 1500-byte packets, which the fast
 *   path checks against the path MTU (smaller ones it does not).
 * - established_v4_gue, established_v6_gue: established_v4/v6 with the
 *   VIP forwarding by GUE (the general path, the GUE source port's hash,
 *   over IPv6 the UDP checksum).
 * - new_flow: a new 5-tuple every packet, connection table far from full.
 * - new_flow_evict: a new 5-tuple every packet, table full (small conn_max),
 *   so every insert evicts.
 * - new_flow_flood: a new 5-tuple every packet above the SYN-flood guard's
 *   rate (lb.new_flow_rate): balanced, not inserted.
 * - flows_1m: 1M distinct flows, all in the table, visited in turn: hits
 *   that miss the CPU caches.
 * - quic_short: QUIC short headers naming a backend in their connection ID
 *   (bpf/quic.h), a new 5-tuple every packet (compare with new_flow);
 *   quic_short_noconn: one flow of a VIP without the connection table, so
 *   every packet reads its DCID (compare with established_v4).
 *
 * Other work on the machine (other builds, a busy SMT sibling) can change
 * the cost of every run by a factor of two within seconds. So each case
 * runs ROUNDS rounds, and every round alternates blocks of BLOCK packets of
 * the case with blocks of the baseline: a round's ratio compares runs made
 * side by side. The BENCH line of a case is the median over rounds of its
 * ns per packet, its _ratio line the median of the rounds' ratios, and a
 * "#" line gives min/median/max of both. The thread is pinned to one CPU.
 *
 * Frames are patched per packet (source address and port) without fixing
 * their checksums: the balancer never reads them.
 *
 * Output: "BENCH <name> <value> <unit>" lines; nothing is asserted.
 * Arguments name the cases to run (default: all); the baseline always runs.
 *
 * --ab FILE compares this build with another build's xlb.bpf.o (FILE) in
 * the same process: the established, new_flow and quic cases then run
 * blocks of both programs (each on its own maps, in alternating order)
 * between the baseline blocks, and a "# ab" line gives each one's ratio and the median
 * over rounds of the difference, B - A. Differences of a few hundredths
 * are visible this way; separate runs differ by a tenth.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "dp.h"
#include "dp_quic.h"
#include "log.h"
#include "machine.h"

#define ROUNDS	   5
#define BLOCK	   8192 /* packets of one kind in a row */
#define N_FIXED	   163840 /* packets per round, warm cases */
#define N_NEW	   49152 /* new flows per round */
#define N_1M	   (1u << 20)
#define RING_SIZE  XLB_DEFAULT_RING_SIZE
#define N_BACKENDS 100

static const __u8 MAC_LB[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 MAC_RTR[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct frame {
	__u8 d[1600];
	__u32 len;
	__u32 l3; /* offset of the IP header */
	__u32 l4; /* offset of the TCP header */
	int v6;
};

static __u64 rng = 0x2545f4914f6cdd1dull;

static __u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static __u16 csum(const void *p, size_t n)
{
	const __u8 *b = p;
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (__u32)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((__u16)~s);
}

/* A TCP ACK with 64 bytes of payload from a client to a VIP. */
static void frame_init(struct frame *f, int v6)
{
	__u8 *d = f->d;

	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	memcpy(d, MAC_LB, 6);
	memcpy(d + 6, MAC_RTR, 6);
	f->l3 = 14;
	if (!v6) {
		d[12] = 0x08;
		d[13] = 0x00;
		d[14] = 0x45;
		d[16] = 0;
		d[17] = 20 + 20 + 64;
		d[20] = 0x40; /* DF */
		d[22] = 64;
		d[23] = IPPROTO_TCP;
		inet_pton(AF_INET, "198.51.100.7", d + 26);
		inet_pton(AF_INET, "192.0.2.10", d + 30);
		memcpy(d + 24, &(__u16){ csum(d + 14, 20) }, 2);
		f->l4 = 34;
	} else {
		d[12] = 0x86;
		d[13] = 0xdd;
		d[14] = 0x60;
		d[18] = 0;
		d[19] = 20 + 64;
		d[20] = IPPROTO_TCP;
		d[21] = 64;
		inet_pton(AF_INET6, "2001:db8:c::7", d + 22);
		inet_pton(AF_INET6, "2001:db8::10", d + 38);
		f->l4 = 54;
	}
	d[f->l4] = 40000 >> 8;
	d[f->l4 + 1] = 40000 & 0xff;
	d[f->l4 + 3] = 80;
	d[f->l4 + 12] = 5 << 4;
	d[f->l4 + 13] = 0x10; /* ACK */
	f->len = f->l4 + 20 + 64;
}

/* Make the frame flow number @i: a client address and port of its own. */
static void frame_flow(struct frame *f, __u32 i)
{
	__u32 a = htonl(0x0a000000u | (i >> 4));
	__u16 port = htons((__u16)(1024 + (i & 15)));

	if (f->v6)
		memcpy(f->d + f->l3 + 8 + 12, &a, 4);
	else
		memcpy(f->d + f->l3 + 12, &a, 4);
	memcpy(f->d + f->l4, &port, 2);
}

static int stats_of(int prog, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	/* bpf_prog_get_info_by_fd() is libbpf >= 1.2; Debian 12 has 1.1 */
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

/**
 * struct flows - which flow each packet of a case belongs to
 * @base: number of the first flow
 * @cycle: flows visited in turn (0: the frame's own flow every time)
 * @next: position in the cycle of the next packet
 */
struct flows {
	__u32 base;
	__u32 cycle;
	__u32 next;
};

/* Run @n packets of @f through @prog; add the kernel's time and count. */
static int run_block(int prog, struct frame *f, struct flows *fl, __u32 n,
		     __u64 *ns, __u64 *cnt)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->d, .repeat = 1);
	__u64 ns0 = 0, c0 = 0, ns1 = 0, c1 = 0;
	__u32 i;
	int err;

	err = stats_of(prog, &ns0, &c0);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (fl && fl->cycle) {
			frame_flow(f, fl->base + fl->next);
			fl->next = (fl->next + 1) % fl->cycle;
		}
		o.data_size_in = f->len;
		if (bpf_prog_test_run_opts(prog, &o))
			return -errno;
		if (o.retval != XDP_TX && o.retval != XDP_PASS) {
			fprintf(stderr, "bench: unexpected action %u\n",
				o.retval);
			return -EPROTO;
		}
	}
	err = stats_of(prog, &ns1, &c1);
	if (err)
		return err;
	if (c1 - c0 != n) {
		fprintf(stderr, "bench: %llu runs counted, %u made\n",
			(unsigned long long)(c1 - c0), n);
		return -EPROTO;
	}
	*ns += ns1 - ns0;
	*cnt += c1 - c0;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Two VIPs with N_BACKENDS backends each, rings filled at random. */
static int world(__u32 conn_max, const char *object, struct xlb_dp **out)
{
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 4,
			   .max_backends = 2 * N_BACKENDS,
			   .ring_max = RING_SIZE,
			   .conn_max = conn_max },
		.object = object,
	};
	static __u32 slots[RING_SIZE];
	struct xlb_config cfg = {
		.hash_seed = 0x12345678,
		.flags = XLB_CFG_F_NH_VALID | XLB_CFG_F_SRC4_VALID |
			 XLB_CFG_F_SRC6_VALID,
		.nh_mac = { 0x02, 0, 0, 0, 0, 0xfe },
	};
	struct xlb_dp *dp = NULL;
	struct xlb_addr vip;
	int v, i, err;

	err = xlb_dp_open(&o, &dp);
	if (err)
		return err;
	inet_pton(AF_INET, "10.255.0.1", &cfg.src4);
	inet_pton(AF_INET6, "fd00:ff::1", cfg.src6);
	err = xlb_dp_config_set(dp, &cfg);
	for (v = 0; v < 2 && !err; v++) {
		struct xlb_vip e = { .id = (__u32)v };

		for (i = 0; i < N_BACKENDS && !err; i++) {
			struct xlb_backend b = { .vip_id = (__u32)v,
						 .gen = 1,
						 .state = XLB_BE_UP };
			__u32 id = (__u32)(v * N_BACKENDS + i);

			if (v == 0) {
				b.family = XLB_AF_INET;
				b.addr[0] = htonl(0x0a010000u | id);
			} else {
				b.family = XLB_AF_INET6;
				b.addr[0] = htonl(0xfd000001u);
				b.addr[3] = htonl(id);
			}
			err = xlb_dp_backend_set(dp, id, &b);
		}
		for (i = 0; i < RING_SIZE; i++)
			slots[i] = (__u32)(v * N_BACKENDS) +
				   (__u32)(rnd() % N_BACKENDS);
		err = err   ?:
			      xlb_addr_parse(v ? "2001:db8::10" : "192.0.2.10",
					     &vip);
		err = err ?: xlb_dp_vip_set(dp, &vip, 80, IPPROTO_TCP, &e);
		err = err ?: xlb_dp_vip_marker_set(dp, &vip, (__u32)v);
		err = err   ?:
			      xlb_dp_ring_publish(dp, &vip, 80, IPPROTO_TCP, &e,
						  slots, RING_SIZE);
	}
	if (err) {
		xlb_dp_close(dp);
		return err;
	}
	*out = dp;
	return 0;
}

static void print_hits(struct xlb_dp *dp, const char *name)
{
	struct xlb_global_stats g;

	if (xlb_dp_stats_global(dp, &g))
		return;
	printf("# %s: conn_hit %llu conn_miss %llu tx %llu\n", name,
	       (unsigned long long)g.c[XLB_C_CONN_HIT],
	       (unsigned long long)g.c[XLB_C_CONN_MISS],
	       (unsigned long long)g.c[XLB_C_TX]);
}

/**
 * struct result - one case
 * @ns: median ns per packet over the rounds
 * @ratio: median over the rounds of (case ns / baseline ns)
 * @base: median baseline ns per packet of the rounds
 */
struct result {
	double ns;
	double ratio;
	double base;
};

/* struct bench - what the cases share */
struct bench {
	struct xlb_dp *dp; /* a world with a table of 1M */
	struct xlb_dp *dp_b; /* the same world over --ab's object, or NULL */
	const char *ab; /* --ab's object, or NULL */
	int pass_prog;
	int ncpus;
};

/* Per round: ns per packet of a program, of the baseline, their ratio. */
static double ratio_of(__u64 ns, __u64 cnt, double base)
{
	return (double)ns / (double)cnt / base;
}

/*
 * ROUNDS rounds of @n packets of @f through @prog, each block of BLOCK
 * followed by BLOCK packets of the baseline. With @prog_b (--ab), each
 * block of @prog is paired with one of @prog_b, the order alternating, and
 * @prog_b gets its own copy of the flow sequence (its own maps, so the
 * same flows are as new to it).
 */
static int rounds(struct bench *b, const char *name, int prog, int prog_b,
		  struct frame *f, struct flows *fl, __u32 n,
		  struct result *res)
{
	double ns[ROUNDS], base[ROUNDS], ratio[ROUNDS], rb[ROUNDS], d[ROUNDS];
	struct flows flb = fl ? *fl : (struct flows){ 0 };
	struct frame bf;
	__u64 cn, cc, bn, bc, an, ac;
	__u32 done, k, blk;
	int r, err = 0;

	frame_init(&bf, 0);
	for (r = 0; r < ROUNDS && !err; r++) {
		cn = cc = bn = bc = an = ac = 0;
		for (done = 0, blk = 0; done < n && !err; done += k, blk++) {
			k = n - done < BLOCK ? n - done : BLOCK;
			if (prog_b >= 0 && blk % 2)
				err = run_block(prog_b, f, fl ? &flb : NULL, k,
						&an, &ac);
			err = err ?: run_block(prog, f, fl, k, &cn, &cc);
			if (prog_b >= 0 && !(blk % 2))
				err = err   ?:
					      run_block(prog_b, f,
							fl ? &flb : NULL, k,
							&an, &ac);
			err = err   ?:
				      run_block(b->pass_prog, &bf, NULL, k, &bn,
						&bc);
		}
		if (err)
			break;
		ns[r] = (double)cn / (double)cc;
		base[r] = (double)bn / (double)bc;
		ratio[r] = ns[r] / base[r];
		if (prog_b >= 0) {
			rb[r] = ratio_of(an, ac, base[r]);
			d[r] = rb[r] - ratio[r];
		}
	}
	if (err)
		return err;
	if (prog_b >= 0) {
		/* median() sorts: each array's min and max are then at its
		 * ends, and the rounds' pairing is no longer needed */
		double ma = median(ratio, ROUNDS), mb = median(rb, ROUNDS),
		       md = median(d, ROUNDS);

		printf("# ab %s: ratio A (this build) %.3f, B (--ab) %.3f, "
		       "B - A %.3f (median over %d rounds; min %.3f max "
		       "%.3f)\n",
		       name, ma, mb, md, ROUNDS, d[0], d[ROUNDS - 1]);
	}
	res->ns = median(ns, ROUNDS);
	res->base = median(base, ROUNDS);
	res->ratio = median(ratio, ROUNDS);
	/* Load only ever adds time: the minima are the least disturbed. */
	printf("# %s: ns/pkt %.1f %.1f %.1f, baseline %.1f %.1f %.1f, ratio "
	       "%.2f %.2f %.2f (min median max of %d rounds), ratio of "
	       "minima %.2f\n",
	       name, ns[0], res->ns, ns[ROUNDS - 1], base[0], res->base,
	       base[ROUNDS - 1], ratio[0], res->ratio, ratio[ROUNDS - 1],
	       ROUNDS, ns[0] / base[0]);
	return 0;
}

/* The program of --ab's world, or -1. */
static int prog_b(const struct bench *b)
{
	return b->dp_b ? xlb_dp_prog_fd(b->dp_b) : -1;
}

/* The baseline alone, blocks of it against blocks of itself. */
static int c_baseline(struct bench *b, struct result *res)
{
	struct frame f;

	frame_init(&f, 0);
	return rounds(b, "xdp_pass_baseline", b->pass_prog, -1, &f, NULL,
		      N_FIXED, res);
}

static int established(struct bench *b, int v6, struct result *res)
{
	struct frame f;

	frame_init(&f, v6);
	return rounds(b, v6 ? "established_v6" : "established_v4",
		      xlb_dp_prog_fd(b->dp), prog_b(b), &f, NULL, N_FIXED, res);
}

/*
 * established_v4 with full-size packets (1500 bytes of IP): the fast path
 * then checks the path MTU (the default slot of xlb_mtu, 9000 here as
 * xlbd would set it for one 9000-byte port); small packets skip it.
 */
static int c_est4_full(struct bench *b, struct result *res)
{
	__u32 lo = if_nametoindex("lo");
	struct frame f;
	int err;

	frame_init(&f, 0);
	f.d[16] = 1500 >> 8;
	f.d[17] = 1500 & 0xff;
	f.d[24] = f.d[25] = 0;
	memcpy(f.d + 24, &(__u16){ csum(f.d + 14, 20) }, 2);
	f.len = 14 + 1500;
	/* as xlbd writes them: the port's own, and the smallest as default */
	err = xlb_dp_mtu_set(b->dp, lo, 9000);
	err = err ?: xlb_dp_mtu_set(b->dp, 0, 9000);
	if (!err && b->dp_b) {
		err = xlb_dp_mtu_set(b->dp_b, lo, 9000);
		err = err ?: xlb_dp_mtu_set(b->dp_b, 0, 9000);
	}
	err = err   ?:
		      rounds(b, "established_v4_full", xlb_dp_prog_fd(b->dp),
			     prog_b(b), &f, NULL, N_FIXED, res);
	xlb_dp_mtu_set(b->dp, 0, 0);
	xlb_dp_mtu_set(b->dp, lo, 0);
	if (b->dp_b) {
		xlb_dp_mtu_set(b->dp_b, 0, 0);
		xlb_dp_mtu_set(b->dp_b, lo, 0);
	}
	return err;
}

/* The IPv4 (or @v6) VIP of @dp forwards by @fwd (its backends' gue_port
 * stays 0: 6080). */
static int vip_fwd(struct xlb_dp *dp, int v6, __u8 fwd)
{
	struct xlb_addr vip;
	struct xlb_vip e;
	int err;

	err = xlb_addr_parse(v6 ? "2001:db8::10" : "192.0.2.10", &vip);
	err = err ?: xlb_dp_vip_get(dp, &vip, 80, IPPROTO_TCP, &e);
	if (err)
		return err;
	e.fwd = fwd;
	return xlb_dp_vip_set(dp, &vip, 80, IPPROTO_TCP, &e);
}

/*
 * established_v4/v6 with the VIP forwarding by GUE (bpf/gue.h): a flow of
 * its own (an entry made while the VIP was IPIP would keep IPIP), which
 * the fast path leaves to the general path, plus the source port's hash
 * and, over IPv6, the UDP checksum.
 */
static int est_gue(struct bench *b, int v6, struct result *res)
{
	struct frame f;
	int err;

	frame_init(&f, v6);
	frame_flow(&f, 0x7fff0);
	err = vip_fwd(b->dp, v6, XLB_FWD_GUE);
	if (!err && b->dp_b)
		err = vip_fwd(b->dp_b, v6, XLB_FWD_GUE);
	err = err   ?:
		      rounds(b,
			     v6 ? "established_v6_gue" : "established_v4_gue",
			     xlb_dp_prog_fd(b->dp), prog_b(b), &f, NULL,
			     N_FIXED, res);
	vip_fwd(b->dp, v6, XLB_FWD_IPIP);
	if (b->dp_b)
		vip_fwd(b->dp_b, v6, XLB_FWD_IPIP);
	return err;
}

static int c_est4_gue(struct bench *b, struct result *res)
{
	return est_gue(b, 0, res);
}

static int c_est6_gue(struct bench *b, struct result *res)
{
	return est_gue(b, 1, res);
}

static int c_est4(struct bench *b, struct result *res)
{
	return established(b, 0, res);
}

static int c_est6(struct bench *b, struct result *res)
{
	return established(b, 1, res);
}

/* Fresh flows throughout: ROUNDS * N_NEW stay far below the table. */
static int c_new_flow(struct bench *b, struct result *res)
{
	struct flows fl = { .base = 0x100000u, .cycle = ROUNDS * N_NEW };
	struct frame f;

	frame_init(&f, 0);
	return rounds(b, "new_flow", xlb_dp_prog_fd(b->dp), prog_b(b), &f, &fl,
		      N_NEW, res);
}

/* A table of 4096, far more flows than that. */
static int c_new_flow_evict(struct bench *b, struct result *res)
{
	struct flows fl = { .cycle = ROUNDS * N_NEW };
	struct xlb_dp *dp = NULL;
	struct frame f;
	int err;

	err = world(4096, NULL, &dp);
	if (err)
		return err;
	frame_init(&f, 0);
	err = rounds(b, "new_flow_evict", xlb_dp_prog_fd(dp), -1, &f, &fl,
		     N_NEW, res);
	print_hits(dp, "new_flow_evict");
	xlb_dp_close(dp);
	return err;
}

/*
 * A flood of new flows over the SYN-flood guard (lb.new_flow_rate, 1000 per
 * second here): after the first thousand, every packet is balanced by the
 * ring and its insert skipped. Compare with new_flow (every packet
 * inserted).
 */
static int c_new_flow_flood(struct bench *b, struct result *res)
{
	struct flows fl = { .base = 0x200000u, .cycle = ROUNDS * N_NEW };
	struct xlb_limits l = { .conn_rate = 1000 };
	struct xlb_global_stats g;
	struct xlb_dp *dp = NULL;
	struct frame f;
	int err;

	(void)b;
	err = world(1u << 20, NULL, &dp);
	err = err ?: xlb_dp_limits_set(dp, &l);
	if (err) {
		xlb_dp_close(dp);
		return err;
	}
	frame_init(&f, 0);
	err = rounds(b, "new_flow_flood", xlb_dp_prog_fd(dp), -1, &f, &fl,
		     N_NEW, res);
	if (!xlb_dp_stats_global(dp, &g))
		printf("# new_flow_flood: conn_miss %llu conn_insert_skipped "
		       "%llu tx %llu\n",
		       (unsigned long long)g.c[XLB_C_CONN_MISS],
		       (unsigned long long)g.c[XLB_C_CONN_INSERT_SKIPPED],
		       (unsigned long long)g.c[XLB_C_TX]);
	xlb_dp_close(dp);
	return err;
}

/* 1M flows visited in turn, in a table of 4M ways (a quarter full, so
 * hardly a set overflows its 4 ways). */
static int c_flows_1m(struct bench *b, struct result *res)
{
	struct flows fl = { .cycle = N_1M };
	struct xlb_dp *dp = NULL;
	__u64 ns = 0, cnt = 0;
	struct frame f;
	int err;

	err = world(N_1M * 4, NULL, &dp);
	if (err)
		return err;
	frame_init(&f, 0);
	err = run_block(xlb_dp_prog_fd(dp), &f, &fl, N_1M, &ns, &cnt);
	if (!err) {
		printf("# flows_1m: inserting the 1M flows: %.1f ns per "
		       "packet\n",
		       (double)ns / (double)cnt);
		err = rounds(b, "flows_1m", xlb_dp_prog_fd(dp), -1, &f, &fl,
			     N_1M, res);
	}
	print_hits(dp, "flows_1m (1 insert pass, then rounds of hits)");
	xlb_dp_close(dp);
	return err;
}

/*
 * QUIC connection-ID routing (bpf/quic.h): a UDP VIP 192.0.2.10:443 with a
 * 2-byte server id at offset 1 of the DCID, its 100 backends holding ids
 * 0x0100 + n. Short-header packets (64 bytes of UDP payload) name backend
 * 7's id. @conn: with the connection table, a new 5-tuple every packet (a
 * migrating or new client: the DCID is read and the choice recorded, to
 * compare with new_flow); without (conn_table: false), one flow again and
 * again, every packet reading its DCID (compare with established_v4).
 */
/* the QUIC world described above, over @obj (NULL: this build's) */
static int quic_world(const char *obj, int conn, struct xlb_dp **out)
{
	struct xlb_vip e = { .id = 2, .flags = XLB_VIP_F_QUIC };
	struct xlb_quic_vip qv = { .offset = 1, .len = 2 };
	struct xlb_dp *dp = NULL;
	static __u32 slots[RING_SIZE];
	struct xlb_addr vip;
	__u64 saved;
	int i, err;

	err = world(1u << 20, obj, &dp);
	if (err)
		return err;
	if (!conn)
		e.flags |= XLB_VIP_F_NO_CONN;
	/* the IPv4 VIP's backends (ids 0..99), on a third VIP of their own */
	for (i = 0; i < N_BACKENDS && !err; i++) {
		struct xlb_backend be = { .vip_id = 2,
					  .gen = 1,
					  .state = XLB_BE_UP,
					  .family = XLB_AF_INET };
		struct xlb_quic_be qb = { .backend = (__u32)i, .gen = 1 };

		be.addr[0] = htonl(0x0a010000u | (__u32)i);
		err = xlb_dp_backend_set(dp, (__u32)i, &be);
		err = err ?: xlb_dp_quic_id_set(dp, 2, 0x0100u + (__u32)i, &qb);
	}
	/* the same ring in both worlds of --ab: from a fixed state of the
	 * generator, the cases after this one left as they were */
	saved = rng;
	rng = 0x5eed5eed5eedull;
	for (i = 0; i < RING_SIZE; i++)
		slots[i] = (__u32)(rnd() % N_BACKENDS);
	rng = saved;
	err = err ?: xlb_addr_parse("192.0.2.10", &vip);
	err = err ?: xlb_dp_quic_vip_set(dp, 2, &qv);
	err = err ?: xlb_dp_vip_set(dp, &vip, 443, IPPROTO_UDP, &e);
	err = err   ?:
		      xlb_dp_ring_publish(dp, &vip, 443, IPPROTO_UDP, &e, slots,
					  RING_SIZE);
	if (err) {
		xlb_dp_close(dp);
		return err;
	}
	*out = dp;
	return 0;
}

static int quic_case(struct bench *b, const char *name, int conn,
		     struct result *res)
{
	struct flows fl = { .base = 0x300000u, .cycle = ROUNDS * N_NEW };
	struct xlb_dp *dp = NULL, *dp_b = NULL;
	struct xlb_quic_stats qs;
	struct frame f;
	__u8 *u;
	int err;

	err = quic_world(NULL, conn, &dp);
	if (!err && b->ab)
		err = quic_world(b->ab, conn, &dp_b);
	if (err) {
		xlb_dp_close(dp);
		return err;
	}
	/* the TCP frame made UDP: 8 bytes of header, 64 of QUIC */
	frame_init(&f, 0);
	f.d[17] = 20 + 8 + 64;
	f.d[23] = IPPROTO_UDP;
	f.d[24] = f.d[25] = 0;
	memcpy(f.d + 24, &(__u16){ csum(f.d + 14, 20) }, 2);
	u = f.d + f.l4;
	memset(u + 2, 0, 8 + 64 - 2);
	u[2] = 443 >> 8;
	u[3] = 443 & 0xff;
	u[5] = 8 + 64;
	u[8] = 0x41; /* short header */
	u[9] = 0x00; /* DCID: first octet, then the id */
	u[10] = 0x01;
	u[11] = 0x07;
	f.len = f.l4 + 8 + 64;
	err = rounds(b, name, xlb_dp_prog_fd(dp),
		     dp_b ? xlb_dp_prog_fd(dp_b) : -1, &f, conn ? &fl : NULL,
		     conn ? N_NEW : N_FIXED, res);
	if (!xlb_dp_quic_stats(dp, &qs))
		printf("# %s: quic_routed %llu quic_unknown_id %llu "
		       "quic_fallback %llu quic_no_id %llu\n",
		       name, (unsigned long long)qs.c[XLB_QC_ROUTED],
		       (unsigned long long)qs.c[XLB_QC_UNKNOWN_ID],
		       (unsigned long long)qs.c[XLB_QC_FALLBACK],
		       (unsigned long long)qs.c[XLB_QC_NO_ID]);
	print_hits(dp, name);
	xlb_dp_close(dp_b);
	xlb_dp_close(dp);
	return err;
}

static int c_quic_short(struct bench *b, struct result *res)
{
	return quic_case(b, "quic_short", 1, res);
}

static int c_quic_short_noconn(struct bench *b, struct result *res)
{
	return quic_case(b, "quic_short_noconn", 0, res);
}

static const struct {
	const char *name;
	int (*run)(struct bench *b, struct result *res);
} cases[] = {
	{ "established_v4", c_est4 },
	{ "established_v6", c_est6 },
	{ "established_v4_full", c_est4_full },
	{ "established_v4_gue", c_est4_gue },
	{ "established_v6_gue", c_est6_gue },
	{ "new_flow", c_new_flow },
	{ "new_flow_evict", c_new_flow_evict },
	{ "new_flow_flood", c_new_flow_flood },
	{ "flows_1m", c_flows_1m },
	{ "quic_short", c_quic_short },
	{ "quic_short_noconn", c_quic_short_noconn },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static bool wanted(const char *name, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return argc < 2;
}

int main(int argc, char **argv)
{
	struct bench b = { .ncpus = libbpf_num_possible_cpus() };
	struct result base, v[N_CASES];
	bool ran[N_CASES] = { false };
	int stats_fd = -1, err, cpu;
	const char *ab = NULL;
	cpu_set_t set;
	size_t i;

	if (b.ncpus < 1)
		b.ncpus = 1;
	if (argc > 1 && !strcmp(argv[1], "--ab")) {
		if (argc < 3) {
			fprintf(stderr, "usage: bench_dp [--ab OBJECT] "
					"[CASE...]\n");
			return 2;
		}
		ab = argv[2];
		argc -= 2;
		argv += 2; /* argv[1..] are the cases again */
	}
	xlb_log_init("bench_dp", XLB_LOG_WARN);
	/* The last CPU: interrupts and other work tend to land on CPU 0. */
	cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "bench: cannot pin to CPU %d\n", cpu);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "bench: BPF_STATS_RUN_TIME: %s\n",
			strerror(-err));
		goto out;
	}
	bench_print_machine();
	printf("# bench_dp: pinned to CPU %d of %d, %d rounds, ring %d, %d "
	       "backends per VIP\n",
	       cpu, b.ncpus, ROUNDS, RING_SIZE, N_BACKENDS);

	err = world(1u << 20, NULL, &b.dp);
	if (err) {
		fprintf(stderr, "bench: data path: %s\n", strerror(-err));
		goto out;
	}
	b.pass_prog = xlb_dp_pass_prog_fd(b.dp);
	b.ab = ab;
	if (ab) {
		err = world(1u << 20, ab, &b.dp_b);
		if (err) {
			fprintf(stderr, "bench: --ab %s: %s\n", ab,
				strerror(-err));
			goto out;
		}
		printf("# ab: A is this build, B is %s\n", ab);
	}
	err = c_baseline(&b, &base);
	if (err)
		goto fail;
	printf("BENCH xdp_pass_baseline %.1f ns_per_pkt\n", base.ns);
	fflush(stdout);
	for (i = 0; i < N_CASES; i++) {
		if (!wanted(cases[i].name, argc, argv))
			continue;
		err = cases[i].run(&b, &v[i]);
		if (err)
			goto fail;
		ran[i] = true;
		printf("BENCH %s %.1f ns_per_pkt\n", cases[i].name, v[i].ns);
		fflush(stdout);
	}
	for (i = 0; i < N_CASES; i++)
		if (ran[i])
			printf("BENCH %s_ratio %.2f x\n", cases[i].name,
			       v[i].ratio);
	goto out;
fail:
	fprintf(stderr, "bench: %s\n", strerror(-err));
out:
	xlb_dp_close(b.dp_b);
	xlb_dp_close(b.dp);
	if (stats_fd >= 0)
		close(stats_fd);
	return err ? 1 : 0;
}
