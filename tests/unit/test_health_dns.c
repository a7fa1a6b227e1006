// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: tests of the DNS messages of the DNS health check
 *
 * Query encoding (labels, trailing dot, root, invalid names, short
 * buffers) and reply checking (id, QR, RCODE, question echo).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "health_dns.h"

static void test_query_bytes(void **state)
{
	static const __u8
		want[] = {
			0x12, 0x34, 0x01, 0x00, 0,   1,	  0,   0,   0,
			0,    0,    0, /* header */
			3,    'w',  'w',  'w',	7,   'e', 'x', 'a', 'm',
			'p',  'l',  'e',  3,	'c', 'o', 'm', 0, /* name */
			0,    28,   0,	  1, /* AAAA IN */
		};
	__u8 buf[HC_DNS_QUERY_MAX];
	int n;

	(void)state;
	n = hc_dns_build_query(buf, sizeof(buf), 0x1234, "www.example.com", 28);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* a trailing dot is the same name */
	n = hc_dns_build_query(buf, sizeof(buf), 0x1234, "www.example.com.",
			       28);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* measuring only */
	assert_int_equal(hc_dns_build_query(NULL, 0, 0, "www.example.com", 1),
			 sizeof(want));
}

static void test_query_root(void **state)
{
	__u8 buf[64];

	(void)state;
	assert_int_equal(hc_dns_build_query(buf, sizeof(buf), 1, ".", 2),
			 12 + 1 + 4);
	assert_int_equal(buf[12], 0);
}

static void test_query_invalid(void **state)
{
	char long_label[80], long_name[300];
	__u8 buf[HC_DNS_QUERY_MAX];
	int i;

	(void)state;
	assert_int_equal(hc_dns_build_query(buf, sizeof(buf), 1, "a..b", 1),
			 -EINVAL);
	assert_int_equal(hc_dns_build_query(buf, sizeof(buf), 1, ".a", 1),
			 -EINVAL);
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	assert_int_equal(hc_dns_build_query(buf, sizeof(buf), 1, long_label, 1),
			 -EINVAL);
	long_label[63] = '\0';
	assert_true(hc_dns_build_query(buf, sizeof(buf), 1, long_label, 1) > 0);
	/* 128 labels "a." = 256 bytes of name: over 255 */
	for (i = 0; i < 128; i++)
		memcpy(long_name + 2 * i, "a.", 2);
	long_name[256] = '\0';
	assert_int_equal(hc_dns_build_query(buf, sizeof(buf), 1, long_name, 1),
			 -EINVAL);
	assert_int_equal(hc_dns_build_query(buf, 10, 1, "example.com", 1),
			 -ENOSPC);
}

/* An answer: the query with QR set, RCODE, and one answer record. */
static size_t answer(__u8 *out, const __u8 *q, int qlen, int rcode)
{
	static const __u8 rr[] = { 0xc0, 12, 0, 1, 0,	1, 0, 0,
				   0,	 60, 0, 4, 192, 0, 2, 53 };

	memcpy(out, q, qlen);
	out[2] |= 0x80;
	out[3] = (out[3] & 0xf0) | rcode;
	out[7] = 1; /* ANCOUNT */
	memcpy(out + qlen, rr, sizeof(rr));
	return qlen + sizeof(rr);
}

static void test_reply_checks(void **state)
{
	__u8 q[HC_DNS_QUERY_MAX], r[HC_DNS_QUERY_MAX + 32];
	char err[128];
	int qlen;
	size_t n;

	(void)state;
	qlen = hc_dns_build_query(q, sizeof(q), 0xbeef, "svc.example", 1);
	assert_true(qlen > 0);

	n = answer(r, q, qlen, 0);
	assert_int_equal(hc_dns_check_reply(r, n, q, qlen, err, sizeof(err)),
			 0);

	n = answer(r, q, qlen, 3);
	assert_int_equal(hc_dns_check_reply(r, n, q, qlen, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "dns rcode NXDOMAIN");

	n = answer(r, q, qlen, 13);
	hc_dns_check_reply(r, n, q, qlen, err, sizeof(err));
	assert_string_equal(err, "dns rcode RCODE13");

	/* another id: not ours, keep waiting */
	n = answer(r, q, qlen, 0);
	r[1] ^= 1;
	assert_int_equal(hc_dns_check_reply(r, n, q, qlen, err, sizeof(err)),
			 -EAGAIN);

	/* the query echoed back (QR clear) */
	assert_int_equal(hc_dns_check_reply(q, qlen, q, qlen, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "dns: reply is a query, not an answer");

	/* same id, other question */
	n = answer(r, q, qlen, 0);
	r[13] = 'X';
	assert_int_equal(hc_dns_check_reply(r, n, q, qlen, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "dns: answer is for another question");

	/* short */
	assert_int_equal(hc_dns_check_reply(r, 5, q, qlen, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "dns: short reply (5 bytes)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_bytes),
		cmocka_unit_test(test_query_root),
		cmocka_unit_test(test_query_invalid),
		cmocka_unit_test(test_reply_checks),
	};

	return cmocka_run_group_tests_name("health_dns", tests, NULL, NULL);
}
