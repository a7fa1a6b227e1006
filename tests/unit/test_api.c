// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: tests of the API protocol (userspace/lib/api.c)
 *
 * Framing, request and response round trips, malformed requests, strict
 * argument parsing, and the client's behaviour against a peer that answers
 * badly, late or not at all (over a socketpair with a thread as server).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "api.h"

static void test_framing(void **state)
{
	struct xlb_api_buf b = {};
	char *line = NULL;

	(void)state;
	assert_int_equal(xlb_api_buf_line(&b, &line), 0);
	assert_int_equal(xlb_api_buf_feed(&b, "{\"cmd\":", 7), 0);
	assert_int_equal(xlb_api_buf_line(&b, &line), 0);
	assert_int_equal(xlb_api_buf_feed(&b, "\"a\"}\n{\"cmd\":\"b\"}\nx",
					  strlen("\"a\"}\n{\"cmd\":\"b\"}\nx")),
			 0);
	assert_int_equal(xlb_api_buf_line(&b, &line), 1);
	assert_string_equal(line, "{\"cmd\":\"a\"}");
	free(line);
	assert_int_equal(xlb_api_buf_line(&b, &line), 1);
	assert_string_equal(line, "{\"cmd\":\"b\"}");
	free(line);
	assert_int_equal(xlb_api_buf_line(&b, &line), 0);
	assert_int_equal(b.len, 1);
	xlb_api_buf_free(&b);
}

static void test_framing_too_large(void **state)
{
	struct xlb_api_buf b = {};
	char *chunk = malloc(65536), *line = NULL;
	size_t fed = 0;
	int r = 0;

	(void)state;
	assert_non_null(chunk);
	memset(chunk, 'x', 65536);
	while (fed <= XLB_API_MAX_MSG + 65536) {
		r = xlb_api_buf_feed(&b, chunk, 65536);
		if (r)
			break;
		fed += 65536;
	}
	assert_int_equal(r, -EMSGSIZE);
	/* no line ever comes out of an oversized message */
	assert_true(xlb_api_buf_line(&b, &line) <= 0);
	free(chunk);
	xlb_api_buf_free(&b);
}

static void test_request_round_trip(void **state)
{
	char err[XLB_API_ERRLEN], *line;
	json_t *req, *args;
	const char *cmd;

	(void)state;
	line = xlb_api_request("backend.set",
			       json_pack("{s:s,s:i,s:s,s:s,s:i}", "address",
					 "192.0.2.1", "port", 80, "protocol",
					 "tcp", "backend", "10.0.0.1", "weight",
					 7));
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(xlb_api_request_parse(line, &req, &cmd, &args, err,
					       sizeof(err)),
			 0);
	assert_string_equal(cmd, "backend.set");
	assert_int_equal(json_integer_value(json_object_get(args, "weight")),
			 7);
	json_decref(req);
	free(line);

	/* no args: an empty object is supplied */
	assert_int_equal(xlb_api_request_parse("{\"cmd\":\"status\"}", &req,
					       &cmd, &args, err, sizeof(err)),
			 0);
	assert_true(json_is_object(args));
	assert_int_equal(json_object_size(args), 0);
	json_decref(req);
}

static void test_request_malformed(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
		{ "", "malformed request" },
		{ "not json", "malformed request" },
		{ "[1,2]", "not a JSON object" },
		{ "{}", "'cmd' must be a non-empty string" },
		{ "{\"cmd\":3}", "'cmd' must be a non-empty string" },
		{ "{\"cmd\":\"\"}", "'cmd' must be a non-empty string" },
		{ "{\"cmd\":\"x\",\"args\":[]}", "'args' must be an object" },
		{ "{\"cmd\":\"x\",\"extra\":1}", "unknown key 'extra'" },
		{ "{\"cmd\":\"x\",\"cmd\":\"y\"}", "malformed request" },
		{ "{\"cmd\":\"x\"", "malformed request" },
	};
	char err[XLB_API_ERRLEN];
	json_t *req, *args;
	const char *cmd;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(xlb_api_request_parse(bad[i].line, &req, &cmd,
						       &args, err, sizeof(err)),
				 -EINVAL);
		assert_null(req);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].line,
				 err, bad[i].msg);
	}
}

static void test_responses(void **state)
{
	json_t *o;
	char *l;

	(void)state;
	l = xlb_api_response_ok(json_pack("{s:i}", "n", 3));
	o = json_loads(l, 0, NULL);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(o, "result"), "n")),
			 3);
	json_decref(o);
	free(l);

	l = xlb_api_response_err(-ENOENT, "vip 1.2.3.4:80/tcp: no such VIP");
	o = json_loads(l, 0, NULL);
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(o, "errno")),
			 ENOENT);
	assert_string_equal(json_string_value(json_object_get(o, "error")),
			    "vip 1.2.3.4:80/tcp: no such VIP");
	json_decref(o);
	free(l);
}

static void test_args(void **state)
{
	static const char *const keys[] = { "a", "b", NULL };
	char err[XLB_API_ERRLEN];
	unsigned long long u;
	struct xlb_addr a;
	const char *s;
	bool b, present;
	json_t *o;

	(void)state;
	o = json_pack("{s:i,s:s}", "a", 1, "c", "x");
	assert_int_equal(xlb_api_check_keys(o, keys, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown argument 'c'");
	json_decref(o);

	o = json_pack("{s:i,s:i,s:s,s:f,s:b,s:s}", "n", 5, "neg", -1, "str",
		      "5", "real", 1.5, "flag", 1, "addr", "10.0.0.300");
	assert_int_equal(xlb_api_arg_uint(o, "n", true, 10, &u, &present, err,
					  sizeof(err)),
			 0);
	assert_int_equal(u, 5);
	assert_true(present);
	assert_int_equal(
		xlb_api_arg_uint(o, "n", true, 4, &u, NULL, err, sizeof(err)),
		-ERANGE);
	assert_string_equal(err, "argument 'n' out of range 0..4");
	assert_int_equal(xlb_api_arg_uint(o, "neg", true, 10, &u, NULL, err,
					  sizeof(err)),
			 -ERANGE);
	assert_int_equal(xlb_api_arg_uint(o, "str", true, 10, &u, NULL, err,
					  sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "argument 'str' must be an integer");
	assert_int_equal(xlb_api_arg_uint(o, "real", true, 10, &u, NULL, err,
					  sizeof(err)),
			 -EINVAL);
	assert_int_equal(xlb_api_arg_uint(o, "absent", true, 10, &u, NULL, err,
					  sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "missing argument 'absent'");
	assert_int_equal(xlb_api_arg_uint(o, "absent", false, 10, &u, &present,
					  err, sizeof(err)),
			 0);
	assert_false(present);
	assert_int_equal(
		xlb_api_arg_bool(o, "flag", &b, &present, err, sizeof(err)), 0);
	assert_true(b);
	assert_int_equal(xlb_api_arg_bool(o, "n", &b, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(xlb_api_arg_str(o, "n", true, &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		xlb_api_arg_addr(o, "addr", true, &a, NULL, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "not an IPv4 or IPv6 address"));
	json_decref(o);
}

static void test_arg_vip(void **state)
{
	static const struct {
		const char *json;
		int ret;
		__u16 port;
		const char *msg;
	} cases[] = {
		{ "{\"address\":\"192.0.2.1\",\"port\":80,\"protocol\":\"tcp\"}",
		  0, 80, NULL },
		{ "{\"address\":\"2001:db8::1\",\"port\":\"any\","
		  "\"protocol\":\"udp\"}",
		  0, 0, NULL },
		{ "{\"address\":\"192.0.2.1\",\"protocol\":\"tcp\"}", 0, 0,
		  NULL },
		{ "{\"address\":\"192.0.2.1\",\"port\":\"443\","
		  "\"protocol\":\"tcp\"}",
		  0, 443, NULL },
		{ "{\"address\":\"192.0.2.1\",\"port\":0,\"protocol\":\"tcp\"}",
		  -ERANGE, 0, "out of range 1..65535" },
		{ "{\"address\":\"192.0.2.1\",\"port\":\"0\","
		  "\"protocol\":\"tcp\"}",
		  -EINVAL, 0, "1..65535 or \"any\"" },
		{ "{\"address\":\"192.0.2.1\",\"port\":70000,"
		  "\"protocol\":\"tcp\"}",
		  -ERANGE, 0, "out of range" },
		{ "{\"address\":\"192.0.2.1\",\"port\":\"http\","
		  "\"protocol\":\"tcp\"}",
		  -EINVAL, 0, "1..65535 or \"any\"" },
		{ "{\"address\":\"192.0.2.1\",\"port\":true,"
		  "\"protocol\":\"tcp\"}",
		  -EINVAL, 0, "1..65535 or \"any\"" },
		{ "{\"address\":\"192.0.2.1\",\"port\":80}", 0, 80,
		  NULL }, /* protocol defaults to tcp */
		{ "{\"address\":\"192.0.2.1\",\"port\":80,\"protocol\":\"sctp\"}",
		  -EINVAL, 0, "tcp or udp" },
		{ "{\"port\":80,\"protocol\":\"tcp\"}", -EINVAL, 0,
		  "missing argument 'address'" },
		{ "{\"address\":\"example.com\",\"protocol\":\"tcp\"}", -EINVAL,
		  0, "not an IPv4 or IPv6 address" },
	};
	char err[XLB_API_ERRLEN];
	struct xlb_addr a;
	__u16 port;
	__u8 proto;
	size_t i;
	json_t *o;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = json_loads(cases[i].json, 0, NULL);
		assert_non_null(o);
		err[0] = '\0';
		r = xlb_api_arg_vip(o, &a, &port, &proto, err, sizeof(err));
		if (r != cases[i].ret)
			fail_msg("%s: got %d want %d (%s)", cases[i].json, r,
				 cases[i].ret, err);
		if (!r)
			assert_int_equal(port, cases[i].port);
		if (!r && !strstr(cases[i].json, "protocol"))
			assert_int_equal(proto, IPPROTO_TCP);
		if (cases[i].msg && !strstr(err, cases[i].msg))
			fail_msg("%s: error '%s' lacks '%s'", cases[i].json,
				 err, cases[i].msg);
		json_decref(o);
	}
}

/* --- client against a scripted peer -------------------------------------- */

struct peer {
	int fd;
	const char *reply; /* NULL: never answer; "" : close at once */
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	char buf[4096];
	ssize_t n;

	n = read(p->fd, buf, sizeof(buf));
	(void)n;
	if (p->reply && p->reply[0]) {
		n = write(p->fd, p->reply, strlen(p->reply));
		(void)n;
	}
	if (!p->reply || p->reply[0]) {
		/* keep the socket open until the client gives up */
		n = read(p->fd, buf, sizeof(buf));
		(void)n;
	}
	close(p->fd);
	return NULL;
}

static int call_peer(const char *reply, int timeout_ms, json_t **res, char *err)
{
	struct peer p;
	pthread_t t;
	int sv[2], r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p.fd = sv[1];
	p.reply = reply;
	assert_int_equal(pthread_create(&t, NULL, peer_main, &p), 0);
	r = xlb_api_call(sv[0], "status", NULL, timeout_ms, res, err,
			 XLB_API_ERRLEN);
	close(sv[0]);
	pthread_join(t, NULL);
	return r;
}

static void test_client(void **state)
{
	char err[XLB_API_ERRLEN];
	json_t *res = NULL;

	(void)state;
	assert_int_equal(call_peer("{\"ok\":true,\"result\":{\"x\":1}}\n", 2000,
				   &res, err),
			 0);
	assert_int_equal(json_integer_value(json_object_get(res, "x")), 1);
	json_decref(res);

	assert_int_equal(call_peer("{\"ok\":false,\"error\":\"no such VIP\","
				   "\"errno\":2}\n",
				   2000, &res, err),
			 -ENOENT);
	assert_string_equal(err, "no such VIP");
	assert_null(res);

	assert_int_equal(call_peer("garbage\n", 2000, &res, err), -EPROTO);
	assert_int_equal(call_peer("", 2000, &res, err), -ECONNRESET);
	assert_int_equal(call_peer(NULL, 200, &res, err), -ETIMEDOUT);
	assert_non_null(strstr(err, "timed out"));
}

/*
 * A server that refuses answers and closes before the client has written
 * its request (xlbd does when it is too busy to wait for it): the send
 * fails with EPIPE, but the answer is there to read, and it is what the
 * client reports.
 */
static void test_client_reads_answer_after_epipe(void **state)
{
	const char *no = "{\"ok\":false,\"error\":\"not allowed\","
			 "\"errno\":13}\n";
	char err[XLB_API_ERRLEN];
	json_t *res = NULL;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], no, strlen(no)), (ssize_t)strlen(no));
	close(sv[1]);
	assert_int_equal(xlb_api_call(sv[0], "status", NULL, 2000, &res, err,
				      sizeof(err)),
			 -EACCES);
	assert_string_equal(err, "not allowed");
	assert_null(res);
	close(sv[0]);

	/* closed without an answer: the send's own error */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(xlb_api_call(sv[0], "status", NULL, 2000, &res, err,
				      sizeof(err)),
			 -EPIPE);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_framing_too_large),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_arg_vip),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_client_reads_answer_after_epipe),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
