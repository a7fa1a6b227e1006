// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: address helpers
 *
 * Strict parsing (numeric addresses only, no names, no zone ids, no
 * surrounding spaces) so a typo in a config or a CLI call is an error and
 * not a surprise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "addr.h"

int xlb_addr_parse(const char *s, struct xlb_addr *out)
{
	struct xlb_addr a = {};

	if (!s || !*s)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return -EINVAL;
		a.family = XLB_AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.a) != 1)
			return -EINVAL;
		a.family = XLB_AF_INET;
	}
	*out = a;
	return 0;
}

const char *xlb_addr_str(const struct xlb_addr *a, char *buf)
{
	if (a->family == XLB_AF_INET)
		inet_ntop(AF_INET, a->a, buf, XLB_ADDR_STRLEN);
	else if (a->family == XLB_AF_INET6)
		inet_ntop(AF_INET6, a->a, buf, XLB_ADDR_STRLEN);
	else
		snprintf(buf, XLB_ADDR_STRLEN, "-");
	return buf;
}

bool xlb_addr_eq(const struct xlb_addr *a, const struct xlb_addr *b)
{
	return xlb_addr_cmp(a, b) == 0;
}

int xlb_addr_cmp(const struct xlb_addr *a, const struct xlb_addr *b)
{
	size_t n = a->family == XLB_AF_INET ? 4 : 16;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, n);
}

bool xlb_addr_is_unspecified(const struct xlb_addr *a)
{
	static const __be32 zero[4];

	if (a->family == XLB_AF_INET)
		return a->a[0] == 0;
	if (a->family == XLB_AF_INET6)
		return !memcmp(a->a, zero, 16);
	return true;
}

int xlb_af_to_sys(int f)
{
	return f == XLB_AF_INET ? AF_INET : f == XLB_AF_INET6 ? AF_INET6 : 0;
}

int xlb_proto_parse(const char *s)
{
	if (s && !strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (s && !strcmp(s, "udp"))
		return IPPROTO_UDP;
	return -EINVAL;
}

const char *xlb_proto_str(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return "?";
	}
}

int xlb_port_parse(const char *s, __u16 *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "any")) {
		*out = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*out = (__u16)v;
	return 0;
}

const char *xlb_vip_str(const struct xlb_addr *a, __u16 port, int proto,
			char *buf, size_t len)
{
	char as[XLB_ADDR_STRLEN], ps[8];

	xlb_addr_str(a, as);
	if (port)
		snprintf(ps, sizeof(ps), "%u", port);
	else
		snprintf(ps, sizeof(ps), "any");
	if (a->family == XLB_AF_INET6)
		snprintf(buf, len, "[%s]:%s/%s", as, ps, xlb_proto_str(proto));
	else
		snprintf(buf, len, "%s:%s/%s", as, ps, xlb_proto_str(proto));
	return buf;
}

const char *xlb_mac_str(const __u8 *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	return buf;
}
