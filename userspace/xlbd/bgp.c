// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: announcing VIPs through BIRD
 *
 * xlbd never speaks BGP. It decides which VIP addresses this PoP can serve
 * (announce.c), writes them to BIRD's include file atomically and asks BIRD
 * to re-read its configuration over the control socket (bird.c). BIRD's
 * export filter (bgp/bird.conf.example) announces only the listed VIPs and
 * only inside the allowed range.
 *
 * - A VIP is decided only once the data path is attached and every one of
 *   its backends has had its first check; until then it keeps the state
 *   the include file had when xlbd started (a restart or upgrade withdraws
 *   nothing) or, with no file (after a reboot), is not announced. Once
 *   decided it stays decided: losing the data path later withdraws it.
 * - An address is announced if any of its VIPs (port, protocol) with
 *   announce: true is servable.
 * - Withdrawal is immediate; a VIP withdrawn during this run comes back
 *   only after hold_down_ms of uninterrupted servability.
 * - bgp.drain (xlbctl pop drain): graceful tags every route with the
 *   GRACEFUL_SHUTDOWN community and prepends the path (bird.conf does it
 *   when XLB_DRAIN = 1); withdrawn announces nothing. It is part of the
 *   configuration file, so a drained PoP stays drained across restarts.
 * - BIRD is asked on libuv's thread pool, never on the loop. "configure"
 *   must answer 0003 (or 0004/0018/0019), then "eval XLB_VIPS4", "eval
 *   XLB_VIPS6", "eval XLB_DRAIN" and "eval XLB_PREPEND" must give back
 *   exactly what was written (BIRD really loaded this file). A failure is
 *   logged as an error once (again only when the error changes) and
 *   retried with backoff (1 s doubling to 30 s) until BIRD takes it; a BIRD
 *   that is not running yet when xlbd starts is one line in the log.
 * - bgp.prepend: XLB_PREPEND, the AS path prepended N more times on every
 *   route (a backup PoP), applied by bird.conf's export filter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "bird.h"
#include "log.h"
#include "xlbd.h"

#define BGP_TEXT_MAX  (256 * 1024)
#define BGP_PREV_MAX  4096
#define BGP_BIRD_MS   5000
#define BGP_RETRY_MIN 1000
#define BGP_RETRY_MAX 30000

/* what BGP keeps of a VIP, by its id; the core says when one goes */
struct bgp_vip {
	struct xlb_ann ann; /* the announcement */
	bool init; /* ann has its start state */
	bool decided; /* decided once in this run (vip_decided()) */
};

struct bgp_vips {
	struct xlbd *d;
	struct bgp_vip *v;
	__u32 n;
};

/* @v's state: the table has max_vips entries, and the core gives no VIP
 * an id beyond (bgp_init() runs before the first VIP is applied) */
static struct bgp_vip *bv(const struct xlbd *d, const struct vip_rt *v)
{
	return &d->bgp_vips->v[v->id];
}

struct bgp {
	struct xlbd *d;
	uv_timer_t timer; /* hold-down recheck and retries */
	uv_work_t work;
	bool busy; /* a configure is running */
	bool again; /* the file changed while it ran */
	bool closing; /* freed once the timer is closed and no work runs */
	bool timer_closed;
	bool synced; /* BIRD confirmed the current file */
	unsigned int fails;
	__u64 last_ok_ms, last_try_ms;
	char last_err[512];
	char *want; /* the file's text as last written */
	/* at start: what the include file announced */
	struct xlb_addr *prev;
	int n_prev;
	/* the work's copies */
	char w_sock[XLB_SOCK_PATH_MAX];
	char *w_text;
	char w_err[512];
	int w_ret;
};

static bool in_prev(const struct bgp *b, const struct xlb_addr *a)
{
	int i;

	for (i = 0; i < b->n_prev; i++)
		if (xlb_addr_eq(&b->prev[i], a))
			return true;
	return false;
}

/* -- asking BIRD (thread pool) -------------------------------------------- */

static int same_set(const struct xlb_addr *a, int na, const struct xlb_addr *b,
		    int nb)
{
	int i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (xlb_addr_eq(&a[i], &b[j]))
				break;
		if (j == nb)
			return 0;
	}
	for (j = 0; j < nb; j++) {
		for (i = 0; i < na; i++)
			if (xlb_addr_eq(&a[i], &b[j]))
				break;
		if (i == na)
			return 0;
	}
	return 1;
}

/* BIRD's value of the sets and XLB_DRAIN equals @text's */
static int verify(const char *sock, const char *text, char *err, size_t errlen)
{
	static const char *const names[] = { "XLB_VIPS4", "XLB_VIPS6" };
	struct xlb_addr *want = NULL, *got = NULL;
	struct xlb_bird_reply *r = NULL;
	int nw, ng, n = 0, i, prepend, ret = -ENOMEM;
	char num[16];
	bool drain;

	want = calloc(BGP_PREV_MAX, sizeof(*want));
	got = calloc(BGP_PREV_MAX, sizeof(*got));
	r = malloc(sizeof(*r));
	if (!want || !got || !r)
		goto out;
	nw = xlb_ann_parse(text, want, BGP_PREV_MAX, &drain);
	if (nw < 0) {
		ret = nw;
		snprintf(err, errlen, "cannot read back our own file");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "eval %s", names[i]);
		ret = xlb_bird_cmd(sock, cmd, BGP_BIRD_MS, r, err, errlen);
		if (ret)
			goto out;
		ng = r->code == 23 ? xlb_bird_eval_prefixes(r->text, got + n,
							    BGP_PREV_MAX - n) :
				     -EPROTO;
		if (ng < 0) {
			ret = -EPROTO;
			snprintf(err, errlen, "eval %s: %04d %.200s", names[i],
				 r->code, r->text);
			goto out;
		}
		n += ng;
	}
	/* the placeholders are in BIRD's sets, not in our parse */
	for (i = 0; i < n;) {
		struct xlb_addr z4 = { .family = XLB_AF_INET };
		struct xlb_addr z6 = { .family = XLB_AF_INET6 };

		if (xlb_addr_eq(&got[i], &z4) || xlb_addr_eq(&got[i], &z6))
			got[i] = got[--n];
		else
			i++;
	}
	if (!same_set(want, nw, got, n)) {
		ret = -EPROTO;
		snprintf(err, errlen,
			 "BIRD announces another set than the file (%d "
			 "addresses, file %d): is the include in bird.conf?",
			 n, nw);
		goto out;
	}
	ret = xlb_bird_cmd(sock, "eval XLB_DRAIN", BGP_BIRD_MS, r, err, errlen);
	if (ret)
		goto out;
	if (r->code != 23 || strcmp(r->text, drain ? "1" : "0")) {
		ret = -EPROTO;
		snprintf(err, errlen, "BIRD's XLB_DRAIN is '%.20s', not %d",
			 r->text, drain);
		goto out;
	}
	prepend = xlb_ann_prepend(text);
	if (prepend < 0)
		goto out; /* not ours to check (cannot happen: we wrote it) */
	ret = xlb_bird_cmd(sock, "eval XLB_PREPEND", BGP_BIRD_MS, r, err,
			   errlen);
	if (ret)
		goto out;
	snprintf(num, sizeof(num), "%d", prepend);
	if (r->code != 23 || strcmp(r->text, num)) {
		ret = -EPROTO;
		snprintf(err, errlen,
			 "BIRD's XLB_PREPEND is '%.40s', not %d (does "
			 "bird.conf's filter know bgp.prepend? "
			 "bgp/bird.conf.example)",
			 r->text, prepend);
	}
out:
	free(r);
	free(got);
	free(want);
	return ret;
}

static void work_cb(uv_work_t *w)
{
	struct bgp *b = w->data;

	b->w_err[0] = '\0';
	b->w_ret = xlb_bird_configure(b->w_sock, BGP_BIRD_MS, b->w_err,
				      sizeof(b->w_err));
	if (!b->w_ret)
		b->w_ret = verify(b->w_sock, b->w_text, b->w_err,
				  sizeof(b->w_err));
}

static void configure(struct bgp *b);

static void retry_cb(uv_timer_t *t)
{
	struct bgp *b = t->data;

	/* a hold-down may have ended too */
	bgp_update(b->d);
	if (!b->synced)
		configure(b);
}

static void bgp_free(struct bgp *b)
{
	if (!b->timer_closed || b->busy)
		return;
	free(b->w_text);
	free(b->want);
	free(b->prev);
	free(b);
}

static void timer_closed(uv_handle_t *h)
{
	struct bgp *b = h->data;

	b->timer_closed = true;
	bgp_free(b);
}

/*
 * One line per distinct failure: the first, and one each time the error
 * changes; the retries in between are debug lines. The socket is named
 * once (bird.c's connect errors start with it already).
 */
static void log_failure(const struct bgp *b, __u64 delay)
{
	size_t sl = strlen(b->w_sock);
	const char *e = b->w_err;

	if (!strncmp(e, b->w_sock, sl) && e[sl] == ':' && e[sl + 1] == ' ')
		e += sl + 2;
	if (b->fails == 1 || strcmp(b->last_err, b->w_err))
		pr_err("bgp: BIRD at %s: %s; VIP announcements are not what "
		       "xlbd decided; retrying until BIRD takes them",
		       b->w_sock, e);
	else
		pr_debug("bgp: BIRD at %s: %s (attempt %u, next in %llu ms)",
			 b->w_sock, e, b->fails, (unsigned long long)delay);
}

static void after_cb(uv_work_t *w, int status)
{
	struct bgp *b = w->data;
	__u64 delay;

	b->busy = false;
	free(b->w_text);
	b->w_text = NULL;
	if (b->closing) {
		bgp_free(b);
		return;
	}
	if (status == UV_ECANCELED)
		b->w_ret = -ECANCELED;
	if (!b->w_ret) {
		if (b->fails)
			pr_info("bgp: BIRD took the VIP list after %u failed "
				"attempts",
				b->fails);
		else
			pr_info("bgp: BIRD reconfigured and verified");
		b->fails = 0;
		b->last_ok_ms = xlbd_now_ms();
		b->last_err[0] = '\0';
		b->synced = !b->again;
	} else {
		b->fails++;
		delay = BGP_RETRY_MIN << (b->fails < 6 ? b->fails - 1 : 5);
		if (delay > BGP_RETRY_MAX)
			delay = BGP_RETRY_MAX;
		log_failure(b, delay);
		snprintf(b->last_err, sizeof(b->last_err), "%s", b->w_err);
		uv_timer_start(&b->timer, retry_cb, delay, 0);
		b->again = false;
		return;
	}
	if (b->again) {
		b->again = false;
		configure(b);
	}
}

static void configure(struct bgp *b)
{
	const struct xlb_bgp_cfg *g = &b->d->cfg->bgp;

	if (b->busy) {
		b->again = true;
		return;
	}
	if (!b->want)
		return;
	b->w_text = strdup(b->want);
	if (!b->w_text) {
		pr_err("bgp: out of memory");
		return;
	}
	snprintf(b->w_sock, sizeof(b->w_sock), "%s", g->bird_socket);
	b->busy = true;
	b->synced = false;
	b->last_try_ms = xlbd_now_ms();
	b->work.data = b;
	if (uv_queue_work(b->d->loop, &b->work, work_cb, after_cb)) {
		b->busy = false;
		free(b->w_text);
		b->w_text = NULL;
		pr_err("bgp: cannot queue the BIRD request");
	}
}

static int bgp_start(struct xlbd *d);

/* -- deciding ------------------------------------------------------------- */

/*
 * Undecided is a start-up state only: it keeps what the include file said
 * across a restart until the data path is attached and the first checks
 * are in. Once a VIP has been decided in this run it stays decided, so a
 * data path that is lost later (detached, or its maps no longer the
 * program's) withdraws the VIP instead of freezing its announcement.
 */
static bool vip_decided(const struct xlbd *d, const struct vip_rt *v)
{
	size_t j;

	if (bv(d, v)->decided)
		return true;
	if (!d->dp_attached)
		return false;
	for (j = 0; j < v->n_bes; j++)
		if (v->bes[j]->health_pending)
			return false;
	return true;
}

void bgp_update(struct xlbd *d)
{
	struct bgp *b = d->bgp;
	const struct xlb_bgp_cfg *g;
	struct xlb_ann_vip *av = NULL;
	__u64 now, recheck = 0;
	char err[400];
	size_t i, n = 0;
	char *text = NULL;
	int len;

	if (d->stopping)
		return; /* a stop changes no announcement */
	if (!d->cfg->bgp.enabled) {
		bgp_stop(d); /* the file stays as it is */
		return;
	}
	if (!b && bgp_start(d))
		return;
	b = d->bgp;
	if (!b || b->closing)
		return;
	g = &d->cfg->bgp;
	now = xlbd_now_ms();
	av = calloc(d->n_vips ? d->n_vips : 1, sizeof(*av));
	text = malloc(BGP_TEXT_MAX);
	if (!av || !text) {
		pr_err("bgp: out of memory");
		goto out;
	}
	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];
		struct bgp_vip *s = bv(d, v);

		if (!v->cfg.announce)
			continue;
		if (!s->init) {
			/* whatever was announced before this start stays
			 * until there is a decision */
			s->ann.announced = in_prev(b, &v->cfg.addr);
			s->init = true;
		}
		s->decided = vip_decided(d, v);
		if (s->decided && xlb_ann_step(&s->ann, v->servable, now,
					       g->hold_down_ms, &recheck)) {
			pr_info("bgp: vip %s: %s", v->name,
				s->ann.announced ? "announce" :
						   "withdraw (not servable)");
			hooks_event(d,
				    s->ann.announced ? "vip_announce" :
						       "vip_withdraw",
				    v, NULL,
				    s->ann.announced ? "servable" :
						       "not servable");
		}
		av[n].addr = v->cfg.addr;
		av[n].announced =
			s->ann.announced && g->drain != XLB_DRAIN_WITHDRAWN;
		n++;
	}
	len = xlb_ann_render(av, n, g->drain == XLB_DRAIN_GRACEFUL, g->prepend,
			     text, BGP_TEXT_MAX);
	if (len < 0) {
		pr_err("bgp: the VIP list does not fit in %d bytes",
		       BGP_TEXT_MAX);
		goto out;
	}
	if (recheck > now)
		uv_timer_start(&b->timer, retry_cb, recheck - now, 0);
	if (b->want && !strcmp(b->want, text))
		goto out;
	{
		size_t k, on = 0;

		for (k = 0; k < n; k++)
			on += av[k].announced;
		pr_info("bgp: VIP list changed: %zu of %zu VIPs announced%s; "
			"writing %s and telling BIRD",
			on, n,
			g->drain == XLB_DRAIN_GRACEFUL	? " (draining)" :
			g->drain == XLB_DRAIN_WITHDRAWN ? " (drained)" :
							  "",
			g->include_file);
	}
	if (xlb_ann_write(g->include_file, text, err, sizeof(err))) {
		pr_err("bgp: writing the VIP list: %s", err);
		snprintf(b->last_err, sizeof(b->last_err), "%s", err);
		uv_timer_start(&b->timer, retry_cb, BGP_RETRY_MIN, 0);
		goto out;
	}
	free(b->want);
	b->want = text;
	text = NULL;
	configure(b);
out:
	free(text);
	free(av);
}

/* -- start, stop, show ---------------------------------------------------- */

static void on_servable(void *ctx)
{
	bgp_update(((struct bgp_vips *)ctx)->d);
}

static void on_vip_gone(void *ctx, struct vip_rt *v)
{
	struct bgp_vips *t = ctx;

	if (v->id < t->n)
		memset(&t->v[v->id], 0, sizeof(t->v[0]));
}

int bgp_init(struct xlbd *d)
{
	struct core_module m = { .vip_gone = on_vip_gone,
				 .servable = on_servable };
	struct bgp_vips *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->d = d;
	t->n = d->dp_ops->sizes(d->dp_ctx)->max_vips;
	t->v = calloc(t->n ? t->n : 1, sizeof(*t->v));
	if (!t->v) {
		free(t);
		return -ENOMEM;
	}
	m.ctx = t;
	r = core_register(d, &m);
	if (r) {
		free(t->v);
		free(t);
		return r;
	}
	d->bgp_vips = t;
	return 0;
}

void bgp_close(struct xlbd *d)
{
	struct bgp_vips *t = d->bgp_vips;

	if (!t)
		return;
	core_unregister(d, t);
	free(t->v);
	free(t);
	d->bgp_vips = NULL;
}

static int bgp_start(struct xlbd *d)
{
	const struct xlb_bgp_cfg *g = &d->cfg->bgp;
	char *text = NULL;
	struct bgp *b;
	bool drain;
	int r;

	if (!g->enabled)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->d = d;
	b->prev = calloc(BGP_PREV_MAX, sizeof(*b->prev));
	if (!b->prev) {
		free(b);
		return -ENOMEM;
	}
	r = xlb_ann_read(g->include_file, &text);
	if (!r) {
		b->n_prev = xlb_ann_parse(text, b->prev, BGP_PREV_MAX, &drain);
		if (b->n_prev < 0) {
			pr_warn("bgp: %s is not a file xlbd wrote; it will "
				"be replaced",
				g->include_file);
			b->n_prev = 0;
		} else {
			pr_info("bgp: %s announces %d VIP addresses; kept "
				"until each is decided",
				g->include_file, b->n_prev);
		}
		free(text);
	} else if (r != -ENOENT) {
		pr_warn("bgp: reading %s: %s", g->include_file, strerror(-r));
	}
	uv_timer_init(d->loop, &b->timer);
	b->timer.data = b;
	d->bgp = b;
	return 0;
}

void bgp_stop(struct xlbd *d)
{
	struct bgp *b = d->bgp;

	if (!b)
		return;
	d->bgp = NULL;
	b->closing = true;
	uv_timer_stop(&b->timer);
	/* freed when the timer is closed and no BIRD request runs */
	uv_close((uv_handle_t *)&b->timer, timer_closed);
}

json_t *bgp_show(struct xlbd *d)
{
	const struct xlb_bgp_cfg *g = &d->cfg->bgp;
	static const char *const drains[] = { "off", "graceful", "withdrawn" };
	struct bgp *b = d->bgp;
	json_t *o, *arr;
	__u64 now = xlbd_now_ms();
	size_t i;

	if (!g->enabled || !b)
		return json_pack("{s:b}", "enabled", false);
	arr = json_array();
	for (i = 0; i < d->n_vips; i++) {
		const struct vip_rt *v = d->vips[i];
		const struct xlb_ann *a = &bv(d, v)->ann;
		json_t *e;

		if (!v->cfg.announce)
			continue;
		e = json_pack("{s:s,s:b,s:b,s:b}", "vip", v->name, "servable",
			      v->servable, "decided", vip_decided(d, v),
			      "announced",
			      a->announced && g->drain != XLB_DRAIN_WITHDRAWN);
		if (v->servable && !a->announced && a->withdrawn_once &&
		    a->servable_since + g->hold_down_ms > now)
			json_object_set_new(
				e, "hold_down_left_ms",
				json_integer((json_int_t)(a->servable_since +
							  g->hold_down_ms -
							  now)));
		json_array_append_new(arr, e);
	}
	o = json_pack("{s:b,s:s,s:s,s:s,s:I,s:o,s:b,s:b,s:I,s:I}", "enabled",
		      true, "bird_socket", g->bird_socket, "include_file",
		      g->include_file, "drain",
		      drains[g->drain < 3 ? g->drain : 0], "hold_down_ms",
		      (json_int_t)g->hold_down_ms, "vips", arr, "bird_synced",
		      b->synced, "bird_busy", b->busy, "bird_failures",
		      (json_int_t)b->fails, "prepend", (json_int_t)g->prepend);
	json_object_set_new(o, "drain_timeout_s",
			    json_integer((json_int_t)g->drain_timeout_s));
	if (b->last_ok_ms)
		json_object_set_new(
			o, "bird_last_ok_s_ago",
			json_integer(
				(json_int_t)((now - b->last_ok_ms) / 1000)));
	if (b->last_err[0])
		json_object_set_new(o, "bird_last_error",
				    json_string(b->last_err));
	return o;
}
