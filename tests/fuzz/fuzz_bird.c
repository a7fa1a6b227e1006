// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: fuzz_bird - BIRD's control-socket replies
 *
 * The input is what BIRD (or something pretending) writes back. xlbd reads
 * it in pieces and parses the bytes so far after each read, so the parser
 * must give the same answer whichever newline a read ends at: the first
 * prefix that parses to a complete reply or an error decides. The reply
 * text is always terminated inside its buffer, and the prefix-set reader
 * (used on the text of "eval" replies) stays within its output array.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird.h"

#define MAX_PREFIXES 8

static __attribute__((noreturn)) void fail(const char *what)
{
	fprintf(stderr, "fuzz_bird: %s\n", what);
	abort();
}

static int parse(const uint8_t *d, size_t n, struct xlb_bird_reply *r)
{
	int ret = xlb_bird_parse((const char *)d, n, r);

	if (ret != 0 && ret != 1 && ret != -EPROTO)
		fail("unexpected return value");
	if (!memchr(r->text, '\0', sizeof(r->text)))
		fail("reply text not terminated");
	if (ret == 1 && (r->code < 0 || r->code > 9999))
		fail("complete reply without a 4-digit code");
	return ret;
}

static void prefixes(const char *text)
{
	struct xlb_addr out[MAX_PREFIXES + 1];
	int n;

	out[MAX_PREFIXES].family = 0xee; /* canary */
	n = xlb_bird_eval_prefixes(text, out, MAX_PREFIXES);
	if (n != -EPROTO && (n < 0 || n > MAX_PREFIXES))
		fail("eval_prefixes: bad count");
	if (out[MAX_PREFIXES].family != 0xee)
		fail("eval_prefixes wrote past its array");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xlb_bird_reply full, part;
	int ret, first = 0;
	size_t i, lines = 0;
	char *text;

	ret = parse(data, size, &full);
	/* the reads that end at each newline, as xlbd's loop sees them */
	for (i = 0; i < size && lines < 64 && !first; i++) {
		if (data[i] != '\n')
			continue;
		lines++;
		first = parse(data, i + 1, &part);
	}
	if (first) {
		if (ret != first)
			fail("a longer read changed the outcome");
		if (ret == 1 &&
		    (part.code != full.code || strcmp(part.text, full.text) ||
		     part.truncated != full.truncated))
			fail("a longer read changed the reply");
	} else if (lines < 64 && ret != 0) {
		fail("complete only with bytes past the last newline");
	}
	if (ret == 1)
		prefixes(full.text);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	prefixes(text);
	free(text);
	return 0;
}
