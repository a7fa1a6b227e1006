// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: fuzz_xdp - the XDP balancer on mutated frames
 *
 * The balancer (xlb_lb) is loaded with private maps through dp.c and given
 * a small world: IPv4 and IPv6 VIPs forwarded by IPIP, 4in6, 6in4 and L2,
 * one port-less VIP and one without backends. Each input is one Ethernet
 * frame, run twice through BPF_PROG_TEST_RUN (a new flow, then the same
 * flow from the connection table, which is cleared before each input so a
 * crash reproduces from its file alone). After each run:
 *
 * - a frame not addressed to a VIP address (as this file parses it, with
 *   up to two VLAN tags like bpf/parse.h) comes back XDP_PASS, untouched;
 * - a frame sent back (XDP_TX) parses, and an IPv4 header the program
 *   wrote has a valid checksum and a length within the frame;
 * - exactly one outcome counter moved, the one matching the action
 *   (pass, tx or icmp_echo, redirect, a drop_*); the VIPs' forwarded
 *   packets, the backends' packets and tx + redirect moved together, and
 *   the VIPs' drops with the drop counters.
 *
 * The UDP VIP 192.0.2.10:53 also routes QUIC connection IDs (bpf/quic.h:
 * a 2-byte server id at offset 1 of the DCID, ids 0x0101 and 0x0102 for
 * its two backends), so mutated QUIC headers reach that path too; at most
 * one quic_* counter moves per run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include "dp.h"
#include "dp_quic.h"
#include "log.h"
#include "xlb.skel.h"

#define RING 251
#define NV   7
#define NB   9
#define MAXF 4096

static const struct {
	const char *addr;
	__u16 port;
	__u8 proto;
	__u8 fwd;
} VIPS[NV] = {
	{ "192.0.2.10", 80, IPPROTO_TCP, XLB_FWD_IPIP },
	{ "192.0.2.10", 53, IPPROTO_UDP, XLB_FWD_IPIP },
	{ "2001:db8::10", 80, IPPROTO_TCP, XLB_FWD_IPIP },
	{ "192.0.2.20", 0, IPPROTO_TCP, XLB_FWD_IPIP }, /* 4in6 */
	{ "2001:db8::20", 443, IPPROTO_TCP, XLB_FWD_IPIP }, /* 6in4 */
	{ "192.0.2.30", 80, IPPROTO_TCP, XLB_FWD_L2 },
	{ "192.0.2.40", 80, IPPROTO_UDP, XLB_FWD_IPIP }, /* no backend */
};

/* the VIP that routes QUIC connection IDs */
#define QUIC_VIP 1

static const struct {
	const char *addr;
	__u32 vip;
} BES[NB] = {
	{ "10.0.0.1", 0 },  { "10.0.0.2", 0 },	{ "10.0.1.1", 1 },
	{ "fd00:1::1", 2 }, { "fd00:1::2", 2 }, { "fd00:2::1", 3 },
	{ "10.0.2.1", 4 },  { "10.0.3.1", 5 },	{ "10.0.0.1", 1 },
};

/*
 * The BPF program's own branches are invisible to libFuzzer's coverage;
 * these counters (picked up by libFuzzer from their section) stand in for
 * them: which counters moved, the action, the output length bucket, so an
 * input reaching a new outcome or event is kept in the corpus.
 */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t
	extra[2][XLB_C_MAX + 8 + 16];

static struct xlb_dp *dp;
static int prog, conn4_fd, conn6_fd;
static __u32 nsets;
static void *zero_sets;
static __u32 *set_keys;
static struct xlb_addr vip_addrs[NV];

static __attribute__((noreturn)) void die(const char *what, int err)
{
	fprintf(stderr, "fuzz_xdp: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(1);
}

static __attribute__((noreturn)) void fail(const char *what, const uint8_t *f,
					   size_t n)
{
	size_t i;

	fprintf(stderr, "fuzz_xdp: %s\nframe:", what);
	for (i = 0; i < n && i < 256; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", f[i]);
	fprintf(stderr, "\n");
	abort();
}

static struct xlb_addr xaddr(const char *s)
{
	struct xlb_addr a;

	if (xlb_addr_parse(s, &a))
		die(s, EINVAL);
	return a;
}

/* QUIC_VIP's ids: 0x0101 + n for its n-th backend */
static int quic_setup(struct xlb_dp *d)
{
	struct xlb_quic_vip qv = { .offset = 1, .len = 2 };
	__u32 i, n = 0;
	int err;

	err = xlb_dp_quic_vip_set(d, QUIC_VIP, &qv);
	for (i = 0; i < NB && !err; i++) {
		struct xlb_quic_be qb = { .backend = i, .gen = 1 };

		if (BES[i].vip == QUIC_VIP)
			err = xlb_dp_quic_id_set(d, QUIC_VIP, 0x0101 + n++,
						 &qb);
	}
	return err;
}

static void setup(void)
{
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 16,
			   .max_backends = 32,
			   .ring_max = 257,
			   .conn_max = 1024 },
	};
	static const __u8 nh[6] = { 0x02, 0, 0, 0, 0, 0xfe };
	struct xlb_config cfg = { 0 };
	struct xlb_backend be;
	struct xlb_vip v;
	__u32 slots[RING], members[NB], i, j, n;
	struct xlb_addr a;
	int err;

	xlb_log_set_level(XLB_LOG_ERR);
	err = xlb_dp_open(&o, &dp);
	if (err)
		die("xlb_dp_open (needs root and BPF)", err);
	prog = xlb_dp_prog_fd(dp);
	err = xlb_dp_config_get(dp, &cfg);
	if (err)
		die("config get", err);
	cfg.src4 = xaddr("10.255.0.1").a[0];
	memcpy(cfg.src6, xaddr("fd00:ff::1").a, 16);
	cfg.hash_seed = 0x5eed1234u;
	cfg.flags = XLB_CFG_F_NH_VALID | XLB_CFG_F_SRC4_VALID |
		    XLB_CFG_F_SRC6_VALID;
	memcpy(cfg.nh_mac, nh, 6);
	err = xlb_dp_config_set(dp, &cfg);
	for (i = 0; i < NB && !err; i++) {
		memset(&be, 0, sizeof(be));
		a = xaddr(BES[i].addr);
		memcpy(be.addr, a.a, 16);
		be.family = a.family;
		be.vip_id = BES[i].vip;
		be.gen = 1;
		be.state = XLB_BE_UP;
		if (VIPS[BES[i].vip].fwd == XLB_FWD_L2) {
			be.flags = XLB_BE_F_NH_VALID;
			memcpy(be.nh_mac, nh, 6);
		}
		err = xlb_dp_backend_set(dp, i, &be);
	}
	for (i = 0; i < NV && !err; i++) {
		vip_addrs[i] = a = xaddr(VIPS[i].addr);
		memset(&v, 0, sizeof(v));
		v.id = i;
		v.fwd = VIPS[i].fwd;
		if (i == QUIC_VIP)
			v.flags = XLB_VIP_F_QUIC;
		for (j = 0, n = 0; j < NB; j++)
			if (BES[j].vip == i)
				members[n++] = j;
		for (j = 0; j < RING; j++)
			slots[j] = n ? members[j % n] : XLB_BACKEND_NONE;
		err = xlb_dp_vip_set(dp, &a, VIPS[i].port, VIPS[i].proto, &v);
		err = err   ?:
			      xlb_dp_ring_publish(dp, &a, VIPS[i].port,
						  VIPS[i].proto, &v, slots,
						  RING);
		/* the marker of each address: its first VIP */
		for (j = 0; j < i; j++)
			if (xlb_addr_eq(&vip_addrs[j], &a))
				break;
		if (!err && j == i)
			err = xlb_dp_vip_marker_set(dp, &a, i);
	}
	err = err ?: quic_setup(dp);
	if (err)
		die("world setup", err);
	conn4_fd = bpf_map__fd(xlb_dp_skel(dp)->maps.xlb_conn4_v3);
	conn6_fd = bpf_map__fd(xlb_dp_skel(dp)->maps.xlb_conn6_v3);
	nsets = xlb_conn_sets(o.sizes.conn_max);
	zero_sets = calloc(nsets, sizeof(struct xlb_conn6_set));
	set_keys = calloc(nsets, sizeof(__u32));
	if (!zero_sets || !set_keys)
		die("calloc", ENOMEM);
	for (i = 0; i < nsets; i++)
		set_keys[i] = i;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	return 0;
}

/* every flow forgotten: an input's outcome depends on it alone */
static void conn_clear(void)
{
	__u32 n = nsets;

	if (bpf_map_update_batch(conn4_fd, set_keys, zero_sets, &n, NULL))
		die("clearing xlb_conn4", errno);
	n = nsets;
	if (bpf_map_update_batch(conn6_fd, set_keys, zero_sets, &n, NULL))
		die("clearing xlb_conn6", errno);
}

struct counters {
	struct xlb_global_stats g;
	struct xlb_quic_stats q;
	__u64 vip_pkts, vip_drops, be_pkts;
};

static void counters(struct counters *c)
{
	struct xlb_vip_stats vs;
	struct xlb_be_stats bs;
	__u32 i;

	memset(c, 0, sizeof(*c));
	if (xlb_dp_stats_global(dp, &c->g))
		die("global stats", EIO);
	if (xlb_dp_quic_stats(dp, &c->q))
		die("quic stats", EIO);
	for (i = 0; i < NV; i++) {
		if (xlb_dp_stats_vip(dp, i, &vs))
			die("vip stats", EIO);
		c->vip_pkts += vs.packets;
		c->vip_drops += vs.drops;
	}
	for (i = 0; i < NB; i++) {
		if (xlb_dp_stats_backend(dp, i, &bs))
			die("backend stats", EIO);
		c->be_pkts += bs.packets;
	}
}

static bool is_vip_addr(int family, const uint8_t *a)
{
	int i;

	for (i = 0; i < NV; i++)
		if (vip_addrs[i].family == family &&
		    !memcmp(vip_addrs[i].a, a, family == XLB_AF_INET ? 4 : 16))
			return true;
	return false;
}

/* offset of the IP header after Ethernet and up to 2 VLAN tags, or -1;
 * *proto is the EtherType there */
static int l3_off(const uint8_t *f, size_t n, __u16 *proto)
{
	size_t off = 14;
	int i;

	if (n < 14)
		return -1;
	*proto = (__u16)(f[12] << 8 | f[13]);
	for (i = 0; i < 2; i++) {
		if (*proto != ETH_P_8021Q && *proto != ETH_P_8021AD)
			break;
		if (n < off + 4)
			return -1;
		*proto = (__u16)(f[off + 2] << 8 | f[off + 3]);
		off += 4;
	}
	return (int)off;
}

/* the destination is a VIP address (the frame may still be malformed) */
static bool to_vip(const uint8_t *f, size_t n)
{
	__u16 proto;
	int off = l3_off(f, n, &proto);

	if (off < 0)
		return false;
	if (proto == ETH_P_IP && n >= (size_t)off + 20)
		return is_vip_addr(XLB_AF_INET, f + off + 16);
	if (proto == ETH_P_IPV6 && n >= (size_t)off + 40)
		return is_vip_addr(XLB_AF_INET6, f + off + 24);
	return false;
}

static __u16 csum(const uint8_t *p, size_t n)
{
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (__u32)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (__u32)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/*
 * A frame sent back: outer headers in order. An IPv4 header the program
 * built (encapsulation) or edited (an echo reply: a request with a wrong
 * header checksum goes to the stack, bpf/icmp.h) must have a valid
 * checksum. L2 forwarding leaves the client's header alone, checksum error
 * and all.
 */
static void check_tx(const uint8_t *in, size_t in_len, const uint8_t *f,
		     size_t n)
{
	__u16 proto, in_proto;
	int off = l3_off(f, n, &proto), in_off;
	size_t ihl, tot;

	if (off < 0)
		fail("XDP_TX frame has no Ethernet header", f, n);
	if (proto == ETH_P_IPV6) {
		if (n < (size_t)off + 40 || f[off] >> 4 != 6)
			fail("XDP_TX IPv6 header truncated or not v6", f, n);
		if ((size_t)(f[off + 4] << 8 | f[off + 5]) + 40 > n - off)
			fail("XDP_TX IPv6 payload length past the frame", f, n);
		return;
	}
	if (proto != ETH_P_IP)
		fail("XDP_TX frame is neither IPv4 nor IPv6", f, n);
	if (n < (size_t)off + 20 || f[off] >> 4 != 4)
		fail("XDP_TX IPv4 header truncated or not v4", f, n);
	ihl = (size_t)(f[off] & 0xf) * 4;
	tot = (size_t)(f[off + 2] << 8 | f[off + 3]);
	if (ihl < 20 || n < off + ihl)
		fail("XDP_TX IPv4 header length", f, n);
	if (csum(f + off, ihl) == 0)
		goto len;
	in_off = l3_off(in, in_len, &in_proto);
	if (in_off >= 0 && in_proto == ETH_P_IP &&
	    in_len >= (size_t)in_off + ihl &&
	    !memcmp(in + in_off, f + off, ihl))
		goto len;
	fail("XDP_TX IPv4 header checksum is wrong", f, n);
len:
	if (tot > n - off)
		fail("XDP_TX IPv4 total length past the frame", f, n);
}

static __u64 outcome_sum(const struct xlb_global_stats *a,
			 const struct xlb_global_stats *b, __u64 *drops)
{
	__u64 s = 0;
	int i;

	*drops = 0;
	for (i = 0; i < XLB_C_MAX; i++) {
		__u64 d = b->c[i] - a->c[i];

		if (i >= XLB_C_DROP_NO_BACKEND && i <= XLB_C_DROP_REDIRECT)
			*drops += d;
		if (i <= XLB_C_DROP_REDIRECT)
			s += d;
	}
	return s;
}

static void run(const uint8_t *data, size_t size, int pass)
{
	static uint8_t out[MAXF + 512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data,
		    .data_size_in = (__u32)size, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	struct counters a, b;
	__u64 drops, fwd;

#define D(f) (b.g.c[f] - a.g.c[f])
	counters(&a);
	if (bpf_prog_test_run_opts(prog, &o))
		die("BPF_PROG_TEST_RUN", errno);
	counters(&b);
	if (outcome_sum(&a.g, &b.g, &drops) != 1)
		fail("not exactly one outcome counter moved", data, size);
	switch (o.retval) {
	case XDP_PASS:
		if (D(XLB_C_PASS) != 1)
			fail("XDP_PASS without the pass counter", data, size);
		break;
	case XDP_TX:
		if (D(XLB_C_TX) + D(XLB_C_ICMP_ECHO) != 1)
			fail("XDP_TX without tx or icmp_echo", data, size);
		check_tx(data, size, out, o.data_size_out);
		break;
	case XDP_REDIRECT:
		if (D(XLB_C_REDIRECT) != 1)
			fail("XDP_REDIRECT without its counter", data, size);
		break;
	case XDP_DROP:
		if (drops != 1)
			fail("XDP_DROP without a drop counter", data, size);
		break;
	default:
		fail("unexpected XDP action", data, size);
	}
	for (int i = 0; i < XLB_C_MAX; i++)
		if (D(i))
			extra[pass][i]++;
	extra[pass][XLB_C_MAX + (o.retval & 7)]++;
	extra[pass][XLB_C_MAX + 8 + (o.data_size_out - size) / 8 % 16]++;
	if (b.q.c[XLB_QC_ROUTED] - a.q.c[XLB_QC_ROUTED] +
		    b.q.c[XLB_QC_UNKNOWN_ID] - a.q.c[XLB_QC_UNKNOWN_ID] +
		    b.q.c[XLB_QC_FALLBACK] - a.q.c[XLB_QC_FALLBACK] +
		    b.q.c[XLB_QC_NO_ID] - a.q.c[XLB_QC_NO_ID] >
	    1)
		fail("more than one quic counter moved", data, size);
	fwd = D(XLB_C_TX) + D(XLB_C_REDIRECT);
	if (b.vip_pkts - a.vip_pkts != fwd || b.be_pkts - a.be_pkts != fwd)
		fail("VIP/backend packets disagree with tx + redirect", data,
		     size);
	if (b.vip_drops - a.vip_drops != drops)
		fail("VIP drops disagree with the drop counters", data, size);
	if (!to_vip(data, size) &&
	    (o.retval != XDP_PASS || o.data_size_out != size ||
	     memcmp(out, data, size)))
		fail("a frame not for a VIP was not passed untouched", data,
		     size);
#undef D
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the kernel wants at least an Ethernet header */
	if (size < ETH_HLEN || size > MAXF)
		return 0;
	conn_clear();
	run(data, size, 0);
	run(data, size, 1); /* the same flow again: connection table */
	return 0;
}
