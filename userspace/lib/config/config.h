/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: configuration
 *
 * The validated configuration of xlbd (/etc/xlb/xlb.yaml). The YAML file is
 * read with libyaml and its values parsed, by the field tables of fields.h,
 * into the types below, which are plain data (fixed-size strings, arrays
 * owned by the struct) so they are easy to copy, compare and diff.
 *
 * Errors are reported as one line, "FILE:LINE:COL: what is wrong", and
 * nothing is applied: a config either loads whole or not at all.
 *
 * Runtime changes (xlbctl) are made on a copy (xlb_cfg_dup()), validated
 * with xlb_cfg_validate(), then recorded in the state file (state.h)
 * before they are applied: xlbd never writes the configuration file.
 */
#ifndef XLB_CONFIG_H
#define XLB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>

#include "addr.h"
#include "dp.h"
#include "file.h" /* xlb_file_read(), xlb_file_replace() */

#define XLB_NAME_MAX	  64
#define XLB_STR_MAX	  256
#define XLB_SOCK_PATH_MAX 108
#define XLB_EXPECT_MAX	  16
#define XLB_ARGV_MAX	  16
#define XLB_ALLOWED_MAX	  32

#define XLB_DEFAULT_CONFIG "/etc/xlb/xlb.yaml"
#define XLB_DEFAULT_SOCKET "/run/xlb/xlb.sock"
#define XLB_DEFAULT_WEIGHT 100
#define XLB_MAX_WEIGHT	   1000000
/* share of RAM the maps may take (lb.tables.max_memory_percent) */
#define XLB_DEFAULT_MAX_MEM_PERCENT 25
/* lb.second_chance: default window and the largest (docs/scaling.md) */
#define XLB_DEFAULT_SECOND_CHANCE 0
#define XLB_MAX_SECOND_CHANCE	  3600

enum xlb_hc_type {
	XLB_HC_NONE = 0, /* no check: the backend counts as healthy */
	XLB_HC_TCP,
	XLB_HC_HTTP,
	XLB_HC_HTTPS,
	XLB_HC_UDP,
	XLB_HC_DNS,
	XLB_HC_EXEC,
};

/* Operator-set state of a backend. Checks never override drain or down. */
enum xlb_admin_state {
	XLB_ADMIN_UP = 0,
	XLB_ADMIN_DRAIN,
	XLB_ADMIN_DOWN,
};

/**
 * enum xlb_hc_tcp_mode - how a tcp check tests the port
 * @XLB_HC_TCP_CONNECT: a full connect(), closed with a reset
 * @XLB_HC_TCP_SYN: half-open: a SYN from a raw socket; SYN-ACK = up
 */
enum xlb_hc_tcp_mode {
	XLB_HC_TCP_CONNECT = 0,
	XLB_HC_TCP_SYN,
};

/** struct xlb_status_range - accepted HTTP status codes lo..hi inclusive */
struct xlb_status_range {
	__u16 lo;
	__u16 hi;
};

/**
 * struct xlb_hc_cfg - a named health check
 * @name: referenced by VIPs and backends
 * @type: enum xlb_hc_type
 * @port: port to check; 0 = the VIP's port (required when that is "any")
 * @interval_ms: time between checks (default 1000)
 * @timeout_ms: time one check may take (default 1000, <= interval)
 * @rise: consecutive successes to go up (default 2)
 * @fall: consecutive failures to go down (default 3)
 * @via_vip: send the check to the VIP, encapsulated to the backend like
 *           client traffic, instead of to the backend's own address
 * @method: HTTP method (default GET)
 * @path: HTTP path (default /)
 * @host: Host header (default: the address checked)
 * @sni: TLS server name (default: @host if set)
 * @expect_status: accepted status ranges (default 200-399)
 * @n_expect_status: entries in @expect_status
 * @expect_body: substring the body must contain ("" = any body)
 * @tls_verify: verify the certificate (default false)
 * @payload: UDP payload to send
 * @expect: UDP reply must contain this ("" = any reply)
 * @query_name: DNS name to ask for
 * @query_type: DNS type number (1 = A, 28 = AAAA, ...; default 1)
 * @argv: exec command and arguments; the backend address and port are in
 *        the environment as XLB_BACKEND and XLB_PORT
 * @argc: entries in @argv
 * @user: exec checks: the user the command runs as ("" = nobody when xlbd
 *        runs as root; xlbd's own user when it does not)
 * @mode: tcp checks: enum xlb_hc_tcp_mode (default connect)
 */
struct xlb_hc_cfg {
	char name[XLB_NAME_MAX];
	enum xlb_hc_type type;
	__u16 port;
	__u32 interval_ms;
	__u32 timeout_ms;
	__u32 rise;
	__u32 fall;
	bool via_vip;
	char method[16];
	char path[XLB_STR_MAX];
	char host[XLB_STR_MAX];
	char sni[XLB_STR_MAX];
	struct xlb_status_range expect_status[XLB_EXPECT_MAX];
	size_t n_expect_status;
	char expect_body[XLB_STR_MAX];
	bool tls_verify;
	char payload[XLB_STR_MAX];
	char expect[XLB_STR_MAX];
	char query_name[XLB_STR_MAX];
	__u16 query_type;
	char argv[XLB_ARGV_MAX][XLB_STR_MAX];
	size_t argc;
	char user[XLB_NAME_MAX];
	enum xlb_hc_tcp_mode mode;
};

/**
 * struct xlb_backend_cfg - one backend of one VIP
 * @addr: its address (the tunnel endpoint)
 * @weight: relative share of new flows, 0..XLB_MAX_WEIGHT (0 = drain)
 * @state: enum xlb_admin_state
 * @health_check: overrides the VIP's check ("" = the VIP's)
 * @has_quic_id: @quic_id is set (quic_id:)
 * @quic_id: QUIC server id: what the backend puts in the connection IDs it
 *           issues, read by the VIP's quic_id_offset/length; unique per
 *           VIP, below 2^(8 * quic_id_length)
 */
struct xlb_backend_cfg {
	struct xlb_addr addr;
	__u32 weight;
	enum xlb_admin_state state;
	char health_check[XLB_NAME_MAX];
	bool has_quic_id;
	__u64 quic_id;
};

/**
 * struct xlb_vip_cfg - a VIP
 * @name: optional label
 * @addr: the VIP address
 * @port: host order; 0 = every port ("any")
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @fwd: enum xlb_fwd
 * @gue_port: UDP destination port of GUE forwarding, host order (default
 *            XLB_GUE_DEFAULT_PORT; meaningful with XLB_FWD_GUE only)
 * @ring_size: Maglev ring size, prime, <= sizes.ring_max (default 65537,
 *             or sizes.ring_max if that is smaller)
 * @min_healthy: healthy backends needed to announce (default 1)
 * @flags: XLB_VIP_F_* (from "conn_table: false", "hash: source",
 *         "unserved: pass"; the last is per address: every VIP on one
 *         address must agree; "fragments: balance": at most one VIP per
 *         address, with "hash: source")
 * @announce: announce over BGP when servable (default true)
 * @health_check: default check of its backends ("" = none)
 * @notify: this VIP's own notify hook, run besides notify.command for its
 *          events ("" = none)
 * @quic_id_len: QUIC connection-ID routing (UDP only): bytes of the server
 *               id in the DCID, 1..XLB_QUIC_ID_MAX_LEN; 0 = off
 * @quic_id_offset: first byte of the server id in the DCID (default 1,
 *                  QUIC-LB's plaintext layout); offset + length <= 20
 * @has_quic_cr: the DCID's first octet must carry config rotation
 *               @quic_cr (quic_config_rotation:)
 * @quic_cr: 0..6, QUIC-LB's config-rotation bits (top 3 of the octet)
 * @backends: owned array
 * @n_backends: entries
 */
struct xlb_vip_cfg {
	char name[XLB_NAME_MAX];
	struct xlb_addr addr;
	__u16 port;
	__u8 proto;
	__u8 fwd;
	__u32 ring_size;
	__u32 min_healthy;
	__u16 flags;
	__u16 gue_port;
	bool announce;
	char health_check[XLB_NAME_MAX];
	char notify[XLB_STR_MAX];
	__u8 quic_id_len;
	__u8 quic_id_offset;
	bool has_quic_cr;
	__u8 quic_cr;
	struct xlb_backend_cfg *backends;
	size_t n_backends;
};

/**
 * struct xlb_iface_cfg - an interface the balancer attaches to
 * @name: interface name
 * @generic: generic (skb) XDP mode instead of native; only on request
 * @mtu: MTU of encapsulated packets leaving by it (0: the link's MTU)
 */
struct xlb_iface_cfg {
	char name[IFNAMSIZ];
	bool generic;
	__u32 mtu;
};

/** struct xlb_prefix - an address prefix */
struct xlb_prefix {
	struct xlb_addr addr;
	__u8 len;
};

/**
 * struct xlb_bgp_cfg - announcing VIPs through BIRD
 * @enabled: false when the section is absent
 * @bird_socket: BIRD control socket (default /run/bird/bird.ctl)
 * @include_file: file xlbd writes, included by bird.conf
 *                (default /run/xlb/bird-vips.conf)
 * @allowed: prefixes VIPs may be announced from (required, >= 1)
 * @n_allowed: entries
 * @hold_down_ms: a withdrawn VIP stays withdrawn at least this long
 *                (default 5000)
 * @drain_timeout_s: xlbctl pop drain --wait gives up after this (default 60)
 * @drain: enum xlb_bgp_drain: the PoP is being drained (set by xlbctl pop
 *         drain, kept in the state file so a restart or reboot keeps it
 *         drained)
 * @prepend: XLB_PREPEND in the include file: bird.conf's export filter
 *           prepends the AS path this many more times (0..XLB_PREPEND_MAX)
 *           on every route, drained or not: a backup PoP
 */
enum xlb_bgp_drain {
	XLB_DRAIN_OFF, /* announce what can be served */
	XLB_DRAIN_GRACEFUL, /* announce with GRACEFUL_SHUTDOWN + prepend */
	XLB_DRAIN_WITHDRAWN, /* announce nothing */
};

struct xlb_bgp_cfg {
	bool enabled;
	char bird_socket[XLB_SOCK_PATH_MAX];
	char include_file[PATH_MAX];
	struct xlb_prefix allowed[XLB_ALLOWED_MAX];
	size_t n_allowed;
	__u32 hold_down_ms;
	__u32 drain_timeout_s;
	__u8 drain;
	__u8 prepend;
};

#define XLB_PREPEND_MAX 8

/**
 * struct xlb_cfg - the whole configuration
 * @path: file it was loaded from ("" if built otherwise)
 * @ifaces: owned array
 * @n_ifaces: entries (>= 1)
 * @src4: outer source for IPv4 encapsulation (required if any v4 backend)
 * @src6: outer source for IPv6 encapsulation (required if any v6 backend)
 * @hash_seed: flow hash seed; the same on every PoP
 * @sizes: load-time table sizes
 * @max_memory_percent: the maps of @sizes may take at most this share of
 *                      RAM, 1..100 (default 25)
 * @api_socket: Unix socket path (default XLB_DEFAULT_SOCKET)
 * @api_group: group allowed to use the socket besides root ("" = root only)
 * @metrics_listen: "ADDR:PORT" of the Prometheus endpoint ("" = off)
 * @notify_command: absolute path of the notify hook run on backend up/down
 *                  and VIP announce/withdraw ("" = none; xlbd/hooks.c)
 * @notify_user: the user it runs as (as exec checks: default nobody when
 *               xlbd may switch users, else xlbd's own)
 * @log_level: "err", "warn", "info" or "debug" (default info)
 * @checks: owned array of named checks
 * @n_checks: entries
 * @vips: owned array
 * @n_vips: entries
 * @bgp: BIRD settings
 * @icmp_rate: ICMP errors per second per CPU the data path may send
 *             (lb.icmp_rate; 0: XLB_DEFAULT_ICMP_RATE)
 * @new_flow_rate: new connection entries per second per CPU above which
 *                 new flows are no longer recorded (lb.new_flow_rate;
 *                 0: no limit)
 * @second_chance: seconds after a ring change during which a TCP packet
 *                 without SYN and without a connection entry takes the
 *                 previous ring's backend (lb.second_chance, bpf/chance.h;
 *                 0: off; default XLB_DEFAULT_SECOND_CHANCE)
 * @outer_ttl: TTL / hop limit of the outer header and of the ICMP messages
 *             the data path sends (lb.outer_ttl, 1..255, default 64); a
 *             load-time constant of the program: a change takes a restart
 */
struct xlb_cfg {
	char path[PATH_MAX];
	struct xlb_iface_cfg *ifaces;
	size_t n_ifaces;
	struct xlb_addr src4;
	struct xlb_addr src6;
	__u32 hash_seed;
	struct xlb_dp_sizes sizes;
	__u32 max_memory_percent;
	char api_socket[XLB_SOCK_PATH_MAX];
	char api_group[XLB_NAME_MAX];
	char metrics_listen[XLB_NAME_MAX];
	char notify_command[XLB_STR_MAX];
	char notify_user[XLB_NAME_MAX];
	char log_level[16];
	struct xlb_hc_cfg *checks;
	size_t n_checks;
	struct xlb_vip_cfg *vips;
	size_t n_vips;
	struct xlb_bgp_cfg bgp;
	__u32 icmp_rate;
	__u32 new_flow_rate;
	__u32 second_chance;
	__u8 outer_ttl;
};

/**
 * xlb_cfg_load() - read, parse and validate a config file
 * @path: the file
 * @out: the config, to free with xlb_cfg_free()
 * @err: on failure, "PATH:LINE:COL: message" (or "PATH: message" when
 *       there is no position, e.g. the file cannot be read)
 * @errlen: size of @err
 *
 * Return: 0 or a negative errno (-EINVAL for any content error).
 */
int xlb_cfg_load(const char *path, struct xlb_cfg **out, char *err,
		 size_t errlen);

/** xlb_cfg_parse() - as xlb_cfg_load() from memory; @name used in errors */
int xlb_cfg_parse(const char *text, size_t len, const char *name,
		  struct xlb_cfg **out, char *err, size_t errlen);

/**
 * xlb_cfg_validate() - semantic checks of a config built in memory
 *
 * Everything xlb_cfg_load() checks after parsing: ranges, references to
 * checks, duplicate VIPs and backends, families, limits against sizes,
 * addresses no VIP or backend can have (loopback, multicast, broadcast,
 * unspecified, IPv4-mapped), backends on a VIP address, the VIP tables'
 * entries (one per VIP plus one per VIP address), and the maps' memory
 * against lb.tables.max_memory_percent of RAM (docs/validation.md).
 * Errors name the element, e.g. "vip 192.0.2.1:80/tcp: backend 10.0.0.1:
 * duplicate".
 */
int xlb_cfg_validate(const struct xlb_cfg *c, char *err, size_t errlen);

/**
 * xlb_cfg_dump() - the config as YAML that loads back to an equal config
 * @text: malloc'd, NUL-terminated
 */
int xlb_cfg_dump(const struct xlb_cfg *c, char **text);

/**
 * xlb_cfg_save() - write xlb_cfg_dump() to @path atomically (temporary
 * file in the same directory, fsync, rename, fsync of the directory)
 */
int xlb_cfg_save(const struct xlb_cfg *c, const char *path);

struct xlb_cfg *xlb_cfg_new(void); /* empty config with defaults */
/* Elements with their defaults, for building configs in memory. */
void xlb_hc_cfg_init(struct xlb_hc_cfg *h, enum xlb_hc_type type);
void xlb_vip_cfg_init(struct xlb_vip_cfg *v, const struct xlb_cfg *c);
void xlb_backend_cfg_init(struct xlb_backend_cfg *b);
void xlb_bgp_cfg_init(struct xlb_bgp_cfg *g);
struct xlb_cfg *xlb_cfg_dup(const struct xlb_cfg *c);
void xlb_cfg_free(struct xlb_cfg *c);
/** xlb_cfg_equal() - same content (path ignored) */
bool xlb_cfg_equal(const struct xlb_cfg *a, const struct xlb_cfg *b);

/**
 * xlb_hc_cfg_validate() - the rules of one check that xlb_cfg_validate()
 * applies and the health check engine relies on (field sizes, tcp mode,
 * via_vip, status ranges); @err gets one line naming the check.
 * Return: 0 or -EINVAL.
 */
int xlb_hc_cfg_validate(const struct xlb_hc_cfg *h, char *err, size_t errlen);

/* Lookups; NULL when absent. */
struct xlb_vip_cfg *xlb_cfg_find_vip(const struct xlb_cfg *c,
				     const struct xlb_addr *a, __u16 port,
				     __u8 proto);
struct xlb_backend_cfg *xlb_vip_find_backend(const struct xlb_vip_cfg *v,
					     const struct xlb_addr *a);
const struct xlb_hc_cfg *xlb_cfg_find_check(const struct xlb_cfg *c,
					    const char *name);

/* Editing helpers used by the API (they keep arrays owned by @c). */
int xlb_cfg_add_vip(struct xlb_cfg *c, const struct xlb_vip_cfg *v);
int xlb_cfg_del_vip(struct xlb_cfg *c, const struct xlb_addr *a, __u16 port,
		    __u8 proto);
int xlb_vip_add_backend(struct xlb_vip_cfg *v, const struct xlb_backend_cfg *b);
int xlb_vip_del_backend(struct xlb_vip_cfg *v, const struct xlb_addr *a);

/* Names of enum values as written in the file. */
const char *xlb_hc_type_str(enum xlb_hc_type t);
const char *xlb_admin_state_str(enum xlb_admin_state s);
int xlb_admin_state_parse(const char *s); /* -EINVAL if unknown */
const char *xlb_fwd_str(int fwd);

#endif /* XLB_CONFIG_H */
