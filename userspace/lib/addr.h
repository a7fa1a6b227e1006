/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: addresses
 *
 * struct xlb_addr holds an IPv4 or IPv6 address exactly as the maps do
 * (network order, IPv4 in the first word), with parse and format helpers
 * used by the config, the API and the CLI.
 */
#ifndef XLB_ADDR_H
#define XLB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps/xlb_maps.h"

#define XLB_ADDR_STRLEN 48 /* INET6_ADDRSTRLEN plus room */

struct xlb_addr {
	__u8 family; /* XLB_AF_INET, XLB_AF_INET6, or XLB_AF_NONE */
	__be32 a[4];
};

/** xlb_addr_parse() - parse a numeric IPv4 or IPv6 address; 0 or -EINVAL */
int xlb_addr_parse(const char *s, struct xlb_addr *out);
/** xlb_addr_str() - format into @buf (XLB_ADDR_STRLEN); returns @buf */
const char *xlb_addr_str(const struct xlb_addr *a, char *buf);
bool xlb_addr_eq(const struct xlb_addr *a, const struct xlb_addr *b);
/** xlb_addr_cmp() - total order: family, then bytes */
int xlb_addr_cmp(const struct xlb_addr *a, const struct xlb_addr *b);
/** xlb_addr_is_unspecified() - 0.0.0.0, :: or no family */
bool xlb_addr_is_unspecified(const struct xlb_addr *a);
/** xlb_af_to_sys() - XLB_AF_* to AF_* (0 if neither) */
int xlb_af_to_sys(int xlb_family);

/** xlb_proto_parse() - "tcp"/"udp" -> IPPROTO_*, -EINVAL otherwise */
int xlb_proto_parse(const char *s);
const char *xlb_proto_str(int proto);

/**
 * xlb_port_parse() - "0".."65535" or "any" (-> 0); -EINVAL otherwise
 * @s: text
 * @out: port in host order
 */
int xlb_port_parse(const char *s, __u16 *out);

/**
 * xlb_vip_str() - "192.0.2.1:80/tcp", "[2001:db8::1]:any/udp"
 * @port: host order, 0 = any
 */
const char *xlb_vip_str(const struct xlb_addr *a, __u16 port, int proto,
			char *buf, size_t len);

/** xlb_mac_str() - "aa:bb:cc:dd:ee:ff" into @buf (18 bytes) */
const char *xlb_mac_str(const __u8 *mac, char *buf);

#endif /* XLB_ADDR_H */
