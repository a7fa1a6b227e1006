// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: configuration tests
 *
 * The example file loads; configs survive dump and parse unchanged; save
 * replaces the file atomically; every kind of mistake gives exactly one
 * line "FILE:LINE:COL: message" pointing at the culprit (the table of bad
 * configs); the edit helpers and xlb_cfg_validate() work on configs built
 * in memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config.h"
#include "config_priv.h"
#include "maps/xlb_quic.h"

#define ERRLEN 600

/* The source tree: tests/run.sh runs from it; XLB_SRCDIR overrides. */
static const char *srcdir(void)
{
	const char *d = getenv("XLB_SRCDIR");

	return d && *d ? d : ".";
}

static struct xlb_cfg *parse_ok(const char *text)
{
	struct xlb_cfg *c = NULL;
	char err[ERRLEN];
	int ret;

	ret = xlb_cfg_parse(text, strlen(text), "t.yaml", &c, err, sizeof(err));
	if (ret)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(c);
	return c;
}

static void addr(struct xlb_addr *a, const char *s)
{
	assert_int_equal(xlb_addr_parse(s, a), 0);
}

/* --- the example ------------------------------------------------------- */

static struct xlb_cfg *load_example(void)
{
	struct xlb_cfg *c = NULL;
	char path[4096], err[ERRLEN];
	int ret;

	snprintf(path, sizeof(path), "%s/deploy/xlb.yaml.example", srcdir());
	ret = xlb_cfg_load(path, &c, err, sizeof(err));
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	assert_string_equal(c->path, path);
	return c;
}

/* The configuration make install puts in /etc/xlb: loads, and is inert */
static void test_minimal_is_inert(void **state)
{
	struct xlb_cfg *c = NULL;
	char path[4096], err[ERRLEN], *text = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/deploy/xlb.yaml.minimal", srcdir());
	if (xlb_cfg_load(path, &c, err, sizeof(err)))
		print_error("%s\n", err);
	assert_non_null(c);
	assert_int_equal(c->n_ifaces, 0);
	assert_int_equal(c->n_vips, 0);
	assert_false(c->bgp.enabled);
	/* its dump loads back: "interfaces: []" is kept, the key is required */
	assert_int_equal(xlb_cfg_dump(c, &text), 0);
	xlb_cfg_free(c);
	c = NULL;
	if (xlb_cfg_parse(text, strlen(text), "dump", &c, err, sizeof(err)))
		print_error("%s\n--- dump:\n%s", err, text);
	assert_non_null(c);
	free(text);
	xlb_cfg_free(c);
}

static void test_example(void **state)
{
	struct xlb_cfg *c = load_example();
	const struct xlb_hc_cfg *h;
	struct xlb_vip_cfg *v;
	struct xlb_addr a;

	(void)state;
	assert_int_equal(c->n_ifaces, 2);
	assert_false(c->ifaces[0].generic);
	assert_true(c->ifaces[1].generic);
	assert_int_equal(c->hash_seed, 1234);
	assert_int_equal(c->sizes.ring_max, 65537);
	assert_string_equal(c->api_group, "xlb");
	assert_string_equal(c->metrics_listen, "127.0.0.1:9110");
	assert_int_equal(c->n_checks, 6);
	h = xlb_cfg_find_check(c, "web");
	assert_non_null(h);
	assert_int_equal(h->type, XLB_HC_HTTP);
	assert_int_equal(h->n_expect_status, 2);
	assert_int_equal(h->expect_status[1].lo, 300);
	assert_int_equal(h->expect_status[1].hi, 399);
	h = xlb_cfg_find_check(c, "resolver");
	assert_int_equal(h->query_type, 1);
	h = xlb_cfg_find_check(c, "script");
	assert_int_equal(h->argc, 2);
	assert_string_equal(h->argv[1], "--fast");
	assert_true(c->bgp.enabled);
	assert_int_equal(c->bgp.n_allowed, 2);
	assert_int_equal(c->bgp.allowed[1].len, 48);
	addr(&a, "192.0.2.10");
	v = xlb_cfg_find_vip(c, &a, 80, IPPROTO_TCP);
	assert_non_null(v);
	assert_int_equal(v->n_backends, 3);
	assert_int_equal(v->backends[1].weight, 200);
	assert_int_equal(v->backends[2].state, XLB_ADMIN_DRAIN);
	addr(&a, "2001:db8:100::53");
	v = xlb_cfg_find_vip(c, &a, 0, IPPROTO_UDP);
	assert_non_null(v);
	assert_int_equal(v->flags, XLB_VIP_F_NO_CONN | XLB_VIP_F_SRC_ONLY |
					   XLB_VIP_F_FRAG_BALANCE);
	addr(&a, "192.0.2.10");
	v = xlb_cfg_find_vip(c, &a, 443, IPPROTO_UDP);
	assert_non_null(v);
	assert_int_equal(v->quic_id_len, 2);
	assert_int_equal(v->quic_id_offset, 1);
	assert_int_equal(v->backends[1].quic_id, 0x0102);
	xlb_cfg_free(c);
}

/* --- round trip ---------------------------------------------------------- */

static void roundtrip(const struct xlb_cfg *c)
{
	struct xlb_cfg *d = NULL;
	char *text = NULL, err[ERRLEN];
	int ret;

	assert_int_equal(xlb_cfg_dump(c, &text), 0);
	assert_non_null(strstr(text, "xlbd never writes the configuration"));
	ret = xlb_cfg_parse(text, strlen(text), "dump", &d, err, sizeof(err));
	if (ret)
		print_error("%s\n--- dump:\n%s", err, text);
	assert_int_equal(ret, 0);
	assert_true(xlb_cfg_equal(c, d));
	xlb_cfg_free(d);
	free(text);
}

static const char rich[] =
	"interfaces:\n"
	"  - name: eth0\n"
	"  - name: veth-x.1\n"
	"    mode: generic\n"
	"    mtu: 1500\n"
	"lb:\n"
	"  source4: 10.0.0.1\n"
	"  source6: 2001:db8::1\n"
	"  hash_seed: 4294967295\n"
	"  icmp_rate: 7\n"
	"  new_flow_rate: 100000\n"
	"  second_chance: 0\n"
	"  tables: {max_vips: 8, max_backends: 100, ring_max: 1021, "
	"conn_max: 1000}\n"
	"api: {socket: /tmp/x.sock, group: xlb-ops}\n"
	"metrics: {listen: '[::1]:9110'}\n"
	"log: {level: debug}\n"
	"health_checks:\n"
	"  - name: h1\n"
	"    type: https\n"
	"    port: 8443\n"
	"    interval_ms: 500\n"
	"    timeout_ms: 500\n"
	"    rise: 1\n"
	"    fall: 100\n"
	"    via_vip: true\n"
	"    method: HEAD\n"
	"    path: \"/a b?c=#d\"\n"
	"    host: 'h: \"quoted\"'\n"
	"    sni: sni.example\n"
	"    expect_status: [200, 204, \"300-302\"]\n"
	"    expect_body: \"  leading and trailing spaces, \\t tab, "
	"\\u00e9 and a long tail to make the emitter consider folding "
	"the line somewhere in the middle of it  \"\n"
	"    tls_verify: true\n"
	"  - name: u\n"
	"    type: udp\n"
	"    port: 53\n"
	"    payload: \"\\x01\\x02 bin\"\n"
	"    expect: \"yes\"\n"
	"  - name: d\n"
	"    type: dns\n"
	"    port: 53\n"
	"    query_name: example.org.\n"
	"    query_type: 65\n"
	"  - name: e\n"
	"    type: exec\n"
	"    command: [/bin/sh, -c, 'exit 0 # not a comment', '*', '&x']\n"
	"  - name: e2\n"
	"    type: exec\n"
	"    command: [/bin/true]\n"
	"    user: xlb-check.1\n"
	"  - name: t\n"
	"    type: tcp\n"
	"  - name: s\n"
	"    type: tcp\n"
	"    mode: syn\n"
	"bgp:\n"
	"  bird_socket: /tmp/bird.ctl\n"
	"  include_file: /tmp/inc.conf\n"
	"  allowed: [0.0.0.0/0, '::/0']\n"
	"  hold_down_ms: 0\n"
	"  drain_timeout_s: 86400\n"
	"vips:\n"
	"  - name: a\n"
	"    address: 192.0.2.1\n"
	"    port: 443\n"
	"    ring_size: 1021\n"
	"    min_healthy: 0\n"
	"    announce: false\n"
	"    health_check: h1\n"
	"    backends:\n"
	"      - {address: 10.1.1.1, weight: 0, state: down, "
	"health_check: t}\n"
	"      - {address: '2001:db8::2', weight: 1000000}\n"
	"  - address: 2001:db8::10\n"
	"    port: any\n"
	"    protocol: udp\n"
	"    forwarding: l2\n"
	"    ring_size: 7\n"
	"    conn_table: false\n"
	"    hash: source\n"
	"    unserved: pass\n"
	"    fragments: balance\n"
	"    health_check: d\n"
	"    backends:\n"
	"      - address: 2001:db8::11\n";

static void test_roundtrip(void **state)
{
	struct xlb_cfg *c = parse_ok(rich), *d;
	const struct xlb_hc_cfg *h;

	(void)state;
	/* what the tricky strings hold */
	h = xlb_cfg_find_check(c, "h1");
	assert_string_equal(h->path, "/a b?c=#d");
	assert_string_equal(h->host, "h: \"quoted\"");
	assert_int_equal(h->expect_body[0], ' ');
	h = xlb_cfg_find_check(c, "u");
	assert_string_equal(h->payload, "\x01\x02 bin");
	h = xlb_cfg_find_check(c, "e");
	assert_int_equal(h->argc, 5);
	assert_string_equal(h->argv[2], "exit 0 # not a comment");
	assert_int_equal(xlb_cfg_find_check(c, "t")->mode, XLB_HC_TCP_CONNECT);
	assert_int_equal(xlb_cfg_find_check(c, "s")->mode, XLB_HC_TCP_SYN);
	assert_int_equal(c->vips[0].ring_size, 1021);
	assert_int_equal(c->ifaces[1].mtu, 1500);
	assert_int_equal(c->ifaces[0].mtu, 0);
	assert_int_equal(c->icmp_rate, 7);
	assert_int_equal(c->new_flow_rate, 100000);
	assert_int_equal(c->second_chance, 0);
	assert_true(c->vips[1].flags & XLB_VIP_F_UNSERVED_PASS);
	assert_false(c->vips[0].flags & XLB_VIP_F_UNSERVED_PASS);
	assert_true(c->vips[1].flags & XLB_VIP_F_FRAG_BALANCE);
	assert_false(c->vips[0].flags & XLB_VIP_F_FRAG_BALANCE);
	roundtrip(c);

	d = xlb_cfg_dup(c);
	assert_non_null(d);
	assert_true(xlb_cfg_equal(c, d));
	d->vips[1].backends[0].weight++;
	assert_false(xlb_cfg_equal(c, d));
	d->vips[1].backends[0].weight--;
	strcpy(d->checks[2].query_name, "example.com.");
	assert_false(xlb_cfg_equal(c, d));
	xlb_cfg_free(d);
	xlb_cfg_free(c);

	c = load_example();
	roundtrip(c);
	xlb_cfg_free(c);

	/* a config built in memory round-trips too */
	c = parse_ok("interfaces: [{name: lo}]\n");
	roundtrip(c);
	xlb_cfg_free(c);
}

/* Defaults fill what is left out; a smaller ring_max caps ring_size. */
static void test_defaults(void **state)
{
	struct xlb_cfg *c;
	const struct xlb_vip_cfg *v;
	const struct xlb_hc_cfg *h;

	(void)state;
	c = parse_ok("interfaces: [{name: eth0}]\n"
		     "lb: {source4: 10.0.0.1, tables: {ring_max: 251}}\n"
		     "health_checks: [{name: h, type: http}]\n"
		     "vips:\n"
		     "  - address: 192.0.2.1\n"
		     "    port: 80\n"
		     "    backends: [{address: 10.0.0.2}]\n");
	assert_string_equal(c->api_socket, XLB_DEFAULT_SOCKET);
	assert_string_equal(c->log_level, "info");
	assert_int_equal(c->sizes.max_vips, XLB_DEFAULT_MAX_VIPS);
	assert_int_equal(c->sizes.conn_max, XLB_DEFAULT_CONN_MAX);
	assert_false(c->bgp.enabled);
	h = &c->checks[0];
	assert_int_equal(h->interval_ms, 1000);
	assert_int_equal(h->timeout_ms, 1000);
	assert_int_equal(h->rise, 2);
	assert_int_equal(h->fall, 3);
	assert_string_equal(h->method, "GET");
	assert_string_equal(h->path, "/");
	assert_int_equal(h->n_expect_status, 1);
	assert_int_equal(h->expect_status[0].lo, 200);
	assert_int_equal(h->expect_status[0].hi, 399);
	v = &c->vips[0];
	assert_int_equal(v->proto, IPPROTO_TCP);
	assert_int_equal(v->fwd, XLB_FWD_IPIP);
	assert_int_equal(v->ring_size, 251);
	assert_int_equal(v->min_healthy, 1);
	assert_int_equal(v->flags, 0);
	assert_true(v->announce);
	assert_int_equal(v->backends[0].weight, XLB_DEFAULT_WEIGHT);
	assert_int_equal(v->backends[0].state, XLB_ADMIN_UP);
	xlb_cfg_free(c);
}

/* --- save ---------------------------------------------------------------- */

static void test_save(void **state)
{
	char dir[] = "/tmp/xlb-test-config-XXXXXX", path[256], err[ERRLEN];
	struct xlb_cfg *c = parse_ok(rich), *d = NULL;
	struct stat before, after;
	struct dirent *de;
	int fd, files = 0;
	DIR *dh;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/xlb.yaml", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	assert_int_equal(stat(path, &before), 0);

	assert_int_equal(xlb_cfg_save(c, path), 0);
	assert_int_equal(stat(path, &after), 0);
	/* replaced by rename (a new inode), not rewritten in place */
	assert_int_not_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_mode & 07777, 0640);
	assert_int_equal(xlb_cfg_load(path, &d, err, sizeof(err)), 0);
	assert_true(xlb_cfg_equal(c, d));
	xlb_cfg_free(d);
	/* nothing left behind but the file */
	dh = opendir(dir);
	assert_non_null(dh);
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			files++;
	closedir(dh);
	assert_int_equal(files, 1);

	/* a directory that does not exist: an error and no file */
	snprintf(path, sizeof(path), "%s/no/xlb.yaml", dir);
	assert_int_equal(xlb_cfg_save(c, path), -ENOENT);

	snprintf(path, sizeof(path), "%s/xlb.yaml", dir);
	unlink(path);
	rmdir(dir);
	xlb_cfg_free(c);
}

static void test_load_missing(void **state)
{
	struct xlb_cfg *c = (struct xlb_cfg *)1;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(
		xlb_cfg_load("/nonexistent/xlb.yaml", &c, err, sizeof(err)),
		-ENOENT);
	assert_null(c);
	assert_string_equal(err, "/nonexistent/xlb.yaml: cannot read: No "
				 "such file or directory");
}

/* --- bad configs ----------------------------------------------------------- */

/* Lines 1-4 of most cases below; "vips:" is then line 5. */
#define BASE               \
	"interfaces:\n"    \
	"  - name: eth1\n" \
	"lb:\n"            \
	"  source4: 10.0.0.1\n"

/* A VIP whose backends list starts at line 9 */
#define VIP                              \
	BASE "vips:\n"                   \
	     "  - address: 192.0.2.10\n" \
	     "    port: 80\n"            \
	     "    backends:\n"

/* A VIP without backends, its options to follow */
#define VIP_GUE                          \
	BASE "vips:\n"                   \
	     "  - address: 192.0.2.10\n" \
	     "    port: 80\n"

static const struct bad {
	const char *yaml;
	const char *err;
} bad[] = {
	/* YAML itself */
	{ "interfaces: [eth1\n",
	  "t.yaml:2:1: syntax error: did not find expected ',' or ']' "
	  "(while parsing a flow sequence)" },
	{ "interfaces:\n  - name: eth1\n\tlb: {}\n",
	  "t.yaml:3:1: syntax error: found a tab character that violates "
	  "indentation (while scanning a plain scalar)" },
	{ "interfaces:\n  - name: \xff\n",
	  "t.yaml:2:11: syntax error: invalid leading UTF-8 octet" },
	{ "interfaces:\n  - name: eth1\n? [a]\n: b\n",
	  "t.yaml:3:3: keys must be plain names" },
	{ "", "t.yaml:1:1: empty configuration" },
	{ "# nothing\n", "t.yaml:1:1: empty configuration" },
	{ BASE "---\ninterfaces: []\n",
	  "t.yaml:5:1: only one YAML document is allowed" },
	{ "interfaces:\n  - &a {name: eth1}\n  - *a\n",
	  "t.yaml:3:5: aliases are not supported: write the value out" },
	{ "- interfaces\n",
	  "t.yaml:1:1: expected a mapping of sections at the top level" },
	/* structure */
	{ "lb: {source4: 10.0.0.1}\n", "t.yaml:1:1: missing key 'interfaces'" },
	{ "interfaces: eth1\n", "t.yaml:1:13: interfaces: expected a list" },
	{ "interfaces:\n  - eth1\n",
	  "t.yaml:2:5: interfaces entry: expected a mapping" },
	{ BASE "interface: eth2\n", "t.yaml:5:1: unknown key 'interface'" },
	{ VIP "      - address: 10.0.1.1\n        wieght: 5\n",
	  "t.yaml:10:9: backends entry: unknown key 'wieght'" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 80\n    port: 81\n",
	  "t.yaml:8:5: vips entry: duplicate key 'port'" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    protocol: tcp\n",
	  "t.yaml:6:5: vips entry: missing key 'port'" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port:\n",
	  "t.yaml:7:10: port: missing value" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: [80]\n",
	  "t.yaml:7:11: port: expected a single value" },
	{ BASE "bgp:\n  hold_down_ms: 5\n",
	  "t.yaml:6:3: bgp: missing key 'allowed'" },
	/* values */
	{ BASE "vips:\n  - address: www.example.com\n    port: 80\n",
	  "t.yaml:6:14: address: 'www.example.com' is not a numeric IP "
	  "address" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 70000\n",
	  "t.yaml:7:11: port: '70000' is not a port (1..65535 or any)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 0\n",
	  "t.yaml:7:11: port: '0' is not a port (1..65535 or any)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    protocol: sctp\n",
	  "t.yaml:8:15: protocol: 'sctp' is not one of tcp, udp" },
	{ VIP "      - address: 10.0.1.1\n        weight: 1e3\n",
	  "t.yaml:10:17: weight: '1e3' is not a number" },
	{ VIP "      - address: 10.0.1.1\n        weight: 0x1g\n",
	  "t.yaml:10:17: weight: '0x1g' is not a number" },
	{ VIP "      - address: 10.0.1.1\n        weight: 0x\n",
	  "t.yaml:10:17: weight: '0x' is not a number" },
	{ "interfaces:\n  - name: eth1\nlb:\n  hash_seed: 0x100000000\n",
	  "t.yaml:4:14: lb.hash_seed: 0x100000000 is out of range "
	  "(0..4294967295)" },
	{ VIP "      - address: 10.0.1.1\n        weight: -1\n",
	  "t.yaml:10:17: weight: '-1' is not a number" },
	{ VIP "      - address: 10.0.1.1\n        weight: 2000000\n",
	  "t.yaml:10:17: vip 192.0.2.10:80/tcp: backend 10.0.1.1: weight "
	  "2000000 is out of range (0..1000000)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    conn_table: yes\n",
	  "t.yaml:8:17: conn_table: 'yes' is not true or false" },
	{ VIP "      - address: 10.0.1.1\n        state: maintenance\n",
	  "t.yaml:10:16: state: 'maintenance' is not one of up, drain, down" },
	{ "interfaces:\n  - name: eth1\nlb:\n  hash_seed: 4294967296\n",
	  "t.yaml:4:14: lb.hash_seed: 4294967296 is out of range "
	  "(0..4294967295)" },
	{ "interfaces:\n  - name: an-interface-too-long\n",
	  "t.yaml:2:11: interface name: too long (at most 15 characters)" },
	{ "interfaces:\n  - name: eth/1\n",
	  "t.yaml:2:11: interface 'eth/1': not a valid interface name" },
	{ "interfaces:\n  - name: eth1\n  - name: eth1\n",
	  "t.yaml:3:11: interface eth1: listed twice" },
	{ "interfaces:\n  - name: eth1\nnotify:\n  command: hook.sh\n",
	  "t.yaml:4:12: notify.command: an absolute path is required" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    notify: hook.sh\n",
	  "t.yaml:8:13: vip 192.0.2.10:80/tcp: notify: an absolute path is "
	  "required" },
	{ "interfaces:\n  - name: eth1\nnotify:\n  user: x\n",
	  "t.yaml:4:3: notify: missing key 'command'" },
	{ "interfaces: []\nvips:\n  - address: 192.0.2.10\n    port: 80\n",
	  "t.yaml:1:13: interfaces: at least one is required when VIPs are "
	  "configured" },
	{ BASE "vips:\n  - name: "
	       "a-vip-name-that-is-much-longer-than-sixty-three-characters-"
	       "in-all\n    address: 192.0.2.10\n    port: 80\n",
	  "t.yaml:6:11: name: too long (at most 63 characters)" },
	{ BASE "log:\n  level: verbose\n",
	  "t.yaml:6:10: log.level: 'verbose' is not one of err, warn, info, "
	  "debug" },
	{ BASE "metrics:\n  listen: localhost:9110\n",
	  "t.yaml:6:11: metrics.listen: expected ADDRESS:PORT, e.g. "
	  "127.0.0.1:9110 or [::1]:9110" },
	{ BASE "api:\n  socket: xlb.sock\n",
	  "t.yaml:6:11: api.socket: must be an absolute path" },
	{ "interfaces:\n  - name: eth1\nlb:\n  source4: 2001:db8::1\n",
	  "t.yaml:4:12: lb.source4: 2001:db8::1 is not a usable IPv4 "
	  "address" },
	/* tables */
	{ BASE "  tables:\n    ring_max: 65536\n",
	  "t.yaml:6:15: lb.tables.ring_max: 65536 is not a prime" },
	{ BASE "  tables:\n    ring_max: 2097143\n",
	  "t.yaml:6:15: lb.tables.ring_max: 2097143 is out of range "
	  "(2..1048573)" },
	{ BASE "  tables:\n    max_vips: 0\n",
	  "t.yaml:6:15: lb.tables.max_vips: 0 is out of range (1..65536)" },
	{ BASE "  tables: {max_vips: 1}\n"
	       "vips:\n  - {address: 192.0.2.10, port: 80}\n"
	       "  - {address: 192.0.2.11, port: 80}\n",
	  "t.yaml:8:15: vip 192.0.2.11:80/tcp: more VIPs than "
	  "lb.tables.max_vips (1)" },
	{ BASE "  tables: {max_backends: 2}\n"
	       "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    backends: [{address: 10.0.1.1}, {address: 10.0.1.2}]\n"
	       "  - address: 192.0.2.10\n    port: 443\n"
	       "    backends: [{address: 10.0.1.1}]\n",
	  "t.yaml:12:16: vip 192.0.2.10:443/tcp: more backends in all than "
	  "lb.tables.max_backends (2)" },
	/* VIPs and backends */
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    ring_size: 65536\n",
	  "t.yaml:8:16: vip 192.0.2.10:80/tcp: ring_size 65536 is not a "
	  "prime" },
	{ BASE "  tables: {ring_max: 1021}\n"
	       "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    ring_size: 2039\n",
	  "t.yaml:9:16: vip 192.0.2.10:80/tcp: ring_size 2039 is larger than "
	  "lb.tables.ring_max (1021)" },
	{ BASE "vips:\n  - {address: 192.0.2.10, port: 80}\n"
	       "  - {address: 192.0.2.10, port: 80, protocol: tcp}\n",
	  "t.yaml:7:15: vip 192.0.2.10:80/tcp: defined twice" },
	{ VIP "      - address: 10.0.1.1\n      - address: 10.0.1.1\n",
	  "t.yaml:10:18: vip 192.0.2.10:80/tcp: backend 10.0.1.1: duplicate" },
	/* the first backend that repeats an earlier one is named (backends
	 * 4 and 5 repeat 2 and 1): found on sorted copies, as the pairwise
	 * comparison did */
	{ VIP "      - address: 10.0.1.1\n      - address: 10.0.1.2\n"
	      "      - address: 10.0.1.3\n      - address: 10.0.1.2\n"
	      "      - address: 10.0.1.1\n",
	  "t.yaml:12:18: vip 192.0.2.10:80/tcp: backend 10.0.1.2: duplicate" },
	{ BASE "  source6: 2001:db8::1\n"
	       "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    forwarding: l2\n    backends:\n"
	       "      - address: 2001:db8::5\n",
	  "t.yaml:11:18: vip 192.0.2.10:80/tcp: backend 2001:db8::5: l2 "
	  "forwarding needs an IPv4 backend, like the VIP" },
	{ VIP_GUE "    forwarding: gre\n",
	  "t.yaml:8:17: forwarding: 'gre' is not one of ipip, l2, gue" },
	{ VIP_GUE "    forwarding: gue\n    gue_port: 0\n",
	  "t.yaml:9:15: gue_port: 0 is out of range (1..65535)" },
	{ VIP_GUE "    forwarding: gue\n    gue_port: 65536\n",
	  "t.yaml:9:15: gue_port: 65536 is out of range (1..65535)" },
	{ "interfaces: [{name: eth1}]\n"
	  "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	  "    backends: [{address: 10.0.1.1}]\n",
	  "t.yaml:5:26: vip 192.0.2.10:80/tcp: backend 10.0.1.1: an IPv4 "
	  "backend needs lb.source4" },
	{ VIP "      - address: 2001:db8::5\n",
	  "t.yaml:9:18: vip 192.0.2.10:80/tcp: backend 2001:db8::5: an IPv6 "
	  "backend needs lb.source6" },
	{ BASE "vips:\n  - address: 0.0.0.0\n    port: 80\n",
	  "t.yaml:6:14: vip 0.0.0.0:80/tcp: address is unspecified" },
	/* a value with line breaks: the message stays one line (fuzz_config) */
	{ BASE "log:\n  level: \"a\\nb\\rc\"\n",
	  "t.yaml:6:10: log.level: 'a?b?c' is not one of err, warn, info, "
	  "debug" },
	{ BASE "log:\n  level: a\n\n    b\n",
	  "t.yaml:6:10: log.level: 'a?b' is not one of err, warn, info, "
	  "debug" },
	/* addresses a VIP or backend cannot have (issue 15) */
	{ BASE "vips:\n  - address: 224.0.0.1\n    port: 80\n",
	  "t.yaml:6:14: vip 224.0.0.1:80/tcp: address is multicast" },
	{ BASE "vips:\n  - address: 127.0.0.2\n    port: 80\n",
	  "t.yaml:6:14: vip 127.0.0.2:80/tcp: address is loopback" },
	{ BASE "vips:\n  - address: 255.255.255.255\n    port: 80\n",
	  "t.yaml:6:14: vip 255.255.255.255:80/tcp: address is the broadcast "
	  "address" },
	{ BASE "vips:\n  - address: ::ffff:192.0.2.10\n    port: 80\n",
	  "t.yaml:6:14: vip [::ffff:192.0.2.10]:80/tcp: address is IPv4-mapped "
	  "(write the IPv4 address)" },
	{ BASE "vips:\n  - address: ::1\n    port: 80\n",
	  "t.yaml:6:14: vip [::1]:80/tcp: address is loopback" },
	{ BASE "vips:\n  - address: ff02::1\n    port: 80\n",
	  "t.yaml:6:14: vip [ff02::1]:80/tcp: address is multicast" },
	{ VIP "      - address: 127.0.0.1\n",
	  "t.yaml:9:18: vip 192.0.2.10:80/tcp: backend 127.0.0.1: address is "
	  "loopback" },
	{ VIP "      - address: 239.1.2.3\n",
	  "t.yaml:9:18: vip 192.0.2.10:80/tcp: backend 239.1.2.3: address is "
	  "multicast" },
	{ "interfaces: [{name: eth1}]\nlb: {source6: 2001:db8::1}\n"
	  "vips:\n  - address: 2001:db8::10\n    port: 80\n"
	  "    backends:\n      - address: ::ffff:10.0.1.1\n",
	  "t.yaml:7:18: vip [2001:db8::10]:80/tcp: backend ::ffff:10.0.1.1: "
	  "address is IPv4-mapped (write the IPv4 address)" },
	{ VIP "      - address: 10.0.1.1\n      - address: 192.0.2.11\n"
	      "  - address: 192.0.2.11\n    port: 443\n",
	  "t.yaml:10:18: vip 192.0.2.10:80/tcp: backend 192.0.2.11: is a VIP "
	  "address" },
	{ VIP "      - address: 192.0.2.10\n",
	  "t.yaml:9:18: vip 192.0.2.10:80/tcp: backend 192.0.2.10: is a VIP "
	  "address" },
	/* one entry per VIP plus one per VIP address in each family's table */
	{ BASE "  tables: {max_vips: 4}\n"
	       "vips:\n  - {address: 192.0.2.10, port: 80}\n"
	       "  - {address: 192.0.2.10, port: 81}\n"
	       "  - {address: 192.0.2.11, port: 80}\n",
	  "t.yaml:9:15: vip 192.0.2.11:80/tcp: IPv4 vip table full "
	  "(lb.tables.max_vips 4: one entry per VIP and one per VIP "
	  "address)" },
	{ BASE "  tables: {max_memory_percent: 0}\n",
	  "t.yaml:5:32: lb.tables.max_memory_percent: 0 is out of range "
	  "(1..100)" },
	{ BASE "  tables: {max_memory_percent: 101}\n",
	  "t.yaml:5:32: lb.tables.max_memory_percent: 101 is out of range "
	  "(1..100)" },
	{ BASE "vips:\n  - {address: 192.0.2.10, port: 80, unserved: pass}\n"
	       "  - {address: 192.0.2.10, port: 53, protocol: udp}\n",
	  "t.yaml:7:5: vip 192.0.2.10:53/udp: unserved: drop, but vip "
	  "192.0.2.10:80/tcp on the same address says pass" },
	{ BASE "vips:\n  - {address: 192.0.2.10, port: 80, unserved: maybe}\n",
	  "t.yaml:6:47: unserved: 'maybe' is not one of drop, pass" },
	{ BASE "vips:\n  - {address: 192.0.2.10, port: 80, fragments: some}\n",
	  "t.yaml:6:48: fragments: 'some' is not one of drop, balance" },
	{ BASE "vips:\n  - {address: 192.0.2.10, port: 53, protocol: udp,\n"
	       "     fragments: balance, hash: 5tuple}\n",
	  "t.yaml:7:17: vip 192.0.2.10:53/udp: fragments: balance needs hash: "
	  "source" },
	{ BASE "vips:\n  - {address: 192.0.2.10, port: 53, protocol: udp,\n"
	       "     fragments: balance}\n"
	       "  - {address: 192.0.2.10, port: 80, fragments: balance}\n",
	  "t.yaml:8:48: vip 192.0.2.10:80/tcp: fragments: balance, and so has "
	  "vip 192.0.2.10:53/udp on the same address (one per address)" },
	{ "interfaces:\n  - name: eth1\n    mtu: 1000\n",
	  "t.yaml:3:10: interface eth1: mtu 1000 is out of range (1280..65535)" },
	{ BASE "  icmp_rate: 20000000\n",
	  "t.yaml:5:14: lb.icmp_rate: 20000000 is out of range (0..10000000)" },
	{ BASE "  second_chance: 3601\n",
	  "t.yaml:5:18: lb.second_chance: 3601 is out of range (0..3600)" },
	{ BASE "  outer_ttl: 0\n",
	  "t.yaml:5:14: lb.outer_ttl: 0 is out of range (1..255)" },
	{ BASE "  outer_ttl: 256\n",
	  "t.yaml:5:14: lb.outer_ttl: 256 is out of range (1..255)" },
	/* health checks */
	{ BASE "health_checks:\n  - {name: a, type: tcp}\n"
	       "  - {name: a, type: http}\n",
	  "t.yaml:7:12: health check 'a': defined twice" },
	{ BASE "health_checks:\n  - {name: 'a b', type: tcp}\n",
	  "t.yaml:6:12: health check 'a b': not a valid name (letters, "
	  "digits, '.', '_', '-')" },
	{ BASE "health_checks:\n  - {name: a, type: icmp}\n",
	  "t.yaml:6:21: type: 'icmp' is not one of tcp, http, https, udp, "
	  "dns, exec" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n    path: /x\n",
	  "t.yaml:8:5: health check 'a': path is only for http and https "
	  "checks" },
	{ BASE "health_checks:\n  - name: a\n    type: http\n"
	       "    tls_verify: true\n",
	  "t.yaml:8:5: health check 'a': tls_verify is only for https "
	  "checks" },
	{ BASE "health_checks:\n  - name: a\n    type: dns\n",
	  "t.yaml:6:5: health check 'a': dns checks need query_name" },
	{ BASE "health_checks:\n  - name: a\n    type: exec\n",
	  "t.yaml:6:5: health check 'a': exec checks need command" },
	{ BASE "health_checks:\n  - name: a\n    type: exec\n"
	       "    command: [check.sh]\n",
	  "t.yaml:8:15: health check 'a': command must start with an "
	  "absolute path" },
	{ BASE "health_checks:\n  - name: a\n    type: udp\n",
	  "t.yaml:6:5: health check 'a': udp checks need payload" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n"
	       "    user: nobody\n",
	  "t.yaml:8:5: health check 'a': user is only for exec checks" },
	{ BASE "health_checks:\n  - name: a\n    type: exec\n"
	       "    command: [/bin/true]\n    user: 'no body'\n",
	  "t.yaml:9:11: health check 'a': user must be a user name (letters, "
	  "digits, '_', '-', '.')" },
	{ BASE "health_checks:\n  - name: a\n    type: exec\n"
	       "    command: [/bin/true]\n    user: -x\n",
	  "t.yaml:9:11: health check 'a': user must be a user name (letters, "
	  "digits, '_', '-', '.')" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n"
	       "    mode: half-open\n",
	  "t.yaml:8:11: mode: 'half-open' is not one of connect, syn" },
	{ BASE "health_checks:\n  - name: a\n    type: http\n"
	       "    mode: syn\n",
	  "t.yaml:8:5: health check 'a': mode is only for tcp checks" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n"
	       "    via_vip: true\n    mode: syn\n",
	  "t.yaml:9:11: health check 'a': mode syn cannot follow the data "
	  "path (via_vip); use mode connect" },
	{ BASE "health_checks:\n  - name: a\n    type: dns\n"
	       "    query_name: x.\n    query_type: BOGUS\n",
	  "t.yaml:9:17: query_type: 'BOGUS' is not a DNS type (A, AAAA, NS, "
	  "MX, TXT, SOA, CNAME or 1..65535)" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n"
	       "    interval_ms: 500\n    timeout_ms: 600\n",
	  "t.yaml:9:17: health check 'a': timeout_ms 600 is longer than "
	  "interval_ms 500" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n"
	       "    interval_ms: 5\n",
	  "t.yaml:8:18: health check 'a': interval_ms 5 is out of range "
	  "(10..3600000)" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n    rise: 0\n",
	  "t.yaml:8:11: health check 'a': rise 0 is out of range (1..100)" },
	{ BASE "health_checks:\n  - name: a\n    type: tcp\n    fall: 101\n",
	  "t.yaml:8:11: health check 'a': fall 101 is out of range (1..100)" },
	{ BASE "health_checks:\n  - name: a\n    type: http\n"
	       "    expect_status: [200, 600]\n",
	  "t.yaml:8:26: health check 'a': status 600-600 is out of range "
	  "(100..599)" },
	{ BASE "health_checks:\n  - name: a\n    type: http\n"
	       "    expect_status: [\"399-300\"]\n",
	  "t.yaml:8:21: health check 'a': status range 399-300 is backwards" },
	{ BASE "health_checks:\n  - name: a\n    type: http\n"
	       "    expect_status: [ok]\n",
	  "t.yaml:8:21: expect_status: 'ok' is not a status code or range "
	  "(e.g. 200 or 300-399)" },
	{ BASE "health_checks:\n  - name: a\n    type: http\n"
	       "    expect_status: [200, 201, 202, 203, 204, 205, 206, 207, "
	       "208, 209, 210, 211, 212, 213, 214, 215, 216]\n",
	  "t.yaml:8:101: expect_status: more than 16 entries" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "    health_check: web\n",
	  "t.yaml:8:19: vip 192.0.2.10:80/tcp: health check 'web' is not "
	  "defined" },
	{ BASE "health_checks: [{name: web, type: tcp}]\n"
	       "vips:\n  - address: 192.0.2.10\n    port: any\n"
	       "    health_check: web\n",
	  "t.yaml:9:19: vip 192.0.2.10:any/tcp: health check 'web' has no "
	  "port and the VIP has none (port: any)" },
	{ VIP "      - address: 10.0.1.1\n        health_check: nope\n",
	  "t.yaml:10:23: vip 192.0.2.10:80/tcp: backend 10.0.1.1: health "
	  "check 'nope' is not defined" },
	/* BGP */
	{ BASE "bgp:\n  allowed: []\n",
	  "t.yaml:6:12: bgp.allowed: at least one prefix is required" },
	{ BASE "bgp:\n  allowed: [192.0.2.1/24]\n",
	  "t.yaml:6:13: bgp.allowed: 192.0.2.1/24 has host bits set" },
	{ BASE "bgp:\n  allowed: [192.0.2.0/33]\n",
	  "t.yaml:6:13: bgp.allowed: '192.0.2.0/33': prefix length is out of "
	  "range" },
	{ BASE "bgp:\n  allowed: [192.0.2.0]\n",
	  "t.yaml:6:13: bgp.allowed: '192.0.2.0' is not a prefix "
	  "(ADDRESS/LENGTH)" },
	{ BASE "bgp:\n  allowed: [192.0.2.0/24]\n"
	       "vips:\n  - address: 192.0.2.10\n    port: 80\n"
	       "  - name: outside\n    address: 198.51.100.1\n    port: 80\n",
	  "t.yaml:11:14: vip 198.51.100.1:80/tcp: announced but outside "
	  "bgp.allowed" },
	{ BASE "bgp:\n  allowed: [192.0.2.0/24]\n  bird_socket: bird.ctl\n",
	  "t.yaml:7:16: bgp.bird_socket: must be an absolute path" },
	{ BASE "bgp:\n  allowed: [192.0.2.0/24]\n  drain: maybe\n",
	  "t.yaml:7:10: bgp.drain: 'maybe' is not one of off, graceful, "
	  "withdrawn" },
};

static void test_bad(void **state)
{
	size_t i, failed = 0;
	struct xlb_cfg *c;
	char err[ERRLEN];
	int ret;

	(void)state;
	/* every case is checked and reported before the test fails */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = (struct xlb_cfg *)1;
		err[0] = '\0';
		ret = xlb_cfg_parse(bad[i].yaml, strlen(bad[i].yaml), "t.yaml",
				    &c, err, sizeof(err));
		if (ret == -EINVAL && !c && !strcmp(err, bad[i].err))
			continue;
		print_error("case %zu:\n%swant: %s\ngot:  %s (%d)\n", i,
			    bad[i].yaml, bad[i].err, err, ret);
		failed++;
	}
	print_message("# %zu bad configs, %zu not rejected as expected\n", i,
		      failed);
	assert_int_equal(failed, 0);
}

/* A VIP outside bgp.allowed is fine when it is not announced. */
static void test_not_announced(void **state)
{
	struct xlb_cfg *c;

	(void)state;
	c = parse_ok(BASE "bgp:\n  allowed: [192.0.2.0/24]\n"
			  "vips:\n  - address: 198.51.100.1\n    port: 80\n"
			  "    announce: false\n");
	xlb_cfg_free(c);
}

/* --- in memory ----------------------------------------------------------- */

static struct xlb_cfg *mem_cfg(void)
{
	struct xlb_cfg *c = xlb_cfg_new();
	struct xlb_backend_cfg b;
	struct xlb_vip_cfg v;

	assert_non_null(c);
	c->ifaces = calloc(1, sizeof(*c->ifaces));
	assert_non_null(c->ifaces);
	strcpy(c->ifaces[0].name, "eth0");
	c->n_ifaces = 1;
	addr(&c->src4, "10.0.0.1");
	c->checks = calloc(1, sizeof(*c->checks));
	assert_non_null(c->checks);
	xlb_hc_cfg_init(&c->checks[0], XLB_HC_HTTP);
	strcpy(c->checks[0].name, "web");
	c->n_checks = 1;
	xlb_vip_cfg_init(&v, c);
	addr(&v.addr, "192.0.2.1");
	v.port = 80;
	strcpy(v.health_check, "web");
	assert_int_equal(xlb_cfg_add_vip(c, &v), 0);
	xlb_backend_cfg_init(&b);
	addr(&b.addr, "10.0.1.1");
	assert_int_equal(xlb_vip_add_backend(&c->vips[0], &b), 0);
	addr(&b.addr, "10.0.1.2");
	assert_int_equal(xlb_vip_add_backend(&c->vips[0], &b), 0);
	return c;
}

static void expect_invalid(const struct xlb_cfg *c, const char *msg)
{
	char err[ERRLEN] = "";

	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_validate_memory(void **state)
{
	struct xlb_cfg *c = mem_cfg(), *d;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), 0);
	roundtrip(c);

	d = xlb_cfg_dup(c);
	d->vips[0].backends[1].addr = d->vips[0].backends[0].addr;
	expect_invalid(d, "vip 192.0.2.1:80/tcp: backend 10.0.1.1: duplicate");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->vips[0].ring_size = 100;
	expect_invalid(d, "vip 192.0.2.1:80/tcp: ring_size 100 is not a prime");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->vips[0].port = 0;
	expect_invalid(d, "vip 192.0.2.1:any/tcp: health check 'web' has no "
			  "port and the VIP has none (port: any)");
	d->checks[0].port = 8080;
	assert_int_equal(xlb_cfg_validate(d, err, sizeof(err)), 0);
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->src4.family = XLB_AF_NONE;
	expect_invalid(d, "vip 192.0.2.1:80/tcp: backend 10.0.1.1: an IPv4 "
			  "backend needs lb.source4");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	strcpy(d->checks[0].sni, "x");
	expect_invalid(d, "health check 'web': sni is only for https checks");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->checks[0].type = XLB_HC_NONE;
	expect_invalid(
		d,
		"health check 'web': type 0 is not one of tcp, http, https, udp, dns, exec");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	xlb_bgp_cfg_init(&d->bgp);
	expect_invalid(d, "bgp.allowed: at least one prefix is required");
	addr(&d->bgp.allowed[0].addr, "192.0.2.0");
	d->bgp.allowed[0].len = 25;
	d->bgp.n_allowed = 1;
	assert_int_equal(xlb_cfg_validate(d, err, sizeof(err)), 0);
	d->bgp.allowed[0].len = 32; /* 192.0.2.0 alone */
	expect_invalid(d, "vip 192.0.2.1:80/tcp: announced but outside "
			  "bgp.allowed");
	d->vips[0].announce = false;
	assert_int_equal(xlb_cfg_validate(d, err, sizeof(err)), 0);
	roundtrip(d);
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->vips[0].backends[0].weight = XLB_MAX_WEIGHT + 1;
	expect_invalid(d, "vip 192.0.2.1:80/tcp: backend 10.0.1.1: weight "
			  "1000001 is out of range (0..1000000)");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->n_ifaces = 0;
	expect_invalid(d, "interfaces: at least one is required when VIPs "
			  "are configured");
	xlb_cfg_free(d);

	xlb_cfg_free(c);
}

static void test_edit(void **state)
{
	struct xlb_cfg *c = mem_cfg();
	struct xlb_backend_cfg b;
	struct xlb_vip_cfg v, *p;
	struct xlb_addr a;
	char err[ERRLEN];

	(void)state;
	/* adding copies: the caller's arrays stay the caller's */
	xlb_vip_cfg_init(&v, c);
	addr(&v.addr, "192.0.2.2");
	v.port = 53;
	v.proto = IPPROTO_UDP;
	xlb_backend_cfg_init(&b);
	addr(&b.addr, "10.0.2.1");
	v.backends = &b;
	v.n_backends = 1;
	assert_int_equal(xlb_cfg_add_vip(c, &v), 0);
	assert_int_equal(xlb_cfg_add_vip(c, &v), -EEXIST);
	assert_int_equal(c->n_vips, 2);
	p = xlb_cfg_find_vip(c, &v.addr, 53, IPPROTO_UDP);
	assert_non_null(p);
	assert_ptr_not_equal(p->backends, &b);
	assert_null(xlb_cfg_find_vip(c, &v.addr, 53, IPPROTO_TCP));
	assert_null(xlb_cfg_find_vip(c, &v.addr, 54, IPPROTO_UDP));
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), 0);

	assert_int_equal(xlb_vip_add_backend(p, &b), -EEXIST);
	addr(&b.addr, "2001:db8::9");
	assert_int_equal(xlb_vip_add_backend(p, &b), 0);
	assert_int_equal(p->n_backends, 2);
	assert_non_null(xlb_vip_find_backend(p, &b.addr));
	/* no lb.source6 yet */
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), -EINVAL);
	assert_int_equal(xlb_vip_del_backend(p, &b.addr), 0);
	assert_int_equal(xlb_vip_del_backend(p, &b.addr), -ENOENT);
	assert_null(xlb_vip_find_backend(p, &b.addr));
	assert_int_equal(p->n_backends, 1);
	assert_int_equal(xlb_cfg_validate(c, err, sizeof(err)), 0);

	addr(&a, "192.0.2.1");
	assert_int_equal(xlb_cfg_del_vip(c, &a, 80, IPPROTO_TCP), 0);
	assert_int_equal(xlb_cfg_del_vip(c, &a, 80, IPPROTO_TCP), -ENOENT);
	assert_int_equal(c->n_vips, 1);
	assert_int_equal(c->vips[0].port, 53);

	assert_non_null(xlb_cfg_find_check(c, "web"));
	assert_null(xlb_cfg_find_check(c, "nope"));
	roundtrip(c);
	xlb_cfg_free(c);
	xlb_cfg_free(NULL);
}

/* A string the YAML writer cannot carry fails the dump, and so the save,
 * which then leaves the old file alone. */
static void test_dump_error(void **state)
{
	char dir[] = "/tmp/xlb-test-config-XXXXXX", path[256];
	struct xlb_cfg *c = mem_cfg();
	char *text = (char *)1;
	struct stat st;

	(void)state;
	strcpy(c->checks[0].expect_body, "\xff\xfe not UTF-8");
	assert_int_equal(xlb_cfg_dump(c, &text), -EINVAL);
	assert_null(text);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/xlb.yaml", dir);
	assert_int_equal(xlb_cfg_save(c, path), -EINVAL);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(rmdir(dir), 0);
	xlb_cfg_free(c);
}

/* --- issue 15: addresses, table sizes, nesting ----------------------------- */

/* The figure comes from the maps' own sizes (maps/xlb_maps.h). */
static void test_tables_memory(void **state)
{
	struct xlb_dp_sizes s = {
		.max_vips = XLB_DEFAULT_MAX_VIPS,
		.max_backends = XLB_DEFAULT_MAX_BACKENDS,
		.ring_max = XLB_DEFAULT_RING_SIZE,
		.conn_max = 1u << 28,
	};
	unsigned long long gib = 1ull << 30;
	struct xlb_cfg_err e;
	struct xlb_cfg *c;
	const char *want, *text;
	char err[ERRLEN];
	int ret;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(xlb_cfg_check_memory(&s, 25, 8 * gib, 2, &e), -EINVAL);
	assert_string_equal(e.path, "lb/tables/conn_max");
	assert_string_equal(e.msg,
			    "lb.tables: the maps need 22561 MiB of kernel "
			    "memory, more than lb.tables.max_memory_percent "
			    "(25% of 8192 MiB RAM = 2047 MiB)");
	/* the same on a host with 100 times the RAM */
	assert_int_equal(xlb_cfg_check_memory(&s, 25, 800 * gib, 2, &e), 0);
	/* the defaults: about 121 MiB, fine on a 1 GiB host */
	s.conn_max = XLB_DEFAULT_CONN_MAX;
	assert_int_equal(xlb_cfg_check_memory(&s, 25, gib, 2, &e), 0);
	assert_int_equal(xlb_cfg_check_memory(&s, 10, gib, 2, &e), -EINVAL);
	assert_string_equal(e.msg,
			    "lb.tables: the maps need 121 MiB of kernel "
			    "memory, more than lb.tables.max_memory_percent "
			    "(10% of 1024 MiB RAM = 102 MiB)");
	/* rings the biggest part: the position says so */
	s.ring_max = XLB_MAX_RING_SIZE;
	s.max_vips = 1024;
	assert_int_equal(xlb_cfg_check_memory(&s, 25, 8 * gib, 2, &e), -EINVAL);
	assert_string_equal(e.path, "lb/tables/ring_max");

	/* through the loader, on this machine: 22 GiB is more than 1% of
	 * any RAM a test runs on */
	text = BASE "  tables:\n    conn_max: 268435456\n"
		    "    max_memory_percent: 1\n";
	ret = xlb_cfg_parse(text, strlen(text), "t.yaml", &c, err, sizeof(err));
	want = "t.yaml:6:15: lb.tables: the maps need 22561 MiB of kernel "
	       "memory, more than lb.tables.max_memory_percent (1% of ";
	if (strncmp(err, want, strlen(want)))
		print_error("want: %s...\ngot:  %s\n", want, err);
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	/* a percent other than the default survives the round trip */
	c = parse_ok(BASE "  tables: {max_memory_percent: 50}\n");
	assert_int_equal(c->max_memory_percent, 50);
	roundtrip(c);
	xlb_cfg_free(c);
	c = parse_ok(BASE);
	assert_int_equal(c->max_memory_percent, XLB_DEFAULT_MAX_MEM_PERCENT);
	/* lb.second_chance: off by default (docs/scaling.md), others
	 * round-trip */
	assert_int_equal(c->second_chance, 0);
	xlb_cfg_free(c);
	c = parse_ok(BASE "  second_chance: 5\n");
	assert_int_equal(c->second_chance, 5);
	roundtrip(c);
	xlb_cfg_free(c);
	/* lb.outer_ttl: 64 by default, others round-trip */
	c = parse_ok(BASE);
	assert_int_equal(c->outer_ttl, 64);
	xlb_cfg_free(c);
	c = parse_ok(BASE "  outer_ttl: 63\n");
	assert_int_equal(c->outer_ttl, 63);
	roundtrip(c);
	xlb_cfg_free(c);
}

/* Each family has its own VIP table; VIPs on one address share a marker. */
static void test_vip_tables(void **state)
{
	struct xlb_cfg *c;

	(void)state;
	c = parse_ok("interfaces: [{name: eth1}]\n"
		     "lb: {source4: 10.0.0.1, source6: 2001:db8::1,\n"
		     "     tables: {max_vips: 6}}\n"
		     "vips:\n"
		     "  - {address: 192.0.2.10, port: 80}\n"
		     "  - {address: 192.0.2.10, port: 443}\n"
		     "  - {address: 192.0.2.11, port: 80}\n"
		     "  - {address: 2001:db8::10, port: 80}\n"
		     "  - {address: 2001:db8::10, port: 443}\n"
		     "  - {address: 2001:db8::11, port: 80}\n");
	assert_int_equal(c->n_vips, 6);
	xlb_cfg_free(c);
}

/*
 * What the API's changes go through (xlb_cfg_validate): the same address
 * checks as the loader.
 */
static void test_validate_addresses(void **state)
{
	struct xlb_cfg *c = mem_cfg(), *d;

	(void)state;
	d = xlb_cfg_dup(c);
	addr(&d->vips[0].backends[1].addr, "127.0.0.1");
	expect_invalid(d, "vip 192.0.2.1:80/tcp: backend 127.0.0.1: address "
			  "is loopback");
	addr(&d->vips[0].backends[1].addr, "192.0.2.1");
	expect_invalid(d, "vip 192.0.2.1:80/tcp: backend 192.0.2.1: is a VIP "
			  "address");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	addr(&d->vips[0].addr, "224.0.0.1");
	expect_invalid(d, "vip 224.0.0.1:80/tcp: address is multicast");
	addr(&d->vips[0].addr, "::ffff:192.0.2.10");
	expect_invalid(d, "vip [::ffff:192.0.2.10]:80/tcp: address is "
			  "IPv4-mapped (write the IPv4 address)");
	xlb_cfg_free(d);

	d = xlb_cfg_dup(c);
	d->max_memory_percent = 0;
	expect_invalid(d, "lb.tables.max_memory_percent: 0 is out of range "
			  "(1..100)");
	xlb_cfg_free(d);
	xlb_cfg_free(c);
}

/* Deep nesting is refused at once, with the place (was 69 s for 100k) */
static void test_deep(void **state)
{
	size_t n = 100000, i;
	struct xlb_cfg *c;
	char err[ERRLEN];
	char *text;

	(void)state;
	text = malloc(n * 3 + 1);
	assert_non_null(text);
	memset(text, '[', n);
	assert_int_equal(xlb_cfg_parse(text, n, "t.yaml", &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:1:17: nested more than 16 levels "
				 "deep");
	/* block mappings, one level per line */
	for (i = 0, n = 0; i < 1000; i++) {
		memset(text + n, ' ', i);
		n += i;
		text[n++] = 'a';
		text[n++] = ':';
		text[n++] = '\n';
		if (n > 20000)
			break;
	}
	assert_int_equal(xlb_cfg_parse(text, n, "t.yaml", &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:17:17: nested more than 16 levels "
				 "deep");
	free(text);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(xlb_hc_type_str(XLB_HC_HTTPS), "https");
	assert_string_equal(xlb_hc_type_str(XLB_HC_EXEC), "exec");
	assert_string_equal(xlb_hc_type_str((enum xlb_hc_type)99), "?");
	assert_string_equal(xlb_admin_state_str(XLB_ADMIN_DRAIN), "drain");
	assert_int_equal(xlb_admin_state_parse("down"), XLB_ADMIN_DOWN);
	assert_int_equal(xlb_admin_state_parse("Down"), -EINVAL);
	assert_int_equal(xlb_admin_state_parse(NULL), -EINVAL);
	assert_string_equal(xlb_fwd_str(XLB_FWD_L2), "l2");
	assert_string_equal(xlb_fwd_str(XLB_FWD_IPIP), "ipip");
	assert_string_equal(xlb_fwd_str(7), "?");
}

/* Integers may be written in hexadecimal with 0x (hash_seed: 0x5eed). */
static void test_hex(void **state)
{
	struct xlb_cfg *c;

	(void)state;
	c = parse_ok("interfaces:\n  - name: eth0\nlb:\n  hash_seed: 0x5eed\n"
		     "  source4: 10.0.0.1\n"
		     "  tables: {max_vips: 0X10, ring_max: 1021}\n"
		     "vips:\n  - address: 192.0.2.10\n    port: 80\n"
		     "    backends:\n      - address: 10.0.1.1\n"
		     "        weight: 0xFF\n");
	assert_int_equal(c->hash_seed, 0x5eed);
	assert_int_equal(c->sizes.max_vips, 16);
	assert_int_equal(c->vips[0].port, 80);
	assert_int_equal(c->vips[0].backends[0].weight, 255);
	xlb_cfg_free(c);
	c = parse_ok("interfaces:\n  - name: eth0\nlb:\n"
		     "  hash_seed: 0xffffffff\n");
	assert_int_equal(c->hash_seed, 0xffffffffu);
	xlb_cfg_free(c);
	/* a leading zero is still decimal */
	c = parse_ok("interfaces:\n  - name: eth0\nlb:\n  hash_seed: 010\n");
	assert_int_equal(c->hash_seed, 10);
	xlb_cfg_free(c);
}

/* forwarding: gue with its port: parsed, dumped and parsed back, and a
 * change of gue_port alone is a change (a reload must apply it). */
static void test_gue(void **state)
{
	struct xlb_cfg *c, *d;

	(void)state;
	c = parse_ok(VIP_GUE "    forwarding: gue\n    gue_port: 7000\n");
	assert_int_equal(c->vips[0].fwd, XLB_FWD_GUE);
	assert_int_equal(c->vips[0].gue_port, 7000);
	roundtrip(c);
	d = xlb_cfg_dup(c);
	assert_non_null(d);
	assert_true(xlb_cfg_equal(c, d));
	d->vips[0].gue_port = 6080;
	assert_false(xlb_cfg_equal(c, d));
	xlb_cfg_free(d);
	xlb_cfg_free(c);
	c = parse_ok(VIP_GUE "    forwarding: gue\n");
	assert_int_equal(c->vips[0].gue_port, XLB_GUE_DEFAULT_PORT);
	xlb_cfg_free(c);
}

/* --- QUIC connection-ID routing (quic_id_length, quic_id) ------------- */

/* A UDP VIP with 2-byte server ids; its backends list starts at line 11 */
#define QVIP                             \
	BASE "vips:\n"                   \
	     "  - address: 192.0.2.10\n" \
	     "    port: 443\n"           \
	     "    protocol: udp\n"       \
	     "    quic_id_length: 2\n"   \
	     "    backends:\n"

static const struct bad bad_quic[] = {
	{ QVIP "      - address: 10.0.1.1\n        quic_id: 0x10000\n",
	  "t.yaml:12:18: vip 192.0.2.10:443/udp: backend 10.0.1.1: quic_id "
	  "0x10000 does not fit quic_id_length 2 (0..0xffff)" },
	{ QVIP "      - address: 10.0.1.1\n        quic_id: 7\n"
	       "      - address: 10.0.1.2\n        quic_id: 0x7\n",
	  "t.yaml:14:18: vip 192.0.2.10:443/udp: backend 10.0.1.2: quic_id "
	  "0x7 is also backend 10.0.1.1's" },
	/* of two repeats, the earlier in the list, naming the first holder */
	{ QVIP "      - address: 10.0.1.1\n        quic_id: 9\n"
	       "      - address: 10.0.1.2\n        quic_id: 7\n"
	       "      - address: 10.0.1.3\n        quic_id: 7\n"
	       "      - address: 10.0.1.4\n        quic_id: 9\n"
	       "      - address: 10.0.1.5\n        quic_id: 7\n",
	  "t.yaml:16:18: vip 192.0.2.10:443/udp: backend 10.0.1.3: quic_id "
	  "0x7 is also backend 10.0.1.2's" },
	{ QVIP "      - address: 10.0.1.1\n        quic_id: seven\n",
	  "t.yaml:12:18: quic_id: 'seven' is not a number" },
	{ VIP "      - address: 10.0.1.1\n        quic_id: 1\n",
	  "t.yaml:10:18: vip 192.0.2.10:80/tcp: backend 10.0.1.1: quic_id "
	  "0x1, but the VIP has no quic_id_length" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    quic_id_length: 2\n",
	  "t.yaml:8:21: vip 192.0.2.10:443/tcp: quic_id_length: QUIC is UDP, "
	  "the VIP is not" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_id_length: 9\n",
	  "t.yaml:9:21: quic_id_length: 9 is out of range (0..8)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_id_length: 8\n"
	       "    quic_id_offset: 13\n",
	  "t.yaml:10:21: vip 192.0.2.10:443/udp: quic_id_offset 13 + "
	  "quic_id_length 8 is beyond the 20 bytes of a connection ID" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_id_offset: 20\n",
	  "t.yaml:9:21: quic_id_offset: 20 is out of range (0..19)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_id_offset: 4\n",
	  "t.yaml:9:21: vip 192.0.2.10:443/udp: quic_id_offset needs "
	  "quic_id_length" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    hash: source\n"
	       "    fragments: balance\n    quic_id_length: 2\n",
	  "t.yaml:11:21: vip 192.0.2.10:443/udp: quic_id_length and "
	  "fragments: balance do not go together (a fragment has no "
	  "connection ID)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_config_rotation: 1\n",
	  "t.yaml:9:27: vip 192.0.2.10:443/udp: quic_config_rotation needs "
	  "quic_id_length" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_id_length: 2\n"
	       "    quic_config_rotation: 7\n",
	  "t.yaml:10:27: vip 192.0.2.10:443/udp: quic_config_rotation 7 is "
	  "out of range (0..6; 7 marks unroutable connection IDs)" },
	{ BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
	       "    protocol: udp\n    quic_id_length: 2\n"
	       "    quic_id_offset: 0\n    quic_config_rotation: 1\n",
	  "t.yaml:11:27: vip 192.0.2.10:443/udp: quic_config_rotation is in "
	  "the first octet: quic_id_offset must be at least 1" },
};

static void test_quic(void **state)
{
	size_t i, failed = 0;
	struct xlb_cfg *c, *d;
	char err[ERRLEN];
	int ret;

	(void)state;
	for (i = 0; i < sizeof(bad_quic) / sizeof(bad_quic[0]); i++) {
		c = (struct xlb_cfg *)1;
		err[0] = '\0';
		ret = xlb_cfg_parse(bad_quic[i].yaml, strlen(bad_quic[i].yaml),
				    "t.yaml", &c, err, sizeof(err));
		if (ret == -EINVAL && !c && !strcmp(err, bad_quic[i].err))
			continue;
		print_error("case %zu:\n%swant: %s\ngot:  %s (%d)\n", i,
			    bad_quic[i].yaml, bad_quic[i].err, err, ret);
		failed++;
	}
	assert_int_equal(failed, 0);

	/* the good one: fields, defaults, dump and parse back, equality */
	c = parse_ok(QVIP "      - address: 10.0.1.1\n        quic_id: 0xffff\n"
			  "      - address: 10.0.1.2\n        quic_id: 0\n"
			  "      - address: 10.0.1.3\n");
	assert_int_equal(c->vips[0].quic_id_len, 2);
	assert_int_equal(c->vips[0].quic_id_offset, XLB_QUIC_DEFAULT_OFFSET);
	assert_true(c->vips[0].backends[0].has_quic_id);
	assert_int_equal(c->vips[0].backends[0].quic_id, 0xffff);
	assert_true(c->vips[0].backends[1].has_quic_id);
	assert_int_equal(c->vips[0].backends[1].quic_id, 0);
	assert_false(c->vips[0].backends[2].has_quic_id);
	roundtrip(c);
	d = xlb_cfg_dup(c);
	assert_non_null(d);
	d->vips[0].backends[2].has_quic_id = true;
	d->vips[0].backends[2].quic_id = 0x1234;
	assert_false(xlb_cfg_equal(c, d));
	assert_int_equal(xlb_cfg_validate(d, err, sizeof(err)), 0);
	/* an edit that makes a duplicate is refused as a file would be */
	d->vips[0].backends[2].quic_id = 0xffff;
	assert_int_equal(xlb_cfg_validate(d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "quic_id 0xffff is also backend "
				    "10.0.1.1's"));
	xlb_cfg_free(d);
	xlb_cfg_free(c);

	/* 8 bytes at offset 12: the whole u64 range */
	c = parse_ok(BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
			  "    protocol: udp\n    quic_id_length: 8\n"
			  "    quic_id_offset: 12\n    backends:\n"
			  "      - address: 10.0.1.1\n"
			  "        quic_id: 0xffffffffffffffff\n");
	assert_int_equal(c->vips[0].quic_id_offset, 12);
	assert_true(c->vips[0].backends[0].quic_id == ~0ull);
	assert_false(c->vips[0].has_quic_cr);
	roundtrip(c);
	xlb_cfg_free(c);

	/* config rotation 0 is a value, not "none" */
	c = parse_ok(QVIP "      - address: 10.0.1.1\n        quic_id: 1\n");
	d = parse_ok(BASE "vips:\n  - address: 192.0.2.10\n    port: 443\n"
			  "    protocol: udp\n    quic_id_length: 2\n"
			  "    quic_config_rotation: 0\n    backends:\n"
			  "      - address: 10.0.1.1\n        quic_id: 1\n");
	assert_true(d->vips[0].has_quic_cr);
	assert_int_equal(d->vips[0].quic_cr, 0);
	assert_false(xlb_cfg_equal(c, d));
	roundtrip(d);
	xlb_cfg_free(d);
	xlb_cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_is_inert),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_gue),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_save),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_not_announced),
		cmocka_unit_test(test_validate_memory),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_dump_error),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_tables_memory),
		cmocka_unit_test(test_vip_tables),
		cmocka_unit_test(test_validate_addresses),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_quic),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
