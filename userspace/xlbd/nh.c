// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: next hops of backends, kept current
 *
 * Every backend gets its egress interface and next-hop MAC when it is
 * created. Netlink notifications (links, neighbours, routes) trigger a
 * re-resolution of all backends after a short debounce; a periodic timer
 * retries unresolved ones and makes the kernel probe them. A change is
 * written to the data path at once (core_sync_vip()), and every change of
 * a backend's next-hop state is logged once. The core tells this module of
 * new backends through struct core_module (be_new).
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "xlbd.h"

#define NH_DEBOUNCE_MS 20
#define NH_RETRY_MS    1000

static bool nh_same(const struct xlb_nh_result *a,
		    const struct xlb_nh_result *b)
{
	return a->state == b->state && a->ifindex == b->ifindex &&
	       !memcmp(a->mac, b->mac, 6) && !memcmp(a->src_mac, b->src_mac, 6);
}

void nh_resolve_be(struct xlbd *d, struct be_rt *b)
{
	char as[XLB_ADDR_STRLEN], gs[XLB_ADDR_STRLEN], ms[18];
	struct xlb_nh_result r;
	int err;

	if (!d->nh)
		return;
	err = xlb_nh_resolve(d->nh, &b->cfg.addr, &r);
	if (err) {
		pr_warn("vip %s: backend %s: next hop: %s", b->vip->name,
			xlb_addr_str(&b->cfg.addr, as), strerror(-err));
		return;
	}
	if (b->vip->cfg.fwd == XLB_FWD_L2 && r.state == XLB_NH_OK &&
	    !xlb_addr_eq(&r.gw, &b->cfg.addr))
		r.state = XLB_NH_NO_ROUTE; /* L2 mode needs it on-link */
	if (r.state == XLB_NH_INCOMPLETE)
		xlb_nh_probe(d->nh, &r);
	if ((int)r.state != b->nh_logged || !nh_same(&r, &b->nh)) {
		if (r.state == XLB_NH_OK)
			pr_info("vip %s: backend %s: next hop %s (%s) on %s",
				b->vip->name, xlb_addr_str(&b->cfg.addr, as),
				xlb_addr_str(&r.gw, gs), xlb_mac_str(r.mac, ms),
				r.ifname);
		else if (r.state == XLB_NH_INCOMPLETE)
			/* the normal first step after a start: not a
			 * problem until the probe fails */
			pr_info("vip %s: backend %s: next hop %s%s%s: %s "
				"(probing)",
				b->vip->name, xlb_addr_str(&b->cfg.addr, as),
				r.gw.family ? xlb_addr_str(&r.gw, gs) : "-",
				r.ifname[0] ? " on " : "", r.ifname,
				xlb_nh_state_str(r.state));
		else
			pr_warn("vip %s: backend %s: next hop %s%s%s: %s",
				b->vip->name, xlb_addr_str(&b->cfg.addr, as),
				r.gw.family ? xlb_addr_str(&r.gw, gs) : "-",
				r.ifname[0] ? " on " : "", r.ifname,
				xlb_nh_state_str(r.state));
		b->nh_logged = (int)r.state;
	}
	b->nh = r;
}

static void resync(struct xlbd *d, bool only_unresolved)
{
	bool any = false;
	size_t i, j;

	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];
		bool dirty = false;

		for (j = 0; j < v->n_bes; j++) {
			struct be_rt *b = v->bes[j];
			struct xlb_nh_result old = b->nh;

			if (only_unresolved && b->nh.state == XLB_NH_OK)
				continue;
			nh_resolve_be(d, b);
			dirty |= !nh_same(&old, &b->nh);
		}
		if (dirty)
			core_sync_vip(d, v);
		any |= dirty;
	}
	/* a backend in or out of the ring can change what is announced */
	if (any)
		core_update_servable(d);
}

void nh_resync_all(struct xlbd *d)
{
	resync(d, false);
}

static void on_debounce(uv_timer_t *t)
{
	struct xlbd *d = t->data;

	resync(d, false);
}

static void on_retry(uv_timer_t *t)
{
	struct xlbd *d = t->data;

	resync(d, true);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct xlbd *d = p->data;

	(void)events;
	if (status < 0)
		return;
	if (xlb_nh_process(d->nh) > 0)
		uv_timer_start(&d->nh_timer, on_debounce, NH_DEBOUNCE_MS, 0);
}

static void be_new(void *ctx, struct be_rt *b)
{
	nh_resolve_be(ctx, b);
}

int nh_start(struct xlbd *d)
{
	struct core_module m = { .be_new = be_new, .ctx = d };
	int fds[2], i, err;

	err = xlb_nh_open(&d->nh);
	if (err)
		return err;
	err = core_register(d, &m);
	if (err)
		return err;
	xlb_nh_fds(d->nh, fds);
	for (i = 0; i < 2; i++) {
		uv_poll_init(d->loop, &d->nh_poll[i], fds[i]);
		d->nh_poll[i].data = d;
		uv_poll_start(&d->nh_poll[i], UV_READABLE, on_readable);
	}
	uv_timer_init(d->loop, &d->nh_timer);
	d->nh_timer.data = d;
	uv_timer_init(d->loop, &d->nh_retry);
	d->nh_retry.data = d;
	uv_timer_start(&d->nh_retry, on_retry, NH_RETRY_MS, NH_RETRY_MS);
	d->nh_started = true;
	return 0;
}

void nh_stop(struct xlbd *d)
{
	int i;

	if (!d->nh_started)
		return;
	for (i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&d->nh_poll[i], NULL);
	uv_close((uv_handle_t *)&d->nh_timer, NULL);
	uv_close((uv_handle_t *)&d->nh_retry, NULL);
	d->nh_started = false;
}

void nh_close(struct xlbd *d)
{
	xlb_nh_close(d->nh);
	d->nh = NULL;
}
