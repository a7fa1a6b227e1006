// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the data path the core drives
 *
 * struct xlb_dp_ops (core.h) over the real thing: the pinned maps of
 * lib/dp (d->dp) and the program on the interfaces (ifaces.c). With
 * --no-attach the interface steps are no-ops and only the pins are
 * verified. The context is struct xlbd.
 */
#include "xlbd.h"

static const struct xlb_dp_sizes *r_sizes(void *ctx)
{
	return xlb_dp_sizes(((struct xlbd *)ctx)->dp);
}

static int r_config_get(void *ctx, struct xlb_config *g)
{
	return xlb_dp_config_get(((struct xlbd *)ctx)->dp, g);
}

static int r_quic_vip_set(void *ctx, __u32 vip_id,
			  const struct xlb_quic_vip *qv)
{
	return xlb_dp_quic_vip_set(((struct xlbd *)ctx)->dp, vip_id, qv);
}

static int r_quic_id_set(void *ctx, __u32 vip_id, __u64 sid,
			 const struct xlb_quic_be *b)
{
	return xlb_dp_quic_id_set(((struct xlbd *)ctx)->dp, vip_id, sid, b);
}

static int r_quic_prune(void *ctx, __u32 vip_id,
			bool (*keep)(void *arg, __u64 sid,
				     const struct xlb_quic_be *b),
			void *arg)
{
	return xlb_dp_quic_prune(((struct xlbd *)ctx)->dp, vip_id, keep, arg);
}

static void r_second_chance_set(void *ctx, __u32 seconds)
{
	xlb_dp_second_chance_set(((struct xlbd *)ctx)->dp, seconds);
}

static int r_config_set(void *ctx, const struct xlb_config *g)
{
	return xlb_dp_config_set(((struct xlbd *)ctx)->dp, g);
}

static int r_vip_del(void *ctx, const struct xlb_addr *a, __u16 port,
		     __u8 proto)
{
	return xlb_dp_vip_del(((struct xlbd *)ctx)->dp, a, port, proto);
}

static int r_vip_foreach(void *ctx, xlb_dp_vip_cb cb, void *arg)
{
	return xlb_dp_vip_foreach(((struct xlbd *)ctx)->dp, cb, arg);
}

static int r_marker_set(void *ctx, const struct xlb_addr *a, __u32 vip_id,
			__u16 flags, bool frag, __u8 proto, __u16 port)
{
	struct xlb_dp *dp = ((struct xlbd *)ctx)->dp;

	if (frag)
		return xlb_dp_vip_marker_set_frag(dp, a, vip_id, flags, proto,
						  port);
	return xlb_dp_vip_marker_set_flags(dp, a, vip_id, flags);
}

static int r_marker_del(void *ctx, const struct xlb_addr *a)
{
	return xlb_dp_vip_marker_del(((struct xlbd *)ctx)->dp, a);
}

static int r_ring_read(void *ctx, __u32 vip_id, __u32 copy, __u32 *slots,
		       __u32 n)
{
	return xlb_dp_ring_read(((struct xlbd *)ctx)->dp, vip_id, copy, slots,
				n);
}

static int r_ring_publish(void *ctx, const struct xlb_addr *a, __u16 port,
			  __u8 proto, struct xlb_vip *v, const __u32 *slots,
			  __u32 n)
{
	return xlb_dp_ring_publish(((struct xlbd *)ctx)->dp, a, port, proto, v,
				   slots, n);
}

static int r_backend_get(void *ctx, __u32 id, struct xlb_backend *b)
{
	return xlb_dp_backend_get(((struct xlbd *)ctx)->dp, id, b);
}

static int r_backend_set(void *ctx, __u32 id, const struct xlb_backend *b)
{
	return xlb_dp_backend_set(((struct xlbd *)ctx)->dp, id, b);
}

static int r_stats_vip_clear(void *ctx, __u32 id)
{
	return xlb_dp_stats_vip_clear(((struct xlbd *)ctx)->dp, id);
}

static int r_stats_backend_clear(void *ctx, __u32 id)
{
	return xlb_dp_stats_backend_clear(((struct xlbd *)ctx)->dp, id);
}

static int r_ifaces_check(void *ctx, const struct xlb_cfg *c, char *err,
			  size_t errlen)
{
	if (((struct xlbd *)ctx)->opts.no_attach)
		return 0;
	return ifaces_check(c, err, errlen);
}

static int r_ifaces_reconcile(void *ctx, char *err, size_t errlen)
{
	if (((struct xlbd *)ctx)->opts.no_attach)
		return 0;
	return ifaces_reconcile(ctx, err, errlen);
}

static int r_verify(void *ctx, bool *attached, char *err, size_t errlen)
{
	struct xlbd *d = ctx;
	int r = ifaces_verify(d, err, errlen);

	*attached = d->dp_attached;
	return r;
}

const struct xlb_dp_ops xlb_dp_ops_real = {
	.sizes = r_sizes,
	.config_get = r_config_get,
	.config_set = r_config_set,
	.second_chance_set = r_second_chance_set,
	.quic_vip_set = r_quic_vip_set,
	.quic_id_set = r_quic_id_set,
	.quic_prune = r_quic_prune,
	.vip_del = r_vip_del,
	.vip_foreach = r_vip_foreach,
	.marker_set = r_marker_set,
	.marker_del = r_marker_del,
	.ring_read = r_ring_read,
	.ring_publish = r_ring_publish,
	.backend_get = r_backend_get,
	.backend_set = r_backend_set,
	.stats_vip_clear = r_stats_vip_clear,
	.stats_backend_clear = r_stats_backend_clear,
	.ifaces_check = r_ifaces_check,
	.ifaces_reconcile = r_ifaces_reconcile,
	.verify = r_verify,
};
