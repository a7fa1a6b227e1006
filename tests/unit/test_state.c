// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: state file tests
 *
 * The three-way merge of runtime overrides over the configuration file
 * (kept, dropped with a note, absorbed when the file says the same), the
 * diff that lists them, and the state file itself (round trip, removal
 * without overrides, corrupt or foreign files refused with one line).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "state.h"

#define ERRLEN 600

static const char base_yaml[] = "interfaces:\n"
				"  - name: eth0\n"
				"lb:\n"
				"  source4: 10.0.0.1\n"
				"health_checks:\n"
				"  - name: t\n"
				"    type: tcp\n"
				"vips:\n"
				"  - address: 192.0.2.1\n"
				"    port: 80\n"
				"    protocol: tcp\n"
				"    backends:\n"
				"      - address: 10.0.0.2\n"
				"      - address: 10.0.0.3\n";

static struct xlb_cfg *parse(const char *text)
{
	struct xlb_cfg *c = NULL;
	char err[ERRLEN];
	int ret;

	ret = xlb_cfg_parse(text, strlen(text), "t.yaml", &c, err, sizeof(err));
	if (ret)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	return c;
}

/* base with one line replaced */
static struct xlb_cfg *parse_edit(const char *from, const char *to)
{
	char buf[2048], *p;
	struct xlb_cfg *c;

	p = strstr(base_yaml, from);
	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - base_yaml), base_yaml,
		 to, p + strlen(from));
	c = parse(buf);
	return c;
}

static struct xlb_backend_cfg *be(struct xlb_cfg *c, const char *a)
{
	struct xlb_addr x;

	assert_int_equal(xlb_addr_parse(a, &x), 0);
	return xlb_vip_find_backend(&c->vips[0], &x);
}

/* running = base with 10.0.0.2 drained and a check added */
static struct xlb_cfg *runtime(const struct xlb_cfg *base)
{
	struct xlb_cfg *r = xlb_cfg_dup(base);
	struct xlb_hc_cfg h;
	char err[ERRLEN];

	be(r, "10.0.0.2")->state = XLB_ADMIN_DRAIN;
	xlb_hc_cfg_init(&h, XLB_HC_UDP);
	strcpy(h.name, "u");
	strcpy(h.payload, "ping");
	r->checks = realloc(r->checks, (r->n_checks + 1) * sizeof(h));
	r->checks[r->n_checks++] = h;
	assert_int_equal(xlb_cfg_validate(r, err, sizeof(err)), 0);
	return r;
}

static void test_untouched_file_keeps_overrides(void **s)
{
	struct xlb_cfg *b = parse(base_yaml), *r = runtime(b),
		       *f = parse(base_yaml);
	struct xlb_cfg *m = NULL;
	json_t *notes = json_array();

	(void)s;
	assert_int_equal(xlb_state_merge(b, r, f, &m, notes), 0);
	assert_int_equal(json_array_size(notes), 0);
	assert_true(xlb_cfg_equal(m, r));
	json_decref(notes);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
	xlb_cfg_free(f);
	xlb_cfg_free(m);
}

static void test_edited_object_drops_its_override_only(void **s)
{
	struct xlb_cfg *b = parse(base_yaml), *r = runtime(b), *m = NULL;
	struct xlb_cfg *f = parse_edit("      - address: 10.0.0.2\n",
				       "      - address: 10.0.0.2\n"
				       "        weight: 5\n");
	json_t *notes = json_array();

	(void)s;
	assert_int_equal(xlb_state_merge(b, r, f, &m, notes), 0);
	assert_int_equal(json_array_size(notes), 1);
	assert_string_equal(
		json_string_value(json_array_get(notes, 0)),
		"backend 192.0.2.1:80/tcp backend 10.0.0.2: changed "
		"in the configuration file: runtime override "
		"dropped");
	assert_int_equal(be(m, "10.0.0.2")->weight, 5);
	assert_int_equal(be(m, "10.0.0.2")->state, XLB_ADMIN_UP);
	/* the other override (the check added at runtime) stays */
	assert_non_null(xlb_cfg_find_check(m, "u"));
	json_decref(notes);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
	xlb_cfg_free(f);
	xlb_cfg_free(m);
}

static void test_file_saying_the_same_absorbs_it(void **s)
{
	struct xlb_cfg *b = parse(base_yaml), *r = runtime(b), *m = NULL;
	struct xlb_cfg *f = parse_edit("      - address: 10.0.0.2\n",
				       "      - address: 10.0.0.2\n"
				       "        state: drain\n");
	json_t *notes = json_array(), *d;

	(void)s;
	assert_int_equal(xlb_state_merge(b, r, f, &m, notes), 0);
	assert_int_equal(json_array_size(notes), 0);
	assert_int_equal(be(m, "10.0.0.2")->state, XLB_ADMIN_DRAIN);
	/* only the check is left as an override */
	d = xlb_cfg_diff(f, m);
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(d, 0), "object")),
			    "check");
	json_decref(d);
	json_decref(notes);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
	xlb_cfg_free(f);
	xlb_cfg_free(m);
}

static void test_deleted_at_runtime(void **s)
{
	struct xlb_cfg *b = parse(base_yaml), *r = xlb_cfg_dup(b), *m = NULL;
	struct xlb_cfg *f = parse(base_yaml);
	json_t *notes = json_array();
	struct xlb_addr a;

	(void)s;
	xlb_addr_parse("10.0.0.3", &a);
	assert_int_equal(xlb_vip_del_backend(&r->vips[0], &a), 0);
	assert_int_equal(xlb_state_merge(b, r, f, &m, notes), 0);
	assert_null(be(m, "10.0.0.3"));
	assert_non_null(be(m, "10.0.0.2"));
	json_decref(notes);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
	xlb_cfg_free(f);
	xlb_cfg_free(m);
}

static void test_diff_lines(void **s)
{
	struct xlb_cfg *b = parse(base_yaml), *r = runtime(b);
	json_t *d = xlb_cfg_diff(b, r);
	char line[512];

	(void)s;
	assert_int_equal(json_array_size(d), 2);
	xlb_diff_line(json_array_get(d, 0), line, sizeof(line));
	assert_string_equal(line, "~ backend 192.0.2.1:80/tcp backend "
				  "10.0.0.2: state up -> drain");
	xlb_diff_line(json_array_get(d, 1), line, sizeof(line));
	assert_string_equal(line, "+ check u (added)");
	json_decref(d);
	d = xlb_cfg_diff(b, b);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
}

/* A field the JSON forms do not show (here a VIP flag bit no option sets,
 * standing for a field added later) still counts: it is an override that
 * survives the merge, and the diff says a setting changed. */
static void test_unlisted_field_still_counts(void **s)
{
	struct xlb_cfg *b = parse(base_yaml), *r = xlb_cfg_dup(b);
	struct xlb_cfg *f = parse(base_yaml), *m = NULL;
	json_t *notes = json_array(), *d;
	char line[512];

	(void)s;
	r->vips[0].flags |= 1 << 7;
	d = xlb_cfg_diff(b, r);
	assert_int_equal(json_array_size(d), 1);
	xlb_diff_line(json_array_get(d, 0), line, sizeof(line));
	assert_string_equal(line, "~ vip 192.0.2.1:80/tcp: a setting not "
				  "listed here changed (xlbctl config dump "
				  "shows every one)");
	json_decref(d);
	assert_int_equal(xlb_state_merge(b, r, f, &m, notes), 0);
	assert_int_equal(m->vips[0].flags & (1 << 7), 1 << 7);
	json_decref(notes);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
	xlb_cfg_free(f);
	xlb_cfg_free(m);
}

/* Every key of the field tables is in the diff by name: one per object
 * kind that the hand-written JSON forms left out (before: "a setting not
 * listed here changed" or nothing for the globals). */
static void test_diff_names_every_key(void **s)
{
	static const struct {
		const char *from, *to, *line;
	} c[] = {
		{ "  source4: 10.0.0.1\n",
		  "  source4: 10.0.0.1\n  second_chance: 60\n",
		  "~ global lb.second_chance: 0 -> 60" },
		{ "  source4: 10.0.0.1\n",
		  "  source4: 10.0.0.1\n  icmp_rate: 7\n",
		  "~ global lb.icmp_rate: 0 -> 7" },
		{ "    protocol: tcp\n",
		  "    protocol: tcp\n    unserved: pass\n",
		  "~ vip 192.0.2.1:80/tcp: unserved drop -> pass" },
		{ "    protocol: tcp\n",
		  "    protocol: tcp\n    notify: /bin/true\n",
		  "~ vip 192.0.2.1:80/tcp: notify (none) -> /bin/true" },
		{ "  - name: eth0\n", "  - name: eth0\n    mtu: 1400\n",
		  "~ interface eth0: mtu 0 -> 1400" },
	};
	struct xlb_cfg *b = parse(base_yaml), *r;
	char line[512];
	json_t *d;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = parse_edit(c[i].from, c[i].to);
		d = xlb_cfg_diff(b, r);
		assert_int_equal(json_array_size(d), 1);
		xlb_diff_line(json_array_get(d, 0), line, sizeof(line));
		assert_string_equal(line, c[i].line);
		json_decref(d);
		xlb_cfg_free(r);
	}
	xlb_cfg_free(b);
}

static void test_state_file(void **s)
{
	char dir[] = "/tmp/xlb-state-XXXXXX", path[64], err[ERRLEN];
	struct xlb_cfg *b = parse(base_yaml), *r = runtime(b);
	struct xlb_cfg *b2 = NULL, *r2 = NULL;
	FILE *f;

	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(
		xlb_state_load(path, "/etc/x.yaml", &b2, &r2, err, sizeof(err)),
		-ENOENT);
	assert_int_equal(xlb_state_save(path, "/etc/x.yaml", b, r), 0);
	assert_int_equal(
		xlb_state_load(path, "/etc/x.yaml", &b2, &r2, err, sizeof(err)),
		0);
	assert_true(xlb_cfg_equal(b, b2));
	assert_true(xlb_cfg_equal(r, r2));
	xlb_cfg_free(b2);
	xlb_cfg_free(r2);
	/* written for another configuration file */
	assert_int_equal(
		xlb_state_load(path, "/etc/y.yaml", &b2, &r2, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "written for configuration file "
				    "/etc/x.yaml, not /etc/y.yaml"));
	/* corrupt */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\": 1, \"base\": ", f);
	fclose(f);
	assert_int_equal(
		xlb_state_load(path, "/etc/x.yaml", &b2, &r2, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "not a state file"));
	assert_null(strchr(err, '\n'));
	/* no override left: the file goes */
	assert_int_equal(xlb_state_save(path, "/etc/x.yaml", b, b), 0);
	assert_int_equal(access(path, F_OK), -1);
	rmdir(dir);
	xlb_cfg_free(b);
	xlb_cfg_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untouched_file_keeps_overrides),
		cmocka_unit_test(test_edited_object_drops_its_override_only),
		cmocka_unit_test(test_file_saying_the_same_absorbs_it),
		cmocka_unit_test(test_deleted_at_runtime),
		cmocka_unit_test(test_diff_lines),
		cmocka_unit_test(test_unlisted_field_still_counts),
		cmocka_unit_test(test_diff_names_every_key),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
