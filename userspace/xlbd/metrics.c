// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: Prometheus metrics
 *
 * libmicrohttpd serves GET /metrics from its own thread. The text is built
 * on xlbd's loop once a second (metrics_refresh()) and swapped under a
 * mutex, so the HTTP thread never touches xlbd's tables and a slow scraper
 * never touches the loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>

#include "dp_conns.h"
#include "health.h"
#include "log.h"
#include "xlbd.h"

#ifndef XLB_VERSION
#define XLB_VERSION "0.1.0"
#endif

/* the connection tables are counted every METRICS_CONN_EVERY refreshes */
#define METRICS_CONN_EVERY 10
#define METRICS_CONN_S	   "10"

struct metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *text;
	size_t len;
	__u64 start_s; /* wall clock when xlbd started */
	__u64 conn4, conn6; /* last count of the connection tables */
	unsigned int conn_due; /* refreshes until the next count */
};

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *n;
	int r;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		r = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (r < 0) {
			b->err = 1;
			return;
		}
		need = b->len + (size_t)r + 1;
		if (b->p && need <= b->cap) {
			b->len += (size_t)r;
			return;
		}
		n = realloc(b->p, need * 2);
		if (!n) {
			b->err = 1;
			return;
		}
		b->p = n;
		b->cap = need * 2;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *copy;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)ctx;
	if (strcmp(method, "GET") || strcmp(url, "/metrics")) {
		resp = MHD_create_response_from_buffer(
			10, (void *)"not found\n", MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	pthread_mutex_lock(&m->lock);
	len = m->len;
	copy = malloc(len + 1);
	if (copy && m->text)
		memcpy(copy, m->text, len);
	pthread_mutex_unlock(&m->lock);
	if (!copy)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, copy,
					       MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type",
				"text/plain; version=0.0.4");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int metrics_start(struct xlbd *d, char *err, size_t errlen)
{
	const char *l = d->cfg->metrics_listen;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr *sa;
	char host[64], *colon;
	struct metrics *m;
	unsigned long port;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (!l[0])
		return 0;
	snprintf(host, sizeof(host), "%s", l);
	colon = strrchr(host, ':');
	if (!colon) {
		snprintf(err, errlen, "metrics: listen '%s' is not ADDR:PORT",
			 l);
		return -EINVAL;
	}
	*colon = '\0';
	port = strtoul(colon + 1, NULL, 10);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_port = htons((__u16)port);
		sa = (struct sockaddr *)&s4;
	} else if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		s6.sin6_port = htons((__u16)port);
		sa = (struct sockaddr *)&s6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "metrics: '%s' is not an address", host);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->mhd = MHD_start_daemon(
		flags, (__u16)port, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT, 16u,
		MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen, "metrics: cannot listen on %s", l);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -EADDRINUSE;
	}
	m->start_s = (__u64)time(NULL) - (xlbd_now_ms() - d->start_ms) / 1000;
	d->metrics = m;
	metrics_refresh(d);
	pr_info("metrics: http://%s/metrics", l);
	return 0;
}

/* -- the text ------------------------------------------------------------ */

/* Every family has HELP and TYPE; samples of a family are written together
 * (the text format requires it), so the writers loop over families first
 * and over VIPs and backends inside. docs/metrics.md lists them all. */
/* a ready line, for writers outside this file */
static void sb_put(void *arg, const char *line)
{
	sb_printf(arg, "%s", line);
}

static void fam(struct sbuf *b, const char *name, const char *type,
		const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* a label value: backslash, double quote and newline escaped */
static const char *esc(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return out;
}

/*
 * The global counters of XLB_COUNTER_NAMES, as families. Outcomes, drops
 * by reason and connection-table events are different things: each is a
 * family of its own, so no sum of a family counts a packet twice.
 */
enum gfam {
	G_PACKETS,
	G_DROPS,
	G_ICMP,
	G_HIT,
	G_MISS,
	G_STALE,
	G_NOREC,
	G_EVICT,
	G_TOO_BIG,
	G_FRAG,
	G_MAX
};

static const struct {
	const char *name, *help, *label;
} gfams[G_MAX] = {
	[G_PACKETS] = { "xlb_packets_total",
			"Packets the XDP program finished, by outcome: pass "
			"(not VIP traffic, to the stack), tx or redirect "
			"(encapsulated to a backend). Drops are in "
			"xlb_drops_total.",
			"outcome" },
	[G_DROPS] = { "xlb_drops_total",
		      "VIP packets the XDP program dropped, by reason.",
		      "reason" },
	[G_ICMP] = { "xlb_icmp_echo_replies_total",
		     "ICMP echo requests to a VIP answered by the XDP program.",
		     NULL },
	[G_HIT] = { "xlb_conn_table_hits_total",
		    "Packets whose flow was found in the connection table.",
		    NULL },
	[G_MISS] = { "xlb_conn_table_misses_total",
		     "New flows: backend picked from the Maglev ring.", NULL },
	[G_STALE] = { "xlb_conn_table_stale_total",
		      "Connection-table entries ignored because their "
		      "backend is unusable or was reused.",
		      NULL },
	[G_NOREC] = { "xlb_conn_table_not_recorded_total",
		      "New flows not recorded in the connection table: "
		      "noinsert (TCP RST, VIP without a table), insert_fail "
		      "(no set for the flow), insert_skipped (over "
		      "lb.new_flow_rate: the SYN-flood guard).",
		      "reason" },
	[G_TOO_BIG] = { "xlb_icmp_too_big_sent_total",
			"Packets too big once encapsulated, answered by the "
			"XDP program: frag_needed (IPv4 with DF, ICMP "
			"fragmentation needed), ptb (IPv6, ICMPv6 packet too "
			"big).",
			"type" },
	[G_FRAG] = { "xlb_fragments_balanced_total",
		     "Fragments sent to a VIP with fragments: balance "
		     "(also counted by their outcome).",
		     NULL },
	[G_EVICT] = { "xlb_conn_table_evictions_total",
		      "Entries evicted because their set was full (a new "
		      "flow took the oldest entry's place).",
		      NULL },
};

/* family of counter @c and its label value */
static enum gfam gfam_of(unsigned int c, const char **label)
{
	const char *n = xlb_counter_name(c);

	*label = n;
	switch (c) {
	case XLB_C_PASS:
	case XLB_C_TX:
	case XLB_C_REDIRECT:
		return G_PACKETS;
	case XLB_C_ICMP_ECHO:
		return G_ICMP;
	case XLB_C_CONN_HIT:
		return G_HIT;
	case XLB_C_CONN_MISS:
		return G_MISS;
	case XLB_C_CONN_STALE:
		return G_STALE;
	case XLB_C_ICMP_FRAG_NEEDED:
	case XLB_C_ICMP_PTB:
		*label = c == XLB_C_ICMP_PTB ? "ptb" : "frag_needed";
		return G_TOO_BIG;
	case XLB_C_CONN_NOINSERT:
	case XLB_C_CONN_INSERT_FAIL:
	case XLB_C_CONN_INSERT_SKIPPED:
		*label = n + strlen("conn_");
		return G_NOREC;
	case XLB_C_CONN_EVICT:
		return G_EVICT;
	case XLB_C_FRAG_BALANCED:
		return G_FRAG;
	default:
		/* every other counter is a drop_* */
		*label = n + strlen("drop_");
		return G_DROPS;
	}
}

static void write_global(struct sbuf *b, const struct xlb_global_stats *g)
{
	const char *label;
	unsigned int f, c;

	for (f = 0; f < G_MAX; f++) {
		fam(b, gfams[f].name, "counter", gfams[f].help);
		for (c = 0; c < XLB_C_MAX; c++) {
			if (gfam_of(c, &label) != f)
				continue;
			if (gfams[f].label)
				sb_printf(b, "%s{%s=\"%s\"} %llu\n",
					  gfams[f].name, gfams[f].label, label,
					  (unsigned long long)g->c[c]);
			else
				sb_printf(b, "%s %llu\n", gfams[f].name,
					  (unsigned long long)g->c[c]);
		}
	}
}

struct vip_row {
	const struct vip_rt *v;
	struct xlb_vip_stats s;
	struct xlb_chance_stats cs; /* second chance, bpf/chance.h */
	int announced; /* -1: not announced through BGP */
	int decided;
	long long hold_ms; /* hold-down left, -1: none */
};

struct be_row {
	const struct vip_rt *v;
	const struct be_rt *be;
	char addr[XLB_ADDR_STRLEN];
	struct xlb_be_stats s;
	bool probed;
	struct xlb_hc_status st;
	struct hc_lat lat; /* when probed */
	__u32 slots; /* ring slots pointing at it, as the data path reads */
	bool has_conns; /* the connection-table walk gave its counts */
	__u64 active, inactive;
};

#define VL	     "{vip=\"%s\"}"
#define BL	     "{vip=\"%s\",backend=\"%s\"}"
#define U(x)	     ((unsigned long long)(x))
#define FOR_VIP(r)   for (r = vr; r < vr + nv; r++)
#define FOR_BE(r)    for (r = br; r < br + nb; r++)
#define FOR_PROBE(r) FOR_BE(r) if (r->probed)

static void write_vips(struct sbuf *b, struct vip_row *vr, size_t nv,
		       bool bgp_on)
{
	char name[2 * XLB_NAME_MAX];
	struct vip_row *r;

	fam(b, "xlb_vip_info", "gauge",
	    "Always 1; labels: the VIP's name and options (forwarding, "
	    "hash, conn_table, announce).");
	FOR_VIP(r)
	sb_printf(b,
		  "xlb_vip_info{vip=\"%s\",name=\"%s\",forwarding=\"%s\","
		  "hash=\"%s\",conn_table=\"%s\",announce=\"%s\"} 1\n",
		  r->v->name, esc(r->v->cfg.name, name, sizeof(name)),
		  xlb_fwd_str(r->v->cfg.fwd),
		  (r->v->cfg.flags & XLB_VIP_F_SRC_ONLY) ? "source" : "5tuple",
		  (r->v->cfg.flags & XLB_VIP_F_NO_CONN) ? "false" : "true",
		  r->v->cfg.announce ? "true" : "false");
	fam(b, "xlb_vip_ring_slots", "gauge",
	    "Slots of the VIP's Maglev ring.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_ring_slots" VL " %llu\n", r->v->name,
		  U(r->v->cfg.ring_size));
	fam(b, "xlb_vip_packets_total", "counter",
	    "Packets of the VIP forwarded to a backend.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_packets_total" VL " %llu\n", r->v->name,
		  U(r->s.packets));
	fam(b, "xlb_vip_bytes_total", "counter",
	    "Bytes of those packets as received (before encapsulation).");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_bytes_total" VL " %llu\n", r->v->name,
		  U(r->s.bytes));
	fam(b, "xlb_vip_new_flows_total", "counter",
	    "Flows of the VIP whose backend was picked from the ring.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_new_flows_total" VL " %llu\n", r->v->name,
		  U(r->s.new_flows));
	fam(b, "xlb_vip_drops_total", "counter",
	    "Packets of the VIP dropped, any reason (xlb_drops_total has "
	    "the reasons).");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_drops_total" VL " %llu\n", r->v->name,
		  U(r->s.drops));
	fam(b, "xlb_vip_second_chance_total", "counter",
	    "TCP packets without SYN and without a connection entry sent to "
	    "the previous ring's backend, within lb.second_chance of a ring "
	    "change.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_second_chance_total" VL " %llu\n", r->v->name,
		  U(r->cs.hits));
	fam(b, "xlb_vip_second_chance_moved_total", "counter",
	    "Those of them whose backend on the current ring is another one.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_second_chance_moved_total" VL " %llu\n",
		  r->v->name, U(r->cs.moved));
	fam(b, "xlb_vip_servable", "gauge",
	    "1 when the VIP can be served: data path attached, first checks "
	    "done, at least min_healthy backends up.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_servable" VL " %d\n", r->v->name, r->v->servable);
	fam(b, "xlb_vip_backends", "gauge", "Backends configured on the VIP.");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_backends" VL " %zu\n", r->v->name, r->v->n_bes);
	fam(b, "xlb_vip_healthy_backends", "gauge",
	    "Backends of the VIP that take new flows (data-path state up).");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_healthy_backends" VL " %zu\n", r->v->name,
		  core_healthy(r->v));
	fam(b, "xlb_vip_min_healthy_backends", "gauge",
	    "Healthy backends the VIP needs to be servable (min_healthy).");
	FOR_VIP(r)
	sb_printf(b, "xlb_vip_min_healthy_backends" VL " %llu\n", r->v->name,
		  U(r->v->cfg.min_healthy));
	if (!bgp_on)
		return;
	fam(b, "xlb_vip_announced", "gauge",
	    "1 when the VIP's address is in the list BIRD announces (VIPs "
	    "with announce: true only).");
	FOR_VIP(r)
	if (r->announced >= 0)
		sb_printf(b, "xlb_vip_announced" VL " %d\n", r->v->name,
			  r->announced);
	fam(b, "xlb_vip_announce_decided", "gauge",
	    "1 once the announcement of the VIP follows its servability "
	    "(data path attached, every backend checked once); 0 while it "
	    "keeps the state it had at start.");
	FOR_VIP(r)
	if (r->announced >= 0)
		sb_printf(b, "xlb_vip_announce_decided" VL " %d\n", r->v->name,
			  r->decided);
	fam(b, "xlb_vip_hold_down_remaining_seconds", "gauge",
	    "Time before a VIP withdrawn during this run may be announced "
	    "again (servable, waiting out bgp.hold_down_ms); absent "
	    "otherwise.");
	FOR_VIP(r)
	if (r->hold_ms >= 0)
		sb_printf(b, "xlb_vip_hold_down_remaining_seconds" VL " %.3f\n",
			  r->v->name, r->hold_ms / 1e3);
}

static void write_backends(struct sbuf *b, struct be_row *br, size_t nb)
{
	static const char *const admin[] = { "up", "drain", "down" };
	static const char *const dps[] = { "up", "draining", "removed" };
	struct be_row *r;
	unsigned int i;
	__u64 cum;

	fam(b, "xlb_backend_packets_total", "counter",
	    "Packets sent to the backend.");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_packets_total" BL " %llu\n", r->v->name,
		  r->addr, U(r->s.packets));
	fam(b, "xlb_backend_bytes_total", "counter",
	    "Bytes of those packets as received (before encapsulation).");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_bytes_total" BL " %llu\n", r->v->name,
		  r->addr, U(r->s.bytes));
	fam(b, "xlb_backend_new_flows_total", "counter",
	    "Flows the backend was picked for from the ring.");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_new_flows_total" BL " %llu\n", r->v->name,
		  r->addr, U(r->s.new_flows));
	fam(b, "xlb_backend_connections", "gauge",
	    "Entries of the connection tables that point at the backend, "
	    "approximate (a walk of the tables every few seconds): active = "
	    "seen in the last 60 s, inactive = older (ipvsadm's "
	    "ActiveConn/InActConn; xlbctl backend show ACTIVE/INACT).");
	FOR_BE(r)
	if (r->has_conns) {
		sb_printf(b,
			  "xlb_backend_connections{vip=\"%s\",backend=\"%s\","
			  "state=\"active\"} %llu\n",
			  r->v->name, r->addr, U(r->active));
		sb_printf(b,
			  "xlb_backend_connections{vip=\"%s\",backend=\"%s\","
			  "state=\"inactive\"} %llu\n",
			  r->v->name, r->addr, U(r->inactive));
	}
	fam(b, "xlb_backend_weight", "gauge", "Configured weight.");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_weight" BL " %llu\n", r->v->name, r->addr,
		  U(r->be->cfg.weight));
	fam(b, "xlb_backend_ring_slots", "gauge",
	    "Slots of the VIP's ring (the copy packets use) that point at "
	    "the backend: its share of new flows is this over "
	    "xlb_vip_ring_slots.");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_ring_slots" BL " %u\n", r->v->name, r->addr,
		  r->slots);
	fam(b, "xlb_backend_admin_state", "gauge",
	    "Operator's state (up, drain, down): 1 for the current one.");
	FOR_BE(r)
	for (i = 0; i < 3; i++)
		sb_printf(b,
			  "xlb_backend_admin_state{vip=\"%s\",backend=\"%s\","
			  "state=\"%s\"} %d\n",
			  r->v->name, r->addr, admin[i],
			  strcmp(xlb_admin_state_str(r->be->cfg.state),
				 admin[i]) == 0);
	fam(b, "xlb_backend_dp_state", "gauge",
	    "State in the data path (up: new flows; draining: its flows "
	    "only; removed: nothing): 1 for the current one.");
	FOR_BE(r)
	for (i = 0; i < 3; i++)
		sb_printf(b,
			  "xlb_backend_dp_state{vip=\"%s\",backend=\"%s\","
			  "state=\"%s\"} %d\n",
			  r->v->name, r->addr, dps[i],
			  strcmp(be_state_str(r->be->dp_state), dps[i]) == 0);
	fam(b, "xlb_backend_up", "gauge",
	    "1 when the backend takes new flows (data-path state up).");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_up" BL " %d\n", r->v->name, r->addr,
		  r->be->dp_state == XLB_BE_UP);
	fam(b, "xlb_backend_health_up", "gauge",
	    "1 when the health checks say up (or the backend has no check).");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_health_up" BL " %d\n", r->v->name, r->addr,
		  r->be->health_up);
	fam(b, "xlb_backend_health_pending", "gauge",
	    "1 until the backend's checks reach their first verdict.");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_health_pending" BL " %d\n", r->v->name,
		  r->addr, r->be->health_pending);
	fam(b, "xlb_backend_nexthop_resolved", "gauge",
	    "1 when the backend's next hop (route and neighbour MAC) is "
	    "resolved.");
	FOR_BE(r)
	sb_printf(b, "xlb_backend_nexthop_resolved" BL " %d\n", r->v->name,
		  r->addr, r->be->nh.state == XLB_NH_OK);
	fam(b, "xlb_backend_checks_total", "counter",
	    "Health check results of the backend, by result (ok, failed); "
	    "backends with a check only.");
	FOR_PROBE(r)
	sb_printf(b,
		  "xlb_backend_checks_total{vip=\"%s\",backend=\"%s\","
		  "result=\"ok\"} %llu\n"
		  "xlb_backend_checks_total{vip=\"%s\",backend=\"%s\","
		  "result=\"failed\"} %llu\n",
		  r->v->name, r->addr, U(r->st.n_ok), r->v->name, r->addr,
		  U(r->st.n_fail));
	fam(b, "xlb_backend_health_transitions_total", "counter",
	    "Health state changes (up to down or down to up).");
	FOR_PROBE(r)
	sb_printf(b, "xlb_backend_health_transitions_total" BL " %llu\n",
		  r->v->name, r->addr, U(r->st.n_transitions));
	fam(b, "xlb_backend_check_last_duration_seconds", "gauge",
	    "Latency of the backend's last health check (passed or failed).");
	FOR_PROBE(r)
	if (r->st.checked)
		sb_printf(b,
			  "xlb_backend_check_last_duration_seconds" BL
			  " %.6f\n",
			  r->v->name, r->addr, r->st.last_latency_us / 1e6);
	fam(b, "xlb_backend_check_duration_seconds", "histogram",
	    "Latency of every health check result of the backend (passed "
	    "or failed; a timeout counts its timeout).");
	FOR_PROBE(r)
	{
		cum = 0;
		for (i = 0; i <= HC_LAT_BUCKETS; i++) {
			cum += r->lat.bucket[i];
			if (i < HC_LAT_BUCKETS)
				sb_printf(b,
					  "xlb_backend_check_duration_seconds_"
					  "bucket{vip=\"%s\",backend=\"%s\","
					  "le=\"%g\"} %llu\n",
					  r->v->name, r->addr,
					  hc_lat_bounds_us[i] / 1e6, U(cum));
			else
				sb_printf(b,
					  "xlb_backend_check_duration_seconds_"
					  "bucket{vip=\"%s\",backend=\"%s\","
					  "le=\"+Inf\"} %llu\n",
					  r->v->name, r->addr, U(cum));
		}
		sb_printf(b,
			  "xlb_backend_check_duration_seconds_sum" BL " %.6f\n"
			  "xlb_backend_check_duration_seconds_count" BL
			  " %llu\n",
			  r->v->name, r->addr, r->lat.sum_us / 1e6, r->v->name,
			  r->addr, U(r->lat.count));
	}
}

/* BIRD's side, read from what `xlbctl bgp show` prints */
static void write_bgp(struct sbuf *b, json_t *bg)
{
	static const char *const drains[] = { "off", "graceful", "withdrawn" };
	const char *drain = json_string_value(json_object_get(bg, "drain"));
	json_t *ago = json_object_get(bg, "bird_last_ok_s_ago");
	bool on = json_is_true(json_object_get(bg, "enabled"));
	unsigned int i;

	fam(b, "xlb_bgp_enabled", "gauge",
	    "1 when xlbd announces VIPs through BIRD (bgp section).");
	sb_printf(b, "xlb_bgp_enabled %d\n", on);
	if (!on)
		return;
	fam(b, "xlb_bird_synced", "gauge",
	    "1 when BIRD has loaded and confirmed the current VIP list; 0 "
	    "while a request runs or BIRD cannot be reached.");
	sb_printf(b, "xlb_bird_synced %d\n",
		  json_is_true(json_object_get(bg, "bird_synced")));
	fam(b, "xlb_bird_failures", "gauge",
	    "Failed attempts to reach BIRD since it last took the list "
	    "(0 when it is reachable).");
	sb_printf(b, "xlb_bird_failures %lld\n",
		  (long long)json_integer_value(
			  json_object_get(bg, "bird_failures")));
	fam(b, "xlb_bird_last_success_timestamp_seconds", "gauge",
	    "When BIRD last took the VIP list (Unix time, 1 s resolution); "
	    "absent until it has once.");
	if (ago)
		sb_printf(b, "xlb_bird_last_success_timestamp_seconds %lld\n",
			  (long long)time(NULL) -
				  (long long)json_integer_value(ago));
	fam(b, "xlb_bgp_drain", "gauge",
	    "Drain state of the PoP (off, graceful, withdrawn): 1 for the "
	    "current one.");
	for (i = 0; i < 3; i++)
		sb_printf(b, "xlb_bgp_drain{state=\"%s\"} %d\n", drains[i],
			  drain && !strcmp(drain, drains[i]));
}

static void write_daemon(struct sbuf *b, struct xlbd *d, __u64 start_s)
{
	const struct xlb_dp_sizes *sz = xlb_dp_sizes(d->dp);
	__u64 cap = (__u64)xlb_conn_sets(sz->conn_max) * XLB_CONN_WAYS;
	struct metrics *m = d->metrics;
	struct xlb_hc_stats hs;
	size_t i, nbe = 0, nserv = 0;

	for (i = 0; i < d->n_vips; i++) {
		nbe += d->vips[i]->n_bes;
		nserv += d->vips[i]->servable;
	}
	fam(b, "xlb_build_info", "gauge", "Always 1; label: xlbd's version.");
	sb_printf(b, "xlb_build_info{version=\"%s\"} 1\n", XLB_VERSION);
	fam(b, "xlb_start_time_seconds", "gauge",
	    "When xlbd started (Unix time).");
	sb_printf(b, "xlb_start_time_seconds %llu\n", U(start_s));
	fam(b, "xlb_vips", "gauge", "VIPs configured.");
	sb_printf(b, "xlb_vips %zu\n", d->n_vips);
	fam(b, "xlb_vips_servable", "gauge", "VIPs that can be served.");
	sb_printf(b, "xlb_vips_servable %zu\n", nserv);
	fam(b, "xlb_backends", "gauge", "Backends configured (all VIPs).");
	sb_printf(b, "xlb_backends %zu\n", nbe);
	fam(b, "xlb_dp_attached", "gauge",
	    "1 when the XDP program is attached to every configured "
	    "interface.");
	sb_printf(b, "xlb_dp_attached %d\n", d->dp_attached);
	fam(b, "xlb_dp_adopted", "gauge",
	    "1 when xlbd re-adopted pinned maps at start (a restart), 0 when "
	    "it created them.");
	sb_printf(b, "xlb_dp_adopted %d\n", xlb_dp_adopted(d->dp));
	fam(b, "xlb_dp_table_limit", "gauge",
	    "Sizes the maps were created with (lb.tables): max_vips, "
	    "max_backends, ring_max (slots).");
	sb_printf(b,
		  "xlb_dp_table_limit{table=\"max_vips\"} %llu\n"
		  "xlb_dp_table_limit{table=\"max_backends\"} %llu\n"
		  "xlb_dp_table_limit{table=\"ring_max\"} %llu\n",
		  U(sz->max_vips), U(sz->max_backends), U(sz->ring_max));
	fam(b, "xlb_interface_attached", "gauge",
	    "1 when the XDP program is attached to the interface.");
	for (i = 0; i < d->n_ifaces; i++)
		sb_printf(b, "xlb_interface_attached{interface=\"%s\"} %d\n",
			  d->ifaces[i].cfg.name, d->ifaces[i].attached);
	fam(b, "xlb_conn_table_entries", "gauge",
	    "Entries in use in the connection table, by address family "
	    "(counted every " METRICS_CONN_S " s).");
	sb_printf(b,
		  "xlb_conn_table_entries{family=\"ipv4\"} %llu\n"
		  "xlb_conn_table_entries{family=\"ipv6\"} %llu\n",
		  U(m->conn4), U(m->conn6));
	fam(b, "xlb_conn_table_capacity", "gauge",
	    "Entries the connection table holds, by address family "
	    "(lb.tables.conn_max rounded up to whole sets).");
	sb_printf(b,
		  "xlb_conn_table_capacity{family=\"ipv4\"} %llu\n"
		  "xlb_conn_table_capacity{family=\"ipv6\"} %llu\n",
		  U(cap), U(cap));
	if (!hc_engine_stats(d, &hs))
		return;
	fam(b, "xlb_health_probes", "gauge",
	    "Backends with a health check (probes of the engine).");
	sb_printf(b, "xlb_health_probes %u\n", hs.probes);
	fam(b, "xlb_health_checks_inflight", "gauge", "Checks running now.");
	sb_printf(b, "xlb_health_checks_inflight %u\n", hs.inflight);
	fam(b, "xlb_health_checks_queued", "gauge",
	    "Checks waiting for a slot (max_inflight reached).");
	sb_printf(b, "xlb_health_checks_queued %u\n", hs.queued);
	fam(b, "xlb_health_checks_started_total", "counter",
	    "Checks started (all backends).");
	sb_printf(b, "xlb_health_checks_started_total %llu\n", U(hs.started));
}

/* the announcement state of each VIP, by name, from bgp_show() */
static void bgp_rows(json_t *bg, struct vip_row *vr, size_t nv)
{
	json_t *arr = json_object_get(bg, "vips"), *e;
	const char *name;
	size_t i, k;

	json_array_foreach (arr, i, e) {
		name = json_string_value(json_object_get(e, "vip"));
		for (k = 0; name && k < nv; k++) {
			if (strcmp(vr[k].v->name, name))
				continue;
			vr[k].announced =
				json_is_true(json_object_get(e, "announced"));
			vr[k].decided =
				json_is_true(json_object_get(e, "decided"));
			if (json_object_get(e, "hold_down_left_ms"))
				vr[k].hold_ms =
					json_integer_value(json_object_get(
						e, "hold_down_left_ms"));
		}
	}
}

/*
 * Ring slots per backend of @v, counted in the copy the data path
 * uses (as `xlbctl backend show` does), through an array indexed by
 * backend id: one pass over the ring.
 */
static void ring_slots(struct xlbd *d, const struct vip_rt *v,
		       struct be_row *br, __u32 *ring, __u32 *cnt)
{
	const struct xlb_dp_sizes *sz = xlb_dp_sizes(d->dp);
	__u32 n = v->dpv.ring_size, i;
	size_t j;

	if (!n || xlb_dp_ring_read(d->dp, v->id, v->dpv.active & 1, ring, n))
		return;
	for (i = 0; i < n; i++)
		if (ring[i] < sz->max_backends)
			cnt[ring[i]]++;
	for (j = 0; j < v->n_bes; j++)
		if (v->bes[j]->id < sz->max_backends)
			br[j].slots = cnt[v->bes[j]->id];
	for (i = 0; i < n; i++)
		if (ring[i] < sz->max_backends)
			cnt[ring[i]] = 0;
}

void metrics_refresh(struct xlbd *d)
{
	const struct xlb_dp_sizes *sz = xlb_dp_sizes(d->dp);
	__u32 *ring = NULL, *cnt = NULL;
	struct metrics *m = d->metrics;
	struct xlb_global_stats g = {};
	struct vip_row *vr = NULL;
	struct be_row *br = NULL;
	const struct xlb_conn_tally *ct;
	struct sbuf b = {};
	size_t i, j, nv = d->n_vips, nb = 0;
	json_t *bg = NULL;

	if (!m)
		return;
	/* the connection tables are walked, not read: not every second */
	if (m->conn_due-- == 0) {
		xlb_dp_conn_count(d->dp, &m->conn4, &m->conn6);
		m->conn_due = METRICS_CONN_EVERY - 1;
	}
	for (i = 0; i < nv; i++)
		nb += d->vips[i]->n_bes;
	vr = calloc(nv ?: 1, sizeof(*vr));
	br = calloc(nb ?: 1, sizeof(*br));
	bg = bgp_show(d);
	ring = malloc((size_t)sz->ring_max * sizeof(*ring));
	cnt = calloc(sz->max_backends, sizeof(*cnt));
	if (!vr || !br || !bg || !ring || !cnt)
		goto out;
	for (i = 0, nb = 0; i < nv; i++) {
		struct vip_rt *v = d->vips[i];

		vr[i].v = v;
		vr[i].announced = -1;
		vr[i].hold_ms = -1;
		xlb_dp_stats_vip(d->dp, v->id, &vr[i].s);
		xlb_dp_stats_chance(d->dp, v->id, &vr[i].cs);
		for (j = 0; j < v->n_bes; j++, nb++) {
			br[nb].v = v;
			br[nb].be = v->bes[j];
			xlb_addr_str(&v->bes[j]->cfg.addr, br[nb].addr);
			xlb_dp_stats_backend(d->dp, v->bes[j]->id, &br[nb].s);
			br[nb].probed = hc_probe_status(
				d, v->bes[j], &br[nb].st, &br[nb].lat);
			ct = conn_tally(d, v->bes[j]->id);
			br[nb].has_conns = ct != NULL;
			if (ct) {
				br[nb].active = ct->active;
				br[nb].inactive = ct->inactive;
			}
		}
		ring_slots(d, v, br + nb - v->n_bes, ring, cnt);
	}
	bgp_rows(bg, vr, nv);
	xlb_dp_stats_global(d->dp, &g);

	write_daemon(&b, d, m->start_s);
	write_global(&b, &g);
	quic_metrics(d, sb_put, &b); /* quic.c */
	write_vips(&b, vr, nv, json_is_true(json_object_get(bg, "enabled")));
	write_backends(&b, br, nb);
	write_bgp(&b, bg);
	if (b.err)
		goto out;
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = b.p;
	m->len = b.len;
	pthread_mutex_unlock(&m->lock);
	b.p = NULL;
out:
	if (b.err || !vr || !br || !bg || !ring || !cnt)
		pr_warn("metrics: out of memory; serving the previous text");
	free(cnt);
	free(ring);
	free(b.p);
	json_decref(bg);
	free(br);
	free(vr);
}

void metrics_stop(struct xlbd *d)
{
	struct metrics *m = d->metrics;

	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
	d->metrics = NULL;
}
