// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: configuration checks
 *
 * The semantic checks of struct xlb_cfg shared by the loader and
 * xlb_cfg_validate(), and the names of its enums. Ranges come from the
 * field tables (fields.c); copying, comparing, editing and saving are in
 * config_data.c, the file format in config_yaml.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "config_priv.h"
#include "fields.h"
#include "maglev.h"
#include "maps/xlb_quic.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- names ------------------------------------------------------------- */

static const char *const hc_type_names[] = {
	[XLB_HC_NONE] = "none",	  [XLB_HC_TCP] = "tcp", [XLB_HC_HTTP] = "http",
	[XLB_HC_HTTPS] = "https", [XLB_HC_UDP] = "udp", [XLB_HC_DNS] = "dns",
	[XLB_HC_EXEC] = "exec",
};

static const char *const admin_names[] = {
	[XLB_ADMIN_UP] = "up",
	[XLB_ADMIN_DRAIN] = "drain",
	[XLB_ADMIN_DOWN] = "down",
};

static const char *const fwd_names[] = {
	[XLB_FWD_IPIP] = "ipip",
	[XLB_FWD_L2] = "l2",
	[XLB_FWD_GUE] = "gue",
};

/** xlb_hc_type_str() - "tcp", "http", ... as in the file; "?" if unknown */
const char *xlb_hc_type_str(enum xlb_hc_type t)
{
	if ((unsigned int)t >= ARRAY_SIZE(hc_type_names))
		return "?";
	return hc_type_names[t];
}

/** xlb_admin_state_str() - "up", "drain" or "down"; "?" if unknown */
const char *xlb_admin_state_str(enum xlb_admin_state s)
{
	if ((unsigned int)s >= ARRAY_SIZE(admin_names))
		return "?";
	return admin_names[s];
}

/** xlb_admin_state_parse() - "up"... -> XLB_ADMIN_*; -EINVAL if unknown */
int xlb_admin_state_parse(const char *s)
{
	unsigned int i;

	for (i = 0; s && i < ARRAY_SIZE(admin_names); i++)
		if (!strcmp(s, admin_names[i]))
			return (int)i;
	return -EINVAL;
}

/** xlb_fwd_str() - "ipip" or "l2"; "?" if unknown */
const char *xlb_fwd_str(int fwd)
{
	if (fwd < 0 || (unsigned int)fwd >= ARRAY_SIZE(fwd_names))
		return "?";
	return fwd_names[fwd];
}

bool xlb_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

/* As the kernel's dev_valid_name() */
bool xlb_ifname_ok(const char *s)
{
	size_t n = strnlen(s, IFNAMSIZ);

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || *s == '\t' ||
		    *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
			return false;
	return true;
}

/* --- semantic checks ---------------------------------------------------- */

/* A fixed-size string that lost its terminator cannot be trusted. */
#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)

static bool abs_path_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) && s[0] == '/';
}

/* "ADDR:PORT" with a numeric IPv4 address, or "[ADDR]:PORT" for IPv6 */
static bool listen_ok(const char *s)
{
	char host[XLB_NAME_MAX];
	const char *colon;
	struct xlb_addr a;
	size_t n;
	__u16 port;

	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return false;
		n = (size_t)(colon - s - 1);
		if (n >= sizeof(host))
			return false;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		colon++;
		if (xlb_addr_parse(host, &a) || a.family != XLB_AF_INET6)
			return false;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return false;
		n = (size_t)(colon - s);
		memcpy(host, s, n);
		host[n] = '\0';
		if (xlb_addr_parse(host, &a) || a.family != XLB_AF_INET)
			return false;
	}
	return !xlb_port_parse(colon + 1, &port) && port != 0;
}

static bool prefix_contains(const struct xlb_prefix *p,
			    const struct xlb_addr *a)
{
	const __u8 *x = (const __u8 *)p->addr.a, *y = (const __u8 *)a->a;
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (p->addr.family != a->family)
		return false;
	if (memcmp(x, y, full))
		return false;
	return !rest || !((x[full] ^ y[full]) & (0xff << (8 - rest)));
}

static bool prefix_host_bits(const struct xlb_prefix *p)
{
	const __u8 *x = (const __u8 *)p->addr.a;
	unsigned int bytes = p->addr.family == XLB_AF_INET ? 4 : 16, i;

	for (i = p->len / 8; i < bytes; i++) {
		__u8 mask = i == p->len / 8 ? 0xff >> (p->len % 8) : 0xff;

		if (x[i] & mask)
			return true;
	}
	return false;
}

/*
 * Why @a cannot be a VIP or a backend, or NULL if it can: the data path
 * would never see such a packet (loopback, multicast, broadcast), or the
 * address means something else (unspecified, an IPv4-mapped IPv6 address
 * that the kernel routes as IPv4).
 */
static const char *addr_unusable(const struct xlb_addr *a)
{
	const __u8 *b = (const __u8 *)a->a;
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const __u8 lo6[16] = { [15] = 1 };

	if (xlb_addr_is_unspecified(a))
		return "unspecified";
	if (a->family == XLB_AF_INET) {
		if (b[0] == 127)
			return "loopback";
		if ((b[0] & 0xf0) == 224)
			return "multicast";
		if (a->a[0] == 0xffffffffu)
			return "the broadcast address";
		return NULL;
	}
	if (!memcmp(b, lo6, 16))
		return "loopback";
	if (b[0] == 0xff)
		return "multicast";
	if (!memcmp(b, mapped, sizeof(mapped)))
		return "IPv4-mapped (write the IPv4 address)";
	return NULL;
}

static const char *family_name(int f)
{
	return f == XLB_AF_INET6 ? "IPv6" : "IPv4";
}

static int check_sizes(const struct xlb_cfg *c, struct xlb_cfg_err *e)
{
	const struct xlb_dp_sizes *s = &c->sizes;
	unsigned long long ring_slots;
	int err;

	err = xlb_obj_check_ranges(&xlb_obj_tables, c, NULL, "lb/tables", e);
	if (err)
		return err;
	xlb_cfg_at(e, false, "lb/tables/ring_max");
	if (!xlb_is_prime(s->ring_max))
		return xlb_cfg_fail(e, "lb.tables.ring_max: %u is not a prime",
				    s->ring_max);
	/* the ring map is one array indexed by a 32-bit slot number */
	ring_slots = (unsigned long long)s->max_vips * 2 *
		     xlb_ring_stride(s->ring_max);
	if (ring_slots > 0xffffffffull) {
		xlb_cfg_at(e, false, "lb/tables/max_vips");
		return xlb_cfg_fail(
			e,
			"lb.tables: max_vips %u x ring_max %u does not fit the ring map",
			s->max_vips, s->ring_max);
	}
	return 0;
}

/**
 * xlb_cfg_check_memory() - see config_priv.h
 *
 * The figure is the maps' own (xlb_mem_total() in maps/xlb_maps.h); the
 * problem is placed at the size that costs the most.
 */
int xlb_cfg_check_memory(const struct xlb_dp_sizes *s, __u32 percent,
			 unsigned long long ram, unsigned int ncpus,
			 struct xlb_cfg_err *e)
{
	unsigned long long need, limit, ring, conn, rest;

	if (percent < 1 || percent > 100) {
		xlb_cfg_at(e, false, "lb/tables/max_memory_percent");
		return xlb_cfg_fail(
			e,
			"lb.tables.max_memory_percent: %u is out of range (1..100)",
			percent);
	}
	if (!ram)
		return 0;
	need = xlb_mem_total(s->max_vips, s->max_backends, s->ring_max,
			     s->conn_max, ncpus ? ncpus : 1);
	limit = ram / 100 * percent;
	if (need <= limit)
		return 0;
	ring = xlb_mem_ring(s->max_vips, s->ring_max);
	conn = xlb_mem_conn4(s->conn_max) + xlb_mem_conn6(s->conn_max);
	rest = need - ring - conn;
	xlb_cfg_at(e, false, "lb/tables/%s",
		   conn >= ring && conn >= rest ? "conn_max" :
		   ring >= rest			? "ring_max" :
						  "max_backends");
	return xlb_cfg_fail(
		e,
		"lb.tables: the maps need %llu MiB of kernel memory, more than lb.tables.max_memory_percent (%u%% of %llu MiB RAM = %llu MiB)",
		(need + (1 << 20) - 1) >> 20, percent, ram >> 20, limit >> 20);
}

/* RAM and possible CPUs of this machine; 0 RAM if unknown */
static void machine_size(unsigned long long *ram, unsigned int *ncpus)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
	int n = libbpf_num_possible_cpus();

	*ram = pages > 0 && psize > 0 ?
		       (unsigned long long)pages * (unsigned long long)psize :
		       0;
	*ncpus = n > 0 ? (unsigned int)n : 1;
}

static int check_globals(const struct xlb_cfg *c, struct xlb_cfg_err *e)
{
	unsigned long long ram;
	unsigned int ncpus;
	char buf[XLB_ADDR_STRLEN], who[IFNAMSIZ + 16], path[64];
	size_t i, j;
	int err;

	/* No interface and no VIP is the inert configuration a fresh
	 * install starts with: xlbd runs, attaches nothing, announces
	 * nothing. */
	if (!c->n_ifaces && c->n_vips) {
		xlb_cfg_at(e, false, "interfaces");
		return xlb_cfg_fail(e, "interfaces: at least one is required "
				       "when VIPs are configured");
	}
	for (i = 0; i < c->n_ifaces; i++) {
		const char *n = c->ifaces[i].name;

		xlb_cfg_at(e, false, "interfaces/%zu/name", i);
		if (!xlb_ifname_ok(n))
			return xlb_cfg_fail(
				e,
				"interface '%.*s': not a valid interface name",
				IFNAMSIZ, n);
		for (j = 0; j < i; j++)
			if (!strcmp(c->ifaces[j].name, n))
				return xlb_cfg_fail(
					e, "interface %s: listed twice", n);
		snprintf(who, sizeof(who), "interface %s", n);
		snprintf(path, sizeof(path), "interfaces/%zu", i);
		err = xlb_obj_check_ranges(&xlb_obj_iface, &c->ifaces[i], who,
					   path, e);
		if (err)
			return err;
	}
	err = xlb_obj_check_ranges(&xlb_obj_lb, c, NULL, "lb", e);
	if (err)
		return err;
	xlb_cfg_at(e, false, "lb/source4");
	if (c->src4.family != XLB_AF_NONE &&
	    (c->src4.family != XLB_AF_INET ||
	     xlb_addr_is_unspecified(&c->src4)))
		return xlb_cfg_fail(
			e, "lb.source4: %s is not a usable IPv4 address",
			xlb_addr_str(&c->src4, buf));
	xlb_cfg_at(e, false, "lb/source6");
	if (c->src6.family != XLB_AF_NONE &&
	    (c->src6.family != XLB_AF_INET6 ||
	     xlb_addr_is_unspecified(&c->src6)))
		return xlb_cfg_fail(
			e, "lb.source6: %s is not a usable IPv6 address",
			xlb_addr_str(&c->src6, buf));
	err = check_sizes(c, e);
	if (err)
		return err;
	machine_size(&ram, &ncpus);
	err = xlb_cfg_check_memory(&c->sizes, c->max_memory_percent, ram, ncpus,
				   e);
	if (err)
		return err;
	xlb_cfg_at(e, false, "api/socket");
	if (!abs_path_ok(c->api_socket, sizeof(c->api_socket)))
		return xlb_cfg_fail(e, "api.socket: must be an absolute path");
	xlb_cfg_at(e, false, "api/group");
	if (!TERMINATED(c->api_group) ||
	    (c->api_group[0] &&
	     (!xlb_name_ok(c->api_group) || c->api_group[0] == '-')))
		return xlb_cfg_fail(e, "api.group: not a valid group name");
	xlb_cfg_at(e, false, "metrics/listen");
	if (!TERMINATED(c->metrics_listen) ||
	    (c->metrics_listen[0] && !listen_ok(c->metrics_listen)))
		return xlb_cfg_fail(
			e,
			"metrics.listen: expected ADDRESS:PORT, e.g. 127.0.0.1:9110 or [::1]:9110");
	xlb_cfg_at(e, false, "notify/command");
	if (!TERMINATED(c->notify_command) ||
	    (c->notify_command[0] && c->notify_command[0] != '/'))
		return xlb_cfg_fail(e, "notify.command: an absolute path "
				       "is required");
	xlb_cfg_at(e, false, "notify/user");
	if (!TERMINATED(c->notify_user) ||
	    (c->notify_user[0] &&
	     (!xlb_name_ok(c->notify_user) || c->notify_user[0] == '-')))
		return xlb_cfg_fail(e, "notify.user: not a valid user name");
	return xlb_obj_check_ranges(&xlb_obj_log, c, NULL, "log", e);
}

/* A user name for getpwnam(): "" (the default) or [A-Za-z0-9_.-], not
 * starting with '-' */
static bool user_name_ok(const char *s)
{
	if (*s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static bool http_token_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < 'A' || *s > 'Z')
			return false;
	return true;
}

/*
 * The rules of one check that the health check engine relies on too
 * (xlb_hc_cfg_validate()); @path is where the check is in the file.
 */
static int hc_rules(const struct xlb_hc_cfg *h, const char *path,
		    struct xlb_cfg_err *e)
{
	const char *n = h->name;
	char who[XLB_NAME_MAX + 32];
	size_t i;
	int err;

	xlb_cfg_at(e, false, "%s", path);
	if (!TERMINATED(h->name) || !TERMINATED(h->method) ||
	    !TERMINATED(h->path) || !TERMINATED(h->host) ||
	    !TERMINATED(h->sni) || !TERMINATED(h->expect_body) ||
	    !TERMINATED(h->payload) || !TERMINATED(h->expect) ||
	    !TERMINATED(h->query_name) || h->n_expect_status > XLB_EXPECT_MAX ||
	    h->argc > XLB_ARGV_MAX)
		return xlb_cfg_fail(e, "health check '%.*s': field overflow",
				    XLB_NAME_MAX, n);
	snprintf(who, sizeof(who), "health check '%s'", n);
	err = xlb_obj_check_ranges(&xlb_obj_check, h, who, path, e);
	if (err)
		return err;
	/* a child's packets cannot carry the probe mark: SO_MARK is per
	 * socket and the child opens its own */
	xlb_cfg_at(e, true, "%s/via_vip", path);
	if (h->type == XLB_HC_EXEC && h->via_vip)
		return xlb_cfg_fail(
			e,
			"health check '%s': exec checks cannot follow the data path (via_vip): a child process's packets cannot be marked; use a tcp, http(s), udp or dns check",
			n);
	xlb_cfg_at(e, false, "%s/mode", path);
	/* the raw socket's SYN cannot carry a per-backend mark */
	if (h->type == XLB_HC_TCP && h->mode == XLB_HC_TCP_SYN && h->via_vip)
		return xlb_cfg_fail(
			e,
			"health check '%s': mode syn cannot follow the data path (via_vip); use mode connect",
			n);
	xlb_cfg_at(e, false, "%s", path);
	if (h->type == XLB_HC_UDP && !h->payload[0])
		return xlb_cfg_fail(
			e, "health check '%s': udp checks need payload", n);
	if (h->type == XLB_HC_DNS && !h->query_name[0])
		return xlb_cfg_fail(
			e, "health check '%s': dns checks need query_name", n);
	if (h->type == XLB_HC_EXEC && (!h->argc || !h->argv[0][0]))
		return xlb_cfg_fail(
			e, "health check '%s': exec checks need command", n);
	for (i = 0; i < h->n_expect_status; i++) {
		const struct xlb_status_range *r = &h->expect_status[i];

		xlb_cfg_at(e, false, "%s/expect_status/%zu", path, i);
		if (r->lo < 100 || r->hi > 599 || r->lo > 599 || r->hi < 100)
			return xlb_cfg_fail(
				e,
				"health check '%s': status %u-%u is out of range (100..599)",
				n, r->lo, r->hi);
		if (r->lo > r->hi)
			return xlb_cfg_fail(
				e,
				"health check '%s': status range %u-%u is backwards",
				n, r->lo, r->hi);
	}
	return 0;
}

/**
 * xlb_hc_cfg_validate() - see config.h
 */
int xlb_hc_cfg_validate(const struct xlb_hc_cfg *h, char *err, size_t errlen)
{
	struct xlb_cfg_err e = { 0 };
	int ret = hc_rules(h, "", &e);

	if (ret && err && errlen)
		snprintf(err, errlen, "%s", e.msg);
	return ret;
}

static int check_hc(const struct xlb_cfg *c, size_t k, struct xlb_cfg_err *e)
{
	const struct xlb_hc_cfg *h = &c->checks[k];
	char who[XLB_NAME_MAX + 32], path[64];
	const struct xlb_field *f;
	size_t i;
	int err;

	xlb_cfg_at(e, false, "health_checks/%zu/name", k);
	if (!TERMINATED(h->name) || !xlb_name_ok(h->name))
		return xlb_cfg_fail(
			e,
			"health check '%.*s': not a valid name (letters, digits, '.', '_', '-')",
			XLB_NAME_MAX, h->name);
	for (i = 0; i < k; i++)
		if (!strcmp(c->checks[i].name, h->name))
			return xlb_cfg_fail(
				e, "health check '%s': defined twice", h->name);
	snprintf(path, sizeof(path), "health_checks/%zu", k);
	err = hc_rules(h, path, e);
	if (err)
		return err;
	xlb_cfg_at(e, false, "health_checks/%zu/timeout_ms", k);
	if (h->timeout_ms > h->interval_ms)
		return xlb_cfg_fail(
			e,
			"health check '%s': timeout_ms %u is longer than interval_ms %u",
			h->name, h->timeout_ms, h->interval_ms);
	for (f = xlb_obj_check.fields; f->key; f++)
		if (!xlb_field_applies(f, (int)h->type) &&
		    xlb_field_is_set(f, h)) {
			xlb_cfg_at(e, true, "%s/%s", path, f->key);
			return xlb_cfg_fail(
				e,
				"health check '%s': %s is only for %s checks",
				h->name, f->key,
				xlb_field_hc_types(f, who, sizeof(who)));
		}
	switch (h->type) {
	case XLB_HC_HTTP:
	case XLB_HC_HTTPS:
		xlb_cfg_at(e, false, "health_checks/%zu/method", k);
		if (!http_token_ok(h->method))
			return xlb_cfg_fail(
				e,
				"health check '%s': method must be an upper-case HTTP method",
				h->name);
		xlb_cfg_at(e, false, "health_checks/%zu/path", k);
		if (h->path[0] != '/')
			return xlb_cfg_fail(
				e,
				"health check '%s': path must start with '/'",
				h->name);
		xlb_cfg_at(e, false, "health_checks/%zu/expect_status", k);
		if (!h->n_expect_status)
			return xlb_cfg_fail(
				e, "health check '%s': expect_status is empty",
				h->name);
		break;
	case XLB_HC_DNS:
		xlb_cfg_at(e, false, "health_checks/%zu/query_type", k);
		if (!h->query_type)
			return xlb_cfg_fail(
				e,
				"health check '%s': query_type 0 is not a DNS type",
				h->name);
		break;
	case XLB_HC_EXEC:
		for (i = 0; i < h->argc; i++)
			if (!TERMINATED(h->argv[i])) {
				xlb_cfg_at(e, false,
					   "health_checks/%zu/command/%zu", k,
					   i);
				return xlb_cfg_fail(
					e, "health check '%s': field overflow",
					h->name);
			}
		xlb_cfg_at(e, false, "health_checks/%zu/command/0", k);
		if (h->argv[0][0] != '/')
			return xlb_cfg_fail(
				e,
				"health check '%s': command must start with an absolute path",
				h->name);
		xlb_cfg_at(e, false, "health_checks/%zu/user", k);
		if (!TERMINATED(h->user) || !user_name_ok(h->user))
			return xlb_cfg_fail(
				e,
				"health check '%s': user must be a user name (letters, digits, '_', '-', '.')",
				h->name);
		break;
	default:
		break;
	}
	return 0;
}

static int check_bgp(const struct xlb_bgp_cfg *g, struct xlb_cfg_err *e)
{
	char buf[XLB_ADDR_STRLEN];
	size_t i;

	if (!g->enabled)
		return 0;
	xlb_cfg_at(e, false, "bgp/bird_socket");
	if (!abs_path_ok(g->bird_socket, sizeof(g->bird_socket)))
		return xlb_cfg_fail(
			e, "bgp.bird_socket: must be an absolute path");
	xlb_cfg_at(e, false, "bgp/include_file");
	if (!abs_path_ok(g->include_file, sizeof(g->include_file)))
		return xlb_cfg_fail(
			e, "bgp.include_file: must be an absolute path");
	xlb_cfg_at(e, false, "bgp/allowed");
	if (!g->n_allowed)
		return xlb_cfg_fail(
			e, "bgp.allowed: at least one prefix is required");
	if (g->n_allowed > XLB_ALLOWED_MAX)
		return xlb_cfg_fail(e, "bgp.allowed: more than %u prefixes",
				    XLB_ALLOWED_MAX);
	for (i = 0; i < g->n_allowed; i++) {
		const struct xlb_prefix *p = &g->allowed[i];

		xlb_cfg_at(e, false, "bgp/allowed/%zu", i);
		if (p->addr.family != XLB_AF_INET &&
		    p->addr.family != XLB_AF_INET6)
			return xlb_cfg_fail(
				e, "bgp.allowed: prefix %zu has no address",
				i + 1);
		if (p->len > (p->addr.family == XLB_AF_INET ? 32 : 128))
			return xlb_cfg_fail(
				e, "bgp.allowed: %s/%u: length is out of range",
				xlb_addr_str(&p->addr, buf), p->len);
		if (prefix_host_bits(p))
			return xlb_cfg_fail(
				e, "bgp.allowed: %s/%u has host bits set",
				xlb_addr_str(&p->addr, buf), p->len);
	}
	return xlb_obj_check_ranges(&xlb_obj_bgp, g, NULL, "bgp", e);
}

/*
 * A check used for VIP @v (by the VIP or by a backend): it must exist, and
 * it needs a port of its own when the VIP has none.
 */
static int check_hc_ref(const struct xlb_cfg *c, const struct xlb_vip_cfg *v,
			const char *who, const char *name,
			struct xlb_cfg_err *e)
{
	const struct xlb_hc_cfg *h;

	if (!name[0])
		return 0;
	h = xlb_cfg_find_check(c, name);
	if (!h)
		return xlb_cfg_fail(e, "%shealth check '%s' is not defined",
				    who, name);
	if (!v->port && !h->port)
		return xlb_cfg_fail(
			e,
			"%shealth check '%s' has no port and the VIP has none (port: any)",
			who, name);
	return 0;
}

/*
 * The first repeats among a VIP's backends, found on sorted copies (a VIP
 * may have a hundred thousand backends; comparing each with those before
 * it took seconds): the backend that repeats an earlier address (addr_at),
 * and the one that repeats an earlier QUIC id (quic_at, of quic_of, the
 * first with that id). SIZE_MAX: none. check_backend() reports them at
 * their place in the list, where the pairwise loops did.
 */
struct be_dups {
	size_t addr_at, quic_at, quic_of;
};

struct be_ref {
	const struct xlb_backend_cfg *b;
	size_t i;
};

static int be_addr_cmp(const void *x, const void *y)
{
	const struct be_ref *p = x, *q = y;
	const struct xlb_addr *a = &p->b->addr, *b = &q->b->addr;
	int r = 0;

	if (a->family != b->family)
		r = a->family < b->family ? -1 : 1;
	else if (a->family == XLB_AF_INET)
		r = memcmp(a->a, b->a, 4);
	else if (a->family == XLB_AF_INET6)
		r = memcmp(a->a, b->a, 16);
	return r ? r : p->i < q->i ? -1 : p->i > q->i;
}

static int be_quic_cmp(const void *x, const void *y)
{
	const struct be_ref *p = x, *q = y;

	if (p->b->quic_id != q->b->quic_id)
		return p->b->quic_id < q->b->quic_id ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

/* same key: @cmp without the indexes */
static bool be_same(const struct be_ref *x, const struct be_ref *y,
		    int (*cmp)(const void *, const void *))
{
	struct be_ref a = { x->b, 0 }, b = { y->b, 0 };

	return !cmp(&a, &b);
}

/*
 * On @r (@n) sorted by key then index, each group of equal keys is
 * contiguous with its indexes rising: its second member is the first to
 * repeat the key, its first the one repeated. @at: the earliest such
 * second member of all groups (SIZE_MAX: none), @of its group's first.
 */
static void first_repeat(const struct be_ref *r, size_t n,
			 int (*cmp)(const void *, const void *), size_t *at,
			 size_t *of)
{
	size_t k, g;

	*at = SIZE_MAX;
	for (k = 0; k < n; k = g) {
		for (g = k + 1; g < n && be_same(&r[k], &r[g], cmp); g++)
			;
		if (g - k > 1 && r[k + 1].i < *at) {
			*at = r[k + 1].i;
			*of = r[k].i;
		}
	}
}

static int be_dups_find(const struct xlb_vip_cfg *v, struct be_dups *d)
{
	struct be_ref *r;
	size_t i, n = 0, of = 0;

	d->addr_at = d->quic_at = d->quic_of = SIZE_MAX;
	if (v->n_backends < 2)
		return 0;
	r = calloc(v->n_backends, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < v->n_backends; i++)
		r[i] = (struct be_ref){ &v->backends[i], i };
	qsort(r, v->n_backends, sizeof(*r), be_addr_cmp);
	first_repeat(r, v->n_backends, be_addr_cmp, &d->addr_at, &of);
	for (i = 0; i < v->n_backends; i++)
		if (v->backends[i].has_quic_id)
			r[n++] = (struct be_ref){ &v->backends[i], i };
	qsort(r, n, sizeof(*r), be_quic_cmp);
	first_repeat(r, n, be_quic_cmp, &d->quic_at, &d->quic_of);
	free(r);
	return 0;
}

/* a backend's QUIC server id: fits the VIP's length, unique in the VIP */
static int check_quic_id(const struct xlb_vip_cfg *v, size_t vi, size_t bi,
			 const struct be_dups *d, const char *who,
			 struct xlb_cfg_err *e)
{
	const struct xlb_backend_cfg *b = &v->backends[bi];
	char as[XLB_ADDR_STRLEN];

	if (!b->has_quic_id)
		return 0;
	xlb_cfg_at(e, false, "vips/%zu/backends/%zu/quic_id", vi, bi);
	if (!v->quic_id_len)
		return xlb_cfg_fail(e,
				    "%squic_id 0x%llx, but the VIP has no "
				    "quic_id_length",
				    who, (unsigned long long)b->quic_id);
	if (v->quic_id_len < 8 && b->quic_id >> (8 * v->quic_id_len))
		return xlb_cfg_fail(e,
				    "%squic_id 0x%llx does not fit "
				    "quic_id_length %u (0..0x%llx)",
				    who, (unsigned long long)b->quic_id,
				    v->quic_id_len,
				    (1ull << (8 * v->quic_id_len)) - 1);
	if (bi == d->quic_at)
		return xlb_cfg_fail(
			e, "%squic_id 0x%llx is also backend %s's", who,
			(unsigned long long)b->quic_id,
			xlb_addr_str(&v->backends[d->quic_of].addr, as));
	return 0;
}

/* where the VIP's QUIC server ids are (maps/xlb_quic.h) */
static int check_quic_vip(const struct xlb_vip_cfg *v, size_t vi,
			  const char *who, struct xlb_cfg_err *e)
{
	xlb_cfg_at(e, false, "vips/%zu/quic_id_length", vi);
	if (v->quic_id_len > XLB_QUIC_ID_MAX_LEN)
		return xlb_cfg_fail(e,
				    "%squic_id_length %u is out of range "
				    "(1..%u, or 0 for none)",
				    who, v->quic_id_len, XLB_QUIC_ID_MAX_LEN);
	xlb_cfg_at(e, false, "vips/%zu/quic_config_rotation", vi);
	if (v->has_quic_cr && !v->quic_id_len)
		return xlb_cfg_fail(e,
				    "%squic_config_rotation needs "
				    "quic_id_length",
				    who);
	if (v->has_quic_cr && v->quic_cr >= XLB_QUIC_CR_UNROUTABLE)
		return xlb_cfg_fail(e,
				    "%squic_config_rotation %u is out of "
				    "range (0..6; 7 marks unroutable "
				    "connection IDs)",
				    who, v->quic_cr);
	if (v->has_quic_cr && !v->quic_id_offset)
		return xlb_cfg_fail(e,
				    "%squic_config_rotation is in the "
				    "first octet: quic_id_offset must be "
				    "at least 1",
				    who);
	xlb_cfg_at(e, false, "vips/%zu/quic_id_length", vi);
	if (!v->quic_id_len) {
		xlb_cfg_at(e, false, "vips/%zu/quic_id_offset", vi);
		if (v->quic_id_offset != XLB_QUIC_DEFAULT_OFFSET)
			return xlb_cfg_fail(e,
					    "%squic_id_offset needs "
					    "quic_id_length",
					    who);
		return 0;
	}
	if (v->proto != IPPROTO_UDP)
		return xlb_cfg_fail(e,
				    "%squic_id_length: QUIC is UDP, the "
				    "VIP is not",
				    who);
	if (v->flags & XLB_VIP_F_FRAG_BALANCE)
		return xlb_cfg_fail(e,
				    "%squic_id_length and fragments: "
				    "balance do not go together (a "
				    "fragment has no connection ID)",
				    who);
	xlb_cfg_at(e, false, "vips/%zu/quic_id_offset", vi);
	if (v->quic_id_offset + v->quic_id_len > XLB_QUIC_CID_MAX)
		return xlb_cfg_fail(e,
				    "%squic_id_offset %u + quic_id_length "
				    "%u is beyond the %u bytes of a "
				    "connection ID",
				    who, v->quic_id_offset, v->quic_id_len,
				    XLB_QUIC_CID_MAX);
	return 0;
}

static int check_backend(const struct xlb_cfg *c, size_t vi, size_t bi,
			 const struct be_dups *d, const char *vs,
			 struct xlb_cfg_err *e)
{
	const struct xlb_vip_cfg *v = &c->vips[vi];
	const struct xlb_backend_cfg *b = &v->backends[bi];
	char who[XLB_ADDR_STRLEN + 200], as[XLB_ADDR_STRLEN], path[64];
	int err;

	xlb_cfg_at(e, false, "vips/%zu/backends/%zu/address", vi, bi);
	if (b->addr.family != XLB_AF_INET && b->addr.family != XLB_AF_INET6)
		return xlb_cfg_fail(e, "vip %s: backend %zu: no address", vs,
				    bi + 1);
	xlb_addr_str(&b->addr, as);
	snprintf(who, sizeof(who), "vip %s: backend %s: ", vs, as);
	if (addr_unusable(&b->addr))
		return xlb_cfg_fail(e, "%saddress is %s", who,
				    addr_unusable(&b->addr));
	if (bi == d->addr_at)
		return xlb_cfg_fail(e, "vip %s: backend %s: duplicate", vs, as);
	if (v->fwd == XLB_FWD_L2 && b->addr.family != v->addr.family)
		return xlb_cfg_fail(
			e, "%sl2 forwarding needs an %s backend, like the VIP",
			who, family_name(v->addr.family));
	if (b->addr.family == XLB_AF_INET && c->src4.family == XLB_AF_NONE)
		return xlb_cfg_fail(e, "%san IPv4 backend needs lb.source4",
				    who);
	if (b->addr.family == XLB_AF_INET6 && c->src6.family == XLB_AF_NONE)
		return xlb_cfg_fail(e, "%san IPv6 backend needs lb.source6",
				    who);
	snprintf(path, sizeof(path), "vips/%zu/backends/%zu", vi, bi);
	snprintf(who, sizeof(who), "vip %s: backend %s", vs, as);
	err = xlb_obj_check_ranges(&xlb_obj_backend, b, who, path, e);
	if (err)
		return err;
	snprintf(who, sizeof(who), "vip %s: backend %s: ", vs, as);
	xlb_cfg_at(e, false, "vips/%zu/backends/%zu/health_check", vi, bi);
	if (!TERMINATED(b->health_check))
		return xlb_cfg_fail(e, "%shealth_check: name too long", who);
	err = check_hc_ref(c, v, who, b->health_check, e);
	if (err)
		return err;
	return check_quic_id(v, vi, bi, d, who, e);
}

static const char *unserved_str(__u16 flags)
{
	return flags & XLB_VIP_F_UNSERVED_PASS ? "pass" : "drop";
}

static int check_vip(const struct xlb_cfg *c, size_t vi, size_t *members,
		     struct xlb_cfg_err *e)
{
	const struct xlb_vip_cfg *v = &c->vips[vi];
	char vs[XLB_ADDR_STRLEN + 16], who[XLB_ADDR_STRLEN + 32];
	char other[XLB_ADDR_STRLEN + 16], path[64];
	struct be_dups dups;
	size_t i;
	int err;

	xlb_cfg_at(e, false, "vips/%zu/address", vi);
	if (v->addr.family != XLB_AF_INET && v->addr.family != XLB_AF_INET6)
		return xlb_cfg_fail(e, "vip %zu: no address", vi + 1);
	xlb_cfg_at(e, false, "vips/%zu/protocol", vi);
	if (v->proto != IPPROTO_TCP && v->proto != IPPROTO_UDP)
		return xlb_cfg_fail(e, "vip %zu: protocol must be tcp or udp",
				    vi + 1);
	xlb_vip_str(&v->addr, v->port, v->proto, vs, sizeof(vs));
	snprintf(who, sizeof(who), "vip %s: ", vs);
	xlb_cfg_at(e, false, "vips/%zu/notify", vi);
	if (!TERMINATED(v->notify) || (v->notify[0] && v->notify[0] != '/'))
		return xlb_cfg_fail(e, "%snotify: an absolute path is required",
				    who);
	xlb_cfg_at(e, false, "vips/%zu/address", vi);
	if (addr_unusable(&v->addr))
		return xlb_cfg_fail(e, "%saddress is %s", who,
				    addr_unusable(&v->addr));
	for (i = 0; i < vi; i++)
		if (c->vips[i].port == v->port &&
		    c->vips[i].proto == v->proto &&
		    xlb_cfg_addr_same(&c->vips[i].addr, &v->addr))
			return xlb_cfg_fail(e, "%sdefined twice", who);
	if (vi >= c->sizes.max_vips)
		return xlb_cfg_fail(e,
				    "%smore VIPs than lb.tables.max_vips (%u)",
				    who, c->sizes.max_vips);
	xlb_cfg_at(e, false, "vips/%zu/name", vi);
	if (!TERMINATED(v->name) || (v->name[0] && !xlb_name_ok(v->name)))
		return xlb_cfg_fail(
			e,
			"%sname: not a valid name (letters, digits, '.', '_', '-')",
			who);
	snprintf(path, sizeof(path), "vips/%zu", vi);
	snprintf(who, sizeof(who), "vip %s", vs);
	err = xlb_obj_check_ranges(&xlb_obj_vip, v, who, path, e);
	snprintf(who, sizeof(who), "vip %s: ", vs);
	if (err)
		return err;
	xlb_cfg_at(e, false, "vips/%zu/gue_port", vi);
	if (v->fwd == XLB_FWD_GUE && !v->gue_port)
		return xlb_cfg_fail(
			e, "%sgue_port: 0 is out of range (1..65535)", who);
	xlb_cfg_at(e, false, "vips/%zu/ring_size", vi);
	if (!xlb_is_prime(v->ring_size))
		return xlb_cfg_fail(e, "%sring_size %u is not a prime", who,
				    v->ring_size);
	if (v->ring_size > c->sizes.ring_max)
		return xlb_cfg_fail(
			e,
			"%sring_size %u is larger than lb.tables.ring_max (%u)",
			who, v->ring_size, c->sizes.ring_max);
	xlb_cfg_at(e, false, "vips/%zu", vi);
	if (v->flags & ~(XLB_VIP_F_NO_CONN | XLB_VIP_F_SRC_ONLY |
			 XLB_VIP_F_UNSERVED_PASS | XLB_VIP_F_FRAG_BALANCE))
		return xlb_cfg_fail(e, "%sunknown flags 0x%x", who, v->flags);
	/* fragments have no ports: they are hashed on (source, destination,
	 * protocol), so the VIP's other packets must be too, and the
	 * address's one marker names the one VIP they go to */
	xlb_cfg_at(e, false, "vips/%zu/fragments", vi);
	if ((v->flags & XLB_VIP_F_FRAG_BALANCE) &&
	    !(v->flags & XLB_VIP_F_SRC_ONLY))
		return xlb_cfg_fail(
			e, "%sfragments: balance needs hash: source", who);
	for (i = 0; i < vi && (v->flags & XLB_VIP_F_FRAG_BALANCE); i++)
		if (xlb_cfg_addr_same(&c->vips[i].addr, &v->addr) &&
		    (c->vips[i].flags & XLB_VIP_F_FRAG_BALANCE))
			return xlb_cfg_fail(
				e,
				"%sfragments: balance, and so has vip %s on the same address (one per address)",
				who,
				xlb_vip_str(&c->vips[i].addr, c->vips[i].port,
					    c->vips[i].proto, other,
					    sizeof(other)));
	/* one marker per address carries it (bpf/lookup.h) */
	xlb_cfg_at(e, false, "vips/%zu/unserved", vi);
	for (i = 0; i < vi; i++)
		if (xlb_cfg_addr_same(&c->vips[i].addr, &v->addr) &&
		    (c->vips[i].flags ^ v->flags) & XLB_VIP_F_UNSERVED_PASS)
			return xlb_cfg_fail(
				e,
				"%sunserved: %s, but vip %s on the same address says %s",
				who, unserved_str(v->flags),
				xlb_vip_str(&c->vips[i].addr, c->vips[i].port,
					    c->vips[i].proto, other,
					    sizeof(other)),
				unserved_str(c->vips[i].flags));
	xlb_cfg_at(e, false, "vips/%zu/health_check", vi);
	if (!TERMINATED(v->health_check))
		return xlb_cfg_fail(e, "%shealth_check: name too long", who);
	err = check_hc_ref(c, v, who, v->health_check, e);
	err = err ?: check_quic_vip(v, vi, who, e);
	if (err)
		return err;
	if (c->bgp.enabled && v->announce) {
		for (i = 0; i < c->bgp.n_allowed && i < XLB_ALLOWED_MAX; i++)
			if (prefix_contains(&c->bgp.allowed[i], &v->addr))
				break;
		if (i == c->bgp.n_allowed || i == XLB_ALLOWED_MAX) {
			xlb_cfg_at(e, false, "vips/%zu/address", vi);
			return xlb_cfg_fail(
				e, "%sannounced but outside bgp.allowed", who);
		}
	}
	if (v->n_backends && !v->backends) {
		xlb_cfg_at(e, false, "vips/%zu/backends", vi);
		return xlb_cfg_fail(e, "%sbackends missing", who);
	}
	err = be_dups_find(v, &dups);
	if (err)
		return xlb_cfg_fail(e, "%sbackends: %s", who, strerror(-err));
	for (i = 0; i < v->n_backends; i++) {
		err = check_backend(c, vi, i, &dups, vs, e);
		if (err)
			return err;
		if (++*members > c->sizes.max_backends) {
			xlb_cfg_at(e, false, "vips/%zu/backends/%zu", vi, i);
			return xlb_cfg_fail(
				e,
				"%smore backends in all than lb.tables.max_backends (%u)",
				who, c->sizes.max_backends);
		}
	}
	return 0;
}

struct vip_ref {
	struct xlb_addr addr;
	size_t i;
};

static int vip_ref_cmp(const void *x, const void *y)
{
	const struct vip_ref *a = x, *b = y;
	int r = xlb_addr_cmp(&a->addr, &b->addr);

	return r ? r : a->i < b->i ? -1 : a->i > b->i;
}

/* Only the address part: bsearch for any VIP on an address */
static int vip_addr_cmp(const void *x, const void *y)
{
	return xlb_addr_cmp(&((const struct vip_ref *)x)->addr,
			    &((const struct vip_ref *)y)->addr);
}

/*
 * Checks across VIPs, on the VIP addresses sorted once (configs may hold
 * thousands of VIPs and a million backends):
 *
 * - each family's VIP table (xlb_vip4, xlb_vip6: lb.tables.max_vips
 *   entries) holds one entry per VIP plus one marker per VIP address
 *   (bpf/lookup.h); past that the kernel refuses the update with E2BIG;
 * - a backend must not be one of the VIP addresses: the balancer would
 *   send the packet to itself.
 */
static int check_vip_addrs(const struct xlb_cfg *c, struct xlb_cfg_err *e)
{
	char vs[XLB_ADDR_STRLEN + 16], as[XLB_ADDR_STRLEN];
	unsigned long long used4 = 0, used6 = 0, *used;
	struct vip_ref *refs, key;
	bool *first;
	size_t i, j;
	int err = 0;

	if (!c->n_vips)
		return 0;
	refs = calloc(c->n_vips, sizeof(*refs));
	first = calloc(c->n_vips, sizeof(*first));
	if (!refs || !first) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->n_vips; i++) {
		refs[i].addr = c->vips[i].addr;
		refs[i].i = i;
	}
	qsort(refs, c->n_vips, sizeof(*refs), vip_ref_cmp);
	for (i = 0; i < c->n_vips; i++)
		first[refs[i].i] = !i || vip_addr_cmp(&refs[i - 1], &refs[i]);
	for (i = 0; i < c->n_vips; i++) {
		const struct xlb_vip_cfg *v = &c->vips[i];

		used = v->addr.family == XLB_AF_INET ? &used4 : &used6;
		*used += 1 + first[i];
		if (*used <= c->sizes.max_vips)
			continue;
		xlb_vip_str(&v->addr, v->port, v->proto, vs, sizeof(vs));
		xlb_cfg_at(e, false, "vips/%zu/address", i);
		err = xlb_cfg_fail(
			e,
			"vip %s: %s vip table full (lb.tables.max_vips %u: one entry per VIP and one per VIP address)",
			vs, family_name(v->addr.family), c->sizes.max_vips);
		goto out;
	}
	memset(&key, 0, sizeof(key));
	for (i = 0; i < c->n_vips; i++) {
		const struct xlb_vip_cfg *v = &c->vips[i];

		for (j = 0; j < v->n_backends; j++) {
			key.addr = v->backends[j].addr;
			if (!bsearch(&key, refs, c->n_vips, sizeof(*refs),
				     vip_addr_cmp))
				continue;
			xlb_vip_str(&v->addr, v->port, v->proto, vs,
				    sizeof(vs));
			xlb_cfg_at(e, false, "vips/%zu/backends/%zu/address", i,
				   j);
			err = xlb_cfg_fail(
				e, "vip %s: backend %s: is a VIP address", vs,
				xlb_addr_str(&key.addr, as));
			goto out;
		}
	}
out:
	if (err == -ENOMEM)
		xlb_cfg_fail(e, "out of memory");
	free(refs);
	free(first);
	return err;
}

int xlb_cfg_check(const struct xlb_cfg *c, struct xlb_cfg_err *e)
{
	size_t i, members = 0;
	int err;

	memset(e, 0, sizeof(*e));
	if (!c)
		return xlb_cfg_fail(e, "no configuration");
	if ((c->n_ifaces && !c->ifaces) || (c->n_checks && !c->checks) ||
	    (c->n_vips && !c->vips))
		return xlb_cfg_fail(e, "array missing");
	err = check_globals(c, e);
	if (err)
		return err;
	for (i = 0; i < c->n_checks; i++) {
		err = check_hc(c, i, e);
		if (err)
			return err;
	}
	err = check_bgp(&c->bgp, e);
	if (err)
		return err;
	for (i = 0; i < c->n_vips; i++) {
		err = check_vip(c, i, &members, e);
		if (err)
			return err;
	}
	err = check_vip_addrs(c, e);
	if (err)
		return err;
	return 0;
}

/**
 * xlb_cfg_validate() - see config.h; the same checks as the loader runs
 * after parsing, so a config that validates also loads back from its dump
 */
int xlb_cfg_validate(const struct xlb_cfg *c, char *err, size_t errlen)
{
	struct xlb_cfg_err e;
	int ret;

	ret = xlb_cfg_check(c, &e);
	if (ret && err && errlen) {
		snprintf(err, errlen, "%s", e.msg);
		xlb_cfg_oneline(err);
	}
	return ret;
}

void xlb_cfg_oneline(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}
