// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the API socket
 *
 * A Unix stream socket, mode 0660, group api.group. Each connection is
 * checked with SO_PEERCRED and SO_PEERGROUPS: root, xlbd's own user, or a
 * member of the configured group (primary or supplementary). Requests are
 * lines of JSON (userspace/lib/api.h), answered in order; a command may
 * answer later, and the connection stops reading until it has.
 *
 * Every client is bounded, so that no client can hold xlbd or lock others
 * out (the numbers are in docs/api.md):
 *
 * - replies waiting to be written are counted per connection; over
 *   API_OUTQ_SOFT xlbd stops reading that client's requests until it has
 *   read its replies, and disconnects it when the queue passes
 *   API_OUTQ_HARD or stays over the soft limit for API_STALL_MS;
 * - at most API_BATCH requests (or API_BATCH_BYTES of answers) of one
 *   client are handled per turn of the event loop, so a client that
 *   pipelines many requests does not delay the others;
 * - at most API_MAX_CONNS clients, of which the last API_ROOT_CONNS slots
 *   only root (or xlbd's own user) may take;
 * - a client that has sent no request is closed after API_FIRST_MS, one
 *   idle between requests after API_IDLE_MS;
 * - a refused client is told why: xlbd reads its first line (for at most
 *   API_REFUSE_MS), answers, and closes once the answer is written, so the
 *   client reads the answer instead of a broken pipe.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "api.h"
#include "log.h"
#include "xlbd.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13 */
#endif

#define API_MAX_CONNS	 64 /* clients at once */
#define API_ROOT_CONNS	 4 /* of which only root may take the last ones */
#define API_MAX_REFUSING 16 /* refused clients being answered */
#define API_FIRST_MS	 5000 /* connect to first request */
#define API_IDLE_MS	 60000 /* between requests */
#define API_REFUSE_MS	 1000 /* wait for a refused client's request */
#define API_STALL_MS	 10000 /* replies unread over the soft limit */
#define API_OUTQ_SOFT	 (1u << 20) /* stop reading requests over this */
#define API_OUTQ_HARD	 (16u << 20) /* disconnect over this */
#define API_BATCH	 8 /* requests per client per loop turn */
#define API_BATCH_BYTES	 (64u << 10) /* or replies per client per turn */

struct api_srv {
	uv_pipe_t pipe;
	struct xlbd *d;
	api_dispatch_fn dispatch; /* commands_dispatch(), given by main */
	char path[XLB_SOCK_PATH_MAX];
	gid_t gid;
	bool have_gid;
	size_t nconn; /* admitted clients */
	size_t nrefusing; /* refused clients being answered */
	struct api_conn *conns; /* list, for shutdown */
};

enum conn_state {
	CONN_OPEN, /* requests are read and answered */
	CONN_REFUSED, /* waiting for the first line, to answer "no" */
	CONN_DRAINING, /* no more requests: closed once replies are out */
};

struct api_conn {
	struct api_conn *next, **pprev;
	uv_pipe_t h;
	uv_timer_t timer; /* first request, idle, stall, refusal */
	uv_idle_t resume; /* next batch of requests, next loop turn */
	struct api_srv *srv;
	struct xlb_api_buf buf;
	struct api_req *inflight;
	struct ucred cr;
	enum conn_state state;
	int refuse_err;
	const char *refuse_msg;
	size_t outq; /* bytes of replies not yet written */
	bool counted; /* in srv->nconn (else in srv->nrefusing) */
	bool seen; /* a request has come */
	bool eof; /* the client has finished sending */
	bool blocked; /* not reading: too many replies unread */
	bool dispatching; /* inside commands_dispatch() */
	int closing;
	int handles; /* open libuv handles, freed at 0 */
};

struct api_req {
	struct api_conn *c; /* NULL once the client has gone */
};

struct wreq {
	uv_write_t w;
	struct api_conn *c;
	size_t len;
	char *data;
};

static void conn_process(struct api_conn *c);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void conn_handle_closed(uv_handle_t *h)
{
	struct api_conn *c = h->data;

	if (--c->handles)
		return;
	xlb_api_buf_free(&c->buf);
	free(c);
}

static void conn_close(struct api_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->counted)
		c->srv->nconn--;
	else
		c->srv->nrefusing--;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	if (c->inflight)
		c->inflight->c = NULL;
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->resume, conn_handle_closed);
	/* cancels queued writes: on_written() frees them first */
	uv_close((uv_handle_t *)&c->h, conn_handle_closed);
}

static void on_timer(uv_timer_t *t);

static void conn_arm(struct api_conn *c, uint64_t ms)
{
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

static bool conn_has_line(const struct api_conn *c)
{
	return c->buf.len && memchr(c->buf.data, '\n', c->buf.len);
}

/* No more requests: close as soon as every reply is written. */
static void conn_drain(struct api_conn *c)
{
	if (c->closing)
		return;
	if (c->state != CONN_DRAINING) {
		c->state = CONN_DRAINING;
		uv_read_stop((uv_stream_t *)&c->h);
		uv_idle_stop(&c->resume);
		conn_arm(c, API_STALL_MS);
	}
	if (!c->outq && !c->inflight)
		conn_close(c);
}

static void on_written(uv_write_t *w, int status)
{
	struct wreq *r = (struct wreq *)w;
	struct api_conn *c = r->c;

	c->outq -= r->len;
	free(r->data);
	free(r);
	if (c->closing)
		return;
	if (status < 0) {
		/* the client has gone without reading */
		conn_close(c);
		return;
	}
	if (c->state == CONN_DRAINING) {
		conn_drain(c);
		return;
	}
	if (c->blocked && c->outq <= API_OUTQ_SOFT) {
		c->blocked = false;
		conn_arm(c, API_IDLE_MS);
		conn_process(c);
	}
}

static void conn_send(struct api_conn *c, char *line)
{
	struct wreq *r;
	uv_buf_t b;

	if (c->closing) {
		free(line);
		return;
	}
	if (!line) {
		conn_close(c);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(line);
		conn_close(c);
		return;
	}
	r->c = c;
	r->data = line;
	r->len = strlen(line);
	b = uv_buf_init(line, r->len);
	if (uv_write(&r->w, (uv_stream_t *)&c->h, &b, 1, on_written)) {
		free(line);
		free(r);
		conn_close(c);
		return;
	}
	c->outq += r->len;
	if (c->outq > API_OUTQ_HARD) {
		pr_warn("api: client pid %d uid %u: %zu bytes of replies "
			"unread (limit %u), disconnected",
			c->cr.pid, c->cr.uid, c->outq, API_OUTQ_HARD);
		conn_close(c);
	}
}

void api_reply(struct api_req *r, json_t *result, int err, const char *msg)
{
	struct api_conn *c = r->c;

	if (!c) {
		json_decref(result);
		free(r);
		return;
	}
	c->inflight = NULL;
	if (err)
		conn_send(c, xlb_api_response_err(err, msg));
	else
		conn_send(c, xlb_api_response_ok(result));
	if (err)
		json_decref(result);
	free(r);
	/* answered at once: conn_process()'s loop goes on by itself */
	if (c->closing || c->dispatching)
		return;
	if (!c->blocked && c->state == CONN_OPEN)
		conn_arm(c, API_IDLE_MS);
	conn_process(c);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(sz);
	b->len = b->base ? sz : 0;
}

static void conn_read_start(struct api_conn *c)
{
	int r = uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);

	if (r && r != UV_EALREADY)
		conn_close(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct api_conn *c = s->data;

	if (n == UV_EOF) {
		free(b->base);
		/* answer what was asked, then close */
		c->eof = true;
		uv_read_stop(s);
		conn_process(c);
		return;
	}
	if (n < 0) {
		free(b->base);
		conn_close(c);
		return;
	}
	if (n > 0 && xlb_api_buf_feed(&c->buf, b->base, n)) {
		free(b->base);
		if (c->state == CONN_REFUSED) {
			/* no line in sight: answer now */
			c->eof = true;
			conn_process(c);
			return;
		}
		conn_send(c,
			  xlb_api_response_err(EMSGSIZE, "request too large"));
		conn_drain(c);
		return;
	}
	free(b->base);
	conn_process(c);
}

/* Too many replies unread: stop reading until the client catches up. */
static void conn_block(struct api_conn *c)
{
	if (c->blocked)
		return;
	c->blocked = true;
	uv_read_stop((uv_stream_t *)&c->h);
	conn_arm(c, API_STALL_MS);
	pr_debug("api: client pid %d uid %u: %zu bytes of replies unread, "
		 "not reading its requests",
		 c->cr.pid, c->cr.uid, c->outq);
}

static void conn_refuse_now(struct api_conn *c)
{
	conn_send(c, xlb_api_response_err(c->refuse_err, c->refuse_msg));
	conn_drain(c);
}

static void on_resume(uv_idle_t *h)
{
	struct api_conn *c = h->data;

	uv_idle_stop(h);
	conn_process(c);
}

/* Handle buffered lines while no request is in flight. */
static void conn_process(struct api_conn *c)
{
	char err[XLB_API_ERRLEN], *line;
	const char *cmd;
	json_t *req, *args;
	struct api_req *r;
	size_t outq0 = c->outq;
	int n, batch = 0;

	if (c->state == CONN_REFUSED) {
		if (c->eof || conn_has_line(c) || c->buf.len > 4096)
			conn_refuse_now(c);
		return;
	}
	if (c->state == CONN_DRAINING) {
		conn_drain(c);
		return;
	}
	while (!c->closing && c->state == CONN_OPEN && !c->inflight) {
		if (c->outq > API_OUTQ_SOFT) {
			conn_block(c);
			return;
		}
		if (!conn_has_line(c) && c->buf.len <= XLB_API_MAX_MSG)
			break;
		if (batch++ == API_BATCH || c->outq > outq0 + API_BATCH_BYTES) {
			/* the others' turn: go on at the next loop turn */
			uv_read_stop((uv_stream_t *)&c->h);
			uv_idle_start(&c->resume, on_resume);
			return;
		}
		n = xlb_api_buf_line(&c->buf, &line);
		if (n < 0) {
			conn_send(c, xlb_api_response_err(EMSGSIZE,
							  "request too large"));
			conn_drain(c);
			return;
		}
		if (!n)
			break;
		c->seen = true;
		conn_arm(c, API_IDLE_MS);
		if (xlb_api_request_parse(line, &req, &cmd, &args, err,
					  sizeof(err))) {
			free(line);
			conn_send(c, xlb_api_response_err(EINVAL, err));
			continue;
		}
		free(line);
		r = calloc(1, sizeof(*r));
		if (!r) {
			json_decref(req);
			conn_close(c);
			return;
		}
		r->c = c;
		c->inflight = r;
		uv_read_stop((uv_stream_t *)&c->h);
		c->dispatching = true;
		c->srv->dispatch(c->srv->d, r, cmd, args);
		c->dispatching = false;
		json_decref(req);
	}
	if (c->closing || c->state != CONN_OPEN || c->inflight)
		return;
	if (c->eof)
		conn_drain(c);
	else
		conn_read_start(c);
}

static void on_timer(uv_timer_t *t)
{
	struct api_conn *c = t->data;

	if (c->closing)
		return;
	switch (c->state) {
	case CONN_REFUSED:
		conn_refuse_now(c);
		return;
	case CONN_DRAINING:
		conn_close(c);
		return;
	case CONN_OPEN:
		break;
	}
	if (c->blocked) {
		pr_warn("api: client pid %d uid %u: %zu bytes of replies "
			"unread for %u s, disconnected",
			c->cr.pid, c->cr.uid, c->outq, API_STALL_MS / 1000);
		conn_close(c);
	} else if (c->inflight) {
		conn_arm(c, API_IDLE_MS);
	} else {
		pr_debug("api: client pid %d uid %u: %s, closed", c->cr.pid,
			 c->cr.uid,
			 c->seen ? "idle" : "no request after connecting");
		conn_close(c);
	}
}

/* Is @gid one of the peer's groups, primary or supplementary? */
static bool peer_in_group(int fd, const struct ucred *cr, gid_t gid)
{
	gid_t buf[64], *g = buf;
	socklen_t len = sizeof(buf);
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	bool found = false;
	int n, i, r;

	if (cr->gid == gid)
		return true;
	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
	if (r && errno == ERANGE) {
		/* more than 64 groups: @len says how much room they need */
		g = malloc(len);
		if (!g)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len))
			len = 0;
	} else if (r && errno == ENOPROTOOPT) {
		/* kernel before 4.13: the groups of the peer's user */
		if (getpwuid_r(cr->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) ||
		    !pwp)
			return false;
		n = sizeof(buf) / sizeof(buf[0]);
		if (getgrouplist(pw.pw_name, cr->gid, buf, &n) < 0)
			return false;
		len = n * sizeof(gid_t);
	} else if (r) {
		return false;
	}
	for (i = 0; i < (int)(len / sizeof(gid_t)); i++) {
		if (g[i] == gid) {
			found = true;
			break;
		}
	}
	if (g != buf)
		free(g);
	return found;
}

static bool peer_allowed(struct api_srv *srv, int fd, const struct ucred *cr)
{
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	return srv->have_gid && peer_in_group(fd, cr, srv->gid);
}

/* Answer @c with an error once it has sent its first line, then close. */
static void conn_refuse(struct api_conn *c, int err, const char *msg)
{
	struct api_srv *srv = c->srv;

	c->state = CONN_REFUSED;
	c->refuse_err = err;
	c->refuse_msg = msg;
	if (c->counted) {
		c->counted = false;
		srv->nconn--;
		srv->nrefusing++;
	}
	if (srv->nrefusing > API_MAX_REFUSING) {
		/* too many to wait for: answer at once */
		conn_refuse_now(c);
		return;
	}
	conn_arm(c, API_REFUSE_MS);
	conn_read_start(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct api_srv *srv = server->data;
	socklen_t len = sizeof(struct ucred);
	struct api_conn *c;
	size_t max;
	uv_os_fd_t fd;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	uv_pipe_init(server->loop, &c->h, 0);
	uv_timer_init(server->loop, &c->timer);
	uv_idle_init(server->loop, &c->resume);
	c->h.data = c;
	c->timer.data = c;
	c->resume.data = c;
	c->handles = 3;
	c->counted = true;
	srv->nconn++;
	c->next = srv->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &srv->conns;
	srv->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->h) ||
	    uv_fileno((uv_handle_t *)&c->h, &fd) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cr, &len)) {
		conn_close(c);
		return;
	}
	if (!peer_allowed(srv, fd, &c->cr)) {
		pr_warn("api: refused client pid %d uid %u gid %u: not root "
			"and not in the api group",
			c->cr.pid, c->cr.uid, c->cr.gid);
		conn_refuse(c, EACCES, "not allowed");
		return;
	}
	max = API_MAX_CONNS;
	if (c->cr.uid != 0 && c->cr.uid != geteuid())
		max -= API_ROOT_CONNS;
	if (srv->nconn > max) {
		pr_warn("api: refused client pid %d uid %u: too many clients "
			"(%zu)",
			c->cr.pid, c->cr.uid, srv->nconn - 1);
		conn_refuse(c, EBUSY, "not allowed now: too many clients");
		return;
	}
	conn_arm(c, API_FIRST_MS);
	conn_read_start(c);
}

static int mkdir_parent(const char *path)
{
	char tmp[XLB_SOCK_PATH_MAX], *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

int api_start(struct xlbd *d, api_dispatch_fn dispatch, char *err,
	      size_t errlen)
{
	const char *path = d->opts.socket ? d->opts.socket : d->cfg->api_socket;
	struct api_srv *srv;
	struct group *g;
	struct stat st;
	int r, fd;

	/*
	 * libuv writes replies with write(2): a client that has gone before
	 * its answer would kill xlbd with SIGPIPE. Ignored, the write fails
	 * with EPIPE and only that connection closes. (uv_spawn() resets
	 * the disposition in the health checks it runs.)
	 */
	signal(SIGPIPE, SIG_IGN);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->d = d;
	srv->dispatch = dispatch;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	if (d->cfg->api_group[0]) {
		g = getgrnam(d->cfg->api_group);
		if (!g) {
			snprintf(err, errlen, "api: group '%s' does not exist",
				 d->cfg->api_group);
			free(srv);
			return -ENOENT;
		}
		srv->gid = g->gr_gid;
		srv->have_gid = true;
	}
	r = mkdir_parent(path);
	if (r) {
		snprintf(err, errlen, "api: directory of %s: %s", path,
			 strerror(-r));
		free(srv);
		return r;
	}
	/* A live socket means another xlbd: never steal it. */
	if (!lstat(path, &st)) {
		fd = xlb_api_connect(path);
		if (fd >= 0) {
			close(fd);
			snprintf(err, errlen,
				 "api: %s is in use (is another "
				 "xlbd running?)",
				 path);
			free(srv);
			return -EADDRINUSE;
		}
		if (S_ISSOCK(st.st_mode))
			unlink(path);
	}
	uv_pipe_init(d->loop, &srv->pipe, 0);
	srv->pipe.data = srv;
	r = uv_pipe_bind(&srv->pipe, path);
	if (!r) {
		chmod(path, 0660);
		if (srv->have_gid && chown(path, (uid_t)-1, srv->gid))
			pr_warn("api: chown %s: %s", path, strerror(errno));
		r = uv_listen((uv_stream_t *)&srv->pipe, 64, on_connection);
	}
	if (r) {
		snprintf(err, errlen, "api: listen on %s: %s", path,
			 uv_strerror(r));
		uv_close((uv_handle_t *)&srv->pipe, (uv_close_cb)free);
		return r;
	}
	d->api = srv;
	pr_info("api: listening on %s", path);
	return 0;
}

void api_stop(struct xlbd *d)
{
	struct api_srv *srv = d->api;

	if (!srv)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	unlink(srv->path);
	uv_close((uv_handle_t *)&srv->pipe, (uv_close_cb)free);
	d->api = NULL;
}
