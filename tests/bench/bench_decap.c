// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: per-packet cost of the backend-side decapsulator
 *
 * Same method as bench_dp.c: xlb_decap runs through BPF_PROG_TEST_RUN one
 * packet at a time (repeat = 1, so every run strips a fresh copy of the
 * frame, tests/README.md), and the time is the kernel's own run-time
 * statistics (BPF_STATS_RUN_TIME), not the syscall around each run. The
 * baseline is the XDP_PASS program of the same object, run in alternating
 * blocks with each case so a round's ratio compares runs made side by
 * side; the figures are medians over ROUNDS rounds, with min/median/max on
 * a "#" line.
 *
 * Cases (TCP, 64 bytes of payload; maps: 2 local addresses, 2 VIPs):
 *
 * - decap_v4: IPIP to a local address, inner destination a VIP.
 * - decap_v6: IP6IP6.
 * - decap_4in6: IPv4 in IPv6.
 * - pass_host: plain TCP to the host's own address (what every packet
 *   that is not a tunnel pays).
 * - decap_v4_srccheck, decap_v6_srccheck: decap_v4 and decap_v6 with the
 *   source check on (xlbctl backend-host setup --source), the source
 *   matched in an LPM trie of 64 prefixes per family.
 *
 * Before timing, each case checks once that the program does what the
 * case says (the frame comes out stripped, or untouched), and afterwards
 * that the matching counter counted every run.
 *
 * Output: "BENCH <name> <value> <unit>" lines; nothing is asserted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "addr.h"
#include "log.h"
#include "maps/xlb_decap.h"
#include "xlb_decap.skel.h"
#include "machine.h"

#define ROUNDS 5
#define BLOCK  8192
#define N_PKTS 163840 /* per round */

struct frame {
	__u8 d[256];
	__u32 len;
	__u32 olen; /* outer header to strip, 0 for pass_host */
	int ctr; /* the counter that must count it */
};

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

static __u32 put_ip4(__u8 *d, const char *src, const char *dst, __u8 proto,
		     __u16 tot)
{
	__u16 c;

	memset(d, 0, 20);
	d[0] = 0x45;
	d[2] = tot >> 8;
	d[3] = tot & 0xff;
	d[6] = 0x40;
	d[8] = 64;
	d[9] = proto;
	inet_pton(AF_INET, src, d + 12);
	inet_pton(AF_INET, dst, d + 16);
	c = csum(d, 20);
	memcpy(d + 10, &c, 2);
	return 20;
}

static __u32 put_ip6(__u8 *d, const char *src, const char *dst, __u8 proto,
		     __u16 plen)
{
	memset(d, 0, 40);
	d[0] = 0x60;
	d[4] = plen >> 8;
	d[5] = plen & 0xff;
	d[6] = proto;
	d[7] = 64;
	inet_pton(AF_INET6, src, d + 8);
	inet_pton(AF_INET6, dst, d + 24);
	return 40;
}

/* TCP ACK with 64 bytes of payload (checksum left zero: never read). */
static __u32 put_tcp(__u8 *d)
{
	memset(d, 0, 20 + 64);
	d[0] = 40000 >> 8;
	d[1] = 40000 & 0xff;
	d[3] = 80;
	d[12] = 5 << 4;
	d[13] = 0x10;
	return 20 + 64;
}

/* @outer 0/4/6, @inner 4/6 */
static void frame_init(struct frame *f, int outer, int inner)
{
	static const __u8 mac[12] = { 2, 0, 0, 0, 0xb, 1, 2, 0, 0, 0, 0xb, 2 };
	__u32 o = 14, ilen = (inner == 4 ? 20 : 40) + 20 + 64;
	__u8 *d = f->d;

	memset(f, 0, sizeof(*f));
	memcpy(d, mac, 12);
	if (outer == 4) {
		d[12] = 0x08;
		o += put_ip4(d + o, "10.101.1.2", "10.102.1.2",
			     inner == 4 ? IPPROTO_IPIP : IPPROTO_IPV6,
			     (__u16)(20 + ilen));
		f->olen = 20;
		f->ctr = inner == 4 ? XLB_DC_DECAP_IPIP : XLB_DC_DECAP_6IN4;
	} else if (outer == 6) {
		d[12] = 0x86;
		d[13] = 0xdd;
		o += put_ip6(d + o, "fd00:101:1::2", "fd00:102:1::2",
			     inner == 4 ? IPPROTO_IPIP : IPPROTO_IPV6,
			     (__u16)ilen);
		f->olen = 40;
		f->ctr = inner == 4 ? XLB_DC_DECAP_4IN6 : XLB_DC_DECAP_IP6IP6;
	} else {
		f->ctr = XLB_DC_PASS_NOT_TUNNEL;
	}
	if (inner == 4) {
		if (!outer) {
			d[12] = 0x08;
			d[13] = 0x00;
		}
		o += put_ip4(d + o, "198.51.100.7",
			     outer ? "192.0.2.10" : "10.102.1.2", IPPROTO_TCP,
			     (__u16)ilen);
	} else {
		if (!outer) {
			d[12] = 0x86;
			d[13] = 0xdd;
		}
		o += put_ip6(d + o, "2001:db8:c::7",
			     outer ? "2001:db8::10" : "fd00:102:1::2",
			     IPPROTO_TCP, 20 + 64);
	}
	o += put_tcp(d + o);
	f->len = o;
}

static int stats_of(int prog, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

static int run_block(int prog, const struct frame *f, __u32 n, __u64 *ns,
		     __u64 *cnt)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->d,
		    .data_size_in = f->len, .repeat = 1);
	__u64 ns0 = 0, c0 = 0, ns1 = 0, c1 = 0;
	__u32 i;
	int err;

	err = stats_of(prog, &ns0, &c0);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (bpf_prog_test_run_opts(prog, &o))
			return -errno;
		if (o.retval != XDP_PASS) {
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

struct result {
	double ns;
	double ratio;
};

static struct xlb_decap_bpf *skel;
static int pass_fd, decap_fd;

static int rounds(const char *name, int prog, const struct frame *f,
		  struct result *res)
{
	double ns[ROUNDS], base[ROUNDS], ratio[ROUNDS], bmed;
	struct frame bf;
	__u64 cn, cc, bn, bc;
	__u32 done, k;
	int r, err = 0;

	frame_init(&bf, 0, 4);
	for (r = 0; r < ROUNDS && !err; r++) {
		cn = cc = bn = bc = 0;
		for (done = 0; done < N_PKTS && !err; done += k) {
			k = N_PKTS - done < BLOCK ? N_PKTS - done : BLOCK;
			err = run_block(prog, f, k, &cn, &cc);
			err = err ?: run_block(pass_fd, &bf, k, &bn, &bc);
		}
		if (err)
			break;
		ns[r] = (double)cn / (double)cc;
		base[r] = (double)bn / (double)bc;
		ratio[r] = ns[r] / base[r];
	}
	if (err)
		return err;
	/* median() sorts in place: [0] and [ROUNDS - 1] are then min, max */
	res->ns = median(ns, ROUNDS);
	res->ratio = median(ratio, ROUNDS);
	bmed = median(base, ROUNDS);
	printf("# %s: ns/pkt %.1f %.1f %.1f, baseline %.1f %.1f %.1f, ratio "
	       "%.2f %.2f %.2f (min median max of %d rounds)\n",
	       name, ns[0], res->ns, ns[ROUNDS - 1], base[0], bmed,
	       base[ROUNDS - 1], ratio[0], res->ratio, ratio[ROUNDS - 1],
	       ROUNDS);
	return 0;
}

static int map_add(struct bpf_map *m, const char *s)
{
	struct xlb_decap_addr k;
	struct xlb_decap_val v = {};
	struct xlb_addr a;

	if (xlb_addr_parse(s, &a))
		return -EINVAL;
	k = (struct xlb_decap_addr){ .family = a.family };
	memcpy(k.addr, a.a, sizeof(k.addr));
	return bpf_map__update_elem(m, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
}

static __u64 counter(int c)
{
	int n = libbpf_num_possible_cpus(), i;
	struct xlb_decap_stats *v;
	__u64 sum = 0;
	__u32 zero = 0;

	if (n < 1)
		n = 1;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map__lookup_elem(skel->maps.xlb_decap_stats_v2, &zero,
				  sizeof(zero), v, sizeof(*v) * (size_t)n, 0))
		for (i = 0; i < n; i++)
			sum += v[i].c[c];
	free(v);
	return sum;
}

/* The case does what it says: one run, output checked, counter moves. */
static int sanity(const char *name, const struct frame *f)
{
	__u8 out[512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->d,
		    .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(decap_fd, &o))
		return -errno;
	if (o.retval != XDP_PASS || o.data_size_out != f->len - f->olen ||
	    (!f->olen && memcmp(out, f->d, f->len)) ||
	    (f->olen &&
	     memcmp(out + 14, f->d + 14 + f->olen, f->len - 14 - f->olen))) {
		fprintf(stderr, "bench: %s: the program did not %s the frame\n",
			name, f->olen ? "strip" : "pass");
		return -EPROTO;
	}
	return 0;
}

static const struct {
	const char *name;
	int outer, inner;
	int srccheck; /* with the source check on */
} cases[] = {
	{ "decap_v4", 4, 4, 0 },	  { "decap_v6", 6, 6, 0 },
	{ "decap_4in6", 6, 4, 0 },	  { "pass_host", 0, 4, 0 },
	{ "decap_v4_srccheck", 4, 4, 1 }, { "decap_v6_srccheck", 6, 6, 1 },
};

/* 64 prefixes per family, the balancers' among them; the switch off. */
static int sources_fill(void)
{
	struct xlb_decap_val v = {};
	struct xlb_decap_prefix k;
	int i, err = 0;

	for (i = 0; i < 64 && !err; i++) {
		memset(&k, 0, sizeof(k));
		k.family = XLB_AF_INET;
		k.prefixlen = 32 + 24;
		k.addr[0] =
			htonl(0x0a650000u | (__u32)i << 8); /* 10.101.i/24 */
		err = bpf_map__update_elem(skel->maps.xlb_decap_sources, &k,
					   sizeof(k), &v, sizeof(v), BPF_ANY);
		if (err)
			break;
		memset(&k, 0, sizeof(k));
		k.family = XLB_AF_INET6;
		k.prefixlen = 32 + 48;
		k.addr[0] = htonl(0xfd000101u); /* fd00:101:i::/48 */
		k.addr[1] = htonl((__u32)i << 16);
		err = bpf_map__update_elem(skel->maps.xlb_decap_sources, &k,
					   sizeof(k), &v, sizeof(v), BPF_ANY);
	}
	return err;
}

static int source_check(int on)
{
	struct xlb_decap_cfg c = { .flags = on ? XLB_DECAP_F_SOURCES : 0 };
	__u32 zero = 0;

	return bpf_map__update_elem(skel->maps.xlb_decap_cfg, &zero,
				    sizeof(zero), &c, sizeof(c), BPF_ANY);
}

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	struct result base, v[N_CASES];
	int stats_fd = -1, err = 0, cpu;
	struct frame f;
	cpu_set_t set;
	__u64 before;
	size_t i;

	xlb_log_init("bench_decap", XLB_LOG_WARN);
	cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "bench: cannot pin to CPU %d\n", cpu);
	skel = xlb_decap_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bench: load xlb_decap.bpf.o: %s\n",
			strerror(errno));
		return 1;
	}
	decap_fd = bpf_program__fd(skel->progs.xlb_decap);
	pass_fd = bpf_program__fd(skel->progs.xlb_decap_pass);
	err = map_add(skel->maps.xlb_decap_local, "10.102.1.2")		   ?:
		      map_add(skel->maps.xlb_decap_local, "fd00:102:1::2") ?:
		      map_add(skel->maps.xlb_decap_local, "10.102.1.3")	   ?:
		      map_add(skel->maps.xlb_decap_local, "fd00:102:1::3") ?:
		      map_add(skel->maps.xlb_decap_vips, "192.0.2.10")	   ?:
		      map_add(skel->maps.xlb_decap_vips, "2001:db8::10")   ?:
		      map_add(skel->maps.xlb_decap_vips, "192.0.2.11")	   ?:
		      map_add(skel->maps.xlb_decap_vips, "2001:db8::11")   ?:
		      sources_fill();
	if (err) {
		fprintf(stderr, "bench: fill maps: %s\n", strerror(-err));
		goto out;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "bench: BPF_STATS_RUN_TIME: %s\n",
			strerror(-err));
		goto out;
	}
	bench_print_machine();
	printf("# bench_decap: pinned to CPU %d, %d rounds of %d packets\n",
	       cpu, ROUNDS, N_PKTS);
	frame_init(&f, 0, 4);
	err = rounds("xdp_pass_baseline", pass_fd, &f, &base);
	if (err)
		goto fail;
	printf("BENCH xdp_pass_baseline %.1f ns_per_pkt\n", base.ns);
	fflush(stdout);
	for (i = 0; i < N_CASES; i++) {
		frame_init(&f, cases[i].outer, cases[i].inner);
		err = source_check(cases[i].srccheck);
		if (err)
			goto fail;
		err = sanity(cases[i].name, &f);
		if (err)
			goto fail;
		before = counter(f.ctr);
		err = rounds(cases[i].name, decap_fd, &f, &v[i]);
		if (err)
			goto fail;
		if (counter(f.ctr) - before != (__u64)ROUNDS * N_PKTS) {
			fprintf(stderr, "bench: %s: counter moved by %llu\n",
				cases[i].name,
				(unsigned long long)(counter(f.ctr) - before));
			err = -EPROTO;
			goto fail;
		}
		printf("BENCH %s %.1f ns_per_pkt\n", cases[i].name, v[i].ns);
		fflush(stdout);
	}
	for (i = 0; i < N_CASES; i++)
		printf("BENCH %s_ratio %.2f x\n", cases[i].name, v[i].ratio);
	goto out;
fail:
	fprintf(stderr, "bench: %s\n", strerror(-err));
out:
	if (stats_fd >= 0)
		close(stats_fd);
	xlb_decap_bpf__destroy(skel);
	return err ? 1 : 0;
}
