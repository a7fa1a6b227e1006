// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: applying configuration to the data path
 *
 * The configuration says what should be; the runtime tables say what the
 * maps hold. core_apply() computes the difference and writes only that, so
 * a VIP or backend that did not change keeps its id, its generation and
 * therefore every flow in the connection table.
 *
 * Ordering inside one VIP (core_sync_vip()): backends that become more
 * usable are written first, then the new ring is published (written to the
 * inactive copy and the VIP entry flipped), then backends that become less
 * usable are written. A packet therefore never finds a ring slot pointing
 * at a backend the data path would refuse.
 *
 * Capacity is checked before anything is written. If a write still fails,
 * the previous configuration is applied again, so nothing is left
 * half-applied. A runtime change or a reload is recorded in the state file
 * only once the data path took it.
 *
 * The core reaches the data path only through d->dp_ops (core.h), and
 * tells the modules (next hops, checks, BGP) of changes only through the
 * struct core_module hooks they registered: tests/unit/test_core.c drives
 * it with a fake data path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "log.h"
#include "maglev.h"
#include "state.h"
#include "xlbd.h"

__u64 xlbd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static const struct xlb_dp_sizes *sizes(const struct xlbd *d)
{
	return d->dp_ops->sizes(d->dp_ctx);
}

/* --- the modules (core.h struct core_module) ----------------------------- */

int core_register(struct xlbd *d, const struct core_module *m)
{
	if (d->n_mods >= CORE_MODULES_MAX)
		return -ENOSPC;
	d->mods[d->n_mods++] = *m;
	return 0;
}

void core_unregister(struct xlbd *d, const void *ctx)
{
	size_t i;

	for (i = 0; i < d->n_mods;) {
		if (d->mods[i].ctx != ctx) {
			i++;
			continue;
		}
		memmove(&d->mods[i], &d->mods[i + 1],
			(d->n_mods - i - 1) * sizeof(d->mods[0]));
		d->n_mods--;
	}
}

enum be_event { BE_NEW, BE_APPLIED, BE_FORGET };

/* tell the modules, in the order they registered, of @ev on @b */
static void tell_be(struct xlbd *d, enum be_event ev, struct be_rt *b)
{
	size_t i;

	for (i = 0; i < d->n_mods; i++) {
		const struct core_module *m = &d->mods[i];
		void (*fn)(void *ctx, struct be_rt *b) =
			ev == BE_NEW	 ? m->be_new :
			ev == BE_APPLIED ? m->be_applied :
					   m->be_forget;

		if (fn)
			fn(m->ctx, b);
	}
}

/* tell the modules @v is about to be written; the first error stops it */
static int tell_vip_sync(struct xlbd *d, struct vip_rt *v)
{
	size_t i;
	int err;

	for (i = 0; i < d->n_mods; i++) {
		if (!d->mods[i].vip_sync)
			continue;
		err = d->mods[i].vip_sync(d->mods[i].ctx, v);
		if (err)
			return err;
	}
	return 0;
}

static void tell_servable(struct xlbd *d)
{
	size_t i;

	for (i = 0; i < d->n_mods; i++)
		if (d->mods[i].servable)
			d->mods[i].servable(d->mods[i].ctx);
}

const char *be_state_str(__u8 s)
{
	switch (s) {
	case XLB_BE_UP:
		return "up";
	case XLB_BE_DRAINING:
		return "draining";
	default:
		return "removed";
	}
}

static int state_rank(__u8 s)
{
	return s == XLB_BE_UP ? 2 : s == XLB_BE_DRAINING ? 1 : 0;
}

int core_init(struct xlbd *d)
{
	const struct xlb_dp_sizes *sz = sizes(d);

	d->vip_used = calloc(sz->max_vips, 1);
	d->be_used = calloc(sz->max_backends, 1);
	d->ring_buf = calloc(sz->ring_max, sizeof(__u32));
	d->ring_cur = calloc(sz->ring_max, sizeof(__u32));
	if (!d->vip_used || !d->be_used || !d->ring_buf || !d->ring_cur)
		return -ENOMEM;
	return 0;
}

static void be_free(struct be_rt *b)
{
	free(b);
}

static void vip_free(struct vip_rt *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n_bes; i++)
		be_free(v->bes[i]);
	free(v->bes);
	free(v);
}

void core_free(struct xlbd *d)
{
	size_t i;

	for (i = 0; i < d->n_vips; i++)
		vip_free(d->vips[i]);
	free(d->vips);
	d->vips = NULL;
	d->n_vips = 0;
	free(d->vip_used);
	free(d->be_used);
	free(d->ring_buf);
	free(d->ring_cur);
	d->vip_used = d->be_used = NULL;
	d->ring_buf = d->ring_cur = NULL;
}

struct vip_rt *core_find_vip(struct xlbd *d, const struct xlb_addr *a,
			     __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];

		if (v->cfg.port == port && v->cfg.proto == proto &&
		    xlb_addr_eq(&v->cfg.addr, a))
			return v;
	}
	return NULL;
}

struct be_rt *core_find_be(struct vip_rt *v, const struct xlb_addr *a)
{
	size_t i;

	for (i = 0; i < v->n_bes; i++)
		if (xlb_addr_eq(&v->bes[i]->cfg.addr, a))
			return v->bes[i];
	return NULL;
}

static void vip_set_name(struct vip_rt *v)
{
	xlb_vip_str(&v->cfg.addr, v->cfg.port, v->cfg.proto, v->name,
		    sizeof(v->name));
}

/* --- ids ----------------------------------------------------------------- */

static int alloc_vip_id(struct xlbd *d, __u32 *id)
{
	__u32 i, n = sizes(d)->max_vips;

	for (i = 0; i < n; i++) {
		if (!d->vip_used[i]) {
			d->vip_used[i] = 1;
			*id = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* A reused id gets the next generation, so stale flows never stick to it. */
static int alloc_be_id(struct xlbd *d, __u32 *id, __u32 *gen)
{
	__u32 i, n = sizes(d)->max_backends;
	struct xlb_backend e;

	for (i = 0; i < n; i++) {
		if (d->be_used[i])
			continue;
		if (d->dp_ops->backend_get(d->dp_ctx, i, &e))
			memset(&e, 0, sizeof(e));
		d->be_used[i] = 1;
		*id = i;
		*gen = e.gen + 1 ? e.gen + 1 : 1;
		return 0;
	}
	return -ENOSPC;
}

static size_t free_count(const __u8 *used, size_t n)
{
	size_t i, f = 0;

	for (i = 0; i < n; i++)
		f += !used[i];
	return f;
}

/* --- backends ------------------------------------------------------------ */

static bool be_has_check(const struct xlbd *d, const struct be_rt *b)
{
	const char *name = b->cfg.health_check[0] ? b->cfg.health_check :
						    b->vip->cfg.health_check;
	const struct xlb_hc_cfg *hc;

	if (!name[0])
		return false;
	hc = xlb_cfg_find_check(d->cfg, name);
	return hc && hc->type != XLB_HC_NONE;
}

/* What the data path should see for a backend (see maps/xlb_maps.h). A
 * backend without a resolved next hop is out: the program would drop its
 * packets (drop_no_nexthop), so it must not hold ring slots or count as
 * healthy for the VIP's announcement. */
static __u8 be_want_state(const struct be_rt *b)
{
	if (b->cfg.state == XLB_ADMIN_DOWN || !b->health_up ||
	    b->nh.state != XLB_NH_OK)
		return XLB_BE_REMOVED;
	if (b->cfg.state == XLB_ADMIN_DRAIN || !b->cfg.weight)
		return XLB_BE_DRAINING;
	return XLB_BE_UP;
}

static int be_write(struct xlbd *d, struct be_rt *b, __u8 state)
{
	struct xlb_backend e = {};
	int err;

	memcpy(e.addr, b->cfg.addr.a, sizeof(e.addr));
	e.family = b->cfg.addr.family;
	e.vip_id = b->vip->id;
	e.gen = b->gen;
	e.state = state;
	if (b->vip->cfg.fwd == XLB_FWD_GUE) {
		e.gue_port = htons(b->vip->cfg.gue_port);
		e.flags |= XLB_BE_F_GUE; /* via_vip probes in GUE too */
	}
	if (b->nh.state == XLB_NH_OK) {
		e.flags |= XLB_BE_F_NH_VALID;
		e.ifindex = b->nh.ifindex;
		memcpy(e.nh_mac, b->nh.mac, 6);
		memcpy(e.src_mac, b->nh.src_mac, 6);
	}
	err = d->dp_ops->backend_set(d->dp_ctx, b->id, &e);
	if (err) {
		pr_err("vip %s: backend %s: write: %s", b->vip->name,
		       xlb_addr_str(&b->cfg.addr, (char[XLB_ADDR_STRLEN]){ 0 }),
		       strerror(-err));
		return err;
	}
	if (b->dp_state != state)
		pr_debug("vip %s: backend id %u -> %s", b->vip->name, b->id,
			 be_state_str(state));
	b->dp_state = state;
	return 0;
}

const char *core_be_out_reason(const struct be_rt *b)
{
	if (b->cfg.state == XLB_ADMIN_DOWN)
		return "admin down";
	if (b->health_pending)
		return "health check pending";
	if (!b->health_up)
		return "health check down";
	if (b->nh.state != XLB_NH_OK)
		return b->nh.state == XLB_NH_NO_ROUTE ?
			       "no next hop: no route" :
		       b->nh.state == XLB_NH_INCOMPLETE ?
			       "no next hop: neighbour "
			       "unresolved" :
			       "no next hop: no link-layer "
			       "address";
	if (b->cfg.state == XLB_ADMIN_DRAIN)
		return "draining";
	if (!b->cfg.weight)
		return "weight 0";
	return NULL;
}

size_t core_healthy(const struct vip_rt *v)
{
	size_t i, n = 0;

	for (i = 0; i < v->n_bes; i++)
		n += v->bes[i]->dp_state == XLB_BE_UP;
	return n;
}

static int ring_build(struct xlbd *d, struct vip_rt *v, __u32 *ring)
{
	struct xlb_mg_backend *mg;
	size_t i;
	int err;

	mg = calloc(v->n_bes ? v->n_bes : 1, sizeof(*mg));
	if (!mg)
		return -ENOMEM;
	for (i = 0; i < v->n_bes; i++) {
		struct be_rt *b = v->bes[i];

		mg[i].addr = b->cfg.addr;
		mg[i].weight = b->cfg.weight;
		mg[i].usable = be_want_state(b) == XLB_BE_UP;
		mg[i].id = b->id;
	}
	err = xlb_maglev_build(mg, v->n_bes, v->cfg.ring_size, ring);
	free(mg);
	(void)d;
	return err;
}

int core_sync_vip(struct xlbd *d, struct vip_rt *v)
{
	struct xlb_vip want = v->dpv;
	bool publish;
	size_t i;
	int err;

	/* 1. backends that gain usability (and unchanged ones: cheap, and
	 * it carries next-hop updates) */
	for (i = 0; i < v->n_bes; i++) {
		struct be_rt *b = v->bes[i];
		__u8 s = be_want_state(b);

		if (state_rank(s) >= state_rank(b->dp_state)) {
			err = be_write(d, b, s);
			if (err)
				return err;
		}
	}

	/* 2. the ring, if it or the VIP entry changed */
	err = ring_build(d, v, d->ring_buf);
	if (err) {
		pr_err("vip %s: ring: %s", v->name, strerror(-err));
		return err;
	}
	want.fwd = v->cfg.fwd;
	want.flags = v->cfg.flags | (v->cfg.quic_id_len ? XLB_VIP_F_QUIC : 0);
	want.id = v->id;
	err = tell_vip_sync(d, v); /* before the flags that read it */
	if (err)
		return err;
	publish = want.ring_size != v->cfg.ring_size ||
		  want.fwd != v->dpv.fwd || want.flags != v->dpv.flags;
	if (!publish) {
		err = d->dp_ops->ring_read(d->dp_ctx, v->id, v->dpv.active,
					   d->ring_cur, v->cfg.ring_size);
		publish = err || memcmp(d->ring_cur, d->ring_buf,
					v->cfg.ring_size * sizeof(__u32));
	}
	if (publish) {
		err = d->dp_ops->ring_publish(d->dp_ctx, &v->cfg.addr,
					      v->cfg.port, v->cfg.proto, &want,
					      d->ring_buf, v->cfg.ring_size);
		if (err) {
			pr_err("vip %s: publish ring: %s", v->name,
			       strerror(-err));
			return err;
		}
		v->dpv = want;
	}

	/* 3. backends that lose usability */
	for (i = 0; i < v->n_bes; i++) {
		struct be_rt *b = v->bes[i];
		__u8 s = be_want_state(b);

		if (state_rank(s) < state_rank(b->dp_state)) {
			err = be_write(d, b, s);
			if (err)
				return err;
		}
	}
	return 0;
}

void core_update_servable(struct xlbd *d)
{
	size_t i, j;

	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];
		bool pending = false, s;

		for (j = 0; j < v->n_bes; j++)
			pending |= v->bes[j]->health_pending;
		s = d->dp_attached && d->dp_ok && !pending &&
		    core_healthy(v) >= v->cfg.min_healthy;
		if (s != v->servable && !s && !(d->dp_attached && d->dp_ok))
			pr_warn("vip %s: not servable: %s", v->name,
				!d->dp_attached ? "the data path is not "
						  "attached to every "
						  "configured interface" :
						  d->dp_err);
		else if (s != v->servable)
			pr_info("vip %s: %s (%zu of %zu backends usable, "
				"%u needed)",
				v->name, s ? "servable" : "not servable",
				core_healthy(v), v->n_bes, v->cfg.min_healthy);
		v->servable = s;
	}
	tell_servable(d);
}

void core_dp_verify(struct xlbd *d)
{
	char err[512] = "";
	bool was = d->dp_ok, attached = false;
	int r;

	r = d->dp_ops->verify(d->dp_ctx, &attached, err, sizeof(err));
	d->dp_attached = attached;
	d->dp_ok = !r;
	if (r && (was || strcmp(err, d->dp_err)))
		pr_err("data path: %s; every VIP is withdrawn until this is "
		       "fixed",
		       err);
	else if (!r && !was)
		pr_info("data path: healthy again (program and pins use "
			"xlbd's maps)");
	snprintf(d->dp_err, sizeof(d->dp_err), "%s", r ? err : "");
	if (was != d->dp_ok || r)
		core_update_servable(d);
}

static struct be_rt *be_new(struct xlbd *d, struct vip_rt *v,
			    const struct xlb_backend_cfg *c)
{
	struct be_rt *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->cfg = *c;
	b->vip = v;
	if (alloc_be_id(d, &b->id, &b->gen)) {
		free(b);
		return NULL;
	}
	d->dp_ops->stats_backend_clear(d->dp_ctx, b->id);
	b->dp_state = XLB_BE_REMOVED;
	/* Without a check a backend is up; with one it waits for it. */
	b->health_up = !be_has_check(d, b);
	b->health_pending = !b->health_up;
	return b;
}

static void be_release(struct xlbd *d, struct be_rt *b)
{
	if (b->dp_state != XLB_BE_REMOVED)
		be_write(d, b, XLB_BE_REMOVED);
	tell_be(d, BE_FORGET, b);
	d->be_used[b->id] = 0;
	be_free(b);
}

static int vip_add_be(struct vip_rt *v, struct be_rt *b)
{
	struct be_rt **n =
		realloc(v->bes, (v->n_bes + 1) * sizeof(struct be_rt *));

	if (!n)
		return -ENOMEM;
	v->bes = n;
	v->bes[v->n_bes++] = b;
	return 0;
}

/* --- VIPs ---------------------------------------------------------------- */

static void vip_remove(struct xlbd *d, struct vip_rt *v)
{
	size_t i;
	int err;

	err = d->dp_ops->vip_del(d->dp_ctx, &v->cfg.addr, v->cfg.port,
				 v->cfg.proto);
	if (err && err != -ENOENT)
		pr_warn("vip %s: delete: %s", v->name, strerror(-err));
	for (i = 0; i < v->n_bes; i++)
		be_release(d, v->bes[i]);
	v->n_bes = 0;
	for (i = 0; i < d->n_mods; i++)
		if (d->mods[i].vip_gone)
			d->mods[i].vip_gone(d->mods[i].ctx, v);
	d->vip_used[v->id] = 0;
	pr_info("vip %s: removed", v->name);
	vip_free(v);
}

static int set_markers(struct xlbd *d, const struct xlb_cfg *old)
{
	size_t i, j;
	int err;

	/* one marker per VIP address, naming the first VIP there; it also
	 * says what becomes of traffic no VIP there serves (validation made
	 * every VIP of the address agree on "unserved") */
	for (i = 0; i < d->n_vips; i++) {
		const struct vip_rt *frag = NULL;
		bool first = true;
		__u16 flags;

		for (j = 0; j < i; j++)
			if (xlb_addr_eq(&d->vips[j]->cfg.addr,
					&d->vips[i]->cfg.addr))
				first = false;
		if (!first)
			continue;
		/* fragments: balance: the marker names that VIP instead
		 * (validation allows one per address) */
		for (j = i; j < d->n_vips && !frag; j++)
			if (xlb_addr_eq(&d->vips[j]->cfg.addr,
					&d->vips[i]->cfg.addr) &&
			    (d->vips[j]->cfg.flags & XLB_VIP_F_FRAG_BALANCE))
				frag = d->vips[j];
		flags = d->vips[i]->cfg.flags & XLB_VIP_F_UNSERVED_PASS;
		if (frag)
			err = d->dp_ops->marker_set(
				d->dp_ctx, &frag->cfg.addr, frag->id, flags,
				true, frag->cfg.proto, frag->cfg.port);
		else
			err = d->dp_ops->marker_set(
				d->dp_ctx, &d->vips[i]->cfg.addr,
				d->vips[i]->id, flags, false, 0, 0);
		if (err)
			return err;
	}
	/* markers of addresses that are gone */
	for (i = 0; old && i < old->n_vips; i++) {
		bool still = false;

		for (j = 0; j < d->n_vips; j++)
			if (xlb_addr_eq(&d->vips[j]->cfg.addr,
					&old->vips[i].addr))
				still = true;
		if (!still)
			d->dp_ops->marker_del(d->dp_ctx, &old->vips[i].addr);
	}
	return 0;
}

static int set_global(struct xlbd *d, const struct xlb_cfg *c)
{
	struct xlb_config g = {};
	int err;

	err = d->dp_ops->config_get(d->dp_ctx, &g);
	if (err)
		return err;
	g.flags &= ~(XLB_CFG_F_SRC4_VALID | XLB_CFG_F_SRC6_VALID);
	g.src4 = 0;
	memset(g.src6, 0, sizeof(g.src6));
	if (c->src4.family == XLB_AF_INET) {
		g.src4 = c->src4.a[0];
		g.flags |= XLB_CFG_F_SRC4_VALID;
	}
	if (c->src6.family == XLB_AF_INET6) {
		memcpy(g.src6, c->src6.a, 16);
		g.flags |= XLB_CFG_F_SRC6_VALID;
	}
	g.hash_seed = c->hash_seed;
	/* applies to the rings published from here on (bpf/chance.h) */
	if (d->dp_ops->second_chance_set)
		d->dp_ops->second_chance_set(d->dp_ctx, c->second_chance);
	return d->dp_ops->config_set(d->dp_ctx, &g);
}

/* Does @c fit the data path as it was loaded? */
static int check_capacity(struct xlbd *d, const struct xlb_cfg *c, char *err,
			  size_t errlen)
{
	const struct xlb_dp_sizes *sz = sizes(d);
	size_t i, j, new_vips = 0, new_bes = 0, gone_vips = 0, gone_bes = 0;
	char name[80];

	for (i = 0; i < c->n_vips; i++) {
		const struct xlb_vip_cfg *vc = &c->vips[i];
		struct vip_rt *v =
			core_find_vip(d, &vc->addr, vc->port, vc->proto);

		if (vc->ring_size > sz->ring_max) {
			snprintf(err, errlen,
				 "vip %s: ring_size %u exceeds the loaded "
				 "data path's ring_max %u (to resize: "
				 "'xlbctl dp detach', then start xlbd "
				 "again; every flow is lost)",
				 xlb_vip_str(&vc->addr, vc->port, vc->proto,
					     name, sizeof(name)),
				 vc->ring_size, sz->ring_max);
			return -E2BIG;
		}
		if (!v) {
			new_vips++;
			new_bes += vc->n_backends;
			continue;
		}
		for (j = 0; j < vc->n_backends; j++)
			new_bes += !core_find_be(v, &vc->backends[j].addr);
	}
	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];
		const struct xlb_vip_cfg *vc = xlb_cfg_find_vip(
			c, &v->cfg.addr, v->cfg.port, v->cfg.proto);

		if (!vc) {
			gone_vips++;
			gone_bes += v->n_bes;
			continue;
		}
		for (j = 0; j < v->n_bes; j++)
			gone_bes +=
				!xlb_vip_find_backend(vc, &v->bes[j]->cfg.addr);
	}
	/* the VIP hash maps of the loaded data path (whose size may differ
	 * from the configuration's when they were re-adopted) hold one entry
	 * per VIP and one marker per VIP address, per family */
	for (i = 0; i < 2; i++) {
		int f = i ? XLB_AF_INET6 : XLB_AF_INET;
		size_t used = 0, k;

		for (j = 0; j < c->n_vips; j++) {
			bool first = true;

			if (c->vips[j].addr.family != f)
				continue;
			for (k = 0; k < j && first; k++)
				first = !xlb_addr_eq(&c->vips[k].addr,
						     &c->vips[j].addr);
			used += 1 + first;
		}
		if (used > sz->max_vips) {
			snprintf(err, errlen,
				 "%s vip table full: %zu entries needed, the "
				 "loaded data path holds %u (max_vips: one "
				 "entry per VIP and one per VIP address)",
				 f == XLB_AF_INET ? "IPv4" : "IPv6", used,
				 sz->max_vips);
			return -ENOSPC;
		}
	}
	if (new_vips > free_count(d->vip_used, sz->max_vips) + gone_vips) {
		snprintf(err, errlen,
			 "too many VIPs for the loaded data path "
			 "(max_vips %u)",
			 sz->max_vips);
		return -ENOSPC;
	}
	if (new_bes > free_count(d->be_used, sz->max_backends) + gone_bes) {
		snprintf(err, errlen,
			 "too many backends for the loaded data "
			 "path (max_backends %u)",
			 sz->max_backends);
		return -ENOSPC;
	}
	return 0;
}

static int apply_vip(struct xlbd *d, const struct xlb_vip_cfg *vc)
{
	struct vip_rt *v = core_find_vip(d, &vc->addr, vc->port, vc->proto);
	struct be_rt **gone = NULL;
	size_t i, n_gone = 0;
	struct vip_rt **nv;
	bool created = false;
	int err = 0;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		err = alloc_vip_id(d, &v->id);
		if (err) {
			free(v);
			return err;
		}
		nv = realloc(d->vips,
			     (d->n_vips + 1) * sizeof(struct vip_rt *));
		if (!nv) {
			d->vip_used[v->id] = 0;
			free(v);
			return -ENOMEM;
		}
		d->vips = nv;
		d->vips[d->n_vips++] = v;
		/* active = 1 so the first publish fills copy 0 */
		v->dpv.id = v->id;
		v->dpv.active = 1;
		d->dp_ops->stats_vip_clear(d->dp_ctx, v->id);
		created = true;
	}
	v->cfg = *vc;
	v->cfg.backends = NULL;
	v->cfg.n_backends = 0;
	vip_set_name(v);

	/* Backends gone from the configuration leave v->bes now, so the
	 * ring is rebuilt without them, and are released (entry removed, id
	 * freed) only after that ring is published. */
	for (i = 0; i < v->n_bes;) {
		struct be_rt *b = v->bes[i], **ng;

		if (xlb_vip_find_backend(vc, &b->cfg.addr)) {
			i++;
			continue;
		}
		ng = realloc(gone, (n_gone + 1) * sizeof(struct be_rt *));
		if (!ng) {
			err = -ENOMEM;
			goto out;
		}
		gone = ng;
		gone[n_gone++] = b;
		v->bes[i] = v->bes[--v->n_bes];
	}

	/* new and changed backends */
	for (i = 0; i < vc->n_backends; i++) {
		const struct xlb_backend_cfg *bc = &vc->backends[i];
		struct be_rt *b = core_find_be(v, &bc->addr);

		if (b) {
			bool recheck = strcmp(b->cfg.health_check,
					      bc->health_check) != 0;

			b->cfg = *bc;
			if (recheck)
				tell_be(d, BE_FORGET, b);
			continue;
		}
		b = be_new(d, v, bc);
		if (!b) {
			err = -ENOMEM;
			goto out;
		}
		err = vip_add_be(v, b);
		if (err) {
			d->be_used[b->id] = 0;
			free(b);
			goto out;
		}
		tell_be(d, BE_NEW, b);
		if (!created)
			pr_info("vip %s: backend %s added", v->name,
				xlb_addr_str(&bc->addr,
					     (char[XLB_ADDR_STRLEN]){ 0 }));
	}
	/* probes for backends that need one (new, or check changed) */
	for (i = 0; i < v->n_bes; i++)
		tell_be(d, BE_APPLIED, v->bes[i]);

	err = core_sync_vip(d, v);
	if (!err && created)
		pr_info("vip %s: added (id %u, %zu backends, ring %u)", v->name,
			v->id, v->n_bes, v->cfg.ring_size);
out:
	for (i = 0; i < n_gone; i++) {
		pr_info("vip %s: backend %s removed", v->name,
			xlb_addr_str(&gone[i]->cfg.addr,
				     (char[XLB_ADDR_STRLEN]){ 0 }));
		be_release(d, gone[i]);
	}
	free(gone);
	return err;
}

static int apply(struct xlbd *d, const struct xlb_cfg *next)
{
	size_t i;
	int err;

	err = set_global(d, next);
	if (err)
		return err;

	/* VIPs gone from the configuration */
	for (i = 0; i < d->n_vips;) {
		struct vip_rt *v = d->vips[i];

		if (xlb_cfg_find_vip(next, &v->cfg.addr, v->cfg.port,
				     v->cfg.proto)) {
			i++;
			continue;
		}
		d->vips[i] = d->vips[--d->n_vips];
		vip_remove(d, v);
	}
	for (i = 0; i < next->n_vips; i++) {
		err = apply_vip(d, &next->vips[i]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * lb.outer_ttl is a constant of the loaded program (its .rodata, frozen at
 * load): a running xlbd cannot change it. A restart can, and replaces the
 * program without losing a flow (ifaces.c), so a change is refused here
 * rather than half taken.
 */
static int check_load_time(const struct xlb_cfg *old,
			   const struct xlb_cfg *next, char *err, size_t errlen)
{
	if (!old || old->outer_ttl == next->outer_ttl)
		return 0;
	snprintf(err, errlen,
		 "lb.outer_ttl %u -> %u: a constant of the loaded program, "
		 "changed by a restart of xlbd (the program is replaced, no "
		 "flow is lost)",
		 old->outer_ttl, next->outer_ttl);
	return -EINVAL;
}

int core_apply(struct xlbd *d, struct xlb_cfg *next, char *err, size_t errlen)
{
	struct xlb_cfg *old = d->cfg;
	int r, r2;

	/* everything that can be checked before a map or an interface is
	 * touched */
	r = d->dp_ops->ifaces_check(d->dp_ctx, next, err, errlen);
	r = r ?: check_capacity(d, next, err, errlen);
	r = r ?: check_load_time(old, next, err, errlen);
	if (r) {
		if (old)
			snprintf(err + strlen(err), errlen - strlen(err),
				 "; nothing changed: the previous "
				 "configuration is still running");
		xlb_cfg_free(next);
		return r;
	}
	d->cfg = next;
	r = apply(d, next);
	if (!r)
		r = set_markers(d, old);
	if (!r)
		r = d->dp_ops->ifaces_reconcile(d->dp_ctx, err, errlen);
	else if (r)
		snprintf(err, errlen, "writing the data path: %s",
			 strerror(-r));
	if (r) {
		/* put back what was there (the interfaces were already put
		 * back by ifaces_reconcile()) */
		d->cfg = old;
		if (old) {
			pr_err("apply failed (%s); restoring the previous "
			       "configuration",
			       err);
			r2 = apply(d, old);
			r2 = r2 ?: set_markers(d, next);
			if (r2)
				pr_err("restoring the previous configuration: "
				       "%s",
				       strerror(-r2));
			else
				snprintf(err + strlen(err),
					 errlen - strlen(err),
					 "; nothing changed: the previous "
					 "configuration is still running");
		}
		xlb_cfg_free(next);
		if (old) {
			core_dp_verify(d);
			core_update_servable(d);
		}
		return r;
	}
	core_dp_verify(d);
	core_update_servable(d);
	xlb_cfg_free(old);
	return 0;
}

/* --- runtime changes and the state file --------------------------------- */

static const char *state_path(const struct xlbd *d)
{
	return d->opts.state_file ?: XLB_DEFAULT_STATE_FILE;
}

static int state_save(struct xlbd *d, const struct xlb_cfg *base,
		      const struct xlb_cfg *run, char *err, size_t errlen)
{
	int r = xlb_state_save(state_path(d), d->cfg_file, base, run);

	if (r)
		snprintf(err, errlen, "saving the state file %s: %s",
			 state_path(d), strerror(-r));
	return r;
}

/* the override count status reports, kept here so status stays cheap */
static void count_overrides(struct xlbd *d)
{
	json_t *diff;

	if (!d->file_cfg || xlb_cfg_equal(d->file_cfg, d->cfg)) {
		d->n_overrides = 0;
		return;
	}
	diff = xlb_cfg_diff(d->file_cfg, d->cfg);
	d->n_overrides = json_array_size(diff);
	json_decref(diff);
}

static void set_log_level(struct xlbd *d)
{
	int l = xlb_log_level_parse(d->cfg->log_level);

	if (!d->opts.log_level_set && l >= 0)
		xlb_log_set_level((enum xlb_log_level)l);
}

/*
 * A change the data path took but the state file could not record would
 * be lost at the next start: put the previous configuration back (@old,
 * taken) so that what runs is what is recorded.
 */
static void unapply(struct xlbd *d, struct xlb_cfg *old, char *err,
		    size_t errlen)
{
	char e[512];

	if (core_apply(d, old, e, sizeof(e))) {
		pr_err("restoring the previous configuration: %s", e);
		return;
	}
	snprintf(err + strlen(err), errlen - strlen(err),
		 "; nothing changed: the previous configuration is still "
		 "running");
}

int core_change(struct xlbd *d, struct xlb_cfg *next, char *err, size_t errlen)
{
	struct xlb_cfg *old_copy = NULL;
	int r;

	snprintf(next->path, sizeof(next->path), "%s", d->cfg->path);
	r = xlb_cfg_validate(next, err, errlen);
	if (r)
		goto fail;
	old_copy = xlb_cfg_dup(d->cfg);
	if (!old_copy) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r = core_apply(d, next, err, errlen); /* takes @next */
	next = NULL;
	if (r)
		goto out;
	/* the operator's file is never written: the change is recorded as
	 * an override in the state file, once the data path has taken it */
	if (d->file_cfg) {
		r = state_save(d, d->file_cfg, d->cfg, err, errlen);
		if (r) {
			unapply(d, old_copy, err, errlen);
			old_copy = NULL;
			goto out;
		}
	}
	set_log_level(d);
	count_overrides(d);
	goto out;
fail:
	xlb_cfg_free(next);
out:
	xlb_cfg_free(old_copy);
	return r;
}

static void log_diff(const char *what, json_t *diff)
{
	char line[1024];
	json_t *c;
	size_t i;

	json_array_foreach (diff, i, c) {
		xlb_diff_line(c, line, sizeof(line));
		pr_info("%s: %s", what, line);
	}
}

int core_state_start(struct xlbd *d, struct xlb_cfg **cfg, char *err,
		     size_t errlen)
{
	struct xlb_cfg *base = NULL, *run = NULL, *m = NULL;
	const char *sp = state_path(d);
	json_t *notes = json_array(), *diff, *n;
	char e[512];
	size_t i;
	int r;

	r = xlb_state_load(sp, d->cfg_file, &base, &run, e, sizeof(e));
	if (r == -ENOENT) {
		/* no runtime override */
		d->file_cfg = xlb_cfg_dup(*cfg);
		r = d->file_cfg ? 0 : -ENOMEM;
		if (r)
			snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!r)
		r = xlb_state_merge(base, run, *cfg, &m, notes);
	if (!r)
		r = xlb_cfg_validate(m, e, sizeof(e));
	if (r) {
		snprintf(err, errlen,
			 "state file: %s; xlbd does not start without its "
			 "runtime changes: fix the file, or remove it to start "
			 "from %s alone",
			 r == -ENOMEM ? "out of memory" : e, d->cfg_file);
		goto out;
	}
	json_array_foreach (notes, i, n)
		pr_warn("state file %s: %s", sp, json_string_value(n));
	diff = xlb_cfg_diff(*cfg, m);
	d->n_overrides = json_array_size(diff);
	pr_info("state file %s: %zu runtime overrides over %s", sp,
		json_array_size(diff), d->cfg_file);
	log_diff("override", diff);
	json_decref(diff);
	d->file_cfg = *cfg;
	*cfg = m;
	m = NULL;
	/* record the file as now loaded (and the dropped overrides) */
	if (state_save(d, d->file_cfg, *cfg, e, sizeof(e)))
		pr_warn("%s", e);
out:
	xlb_cfg_free(base);
	xlb_cfg_free(run);
	xlb_cfg_free(m);
	json_decref(notes);
	return r;
}

int core_reload(struct xlbd *d, bool dry_run, json_t **plan, json_t **dropped,
		char *err, size_t errlen)
{
	struct xlb_cfg *file = NULL, *m = NULL, *old_run = NULL;
	char e[512];
	json_t *n;
	size_t i;
	int r;

	*plan = NULL;
	*dropped = json_array();
	r = xlb_cfg_load(d->cfg->path, &file, err, errlen);
	if (r)
		goto out;
	r = xlb_state_merge(d->file_cfg, d->cfg, file, &m, *dropped);
	if (r) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = xlb_cfg_validate(m, e, sizeof(e));
	if (r) {
		snprintf(err, errlen,
			 "%s with the runtime overrides (xlbctl config diff): "
			 "%s",
			 d->cfg->path, e);
		goto out;
	}
	*plan = xlb_cfg_diff(d->cfg, m);
	if (dry_run)
		goto out;
	old_run = xlb_cfg_dup(d->cfg);
	if (!old_run) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = core_apply(d, m, err, errlen); /* takes @m */
	m = NULL;
	if (r)
		goto out;
	/* recorded once the data path has taken it */
	r = state_save(d, file, d->cfg, err, errlen);
	if (r) {
		unapply(d, old_run, err, errlen);
		old_run = NULL;
		goto out;
	}
	xlb_cfg_free(d->file_cfg);
	d->file_cfg = file;
	file = NULL;
	set_log_level(d);
	count_overrides(d);
	log_diff("reload", *plan);
	json_array_foreach (*dropped, i, n)
		pr_warn("reload: %s", json_string_value(n));
out:
	xlb_cfg_free(file);
	xlb_cfg_free(m);
	xlb_cfg_free(old_run);
	return r;
}

/* --- adoption of pinned maps --------------------------------------------- */

struct adopt_ctx {
	struct xlbd *d;
	int err;
};

static int adopt_vip(const struct xlb_addr *a, __u16 port, __u8 proto,
		     const struct xlb_vip *e, void *arg)
{
	struct adopt_ctx *c = arg;
	struct xlbd *d = c->d;
	struct vip_rt *v, **nv;

	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return 0; /* markers are rebuilt */
	if (e->id >= sizes(d)->max_vips || d->vip_used[e->id]) {
		pr_warn("pinned VIP entry with bad id %u ignored", e->id);
		return 0;
	}
	v = calloc(1, sizeof(*v));
	nv = realloc(d->vips, (d->n_vips + 1) * sizeof(struct vip_rt *));
	if (!v || !nv) {
		free(v);
		if (nv)
			d->vips = nv;
		c->err = -ENOMEM;
		return 1;
	}
	d->vips = nv;
	v->cfg.addr = *a;
	v->cfg.port = port;
	v->cfg.proto = proto;
	v->cfg.ring_size = e->ring_size;
	v->cfg.fwd = e->fwd;
	v->cfg.flags = e->flags;
	v->id = e->id;
	v->dpv = *e;
	vip_set_name(v);
	d->vip_used[e->id] = 1;
	d->vips[d->n_vips++] = v;
	return 0;
}

static struct vip_rt *vip_by_id(struct xlbd *d, __u32 id)
{
	size_t i;

	for (i = 0; i < d->n_vips; i++)
		if (d->vips[i]->id == id)
			return d->vips[i];
	return NULL;
}

int core_adopt(struct xlbd *d)
{
	const struct xlb_dp_sizes *sz = sizes(d);
	struct adopt_ctx c = { .d = d };
	struct xlb_backend e;
	size_t nbe = 0, i;
	struct vip_rt *v;
	struct be_rt *b, *dup;
	__u32 id;
	int err;

	err = d->dp_ops->vip_foreach(d->dp_ctx, adopt_vip, &c);
	if (err < 0 || c.err)
		return c.err ?: err;

	for (id = 0; id < sz->max_backends; id++) {
		if (d->dp_ops->backend_get(d->dp_ctx, id, &e) || !e.gen)
			continue;
		v = vip_by_id(d, e.vip_id);
		if (!v || (e.family != XLB_AF_INET && e.family != XLB_AF_INET6))
			continue;
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->cfg.addr.family = e.family;
		memcpy(b->cfg.addr.a, e.addr, sizeof(e.addr));
		dup = core_find_be(v, &b->cfg.addr);
		if (dup) {
			/* keep the usable one; the other id is freed */
			if (e.state == XLB_BE_REMOVED) {
				free(b);
				continue;
			}
			dup->id = id;
			dup->gen = e.gen;
			dup->dp_state = e.state;
			dup->health_up = e.state != XLB_BE_REMOVED;
			free(b);
			continue;
		}
		b->vip = v;
		b->id = id;
		b->gen = e.gen;
		b->dp_state = e.state;
		b->cfg.weight = XLB_DEFAULT_WEIGHT;
		/* a restart never takes a backend down: keep its state */
		b->health_up = e.state != XLB_BE_REMOVED;
		b->nh.state = (e.flags & XLB_BE_F_NH_VALID) ? XLB_NH_OK :
							      XLB_NH_INCOMPLETE;
		b->nh.ifindex = e.ifindex;
		memcpy(b->nh.mac, e.nh_mac, 6);
		memcpy(b->nh.src_mac, e.src_mac, 6);
		err = vip_add_be(v, b);
		if (err) {
			free(b);
			return err;
		}
		d->be_used[id] = 1;
		nbe++;
	}
	for (i = 0; i < d->n_vips; i++)
		for (size_t j = 0; j < d->vips[i]->n_bes; j++)
			d->be_used[d->vips[i]->bes[j]->id] = 1;
	pr_info("re-adopted pinned data path: %zu VIPs, %zu backends",
		d->n_vips, nbe);
	return 0;
}
