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
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "api.h"
#include "backend_host_cmd.h"
#include "bird.h"
#include "config.h"
#include "log.h"

#define EXIT_USAGE 2

static bool opt_json;
static const char *opt_socket = XLB_DEFAULT_SOCKET;
static int opt_timeout_ms = 10000;

struct cmd {
	const char *object;
	const char *verb;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct cmd *cur;

static int usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xlbctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: xlbctl %s %s %s\n", cur->object, cur->verb,
		cur->usage);
	return EXIT_USAGE;
}

static void print_help(const struct cmd *c)
{
	printf("usage: xlbctl %s %s %s\n\n%s\n", c->object, c->verb, c->usage,
	       c->help);
}

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

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);

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

/* --- argument parsing ----------------------------------------------------- */

/*
 * Parse a VIP: ADDRESS (with --port/--proto among the options) or the
 * compact ADDRESS:PORT/PROTO. Fills address/port/protocol into @args.
 */
static int vip_arg(const char *s, const char *port, const char *proto,
		   json_t *args, bool need_proto)
{
	char buf[128], *slash, *colon, *addr = buf, *p = NULL;
	struct xlb_addr a;
	__u16 pn;

	if (!s)
		return usage_err("missing VIP");
	if (strlen(s) >= sizeof(buf))
		return usage_err("VIP '%s' is too long", s);
	strcpy(buf, s);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (proto)
			return usage_err("give the protocol once");
		proto = slash + 1;
		if (buf[0] == '[') {
			colon = strstr(buf, "]:");
			if (!colon)
				return usage_err("bad VIP '%s': use "
						 "[ADDR]:PORT/PROTO",
						 s);
			*colon = '\0';
			addr = buf + 1;
			p = colon + 2;
		} else {
			colon = strrchr(buf, ':');
			if (!colon)
				return usage_err("bad VIP '%s': use "
						 "ADDR:PORT/PROTO",
						 s);
			*colon = '\0';
			p = colon + 1;
		}
		if (port)
			return usage_err("give the port once");
		port = p;
	}
	if (xlb_addr_parse(addr, &a))
		return usage_err("'%s' is not an IPv4 or IPv6 address", addr);
	json_object_set_new(args, "address", json_string(addr));
	if (port) {
		if (xlb_port_parse(port, &pn) || (!pn && strcmp(port, "any")))
			return usage_err("port must be 1..65535 or any, not "
					 "'%s'",
					 port);
		json_object_set_new(args, "port",
				    pn ? json_integer(pn) : json_string("any"));
	}
	if (proto) {
		if (xlb_proto_parse(proto) < 0)
			return usage_err("protocol must be tcp or udp, not "
					 "'%s'",
					 proto);
		json_object_set_new(args, "protocol", json_string(proto));
	} else if (need_proto) {
		return usage_err("missing --proto tcp|udp");
	}
	return 0;
}

static int uint_arg(const char *name, const char *s, unsigned long max,
		    unsigned long *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return usage_err("%s: '%s' is not a number", name, s ? s : "");
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return usage_err("%s must be 0..%lu, not '%s'", name, max, s);
	return 0;
}

static int addr_arg(const char *name, const char *s, json_t *args,
		    const char *key)
{
	struct xlb_addr a;

	if (xlb_addr_parse(s, &a))
		return usage_err("%s: '%s' is not an IPv4 or IPv6 address",
				 name, s);
	json_object_set_new(args, key, json_string(s));
	return 0;
}

enum {
	O_PORT = 1000,
	O_PROTO,
	O_NAME,
	O_FWD,
	O_RING,
	O_MINH,
	O_NOCONN,
	O_HASH,
	O_NOANN,
	O_HC,
	O_WEIGHT,
	O_STATE,
	O_WATCH,
	O_COUNT,
	O_IFACE,
	O_VIP,
	O_FLOWS,
	O_WAIT,
	O_TIMEOUT,
	O_GENERIC,
	O_PINDIR,
	O_THRESHOLD,
};

#define COMMON_VIP_OPTS                                        \
	{ "port", required_argument, NULL, O_PORT },           \
		{ "proto", required_argument, NULL, O_PROTO }, \
	{                                                      \
		"help", no_argument, NULL, 'h'                 \
	}

/*
 * getopt_long over a command's options; returns the first positional
 * index, or a negative exit code. Options and positionals may mix.
 */
typedef int (*opt_fn)(int opt, const char *val, void *ctx);

static int parse_opts(int argc, char **argv, const struct option *opts,
		      opt_fn fn, void *ctx)
{
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(cur);
			return -100;
		}
		if (c == '?' || c == ':') {
			return -usage_err("unknown or incomplete option '%s'",
					  argv[optind - 1]);
		}
		r = fn ? fn(c, optarg, ctx) : usage_err("bad option");
		if (r)
			return -r;
	}
	return optind;
}

/* Collect positionals even when options follow them. */
static int split_args(int argc, char **argv, const struct option *opts,
		      opt_fn fn, void *ctx, char **pos, int maxpos, int *npos)
{
	char *av[128];
	int ac = 1, i, r;

	*npos = 0;
	if (argc > 127)
		return -usage_err("too many arguments");
	av[0] = argv[0];
	for (i = 1; i < argc; i++) {
		bool takes = false;
		const struct option *o;

		if (argv[i][0] == '-' && argv[i][1]) {
			av[ac++] = argv[i];
			for (o = opts; o->name; o++)
				if (argv[i][1] == '-' &&
				    !strcmp(argv[i] + 2, o->name) &&
				    o->has_arg == required_argument)
					takes = true;
			if (takes && i + 1 < argc)
				av[ac++] = argv[++i];
			continue;
		}
		if (*npos >= maxpos)
			return -usage_err("unexpected argument '%s'", argv[i]);
		pos[(*npos)++] = argv[i];
	}
	av[ac] = NULL;
	r = parse_opts(ac, av, opts, fn, ctx);
	if (r < 0)
		return r;
	if (r < ac)
		return -usage_err("unexpected argument '%s'", av[r]);
	return 0;
}

/* --- vip ------------------------------------------------------------------ */

struct vip_opts {
	const char *port, *proto;
	json_t *args;
	bool set;
};

static int vip_opt(int c, const char *v, void *ctx)
{
	struct vip_opts *o = ctx;
	unsigned long n;
	int r;

	switch (c) {
	case O_PORT:
		o->port = v;
		return 0;
	case O_PROTO:
		o->proto = v;
		return 0;
	case O_NAME:
		json_object_set_new(o->args, "name", json_string(v));
		return 0;
	case O_FWD:
		if (strcmp(v, "ipip") && strcmp(v, "l2"))
			return usage_err("--forwarding must be ipip or l2");
		json_object_set_new(o->args, "forwarding", json_string(v));
		return 0;
	case O_RING:
		r = uint_arg("--ring-size", v, XLB_MAX_RING_SIZE, &n);
		if (!r)
			json_object_set_new(o->args, "ring_size",
					    json_integer(n));
		return r;
	case O_MINH:
		r = uint_arg("--min-healthy", v, 1000000, &n);
		if (!r)
			json_object_set_new(o->args, "min_healthy",
					    json_integer(n));
		return r;
	case O_NOCONN:
		json_object_set_new(o->args, "conn_table",
				    json_boolean(v && !strcmp(v, "on")));
		return 0;
	case O_HASH:
		if (strcmp(v, "5tuple") && strcmp(v, "source"))
			return usage_err("--hash must be 5tuple or source");
		json_object_set_new(o->args, "hash", json_string(v));
		return 0;
	case O_NOANN:
		json_object_set_new(o->args, "announce",
				    json_boolean(v && !strcmp(v, "on")));
		return 0;
	case O_HC:
		json_object_set_new(o->args, "health_check", json_string(v));
		return 0;
	}
	return usage_err("bad option");
}

static const struct option vip_add_opts[] = {
	COMMON_VIP_OPTS,
	{ "name", required_argument, NULL, O_NAME },
	{ "forwarding", required_argument, NULL, O_FWD },
	{ "ring-size", required_argument, NULL, O_RING },
	{ "min-healthy", required_argument, NULL, O_MINH },
	{ "conn-table", required_argument, NULL, O_NOCONN },
	{ "hash", required_argument, NULL, O_HASH },
	{ "announce", required_argument, NULL, O_NOANN },
	{ "health-check", required_argument, NULL, O_HC },
	{}
};

static const struct option vip_key_opts[] = { COMMON_VIP_OPTS, {} };

static int vip_edit(int argc, char **argv, const char *cmd,
		    const struct option *opts)
{
	struct vip_opts o = { .args = json_object() };
	char *pos[1] = { 0 };
	int n, r;

	r = split_args(argc, argv, opts, vip_opt, &o, pos, 1, &n);
	if (!r && n != 1)
		r = -usage_err("missing VIP");
	if (!r)
		r = -vip_arg(pos[0], o.port, o.proto, o.args, true);
	if (r) {
		json_decref(o.args);
		return r == -100 ? 0 : -r;
	}
	return call_print_done(cmd, o.args);
}

static int do_vip_add(int argc, char **argv)
{
	return vip_edit(argc, argv, "vip.add", vip_add_opts);
}

static int do_vip_set(int argc, char **argv)
{
	return vip_edit(argc, argv, "vip.set", vip_add_opts);
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

static void print_backends(json_t *arr)
{
	char lat[24], last[64], since[32];
	size_t i;
	json_t *b;

	printf("%-24s %6s %-6s %-9s %6s %-8s %-24s %8s %10s  %s\n", "BACKEND",
	       "WEIGHT", "STATE", "DATAPATH", "SLOTS", "HEALTH", "LAST CHECK",
	       "LATENCY", "SINCE", "NEXT HOP  [OUT OF THE RING BECAUSE]");
	json_array_foreach (arr, i, b) {
		json_t *h = json_object_get(b, "health");
		json_t *nh = json_object_get(b, "nexthop");
		json_t *ls = json_object_get(h, "since_s");

		snprintf(lat, sizeof(lat), "-");
		if (json_is_number(json_object_get(h, "latency_ms")))
			snprintf(lat, sizeof(lat), "%.1fms",
				 json_number_value(
					 json_object_get(h, "latency_ms")));
		snprintf(last, sizeof(last), "%.23s",
			 json_is_string(json_object_get(h, "last_error")) &&
					 json_string_length(json_object_get(
						 h, "last_error")) ?
				 jstr(h, "last_error") :
				 jstr(h, "last_result"));
		snprintf(since, sizeof(since), "-");
		if (json_is_number(ls))
			snprintf(since, sizeof(since), "%.0fs ago",
				 json_number_value(ls));
		printf("%-24s %6lld %-6s %-9s %6lld %-8s %-24s %8s %10s  %s %s "
		       "%s%s%s%s\n",
		       jstr(b, "address"), jint(b, "weight"), jstr(b, "state"),
		       jstr(b, "dp_state"), jint(b, "slots"), jstr(h, "state"),
		       last, lat, since,
		       json_object_get(nh, "via") ? jstr(nh, "via") : "",
		       json_object_get(nh, "mac") ? jstr(nh, "mac") :
						    jstr(nh, "state"),
		       json_object_get(nh, "interface") ?
			       jstr(nh, "interface") :
			       "",
		       json_object_get(b, "out_reason") ? "  [" : "",
		       json_object_get(b, "out_reason") ?
			       jstr(b, "out_reason") :
			       "",
		       json_object_get(b, "out_reason") ? "]" : "");
	}
}

static int do_vip_show(int argc, char **argv)
{
	struct vip_opts o = { .args = json_object() };
	char *pos[1] = { 0 }, name[96];
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
		return r == -100 ? 0 : -r;
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
		       vip_name(v, name, sizeof(name)), jstr(v, "forwarding"),
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

struct be_opts {
	struct vip_opts v;
};

static int be_opt(int c, const char *val, void *ctx)
{
	struct be_opts *o = ctx;
	unsigned long n;
	int r;

	switch (c) {
	case O_WEIGHT:
		r = uint_arg("--weight", val, XLB_MAX_WEIGHT, &n);
		if (!r)
			json_object_set_new(o->v.args, "weight",
					    json_integer(n));
		return r;
	case O_STATE:
		if (xlb_admin_state_parse(val) < 0)
			return usage_err("--state must be up, drain or down");
		json_object_set_new(o->v.args, "state", json_string(val));
		return 0;
	case O_HC:
		json_object_set_new(o->v.args, "health_check",
				    json_string(val));
		return 0;
	default:
		return vip_opt(c, val, &o->v);
	}
}

static const struct option be_add_opts[] = {
	COMMON_VIP_OPTS,
	{ "weight", required_argument, NULL, O_WEIGHT },
	{ "state", required_argument, NULL, O_STATE },
	{ "health-check", required_argument, NULL, O_HC },
	{}
};

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
	char *pos[2] = { 0 };
	int n, r;

	r = be_common(argc, argv, be_add_opts, pos, 2, &n, &o);
	if (!r && n != 2)
		r = -usage_err("missing BACKEND");
	if (!r)
		r = -addr_arg("BACKEND", pos[1], o.v.args, "backend");
	if (r) {
		json_decref(o.v.args);
		return r == -100 ? 0 : -r;
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
		return r == -100 ? 0 : -r;
	}
	return call_print_done("backend.del", o.v.args);
}

/* backend set VIP BACKEND weight N | state up|drain|down [...] */
static int do_backend_set(int argc, char **argv)
{
	struct be_opts o = {};
	char *pos[8] = { 0 };
	unsigned long w;
	int n, r, i;

	r = be_common(argc, argv, be_add_opts, pos, 8, &n, &o);
	if (!r && n < 2)
		r = -usage_err("missing BACKEND");
	if (!r)
		r = -addr_arg("BACKEND", pos[1], o.v.args, "backend");
	if (!r && n < 4 && !json_object_get(o.v.args, "weight") &&
	    !json_object_get(o.v.args, "state"))
		r = -usage_err("say what to set: weight N or state "
			       "up|drain|down");
	for (i = 2; !r && i < n; i += 2) {
		if (i + 1 >= n) {
			r = -usage_err("'%s' needs a value", pos[i]);
		} else if (!strcmp(pos[i], "weight")) {
			r = -uint_arg("weight", pos[i + 1], XLB_MAX_WEIGHT, &w);
			if (!r)
				json_object_set_new(o.v.args, "weight",
						    json_integer(w));
		} else if (!strcmp(pos[i], "state")) {
			r = -be_opt(O_STATE, pos[i + 1], &o);
		} else {
			r = -usage_err("unknown setting '%s' (weight, state)",
				       pos[i]);
		}
	}
	if (r) {
		json_decref(o.v.args);
		return r == -100 ? 0 : -r;
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
		return r == -100 ? 0 : -r;
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
	json_t *g = json_object_get(res, "global"), *v, *b, *pv, *pb;
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
		return r == -100 ? 0 : -r;
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

static int do_flow(int argc, char **argv)
{
	struct vip_opts o = { .args = json_object() };
	unsigned long sp = 0, dp = 0;
	json_t *res = NULL;
	char *pos[4] = { 0 };
	int n, r;

	r = split_args(argc, argv, vip_key_opts, vip_opt, &o, pos, 4, &n);
	if (!r && n < 3)
		r = -usage_err("need VIP SRC_IP SRC_PORT");
	if (!r)
		r = -vip_arg(pos[0], o.port, o.proto, o.args, true);
	if (!r)
		r = -addr_arg("SRC_IP", pos[1], o.args, "src");
	if (!r)
		r = -uint_arg("SRC_PORT", pos[2], 65535, &sp);
	if (!r)
		json_object_set_new(o.args, "sport", json_integer(sp));
	if (!r && n == 4) {
		r = -uint_arg("DST_PORT", pos[3], 65535, &dp);
		if (!r)
			json_object_set_new(o.args, "dport", json_integer(dp));
	}
	if (r) {
		json_decref(o.args);
		return r == -100 ? 0 : -r;
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

	if (r == -100)
		return -100;
	if (r < 0)
		return r;
	if (r < argc)
		return -usage_err("unexpected argument '%s'", argv[r]);
	return 0;
}

#define NO_ARGS()                                      \
	do {                                           \
		int __r = no_args(argc, argv);         \
		if (__r)                               \
			return __r == -100 ? 0 : -__r; \
	} while (0)

static int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flows", no_argument, NULL, O_FLOWS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	json_t *res = NULL, *args = json_object(), *dpj, *f;
	int c, r;
	size_t i;

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
	json_decref(res);
	return 0;
}

static int do_reload(int argc, char **argv)
{
	NO_ARGS();
	return call_print_done("reload", NULL);
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

	if (r == -100)
		return 0;
	if (r < 0)
		return -r;
	if (argc - r != 1)
		return usage_err("need LEVEL");
	if (xlb_log_level_parse(argv[r]) < 0)
		return usage_err("LEVEL must be err, warn, info or debug");
	return call_print_done("log.set", json_pack("{s:s}", "level", argv[r]));
}

static int do_dp_detach(int argc, char **argv)
{
	NO_ARGS();
	return call_print_done("dp.detach", NULL);
}

/* --- bgp, pop ------------------------------------------------------------- */

static int do_bgp_show(int argc, char **argv)
{
	struct xlb_bird_reply *br;
	json_t *res = NULL, *v;
	char err[256];
	size_t i;
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
	if (r == -100)
		return 0;
	if (r < 0)
		return -r;
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

#define VIPU "VIP [--port P|any] --proto tcp|udp"

static const struct cmd cmds[] = {
	{ "vip", "add", do_vip_add,
	  VIPU "\n        [--name N] [--forwarding ipip|l2] [--ring-size N] "
	       "[--min-healthy N]\n        [--conn-table on|off] [--hash "
	       "5tuple|source] [--announce on|off]\n        [--health-check "
	       "NAME]",
	  "Add a VIP (saved to the configuration file)." },
	{ "vip", "set", do_vip_set, VIPU " [options of vip add]",
	  "Change a VIP's options." },
	{ "vip", "del", do_vip_del, VIPU, "Delete a VIP and its backends." },
	{ "vip", "show", do_vip_show, "[" VIPU "]",
	  "List VIPs, or show one with its backends." },
	{ "backend", "add", do_backend_add,
	  VIPU " BACKEND\n        [--weight N] [--state up|drain|down] "
	       "[--health-check NAME]",
	  "Add a backend to a VIP." },
	{ "backend", "del", do_backend_del, VIPU " BACKEND",
	  "Remove a backend; its flows are re-hashed to the others." },
	{ "backend", "set", do_backend_set,
	  VIPU " BACKEND weight N | state up|drain|down",
	  "Change a backend: weight 0 or state drain keeps its flows but "
	  "sends it no\nnew ones; state down moves its flows too." },
	{ "backend", "show", do_backend_show, VIPU,
	  "Backends of a VIP: state, data-path state, last check, latency, "
	  "next hop." },
	{ "stats", "", do_stats, "[" VIPU "] [--watch[=SECONDS]] [--count N]",
	  "Packets, bytes, new flows per VIP and backend, and every global "
	  "outcome\ncounter (drops by reason). --watch repeats with rates." },
	{ "flow", "", do_flow, VIPU " SRC_IP SRC_PORT [DST_PORT]",
	  "Which backend a flow reaches, and whether it is in the connection "
	  "table.\nThe hash and ring are the data path's own." },
	{ "status", "", do_status, "[--flows]",
	  "Daemon, data path and interfaces. --flows counts the connection "
	  "tables." },
	{ "reload", "", do_reload, "",
	  "Re-read the configuration file and apply the difference." },
	{ "config", "dump", do_config_dump, "",
	  "Print the running configuration as a config file." },
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
	{ "dp", "detach", do_dp_detach, "",
	  "Detach the program from every interface, remove the pinned maps "
	  "and stop\nxlbd. Flows are lost: this is for taking xlb off a "
	  "host." },
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
	fprintf(f,
		"\n  -j, --json      JSON output\n"
		"  -s, --socket    xlbd's socket (default %s)\n"
		"  -t, --timeout   milliseconds to wait for xlbd (default "
		"10000)\n"
		"\n'xlbctl OBJECT VERB --help' describes one command.\n",
		XLB_DEFAULT_SOCKET);
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
	int c, i;
	size_t k;
	char *end;

	xlb_log_init("xlbctl", XLB_LOG_WARN);
	if (getenv("XLB_SOCKET"))
		opt_socket = getenv("XLB_SOCKET");
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
	if (!strcmp(obj, "backend-host")) /* backend_host.c: runs locally */
		return xlbctl_backend_host(argc - optind - 1, argv + optind + 1,
					   opt_json);
	for (k = 0; k < N_CMDS; k++) {
		if (strcmp(cmds[k].object, obj))
			continue;
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
	for (k = 0; k < N_CMDS; k++)
		if (!strcmp(cmds[k].object, obj)) {
			fprintf(stderr,
				"xlbctl: %s: unknown verb '%s'; one "
				"of:",
				obj, verb);
			for (; k < N_CMDS; k++)
				if (!strcmp(cmds[k].object, obj))
					fprintf(stderr, " %s", cmds[k].verb);
			fprintf(stderr, "\n");
			return EXIT_USAGE;
		}
	fprintf(stderr, "xlbctl: unknown object '%s'\n", obj);
	usage(stderr);
	return EXIT_USAGE;
}
