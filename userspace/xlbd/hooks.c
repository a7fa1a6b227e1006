// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the notify hook, for alerting
 *
 * With `notify: {command: /path}` in the configuration (and/or a VIP's own
 * `notify: /path`, run for that VIP's events), xlbd runs that program on
 * every state change an operator alerts on, as keepalived runs
 * its notify scripts: a backend going up or down (its checks' verdict),
 * and a VIP announced or withdrawn. The event is the first argument and is
 * in the environment with its details:
 *
 *   XLB_EVENT    backend_up, backend_down, vip_announce, vip_withdraw
 *   XLB_VIP      the VIP, "192.0.2.10:80/tcp" (for a VIP event the one
 *                whose state changed)
 *   XLB_VIP_NAME its configured name, if any
 *   XLB_BACKEND  the backend's address (backend events)
 *   XLB_REASON   why, in xlbd's words
 *
 * The program runs without a shell, with no capability, as `notify.user`
 * (default nobody when xlbd may switch users, else xlbd's own user: the
 * rule of exec checks, xlb_exec_user()). It is never waited for: xlbd's
 * loop goes on, a program still running after HOOK_TIMEOUT_MS is killed,
 * and at most HOOK_MAX run at once (an event beyond that is logged and
 * dropped rather than queued without bound). A failure is logged.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "health.h"
#include "log.h"
#include "xlbd.h"

#define HOOK_MAX	16
#define HOOK_TIMEOUT_MS 10000

extern char **environ;

struct hook_run {
	uv_process_t proc;
	uv_timer_t timer;
	char event[24];
	int closing;
};

static unsigned int hooks_running;

static void run_free(uv_handle_t *h)
{
	struct hook_run *r = h->data;

	if (++r->closing == 2) {
		free(r);
		hooks_running--;
	}
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct hook_run *r = p->data;

	if (sig)
		pr_warn("notify %s: killed by signal %d", r->event, sig);
	else if (status)
		pr_warn("notify %s: exit status %lld", r->event,
			(long long)status);
	else
		pr_debug("notify %s: done", r->event);
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, run_free);
	uv_close((uv_handle_t *)p, run_free);
}

static void on_timeout(uv_timer_t *t)
{
	struct hook_run *r = t->data;

	pr_warn("notify %s: still running after %d ms: killed", r->event,
		HOOK_TIMEOUT_MS);
	uv_process_kill(&r->proc, SIGKILL);
}

/* Start @cmd for one event; never waits for it. */
static void hook_run(struct xlbd *d, const char *cmd, const char *event,
		     const struct vip_rt *v, const struct be_rt *b,
		     const char *reason)
{
	char e_ev[48], e_vip[128], e_name[96], e_be[80], e_why[400];
	char why[256], as[XLB_ADDR_STRLEN];
	uv_process_options_t po = {};
	uv_stdio_container_t stdio[3];
	char *args[3], **env = NULL;
	struct hook_run *r = NULL;
	size_t n = 0, i;
	int err;

	if (hooks_running >= HOOK_MAX) {
		pr_warn("notify %s %s: %u hooks still running, event dropped",
			event, v->name, hooks_running);
		return;
	}
	for (i = 0; environ && environ[i]; i++)
		n++;
	env = calloc(n + 6, sizeof(*env));
	r = calloc(1, sizeof(*r));
	if (!env || !r)
		goto fail_nomem;
	n = 0;
	for (i = 0; environ && environ[i]; i++)
		if (strncmp(environ[i], "XLB_", 4))
			env[n++] = environ[i];
	snprintf(e_ev, sizeof(e_ev), "XLB_EVENT=%s", event);
	snprintf(e_vip, sizeof(e_vip), "XLB_VIP=%s", v->name);
	env[n++] = e_ev;
	env[n++] = e_vip;
	if (v->cfg.name[0]) {
		snprintf(e_name, sizeof(e_name), "XLB_VIP_NAME=%s",
			 v->cfg.name);
		env[n++] = e_name;
	}
	if (b) {
		snprintf(e_be, sizeof(e_be), "XLB_BACKEND=%s",
			 xlb_addr_str(&b->cfg.addr, as));
		env[n++] = e_be;
	}
	if (reason) {
		snprintf(e_why, sizeof(e_why), "XLB_REASON=%s", reason);
		env[n++] = e_why;
	}
	snprintf(r->event, sizeof(r->event), "%s", event);
	args[0] = (char *)cmd;
	args[1] = r->event;
	args[2] = NULL;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 2; /* into xlbd's log */
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	po.file = cmd;
	po.args = args;
	po.env = env;
	po.stdio = stdio;
	po.stdio_count = 3;
	po.exit_cb = on_exit_cb;
	if (xlb_exec_user(d->cfg->notify_user, &po, why, sizeof(why))) {
		pr_err("notify %s %s: %s", event, v->name, why);
		goto out;
	}
	/* Ambient capabilities survive execve(): never hand them on. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	r->proc.data = r;
	err = uv_spawn(d->loop, &r->proc, &po);
	if (err) {
		pr_err("notify %s %s: %s: %s", event, v->name, cmd,
		       uv_strerror(err));
		/* uv_spawn() leaves a handle to close even when it fails */
		r->closing = 1;
		hooks_running++;
		uv_close((uv_handle_t *)&r->proc, run_free);
		r = NULL;
		goto out;
	}
	hooks_running++;
	uv_timer_init(d->loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, on_timeout, HOOK_TIMEOUT_MS, 0);
	pr_debug("notify %s %s: pid %d", event, v->name, r->proc.pid);
	r = NULL;
	goto out;
fail_nomem:
	pr_err("notify %s %s: out of memory", event, v->name);
out:
	free(r);
	free(env);
}

/**
 * hooks_event() - run the notify hooks for one event: notify.command and
 * the VIP's own notify (no-op without either)
 * @event: "backend_up", "backend_down", "vip_announce", "vip_withdraw"
 * @v: the VIP
 * @b: the backend, NULL for a VIP event
 * @reason: one line, or NULL
 */
void hooks_event(struct xlbd *d, const char *event, const struct vip_rt *v,
		 const struct be_rt *b, const char *reason)
{
	if (!d->cfg || d->stopping)
		return;
	if (d->cfg->notify_command[0])
		hook_run(d, d->cfg->notify_command, event, v, b, reason);
	if (v->cfg.notify[0] && strcmp(v->cfg.notify, d->cfg->notify_command))
		hook_run(d, v->cfg.notify, event, v, b, reason);
}
