// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlbctl backend-host - set a backend host up, tear it down, show it
 *
 *   xlbctl backend-host setup --iface IF --vip V [--vip V...]
 *                             [--local A...] [--source P...] [--pin-dir D]
 *                             [--generic]
 *   xlbctl backend-host teardown [--iface IF] [--pin-dir D] [--forget]
 *   xlbctl [-j] backend-host show [--pin-dir D] [-j]
 *
 * Runs locally (no xlbd involved); the work is in
 * userspace/backend-host/backend_host.c. Exit status as the rest of xlbctl:
 * 0 done, 1 failed, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "backend_host.h"
#include "backend_host_cmd.h"
#include "log.h"

#define EXIT_USAGE 2

struct bh_args {
	const char *verb;
	const char *iface;
	const char *pin_dir;
	struct xlb_addr *vips;
	int n_vips;
	struct xlb_addr *locals;
	int n_locals;
	struct xlb_bh_prefix *sources;
	int n_sources;
	bool generic;
	__u16 gue_port;
	bool forget;
	bool json;
	bool help;
};

static const struct {
	const char *verb;
	const char *usage;
	const char *help;
} VERBS[] = {
	{ "setup",
	  "--iface IF --vip V [--vip V...] [--local A...] [--source P...] "
	  "[--pin-dir D] [--generic] [--gue-port N]",
	  "Make this host an xlb backend without kernel tunnel modules: "
	  "attach the\nxlb_decap XDP program to IF (native mode; --generic "
	  "for skb mode), pin its\nmaps and program under D (default " XLB_DECAP_PIN_DIR
	  "), decapsulate tunnels\nwhose outer destination is a local "
	  "address (--local, repeatable; default:\nevery address of the "
	  "host but loopback and the VIPs), whose outer source is in\na "
	  "--source prefix (A or A/LEN, repeatable: the balancers' LB source "
	  "addresses;\nwithout --source, any source) and whose inner "
	  "destination is a VIP (--vip,\nrepeatable); put every VIP on lo, "
	  "set arp_ignore=1 and arp_announce=2 (all, IF),\nrp_filter=0 (all, "
	  "default, IF), and bring lo up. What it changes is recorded\nin " XLB_BH_STATE_DIR
	  "/ so teardown undoes exactly that. Running it again\nadds new "
	  "VIPs, local addresses and sources and re-applies what was\n"
	  "undone meanwhile. GUE (UDP) tunnels are taken on --gue-port N "
	  "(default 6080)." },
	{ "teardown", "[--iface IF] [--pin-dir D] [--forget]",
	  "Undo what setup recorded for D: detach, remove the VIPs setup "
	  "added to lo,\nrestore the sysctls, take lo down if setup brought "
	  "it up, unpin. Without a\nrecord it removes only xlb_decap's pins "
	  "and its program on IF. It must run in\nthe network namespace "
	  "setup ran in (refused elsewhere: it would undo the\nchanges on "
	  "this namespace's lo and sysctls). --forget only drops the record,\n"
	  "undoing nothing: for a record whose namespace is gone; a second "
	  "teardown\nthen removes the pins." },
	{ "show", "[--pin-dir D] [-j]",
	  "What setup recorded, whether the program is attached, the VIPs "
	  "and local\naddresses in its maps, and its counters." },
};

#define N_VERBS (sizeof(VERBS) / sizeof(VERBS[0]))

static void usage_all(FILE *f)
{
	size_t i;

	for (i = 0; i < N_VERBS; i++)
		fprintf(f, "usage: xlbctl backend-host %s %s\n", VERBS[i].verb,
			VERBS[i].usage);
}

static int usage_err(const struct bh_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_err(const struct bh_args *a, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	fprintf(stderr, "xlbctl: backend-host: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	for (i = 0; i < N_VERBS; i++)
		if (a->verb && !strcmp(VERBS[i].verb, a->verb))
			fprintf(stderr, "usage: xlbctl backend-host %s %s\n",
				VERBS[i].verb, VERBS[i].usage);
	if (!a->verb)
		usage_all(stderr);
	return EXIT_USAGE;
}

/* Parse an address for --vip / --local; dedupe into @list. */
static int addr_opt(struct bh_args *a, const char *opt, const char *s,
		    struct xlb_addr *list, int *n, int max)
{
	struct xlb_addr x;
	int i;

	if (xlb_addr_parse(s, &x))
		return usage_err(a, "%s: '%s' is not an IPv4 or IPv6 address",
				 opt, s);
	if (xlb_addr_is_unspecified(&x))
		return usage_err(a, "%s: '%s' is the unspecified address", opt,
				 s);
	if ((x.family == XLB_AF_INET && (ntohl(x.a[0]) >> 28) == 0xe) ||
	    (x.family == XLB_AF_INET6 && (ntohl(x.a[0]) >> 24) == 0xff))
		return usage_err(a, "%s: '%s' is a multicast address", opt, s);
	for (i = 0; i < *n; i++)
		if (xlb_addr_eq(&list[i], &x))
			return 0;
	if (*n >= max)
		return usage_err(a, "%s: at most %d", opt, max);
	list[(*n)++] = x;
	return 0;
}

enum {
	O_IFACE = 1000,
	O_VIP,
	O_LOCAL,
	O_SOURCE,
	O_PINDIR,
	O_GENERIC,
	O_FORGET,
	O_GUEPORT
};

static int parse(struct bh_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, O_IFACE },
		{ "vip", required_argument, NULL, O_VIP },
		{ "local", required_argument, NULL, O_LOCAL },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "pin-dir", required_argument, NULL, O_PINDIR },
		{ "generic", no_argument, NULL, O_GENERIC },
		{ "gue-port", required_argument, NULL, O_GUEPORT },
		{ "forget", no_argument, NULL, O_FORGET },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool setup = !strcmp(a->verb, "setup");
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			a->help = true;
			return 0;
		case 'j':
			a->json = true;
			break;
		case O_IFACE:
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE ||
			    strchr(optarg, '/'))
				return usage_err(a, "--iface: bad name '%s'",
						 optarg);
			a->iface = optarg;
			break;
		case O_PINDIR:
			if (optarg[0] != '/' || strlen(optarg) > 200)
				return usage_err(a,
						 "--pin-dir must be an "
						 "absolute path of at most 200 "
						 "characters, not '%s'",
						 optarg);
			a->pin_dir = optarg;
			break;
		case O_VIP:
			if (!setup)
				return usage_err(a, "--vip is for setup");
			r = addr_opt(a, "--vip", optarg, a->vips, &a->n_vips,
				     XLB_DECAP_MAX_VIPS);
			if (r)
				return r;
			break;
		case O_LOCAL:
			if (!setup)
				return usage_err(a, "--local is for setup");
			r = addr_opt(a, "--local", optarg, a->locals,
				     &a->n_locals, XLB_DECAP_MAX_LOCAL);
			if (r)
				return r;
			break;
		case O_SOURCE: {
			struct xlb_bh_prefix p;
			const char *why = NULL;
			int i;

			if (!setup)
				return usage_err(a, "--source is for setup");
			if (xlb_bh_prefix_parse(optarg, &p, &why))
				return usage_err(a, "--source: '%s': %s",
						 optarg,
						 why ? why : "bad prefix");
			for (i = 0; i < a->n_sources; i++)
				if (a->sources[i].len == p.len &&
				    xlb_addr_eq(&a->sources[i].addr, &p.addr))
					break;
			if (i < a->n_sources)
				break;
			if (a->n_sources >= XLB_DECAP_MAX_SOURCES)
				return usage_err(a, "--source: at most %d",
						 XLB_DECAP_MAX_SOURCES);
			a->sources[a->n_sources++] = p;
			break;
		}
		case O_GENERIC:
			if (!setup)
				return usage_err(a, "--generic is for setup");
			a->generic = true;
			break;
		case O_GUEPORT: {
			char *end;
			unsigned long p;

			if (!setup)
				return usage_err(a, "--gue-port is for setup");
			errno = 0;
			p = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || !p || p > 65535)
				return usage_err(a,
						 "--gue-port: '%s' is not a "
						 "port (1..65535)",
						 optarg);
			a->gue_port = (__u16)p;
			break;
		}
		case O_FORGET:
			if (strcmp(a->verb, "teardown"))
				return usage_err(a, "--forget is for teardown");
			a->forget = true;
			break;
		default:
			return usage_err(a, "unknown or incomplete option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_err(a, "unexpected argument '%s'", argv[optind]);
	if (a->forget && a->iface)
		return usage_err(a, "--forget takes no --iface (it drops the "
				    "record of --pin-dir)");
	if (setup && !a->iface)
		return usage_err(a, "setup needs --iface");
	if (setup && !a->n_vips)
		return usage_err(a, "setup needs at least one --vip");
	if (!strcmp(a->verb, "show") && a->iface)
		return usage_err(a, "show takes no --iface (it reads the "
				    "record of --pin-dir)");
	return 0;
}

/* --- output ----------------------------------------------------------------*/

static const char *const CNAMES[] = XLB_DECAP_COUNTER_NAMES;

static bool in_list(const struct xlb_addr *l, int n, const struct xlb_addr *a)
{
	int i;

	for (i = 0; i < n; i++)
		if (xlb_addr_eq(&l[i], a))
			return true;
	return false;
}

static json_t *status_json(const struct xlb_bh_status *s)
{
	json_t *j = json_object(), *vips = json_array(), *locals = json_array();
	json_t *sys = json_array(), *ctr = json_object();
	char b[XLB_ADDR_STRLEN];
	int i;

	json_object_set_new(j, "iface", json_string(s->st.iface));
	json_object_set_new(j, "ifindex", json_integer(s->st.ifindex));
	json_object_set_new(j, "mode",
			    json_string(s->st.generic ? "generic" : "native"));
	json_object_set_new(j, "attached", json_boolean(s->attached));
	json_object_set_new(j, "prog_id", json_integer(s->attached_id));
	json_object_set_new(j, "dispatcher",
			    json_boolean(s->attached_dispatcher));
	if (s->attached)
		json_object_set_new(j, "attach_mode",
				    json_string(s->attached_generic ?
							"generic" :
							"native"));
	json_object_set_new(j, "pin_dir", json_string(s->pin_dir));
	json_object_set_new(j, "state_file", json_string(s->state_path));
	if (s->st.has_netns)
		json_object_set_new(j, "netns_inode",
				    json_integer((json_int_t)s->st.netns_ino));
	json_object_set_new(j, "other_netns", json_boolean(s->other_netns));
	for (i = 0; i < s->st.n_vips; i++) {
		const struct xlb_addr *a = &s->st.vips[i].addr;

		json_array_append_new(
			vips,
			json_pack("{s:s,s:s,s:b}", "address",
				  xlb_addr_str(a, b), "lo",
				  s->st.vips[i].lo_added ? "added" : "present",
				  "in_map", in_list(s->vips, s->n_vips, a)));
	}
	/* entries in the map that the record does not know (shown, too) */
	for (i = 0; i < s->n_vips; i++) {
		int k;

		for (k = 0; k < s->st.n_vips; k++)
			if (xlb_addr_eq(&s->st.vips[k].addr, &s->vips[i]))
				break;
		if (k < s->st.n_vips)
			continue;
		json_array_append_new(vips,
				      json_pack("{s:s,s:n,s:b}", "address",
						xlb_addr_str(&s->vips[i], b),
						"lo", "in_map", 1));
	}
	json_object_set_new(j, "vips", vips);
	for (i = 0; i < s->n_locals; i++)
		json_array_append_new(
			locals, json_string(xlb_addr_str(&s->locals[i], b)));
	json_object_set_new(j, "locals", locals);
	{
		json_t *src = json_array();
		char pb[XLB_ADDR_STRLEN + 8];

		for (i = 0; i < s->n_sources; i++) {
			snprintf(pb, sizeof(pb), "%s/%u",
				 xlb_addr_str(&s->sources[i].addr, b),
				 s->sources[i].len);
			json_array_append_new(src, json_string(pb));
		}
		json_object_set_new(j, "sources", src);
		json_object_set_new(j, "source_check",
				    json_boolean(s->source_check));
		json_object_set_new(j, "gue_port",
				    json_integer((json_int_t)s->gue_port));
	}
	for (i = 0; i < s->st.n_sysctls; i++)
		json_array_append_new(sys,
				      json_pack("{s:s,s:s,s:s}", "key",
						s->st.sysctls[i].key, "old",
						s->st.sysctls[i].old, "set",
						s->st.sysctls[i].set));
	json_object_set_new(j, "sysctls", sys);
	json_object_set_new(j, "lo_brought_up", json_boolean(s->st.lo_up));
	for (i = 0; i < XLB_DC_MAX; i++)
		json_object_set_new(ctr, CNAMES[i],
				    json_integer((json_int_t)s->stats.c[i]));
	json_object_set_new(ctr, "decap_bytes",
			    json_integer((json_int_t)s->stats.decap_bytes));
	json_object_set_new(j, "counters", ctr);
	return j;
}

static void status_text(const struct xlb_bh_status *s)
{
	char b[XLB_ADDR_STRLEN];
	int i;

	if (s->other_netns)
		printf("backend host on %s in ANOTHER network namespace "
		       "(net:[%llu]; this is net:[%llu]): its interface, lo "
		       "and sysctls are not visible here\n",
		       s->st.iface, (unsigned long long)s->st.netns_ino,
		       (unsigned long long)s->netns_ino);
	else if (s->attached)
		printf("backend host on %s: xlb_decap attached (%s mode%s, "
		       "program %u)\n",
		       s->st.iface, s->attached_generic ? "generic" : "native",
		       s->attached_dispatcher ? ", libxdp dispatcher" : "",
		       s->attached_id);
	else
		printf("backend host on %s: xlb_decap NOT attached (set up "
		       "in %s mode; run setup again)\n",
		       s->st.iface, s->st.generic ? "generic" : "native");
	printf("pins: %s  record: %s\n", s->pin_dir, s->state_path);
	printf("vips:");
	for (i = 0; i < s->st.n_vips; i++)
		printf(" %s (%s%s)", xlb_addr_str(&s->st.vips[i].addr, b),
		       s->st.vips[i].lo_added ? "added to lo" : "already on lo",
		       in_list(s->vips, s->n_vips, &s->st.vips[i].addr) ?
			       "" :
			       ", NOT in the map");
	printf("\nlocal addresses:");
	for (i = 0; i < s->n_locals; i++)
		printf(" %s", xlb_addr_str(&s->locals[i], b));
	printf("\nsource check: %s", s->source_check ? "on, from" : "off");
	for (i = 0; s->source_check && i < s->n_sources; i++)
		printf(" %s/%u", xlb_addr_str(&s->sources[i].addr, b),
		       s->sources[i].len);
	if (s->source_check && !s->n_sources)
		printf(" nowhere (empty list)");
	printf("\nGUE: UDP port %u", s->gue_port);
	printf("\nsysctls changed:");
	for (i = 0; i < s->st.n_sysctls; i++)
		printf(" %s %s->%s", s->st.sysctls[i].key, s->st.sysctls[i].old,
		       s->st.sysctls[i].set);
	if (!s->st.n_sysctls)
		printf(" none");
	printf("\nlo: %s\n",
	       s->st.lo_up ? "brought up by setup" : "was up already");
	printf("counters:\n");
	for (i = 0; i < XLB_DC_MAX; i++)
		printf("  %-16s %llu\n", CNAMES[i],
		       (unsigned long long)s->stats.c[i]);
	printf("  %-16s %llu\n", "decap_bytes",
	       (unsigned long long)s->stats.decap_bytes);
}

static int show(const struct bh_args *a)
{
	struct xlb_bh_status *s = NULL;
	json_t *j;
	char *txt;
	int err;

	err = xlb_bh_show(a->pin_dir, &s);
	if (err)
		return 1;
	if (a->json) {
		j = status_json(s);
		txt = json_dumps(j, JSON_INDENT(2));
		if (txt)
			printf("%s\n", txt);
		free(txt);
		json_decref(j);
	} else {
		status_text(s);
	}
	free(s);
	return 0;
}

static int setup(const struct bh_args *a)
{
	struct xlb_bh_opts o = {
		.iface = a->iface,
		.pin_dir = a->pin_dir,
		.vips = a->vips,
		.n_vips = a->n_vips,
		.locals = a->locals,
		.n_locals = a->n_locals,
		.sources = a->sources,
		.n_sources = a->n_sources,
		.generic = a->generic,
		.gue_port = a->gue_port,
	};
	struct xlb_bh_status *s = NULL;
	bool again = false;

	if (xlb_bh_setup(&o, &again))
		return 1;
	if (xlb_bh_show(a->pin_dir, &s))
		return 1;
	printf("%s %s: xlb_decap on %s (%s mode), %d VIPs, %d local "
	       "addresses\n",
	       again ? "already set up, brought up to date:" : "set up:",
	       s->pin_dir, s->st.iface,
	       s->attached_generic ? "generic" : "native", s->n_vips,
	       s->n_locals);
	free(s);
	return 0;
}

static int teardown(const struct bh_args *a)
{
	bool nothing = false;

	if (a->forget) {
		if (xlb_bh_forget(a->pin_dir))
			return 1;
		printf("record dropped; nothing undone\n");
		return 0;
	}
	if (xlb_bh_teardown(a->pin_dir, a->iface, &nothing))
		return 1;
	printf("%s\n", nothing ? "nothing to tear down" : "torn down");
	return 0;
}

int xlbctl_backend_host(int argc, char **argv, bool json)
{
	struct bh_args a = { .json = json };
	size_t i;
	int r;

	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		usage_all(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < N_VERBS; i++)
		if (!strcmp(argv[0], VERBS[i].verb))
			break;
	if (i == N_VERBS) {
		fprintf(stderr,
			"xlbctl: backend-host: unknown verb '%s'; one of: "
			"setup teardown show\n",
			argv[0]);
		return EXIT_USAGE;
	}
	a.verb = VERBS[i].verb;
	a.vips = calloc(XLB_DECAP_MAX_VIPS, sizeof(*a.vips));
	a.locals = calloc(XLB_DECAP_MAX_LOCAL, sizeof(*a.locals));
	a.sources = calloc(XLB_DECAP_MAX_SOURCES, sizeof(*a.sources));
	if (!a.vips || !a.locals || !a.sources) {
		r = 1;
		goto out;
	}
	r = parse(&a, argc, argv);
	if (r)
		goto out;
	if (a.help) {
		printf("usage: xlbctl backend-host %s %s\n\n%s\n",
		       VERBS[i].verb, VERBS[i].usage, VERBS[i].help);
		goto out;
	}
	if (!strcmp(a.verb, "setup"))
		r = setup(&a);
	else if (!strcmp(a.verb, "teardown"))
		r = teardown(&a);
	else
		r = show(&a);
out:
	free(a.vips);
	free(a.locals);
	free(a.sources);
	return r;
}
