// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: config field tables and their engine
 *
 * The tables (one per object, see fields.h) and what reads them that is
 * not about YAML: parsing one value from text with exact rules (decimal or
 * 0x hexadecimal only, "true"/"false" only), formatting it back, the
 * defaults, the range checks, and help and man page text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "fields.h"
#include "maps/xlb_maps.h"
#include "maps/xlb_quic.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- the tables ---------------------------------------------------------- */

#define HC(t)	   (1u << XLB_HC_##t)
#define HC_HTTP	   (HC(HTTP) | HC(HTTPS))
#define HC_ALL	   (HC(TCP) | HC_HTTP | HC(UDP) | HC(DNS) | HC(EXEC))
#define M(st, m)   offsetof(struct st, m), sizeof(((struct st *)0)->m)
#define N(st, m)   .n_off = offsetof(struct st, m)
#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define VALS(...)  ((const int[]){ __VA_ARGS__ })

static const char *const bool_names[] = { "true", "false", NULL };

static const struct xlb_field iface_fields[] = {
	{ "name", XLB_FT_STR, M(xlb_iface_cfg, name), XLB_FF_REQ,
	  .label = "interface name", .help = "interface to attach to" },
	{ "mode", XLB_FT_ENUM, M(xlb_iface_cfg, generic), 0,
	  .names = NAMES("native", "generic"), .def = "native",
	  .help = "XDP mode; generic (skb) only on request" },
	{ "mtu", XLB_FT_UINT, M(xlb_iface_cfg, mtu),
	  XLB_FF_OMITDEF | XLB_FF_RANGE | XLB_FF_ZERO_OK, XLB_MTU_MIN, 65535,
	  .help = "MTU of encapsulated packets leaving by it (0: the link's)" },
	{ 0 },
};

static const struct xlb_field tables_fields[] = {
	{ "max_vips", XLB_FT_UINT, M(xlb_cfg, sizes.max_vips), XLB_FF_RANGE, 1,
	  XLB_MAX_VIPS_LIMIT, .def = "64",
	  .help = "entries of each VIP table (one per VIP and per address)" },
	{ "max_backends", XLB_FT_UINT, M(xlb_cfg, sizes.max_backends),
	  XLB_FF_RANGE, 1, XLB_MAX_BACKENDS_LIMIT, .def = "4096",
	  .help = "backends of all VIPs together" },
	{ "ring_max", XLB_FT_UINT, M(xlb_cfg, sizes.ring_max), XLB_FF_RANGE, 2,
	  XLB_MAX_RING_SIZE, .def = "65537",
	  .help = "largest ring_size of a VIP (a prime)" },
	{ "conn_max", XLB_FT_UINT, M(xlb_cfg, sizes.conn_max), XLB_FF_RANGE, 1,
	  XLB_CONN_MAX_LIMIT, .def = "1048576",
	  .help = "connection table entries per family" },
	{ "max_memory_percent", XLB_FT_UINT, M(xlb_cfg, max_memory_percent),
	  XLB_FF_OMITDEF | XLB_FF_RANGE, 1, 100, .def = "25",
	  .help = "share of RAM the maps may take" },
	{ 0 },
};

const struct xlb_obj xlb_obj_tables = { "lb.tables", "lb.tables.",
					tables_fields };

static const struct xlb_field lb_fields[] = {
	{ "source4", XLB_FT_ADDR, M(xlb_cfg, src4), XLB_FF_OMITDEF,
	  .help = "outer source address of IPv4 encapsulation" },
	{ "source6", XLB_FT_ADDR, M(xlb_cfg, src6), XLB_FF_OMITDEF,
	  .help = "outer source address of IPv6 encapsulation" },
	{ "hash_seed", XLB_FT_UINT, M(xlb_cfg, hash_seed), 0,
	  .help = "flow hash seed, the same on every PoP" },
	{ "tables", XLB_FT_OBJ, 0, 0, 0, .sub = &xlb_obj_tables,
	  .help = "load-time table sizes" },
	{ "icmp_rate", XLB_FT_UINT, M(xlb_cfg, icmp_rate),
	  XLB_FF_OMITDEF | XLB_FF_RANGE, 0, XLB_MAX_RATE,
	  .help = "ICMP errors per second per CPU (0: the default)" },
	{ "new_flow_rate", XLB_FT_UINT, M(xlb_cfg, new_flow_rate),
	  XLB_FF_OMITDEF | XLB_FF_RANGE, 0, XLB_MAX_RATE,
	  .help = "new flows recorded per second per CPU (0: no limit)" },
	{ "second_chance", XLB_FT_UINT, M(xlb_cfg, second_chance),
	  XLB_FF_OMITDEF | XLB_FF_RANGE, 0, XLB_MAX_SECOND_CHANCE, .def = "0",
	  .help = "seconds a TCP packet of no known flow may take the "
		  "previous ring's backend after a change (0: off)" },
	{ "outer_ttl", XLB_FT_UINT, M(xlb_cfg, outer_ttl),
	  XLB_FF_OMITDEF | XLB_FF_LOADRANGE, 1, 255, .def = "64",
	  .help = "TTL / hop limit of the outer header and of the ICMP "
		  "messages the balancer sends (errors, echo replies)" },
	{ 0 },
};

static const struct xlb_field api_fields[] = {
	{ "socket", XLB_FT_STR, M(xlb_cfg, api_socket), 0,
	  .def = XLB_DEFAULT_SOCKET, .help = "Unix socket of the API" },
	{ "group", XLB_FT_STR, M(xlb_cfg, api_group), 0,
	  .help = "group allowed to use the socket besides root" },
	{ 0 },
};

static const struct xlb_field metrics_fields[] = {
	{ "listen", XLB_FT_STR, M(xlb_cfg, metrics_listen), 0,
	  .help = "ADDRESS:PORT of the Prometheus endpoint" },
	{ 0 },
};

static const struct xlb_field notify_fields[] = {
	{ "command", XLB_FT_STR, M(xlb_cfg, notify_command), XLB_FF_REQ,
	  .help = "absolute path of the hook run on every event" },
	{ "user", XLB_FT_STR, M(xlb_cfg, notify_user), 0,
	  .help = "user it runs as (default nobody)" },
	{ 0 },
};

static const struct xlb_field log_fields[] = {
	{ "level", XLB_FT_STR, M(xlb_cfg, log_level), 0,
	  .names = NAMES("err", "warn", "info", "debug"), .def = "info",
	  .help = "least severe message logged" },
	{ 0 },
};

static const struct xlb_field check_fields[] = {
	{ "name", XLB_FT_STR, M(xlb_hc_cfg, name),
	  XLB_FF_REQ | XLB_FF_SEL | XLB_FF_NOOPT, .label = "health check name",
	  .help = "referenced by VIPs and backends" },
	{ "type", XLB_FT_ENUM, M(xlb_hc_cfg, type), XLB_FF_REQ | XLB_FF_SEL,
	  .names = NAMES("tcp", "http", "https", "udp", "dns", "exec"),
	  .vals = VALS(XLB_HC_TCP, XLB_HC_HTTP, XLB_HC_HTTPS, XLB_HC_UDP,
		       XLB_HC_DNS, XLB_HC_EXEC),
	  .help = "what the check does" },
	{ "port", XLB_FT_UINT, M(xlb_hc_cfg, port),
	  XLB_FF_OMITDEF | XLB_FF_LOADRANGE | XLB_FF_ZERO_OK, 1, 65535,
	  .help = "port to check (default: the VIP's)" },
	{ "interval_ms", XLB_FT_UINT, M(xlb_hc_cfg, interval_ms), XLB_FF_RANGE,
	  XLB_HC_INTERVAL_MIN, XLB_HC_INTERVAL_MAX, .def = "1000",
	  .help = "time between checks" },
	{ "timeout_ms", XLB_FT_UINT, M(xlb_hc_cfg, timeout_ms), XLB_FF_RANGE, 1,
	  XLB_HC_INTERVAL_MAX, .def = "1000",
	  .help = "time one check may take (at most interval_ms)" },
	{ "rise", XLB_FT_UINT, M(xlb_hc_cfg, rise), XLB_FF_RANGE, 1,
	  XLB_HC_RISE_FALL_MAX, .def = "2",
	  .help = "consecutive successes to go up" },
	{ "fall", XLB_FT_UINT, M(xlb_hc_cfg, fall), XLB_FF_RANGE, 1,
	  XLB_HC_RISE_FALL_MAX, .def = "3",
	  .help = "consecutive failures to go down" },
	{ "via_vip", XLB_FT_BOOL, M(xlb_hc_cfg, via_vip), 0, .def = "false",
	  .hc = HC_ALL & ~HC(EXEC),
	  .help = "check through the VIP, encapsulated like client traffic" },
	{ "method", XLB_FT_STR, M(xlb_hc_cfg, method), 0, .def = "GET",
	  .hc = HC_HTTP, .help = "HTTP method" },
	{ "path", XLB_FT_STR, M(xlb_hc_cfg, path), 0, .def = "/", .hc = HC_HTTP,
	  .help = "HTTP path" },
	{ "host", XLB_FT_STR, M(xlb_hc_cfg, host), 0, .hc = HC_HTTP,
	  .help = "Host header (default: the address checked)" },
	{ "sni", XLB_FT_STR, M(xlb_hc_cfg, sni), 0, .hc = HC(HTTPS),
	  .help = "TLS server name (default: host)" },
	{ "expect_status", XLB_FT_STATUS, M(xlb_hc_cfg, expect_status), 0, 0,
	  XLB_EXPECT_MAX, N(xlb_hc_cfg, n_expect_status), .def = "200-399",
	  .hc = HC_HTTP, .help = "accepted status codes and ranges" },
	{ "expect_body", XLB_FT_STR, M(xlb_hc_cfg, expect_body), 0,
	  .hc = HC_HTTP, .help = "text the body must contain" },
	{ "tls_verify", XLB_FT_BOOL, M(xlb_hc_cfg, tls_verify), 0,
	  .def = "false", .hc = HC(HTTPS), .help = "verify the certificate" },
	{ "payload", XLB_FT_STR, M(xlb_hc_cfg, payload), 0, .hc = HC(UDP),
	  .help = "UDP payload to send (required)" },
	{ "expect", XLB_FT_STR, M(xlb_hc_cfg, expect), 0, .hc = HC(UDP),
	  .help = "text the UDP reply must contain" },
	{ "query_name", XLB_FT_STR, M(xlb_hc_cfg, query_name), 0, .hc = HC(DNS),
	  .help = "DNS name to ask for (required)" },
	{ "query_type", XLB_FT_DNSTYPE, M(xlb_hc_cfg, query_type), 0,
	  .def = "A", .hc = HC(DNS),
	  .help = "DNS type: A, AAAA, ... or 1..65535" },
	{ "command", XLB_FT_ARGV, M(xlb_hc_cfg, argv), 0, 0, XLB_ARGV_MAX,
	  N(xlb_hc_cfg, argc), .hc = HC(EXEC),
	  .help = "absolute path and arguments (required)" },
	{ "mode", XLB_FT_ENUM, M(xlb_hc_cfg, mode), XLB_FF_OMITDEF,
	  .names = NAMES("connect", "syn"), .def = "connect", .hc = HC(TCP),
	  .help = "connect, or syn for a half-open check" },
	{ "user", XLB_FT_STR, M(xlb_hc_cfg, user), 0, .hc = HC(EXEC),
	  .help = "user the command runs as (default nobody)" },
	{ 0 },
};

static const struct xlb_field bgp_fields[] = {
	{ "bird_socket", XLB_FT_STR, M(xlb_bgp_cfg, bird_socket), 0,
	  .def = XLB_DEFAULT_BIRD_SOCKET, .help = "BIRD control socket" },
	{ "include_file", XLB_FT_STR, M(xlb_bgp_cfg, include_file), 0,
	  .def = XLB_DEFAULT_BIRD_INCLUDE,
	  .help = "file xlbd writes, included by bird.conf" },
	{ "allowed", XLB_FT_PREFIX, M(xlb_bgp_cfg, allowed), XLB_FF_REQ, 0,
	  XLB_ALLOWED_MAX, N(xlb_bgp_cfg, n_allowed),
	  .help = "prefixes VIPs may be announced from" },
	{ "hold_down_ms", XLB_FT_UINT, M(xlb_bgp_cfg, hold_down_ms),
	  XLB_FF_RANGE, 0, XLB_BGP_HOLD_DOWN_MAX, .def = "5000",
	  .help = "a withdrawn VIP stays withdrawn at least this long" },
	{ "drain_timeout_s", XLB_FT_UINT, M(xlb_bgp_cfg, drain_timeout_s),
	  XLB_FF_RANGE, 0, XLB_BGP_DRAIN_MAX, .def = "60",
	  .help = "xlbctl pop drain --wait gives up after this" },
	{ "drain", XLB_FT_ENUM, M(xlb_bgp_cfg, drain), XLB_FF_OMITDEF,
	  .names = NAMES("off", "graceful", "withdrawn"), .def = "off",
	  .help = "the PoP is drained (xlbctl pop drain)" },
	{ "prepend", XLB_FT_UINT, M(xlb_bgp_cfg, prepend),
	  XLB_FF_OMITDEF | XLB_FF_LOADRANGE, 0, XLB_PREPEND_MAX,
	  .help = "extra AS path prepends on every route (a backup PoP)" },
	{ 0 },
};

static const struct xlb_field backend_fields[] = {
	{ "address", XLB_FT_ADDR, M(xlb_backend_cfg, addr),
	  XLB_FF_REQ | XLB_FF_NOCLI,
	  .help = "the backend's address (the tunnel endpoint)" },
	{ "weight", XLB_FT_UINT, M(xlb_backend_cfg, weight), XLB_FF_RANGE, 0,
	  XLB_MAX_WEIGHT, .def = "100",
	  .help = "relative share of new flows (0: drain)" },
	{ "state", XLB_FT_ENUM, M(xlb_backend_cfg, state), 0,
	  .names = NAMES("up", "drain", "down"), .def = "up",
	  .help = "operator state; checks never override drain or down" },
	{ "health_check", XLB_FT_STR, M(xlb_backend_cfg, health_check), 0,
	  .help = "check of this backend (default: the VIP's)" },
	{ "quic_id", XLB_FT_UINT, M(xlb_backend_cfg, quic_id),
	  XLB_FF_HAS | XLB_FF_HEX,
	  .has_off = offsetof(struct xlb_backend_cfg, has_quic_id),
	  .help = "QUIC server id it puts in its connection IDs (decimal or "
		  "0x...; below 2^(8 x the VIP's quic_id_length))" },
	{ 0 },
};

const struct xlb_obj xlb_obj_backend = { "backend", "", backend_fields,
					 sizeof(struct xlb_backend_cfg) };

static bool vip_gue(const void *base)
{
	return ((const struct xlb_vip_cfg *)base)->fwd == XLB_FWD_GUE;
}

static bool vip_quic(const void *base)
{
	return ((const struct xlb_vip_cfg *)base)->quic_id_len;
}

static const struct xlb_field vip_fields[] = {
	{ "name", XLB_FT_STR, M(xlb_vip_cfg, name), 0, .help = "a label" },
	{ "address", XLB_FT_ADDR, M(xlb_vip_cfg, addr),
	  XLB_FF_REQ | XLB_FF_NOCLI, .help = "the VIP address" },
	{ "port", XLB_FT_PORT, M(xlb_vip_cfg, port), XLB_FF_REQ | XLB_FF_NOCLI,
	  .help = "1..65535, or any for every port" },
	{ "protocol", XLB_FT_ENUM, M(xlb_vip_cfg, proto), XLB_FF_NOCLI,
	  .names = NAMES("tcp", "udp"), .vals = VALS(IPPROTO_TCP, IPPROTO_UDP),
	  .def = "tcp", .help = "tcp or udp" },
	{ "forwarding", XLB_FT_ENUM, M(xlb_vip_cfg, fwd), 0,
	  .names = NAMES("ipip", "l2", "gue"),
	  .vals = VALS(XLB_FWD_IPIP, XLB_FWD_L2, XLB_FWD_GUE), .def = "ipip",
	  .help = "IP-in-IP tunnel, L2 MAC rewrite or GUE (UDP)" },
	{ "gue_port", XLB_FT_UINT, M(xlb_vip_cfg, gue_port), XLB_FF_LOADRANGE,
	  1, 65535, .def = "6080", .shown = vip_gue,
	  .help = "UDP destination port of GUE forwarding" },
	{ "ring_size", XLB_FT_UINT, M(xlb_vip_cfg, ring_size), 0,
	  .def = "65537", .help = "Maglev ring size, a prime <= ring_max" },
	{ "min_healthy", XLB_FT_UINT, M(xlb_vip_cfg, min_healthy), 0,
	  .def = "1", .help = "healthy backends needed to announce" },
	{ "conn_table", XLB_FT_FLAG, M(xlb_vip_cfg, flags), 0,
	  .names = bool_names, .bit = XLB_VIP_F_NO_CONN, .def = "true",
	  .help = "record flows in the connection table" },
	{ "hash", XLB_FT_FLAG, M(xlb_vip_cfg, flags), 0,
	  .names = NAMES("5tuple", "source"), .bit = XLB_VIP_F_SRC_ONLY,
	  .def = "5tuple", .help = "hash the 5-tuple or the source only" },
	{ "unserved", XLB_FT_FLAG, M(xlb_vip_cfg, flags), 0,
	  .names = NAMES("drop", "pass"), .bit = XLB_VIP_F_UNSERVED_PASS,
	  .def = "drop", .help = "packets to no VIP on its address" },
	{ "fragments", XLB_FT_FLAG, M(xlb_vip_cfg, flags), 0,
	  .names = NAMES("drop", "balance"), .bit = XLB_VIP_F_FRAG_BALANCE,
	  .def = "drop", .help = "balance needs hash: source (its default)" },
	{ "announce", XLB_FT_BOOL, M(xlb_vip_cfg, announce), 0, .def = "true",
	  .help = "announce over BGP when servable" },
	{ "health_check", XLB_FT_STR, M(xlb_vip_cfg, health_check), 0,
	  .help = "default check of its backends" },
	{ "notify", XLB_FT_STR, M(xlb_vip_cfg, notify), 0,
	  .help = "this VIP's own notify hook (absolute path)" },
	{ "quic_id_length", XLB_FT_UINT, M(xlb_vip_cfg, quic_id_len),
	  XLB_FF_OMITDEF | XLB_FF_LOADRANGE, 0, XLB_QUIC_ID_MAX_LEN,
	  .help = "bytes of the QUIC server id in connection IDs (UDP; 0: "
		  "off)" },
	{ "quic_id_offset", XLB_FT_UINT, M(xlb_vip_cfg, quic_id_offset),
	  XLB_FF_LOADRANGE, 0, XLB_QUIC_CID_MAX - 1, .def = "1",
	  .shown = vip_quic,
	  .help = "first byte of the server id in the connection ID" },
	{ "quic_config_rotation", XLB_FT_UINT, M(xlb_vip_cfg, quic_cr),
	  XLB_FF_HAS, .has_off = offsetof(struct xlb_vip_cfg, has_quic_cr),
	  .help = "QUIC-LB config rotation the first octet must carry (0..6)" },
	{ "backends", XLB_FT_LIST, offsetof(struct xlb_vip_cfg, backends), 0,
	  XLB_FF_NOCLI, N(xlb_vip_cfg, n_backends), .sub = &xlb_obj_backend,
	  .help = "the backends" },
	{ 0 },
};

static void check_obj_init(void *o, const struct xlb_cfg *c)
{
	struct xlb_hc_cfg *h = o;
	char name[XLB_NAME_MAX];

	(void)c;
	memcpy(name, h->name, sizeof(name));
	xlb_hc_cfg_init(h, h->type);
	memcpy(h->name, name, sizeof(name));
}

static void vip_obj_init(void *o, const struct xlb_cfg *c)
{
	xlb_vip_cfg_init(o, c);
}

static void bgp_obj_init(void *o, const struct xlb_cfg *c)
{
	(void)c;
	xlb_bgp_cfg_init(o);
}

static bool bgp_dump(const void *o)
{
	return ((const struct xlb_bgp_cfg *)o)->enabled;
}

static bool metrics_dump(const void *o)
{
	return ((const struct xlb_cfg *)o)->metrics_listen[0];
}

static bool notify_dump(const void *o)
{
	return ((const struct xlb_cfg *)o)->notify_command[0];
}

const struct xlb_obj xlb_obj_iface = { "interface", "", iface_fields,
				       sizeof(struct xlb_iface_cfg) };
const struct xlb_obj xlb_obj_lb = { "lb", "lb.", lb_fields };
const struct xlb_obj xlb_obj_api = { "api", "api.", api_fields };
const struct xlb_obj xlb_obj_metrics = { "metrics", "metrics.", metrics_fields,
					 0,	    NULL,	metrics_dump };
const struct xlb_obj xlb_obj_notify = { "notify", "notify.", notify_fields,
					0,	  NULL,	     notify_dump };
const struct xlb_obj xlb_obj_log = { "log", "log.", log_fields };
const struct xlb_obj xlb_obj_check = { "health check", "", check_fields,
				       sizeof(struct xlb_hc_cfg),
				       check_obj_init };
const struct xlb_obj xlb_obj_bgp = { "bgp", "bgp.",	  bgp_fields,
				     0,	    bgp_obj_init, bgp_dump };
const struct xlb_obj xlb_obj_vip = { "vip", "", vip_fields,
				     sizeof(struct xlb_vip_cfg), vip_obj_init };

static const struct xlb_field root_fields[] = {
	{ "interfaces", XLB_FT_LIST, offsetof(struct xlb_cfg, ifaces), 0,
	  XLB_FF_REQ, N(xlb_cfg, n_ifaces), .sub = &xlb_obj_iface },
	{ "lb", XLB_FT_OBJ, .sub = &xlb_obj_lb },
	{ "api", XLB_FT_OBJ, .sub = &xlb_obj_api },
	{ "metrics", XLB_FT_OBJ, .sub = &xlb_obj_metrics },
	{ "notify", XLB_FT_OBJ, .sub = &xlb_obj_notify },
	{ "log", XLB_FT_OBJ, .sub = &xlb_obj_log },
	{ "health_checks", XLB_FT_LIST, offsetof(struct xlb_cfg, checks), 0, 0,
	  N(xlb_cfg, n_checks), .sub = &xlb_obj_check },
	{ "bgp", XLB_FT_OBJ, offsetof(struct xlb_cfg, bgp),
	  .sub = &xlb_obj_bgp },
	{ "vips", XLB_FT_LIST, offsetof(struct xlb_cfg, vips), 0, 0,
	  N(xlb_cfg, n_vips), .sub = &xlb_obj_vip },
	{ 0 },
};

const struct xlb_obj xlb_obj_root = { "", "", root_fields };

static const struct {
	const char *name;
	unsigned int type;
} dns_types[] = {
	{ "A", 1 },   { "NS", 2 },   { "CNAME", 5 }, { "SOA", 6 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
};

int xlb_dns_type_parse(const char *s)
{
	unsigned long v;
	unsigned int i;
	char *end;

	for (i = 0; s && i < ARRAY_SIZE(dns_types); i++)
		if (!strcmp(s, dns_types[i].name))
			return (int)dns_types[i].type;
	if (!s || *s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	return (int)v;
}

const char *xlb_dns_type_str(unsigned int t, char *buf)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dns_types); i++)
		if (dns_types[i].type == t)
			return dns_types[i].name;
	snprintf(buf, 8, "%u", t & 0xffff);
	return buf;
}

/* --- defaults and errors -------------------------------------------------- */

/**
 * xlb_hc_cfg_init() - a check of @type with every default set
 * @h: the check
 * @type: its type
 */
void xlb_hc_cfg_init(struct xlb_hc_cfg *h, enum xlb_hc_type type)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	xlb_obj_defaults(&xlb_obj_check, h, (int)type);
}

/**
 * xlb_vip_cfg_init() - a VIP with every default set and no backends
 * @v: the VIP
 * @c: the config it will join (for the default ring size), or NULL
 */
void xlb_vip_cfg_init(struct xlb_vip_cfg *v, const struct xlb_cfg *c)
{
	memset(v, 0, sizeof(*v));
	xlb_obj_defaults(&xlb_obj_vip, v, -1);
	/* a smaller table is prime too, so it is a valid ring size */
	if (c && c->sizes.ring_max && c->sizes.ring_max < v->ring_size)
		v->ring_size = c->sizes.ring_max;
}

/** xlb_backend_cfg_init() - a backend with every default set */
void xlb_backend_cfg_init(struct xlb_backend_cfg *b)
{
	memset(b, 0, sizeof(*b));
	xlb_obj_defaults(&xlb_obj_backend, b, -1);
}

/**
 * xlb_bgp_cfg_init() - an enabled BGP section with defaults, no prefixes
 * @g: the section
 */
void xlb_bgp_cfg_init(struct xlb_bgp_cfg *g)
{
	memset(g, 0, sizeof(*g));
	g->enabled = true;
	xlb_obj_defaults(&xlb_obj_bgp, g, -1);
}

/**
 * xlb_cfg_new() - an empty config with the defaults of every section
 *
 * Return: the config (free with xlb_cfg_free()), or NULL without memory.
 */
struct xlb_cfg *xlb_cfg_new(void)
{
	struct xlb_cfg *c = calloc(1, sizeof(*c));

	if (c)
		xlb_obj_defaults(&xlb_obj_root, c, -1);
	return c;
}

void xlb_cfg_at(struct xlb_cfg_err *e, bool at_key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->path, sizeof(e->path), fmt, ap);
	va_end(ap);
	e->at_key = at_key;
}

int xlb_cfg_fail(struct xlb_cfg_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* --- values --------------------------------------------------------------- */

static unsigned long long get_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const __u8 *)p;
	case 2:
		return *(const __u16 *)p;
	case 8:
		return *(const __u64 *)p;
	default:
		return *(const __u32 *)p;
	}
}

static void set_uint(void *p, size_t size, unsigned long long v)
{
	switch (size) {
	case 1:
		*(__u8 *)p = (__u8)v;
		break;
	case 2:
		*(__u16 *)p = (__u16)v;
		break;
	case 8:
		*(__u64 *)p = v;
		break;
	default:
		*(__u32 *)p = (__u32)v;
	}
}

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Decimal, or hexadecimal with 0x (hash_seed: 0x5eed): "010" is ten */
static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out, bool *range)
{
	unsigned long long v = 0;
	unsigned int base = 10, d;
	const char *p = s;

	*range = false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			return -EINVAL;
		if (d > max || v > (max - d) / base) {
			*range = true;
			return -ERANGE;
		}
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int set_names(const struct xlb_field *f, const char *label,
		     const char *s, int *idx, char *err, size_t len)
{
	char list[200] = "";
	size_t n = 0;
	int i;

	for (i = 0; f->names[i]; i++)
		if (!strcmp(s, f->names[i])) {
			*idx = i;
			return 0;
		}
	if (f->names == bool_names)
		return fail(err, len, "%s: '%.64s' is not true or false", label,
			    s);
	for (i = 0; f->names[i]; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? ", " : "", f->names[i]);
	return fail(err, len, "%s: '%.64s' is not one of %s", label, s, list);
}

static int set_prefix(const char *label, const char *s, struct xlb_prefix *o,
		      char *err, size_t len)
{
	const char *slash = strchr(s, '/');
	unsigned long long n;
	char a[XLB_ADDR_STRLEN];
	bool r;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		goto bad;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (xlb_addr_parse(a, &o->addr) || parse_uint(slash + 1, 128, &n, &r))
		goto bad;
	if (n > (o->addr.family == XLB_AF_INET ? 32u : 128u))
		return fail(err, len,
			    "%s: '%.64s': prefix length is out of range", label,
			    s);
	o->len = (__u8)n;
	return 0;
bad:
	return fail(err, len, "%s: '%.64s' is not a prefix (ADDRESS/LENGTH)",
		    label, s);
}

/* "200" or "300-399" */
static int set_status(const char *label, const char *s,
		      struct xlb_status_range *o, char *err, size_t len)
{
	unsigned long long lo = 0, hi = 0;
	const char *dash = strchr(s, '-');
	char a[8];
	bool r;

	if (!dash) {
		if (parse_uint(s, 65535, &lo, &r))
			goto bad;
		hi = lo;
	} else {
		if ((size_t)(dash - s) >= sizeof(a))
			goto bad;
		memcpy(a, s, (size_t)(dash - s));
		a[dash - s] = '\0';
		if (parse_uint(a, 65535, &lo, &r) ||
		    parse_uint(dash + 1, 65535, &hi, &r))
			goto bad;
	}
	o->lo = (__u16)lo;
	o->hi = (__u16)hi;
	return 0;
bad:
	return fail(
		err, len,
		"%s: '%.64s' is not a status code or range (e.g. 200 or 300-399)",
		label, s);
}

static int set_str(const char *label, const char *s, char *dst, size_t size,
		   char *err, size_t len)
{
	size_t n = strlen(s);

	if (n >= size)
		return fail(err, len, "%s: too long (at most %zu characters)",
			    label, size - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* Lists: append one entry */
static int set_entry(const struct xlb_field *f, char *base, const char *label,
		     const char *s, char *err, size_t len)
{
	size_t *n = (size_t *)(base + f->n_off);
	static const char *const what[] = { [XLB_FT_PREFIX] = "prefixes",
					    [XLB_FT_STATUS] = "entries",
					    [XLB_FT_ARGV] = "arguments" };
	int ret;

	if (*n >= f->max)
		return fail(err, len, "%s: more than %llu %s", label, f->max,
			    what[f->type]);
	if (f->type == XLB_FT_PREFIX)
		ret = set_prefix(label, s,
				 (struct xlb_prefix *)(base + f->off) + *n, err,
				 len);
	else if (f->type == XLB_FT_STATUS)
		ret = set_status(label, s,
				 (struct xlb_status_range *)(base + f->off) +
					 *n,
				 err, len);
	else
		ret = set_str(label, s, base + f->off + *n * XLB_STR_MAX,
			      XLB_STR_MAX, err, len);
	if (!ret)
		(*n)++;
	return ret;
}

/**
 * xlb_field_set() - see fields.h
 */
int xlb_field_set(const struct xlb_field *f, void *base, const char *label,
		  const char *s, char *err, size_t len)
{
	char *p = (char *)base + f->off;
	unsigned long long v, lo = 0, max;
	bool range;
	int i = 0, t;

	switch (f->type) {
	case XLB_FT_STR:
		if (f->names && set_names(f, label, s, &i, err, len))
			return -EINVAL;
		return set_str(label, s, p, f->size, err, len);
	case XLB_FT_UINT:
		max = f->size >= 8 ? ~0ull : (1ull << (8 * f->size)) - 1;
		if (f->flags & XLB_FF_LOADRANGE) {
			lo = f->min;
			max = f->max;
		}
		if (parse_uint(s, max, &v, &range) && !range)
			return fail(err, len, "%s: '%.64s' is not a number",
				    label, s);
		if (range || v < lo)
			return fail(err, len,
				    "%s: %.64s is out of range (%llu..%llu)",
				    label, s, lo, max);
		set_uint(p, f->size, v);
		if (f->flags & XLB_FF_HAS)
			*(bool *)((char *)base + f->has_off) = true;
		return 0;
	case XLB_FT_BOOL:
		if (strcmp(s, "true") && strcmp(s, "false"))
			return fail(err, len,
				    "%s: '%.64s' is not true or false", label,
				    s);
		*(bool *)p = !strcmp(s, "true");
		return 0;
	case XLB_FT_ENUM:
		if (set_names(f, label, s, &i, err, len))
			return -EINVAL;
		set_uint(p, f->size,
			 (unsigned long long)(f->vals ? f->vals[i] : i));
		return 0;
	case XLB_FT_FLAG:
		if (set_names(f, label, s, &i, err, len))
			return -EINVAL;
		if (i)
			*(__u16 *)p |= (__u16)f->bit;
		else
			*(__u16 *)p &= (__u16)~f->bit;
		return 0;
	case XLB_FT_ADDR:
		if (xlb_addr_parse(s, (struct xlb_addr *)p))
			return fail(err, len,
				    "%s: '%.64s' is not a numeric IP address",
				    label, s);
		return 0;
	case XLB_FT_PORT:
		if (xlb_port_parse(s, (__u16 *)p) || !strcmp(s, "0"))
			return fail(
				err, len,
				"%s: '%.64s' is not a port (1..65535 or any)",
				label, s);
		return 0;
	case XLB_FT_DNSTYPE:
		t = xlb_dns_type_parse(s);
		if (t <= 0)
			return fail(
				err, len,
				"%s: '%.64s' is not a DNS type (A, AAAA, NS, MX, TXT, SOA, CNAME or 1..65535)",
				label, s);
		*(__u16 *)p = (__u16)t;
		return 0;
	case XLB_FT_PREFIX:
	case XLB_FT_STATUS:
	case XLB_FT_ARGV:
		return set_entry(f, base, label, s, err, len);
	default:
		return fail(err, len, "%s: not a value", label);
	}
}

size_t xlb_field_count(const struct xlb_field *f, const void *base)
{
	if (f->type == XLB_FT_PREFIX || f->type == XLB_FT_STATUS ||
	    f->type == XLB_FT_ARGV || f->type == XLB_FT_LIST)
		return *(const size_t *)((const char *)base + f->n_off);
	return 1;
}

/**
 * xlb_field_str() - see fields.h
 */
const char *xlb_field_str(const struct xlb_field *f, const void *base, size_t i,
			  char *buf, size_t len)
{
	const char *p = (const char *)base + f->off;
	const struct xlb_status_range *r;
	const struct xlb_prefix *pf;
	unsigned long long v;
	char a[XLB_ADDR_STRLEN];
	int k;

	switch (f->type) {
	case XLB_FT_STR:
		return p;
	case XLB_FT_UINT:
		snprintf(buf, len, f->flags & XLB_FF_HEX ? "0x%llx" : "%llu",
			 get_uint(p, f->size));
		return buf;
	case XLB_FT_BOOL:
		return *(const bool *)p ? "true" : "false";
	case XLB_FT_ENUM:
		v = get_uint(p, f->size);
		for (k = 0; f->names[k]; k++)
			if ((unsigned long long)(f->vals ? f->vals[k] : k) == v)
				return f->names[k];
		return "?";
	case XLB_FT_FLAG:
		return f->names[!!(*(const __u16 *)p & f->bit)];
	case XLB_FT_ADDR:
		return xlb_addr_str((const struct xlb_addr *)p, buf);
	case XLB_FT_PORT:
		if (!*(const __u16 *)p)
			return "any";
		snprintf(buf, len, "%u", *(const __u16 *)p);
		return buf;
	case XLB_FT_DNSTYPE:
		return xlb_dns_type_str(*(const __u16 *)p, buf);
	case XLB_FT_PREFIX:
		pf = (const struct xlb_prefix *)p + i;
		snprintf(buf, len, "%s/%u", xlb_addr_str(&pf->addr, a),
			 pf->len);
		return buf;
	case XLB_FT_STATUS:
		r = (const struct xlb_status_range *)p + i;
		if (r->lo == r->hi)
			snprintf(buf, len, "%u", r->lo);
		else
			snprintf(buf, len, "%u-%u", r->lo, r->hi);
		return buf;
	case XLB_FT_ARGV:
		return p + i * XLB_STR_MAX;
	default:
		return "";
	}
}

/**
 * xlb_field_shown() - see fields.h
 */
bool xlb_field_shown(const struct xlb_field *f, const struct xlb_obj *o,
		     const void *base, bool omit_defaults)
{
	const char *p = (const char *)base + f->off;

	if (o == &xlb_obj_check &&
	    !xlb_field_applies(f, ((const struct xlb_hc_cfg *)base)->type))
		return false;
	if (f->shown)
		return f->shown(base);
	if (f->type == XLB_FT_OBJ)
		return !f->sub->dump || f->sub->dump(p);
	if (f->flags & XLB_FF_HAS)
		return xlb_field_is_set(f, base);
	if (f->type == XLB_FT_STR)
		return *p;
	if (f->type == XLB_FT_LIST || f->type == XLB_FT_PREFIX ||
	    f->type == XLB_FT_STATUS || f->type == XLB_FT_ARGV)
		return (f->flags & XLB_FF_REQ) || xlb_field_count(f, base);
	return !omit_defaults || !(f->flags & XLB_FF_OMITDEF) ||
	       !xlb_field_is_default(f, base);
}

/**
 * xlb_field_is_default() - see fields.h
 */
bool xlb_field_is_default(const struct xlb_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	char buf[XLB_STR_MAX + 64];

	if (f->flags & XLB_FF_HAS)
		return !*(const bool *)((const char *)base + f->has_off);
	if (f->type == XLB_FT_ADDR)
		return ((const struct xlb_addr *)p)->family == XLB_AF_NONE;
	if (f->type == XLB_FT_UINT && !f->def)
		return !get_uint(p, f->size);
	if (f->type == XLB_FT_STR && !f->def)
		return !*p;
	return f->def &&
	       !strcmp(xlb_field_str(f, base, 0, buf, sizeof(buf)), f->def);
}

bool xlb_field_is_set(const struct xlb_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	size_t i;

	if (f->type == XLB_FT_PREFIX || f->type == XLB_FT_STATUS ||
	    f->type == XLB_FT_ARGV || f->type == XLB_FT_LIST)
		return xlb_field_count(f, base);
	if (f->flags & XLB_FF_HAS)
		return *(const bool *)((const char *)base + f->has_off);
	if (f->type == XLB_FT_STR)
		return *p;
	if (f->type == XLB_FT_FLAG)
		return *(const __u16 *)p & f->bit;
	for (i = 0; i < f->size; i++)
		if (p[i])
			return true;
	return false;
}

bool xlb_field_applies(const struct xlb_field *f, int type)
{
	return !f->hc || type < 0 || (f->hc & (1u << type));
}

/**
 * xlb_field_hc_types() - see fields.h
 */
const char *xlb_field_hc_types(const struct xlb_field *f, char *buf, size_t len)
{
	const struct xlb_field *t = &check_fields[1];
	unsigned int m = f->hc, k, n = 0, cnt = 0;
	size_t o = 0;

	for (k = 0; t->names[k]; k++)
		cnt += !!(m & (1u << t->vals[k]));
	if (cnt == k - 1) {
		for (k = 0; t->names[k]; k++)
			if (!(m & (1u << t->vals[k])))
				snprintf(buf, len, "all but %s", t->names[k]);
		return buf;
	}
	buf[0] = '\0';
	for (k = 0; t->names[k] && o < len; k++) {
		if (!(m & (1u << t->vals[k])))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      !n	   ? "" :
				      n + 1 == cnt ? " and " :
						     ", ",
				      t->names[k]);
		n++;
	}
	return buf;
}

const struct xlb_field *xlb_field_find(const struct xlb_obj *o, const char *key)
{
	const struct xlb_field *f;
	size_t i;

	for (f = o->fields; f->key; f++) {
		for (i = 0; key[i] && (key[i] == f->key[i] ||
				       (key[i] == '-' && f->key[i] == '_'));
		     i++)
			;
		if (!key[i] && !f->key[i])
			return f;
	}
	return NULL;
}

/* IPv4 addresses only use a[0]; the rest is not part of the value. */
bool xlb_cfg_addr_same(const struct xlb_addr *a, const struct xlb_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == XLB_AF_INET)
		return a->a[0] == b->a[0];
	if (a->family == XLB_AF_INET6)
		return !memcmp(a->a, b->a, 16);
	return true;
}

static bool field_equal(const struct xlb_field *f, const void *a, const void *b)
{
	const char *p = (const char *)a + f->off, *q = (const char *)b + f->off;
	char x[XLB_STR_MAX + 64], y[XLB_STR_MAX + 64];
	size_t i, n;

	switch (f->type) {
	case XLB_FT_OBJ:
		/* a section with defaults of its own (bgp) may be absent */
		if (f->sub->init && f->sub->dump &&
		    (!f->sub->dump(p) || !f->sub->dump(q)))
			return f->sub->dump(p) == f->sub->dump(q);
		return xlb_obj_equal(f->sub, p, q);
	case XLB_FT_LIST:
		n = xlb_field_count(f, a);
		if (n != xlb_field_count(f, b))
			return false;
		for (i = 0; i < n; i++)
			if (!xlb_obj_equal(
				    f->sub,
				    *(const char *const *)p + i * f->sub->size,
				    *(const char *const *)q + i * f->sub->size))
				return false;
		return true;
	case XLB_FT_PREFIX:
	case XLB_FT_STATUS:
	case XLB_FT_ARGV:
		n = xlb_field_count(f, a);
		if (n != xlb_field_count(f, b) || n > f->max)
			return n == xlb_field_count(f, b);
		for (i = 0; i < n; i++)
			if (strcmp(xlb_field_str(f, a, i, x, sizeof(x)),
				   xlb_field_str(f, b, i, y, sizeof(y))))
				return false;
		return true;
	case XLB_FT_STR:
		return !strncmp(p, q, f->size);
	case XLB_FT_ADDR:
		return xlb_cfg_addr_same((const struct xlb_addr *)p,
					 (const struct xlb_addr *)q);
	case XLB_FT_FLAG: /* the whole word: bits no key names count too */
		return *(const __u16 *)p == *(const __u16 *)q;
	default:
		if ((f->flags & XLB_FF_HAS) &&
		    xlb_field_is_set(f, a) != xlb_field_is_set(f, b))
			return false;
		if ((f->flags & XLB_FF_HAS) && !xlb_field_is_set(f, a))
			return true;
		return get_uint(p, f->size) == get_uint(q, f->size);
	}
}

/**
 * xlb_obj_equal() - see fields.h
 */
bool xlb_obj_equal(const struct xlb_obj *o, const void *a, const void *b)
{
	const struct xlb_field *f;

	for (f = o->fields; f->key; f++)
		if (!field_equal(f, a, b))
			return false;
	return true;
}

/**
 * xlb_obj_defaults() - see fields.h
 */
void xlb_obj_defaults(const struct xlb_obj *o, void *base, int hc_type)
{
	const struct xlb_field *f;
	char err[8];

	for (f = o->fields; f->key; f++) {
		if (f->type == XLB_FT_OBJ && f->sub->fields != bgp_fields)
			xlb_obj_defaults(f->sub, (char *)base + f->off, -1);
		if (f->def && xlb_field_applies(f, hc_type))
			xlb_field_set(f, base, f->key, f->def, err,
				      sizeof(err));
	}
}

/**
 * xlb_obj_check_ranges() - see fields.h
 */
int xlb_obj_check_ranges(const struct xlb_obj *o, const void *base,
			 const char *who, const char *path,
			 struct xlb_cfg_err *e)
{
	const struct xlb_field *f;
	char names[128], buf[64];
	unsigned long long v;
	const char *p;
	size_t n;
	int k;

	for (f = o->fields; f->key; f++) {
		p = (const char *)base + f->off;
		xlb_cfg_at(e, false, "%s%s%s", path, *path ? "/" : "", f->key);
		if (f->names &&
		    (f->type == XLB_FT_ENUM || f->type == XLB_FT_STR)) {
			if (f->type == XLB_FT_STR && !memchr(p, '\0', f->size))
				return xlb_cfg_fail(e, "%s%s: field overflow",
						    o->prefix, f->key);
			v = f->type == XLB_FT_ENUM ? get_uint(p, f->size) : 0;
			for (k = 0, n = 0; f->names[k]; k++) {
				if (f->type == XLB_FT_STR ?
					    !strcmp(p, f->names[k]) :
					    v == (unsigned long long)(f->vals ?
									      f->vals[k] :
									      k))
					break;
				n += (size_t)snprintf(
					names + n, sizeof(names) - n, "%s%s",
					k ? ", " : "", f->names[k]);
			}
			if (f->names[k])
				continue;
			if (f->type == XLB_FT_STR)
				snprintf(buf, sizeof(buf), "'%.40s'", p);
			else
				snprintf(buf, sizeof(buf), "%llu", v);
			if (who)
				return xlb_cfg_fail(
					e, "%s: %s %s is not one of %s", who,
					f->key, buf, names);
			return xlb_cfg_fail(e, "%s%s: %s is not one of %s",
					    o->prefix, f->key, buf, names);
		}
		if (!(f->flags & XLB_FF_RANGE))
			continue;
		v = get_uint(p, f->size);
		if ((v >= f->min && v <= f->max) ||
		    (!v && (f->flags & XLB_FF_ZERO_OK)))
			continue;
		if (who)
			return xlb_cfg_fail(
				e, "%s: %s %llu is out of range (%llu..%llu)",
				who, f->key, v, f->min, f->max);
		return xlb_cfg_fail(e,
				    "%s%s: %llu is out of range (%llu..%llu)",
				    o->prefix, f->key, v, f->min, f->max);
	}
	return 0;
}

/* --- help and man page ----------------------------------------------------- */

/**
 * xlb_field_word() - see fields.h
 */
const char *xlb_field_word(const struct xlb_field *f, bool cli, char *buf,
			   size_t len)
{
	size_t o = 0;
	int k;

	buf[0] = '\0';
	if (cli && (f->type == XLB_FT_BOOL || f->names == bool_names))
		return "on|off";
	if (f->names) {
		for (k = 0; f->names[k] && o < len; k++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
					      k ? "|" : "", f->names[k]);
		return buf;
	}
	switch (f->type) {
	case XLB_FT_UINT:
		return f->flags & XLB_FF_HAS ? (cli ? "N|none" : "N") : "N";
	case XLB_FT_BOOL:
		return "true|false";
	case XLB_FT_ADDR:
		return "ADDRESS";
	case XLB_FT_PORT:
		return "PORT|any";
	case XLB_FT_PREFIX:
		return "PREFIX,...";
	case XLB_FT_STATUS:
		return "CODE[-CODE],...";
	case XLB_FT_ARGV:
		return cli ? "'ARGV...'" : "[ARG, ...]";
	case XLB_FT_DNSTYPE:
		return "TYPE";
	default:
		return "TEXT";
	}
}

static void field_notes(const struct xlb_field *f, char *buf, size_t len)
{
	char types[64];
	size_t o = 0;

	buf[0] = '\0';
	if (f->def)
		o += (size_t)snprintf(buf + o, len - o, "default %s", f->def);
	if ((f->flags & (XLB_FF_RANGE | XLB_FF_LOADRANGE)) && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%s%s%llu..%llu",
				      o ? "; " : "",
				      f->flags & XLB_FF_ZERO_OK ? "0 or " : "",
				      f->min, f->max);
	if (f->hc && o < len)
		o += (size_t)snprintf(
			buf + o, len - o, "%s%s checks", o ? "; " : "",
			xlb_field_hc_types(f, types, sizeof(types)));
	if ((f->flags & XLB_FF_REQ) && o < len)
		snprintf(buf + o, len - o, "%srequired", o ? "; " : "");
}

/* xlbctl's spelling of a key: min_healthy -> min-healthy */
static const char *opt_name(const struct xlb_field *f, char *buf, size_t len)
{
	size_t i;

	for (i = 0; f->key[i] && i + 1 < len; i++)
		buf[i] = f->key[i] == '_' ? '-' : f->key[i];
	buf[i] = '\0';
	return buf;
}

bool xlb_field_is_opt(const struct xlb_field *f)
{
	return !(f->flags & (XLB_FF_NOCLI | XLB_FF_NOOPT)) &&
	       f->type != XLB_FT_OBJ && f->type != XLB_FT_LIST;
}

/**
 * xlb_obj_usage() - see fields.h
 */
void xlb_obj_usage(const struct xlb_obj *o, FILE *out)
{
	const struct xlb_field *f;
	char key[48], names[96], word[160];
	size_t col = 80;

	for (f = o->fields; f->key; f++) {
		if (!xlb_field_is_opt(f))
			continue;
		snprintf(word, sizeof(word), "[--%s %s]",
			 opt_name(f, key, sizeof(key)),
			 xlb_field_word(f, true, names, sizeof(names)));
		if (col + 1 + strlen(word) > 72) {
			fputs("\n       ", out);
			col = 7;
		}
		fprintf(out, " %s", word);
		col += 1 + strlen(word);
	}
}

/**
 * xlb_obj_help() - see fields.h
 */
void xlb_obj_help(const struct xlb_obj *o, FILE *out, bool cli)
{
	const struct xlb_field *f;
	char key[48], word[128], names[96], notes[160];

	for (f = o->fields; f->key; f++) {
		if (cli ? !xlb_field_is_opt(f) :
			  f->type == XLB_FT_OBJ || f->type == XLB_FT_LIST)
			continue;
		field_notes(f, notes, sizeof(notes));
		snprintf(word, sizeof(word), "%s%s %s", cli ? "--" : "",
			 cli ? opt_name(f, key, sizeof(key)) : f->key,
			 xlb_field_word(f, cli, names, sizeof(names)));
		fprintf(out, "  %-28s %s%s%s%s\n", word, f->help,
			notes[0] ? " (" : "", notes, notes[0] ? ")" : "");
	}
}

/* roff: a backslash or a leading dot would be read as markup */
static void roff(FILE *out, const char *s)
{
	for (; *s; s++)
		fputs(*s == '\\' ? "\\e" :
		      *s == '-'	 ? "\\-" :
				   (char[2]){ *s },
		      out);
}

static void man_obj(FILE *out, const struct xlb_obj *o, const char *title)
{
	const struct xlb_field *f;
	char word[96], notes[160];

	fprintf(out, ".SS %s\n", title);
	for (f = o->fields; f->key; f++) {
		if (f->type == XLB_FT_OBJ || f->type == XLB_FT_LIST)
			continue;
		field_notes(f, notes, sizeof(notes));
		fprintf(out, ".TP\n.BI \"%s: \" ", f->key);
		roff(out, xlb_field_word(f, false, word, sizeof(word)));
		fputs("\n", out);
		roff(out, f->help);
		if (notes[0]) {
			fputs(" (", out);
			roff(out, notes);
			fputs(")", out);
		}
		fputs("\n", out);
	}
	for (f = o->fields; f->key; f++) {
		if (f->type != XLB_FT_OBJ && f->type != XLB_FT_LIST)
			continue;
		snprintf(word, sizeof(word), "%s%s%s%s", title,
			 *title ? "." : "", f->key,
			 f->type == XLB_FT_LIST ? "[]" : "");
		man_obj(out, f->sub, word);
	}
}

static void man_opts(FILE *out, const struct xlb_obj *o, const char *title)
{
	const struct xlb_field *f;
	char key[48], word[96], notes[160];

	fprintf(out, ".SS %s\n", title);
	for (f = o->fields; f->key; f++) {
		if (!xlb_field_is_opt(f))
			continue;
		field_notes(f, notes, sizeof(notes));
		fputs(".TP\n.BI \"", out);
		roff(out, "--");
		roff(out, opt_name(f, key, sizeof(key)));
		fputs(" \" ", out);
		roff(out, xlb_field_word(f, true, word, sizeof(word)));
		fputs("\n", out);
		roff(out, f->help);
		if (notes[0]) {
			fputs(" (", out);
			roff(out, notes);
			fputs(")", out);
		}
		fputs("\n", out);
	}
}

/**
 * xlb_fields_man_opts() - see fields.h
 */
void xlb_fields_man_opts(FILE *out)
{
	man_opts(out, &xlb_obj_vip, "vip add, vip set");
	man_opts(out, &xlb_obj_backend, "backend add, backend set");
	man_opts(out, &xlb_obj_check, "check add, check set");
}

/**
 * xlb_fields_man() - see fields.h
 */
void xlb_fields_man(FILE *out)
{
	char title[48];
	const struct xlb_field *f;

	for (f = root_fields; f->key; f++) {
		snprintf(title, sizeof(title), "%s%s", f->key,
			 f->type == XLB_FT_LIST ? "[]" : "");
		man_obj(out, f->sub, title);
	}
}
