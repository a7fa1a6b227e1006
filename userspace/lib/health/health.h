/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: health checks
 *
 * The health-check engine of xlbd. It runs on the daemon's libuv loop and
 * holds one probe per (VIP, backend) membership. Every probe checks its
 * target every interval (the first check at a random point of the first
 * interval, so probes never fire in lock-step), feeds the result to its
 * state machine (health_sm.h), and calls back when the state changes or
 * when the first checks have reached a verdict.
 *
 * Check types: TCP connect; HTTP and HTTPS through libcurl's multi
 * interface driven by the same loop; UDP (payload out, a reply expected);
 * DNS (a query built here, a NOERROR answer with the same id expected);
 * exec (a child process, exit status 0 = healthy). Nothing blocks and no
 * thread is started: a backend that accepts and never answers, or answers a
 * byte a second, costs one socket until the check's timeout and delays no
 * other probe. At most max_inflight checks run at once; the others wait in
 * a FIFO queue.
 *
 * With via_vip, the check goes to the VIP address from a socket marked
 * XLB_PROBE_MARK | backend id; the tc program of probe.h encapsulates it to
 * that backend like client traffic (docs/health.md).
 *
 * Probes may be updated (state kept) and deleted at any time, including
 * from their own callbacks and while a check is in flight: the check is
 * abandoned and its result never reported.
 */
#ifndef XLB_HEALTH_H
#define XLB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <uv.h>

#include "addr.h"
#include "config.h"
#include "health_sm.h"

#define XLB_HC_ERR_MAX		    160
#define XLB_HC_NAME_MAX		    128
#define XLB_HC_DEFAULT_MAX_INFLIGHT 256

struct xlb_hc;
struct xlb_hc_probe;

/**
 * struct xlb_hc_target - what one probe checks
 * @backend: backend address: the check's destination, or with via_vip
 *           the tunnel endpoint (and XLB_BACKEND of exec checks)
 * @vip: VIP address; the destination of via_vip checks
 * @port: port checked, host order (the check's port, else the VIP's)
 * @backend_id: xlb_backends id of this membership (marks via_vip checks)
 * @name: label for logs, e.g. "vip 192.0.2.1:80/tcp: backend 10.0.0.3"
 */
struct xlb_hc_target {
	struct xlb_addr backend;
	struct xlb_addr vip;
	__u16 port;
	__u32 backend_id;
	char name[XLB_HC_NAME_MAX];
};

/**
 * struct xlb_hc_result - one finished check
 * @ok: healthy
 * @latency_us: from the start of the check to its result
 * @time_ms: wall clock (ms since the epoch) of the result
 * @error: why it failed, one line ("" when @ok)
 */
struct xlb_hc_result {
	bool ok;
	__u32 latency_us;
	__u64 time_ms;
	char error[XLB_HC_ERR_MAX];
};

/**
 * struct xlb_hc_change - a state change, or the first verdict
 * @from: state before
 * @to: state after (== @from when the first verdict confirms it)
 * @first: the checks reached their first verdict (pending ended)
 * @reason: e.g. "3 failures, last: connect: Connection refused"
 */
struct xlb_hc_change {
	enum xlb_hc_state from;
	enum xlb_hc_state to;
	bool first;
	const char *reason;
};

typedef void (*xlb_hc_change_cb)(struct xlb_hc_probe *p,
				 const struct xlb_hc_change *c, void *user);
typedef void (*xlb_hc_result_cb)(struct xlb_hc_probe *p,
				 const struct xlb_hc_result *r, void *user);

/**
 * struct xlb_hc_opts - engine options
 * @max_inflight: checks running at once (0: XLB_HC_DEFAULT_MAX_INFLIGHT)
 * @on_change: state changes and first verdicts (may be NULL)
 * @on_result: every result (may be NULL; tests, metrics)
 * @src4: source address of IPv4 via_vip checks: the LB source address
 *        (xlb_config.src4), where the backend sends its replies
 * @src6: the same for IPv6 (XLB_AF_NONE: the kernel chooses)
 * @seed: seed of the start-time jitter (0: random)
 */
struct xlb_hc_opts {
	unsigned int max_inflight;
	xlb_hc_change_cb on_change;
	xlb_hc_result_cb on_result;
	struct xlb_addr src4;
	struct xlb_addr src6;
	__u64 seed;
};

/**
 * struct xlb_hc_status - what `xlbctl backend show` prints
 * @state: up or down
 * @pending: no verdict from the checks yet (@state is the initial one)
 * @in_flight: a check is running or queued
 * @checked: at least one result
 * @last_ok: last result
 * @last_error: its error ("" if it passed)
 * @last_latency_us: its latency
 * @last_check_ms: its wall-clock time (ms since the epoch; 0: none)
 * @last_change_ms: wall-clock time of the last transition (0: none yet)
 * @last_change_reason: why (XLB_HC_ERR_MAX + room for counts)
 * @ok_run: consecutive successes
 * @fail_run: consecutive failures
 * @n_ok: successes since the probe was added
 * @n_fail: failures since the probe was added
 * @n_transitions: state changes since the probe was added
 * @n_skipped: intervals skipped because the previous check was still
 *             running (beyond the one owed tick) or queued
 */
struct xlb_hc_status {
	enum xlb_hc_state state;
	bool pending;
	bool in_flight;
	bool checked;
	bool last_ok;
	char last_error[XLB_HC_ERR_MAX];
	__u32 last_latency_us;
	__u64 last_check_ms;
	__u64 last_change_ms;
	char last_change_reason[XLB_HC_ERR_MAX + 64];
	__u32 ok_run;
	__u32 fail_run;
	__u64 n_ok;
	__u64 n_fail;
	__u64 n_transitions;
	__u64 n_skipped;
};

/**
 * struct xlb_hc_stats - engine-wide counters
 * @probes: probes
 * @inflight: checks running now
 * @inflight_max: most checks ever running at once (<= max_inflight)
 * @queued: probes waiting for a slot now
 * @queued_max: most probes ever waiting
 * @started: checks started
 * @finished: checks that reported a result
 */
struct xlb_hc_stats {
	unsigned int probes;
	unsigned int inflight;
	unsigned int inflight_max;
	unsigned int queued;
	unsigned int queued_max;
	__u64 started;
	__u64 finished;
};

/**
 * xlb_hc_new() - create an engine on @loop
 * @loop: the event loop it runs on
 * @o: options (copied)
 * @out: the engine
 *
 * Return: 0 or a negative errno.
 */
int xlb_hc_new(uv_loop_t *loop, const struct xlb_hc_opts *o,
	       struct xlb_hc **out);

/**
 * xlb_hc_close() - stop every probe and free the engine
 *
 * No callback runs after this. Handles close asynchronously: the memory is
 * released once the loop has run their close callbacks (uv_run() until it
 * returns 0). Safe to call from a callback of the engine.
 */
void xlb_hc_close(struct xlb_hc *hc);

/**
 * xlb_hc_cfg_check() - can the engine run this check?
 * @cfg: the check
 * @err: one-line reason when not
 * @errlen: size of @err
 *
 * Checks what config validation cannot know: exec checks cannot follow the
 * data path (a child's packets cannot be marked), HTTP methods, argv.
 *
 * Return: 0 or -EINVAL.
 */
int xlb_hc_cfg_check(const struct xlb_hc_cfg *cfg, char *err, size_t errlen);

/**
 * xlb_hc_probe_add() - start checking a target
 * @hc: the engine
 * @cfg: the check (copied)
 * @t: the target (copied)
 * @initial: starting state: the backend's previous state on a restart,
 *           otherwise XLB_HC_DOWN
 * @user: handed back to the callbacks
 * @out: the probe
 * @err: one-line reason on failure (may be NULL)
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL (see xlb_hc_cfg_check()) or -ENOMEM.
 */
int xlb_hc_probe_add(struct xlb_hc *hc, const struct xlb_hc_cfg *cfg,
		     const struct xlb_hc_target *t, enum xlb_hc_state initial,
		     void *user, struct xlb_hc_probe **out, char *err,
		     size_t errlen);

/**
 * xlb_hc_probe_update() - change a probe's check in place
 * @p: the probe
 * @cfg: the new check (copied)
 * @err: one-line reason on failure (may be NULL)
 * @errlen: size of @err
 *
 * State, counters and pending are kept. A change of rise or fall alone
 * applies from the next result; any other change abandons a check in
 * flight and restarts the schedule (with new jitter). An identical config
 * changes nothing.
 *
 * Return: 0 or -EINVAL (the probe then keeps its old check).
 */
int xlb_hc_probe_update(struct xlb_hc_probe *p, const struct xlb_hc_cfg *cfg,
			char *err, size_t errlen);

/**
 * xlb_hc_probe_del() - stop and forget a probe
 *
 * A check in flight is abandoned (its process killed, its connection
 * closed) and never reported; no callback for @p runs after this. Safe
 * from any callback of the engine.
 */
void xlb_hc_probe_del(struct xlb_hc_probe *p);

/** xlb_hc_probe_status() - a snapshot of a probe's state */
void xlb_hc_probe_status(const struct xlb_hc_probe *p,
			 struct xlb_hc_status *st);

/** xlb_hc_probe_user() - the @user given to xlb_hc_probe_add() */
void *xlb_hc_probe_user(const struct xlb_hc_probe *p);

/** xlb_hc_probe_target() - the probe's target */
const struct xlb_hc_target *xlb_hc_probe_target(const struct xlb_hc_probe *p);

/** xlb_hc_stats() - engine-wide counters */
void xlb_hc_stats(const struct xlb_hc *hc, struct xlb_hc_stats *st);

/** xlb_hc_type_name() - "tcp", "http", ... as written in the config */
const char *xlb_hc_type_name(enum xlb_hc_type t);

/**
 * xlb_exec_user() - who a program xlbd starts runs as (exec checks, the
 * notify hook): fills @po's uid and gid for @user ("" = nobody) when xlbd
 * may switch users (CAP_SETUID, CAP_SETGID); otherwise the program runs as
 * xlbd's own user, and naming another one is an error
 *
 * Return: 0 (set, or left alone), or -errno with @why.
 */
int xlb_exec_user(const char *user, uv_process_options_t *po, char *why,
		  size_t len);

#endif /* XLB_HEALTH_H */
