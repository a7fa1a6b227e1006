// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlbctl option parsing
 *
 * Usage errors and help, getopt_long over a command's options with
 * positionals mixed in, VIPs in their three spellings, numbers and
 * addresses, and the options of a VIP, a backend or a check, built from the
 * config field tables (fields.h) so that a key added there is an option
 * here, with its help, values and range.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "maglev.h"
#include "xlbctl.h"

int exit_status(int r)
{
	return r == XLBCTL_HELP_SHOWN ? 0 : -r;
}

const struct cmd *cur;

int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xlbctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: xlbctl %s%s%s %s\n", cur->object,
		cur->verb[0] ? " " : "", cur->verb, cur->usage);
	return EXIT_USAGE;
}

void print_help(const struct cmd *c)
{
	printf("usage: xlbctl %s%s%s %s", c->object, c->verb[0] ? " " : "",
	       c->verb, c->usage);
	if (c->obj)
		xlb_obj_usage(c->obj, stdout);
	printf("\n\n%s\n", c->help);
	if (c->obj) {
		printf("\nOptions:\n");
		xlb_obj_help(c->obj, stdout, true);
	}
}

/* --- argument parsing ----------------------------------------------------- */

/* a VIP's configured name: letters, digits, '.', '_', '-' */
bool is_vip_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/*
 * Parse a VIP: ADDRESS (with --port/--proto among the options), the
 * compact ADDRESS:PORT[/PROTO] ("[ADDRESS]:PORT[/PROTO]" for IPv6), or,
 * when @name_ok, the VIP's configured name, which xlbd resolves (a port or
 * protocol given with it must match). The protocol defaults to tcp.
 * Fills address/port/protocol into @args.
 */
int vip_arg(const char *s, const char *port, const char *proto, json_t *args,
	    bool name_ok)
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
	}
	/* [ADDR]:PORT, or ADDR:PORT when ADDR has no ':' (IPv4) */
	colon = strrchr(buf, ':');
	if (buf[0] == '[') {
		colon = strstr(buf, "]:");
		if (!colon)
			return usage_err(
				"bad VIP '%s': use [ADDR]:PORT[/PROTO]", s);
		*colon = '\0';
		addr = buf + 1;
		p = colon + 2;
	} else if (colon && colon == strchr(buf, ':')) {
		*colon = '\0';
		p = colon + 1;
	} else if (slash && (!colon || xlb_addr_parse(buf, &a))) {
		return usage_err("bad VIP '%s': use ADDR:PORT/PROTO", s);
	}
	if (p) {
		if (port)
			return usage_err("give the port once");
		port = p;
	}
	if (xlb_addr_parse(addr, &a)) {
		if (!name_ok || p || slash || !is_vip_name(addr))
			return usage_err(
				"'%s' is not an IPv4 or IPv6 address%s", addr,
				name_ok ? " or a VIP name" : "");
		/* a name: xlbd fills in the rest */
		json_object_set_new(args, "address", json_string(addr));
	} else {
		json_object_set_new(args, "address", json_string(addr));
		if (!proto)
			proto = "tcp";
	}
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
	}
	return 0;
}

int uint_arg(const char *name, const char *s, unsigned long lo,
	     unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return usage_err("%s: '%s' is not a number", name, s ? s : "");
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out < lo || *out > max)
		return usage_err("%s must be %lu..%lu, not '%s'", name, lo, max,
				 s);
	return 0;
}

int addr_arg(const char *name, const char *s, json_t *args, const char *key)
{
	struct xlb_addr a;

	if (xlb_addr_parse(s, &a))
		return usage_err("%s: '%s' is not an IPv4 or IPv6 address",
				 name, s);
	json_object_set_new(args, key, json_string(s));
	return 0;
}

int parse_opts(int argc, char **argv, const struct option *opts, opt_fn fn,
	       void *ctx)
{
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(cur);
			return XLBCTL_HELP_SHOWN;
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
int split_args(int argc, char **argv, const struct option *opts, opt_fn fn,
	       void *ctx, char **pos, int maxpos, int *npos)
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

/* --- options from the config field tables (fields.h) --------------------- */

/*
 * @extra, then one option per field of @o that xlbctl takes: the key with
 * '-' for '_' (min_healthy is --min-healthy); @out ends with a zero entry.
 */
const struct option *obj_opts(const struct xlb_obj *o,
			      const struct option *extra, struct option *out,
			      size_t max)
{
	static char names[256][32];
	static size_t used;
	size_t n = 0, i, k;

	for (; extra && extra->name && n + 1 < max; extra++)
		out[n++] = *extra;
	for (i = 0; o->fields[i].key && n + 1 < max && used < 256; i++) {
		if (!xlb_field_is_opt(&o->fields[i]))
			continue;
		for (k = 0; k < 31 && o->fields[i].key[k]; k++)
			names[used][k] = o->fields[i].key[k] == '_' ?
						 '-' :
						 o->fields[i].key[k];
		out[n++] = (struct option){ names[used++], required_argument,
					    NULL, O_FIELD + (int)i };
	}
	out[n] = (struct option){ 0 };
	return out;
}

/* One option's value into the API argument of the same key */
int field_opt(const struct xlb_obj *o, int c, const char *v, json_t *args)
{
	const struct xlb_field *f = &o->fields[c - O_FIELD];
	char opt[40] = "", names[96] = "", *dup, *tok, *save = NULL;
	unsigned long n = 0, lo = 0, hi;
	json_t *a;
	size_t i;
	int r;

	snprintf(opt, sizeof(opt), "--%s", f->key);
	for (i = 2; opt[i]; i++)
		opt[i] = opt[i] == '_' ? '-' : opt[i];
	if ((f->flags & XLB_FF_HAS) && !strcmp(v, "none")) {
		json_object_set_new(args, f->key, json_null()); /* unset it */
		return 0;
	}
	if (f->type == XLB_FT_UINT && f->size > 4) { /* xlbd parses it */
		if (!*v || !strchr("0123456789", *v))
			return usage_err("%s: '%s' is not a number", opt, v);
		json_object_set_new(args, f->key, json_string(v));
		return 0;
	}
	if (f->type == XLB_FT_UINT) {
		hi = f->size >= 4 ? 0xffffffffUL : (1UL << (8 * f->size)) - 1;
		if (f->flags & (XLB_FF_RANGE | XLB_FF_LOADRANGE)) {
			lo = f->flags & XLB_FF_ZERO_OK ? 0 : f->min;
			hi = f->max;
		}
		r = uint_arg(opt, v, lo, hi, &n);
		if (!r)
			json_object_set_new(args, f->key,
					    json_integer((json_int_t)n));
		return r;
	}
	if (!strcmp(xlb_field_word(f, true, names, sizeof(names)), "on|off")) {
		if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "true") &&
		    strcmp(v, "false"))
			return usage_err("%s must be on or off", opt);
		json_object_set_new(
			args, f->key,
			json_boolean(!strcmp(v, "on") || !strcmp(v, "true")));
		return 0;
	}
	if (f->type == XLB_FT_ARGV) { /* words separated by spaces */
		a = json_array();
		dup = strdup(v);
		for (tok = dup ? strtok_r(dup, " ", &save) : NULL; tok;
		     tok = strtok_r(NULL, " ", &save))
			json_array_append_new(a, json_string(tok));
		free(dup);
		json_object_set_new(args, f->key, a);
		return 0;
	}
	for (i = 0; f->names && f->names[i] && strcmp(f->names[i], v); i++)
		;
	if (f->names && !f->names[i]) { /* "ipip, l2 or gue" */
		names[0] = '\0';
		for (i = 0; f->names[i]; i++)
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 !i		 ? "" :
				 f->names[i + 1] ? ", " :
						   " or ",
				 f->names[i]);
		return usage_err("%s must be %s", opt, names);
	}
	json_object_set_new(args, f->key, json_string(v));
	return 0;
}

/* --- vip ------------------------------------------------------------------ */

/* a Maglev ring has a prime number of slots: name the two nearest */
int ring_not_prime(__u32 n)
{
	__u32 lo = n - 1, hi = n + 1;

	while (lo >= 2 && !xlb_is_prime(lo))
		lo--;
	while (!xlb_is_prime(hi))
		hi++;
	if (lo < 2)
		return usage_err("--ring-size %u is not prime; nearest prime: "
				 "%u",
				 n, hi);
	if (hi > XLB_MAX_RING_SIZE)
		return usage_err("--ring-size %u is not prime; nearest prime: "
				 "%u",
				 n, lo);
	return usage_err("--ring-size %u is not prime; nearest primes: %u and "
			 "%u",
			 n, lo, hi);
}

int vip_opt(int c, const char *v, void *ctx)
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
	}
	if (c < O_FIELD)
		return usage_err("bad option");
	r = field_opt(o->obj, c, v, o->args);
	if (r || strcmp(o->obj->fields[c - O_FIELD].key, "ring_size"))
		return r;
	n = (unsigned long)json_integer_value(
		json_object_get(o->args, "ring_size"));
	return n && !xlb_is_prime((__u32)n) ? ring_not_prime((__u32)n) : 0;
}

int be_opt(int c, const char *val, void *ctx)
{
	struct be_opts *o = ctx;

	if (c >= O_FIELD)
		return field_opt(&xlb_obj_backend, c, val, o->v.args);
	return vip_opt(c, val, &o->v);
}

int check_opt(int c, const char *v, void *ctx)
{
	if (c < O_FIELD)
		return usage_err("bad option");
	return field_opt(&xlb_obj_check, c, v, ctx);
}

const struct option vip_key_opts[] = { COMMON_VIP_OPTS, {} };
