// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: tests of the health-check engine on loopback
 *
 * The engine's life cycle rather than the check types (those are in
 * tests/health/suite_health.sh against real servers): results and state
 * changes, deleting a probe while its check is in flight or from its own
 * callback, closing the engine from a callback, the concurrency bound and
 * its queue, in-place updates, config rejections. Everything runs in this
 * process on 127.0.0.1 with a small HTTP responder on the same loop, so
 * the sanitizer build sees every path, and every test ends with
 * uv_loop_close() == 0: no handle of the engine is left behind.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <uv.h>

#include "health.h"
#include "log.h"

struct fx {
	uv_loop_t loop;
	struct xlb_hc *hc;
	int hang_fd; /* listens, never accepts */
	__u16 hang_port;
	int closed_fd; /* bound, not listening: refuses */
	__u16 closed_port;
	uv_tcp_t http; /* answers 200 "ok" */
	__u16 http_port;
	/* what the callbacks saw */
	int results, oks, changes, firsts;
	char last_error[XLB_HC_ERR_MAX];
	struct xlb_hc_probe *del_on_result;
	bool close_on_change;
};

/* --- a tiny HTTP responder on the test's loop --------------------------- */

static void http_closed(uv_handle_t *h)
{
	free(h);
}

static void http_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)n;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void http_written(uv_write_t *w, int status)
{
	(void)status;
	uv_close((uv_handle_t *)w->handle, http_closed);
	free(w);
}

static void http_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	static char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			     "Connection: close\r\n\r\nok\n";
	uv_buf_t out = uv_buf_init(resp, sizeof(resp) - 1);
	uv_write_t *w;

	if (n < 0) {
		uv_close((uv_handle_t *)s, http_closed);
		return;
	}
	/* requests are small: the first chunk holds the whole head */
	if (n > 0 && memmem(b->base, n, "\r\n\r\n", 4)) {
		uv_read_stop(s);
		w = calloc(1, sizeof(*w));
		uv_write(w, s, &out, 1, http_written);
	}
}

static void http_conn(uv_stream_t *srv, int status)
{
	uv_tcp_t *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	uv_tcp_init(srv->loop, c);
	if (uv_accept(srv, (uv_stream_t *)c)) {
		uv_close((uv_handle_t *)c, http_closed);
		return;
	}
	uv_read_start((uv_stream_t *)c, http_alloc, http_read);
}

/* --- fixture ------------------------------------------------------------ */

static int bound_socket(__u16 *port, bool do_listen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 64), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void on_result(struct xlb_hc_probe *p, const struct xlb_hc_result *r,
		      void *user)
{
	struct fx *f = user;

	f->results++;
	f->oks += r->ok;
	snprintf(f->last_error, sizeof(f->last_error), "%s", r->error);
	if (f->del_on_result == p) {
		xlb_hc_probe_del(p);
		f->del_on_result = NULL;
	}
}

static void on_change(struct xlb_hc_probe *p, const struct xlb_hc_change *c,
		      void *user)
{
	struct fx *f = user;

	(void)p;
	f->changes++;
	f->firsts += c->first;
	if (f->close_on_change) {
		xlb_hc_close(f->hc);
		f->hc = NULL;
	}
}

static int setup(void **state)
{
	struct xlb_hc_opts o = { .on_result = on_result,
				 .on_change = on_change,
				 .seed = 42 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	struct fx *f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->hang_fd = bound_socket(&f->hang_port, true);
	f->closed_fd = bound_socket(&f->closed_port, false);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	uv_tcp_init(&f->loop, &f->http);
	assert_int_equal(uv_tcp_bind(&f->http, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->http, 64, http_conn), 0);
	uv_tcp_getsockname(&f->http, (struct sockaddr *)&ss, &sl);
	f->http_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	o.max_inflight = 0;
	assert_int_equal(xlb_hc_new(&f->loop, &o, &f->hc), 0);
	*state = f;
	return 0;
}

/* Options differ per test: replace the engine before adding probes. */
static void reopen(struct fx *f, unsigned int max_inflight)
{
	struct xlb_hc_opts o = { .on_result = on_result,
				 .on_change = on_change,
				 .max_inflight = max_inflight,
				 .seed = 7 };

	xlb_hc_close(f->hc);
	assert_int_equal(xlb_hc_new(&f->loop, &o, &f->hc), 0);
}

static void stop_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void run_for(struct fx *f, unsigned int ms)
{
	uv_timer_t t;

	uv_timer_init(&f->loop, &t);
	uv_timer_start(&t, stop_cb, ms, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	xlb_hc_close(f->hc);
	uv_close((uv_handle_t *)&f->http, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	/* every handle of the engine is closed */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	close(f->hang_fd);
	close(f->closed_fd);
	free(f);
	return 0;
}

static struct xlb_hc_cfg cfg_of(enum xlb_hc_type type)
{
	struct xlb_hc_cfg c = {
		.type = type,
		.interval_ms = 50,
		.timeout_ms = 40,
		.rise = 2,
		.fall = 2,
	};

	snprintf(c.name, sizeof(c.name), "t");
	return c;
}

static struct xlb_hc_target target_of(__u16 port)
{
	struct xlb_hc_target t = { .port = port };

	xlb_addr_parse("127.0.0.1", &t.backend);
	snprintf(t.name, sizeof(t.name), "test 127.0.0.1:%u", port);
	return t;
}

static struct xlb_hc_probe *add(struct fx *f, const struct xlb_hc_cfg *c,
				__u16 port, enum xlb_hc_state initial)
{
	struct xlb_hc_target t = target_of(port);
	struct xlb_hc_probe *p = NULL;
	char err[256] = "";

	assert_int_equal(xlb_hc_probe_add(f->hc, c, &t, initial, f, &p, err,
					  sizeof(err)),
			 0);
	return p;
}

/* --- tests -------------------------------------------------------------- */

static void test_tcp_up_and_refused(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_TCP);
	struct xlb_hc_probe *up, *refused;
	struct xlb_hc_status st;
	struct fx *f = *state;

	up = add(f, &c, f->hang_port, XLB_HC_DOWN);
	refused = add(f, &c, f->closed_port, XLB_HC_UP);
	run_for(f, 400);
	xlb_hc_probe_status(up, &st);
	assert_int_equal(st.state, XLB_HC_UP);
	assert_false(st.pending);
	assert_true(st.last_ok);
	assert_true(st.last_change_ms > 0);
	xlb_hc_probe_status(refused, &st);
	assert_int_equal(st.state, XLB_HC_DOWN);
	assert_string_equal(st.last_error, "connect: Connection refused");
	assert_string_equal(st.last_change_reason,
			    "2 failures, last: connect: Connection refused");
	assert_int_equal(f->firsts, 2);
	assert_int_equal(xlb_hc_probe_user(up), f);
	assert_int_equal(xlb_hc_probe_target(up)->port, f->hang_port);
}

static void test_http_ok_and_status(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_HTTP), bad = cfg_of(XLB_HC_HTTP);
	struct xlb_hc_probe *ok, *st503;
	struct xlb_hc_status st;
	struct fx *f = *state;

	snprintf(c.expect_body, sizeof(c.expect_body), "ok");
	c.timeout_ms = 200;
	bad.expect_status[0] = (struct xlb_status_range){ 500, 599 };
	bad.n_expect_status = 1;
	bad.timeout_ms = 200;
	ok = add(f, &c, f->http_port, XLB_HC_DOWN);
	st503 = add(f, &bad, f->http_port, XLB_HC_DOWN);
	run_for(f, 500);
	xlb_hc_probe_status(ok, &st);
	assert_int_equal(st.state, XLB_HC_UP);
	assert_true(st.n_ok >= 2);
	xlb_hc_probe_status(st503, &st);
	assert_int_equal(st.state, XLB_HC_DOWN);
	assert_string_equal(st.last_error, "http status 200");
}

static void test_udp_refused(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_UDP);
	struct xlb_hc_status st;
	struct xlb_hc_probe *p;
	struct fx *f = *state;
	__u16 port;
	int fd;

	/* a UDP port nobody listens on: bind one, note it, close it */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		getsockname(fd, (struct sockaddr *)&sa, &sl);
		port = ntohs(sa.sin_port);
	}
	close(fd);
	snprintf(c.payload, sizeof(c.payload), "ping");
	p = add(f, &c, port, XLB_HC_DOWN);
	run_for(f, 200);
	xlb_hc_probe_status(p, &st);
	assert_string_equal(st.last_error, "recv: Connection refused");
}

/* A check that never answers is in flight when its probe is deleted: no
 * result is ever reported, and nothing leaks or outlives the engine. */
static void test_delete_in_flight(void **state)
{
	struct xlb_hc_cfg http = cfg_of(XLB_HC_HTTP);
	struct xlb_hc_cfg ex = cfg_of(XLB_HC_EXEC);
	struct xlb_hc_probe *p, *e;
	struct xlb_hc_stats s;
	struct fx *f = *state;

	http.timeout_ms = 5000;
	http.interval_ms = 100;
	ex.timeout_ms = 5000;
	ex.interval_ms = 100;
	ex.argc = 2;
	snprintf(ex.argv[0], XLB_STR_MAX, "/bin/sleep");
	snprintf(ex.argv[1], XLB_STR_MAX, "30");
	p = add(f, &http, f->hang_port, XLB_HC_DOWN);
	e = add(f, &ex, f->hang_port, XLB_HC_DOWN);
	run_for(f, 250); /* both checks started, neither can finish */
	xlb_hc_stats(f->hc, &s);
	assert_int_equal(s.inflight, 2);
	xlb_hc_probe_del(p);
	xlb_hc_probe_del(e);
	run_for(f, 300);
	assert_int_equal(f->results, 0);
	xlb_hc_stats(f->hc, &s);
	assert_int_equal(s.probes, 0);
	assert_int_equal(s.inflight, 0); /* child reaped, socket closed */
}

static void test_delete_from_own_callback(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_TCP);
	struct fx *f = *state;

	f->del_on_result = add(f, &c, f->hang_port, XLB_HC_DOWN);
	run_for(f, 300);
	assert_int_equal(f->results, 1);
	assert_null(f->del_on_result);
}

static void test_close_engine_from_callback(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_TCP), h = cfg_of(XLB_HC_HTTP);
	struct fx *f = *state;
	int results;

	c.rise = 1;
	h.timeout_ms = 5000;
	f->close_on_change = true;
	add(f, &c, f->hang_port, XLB_HC_DOWN);
	add(f, &h, f->hang_port, XLB_HC_DOWN); /* in flight when closed */
	run_for(f, 200);
	assert_null(f->hc);
	assert_int_equal(f->changes, 1);
	results = f->results;
	run_for(f, 200);
	assert_int_equal(f->results, results);
}

/* Eight checks that hang, two slots: never more than two run, the rest
 * wait in the queue, and each one still gets its turn. */
static void test_concurrency_bound(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_HTTP);
	struct xlb_hc_status st;
	struct xlb_hc_probe *p[8];
	struct xlb_hc_stats s;
	struct fx *f = *state;
	int i;

	reopen(f, 2);
	c.interval_ms = 100;
	c.timeout_ms = 60;
	for (i = 0; i < 8; i++)
		p[i] = add(f, &c, f->hang_port, XLB_HC_DOWN);
	run_for(f, 900);
	xlb_hc_stats(f->hc, &s);
	assert_int_equal(s.inflight_max, 2);
	assert_true(s.queued_max >= 1);
	assert_true(s.finished >= 10);
	for (i = 0; i < 8; i++) {
		xlb_hc_probe_status(p[i], &st);
		assert_true(st.n_fail >= 1);
		assert_string_equal(st.last_error, "timeout after 60 ms");
	}
}

/*
 * timeout == interval: the check's timeout and the next tick fall in the
 * same millisecond. The tick must not be lost, or a dead backend is checked
 * only every other interval and takes twice as long to go down.
 */
static void test_timeout_equal_interval(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_HTTP);
	struct xlb_hc_status st;
	struct xlb_hc_probe *p;
	struct fx *f = *state;

	c.interval_ms = 100;
	c.timeout_ms = 100;
	c.fall = 3;
	p = add(f, &c, f->hang_port, XLB_HC_UP);
	run_for(f, 1050);
	xlb_hc_probe_status(p, &st);
	/* first tick within 100 ms, then one every 100 ms: 9 or 10 checks
	 * have finished by 1050 ms (5 if every other tick were lost) */
	assert_true(st.n_fail >= 8);
	assert_int_equal(st.state, XLB_HC_DOWN);
	assert_string_equal(st.last_error, "timeout after 100 ms");
}

static void test_update_keeps_state(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_TCP), n;
	struct xlb_hc_status before, after;
	struct xlb_hc_probe *p;
	struct fx *f = *state;
	char err[256] = "";

	p = add(f, &c, f->hang_port, XLB_HC_DOWN);
	run_for(f, 300);
	xlb_hc_probe_status(p, &before);
	assert_int_equal(before.state, XLB_HC_UP);

	n = c;
	n.interval_ms = 30;
	n.rise = 5;
	assert_int_equal(xlb_hc_probe_update(p, &n, err, sizeof(err)), 0);
	xlb_hc_probe_status(p, &after);
	assert_int_equal(after.state, XLB_HC_UP);
	assert_int_equal(after.n_ok, before.n_ok);
	run_for(f, 200);
	xlb_hc_probe_status(p, &after);
	assert_int_equal(after.state, XLB_HC_UP);
	assert_int_equal(after.n_transitions, 1);
	assert_true(after.n_ok > before.n_ok + 3); /* the faster interval */

	/* rejected: the probe keeps its check */
	n = c;
	n.type = XLB_HC_EXEC;
	n.via_vip = true;
	n.argc = 1;
	snprintf(n.argv[0], XLB_STR_MAX, "/bin/true");
	assert_int_equal(xlb_hc_probe_update(p, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot follow the data path"));
	run_for(f, 100);
	xlb_hc_probe_status(p, &after);
	assert_int_equal(after.state, XLB_HC_UP);
}

static void test_exec_and_initial_up(void **state)
{
	struct xlb_hc_cfg t = cfg_of(XLB_HC_EXEC), fl = cfg_of(XLB_HC_EXEC);
	struct xlb_hc_probe *pt, *pf;
	struct xlb_hc_status st;
	struct fx *f = *state;

	t.argc = fl.argc = 1;
	t.timeout_ms = fl.timeout_ms = 1000;
	t.interval_ms = fl.interval_ms = 60;
	snprintf(t.argv[0], XLB_STR_MAX, "/bin/true");
	snprintf(fl.argv[0], XLB_STR_MAX, "/bin/false");
	pt = add(f, &t, 1, XLB_HC_UP);
	pf = add(f, &fl, 1, XLB_HC_UP);
	run_for(f, 600);
	xlb_hc_probe_status(pt, &st);
	assert_int_equal(st.state, XLB_HC_UP);
	assert_int_equal(st.n_transitions, 0); /* confirmed, not changed */
	assert_false(st.pending);
	xlb_hc_probe_status(pf, &st);
	assert_int_equal(st.state, XLB_HC_DOWN);
	assert_string_equal(st.last_error, "exit status 1");
	assert_int_equal(f->firsts, 2);
}

static void test_rejected_configs(void **state)
{
	struct xlb_hc_cfg c = cfg_of(XLB_HC_EXEC);
	struct xlb_hc_target t = target_of(80);
	struct xlb_hc_probe *p = NULL;
	struct fx *f = *state;
	char err[256];

	c.via_vip = true;
	c.argc = 1;
	snprintf(c.argv[0], XLB_STR_MAX, "/bin/true");
	xlb_addr_parse("192.0.2.1", &t.vip);
	assert_int_equal(xlb_hc_probe_add(f->hc, &c, &t, XLB_HC_DOWN, NULL, &p,
					  err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "exec checks cannot follow the data "
				    "path (via_vip)"));

	c = cfg_of(XLB_HC_DNS);
	snprintf(c.query_name, sizeof(c.query_name), "a..b");
	assert_int_equal(xlb_hc_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "check t: query_name 'a..b' is not a valid DNS name");

	c = cfg_of(XLB_HC_HTTP);
	snprintf(c.method, sizeof(c.method), "GET /x");
	assert_int_equal(xlb_hc_cfg_check(&c, err, sizeof(err)), -EINVAL);

	/* one rule, one message: the config validator's */
	c = cfg_of(XLB_HC_HTTP);
	c.n_expect_status = 1;
	c.expect_status[0].lo = 399;
	c.expect_status[0].hi = 300;
	assert_int_equal(xlb_hc_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "health check 't': status range 399-300 is backwards");

	c = cfg_of(XLB_HC_TCP);
	c.via_vip = true; /* no VIP address in the target */
	t = target_of(80);
	assert_int_equal(xlb_hc_probe_add(f->hc, &c, &t, XLB_HC_DOWN, NULL, &p,
					  err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "via_vip needs the VIP address"));

	c = cfg_of(XLB_HC_NONE);
	assert_int_equal(xlb_hc_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_up_and_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http_ok_and_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete_in_flight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete_from_own_callback,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_engine_from_callback,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrency_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_timeout_equal_interval,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_keeps_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_and_initial_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rejected_configs, setup,
						teardown),
	};

	xlb_log_init("test_health_engine", XLB_LOG_ERR);
	return cmocka_run_group_tests_name("health_engine", tests, NULL, NULL);
}
