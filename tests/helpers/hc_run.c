// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: hc_run - run the health-check engine and print what it does
 *
 * Test driver of tests/health/suite_health.sh. Runs the engine of
 * userspace/lib/health/health.c on a libuv loop for the given checks for a
 * number of seconds and prints one JSON object per line: every result, every
 * state change, and at the end each probe's status and the engine's
 * counters.
 *
 * Usage: hc_run [-d SECONDS] [-m MAX_INFLIGHT] [--src4 A] [--src6 A]
 *               [--del NAME@MS] [--update NAME@MS key=value...]
 *               [--probe-dev IF
 *                --dp-backend ID,ADDR,NHMAC[,IF|-[,gue=PORT]]...]
 *               -c key=value... [-c key=value...]
 *
 * Each -c starts a check; the key=value words after it describe it:
 *   name type(tcp|http|https|udp|dns|exec) addr port vip id interval
 *   timeout rise fall initial(up|down) via_vip(0|1) mode(connect|syn)
 *   method path host sni
 *   status(200-299/301/...) body verify(0|1) payload expect qname qtype
 *   arg (repeat: argv of exec) user (exec)
 *
 * --probe-dev attaches the tc probe program (probe.h) to IF with private
 * data-path maps (xlb_dp_open() without a pin dir), filled from --src4,
 * --src6 and --dp-backend, so via_vip checks get encapsulated; gue=PORT
 * makes the backend a membership of a GUE VIP on that UDP port (probed in
 * GUE), "-" for IF keeps --probe-dev's.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "dp.h"
#include "health.h"
#include "log.h"
#include "probe.h"

#define MAX_CHECKS   2048
#define MAX_BACKENDS 16
#define MAX_ACTIONS  64

struct check {
	struct xlb_hc_cfg cfg;
	struct xlb_hc_target t;
	enum xlb_hc_state initial;
	struct xlb_hc_probe *p;
};

struct action {
	uv_timer_t timer;
	__u64 at_ms;
	char **kv; /* for updates */
	int nkv;
	bool del;
	char name[XLB_NAME_MAX];
};

struct dp_backend {
	__u32 id;
	struct xlb_addr addr;
	__u8 mac[6];
	char dev[IF_NAMESIZE];
	__u16 gue_port; /* host order; 0: not a GUE VIP's membership */
};

static struct check checks[MAX_CHECKS];
static int n_checks;
static struct action actions[MAX_ACTIONS];
static int n_actions;
static struct dp_backend dp_backends[MAX_BACKENDS];
static int n_dp_backends;
static __u64 t0;
static struct xlb_hc *hc;

static __u64 elapsed_ms(void)
{
	return (uv_hrtime() - t0) / 1000000;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *probe_name(struct xlb_hc_probe *p)
{
	return ((struct check *)xlb_hc_probe_user(p))->cfg.name;
}

static void on_result(struct xlb_hc_probe *p, const struct xlb_hc_result *r,
		      void *user)
{
	(void)user;
	printf("{\"t\":%llu,\"ev\":\"result\",\"probe\":",
	       (unsigned long long)elapsed_ms());
	json_str(probe_name(p));
	printf(",\"ok\":%s,\"latency_us\":%u,\"error\":",
	       r->ok ? "true" : "false", r->latency_us);
	json_str(r->error);
	printf("}\n");
	fflush(stdout);
}

static void on_change(struct xlb_hc_probe *p, const struct xlb_hc_change *c,
		      void *user)
{
	(void)user;
	printf("{\"t\":%llu,\"ev\":\"change\",\"probe\":",
	       (unsigned long long)elapsed_ms());
	json_str(probe_name(p));
	printf(",\"from\":\"%s\",\"to\":\"%s\",\"first\":%s,\"reason\":",
	       xlb_hc_state_str(c->from), xlb_hc_state_str(c->to),
	       c->first ? "true" : "false");
	json_str(c->reason);
	printf("}\n");
	fflush(stdout);
}

static int parse_u32(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > 0xffffffffUL)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_status(const char *s, struct xlb_hc_cfg *c)
{
	char buf[256], *tok, *save = NULL, *dash;
	__u32 lo, hi;

	snprintf(buf, sizeof(buf), "%s", s);
	c->n_expect_status = 0;
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (c->n_expect_status >= XLB_EXPECT_MAX)
			return -EINVAL;
		dash = strchr(tok, '-');
		if (dash)
			*dash++ = '\0';
		if (parse_u32(tok, &lo) || parse_u32(dash ? dash : tok, &hi))
			return -EINVAL;
		c->expect_status[c->n_expect_status].lo = lo;
		c->expect_status[c->n_expect_status].hi = hi;
		c->n_expect_status++;
	}
	return 0;
}

#define SETSTR(field) snprintf(c->cfg.field, sizeof(c->cfg.field), "%s", v)

static int apply_kv(struct check *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char k[32];
	const char *v;
	__u32 n;
	int type;

	if (!eq || eq - kv >= (int)sizeof(k))
		return -EINVAL;
	memcpy(k, kv, eq - kv);
	k[eq - kv] = '\0';
	v = eq + 1;
	if (!strcmp(k, "name")) {
		SETSTR(name);
		snprintf(c->t.name, sizeof(c->t.name), "probe %s", v);
	} else if (!strcmp(k, "type")) {
		for (type = XLB_HC_TCP; type <= XLB_HC_EXEC; type++)
			if (!strcmp(v, xlb_hc_type_name(type)))
				break;
		if (type > XLB_HC_EXEC)
			return -EINVAL;
		c->cfg.type = type;
	} else if (!strcmp(k, "addr")) {
		return xlb_addr_parse(v, &c->t.backend);
	} else if (!strcmp(k, "vip")) {
		return xlb_addr_parse(v, &c->t.vip);
	} else if (!strcmp(k, "mode")) {
		if (!strcmp(v, "syn"))
			c->cfg.mode = XLB_HC_TCP_SYN;
		else if (!strcmp(v, "connect"))
			c->cfg.mode = XLB_HC_TCP_CONNECT;
		else
			return -EINVAL;
	} else if (!strcmp(k, "initial")) {
		c->initial = !strcmp(v, "up") ? XLB_HC_UP : XLB_HC_DOWN;
	} else if (!strcmp(k, "method")) {
		SETSTR(method);
	} else if (!strcmp(k, "path")) {
		SETSTR(path);
	} else if (!strcmp(k, "host")) {
		SETSTR(host);
	} else if (!strcmp(k, "sni")) {
		SETSTR(sni);
	} else if (!strcmp(k, "body")) {
		SETSTR(expect_body);
	} else if (!strcmp(k, "payload")) {
		SETSTR(payload);
	} else if (!strcmp(k, "expect")) {
		SETSTR(expect);
	} else if (!strcmp(k, "qname")) {
		SETSTR(query_name);
	} else if (!strcmp(k, "user")) {
		SETSTR(user);
	} else if (!strcmp(k, "status")) {
		return parse_status(v, &c->cfg);
	} else if (!strcmp(k, "arg")) {
		if (c->cfg.argc >= XLB_ARGV_MAX)
			return -E2BIG;
		snprintf(c->cfg.argv[c->cfg.argc++], XLB_STR_MAX, "%s", v);
	} else {
		if (parse_u32(v, &n))
			return -EINVAL;
		if (!strcmp(k, "port"))
			c->t.port = n;
		else if (!strcmp(k, "id"))
			c->t.backend_id = n;
		else if (!strcmp(k, "interval"))
			c->cfg.interval_ms = n;
		else if (!strcmp(k, "timeout"))
			c->cfg.timeout_ms = n;
		else if (!strcmp(k, "rise"))
			c->cfg.rise = n;
		else if (!strcmp(k, "fall"))
			c->cfg.fall = n;
		else if (!strcmp(k, "via_vip"))
			c->cfg.via_vip = n;
		else if (!strcmp(k, "verify"))
			c->cfg.tls_verify = n;
		else if (!strcmp(k, "qtype"))
			c->cfg.query_type = n;
		else
			return -EINVAL;
	}
	return 0;
}

static void check_defaults(struct check *c)
{
	*c = (struct check){ .initial = XLB_HC_DOWN };
	c->cfg.interval_ms = 1000;
	c->cfg.timeout_ms = 1000;
	c->cfg.rise = 2;
	c->cfg.fall = 3;
	c->cfg.type = XLB_HC_TCP;
}

static struct check *find_check(const char *name)
{
	int i;

	for (i = 0; i < n_checks; i++)
		if (!strcmp(checks[i].cfg.name, name))
			return &checks[i];
	return NULL;
}

static void action_cb(uv_timer_t *t)
{
	struct action *a = t->data;
	struct check *c = find_check(a->name), upd;
	char err[256] = "";
	int i, ret = 0;

	if (!c || !c->p)
		return;
	if (a->del) {
		xlb_hc_probe_del(c->p);
		c->p = NULL;
	} else {
		upd = *c;
		for (i = 0; i < a->nkv && !ret; i++)
			ret = apply_kv(&upd, a->kv[i]);
		ret = ret   ?:
			      xlb_hc_probe_update(c->p, &upd.cfg, err,
						  sizeof(err));
		if (!ret)
			c->cfg = upd.cfg;
	}
	printf("{\"t\":%llu,\"ev\":\"%s\",\"probe\":",
	       (unsigned long long)elapsed_ms(),
	       a->del ? "deleted" : "updated");
	json_str(a->name);
	printf(",\"ret\":%d,\"error\":", ret);
	json_str(err);
	printf("}\n");
	fflush(stdout);
}

static void print_status(struct check *c)
{
	struct xlb_hc_status st;

	xlb_hc_probe_status(c->p, &st);
	printf("{\"t\":%llu,\"ev\":\"status\",\"probe\":",
	       (unsigned long long)elapsed_ms());
	json_str(c->cfg.name);
	printf(",\"state\":\"%s\",\"pending\":%s,\"checked\":%s,"
	       "\"last_ok\":%s,\"last_latency_us\":%u,\"n_ok\":%llu,"
	       "\"n_fail\":%llu,\"n_transitions\":%llu,\"n_skipped\":%llu,"
	       "\"last_change_ms\":%llu,\"last_error\":",
	       xlb_hc_state_str(st.state), st.pending ? "true" : "false",
	       st.checked ? "true" : "false", st.last_ok ? "true" : "false",
	       st.last_latency_us, (unsigned long long)st.n_ok,
	       (unsigned long long)st.n_fail,
	       (unsigned long long)st.n_transitions,
	       (unsigned long long)st.n_skipped,
	       (unsigned long long)st.last_change_ms);
	json_str(st.last_error);
	printf(",\"last_change_reason\":");
	json_str(st.last_change_reason);
	printf("}\n");
}

static void stop_cb(uv_timer_t *t)
{
	struct xlb_hc_stats s;
	int i;

	for (i = 0; i < n_checks; i++)
		if (checks[i].p)
			print_status(&checks[i]);
	xlb_hc_stats(hc, &s);
	printf("{\"t\":%llu,\"ev\":\"stats\",\"probes\":%u,\"inflight_max\":%u,"
	       "\"queued_max\":%u,\"started\":%llu,\"finished\":%llu}\n",
	       (unsigned long long)elapsed_ms(), s.probes, s.inflight_max,
	       s.queued_max, (unsigned long long)s.started,
	       (unsigned long long)s.finished);
	fflush(stdout);
	xlb_hc_close(hc);
	hc = NULL;
	uv_close((uv_handle_t *)t, NULL);
	for (i = 0; i < n_actions; i++)
		if (!uv_is_closing((uv_handle_t *)&actions[i].timer))
			uv_close((uv_handle_t *)&actions[i].timer, NULL);
}

static int parse_mac(const char *s, __u8 *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ?
		       0 :
		       -EINVAL;
}

static int parse_dp_backend(char *s)
{
	struct dp_backend *b;
	char *f[5] = {}, *save = NULL;
	__u32 port;
	int i;

	if (n_dp_backends >= MAX_BACKENDS)
		return -E2BIG;
	b = &dp_backends[n_dp_backends];
	for (i = 0; i < 5; i++)
		f[i] = strtok_r(i ? NULL : s, ",", &save);
	if (!f[0] || !f[1] || !f[2] || parse_u32(f[0], &b->id) ||
	    xlb_addr_parse(f[1], &b->addr) || parse_mac(f[2], b->mac))
		return -EINVAL;
	if (f[3] && strcmp(f[3], "-"))
		snprintf(b->dev, sizeof(b->dev), "%s", f[3]);
	if (f[4]) {
		if (strncmp(f[4], "gue=", 4) || parse_u32(f[4] + 4, &port) ||
		    !port || port > 65535)
			return -EINVAL;
		b->gue_port = (__u16)port;
	}
	n_dp_backends++;
	return 0;
}

/* ioctl, not /sys/class/net: under nsenter --net, /sys is still the host's */
static int read_mac(const char *dev, __u8 *mac)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

/* Private data-path maps, filled like xlbd would, and the probe program
 * attached to @dev with those maps. */
static int setup_probe(const char *dev, const struct xlb_hc_opts *o,
		       struct xlb_dp **dpp, struct xlb_probe **prp)
{
	struct xlb_dp_opts dopts = { .pin_dir = NULL,
				     .sizes = { .max_vips = 4,
						.max_backends = 64,
						.ring_max = 17,
						.conn_max = 1024 } };
	struct xlb_config cfg = {};
	struct xlb_backend be;
	int i, err, ifindex = if_nametoindex(dev);

	if (!ifindex) {
		fprintf(stderr, "hc_run: no device %s\n", dev);
		return -ENODEV;
	}
	err = xlb_dp_open(&dopts, dpp);
	if (err)
		return err;
	if (o->src4.family == XLB_AF_INET) {
		cfg.src4 = o->src4.a[0];
		cfg.flags |= XLB_CFG_F_SRC4_VALID;
	}
	if (o->src6.family == XLB_AF_INET6) {
		memcpy(cfg.src6, o->src6.a, 16);
		cfg.flags |= XLB_CFG_F_SRC6_VALID;
	}
	err = xlb_dp_config_set(*dpp, &cfg);
	for (i = 0; i < n_dp_backends && !err; i++) {
		struct dp_backend *b = &dp_backends[i];
		const char *bdev = b->dev[0] ? b->dev : dev;

		be = (struct xlb_backend){
			.family = b->addr.family,
			.state = XLB_BE_UP,
			.flags = XLB_BE_F_NH_VALID |
				 (b->gue_port ? XLB_BE_F_GUE : 0),
			.ifindex = if_nametoindex(bdev),
			.gue_port = htons(b->gue_port),
		};
		memcpy(be.addr, b->addr.a, 16);
		memcpy(be.nh_mac, b->mac, 6);
		err = read_mac(bdev, be.src_mac);
		err = err ?: xlb_dp_backend_set(*dpp, b->id, &be);
	}
	if (err)
		return err;
	err = xlb_probe_open_dp(*dpp, prp);
	return err ?: xlb_probe_attach(*prp, ifindex);
}

static void print_probe_stats(struct xlb_probe *pr)
{
	static const char *const names[] = XLB_PROBE_COUNTER_NAMES;
	struct xlb_probe_stats s;
	int i;

	if (xlb_probe_stats(pr, &s))
		return;
	printf("{\"ev\":\"probe_stats\"");
	for (i = 0; i < XLB_PC_MAX; i++)
		printf(",\"%s\":%llu", names[i], (unsigned long long)s.c[i]);
	printf("}\n");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hc_run [-d SECONDS] [-m MAX_INFLIGHT] [--src4 A] "
		"[--src6 A] [--del NAME@MS] [--update NAME@MS k=v...] "
		"[--probe-dev IF --dp-backend ID,ADDR,NHMAC[,IF|-[,gue=PORT]]] "
		"-c key=value... [-c ...]\n");
}

int main(int argc, char **argv)
{
	struct xlb_hc_opts o = { .on_result = on_result,
				 .on_change = on_change };
	const char *probe_dev = NULL;
	struct xlb_dp *dp = NULL;
	struct xlb_probe *pr = NULL;
	double seconds = 5;
	uv_loop_t loop;
	uv_timer_t stop;
	struct check *cur = NULL;
	char err[256];
	int i, ret = 1;

	xlb_log_init("hc_run",
		     getenv("HC_DEBUG") ? XLB_LOG_DEBUG : XLB_LOG_WARN);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-d") && i + 1 < argc) {
			seconds = atof(argv[++i]);
		} else if (!strcmp(a, "-m") && i + 1 < argc) {
			o.max_inflight = atoi(argv[++i]);
		} else if (!strcmp(a, "--src4") && i + 1 < argc) {
			if (xlb_addr_parse(argv[++i], &o.src4))
				goto bad;
		} else if (!strcmp(a, "--src6") && i + 1 < argc) {
			if (xlb_addr_parse(argv[++i], &o.src6))
				goto bad;
		} else if (!strcmp(a, "--probe-dev") && i + 1 < argc) {
			probe_dev = argv[++i];
		} else if (!strcmp(a, "--dp-backend") && i + 1 < argc) {
			if (parse_dp_backend(argv[++i]))
				goto bad;
		} else if ((!strcmp(a, "--del") || !strcmp(a, "--update")) &&
			   i + 1 < argc && n_actions < MAX_ACTIONS) {
			struct action *ac = &actions[n_actions++];
			char *at = strchr(argv[i + 1], '@');

			ac->del = !strcmp(a, "--del");
			if (!at)
				goto bad;
			*at = '\0';
			snprintf(ac->name, sizeof(ac->name), "%s", argv[++i]);
			ac->at_ms = strtoull(at + 1, NULL, 10);
			ac->kv = &argv[i + 1];
			while (!ac->del && i + 1 < argc &&
			       strchr(argv[i + 1], '=') &&
			       argv[i + 1][0] != '-') {
				ac->nkv++;
				i++;
			}
			cur = NULL;
		} else if (!strcmp(a, "-c")) {
			if (n_checks >= MAX_CHECKS)
				goto bad;
			cur = &checks[n_checks++];
			check_defaults(cur);
			snprintf(cur->cfg.name, sizeof(cur->cfg.name), "c%d",
				 n_checks);
			snprintf(cur->t.name, sizeof(cur->t.name), "probe c%d",
				 n_checks);
		} else if (cur && strchr(a, '=')) {
			if (apply_kv(cur, a)) {
				fprintf(stderr, "hc_run: bad check word '%s'\n",
					a);
				goto bad;
			}
		} else {
			goto bad;
		}
	}
	if (!n_checks)
		goto bad;

	if (uv_loop_init(&loop))
		return 1;
	if (probe_dev) {
		ret = setup_probe(probe_dev, &o, &dp, &pr);
		if (ret) {
			fprintf(stderr, "hc_run: probe setup on %s: %s\n",
				probe_dev, strerror(-ret));
			ret = 1;
			goto out;
		}
	}
	ret = xlb_hc_new(&loop, &o, &hc);
	if (ret) {
		fprintf(stderr, "hc_run: engine: %s\n", strerror(-ret));
		ret = 1;
		goto out;
	}
	t0 = uv_hrtime();
	for (i = 0; i < n_checks; i++) {
		struct check *c = &checks[i];

		if (xlb_hc_probe_add(hc, &c->cfg, &c->t, c->initial, c, &c->p,
				     err, sizeof(err))) {
			printf("{\"t\":0,\"ev\":\"add_failed\",\"probe\":");
			json_str(c->cfg.name);
			printf(",\"error\":");
			json_str(err);
			printf("}\n");
			c->p = NULL;
		}
	}
	for (i = 0; i < n_actions; i++) {
		uv_timer_init(&loop, &actions[i].timer);
		actions[i].timer.data = &actions[i];
		uv_timer_start(&actions[i].timer, action_cb, actions[i].at_ms,
			       0);
	}
	uv_timer_init(&loop, &stop);
	uv_timer_start(&stop, stop_cb, (__u64)(seconds * 1000), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* Every handle of the engine must be closed by now. */
	ret = uv_loop_close(&loop);
	printf("{\"ev\":\"exit\",\"loop_close\":%d}\n", ret);
	ret = ret ? 1 : 0;
	if (pr)
		print_probe_stats(pr);
out:
	fflush(stdout);
	xlb_probe_close(pr);
	xlb_dp_close(dp);
	return ret;
bad:
	usage();
	return 2;
}
