// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: systemd notifications (Type=notify)
 *
 * The sd_notify protocol is one datagram of "KEY=value" lines to the Unix
 * socket named by $NOTIFY_SOCKET (a path, or an abstract name written with
 * a leading '@'); sd_notify(3) documents it as a stable interface that
 * daemons may speak without libsystemd. It is done here in a few lines
 * rather than linking libsystemd for one function.
 *
 * - READY=1 once the data path is attached (or --no-attach) and every
 *   health-checked backend has its first verdict: from then on the VIPs'
 *   announcements follow their health (bgp.c's "decided"). A check that
 *   cannot reach a verdict does not hold start-up forever: after
 *   NOTIFY_READY_MAX_MS xlbd says READY anyway and logs which are pending.
 * - WATCHDOG=1 every WATCHDOG_USEC / 2 when systemd asks for it, from a
 *   timer of xlbd's loop: a loop that is stuck stops the pings and systemd
 *   restarts xlbd (the data path keeps forwarding meanwhile).
 * - STATUS= one line for `systemctl status`: "3 VIPs, 2 servable, 2
 *   announced" (", BIRD unreachable (3 attempts failed)"), sent when it
 *   changes.
 * - STOPPING=1 when xlbd begins to stop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "xlbd.h"

#define NOTIFY_READY_MAX_MS 30000
#define NOTIFY_POLL_MS	    100 /* until ready */
#define NOTIFY_STATUS_MS    1000 /* after */

static struct {
	int fd;
	struct sockaddr_un sa;
	socklen_t salen;
	bool ready;
	uv_timer_t tick, watchdog;
	char status[160];
} nt = { .fd = -1 };

static int notify_open(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!e || (e[0] != '/' && e[0] != '@'))
		return 0; /* not under systemd (vsock is not supported) */
	len = strlen(e);
	if (len >= sizeof(nt.sa.sun_path)) {
		pr_warn("systemd: NOTIFY_SOCKET too long; not notifying");
		return -ENAMETOOLONG;
	}
	nt.sa.sun_family = AF_UNIX;
	memcpy(nt.sa.sun_path, e, len);
	if (e[0] == '@')
		nt.sa.sun_path[0] = '\0';
	nt.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			       (e[0] == '/'));
	nt.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nt.fd < 0) {
		pr_warn("systemd: notify socket: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void notify_send(const char *msg)
{
	if (nt.fd < 0)
		return;
	if (sendto(nt.fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (struct sockaddr *)&nt.sa, nt.salen) < 0)
		pr_debug("systemd: notify '%s': %s", msg, strerror(errno));
}

/* backends whose checks have not reached their first verdict */
static size_t pending_checks(const struct xlbd *d)
{
	size_t i, j, n = 0;

	for (i = 0; i < d->n_vips; i++)
		for (j = 0; j < d->vips[i]->n_bes; j++)
			n += d->vips[i]->bes[j]->health_pending;
	return n;
}

static void status_line(struct xlbd *d, char *buf, size_t len)
{
	size_t i, serv = 0, ann = 0;
	json_t *bg, *arr, *e;
	long long fails;
	int o;

	for (i = 0; i < d->n_vips; i++)
		serv += d->vips[i]->servable;
	o = snprintf(buf, len, "%zu VIPs, %zu servable", d->n_vips, serv);
	bg = bgp_show(d);
	if (!bg || !json_is_true(json_object_get(bg, "enabled"))) {
		snprintf(buf + o, len - (size_t)o, ", BGP off");
	} else {
		arr = json_object_get(bg, "vips");
		json_array_foreach (arr, i, e)
			ann += json_is_true(json_object_get(e, "announced"));
		o += snprintf(buf + o, len - (size_t)o, ", %zu announced", ann);
		fails = json_integer_value(
			json_object_get(bg, "bird_failures"));
		if (!json_is_true(json_object_get(bg, "bird_synced")) && fails)
			snprintf(buf + o, len - (size_t)o,
				 ", BIRD unreachable (%lld attempt%s failed)",
				 fails, fails == 1 ? "" : "s");
	}
	json_decref(bg);
}

static void on_tick(uv_timer_t *t)
{
	struct xlbd *d = t->data;
	char msg[sizeof(nt.status) + 16], st[sizeof(nt.status)];
	bool attached = d->opts.no_attach || d->dp_attached;
	size_t pending = pending_checks(d);
	bool go = attached && !pending;

	if (!nt.ready && !go &&
	    xlbd_now_ms() - d->start_ms >= NOTIFY_READY_MAX_MS) {
		pr_warn("systemd: ready after %d s with %s",
			NOTIFY_READY_MAX_MS / 1000,
			!attached ? "the data path not attached" :
				    "health checks still pending");
		go = true;
	}
	if (nt.ready || go)
		status_line(d, st, sizeof(st));
	else if (!attached)
		snprintf(st, sizeof(st), "starting: data path not attached");
	else
		snprintf(
			st, sizeof(st),
			"starting: %zu backends wait for a first check verdict",
			pending);
	if (!strcmp(st, nt.status) && (nt.ready || !go))
		return;
	snprintf(nt.status, sizeof(nt.status), "%s", st);
	if (!nt.ready && go) {
		nt.ready = true;
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", st);
		uv_timer_set_repeat(t, NOTIFY_STATUS_MS);
	} else {
		snprintf(msg, sizeof(msg), "STATUS=%s", st);
	}
	notify_send(msg);
}

static void on_watchdog(uv_timer_t *t)
{
	(void)t;
	notify_send("WATCHDOG=1");
}

/* WATCHDOG_USEC in ms, 0 if systemd does not watch this process */
static __u64 watchdog_ms(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!us || !us[0])
		return 0;
	if (pid && pid[0] && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(us, &end, 10);
	if (errno || *end || !v)
		return 0;
	return v / 1000 ? v / 1000 : 1;
}

/**
 * notify_start() - start telling systemd (when it listens) how xlbd is
 * @d: the daemon, running its loop next
 *
 * Called once start-up is done; READY=1 follows from the loop as soon as
 * the data path and the first checks allow it, possibly in this call.
 */
void notify_start(struct xlbd *d)
{
	__u64 wd;

	if (notify_open() || nt.fd < 0)
		return;
	uv_timer_init(d->loop, &nt.tick);
	nt.tick.data = d;
	uv_timer_start(&nt.tick, on_tick, NOTIFY_POLL_MS, NOTIFY_POLL_MS);
	wd = watchdog_ms();
	if (wd) {
		uv_timer_init(d->loop, &nt.watchdog);
		uv_timer_start(&nt.watchdog, on_watchdog, wd / 2 ? wd / 2 : 1,
			       wd / 2 ? wd / 2 : 1);
		notify_send("WATCHDOG=1");
		pr_info("systemd: watchdog every %llu ms",
			(unsigned long long)(wd / 2 ? wd / 2 : 1));
	}
	on_tick(&nt.tick);
}

void xlbd_stop(struct xlbd *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	/* tell systemd first */
	notify_send("STOPPING=1\nSTATUS=stopping");
	pr_info("stopping%s", d->detach_on_exit ?
				      " (detaching and unpinning)" :
				      "; the data path keeps forwarding");
	uv_stop(d->loop);
}
