// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: API commands
 *
 * One handler per command, found in a table. Read-only commands answer
 * from the runtime tables and the maps. Commands that change something
 * edit a copy of the running configuration and hand it to core_change(),
 * which validates it, records it in the state file (lib/config/state.h) and
 * applies the difference; a failed change leaves both as they were. The
 * configuration file is never written. docs/api.md documents every
 * command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "api.h"
#include "dp_conns.h"
#include "dp_quic.h"
#include "log.h"
#include "config_priv.h"
#include "maglev.h"
#include "state.h"
#include "fields.h"
#include "xlbd.h"
#include "maps/xlb_hash.h"

#ifndef XLB_VERSION
#define XLB_VERSION "0.1.0"
#endif

typedef void (*cmd_fn)(struct xlbd *d, struct api_req *r, json_t *args);

struct command {
	const char *name;
	cmd_fn fn;
};

#define ERRBUF char err[XLB_API_ERRLEN] = ""

static json_t *port_json(__u16 port)
{
	return port ? json_integer(port) : json_string("any");
}

static json_t *addr_json(const struct xlb_addr *a)
{
	char s[XLB_ADDR_STRLEN];

	return json_string(xlb_addr_str(a, s));
}

static json_t *be_stats_json(struct xlbd *d, const struct be_rt *b)
{
	struct xlb_be_stats s = {};

	xlb_dp_stats_backend(d->dp, b->id, &s);
	return json_pack("{s:I,s:I,s:I}", "packets", (json_int_t)s.packets,
			 "bytes", (json_int_t)s.bytes, "new_flows",
			 (json_int_t)s.new_flows);
}

/*
 * ring_share() - slots of each backend of @v in the ring the data path uses
 * now, read back from the map (so it shows what packets see, not what
 * xlbd meant to write). @out has v->n_bes entries; all 0 if unreadable.
 */
static void ring_share(struct xlbd *d, const struct vip_rt *v, __u32 *out)
{
	__u32 n = v->dpv.ring_size, *ring, i;
	size_t j;

	memset(out, 0, v->n_bes * sizeof(*out));
	if (!n || !v->n_bes)
		return;
	ring = malloc((size_t)n * sizeof(*ring));
	if (!ring)
		return;
	if (!xlb_dp_ring_read(d->dp, v->id, v->dpv.active & 1, ring, n))
		for (i = 0; i < n; i++)
			for (j = 0; j < v->n_bes; j++)
				if (v->bes[j]->id == ring[i]) {
					out[j]++;
					break;
				}
	free(ring);
}

/*
 * Connections per backend id, from a walk of the connection tables
 * (dp_conns.h: approximate). The walk is O(table size), so its result is
 * kept CONN_TALLY_MS and shared by every request in that time.
 */
#define CONN_ACTIVE_S 60
#define CONN_TALLY_MS 2000

static struct {
	struct xlb_conn_tally *t;
	__u32 *gen;
	__u32 n;
	__u64 at_ms;
	bool ok;
} conn_cache;

const struct xlb_conn_tally *conn_tally(struct xlbd *d, __u32 id)
{
	__u32 n = xlb_dp_sizes(d->dp)->max_backends;
	__u64 now = xlbd_now_ms();
	size_t i, j;

	if (conn_cache.n != n) {
		free(conn_cache.t);
		free(conn_cache.gen);
		conn_cache.t = calloc(n ?: 1, sizeof(*conn_cache.t));
		conn_cache.gen = calloc(n ?: 1, sizeof(*conn_cache.gen));
		conn_cache.n = conn_cache.t && conn_cache.gen ? n : 0;
		conn_cache.ok = false;
		if (!conn_cache.n)
			return NULL;
	}
	if (!conn_cache.ok || now - conn_cache.at_ms >= CONN_TALLY_MS) {
		/* only entries of the current generation are this backend's */
		memset(conn_cache.gen, 0xff, n * sizeof(*conn_cache.gen));
		for (i = 0; i < d->n_vips; i++)
			for (j = 0; j < d->vips[i]->n_bes; j++) {
				const struct be_rt *b = d->vips[i]->bes[j];

				if (b->id < n)
					conn_cache.gen[b->id] = b->gen;
			}
		conn_cache.ok = !xlb_dp_conn_per_backend(
			d->dp, CONN_ACTIVE_S, conn_cache.gen, n, conn_cache.t);
		conn_cache.at_ms = now;
	}
	return conn_cache.ok && id < n ? &conn_cache.t[id] : NULL;
}

static json_t *be_json(struct xlbd *d, const struct be_rt *b, __u32 slots)
{
	const struct xlb_conn_tally *ct;
	char ms[19];
	json_t *o, *nh;

	nh = json_pack("{s:s}", "state", xlb_nh_state_str(b->nh.state));
	if (b->nh.ifname[0])
		json_object_set_new(nh, "interface", json_string(b->nh.ifname));
	if (b->nh.gw.family)
		json_object_set_new(nh, "via", addr_json(&b->nh.gw));
	if (b->nh.state == XLB_NH_OK)
		json_object_set_new(nh, "mac",
				    json_string(xlb_mac_str(b->nh.mac, ms)));
	o = xlb_obj_json(&xlb_obj_backend, &b->cfg); /* every option */
	json_object_set_new(o, "dp_state",
			    json_string(be_state_str(b->dp_state)));
	json_object_set_new(o, "id", json_integer((json_int_t)b->id));
	json_object_set_new(o, "gen", json_integer((json_int_t)b->gen));
	json_object_set_new(o, "health", hc_status(d, b));
	json_object_set_new(o, "nexthop", nh);
	json_object_set_new(o, "stats", be_stats_json(d, b));
	json_object_set_new(o, "slots", json_integer(slots));
	json_object_set_new(o, "usable", json_boolean(!core_be_out_reason(b)));
	if (core_be_out_reason(b))
		json_object_set_new(o, "out_reason",
				    json_string(core_be_out_reason(b)));
	ct = conn_tally(d, b->id);
	if (ct)
		json_object_set_new(o, "conns",
				    json_pack("{s:I,s:I,s:i}", "active",
					      (json_int_t)ct->active,
					      "inactive",
					      (json_int_t)ct->inactive,
					      "active_s", CONN_ACTIVE_S));
	return o;
}

static json_t *vip_json(struct xlbd *d, const struct vip_rt *v, bool full)
{
	__u32 *slots;
	json_t *o, *arr;
	size_t i;

	o = xlb_obj_json(&xlb_obj_vip, &v->cfg); /* every option */
	json_object_set_new(o, "id", json_integer((json_int_t)v->id));
	json_object_set_new(o, "servable", json_boolean(v->servable));
	json_object_set_new(o, "healthy",
			    json_integer((json_int_t)core_healthy(v)));
	json_object_set_new(o, "backends", json_integer((json_int_t)v->n_bes));
	if (!full)
		return o;
	arr = json_array();
	slots = calloc(v->n_bes ?: 1, sizeof(*slots));
	if (slots)
		ring_share(d, v, slots);
	for (i = 0; i < v->n_bes; i++)
		json_array_append_new(
			arr, be_json(d, v->bes[i], slots ? slots[i] : 0));
	free(slots);
	json_object_set_new(o, "backend_list", arr);
	return o;
}

/* The VIP named by args, in the runtime tables. */
static struct vip_rt *arg_vip(struct xlbd *d, json_t *args, char *err,
			      size_t errlen, int *r)
{
	struct xlb_addr a;
	struct vip_rt *v;
	char name[80];
	__u16 port;
	__u8 proto;

	*r = xlb_api_arg_vip(args, &a, &port, &proto, err, errlen);
	if (*r)
		return NULL;
	v = core_find_vip(d, &a, port, proto);
	if (!v) {
		snprintf(err, errlen, "vip %s: no such VIP",
			 xlb_vip_str(&a, port, proto, name, sizeof(name)));
		*r = -ENOENT;
	}
	return v;
}

static const char *const vip_key_args[] = { "address", "port", "protocol",
					    NULL };

/* --- read-only ------------------------------------------------------------ */

static void cmd_status(struct xlbd *d, struct api_req *r, json_t *args)
{
	const struct xlb_dp_sizes *sz = xlb_dp_sizes(d->dp);
	static const char *const keys[] = { "flows", NULL };
	json_t *o, *ifs, *dpj;
	size_t i, nbe = 0, nserv = 0;
	bool flows = false;
	__u64 n4, n6;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_bool(args, "flows", &flows, NULL, err,
				     sizeof(err));
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	ifs = json_array();
	for (i = 0; i < d->n_ifaces; i++) {
		const struct iface_rt *f = &d->ifaces[i];

		json_array_append_new(
			ifs, json_pack("{s:s,s:i,s:b,s:s,s:b}", "name",
				       f->cfg.name, "ifindex", f->ifindex,
				       "attached", f->attached, "mode",
				       f->cfg.generic ? "generic" : "native",
				       "dispatcher", f->dispatcher));
	}
	for (i = 0; i < d->n_vips; i++) {
		nbe += d->vips[i]->n_bes;
		nserv += d->vips[i]->servable;
	}
	dpj = json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:b}", "adopted",
			xlb_dp_adopted(d->dp), "pin_dir", d->opts.pin_dir,
			"max_vips", (json_int_t)sz->max_vips, "max_backends",
			(json_int_t)sz->max_backends, "ring_max",
			(json_int_t)sz->ring_max, "conn_max",
			(json_int_t)sz->conn_max, "attached", d->dp_attached);
	json_object_set_new(dpj, "healthy", json_boolean(d->dp_ok));
	json_object_set_new(dpj, "second_chance_s",
			    json_integer((json_int_t)d->cfg->second_chance));
	if (!d->dp_ok)
		json_object_set_new(dpj, "error", json_string(d->dp_err));
	if (flows && !xlb_dp_conn_count(d->dp, &n4, &n6)) {
		json_object_set_new(dpj, "flows_ipv4", json_integer(n4));
		json_object_set_new(dpj, "flows_ipv6", json_integer(n6));
	}
	o = json_pack("{s:s,s:i,s:I,s:s,s:s,s:o,s:o,s:I,s:I,s:I}", "version",
		      XLB_VERSION, "pid", (int)getpid(), "uptime_s",
		      (json_int_t)((xlbd_now_ms() - d->start_ms) / 1000),
		      "config", d->cfg->path, "log_level",
		      xlb_log_level_name(xlb_log_get_level()), "data_path", dpj,
		      "interfaces", ifs, "vips", (json_int_t)d->n_vips,
		      "vips_servable", (json_int_t)nserv, "backends",
		      (json_int_t)nbe);
	json_object_set_new(
		o, "state_file",
		json_string(d->opts.state_file ?: XLB_DEFAULT_STATE_FILE));
	json_object_set_new(o, "overrides",
			    json_integer((json_int_t)d->n_overrides));
	api_reply(r, o, 0, NULL);
}

static void cmd_vip_list(struct xlbd *d, struct api_req *r, json_t *args)
{
	json_t *arr;
	size_t i;
	ERRBUF;
	int e;

	if (json_object_size(args)) {
		struct vip_rt *v;

		e = xlb_api_check_keys(args, vip_key_args, err, sizeof(err));
		v = e ? NULL : arg_vip(d, args, err, sizeof(err), &e);
		if (!v) {
			api_reply(r, NULL, e, err);
			return;
		}
		arr = json_array();
		json_array_append_new(arr, vip_json(d, v, true));
		api_reply(r, arr, 0, NULL);
		return;
	}
	arr = json_array();
	for (i = 0; i < d->n_vips; i++)
		json_array_append_new(arr, vip_json(d, d->vips[i], false));
	api_reply(r, arr, 0, NULL);
}

static void cmd_backend_list(struct xlbd *d, struct api_req *r, json_t *args)
{
	__u32 *slots;
	struct vip_rt *v;
	json_t *arr;
	size_t i;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, vip_key_args, err, sizeof(err));
	v = e ? NULL : arg_vip(d, args, err, sizeof(err), &e);
	if (!v) {
		api_reply(r, NULL, e, err);
		return;
	}
	slots = calloc(v->n_bes ?: 1, sizeof(*slots));
	if (slots)
		ring_share(d, v, slots);
	arr = json_array();
	for (i = 0; i < v->n_bes; i++)
		json_array_append_new(
			arr, be_json(d, v->bes[i], slots ? slots[i] : 0));
	free(slots);
	api_reply(r, arr, 0, NULL);
}

/* a VIP's second-chance counters (bpf/chance.h) and its window left */
static void second_chance_json(struct xlbd *d, const struct vip_rt *v,
			       json_t *o)
{
	struct xlb_chance_stats cs = {};
	struct xlb_ring_prev rp = {};
	struct timespec ts;
	__u64 now;

	xlb_dp_stats_chance(d->dp, v->id, &cs);
	xlb_dp_ring_prev_get(d->dp, v->id, &rp);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	json_object_set_new(
		o, "second_chance",
		json_pack("{s:I,s:I,s:I}", "hits", (json_int_t)cs.hits, "moved",
			  (json_int_t)cs.moved, "window_left_ms",
			  (json_int_t)(rp.until_ns > now ?
					       (rp.until_ns - now) / 1000000 :
					       0)));
}

static json_t *vip_stats_json(struct xlbd *d, const struct vip_rt *v)
{
	struct xlb_vip_stats s = {};
	json_t *o, *bes;
	size_t i;

	xlb_dp_stats_vip(d->dp, v->id, &s);
	bes = json_array();
	for (i = 0; i < v->n_bes; i++) {
		json_t *b = be_stats_json(d, v->bes[i]);

		json_object_set_new(b, "address",
				    addr_json(&v->bes[i]->cfg.addr));
		json_object_set_new(
			b, "dp_state",
			json_string(be_state_str(v->bes[i]->dp_state)));
		json_array_append_new(bes, b);
	}
	o = json_pack("{s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:o}", "address",
		      addr_json(&v->cfg.addr), "port", port_json(v->cfg.port),
		      "protocol", xlb_proto_str(v->cfg.proto), "packets",
		      (json_int_t)s.packets, "bytes", (json_int_t)s.bytes,
		      "new_flows", (json_int_t)s.new_flows, "drops",
		      (json_int_t)s.drops, "backends", bes);
	second_chance_json(d, v, o);
	quic_vip_stats_json(d, v, o); /* quic.c */
	return o;
}

static void cmd_stats(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_global_stats g = {};
	__u64 sc_hits = 0, sc_moved = 0;
	json_t *o, *gj, *vs;
	struct vip_rt *v;
	size_t i;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, vip_key_args, err, sizeof(err));
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	vs = json_array();
	if (json_object_size(args)) {
		v = arg_vip(d, args, err, sizeof(err), &e);
		if (!v) {
			json_decref(vs);
			api_reply(r, NULL, e, err);
			return;
		}
		json_array_append_new(vs, vip_stats_json(d, v));
	} else {
		for (i = 0; i < d->n_vips; i++)
			json_array_append_new(vs,
					      vip_stats_json(d, d->vips[i]));
	}
	xlb_dp_stats_global(d->dp, &g);
	gj = json_object();
	for (i = 0; i < XLB_C_MAX; i++)
		json_object_set_new(gj, xlb_counter_name(i),
				    json_integer((json_int_t)g.c[i]));
	/* second chance: per VIP in the map xlb_chance_cnt, summed here */
	for (i = 0; i < d->n_vips; i++) {
		struct xlb_chance_stats cs = {};

		if (!xlb_dp_stats_chance(d->dp, d->vips[i]->id, &cs)) {
			sc_hits += cs.hits;
			sc_moved += cs.moved;
		}
	}
	quic_stats_json(d, gj); /* quic.c */
	o = json_pack("{s:o,s:o,s:{s:I,s:I}}", "global", gj, "vips", vs,
		      "second_chance", "hits", (json_int_t)sc_hits, "moved",
		      (json_int_t)sc_moved);
	api_reply(r, o, 0, NULL);
}

static struct be_rt *be_by_id(struct vip_rt *v, __u32 id)
{
	size_t i;

	for (i = 0; i < v->n_bes; i++)
		if (v->bes[i]->id == id)
			return v->bes[i];
	return NULL;
}

/*
 * flow: which backend a client flow reaches. The VIP is found the way the
 * data path finds it: (address, dport, protocol), then the port-less
 * (address, any, protocol); "port" names the VIP explicitly instead.
 */
/*
 * Inside a second-chance window (bpf/chance.h), a TCP packet of this flow
 * without SYN, the flow having no entry, would take the previous ring:
 * say which backend that is and how long the window lasts.
 */
static void flow_second_chance(struct xlbd *d, struct vip_rt *v,
			       const struct xlb_flow *f, json_t *o)
{
	struct xlb_ring_prev rp = {};
	struct be_rt *pb;
	struct timespec ts;
	__u32 pid;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	if (xlb_dp_ring_prev_get(d->dp, v->id, &rp) || rp.until_ns <= now ||
	    !rp.ring_size || rp.ring_size > xlb_dp_sizes(d->dp)->ring_max ||
	    xlb_dp_ring_slot(d->dp, v->id, rp.copy,
			     xlb_hash_slot(xlb_flow_hash(d->cfg->hash_seed, f,
							 v->cfg.flags),
					   rp.ring_size),
			     &pid))
		return;
	pb = pid == XLB_BACKEND_NONE ? NULL : be_by_id(v, pid);
	json_object_set_new(o, "prev_ring_backend",
			    pb ? addr_json(&pb->cfg.addr) : json_null());
	json_object_set_new(
		o, "second_chance_left_ms",
		json_integer((json_int_t)((rp.until_ns - now) / 1000000)));
}

static const char *quic_id_str(__u64 id, char buf[19])
{
	snprintf(buf, 19, "0x%llx", (unsigned long long)id);
	return buf;
}

/*
 * With a QUIC DCID: what the program does with a packet of this flow that
 * carries it, when the flow has no usable connection entry (the rule of
 * maps/xlb_quic_rule.h, through xlb_dp_quic_pick()): "quic" is the
 * outcome (a quic_* counter's name without its prefix, or "off" for a VIP
 * that does not route on connection IDs), "quic_id" the server id read,
 * "quic_backend" the backend it names when it is usable (then *@qbe).
 */
static int flow_quic(struct xlbd *d, struct vip_rt *v, const __u8 *dcid,
		     size_t len, json_t *o, struct be_rt **qbe)
{
	__u32 id = XLB_BACKEND_NONE;
	__u64 sid = 0;
	char ms[19];
	int c;

	c = xlb_dp_quic_pick(d->dp, &v->dpv, v->cfg.proto, dcid, len, &sid,
			     &id);
	if (c < 0)
		return c;
	json_object_set_new(
		o, "quic",
		json_string(c == XLB_QC_MAX ?
				    "off" :
				    xlb_quic_counter_name((unsigned int)c) +
					    strlen("quic_")));
	if (c == XLB_QC_MAX || c == XLB_QC_NO_ID)
		return 0;
	json_object_set_new(o, "quic_id", json_string(quic_id_str(sid, ms)));
	*qbe = c == XLB_QC_ROUTED ? be_by_id(v, id) : NULL;
	json_object_set_new(o, "quic_backend",
			    *qbe ? addr_json(&(*qbe)->cfg.addr) : json_null());
	return 0;
}

static void cmd_flow(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const keys[] = { "address", "port",	"protocol",
					    "src",     "sport", "dport",
					    "dcid",    NULL };
	unsigned long long sport = 0, dport = 0;
	__u8 dcid[XLB_QUIC_CID_MAX];
	const char *dcid_hex = NULL;
	size_t dcid_len = 0;
	struct be_rt *qbe = NULL;
	struct xlb_flow f = {};
	struct xlb_conn c;
	struct be_rt *rb = NULL, *cb = NULL;
	struct vip_rt *v = NULL;
	bool have_dport = false, in_conn = false, conn_usable = false;
	__u32 slot, id;
	char hs[24];
	json_t *o;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_addr(args, "src", true, &f.src, NULL, err,
				     sizeof(err));
	e = e	  ?:
		    xlb_api_arg_uint(args, "sport", true, 65535, &sport, NULL,
				     err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_uint(args, "dport", false, 65535, &dport,
				     &have_dport, err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_str(args, "dcid", false, &dcid_hex, err,
				    sizeof(err));
	if (!e && dcid_hex && xlb_quic_dcid_parse(dcid_hex, dcid, &dcid_len)) {
		snprintf(err, sizeof(err),
			 "argument 'dcid' must be a connection ID in hex, at "
			 "most %d bytes",
			 XLB_QUIC_CID_MAX);
		e = -EINVAL;
	}
	if (!e && json_object_get(args, "port")) {
		v = arg_vip(d, args, err, sizeof(err), &e);
	} else if (!e) {
		struct xlb_addr a;
		const char *ps;
		int proto = -1;
		char name[80];

		e = xlb_api_arg_addr(args, "address", true, &a, NULL, err,
				     sizeof(err));
		e = e	  ?:
			    xlb_api_arg_str(args, "protocol", true, &ps, err,
					    sizeof(err));
		if (!e && (proto = xlb_proto_parse(ps)) < 0) {
			snprintf(err, sizeof(err),
				 "argument 'protocol' must be tcp or udp");
			e = -EINVAL;
		}
		if (!e && have_dport)
			v = core_find_vip(d, &a, (__u16)dport, (__u8)proto);
		if (!e && !v)
			v = core_find_vip(d, &a, 0, (__u8)proto);
		if (!e && !v) {
			snprintf(err, sizeof(err), "no VIP matches %s",
				 xlb_vip_str(&a, (__u16)dport, proto, name,
					     sizeof(name)));
			e = -ENOENT;
		}
	}
	if (!e && f.src.family != v->cfg.addr.family) {
		snprintf(err, sizeof(err), "src and VIP differ in family");
		e = -EINVAL;
	}
	if (!e && !v->cfg.port && !have_dport) {
		snprintf(err, sizeof(err), "vip %s has no port: give dport",
			 v->name);
		e = -EINVAL;
	}
	if (!e && v->cfg.port && have_dport && dport != v->cfg.port) {
		snprintf(err, sizeof(err),
			 "dport %llu is not the port of vip %s", dport,
			 v->name);
		e = -EINVAL;
	}
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	f.dst = v->cfg.addr;
	f.sport = (__u16)sport;
	f.dport = v->cfg.port ? v->cfg.port : (__u16)dport;
	f.proto = v->cfg.proto;
	e = xlb_dp_flow_pick(d->dp, &v->dpv, &f, &slot, &id);
	if (e) {
		api_reply(r, NULL, e, "reading the ring");
		return;
	}
	rb = id == XLB_BACKEND_NONE ? NULL : be_by_id(v, id);
	if (!(v->cfg.flags & XLB_VIP_F_NO_CONN) &&
	    !xlb_dp_conn_get(d->dp, &f, &c)) {
		in_conn = true;
		cb = be_by_id(v, c.backend);
		conn_usable = cb && cb->gen == c.gen &&
			      (cb->dp_state == XLB_BE_UP ||
			       cb->dp_state == XLB_BE_DRAINING);
	}
	snprintf(hs, sizeof(hs), "0x%016llx",
		 (unsigned long long)xlb_flow_hash(d->cfg->hash_seed, &f,
						   v->cfg.flags));
	o = json_pack("{s:s,s:I,s:s,s:b}", "vip", v->name, "slot",
		      (json_int_t)slot, "hash", hs, "in_conn_table", in_conn);
	json_object_set_new(o, "ring_backend",
			    rb ? addr_json(&rb->cfg.addr) : json_null());
	json_object_set_new(o, "conn_backend",
			    cb ? addr_json(&cb->cfg.addr) : json_null());
	if (f.proto == IPPROTO_TCP && !in_conn)
		flow_second_chance(d, v, &f, o);
	if (dcid_hex) {
		e = flow_quic(d, v, dcid, dcid_len, o, &qbe);
		if (e) {
			json_decref(o);
			api_reply(r, NULL, e, "reading the QUIC maps");
			return;
		}
	}
	if (conn_usable) {
		json_object_set_new(o, "backend", addr_json(&cb->cfg.addr));
		json_object_set_new(o, "from", json_string("conn_table"));
	} else if (qbe) {
		json_object_set_new(o, "backend", addr_json(&qbe->cfg.addr));
		json_object_set_new(o, "from", json_string("quic_id"));
	} else if (rb) {
		json_object_set_new(o, "backend", addr_json(&rb->cfg.addr));
		json_object_set_new(o, "from", json_string("ring"));
	} else {
		json_object_set_new(o, "backend", json_null());
		json_object_set_new(o, "from", json_string("none"));
	}
	api_reply(r, o, 0, NULL);
}

static void cmd_config_dump(struct xlbd *d, struct api_req *r, json_t *args)
{
	char *text = NULL;
	int e;

	(void)args;
	e = xlb_cfg_dump(d->cfg, &text);
	if (e) {
		api_reply(r, NULL, e, "dumping the configuration");
		return;
	}
	api_reply(r, json_pack("{s:s}", "yaml", text), 0, NULL);
	free(text);
}

/* --- changes -------------------------------------------------------------- */

static void reply_change(struct xlbd *d, struct api_req *r,
			 struct xlb_cfg *next, const char *what)
{
	ERRBUF;
	int e;

	e = core_change(d, next, err, sizeof(err));
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	pr_info("api: %s", what);
	api_reply(r, json_pack("{s:s}", "done", what), 0, NULL);
}

static int parse_vip_opts(json_t *args, struct xlb_vip_cfg *vc, char *err,
			  size_t errlen)
{
	int e = xlb_api_args_obj(args, &xlb_obj_vip, vc, vip_key_args, err,
				 errlen);

	/* fragments: balance implies hash: source unless hash is given */
	if (!e && json_object_get(args, "fragments") &&
	    (vc->flags & XLB_VIP_F_FRAG_BALANCE) &&
	    !json_object_get(args, "hash"))
		vc->flags |= XLB_VIP_F_SRC_ONLY;
	return e;
}

/*
 * "unserved" belongs to the address (its marker, bpf/lookup.h), and the
 * configuration refuses VIPs of one address that disagree: set through one
 * VIP it is set on every VIP of the address; a new VIP that does not say
 * takes the address's.
 */
static void unserved_per_address(struct xlb_cfg *c,
				 const struct xlb_vip_cfg *vc, bool given,
				 __u16 *flags)
{
	size_t i;

	for (i = 0; i < c->n_vips; i++) {
		struct xlb_vip_cfg *o = &c->vips[i];

		if (o == vc || !xlb_addr_eq(&o->addr, &vc->addr))
			continue;
		if (!given) {
			*flags = (__u16)((*flags & ~XLB_VIP_F_UNSERVED_PASS) |
					 (o->flags & XLB_VIP_F_UNSERVED_PASS));
			return;
		}
		o->flags = (__u16)((o->flags & ~XLB_VIP_F_UNSERVED_PASS) |
				   (vc->flags & XLB_VIP_F_UNSERVED_PASS));
	}
}

static void cmd_vip_add(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_vip_cfg vc = {};
	struct xlb_cfg *next;
	char what[128];
	ERRBUF;
	int e;

	xlb_vip_cfg_init(&vc, d->cfg);
	e = parse_vip_opts(args, &vc, err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_vip(args, &vc.addr, &vc.port, &vc.proto, err,
				    sizeof(err));
	if (!e && xlb_cfg_find_vip(d->cfg, &vc.addr, vc.port, vc.proto)) {
		snprintf(err, sizeof(err), "vip %s: already exists",
			 xlb_vip_str(&vc.addr, vc.port, vc.proto, what,
				     sizeof(what)));
		e = -EEXIST;
	}
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	next = xlb_cfg_dup(d->cfg);
	if (next)
		unserved_per_address(next, &vc,
				     json_object_get(args, "unserved") != NULL,
				     &vc.flags);
	if (!next || xlb_cfg_add_vip(next, &vc)) {
		xlb_cfg_free(next);
		api_reply(r, NULL, -ENOMEM, "out of memory");
		return;
	}
	snprintf(what, sizeof(what), "vip %s added",
		 xlb_vip_str(&vc.addr, vc.port, vc.proto, (char[80]){ 0 }, 80));
	reply_change(d, r, next, what);
}

/* The VIP of args in a copy of the configuration. */
static struct xlb_vip_cfg *next_vip(struct xlbd *d, json_t *args,
				    struct xlb_cfg **next, char *err,
				    size_t errlen, int *e)
{
	struct xlb_vip_cfg *vc;
	struct xlb_addr a;
	char name[80];
	__u16 port;
	__u8 proto;

	*next = NULL;
	*e = xlb_api_arg_vip(args, &a, &port, &proto, err, errlen);
	if (*e)
		return NULL;
	*next = xlb_cfg_dup(d->cfg);
	if (!*next) {
		snprintf(err, errlen, "out of memory");
		*e = -ENOMEM;
		return NULL;
	}
	vc = xlb_cfg_find_vip(*next, &a, port, proto);
	if (!vc) {
		snprintf(err, errlen, "vip %s: no such VIP",
			 xlb_vip_str(&a, port, proto, name, sizeof(name)));
		*e = -ENOENT;
		xlb_cfg_free(*next);
		*next = NULL;
	}
	return vc;
}

static void cmd_vip_set(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_vip_cfg *vc;
	struct xlb_cfg *next = NULL;
	char what[128];
	ERRBUF;
	int e;

	e = xlb_api_args_obj(args, &xlb_obj_vip, &(struct xlb_vip_cfg){ 0 },
			     vip_key_args, err, sizeof(err));
	vc = e ? NULL : next_vip(d, args, &next, err, sizeof(err), &e);
	if (vc)
		e = parse_vip_opts(args, vc, err, sizeof(err));
	if (!e && json_object_get(args, "unserved"))
		unserved_per_address(next, vc, true, &vc->flags);
	if (e) {
		xlb_cfg_free(next);
		api_reply(r, NULL, e, err);
		return;
	}
	snprintf(what, sizeof(what), "vip %s changed",
		 xlb_vip_str(&vc->addr, vc->port, vc->proto, (char[80]){ 0 },
			     80));
	reply_change(d, r, next, what);
}

static void cmd_vip_del(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_vip_cfg *vc;
	struct xlb_cfg *next = NULL;
	char what[128];
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, vip_key_args, err, sizeof(err));
	vc = e ? NULL : next_vip(d, args, &next, err, sizeof(err), &e);
	if (!vc) {
		api_reply(r, NULL, e, err);
		return;
	}
	snprintf(what, sizeof(what), "vip %s deleted",
		 xlb_vip_str(&vc->addr, vc->port, vc->proto, (char[80]){ 0 },
			     80));
	xlb_cfg_del_vip(next, &vc->addr, vc->port, vc->proto);
	reply_change(d, r, next, what);
}

static const char *const be_keys[] = { "address", "port", "protocol", "backend",
				       NULL };

static int parse_be_opts(json_t *args, struct xlb_backend_cfg *bc, char *err,
			 size_t errlen)
{
	return xlb_api_args_obj(args, &xlb_obj_backend, bc, be_keys, err,
				errlen);
}

static void cmd_backend_add(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_backend_cfg bc = {};
	struct xlb_vip_cfg *vc = NULL;
	struct xlb_cfg *next = NULL;
	char what[160], as[XLB_ADDR_STRLEN];
	ERRBUF;
	int e;

	xlb_backend_cfg_init(&bc);
	e = parse_be_opts(args, &bc, err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_addr(args, "backend", true, &bc.addr, NULL, err,
				     sizeof(err));
	if (!e)
		vc = next_vip(d, args, &next, err, sizeof(err), &e);
	if (!e && xlb_vip_find_backend(vc, &bc.addr)) {
		snprintf(err, sizeof(err), "vip %s: backend %s: already exists",
			 xlb_vip_str(&vc->addr, vc->port, vc->proto,
				     (char[80]){ 0 }, 80),
			 xlb_addr_str(&bc.addr, as));
		e = -EEXIST;
	}
	if (!e && xlb_vip_add_backend(vc, &bc))
		e = -ENOMEM;
	if (e) {
		xlb_cfg_free(next);
		api_reply(r, NULL, e, err);
		return;
	}
	snprintf(what, sizeof(what), "vip %s: backend %s added",
		 xlb_vip_str(&vc->addr, vc->port, vc->proto, (char[80]){ 0 },
			     80),
		 xlb_addr_str(&bc.addr, as));
	reply_change(d, r, next, what);
}

static struct xlb_backend_cfg *next_be(struct xlbd *d, json_t *args,
				       struct xlb_cfg **next,
				       struct xlb_vip_cfg **vcp, char *err,
				       size_t errlen, int *e)
{
	struct xlb_backend_cfg *bc;
	char as[XLB_ADDR_STRLEN];
	struct xlb_addr a;

	*next = NULL;
	*e = xlb_api_arg_addr(args, "backend", true, &a, NULL, err, errlen);
	if (*e)
		return NULL;
	*vcp = next_vip(d, args, next, err, errlen, e);
	if (!*vcp)
		return NULL;
	bc = xlb_vip_find_backend(*vcp, &a);
	if (!bc) {
		snprintf(err, errlen, "vip %s: backend %s: no such backend",
			 xlb_vip_str(&(*vcp)->addr, (*vcp)->port, (*vcp)->proto,
				     (char[80]){ 0 }, 80),
			 xlb_addr_str(&a, as));
		*e = -ENOENT;
		xlb_cfg_free(*next);
		*next = NULL;
	}
	return bc;
}

static void cmd_backend_set(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_backend_cfg *bc = NULL;
	struct xlb_vip_cfg *vc = NULL;
	struct xlb_cfg *next = NULL;
	char what[200], as[XLB_ADDR_STRLEN];
	ERRBUF;
	int e;

	e = parse_be_opts(args, &(struct xlb_backend_cfg){ 0 }, err,
			  sizeof(err));
	if (!e && !json_object_get(args, "weight") &&
	    !json_object_get(args, "state") &&
	    !json_object_get(args, "health_check") &&
	    !json_object_get(args, "quic_id")) {
		snprintf(err, sizeof(err),
			 "nothing to set: give weight, "
			 "state, health_check or quic_id");
		e = -EINVAL;
	}
	if (!e)
		bc = next_be(d, args, &next, &vc, err, sizeof(err), &e);
	if (bc)
		e = parse_be_opts(args, bc, err, sizeof(err));
	if (e) {
		xlb_cfg_free(next);
		api_reply(r, NULL, e, err);
		return;
	}
	snprintf(what, sizeof(what), "vip %s: backend %s: weight %u, state %s",
		 xlb_vip_str(&vc->addr, vc->port, vc->proto, (char[80]){ 0 },
			     80),
		 xlb_addr_str(&bc->addr, as), bc->weight,
		 xlb_admin_state_str(bc->state));
	reply_change(d, r, next, what);
}

static void cmd_backend_del(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const keys[] = { "address", "port", "protocol",
					    "backend", NULL };
	struct xlb_backend_cfg *bc = NULL;
	struct xlb_vip_cfg *vc = NULL;
	struct xlb_cfg *next = NULL;
	char what[160], as[XLB_ADDR_STRLEN];
	struct xlb_addr a;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	if (!e)
		bc = next_be(d, args, &next, &vc, err, sizeof(err), &e);
	if (!bc) {
		api_reply(r, NULL, e, err);
		return;
	}
	a = bc->addr;
	snprintf(what, sizeof(what), "vip %s: backend %s deleted",
		 xlb_vip_str(&vc->addr, vc->port, vc->proto, (char[80]){ 0 },
			     80),
		 xlb_addr_str(&a, as));
	xlb_vip_del_backend(vc, &a);
	reply_change(d, r, next, what);
}

/* reload {dry_run}: the plan (what would change) and the overrides the
 * operator's edits drop; applied unless dry_run */
static void cmd_reload(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const keys[] = { "dry_run", NULL };
	json_t *plan = NULL, *dropped = NULL;
	bool dry = false;
	char err[512] = "";
	int e;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	e = e	  ?:
		    xlb_api_arg_bool(args, "dry_run", &dry, NULL, err,
				     sizeof(err));
	e = e ?: core_reload(d, dry, &plan, &dropped, err, sizeof(err));
	if (e) {
		if (!dry)
			pr_err("reload: %s", err);
		json_decref(plan);
		json_decref(dropped);
		api_reply(r, NULL, e, err);
		return;
	}
	if (!dry)
		pr_info("reloaded %s: %zu changes", d->cfg->path,
			json_array_size(plan));
	api_reply(r,
		  json_pack("{s:s,s:b,s:o,s:o}", "done",
			    dry ? "dry run: nothing changed" : "reloaded",
			    "dry_run", dry, "plan", plan, "overrides_dropped",
			    dropped),
		  0, NULL);
}

/* config.diff: the runtime overrides, i.e. the config file as loaded
 * against the running configuration */
static void cmd_config_diff(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const none[] = { NULL };
	ERRBUF;
	int e = xlb_api_check_keys(args, none, err, sizeof(err));

	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	api_reply(r,
		  json_pack("{s:s,s:s,s:o}", "config", d->cfg->path,
			    "state_file",
			    d->opts.state_file ?: XLB_DEFAULT_STATE_FILE,
			    "changes", xlb_cfg_diff(d->file_cfg, d->cfg)),
		  0, NULL);
}

/* log.set {level}: recorded in the state file like any change */
static void cmd_log_set(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const keys[] = { "level", NULL };
	struct xlb_cfg *next;
	const char *s;
	ERRBUF;
	int e, lvl = 0;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	e = e ?: xlb_api_arg_str(args, "level", true, &s, err, sizeof(err));
	if (!e) {
		lvl = xlb_log_level_parse(s);
		if (lvl < 0) {
			snprintf(err, sizeof(err),
				 "level must be err, warn, "
				 "info or debug");
			e = -EINVAL;
		}
	}
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	next = xlb_cfg_dup(d->cfg);
	if (!next) {
		api_reply(r, NULL, -ENOMEM, "out of memory");
		return;
	}
	snprintf(next->log_level, sizeof(next->log_level), "%s",
		 xlb_log_level_name(lvl));
	e = core_change(d, next, err, sizeof(err));
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	xlb_log_set_level((enum xlb_log_level)lvl);
	pr_info("log level %s", xlb_log_level_name(lvl));
	api_reply(r, json_pack("{s:s}", "level", xlb_log_level_name(lvl)), 0,
		  NULL);
}

/* --- health checks -------------------------------------------------------- */

/* Apply the check fields present in @args to @h. A new type starts from
 * that type's defaults, keeping the fields every type has and those given,
 * so fields of the old type do not linger. */
static int parse_check(json_t *args, struct xlb_hc_cfg *h, char *err,
		       size_t errlen)
{
	enum xlb_hc_type type = h->type;
	const struct xlb_field *f;
	struct xlb_hc_cfg set;
	int e;

	e = xlb_api_args_obj(args, &xlb_obj_check, h, NULL, err, errlen);
	if (e || h->type == type)
		return e;
	set = *h;
	xlb_hc_cfg_init(h, set.type);
	for (f = xlb_obj_check.fields; f->key; f++) {
		if (f->hc && !json_object_get(args, f->key))
			continue;
		memcpy((char *)h + f->off, (char *)&set + f->off, f->size);
		if (f->n_off)
			memcpy((char *)h + f->n_off, (char *)&set + f->n_off,
			       sizeof(size_t));
	}
	return 0;
}

/* Who names check @name: VIPs and backends, as strings. */
static json_t *check_users(const struct xlb_cfg *c, const char *name)
{
	char vs[80], as[XLB_ADDR_STRLEN], buf[160];
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; i < c->n_vips; i++) {
		const struct xlb_vip_cfg *v = &c->vips[i];

		xlb_vip_str(&v->addr, v->port, v->proto, vs, sizeof(vs));
		if (!strcmp(v->health_check, name)) {
			snprintf(buf, sizeof(buf), "vip %s", vs);
			json_array_append_new(a, json_string(buf));
		}
		for (j = 0; j < v->n_backends; j++) {
			if (strcmp(v->backends[j].health_check, name))
				continue;
			snprintf(buf, sizeof(buf), "vip %s backend %s", vs,
				 xlb_addr_str(&v->backends[j].addr, as));
			json_array_append_new(a, json_string(buf));
		}
	}
	return a;
}

static void cmd_check_list(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const keys[] = { "name", NULL };
	const char *name = NULL;
	json_t *arr, *o;
	size_t i;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	e = e ?: xlb_api_arg_str(args, "name", false, &name, err, sizeof(err));
	if (!e && name && !xlb_cfg_find_check(d->cfg, name)) {
		snprintf(err, sizeof(err), "check %.64s: no such check", name);
		e = -ENOENT;
	}
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	arr = json_array();
	for (i = 0; i < d->cfg->n_checks; i++) {
		const struct xlb_hc_cfg *h = &d->cfg->checks[i];

		if (name && strcmp(name, h->name))
			continue;
		o = xlb_hc_json(h);
		json_object_set_new(o, "used_by", check_users(d->cfg, h->name));
		json_array_append_new(arr, o);
	}
	api_reply(r, arr, 0, NULL);
}

static void cmd_check_add(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_hc_cfg h, *nc;
	struct xlb_cfg *next = NULL;
	const char *name = NULL, *type = NULL;
	char what[128];
	ERRBUF;
	int e;

	e = xlb_api_args_obj(args, &xlb_obj_check, &(struct xlb_hc_cfg){ 0 },
			     NULL, err, sizeof(err));
	e = e ?: xlb_api_arg_str(args, "name", true, &name, err, sizeof(err));
	e = e ?: xlb_api_arg_str(args, "type", true, &type, err, sizeof(err));
	if (!e && xlb_cfg_find_check(d->cfg, name)) {
		snprintf(err, sizeof(err), "check %s: already exists", name);
		e = -EEXIST;
	}
	if (!e) {
		xlb_hc_cfg_init(&h, XLB_HC_NONE);
		snprintf(h.name, sizeof(h.name), "%s", name);
		h.type = (enum xlb_hc_type) - 1; /* parse_check() sets it */
		e = parse_check(args, &h, err, sizeof(err));
	}
	if (!e) {
		next = xlb_cfg_dup(d->cfg);
		nc = next ? realloc(next->checks,
				    (next->n_checks + 1) * sizeof(*nc)) :
			    NULL;
		if (!nc) {
			snprintf(err, sizeof(err), "out of memory");
			e = -ENOMEM;
		} else {
			next->checks = nc;
			next->checks[next->n_checks++] = h;
		}
	}
	if (e) {
		xlb_cfg_free(next);
		api_reply(r, NULL, e, err);
		return;
	}
	snprintf(what, sizeof(what), "check %s added", h.name);
	reply_change(d, r, next, what);
}

static void cmd_check_set(struct xlbd *d, struct api_req *r, json_t *args)
{
	struct xlb_hc_cfg *h = NULL;
	struct xlb_cfg *next = NULL;
	const char *name = NULL;
	char what[128];
	ERRBUF;
	int e;

	e = xlb_api_args_obj(args, &xlb_obj_check, &(struct xlb_hc_cfg){ 0 },
			     NULL, err, sizeof(err));
	e = e ?: xlb_api_arg_str(args, "name", true, &name, err, sizeof(err));
	if (!e && json_object_size(args) < 2) {
		snprintf(err, sizeof(err), "nothing to set");
		e = -EINVAL;
	}
	if (!e) {
		next = xlb_cfg_dup(d->cfg);
		if (!next) {
			snprintf(err, sizeof(err), "out of memory");
			e = -ENOMEM;
		}
	}
	if (!e) {
		h = (struct xlb_hc_cfg *)xlb_cfg_find_check(next, name);
		if (!h) {
			snprintf(err, sizeof(err), "check %.64s: no such check",
				 name);
			e = -ENOENT;
		}
	}
	e = e ?: parse_check(args, h, err, sizeof(err));
	if (e) {
		xlb_cfg_free(next);
		api_reply(r, NULL, e, err);
		return;
	}
	snprintf(what, sizeof(what), "check %s changed", h->name);
	reply_change(d, r, next, what);
}

static void cmd_check_del(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const keys[] = { "name", NULL };
	const struct xlb_hc_cfg *h = NULL;
	struct xlb_cfg *next = NULL;
	const char *name = NULL;
	json_t *users = NULL;
	char what[128];
	size_t i;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, keys, err, sizeof(err));
	e = e ?: xlb_api_arg_str(args, "name", true, &name, err, sizeof(err));
	if (!e) {
		h = xlb_cfg_find_check(d->cfg, name);
		if (!h) {
			snprintf(err, sizeof(err), "check %.64s: no such check",
				 name);
			e = -ENOENT;
		}
	}
	if (!e) {
		users = check_users(d->cfg, name);
		if (json_array_size(users)) {
			snprintf(err, sizeof(err),
				 "check %s: in use by %s%s: change those "
				 "first",
				 name,
				 json_string_value(json_array_get(users, 0)),
				 json_array_size(users) > 1 ? " and others" :
							      "");
			e = -EBUSY;
		}
		json_decref(users);
	}
	if (!e) {
		next = xlb_cfg_dup(d->cfg);
		if (!next) {
			snprintf(err, sizeof(err), "out of memory");
			e = -ENOMEM;
		}
	}
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	i = (size_t)(h - d->cfg->checks);
	memmove(&next->checks[i], &next->checks[i + 1],
		(next->n_checks - i - 1) * sizeof(*next->checks));
	next->n_checks--;
	snprintf(what, sizeof(what), "check %s deleted", name);
	reply_change(d, r, next, what);
}

/* --- BGP ------------------------------------------------------------------ */

static void cmd_bgp_show(struct xlbd *d, struct api_req *r, json_t *args)
{
	static const char *const none[] = { NULL };
	ERRBUF;
	int e = xlb_api_check_keys(args, none, err, sizeof(err));

	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	api_reply(r, bgp_show(d), 0, NULL);
}

/* pop.drain {withdraw: bool} / pop.undrain: bgp.drain, kept in the state
 * file like any change, so a drained PoP stays drained across restarts */
static void set_drain(struct xlbd *d, struct api_req *r, json_t *args,
		      bool undrain)
{
	static const char *const keys[] = { "withdraw", NULL };
	static const char *const none[] = { NULL };
	static const char *const what[] = {
		"pop undrained: announcing what can be served",
		"pop draining: routes tagged GRACEFUL_SHUTDOWN and prepended",
		"pop drained: every VIP withdrawn",
	};
	struct xlb_cfg *next;
	bool withdraw = false;
	__u8 want;
	ERRBUF;
	int e;

	e = xlb_api_check_keys(args, undrain ? none : keys, err, sizeof(err));
	if (!e && !undrain)
		e = xlb_api_arg_bool(args, "withdraw", &withdraw, NULL, err,
				     sizeof(err));
	if (!e && !d->cfg->bgp.enabled) {
		snprintf(err, sizeof(err),
			 "no bgp section in the configuration: this PoP "
			 "announces nothing");
		e = -EINVAL;
	}
	if (e) {
		api_reply(r, NULL, e, err);
		return;
	}
	want = undrain	? XLB_DRAIN_OFF :
	       withdraw ? XLB_DRAIN_WITHDRAWN :
			  XLB_DRAIN_GRACEFUL;
	if (d->cfg->bgp.drain == want) {
		api_reply(r, json_pack("{s:s}", "done", what[want]), 0, NULL);
		return;
	}
	next = xlb_cfg_dup(d->cfg);
	if (!next) {
		api_reply(r, NULL, -ENOMEM, "out of memory");
		return;
	}
	next->bgp.drain = want;
	reply_change(d, r, next, what[want]);
}

static void cmd_pop_drain(struct xlbd *d, struct api_req *r, json_t *args)
{
	set_drain(d, r, args, false);
}

static void cmd_pop_undrain(struct xlbd *d, struct api_req *r, json_t *args)
{
	set_drain(d, r, args, true);
}

static void cmd_dp_detach(struct xlbd *d, struct api_req *r, json_t *args)
{
	(void)args;
	d->detach_on_exit = true;
	api_reply(
		r,
		json_pack("{s:s}", "done", "detaching, unpinning and stopping"),
		0, NULL);
	xlbd_stop(d);
}

static const struct command commands[] = {
	{ "status", cmd_status },
	{ "vip.list", cmd_vip_list },
	{ "vip.add", cmd_vip_add },
	{ "vip.set", cmd_vip_set },
	{ "vip.del", cmd_vip_del },
	{ "backend.list", cmd_backend_list },
	{ "backend.add", cmd_backend_add },
	{ "backend.set", cmd_backend_set },
	{ "backend.del", cmd_backend_del },
	{ "stats", cmd_stats },
	{ "flow", cmd_flow },
	{ "reload", cmd_reload },
	{ "config.dump", cmd_config_dump },
	{ "config.diff", cmd_config_diff },
	{ "check.list", cmd_check_list },
	{ "check.add", cmd_check_add },
	{ "check.set", cmd_check_set },
	{ "check.del", cmd_check_del },
	{ "log.set", cmd_log_set },
	{ "dp.detach", cmd_dp_detach },
	{ "bgp.show", cmd_bgp_show },
	{ "pop.drain", cmd_pop_drain },
	{ "pop.undrain", cmd_pop_undrain },
};

/*
 * vip_name_resolve() - a VIP may be named by its configured name wherever
 * a VIP is named: {"address": "web"} becomes the address, port and
 * protocol of the VIP called "web". A port or protocol given with the name
 * must match the VIP's (and narrows the choice when VIPs share a name).
 * Arguments whose address is an address, or that have none, are left
 * alone. Return: 0 or -errno with @err set.
 */
static int vip_name_resolve(struct xlbd *d, json_t *args, char *err,
			    size_t errlen)
{
	json_t *a = json_object_get(args, "address");
	const char *name, *ps;
	struct vip_rt *hit = NULL, *v;
	struct xlb_addr addr;
	size_t i, named = 0, n = 0;
	__u16 port = 0;
	int proto = -1;

	if (!json_is_string(a) || !xlb_addr_parse(json_string_value(a), &addr))
		return 0;
	name = json_string_value(a);
	if (json_is_integer(json_object_get(args, "port")))
		port = (__u16)json_integer_value(json_object_get(args, "port"));
	ps = json_string_value(json_object_get(args, "protocol"));
	if (ps)
		proto = xlb_proto_parse(ps);
	for (i = 0; i < d->n_vips; i++) {
		v = d->vips[i];
		if (strcmp(v->cfg.name, name))
			continue;
		named++;
		if (json_object_get(args, "port") && port != v->cfg.port)
			continue;
		if (ps && proto != v->cfg.proto)
			continue;
		hit = v;
		n++;
	}
	if (!named) {
		snprintf(err, errlen,
			 "vip %.64s: no VIP has this name (and it is not an "
			 "IPv4 or IPv6 address)",
			 name);
		return -ENOENT;
	}
	if (!n) {
		for (i = 0; i < d->n_vips; i++)
			if (!strcmp(d->vips[i]->cfg.name, name))
				break;
		snprintf(err, errlen,
			 "vip %.64s is %s: the port or protocol given differs",
			 name, d->vips[i]->name);
		return -EINVAL;
	}
	if (n > 1) {
		snprintf(err, errlen,
			 "vip %.64s: %zu VIPs have this name: give the port "
			 "and protocol",
			 name, n);
		return -EINVAL;
	}
	json_object_set_new(args, "address", addr_json(&hit->cfg.addr));
	json_object_set_new(args, "port", port_json(hit->cfg.port));
	json_object_set_new(args, "protocol",
			    json_string(xlb_proto_str(hit->cfg.proto)));
	return 0;
}

/*
 * Commands whose "address" names an existing VIP (not vip.add, which
 * creates one, nor commands where "address" means something else).
 */
static bool names_vip(const char *cmd)
{
	return (!strncmp(cmd, "vip.", 4) && strcmp(cmd, "vip.add")) ||
	       !strncmp(cmd, "backend.", 8) || !strcmp(cmd, "stats") ||
	       !strcmp(cmd, "flow");
}

void commands_dispatch(struct xlbd *d, struct api_req *r, const char *cmd,
		       json_t *args)
{
	char err[XLB_API_ERRLEN];
	size_t i;
	int e;

	if (d->stopping) {
		api_reply(r, NULL, -ESHUTDOWN, "xlbd is stopping");
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, cmd)) {
			e = names_vip(cmd) && json_is_object(args) ?
				    vip_name_resolve(d, args, err,
						     sizeof(err)) :
				    0;
			if (e) {
				api_reply(r, NULL, e, err);
				return;
			}
			commands[i].fn(d, r, args);
			return;
		}
	}
	snprintf(err, sizeof(err), "unknown command '%.64s'", cmd);
	api_reply(r, NULL, -EINVAL, err);
}
