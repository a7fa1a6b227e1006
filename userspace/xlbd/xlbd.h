/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: xlbd internals
 *
 * xlbd is one libuv loop. The running configuration (struct xlb_cfg) is the
 * desired state; the runtime tables (struct vip_rt, struct be_rt in
 * core.h) are what has been written to the data path, with the ids
 * allocated for it.
 *
 * core.c      runtime tables, id allocation, applying a config diff, rings
 *             (core.h: its interfaces to the data path and to the modules)
 * dp_real.c   the data path the core drives: lib/dp's maps, ifaces.c
 * ifaces.c    attaching the program to interfaces, adoption, upgrade
 * hc.c        health checks of backends (lib/health)
 * bgp.c       announcing VIPs through BIRD (lib/bgp)
 * hooks.c     the notify hook
 * nh.c        next hops of backends (libnl-route), kept current
 * api_server.c the Unix socket, framing, peer credentials
 * commands.c  the API commands
 * metrics.c   Prometheus endpoint (libmicrohttpd)
 * notify.c    systemd notifications (ready, watchdog, status), stop
 * main.c      options, start-up, signals
 *
 * Everything but main.c is built into build/libxlbd_core.a.
 */
#ifndef XLBD_H
#define XLBD_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include <jansson.h>

#include "core.h"

struct xlbd;
struct health;

/**
 * struct iface_rt - an interface the program is attached to
 * @cfg: its configuration
 * @ifindex: 0 if the interface does not exist (yet)
 * @attached: our program is attached
 * @dispatcher: through libxdp's dispatcher
 * @prog_id: the xlb program on it (ours, or the one re-adopted)
 */
struct iface_rt {
	struct xlb_iface_cfg cfg;
	int ifindex;
	bool attached;
	bool dispatcher;
	__u32 prog_id;
};

struct xlbd_opts {
	const char *config;
	const char *pin_dir;
	const char *socket; /* overrides the config's api.socket */
	const char *state_file; /* runtime overrides (lib/config/state.h) */
	bool log_level_set; /* -l given: the config's log.level is not used */
	bool no_attach; /* maps only (tests) */
};

struct xlbd {
	uv_loop_t *loop;
	struct xlbd_opts opts;
	struct xlb_cfg *cfg;
	struct xlb_cfg *file_cfg; /* the config file as last loaded (base) */
	char cfg_file[PATH_MAX]; /* its absolute path, as in the state file */
	size_t n_overrides; /* runtime overrides of file_cfg (status) */
	struct xlb_dp *dp;
	const struct xlb_dp_ops *dp_ops; /* how the core reaches it */
	void *dp_ctx;
	struct core_module mods[CORE_MODULES_MAX]; /* core_register() */
	size_t n_mods;
	__u64 start_ms;

	struct vip_rt **vips;
	size_t n_vips;
	__u8 *vip_used; /* max_vips flags */
	__u8 *be_used; /* max_backends flags */
	__u32 *ring_buf; /* ring_max slots */
	__u32 *ring_cur; /* ring_max slots */

	struct iface_rt *ifaces;
	size_t n_ifaces;
	bool dp_attached; /* every configured interface attached */
	bool dp_ok; /* ifaces_verify(): program and pins use our maps */
	char dp_err[512]; /* why not, when !dp_ok */

	struct xlb_nh *nh;
	uv_poll_t nh_poll[2];
	uv_timer_t nh_timer; /* debounce */
	uv_timer_t nh_retry; /* unresolved ones */
	bool nh_started;

	struct health *health;
	struct bgp *bgp; /* BIRD, while bgp.enabled */
	struct bgp_vips *bgp_vips; /* announcement state by VIP id (bgp.c) */

	void *api;
	void *metrics;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t tick;
	bool stopping;
	bool detach_on_exit;
};

/* Check latency histogram: bucket upper bounds in microseconds,
 * fixed so every xlbd exports the same le="" labels. */
#define HC_LAT_BUCKETS 14
extern const __u32 hc_lat_bounds_us[HC_LAT_BUCKETS];

/**
 * struct hc_lat - latency of every check result of one backend
 * @bucket: results per bucket (not cumulative); the last one is +Inf
 * @count: results
 * @sum_us: their latencies added up
 */
struct hc_lat {
	__u64 bucket[HC_LAT_BUCKETS + 1];
	__u64 count;
	__u64 sum_us;
};

/* QUIC connection-ID routing maps of a VIP (quic.c) */
/** quic_start() - register with the core: a VIP's ids are written before
 * its entry (vip_sync), removed when it goes (vip_gone) */
int quic_start(struct xlbd *d);
/* quic_* counters into the stats' global object @g (a jansson json_t) */
void quic_stats_json(struct xlbd *d, void *g);
/* VIP @v's counters as "quic" into its stats object @o (a json_t), when
 * it routes on QUIC ids or has counted something */
void quic_vip_stats_json(struct xlbd *d, const struct vip_rt *v, void *o);
/* xlb_quic_packets_total, and xlb_vip_quic_packets_total per VIP as
 * above, into the metrics text: one line per counter, written with
 * @put(arg, line) */
void quic_metrics(struct xlbd *d, void (*put)(void *arg, const char *line),
		  void *arg);

/* hc.c: health checks of backends */
/** hc_start() - the check engine; registers with the core (a probe per
 * backend that names a check) */
int hc_start(struct xlbd *d, const struct xlb_cfg *cfg);
void hc_stop(struct xlbd *d);
/** hc_status() - JSON of @b's check state for xlbctl backend show */
json_t *hc_status(struct xlbd *d, const struct be_rt *b);
struct xlb_hc_status;
struct xlb_hc_stats;
/** hc_probe_status() - @b's check state, and the latencies of its results
 * since this membership was created; false when it has no probe */
bool hc_probe_status(const struct xlbd *d, const struct be_rt *b,
		     struct xlb_hc_status *st, struct hc_lat *lat);
/** hc_engine_stats() - engine-wide counters; false without an engine */
bool hc_engine_stats(struct xlbd *d, struct xlb_hc_stats *st);

/* hooks.c: the notify hook (notify.command) */
void hooks_event(struct xlbd *d, const char *event, const struct vip_rt *v,
		 const struct be_rt *b, const char *reason);

/* bgp.c: announcing VIPs through BIRD */
/** bgp_init() - register with the core: announcements are re-decided each
 * time servability is; the VIPs' announcement state lives until
 * bgp_close(), across bgp.enabled switched off and on */
int bgp_init(struct xlbd *d);
void bgp_close(struct xlbd *d);
/** bgp_update() - re-decide announcements; starts with the bgp section */
void bgp_update(struct xlbd *d);
/** bgp_stop() - stop talking to BIRD; the include file stays */
void bgp_stop(struct xlbd *d);
/** bgp_show() - JSON of what is announced and BIRD's state */
json_t *bgp_show(struct xlbd *d);

/* ifaces.c */
int ifaces_attach(struct xlbd *d, char *err, size_t errlen);
int ifaces_detach_all(struct xlbd *d);
int ifaces_reconcile(struct xlbd *d, char *err, size_t errlen);
/** ifaces_check() - every interface of @c exists and is free for xlb */
int ifaces_check(const struct xlb_cfg *c, char *err, size_t errlen);
/** ifaces_verify() - the attached program and the pins still use our
 * maps (0), or why not (xlb_dp_ops verify, core_dp_verify()) */
int ifaces_verify(struct xlbd *d, char *err, size_t errlen);

/* nh.c */
/** nh_start() - netlink; registers with the core (new backends are
 * resolved before their first write) */
int nh_start(struct xlbd *d);
void nh_stop(struct xlbd *d);
/** nh_resync_all() - re-resolve every backend (after re-adoption) */
void nh_resync_all(struct xlbd *d);
/** nh_close() - free the resolver (after the loop has closed handles) */
void nh_close(struct xlbd *d);
/** nh_resolve_be() - resolve one backend's next hop into b->nh */
void nh_resolve_be(struct xlbd *d, struct be_rt *b);

/* api_server.c */
struct api_req;
typedef void (*api_dispatch_fn)(struct xlbd *d, struct api_req *r,
				const char *cmd, json_t *args);
/** api_start() - the socket; each request goes to @dispatch (main passes
 * commands_dispatch(), which answers with api_reply()) */
int api_start(struct xlbd *d, api_dispatch_fn dispatch, char *err,
	      size_t errlen);
void api_stop(struct xlbd *d);

/** api_reply() - answer a request (now or later); steals @result */
void api_reply(struct api_req *r, json_t *result, int err, const char *msg);

/* commands.c */
struct xlb_conn_tally;
/** conn_tally() - connections of backend id @id (approximate, cached a
 * few seconds: dp_conns.h), NULL if unknown */
const struct xlb_conn_tally *conn_tally(struct xlbd *d, __u32 id);
/** commands_dispatch() - run a command; it answers with api_reply() */
void commands_dispatch(struct xlbd *d, struct api_req *r, const char *cmd,
		       json_t *args);

/* metrics.c */
int metrics_start(struct xlbd *d, char *err, size_t errlen);
void metrics_refresh(struct xlbd *d);
void metrics_stop(struct xlbd *d);

/* notify.c: systemd's Type=notify (READY, WATCHDOG, STATUS) */
void notify_start(struct xlbd *d);
/** xlbd_stop() - stop the loop (STOPPING=1 to systemd first) */
void xlbd_stop(struct xlbd *d);

#endif /* XLBD_H */
