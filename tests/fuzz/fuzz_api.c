// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: fuzz_api - the xlbctl/xlbd protocol: framing and requests
 *
 * The input is a byte stream from a client, fed to the line framing in
 * chunks (the first byte picks the chunk size). Every line that comes out
 * must be exactly the bytes up to the next newline; every request that
 * parses must survive encoding and parsing again unchanged, and the
 * argument helpers the server uses must accept or refuse it without
 * crashing. Responses built from what was parsed must be one line of
 * valid JSON that decodes to what was encoded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static __attribute__((noreturn)) void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_api: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

/* @s is one line: ends with its only newline; decodes to @want if given */
static void check_line(char *s, json_t *want)
{
	size_t n;
	json_t *o;

	if (!s)
		return; /* out of memory */
	n = strlen(s);
	if (!n || s[n - 1] != '\n' || memchr(s, '\n', n - 1))
		fail("encoded message is not one line", s);
	o = json_loads(s, 0, NULL);
	if (!o)
		fail("encoded message does not decode", s);
	if (want && !json_equal(o, want))
		fail("encoded message decodes to something else", s);
	json_decref(o);
	free(s);
}

static void args(json_t *a)
{
	static const char *const keys[] = { "address", "port",	"protocol",
					    "weight",  "state", NULL };
	unsigned long long u;
	char err[XLB_API_ERRLEN];
	struct xlb_addr addr;
	const char *s;
	bool b, present;
	__u16 port;
	__u8 proto;

	xlb_api_check_keys(a, keys, err, sizeof(err));
	xlb_api_arg_str(a, "state", false, &s, err, sizeof(err));
	xlb_api_arg_str(a, "name", true, &s, err, sizeof(err));
	xlb_api_arg_uint(a, "weight", false, 1000000, &u, &present, err,
			 sizeof(err));
	xlb_api_arg_uint(a, "ring_size", true, ~0ull, &u, NULL, err,
			 sizeof(err));
	xlb_api_arg_bool(a, "announce", &b, &present, err, sizeof(err));
	xlb_api_arg_addr(a, "backend", false, &addr, &present, err,
			 sizeof(err));
	if (!xlb_api_arg_vip(a, &addr, &port, &proto, err, sizeof(err)) &&
	    proto != 6 && proto != 17)
		fail("arg_vip gave a protocol that is not tcp or udp", NULL);
}

static void request(const char *line)
{
	json_t *req, *a, *req2, *a2;
	const char *cmd, *cmd2;
	char err[XLB_API_ERRLEN];
	char *enc;

	if (xlb_api_request_parse(line, &req, &cmd, &a, err, sizeof(err))) {
		if (req)
			fail("refused request left an object", NULL);
		if (memchr(err, '\0', sizeof(err)) == NULL)
			fail("error not terminated", NULL);
		check_line(xlb_api_response_err(-EINVAL, err), NULL);
		return;
	}
	args(a);
	/* the client's encoding of the same request parses back equal */
	enc = xlb_api_request(cmd, json_deep_copy(a));
	if (enc) {
		enc[strlen(enc) - 1] = '\0';
		if (xlb_api_request_parse(enc, &req2, &cmd2, &a2, err,
					  sizeof(err)))
			fail("re-encoded request does not parse", err);
		if (strcmp(cmd, cmd2) || !json_equal(a, a2))
			fail("re-encoded request differs", enc);
		json_decref(req2);
		free(enc);
	}
	check_line(xlb_api_response_ok(json_deep_copy(a)), NULL);
	check_line(xlb_api_response_err(-ENOENT, cmd), NULL);
	json_decref(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_api_buf b = { 0 };
	size_t chunk, off = 0, done = 0, n;
	char *line;
	int r;

	if (!size)
		return 0;
	chunk = 1 + data[0] % 64;
	data++;
	size--;
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		r = xlb_api_buf_feed(&b, (const char *)data + off, n);
		if (r == -EMSGSIZE || r == -ENOMEM)
			break;
		if (r)
			fail("feed failed", NULL);
		off += n;
		while ((r = xlb_api_buf_line(&b, &line)) == 1) {
			size_t len = strlen(line);

			/* a line is the bytes up to the newline (a NUL
			 * inside ends the string early, never overruns) */
			if (done + len >= size ||
			    memcmp(line, data + done, len))
				fail("line is not the stream's next bytes",
				     line);
			n = (const uint8_t *)memchr(data + done, '\n',
						    size - done) -
			    (data + done);
			if (len > n)
				fail("line runs past its newline", line);
			done += n + 1;
			request(line);
			free(line);
		}
		if (r < 0 && r != -EMSGSIZE && r != -ENOMEM)
			fail("buf_line failed", NULL);
		if (r < 0)
			break;
	}
	xlb_api_buf_free(&b);
	return 0;
}
