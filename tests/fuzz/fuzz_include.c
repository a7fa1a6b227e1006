// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: fuzz_include - the BIRD include file xlbd writes and reads back
 *
 * xlbd reads its previous include file at start-up to know what it was
 * announcing. Whatever that file holds, the reader must stay within its
 * array, and what it reads must survive a round trip: rendering those
 * addresses and reading the result gives the same set and drain flag.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"

#define MAX 32

static __attribute__((noreturn)) void fail(const char *what)
{
	fprintf(stderr, "fuzz_include: %s\n", what);
	abort();
}

static int cmp(const void *a, const void *b)
{
	return xlb_addr_cmp(a, b);
}

/* sort and drop duplicates; returns the new count */
static size_t uniq(struct xlb_addr *a, size_t n)
{
	size_t i, k = 0;

	qsort(a, n, sizeof(*a), cmp);
	for (i = 0; i < n; i++)
		if (!k || xlb_addr_cmp(&a[k - 1], &a[i]))
			a[k++] = a[i];
	return k;
}

static bool same(const struct xlb_addr *a, const struct xlb_addr *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (xlb_addr_cmp(&a[i], &b[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_addr got[MAX + 1], again[MAX];
	struct xlb_ann_vip v[MAX];
	static char buf[16384];
	bool drain, drain2;
	char *text;
	int n, n2, i;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&got[MAX], 0xee, sizeof(got[MAX]));
	n = xlb_ann_parse(text, got, MAX, &drain);
	free(text);
	if (got[MAX].family != 0xee)
		fail("parse wrote past its array");
	if (n == -EPROTO)
		return 0;
	if (n < 0 || n > MAX)
		fail("bad count");
	for (i = 0; i < n; i++) {
		if (got[i].family != XLB_AF_INET &&
		    got[i].family != XLB_AF_INET6)
			fail("an address without a family");
		v[i].addr = got[i];
		v[i].announced = true;
	}
	if (xlb_ann_render(v, (size_t)n, drain, 0, buf, sizeof(buf)) < 0)
		fail("render failed");
	n2 = xlb_ann_parse(buf, again, MAX, &drain2);
	qsort(again, n2 > 0 ? (size_t)n2 : 0, sizeof(*again), cmp);
	if (n2 < 0) {
		fprintf(stderr, "%s", buf);
		fail("what render wrote does not parse");
	}
	if (drain2 != drain)
		fail("drain changed");
	if (uniq(got, (size_t)n) != (size_t)n2 || !same(got, again, n2)) {
		if (uniq(again, (size_t)n2) != (size_t)n2)
			fail("render wrote an address twice");
		fprintf(stderr, "%s", buf);
		fail("the round trip changed the addresses");
	}
	return 0;
}
