// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: DNS query building and reply checking (see health_dns.h)
 *
 * Wire format of RFC 1035 section 4: a 12-byte header, then the question
 * as length-prefixed labels, type and class. Only what a health check
 * needs: one question out, header and question compared on the way back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "health_dns.h"

#define DNS_FLAG_QR  0x8000
#define DNS_FLAG_RD  0x0100
#define DNS_CLASS_IN 1

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Encode @name as labels into @out (NULL: only measure). */
static int encode_name(__u8 *out, const char *name)
{
	size_t n = strlen(name), pos = 0, start = 0, i, l;

	if (n && name[n - 1] == '.')
		n--; /* "example.com." and "." */
	if (n == 0) {
		if (out)
			out[0] = 0;
		return 1;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && name[i] != '.')
			continue;
		l = i - start;
		if (l == 0 || l > 63)
			return -EINVAL;
		if (out) {
			out[pos] = (__u8)l;
			memcpy(out + pos + 1, name + start, l);
		}
		pos += l + 1;
		start = i + 1;
	}
	if (out)
		out[pos] = 0;
	pos++;
	return pos > 255 ? -EINVAL : (int)pos;
}

int hc_dns_build_query(__u8 *buf, size_t len, __u16 id, const char *name,
		       __u16 qtype)
{
	int nl = encode_name(NULL, name);
	size_t total;

	if (nl < 0)
		return nl;
	total = HC_DNS_HDR_LEN + nl + 4;
	if (!buf)
		return total;
	if (len < total)
		return -ENOSPC;
	memset(buf, 0, HC_DNS_HDR_LEN);
	put16(buf, id);
	put16(buf + 2, DNS_FLAG_RD);
	put16(buf + 4, 1); /* QDCOUNT */
	encode_name(buf + HC_DNS_HDR_LEN, name);
	put16(buf + HC_DNS_HDR_LEN + nl, qtype);
	put16(buf + HC_DNS_HDR_LEN + nl + 2, DNS_CLASS_IN);
	return total;
}

const char *hc_dns_rcode_name(unsigned int rcode, char *buf, size_t len)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET", "NOTAUTH", "NOTZONE",
	};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

int hc_dns_check_reply(const __u8 *msg, size_t len, const __u8 *query,
		       size_t qlen, char *err, size_t errlen)
{
	__u16 flags;
	char b[16];

	if (len < HC_DNS_HDR_LEN) {
		if (len >= 2 && get16(msg) != get16(query))
			return -EAGAIN;
		snprintf(err, errlen, "dns: short reply (%zu bytes)", len);
		return -EPROTO;
	}
	if (get16(msg) != get16(query))
		return -EAGAIN; /* a late answer to an earlier query */
	flags = get16(msg + 2);
	if (!(flags & DNS_FLAG_QR)) {
		snprintf(err, errlen, "dns: reply is a query, not an answer");
		return -EPROTO;
	}
	if (flags & 0xf) {
		snprintf(err, errlen, "dns rcode %s",
			 hc_dns_rcode_name(flags & 0xf, b, sizeof(b)));
		return -EPROTO;
	}
	/* A server echoes the question; a different one means the id
	 * collided with someone else's query. */
	if (get16(msg + 4) != 1 || len < qlen ||
	    memcmp(msg + HC_DNS_HDR_LEN, query + HC_DNS_HDR_LEN,
		   qlen - HC_DNS_HDR_LEN)) {
		snprintf(err, errlen, "dns: answer is for another question");
		return -EPROTO;
	}
	return 0;
}
