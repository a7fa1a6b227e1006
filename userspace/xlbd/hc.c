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

struct health {
	struct xlb_hc *hc;
	uv_prepare_t *flush; /* syncs the VIPs marked hc_dirty */
	bool flush_on;
	struct xlb_probe *probe;
	int probe_ifindex[XLB_PROBE_MAX_IFACES];
	size_t n_probe_ifaces;
};

/* the engine calls back with the backend; the daemon is this one */
static struct xlbd *hc_daemon;

static __u64 wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (__u64)tv.tv_sec * 1000 + (__u64)tv.tv_usec / 1000;
}

/* Sync every VIP whose backends changed health since the last call. */
static void flush_dirty(struct xlbd *d)
{
	bool any = false;
	size_t i;

	for (i = 0; i < d->n_vips; i++) {
		if (!d->vips[i]->hc_dirty)
			continue;
		d->vips[i]->hc_dirty = false;
		core_sync_vip(d, d->vips[i]);
		any = true;
	}
	if (any)
		core_update_servable(d);
}

static void flush_cb(uv_prepare_t *h)
{
	struct xlbd *d = h->data;

	uv_prepare_stop(h);
	d->health->flush_on = false;
	flush_dirty(d);
}

static void flush_closed(uv_handle_t *h)
{
	free(h);
}

static void on_change(struct xlb_hc_probe *p, const struct xlb_hc_change *c,
		      void *user)
{
	struct xlbd *d = hc_daemon;
	struct be_rt *b = user;

	/* the engine has logged the change with its reason, under the
	 * probe's name ("vip V: backend B") */
	(void)p;
	b->health_up = c->to == XLB_HC_UP;
	if (c->first)
		b->health_pending = false;
	if (c->from != c->to)
		hooks_event(d, b->health_up ? "backend_up" : "backend_down",
			    b->vip, b, c->reason);
	b->vip->hc_dirty = true;
	if (!d->health->flush_on) {
		uv_prepare_start(d->health->flush, flush_cb);
		d->health->flush_on = true;
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
	struct hc_lat *l = &((struct be_rt *)user)->lat;
	unsigned int i = 0;

	(void)p;
	while (i < HC_LAT_BUCKETS && r->latency_us > hc_lat_bounds_us[i])
		i++;
	l->bucket[i]++;
	l->count++;
	l->sum_us += r->latency_us;
}

int hc_start(struct xlbd *d, const struct xlb_cfg *cfg)
{
	struct xlb_hc_opts o = { .on_change = on_change,
				 .on_result = on_result };
	struct health *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	/* via_vip checks leave from the LB source addresses */
	o.src4 = cfg->src4;
	o.src6 = cfg->src6;
	h->flush = calloc(1, sizeof(*h->flush));
	if (!h->flush) {
		free(h);
		return -ENOMEM;
	}
	err = xlb_hc_new(d->loop, &o, &h->hc);
	if (err) {
		pr_err("health checks: %s", strerror(-err));
		free(h->flush);
		free(h);
		return err;
	}
	uv_prepare_init(d->loop, h->flush);
	h->flush->data = d;
	hc_daemon = d;
	d->health = h;
	return 0;
}

void hc_stop(struct xlbd *d)
{
	struct health *h = d->health;
	size_t i, j;

	if (!h)
		return;
	/* changes already seen are applied, not lost */
	flush_dirty(d);
	uv_prepare_stop(h->flush);
	uv_close((uv_handle_t *)h->flush, flush_closed);
	/* probes go with the engine; forget the pointers */
	for (i = 0; i < d->n_vips; i++)
		for (j = 0; j < d->vips[i]->n_bes; j++)
			d->vips[i]->bes[j]->probe = NULL;
	xlb_hc_close(h->hc);
	if (h->probe) {
		for (i = 0; i < h->n_probe_ifaces; i++)
			xlb_probe_detach(h->probe, h->probe_ifindex[i]);
		xlb_probe_close(h->probe);
	}
	free(h);
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

static const struct xlb_hc_cfg *be_check(struct xlbd *d, const struct be_rt *b)
{
	const char *name = b->cfg.health_check[0] ? b->cfg.health_check :
						    b->vip->cfg.health_check;
	const struct xlb_hc_cfg *hc;

	if (!name[0])
		return NULL;
	hc = xlb_cfg_find_check(d->cfg, name);
	return hc && hc->type != XLB_HC_NONE ? hc : NULL;
}

void hc_attach(struct xlbd *d, struct be_rt *b)
{
	const struct xlb_hc_cfg *cfg = be_check(d, b);
	struct xlb_hc_target t = {};
	char err[256], as[XLB_ADDR_STRLEN];
	int r;

	if (!d->health)
		return;
	if (!cfg) {
		/* no check: the backend is healthy */
		if (b->probe)
			hc_detach(d, b);
		b->health_up = true;
		b->health_pending = false;
		return;
	}
	if (cfg->via_vip && ensure_probe_prog(d))
		goto failed_nolog;
	if (b->probe) {
		r = xlb_hc_probe_update(b->probe, cfg, err, sizeof(err));
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
	r = xlb_hc_probe_add(
		d->health->hc, cfg, &t, b->health_up ? XLB_HC_UP : XLB_HC_DOWN,
		b, (struct xlb_hc_probe **)&b->probe, err, sizeof(err));
	if (!r)
		return;
	pr_err("%s: check %s: %s", t.name, cfg->name, err);
failed_nolog:
	/* a check that cannot run cannot vouch for the backend */
	b->probe = NULL;
	b->health_up = false;
	b->health_pending = false;
}

void hc_detach(struct xlbd *d, struct be_rt *b)
{
	(void)d;
	if (!b->probe)
		return;
	xlb_hc_probe_del(b->probe);
	b->probe = NULL;
}

bool hc_probe_status(const struct be_rt *b, struct xlb_hc_status *st)
{
	if (!b->probe)
		return false;
	xlb_hc_probe_status(b->probe, st);
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
	__u64 now = wall_ms();
	json_t *o;

	if (!b->probe)
		return json_pack("{s:s,s:s}", "state",
				 b->health_up ? "up" : "down", "check",
				 cfg ? cfg->name : "none");
	xlb_hc_probe_status(b->probe, &st);
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
