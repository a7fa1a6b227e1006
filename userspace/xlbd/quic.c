// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: QUIC connection-ID routing, kept in step (maps/xlb_quic.h)
 *
 * Each sync of a VIP writes where its server ids are (xlb_quic_vips) and
 * one xlb_quic_ids entry per backend with a quic_id (its membership id and
 * generation), then deletes the VIP's entries that no backend claims any
 * more. Entries are written whatever the backend's state: the program
 * reads the state from xlb_backends, which core_sync_vip() keeps current,
 * so a backend that goes down stops taking packets through its id at the
 * same instant it leaves the ring, without a second map to update.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "dp_quic.h"
#include "log.h"
#include "xlbd.h"

static bool claimed(void *arg, __u64 sid, const struct xlb_quic_be *qb)
{
	const struct vip_rt *v = arg;
	size_t i;

	if (!v->cfg.quic_id_len)
		return false;
	for (i = 0; i < v->n_bes; i++) {
		const struct be_rt *b = v->bes[i];

		if (b->cfg.has_quic_id && b->cfg.quic_id == sid &&
		    b->id == qb->backend && b->gen == qb->gen)
			return true;
	}
	return false;
}

/**
 * quic_sync_vip() - write VIP @v's QUIC routing: where its ids are, and
 * which backend each names
 *
 * Return: 0 or -errno (logged).
 */
static int quic_sync_vip(void *ctx, struct vip_rt *v)
{
	struct xlbd *d = ctx;
	struct xlb_quic_vip qv = {
		.offset = v->cfg.quic_id_offset,
		.len = v->cfg.quic_id_len,
		.cr = v->cfg.has_quic_cr ? XLB_QUIC_CR_CHECK | v->cfg.quic_cr :
					   0,
	};
	const struct xlb_dp_ops *o = d->dp_ops;
	size_t i;
	int err;

	if (!o->quic_vip_set)
		return v->cfg.quic_id_len ? -EOPNOTSUPP : 0;
	err = o->quic_vip_set(d->dp_ctx, v->id, &qv);
	for (i = 0; !err && v->cfg.quic_id_len && i < v->n_bes; i++) {
		const struct be_rt *b = v->bes[i];
		struct xlb_quic_be qb = { .backend = b->id, .gen = b->gen };

		if (b->cfg.has_quic_id)
			err = o->quic_id_set(d->dp_ctx, v->id, b->cfg.quic_id,
					     &qb);
	}
	err = err ?: o->quic_prune(d->dp_ctx, v->id, claimed, v);
	if (err)
		pr_err("vip %s: quic ids: %s", v->name, strerror(-err));
	return err;
}

/** quic_forget_vip() - remove VIP @v's QUIC routing (the VIP is going) */
static void quic_forget_vip(void *ctx, struct vip_rt *v)
{
	struct xlbd *d = ctx;
	const struct xlb_dp_ops *o = d->dp_ops;
	struct xlb_quic_vip qv = {};
	int err;

	if (!o->quic_prune)
		return;
	err = o->quic_prune(d->dp_ctx, v->id, NULL, NULL);
	err = err ?: o->quic_vip_set(d->dp_ctx, v->id, &qv);
	if (err)
		pr_warn("vip %s: quic ids: %s", v->name, strerror(-err));
}

int quic_start(struct xlbd *d)
{
	const struct core_module m = {
		.vip_sync = quic_sync_vip,
		.vip_gone = quic_forget_vip,
		.ctx = d,
	};

	return core_register(d, &m);
}

void quic_stats_json(struct xlbd *d, void *g)
{
	struct xlb_quic_stats s = {};
	unsigned int i;

	xlb_dp_quic_stats(d->dp, &s);
	for (i = 0; i < XLB_QC_MAX; i++)
		json_object_set_new(g, xlb_quic_counter_name(i),
				    json_integer((json_int_t)s.c[i]));
}

/* VIP @v's counters into @s; false when they are not shown (a VIP that
 * does not route on ids and never did, or unreadable) */
static bool vip_counters(struct xlbd *d, const struct vip_rt *v,
			 struct xlb_quic_stats *s)
{
	unsigned int i;
	__u64 any = 0;

	memset(s, 0, sizeof(*s));
	if (xlb_dp_quic_stats_vip(d->dp, v->id, s))
		return false;
	for (i = 0; i < XLB_QC_MAX; i++)
		any |= s->c[i];
	return v->cfg.quic_id_len || any;
}

void quic_vip_stats_json(struct xlbd *d, const struct vip_rt *v, void *o)
{
	struct xlb_quic_stats s;
	unsigned int i;
	json_t *q;

	if (!vip_counters(d, v, &s))
		return;
	q = json_object();
	for (i = 0; i < XLB_QC_MAX; i++)
		json_object_set_new(q,
				    xlb_quic_counter_name(i) + strlen("quic_"),
				    json_integer((json_int_t)s.c[i]));
	json_object_set_new(o, "quic", q);
}

void quic_metrics(struct xlbd *d, void (*put)(void *arg, const char *line),
		  void *arg)
{
	struct xlb_quic_stats s = {};
	char line[256];
	unsigned int i;
	size_t k;

	xlb_dp_quic_stats(d->dp, &s);
	put(arg, "# HELP xlb_quic_packets_total Packets of QUIC VIPs without "
		 "a connection-table entry, by what their connection ID did "
		 "(routed; unknown_id, fallback, no_id: went through the "
		 "ring).\n");
	put(arg, "# TYPE xlb_quic_packets_total counter\n");
	for (i = 0; i < XLB_QC_MAX; i++) {
		snprintf(line, sizeof(line),
			 "xlb_quic_packets_total{result=\"%s\"} %llu\n",
			 xlb_quic_counter_name(i) + strlen("quic_"),
			 (unsigned long long)s.c[i]);
		put(arg, line);
	}
	put(arg, "# HELP xlb_vip_quic_packets_total The same, per VIP (VIPs "
		 "with quic_id_length, or that counted some before it was "
		 "turned off).\n");
	put(arg, "# TYPE xlb_vip_quic_packets_total counter\n");
	for (k = 0; k < d->n_vips; k++) {
		const struct vip_rt *v = d->vips[k];

		if (!vip_counters(d, v, &s))
			continue;
		for (i = 0; i < XLB_QC_MAX; i++) {
			snprintf(line, sizeof(line),
				 "xlb_vip_quic_packets_total{vip=\"%s\","
				 "result=\"%s\"} %llu\n",
				 v->name,
				 xlb_quic_counter_name(i) + strlen("quic_"),
				 (unsigned long long)s.c[i]);
			put(arg, line);
		}
	}
}
