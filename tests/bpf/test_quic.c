// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: packet fixtures of QUIC connection-ID routing (bpf/quic.h)
 *
 * Each case runs xlb_lb through BPF_PROG_TEST_RUN against fresh private
 * maps holding two QUIC VIPs (UDP 443, IPv4 and IPv6, server id of 2 bytes
 * at offset 1 of the DCID) and one plain UDP VIP, four backends each,
 * backends n of the QUIC VIPs holding server id 0x0a0n. A case sends
 * QUIC-shaped datagrams and checks which backend the encapsulated packet
 * goes to (the outer destination address), and the quic_* counters.
 * Ids that name nothing, or a backend that is not up, and datagrams too
 * short for the id, must go through the ring (the ring's choice for the
 * 5-tuple, computed here as userspace computes it), never be dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "dp.h"
#include "dp_quic.h"
#include "maps/xlb_hash.h"
#include "log.h"
#include "pkt.h"
#include "tap.h"

#define NV   3
#define NBV  4 /* backends per VIP */
#define NB   (NV * NBV)
#define RING 251
#define SEED 0x5eed1234u

static const __u8 MAC_LB[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 MAC_RTR[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 MAC_NH[6] = { 0x02, 0, 0, 0, 0, 0xfe };

static const struct {
	const char *addr;
	__u16 port;
	bool quic;
} VIPS[NV] = {
	{ "192.0.2.40", 443, true },
	{ "2001:db8::40", 443, true },
	{ "192.0.2.41", 443, false },
};

/* backend b: VIP b / NBV, address 10.0.<vip>.<n+1> or fd00:<vip>::<n+1> */
static struct xlb_addr be_addr(int b)
{
	char s[64];
	struct xlb_addr a;

	if (b / NBV == 1)
		snprintf(s, sizeof(s), "fd00:%d::%d", b / NBV, b % NBV + 1);
	else
		snprintf(s, sizeof(s), "10.0.%d.%d", b / NBV, b % NBV + 1);
	xlb_addr_parse(s, &a);
	return a;
}

/* server id of backend n (0..3) of a QUIC VIP */
#define SID(n) (0x0a00u + (n))

struct world {
	struct xlb_dp *dp;
	int prog;
	struct xlb_backend be[NB];
	struct xlb_vip vip[NV];
	int bad;
};

#define CHECK(w, cond, ...)                    \
	do {                                   \
		if (!(cond)) {                 \
			pkt_diag(__VA_ARGS__); \
			(w)->bad = 1;          \
		}                              \
	} while (0)

static struct xlb_addr xaddr(const char *s)
{
	struct xlb_addr a;

	if (xlb_addr_parse(s, &a)) {
		fprintf(stderr, "bad address %s in a test\n", s);
		abort();
	}
	return a;
}

static int ring_rebuild(struct world *w, int v)
{
	struct xlb_addr a = xaddr(VIPS[v].addr);
	__u32 members[NBV], slots[RING];
	int i, n = 0;

	for (i = v * NBV; i < (v + 1) * NBV; i++)
		if (w->be[i].state == XLB_BE_UP)
			members[n++] = (__u32)i;
	for (i = 0; i < RING; i++)
		slots[i] = n ? members[i % n] : XLB_BACKEND_NONE;
	return xlb_dp_ring_publish(w->dp, &a, VIPS[v].port, IPPROTO_UDP,
				   &w->vip[v], slots, RING);
}

/* backend @b's state, as xlbd writes it: state first, then the ring */
static int be_state(struct world *w, int b, __u8 state)
{
	w->be[b].state = state;
	return xlb_dp_backend_set(w->dp, (__u32)b, &w->be[b]) ?:
		       ring_rebuild(w, b / NBV);
}

static int world_open(struct world *w)
{
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 8,
			   .max_backends = 32,
			   .ring_max = 257,
			   .conn_max = 1024 },
	};
	struct xlb_quic_vip qv = { .offset = 1, .len = 2 };
	struct xlb_config cfg = {};
	struct xlb_addr a;
	int i, err;

	memset(w, 0, sizeof(*w));
	err = xlb_dp_open(&o, &w->dp);
	if (err) {
		pkt_diag("xlb_dp_open: %s", strerror(-err));
		return err;
	}
	w->prog = xlb_dp_prog_fd(w->dp);
	a = xaddr("10.255.0.1");
	cfg.src4 = a.a[0];
	a = xaddr("fd00:ff::1");
	memcpy(cfg.src6, a.a, 16);
	cfg.hash_seed = SEED;
	cfg.flags = XLB_CFG_F_NH_VALID | XLB_CFG_F_SRC4_VALID |
		    XLB_CFG_F_SRC6_VALID;
	memcpy(cfg.nh_mac, MAC_NH, 6);
	err = xlb_dp_config_set(w->dp, &cfg);
	for (i = 0; i < NB && !err; i++) {
		struct xlb_backend *b = &w->be[i];

		a = be_addr(i);
		memcpy(b->addr, a.a, 16);
		b->family = a.family;
		b->vip_id = (__u32)(i / NBV);
		b->gen = 1;
		b->state = XLB_BE_UP;
		err = xlb_dp_backend_set(w->dp, (__u32)i, b);
	}
	for (i = 0; i < NV && !err; i++) {
		w->vip[i].id = (__u32)i;
		w->vip[i].flags = VIPS[i].quic ? XLB_VIP_F_QUIC : 0;
		err = ring_rebuild(w, i);
		a = xaddr(VIPS[i].addr);
		err = err ?: xlb_dp_vip_marker_set(w->dp, &a, (__u32)i);
	}
	/* ids on every VIP, the plain one included: it must ignore them */
	for (i = 0; i < NV && !err; i++)
		err = xlb_dp_quic_vip_set(w->dp, (__u32)i, &qv);
	for (i = 0; i < NB && !err; i++) {
		struct xlb_quic_be qb = { .backend = (__u32)i, .gen = 1 };

		err = xlb_dp_quic_id_set(w->dp, (__u32)(i / NBV), SID(i % NBV),
					 &qb);
	}
	if (err)
		pkt_diag("world setup: %s", strerror(-err));
	return err;
}

/* --- packets ---------------------------------------------------------------*/

struct qflow {
	const char *src;
	__u16 sport;
	int vip;
};

/* the first octet of the DCIDs built (QUIC-LB: config rotation in the
 * top 3 bits) */
static __u8 first_octet;

/* a DCID of @len bytes: first_octet, the id of @sid at 1..2, then a fixed
 * pattern */
static void dcid(__u8 *d, size_t len, __u32 sid)
{
	size_t i;

	for (i = 0; i < len; i++)
		d[i] = (__u8)(0x30 + i);
	d[0] = first_octet;
	if (len >= 3) {
		d[1] = (__u8)(sid >> 8);
		d[2] = (__u8)sid;
	}
}

/* A short-header packet: 0x40 | bits, DCID (8 bytes), @pn bytes more;
 * @cut > 0 keeps only that many bytes of UDP payload. */
static void quic_short(struct pkt *p, const struct qflow *f, __u32 sid,
		       size_t cut)
{
	__u8 pl[64];
	size_t n = 1 + 8 + 24;

	memset(pl, 0xee, sizeof(pl));
	pl[0] = 0x41;
	dcid(pl + 1, 8, sid);
	pkt_init(p);
	pkt_eth(p, MAC_LB, MAC_RTR);
	if (strchr(f->src, ':'))
		pkt_ip6(p, f->src, VIPS[f->vip].addr);
	else
		pkt_ip4(p, f->src, VIPS[f->vip].addr);
	pkt_udp(p, f->sport, VIPS[f->vip].port);
	pkt_payload(p, pl, cut ? cut - 1 : n);
	pkt_finish(p);
}

/* A long-header Initial: 0xc0, version 1, DCID of @dlen bytes carrying
 * @sid, an empty SCID, token length 0, padding. */
static void quic_long(struct pkt *p, const struct qflow *f, __u8 dlen,
		      __u32 sid)
{
	__u8 pl[128];
	size_t n = 0;

	memset(pl, 0, sizeof(pl));
	pl[n++] = 0xc3;
	pl[n++] = 0;
	pl[n++] = 0;
	pl[n++] = 0;
	pl[n++] = 1;
	pl[n++] = dlen;
	dcid(pl + n, dlen, sid);
	n += dlen;
	pl[n++] = 0; /* SCID length */
	pl[n++] = 0; /* token length */
	n = sizeof(pl);
	pkt_init(p);
	pkt_eth(p, MAC_LB, MAC_RTR);
	if (strchr(f->src, ':'))
		pkt_ip6(p, f->src, VIPS[f->vip].addr);
	else
		pkt_ip4(p, f->src, VIPS[f->vip].addr);
	pkt_udp(p, f->sport, VIPS[f->vip].port);
	pkt_payload(p, pl, n);
	pkt_finish(p);
}

/* --- running ---------------------------------------------------------------*/

/* Send @in; return the backend it was encapsulated to, -1 if it was not
 * (its action in *act). */
static int xsend(struct world *w, const struct pkt *in, __u32 *act)
{
	static __u8 out[PKT_MAX + 512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	struct pkt_info pi;
	int i;

	*act = XDP_ABORTED;
	if (in->err || bpf_prog_test_run_opts(w->prog, &o)) {
		pkt_diag("test run: %s",
			 in->err ? "frame did not build" : strerror(errno));
		w->bad = 1;
		return -1;
	}
	*act = o.retval;
	if (o.retval != XDP_TX && o.retval != XDP_REDIRECT)
		return -1;
	if (pkt_parse(out, o.data_size_out, &pi)) {
		pkt_diag("output frame does not parse");
		w->bad = 1;
		return -1;
	}
	for (i = 0; i < NB; i++) {
		struct xlb_addr a = be_addr(i);

		if (pi.family == (a.family == XLB_AF_INET ? 4 : 6) &&
		    !memcmp(pi.dst, a.a, a.family == XLB_AF_INET ? 4 : 16))
			return i;
	}
	return -1;
}

/* the backend the ring gives flow @f */
static int ring_choice(struct world *w, const struct qflow *f)
{
	struct xlb_flow x = {
		.src = xaddr(f->src),
		.dst = xaddr(VIPS[f->vip].addr),
		.sport = f->sport,
		.dport = VIPS[f->vip].port,
		.proto = IPPROTO_UDP,
	};
	struct xlb_addr a = xaddr(VIPS[f->vip].addr);
	__u32 slots[RING];
	struct xlb_vip v;

	if (xlb_dp_vip_get(w->dp, &a, VIPS[f->vip].port, IPPROTO_UDP, &v) ||
	    xlb_dp_ring_read(w->dp, v.id, v.active, slots, v.ring_size))
		return -1;
	return (int)slots[xlb_hash_slot(xlb_flow_hash(SEED, &x, v.flags),
					v.ring_size)];
}

/* a source port from @from up whose ring choice is not backend @not */
static __u16 port_not(struct world *w, const char *src, int vip, __u16 from,
		      int not )
{
	struct qflow f = { src, from, vip };

	for (; f.sport < from + 200; f.sport++)
		if (ring_choice(w, &f) != not )
			return f.sport;
	return from;
}

/* counters equal @want (routed, unknown, fallback, no id): the global
 * ones, and those of VIP @vip, every other VIP's being 0 */
static void want_qc(struct world *w, int vip, __u64 r, __u64 u, __u64 fb,
		    __u64 n)
{
	const __u64 want[XLB_QC_MAX] = { r, u, fb, n };
	struct xlb_quic_stats s = {};
	int err = xlb_dp_quic_stats(w->dp, &s), v;

	CHECK(w, !err && !memcmp(s.c, want, sizeof(want)),
	      "quic counters routed/unknown/fallback/no_id: got "
	      "%llu/%llu/%llu/%llu, want %llu/%llu/%llu/%llu (err %d)",
	      (unsigned long long)s.c[0], (unsigned long long)s.c[1],
	      (unsigned long long)s.c[2], (unsigned long long)s.c[3],
	      (unsigned long long)r, (unsigned long long)u,
	      (unsigned long long)fb, (unsigned long long)n, err);
	for (v = 0; v < NV; v++) {
		memset(&s, 0, sizeof(s));
		err = xlb_dp_quic_stats_vip(w->dp, (__u32)v, &s);
		CHECK(w,
		      !err && (v == vip ? !memcmp(s.c, want, sizeof(want)) :
					  !(s.c[0] | s.c[1] | s.c[2] | s.c[3])),
		      "VIP %d's quic counters: got %llu/%llu/%llu/%llu, want "
		      "%s (err %d)",
		      v, (unsigned long long)s.c[0], (unsigned long long)s.c[1],
		      (unsigned long long)s.c[2], (unsigned long long)s.c[3],
		      v == vip ? "the global ones" : "0", err);
	}
}

static void want_be(struct world *w, int got, __u32 act, int want,
		    const char *what)
{
	CHECK(w, got == want, "%s: went to backend %d (action %u), want %d",
	      what, got, act, want);
}

/* --- cases -------------------------------------------------------------------*/

/* A short header naming backend 2 goes there, from anywhere, whatever the
 * ring says: the client migrates (new address, new port) and keeps it. */
static void c_short_known_migrate(struct world *w)
{
	const char *srcs[] = { "198.51.100.7", "198.51.100.7", "203.0.113.99",
			       "192.0.2.200" };
	struct pkt p;
	__u32 act;
	int i, b;

	for (i = 0; i < 4; i++) {
		struct qflow f = { srcs[i], 0, 0 };

		f.sport = port_not(w, srcs[i], 0, (__u16)(40000 + 1000 * i), 2);
		CHECK(w, ring_choice(w, &f) != 2, "no port avoids backend 2");
		quic_short(&p, &f, SID(2), 0);
		b = xsend(w, &p, &act);
		want_be(w, b, act, 2, srcs[i]);
	}
	want_qc(w, 0, 4, 0, 0, 0);
}

static void c_short_known_v6(struct world *w)
{
	struct qflow f = { "2001:db8:c::7", 0, 1 };
	struct pkt p;
	__u32 act;
	int b;

	f.sport = port_not(w, f.src, 1, 50000, NBV + 3);
	quic_short(&p, &f, SID(3), 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, NBV + 3, "IPv6 short header");
	f.src = "2001:db8:d::9";
	f.sport = port_not(w, f.src, 1, 51000, NBV + 3);
	quic_short(&p, &f, SID(3), 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, NBV + 3, "IPv6, migrated");
	want_qc(w, 1, 2, 0, 0, 0);
}

/* An id nobody holds: the ring, as any UDP flow, then the table. */
static void c_short_unknown(struct world *w)
{
	struct qflow f = { "198.51.100.7", 40000, 0 };
	struct pkt p;
	__u32 act;
	int b;

	quic_short(&p, &f, 0x7777, 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "unknown id");
	/* the same 5-tuple now sticks through the connection table (no
	 * second count) */
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "unknown id, again");
	want_qc(w, 0, 0, 1, 0, 0);
}

/* A client's first Initial: a random DCID (8 bytes), no id of ours. */
static void c_long_initial(struct world *w)
{
	struct qflow f = { "198.51.100.8", 40100, 0 };
	struct pkt p;
	__u32 act;
	int b;

	quic_long(&p, &f, 8, 0x5151);
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "Initial, random DCID");
	want_qc(w, 0, 0, 1, 0, 0);
}

/* A long header whose DCID (chosen by the server) names backend 1. */
static void c_long_known(struct world *w)
{
	struct qflow f = { "198.51.100.8", 0, 0 };
	struct pkt p;
	__u32 act;
	int b;

	f.sport = port_not(w, f.src, 0, 40200, 1);
	quic_long(&p, &f, 8, SID(1));
	b = xsend(w, &p, &act);
	want_be(w, b, act, 1, "long header, known id");
	want_qc(w, 0, 1, 0, 0, 0);
}

/* DCID length 2 < offset 1 + length 2: no id, ring; length 0 too. */
static void c_long_short_dcid(struct world *w)
{
	struct qflow f = { "198.51.100.8", 40300, 0 };
	struct pkt p;
	__u32 act;
	int b;

	quic_long(&p, &f, 2, SID(1));
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "DCID of 2 bytes");
	f.sport++;
	quic_long(&p, &f, 0, 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "empty DCID");
	want_qc(w, 0, 0, 0, 0, 2);
}

/* Every cut of a short header naming backend 2: the id is read when the
 * datagram holds 8 bytes from its first on (bpf/quic.h), so 0 to 9 bytes
 * of payload hold none (ring), 10 and more do (backend 2). Never dropped:
 * the datagram shorter than the id itself included. */
static void c_truncated(struct world *w)
{
	struct qflow f = { "198.51.100.9", 0, 0 };
	__u64 routed = 0, noid = 0;
	struct pkt p;
	size_t cut;
	__u32 act;
	int b;

	for (cut = 1; cut <= 14; cut++) {
		char what[48];

		/* a new 5-tuple each: no table entry */
		f.sport = port_not(w, f.src, 0, (__u16)(41000 + 300 * cut), 2);
		quic_short(&p, &f, SID(2), cut);
		b = xsend(w, &p, &act);
		snprintf(what, sizeof(what), "payload cut to %zu", cut - 1);
		if (cut - 1 >= 10) {
			want_be(w, b, act, 2, what);
			routed++;
		} else {
			want_be(w, b, act, ring_choice(w, &f), what);
			noid++;
		}
	}
	want_qc(w, 0, routed, 0, 0, noid);
}

/* A backend down, draining, or reused (another generation): its id
 * steers nothing; the ring decides and quic_fallback counts. */
static void c_down(struct world *w)
{
	static const __u8 states[] = { XLB_BE_REMOVED, XLB_BE_DRAINING };
	struct qflow f = { "198.51.100.10", 42000, 0 };
	struct pkt p;
	__u32 act;
	size_t i;
	int b;

	for (i = 0; i < 2; i++) {
		CHECK(w, !be_state(w, 2, states[i]), "state");
		f.sport++;
		quic_short(&p, &f, SID(2), 0);
		b = xsend(w, &p, &act);
		CHECK(w, b >= 0 && b != 2, "state %u: went to %d", states[i],
		      b);
		want_be(w, b, act, ring_choice(w, &f), "backend not up");
	}
	CHECK(w, !be_state(w, 2, XLB_BE_UP), "state");
	w->be[2].gen = 2; /* the id was freed and reused */
	CHECK(w, !xlb_dp_backend_set(w->dp, 2, &w->be[2]), "gen");
	f.sport = port_not(w, f.src, 0, 42100, 2);
	quic_short(&p, &f, SID(2), 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "stale generation");
	want_qc(w, 0, 0, 0, 3, 0);
}

/* back up: the id steers again (no table entry for a new 5-tuple) */
static void c_down_up(struct world *w)
{
	struct qflow f = { "198.51.100.11", 0, 0 };
	struct pkt p;
	__u32 act;
	int b;

	CHECK(w, !be_state(w, 2, XLB_BE_REMOVED), "state");
	f.sport = port_not(w, f.src, 0, 43000, 2);
	quic_short(&p, &f, SID(2), 0);
	b = xsend(w, &p, &act);
	CHECK(w, b != 2, "down backend got a packet");
	CHECK(w, !be_state(w, 2, XLB_BE_UP), "state");
	f.sport = port_not(w, f.src, 0, (__u16)(f.sport + 1), 2);
	quic_short(&p, &f, SID(2), 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, 2, "up again");
	want_qc(w, 0, 1, 0, 1, 0);
}

/* An entry naming a backend of another VIP is not followed. */
static void c_foreign(struct world *w)
{
	struct xlb_quic_be qb = { .backend = 2 * NBV, .gen = 1 };
	struct qflow f = { "198.51.100.12", 44000, 0 };
	struct pkt p;
	__u32 act;
	int b;

	CHECK(w, !xlb_dp_quic_id_set(w->dp, 0, 0x0b0b, &qb), "set");
	quic_short(&p, &f, 0x0b0b, 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "foreign backend");
	want_qc(w, 0, 0, 0, 1, 0);
}

/* A VIP without the option ignores DCIDs and counts nothing. */
static void c_plain_vip(struct world *w)
{
	struct qflow f = { "198.51.100.13", 0, 2 };
	struct pkt p;
	__u32 act;
	int b;

	f.sport = port_not(w, f.src, 2, 45000, 2 * NBV + 2);
	quic_short(&p, &f, SID(2), 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, ring_choice(w, &f), "plain UDP VIP");
	want_qc(w, 2, 0, 0, 0, 0);
}

/* Id of 8 bytes at offset 0, and of 1 byte at offset 19 of a 20-byte
 * long-header DCID: the ends of the range. */
static void c_ranges(struct world *w)
{
	struct xlb_quic_vip q8 = { .offset = 0, .len = 8 };
	struct xlb_quic_vip q1 = { .offset = 19, .len = 1 };
	struct xlb_quic_be qb = { .backend = 3, .gen = 1 };
	struct qflow f = { "198.51.100.14", 0, 0 };
	struct pkt p;
	__u32 act;
	__u64 sid8;
	int b;

	/* the short header's DCID: 00 0a 02 33 34 35 36 37 */
	sid8 = 0x000a023334353637ull;
	CHECK(w, !xlb_dp_quic_vip_set(w->dp, 0, &q8), "vip");
	CHECK(w, !xlb_dp_quic_id_set(w->dp, 0, sid8, &qb), "id");
	f.sport = port_not(w, f.src, 0, 46000, 3);
	quic_short(&p, &f, SID(2), 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, 3, "8-byte id at offset 0");

	/* a 20-byte DCID's last byte is 0x30 + 19 = 0x43 */
	CHECK(w, !xlb_dp_quic_vip_set(w->dp, 0, &q1), "vip");
	CHECK(w, !xlb_dp_quic_id_set(w->dp, 0, 0x43, &qb), "id");
	f.sport = port_not(w, f.src, 0, (__u16)(f.sport + 1), 3);
	quic_long(&p, &f, 20, 0);
	b = xsend(w, &p, &act);
	want_be(w, b, act, 3, "1-byte id at offset 19");
	want_qc(w, 0, 2, 0, 0, 0);
}

/* With a config rotation to check, the first octet's top 3 bits must
 * carry it: 2 (0x40) does, 0 and 7 (QUIC-LB's unroutable) do not. */
static void c_config_rotation(struct world *w)
{
	struct xlb_quic_vip qv = { .offset = 1,
				   .len = 2,
				   .cr = XLB_QUIC_CR_CHECK | 2 };
	static const __u8 firsts[] = { 0x40, 0x5f, 0x00, 0xe0 };
	struct qflow f = { "198.51.100.15", 0, 0 };
	struct pkt p;
	size_t i;
	__u32 act;
	int b;

	CHECK(w, !xlb_dp_quic_vip_set(w->dp, 0, &qv), "vip");
	for (i = 0; i < 4; i++) {
		first_octet = firsts[i];
		f.sport = port_not(w, f.src, 0, (__u16)(47000 + 100 * i), 2);
		quic_short(&p, &f, SID(2), 0);
		b = xsend(w, &p, &act);
		want_be(w, b, act, i < 2 ? 2 : ring_choice(w, &f),
			i < 2 ? "config rotation 2" : "another rotation");
	}
	first_octet = 0;
	want_qc(w, 0, 2, 0, 0, 2);
}

/*
 * Ask xlb_dp_quic_pick() (xlbctl flow --dcid) about the DCID of @dlen
 * bytes carrying @sid, then send a long header with it from a new
 * 5-tuple of @f: the program must send it where the answer says (the
 * backend, or the ring's choice) and count the outcome the answer names.
 */
static void agree(struct world *w, struct qflow *f, __u8 dlen, __u32 sid,
		  const char *what, int want)
{
	struct xlb_addr a = xaddr(VIPS[f->vip].addr);
	struct xlb_quic_stats s0 = {}, s1 = {};
	__u8 d[XLB_QUIC_CID_MAX];
	__u32 act, be = XLB_BACKEND_NONE;
	struct xlb_vip v;
	struct pkt p;
	__u64 got;
	int c, b, i;

	dcid(d, dlen, sid);
	CHECK(w, !xlb_dp_vip_get(w->dp, &a, VIPS[f->vip].port, IPPROTO_UDP, &v),
	      "%s: VIP", what);
	c = xlb_dp_quic_pick(w->dp, &v, IPPROTO_UDP, d, dlen, &got, &be);
	CHECK(w, c == want, "%s: xlb_dp_quic_pick() said %d, want %d", what, c,
	      want);
	/* a port whose ring choice is not the backend named */
	f->sport = port_not(w, f->src, f->vip, (__u16)(f->sport + 1),
			    c == XLB_QC_ROUTED ? (int)be : -1);
	CHECK(w, !xlb_dp_quic_stats(w->dp, &s0), "stats");
	quic_long(&p, f, dlen, sid);
	b = xsend(w, &p, &act);
	CHECK(w, !xlb_dp_quic_stats(w->dp, &s1), "stats");
	want_be(w, b, act, c == XLB_QC_ROUTED ? (int)be : ring_choice(w, f),
		what);
	for (i = 0; i < XLB_QC_MAX; i++)
		CHECK(w, s1.c[i] - s0.c[i] == (__u64)(i == c),
		      "%s: the program counted %llu %s, the answer was %d",
		      what, (unsigned long long)(s1.c[i] - s0.c[i]),
		      xlb_quic_counter_name((unsigned int)i), c);
}

static void c_pick_agrees(struct world *w)
{
	struct xlb_quic_vip cr2 = { .offset = 1,
				    .len = 2,
				    .cr = XLB_QUIC_CR_CHECK | 2 };
	struct xlb_quic_vip q1 = { .offset = 19, .len = 1 };
	struct xlb_quic_be qb = { .backend = 3, .gen = 1 };
	struct qflow f = { "198.51.100.16", 48000, 0 };
	struct qflow f6 = { "2001:db8:c::16", 48000, 1 };
	struct qflow fp = { "198.51.100.16", 48000, 2 };

	agree(w, &f, 8, SID(1), "known id", XLB_QC_ROUTED);
	agree(w, &f6, 8, SID(2), "known id, IPv6", XLB_QC_ROUTED);
	agree(w, &f, 20, SID(3), "known id, 20-byte DCID", XLB_QC_ROUTED);
	agree(w, &f, 8, 0x7777, "unknown id", XLB_QC_UNKNOWN_ID);
	agree(w, &f, 2, SID(1), "DCID shorter than the range", XLB_QC_NO_ID);
	agree(w, &f, 0, 0, "empty DCID", XLB_QC_NO_ID);
	agree(w, &fp, 8, SID(1), "VIP without the option", XLB_QC_MAX);
	CHECK(w, !be_state(w, 2, XLB_BE_DRAINING), "state");
	agree(w, &f, 8, SID(2), "backend draining", XLB_QC_FALLBACK);
	CHECK(w, !be_state(w, 2, XLB_BE_UP), "state");
	w->be[2].gen = 2;
	CHECK(w, !xlb_dp_backend_set(w->dp, 2, &w->be[2]), "gen");
	agree(w, &f, 8, SID(2), "backend reused", XLB_QC_FALLBACK);
	CHECK(w, !xlb_dp_quic_vip_set(w->dp, 0, &cr2), "vip");
	first_octet = 0x40;
	agree(w, &f, 8, SID(1), "config rotation carried", XLB_QC_ROUTED);
	first_octet = 0xe0;
	agree(w, &f, 8, SID(1), "another config rotation", XLB_QC_NO_ID);
	first_octet = 0;
	CHECK(w, !xlb_dp_quic_vip_set(w->dp, 0, &q1), "vip");
	CHECK(w, !xlb_dp_quic_id_set(w->dp, 0, 0x43, &qb), "id");
	agree(w, &f, 20, 0, "1-byte id at offset 19", XLB_QC_ROUTED);
	agree(w, &f, 19, 0, "offset 19 of a 19-byte DCID", XLB_QC_NO_ID);
}

/* the DCIDs xlbctl flow --dcid takes */
static void c_dcid_parse(struct world *w)
{
	static const struct {
		const char *hex;
		int ret;
		size_t len;
	} t[] = {
		{ "0a0b", 0, 2 },
		{ "0x0A0b", 0, 2 },
		{ "", 0, 0 },
		{ "0102030405060708090a0b0c0d0e0f1011121314", 0, 20 },
		{ "0102030405060708090a0b0c0d0e0f101112131415", -EINVAL, 0 },
		{ "abc", -EINVAL, 0 },
		{ "0g", -EINVAL, 0 },
		{ "0x", 0, 0 },
		{ "01 02", -EINVAL, 0 },
	};
	__u8 d[XLB_QUIC_CID_MAX];
	size_t i, len;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = 99;
		r = xlb_quic_dcid_parse(t[i].hex, d, &len);
		CHECK(w, r == t[i].ret && (r || len == t[i].len),
		      "'%s': %d, %zu bytes", t[i].hex, r, len);
	}
	r = xlb_quic_dcid_parse("0x0a0B", d, &len);
	CHECK(w, !r && d[0] == 0x0a && d[1] == 0x0b, "bytes of 0x0a0B");
}

/* xlbd's prune: ids of one VIP that it no longer wants go, others stay */
static bool keep_odd(void *arg, __u64 sid, const struct xlb_quic_be *b)
{
	(void)arg;
	(void)b;
	return sid & 1;
}

static void c_prune(struct world *w)
{
	struct xlb_quic_be qb;
	int n;

	CHECK(w, !xlb_dp_quic_prune(w->dp, 0, keep_odd, NULL), "prune");
	n = !xlb_dp_quic_id_get(w->dp, 0, SID(0), &qb) +
	    !xlb_dp_quic_id_get(w->dp, 0, SID(1), &qb) +
	    !xlb_dp_quic_id_get(w->dp, 0, SID(2), &qb) +
	    !xlb_dp_quic_id_get(w->dp, 1, SID(2), &qb);
	CHECK(w, n == 2 && !xlb_dp_quic_id_get(w->dp, 0, SID(1), &qb),
	      "after prune: %d of the 4 ids looked at remain", n);
	CHECK(w, !xlb_dp_quic_prune(w->dp, 1, NULL, NULL), "prune all");
	CHECK(w, xlb_dp_quic_id_get(w->dp, 1, SID(2), &qb) == -ENOENT,
	      "VIP 1's ids are gone");
}

static const struct {
	const char *name;
	void (*fn)(struct world *w);
} CASES[] = {
	{ "short header, known id: its backend, from four client addresses "
	  "and ports (migration), whatever the ring says",
	  c_short_known_migrate },
	{ "IPv6 short header, known id, migrated", c_short_known_v6 },
	{ "short header, unknown id: the ring, then the connection table",
	  c_short_unknown },
	{ "long-header Initial with a random DCID: the ring", c_long_initial },
	{ "long header whose DCID names a backend: that backend",
	  c_long_known },
	{ "long header whose DCID is shorter than the id range: the ring",
	  c_long_short_dcid },
	{ "short header cut at every length: no id is the ring, never a drop",
	  c_truncated },
	{ "id of a backend down, draining or reused: the ring, "
	  "quic_fallback",
	  c_down },
	{ "a backend back up is steered to again", c_down_up },
	{ "id naming another VIP's backend: the ring", c_foreign },
	{ "a UDP VIP without the option ignores DCIDs", c_plain_vip },
	{ "8-byte id at offset 0, 1-byte id at offset 19", c_ranges },
	{ "config rotation checked: only DCIDs carrying it are routed",
	  c_config_rotation },
	{ "prune keeps what xlbd wants and only that VIP's", c_prune },
	{ "xlb_dp_quic_pick() (xlbctl flow --dcid) answers what the program "
	  "does: routed, unknown, no id, fallback, config rotation, ranges, "
	  "a VIP without the option",
	  c_pick_agrees },
	{ "DCIDs in hex: 0x optional, at most 20 bytes, nothing else",
	  c_dcid_parse },
};

int main(void)
{
	size_t i;

	xlb_log_init("test_quic", XLB_LOG_WARN);
	for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		struct world w;

		if (world_open(&w)) {
			tap_result(false, "%s (setup)", CASES[i].name);
			xlb_dp_close(w.dp);
			continue;
		}
		CASES[i].fn(&w);
		tap_result(!w.bad, "%s", CASES[i].name);
		xlb_dp_close(w.dp);
	}
	return tap_done();
}
