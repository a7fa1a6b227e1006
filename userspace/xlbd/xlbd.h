/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: xlbd internals
 *
 * xlbd is one libuv loop. The running configuration (struct xlb_cfg) is the
 * desired state; the runtime tables below (struct vip_rt, struct be_rt) are
 * what has been written to the data path, with the ids allocated for it.
 *
 * core.c      runtime tables, id allocation, applying a config diff, rings
 * ifaces.c    attaching the program to interfaces, adoption, upgrade
 * nh.c        next hops of backends (libnl-route), kept current
 * api_server.c the Unix socket, framing, peer credentials
 * commands.c  the API commands
 * metrics.c   Prometheus endpoint (libmicrohttpd)
 * notify.c    systemd notifications (ready, watchdog, status)
 * main.c      options, start-up, signals
 */
#ifndef XLBD_H
#define XLBD_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include <jansson.h>

#include "addr.h"
#include "announce.h"
#include "config.h"
#include "dp.h"
#include "nexthop.h"

struct xlbd;
struct health;

/* Check latency histogram (hc.c): bucket upper bounds in microseconds,
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
 * @probe: health probe, NULL when it has no check
 * @lat: check latencies since this membership was created (metrics)
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
	void *probe;
	struct hc_lat lat;
};

/**
 * struct vip_rt - one VIP as applied
 * @cfg: its configuration (copy; cfg.backends is not used here)
 * @id: index in the rings and xlb_vip_stats
 * @dpv: the xlb_vip entry as last written
 * @bes: its backends (pointers are stable while the backend exists)
 * @n_bes: entries in @bes
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
	bool hc_dirty; /* a backend changed health: sync before the loop polls */
	struct xlb_ann ann; /* BGP announcement (bgp.c) */
	bool ann_init; /* ann has its start state */
	bool ann_decided; /* decided once in this run (bgp.c vip_decided()) */
	char name[80];
};

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
	uv_timer_t nh_timer;
	bool nh_started;

	struct health *health;
	struct bgp *bgp;

	void *api;
	void *metrics;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t tick;
	bool stopping;
	bool detach_on_exit;
};

/* core.c */
int core_init(struct xlbd *d);
void core_free(struct xlbd *d);
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
/* QUIC connection-ID routing maps of a VIP (quic.c) */
int quic_sync_vip(struct xlbd *d, struct vip_rt *v);
void quic_forget_vip(struct xlbd *d, struct vip_rt *v);
/* quic_* counters into the stats' global object @g (a jansson json_t) */
void quic_stats_json(struct xlbd *d, void *g);
/* xlb_quic_packets_total into the metrics text: one line per counter,
 * written with @put(arg, line) */
void quic_metrics(struct xlbd *d, void (*put)(void *arg, const char *line),
		  void *arg);

/** core_be_out_reason() - why @b takes no new flows, NULL if it does */
const char *core_be_out_reason(const struct be_rt *b);
/** core_healthy() - backends of @v usable for new flows */
size_t core_healthy(const struct vip_rt *v);
void core_update_servable(struct xlbd *d);
/**
 * core_change() - apply a runtime change: validate, record it in the state
 * file, apply; on failure the state file and the data path stay as they were
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

/* hc.c: health checks of backends */
int hc_start(struct xlbd *d, const struct xlb_cfg *cfg);
void hc_stop(struct xlbd *d);
/** hc_attach() - give @b a probe if its VIP or it names a check */
void hc_attach(struct xlbd *d, struct be_rt *b);
/** hc_detach() - remove @b's probe (before it is freed or re-checked) */
void hc_detach(struct xlbd *d, struct be_rt *b);
/** hc_status() - JSON of @b's check state for xlbctl backend show */
json_t *hc_status(struct xlbd *d, const struct be_rt *b);
struct xlb_hc_status;
struct xlb_hc_stats;
/** hc_probe_status() - @b's check state; false when it has no probe */
bool hc_probe_status(const struct be_rt *b, struct xlb_hc_status *st);
/** hc_engine_stats() - engine-wide counters; false without an engine */
bool hc_engine_stats(struct xlbd *d, struct xlb_hc_stats *st);

/* hooks.c: the notify hook (notify.command) */
void hooks_event(struct xlbd *d, const char *event, const struct vip_rt *v,
		 const struct be_rt *b, const char *reason);

/* bgp.c: announcing VIPs through BIRD */
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
 * maps; marks the data path unhealthy (VIPs withdrawn) when not */
void ifaces_verify(struct xlbd *d);

/* nh.c */
int nh_start(struct xlbd *d);
void nh_stop(struct xlbd *d);
/** nh_resync_all() - re-resolve every backend (after re-adoption) */
void nh_resync_all(struct xlbd *d);
/** nh_close() - free the resolver (after the loop has closed handles) */
void nh_close(struct xlbd *d);
/** nh_resolve_be() - resolve one backend's next hop into b->nh */
void nh_resolve_be(struct xlbd *d, struct be_rt *b);

/* api_server.c */
int api_start(struct xlbd *d, char *err, size_t errlen);
void api_stop(struct xlbd *d);

struct api_req;
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
void notify_stopping(void);

/* main.c */
void xlbd_reload(struct xlbd *d);
void xlbd_stop(struct xlbd *d);
__u64 xlbd_now_ms(void);

#endif /* XLBD_H */
