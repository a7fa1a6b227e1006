/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: DNS messages of the DNS health check
 *
 * The check builds its query itself (one question, recursion desired, a
 * random id) and accepts a reply that carries the same id and question,
 * has QR set, and RCODE NOERROR. Pure functions, unit-tested without I/O.
 */
#ifndef XLB_HEALTH_DNS_H
#define XLB_HEALTH_DNS_H

#include <stddef.h>
#include <linux/types.h>

#define HC_DNS_HDR_LEN	 12
#define HC_DNS_QUERY_MAX 512 /* header + a 255-byte name + type/class */

/**
 * hc_dns_build_query() - a standard query for @name/@qtype, class IN
 * @buf: output, or NULL to only validate @name and get the length
 * @len: size of @buf
 * @id: message id
 * @name: "example.com" (a trailing dot is allowed; "." is the root)
 * @qtype: type number (1 = A, 28 = AAAA)
 *
 * Return: the message length, -EINVAL for an invalid name (empty label,
 * label over 63 bytes, name over 255 bytes), or -ENOSPC if @buf is short.
 */
int hc_dns_build_query(__u8 *buf, size_t len, __u16 id, const char *name,
		       __u16 qtype);

/**
 * hc_dns_check_reply() - is @msg the good answer to @query?
 * @msg: received datagram
 * @len: its length
 * @query: the query sent (its id and question are compared)
 * @qlen: its length
 * @err: one-line reason when not good ("dns rcode NXDOMAIN")
 * @errlen: size of @err
 *
 * Return: 0 for a NOERROR answer, -EAGAIN for a datagram that is not an
 * answer to this query (other id: keep waiting), -EPROTO for a bad answer.
 */
int hc_dns_check_reply(const __u8 *msg, size_t len, const __u8 *query,
		       size_t qlen, char *err, size_t errlen);

/** hc_dns_rcode_name() - "NOERROR", "SERVFAIL", ... or "RCODE<n>" */
const char *hc_dns_rcode_name(unsigned int rcode, char *buf, size_t len);

#endif /* XLB_HEALTH_DNS_H */
