/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: health-check engine internals
 *
 * Shared by the engine (health.c) and the check types (health_tcp.c,
 * health_udp.c, health_http.c, health_exec.c); not part of the API.
 *
 * A check in progress is a "run". Each type embeds struct hc_run at the
 * start of its own run struct and provides start() and stop():
 *
 * - start() begins the check; it reports the outcome, now or later, with
 *   hc_run_done().
 * - stop() is called exactly once, by hc_run_done(), and releases the run's
 *   I/O. Every libuv handle the run opened holds a reference
 *   (hc_run_hold()); its close callback drops it (hc_run_release()). The
 *   run, and its slot of max_inflight, are freed when the last reference
 *   goes, so the concurrency bound also covers sockets and processes that
 *   are still closing.
 */
#ifndef XLB_HEALTH_INTERNAL_H
#define XLB_HEALTH_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <uv.h>

#include "health.h"

struct hc_run;

/*
 * struct hc_check_ops - a check type, the engine's only way to it (the
 * types call the engine's services below; the engine calls no function of
 * a type by name, so no two files call each other)
 * @size: of the type's run struct
 * @start, @stop: one run (see above)
 * @prepare: what the type shares across its probes, created on demand
 *           when a probe of the type is added or updated (libcurl's multi,
 *           raw sockets); may be NULL
 * @ready: can family @af be checked (tcp mode syn: raw sockets)? 0, or a
 *         negative errno and why in @err; may be NULL
 * @close: free what @prepare created, with the engine; may be NULL
 */
struct hc_check_ops {
	size_t size;
	void (*start)(struct hc_run *r);
	void (*stop)(struct hc_run *r);
	int (*prepare)(struct xlb_hc *hc);
	int (*ready)(const struct xlb_hc *hc, int af, char *err, size_t errlen);
	void (*close)(struct xlb_hc *hc);
};

struct hc_probe_link {
	struct hc_probe_link *next;
	struct hc_probe_link *prev;
};

struct xlb_hc_probe {
	struct xlb_hc *hc;
	struct xlb_hc_cfg cfg;
	struct xlb_hc_target t;
	struct xlb_hsm sm;
	void *user;
	uv_timer_t timer; /* the schedule */
	struct hc_run *run; /* running, or NULL */
	struct hc_probe_link all; /* in hc->probes */
	struct hc_probe_link queue; /* in hc->queue while waiting */
	bool queued;
	bool deleted;
	bool due; /* a tick came while the check ran: start when it ends */
	bool use_syn; /* tcp mode syn, and the raw socket works */
	bool syn_warned; /* said once why it does not */
	__be32 syn_src4; /* IPv4 syn: cached source address */
	__u16 syn_src_left; /* checks before it is looked up again */
	int refs; /* timer handle, run, creator */
	struct xlb_hc_status st;
};

struct hc_run {
	struct xlb_hc_probe *p;
	const struct hc_check_ops *ops;
	uv_timer_t timeout;
	__u64 start_ns;
	int refs;
	bool done;
	bool cancelled; /* abandoned: no result */
	/* set by a type when it knows better than the generic error */
	char err[XLB_HC_ERR_MAX];
};

struct xlb_hc {
	uv_loop_t *loop;
	struct xlb_hc_opts o;
	struct hc_probe_link probes;
	struct hc_probe_link queue;
	struct xlb_hc_stats stats;
	__u64 rng;
	int refs; /* creator, probes, handles */
	bool closing;
	/* libcurl multi, created with the first HTTP(S) check */
	CURLM *multi;
	uv_timer_t curl_timer;
	bool curl_timer_init;
	int curl_depth; /* inside curl_multi_socket_action() */
	bool curl_cleanup_pending;
	/* raw sockets of tcp mode syn, opened with the first such check */
	struct hc_syn *syn;
};

/* --- engine services for the check types ------------------------------ */

/**
 * hc_run_done() - the check's outcome; only the first call counts
 * @r: the run
 * @ok: healthy
 * @fmt: printf format of the error (ignored when @ok; NULL: r->err)
 */
void hc_run_done(struct hc_run *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hc_run_hold(struct hc_run *r);
void hc_run_release(struct hc_run *r);
/* close callback for a handle whose ->data is its run */
void hc_run_handle_closed(uv_handle_t *h);

/**
 * hc_run_dest() - where the check goes: the VIP (via_vip) or the backend
 * Return: the sockaddr length.
 */
socklen_t hc_run_dest(const struct hc_run *r, struct sockaddr_storage *ss);

/**
 * hc_run_sockopts() - SO_MARK and source address of via_vip checks
 * Return: 0, or a negative errno with r->err set.
 */
int hc_run_sockopts(struct hc_run *r, int fd);

/**
 * hc_run_socket() - a non-blocking socket toward hc_run_dest(), marked and
 * bound for via_vip
 * Return: the fd, or a negative errno with r->err set.
 */
int hc_run_socket(struct hc_run *r, int type);

/**
 * struct hc_sock - a run's socket, watched by the loop (tcp, udp, dns)
 * @poll: its handle once hc_sock_watch() ran; ->data is the run
 * @fd: the socket (-1: none)
 * @polling: @poll is initialised
 */
struct hc_sock {
	uv_poll_t poll;
	int fd;
	bool polling;
};

/**
 * hc_sock_watch() - call @cb when @s->fd has @events; the run holds a
 * reference until the handle is closed
 * Return: 0, or a negative errno, already reported with hc_run_done().
 */
int hc_sock_watch(struct hc_run *r, struct hc_sock *s, int events,
		  uv_poll_cb cb);
/** hc_sock_close() - for stop(): the handle, then the fd */
void hc_sock_close(struct hc_sock *s);

/* escape a string for an error message: quotes, control characters */
void hc_quote(char *out, size_t len, const char *s, size_t n);

/* --- the check types ---------------------------------------------------- */

extern const struct hc_check_ops hc_tcp_ops;
extern const struct hc_check_ops hc_udp_ops;
extern const struct hc_check_ops hc_dns_ops;
extern const struct hc_check_ops hc_http_ops;
extern const struct hc_check_ops hc_exec_ops;
extern const struct hc_check_ops hc_syn_ops;

/* the engine's random numbers (xorshift: spread, not secrecy) */
__u64 hc_rand(struct xlb_hc *hc);

void hc_ref(struct xlb_hc *hc);
void hc_unref(struct xlb_hc *hc);

#endif /* XLB_HEALTH_INTERNAL_H */
