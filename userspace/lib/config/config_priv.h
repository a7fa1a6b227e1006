/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: configuration internals
 *
 * Shared by config.c (the checks), config_data.c (copies and edits),
 * fields.c (the field tables) and config_yaml.c (the file format). The
 * semantic checks report where the problem is as a path into the YAML
 * document ("vips/2/backends/0/weight"), so the loader can turn it into
 * FILE:LINE:COL, while xlb_cfg_validate() only shows the message, which
 * names the element itself.
 */
#ifndef XLB_CONFIG_PRIV_H
#define XLB_CONFIG_PRIV_H

#include "config.h"

/* Ranges, shared by the loader's messages and the checks. */
#define XLB_HC_INTERVAL_MIN   10
#define XLB_HC_INTERVAL_MAX   3600000
#define XLB_HC_RISE_FALL_MAX  100
#define XLB_BGP_HOLD_DOWN_MAX 3600000
#define XLB_BGP_DRAIN_MAX     86400
/* Not a map limit: 2^28 flows already need about 40 GiB of kernel memory */
#define XLB_CONN_MAX_LIMIT (1u << 28)

#define XLB_DEFAULT_INTERVAL_MS	 1000
#define XLB_DEFAULT_TIMEOUT_MS	 1000
#define XLB_DEFAULT_RISE	 2
#define XLB_DEFAULT_FALL	 3
#define XLB_DEFAULT_BIRD_SOCKET	 "/run/bird/bird.ctl"
#define XLB_DEFAULT_BIRD_INCLUDE "/run/xlb/bird-vips.conf"
#define XLB_DEFAULT_HOLD_DOWN_MS 5000
#define XLB_DEFAULT_DRAIN_S	 60

/**
 * struct xlb_cfg_err - where and what the first problem is
 * @path: '/'-separated keys and list indexes into the document, "" = none
 * @at_key: point at the key of @path's last element rather than its value
 * @msg: one line, without position
 */
struct xlb_cfg_err {
	char path[128];
	bool at_key;
	char msg[512];
};

/**
 * xlb_cfg_check() - xlb_cfg_validate() with the place of the problem
 * @c: the config
 * @e: filled on failure
 *
 * Return: 0 or -EINVAL.
 */
int xlb_cfg_check(const struct xlb_cfg *c, struct xlb_cfg_err *e);

/**
 * xlb_cfg_check_memory() - the maps of @s fit in @percent of @ram
 * @s: table sizes, already in range
 * @percent: lb.tables.max_memory_percent (1..100)
 * @ram: bytes of RAM (0: unknown, only @percent is checked)
 * @ncpus: possible CPUs (the per-CPU counters hold one copy each)
 * @e: filled on failure, with the figure in MiB and the limit
 *
 * Return: 0 or -EINVAL.
 */
int xlb_cfg_check_memory(const struct xlb_dp_sizes *s, __u32 percent,
			 unsigned long long ram, unsigned int ncpus,
			 struct xlb_cfg_err *e);

/**
 * xlb_cfg_oneline() - replace control characters in @s by '?', so that a
 * message quoting a value (which YAML lets hold line breaks) stays one line
 */
void xlb_cfg_oneline(char *s);

/** xlb_cfg_at() - set where the problem is (printf-style path) */
void xlb_cfg_at(struct xlb_cfg_err *e, bool at_key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** xlb_cfg_fail() - set what the problem is; returns -EINVAL */
int xlb_cfg_fail(struct xlb_cfg_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** xlb_cfg_addr_same() - same address (IPv4 compares a[0] only) */
bool xlb_cfg_addr_same(const struct xlb_addr *a, const struct xlb_addr *b);

/** xlb_name_ok() - a check or VIP name: 1.., [A-Za-z0-9._-] */
bool xlb_name_ok(const char *s);
/** xlb_ifname_ok() - what the kernel accepts as an interface name */
bool xlb_ifname_ok(const char *s);
/** xlb_dns_type_parse() - "A", "AAAA", ... or 1..65535; -EINVAL */
int xlb_dns_type_parse(const char *s);
/** xlb_dns_type_str() - "A" for 1, ..., else the number into @buf (8) */
const char *xlb_dns_type_str(unsigned int t, char *buf);

#endif /* XLB_CONFIG_PRIV_H */
