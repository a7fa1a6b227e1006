// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: tests of the announcement decisions and the BIRD client
 *
 * announce.c: the hold-down state machine, the include file's text and
 * reading it back, the atomic write. bird.c: reply parsing (continuation
 * lines, asynchronous lines, garbage), "configure" against a fake BIRD on
 * a Unix socket in this process (reconfigured, refused with 8002, a BIRD
 * that greets and then never answers, a socket nobody listens on), and the
 * parse of "eval" sets.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>

#include "announce.h"
#include "bird.h"

static struct xlb_addr A(const char *s) {
	struct xlb_addr a;

	assert_int_equal(xlb_addr_parse(s, &a), 0);
	return a;
}

/* --- decisions ------------------------------------------------------------ */

static void
test_first_announcement_waits_for_nothing(void **state)
{
	struct xlb_ann a = { 0 };
	__u64 re = 0;

	(void)state;
	assert_false(xlb_ann_step(&a, false, 1000, 5000, &re));
	assert_false(a.announced);
	assert_true(xlb_ann_step(&a, true, 1100, 5000, &re));
	assert_true(a.announced);
	assert_int_equal(re, 0);
	/* steady: no change */
	assert_false(xlb_ann_step(&a, true, 1200, 5000, &re));
}

static void test_withdraw_at_once_then_hold_down(void **state)
{
	struct xlb_ann a = { .announced = true, .servable_since = 1 };
	__u64 re = 0;

	(void)state;
	assert_true(xlb_ann_step(&a, false, 10000, 5000, &re));
	assert_false(a.announced);
	assert_true(a.withdrawn_once);
	/* servable again at 11000: not before 16000 */
	assert_false(xlb_ann_step(&a, true, 11000, 5000, &re));
	assert_int_equal(re, 16000);
	assert_false(xlb_ann_step(&a, true, 15999, 5000, &re));
	assert_true(xlb_ann_step(&a, true, 16000, 5000, &re));
	assert_true(a.announced);
}

static void test_flapping_restarts_the_hold_down(void **state)
{
	struct xlb_ann a = { .announced = true, .servable_since = 1 };
	__u64 re = 0;
	int changes = 0;
	__u64 t;

	(void)state;
	/* servable and not, 1 s each, for a minute: one withdrawal, never
	 * back, since the hold-down (5 s) never completes */
	for (t = 10000; t < 70000; t += 1000)
		changes += xlb_ann_step(&a, (t / 1000) % 2, t, 5000, &re);
	assert_int_equal(changes, 1);
	assert_false(a.announced);
	/* then stable */
	for (t = 70000; t <= 76000; t += 1000)
		changes += xlb_ann_step(&a, true, t, 5000, &re);
	assert_int_equal(changes, 2);
	assert_true(a.announced);
}

static void test_hold_down_zero(void **state)
{
	struct xlb_ann a = { .announced = true, .servable_since = 1 };

	(void)state;
	assert_true(xlb_ann_step(&a, false, 100, 0, NULL));
	assert_true(xlb_ann_step(&a, true, 100, 0, NULL));
}

/* --- the include file ------------------------------------------------------ */

static void test_render_and_parse_back(void **state)
{
	struct xlb_ann_vip v[] = {
		{ A("192.0.2.10"), true },
		{ A("192.0.2.10"), false }, /* another port: same address */
		{ A("192.0.2.11"), false },
		{ A("2001:db8::10"), true },
	};
	struct xlb_addr got[8];
	char buf[2048];
	bool drain = true;
	int n;

	(void)state;
	n = xlb_ann_render(v, 4, false, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "define XLB_DRAIN = 0;\n"));
	assert_non_null(strstr(
		buf, "define XLB_VIPS4 = [ 0.0.0.0/32, 192.0.2.10/32 ];\n"));
	assert_non_null(strstr(
		buf, "define XLB_VIPS6 = [ ::/128, 2001:db8::10/128 ];"));
	/* every VIP is a static route, each address once */
	assert_non_null(strstr(buf, "\troute 192.0.2.10/32 blackhole;\n\t"
				    "route 192.0.2.11/32 blackhole;\n}"));
	assert_non_null(strstr(buf, "protocol static xlb_vips6 {\n\tipv6;\n"
				    "\troute 2001:db8::10/128 blackhole;\n}"));
	n = xlb_ann_parse(buf, got, 8, &drain);
	assert_int_equal(n, 2);
	assert_false(drain);
	assert_true(xlb_addr_eq(&got[0], &v[0].addr));
	assert_true(xlb_addr_eq(&got[1], &v[3].addr));

	n = xlb_ann_render(v, 4, true, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(xlb_ann_parse(buf, got, 8, &drain), 2);
	assert_true(drain);
	/* nothing: only the placeholders */
	n = xlb_ann_render(NULL, 0, false, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "define XLB_VIPS4 = [ 0.0.0.0/32 ];"));
	assert_int_equal(xlb_ann_parse(buf, got, 8, &drain), 0);
	/* too small a buffer */
	assert_int_equal(xlb_ann_render(v, 4, false, 0, buf, 64), -ENOSPC);
}

/* bgp.prepend: XLB_PREPEND, read back by xlbd's check of what BIRD loaded */
static void test_render_prepend(void **state)
{
	struct xlb_ann_vip v[] = { { A("192.0.2.10"), true } };
	struct xlb_addr got[2];
	char buf[1024];
	bool drain;

	(void)state;
	assert_true(xlb_ann_render(v, 1, false, 3, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "define XLB_DRAIN = 0;\n"
				    "define XLB_PREPEND = 3;\n"));
	assert_int_equal(xlb_ann_prepend(buf), 3);
	assert_int_equal(xlb_ann_parse(buf, got, 2, &drain), 1);
	assert_true(xlb_ann_render(v, 1, true, 0, buf, sizeof(buf)) > 0);
	assert_int_equal(xlb_ann_prepend(buf), 0);
	assert_true(xlb_ann_render(v, 1, false, 8, buf, sizeof(buf)) > 0);
	assert_int_equal(xlb_ann_prepend(buf), 8);
	/* a file from before bgp.prepend, and garbage */
	assert_int_equal(xlb_ann_prepend("define XLB_DRAIN = 0;\n"), -ENOENT);
	assert_int_equal(xlb_ann_prepend("define XLB_PREPEND = x;"), -EPROTO);
	assert_int_equal(xlb_ann_prepend("define XLB_PREPEND = 2"), -EPROTO);
}

/*
 * The file BIRD needs before xlbd ever ran (xlbctl bgp init) is the
 * renderer's with no VIP, and the one systemd-tmpfiles creates at boot
 * (deploy/xlb-tmpfiles.conf, C escapes) is the same text.
 */
static void test_empty_file_matches_tmpfiles(void **state)
{
	const char *src = getenv("XLB_SRCDIR");
	char path[512], line[4096], want[2048], got[2048];
	size_t k = 0;
	const char *p;
	bool found = false;
	FILE *f;

	(void)state;
	assert_true(xlb_ann_render(NULL, 0, false, 0, want, sizeof(want)) > 0);
	snprintf(path, sizeof(path), "%s/deploy/xlb-tmpfiles.conf",
		 src && *src ? src : ".");
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "f /run/xlb/bird-vips.conf ", 26))
			continue;
		found = true;
		/* the argument: after the sixth field */
		p = line;
		for (int i = 0; i < 6; i++) {
			p = strchr(p, ' ');
			assert_non_null(p);
			p++;
		}
		for (; *p && *p != '\n' && k + 1 < sizeof(got); p++) {
			if (*p == '\\' && p[1] == 'n') {
				got[k++] = '\n';
				p++;
			} else if (*p == '\\' && p[1] == 't') {
				got[k++] = '\t';
				p++;
			} else if (*p == '\\' && p[1] == 's') {
				got[k++] = ' ';
				p++;
			} else {
				got[k++] = *p;
			}
		}
		got[k] = '\0';
	}
	fclose(f);
	assert_true(found);
	assert_string_equal(got, want);
}

static void test_parse_refuses_other_files(void **state)
{
	struct xlb_addr got[4];
	bool drain;

	(void)state;
	assert_int_equal(xlb_ann_parse("", got, 4, &drain), -EPROTO);
	assert_int_equal(xlb_ann_parse("define XLB_DRAIN = 2;", got, 4, &drain),
			 -EPROTO);
	assert_int_equal(
		xlb_ann_parse("define XLB_DRAIN = 0;\ndefine XLB_VIPS4 = [ "
			      "0.0.0.0/32, nonsense/32 ];\ndefine XLB_VIPS6 "
			      "= [ ::/128 ];",
			      got, 4, &drain),
		-EPROTO);
	/* more addresses than room */
	assert_int_equal(
		xlb_ann_parse("define XLB_DRAIN = 0;\ndefine XLB_VIPS4 = [ "
			      "192.0.2.1/32, 192.0.2.2/32 ];\ndefine "
			      "XLB_VIPS6 = [ ::/128 ];",
			      got, 1, &drain),
		-EPROTO);
	/* the placeholders however written (found by fuzz_include): they
	 * are not announced addresses */
	assert_int_equal(
		xlb_ann_parse("define XLB_DRAIN = 0;\ndefine XLB_VIPS4 = [ "
			      "0.0.0.0/32 ];\ndefine XLB_VIPS6 = [ ::/128, "
			      "0::/128, 0:0::0/128, 2001:db8::1/128 ];",
			      got, 4, &drain),
		1);
	assert_int_equal(got[0].family, XLB_AF_INET6);
}

static void test_write_is_atomic_and_makes_the_dir(void **state)
{
	char dir[] = "/tmp/xlb-test-bgp-XXXXXX", path[128], *text = NULL;
	struct stat st;
	char err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/vips.conf", dir);
	assert_int_equal(xlb_ann_write(path, "one\n", err, sizeof(err)), 0);
	assert_int_equal(xlb_ann_write(path, "two\n", err, sizeof(err)), 0);
	assert_int_equal(xlb_ann_read(path, &text), 0);
	assert_string_equal(text, "two\n");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644); /* BIRD runs as bird */
	assert_int_equal(xlb_ann_read("/nonexistent/x", &text), -ENOENT);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/* --- BIRD's protocol --------------------------------------------------------- */

static int parse(const char *s, struct xlb_bird_reply *r)
{
	return xlb_bird_parse(s, strlen(s), r);
}

static void test_reply_parsing(void **state)
{
	struct xlb_bird_reply *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(parse("0001 BIRD 2.0.12 ready.\n", r), 1);
	assert_int_equal(r->code, 1);
	assert_string_equal(r->text, "BIRD 2.0.12 ready.");
	/* not complete yet */
	assert_int_equal(parse("0002-Reading configuration from x\n", r), 0);
	assert_int_equal(parse("0002-Reading configuration\n0003 Reconf", r),
			 0);
	assert_int_equal(parse("0002-Reading configuration from x\n"
			       "0003 Reconfigured\n",
			       r),
			 1);
	assert_int_equal(r->code, 3);
	assert_string_equal(r->text,
			    "Reading configuration from x\nReconfigured");
	/* table rows continue with a space; a final line with no text */
	assert_int_equal(parse("2002-Name Proto\n1002-device1 Device up\n"
			       " upstream4 BGP up\n+0000 async\n0000 \n",
			       r),
			 1);
	assert_int_equal(r->code, 0);
	assert_string_equal(
		r->text, "Name Proto\ndevice1 Device up\nupstream4 BGP up\n");
	assert_int_equal(parse("0000\n", r), 1);
	assert_int_equal(parse("HTTP/1.1 200 OK\n", r), -EPROTO);
	assert_int_equal(parse("12a4 x\n", r), -EPROTO);
	assert_int_equal(parse("0003xReconfigured\n", r), -EPROTO);
	free(r);
}

static void test_eval_prefixes(void **state)
{
	struct xlb_addr a[4];

	(void)state;
	assert_int_equal(xlb_bird_eval_prefixes("[0.0.0.0/32{0.0.0.1}, "
						"192.0.2.10/32{0.0.0.1}]",
						a, 4),
			 2);
	assert_true(xlb_addr_eq(&a[1], &(struct xlb_addr){ 0 }) == false);
	assert_int_equal(
		xlb_bird_eval_prefixes("[::/128{::1}, 2001:db8::10/128]", a, 4),
		2);
	assert_int_equal(xlb_bird_eval_prefixes("[]", a, 4), 0);
	assert_int_equal(xlb_bird_eval_prefixes("0", a, 4), -EPROTO);
	assert_int_equal(xlb_bird_eval_prefixes("[x/32]", a, 4), -EPROTO);
	assert_int_equal(xlb_bird_eval_prefixes("[192.0.2.1/32", a, 4),
			 -EPROTO);
}

/* a fake BIRD: greets, reads one line, answers with @reply (NULL: never) */
struct fake {
	char path[108];
	int lfd;
	const char *reply;
	char got[256];
	pthread_t th;
};

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	const char *hello = "0001 BIRD 2.0.12 ready.\n";
	ssize_t n;
	int c;

	c = accept(f->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	if (write(c, hello, strlen(hello)) < 0)
		goto out;
	n = read(c, f->got, sizeof(f->got) - 1);
	if (n > 0)
		f->got[n] = '\0';
	if (f->reply) {
		if (write(c, f->reply, strlen(f->reply)) < 0)
			goto out;
	} else {
		sleep(1); /* longer than the client waits */
	}
out:
	close(c);
	return NULL;
}

static void fake_start(struct fake *f, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/xlb-test-bird-%d.ctl",
		 (int)getpid());
	unlink(f->path);
	f->reply = reply;
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
}

static void test_configure_against_a_fake_bird(void **state)
{
	struct fake f;
	char err[256];

	(void)state;
	fake_start(&f, "0002-Reading configuration from /etc/bird.conf\n"
		       "0003 Reconfigured\n");
	assert_int_equal(xlb_bird_configure(f.path, 2000, err, sizeof(err)), 0);
	fake_stop(&f);
	assert_string_equal(f.got, "configure\n");

	fake_start(&f, "0002-Reading configuration from /etc/bird.conf\n"
		       "8002 /run/xlb/bird-vips.conf:3:1 syntax error\n");
	assert_int_equal(xlb_bird_configure(f.path, 2000, err, sizeof(err)),
			 -EINVAL);
	fake_stop(&f);
	assert_string_equal(err, "BIRD refused the configuration: 8002 "
				 "/run/xlb/bird-vips.conf:3:1 syntax error");

	/* greets, then never answers: the deadline holds */
	fake_start(&f, NULL);
	assert_int_equal(xlb_bird_configure(f.path, 300, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_string_equal(err, "BIRD did not answer in time");
	fake_stop(&f);

	/* nobody there */
	assert_true(xlb_bird_configure("/nonexistent/bird.ctl", 300, err,
				       sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/bird.ctl: No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_announcement_waits_for_nothing),
		cmocka_unit_test(test_withdraw_at_once_then_hold_down),
		cmocka_unit_test(test_flapping_restarts_the_hold_down),
		cmocka_unit_test(test_hold_down_zero),
		cmocka_unit_test(test_render_and_parse_back),
		cmocka_unit_test(test_render_prepend),
		cmocka_unit_test(test_empty_file_matches_tmpfiles),
		cmocka_unit_test(test_parse_refuses_other_files),
		cmocka_unit_test(test_write_is_atomic_and_makes_the_dir),
		cmocka_unit_test(test_reply_parsing),
		cmocka_unit_test(test_eval_prefixes),
		cmocka_unit_test(test_configure_against_a_fake_bird),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
