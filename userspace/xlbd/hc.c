// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: health checks of backends
 *
 * One probe of the engine (userspace/lib/health/health.h) per backend
 * membership whose VIP or itself names a check. A backend without a check is
 * up. A new backend with a check starts down and pending; a backend re-adopted
 * after a restart starts in the state the data path had, so a restart
 * never takes a backend down. A state change is written to the data path
 * in the same turn of the loop (core_sync_vip()): its VIP's ring is
 * rebuilt, and a down backend is marked removed so its flows are re-hashed;
 * then the VIPs' announceability is recomputed. Changes are coalesced: the
 * VIP is marked and synced once from a prepare handle, just before the loop
 * next polls, however many of its backends changed in that turn. With
 * 1,000 backends a rebuild costs milliseconds (tens when half of them are
 * down: the fallback), and a rack losing power must not cost one rebuild
 * per backend with the loop blocked throughout.
 *
 * Checks that follow the data path (via_vip) need the tc probe program on
 * the balancer's interfaces; it is attached when the first such check is
 * added.
 *
 * The core tells this module of backends through struct core_module
 * (be_applied: give it a probe or update it; be_forget: drop it); this
 * module keeps its own state per backend id and per VIP id, and calls the
 * core back only through core_sync_vip() and core_update_servable().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "health.h"
#include "log.h"
#include "probe.h"
#include "xlbd.h"

struct health;

/* what this module keeps of a backend, by its id; the engine calls back
 * with it */
struct hc_be {
	struct health *h;
	struct be_rt *b;
	struct xlb_hc_probe *probe; /* NULL when it has no check */
	struct hc_lat lat; /* since the membership was created (metrics) */
};

struct health {
	struct xlbd *d;
	struct xlb_hc *hc;
	uv_prepare_t *flush; /* syncs the VIPs marked dirty */
	bool flush_on;
	__u8 *dirty; /* by VIP id: a backend changed health since the sync */
	__u32 n_dirty;
	struct hc_be *bes; /* by backend id */
	__u32 n_bes;
	struct xlb_probe *probe;
	int probe_ifindex[XLB_PROBE_MAX_IFACES];
	size_t n_probe_ifaces;
};

static struct hc_be *slot(const struct health *h, const struct be_rt *b)
{
	return h && b->id < h->n_bes ? &h->bes[b->id] : NULL;
}

static __u64 wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (__u64)tv.tv_sec * 1000 + (__u64)tv.tv_usec / 1000;
}

/* Sync every VIP whose backends changed health since the last call. */
static void flush_dirty(struct health *h)
{
	struct xlbd *d = h->d;
	bool any = false;
	size_t i;

	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];

		if (v->id >= h->n_dirty || !h->dirty[v->id])
			continue;
		h->dirty[v->id] = 0;
		core_sync_vip(d, v);
		any = true;
	}
	if (any)
		core_update_servable(d);
}

static void flush_cb(uv_prepare_t *p)
{
	struct health *h = p->data;

	uv_prepare_stop(p);
	h->flush_on = false;
	flush_dirty(h);
}

static void flush_closed(uv_handle_t *h)
{
	free(h);
}

static void on_change(struct xlb_hc_probe *p, const struct xlb_hc_change *c,
		      void *user)
{
	struct hc_be *s = user;
	struct health *h = s->h;
	struct be_rt *b = s->b;

	/* the engine has logged the change with its reason, under the
	 * probe's name ("vip V: backend B") */
	(void)p;
	b->health_up = c->to == XLB_HC_UP;
	if (c->first)
		b->health_pending = false;
	if (c->from != c->to)
		hooks_event(h->d, b->health_up ? "backend_up" : "backend_down",
			    b->vip, b, c->reason);
	if (b->vip->id < h->n_dirty)
		h->dirty[b->vip->id] = 1;
	if (!h->flush_on) {
		uv_prepare_start(h->flush, flush_cb);
		h->flush_on = true;
	}
}

const __u32 hc_lat_bounds_us[HC_LAT_BUCKETS] = {
	500,	1000,	2500,	5000,	 10000,	  25000,   50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

/* every result, passed or failed, goes into its backend's histogram */
static void on_result(struct xlb_hc_probe *p, const struct xlb_hc_result *r,
		      void *user)
{
	struct hc_lat *l = &((struct hc_be *)user)->lat;
	unsigned int i = 0;

	(void)p;
	while (i < HC_LAT_BUCKETS && r->latency_us > hc_lat_bounds_us[i])
		i++;
	l->bucket[i]++;
	l->count++;
	l->sum_us += r->latency_us;
}

static void hc_attach(void *ctx, struct be_rt *b);
static void hc_detach(void *ctx, struct be_rt *b);

/* a new membership: its latencies start from zero */
static void hc_new(void *ctx, struct be_rt *b)
{
	struct hc_be *s = slot(ctx, b);

	if (!s)
		return;
	memset(&s->lat, 0, sizeof(s->lat));
	s->b = b;
}

static void health_free(struct health *h)
{
	if (!h)
		return;
	free(h->flush);
	free(h->dirty);
	free(h->bes);
	free(h);
}

int hc_start(struct xlbd *d, const struct xlb_cfg *cfg)
{
	const struct xlb_dp_sizes *sz = d->dp_ops->sizes(d->dp_ctx);
	struct xlb_hc_opts o = { .on_change = on_change,
				 .on_result = on_result };
	struct core_module m = { .be_new = hc_new,
				 .be_applied = hc_attach,
				 .be_forget = hc_detach };
	struct health *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	/* via_vip checks leave from the LB source addresses */
	o.src4 = cfg->src4;
	o.src6 = cfg->src6;
	h->d = d;
	h->flush = calloc(1, sizeof(*h->flush));
	h->n_dirty = sz->max_vips;
	h->dirty = calloc(h->n_dirty, 1);
	h->n_bes = sz->max_backends;
	h->bes = calloc(h->n_bes, sizeof(*h->bes));
	if (!h->flush || !h->dirty || !h->bes) {
		health_free(h);
		return -ENOMEM;
	}
	err = xlb_hc_new(d->loop, &o, &h->hc);
	if (err) {
		pr_err("health checks: %s", strerror(-err));
		health_free(h);
		return err;
	}
	m.ctx = h;
	err = core_register(d, &m);
	if (err) {
		xlb_hc_close(h->hc);
		health_free(h);
		return err;
	}
	uv_prepare_init(d->loop, h->flush);
	h->flush->data = h;
	d->health = h;
	return 0;
}

void hc_stop(struct xlbd *d)
{
	struct health *h = d->health;
	size_t i;

	if (!h)
		return;
	/* changes already seen are applied, not lost */
	flush_dirty(h);
	core_unregister(d, h);
	uv_prepare_stop(h->flush);
	uv_close((uv_handle_t *)h->flush, flush_closed);
	h->flush = NULL; /* freed when closed */
	/* probes go with the engine */
	xlb_hc_close(h->hc);
	if (h->probe) {
		for (i = 0; i < h->n_probe_ifaces; i++)
			xlb_probe_detach(h->probe, h->probe_ifindex[i]);
		xlb_probe_close(h->probe);
	}
	health_free(h);
	d->health = NULL;
}

/* The tc program that encapsulates via_vip checks, on every interface. */
static int ensure_probe_prog(struct xlbd *d)
{
	struct health *h = d->health;
	size_t i, j;
	bool have;
	int err;

	if (d->opts.no_attach)
		return -EOPNOTSUPP;
	if (!h->probe) {
		err = xlb_probe_open_dp(d->dp, &h->probe);
		if (err) {
			pr_err("health checks via the VIP: load probe "
			       "program: %s",
			       strerror(-err));
			return err;
		}
	}
	for (i = 0; i < d->n_ifaces; i++) {
		if (!d->ifaces[i].ifindex)
			continue;
		have = false;
		for (j = 0; j < h->n_probe_ifaces; j++)
			have |= h->probe_ifindex[j] == d->ifaces[i].ifindex;
		if (have || h->n_probe_ifaces >= XLB_PROBE_MAX_IFACES)
			continue;
		err = xlb_probe_attach(h->probe, d->ifaces[i].ifindex);
		if (err) {
			pr_err("interface %s: attach probe program: %s",
			       d->ifaces[i].cfg.name, strerror(-err));
			return err;
		}
		h->probe_ifindex[h->n_probe_ifaces++] = d->ifaces[i].ifindex;
	}
	return 0;
}

static const struct xlb_hc_cfg *be_check(const struct xlbd *d,
					 const struct be_rt *b)
{
	const char *name = b->cfg.health_check[0] ? b->cfg.health_check :
						    b->vip->cfg.health_check;
	const struct xlb_hc_cfg *hc;

	if (!name[0])
		return NULL;
	hc = xlb_cfg_find_check(d->cfg, name);
	return hc && hc->type != XLB_HC_NONE ? hc : NULL;
}

static void hc_attach(void *ctx, struct be_rt *b)
{
	struct health *h = ctx;
	struct xlbd *d = h->d;
	const struct xlb_hc_cfg *cfg = be_check(d, b);
	struct hc_be *s = slot(h, b);
	struct xlb_hc_target t = {};
	char err[256], as[XLB_ADDR_STRLEN];
	int r;

	if (!s)
		return;
	if (!cfg) {
		/* no check: the backend is healthy */
		hc_detach(h, b);
		b->health_up = true;
		b->health_pending = false;
		return;
	}
	if (cfg->via_vip && ensure_probe_prog(d))
		goto failed_nolog;
	if (s->probe) {
		r = xlb_hc_probe_update(s->probe, cfg, err, sizeof(err));
		if (r)
			pr_err("vip %s: backend %s: check %s: %s", b->vip->name,
			       xlb_addr_str(&b->cfg.addr, as), cfg->name, err);
		return;
	}
	t.backend = b->cfg.addr;
	t.vip = b->vip->cfg.addr;
	t.port = cfg->port ? cfg->port : b->vip->cfg.port;
	t.backend_id = b->id;
	snprintf(t.name, sizeof(t.name), "vip %s: backend %s", b->vip->name,
		 xlb_addr_str(&b->cfg.addr, as));
	s->h = h;
	s->b = b;
	r = xlb_hc_probe_add(h->hc, cfg, &t,
			     b->health_up ? XLB_HC_UP : XLB_HC_DOWN, s,
			     &s->probe, err, sizeof(err));
	if (!r)
		return;
	pr_err("%s: check %s: %s", t.name, cfg->name, err);
failed_nolog:
	/* a check that cannot run cannot vouch for the backend */
	s->probe = NULL;
	b->health_up = false;
	b->health_pending = false;
}

static void hc_detach(void *ctx, struct be_rt *b)
{
	struct hc_be *s = slot(ctx, b);

	if (!s || !s->probe)
		return;
	xlb_hc_probe_del(s->probe);
	s->probe = NULL;
}

/* @b's probe, NULL if it has none */
static struct xlb_hc_probe *probe_of(const struct xlbd *d,
				     const struct be_rt *b)
{
	const struct hc_be *s = slot(d->health, b);

	return s && s->b == b ? s->probe : NULL;
}

bool hc_probe_status(const struct xlbd *d, const struct be_rt *b,
		     struct xlb_hc_status *st, struct hc_lat *lat)
{
	struct xlb_hc_probe *p = probe_of(d, b);

	if (!p)
		return false;
	xlb_hc_probe_status(p, st);
	*lat = slot(d->health, b)->lat;
	return true;
}

bool hc_engine_stats(struct xlbd *d, struct xlb_hc_stats *st)
{
	if (!d->health)
		return false;
	xlb_hc_stats(d->health->hc, st);
	return true;
}

json_t *hc_status(struct xlbd *d, const struct be_rt *b)
{
	struct xlb_hc_status st;
	const struct xlb_hc_cfg *cfg = be_check(d, b);
	struct xlb_hc_probe *p = probe_of(d, b);
	__u64 now = wall_ms();
	json_t *o;

	if (!p)
		return json_pack("{s:s,s:s}", "state",
				 b->health_up ? "up" : "down", "check",
				 cfg ? cfg->name : "none");
	xlb_hc_probe_status(p, &st);
	o = json_pack("{s:s,s:s,s:b,s:I,s:I,s:I}", "state",
		      xlb_hc_state_str(st.state), "check",
		      cfg ? cfg->name : "?", "pending", st.pending, "checks_ok",
		      (json_int_t)st.n_ok, "checks_failed",
		      (json_int_t)st.n_fail, "transitions",
		      (json_int_t)st.n_transitions);
	if (st.checked) {
		json_object_set_new(o, "last_result",
				    json_string(st.last_ok ? "ok" : "failed"));
		json_object_set_new(o, "last_error",
				    json_string(st.last_error));
		json_object_set_new(o, "latency_ms",
				    json_real(st.last_latency_us / 1000.0));
	}
	if (st.last_change_ms) {
		json_object_set_new(
			o, "since_s",
			json_real((now - st.last_change_ms) / 1000.0));
		json_object_set_new(o, "last_change",
				    json_string(st.last_change_reason));
	}
	return o;
}
