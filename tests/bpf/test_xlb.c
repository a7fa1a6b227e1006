// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: packet fixtures of the XDP balancer
 *
 * Every case runs xlb_lb through BPF_PROG_TEST_RUN against a fresh set of
 * private maps holding one standard world (the VIPs and backends below), so
 * a case sees no state from another and every counter it checks starts at
 * zero. Cases are rows of one table: a description, a setup that changes
 * the world, the input frame, the expected XDP action and the expected
 * output (unchanged, encapsulated to a given backend, MACs rewritten, an
 * echo reply, or dropped), or a scenario function for cases that need more
 * than one packet. After every case all counters (global, per VIP, per
 * backend) must equal what the case predicted, and every frame the
 * program transmitted must have correct checksums and lengths.
 *
 * The last cases cut packets at every length, and check that userspace's
 * xlb_flow_hash() and the ring agree with the program on 10,000 random
 * flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "dp.h"
#include "log.h"
#include "maps/xlb_hash.h"
#include "pkt.h"
#include "tap.h"

#define NV   9 /* VIPs of the standard world */
#define NB   18 /* backends of the standard world */
#define RING 251 /* ring size of its VIPs */

static const __u8 MAC_LB[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 MAC_RTR[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 MAC_NH[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const __u8 MAC_BE_NH[6] = { 0x02, 0, 0, 0, 0x0b, 0x01 };
static const __u8 MAC_BE_SRC[6] = { 0x02, 0, 0, 0, 0x0b, 0x02 };
static const __u8 MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define SRC4	"10.255.0.1"
#define SRC6	"fd00:ff::1"
#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:c::7"
#define HOST4	"192.0.2.1"
#define HOST6	"2001:db8::1"
#define ROUTER4 "203.0.113.1"
#define ROUTER6 "2001:db8:ffff::1"
#define SEED	0x5eed1234u

/* The standard world. A VIP's id is its index, a backend's id its index. */
struct vip_def {
	const char *addr;
	__u16 port;
	__u8 proto;
	__u8 fwd;
};

static const struct vip_def VIPS[NV] = {
	[0] = { "192.0.2.10", 80, IPPROTO_TCP, XLB_FWD_IPIP },
	[1] = { "192.0.2.10", 53, IPPROTO_UDP, XLB_FWD_IPIP },
	[2] = { "2001:db8::10", 80, IPPROTO_TCP, XLB_FWD_IPIP },
	[3] = { "2001:db8::10", 53, IPPROTO_UDP, XLB_FWD_IPIP },
	[4] = { "192.0.2.20", 0, IPPROTO_TCP, XLB_FWD_IPIP }, /* 4in6 */
	[5] = { "2001:db8::20", 443, IPPROTO_TCP, XLB_FWD_IPIP }, /* 6in4 */
	[6] = { "192.0.2.30", 80, IPPROTO_TCP, XLB_FWD_L2 },
	[7] = { "192.0.2.10", 8080, IPPROTO_TCP, XLB_FWD_IPIP },
	[8] = { "192.0.2.20", 443, IPPROTO_TCP, XLB_FWD_IPIP }, /* + 4 */
};

struct be_def {
	const char *addr;
	__u32 vip;
};

static const struct be_def BES[NB] = {
	[0] = { "10.0.0.1", 0 },   [1] = { "10.0.0.2", 0 },
	[2] = { "10.0.0.3", 0 },   [3] = { "10.0.0.4", 0 },
	[4] = { "10.0.1.1", 1 },   [5] = { "10.0.1.2", 1 },
	[6] = { "fd00:1::1", 2 },  [7] = { "fd00:1::2", 2 },
	[8] = { "fd00:1::3", 2 },  [9] = { "fd00:1::9", 3 },
	[10] = { "fd00:2::1", 4 }, [11] = { "fd00:2::2", 4 },
	[12] = { "10.0.2.1", 5 },  [13] = { "10.0.2.2", 5 },
	[14] = { "10.0.3.1", 6 }, /* L2: its own next hop */
	[15] = { "10.0.0.1", 7 }, /* same address as 0, another VIP */
	[16] = { "10.0.0.5", 7 },  [17] = { "10.0.4.1", 8 },
};

struct expect {
	__u64 g[XLB_C_MAX];
	struct xlb_vip_stats v[NV];
	struct xlb_be_stats b[NB];
};

struct world {
	struct xlb_dp *dp;
	int prog;
	struct xlb_config cfg;
	struct xlb_backend be[NB];
	struct xlb_vip vip[NV];
	struct expect e;
	int lo_ifindex; /* BPF_PROG_TEST_RUN's ingress device */
	int bad; /* a check failed (diagnostics collected) */
	__u8 ttl; /* the outer TTL the program was loaded with */
};

struct res {
	__u32 ret;
	__u32 len;
	__u8 out[PKT_MAX + 512];
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

static const char *action_name(__u32 a)
{
	static const char *const n[] = { "ABORTED", "DROP", "PASS", "TX",
					 "REDIRECT" };

	return a < 5 ? n[a] : "?";
}

/* --- the world ------------------------------------------------------------*/

static int vip_push(struct world *w, int id)
{
	struct xlb_addr a = xaddr(VIPS[id].addr);

	return xlb_dp_vip_set(w->dp, &a, VIPS[id].port, VIPS[id].proto,
			      &w->vip[id]);
}

static int be_push(struct world *w, int id)
{
	return xlb_dp_backend_set(w->dp, (__u32)id, &w->be[id]);
}

/*
 * Publish a ring for VIP @id from its backends in state up. The slots hold
 * the members in turn; the flow hash spreads flows over them.
 */
static int ring_rebuild(struct world *w, int id)
{
	struct xlb_addr a = xaddr(VIPS[id].addr);
	__u32 members[NB], slots[RING];
	int i, n = 0;

	for (i = 0; i < NB; i++)
		if (w->be[i].vip_id == (__u32)id && w->be[i].state == XLB_BE_UP)
			members[n++] = (__u32)i;
	for (i = 0; i < RING; i++)
		slots[i] = n ? members[i % n] : XLB_BACKEND_NONE;
	return xlb_dp_ring_publish(w->dp, &a, VIPS[id].port, VIPS[id].proto,
				   &w->vip[id], slots, RING);
}

static int cfg_push(struct world *w)
{
	return xlb_dp_config_set(w->dp, &w->cfg);
}

/* @ttl: lb.outer_ttl, set in the object's .rodata (0: its default, 64) */
static int world_open(struct world *w, __u8 ttl)
{
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 16,
			   .max_backends = 32,
			   .ring_max = 257,
			   .conn_max = 1024 },
		.outer_ttl = ttl,
	};
	struct xlb_addr a;
	int i, err;

	memset(w, 0, sizeof(*w));
	w->ttl = ttl ? ttl : 64;
	w->lo_ifindex = (int)if_nametoindex("lo");
	err = xlb_dp_open(&o, &w->dp);
	if (err) {
		pkt_diag("xlb_dp_open: %s", strerror(-err));
		return err;
	}
	w->prog = xlb_dp_prog_fd(w->dp);

	a = xaddr(SRC4);
	w->cfg.src4 = a.a[0];
	a = xaddr(SRC6);
	memcpy(w->cfg.src6, a.a, 16);
	w->cfg.hash_seed = SEED;
	w->cfg.flags = XLB_CFG_F_NH_VALID | XLB_CFG_F_SRC4_VALID |
		       XLB_CFG_F_SRC6_VALID;
	memcpy(w->cfg.nh_mac, MAC_NH, 6);
	err = cfg_push(w);

	for (i = 0; i < NB && !err; i++) {
		struct xlb_backend *b = &w->be[i];

		a = xaddr(BES[i].addr);
		memcpy(b->addr, a.a, 16);
		b->family = a.family;
		b->vip_id = BES[i].vip;
		b->gen = 1;
		b->state = XLB_BE_UP;
		if (VIPS[BES[i].vip].fwd == XLB_FWD_L2) {
			b->flags = XLB_BE_F_NH_VALID;
			memcpy(b->nh_mac, MAC_BE_NH, 6);
		}
		err = be_push(w, i);
	}
	for (i = 0; i < NV && !err; i++) {
		w->vip[i].id = (__u32)i;
		w->vip[i].fwd = VIPS[i].fwd;
		err = vip_push(w, i) ?: ring_rebuild(w, i);
	}
	/* Markers: the first VIP on each address. */
	for (i = 0; i < NV && !err; i++) {
		struct xlb_vip m;
		__u8 mp;

		a = xaddr(VIPS[i].addr);
		mp = a.family == XLB_AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		if (!xlb_dp_vip_get(w->dp, &a, 0, mp, &m))
			continue;
		err = xlb_dp_vip_marker_set(w->dp, &a, (__u32)i);
	}
	if (err)
		pkt_diag("world setup: %s", strerror(-err));
	return err;
}

static void world_close(struct world *w)
{
	xlb_dp_close(w->dp);
	w->dp = NULL;
}

/* --- flows and packets ----------------------------------------------------*/

struct tflow {
	const char *src;
	const char *dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

static struct xlb_flow xflow(const struct tflow *t)
{
	struct xlb_flow f = {
		.src = xaddr(t->src),
		.dst = xaddr(t->dst),
		.sport = t->sport,
		.dport = t->dport,
		.proto = t->proto,
	};

	return f;
}

static void eth(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, MAC_LB, MAC_RTR);
}

static void ip(struct pkt *p, const char *src, const char *dst)
{
	if (strchr(src, ':'))
		pkt_ip6(p, src, dst);
	else
		pkt_ip4(p, src, dst);
}

static void l4(struct pkt *p, const struct tflow *t, __u8 flags)
{
	if (t->proto == IPPROTO_TCP)
		pkt_tcp(p, t->sport, t->dport, flags);
	else
		pkt_udp(p, t->sport, t->dport);
}

/* A frame of flow @t: Ethernet, IP, TCP (@flags) or UDP, 16 bytes. */
static void flow_pkt(struct pkt *p, const struct tflow *t, __u8 flags)
{
	eth(p);
	ip(p, t->src, t->dst);
	l4(p, t, flags);
	pkt_payload_fill(p, 16);
	pkt_finish(p);
}

/* The reply of a backend to @t (VIP -> client), as an IP packet. */
static void reply_pkt(struct pkt *p, const struct tflow *t)
{
	struct tflow r = { t->dst, t->src, t->dport, t->sport, t->proto };

	pkt_init(p);
	ip(p, r.src, r.dst);
	l4(p, &r, PKT_SYN | PKT_ACK);
	pkt_payload_fill(p, 24);
	pkt_finish(p);
}

/* An ICMP error from a router to the VIP, quoting the reply of flow @t. */
static void icmp_err_pkt(struct pkt *p, const struct tflow *t, __u8 type,
			 __u8 code, __u32 rest, size_t quote)
{
	struct pkt q;

	reply_pkt(&q, t);
	eth(p);
	ip(p, strchr(t->src, ':') ? ROUTER6 : ROUTER4, t->dst);
	pkt_icmp(p, type, code, rest);
	pkt_payload(p, q.data, quote < q.len ? quote : q.len);
	pkt_finish(p);
}

/* Backend id the ring of VIP @vip gives flow @t (maps/xlb_hash.h). */
static int ring_choice(struct world *w, int vip, const struct tflow *t)
{
	struct xlb_flow f = xflow(t);
	struct xlb_vip v;
	struct xlb_addr a = xaddr(VIPS[vip].addr);
	__u32 slots[RING];
	__u64 h;

	if (xlb_dp_vip_get(w->dp, &a, VIPS[vip].port, VIPS[vip].proto, &v) ||
	    v.ring_size > RING || !v.ring_size ||
	    xlb_dp_ring_read(w->dp, v.id, v.active, slots, v.ring_size))
		return -1;
	h = xlb_flow_hash(w->cfg.hash_seed, &f, v.flags);
	return (int)slots[xlb_hash_slot(h, v.ring_size)];
}

/* --- running and expecting ------------------------------------------------*/

static int xrun(struct world *w, const struct pkt *in, struct res *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	int err;

	if (in->err) {
		pkt_diag("test bug: input frame did not build");
		w->bad = 1;
		return -1;
	}
	err = bpf_prog_test_run_opts(w->prog, &o);
	if (err) {
		pkt_diag("BPF_PROG_TEST_RUN: %s", strerror(errno));
		w->bad = 1;
		return -1;
	}
	r->ret = o.retval;
	r->len = o.data_size_out;
	/* Whatever the case expects: a frame on the wire must be valid. */
	if ((r->ret == XDP_TX || r->ret == XDP_REDIRECT) &&
	    pkt_check_frame(r->out, r->len)) {
		pkt_diag("transmitted frame is invalid");
		pkt_diag_hex("frame", r->out, r->len);
		w->bad = 1;
	}
	return 0;
}

static void exp_pass(struct world *w)
{
	w->e.g[XLB_C_PASS]++;
}

static void exp_drop(struct world *w, int vip, int reason)
{
	w->e.g[reason]++;
	if (vip >= 0)
		w->e.v[vip].drops++;
}

static bool be_redirects(const struct world *w, int be)
{
	return w->be[be].ifindex && (int)w->be[be].ifindex != w->lo_ifindex;
}

static void exp_fwd(struct world *w, int vip, int be, __u64 bytes, int event)
{
	int nf = event != XLB_C_CONN_HIT;

	w->e.g[be_redirects(w, be) ? XLB_C_REDIRECT : XLB_C_TX]++;
	w->e.g[event]++;
	w->e.v[vip].packets++;
	w->e.v[vip].bytes += bytes;
	w->e.v[vip].new_flows += nf;
	w->e.b[be].packets++;
	w->e.b[be].bytes += bytes;
	w->e.b[be].new_flows += nf;
}

/* Every counter equals what the case predicted. */
static void check_stats(struct world *w)
{
	struct xlb_global_stats g;
	struct xlb_vip_stats v;
	struct xlb_be_stats b;
	int i;

	if (xlb_dp_stats_global(w->dp, &g)) {
		CHECK(w, 0, "cannot read global counters");
		return;
	}
	for (i = 0; i < XLB_C_MAX; i++)
		CHECK(w, g.c[i] == w->e.g[i], "counter %s = %llu, want %llu",
		      xlb_counter_name(i), (unsigned long long)g.c[i],
		      (unsigned long long)w->e.g[i]);
	for (i = 0; i < NV; i++) {
		if (xlb_dp_stats_vip(w->dp, (__u32)i, &v)) {
			CHECK(w, 0, "cannot read VIP %d counters", i);
			continue;
		}
		CHECK(w, !memcmp(&v, &w->e.v[i], sizeof(v)),
		      "VIP %d: packets %llu bytes %llu new %llu drops %llu, "
		      "want %llu %llu %llu %llu",
		      i, (unsigned long long)v.packets,
		      (unsigned long long)v.bytes,
		      (unsigned long long)v.new_flows,
		      (unsigned long long)v.drops,
		      (unsigned long long)w->e.v[i].packets,
		      (unsigned long long)w->e.v[i].bytes,
		      (unsigned long long)w->e.v[i].new_flows,
		      (unsigned long long)w->e.v[i].drops);
	}
	for (i = 0; i < NB; i++) {
		if (xlb_dp_stats_backend(w->dp, (__u32)i, &b)) {
			CHECK(w, 0, "cannot read backend %d counters", i);
			continue;
		}
		CHECK(w,
		      b.packets == w->e.b[i].packets &&
			      b.bytes == w->e.b[i].bytes &&
			      b.new_flows == w->e.b[i].new_flows,
		      "backend %d: packets %llu bytes %llu new %llu, want "
		      "%llu %llu %llu",
		      i, (unsigned long long)b.packets,
		      (unsigned long long)b.bytes,
		      (unsigned long long)b.new_flows,
		      (unsigned long long)w->e.b[i].packets,
		      (unsigned long long)w->e.b[i].bytes,
		      (unsigned long long)w->e.b[i].new_flows);
	}
}

static bool want_action(struct world *w, const struct res *r, __u32 want)
{
	if (r->ret == want)
		return true;
	pkt_diag("action %s, want %s", action_name(r->ret), action_name(want));
	w->bad = 1;
	return false;
}

/* XDP_PASS with the frame untouched. */
static void want_pass(struct world *w, const struct pkt *in,
		      const struct res *r)
{
	exp_pass(w);
	if (!want_action(w, r, XDP_PASS))
		return;
	if (r->len != in->len || memcmp(r->out, in->data, in->len)) {
		pkt_diag("passed frame was modified");
		pkt_diag_hex("out", r->out, r->len);
		pkt_diag_hex("in", in->data, in->len);
		w->bad = 1;
	}
}

static void want_drop(struct world *w, const struct res *r, int vip, int reason)
{
	exp_drop(w, vip, reason);
	want_action(w, r, XDP_DROP);
}

/* Sent to backend @be of VIP @vip: IP-in-IP, or new MACs in L2 mode. */
static void want_fwd(struct world *w, const struct pkt *in, const struct res *r,
		     int vip, int be, int event)
{
	const struct xlb_backend *b = &w->be[be];
	struct pkt_encap_want ew = {
		.family = b->family,
		.src = b->family == XLB_AF_INET ? SRC4 : SRC6,
		.dst = BES[be].addr,
		.dmac = b->flags & XLB_BE_F_NH_VALID ? b->nh_mac :
						       w->cfg.nh_mac,
		.smac = (b->flags & XLB_BE_F_NH_VALID) && b->ifindex ?
				b->src_mac :
				MAC_LB,
		.ttl = w->ttl,
	};
	__u8 l2[PKT_MAX];

	exp_fwd(w, vip, be, in->len, event);
	if (!want_action(w, r, be_redirects(w, be) ? XDP_REDIRECT : XDP_TX))
		return;
	if (VIPS[vip].fwd == XLB_FWD_L2) {
		memcpy(l2, in->data, in->len);
		memcpy(l2, b->nh_mac, 6);
		memcpy(l2 + 6, b->ifindex ? b->src_mac : MAC_LB, 6);
		if (r->len != in->len || memcmp(r->out, l2, in->len)) {
			pkt_diag("L2 frame for backend %d is wrong", be);
			pkt_diag_hex("out", r->out, r->len);
			w->bad = 1;
		}
		return;
	}
	if (pkt_check_encap(r->out, r->len, in, &ew)) {
		pkt_diag("(frame for backend %d, %s)", be, BES[be].addr);
		w->bad = 1;
	}
}

/* An echo reply made from @in: addresses and MACs swapped, TTL the
 * program's (64 unless the case set lb.outer_ttl). */
static void want_echo(struct world *w, const struct pkt *in,
		      const struct res *r)
{
	__u8 want[PKT_MAX], tmp[16];
	struct pkt_info pi;
	__u8 *ipb;
	int alen;

	w->e.g[XLB_C_ICMP_ECHO]++;
	if (!want_action(w, r, XDP_TX))
		return;
	memcpy(want, in->data, in->len);
	pkt_parse(want, in->len, &pi);
	ipb = want + pi.l3_off;
	memcpy(want, in->data + 6, 6);
	memcpy(want + 6, in->data, 6);
	alen = pi.family == 4 ? 4 : 16;
	memcpy(tmp, pi.src, 16);
	memcpy(ipb + (pi.family == 4 ? 12 : 8), pi.dst, alen);
	memcpy(ipb + (pi.family == 4 ? 16 : 24), tmp, alen);
	ipb[pi.family == 4 ? 8 : 7] = w->ttl;
	want[pi.l4_off] = pi.family == 4 ? 0 : 129;
	pkt_fix_csums(want, in->len);
	if (r->len != in->len || memcmp(r->out, want, in->len)) {
		pkt_diag("echo reply is wrong");
		pkt_diag_hex("out", r->out, r->len);
		pkt_diag_hex("want", want, in->len);
		w->bad = 1;
	}
}

/* The connection entry of @t points at backend @be (generation too). */
static void want_conn(struct world *w, const struct tflow *t, int be)
{
	struct xlb_flow f = xflow(t);
	struct xlb_conn c;
	int err = xlb_dp_conn_get(w->dp, &f, &c);

	if (be < 0) {
		CHECK(w, err == -ENOENT, "flow %s:%u has an entry (backend %u)",
		      t->src, t->sport, err ? 0 : c.backend);
		return;
	}
	if (err) {
		CHECK(w, 0, "flow %s:%u has no entry: %s", t->src, t->sport,
		      strerror(-err));
		return;
	}
	CHECK(w, c.backend == (__u32)be && c.gen == w->be[be].gen,
	      "flow %s:%u entry: backend %u gen %u, want %d gen %u", t->src,
	      t->sport, c.backend, c.gen, be, w->be[be].gen);
}

/* Send flow @t's packet; expect it on backend @be with @event. */
static void send_flow(struct world *w, int vip, const struct tflow *t,
		      __u8 flags, int be, int event)
{
	struct pkt p;
	struct res r;

	flow_pkt(&p, t, flags);
	if (xrun(w, &p, &r))
		return;
	want_fwd(w, &p, &r, vip, be, event);
}

/* The first client port from t->sport on whose ring choice is (not) @be. */
static __u16 port_where(struct world *w, int vip, struct tflow *t, int be,
			bool equal)
{
	__u16 start = t->sport;
	int i;

	for (i = 0; i < 5000; i++) {
		t->sport = (__u16)(start + i);
		if ((ring_choice(w, vip, t) == be) == equal)
			return t->sport;
	}
	CHECK(w, 0, "no client port found for backend %d", be);
	return 0;
}

/* --- table cases: input builders ------------------------------------------*/

static const struct tflow F4T = { CLIENT4, "192.0.2.10", 40000, 80,
				  IPPROTO_TCP };
static const struct tflow F4U = { CLIENT4, "192.0.2.10", 40001, 53,
				  IPPROTO_UDP };
static const struct tflow F6T = { CLIENT6, "2001:db8::10", 40000, 80,
				  IPPROTO_TCP };
static const struct tflow F6U = { CLIENT6, "2001:db8::10", 40001, 53,
				  IPPROTO_UDP };
static const struct tflow F4in6 = { CLIENT4, "192.0.2.20", 40002, 12345,
				    IPPROTO_TCP };
static const struct tflow F6in4 = { CLIENT6, "2001:db8::20", 40003, 443,
				    IPPROTO_TCP };
static const struct tflow FL2 = { CLIENT4, "192.0.2.30", 40004, 80,
				  IPPROTO_TCP };
static const struct tflow F8080 = { CLIENT4, "192.0.2.10", 40005, 8080,
				    IPPROTO_TCP };

static void b_v4_tcp(struct pkt *p)
{
	flow_pkt(p, &F4T, PKT_SYN);
}

static void b_v4_udp(struct pkt *p)
{
	flow_pkt(p, &F4U, 0);
}

static void b_v6_tcp(struct pkt *p)
{
	flow_pkt(p, &F6T, PKT_SYN);
}

static void b_v6_udp(struct pkt *p)
{
	flow_pkt(p, &F6U, 0);
}

static void b_4in6(struct pkt *p)
{
	flow_pkt(p, &F4in6, PKT_SYN);
}

static void b_6in4(struct pkt *p)
{
	flow_pkt(p, &F6in4, PKT_SYN);
}

static void b_portless_high(struct pkt *p)
{
	struct tflow t = F4in6;

	t.dport = 65535;
	flow_pkt(p, &t, PKT_ACK);
}

static void b_portless_exact(struct pkt *p)
{
	struct tflow t = F4in6;

	t.dport = 443;
	flow_pkt(p, &t, PKT_SYN);
}

static void b_v4_options(struct pkt *p)
{
	/* NOP, NOP, NOP, EOL, then a router alert option */
	static const __u8 opts[] = { 1, 1, 1, 0, 0x94, 4, 0, 0 };
	struct pkt_ip4_opts o = { .src = CLIENT4,
				  .dst = "192.0.2.10",
				  .id = 7,
				  .frag = 0x4000,
				  .opts = opts,
				  .opts_len = sizeof(opts) };

	eth(p);
	pkt_ip4x(p, &o);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_payload_fill(p, 8);
	pkt_finish(p);
}

static void b_vlan(struct pkt *p)
{
	eth(p);
	pkt_vlan(p, 0x8100, 100);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_finish(p);
}

static void b_qinq_v6(struct pkt *p)
{
	eth(p);
	pkt_vlan(p, 0x88a8, 10);
	pkt_vlan(p, 0x8100, 20);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_udp(p, 40001, 53);
	pkt_payload_fill(p, 40);
	pkt_finish(p);
}

static void b_v4_dscp_nodf(struct pkt *p)
{
	struct pkt_ip4_opts o = { .src = CLIENT4,
				  .dst = "192.0.2.10",
				  .tos = 0xb9,
				  .id = 99,
				  .frag = 0 };

	eth(p);
	pkt_ip4x(p, &o);
	pkt_tcp(p, 40000, 80, PKT_ACK);
	pkt_payload_fill(p, 100);
	pkt_finish(p);
}

static void b_6in4_tclass(struct pkt *p)
{
	struct pkt_ip6_opts o = { .src = CLIENT6,
				  .dst = "2001:db8::20",
				  .tclass = 0xb9,
				  .flow = 0x12345 };

	eth(p);
	pkt_ip6x(p, &o);
	pkt_tcp(p, 40003, 443, PKT_ACK);
	pkt_payload_fill(p, 10);
	pkt_finish(p);
}

static void b_v6_ext(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_ip6_ext(p, IPPROTO_HOPOPTS, 8);
	pkt_ip6_ext(p, IPPROTO_DSTOPTS, 16);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_finish(p);
}

static void b_v6_atomic_frag(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_ip6_frag(p, 0, false, 0xabcd);
	pkt_udp(p, 40001, 53);
	pkt_payload_fill(p, 20);
	pkt_finish(p);
}

static void b_v4_padded(struct pkt *p)
{
	eth(p);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_udp(p, 40001, 53);
	pkt_payload_fill(p, 2);
	pkt_finish(p);
	pkt_pad(p, 60);
}

static void b_l2(struct pkt *p)
{
	flow_pkt(p, &FL2, PKT_SYN);
}

/* TCP to a VIP whose IP header ends inside the TCP header; the rest of
 * the TCP header is Ethernet padding. */
static void b_tcp_in_padding(struct pkt *p)
{
	size_t l3;

	b_v4_tcp(p);
	l3 = pkt_l3_off(p);
	p->data[l3 + 2] = 0;
	p->data[l3 + 3] = 30; /* 20 bytes of IP, 10 of TCP */
	pkt_fix_csums(p->data, p->len);
	pkt_pad(p, 60);
}

static void b_v4_totlen_long(struct pkt *p)
{
	size_t l3;

	b_v4_tcp(p);
	l3 = pkt_l3_off(p);
	p->data[l3 + 3] += 1; /* one byte more than the frame holds */
	pkt_fix_csums(p->data, p->len);
}

static void b_v4_ihl_short(struct pkt *p)
{
	b_v4_tcp(p);
	p->data[pkt_l3_off(p)] = 0x44;
}

static void b_v6_plen_long(struct pkt *p)
{
	b_v6_tcp(p);
	p->data[pkt_l3_off(p) + 5] += 1;
}

static void b_v6_many_ext(struct pkt *p)
{
	int i;

	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	for (i = 0; i < 7; i++)
		pkt_ip6_ext(p, IPPROTO_DSTOPTS, 8);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_finish(p);
}

static void b_icmp_short(struct pkt *p)
{
	static const __u8 half[4] = { 8, 0, 0xf7, 0xff };

	eth(p);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_raw(p, IPPROTO_ICMP, half, sizeof(half));
	pkt_finish(p);
}

static void b_8021ad(struct pkt *p)
{
	eth(p);
	pkt_vlan(p, 0x88a8, 300);
	pkt_ip6(p, CLIENT6, "2001:db8::20");
	pkt_tcp(p, 40003, 443, PKT_SYN);
	pkt_finish(p);
}

static void b_v6_ah(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_ip6_ext(p, IPPROTO_ROUTING, 24);
	pkt_ip6_ext(p, IPPROTO_AH, 24);
	pkt_udp(p, 40001, 53);
	pkt_payload_fill(p, 12);
	pkt_finish(p);
}

/* not VIP traffic */
static void b_arp(struct pkt *p)
{
	static const __u8 zero[6];

	pkt_init(p);
	pkt_eth(p, MAC_BCAST, MAC_RTR);
	pkt_arp(p, 1, MAC_RTR, "192.0.2.254", zero, "192.0.2.10");
	pkt_pad(p, 60);
}

static void nd(struct pkt *p, const char *dst, __u8 type)
{
	struct pkt_ip6_opts o = { .src = "fe80::2", .dst = dst, .hlim = 255 };
	__u8 body[24] = {
		0x20, 0x01, 0x0d, 0xb8, [15] = 0x10, [16] = 1, [17] = 1,
		2,    0,    0,	  0,	0,	     2
	};

	pkt_ip6x(p, &o);
	pkt_icmp(p, type, 0, 0);
	pkt_payload(p, body, sizeof(body));
	pkt_finish(p);
}

static void b_nd_ns(struct pkt *p)
{
	static const __u8 mcast[6] = { 0x33, 0x33, 0xff, 0, 0, 0x10 };

	pkt_init(p);
	pkt_eth(p, mcast, MAC_RTR);
	nd(p, "ff02::1:ff00:10", 135);
}

static void b_nd_ns_unicast_vip(struct pkt *p)
{
	eth(p);
	nd(p, "2001:db8::10", 135);
}

static void b_nd_na_vip(struct pkt *p)
{
	eth(p);
	nd(p, "2001:db8::10", 136);
}

static void b_ping_host4(struct pkt *p)
{
	eth(p);
	pkt_ip4(p, CLIENT4, HOST4);
	pkt_icmp(p, 8, 0, 0x00010001);
	pkt_payload_fill(p, 56);
	pkt_finish(p);
}

static void b_ping_host6(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, HOST6);
	pkt_icmp(p, 128, 0, 0x00010001);
	pkt_payload_fill(p, 56);
	pkt_finish(p);
}

static void b_bgp_host4(struct pkt *p)
{
	struct tflow t = { "192.0.2.254", HOST4, 51000, 179, IPPROTO_TCP };

	flow_pkt(p, &t, PKT_SYN);
}

static void b_bgp_host6(struct pkt *p)
{
	struct tflow t = { "2001:db8::fe", HOST6, 51000, 179, IPPROTO_TCP };

	flow_pkt(p, &t, PKT_ACK | PKT_PSH);
}

static void b_bgp_vip_addr(struct pkt *p)
{
	struct tflow t = { "192.0.2.254", "192.0.2.10", 51000, 179,
			   IPPROTO_TCP };

	flow_pkt(p, &t, PKT_SYN);
}

static void b_ssh_vip6(struct pkt *p)
{
	struct tflow t = { CLIENT6, "2001:db8::10", 50000, 22, IPPROTO_TCP };

	flow_pkt(p, &t, PKT_SYN);
}

static void b_udp_other_port(struct pkt *p)
{
	struct tflow t = { CLIENT4, "192.0.2.10", 50000, 123, IPPROTO_UDP };

	flow_pkt(p, &t, 0);
}

static void b_udp_on_tcp_vip(struct pkt *p)
{
	struct tflow t = { CLIENT4, "192.0.2.10", 50000, 80, IPPROTO_UDP };

	flow_pkt(p, &t, 0);
}

static void b_udp_portless_tcp_only(struct pkt *p)
{
	struct tflow t = { CLIENT4, "192.0.2.20", 50000, 80, IPPROTO_UDP };

	flow_pkt(p, &t, 0);
}

static void b_gre_vip(struct pkt *p)
{
	static const __u8 gre[8] = { 0, 0, 0x08, 0 };

	eth(p);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_raw(p, 47, gre, sizeof(gre));
	pkt_payload_fill(p, 20);
	pkt_finish(p);
}

static void b_lldp(struct pkt *p)
{
	static const __u8 lldp_mac[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };
	static const __u8 tlv[4] = { 0x02, 0x07, 0x04, 0 };

	pkt_init(p);
	pkt_eth(p, lldp_mac, MAC_RTR);
	pkt_raw(p, 0, tlv, sizeof(tlv)); /* EtherType set below */
	p->data[12] = 0x88;
	p->data[13] = 0xcc;
	pkt_pad(p, 60);
}

static void b_unreach_host(struct pkt *p)
{
	struct tflow t = { HOST4, CLIENT4, 22, 50000, IPPROTO_TCP };
	struct pkt q;

	/* the host's own packet host -> client, quoted back to the host */
	pkt_init(&q);
	pkt_ip4(&q, HOST4, CLIENT4);
	pkt_tcp(&q, t.sport, t.dport, PKT_ACK);
	pkt_finish(&q);
	eth(p);
	pkt_ip4(p, ROUTER4, HOST4);
	pkt_icmp(p, 3, 4, 1400);
	pkt_payload(p, q.data, 28);
	pkt_finish(p);
}

static void b_echo_reply_vip(struct pkt *p)
{
	eth(p);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_icmp(p, 0, 0, 0x00010001);
	pkt_payload_fill(p, 56);
	pkt_finish(p);
}

static void b_frag_host(struct pkt *p)
{
	struct pkt_ip4_opts o = {
		.src = CLIENT4, .dst = HOST4, .id = 5, .frag = 0x2000
	};

	eth(p);
	pkt_ip4x(p, &o);
	pkt_udp(p, 40000, 53);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

static void b_icmp6_echo_ext(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_ip6_ext(p, IPPROTO_DSTOPTS, 8);
	pkt_icmp(p, 128, 0, 0x00010001);
	pkt_payload_fill(p, 32);
	pkt_finish(p);
}

static void b_unreach_vip_other_port(struct pkt *p)
{
	struct tflow t = { CLIENT4, "192.0.2.10", 50000, 22, IPPROTO_TCP };

	icmp_err_pkt(p, &t, 3, 4, 1400, 28);
}

static void b_time_exceeded_vip(struct pkt *p)
{
	icmp_err_pkt(p, &F4T, 11, 0, 0, 28);
}

static void b_icmp6_in_ip4_vip(struct pkt *p)
{
	/* type 8: what an IPv4 echo request would carry */
	static const __u8 echo6[8] = { 8, 0, 0x12, 0x34, 0, 1, 0, 1 };

	eth(p);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_raw(p, IPPROTO_ICMPV6, echo6, sizeof(echo6));
	pkt_payload_fill(p, 24);
	pkt_finish(p);
}

static void b_icmp4_in_ip6_vip(struct pkt *p)
{
	/* type 128: what an ICMPv6 echo request would carry */
	static const __u8 echo4[8] = { 128, 0, 0x12, 0x34, 0, 1, 0, 1 };

	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_raw(p, IPPROTO_ICMP, echo4, sizeof(echo4));
	pkt_payload_fill(p, 24);
	pkt_finish(p);
}

static void b_three_tags(struct pkt *p)
{
	eth(p);
	pkt_vlan(p, 0x88a8, 1);
	pkt_vlan(p, 0x8100, 2);
	pkt_vlan(p, 0x8100, 3);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_finish(p);
}

/* hostile L4 headers (issue 15) */
static size_t l4_off_of(const struct pkt *p)
{
	struct pkt_info pi;

	pkt_parse(p->data, p->len, &pi);
	return pi.l4_off;
}

static void set_tcp_doff(struct pkt *p, __u8 doff)
{
	size_t l4 = l4_off_of(p);

	p->data[l4 + 12] = (__u8)(doff << 4 | (p->data[l4 + 12] & 0x0f));
}

static void set_udp_len(struct pkt *p, __u16 len)
{
	size_t l4 = l4_off_of(p);

	p->data[l4 + 4] = (__u8)(len >> 8);
	p->data[l4 + 5] = (__u8)len;
}

static void b_tcp_doff4(struct pkt *p)
{
	b_v4_tcp(p);
	set_tcp_doff(p, 4);
}

static void b_tcp_doff0_v6(struct pkt *p)
{
	b_v6_tcp(p);
	set_tcp_doff(p, 0);
}

/* 60 bytes of TCP header claimed, 36 bytes of TCP in the packet */
static void b_tcp_doff_long(struct pkt *p)
{
	b_v4_tcp(p);
	set_tcp_doff(p, 15);
}

static void b_tcp_doff4_host(struct pkt *p)
{
	b_bgp_host4(p);
	set_tcp_doff(p, 4);
}

static void b_udp_len0(struct pkt *p)
{
	b_v4_udp(p);
	set_udp_len(p, 0);
}

static void b_udp_len7_v6(struct pkt *p)
{
	b_v6_udp(p);
	set_udp_len(p, 7);
}

/* one byte more than the 8 + 16 the packet holds */
static void b_udp_len_long(struct pkt *p)
{
	b_v4_udp(p);
	set_udp_len(p, 25);
}

/* fragments */
static void b_frag4_first(struct pkt *p)
{
	struct pkt_ip4_opts o = {
		.src = CLIENT4, .dst = "192.0.2.10", .id = 5, .frag = 0x2000
	};

	eth(p);
	pkt_ip4x(p, &o);
	pkt_udp(p, 40001, 53);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

static void b_frag4_later(struct pkt *p)
{
	struct pkt_ip4_opts o = {
		.src = CLIENT4, .dst = "192.0.2.10", .id = 5, .frag = 9
	};

	eth(p);
	pkt_ip4x(p, &o);
	pkt_raw(p, IPPROTO_UDP, NULL, 0);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

static void b_frag4_later_tcp(struct pkt *p)
{
	struct pkt_ip4_opts o = {
		.src = CLIENT4, .dst = "192.0.2.10", .id = 6, .frag = 9
	};

	eth(p);
	pkt_ip4x(p, &o);
	pkt_raw(p, IPPROTO_TCP, NULL, 0);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

static void b_frag6_first(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::10");
	pkt_ip6_frag(p, 0, true, 77);
	pkt_tcp(p, 40000, 80, PKT_ACK);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

static void b_frag6_later(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::20");
	pkt_ip6_frag(p, 1448, false, 77);
	pkt_raw(p, IPPROTO_TCP, NULL, 0);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

/* ICMP echo */
static void b_ping_vip4(struct pkt *p)
{
	eth(p);
	pkt_ip4(p, CLIENT4, "192.0.2.10");
	pkt_icmp(p, 8, 0, 0x00420007);
	pkt_payload_fill(p, 56);
	pkt_finish(p);
}

/* An echo request to a VIP whose IPv4 header checksum is wrong (fuzz_xdp
 * found it answered with an equally wrong reply): the stack's, to drop. */
static void b_ping_vip4_bad_csum(struct pkt *p)
{
	size_t l3;

	b_ping_vip4(p);
	l3 = pkt_l3_off(p);
	p->data[l3 + 10] ^= 0x5a; /* the header checksum */
}

static void b_ping_vip6(struct pkt *p)
{
	eth(p);
	pkt_ip6(p, CLIENT6, "2001:db8::20");
	pkt_icmp(p, 128, 0, 0x00420007);
	pkt_payload_fill(p, 56);
	pkt_finish(p);
}

static void b_ping_vip4_opts_vlan(struct pkt *p)
{
	static const __u8 opts[] = { 1, 1, 1, 0 };
	struct pkt_ip4_opts o = { .src = CLIENT4,
				  .dst = "192.0.2.30",
				  .ttl = 3,
				  .opts = opts,
				  .opts_len = 4 };

	eth(p);
	pkt_vlan(p, 0x8100, 7);
	pkt_ip4x(p, &o);
	pkt_icmp(p, 8, 0, 0x00420008);
	pkt_payload_fill(p, 31);
	pkt_finish(p);
}

/* --- table cases: setups --------------------------------------------------*/

/* Backends of VIP 1 with their own next hop on another port. */
static void s_redirect(struct world *w)
{
	int i;

	for (i = 4; i <= 5; i++) {
		w->be[i].flags = XLB_BE_F_NH_VALID;
		w->be[i].ifindex = 77;
		memcpy(w->be[i].nh_mac, MAC_BE_NH, 6);
		memcpy(w->be[i].src_mac, MAC_BE_SRC, 6);
		be_push(w, i);
	}
}

/* Backends of VIP 1 with their own next hop on the ingress port. */
static void s_own_nh_same_port(struct world *w)
{
	int i;

	for (i = 4; i <= 5; i++) {
		w->be[i].flags = XLB_BE_F_NH_VALID;
		w->be[i].ifindex = (__u32)w->lo_ifindex;
		memcpy(w->be[i].nh_mac, MAC_BE_NH, 6);
		memcpy(w->be[i].src_mac, MAC_BE_SRC, 6);
		be_push(w, i);
	}
}

static void s_no_nexthop(struct world *w)
{
	w->cfg.flags &= (__u8)~XLB_CFG_F_NH_VALID;
	cfg_push(w);
}

static void s_no_src4(struct world *w)
{
	w->cfg.flags &= (__u8)~XLB_CFG_F_SRC4_VALID;
	cfg_push(w);
}

static void s_no_src6(struct world *w)
{
	w->cfg.flags &= (__u8)~XLB_CFG_F_SRC6_VALID;
	cfg_push(w);
}

static void s_all_down(struct world *w)
{
	int i;

	for (i = 0; i < 4; i++)
		w->be[i].state = XLB_BE_REMOVED;
	for (i = 0; i < 4; i++)
		be_push(w, i);
	ring_rebuild(w, 0);
}

static void s_ring_empty(struct world *w)
{
	struct xlb_addr a = xaddr(VIPS[0].addr);

	w->vip[0].ring_size = 0;
	if (xlb_dp_vip_set(w->dp, &a, VIPS[0].port, VIPS[0].proto, &w->vip[0]))
		CHECK(w, 0, "setup failed");
}

/* The ring still names backends that are gone (userspace lagging). */
static void s_ring_stale(struct world *w)
{
	int i;

	for (i = 0; i < 4; i++) {
		w->be[i].state = XLB_BE_REMOVED;
		be_push(w, i);
	}
}

/* The ring of VIP 0 names a backend of VIP 1 (must never be used). */
static void s_ring_foreign(struct world *w)
{
	int i;

	for (i = 0; i < 4; i++)
		w->be[i].vip_id = 1;
	ring_rebuild(w, 1); /* VIP 1 ring now has 0..5; VIP 0's still 0..3 */
	for (i = 0; i < 4; i++)
		be_push(w, i);
}

/* The markers of 192.0.2.10 and 2001:db8::10 let unserved traffic pass. */
static void s_unserved_pass(struct world *w)
{
	struct xlb_addr a4 = xaddr(VIPS[0].addr), a6 = xaddr(VIPS[2].addr);

	if (xlb_dp_vip_marker_set_flags(w->dp, &a4, 0,
					XLB_VIP_F_UNSERVED_PASS) ||
	    xlb_dp_vip_marker_set_flags(w->dp, &a6, 2, XLB_VIP_F_UNSERVED_PASS))
		CHECK(w, 0, "setup failed");
}

/* --- scenarios ------------------------------------------------------------*/

static void sc_new_flow_entry(struct world *w)
{
	int be = ring_choice(w, 0, &F4T);

	send_flow(w, 0, &F4T, PKT_SYN, be, XLB_C_CONN_MISS);
	want_conn(w, &F4T, be);
	send_flow(w, 0, &F4T, PKT_ACK, be, XLB_C_CONN_HIT);
	send_flow(w, 0, &F4T, PKT_ACK | PKT_FIN, be, XLB_C_CONN_HIT);
}

/* Flows stay on their backend when the ring changes; new flows follow. */
static void sc_sticky(struct world *w)
{
	struct tflow old = F4T, nf = F4T;
	int be, nbe;

	port_where(w, 0, &old, 0, true);
	send_flow(w, 0, &old, PKT_SYN, 0, XLB_C_CONN_MISS);
	/* Backend 0 leaves the ring but stays up (a weight change). */
	w->be[0].state = XLB_BE_REMOVED;
	ring_rebuild(w, 0);
	w->be[0].state = XLB_BE_UP;
	be = ring_choice(w, 0, &old);
	CHECK(w, be != 0, "ring did not change for the old flow");
	send_flow(w, 0, &old, PKT_ACK, 0, XLB_C_CONN_HIT);
	/* A new flow that the old ring would have sent to backend 0. */
	nf.sport = 0;
	for (__u16 p = 30000; p < 35000; p++) {
		struct tflow t = F4T;

		t.sport = p;
		if (p == old.sport)
			continue;
		if (ring_choice(w, 0, &t) != 0) {
			nf = t;
			break;
		}
	}
	nbe = ring_choice(w, 0, &nf);
	send_flow(w, 0, &nf, PKT_SYN, nbe, XLB_C_CONN_MISS);
	CHECK(w, nbe != 0, "new flow went to the backend out of the ring");
	want_conn(w, &old, 0);
	want_conn(w, &nf, nbe);
}

/* --- second chance (bpf/chance.h) --- */

static void chance_want(struct world *w, int vip, __u64 hits, __u64 moved)
{
	struct xlb_chance_stats cs = {};
	int err = xlb_dp_stats_chance(w->dp, (__u32)vip, &cs);

	CHECK(w, !err && cs.hits == hits && cs.moved == moved,
	      "VIP %d second chance: %llu hits, %llu moved; want %llu, %llu",
	      vip, (unsigned long long)cs.hits, (unsigned long long)cs.moved,
	      (unsigned long long)hits, (unsigned long long)moved);
}

/* Publish VIP @vip's ring without backend @be, which stays up (a weight
 * change, or another backend added: the ring changes, @be is usable). */
static void ring_without(struct world *w, int vip, int be)
{
	w->be[be].state = XLB_BE_REMOVED;
	ring_rebuild(w, vip);
	w->be[be].state = XLB_BE_UP;
}

/*
 * Flow @old and a SYN flow both on backend @be of VIP @vip's ring; the ring
 * changes so that @be has no slot. @old's next packet (ACK, no entry here:
 * a connection moved from another host) takes the previous ring's backend
 * @be and is recorded; the SYN takes the new ring's.
 */
static void chance_moved_and_syn(struct world *w, int vip, struct tflow old,
				 int be)
{
	struct tflow syn;
	int nbe;

	port_where(w, vip, &old, be, true);
	syn = old;
	syn.sport = (__u16)(old.sport + 1);
	port_where(w, vip, &syn, be, true);
	ring_without(w, vip, be);
	nbe = ring_choice(w, vip, &old);
	CHECK(w, nbe >= 0 && nbe != be, "ring did not move the old flow");
	send_flow(w, vip, &old, PKT_ACK, be, XLB_C_CONN_MISS);
	want_conn(w, &old, be);
	send_flow(w, vip, &old, PKT_ACK, be, XLB_C_CONN_HIT);
	nbe = ring_choice(w, vip, &syn);
	CHECK(w, nbe >= 0 && nbe != be, "ring did not move the SYN flow");
	send_flow(w, vip, &syn, PKT_SYN, nbe, XLB_C_CONN_MISS);
	want_conn(w, &syn, nbe);
	chance_want(w, vip, 1, 1);
}

static void sc_chance(struct world *w)
{
	xlb_dp_second_chance_set(w->dp, 60);
	chance_moved_and_syn(w, 0, F4T, 1);
	chance_moved_and_syn(w, 2, F6T, 7);
}

/* The same ring change with the feature off (the library's default): the
 * moved connection takes the new ring, and no window is opened. */
static void sc_chance_off(struct world *w)
{
	struct tflow old = F4T;
	struct xlb_ring_prev rp = { .until_ns = 1 };
	int nbe;

	port_where(w, 0, &old, 1, true);
	ring_without(w, 0, 1);
	nbe = ring_choice(w, 0, &old);
	CHECK(w, nbe >= 0 && nbe != 1, "ring did not move the old flow");
	send_flow(w, 0, &old, PKT_ACK, nbe, XLB_C_CONN_MISS);
	want_conn(w, &old, nbe);
	CHECK(w, !xlb_dp_ring_prev_get(w->dp, 0, &rp) && !rp.until_ns,
	      "a previous ring with the feature off");
	chance_want(w, 0, 0, 0);
}

/* After the window (its end moved to the past): the new ring. */
static void sc_chance_expired(struct world *w)
{
	struct tflow old = F4T;
	struct xlb_ring_prev rp = {};
	int nbe;

	xlb_dp_second_chance_set(w->dp, 60);
	port_where(w, 0, &old, 1, true);
	ring_without(w, 0, 1);
	CHECK(w,
	      !xlb_dp_ring_prev_get(w->dp, 0, &rp) && rp.until_ns &&
		      rp.copy != (w->vip[0].active & 1) && rp.ring_size == RING,
	      "previous ring: until %llu copy %u size %u (active %u)",
	      (unsigned long long)rp.until_ns, rp.copy, rp.ring_size,
	      w->vip[0].active);
	rp.until_ns = 1;
	if (xlb_dp_ring_prev_set(w->dp, 0, &rp))
		CHECK(w, 0, "setup failed");
	nbe = ring_choice(w, 0, &old);
	CHECK(w, nbe >= 0 && nbe != 1, "ring did not move the old flow");
	send_flow(w, 0, &old, PKT_ACK, nbe, XLB_C_CONN_MISS);
	chance_want(w, 0, 0, 0);
}

/*
 * Two changes within the window: the window restarts and the previous ring
 * is the one the second change replaced (never a copy being rewritten).
 * R0 = {0,1,2,3}, R1 without 1, R2 without 1 and 2; a flow on 2 in R1
 * takes 2, which R2 no longer has.
 */
static void sc_chance_twice(struct world *w)
{
	struct tflow t = F4T;
	struct xlb_ring_prev r1 = {}, r2 = {};
	int nbe;

	xlb_dp_second_chance_set(w->dp, 60);
	ring_without(w, 0, 1);
	xlb_dp_ring_prev_get(w->dp, 0, &r1);
	port_where(w, 0, &t, 2, true);
	w->be[1].state = XLB_BE_REMOVED;
	ring_without(w, 0, 2);
	w->be[1].state = XLB_BE_UP;
	xlb_dp_ring_prev_get(w->dp, 0, &r2);
	CHECK(w,
	      r2.until_ns >= r1.until_ns && r2.copy != r1.copy &&
		      r2.copy != (w->vip[0].active & 1),
	      "second change: previous copy %u (first %u, active %u), until "
	      "%llu (first %llu)",
	      r2.copy, r1.copy, w->vip[0].active,
	      (unsigned long long)r2.until_ns, (unsigned long long)r1.until_ns);
	nbe = ring_choice(w, 0, &t);
	CHECK(w, nbe >= 0 && nbe != 2 && nbe != 1, "R2 choice %d", nbe);
	send_flow(w, 0, &t, PKT_ACK, 2, XLB_C_CONN_MISS);
	chance_want(w, 0, 1, 1);
}

/*
 * A VIP without a connection table: every packet misses, so a connection
 * opened after the change (SYN on the new ring) would have its next
 * packets sent to the previous ring on every host. Second chance never
 * applies there.
 */
static void sc_chance_no_conn(struct world *w)
{
	struct tflow t = F4T;
	int nbe;

	xlb_dp_second_chance_set(w->dp, 60);
	w->vip[0].flags = XLB_VIP_F_NO_CONN;
	vip_push(w, 0);
	port_where(w, 0, &t, 1, true);
	ring_without(w, 0, 1);
	nbe = ring_choice(w, 0, &t);
	CHECK(w, nbe >= 0 && nbe != 1, "ring did not move the flow");
	send_flow(w, 0, &t, PKT_SYN, nbe, XLB_C_CONN_NOINSERT);
	send_flow(w, 0, &t, PKT_ACK, nbe, XLB_C_CONN_NOINSERT);
	chance_want(w, 0, 0, 0);
}

/* The previous ring's backend was removed (not usable): the new ring; a
 * stale entry (the flow was here) also takes the new ring. */
static void sc_chance_gone(struct world *w)
{
	struct tflow t = F6T, s;
	int nbe;

	xlb_dp_second_chance_set(w->dp, 60);
	port_where(w, 2, &t, 7, true);
	s = t;
	s.sport = (__u16)(t.sport + 1);
	port_where(w, 2, &s, 7, true);
	send_flow(w, 2, &s, PKT_SYN, 7, XLB_C_CONN_MISS);
	w->be[7].state = XLB_BE_REMOVED;
	be_push(w, 7);
	ring_rebuild(w, 2);
	nbe = ring_choice(w, 2, &t);
	send_flow(w, 2, &t, PKT_ACK, nbe, XLB_C_CONN_MISS);
	nbe = ring_choice(w, 2, &s);
	send_flow(w, 2, &s, PKT_ACK, nbe, XLB_C_CONN_STALE);
	chance_want(w, 2, 0, 0);
}

/* A removed backend's flows are re-hashed and the entry repointed. */
static void sc_removed(struct world *w)
{
	struct tflow t = F6T;
	int nbe;

	port_where(w, 2, &t, 7, true);
	send_flow(w, 2, &t, PKT_SYN, 7, XLB_C_CONN_MISS);
	w->be[7].state = XLB_BE_REMOVED;
	be_push(w, 7);
	ring_rebuild(w, 2);
	nbe = ring_choice(w, 2, &t);
	CHECK(w, nbe == 6 || nbe == 8, "ring choice %d after removal", nbe);
	send_flow(w, 2, &t, PKT_ACK, nbe, XLB_C_CONN_STALE);
	want_conn(w, &t, nbe);
	send_flow(w, 2, &t, PKT_ACK, nbe, XLB_C_CONN_HIT);
}

/*
 * 10.0.0.1 serves VIP 0 (backend id 0) and VIP 7 (id 15). Removing it from
 * VIP 7 moves only VIP 7's flows.
 */
static void sc_membership(struct world *w)
{
	struct tflow a = F4T, b = F8080;
	int nbe;

	port_where(w, 0, &a, 0, true);
	port_where(w, 7, &b, 15, true);
	send_flow(w, 0, &a, PKT_SYN, 0, XLB_C_CONN_MISS);
	send_flow(w, 7, &b, PKT_SYN, 15, XLB_C_CONN_MISS);
	w->be[15].state = XLB_BE_REMOVED;
	be_push(w, 15);
	ring_rebuild(w, 7);
	send_flow(w, 0, &a, PKT_ACK, 0, XLB_C_CONN_HIT);
	nbe = ring_choice(w, 7, &b);
	CHECK(w, nbe == 16, "VIP 7 ring choice %d, want 16", nbe);
	send_flow(w, 7, &b, PKT_ACK, 16, XLB_C_CONN_STALE);
	want_conn(w, &a, 0);
	want_conn(w, &b, 16);
}

/* Draining: out of the ring, existing flows stay, new ones go elsewhere. */
static void sc_draining(struct world *w)
{
	struct tflow old = F4T, nf = F4T;
	int nbe;

	port_where(w, 0, &old, 2, true);
	send_flow(w, 0, &old, PKT_SYN, 2, XLB_C_CONN_MISS);
	nf.sport = (__u16)(old.sport + 1);
	port_where(w, 0, &nf, 2, true); /* also on 2 before draining */
	w->be[2].state = XLB_BE_DRAINING;
	be_push(w, 2);
	ring_rebuild(w, 0);
	send_flow(w, 0, &old, PKT_ACK, 2, XLB_C_CONN_HIT);
	nbe = ring_choice(w, 0, &nf);
	CHECK(w, nbe >= 0 && nbe != 2, "new flow ring choice %d", nbe);
	send_flow(w, 0, &nf, PKT_SYN, nbe, XLB_C_CONN_MISS);
	want_conn(w, &old, 2);
	want_conn(w, &nf, nbe);
}

/* A TCP RST is forwarded but creates no entry; a later SYN does. */
static void sc_rst(struct world *w)
{
	int be = ring_choice(w, 0, &F4T);

	send_flow(w, 0, &F4T, PKT_RST, be, XLB_C_CONN_NOINSERT);
	want_conn(w, &F4T, -1);
	send_flow(w, 0, &F4T, PKT_RST | PKT_ACK, be, XLB_C_CONN_NOINSERT);
	want_conn(w, &F4T, -1);
	send_flow(w, 0, &F4T, PKT_SYN, be, XLB_C_CONN_MISS);
	want_conn(w, &F4T, be);
	/* an RST of a known flow still uses (and keeps) the entry */
	send_flow(w, 0, &F4T, PKT_RST, be, XLB_C_CONN_HIT);
	want_conn(w, &F4T, be);
}

/* A backend id reused (new generation) does not inherit old flows. */
static void sc_gen(struct world *w)
{
	struct tflow t = F6U;

	send_flow(w, 3, &t, 0, 9, XLB_C_CONN_MISS);
	want_conn(w, &t, 9);
	w->be[9].gen = 2;
	be_push(w, 9);
	send_flow(w, 3, &t, 0, 9, XLB_C_CONN_STALE);
	want_conn(w, &t, 9); /* repointed: gen 2 now */
	send_flow(w, 3, &t, 0, 9, XLB_C_CONN_HIT);
}

/* An entry whose backend does not belong to the entry's VIP is stale. */
static void sc_foreign_entry(struct world *w)
{
	struct xlb_flow f = xflow(&F4U);
	/* backend 0 is VIP 0's, the entry claims VIP 1 */
	struct xlb_conn c = { .backend = 0, .gen = 1, .vip_id = 1 };
	int be = ring_choice(w, 1, &F4U);

	CHECK(w, !xlb_dp_conn_set(w->dp, &f, &c), "conn_set failed");
	send_flow(w, 1, &F4U, 0, be, XLB_C_CONN_STALE);
	want_conn(w, &F4U, be);
}

/*
 * Established flows are forwarded from their entry, without a VIP lookup:
 * with the VIP entry gone they continue until their backends are removed
 * (which is what removing a VIP does); new flows are not VIP traffic.
 */
static void sc_vip_gone(struct world *w)
{
	struct xlb_addr a = xaddr(VIPS[0].addr);
	struct tflow nf = F4T;
	struct pkt p;
	struct res r;
	int be = ring_choice(w, 0, &F4T), i;

	send_flow(w, 0, &F4T, PKT_SYN, be, XLB_C_CONN_MISS);
	CHECK(w, !xlb_dp_vip_del(w->dp, &a, VIPS[0].port, VIPS[0].proto),
	      "vip_del failed");
	send_flow(w, 0, &F4T, PKT_ACK, be, XLB_C_CONN_HIT);
	nf.sport = 1234;
	flow_pkt(&p, &nf, PKT_SYN);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 0, XLB_C_DROP_UNSERVED);
	for (i = 0; i < 4; i++) {
		w->be[i].state = XLB_BE_REMOVED;
		be_push(w, i);
	}
	flow_pkt(&p, &F4T, PKT_ACK);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 0, XLB_C_DROP_UNSERVED);
}

/* the set of flow @t in the connection table (maps/xlb_maps.h) */
static __u32 conn_set_of(struct world *w, const struct tflow *t)
{
	struct xlb_flow f = xflow(t);
	struct xlb_config c;

	if (xlb_dp_config_get(w->dp, &c))
		return 0;
	return (__u32)xlb_hash4(c.conn_seed, f.src.a[0], f.dst.a[0],
				htons(f.sport), htons(f.dport), f.proto) &
	       (xlb_conn_sets(1024) - 1);
}

/*
 * Five flows of one set (4 ways): the fifth is not found before it is sent
 * (same set, another key), then takes a way by evicting one of the four
 * (counted), and every flow is still forwarded to its ring backend.
 */
static void sc_set_full(struct world *w)
{
	struct tflow t[XLB_CONN_WAYS + 1];
	__u32 set;
	int i, n = 0, found = 0, be;
	__u16 port;

	t[0] = F4T;
	set = conn_set_of(w, &t[0]);
	for (port = 41000; n < XLB_CONN_WAYS && port < 60000; port++) {
		struct tflow c = F4T;

		c.sport = port;
		if (conn_set_of(w, &c) == set)
			t[++n] = c;
	}
	CHECK(w, n == XLB_CONN_WAYS, "found %d flows of one set", n);
	if (n != XLB_CONN_WAYS)
		return;
	for (i = 0; i < XLB_CONN_WAYS; i++) {
		be = ring_choice(w, 0, &t[i]);
		send_flow(w, 0, &t[i], PKT_SYN, be, XLB_C_CONN_MISS);
		want_conn(w, &t[i], be);
	}
	want_conn(w, &t[XLB_CONN_WAYS], -1);
	be = ring_choice(w, 0, &t[XLB_CONN_WAYS]);
	send_flow(w, 0, &t[XLB_CONN_WAYS], PKT_SYN, be, XLB_C_CONN_MISS);
	w->e.g[XLB_C_CONN_EVICT]++;
	want_conn(w, &t[XLB_CONN_WAYS], be);
	for (i = 0; i < XLB_CONN_WAYS; i++) {
		struct xlb_flow f = xflow(&t[i]);
		struct xlb_conn c;

		found += !xlb_dp_conn_get(w->dp, &f, &c);
	}
	CHECK(w, found == XLB_CONN_WAYS - 1,
	      "%d of the first %d flows kept their entry, want %d", found,
	      XLB_CONN_WAYS, XLB_CONN_WAYS - 1);
}

/* A VIP without connection table: no entries, every packet hashed. */
static void sc_no_conn(struct world *w)
{
	int be;

	w->vip[1].flags = XLB_VIP_F_NO_CONN;
	vip_push(w, 1);
	be = ring_choice(w, 1, &F4U);
	send_flow(w, 1, &F4U, 0, be, XLB_C_CONN_NOINSERT);
	send_flow(w, 1, &F4U, 0, be, XLB_C_CONN_NOINSERT);
	want_conn(w, &F4U, -1);
}

/* Source-only hashing: every port of one client on one backend. */
static void sc_src_only(struct world *w)
{
	struct tflow t = F4T;
	int be, i, other = 0;

	w->vip[0].flags = XLB_VIP_F_SRC_ONLY;
	vip_push(w, 0);
	be = ring_choice(w, 0, &t);
	for (i = 0; i < 8; i++) {
		t.sport = (__u16)(1000 + 777 * i);
		send_flow(w, 0, &t, PKT_SYN, be, XLB_C_CONN_MISS);
	}
	/* and other clients spread: not all 16 of them on @be */
	for (i = 0; i < 16; i++) {
		char src[32];

		snprintf(src, sizeof(src), "198.51.100.%d", 100 + i);
		t.src = src;
		if (ring_choice(w, 0, &t) != be)
			other++;
	}
	CHECK(w, other > 0, "16 clients all hash to backend %d", be);
}

/* fragments: balance on VIP @vip (a UDP VIP); the marker names it */
static void frag_balance_on(struct world *w, int vip)
{
	struct xlb_addr a = xaddr(VIPS[vip].addr);

	w->vip[vip].flags = XLB_VIP_F_SRC_ONLY | XLB_VIP_F_FRAG_BALANCE;
	if (vip_push(w, vip) ||
	    xlb_dp_vip_marker_set_frag(w->dp, &a, (__u32)vip, 0,
				       VIPS[vip].proto, VIPS[vip].port))
		CHECK(w, 0, "setup failed");
}

/* Fragment @off (bytes; 0 = first, with the UDP header) of datagram @id
 * from @src to @dst:53, more fragments follow when @more. */
static void frag_pkt(struct pkt *p, const char *src, const char *dst, __u16 off,
		     bool more, __u16 id)
{
	eth(p);
	if (strchr(dst, ':')) {
		pkt_ip6(p, src, dst);
		pkt_ip6_frag(p, off, more, id);
	} else {
		struct pkt_ip4_opts o = {
			.src = src,
			.dst = dst,
			.id = id,
			.frag = (__u16)((more ? 0x2000 : 0) | off / 8),
		};

		pkt_ip4x(p, &o);
	}
	if (!off)
		pkt_udp(p, 40001, 53);
	else
		pkt_raw(p, IPPROTO_UDP, NULL, 0);
	pkt_payload_fill(p, 64);
	pkt_finish(p);
}

/* Send a fragment; expect it on @be, balanced, not recorded. */
static void send_frag(struct world *w, int vip, const char *src, __u16 off,
		      bool more, int be)
{
	struct pkt p;
	struct res r;

	frag_pkt(&p, src, VIPS[vip].addr, off, more, 77);
	if (xrun(w, &p, &r))
		return;
	w->e.g[XLB_C_FRAG_BALANCED]++;
	want_fwd(w, &p, &r, vip, be, XLB_C_CONN_NOINSERT);
}

/*
 * fragments: balance: the first and the later fragments of a datagram, and
 * the client's unfragmented packets to the VIP, reach one backend, the
 * ring's choice for (source, destination, protocol); clients spread.
 */
static void sc_frag_balance(struct world *w)
{
	int i, be, first = -1, spread = 0;
	struct tflow t = F4U;
	char src[32];

	frag_balance_on(w, 1);
	for (i = 0; i < 8; i++) {
		snprintf(src, sizeof(src), "198.51.100.%d", 10 + i);
		t.src = src;
		be = ring_choice(w, 1, &t);
		CHECK(w, be >= 0, "no ring choice");
		if (be < 0)
			return;
		spread |= first >= 0 && be != first;
		first = first < 0 ? be : first;
		send_frag(w, 1, src, 0, true, be);
		send_frag(w, 1, src, 1480, true, be);
		send_frag(w, 1, src, 2960, false, be);
		send_flow(w, 1, &t, 0, be, XLB_C_CONN_MISS);
	}
	CHECK(w, spread, "8 clients all on backend %d", first);
}

static void sc_frag_balance6(struct world *w)
{
	struct tflow t = { CLIENT6, "2001:db8::10", 40001, 53, IPPROTO_UDP };
	int be;

	frag_balance_on(w, 3);
	be = ring_choice(w, 3, &t);
	send_frag(w, 3, CLIENT6, 0, true, be);
	send_frag(w, 3, CLIENT6, 1448, false, be);
}

/* A TCP fragment to an address whose fragments go to a UDP VIP: dropped,
 * charged to the VIP the marker names. */
static void sc_frag_other_proto(struct world *w)
{
	struct pkt p;
	struct res r;

	frag_balance_on(w, 1);
	b_frag4_later_tcp(&p);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 1, XLB_C_DROP_FRAGMENT);
}

/* Truncated IPv6 fragment header (4 of its 8 bytes) to a VIP address with
 * fragments: balance: malformed, charged to the VIP the marker names. */
static void sc_frag6_truncated(struct world *w)
{
	static const __u8 half[4] = { IPPROTO_UDP, 0, 0x05, 0xc9 };
	struct pkt p;
	struct res r;

	frag_balance_on(w, 3);
	eth(&p);
	pkt_ip6(&p, CLIENT6, "2001:db8::10");
	pkt_raw(&p, IPPROTO_FRAGMENT, half, sizeof(half));
	pkt_finish(&p);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 3, XLB_C_DROP_MALFORMED);
}

/* An IPv4 fragment whose header says 60 bytes but the frame holds 40. */
static void sc_frag4_truncated(struct world *w)
{
	struct pkt p;
	struct res r;

	frag_balance_on(w, 1);
	frag_pkt(&p, CLIENT4, "192.0.2.10", 1480, true, 5);
	p.len -= 60; /* the payload and 20 bytes of the 20 + 64 claimed */
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 1, XLB_C_DROP_MALFORMED);
}

static void icmp_err_case(struct world *w, int vip, const struct tflow *t,
			  bool v6)
{
	struct pkt p;
	struct res r;
	int be, nbe;

	be = ring_choice(w, vip, t);
	send_flow(w, vip, t, PKT_SYN, be, XLB_C_CONN_MISS);
	/* Move the ring so only the connection table knows the backend. */
	w->be[be].state = XLB_BE_REMOVED;
	ring_rebuild(w, vip);
	w->be[be].state = XLB_BE_UP;
	nbe = ring_choice(w, vip, t);
	CHECK(w, nbe != be, "ring still picks %d", be);
	if (v6)
		icmp_err_pkt(&p, t, 2, 0, 1280, 1232);
	else
		icmp_err_pkt(&p, t, 3, 4, 1400, 28);
	if (xrun(w, &p, &r))
		return;
	want_fwd(w, &p, &r, vip, be, XLB_C_CONN_HIT);
}

static void sc_frag_needed(struct world *w)
{
	icmp_err_case(w, 0, &F4T, false);
}

static void sc_pkt_too_big(struct world *w)
{
	icmp_err_case(w, 2, &F6T, true);
}

/* The quoted packet carries IP options: its ports are found behind them. */
static void sc_frag_needed_opts(struct world *w)
{
	static const __u8 opts[] = { 0x94, 4, 0, 0, 1, 1, 1, 0 };
	struct pkt_ip4_opts o = { .src = F4U.dst,
				  .dst = F4U.src,
				  .opts = opts,
				  .opts_len = sizeof(opts) };
	struct pkt q, p;
	struct res r;
	int be = ring_choice(w, 1, &F4U);

	send_flow(w, 1, &F4U, 0, be, XLB_C_CONN_MISS);
	pkt_init(&q);
	pkt_ip4x(&q, &o);
	pkt_udp(&q, F4U.dport, F4U.sport);
	pkt_payload_fill(&q, 100);
	pkt_finish(&q);
	eth(&p);
	pkt_ip4(&p, ROUTER4, F4U.dst);
	pkt_icmp(&p, 3, 4, 576);
	pkt_payload(&p, q.data, 28 + sizeof(opts));
	pkt_finish(&p);
	if (xrun(w, &p, &r))
		return;
	want_fwd(w, &p, &r, 1, be, XLB_C_CONN_HIT);
}

/* An error about a flow the table does not know: the ring decides, and
 * no entry is made. */
static void sc_unreach_new(struct world *w)
{
	struct pkt p;
	struct res r;
	int be = ring_choice(w, 5, &F6in4);

	icmp_err_pkt(&p, &F6in4, 1, 4, 0, 200);
	if (xrun(w, &p, &r))
		return;
	want_fwd(w, &p, &r, 5, be, XLB_C_CONN_NOINSERT);
	want_conn(w, &F6in4, -1);
}

/* --- path MTU (issue 18) --------------------------------------------------*/

/* The link the test packets leave by (lo, BPF_PROG_TEST_RUN's ingress). */
static void mtu_set(struct world *w, __u32 ifindex, __u32 mtu)
{
	CHECK(w, !xlb_dp_mtu_set(w->dp, ifindex, mtu), "mtu_set %u %u failed",
	      ifindex, mtu);
}

/* A TCP ACK of flow @t whose IP packet is @ip_len bytes, DF as given
 * (IPv6 never fragments on the way). */
static void big_pkt(struct pkt *p, const struct tflow *t, size_t ip_len,
		    bool df)
{
	bool v6 = strchr(t->src, ':') != NULL;
	struct pkt_ip4_opts o = {
		.src = t->src, .dst = t->dst, .id = 1, .frag = df ? 0x4000 : 0
	};

	eth(p);
	if (v6)
		pkt_ip6(p, t->src, t->dst);
	else
		pkt_ip4x(p, &o);
	pkt_tcp(p, t->sport, t->dport, PKT_ACK);
	pkt_payload_fill(p, ip_len - (v6 ? 40 : 20) - 20);
	pkt_finish(p);
}

/*
 * The exact answer to @in: MACs swapped, VLAN tags kept, an IP header from
 * the VIP to the client (IPv4: TOS 0xc0, ID 0, no DF, TTL 64; IPv6: hop
 * limit 64), ICMP frag-needed or ICMPv6 packet-too-big carrying @mtu, and
 * the packet's IP header(s) and 8 bytes of TCP; checksums computed here
 * by the test's own packet builder.
 */
static void want_too_big(struct world *w, const struct pkt *in,
			 const struct res *r, __u32 mtu)
{
	struct pkt_info pi;
	struct pkt want;
	char src[64], dst[64];
	size_t q;
	int i;

	pkt_parse(in->data, in->len, &pi);
	w->e.g[pi.family == 4 ? XLB_C_ICMP_FRAG_NEEDED : XLB_C_ICMP_PTB]++;
	if (!want_action(w, r, XDP_TX))
		return;
	snprintf(src, sizeof(src), "%s", pkt_addr_str(pi.family, pi.dst));
	snprintf(dst, sizeof(dst), "%s", pkt_addr_str(pi.family, pi.src));
	q = pi.l4_off - pi.l3_off + 8;
	pkt_init(&want);
	pkt_eth(&want, in->data + 6, in->data);
	for (i = 0; i < pi.nvlan; i++)
		pkt_vlan(&want, pi.tpid[i], pi.tci[i]);
	if (pi.family == 4) {
		struct pkt_ip4_opts o = { .src = src, .dst = dst, .tos = 0xc0 };

		pkt_ip4x(&want, &o);
		pkt_icmp(&want, 3, 4, mtu);
	} else {
		pkt_ip6(&want, src, dst);
		pkt_icmp(&want, 2, 0, mtu);
	}
	pkt_payload(&want, in->data + pi.l3_off, q);
	pkt_finish(&want);
	if (r->len != want.len || memcmp(r->out, want.data, want.len)) {
		pkt_diag("ICMP too-big answer is wrong");
		pkt_diag_hex("out", r->out, r->len);
		pkt_diag_hex("want", want.data, want.len);
		w->bad = 1;
	}
}

/*
 * The same from a router whose MAC has no zero bytes: the answer's ICMP
 * header is written where the frame's source MAC was, so a checksum summed
 * before its field was cleared (bpf/pmtu.h, xlb_word) shows only with
 * non-zero bytes there. Real routers' MACs are such.
 */
static void sc_pmtu_v6_mac(struct world *w)
{
	static const __u8 mac[6] = { 0x52, 0x54, 0xa1, 0xb2, 0xc3, 0xd4 };
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F6T, 1600, true);
	memcpy(p.data + 6, mac, 6);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1560);
}

/* And IPv4, untagged. */
static void sc_pmtu_df_mac(struct world *w)
{
	static const __u8 mac[6] = { 0x52, 0x54, 0xa1, 0xb2, 0xc3, 0xd4 };
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F4T, 1600, true);
	memcpy(p.data + 6, mac, 6);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1580);
}

/* 1600 bytes of IPv4 with DF, 1620 once encapsulated, on a 1600-byte link:
 * frag-needed with 1580, from the VIP to the client. */
static void sc_pmtu_df(struct world *w)
{
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F4T, 1600, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1580);
}

/* The same packet behind a VLAN tag: the tag stays on the answer. */
static void sc_pmtu_vlan(struct world *w)
{
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1500);
	eth(&p);
	pkt_vlan(&p, 0x8100, 100);
	pkt_ip4(&p, CLIENT4, "192.0.2.10");
	pkt_tcp(&p, 40000, 80, PKT_ACK);
	pkt_payload_fill(&p, 1500 - 40);
	pkt_finish(&p);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1480);
}

/* IPv6, IP6IP6 (40 bytes): packet too big with 1560. */
static void sc_pmtu_v6(struct world *w)
{
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F6T, 1600, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1560);
}

/* IPv4 VIP with IPv6 backends (4in6): the MTU announced is 40 less. */
static void sc_pmtu_4in6(struct world *w)
{
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1500);
	big_pkt(&p, &F4in6, 1500, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1460);
}

/* IPv4 without DF: dropped (the balancer does not fragment). */
static void sc_pmtu_nodf(struct world *w)
{
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F4T, 1600, false);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 0, XLB_C_DROP_TOO_BIG);
}

/*
 * Exactly fitting (1580 + 20 = 1600) is forwarded, as a new flow and as an
 * established one (the fast path); one byte more of the established flow
 * is answered.
 */
static void sc_pmtu_fits(struct world *w)
{
	int be = ring_choice(w, 0, &F4T);
	struct pkt p;
	struct res r;

	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F4T, 1580, true);
	if (!xrun(w, &p, &r))
		want_fwd(w, &p, &r, 0, be, XLB_C_CONN_MISS);
	if (!xrun(w, &p, &r))
		want_fwd(w, &p, &r, 0, be, XLB_C_CONN_HIT);
	big_pkt(&p, &F4T, 1581, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1580);
	want_conn(w, &F4T, be);
}

/* The default (slot 0) applies to interfaces without their own MTU, and
 * an interface's own MTU wins over it. The flow's entry was made by the
 * first packet (its backend was picked before the size was checked). */
static void sc_pmtu_default(struct world *w)
{
	struct pkt p;
	struct res r;
	int be = ring_choice(w, 0, &F4T);

	mtu_set(w, 0, 1500);
	big_pkt(&p, &F4T, 1500, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1480);
	mtu_set(w, (__u32)w->lo_ifindex, 9000);
	if (!xrun(w, &p, &r))
		want_fwd(w, &p, &r, 0, be, XLB_C_CONN_HIT);
}

/* Stay on one CPU (the rate limits are per CPU: BPF_PROG_TEST_RUN runs
 * the program on the caller's); @old gets the affinity to restore. */
static void cpu_pin(struct world *w, cpu_set_t *old)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (sched_getaffinity(0, sizeof(*old), old))
		CHECK(w, 0, "sched_getaffinity: %s", strerror(errno));
	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		CHECK(w, 0, "sched_setaffinity: %s", strerror(errno));
}

/* The default is kept at or below every interface's own MTU (the program
 * then skips the interface's slot for packets within it): set above one,
 * it is clamped, and a packet over the interface's is still answered. */
static void sc_pmtu_default_clamped(struct world *w)
{
	struct pkt p;
	struct res r;
	__u32 def = 0;

	mtu_set(w, (__u32)w->lo_ifindex, 1500);
	mtu_set(w, 0, 9000);
	CHECK(w, !xlb_dp_mtu_get(w->dp, 0, &def) && def == 1500,
	      "default %u, want 1500", def);
	big_pkt(&p, &F4T, 1500, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1480);
	mtu_set(w, (__u32)w->lo_ifindex, 1400);
	CHECK(w, !xlb_dp_mtu_get(w->dp, 0, &def) && def == 1400,
	      "default %u after the port's went down to 1400, want 1400", def);
}

/* The answers are rate-limited per CPU: with a burst of 2 and 1/s, the
 * third answer in a row is dropped (and counted). The test stays on one
 * CPU, whose bucket it drains. */
static void sc_pmtu_ratelimit(struct world *w)
{
	struct xlb_limits l = { .icmp_rate = 1, .icmp_burst = 2 };
	cpu_set_t old;
	struct pkt p;
	struct res r;
	int i;

	CHECK(w, !xlb_dp_limits_set(w->dp, &l), "limits_set failed");
	mtu_set(w, (__u32)w->lo_ifindex, 1500);
	cpu_pin(w, &old);
	big_pkt(&p, &F6T, 1500, true);
	for (i = 0; i < 2; i++)
		if (!xrun(w, &p, &r))
			want_too_big(w, &p, &r, 1460);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 2, XLB_C_DROP_ICMP_RATELIMIT);
	sched_setaffinity(0, sizeof(old), &old);
}

#define N_FLOOD 20

/*
 * SYN-flood guard (issue 18): with 4 new entries of burst and 1 per
 * second, four flows fill one set, the live one last; then 20 new flows of
 * the same set arrive. They are balanced by the ring but not recorded
 * (conn_insert_skipped), so the live flow keeps its entry: without the
 * guard the first of them evicts it.
 */
static void sc_flood_guard(struct world *w)
{
	struct xlb_limits l = { .conn_rate = 1, .conn_burst = XLB_CONN_WAYS };
	struct tflow t[XLB_CONN_WAYS + N_FLOOD];
	int i, n = 0, be;
	cpu_set_t old;
	__u32 set;
	__u16 port;

	CHECK(w, !xlb_dp_limits_set(w->dp, &l), "limits_set failed");
	set = conn_set_of(w, &F4T);
	for (port = 41000; n < XLB_CONN_WAYS - 1 + N_FLOOD && port < 65000;
	     port++) {
		struct tflow c = F4T;

		c.sport = port;
		if (conn_set_of(w, &c) == set)
			t[n++] = c;
	}
	CHECK(w, n == XLB_CONN_WAYS - 1 + N_FLOOD, "found %d flows of one set",
	      n);
	if (n != XLB_CONN_WAYS - 1 + N_FLOOD)
		return;
	cpu_pin(w, &old);
	/* ways 0..2, then the live flow F4T */
	for (i = 0; i < XLB_CONN_WAYS - 1; i++)
		send_flow(w, 0, &t[i], PKT_SYN, ring_choice(w, 0, &t[i]),
			  XLB_C_CONN_MISS);
	be = ring_choice(w, 0, &F4T);
	send_flow(w, 0, &F4T, PKT_SYN, be, XLB_C_CONN_MISS);
	for (i = XLB_CONN_WAYS - 1; i < n; i++) {
		send_flow(w, 0, &t[i], PKT_SYN, ring_choice(w, 0, &t[i]),
			  XLB_C_CONN_INSERT_SKIPPED);
		want_conn(w, &t[i], -1);
	}
	sched_setaffinity(0, sizeof(old), &old);
	send_flow(w, 0, &F4T, PKT_ACK, be, XLB_C_CONN_HIT);
	want_conn(w, &F4T, be);
	for (i = 0; i < XLB_CONN_WAYS - 1; i++)
		want_conn(w, &t[i], ring_choice(w, 0, &t[i]));
}

/* An ICMP error forwarded to a backend is never answered with another. */
static void sc_pmtu_icmp_error(struct world *w)
{
	struct pkt p, q;
	struct res r;

	send_flow(w, 1, &F4U, 0, ring_choice(w, 1, &F4U), XLB_C_CONN_MISS);
	mtu_set(w, (__u32)w->lo_ifindex, 1500);
	/* the backend's 1478-byte reply quoted whole: 1506 + 20 > 1500 */
	pkt_init(&q);
	pkt_ip4(&q, F4U.dst, F4U.src);
	pkt_udp(&q, F4U.dport, F4U.sport);
	pkt_payload_fill(&q, 1450);
	pkt_finish(&q);
	eth(&p);
	pkt_ip4(&p, ROUTER4, F4U.dst);
	pkt_icmp(&p, 3, 3, 0);
	pkt_payload(&p, q.data, q.len);
	pkt_finish(&p);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 1, XLB_C_DROP_TOO_BIG);
}

/* A bad TCP header of an established flow (the fast path's packet shape)
 * is dropped, not forwarded on the flow's entry. Drops of packets without
 * a usable L4 header are charged to the address's first VIP (its marker). */
static void sc_bad_l4_established(struct world *w)
{
	int be = ring_choice(w, 0, &F4T);
	struct pkt p;
	struct res r;

	send_flow(w, 0, &F4T, PKT_SYN, be, XLB_C_CONN_MISS);
	flow_pkt(&p, &F4T, PKT_ACK);
	set_tcp_doff(&p, 4);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 0, XLB_C_DROP_BAD_L4);
	send_flow(w, 1, &F4U, 0, ring_choice(w, 1, &F4U), XLB_C_CONN_MISS);
	flow_pkt(&p, &F4U, 0);
	set_udp_len(&p, 200);
	if (!xrun(w, &p, &r))
		want_drop(w, &r, 0, XLB_C_DROP_BAD_L4);
}

/* --- the table ------------------------------------------------------------*/

enum out_kind {
	O_SAME, /* XDP_PASS, frame unchanged */
	O_FWD, /* to backend .be (or the ring's choice), event .counter */
	O_DROP, /* XDP_DROP, counter .counter charged to VIP .vip */
	O_ECHO, /* echo reply */
};

/* --- GUE (XLB_FWD_GUE, bpf/gue.h) -----------------------------------------*/

/* VIP @vip forwards by GUE to UDP port @port: its memberships carry the
 * port, its entry the mode (as xlbd writes them: backends first). */
static void gue_on(struct world *w, int vip, __u16 port)
{
	int i;

	for (i = 0; i < NB; i++) {
		if (w->be[i].vip_id != (__u32)vip)
			continue;
		w->be[i].gue_port = htons(port);
		CHECK(w, !be_push(w, i), "backend %d: write failed", i);
	}
	w->vip[vip].fwd = XLB_FWD_GUE;
	CHECK(w, !vip_push(w, vip), "VIP %d: write failed", vip);
}

/* The GUE source port of the flow of frame @in (maps/xlb_maps.h). */
static __u16 gue_sport_of(struct world *w, const struct pkt *in)
{
	struct pkt_info pi;
	struct xlb_flow f = {};
	const __u8 *l4;

	pkt_parse(in->data, in->len, &pi);
	l4 = in->data + pi.l4_off;
	f.src.family = f.dst.family =
		pi.family == 4 ? XLB_AF_INET : XLB_AF_INET6;
	memcpy(f.src.a, pi.src, pi.family == 4 ? 4 : 16);
	memcpy(f.dst.a, pi.dst, pi.family == 4 ? 4 : 16);
	f.sport = (__u16)(l4[0] << 8 | l4[1]);
	f.dport = (__u16)(l4[2] << 8 | l4[3]);
	f.proto = pi.proto;
	return xlb_gue_sport(xlb_flow_hash(w->cfg.hash_seed, &f, 0));
}

/*
 * The exact GUE frame for @in toward backend @be, built here by the test's
 * own packet builder: the MACs and VLAN tags of an IP-in-IP frame, the
 * outer IP header as IPIP's (DF as the inner IPv4, always for inner IPv6;
 * the IPv6 flow label from the ports and the client's last word), UDP from
 * @sport to @dport with the inner IP packet as its payload, UDP checksum 0
 * over IPv4 and computed over IPv6.
 */
static void gue_frame(struct world *w, const struct pkt *in, int be,
		      __u16 sport, __u16 dport, struct pkt *want)
{
	const struct xlb_backend *b = &w->be[be];
	struct pkt_info pi;
	const __u8 *l4;
	__u32 fl, csrc3;
	int i;

	pkt_parse(in->data, in->len, &pi);
	l4 = in->data + pi.l4_off;
	pkt_init(want);
	pkt_eth(want, b->flags & XLB_BE_F_NH_VALID ? b->nh_mac : w->cfg.nh_mac,
		(b->flags & XLB_BE_F_NH_VALID) && b->ifindex ? b->src_mac :
							       MAC_LB);
	for (i = 0; i < pi.nvlan; i++)
		pkt_vlan(want, pi.tpid[i], pi.tci[i]);
	if (b->family == XLB_AF_INET) {
		struct pkt_ip4_opts o = {
			.src = SRC4,
			.dst = BES[be].addr,
			.tos = pi.tos,
			.frag = pi.family == 6 || pi.df ? 0x4000 : 0,
		};

		pkt_ip4x(want, &o);
	} else {
		csrc3 = pi.family == 6 ?
				(__u32)pi.src[12] << 24 |
					(__u32)pi.src[13] << 16 |
					(__u32)pi.src[14] << 8 | pi.src[15] :
				0;
		fl = ((__u32)(l4[0] << 8 | l4[1]) ^
		      (__u32)(l4[2] << 8 | l4[3]) ^ csrc3) &
		     0xfffff;
		struct pkt_ip6_opts o = {
			.src = SRC6,
			.dst = BES[be].addr,
			.tclass = pi.tos,
			.flow = fl,
		};

		pkt_ip6x(want, &o);
	}
	pkt_udp(want, sport, dport);
	pkt_payload(want, in->data + pi.l3_off, pi.l3_len);
	pkt_finish(want);
	if (b->family == XLB_AF_INET) {
		want->data[pkt_l3_off(want) + 20 + 6] = 0;
		want->data[pkt_l3_off(want) + 20 + 7] = 0;
	}
}

/* @in went to backend @be of VIP @vip in GUE to @dport; its frame is @r. */
static void want_gue(struct world *w, const struct pkt *in, const struct res *r,
		     int vip, int be, __u16 dport, int event)
{
	static struct pkt want;

	exp_fwd(w, vip, be, in->len, event);
	if (!want_action(w, r, XDP_TX))
		return;
	gue_frame(w, in, be, gue_sport_of(w, in), dport, &want);
	if (r->len != want.len || memcmp(r->out, want.data, want.len)) {
		pkt_diag("GUE frame for backend %d (%s) is wrong", be,
			 BES[be].addr);
		pkt_diag_hex("out", r->out, r->len);
		pkt_diag_hex("want", want.data, want.len);
		w->bad = 1;
	}
}

/* The UDP source port of a GUE frame (outer IP header without options). */
static __u16 gue_out_sport(const struct res *r)
{
	struct pkt_info po;

	if (pkt_parse(r->out, r->len, &po) || po.proto != 17)
		return 0;
	return (__u16)(r->out[po.l4_off] << 8 | r->out[po.l4_off + 1]);
}

/* Flow @t of VIP @vip (GUE to @dport): new, then established, the same
 * frame byte for byte both times. @payload: bytes of L4 payload. */
static void gue_flow(struct world *w, int vip, const struct tflow *t,
		     __u16 dport, size_t payload)
{
	static struct res r1, r2;
	static struct pkt p;
	int be = ring_choice(w, vip, t);

	eth(&p);
	ip(&p, t->src, t->dst);
	l4(&p, t, PKT_ACK);
	pkt_payload_fill(&p, payload);
	pkt_finish(&p);
	if (be < 0 || xrun(w, &p, &r1))
		return;
	want_gue(w, &p, &r1, vip, be, dport, XLB_C_CONN_MISS);
	if (w->bad || xrun(w, &p, &r2))
		return;
	want_gue(w, &p, &r2, vip, be, dport, XLB_C_CONN_HIT);
	CHECK(w, r1.len == r2.len && !memcmp(r1.out, r2.out, r1.len),
	      "established GUE frame differs from the first");
}

static void sc_gue_v4(struct world *w)
{
	gue_on(w, 0, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 0, &F4T, XLB_GUE_DEFAULT_PORT, 16);
}

static void sc_gue_v4_udp(struct world *w)
{
	gue_on(w, 1, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 1, &F4U, XLB_GUE_DEFAULT_PORT, 16);
}

/* IPv6 outer: the UDP checksum is computed (odd length: the last byte is
 * summed padded with a zero). */
static void sc_gue_v6(struct world *w)
{
	gue_on(w, 2, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 2, &F6T, XLB_GUE_DEFAULT_PORT, 17);
}

static void sc_gue_v6_udp(struct world *w)
{
	gue_on(w, 3, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 3, &F6U, XLB_GUE_DEFAULT_PORT, 16);
}

/* Inner IPv4 in outer IPv6, and the other way round. */
static void sc_gue_4in6(struct world *w)
{
	gue_on(w, 4, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 4, &F4in6, XLB_GUE_DEFAULT_PORT, 16);
}

static void sc_gue_6in4(struct world *w)
{
	gue_on(w, 5, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 5, &F6in4, XLB_GUE_DEFAULT_PORT, 16);
}

/* A large IPv6 packet: the checksum runs over two 512-byte blocks, words
 * and three last bytes (1400 + 40 + 20 + 3 bytes of inner packet). */
static void sc_gue_v6_large(struct world *w)
{
	gue_on(w, 2, XLB_GUE_DEFAULT_PORT);
	gue_flow(w, 2, &F6T, XLB_GUE_DEFAULT_PORT, 1403);
}

/*
 * The UDP checksum over IPv6 whatever the frame held where the UDP header
 * goes. The frame grows by 48 bytes, so the new UDP header lands on the
 * last 8 bytes of the old L2 header: the source MAC or a VLAN tag under
 * its length, the old EtherType under its check. The sum reads the UDP
 * header back as words (bpf/gue.h gue_check6()); were those loads moved
 * before the stores (pmtu.h saw clang do it), the stale bytes would enter
 * the sum. Here they vary (zeros, ones, tags with TCI 0 and 4095, two
 * tags), and every frame must be the one built by the test and verify as
 * a receiver verifies it (pkt_check_frame(): pseudo header, UDP header,
 * inner packet sum to 0xffff; a zero check is no checksum over IPv6).
 */
static void sc_gue_v6_stale(struct world *w)
{
	static const __u8 zeros[6] = { 0 };
	static const __u8 ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const struct {
		const __u8 *smac;
		int ntags;
		__u16 tci[2];
	} l2[] = {
		{ zeros, 0, { 0 } },	    { ones, 0, { 0 } },
		{ zeros, 1, { 0 } },	    { ones, 1, { 0x0fff } },
		{ ones, 2, { 0, 0x0fff } }, { zeros, 2, { 0x0fff, 0 } },
	};
	const struct tflow *fl[] = { &F6T, &F4in6 };
	static struct pkt p;
	static struct res r;
	struct pkt_info po;
	size_t i, f;
	int t, be;

	gue_on(w, 2, XLB_GUE_DEFAULT_PORT);
	gue_on(w, 4, XLB_GUE_DEFAULT_PORT);
	for (f = 0; f < 2 && !w->bad; f++) {
		be = ring_choice(w, f ? 4 : 2, fl[f]);
		for (i = 0; i < sizeof(l2) / sizeof(l2[0]) && !w->bad; i++) {
			pkt_init(&p);
			pkt_eth(&p, MAC_LB, l2[i].smac);
			for (t = 0; t < l2[i].ntags; t++)
				pkt_vlan(&p, 0x8100, l2[i].tci[t]);
			ip(&p, fl[f]->src, fl[f]->dst);
			l4(&p, fl[f], PKT_ACK);
			pkt_payload_fill(&p, 16 + i);
			pkt_finish(&p);
			if (be < 0 || xrun(w, &p, &r))
				return;
			want_gue(w, &p, &r, f ? 4 : 2, be, XLB_GUE_DEFAULT_PORT,
				 i ? XLB_C_CONN_HIT : XLB_C_CONN_MISS);
			CHECK(w,
			      !pkt_check_frame(r.out, r.len) &&
				      !pkt_parse(r.out, r.len, &po) &&
				      po.proto == 17 &&
				      (r.out[po.l4_off + 6] ||
				       r.out[po.l4_off + 7]),
			      "flow %zu, L2 %zu: a receiver refuses the UDP "
			      "checksum",
			      f, i);
		}
	}
}

/*
 * GUE over IPv6 to port 65535, many flows. The checksum adds the UDP
 * header's words as loaded (little-endian here: the port's low byte is the
 * top byte), so with port 65535 and a high source port they and the inner
 * sum overflow 32 bits; the sum must keep that carry (it lost it, and one
 * flow in a few got a checksum off by 0x100).
 */
static void sc_gue_v6_carry(struct world *w)
{
	struct tflow t = F6T;
	int i;

	gue_on(w, 2, 65535);
	for (i = 0; i < 48 && !w->bad; i++) {
		t.sport = (__u16)(1024 + i * 1361);
		gue_flow(w, 2, &t, 65535, (size_t)(i % 7) * 50);
	}
}

/* The VIP's own port (gue_port), not the default. */
static void sc_gue_port(struct world *w)
{
	gue_on(w, 0, 7777);
	gue_flow(w, 0, &F4T, 7777, 16);
}

/* Behind a VLAN tag: the tag stays, the UDP header follows the outer IP. */
static void sc_gue_vlan(struct world *w)
{
	static struct pkt p;
	static struct res r;
	int be;

	gue_on(w, 0, XLB_GUE_DEFAULT_PORT);
	be = ring_choice(w, 0, &F4T);
	eth(&p);
	pkt_vlan(&p, 0x8100, 100);
	pkt_ip4(&p, F4T.src, F4T.dst);
	pkt_tcp(&p, F4T.sport, F4T.dport, PKT_SYN);
	pkt_payload_fill(&p, 16);
	pkt_finish(&p);
	if (!xrun(w, &p, &r))
		want_gue(w, &p, &r, 0, be, XLB_GUE_DEFAULT_PORT,
			 XLB_C_CONN_MISS);
}

/*
 * The source port is the flow's: two packets of one flow have the same,
 * flows differing only in the client port get different ones (of 32
 * flows, more than 16 distinct ports), all in 49152..65535.
 */
static void sc_gue_sport(struct world *w)
{
	static struct pkt p;
	static struct res r;
	struct tflow t = F4T;
	__u16 seen[32], first, s;
	int i, j, distinct = 0;

	gue_on(w, 0, XLB_GUE_DEFAULT_PORT);
	for (i = 0; i < 32; i++) {
		t.sport = (__u16)(50000 + i);
		flow_pkt(&p, &t, PKT_SYN);
		if (xrun(w, &p, &r))
			return;
		want_gue(w, &p, &r, 0, ring_choice(w, 0, &t),
			 XLB_GUE_DEFAULT_PORT, XLB_C_CONN_MISS);
		s = gue_out_sport(&r);
		CHECK(w, s >= 49152, "flow %d: source port %u not ephemeral", i,
		      s);
		for (j = 0; j < i && seen[j] != s; j++)
			;
		distinct += j == i;
		seen[i] = s;
	}
	CHECK(w, distinct > 16, "32 flows, %d distinct source ports", distinct);
	t.sport = 50000;
	flow_pkt(&p, &t, PKT_ACK);
	if (xrun(w, &p, &r))
		return;
	want_gue(w, &p, &r, 0, ring_choice(w, 0, &t), XLB_GUE_DEFAULT_PORT,
		 XLB_C_CONN_HIT);
	first = gue_out_sport(&r);
	CHECK(w, first == seen[0], "one flow, source ports %u then %u", seen[0],
	      first);
}

/* Path MTU with GUE: 28 bytes over IPv4 (1600 -> 1572), 48 over IPv6. A
 * packet that fits with IPIP (1575 + 20 = 1595) but not GUE (1603) is
 * answered. */
static void sc_pmtu_gue(struct world *w)
{
	static struct pkt p;
	static struct res r;

	gue_on(w, 0, XLB_GUE_DEFAULT_PORT);
	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F4T, 1575, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1572);
}

static void sc_pmtu_gue_v6(struct world *w)
{
	static struct pkt p;
	static struct res r;

	gue_on(w, 2, XLB_GUE_DEFAULT_PORT);
	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F6T, 1555, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1552);
}

/* IPv4 VIP, IPv6 backends: 48 bytes (1500 -> 1452). */
static void sc_pmtu_gue_4in6(struct world *w)
{
	static struct pkt p;
	static struct res r;

	gue_on(w, 4, XLB_GUE_DEFAULT_PORT);
	mtu_set(w, (__u32)w->lo_ifindex, 1500);
	big_pkt(&p, &F4in6, 1460, true);
	if (!xrun(w, &p, &r))
		want_too_big(w, &p, &r, 1452);
}

/* The largest packet that fits is sent: 1572 + 28 = 1600. */
static void sc_pmtu_gue_fits(struct world *w)
{
	static struct pkt p;
	static struct res r;

	gue_on(w, 0, XLB_GUE_DEFAULT_PORT);
	mtu_set(w, (__u32)w->lo_ifindex, 1600);
	big_pkt(&p, &F4T, 1572, true);
	if (!xrun(w, &p, &r))
		want_gue(w, &p, &r, 0, ring_choice(w, 0, &F4T),
			 XLB_GUE_DEFAULT_PORT, XLB_C_CONN_MISS);
}

struct tcase {
	const char *desc;
	void (*setup)(struct world *w);
	void (*build)(struct pkt *p);
	__u32 action;
	enum out_kind out;
	int vip;
	int be;
	int counter;
	__u8 ttl; /* lb.outer_ttl to load the program with (0: 64) */
	void (*run)(struct world *w);
};

#define FWD(d, b, v, a)                                                     \
	{                                                                   \
		.desc = d, .build = b, .action = a, .out = O_FWD, .vip = v, \
		.be = -1, .counter = XLB_C_CONN_MISS                        \
	}
#define SAME(d, b)                                                        \
	{                                                                 \
		.desc = d, .build = b, .action = XDP_PASS, .out = O_SAME, \
		.vip = -1                                                 \
	}
#define DROP(d, b, v, c)                                                  \
	{                                                                 \
		.desc = d, .build = b, .action = XDP_DROP, .out = O_DROP, \
		.vip = v, .counter = c                                    \
	}
#define SAME_S(d, s, b)                                                \
	{                                                              \
		.desc = d, .setup = s, .build = b, .action = XDP_PASS, \
		.out = O_SAME, .vip = -1                               \
	}
#define SCEN(d, f)                  \
	{                           \
		.desc = d, .run = f \
	}

static const struct tcase cases[] = {
	/* balanced */
	FWD("IPv4 TCP SYN to a VIP: IPIP to the ring's backend", b_v4_tcp, 0,
	    XDP_TX),
	FWD("IPv4 UDP to a VIP: IPIP", b_v4_udp, 1, XDP_TX),
	FWD("IPv6 TCP SYN to a VIP: IP6IP6", b_v6_tcp, 2, XDP_TX),
	FWD("IPv6 UDP to a VIP: IP6IP6", b_v6_udp, 3, XDP_TX),
	FWD("IPv4 VIP with IPv6 backends: 4in6", b_4in6, 4, XDP_TX),
	FWD("IPv6 VIP with IPv4 backends: 6in4, outer DF", b_6in4, 5, XDP_TX),
	FWD("port-less VIP takes port 65535", b_portless_high, 4, XDP_TX),
	FWD("exact VIP port wins over the port-less entry", b_portless_exact, 8,
	    XDP_TX),
	FWD("IPv4 with options: inner packet kept whole", b_v4_options, 0,
	    XDP_TX),
	FWD("802.1Q tagged: tag kept", b_vlan, 0, XDP_TX),
	FWD("802.1ad+802.1Q (QinQ) IPv6 UDP: both tags kept", b_qinq_v6, 3,
	    XDP_TX),
	FWD("IPv4 DSCP/ECN copied, no DF stays no DF", b_v4_dscp_nodf, 0,
	    XDP_TX),
	FWD("IPv6 traffic class copied into 6in4", b_6in4_tclass, 5, XDP_TX),
	FWD("IPv6 with hop-by-hop and destination options", b_v6_ext, 2,
	    XDP_TX),
	FWD("IPv6 atomic fragment (RFC 6946) is balanced", b_v6_atomic_frag, 3,
	    XDP_TX),
	FWD("IPv6 with routing header and AH", b_v6_ah, 3, XDP_TX),
	FWD("802.1ad single tag, 6in4: tag kept", b_8021ad, 5, XDP_TX),
	FWD("Ethernet padding stays behind the packet", b_v4_padded, 1, XDP_TX),
	FWD("L2 mode: MACs rewritten, packet unchanged", b_l2, 6, XDP_TX),
	{ .desc = "backend on another port: XDP_REDIRECT with its MACs",
	  .setup = s_redirect,
	  .build = b_v4_udp,
	  .action = XDP_REDIRECT,
	  .out = O_FWD,
	  .vip = 1,
	  .be = -1,
	  .counter = XLB_C_CONN_MISS },
	{ .desc = "backend next hop on the ingress port: XDP_TX, its MACs",
	  .setup = s_own_nh_same_port,
	  .build = b_v4_udp,
	  .action = XDP_TX,
	  .out = O_FWD,
	  .vip = 1,
	  .be = -1,
	  .counter = XLB_C_CONN_MISS },
	/* not VIP traffic: passed byte for byte */
	SAME("ARP request for a VIP passes unchanged", b_arp),
	SAME("ND solicitation (multicast) passes unchanged", b_nd_ns),
	SAME("ND solicitation to a VIP address passes unchanged",
	     b_nd_ns_unicast_vip),
	SAME("ND advertisement to a VIP address passes unchanged", b_nd_na_vip),
	SAME("ICMP echo to the host passes unchanged", b_ping_host4),
	SAME("ICMPv6 echo to the host passes unchanged", b_ping_host6),
	SAME("BGP tcp/179 to the host passes unchanged", b_bgp_host4),
	SAME("BGP tcp/179 to the host over IPv6 passes unchanged", b_bgp_host6),
	SAME("LLDP (not IP) passes unchanged", b_lldp),
	SAME("ICMP unreachable to the host passes unchanged", b_unreach_host),
	SAME("ICMP echo reply to a VIP passes unchanged", b_echo_reply_vip),
	SAME("ICMP echo to a VIP with a bad IPv4 header checksum: the stack's",
	     b_ping_vip4_bad_csum),
	SAME("IPv4 fragment to the host passes unchanged", b_frag_host),
	SAME("ICMPv6 echo with extension headers goes to the stack",
	     b_icmp6_echo_ext),
	SAME("ICMP error quoting a non-VIP port passes unchanged",
	     b_unreach_vip_other_port),
	SAME("ICMP time exceeded to a VIP passes unchanged",
	     b_time_exceeded_vip),
	SAME("three VLAN tags (more than parsed) pass unchanged", b_three_tags),
	/* a VIP address on a port or protocol no VIP serves (issue 15) */
	DROP("tcp/179 to a VIP address (not a VIP port): dropped",
	     b_bgp_vip_addr, 0, XLB_C_DROP_UNSERVED),
	DROP("ssh to an IPv6 VIP address: dropped", b_ssh_vip6, 2,
	     XLB_C_DROP_UNSERVED),
	DROP("UDP to another port of a VIP address: dropped", b_udp_other_port,
	     0, XLB_C_DROP_UNSERVED),
	DROP("UDP to the port of a TCP VIP: dropped", b_udp_on_tcp_vip, 0,
	     XLB_C_DROP_UNSERVED),
	DROP("UDP to a TCP-only port-less VIP: dropped",
	     b_udp_portless_tcp_only, 4, XLB_C_DROP_UNSERVED),
	DROP("GRE to a VIP address: dropped", b_gre_vip, 0,
	     XLB_C_DROP_UNSERVED),
	DROP("ICMPv6 protocol in IPv4 to a VIP: dropped", b_icmp6_in_ip4_vip, 0,
	     XLB_C_DROP_UNSERVED),
	DROP("ICMP protocol in IPv6 to a VIP: dropped", b_icmp4_in_ip6_vip, 2,
	     XLB_C_DROP_UNSERVED),
	SAME_S("unserved: pass: tcp/179 to a VIP address passes unchanged",
	       s_unserved_pass, b_bgp_vip_addr),
	SAME_S("unserved: pass: ssh to an IPv6 VIP address passes unchanged",
	       s_unserved_pass, b_ssh_vip6),
	SAME_S("unserved: pass: UDP to another port passes unchanged",
	       s_unserved_pass, b_udp_other_port),
	SAME_S("unserved: pass: GRE to a VIP address passes unchanged",
	       s_unserved_pass, b_gre_vip),
	{ .desc = "unserved: pass: the VIP's own port is still balanced",
	  .setup = s_unserved_pass,
	  .build = b_v4_tcp,
	  .action = XDP_TX,
	  .out = O_FWD,
	  .vip = 0,
	  .be = -1,
	  .counter = XLB_C_CONN_MISS },
	{ .desc = "unserved: pass: ICMP echo to the VIP still answered",
	  .setup = s_unserved_pass,
	  .build = b_ping_vip4,
	  .action = XDP_TX,
	  .out = O_ECHO },
	/* impossible L4 length fields (issue 15) */
	DROP("TCP data offset 4 to a VIP: dropped", b_tcp_doff4, 0,
	     XLB_C_DROP_BAD_L4),
	DROP("IPv6 TCP data offset 0 to a VIP: dropped", b_tcp_doff0_v6, 2,
	     XLB_C_DROP_BAD_L4),
	DROP("TCP data offset beyond the packet: dropped", b_tcp_doff_long, 0,
	     XLB_C_DROP_BAD_L4),
	DROP("UDP length 0 to a VIP: dropped", b_udp_len0, 0,
	     XLB_C_DROP_BAD_L4),
	DROP("IPv6 UDP length 7 to a VIP: dropped", b_udp_len7_v6, 2,
	     XLB_C_DROP_BAD_L4),
	DROP("UDP length beyond the packet: dropped", b_udp_len_long, 0,
	     XLB_C_DROP_BAD_L4),
	SAME("TCP data offset 4 to the host passes unchanged",
	     b_tcp_doff4_host),
	SCEN("bad TCP/UDP length of an established flow: dropped",
	     sc_bad_l4_established),
	/* path MTU (issue 18) */
	SCEN("too big once encapsulated, IPv4 DF: ICMP frag-needed (1580)",
	     sc_pmtu_df),
	SCEN("too big behind a VLAN tag: frag-needed keeps the tag",
	     sc_pmtu_vlan),
	SCEN("too big once encapsulated, IPv6: ICMPv6 packet too big (1560)",
	     sc_pmtu_v6),
	SCEN("packet too big from a router MAC without zero bytes: checksum "
	     "right",
	     sc_pmtu_v6_mac),
	SCEN("frag-needed from a router MAC without zero bytes: checksum right",
	     sc_pmtu_df_mac),
	SCEN("too big, IPv4 VIP with IPv6 backends: frag-needed (MTU - 40)",
	     sc_pmtu_4in6),
	SCEN("too big, IPv4 without DF: dropped", sc_pmtu_nodf),
	SCEN("exactly fitting forwarded (new and established), one byte more "
	     "answered",
	     sc_pmtu_fits),
	SCEN("default MTU (slot 0) applies, an interface's own wins",
	     sc_pmtu_default),
	SCEN("default MTU kept at or below every port's own",
	     sc_pmtu_default_clamped),
	SCEN("too-big answers rate-limited per CPU", sc_pmtu_ratelimit),
	SCEN("a new-flow flood over lb.new_flow_rate does not evict a live "
	     "entry",
	     sc_flood_guard),
	SCEN("too-big ICMP error being forwarded: dropped, not answered",
	     sc_pmtu_icmp_error),
	/* GUE (bpf/gue.h): whole frames built by the test's packet builder */
	SCEN("GUE, IPv4 in IPv4, TCP: UDP to 6080, checksum 0, established "
	     "frame the same",
	     sc_gue_v4),
	SCEN("GUE, IPv4 in IPv4, UDP", sc_gue_v4_udp),
	SCEN("GUE, IPv6 in IPv6, TCP: UDP checksum computed", sc_gue_v6),
	SCEN("GUE, IPv6 in IPv6, UDP", sc_gue_v6_udp),
	SCEN("GUE, IPv4 in IPv6", sc_gue_4in6),
	SCEN("GUE, IPv6 in IPv4", sc_gue_6in4),
	SCEN("GUE, IPv6, 1463-byte inner packet: checksum over blocks, words "
	     "and an odd tail",
	     sc_gue_v6_large),
	SCEN("GUE, IPv6: UDP checksum right and verified as a receiver does "
	     "whatever the frame held under the new UDP header (MACs of 0 "
	     "and 1 bits, VLAN TCI 0 and 4095, two tags)",
	     sc_gue_v6_stale),
	SCEN("GUE, IPv6 to port 65535, 48 flows: the checksum keeps the "
	     "carry out of 32 bits",
	     sc_gue_v6_carry),
	SCEN("GUE to the VIP's gue_port 7777", sc_gue_port),
	SCEN("GUE behind a VLAN tag keeps the tag", sc_gue_vlan),
	SCEN("GUE source port: from the flow hash, stable per flow, spread "
	     "over flows, ephemeral",
	     sc_gue_sport),
	SCEN("too big with GUE, IPv4: frag-needed carries MTU - 28 (fits "
	     "IPIP, not GUE)",
	     sc_pmtu_gue),
	SCEN("too big with GUE, IPv6: packet too big carries MTU - 48",
	     sc_pmtu_gue_v6),
	SCEN("too big with GUE, IPv4 VIP, IPv6 backends: MTU - 48",
	     sc_pmtu_gue_4in6),
	SCEN("GUE: a packet of exactly MTU - 28 is sent", sc_pmtu_gue_fits),
	/* fragments and malformed VIP traffic */
	DROP("IPv4 first fragment to a VIP dropped", b_frag4_first, 0,
	     XLB_C_DROP_FRAGMENT),
	DROP("IPv4 later fragment to a VIP dropped", b_frag4_later, 0,
	     XLB_C_DROP_FRAGMENT),
	DROP("IPv6 first fragment to a VIP dropped", b_frag6_first, 2,
	     XLB_C_DROP_FRAGMENT),
	DROP("IPv6 later fragment to a VIP dropped", b_frag6_later, 5,
	     XLB_C_DROP_FRAGMENT),
	DROP("IPv4 total length beyond the frame: dropped", b_v4_totlen_long, 0,
	     XLB_C_DROP_MALFORMED),
	DROP("IPv4 IHL < 5 to a VIP: dropped", b_v4_ihl_short, 0,
	     XLB_C_DROP_MALFORMED),
	DROP("TCP header in Ethernet padding: dropped", b_tcp_in_padding, 0,
	     XLB_C_DROP_MALFORMED),
	DROP("IPv6 payload length beyond the frame: dropped", b_v6_plen_long, 2,
	     XLB_C_DROP_MALFORMED),
	DROP("IPv6 with 7 extension headers: dropped", b_v6_many_ext, 2,
	     XLB_C_DROP_MALFORMED),
	DROP("ICMP header truncated to a VIP: dropped", b_icmp_short, 0,
	     XLB_C_DROP_MALFORMED),
	/* cannot serve */
	{ .desc = "no usable backend (all removed): dropped",
	  .setup = s_all_down,
	  .build = b_v4_tcp,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 0,
	  .counter = XLB_C_DROP_NO_BACKEND },
	{ .desc = "empty ring (ring_size 0): dropped",
	  .setup = s_ring_empty,
	  .build = b_v4_tcp,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 0,
	  .counter = XLB_C_DROP_NO_BACKEND },
	{ .desc = "ring names removed backends: dropped",
	  .setup = s_ring_stale,
	  .build = b_v4_tcp,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 0,
	  .counter = XLB_C_DROP_NO_BACKEND },
	{ .desc = "ring names another VIP's backends: dropped",
	  .setup = s_ring_foreign,
	  .build = b_v4_tcp,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 0,
	  .counter = XLB_C_DROP_NO_BACKEND },
	{ .desc = "no next hop: dropped",
	  .setup = s_no_nexthop,
	  .build = b_v4_tcp,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 0,
	  .counter = XLB_C_DROP_NO_NEXTHOP },
	{ .desc = "no IPv4 source address: dropped",
	  .setup = s_no_src4,
	  .build = b_6in4,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 5,
	  .counter = XLB_C_DROP_NO_SOURCE },
	{ .desc = "no IPv6 source address: dropped",
	  .setup = s_no_src6,
	  .build = b_4in6,
	  .action = XDP_DROP,
	  .out = O_DROP,
	  .vip = 4,
	  .counter = XLB_C_DROP_NO_SOURCE },
	{ .desc = "L2 mode works without a default next hop",
	  .setup = s_no_nexthop,
	  .build = b_l2,
	  .action = XDP_TX,
	  .out = O_FWD,
	  .vip = 6,
	  .be = 14,
	  .counter = XLB_C_CONN_MISS },
	/* ICMP */
	{ .desc = "ICMP echo to a VIP answered",
	  .build = b_ping_vip4,
	  .action = XDP_TX,
	  .out = O_ECHO },
	{ .desc = "ICMPv6 echo to a VIP answered",
	  .build = b_ping_vip6,
	  .action = XDP_TX,
	  .out = O_ECHO },
	{ .desc = "ICMP echo with IP options over VLAN answered",
	  .build = b_ping_vip4_opts_vlan,
	  .action = XDP_TX,
	  .out = O_ECHO },
	/* lb.outer_ttl: a constant in .rodata, set before load */
	{ .desc = "lb.outer_ttl 63: IPIP outer TTL 63",
	  .build = b_v4_tcp,
	  .action = XDP_TX,
	  .out = O_FWD,
	  .vip = 0,
	  .be = -1,
	  .counter = XLB_C_CONN_MISS,
	  .ttl = 63 },
	{ .desc = "lb.outer_ttl 63: 4in6 outer hop limit 63",
	  .build = b_4in6,
	  .action = XDP_TX,
	  .out = O_FWD,
	  .vip = 4,
	  .be = -1,
	  .counter = XLB_C_CONN_MISS,
	  .ttl = 63 },
	{ .desc = "lb.outer_ttl 1: ICMP echo reply TTL 1",
	  .build = b_ping_vip4,
	  .action = XDP_TX,
	  .out = O_ECHO,
	  .ttl = 1 },
	{ .desc = "lb.outer_ttl 255: ICMPv6 echo reply hop limit 255",
	  .build = b_ping_vip6,
	  .action = XDP_TX,
	  .out = O_ECHO,
	  .ttl = 255 },
	SCEN("a full connection set: the new flow evicts one (counted), a "
	     "flow of the same set is not mistaken for another",
	     sc_set_full),
	SCEN("ICMP frag-needed goes to the flow's backend", sc_frag_needed),
	SCEN("ICMPv6 packet-too-big goes to the flow's backend",
	     sc_pkt_too_big),
	SCEN("ICMP frag-needed quoting IP options goes to the flow's backend",
	     sc_frag_needed_opts),
	SCEN("ICMPv6 unreachable for an unknown flow: ring, no entry",
	     sc_unreach_new),
	/* selection */
	SCEN("new flow recorded, later packets hit the entry",
	     sc_new_flow_entry),
	SCEN("flow sticks after a ring change, new flow follows the ring",
	     sc_sticky),
	SCEN("second chance: a moved connection (ACK, no entry) within the "
	     "window takes the previous ring's backend, a SYN the new ring's",
	     sc_chance),
	SCEN("second chance off: a moved connection takes the new ring",
	     sc_chance_off),
	SCEN("second chance: after the window, the new ring",
	     sc_chance_expired),
	SCEN("second chance: two changes in the window, the previous ring is "
	     "the one last replaced",
	     sc_chance_twice),
	SCEN("second chance: never on a VIP without connection table",
	     sc_chance_no_conn),
	SCEN("second chance: previous backend removed, or a stale entry: the "
	     "new ring",
	     sc_chance_gone),
	SCEN("removed backend's flows are re-hashed", sc_removed),
	SCEN("same address in two VIPs: removal moves only one VIP's flows",
	     sc_membership),
	SCEN("draining backend keeps its flows, gets no new ones", sc_draining),
	SCEN("TCP RST forwarded without an entry", sc_rst),
	SCEN("generation mismatch re-hashes", sc_gen),
	SCEN("entry naming another VIP's backend is stale", sc_foreign_entry),
	SCEN("established flow outlives its VIP entry until its backends go",
	     sc_vip_gone),
	SCEN("VIP without connection table", sc_no_conn),
	SCEN("source-only hashing keeps a client on one backend", sc_src_only),
	SCEN("fragments: balance: first and later fragments and the client's "
	     "packets on one backend",
	     sc_frag_balance),
	SCEN("fragments: balance, IPv6: first and later fragment on one backend",
	     sc_frag_balance6),
	SCEN("fragments: balance: a TCP fragment to the UDP VIP's address "
	     "dropped",
	     sc_frag_other_proto),
	SCEN("fragments: balance: truncated IPv6 fragment header dropped",
	     sc_frag6_truncated),
	SCEN("fragments: balance: truncated IPv4 fragment dropped",
	     sc_frag4_truncated),
};

/*
 * The same packet again is an established flow: found in the connection
 * table and sent out byte for byte as the first (parsed by the fast shape,
 * bpf/parse.h, when its shape is the common one; walked otherwise).
 */
static void again_established(struct world *w, const struct pkt *p,
			      const struct res *first, int vip, int be)
{
	static struct res r;

	if (w->bad || xrun(w, p, &r))
		return;
	want_fwd(w, p, &r, vip, be, XLB_C_CONN_HIT);
	CHECK(w,
	      r.ret == first->ret && r.len == first->len &&
		      !memcmp(r.out, first->out, r.len),
	      "established: %s, %u bytes, not as the first packet (%s, %u)",
	      action_name(r.ret), r.len, action_name(first->ret), first->len);
}

static void run_case(const struct tcase *c)
{
	struct world w;
	struct pkt p;
	struct res r;
	int be = -1;

	if (world_open(&w, c->ttl)) {
		tap_result(false, "%s", c->desc);
		world_close(&w);
		return;
	}
	if (c->setup)
		c->setup(&w);
	if (c->run) {
		c->run(&w);
	} else {
		c->build(&p);
		if (!xrun(&w, &p, &r)) {
			switch (c->out) {
			case O_SAME:
				want_pass(&w, &p, &r);
				break;
			case O_DROP:
				want_drop(&w, &r, c->vip, c->counter);
				break;
			case O_ECHO:
				want_echo(&w, &p, &r);
				break;
			case O_FWD:
				be = c->be;
				if (be < 0) {
					struct pkt_info pi;
					char s[64], d[64];
					struct tflow t;

					pkt_parse(p.data, p.len, &pi);
					snprintf(s, sizeof(s), "%s",
						 pkt_addr_str(pi.family,
							      pi.src));
					snprintf(d, sizeof(d), "%s",
						 pkt_addr_str(pi.family,
							      pi.dst));
					t.src = s;
					t.dst = d;
					t.sport =
						(__u16)(p.data[pi.l4_off] << 8 |
							p.data[pi.l4_off + 1]);
					t.dport =
						(__u16)(p.data[pi.l4_off + 2]
								<< 8 |
							p.data[pi.l4_off + 3]);
					t.proto = pi.proto;
					be = ring_choice(&w, c->vip, &t);
				}
				if (be < 0 || be >= NB) {
					CHECK(&w, 0, "no ring choice");
					break;
				}
				want_fwd(&w, &p, &r, c->vip, be, c->counter);
				again_established(&w, &p, &r, c->vip, be);
				break;
			}
			/* the table's action must be what the case checked */
			if (c->out == O_FWD && be >= 0 && be < NB)
				CHECK(&w,
				      c->action == (be_redirects(&w, be) ?
							    XDP_REDIRECT :
							    XDP_TX),
				      "test bug: table action %s",
				      action_name(c->action));
			else if (c->out != O_FWD && r.ret != c->action)
				CHECK(&w, 0, "test bug: table action %s",
				      action_name(c->action));
		}
	}
	check_stats(&w);
	tap_result(!w.bad, "%s", c->desc);
	world_close(&w);
}

/* --- truncation -----------------------------------------------------------*/

/*
 * Cut a frame at every length, and also make the cut consistent (IP
 * lengths say the packet ends there) at every header boundary. Nothing may
 * be transmitted; what passes is unchanged.
 */
static void truncation(const char *name, void (*build)(struct pkt *p))
{
	struct world w;
	struct pkt full, p;
	struct res r;
	size_t cut, l3;
	int i, runs = 0;

	if (world_open(&w, 0)) {
		tap_result(false, "%s truncated at every length", name);
		world_close(&w);
		return;
	}
	build(&full);
	for (cut = 14; cut < full.len; cut++) {
		p = full;
		p.len = cut;
		if (xrun(&w, &p, &r))
			break;
		runs++;
		if (r.ret == XDP_PASS) {
			if (r.len != p.len || memcmp(r.out, p.data, p.len))
				CHECK(&w, 0, "cut at %zu: passed but changed",
				      cut);
		} else if (r.ret != XDP_DROP) {
			CHECK(&w, 0, "cut at %zu: %s", cut, action_name(r.ret));
		}
	}
	/* Consistent cuts: inside the IP packet, at each header start. */
	l3 = pkt_l3_off(&full);
	for (i = 0; i < full.n; i++) {
		size_t at = full.l[i].off;
		struct pkt_info pi;

		if (at <= l3)
			continue;
		p = full;
		p.len = at;
		if (pkt_parse(full.data, full.len, &pi))
			break;
		if (pi.family == 4) {
			p.data[l3 + 2] = (__u8)((at - l3) >> 8);
			p.data[l3 + 3] = (__u8)(at - l3);
		} else {
			p.data[l3 + 4] = (__u8)((at - l3 - 40) >> 8);
			p.data[l3 + 5] = (__u8)(at - l3 - 40);
		}
		pkt_fix_csums(p.data, p.len);
		if (xrun(&w, &p, &r))
			break;
		runs++;
		CHECK(&w, r.ret == XDP_PASS || r.ret == XDP_DROP,
		      "consistent cut at %zu (layer %d): %s", at, i,
		      action_name(r.ret));
		if (r.ret == XDP_PASS)
			CHECK(&w,
			      r.len == p.len && !memcmp(r.out, p.data, p.len),
			      "consistent cut at %zu: passed but changed", at);
	}
	/* Every run ended in PASS or a drop counter, nothing else. */
	{
		struct xlb_global_stats g;
		__u64 sum = 0;

		xlb_dp_stats_global(w.dp, &g);
		for (i = 0; i < XLB_C_MAX; i++)
			if (i == XLB_C_PASS || i == XLB_C_DROP_MALFORMED ||
			    i == XLB_C_DROP_FRAGMENT)
				sum += g.c[i];
		CHECK(&w,
		      g.c[XLB_C_TX] + g.c[XLB_C_REDIRECT] +
				      g.c[XLB_C_ICMP_ECHO] ==
			      0,
		      "something was transmitted");
		CHECK(&w, sum == (__u64)runs,
		      "%d runs but %llu pass/malformed/fragment outcomes", runs,
		      (unsigned long long)sum);
	}
	tap_result(!w.bad, "%s cut at every length (%d runs): never sent", name,
		   runs);
	world_close(&w);
}

static void b_icmp_err4(struct pkt *p)
{
	icmp_err_pkt(p, &F4T, 3, 4, 1400, 28);
}

static void b_icmp_err6(struct pkt *p)
{
	icmp_err_pkt(p, &F6T, 2, 0, 1280, 200);
}

static void b_4in6_vlan(struct pkt *p)
{
	eth(p);
	pkt_vlan(p, 0x8100, 5);
	pkt_ip4(p, CLIENT4, "192.0.2.20");
	pkt_tcp(p, 1, 2, PKT_SYN);
	pkt_finish(p);
}

/* --- userspace hash and ring vs the program -------------------------------*/

static __u64 rng_state = 0x9e3779b97f4a7c15ull;

static __u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Three VIPs (IPv4 TCP, IPv6 UDP, IPv4 UDP port-less with source-only
 * hashing), 100, 100 and 50 backends, rings of 65537 slots filled at
 * random. For every random flow the backend userspace predicts is the one
 * in the outer destination and in the connection entry.
 */
static void agreement(void)
{
	static const struct {
		const char *addr;
		__u16 port;
		__u8 proto;
		__u16 flags;
		int nbe;
		int fam;
		int flows;
	} av[3] = {
		{ "192.0.2.50", 443, IPPROTO_TCP, 0, 100, 4, 4000 },
		{ "2001:db8::50", 443, IPPROTO_UDP, 0, 100, 6, 4000 },
		{ "192.0.2.51", 0, IPPROTO_UDP, XLB_VIP_F_SRC_ONLY, 50, 4,
		  2000 },
	};
	struct xlb_dp_opts o = {
		.sizes = { .max_vips = 4,
			   .max_backends = 256,
			   .ring_max = XLB_DEFAULT_RING_SIZE,
			   .conn_max = 8192 },
	};
	struct xlb_config cfg = {
		.hash_seed = 0xfeedf00d,
		.flags = XLB_CFG_F_NH_VALID | XLB_CFG_F_SRC4_VALID |
			 XLB_CFG_F_SRC6_VALID,
	};
	static __u32 slots[XLB_DEFAULT_RING_SIZE];
	struct xlb_backend be = { .gen = 3, .state = XLB_BE_UP };
	struct world w = { 0 };
	int v, i, n = 0, mism = 0, first = 0, err;

	err = xlb_dp_open(&o, &w.dp);
	if (err) {
		pkt_diag("xlb_dp_open: %s", strerror(-err));
		tap_result(false, "userspace hash and ring agree");
		return;
	}
	w.prog = xlb_dp_prog_fd(w.dp);
	memcpy(cfg.nh_mac, MAC_NH, 6);
	cfg.src4 = xaddr(SRC4).a[0];
	memcpy(cfg.src6, xaddr(SRC6).a, 16);
	err = xlb_dp_config_set(w.dp, &cfg);
	for (v = 0; v < 3 && !err; v++) {
		struct xlb_addr a = xaddr(av[v].addr);
		struct xlb_vip vip = { .id = (__u32)v, .flags = av[v].flags };

		for (i = 0; i < av[v].nbe && !err; i++) {
			__u32 id = (__u32)(first + i);

			memset(be.addr, 0, 16);
			if (av[v].fam == 4) {
				be.family = XLB_AF_INET;
				be.addr[0] = htonl(0x0a010000u | id);
			} else {
				be.family = XLB_AF_INET6;
				be.addr[0] = htonl(0xfd000001u);
				be.addr[3] = htonl(id);
			}
			be.vip_id = (__u32)v;
			err = xlb_dp_backend_set(w.dp, id, &be);
		}
		for (i = 0; i < XLB_DEFAULT_RING_SIZE; i++)
			slots[i] = (__u32)(first + (int)(rnd() % av[v].nbe));
		err = err   ?:
			      xlb_dp_vip_set(w.dp, &a, av[v].port, av[v].proto,
					     &vip);
		err = err   ?:
			      xlb_dp_ring_publish(w.dp, &a, av[v].port,
						  av[v].proto, &vip, slots,
						  XLB_DEFAULT_RING_SIZE);
		first += av[v].nbe;
	}
	CHECK(&w, !err, "setup: %s", strerror(-err));

	for (v = 0; v < 3 && !w.bad; v++) {
		struct xlb_addr va = xaddr(av[v].addr);
		struct xlb_vip vip;

		xlb_dp_vip_get(w.dp, &va, av[v].port, av[v].proto, &vip);
		xlb_dp_ring_read(w.dp, vip.id, vip.active, slots,
				 vip.ring_size);
		for (i = 0; i < av[v].flows; i++) {
			struct xlb_flow f = { .dst = va, .proto = av[v].proto };
			struct xlb_backend want;
			struct xlb_conn c;
			struct pkt_info pi = { 0 };
			struct pkt p;
			struct res r;
			__u32 id;
			__u64 x = rnd();
			char src[64], dst[64];

			f.src.family = va.family;
			if (va.family == XLB_AF_INET) {
				f.src.a[0] = (__be32)x;
			} else {
				f.src.a[0] = htonl(0x20010db8u);
				f.src.a[1] = (__be32)(x >> 32);
				f.src.a[2] = (__be32)rnd();
				f.src.a[3] = (__be32)x;
			}
			f.sport = (__u16)(rnd() | 1024);
			f.dport = av[v].port ? av[v].port : (__u16)(rnd() | 1);
			id = slots[xlb_hash_slot(
				xlb_flow_hash(cfg.hash_seed, &f, av[v].flags),
				vip.ring_size)];
			xlb_dp_backend_get(w.dp, id, &want);

			xlb_addr_str(&f.src, src);
			xlb_addr_str(&f.dst, dst);
			eth(&p);
			ip(&p, src, dst);
			if (f.proto == IPPROTO_TCP)
				pkt_tcp(&p, f.sport, f.dport, PKT_SYN);
			else
				pkt_udp(&p, f.sport, f.dport);
			pkt_finish(&p);
			if (xrun(&w, &p, &r))
				break;
			n++;
			if (r.ret != XDP_TX || pkt_parse(r.out, r.len, &pi) ||
			    memcmp(pi.dst, want.addr,
				   pi.family == 4 ? 4 : 16) ||
			    xlb_dp_conn_get(w.dp, &f, &c) || c.backend != id) {
				if (mism++ < 5)
					pkt_diag("flow %s:%u -> %s:%u: "
						 "userspace says backend %u, "
						 "program %s to %s",
						 src, f.sport, dst, f.dport, id,
						 action_name(r.ret),
						 pkt_addr_str(pi.family,
							      pi.dst));
			}
		}
	}
	CHECK(&w, mism == 0, "%d of %d flows disagree", mism, n);
	CHECK(&w, n == 10000, "ran %d flows", n);
	tap_result(!w.bad,
		   "userspace xlb_flow_hash() and ring agree with the program "
		   "on %d random flows (IPv4, IPv6, source-only)",
		   n);
	world_close(&w);
}

int main(void)
{
	size_t i;

	xlb_log_init("test_xlb", XLB_LOG_WARN);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);

	truncation("IPv4 TCP to a VIP", b_v4_tcp);
	truncation("IPv4 with options to a VIP", b_v4_options);
	truncation("802.1Q IPv4 UDP to a VIP", b_vlan);
	truncation("QinQ IPv6 UDP to a VIP", b_qinq_v6);
	truncation("IPv6 with extension headers to a VIP", b_v6_ext);
	truncation("802.1Q IPv4 to a port-less 4in6 VIP", b_4in6_vlan);
	truncation("ICMP echo to a VIP", b_ping_vip4);
	truncation("ICMPv6 echo to a VIP", b_ping_vip6);
	truncation("ICMP frag-needed to a VIP", b_icmp_err4);
	truncation("ICMPv6 packet-too-big to a VIP", b_icmp_err6);

	agreement();
	return tap_done();
}
