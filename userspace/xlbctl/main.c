// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlbctl - the xlb command line
 *
 * "xlbctl OBJECT VERB [ARGS]", like ip(8) and bpftool(8): a table of
 * commands, --help on every one, -j for JSON. Exit status: 0 done, 1 failed
 * (xlbd said no, or could not be reached), 2 usage error. Commands that do
 * not need the daemon (backend-host) run locally.
 *
 * A VIP is written "ADDRESS --port P|any --proto tcp|udp", or compactly
 * "ADDRESS:PORT/PROTO" ("192.0.2.10:80/tcp", "[2001:db8::10]:any/udp").
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "api.h"
#include "backend_host_cmd.h"
#include "bird.h"
#include "config.h"
#include "fields.h"
#include "log.h"
#include "maglev.h"
#include "maps/xlb_quic.h"
#include "state.h"
#include "xlbctl.h"

static bool opt_json;
static const char *opt_socket = XLB_DEFAULT_SOCKET;
static int opt_timeout_ms = 10000;

/* --- talking to xlbd ------------------------------------------------------ */

static int call(const char *cmd, json_t *args, json_t **result)
{
	char err[XLB_API_ERRLEN];
	int fd, r;

	fd = xlb_api_connect(opt_socket);
	if (fd < 0) {
		json_decref(args);
		fprintf(stderr, "xlbctl: cannot reach xlbd at %s: %s\n",
			opt_socket, strerror(-fd));
		return 1;
	}
	r = xlb_api_call(fd, cmd, args, opt_timeout_ms, result, err,
			 sizeof(err));
	close(fd);
	if (r) {
		fprintf(stderr, "xlbctl: %s\n", err);
		return 1;
	}
	return 0;
}

/*
 * Reals (latencies, ages) to 3 decimals: xlbd sends them at full double
 * precision, which prints 0.199 as 0.19900000000000001.
 */
static void round_reals(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_real(j))
		json_real_set(j, round(json_real_value(j) * 1000.0) / 1000.0);
	else if (json_is_object(j))
		json_object_foreach (j, k, v)
			round_reals(v);
	else if (json_is_array(j))
		json_array_foreach (j, i, v)
			round_reals(v);
}

static void print_json(json_t *j)
{
	char *s;

	round_reals(j);
	/* 15 significant digits: a rounded value prints as it reads */
	s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII |
				  JSON_REAL_PRECISION(15));

	if (s) {
		printf("%s\n", s);
		free(s);
	}
}

/* call and, for -j or a plain "done", print the result */
static int call_print_done(const char *cmd, json_t *args)
{
	json_t *res = NULL;
	int r = call(cmd, args, &res);

	if (r)
		return r;
	if (opt_json)
		print_json(res);
	else if (json_is_string(json_object_get(res, "done")))
		printf("%s\n", json_string_value(json_object_get(res, "done")));
	json_decref(res);
	return 0;
}

static int vip_edit(int argc, char **argv, const char *cmd,
		    const struct option *opts)
{
	struct vip_opts o = { .args = json_object(), .obj = &xlb_obj_vip };
	char *pos[1] = { 0 };
	int n, r;

	r = split_args(argc, argv, opts, vip_opt, &o, pos, 1, &n);
	if (!r && n != 1)
		r = -usage_err("missing VIP");
	if (!r)
		r = -vip_arg(pos[0], o.port, o.proto, o.args,
			     strcmp(cmd, "vip.add"));
	if (r) {
		json_decref(o.args);
		return exit_status(r);
	}
	return call_print_done(cmd, o.args);
}

static int do_vip_add(int argc, char **argv)
{
	struct option opts[40];

	return vip_edit(argc, argv, "vip.add",
			obj_opts(&xlb_obj_vip, vip_key_opts, opts, 40));
}

static int do_vip_set(int argc, char **argv)
{
	struct option opts[40];

	return vip_edit(argc, argv, "vip.set",
			obj_opts(&xlb_obj_vip, vip_key_opts, opts, 40));
}

static int do_vip_del(int argc, char **argv)
{
	return vip_edit(argc, argv, "vip.del", vip_key_opts);
}

static const char *port_str(json_t *p, char *buf)
{
	if (json_is_integer(p))
		sprintf(buf, "%lld", (long long)json_integer_value(p));
	else
		sprintf(buf, "any");
	return buf;
}

static const char *vip_name(json_t *v, char *buf, size_t len)
{
	const char *a = json_string_value(json_object_get(v, "address"));
	char ps[16];

	snprintf(buf, len, strchr(a ? a : "", ':') ? "[%s]:%s/%s" : "%s:%s/%s",
		 a ? a : "?", port_str(json_object_get(v, "port"), ps),
		 json_string_value(json_object_get(v, "protocol")));
	return buf;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static long long jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/*
 * The DATAPATH column: "up", "draining", or "out (WHY)" with why the
 * backend gets no new flow, from xlbd's out_reason (the full reason is in
 * the JSON).
 */
static const char *dp_col(json_t *b, char *buf, size_t len)
{
	const char *why = json_string_value(json_object_get(b, "out_reason"));

	if (!why)
		return jstr(b, "dp_state");
	if (!strcmp(why, "draining"))
		return "draining";
	if (!strncmp(why, "admin", 5))
		return "out (admin)";
	if (!strcmp(why, "health check pending"))
		return "out (checking)";
	if (!strncmp(why, "health", 6))
		return "out (health)";
	if (!strncmp(why, "no next hop", 11))
		return "out (no next hop)";
	snprintf(buf, len, "out (%s)", why);
	return buf;
}

/* count of a backend's "conns" (active or inactive), or "-" */
static const char *conn_col(json_t *b, const char *k, char *buf, size_t len)
{
	json_t *c = json_object_get(json_object_get(b, "conns"), k);

	if (!json_is_integer(c))
		return "-";
	snprintf(buf, len, "%lld", (long long)json_integer_value(c));
	return buf;
}

/*
 * One line per backend. LAST CHECK comes last and is never cut: an error
 * is what an operator reads it for.
 */
static void print_backends(json_t *arr)
{
	char lat[24], since[32], dpb[48], nhs[96], act[24], ina[24];
	const char *last;
	size_t i;
	json_t *b;

	bool quic = false;

	json_array_foreach (arr, i, b)
		quic |= json_object_get(b, "quic_id") != NULL;
	/* the QUIC ID column only where a backend has one */
	if (quic)
		printf("%-24s %-18s ", "BACKEND", "QUIC ID");
	else
		printf("%-24s ", "BACKEND");
	printf("%6s %-6s %-17s %6s %-8s %8s %9s %7s %7s  %-36s %s\n", "WEIGHT",
	       "STATE", "DATAPATH", "SLOTS", "HEALTH", "LATENCY", "SINCE",
	       "ACTIVE", "INACT", "NEXT HOP", "LAST CHECK");
	json_array_foreach (arr, i, b) {
		json_t *h = json_object_get(b, "health");
		json_t *nh = json_object_get(b, "nexthop");
		json_t *ls = json_object_get(h, "since_s");
		json_t *le = json_object_get(h, "last_error");

		snprintf(lat, sizeof(lat), "-");
		if (json_is_number(json_object_get(h, "latency_ms")))
			snprintf(lat, sizeof(lat), "%.1fms",
				 json_number_value(
					 json_object_get(h, "latency_ms")));
		last = json_is_string(le) && json_string_length(le) ?
			       json_string_value(le) :
			       jstr(h, "last_result");
		snprintf(since, sizeof(since), "-");
		if (json_is_number(ls))
			snprintf(since, sizeof(since), "%.0fs ago",
				 json_number_value(ls));
		snprintf(nhs, sizeof(nhs), "%s%s%s%s%s",
			 json_object_get(nh, "via") ? jstr(nh, "via") : "",
			 json_object_get(nh, "via") ? " " : "",
			 json_object_get(nh, "mac") ? jstr(nh, "mac") :
						      jstr(nh, "state"),
			 json_object_get(nh, "interface") ? " " : "",
			 json_object_get(nh, "interface") ?
				 jstr(nh, "interface") :
				 "");
		if (quic)
			printf("%-24s %-18s ", jstr(b, "address"),
			       json_object_get(b, "quic_id") ?
				       jstr(b, "quic_id") :
				       "-");
		else
			printf("%-24s ", jstr(b, "address"));
		printf("%6lld %-6s %-17s %6lld %-8s %8s %9s %7s %7s  %-36s "
		       "%s\n",
		       jint(b, "weight"), jstr(b, "state"),
		       dp_col(b, dpb, sizeof(dpb)), jint(b, "slots"),
		       jstr(h, "state"), lat, since,
		       conn_col(b, "active", act, sizeof(act)),
		       conn_col(b, "inactive", ina, sizeof(ina)), nhs, last);
	}
}

/* The forwarding of VIP @v as shown: "gue:PORT" for GUE. */
static const char *fwd_str(json_t *v, char fwd[32])
{
	if (!json_object_get(v, "gue_port"))
		return jstr(v, "forwarding");
	snprintf(fwd, 32, "%s:%lld", jstr(v, "forwarding"),
		 jint(v, "gue_port"));
	return fwd;
}

static int do_vip_show(int argc, char **argv)
{
	struct vip_opts o = { .args = json_object() };
	char *pos[1] = { 0 }, name[96], fwd[32];
	json_t *res = NULL, *v;
	size_t i;
	int n, r;

	r = split_args(argc, argv, vip_key_opts, vip_opt, &o, pos, 1, &n);
	if (!r && n == 1)
		r = -vip_arg(pos[0], o.port, o.proto, o.args, true);
	else if (!r && (o.port || o.proto))
		r = -usage_err("--port/--proto need a VIP");
	if (r) {
		json_decref(o.args);
		return exit_status(r);
	}
	r = call("vip.list", o.args, &res);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
		json_decref(res);
		return 0;
	}
	printf("%-32s %-5s %8s %8s %-9s %5s %8s  %s\n", "VIP", "FWD",
	       "BACKENDS", "HEALTHY", "SERVABLE", "ID", "RING", "NAME");
	json_array_foreach (res, i, v) {
		printf("%-32s %-5s %8lld %8lld %-9s %5lld %8lld  %s\n",
		       vip_name(v, name, sizeof(name)), fwd_str(v, fwd),
		       jint(v, "backends"), jint(v, "healthy"),
		       json_is_true(json_object_get(v, "servable")) ? "yes" :
								      "no",
		       jint(v, "id"), jint(v, "ring_size"),
		       json_object_get(v, "name") ? jstr(v, "name") : "");
		if (json_object_get(v, "backend_list")) {
			printf("\n");
			print_backends(json_object_get(v, "backend_list"));
		}
	}
	json_decref(res);
	return 0;
}

/* --- backend -------------------------------------------------------------- */

static int be_common(int argc, char **argv, const struct option *opts,
		     char **pos, int maxpos, int *n, struct be_opts *o)
{
	int r;

	o->v.args = json_object();
	r = split_args(argc, argv, opts, be_opt, o, pos, maxpos, n);
	if (!r && *n < 1)
		r = -usage_err("missing VIP");
	if (!r)
		r = -vip_arg(pos[0], o->v.port, o->v.proto, o->v.args, true);
	return r;
}

static int do_backend_add(int argc, char **argv)
{
	struct be_opts o = {};
	struct option opts[16];
	char *pos[2] = { 0 };
	int n, r;

	r = be_common(argc, argv,
		      obj_opts(&xlb_obj_backend, vip_key_opts, opts, 16), pos,
		      2, &n, &o);
	if (!r && n != 2)
		r = -usage_err("missing BACKEND");
	if (!r)
		r = -addr_arg("BACKEND", pos[1], o.v.args, "backend");
	if (r) {
		json_decref(o.v.args);
		return exit_status(r);
	}
	return call_print_done("backend.add", o.v.args);
}

static int do_backend_del(int argc, char **argv)
{
	struct be_opts o = {};
	char *pos[2] = { 0 };
	int n, r;

	r = be_common(argc, argv, vip_key_opts, pos, 2, &n, &o);
	if (!r && n != 2)
		r = -usage_err("missing BACKEND");
	if (!r)
		r = -addr_arg("BACKEND", pos[1], o.v.args, "backend");
	if (r) {
		json_decref(o.v.args);
		return exit_status(r);
	}
	return call_print_done("backend.del", o.v.args);
}

/* backend set VIP BACKEND weight N | state up|drain|down [...] */
static int do_backend_set(int argc, char **argv)
{
	const struct xlb_field *f;
	struct be_opts o = {};
	struct option opts[16];
	char *pos[8] = { 0 };
	int n, r, i;

	r = be_common(argc, argv,
		      obj_opts(&xlb_obj_backend, vip_key_opts, opts, 16), pos,
		      8, &n, &o);
	if (!r && n < 2)
		r = -usage_err("missing BACKEND");
	if (!r)
		r = -addr_arg("BACKEND", pos[1], o.v.args, "backend");
	if (!r && n < 4 && !json_object_get(o.v.args, "weight") &&
	    !json_object_get(o.v.args, "state") &&
	    !json_object_get(o.v.args, "quic_id"))
		r = -usage_err("say what to set: weight N, state "
			       "up|drain|down or quic_id ID|none");
	for (i = 2; !r && i < n; i += 2) {
		if (i + 1 >= n) {
			r = -usage_err("'%s' needs a value", pos[i]);
		} else if ((f = xlb_field_find(&xlb_obj_backend, pos[i])) &&
			   xlb_field_is_opt(f)) {
			r = -field_opt(
				&xlb_obj_backend,
				O_FIELD + (int)(f - xlb_obj_backend.fields),
				pos[i + 1], o.v.args);
		} else {
			r = -usage_err("unknown setting '%s' (weight, state, "
				       "quic_id)",
				       pos[i]);
		}
	}
	if (r) {
		json_decref(o.v.args);
		return exit_status(r);
	}
	return call_print_done("backend.set", o.v.args);
}

static int do_backend_show(int argc, char **argv)
{
	struct be_opts o = {};
	json_t *res = NULL;
	char *pos[1] = { 0 };
	int n, r;

	r = be_common(argc, argv, vip_key_opts, pos, 1, &n, &o);
	if (r) {
		json_decref(o.v.args);
		return exit_status(r);
	}
	r = call("backend.list", o.v.args, &res);
	if (r)
		return r;
	if (opt_json)
		print_json(res);
	else
		print_backends(res);
	json_decref(res);
	return 0;
}

/* --- stats ---------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int s)
{
	(void)s;
	interrupted = 1;
}

struct stats_opts {
	struct vip_opts v;
	double watch;
	long count;
};

static int stats_opt(int c, const char *val, void *ctx)
{
	struct stats_opts *o = ctx;
	char *end;

	switch (c) {
	case O_WATCH:
		o->watch = val ? strtod(val, &end) : 1.0;
		if (val && (*end || o->watch < 0.1 || o->watch > 3600))
			return usage_err("--watch takes 0.1..3600 seconds");
		return 0;
	case O_COUNT:
		o->count = strtol(val, &end, 10);
		if (*end || o->count < 1)
			return usage_err("--count must be a positive number");
		return 0;
	default:
		return vip_opt(c, val, &o->v);
	}
}

static void print_stats(json_t *res, json_t *prev, double dt)
{
	json_t *g = json_object_get(res, "global"), *v, *b, *pv, *pb, *sc;
	char name[96];
	const char *k;
	size_t i, j;
	json_t *c;

	json_array_foreach (json_object_get(res, "vips"), i, v) {
		long long nf = jint(v, "new_flows");

		pv = prev ? json_array_get(json_object_get(prev, "vips"), i) :
			    NULL;
		printf("vip %s: %lld packets, %lld bytes, %lld new flows, "
		       "%lld drops",
		       vip_name(v, name, sizeof(name)), jint(v, "packets"),
		       jint(v, "bytes"), nf, jint(v, "drops"));
		if (pv && dt > 0)
			printf(" (%.0f pkt/s, %.0f flows/s)",
			       (jint(v, "packets") - jint(pv, "packets")) / dt,
			       (nf - jint(pv, "new_flows")) / dt);
		printf("\n");
		sc = json_object_get(v, "second_chance");
		if (jint(sc, "hits") || jint(sc, "window_left_ms"))
			printf("  second chance: %lld packets to the previous "
			       "ring (%lld to another backend), window %.1fs "
			       "left\n",
			       jint(sc, "hits"), jint(sc, "moved"),
			       jint(sc, "window_left_ms") / 1000.0);
		sc = json_object_get(v, "quic");
		if (sc)
			printf("  quic: %lld routed by their connection ID; "
			       "through the ring: %lld unknown_id, %lld "
			       "fallback, %lld no_id\n",
			       jint(sc, "routed"), jint(sc, "unknown_id"),
			       jint(sc, "fallback"), jint(sc, "no_id"));
		json_array_foreach (json_object_get(v, "backends"), j, b) {
			long long bnf = jint(b, "new_flows");

			pb = pv ? json_array_get(
					  json_object_get(pv, "backends"), j) :
				  NULL;
			printf("  %-24s %-9s %12lld packets %14lld bytes "
			       "%10lld new flows (%5.1f%%)",
			       jstr(b, "address"), jstr(b, "dp_state"),
			       jint(b, "packets"), jint(b, "bytes"), bnf,
			       nf ? 100.0 * bnf / nf : 0.0);
			if (pb && dt > 0)
				printf("  %.0f pkt/s", (jint(b, "packets") -
							jint(pb, "packets")) /
							       dt);
			printf("\n");
		}
	}
	printf("global:");
	json_object_foreach (g, k, c) {
		if (json_integer_value(c))
			printf(" %s=%lld", k, (long long)json_integer_value(c));
	}
	printf("\n");
	sc = json_object_get(res, "second_chance");
	if (jint(sc, "hits"))
		printf("second chance: %lld packets to the previous ring (%lld "
		       "to another backend)\n",
		       jint(sc, "hits"), jint(sc, "moved"));
}

static int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_VIP_OPTS,
		{ "watch", optional_argument, NULL, O_WATCH },
		{ "count", required_argument, NULL, O_COUNT },
		{}
	};
	struct stats_opts o = { .v.args = json_object() };
	json_t *res = NULL, *prev = NULL;
	struct timespec ts = {};
	char *pos[1] = { 0 };
	long n_done = 0;
	int n, r;

	r = split_args(argc, argv, opts, stats_opt, &o, pos, 1, &n);
	if (!r && n == 1)
		r = -vip_arg(pos[0], o.v.port, o.v.proto, o.v.args, true);
	if (r) {
		json_decref(o.v.args);
		return exit_status(r);
	}
	signal(SIGINT, on_sigint);
	for (;;) {
		r = call("stats", json_incref(o.v.args), &res);
		if (r)
			break;
		if (opt_json)
			print_json(res);
		else {
			if (o.watch > 0) {
				time_t t = time(NULL);
				char tb[32];

				strftime(tb, sizeof(tb), "%H:%M:%S",
					 localtime(&t));
				printf("--- %s\n", tb);
			}
			print_stats(res, prev, o.watch);
		}
		fflush(stdout);
		json_decref(prev);
		prev = res;
		res = NULL;
		n_done++;
		if (o.watch <= 0 || interrupted ||
		    (o.count && n_done >= o.count))
			break;
		ts.tv_sec = (time_t)o.watch;
		ts.tv_nsec = (long)((o.watch - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		if (interrupted)
			break;
	}
	json_decref(prev);
	json_decref(o.v.args);
	return r;
}

/* --- flow ----------------------------------------------------------------- */

/* the answer about --dcid: a line of what the QUIC id does */
static void flow_print_quic(json_t *res)
{
	const char *q = jstr(res, "quic");

	if (!strcmp(q, "off"))
		printf("  quic: the VIP does not route on connection IDs\n");
	else if (!strcmp(q, "no_id"))
		printf("  quic: no server id in this DCID (no_id): the ring "
		       "decides\n");
	else if (!strcmp(q, "routed"))
		printf("  quic, without a connection entry: server id %s -> "
		       "%s (routed)\n",
		       jstr(res, "quic_id"), jstr(res, "quic_backend"));
	else
		printf("  quic, without a connection entry: server id %s %s "
		       "(%s): the ring decides\n",
		       jstr(res, "quic_id"),
		       strcmp(q, "fallback") ? "names no backend" :
					       "names a backend that is not up",
		       q);
}

static int flow_opt(int c, const char *val, void *ctx)
{
	struct vip_opts *o = ctx;

	if (c != O_DCID)
		return vip_opt(c, val, ctx);
	json_object_set_new(o->args, "dcid", json_string(val));
	return 0;
}

static int do_flow(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_VIP_OPTS,
		{ "dcid", required_argument, NULL, O_DCID },
		{},
	};
	struct vip_opts o = { .args = json_object() };
	unsigned long sp = 0, dp = 0;
	json_t *res = NULL;
	char *pos[4] = { 0 };
	int n, r;

	r = split_args(argc, argv, opts, flow_opt, &o, pos, 4, &n);
	if (!r && n < 3)
		r = -usage_err("need VIP SRC_IP SRC_PORT");
	if (!r)
		r = -vip_arg(pos[0], o.port, o.proto, o.args, true);
	if (!r)
		r = -addr_arg("SRC_IP", pos[1], o.args, "src");
	if (!r)
		r = -uint_arg("SRC_PORT", pos[2], 0, 65535, &sp);
	if (!r)
		json_object_set_new(o.args, "sport", json_integer(sp));
	if (!r && n == 4) {
		r = -uint_arg("DST_PORT", pos[3], 0, 65535, &dp);
		if (!r)
			json_object_set_new(o.args, "dport", json_integer(dp));
	}
	if (r) {
		json_decref(o.args);
		return exit_status(r);
	}
	r = call("flow", o.args, &res);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
	} else {
		printf("vip %s: backend %s (from %s)\n", jstr(res, "vip"),
		       jstr(res, "backend"), jstr(res, "from"));
		printf("  hash %s, ring slot %lld -> %s\n", jstr(res, "hash"),
		       jint(res, "slot"), jstr(res, "ring_backend"));
		printf("  connection table: %s%s%s\n",
		       json_is_true(json_object_get(res, "in_conn_table")) ?
			       "yes, " :
			       "no",
		       json_is_true(json_object_get(res, "in_conn_table")) ?
			       "-> " :
			       "",
		       json_is_true(json_object_get(res, "in_conn_table")) ?
			       jstr(res, "conn_backend") :
			       "");
		if (json_object_get(res, "quic"))
			flow_print_quic(res);
		if (json_object_get(res, "second_chance_left_ms"))
			printf("  second chance: a packet without SYN would "
			       "take the previous ring -> %s (window %.1fs "
			       "left)\n",
			       jstr(res, "prev_ring_backend"),
			       jint(res, "second_chance_left_ms") / 1000.0);
	}
	json_decref(res);
	return 0;
}

/* --- status, reload, config, log, dp ---------------------------------------- */

static int no_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, {}
	};
	int r = parse_opts(argc, argv, opts, NULL, NULL);

	if (r < 0)
		return r;
	if (r < argc)
		return -usage_err("unexpected argument '%s'", argv[r]);
	return 0;
}

#define NO_ARGS()                                \
	do {                                     \
		int __r = no_args(argc, argv);   \
		if (__r)                         \
			return exit_status(__r); \
	} while (0)

static void print_status(json_t *res)
{
	json_t *dpj, *f;
	size_t i;

	dpj = json_object_get(res, "data_path");
	printf("xlbd %s, pid %lld, up %llds, config %s, log %s\n",
	       jstr(res, "version"), jint(res, "pid"), jint(res, "uptime_s"),
	       jstr(res, "config"), jstr(res, "log_level"));
	printf("data path: %s maps in %s, %s; %lld VIPs max, %lld backends "
	       "max, ring %lld, %lld flows per family\n",
	       json_is_true(json_object_get(dpj, "adopted")) ? "re-adopted" :
							       "new",
	       jstr(dpj, "pin_dir"),
	       json_is_true(json_object_get(dpj, "attached")) ? "attached" :
								"NOT attached",
	       jint(dpj, "max_vips"), jint(dpj, "max_backends"),
	       jint(dpj, "ring_max"), jint(dpj, "conn_max"));
	if (json_is_false(json_object_get(dpj, "healthy")))
		printf("data path UNHEALTHY (every VIP withdrawn): %s\n",
		       jstr(dpj, "error"));
	if (json_object_get(dpj, "second_chance_s")) {
		long long sc = jint(dpj, "second_chance_s");

		if (sc)
			printf("second chance: %llds after a ring change\n",
			       sc);
		else
			printf("second chance: off\n");
	}
	if (json_object_get(dpj, "flows_ipv4"))
		printf("flows: %lld IPv4, %lld IPv6\n", jint(dpj, "flows_ipv4"),
		       jint(dpj, "flows_ipv6"));
	json_array_foreach (json_object_get(res, "interfaces"), i, f)
		printf("interface %s (ifindex %lld): %s, %s mode%s\n",
		       jstr(f, "name"), jint(f, "ifindex"),
		       json_is_true(json_object_get(f, "attached")) ?
			       "attached" :
			       "NOT attached",
		       jstr(f, "mode"),
		       json_is_true(json_object_get(f, "dispatcher")) ?
			       ", libxdp dispatcher" :
			       "");
	printf("%lld VIPs (%lld servable), %lld backends\n", jint(res, "vips"),
	       jint(res, "vips_servable"), jint(res, "backends"));
}

static int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flows", no_argument, NULL, O_FLOWS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	json_t *res = NULL, *args = json_object();
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(cur);
			json_decref(args);
			return 0;
		}
		if (c == O_FLOWS) {
			json_object_set_new(args, "flows", json_true());
			continue;
		}
		json_decref(args);
		return usage_err("unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc) {
		json_decref(args);
		return usage_err("unexpected argument '%s'", argv[optind]);
	}
	r = call("status", args, &res);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
		json_decref(res);
		return 0;
	}
	print_status(res);
	json_decref(res);
	return 0;
}

static int do_config_dump(int argc, char **argv)
{
	json_t *res = NULL;
	int r;

	NO_ARGS();
	r = call("config.dump", NULL, &res);
	if (r)
		return r;
	if (opt_json)
		print_json(res);
	else
		fputs(jstr(res, "yaml"), stdout);
	json_decref(res);
	return 0;
}

static int do_log_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, {}
	};
	int r = parse_opts(argc, argv, opts, NULL, NULL);

	if (r < 0)
		return exit_status(r);
	if (argc - r != 1)
		return usage_err("need LEVEL");
	if (xlb_log_level_parse(argv[r]) < 0)
		return usage_err("LEVEL must be err, warn, info or debug");
	return call_print_done("log.set", json_pack("{s:s}", "level", argv[r]));
}

/*
 * dp detach loses every flow: ask first on a terminal; elsewhere (a
 * script, a pipe) only --yes says the caller means it.
 */
static int do_dp_detach(int argc, char **argv)
{
	static const struct option opts[] = { { "yes", no_argument, NULL, 'y' },
					      { "help", no_argument, NULL,
						'h' },
					      {} };
	bool yes = false;
	char ans[16];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hy", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(cur);
			return 0;
		}
		if (c != 'y')
			return usage_err("unknown option '%s'",
					 argv[optind - 1]);
		yes = true;
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!yes && !isatty(STDIN_FILENO))
		return usage_err("dp detach stops xlbd and every flow is lost: "
				 "stdin is not a terminal to confirm on, so "
				 "give --yes");
	if (!yes) {
		fprintf(stderr,
			"Detach xlb from every interface, remove its pinned "
			"maps and stop xlbd?\nEvery flow through this host "
			"is lost. [y/N] ");
		fflush(stderr);
		if (!fgets(ans, sizeof(ans), stdin) ||
		    (strcmp(ans, "y\n") && strcmp(ans, "yes\n") &&
		     strcmp(ans, "Y\n"))) {
			fprintf(stderr, "xlbctl: not detached\n");
			return 1;
		}
	}
	return call_print_done("dp.detach", NULL);
}

/* --- bgp, pop ------------------------------------------------------------- */

/* xlbd's side of the announcements, one line per VIP */
static void print_bgp_vips(json_t *res)
{
	size_t i;
	json_t *v;

	printf("\n%-40s %-9s %-8s %s\n", "VIP", "SERVABLE", "DECIDED",
	       "ANNOUNCED");
	json_array_foreach (json_object_get(res, "vips"), i, v) {
		printf("%-40s %-9s %-8s %s", jstr(v, "vip"),
		       json_is_true(json_object_get(v, "servable")) ? "yes" :
								      "no",
		       json_is_true(json_object_get(v, "decided")) ? "yes" :
								     "no",
		       json_is_true(json_object_get(v, "announced")) ? "yes" :
								       "no");
		if (json_object_get(v, "hold_down_left_ms"))
			printf(" (hold-down %lld ms left)",
			       jint(v, "hold_down_left_ms"));
		printf("\n");
	}
}

static int do_bgp_show(int argc, char **argv)
{
	struct xlb_bird_reply *br;
	json_t *res = NULL;
	char err[256];
	int r;

	NO_ARGS();
	r = call("bgp.show", NULL, &res);
	if (r)
		return r;
	if (!json_is_true(json_object_get(res, "enabled"))) {
		if (opt_json)
			print_json(res);
		else
			printf("bgp: not configured (no bgp section): nothing "
			       "is announced by xlbd\n");
		json_decref(res);
		return 0;
	}
	/* BIRD's own view, asked directly: xlbd reports its side */
	br = malloc(sizeof(*br));
	if (br && !xlb_bird_cmd(jstr(res, "bird_socket"), "show protocols",
				3000, br, err, sizeof(err)))
		json_object_set_new(res, "bird_protocols",
				    json_string(br->text));
	else
		json_object_set_new(res, "bird_protocols_error",
				    json_string(br ? err : "no memory"));
	free(br);
	if (opt_json) {
		print_json(res);
		json_decref(res);
		return 0;
	}
	printf("drain: %s, hold-down %lld ms, include file %s\n",
	       jstr(res, "drain"), jint(res, "hold_down_ms"),
	       jstr(res, "include_file"));
	printf("BIRD at %s: %s", jstr(res, "bird_socket"),
	       json_is_true(json_object_get(res, "bird_synced")) ?
		       "has the current list (verified)" :
	       json_is_true(json_object_get(res, "bird_busy")) ?
		       "being reconfigured" :
		       "NOT in step");
	if (jint(res, "bird_failures"))
		printf(", %lld failed attempts", jint(res, "bird_failures"));
	if (json_object_get(res, "bird_last_error"))
		printf("\n  last error: %s", jstr(res, "bird_last_error"));
	print_bgp_vips(res);
	if (json_object_get(res, "bird_protocols"))
		printf("\nBIRD protocols:\n%s\n", jstr(res, "bird_protocols"));
	else
		printf("\nBIRD protocols: cannot ask BIRD: %s\n",
		       jstr(res, "bird_protocols_error"));
	json_decref(res);
	return 0;
}

/* packets of every VIP since xlbd started counting, or -1 */
static long long vip_packets(void)
{
	json_t *res = NULL, *v;
	long long n = 0;
	size_t i;

	if (call("stats", NULL, &res))
		return -1;
	json_array_foreach (json_object_get(res, "vips"), i, v)
		n += jint(v, "packets");
	json_decref(res);
	return n;
}

struct drain_opts {
	bool wait;
	double timeout_s;
	double threshold;
};

static int drain_opt(int opt, const char *val, void *ctx)
{
	struct drain_opts *o = ctx;
	char *end;
	double x;

	if (opt == O_WAIT) {
		o->wait = true;
		return 0;
	}
	errno = 0;
	x = strtod(val ? val : "", &end);
	if (!val || !*val || *end || errno || !(x >= 0) ||
	    x > (opt == O_TIMEOUT ? 86400 : 1e12))
		return usage_err("--%s takes a number (%s), not '%s'",
				 opt == O_TIMEOUT ? "timeout" : "threshold",
				 opt == O_TIMEOUT ? "0..86400 seconds" :
						    "packets/s",
				 val ? val : "");
	if (opt == O_TIMEOUT)
		o->timeout_s = x;
	else
		o->threshold = x;
	return 0;
}

static int do_pop_drain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, O_WAIT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct drain_opts o = { .timeout_s = -1, .threshold = 10 };
	long long p0, p1;
	double rate = -1, waited = 0;
	int r;

	r = parse_opts(argc, argv, opts, drain_opt, &o);
	if (r < 0)
		return exit_status(r);
	if (r < argc)
		return usage_err("unexpected argument '%s'", argv[r]);
	if (!o.wait)
		return call_print_done("pop.drain", NULL);
	if (o.timeout_s < 0) { /* bgp.drain_timeout_s */
		json_t *res = NULL;

		r = call("bgp.show", NULL, &res);
		if (r)
			return r;
		o.timeout_s = (double)jint(res, "drain_timeout_s");
		json_decref(res);
	}
	r = call_print_done("pop.drain", NULL);
	if (r)
		return r;
	/* routers now prefer other PoPs: wait for the traffic to go */
	p0 = vip_packets();
	while (p0 >= 0 && waited < o.timeout_s) {
		sleep(1);
		waited += 1;
		p1 = vip_packets();
		if (p1 < 0)
			break;
		rate = (double)(p1 - p0);
		p0 = p1;
		if (!opt_json)
			printf("  %.0f s: %.0f VIP packets/s\n", waited, rate);
		if (rate <= o.threshold)
			break;
	}
	if (!opt_json) {
		if (rate >= 0 && rate <= o.threshold)
			printf("traffic at %.0f packets/s (threshold %.0f): "
			       "withdrawing\n",
			       rate, o.threshold);
		else
			printf("still %.0f packets/s after %.0f s: "
			       "withdrawing anyway\n",
			       rate, waited);
	}
	return call_print_done("pop.drain",
			       json_pack("{s:b}", "withdraw", true));
}

static int do_pop_undrain(int argc, char **argv)
{
	NO_ARGS();
	return call_print_done("pop.undrain", NULL);
}

/* --- show, top ------------------------------------------------------------ */

/* the key arguments (address, port, protocol) of a vip.list entry */
static json_t *vip_key(json_t *v)
{
	return json_pack("{s:O,s:O,s:O}", "address",
			 json_object_get(v, "address"), "port",
			 json_object_get(v, "port"), "protocol",
			 json_object_get(v, "protocol"));
}

/* every VIP with its backends (vip.list, then vip.list of each one) */
static int fetch_vips_full(json_t **out)
{
	json_t *list = NULL, *one, *v, *arr;
	size_t i;
	int r;

	*out = NULL;
	r = call("vip.list", NULL, &list);
	if (r)
		return r;
	arr = json_array();
	json_array_foreach (list, i, v) {
		one = NULL;
		r = call("vip.list", vip_key(v), &one);
		if (r)
			break;
		json_array_append(arr, json_array_get(one, 0));
		json_decref(one);
	}
	json_decref(list);
	if (r) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}

static void print_vip_line(json_t *v)
{
	char name[96], fwd[32];

	printf("\nvip %s%s%s%s: %s, %lld of %lld backends healthy, %s, "
	       "ring %lld\n",
	       vip_name(v, name, sizeof(name)),
	       json_object_get(v, "name") ? " (" : "",
	       json_object_get(v, "name") ? jstr(v, "name") : "",
	       json_object_get(v, "name") ? ")" : "", fwd_str(v, fwd),
	       jint(v, "healthy"), jint(v, "backends"),
	       json_is_true(json_object_get(v, "servable")) ? "servable" :
							      "NOT servable",
	       jint(v, "ring_size"));
}

/*
 * show: everything in one view, for a first look at a host: status, every
 * VIP with its backends (health, next hop, why out), and what xlbd
 * announces when BGP is configured.
 */
static int do_show(int argc, char **argv)
{
	json_t *st = NULL, *vips = NULL, *bgp = NULL, *v;
	size_t i;
	int r;

	NO_ARGS();
	r = call("status", NULL, &st);
	r = r ?: fetch_vips_full(&vips);
	r = r ?: call("bgp.show", NULL, &bgp);
	if (r)
		goto out;
	if (opt_json) {
		json_t *all = json_pack("{s:O,s:O,s:O}", "status", st, "vips",
					vips, "bgp", bgp);

		print_json(all);
		json_decref(all);
		goto out;
	}
	print_status(st);
	json_array_foreach (vips, i, v) {
		print_vip_line(v);
		print_backends(json_object_get(v, "backend_list"));
	}
	if (json_is_true(json_object_get(bgp, "enabled"))) {
		printf("\nannouncements (drain %s; BIRD %s):",
		       jstr(bgp, "drain"),
		       json_is_true(json_object_get(bgp, "bird_synced")) ?
			       "in step" :
			       "NOT in step");
		print_bgp_vips(bgp);
	} else {
		printf("\nbgp: not configured (no bgp section): nothing is "
		       "announced by xlbd\n");
	}
out:
	json_decref(st);
	json_decref(vips);
	json_decref(bgp);
	return r;
}

/* one line of top: a VIP, or a backend of a VIP */
struct top_row {
	char vip[96];
	char be[48];
	double pps, bps, fps, dps;
	char health[16], dp[32], extra[32], ann[8];
	long long conns;
};

enum top_view { TOP_VIPS, TOP_BACKENDS };

struct top {
	enum top_view view;
	json_t *cur, *prev; /* stats */
	json_t *vips; /* fetch_vips_full() */
	json_t *bgp;
	double dt;
	bool tty_out;
};

static json_t *find_by(json_t *arr, const char *key, const char *want)
{
	char name[96];
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v) {
		const char *k =
			key ? jstr(v, key) : vip_name(v, name, sizeof(name));

		if (!strcmp(k, want))
			return v;
	}
	return NULL;
}

static double rate(json_t *now, json_t *before, const char *k, double dt)
{
	if (!before || dt <= 0)
		return 0;
	return (double)(jint(now, k) - jint(before, k)) / dt;
}

static const char *human(double x, char *buf, size_t len)
{
	if (x >= 1e9)
		snprintf(buf, len, "%.1fG", x / 1e9);
	else if (x >= 1e6)
		snprintf(buf, len, "%.1fM", x / 1e6);
	else if (x >= 1e4)
		snprintf(buf, len, "%.1fk", x / 1e3);
	else
		snprintf(buf, len, "%.0f", x);
	return buf;
}

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	int c;

	if (x->pps != y->pps)
		return x->pps < y->pps ? 1 : -1;
	if (x->bps != y->bps)
		return x->bps < y->bps ? 1 : -1;
	c = strcmp(x->vip, y->vip);
	return c ? c : strcmp(x->be, y->be);
}

static size_t top_rows(struct top *t, struct top_row **out)
{
	json_t *vs = json_object_get(t->cur, "vips"), *v, *pv, *b, *pb, *fv,
	       *fb;
	size_t i, j, n = 0, cap = 16;
	struct top_row *rows = calloc(cap, sizeof(*rows)), *r;
	char name[96], dpb[48];

	json_array_foreach (vs, i, v) {
		vip_name(v, name, sizeof(name));
		pv = t->prev ? find_by(json_object_get(t->prev, "vips"), NULL,
				       name) :
			       NULL;
		fv = find_by(t->vips, NULL, name);
		for (j = 0;
		     j <= json_array_size(json_object_get(v, "backends"));
		     j++) {
			bool is_vip = j == 0;

			if (t->view == TOP_VIPS && !is_vip)
				break;
			if (t->view == TOP_BACKENDS && is_vip)
				continue;
			if (n == cap) {
				struct top_row *nr;

				nr = realloc(rows, 2 * cap * sizeof(*rows));
				if (!nr)
					goto done;
				rows = nr;
				cap *= 2;
			}
			if (!rows)
				return 0;
			r = &rows[n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->vip, sizeof(r->vip), "%s", name);
			if (is_vip) {
				json_t *bv =
					find_by(json_object_get(t->bgp, "vips"),
						"vip", name);

				r->pps = rate(v, pv, "packets", t->dt);
				r->bps = 8 * rate(v, pv, "bytes", t->dt);
				r->fps = rate(v, pv, "new_flows", t->dt);
				r->dps = rate(v, pv, "drops", t->dt);
				snprintf(r->health, sizeof(r->health),
					 "%lld/%lld", jint(fv, "healthy"),
					 jint(fv, "backends"));
				snprintf(r->dp, sizeof(r->dp), "%s",
					 !fv ? "-" :
					 json_is_true(json_object_get(
						 fv, "servable")) ?
					       "yes" :
					       "no");
				snprintf(r->ann, sizeof(r->ann), "%s",
					 !bv ? "-" :
					 json_is_true(json_object_get(
						 bv, "announced")) ?
					       "yes" :
					       "no");
				snprintf(r->extra, sizeof(r->extra), "%s",
					 fv && json_object_get(fv, "name") ?
						 jstr(fv, "name") :
						 "");
				continue;
			}
			b = json_array_get(json_object_get(v, "backends"),
					   j - 1);
			snprintf(r->be, sizeof(r->be), "%s",
				 jstr(b, "address"));
			pb = pv ? find_by(json_object_get(pv, "backends"),
					  "address", r->be) :
				  NULL;
			fb = fv ? find_by(json_object_get(fv, "backend_list"),
					  "address", r->be) :
				  NULL;
			r->pps = rate(b, pb, "packets", t->dt);
			r->bps = 8 * rate(b, pb, "bytes", t->dt);
			r->fps = rate(b, pb, "new_flows", t->dt);
			snprintf(r->health, sizeof(r->health), "%s",
				 fb ? jstr(json_object_get(fb, "health"),
					   "state") :
				      "-");
			snprintf(r->dp, sizeof(r->dp), "%s",
				 fb ? dp_col(fb, dpb, sizeof(dpb)) :
				      jstr(b, "dp_state"));
			r->conns = -1;
			if (json_is_integer(json_object_get(
				    json_object_get(fb, "conns"), "active")))
				r->conns = jint(json_object_get(fb, "conns"),
						"active");
		}
	}
done:
	if (rows)
		qsort(rows, n, sizeof(*rows), row_cmp);
	*out = rows;
	return n;
}

static void top_draw(struct top *t)
{
	struct top_row *rows = NULL;
	char a[16], b[16], c[16], d[16], ts[32];
	time_t now = time(NULL);
	size_t i, n;

	n = top_rows(t, &rows);
	if (t->tty_out)
		printf("\033[H\033[2J");
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	printf("xlbctl top - %s - %s, ", ts,
	       t->view == TOP_VIPS ? "VIPs" : "backends");
	if (t->dt > 0)
		printf("rates over %.1f s", t->dt);
	else
		printf("rates from the next frame");
	printf("%s\n\n",
	       t->tty_out ? "   [v] VIPs  [b] backends  [q] quit" : "");
	if (t->view == TOP_VIPS) {
		printf("%-32s %9s %9s %9s %9s %7s %8s %9s  %s\n", "VIP",
		       "PKT/S", "BIT/S", "FLOWS/S", "DROPS/S", "UP/ALL",
		       "SERVABLE", "ANNOUNCED", "NAME");
		for (i = 0; i < n; i++)
			printf("%-32s %9s %9s %9s %9s %7s %8s %9s  %s\n",
			       rows[i].vip, human(rows[i].pps, a, sizeof(a)),
			       human(rows[i].bps, b, sizeof(b)),
			       human(rows[i].fps, c, sizeof(c)),
			       human(rows[i].dps, d, sizeof(d)), rows[i].health,
			       rows[i].dp, rows[i].ann, rows[i].extra);
	} else {
		printf("%-28s %-24s %9s %9s %9s %-8s %-17s %7s\n", "VIP",
		       "BACKEND", "PKT/S", "BIT/S", "FLOWS/S", "HEALTH",
		       "DATAPATH", "ACTIVE");
		for (i = 0; i < n; i++) {
			char cn[24] = "-";

			if (rows[i].conns >= 0)
				snprintf(cn, sizeof(cn), "%lld", rows[i].conns);
			printf("%-28s %-24s %9s %9s %9s %-8s %-17s %7s\n",
			       rows[i].vip, rows[i].be,
			       human(rows[i].pps, a, sizeof(a)),
			       human(rows[i].bps, b, sizeof(b)),
			       human(rows[i].fps, c, sizeof(c)), rows[i].health,
			       rows[i].dp, cn);
		}
	}
	fflush(stdout);
	free(rows);
}

static struct termios top_saved;
static bool top_raw;

static void top_restore(void)
{
	if (top_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &top_saved);
		top_raw = false;
		printf("\033[?25h");
		fflush(stdout);
	}
}

/* keys without Enter, no echo; restored at exit and on SIGINT/SIGTERM */
static void top_raw_mode(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &top_saved))
		return;
	t = top_saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	top_raw = true;
	atexit(top_restore);
	printf("\033[?25l");
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait @ms for a key (raw mode) or just wait; returns the key or 0 */
static int top_wait(int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	if (!top_raw) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		return 0;
	}
	if (poll(&p, 1, ms) == 1 && read(STDIN_FILENO, &c, 1) == 1)
		return c;
	return 0;
}

static int top_fetch(struct top *t)
{
	json_t *st = NULL, *vips = NULL, *bgp = NULL;
	int r;

	r = call("stats", NULL, &st);
	r = r ?: fetch_vips_full(&vips);
	r = r ?: call("bgp.show", NULL, &bgp);
	if (r) {
		json_decref(st);
		json_decref(vips);
		return r;
	}
	json_decref(t->prev);
	t->prev = t->cur;
	t->cur = st;
	json_decref(t->vips);
	t->vips = vips;
	json_decref(t->bgp);
	t->bgp = bgp;
	return 0;
}

struct top_opts {
	long frames;
	enum top_view view;
};

static int top_opt(int c, const char *val, void *ctx)
{
	struct top_opts *o = ctx;
	char *end;

	switch (c) {
	case O_ONCE:
		o->frames = 1;
		return 0;
	case 'n':
	case O_COUNT:
		o->frames = strtol(val, &end, 10);
		if (*end || o->frames < 1)
			return usage_err("-n takes a positive number of "
					 "frames");
		return 0;
	case O_VIEW:
		if (!strcmp(val, "vips"))
			o->view = TOP_VIPS;
		else if (!strcmp(val, "backends"))
			o->view = TOP_BACKENDS;
		else
			return usage_err("--view must be vips or backends");
		return 0;
	}
	return usage_err("bad option");
}

/*
 * top: a live view, redrawn every second from the deltas of "stats";
 * VIPs or backends sorted by packet rate. On a terminal, v/b switch the
 * view and q quits; --once and -n N draw N frames (the first one a second
 * after start: rates need two samples) and stop.
 */
static int do_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, O_ONCE },
		{ "count", required_argument, NULL, O_COUNT },
		{ "view", required_argument, NULL, O_VIEW },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct top_opts o = { .view = TOP_VIPS };
	struct top t = {};
	struct sigaction sa = { .sa_handler = on_sigint };
	long long next, last;
	bool drawn = false;
	long done = 0;
	int c, r, key;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hn:", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(cur);
			return 0;
		}
		if (c == '?' || c == ':')
			return usage_err("unknown or incomplete option '%s'",
					 argv[optind - 1]);
		r = top_opt(c, optarg, &o);
		if (r)
			return r;
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (opt_json)
		return usage_err("top has no JSON output: use xlbctl -j stats, "
				 "-j show");
	t.view = o.view;
	t.tty_out = isatty(STDOUT_FILENO);
	/* no SA_RESTART: a signal ends the wait at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = top_fetch(&t);
	if (r)
		return r;
	if (!o.frames && t.tty_out && isatty(STDIN_FILENO)) {
		/* interactive: show the hosts at once, rates from the next */
		top_raw_mode();
		top_draw(&t);
		drawn = true;
	}
	last = mono_ms();
	next = last + 1000;
	while (!interrupted) {
		long long left = next - mono_ms();

		key = left > 0 ? top_wait((int)left) : 0;
		if (interrupted || key == 'q' || key == 'Q')
			break;
		if (key == 'v' || key == 'b') {
			t.view = key == 'v' ? TOP_VIPS : TOP_BACKENDS;
			if (drawn)
				top_draw(&t);
		}
		if (mono_ms() < next)
			continue;
		r = top_fetch(&t);
		if (r)
			break;
		t.dt = (double)(mono_ms() - last) / 1000.0;
		last = mono_ms();
		next += 1000;
		if (next < last)
			next = last + 1000;
		top_draw(&t);
		drawn = true;
		if (o.frames && ++done >= o.frames)
			break;
	}
	top_restore();
	json_decref(t.cur);
	json_decref(t.prev);
	json_decref(t.vips);
	json_decref(t.bgp);
	return r;
}

/* --- health checks, config diff, reload plan ------------------------------ */

static int check_edit(int argc, char **argv, const char *cmd, bool fields)
{
	static const struct option help[] = {
		{ "help", no_argument, NULL, 'h' }, {}
	};
	struct option opts[40];
	json_t *args = json_object();
	char *pos[1] = { 0 };
	int n, r;

	r = split_args(argc, argv,
		       fields ? obj_opts(&xlb_obj_check, help, opts, 40) : help,
		       check_opt, args, pos, 1, &n);
	if (!r && n != 1)
		r = -usage_err("missing NAME");
	if (r) {
		json_decref(args);
		return exit_status(r);
	}
	json_object_set_new(args, "name", json_string(pos[0]));
	if (!strcmp(cmd, "check.add") && !json_object_get(args, "type")) {
		json_decref(args);
		return usage_err("missing --type");
	}
	if (!strcmp(cmd, "check.set") && json_object_size(args) < 2) {
		json_decref(args);
		return usage_err("nothing to set");
	}
	return call_print_done(cmd, args);
}

static int do_check_add(int argc, char **argv)
{
	return check_edit(argc, argv, "check.add", true);
}

static int do_check_set(int argc, char **argv)
{
	return check_edit(argc, argv, "check.set", true);
}

static int do_check_del(int argc, char **argv)
{
	return check_edit(argc, argv, "check.del", false);
}

static int do_check_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, {}
	};
	json_t *res = NULL, *args = json_object(), *c, *v, *u;
	char *pos[1] = { 0 };
	const char *k;
	size_t i, j;
	int n, r;

	r = split_args(argc, argv, opts, NULL, NULL, pos, 1, &n);
	if (r) {
		json_decref(args);
		return r == -100 ? 0 : -r;
	}
	if (n)
		json_object_set_new(args, "name", json_string(pos[0]));
	r = call("check.list", args, &res);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
		json_decref(res);
		return 0;
	}
	json_array_foreach (res, i, c) {
		printf("check %s: %s", jstr(c, "name"), jstr(c, "type"));
		json_object_foreach (c, k, v) {
			char *s;

			if (!strcmp(k, "name") || !strcmp(k, "type") ||
			    !strcmp(k, "used_by"))
				continue;
			s = json_is_string(v) ?
				    strdup(json_string_value(v)) :
				    json_dumps(v,
					       JSON_COMPACT | JSON_ENCODE_ANY);
			printf(", %s %s", k, s ? s : "?");
			free(s);
		}
		printf("\n");
		json_array_foreach (json_object_get(c, "used_by"), j, u)
			printf("  used by %s\n", json_string_value(u));
	}
	json_decref(res);
	return 0;
}

static void print_changes(json_t *changes, const char *none)
{
	char line[1024];
	json_t *c;
	size_t i;

	if (!json_array_size(changes) && none)
		printf("%s\n", none);
	json_array_foreach (changes, i, c) {
		xlb_diff_line(c, line, sizeof(line));
		printf("%s\n", line);
	}
}

static int do_config_diff(int argc, char **argv)
{
	json_t *res = NULL;
	int r;

	NO_ARGS();
	r = call("config.diff", NULL, &res);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
	} else {
		printf("# runtime overrides of %s (kept in %s)\n",
		       jstr(res, "config"), jstr(res, "state_file"));
		print_changes(json_object_get(res, "changes"),
			      "none: the running configuration is the file's");
	}
	json_decref(res);
	return 0;
}

static int dry_run_opt(int c, const char *v, void *ctx)
{
	(void)v;
	if (c != 'n')
		return usage_err("bad option");
	json_object_set_new(ctx, "dry_run", json_true());
	return 0;
}

static int do_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	json_t *res = NULL, *args = json_object(), *n;
	char *pos[1];
	size_t i;
	int np, r;

	r = split_args(argc, argv, opts, dry_run_opt, args, pos, 0, &np);
	if (r) {
		json_decref(args);
		return r == -100 ? 0 : -r;
	}
	r = call("reload", args, &res);
	if (r)
		return r;
	if (opt_json) {
		print_json(res);
		json_decref(res);
		return 0;
	}
	print_changes(json_object_get(res, "plan"), "no change");
	json_array_foreach (json_object_get(res, "overrides_dropped"), i, n)
		printf("! %s\n", json_string_value(n));
	printf("%s\n", jstr(res, "done"));
	json_decref(res);
	return 0;
}

/* the same as bgp.drain: withdrawn, at once, with no graceful phase */
static int do_pop_withdraw(int argc, char **argv)
{
	NO_ARGS();
	return call_print_done("pop.drain",
			       json_pack("{s:b}", "withdraw", true));
}

struct bgp_init_opts {
	const char *file;
	bool force;
};

static int bgp_init_opt(int opt, const char *val, void *ctx)
{
	struct bgp_init_opts *o = ctx;

	if (opt == 'f')
		o->file = val;
	else
		o->force = true;
	return 0;
}

/*
 * The include file BIRD needs before xlbd has run: xlbd's own text with no
 * VIP (announce.c), so it stays in one place. Runs locally, needs no xlbd.
 * An existing file is kept: it may be xlbd's, announcing VIPs.
 */
static int do_bgp_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct bgp_init_opts o = { .file = "/run/xlb/bird-vips.conf" };
	char text[1024], err[512];
	int r;

	r = parse_opts(argc, argv, opts, bgp_init_opt, &o);
	if (r == -100)
		return 0;
	if (r < 0)
		return -r;
	if (r < argc)
		return usage_err("unexpected argument '%s'", argv[r]);
	if (!o.force && access(o.file, F_OK) == 0) {
		if (!opt_json)
			printf("%s exists: kept (--force replaces it and "
			       "withdraws every VIP at BIRD's next configure)\n",
			       o.file);
		return 0;
	}
	r = xlb_ann_render(NULL, 0, false, 0, text, sizeof(text));
	if (r < 0 || xlb_ann_write(o.file, text, err, sizeof(err))) {
		fprintf(stderr, "xlbctl: bgp init: %s\n",
			r < 0 ? "render failed" : err);
		return 1;
	}
	if (!opt_json)
		printf("%s written: announces nothing until xlbd decides\n",
		       o.file);
	return 0;
}

/* --- table ---------------------------------------------------------------- */

#define VIPU "VIP [--port P|any] [--proto tcp|udp]"

static const struct cmd cmds[] = {
	{ "vip", "add", do_vip_add, VIPU,
	  "Add a VIP (kept in the state file, see config diff).",
	  &xlb_obj_vip },
	{ "vip", "set", do_vip_set, VIPU, "Change a VIP's options.",
	  &xlb_obj_vip },
	{ "vip", "del", do_vip_del, VIPU, "Delete a VIP and its backends." },
	{ "vip", "show", do_vip_show, "[" VIPU "]",
	  "List VIPs, or show one with its backends." },
	{ "backend", "add", do_backend_add, VIPU " BACKEND",
	  "Add a backend to a VIP.", &xlb_obj_backend },
	{ "backend", "del", do_backend_del, VIPU " BACKEND",
	  "Remove a backend; its flows are re-hashed to the others." },
	{ "backend", "set", do_backend_set,
	  VIPU " BACKEND weight N | state up|drain|down | quic_id ID|none",
	  "Change a backend: weight 0 or state drain keeps its flows but "
	  "sends it no\nnew ones; state down moves its flows too.",
	  &xlb_obj_backend },
	{ "backend", "show", do_backend_show, VIPU,
	  "Backends of a VIP: state, data-path state, last check, latency, "
	  "next hop." },
	{ "stats", "", do_stats, "[" VIPU "] [--watch[=SECONDS]] [--count N]",
	  "Packets, bytes, new flows per VIP and backend, and every global "
	  "outcome\ncounter (drops by reason). --watch repeats with rates." },
	{ "flow", "", do_flow, VIPU " SRC_IP SRC_PORT [DST_PORT] [--dcid HEX]",
	  "Which backend a flow reaches, and whether it is in the connection "
	  "table.\nThe hash and ring are the data path's own. --dcid: a QUIC "
	  "packet of the flow\ncarrying that destination connection ID (hex, "
	  "at most 20 bytes), as the\ndata path routes it without a "
	  "connection entry: to the backend its\nserver id names if that one "
	  "is up, else through the ring." },
	{ "status", "", do_status, "[--flows]",
	  "Daemon, data path and interfaces. --flows counts the connection "
	  "tables." },
	{ "reload", "", do_reload, "[--dry-run]",
	  "Re-read the configuration file, keep the runtime overrides of "
	  "objects it\ndoes not change, and apply the difference. Prints the "
	  "plan (+ added,\n- removed, ~ changed) and the overrides dropped "
	  "(!). --dry-run prints\nthe plan and changes nothing." },
	{ "config", "dump", do_config_dump, "",
	  "Print the running configuration as a config file." },
	{ "config", "diff", do_config_diff, "",
	  "What the running configuration changes over the configuration "
	  "file: the\nruntime overrides kept in the state file." },
	{ "check", "add", do_check_add, "NAME",
	  "Add a health check, validated like the configuration file's.",
	  &xlb_obj_check },
	{ "check", "set", do_check_set, "NAME",
	  "Change a check. A new --type starts from that type's defaults.",
	  &xlb_obj_check },
	{ "check", "del", do_check_del, "NAME",
	  "Delete a check no VIP or backend uses." },
	{ "check", "show", do_check_show, "[NAME]",
	  "Checks of the running configuration and who uses them." },
	{ "log", "set", do_log_set, "err|warn|info|debug",
	  "Set xlbd's log level." },
	{ "bgp", "show", do_bgp_show, "",
	  "What xlbd announces through BIRD (servable, decided, announced, "
	  "hold-down),\nwhether BIRD has it, and BIRD's sessions." },
	{ "bgp", "init", do_bgp_init, "[--file PATH] [--force]",
	  "Write the BIRD include file that announces nothing (default\n"
	  "/run/xlb/bird-vips.conf), so BIRD can start before xlbd. Runs "
	  "locally;\nan existing file is kept unless --force." },
	{ "pop", "drain", do_pop_drain,
	  "[--wait] [--timeout S] [--threshold PPS]",
	  "Drain this PoP: every VIP route gets the GRACEFUL_SHUTDOWN community "
	  "and a\nprepended path, so routers prefer other PoPs. With --wait, "
	  "wait until the\nPoP's VIP traffic falls to PPS packets/s (default "
	  "10) or S seconds pass\n(default bgp.drain_timeout_s), then withdraw "
	  "every VIP. Kept across restarts." },
	{ "pop", "undrain", do_pop_undrain, "",
	  "Announce again what this PoP can serve." },
	{ "pop", "withdraw", do_pop_withdraw, "",
	  "Withdraw every VIP of this PoP now, with no graceful phase "
	  "(bgp.drain:\nwithdrawn). Kept across restarts; pop undrain "
	  "announces again." },
	{ "show", "", do_show, "",
	  "Everything in one view: status, every VIP with its backends "
	  "(health, next hop,\nwhy a backend is out, connections), and what "
	  "xlbd announces when BGP is\nconfigured." },
	{ "top", "", do_top, "[--once] [-n N] [--view vips|backends]",
	  "A live view, redrawn every second: packet, bit and new-flow rates "
	  "per VIP or\nbackend, sorted by packet rate, with health and "
	  "announce state. On a terminal,\nv shows VIPs, b backends, q quits. "
	  "--once draws one frame and -n N frames\n(a second apart; the "
	  "first a second after start) and stop." },
	{ "dp", "detach", do_dp_detach, "[--yes]",
	  "Detach the program from every interface, remove the pinned maps "
	  "and stop\nxlbd. Flows are lost: this is for taking xlb off a "
	  "host. Asks for\nconfirmation on a terminal; --yes skips the "
	  "question, and is required when\nstdin is not a terminal." },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: xlbctl [-j] [-s SOCKET] [-t MS] OBJECT VERB "
		   "[ARGS]\n\n");
	for (i = 0; i < N_CMDS; i++)
		fprintf(f, "  xlbctl %s%s%s\n", cmds[i].object,
			cmds[i].verb[0] ? " " : "", cmds[i].verb);
	fprintf(f, "  xlbctl backend-host setup|teardown|show\n");
	fprintf(f, "  xlbctl help\n");
	fprintf(f,
		"\n  -j, --json      JSON output\n"
		"  -s, --socket    xlbd's socket (default %s)\n"
		"  -t, --timeout   milliseconds to wait for xlbd (default "
		"10000)\n"
		"The global options may come anywhere on the line.\n"
		"\n'xlbctl OBJECT --help' lists an object's verbs, "
		"'xlbctl OBJECT VERB --help'\ndescribes one command. A VIP is "
		"ADDRESS [--port P|any] [--proto tcp|udp],\n"
		"ADDRESS:PORT[/PROTO], [IPV6]:PORT[/PROTO] or its configured "
		"name; the\nprotocol defaults to tcp.\n",
		XLB_DEFAULT_SOCKET);
}

/* "xlbctl vip --help": every verb of one object, with its usage */
static int object_help(const char *obj)
{
	size_t k;

	printf("xlbctl %s: one of\n\n", obj);
	for (k = 0; k < N_CMDS; k++) {
		const char *nl;

		if (strcmp(cmds[k].object, obj))
			continue;
		printf("  xlbctl %s %s %s\n", obj, cmds[k].verb, cmds[k].usage);
		nl = strchr(cmds[k].help, '\n');
		printf("      %.*s\n", nl ? (int)(nl - cmds[k].help) : 80,
		       cmds[k].help);
	}
	printf("\n'xlbctl %s VERB --help' describes one.\n", obj);
	return 0;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "help");
}

/* does a command of @obj have its own --@name option (pop drain --timeout)? */
static bool object_has_option(const char *obj, const char *name)
{
	char opt[32];
	size_t k;

	snprintf(opt, sizeof(opt), "--%s ", name);
	for (k = 0; obj && k < N_CMDS; k++)
		if (!strcmp(cmds[k].object, obj) && strstr(cmds[k].usage, opt))
			return true;
	return false;
}

/*
 * Global options may come anywhere on the line (an operator adds -j at
 * the end): move them to the front, before getopt sees the line. "--"
 * ends the scan; a command's own options are left where they are, and a
 * long global option a command also has (pop drain --timeout) is the
 * command's once the object is named.
 */
static void globals_first(int argc, char **argv)
{
	char **g = calloc((size_t)argc + 1, sizeof(*g));
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int i, ng = 0, nr = 0;
	const char *obj = NULL;
	bool done = false;

	if (!g || !rest)
		goto out;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool lt = !strcmp(a, "--timeout") ||
			  !strncmp(a, "--timeout=", 10);
		bool ls = !strcmp(a, "--socket") || !strncmp(a, "--socket=", 9);
		bool val = !strcmp(a, "-s") || !strcmp(a, "--socket") ||
			   !strcmp(a, "-t") || !strcmp(a, "--timeout");

		if (!strcmp(a, "--"))
			done = true;
		if ((lt && object_has_option(obj, "timeout")) ||
		    (ls && object_has_option(obj, "socket")))
			lt = ls = val = false; /* the command's own */
		if (!done && (val || lt || ls || !strcmp(a, "-j") ||
			      !strcmp(a, "--json"))) {
			g[ng++] = argv[i];
			if (val && i + 1 < argc)
				g[ng++] = argv[++i];
			continue;
		}
		if (!obj && a[0] != '-')
			obj = a;
		rest[nr++] = argv[i];
	}
	memcpy(argv + 1, g, (size_t)ng * sizeof(*g));
	memcpy(argv + 1 + ng, rest, (size_t)nr * sizeof(*rest));
out:
	free(g);
	free(rest);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *obj, *verb;
	bool known = false;
	int c, i;
	size_t k;
	char *end;

	xlb_log_init("xlbctl", XLB_LOG_WARN);
	/* hidden: xlb.yaml(5)'s key list and xlbctl(8)'s object options,
	 * from the field tables (deploy/man/update-keys.sh) */
	if (argc == 2 && !strcmp(argv[1], "--man-keys")) {
		xlb_fields_man(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--man-options")) {
		xlb_fields_man_opts(stdout);
		return 0;
	}
	if (getenv("XLB_SOCKET"))
		opt_socket = getenv("XLB_SOCKET");
	globals_first(argc, argv);
	while ((c = getopt_long(argc, argv, "+js:t:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 's':
			opt_socket = optarg;
			break;
		case 't':
			opt_timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || opt_timeout_ms < 1) {
				fprintf(stderr, "xlbctl: bad --timeout\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xlbctl 0.1.0\n");
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	obj = argv[optind];
	verb = optind + 1 < argc ? argv[optind + 1] : "";
	if (!strcmp(obj, "help")) {
		/* "xlbctl help [OBJECT]" */
		for (k = 0; verb[0] && k < N_CMDS; k++)
			if (!strcmp(cmds[k].object, verb) && cmds[k].verb[0])
				return object_help(verb);
		usage(stdout);
		return 0;
	}
	if (!strcmp(obj, "backend-host")) /* backend_host.c: runs locally */
		return xlbctl_backend_host(argc - optind - 1, argv + optind + 1,
					   opt_json);
	for (k = 0; k < N_CMDS; k++) {
		if (strcmp(cmds[k].object, obj))
			continue;
		known = true;
		if (!cmds[k].verb[0]) {
			/* verb-less command: the rest are its arguments */
			cur = &cmds[k];
			i = optind;
			return cmds[k].fn(argc - i, argv + i);
		}
		if (!strcmp(cmds[k].verb, verb)) {
			cur = &cmds[k];
			i = optind + 1;
			return cmds[k].fn(argc - i, argv + i);
		}
	}
	if (known && (!verb[0] || is_help(verb)))
		return object_help(obj);
	if (known) {
		fprintf(stderr, "xlbctl: %s: unknown verb '%s'; one of:", obj,
			verb);
		for (k = 0; k < N_CMDS; k++)
			if (!strcmp(cmds[k].object, obj))
				fprintf(stderr, " %s", cmds[k].verb);
		fprintf(stderr, "\n");
		return EXIT_USAGE;
	}
	fprintf(stderr, "xlbctl: unknown object '%s'\n", obj);
	usage(stderr);
	return EXIT_USAGE;
}
