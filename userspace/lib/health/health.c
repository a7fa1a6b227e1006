// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: health-check engine
 *
 * Probes, their schedule, the concurrency bound, and the life cycle of a
 * check ("run"); the check types live in health_<type>.c.
 *
 * Each probe has a repeating timer. Its first expiry is drawn at random
 * within the first interval so that probes added together (xlbd starts them
 * all at once) spread over the interval instead of firing together. When
 * the timer fires and the previous check is still running, the next check
 * starts as soon as it ends (one owed at most); further ticks, or a tick
 * while the check waits in the queue, are skipped and counted rather than
 * piling up checks.
 *
 * A check starts at once if fewer than max_inflight are running, otherwise
 * its probe waits in a FIFO queue; a slot is given back only when every
 * handle of the finished check is closed, so the bound holds for sockets
 * and child processes too. Each run has its own timeout timer, so a backend
 * that never answers costs one slot for at most the check's timeout.
 *
 * Lifetimes are reference counts because libuv closes handles
 * asynchronously: a probe lives while its creator, its timer handle or a
 * run holds it; the engine while its creator, a probe or one of its own
 * handles does. Deleting a probe or closing the engine therefore never
 * frees memory that a pending close callback will touch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/random.h>

#include "health_dns.h"
#include "health_internal.h"
#include "log.h"
#include "maps/xlb_probe.h"

#define HC_DEFAULT_INTERVAL_MS 1000
#define HC_DEFAULT_TIMEOUT_MS  1000

/* --- small helpers ------------------------------------------------------ */

static void link_init(struct hc_probe_link *l)
{
	l->next = l->prev = l;
}

static bool link_empty(const struct hc_probe_link *l)
{
	return l->next == l;
}

static void link_add_tail(struct hc_probe_link *head, struct hc_probe_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void link_del(struct hc_probe_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	link_init(l);
}

#define probe_of(l, member)                                                \
	((struct xlb_hc_probe *)((char *)(l)-offsetof(struct xlb_hc_probe, \
						      member)))

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter needs spread, not secrecy */
__u64 hc_rand(struct xlb_hc *hc)
{
	__u64 x = hc->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	hc->rng = x;
	return x * 2685821657736338717ull;
}

static __u32 interval_ms(const struct xlb_hc_cfg *c)
{
	return c->interval_ms ? c->interval_ms : HC_DEFAULT_INTERVAL_MS;
}

static __u32 timeout_ms(const struct xlb_hc_cfg *c)
{
	return c->timeout_ms ? c->timeout_ms : HC_DEFAULT_TIMEOUT_MS;
}

void hc_quote(char *out, size_t len, const char *s, size_t n)
{
	size_t o = 0, i;

	if (!len)
		return;
	for (i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			out[o++] = c;
		else
			o += snprintf(out + o, len - o, "\\x%02x", c);
	}
	if (i < n && o + 4 <= len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < len ? o : len - 1] = '\0';
}

const char *xlb_hc_type_name(enum xlb_hc_type t)
{
	static const char *const names[] = {
		[XLB_HC_NONE] = "none", [XLB_HC_TCP] = "tcp",
		[XLB_HC_HTTP] = "http", [XLB_HC_HTTPS] = "https",
		[XLB_HC_UDP] = "udp",	[XLB_HC_DNS] = "dns",
		[XLB_HC_EXEC] = "exec",
	};

	if ((unsigned int)t < sizeof(names) / sizeof(names[0]))
		return names[t];
	return "?";
}

static const struct hc_check_ops *ops_for(enum xlb_hc_type t)
{
	/* tcp mode syn: probe_ops() */
	switch (t) {
	case XLB_HC_TCP:
		return &hc_tcp_ops;
	case XLB_HC_HTTP:
	case XLB_HC_HTTPS:
		return &hc_http_ops;
	case XLB_HC_UDP:
		return &hc_udp_ops;
	case XLB_HC_DNS:
		return &hc_dns_ops;
	case XLB_HC_EXEC:
		return &hc_exec_ops;
	default:
		return NULL;
	}
}

static const struct hc_check_ops *probe_ops(const struct xlb_hc_probe *p)
{
	return p->use_syn ? &hc_syn_ops : ops_for(p->cfg.type);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Printable, no space: what may go into a request line or a URL. */
static bool is_token(const char *s, bool allow_empty)
{
	if (!*s)
		return allow_empty;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return false;
	return true;
}

int xlb_hc_cfg_check(const struct xlb_hc_cfg *cfg, char *err, size_t errlen)
{
	const char *n = cfg->name;

	if (!ops_for(cfg->type))
		return fail(err, errlen, "check %s: type %s has nothing to run",
			    n, xlb_hc_type_name(cfg->type));
	/* the rules the config validator has too come from there */
	if (xlb_hc_cfg_validate(cfg, err, errlen))
		return -EINVAL;
	switch (cfg->type) {
	case XLB_HC_HTTP:
	case XLB_HC_HTTPS:
		if (!is_token(cfg->method, true))
			return fail(err, errlen, "check %s: bad HTTP method",
				    n);
		if (!is_token(cfg->path, true) || !is_token(cfg->host, true) ||
		    !is_token(cfg->sni, true))
			return fail(err, errlen,
				    "check %s: path, host and sni must not "
				    "contain spaces or control characters",
				    n);
		break;
	case XLB_HC_DNS:
		if (hc_dns_build_query(NULL, 0, 0, cfg->query_name,
				       cfg->query_type ?: 1) == -EINVAL)
			return fail(err, errlen,
				    "check %s: query_name '%s' is not a valid "
				    "DNS name",
				    n, cfg->query_name);
		break;
	default:
		break;
	}
	return 0;
}

static int target_check(const struct xlb_hc_cfg *cfg,
			const struct xlb_hc_target *t, char *err, size_t errlen)
{
	const char *n = t->name;

	if (cfg->type != XLB_HC_EXEC && !t->port)
		return fail(err, errlen, "%s: %s check needs a port", n,
			    xlb_hc_type_name(cfg->type));
	if (t->backend.family != XLB_AF_INET &&
	    t->backend.family != XLB_AF_INET6)
		return fail(err, errlen, "%s: no backend address", n);
	if (cfg->via_vip) {
		if (t->vip.family != XLB_AF_INET &&
		    t->vip.family != XLB_AF_INET6)
			return fail(err, errlen,
				    "%s: via_vip needs the VIP address", n);
		if (t->backend_id > XLB_PROBE_ID_MASK)
			return fail(err, errlen,
				    "%s: backend id %u does not fit the probe "
				    "mark",
				    n, t->backend_id);
	}
	return 0;
}

/* --- engine ------------------------------------------------------------- */

void hc_ref(struct xlb_hc *hc)
{
	hc->refs++;
}

void hc_unref(struct xlb_hc *hc)
{
	if (--hc->refs)
		return;
	free(hc);
}

int xlb_hc_new(uv_loop_t *loop, const struct xlb_hc_opts *o,
	       struct xlb_hc **out)
{
	struct xlb_hc *hc;

	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	hc->loop = loop;
	if (o)
		hc->o = *o;
	if (!hc->o.max_inflight)
		hc->o.max_inflight = XLB_HC_DEFAULT_MAX_INFLIGHT;
	hc->rng = hc->o.seed;
	if (!hc->rng && getrandom(&hc->rng, sizeof(hc->rng), GRND_NONBLOCK) !=
				sizeof(hc->rng))
		hc->rng = uv_hrtime() ^ ((__u64)getpid() << 32);
	hc->rng |= 1; /* xorshift must not start at 0 */
	link_init(&hc->probes);
	link_init(&hc->queue);
	hc->refs = 1;
	*out = hc;
	return 0;
}

void xlb_hc_close(struct xlb_hc *hc)
{
	if (!hc || hc->closing)
		return;
	hc->closing = true;
	while (!link_empty(&hc->probes))
		xlb_hc_probe_del(probe_of(hc->probes.next, all));
	/* Inside curl's own processing the multi handle must stay; the
	 * curl driver frees it when it returns. */
	if (hc->curl_depth)
		hc->curl_cleanup_pending = true;
	else
		hc_http_ops.close(hc);
	hc_syn_ops.close(hc);
	hc_unref(hc);
}

void xlb_hc_stats(const struct xlb_hc *hc, struct xlb_hc_stats *st)
{
	*st = hc->stats;
}

/* --- runs --------------------------------------------------------------- */

static void probe_put(struct xlb_hc_probe *p);
static void probe_go(struct xlb_hc_probe *p);
static void dispatch(struct xlb_hc *hc);
static void record(struct xlb_hc_probe *p, const struct xlb_hc_result *res);

void hc_run_hold(struct hc_run *r)
{
	r->refs++;
}

void hc_run_release(struct hc_run *r)
{
	struct xlb_hc_probe *p = r->p;
	struct xlb_hc *hc = p->hc;

	if (--r->refs)
		return;
	p->run = NULL;
	free(r);
	hc->stats.inflight--;
	if (p->due) {
		p->due = false;
		if (!p->deleted && !hc->closing)
			probe_go(p);
	}
	/* The probe may hold the engine's last reference. */
	hc_ref(hc);
	probe_put(p);
	/* hc_ref() above keeps hc alive; the analyser does not follow the
	 * count */
	dispatch(hc); // NOLINT(clang-analyzer-unix.Malloc)
	hc_unref(hc);
}

void hc_run_handle_closed(uv_handle_t *h)
{
	hc_run_release(h->data);
}

static void run_timeout_cb(uv_timer_t *t)
{
	struct hc_run *r = t->data;

	hc_run_done(r, false, "timeout after %u ms", timeout_ms(&r->p->cfg));
}

void hc_run_done(struct hc_run *r, bool ok, const char *fmt, ...)
{
	struct xlb_hc_probe *p = r->p;
	struct xlb_hc_result res = { .ok = ok };
	va_list ap;

	if (r->done)
		return;
	r->done = true;
	res.latency_us = (uv_hrtime() - r->start_ns) / 1000;
	res.time_ms = now_ms();
	if (!ok && fmt) {
		va_start(ap, fmt);
		vsnprintf(res.error, sizeof(res.error), fmt, ap);
		va_end(ap);
	} else if (!ok) {
		snprintf(res.error, sizeof(res.error), "%s",
			 r->err[0] ? r->err : "failed");
	}

	uv_timer_stop(&r->timeout);
	uv_close((uv_handle_t *)&r->timeout, hc_run_handle_closed);
	r->ops->stop(r);
	if (!r->cancelled && !p->deleted && !p->hc->closing) {
		p->hc->stats.finished++;
		record(p, &res);
	}
	hc_run_release(r);
}

static void run_cancel(struct hc_run *r)
{
	if (!r || r->done)
		return;
	r->cancelled = true;
	hc_run_done(r, false, "cancelled");
}

static void run_start(struct xlb_hc_probe *p)
{
	struct xlb_hc *hc = p->hc;
	const struct hc_check_ops *ops = probe_ops(p);
	struct hc_run *r;

	r = calloc(1, ops->size);
	if (!r) {
		pr_err("%s: no memory for a check", p->t.name);
		return;
	}
	r->p = p;
	r->ops = ops;
	r->refs = 1;
	p->run = r;
	p->refs++;
	hc->stats.started++;
	if (++hc->stats.inflight > hc->stats.inflight_max)
		hc->stats.inflight_max = hc->stats.inflight;
	uv_timer_init(hc->loop, &r->timeout);
	r->timeout.data = r;
	hc_run_hold(r);
	uv_timer_start(&r->timeout, run_timeout_cb, timeout_ms(&p->cfg), 0);
	r->start_ns = uv_hrtime();
	ops->start(r);
}

static void dispatch(struct xlb_hc *hc)
{
	struct xlb_hc_probe *p;

	while (!hc->closing && !link_empty(&hc->queue) &&
	       hc->stats.inflight < hc->o.max_inflight) {
		p = probe_of(hc->queue.next, queue);
		link_del(&p->queue);
		p->queued = false;
		hc->stats.queued--;
		run_start(p);
	}
}

socklen_t hc_run_dest(const struct hc_run *r, struct sockaddr_storage *ss)
{
	const struct xlb_hc_target *t = &r->p->t;
	const struct xlb_addr *a = r->p->cfg.via_vip ? &t->vip : &t->backend;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == XLB_AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(t->port);
		s4->sin_addr.s_addr = a->a[0];
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(t->port);
	memcpy(&s6->sin6_addr, a->a, 16);
	return sizeof(*s6);
}

int hc_run_sockopts(struct hc_run *r, int fd)
{
	const struct xlb_hc *hc = r->p->hc;
	const struct xlb_hc_target *t = &r->p->t;
	const struct xlb_addr *src;
	struct sockaddr_storage ss = {};
	__u32 mark;
	int err;

	if (!r->p->cfg.via_vip)
		return 0;
	mark = XLB_PROBE_MARK | (t->backend_id & XLB_PROBE_ID_MASK);
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))) {
		err = -errno;
		snprintf(r->err, sizeof(r->err), "setsockopt SO_MARK: %s",
			 strerror(-err));
		return err;
	}
	/* Replies come straight from the backend to the LB source address,
	 * so that is the address the probe must speak from. */
	src = t->vip.family == XLB_AF_INET ? &hc->o.src4 : &hc->o.src6;
	if (src->family != t->vip.family)
		return 0;
	if (src->family == XLB_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = src->a[0];
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, src->a, 16);
	}
	if (bind(fd, (struct sockaddr *)&ss,
		 src->family == XLB_AF_INET ? sizeof(struct sockaddr_in) :
					      sizeof(struct sockaddr_in6))) {
		char b[XLB_ADDR_STRLEN];

		err = -errno;
		snprintf(r->err, sizeof(r->err), "bind %s: %s",
			 xlb_addr_str(src, b), strerror(-err));
		return err;
	}
	return 0;
}

int hc_run_socket(struct hc_run *r, int type)
{
	const struct xlb_hc_target *t = &r->p->t;
	const struct xlb_addr *a = r->p->cfg.via_vip ? &t->vip : &t->backend;
	int fd, err;

	fd = socket(a->family == XLB_AF_INET ? AF_INET : AF_INET6,
		    type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(r->err, sizeof(r->err), "socket: %s", strerror(-err));
		return err;
	}
	err = hc_run_sockopts(r, fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void sock_closed(uv_handle_t *h)
{
	struct hc_sock *s =
		(struct hc_sock *)((char *)h - offsetof(struct hc_sock, poll));

	close(s->fd);
	hc_run_release(h->data);
}

int hc_sock_watch(struct hc_run *r, struct hc_sock *s, int events,
		  uv_poll_cb cb)
{
	int err = uv_poll_init_socket(r->p->hc->loop, &s->poll, s->fd);

	if (err) {
		hc_run_done(r, false, "poll: %s", uv_strerror(err));
		return err;
	}
	s->poll.data = r;
	s->polling = true;
	hc_run_hold(r);
	err = uv_poll_start(&s->poll, events, cb);
	if (err)
		hc_run_done(r, false, "poll: %s", uv_strerror(err));
	return err;
}

void hc_sock_close(struct hc_sock *s)
{
	if (s->polling) {
		/* uv_close() takes the fd out of epoll; close it after */
		uv_close((uv_handle_t *)&s->poll, sock_closed);
		return;
	}
	if (s->fd >= 0)
		close(s->fd);
}

/* --- results ------------------------------------------------------------ */

static void change_reason(const struct xlb_hc_probe *p,
			  const struct xlb_hc_result *res, char *buf,
			  size_t len)
{
	if (res->ok)
		snprintf(buf, len, "%u success%s, last in %u.%03u ms",
			 p->sm.ok_run, p->sm.ok_run == 1 ? "" : "es",
			 res->latency_us / 1000, res->latency_us % 1000);
	else
		snprintf(buf, len, "%u failure%s, last: %s", p->sm.fail_run,
			 p->sm.fail_run == 1 ? "" : "s", res->error);
}

static void record(struct xlb_hc_probe *p, const struct xlb_hc_result *res)
{
	struct xlb_hc *hc = p->hc;
	struct xlb_hc_change ch;
	enum xlb_hsm_event ev;
	enum xlb_hc_state from = p->sm.state;
	bool was_pending = p->sm.pending;

	ev = xlb_hsm_result(&p->sm, res->ok);
	p->st.checked = true;
	p->st.last_ok = res->ok;
	snprintf(p->st.last_error, sizeof(p->st.last_error), "%s", res->error);
	p->st.last_latency_us = res->latency_us;
	p->st.last_check_ms = res->time_ms;
	if (res->ok)
		pr_debug("%s: %s check passed in %u us", p->t.name,
			 xlb_hc_type_name(p->cfg.type), res->latency_us);
	else
		pr_debug("%s: %s check failed: %s", p->t.name,
			 xlb_hc_type_name(p->cfg.type), res->error);

	if (hc->o.on_result)
		hc->o.on_result(p, res, p->user);
	if (ev == XLB_HSM_NONE || p->deleted || hc->closing)
		return;

	change_reason(p, res, p->st.last_change_reason,
		      sizeof(p->st.last_change_reason));
	if (ev == XLB_HSM_CHANGED) {
		p->st.last_change_ms = res->time_ms;
		pr_info("%s: %s (%s)", p->t.name, xlb_hc_state_str(p->sm.state),
			p->st.last_change_reason);
	} else {
		pr_info("%s: %s, confirmed by checks (%s)", p->t.name,
			xlb_hc_state_str(p->sm.state),
			p->st.last_change_reason);
	}
	ch = (struct xlb_hc_change){
		.from = from,
		.to = p->sm.state,
		.first = was_pending,
		.reason = p->st.last_change_reason,
	};
	if (hc->o.on_change)
		hc->o.on_change(p, &ch, p->user);
}

/* --- probes ------------------------------------------------------------- */

/*
 * tcp mode syn needs raw sockets (CAP_NET_RAW). Without them the probe is
 * still checked, with connect(), and the log says why: a missing
 * capability must not leave backends unchecked.
 */
static int probe_set_syn(struct xlb_hc_probe *p, const struct xlb_hc_cfg *cfg)
{
	char why[96];
	bool want = cfg->type == XLB_HC_TCP && cfg->mode == XLB_HC_TCP_SYN;
	int af = p->t.backend.family == XLB_AF_INET6 ? AF_INET6 : AF_INET;
	int ret;

	if (!want) {
		p->use_syn = false;
		return 0;
	}
	ret = hc_syn_ops.prepare(p->hc);
	if (ret)
		return ret;
	if (hc_syn_ops.ready(p->hc, af, why, sizeof(why))) {
		if (p->use_syn || !p->syn_warned)
			pr_err("%s: tcp mode syn unavailable (%s): checking "
			       "with connect() instead",
			       p->t.name, why);
		p->syn_warned = true;
		p->use_syn = false;
		return 0;
	}
	p->use_syn = true;
	return 0;
}

static void probe_put(struct xlb_hc_probe *p)
{
	struct xlb_hc *hc = p->hc;

	if (--p->refs)
		return;
	free(p);
	hc_unref(hc);
}

static void probe_timer_closed(uv_handle_t *h)
{
	probe_put(h->data);
}

/* Start @p's check now, or queue it behind the concurrency bound. */
static void probe_go(struct xlb_hc_probe *p)
{
	struct xlb_hc *hc = p->hc;

	if (hc->stats.inflight < hc->o.max_inflight) {
		run_start(p);
		return;
	}
	link_add_tail(&hc->queue, &p->queue);
	p->queued = true;
	if (++hc->stats.queued > hc->stats.queued_max)
		hc->stats.queued_max = hc->stats.queued;
}

/*
 * A tick that finds the previous check still running is owed, once: the
 * next check starts as soon as that one ends. With timeout == interval the
 * timeout and the next tick are due in the same millisecond and the tick
 * runs first; skipping it would check a dead backend only every other
 * interval and double the time to take it out. Further ticks while one is
 * owed are skipped and counted.
 */
static void probe_tick(uv_timer_t *t)
{
	struct xlb_hc_probe *p = t->data;

	if (p->run && !p->due) {
		p->due = true;
		return;
	}
	if (p->run || p->queued) {
		p->st.n_skipped++;
		return;
	}
	probe_go(p);
}

static void probe_schedule(struct xlb_hc_probe *p)
{
	__u32 iv = interval_ms(&p->cfg);

	uv_timer_start(&p->timer, probe_tick, hc_rand(p->hc) % iv, iv);
}

static void probe_unqueue(struct xlb_hc_probe *p)
{
	if (!p->queued)
		return;
	link_del(&p->queue);
	p->queued = false;
	p->hc->stats.queued--;
}

int xlb_hc_probe_add(struct xlb_hc *hc, const struct xlb_hc_cfg *cfg,
		     const struct xlb_hc_target *t, enum xlb_hc_state initial,
		     void *user, struct xlb_hc_probe **out, char *err,
		     size_t errlen)
{
	struct xlb_hc_probe *p;
	int ret;

	if (hc->closing)
		return fail(err, errlen, "%s: health checks are stopping",
			    t->name);
	ret = xlb_hc_cfg_check(cfg, err, errlen);
	ret = ret ?: target_check(cfg, t, err, errlen);
	if (ret)
		return ret;
	if (cfg->type == XLB_HC_HTTP || cfg->type == XLB_HC_HTTPS) {
		ret = hc_http_ops.prepare(hc);
		if (ret) {
			fail(err, errlen, "%s: cannot start libcurl", t->name);
			return ret;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->hc = hc;
	p->t = *t;
	p->t.name[sizeof(p->t.name) - 1] = '\0';
	ret = probe_set_syn(p, cfg);
	if (ret) {
		free(p);
		return fail(err, errlen, "%s: %s", t->name, strerror(-ret));
	}
	p->cfg = *cfg;
	p->user = user;
	xlb_hsm_init(&p->sm, initial, cfg->rise, cfg->fall);
	link_init(&p->queue);
	link_add_tail(&hc->probes, &p->all);
	p->refs = 2; /* creator, timer */
	hc_ref(hc);
	hc->stats.probes++;
	uv_timer_init(hc->loop, &p->timer);
	p->timer.data = p;
	probe_schedule(p);
	*out = p;
	return 0;
}

int xlb_hc_probe_update(struct xlb_hc_probe *p, const struct xlb_hc_cfg *cfg,
			char *err, size_t errlen)
{
	struct xlb_hc_cfg same;
	int ret;

	if (p->deleted)
		return -EINVAL;
	ret = xlb_hc_cfg_check(cfg, err, errlen);
	ret = ret ?: target_check(cfg, &p->t, err, errlen);
	if (ret)
		return ret;
	if ((cfg->type == XLB_HC_HTTP || cfg->type == XLB_HC_HTTPS) &&
	    hc_http_ops.prepare(p->hc))
		return fail(err, errlen, "%s: cannot start libcurl", p->t.name);
	/* any mode change restarts the schedule below: the running check
	 * (of the old mode) is cancelled before the next one starts */
	ret = probe_set_syn(p, cfg);
	if (ret)
		return fail(err, errlen, "%s: %s", p->t.name, strerror(-ret));
	/* Bytewise: an unchanged config (as xlbd re-applies on reload) must
	 * not restart the schedule. */
	/* Configs are zeroed before they are filled (calloc, memset, = {0}),
	 * so padding compares equal. */
	// NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
	if (!memcmp(cfg, &p->cfg, sizeof(*cfg)))
		return 0;
	same = *cfg;
	same.rise = p->cfg.rise;
	same.fall = p->cfg.fall;
	memcpy(same.name, p->cfg.name, sizeof(same.name));
	p->cfg = *cfg;
	xlb_hsm_set_thresholds(&p->sm, cfg->rise, cfg->fall);
	// NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
	if (!memcmp(&same, &p->cfg, sizeof(same)))
		return 0;
	/* Anything else may change what a check means: a result of the old
	 * check must not count for the new one. */
	probe_unqueue(p);
	p->due = false;
	run_cancel(p->run);
	probe_schedule(p);
	return 0;
}

void xlb_hc_probe_del(struct xlb_hc_probe *p)
{
	struct xlb_hc *hc;

	/* xlb_hc_close() loops over the list this unlinks p from: each
	 * call gets a live probe (the analyser does not follow the list) */
	if (!p || p->deleted) // NOLINT(clang-analyzer-unix.Malloc)
		return;
	hc = p->hc;
	p->deleted = true;
	link_del(&p->all);
	hc->stats.probes--;
	probe_unqueue(p);
	run_cancel(p->run);
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, probe_timer_closed);
	probe_put(p);
}

void xlb_hc_probe_status(const struct xlb_hc_probe *p, struct xlb_hc_status *st)
{
	*st = p->st;
	st->state = p->sm.state;
	st->pending = p->sm.pending;
	st->in_flight = p->run || p->queued;
	st->ok_run = p->sm.ok_run;
	st->fail_run = p->sm.fail_run;
	st->n_ok = p->sm.n_ok;
	st->n_fail = p->sm.n_fail;
	st->n_transitions = p->sm.n_transitions;
}

void *xlb_hc_probe_user(const struct xlb_hc_probe *p)
{
	return p->user;
}

const struct xlb_hc_target *xlb_hc_probe_target(const struct xlb_hc_probe *p)
{
	return &p->t;
}
