// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: exec check
 *
 * Runs argv with uv_spawn() (no shell), the backend in XLB_BACKEND, the
 * port in XLB_PORT and the VIP in XLB_VIP; exit status 0 is healthy. The
 * child's stdout and stderr share one pipe whose first line, read when it
 * exits, goes into the error message ("exit status 2: CRITICAL - ..."), as
 * monitoring plugins print their verdict there.
 *
 * The child starts a session of its own (UV_PROCESS_DETACHED), so at the
 * timeout the whole process group is killed: a script's own children
 * (curl, sleep) die with it instead of lingering. The process handle stays
 * open until the kernel reports the exit, so the child is always reaped and
 * its slot of max_inflight is held until then.
 *
 * The command never runs with xlbd's privileges. When xlbd may change
 * user (CAP_SETUID and CAP_SETGID: run as root), the child takes the
 * check's user (default nobody): libuv forks, then setgroups(0), setgid()
 * and setuid() to that user's uid and primary group, then execs. When xlbd
 * cannot (the shipped unit runs it as user xlb), the command runs as xlbd's
 * own user, and a check naming another user fails. Either way xlbd clears
 * its ambient capabilities first, so the command inherits none of
 * CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW, CAP_PERFMON (docs/health.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "health_internal.h"

extern char **environ;

#define EXEC_OUT_MAX 120

struct hc_exec {
	struct hc_run r;
	uv_process_t proc;
	int out_fd; /* read end of the output pipe */
	bool spawned;
	bool exited;
};

/* First line of what the child printed, trimmed, or "". */
static void read_output(struct hc_exec *c, char *line, size_t len)
{
	char buf[EXEC_OUT_MAX + 1];
	ssize_t n;
	char *s, *e;

	line[0] = '\0';
	if (c->out_fd < 0)
		return;
	n = read(c->out_fd, buf, EXEC_OUT_MAX);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (s = buf; *s == ' ' || *s == '\n' || *s == '\t'; s++)
		;
	e = strchr(s, '\n');
	if (e)
		*e = '\0';
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '\t'))
		*--e = '\0';
	hc_quote(line, len, s, strlen(s));
}

/* Whether this process may switch users (CAP_SETUID and CAP_SETGID). */
static bool can_switch_user(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	__u32 need = (1u << CAP_SETUID) | (1u << CAP_SETGID);

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return (data[0].effective & need) == need;
}

int xlb_exec_user(const char *user, uv_process_options_t *po, char *why,
		  size_t len)
{
	struct passwd pw, *res = NULL;
	bool can = can_switch_user();
	char buf[2048];
	int err;

	if (!user[0] && !can)
		return 0;
	if (!user[0])
		user = "nobody";
	err = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (!res) {
		snprintf(why, len, "user %s: %s", user,
			 err ? strerror(err) : "no such user");
		return err ? -err : -ENOENT;
	}
	if (!can) {
		if (pw.pw_uid == geteuid())
			return 0;
		snprintf(why, len,
			 "cannot run as user %s: xlbd runs as uid %u without "
			 "CAP_SETUID",
			 user, (unsigned int)geteuid());
		return -EPERM;
	}
	po->uid = pw.pw_uid;
	po->gid = pw.pw_gid;
	po->flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
	return 0;
}

static void exec_exit_cb(uv_process_t *h, int64_t status, int sig)
{
	struct hc_exec *c = h->data;
	char out[EXEC_OUT_MAX + 8];

	c->exited = true;
	if (c->r.done) {
		/* killed after the timeout or a cancel: only reap */
		uv_close((uv_handle_t *)h, hc_run_handle_closed);
		return;
	}
	read_output(c, out, sizeof(out));
	if (sig)
		hc_run_done(&c->r, false, "killed by signal %d (%s)%s%s", sig,
			    strsignal(sig), out[0] ? ": " : "", out);
	else if (status)
		hc_run_done(&c->r, false, "exit status %lld%s%s",
			    (long long)status, out[0] ? ": " : "", out);
	else
		hc_run_done(&c->r, true, NULL);
}

static void exec_start(struct hc_run *r)
{
	struct hc_exec *c = (struct hc_exec *)r;
	const struct xlb_hc_cfg *cfg = &r->p->cfg;
	const struct xlb_hc_target *t = &r->p->t;
	char *args[XLB_ARGV_MAX + 1] = {};
	char env_be[16 + XLB_ADDR_STRLEN], env_vip[16 + XLB_ADDR_STRLEN];
	char env_port[32], a[XLB_ADDR_STRLEN], why[160];
	uv_process_options_t po = {};
	uv_stdio_container_t stdio[3];
	char **env = NULL;
	size_t i, n = 0;
	int fds[2] = { -1, -1 }, err;

	c->out_fd = -1;
	for (i = 0; i < cfg->argc && i < XLB_ARGV_MAX; i++)
		args[i] = (char *)cfg->argv[i];

	snprintf(env_be, sizeof(env_be), "XLB_BACKEND=%s",
		 xlb_addr_str(&t->backend, a));
	snprintf(env_vip, sizeof(env_vip), "XLB_VIP=%s",
		 t->vip.family ? xlb_addr_str(&t->vip, a) : "");
	snprintf(env_port, sizeof(env_port), "XLB_PORT=%u", t->port);
	while (environ && environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env) {
		hc_run_done(r, false, "exec: out of memory");
		return;
	}
	n = 0;
	for (i = 0; environ && environ[i]; i++)
		if (strncmp(environ[i], "XLB_", 4))
			env[n++] = environ[i];
	env[n++] = env_be;
	env[n++] = env_vip;
	env[n++] = env_port;

	if (pipe2(fds, O_CLOEXEC)) {
		hc_run_done(r, false, "pipe: %s", strerror(errno));
		goto out;
	}
	c->out_fd = fds[0];
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);

	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = fds[1];
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = fds[1];
	po.file = args[0];
	po.args = args;
	po.env = env;
	po.stdio = stdio;
	po.stdio_count = 3;
	po.flags = UV_PROCESS_DETACHED;
	po.exit_cb = exec_exit_cb;
	if (xlb_exec_user(cfg->user, &po, why, sizeof(why))) {
		close(fds[1]);
		hc_run_done(r, false, "exec: %s", why);
		goto out;
	}
	/* Ambient capabilities survive execve(): never hand them on. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	c->proc.data = c;
	err = uv_spawn(r->p->hc->loop, &c->proc, &po);
	close(fds[1]);
	if (err) {
		/* uv_spawn() leaves a handle to close even when it fails */
		hc_run_hold(r);
		uv_close((uv_handle_t *)&c->proc, hc_run_handle_closed);
		hc_run_done(r, false, "exec %s: %s", args[0], uv_strerror(err));
		goto out;
	}
	c->spawned = true;
	hc_run_hold(r);
out:
	free(env);
}

static void exec_stop(struct hc_run *r)
{
	struct hc_exec *c = (struct hc_exec *)r;

	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
	if (!c->spawned)
		return;
	if (c->exited) {
		uv_close((uv_handle_t *)&c->proc, hc_run_handle_closed);
		return;
	}
	/* Timed out or cancelled: kill the group; exec_exit_cb reaps it. */
	if (kill(-c->proc.pid, SIGKILL) && errno == ESRCH)
		uv_process_kill(&c->proc, SIGKILL);
}

const struct hc_check_ops hc_exec_ops = {
	.size = sizeof(struct hc_exec),
	.start = exec_start,
	.stop = exec_stop,
};
