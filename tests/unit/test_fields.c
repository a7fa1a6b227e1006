// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: tests of the config field tables (userspace/lib/config/fields.c)
 *
 * The tables themselves (every key has help, every default parses and is
 * one of its names), and the two readers besides the YAML loader: the API's
 * arguments (xlb_api_args_obj) and the defaults of new objects.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "fields.h"

static const struct xlb_obj *const objs[] = {
	&xlb_obj_root,	&xlb_obj_iface,	  &xlb_obj_lb,	   &xlb_obj_tables,
	&xlb_obj_api,	&xlb_obj_metrics, &xlb_obj_notify, &xlb_obj_log,
	&xlb_obj_check, &xlb_obj_bgp,	  &xlb_obj_vip,	   &xlb_obj_backend,
};

/* Every row is complete: help, a default that its own parser takes */
static void test_tables(void **state)
{
	union {
		struct xlb_cfg c;
		struct xlb_hc_cfg h;
		struct xlb_vip_cfg v;
	} *u = calloc(1, sizeof(*u));
	const struct xlb_field *f;
	char err[256];
	size_t i;

	(void)state;
	assert_non_null(u);
	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
		for (f = objs[i]->fields; f->key; f++) {
			if (objs[i] != &xlb_obj_root)
				assert_non_null(f->help);
			if (!f->def)
				continue;
			memset(u, 0, sizeof(*u));
			if (xlb_field_set(f, u, f->key, f->def, err,
					  sizeof(err)))
				fail_msg("%s: default %s: %s", f->key, f->def,
					 err);
			if (f->type != XLB_FT_STATUS)
				assert_true(xlb_field_is_default(f, u));
		}
	free(u);
}

/* The defaults of new objects come from the tables */
static void test_defaults(void **state)
{
	struct xlb_hc_cfg h;
	struct xlb_vip_cfg v;
	struct xlb_backend_cfg b;

	(void)state;
	xlb_hc_cfg_init(&h, XLB_HC_HTTPS);
	assert_string_equal(h.method, "GET");
	assert_int_equal(h.n_expect_status, 1);
	assert_int_equal(h.expect_status[0].hi, 399);
	assert_int_equal(h.query_type, 0); /* dns only */
	xlb_hc_cfg_init(&h, XLB_HC_DNS);
	assert_int_equal(h.query_type, 1);
	assert_string_equal(h.method, "");
	xlb_vip_cfg_init(&v, NULL);
	assert_int_equal(v.proto, IPPROTO_TCP);
	assert_int_equal(v.min_healthy, 1);
	assert_true(v.announce);
	assert_int_equal(v.flags, 0);
	xlb_backend_cfg_init(&b);
	assert_int_equal(b.weight, XLB_DEFAULT_WEIGHT);
}

static int args(const struct xlb_obj *o, void *base, const char *json,
		char *err, size_t len)
{
	static const char *const extra[] = { "address", "port", "protocol",
					     NULL };
	json_t *j = json_loads(json, 0, NULL);
	int r;

	assert_non_null(j);
	err[0] = '\0';
	r = xlb_api_args_obj(j, o, base, extra, err, len);
	json_decref(j);
	return r;
}

/* The API reads a VIP, a backend and a check by the same tables */
static void test_api_args(void **state)
{
	struct xlb_vip_cfg v;
	struct xlb_backend_cfg b;
	struct xlb_hc_cfg h;
	char err[256];

	(void)state;
	xlb_vip_cfg_init(&v, NULL);
	assert_int_equal(args(&xlb_obj_vip, &v,
			      "{\"address\":\"192.0.2.1\",\"hash\":\"source\","
			      "\"conn_table\":false,\"ring_size\":97,"
			      "\"notify\":\"/usr/local/bin/n\"}",
			      err, sizeof(err)),
			 0);
	assert_int_equal(v.ring_size, 97);
	assert_int_equal(v.flags, XLB_VIP_F_SRC_ONLY | XLB_VIP_F_NO_CONN);
	assert_string_equal(v.notify, "/usr/local/bin/n");
	assert_int_equal(
		args(&xlb_obj_vip, &v, "{\"backends\":[]}", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "unknown argument 'backends'");
	assert_int_equal(
		args(&xlb_obj_vip, &v, "{\"hash\":\"x\"}", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(
		err, "argument 'hash': 'x' is not one of 5tuple, source");
	assert_int_equal(
		args(&xlb_obj_vip, &v, "{\"announce\":1}", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "argument 'announce' must be true or false");

	xlb_backend_cfg_init(&b);
	assert_int_equal(args(&xlb_obj_backend, &b, "{\"weight\":2000000}", err,
			      sizeof(err)),
			 -ERANGE);
	assert_string_equal(err, "argument 'weight' out of range 0..1000000");
	assert_int_equal(args(&xlb_obj_backend, &b,
			      "{\"weight\":7,\"state\":\"drain\"}", err,
			      sizeof(err)),
			 0);
	assert_int_equal(b.weight, 7);
	assert_int_equal(b.state, XLB_ADMIN_DRAIN);

	xlb_hc_cfg_init(&h, XLB_HC_HTTP);
	assert_int_equal(args(&xlb_obj_check, &h,
			      "{\"expect_status\":\"200, 301-302\"}", err,
			      sizeof(err)),
			 0);
	assert_int_equal(h.n_expect_status, 2);
	assert_int_equal(h.expect_status[1].lo, 301);
	assert_int_equal(args(&xlb_obj_check, &h,
			      "{\"expect_status\":[\"204\"]}", err,
			      sizeof(err)),
			 0);
	assert_int_equal(h.n_expect_status, 1);
	assert_int_equal(h.expect_status[0].hi, 204);
	assert_int_equal(args(&xlb_obj_check, &h, "{\"interval_ms\":5}", err,
			      sizeof(err)),
			 -ERANGE);
	assert_string_equal(err,
			    "argument 'interval_ms' out of range 10..3600000");
}

/* Which check types take a key, as messages say it */
static void test_hc_types(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(
		xlb_field_hc_types(xlb_field_find(&xlb_obj_check, "path"), buf,
				   sizeof(buf)),
		"http and https");
	assert_string_equal(
		xlb_field_hc_types(xlb_field_find(&xlb_obj_check, "via_vip"),
				   buf, sizeof(buf)),
		"all but exec");
	assert_string_equal(
		xlb_field_hc_types(xlb_field_find(&xlb_obj_check, "mode"), buf,
				   sizeof(buf)),
		"tcp");
	assert_non_null(xlb_field_find(&xlb_obj_vip, "min-healthy"));
}

/* Enums are checked from the table too: a value no name stands for */
static void test_validate_enums(void **state)
{
	static const char yaml[] = "interfaces: [{name: eth0}]\n"
				   "lb: {source4: 10.0.0.1}\n"
				   "bgp: {allowed: [192.0.2.0/24]}\n"
				   "vips:\n"
				   "- address: 192.0.2.1\n"
				   "  port: 80\n"
				   "  backends: [{address: 10.0.0.2}]\n";
	struct xlb_cfg *c = NULL;
	char err[512];

	(void)state;
	assert_int_equal(
		xlb_cfg_parse(yaml, strlen(yaml), "t", &c, err, sizeof(err)),
		0);
	c->bgp.drain = 7;
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "bgp.drain: 7 is not one of off, graceful, withdrawn");
	c->bgp.drain = XLB_DRAIN_OFF;
	c->vips[0].backends[0].state = (enum xlb_admin_state)9;
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "vip 192.0.2.1:80/tcp: backend 10.0.0.2: "
				 "state 9 is not one of up, drain, down");
	c->vips[0].backends[0].state = XLB_ADMIN_UP;
	snprintf(c->log_level, sizeof(c->log_level), "loud");
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "log.level: 'loud' is not one of err, warn, info, debug");
	xlb_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_api_args),
		cmocka_unit_test(test_hc_types),
		cmocka_unit_test(test_validate_enums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
