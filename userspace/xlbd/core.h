/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: xlbd's core and its two interfaces
 *
 * The core (core.c) holds the runtime tables (struct vip_rt, struct be_rt:
 * what has been written to the data path, with the ids allocated for it),
 * computes the difference between the running configuration and the next
 * one, and writes only that, in an order that never lets a packet meet a
 * half-written change. It is built into build/libxlbd_core.a with the rest
 * of xlbd except main.c, and has exactly two ways out:
 *
 * - struct xlb_dp_ops: the data path (BPF maps, the program on the
 *   interfaces). xlbd passes xlb_dp_ops_real (dp_real.c: lib/dp and
 *   ifaces.c); tests/unit/test_core.c passes a fake that records every
 *   write and fails the step it is told to.
 * - struct core_module: the modules that keep state per backend or per VIP
 *   (next hops, health checks, BGP announcements) are told of what changed
 *   through these hooks. They call the core back only through its public
 *   functions below (core_sync_vip(), core_update_servable()), never the
 *   other way round, so no two files call each other.
 */
#ifndef XLBD_CORE_H
#define XLBD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "addr.h"
#include "announce.h"
#include "config.h"
#include "dp.h"
#include "dp_quic.h"
#include "nexthop.h"

struct xlbd;

/**
 * struct be_rt - one backend membership as applied
 * @cfg: its configuration (copy)
 * @vip: the VIP it belongs to
 * @id: index in xlb_backends
 * @gen: generation written with it
 * @health_up: checks say up (true when it has no check)
 * @health_pending: no check result yet
 * @dp_state: state last written to the map (enum xlb_be_state)
 * @nh: next hop last resolved
 * @nh_logged: state of @nh last logged (to log changes once)
 *
 * What the modules keep of a backend beyond the core's inputs (@health_up,
 * @health_pending, @nh) is theirs: hc.c keeps probes and latencies by
 * backend id.
 */
struct be_rt {
	struct xlb_backend_cfg cfg;
	struct vip_rt *vip;
	__u32 id;
	__u32 gen;
	bool health_up;
	bool health_pending;
	__u8 dp_state;
	struct xlb_nh_result nh;
	int nh_logged;
};

/**
 * struct vip_rt - one VIP as applied
 * @cfg: its configuration (copy; cfg.backends is not used here)
 * @id: index in the rings and xlb_vip_stats
 * @dpv: the xlb_vip entry as last written
 * @bes: its backends (pointers are stable while the backend exists)
 * @n_bes: entries in @bes
 * @vip_sync: @v is about to be written to the data path (its VIP entry and
 *            ring): a module writes what the program reads through the
 *            VIP's flags here (QUIC ids); an error fails the write
 * @servable: enough healthy backends and no pending checks
 * @name: "192.0.2.1:80/tcp", for logs
 */
struct vip_rt {
	struct xlb_vip_cfg cfg;
	__u32 id;
	struct xlb_vip dpv;
	struct be_rt **bes;
	size_t n_bes;
	bool servable;
	char name[80];
};

/**
 * struct xlb_dp_ops - the data path as the core sees it
 *
 * @ctx is xlbd's (struct xlbd_dp_ctx for the real one). Every function
 * returns 0 or a negative errno, as the lib/dp function of the same name.
 * @sizes: the loaded maps' sizes (fixed while xlbd runs)
 * @config_get, @config_set: the global xlb_config entry
 * @vip_del: remove a VIP entry
 * @vip_foreach: every VIP entry (adoption of pinned maps)
 * @marker_set: the per-address marker; @frag: fragments go to
 *              (@proto, @port), else those two are unused
 * @marker_del: remove an address's marker
 * @ring_read: one copy of a VIP's ring
 * @ring_publish: write the inactive copy, flip the VIP entry (@v updated)
 * @backend_get, @backend_set: one backend entry
 * @stats_vip_clear, @stats_backend_clear: zero an id's counters
 * @ifaces_check: every interface of @c exists and is free for xlb
 * @ifaces_reconcile: attach/detach to match the running configuration; all
 *                    or nothing
 * @verify: is the data path whole (program attached where configured, and
 *          it and the pins use xlbd's maps)? @attached: every configured
 *          interface has the program; Return: 0, or -errno with @err
 */
struct xlb_dp_ops {
	const struct xlb_dp_sizes *(*sizes)(void *ctx);
	int (*config_get)(void *ctx, struct xlb_config *g);
	int (*config_set)(void *ctx, const struct xlb_config *g);
	/* lb.second_chance for the rings published from now on (optional) */
	void (*second_chance_set)(void *ctx, __u32 seconds);
	int (*vip_del)(void *ctx, const struct xlb_addr *a, __u16 port,
		       __u8 proto);
	int (*vip_foreach)(void *ctx, xlb_dp_vip_cb cb, void *arg);
	int (*marker_set)(void *ctx, const struct xlb_addr *a, __u32 vip_id,
			  __u16 flags, bool frag, __u8 proto, __u16 port);
	int (*marker_del)(void *ctx, const struct xlb_addr *a);
	int (*ring_read)(void *ctx, __u32 vip_id, __u32 copy, __u32 *slots,
			 __u32 n);
	int (*ring_publish)(void *ctx, const struct xlb_addr *a, __u16 port,
			    __u8 proto, struct xlb_vip *v, const __u32 *slots,
			    __u32 n);
	int (*backend_get)(void *ctx, __u32 id, struct xlb_backend *b);
	int (*backend_set)(void *ctx, __u32 id, const struct xlb_backend *b);
	int (*stats_vip_clear)(void *ctx, __u32 id);
	int (*stats_backend_clear)(void *ctx, __u32 id);
	int (*ifaces_check)(void *ctx, const struct xlb_cfg *c, char *err,
			    size_t errlen);
	int (*ifaces_reconcile)(void *ctx, char *err, size_t errlen);
	int (*verify)(void *ctx, bool *attached, char *err, size_t errlen);
	/* QUIC connection-ID routing (quic.c; NULL: a data path without it) */
	int (*quic_vip_set)(void *ctx, __u32 vip_id,
			    const struct xlb_quic_vip *qv);
	int (*quic_id_set)(void *ctx, __u32 vip_id, __u64 sid,
			   const struct xlb_quic_be *b);
	int (*quic_prune)(void *ctx, __u32 vip_id,
			  bool (*keep)(void *arg, __u64 sid,
				       const struct xlb_quic_be *b),
			  void *arg);
};

/* dp_real.c: lib/dp's maps and ifaces.c's interfaces; ctx is struct xlbd */
extern const struct xlb_dp_ops xlb_dp_ops_real;

/**
 * struct core_module - a module told of what the core changed
 * @be_new: a backend was created (next hops resolve it here, before its
 *          first write)
 * @be_applied: a backend's VIP was applied: its configuration may have
 *              changed (health checks give it a probe here, or update it)
 * @be_forget: drop what you keep for @b: it is about to be freed, or its
 *             check changed (a probe is detached here)
 * @vip_gone: @v was removed from the data path and is about to be freed
 *            (BGP forgets its announcement state here)
 * @servable: servability of the VIPs was recomputed (BGP decides here)
 * @ctx: the module's own, passed back
 *
 * Any hook may be NULL. Modules run in the order they were registered.
 */
struct core_module {
	void (*be_new)(void *ctx, struct be_rt *b);
	void (*be_applied)(void *ctx, struct be_rt *b);
	void (*be_forget)(void *ctx, struct be_rt *b);
	void (*vip_gone)(void *ctx, struct vip_rt *v);
	int (*vip_sync)(void *ctx, struct vip_rt *v);
	void (*servable)(void *ctx);
	void *ctx;
};

#define CORE_MODULES_MAX 6

int core_init(struct xlbd *d);
void core_free(struct xlbd *d);
/** core_register() - add @m (copied) to the modules told of changes */
int core_register(struct xlbd *d, const struct core_module *m);
/** core_unregister() - remove the modules registered with @ctx */
void core_unregister(struct xlbd *d, const void *ctx);
/**
 * core_apply() - make the data path match @next
 * @next: validated config, taken: it becomes d->cfg, or is freed on failure
 * @err: one line on failure; the data path is then back as it was
 */
int core_apply(struct xlbd *d, struct xlb_cfg *next, char *err, size_t errlen);
/** core_adopt() - learn ids and states from maps re-adopted at start */
int core_adopt(struct xlbd *d);
/** core_sync_vip() - recompute states and ring of one VIP and write them */
int core_sync_vip(struct xlbd *d, struct vip_rt *v);
struct vip_rt *core_find_vip(struct xlbd *d, const struct xlb_addr *a,
			     __u16 port, __u8 proto);
struct be_rt *core_find_be(struct vip_rt *v, const struct xlb_addr *a);
/** core_be_out_reason() - why @b takes no new flows, NULL if it does */
const char *core_be_out_reason(const struct be_rt *b);
/** core_healthy() - backends of @v usable for new flows */
size_t core_healthy(const struct vip_rt *v);
/**
 * core_update_servable() - recompute every VIP's servability (data path
 * whole, checks in, enough usable backends), then tell the modules
 */
void core_update_servable(struct xlbd *d);
/**
 * core_dp_verify() - ask the data path whether it is whole (xlb_dp_ops
 * verify; every tick and after every change); when it is not, or stops
 * being so, every VIP becomes unservable and the modules are told
 */
void core_dp_verify(struct xlbd *d);
/**
 * core_change() - apply a runtime change: validate, apply, then record it
 * in the state file; on failure the state file and the data path stay as
 * they were (nothing is written to the file before the data path took
 * the change)
 */
int core_change(struct xlbd *d, struct xlb_cfg *next, char *err, size_t errlen);
/**
 * core_state_start() - at start: the state file's overrides over @cfg
 * @cfg: the config file as loaded; replaced by the merged configuration
 *       (the file's copy is kept in d->file_cfg)
 *
 * Return: 0, or a negative errno with @err (corrupt state file, or
 * overrides that no longer validate): xlbd then refuses to start.
 */
int core_state_start(struct xlbd *d, struct xlb_cfg **cfg, char *err,
		     size_t errlen);
/**
 * core_reload() - re-read the config file, keep the runtime overrides the
 * operator did not change in it, and apply the result (unless @dry_run)
 * @plan: set to xlb_cfg_diff() of the running config to the new one
 * @dropped: set to the overrides dropped (strings)
 */
int core_reload(struct xlbd *d, bool dry_run, json_t **plan, json_t **dropped,
		char *err, size_t errlen);
const char *be_state_str(__u8 s);
/** xlbd_now_ms() - monotonic milliseconds */
__u64 xlbd_now_ms(void);

#endif /* XLBD_CORE_H */
