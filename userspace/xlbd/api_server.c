// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the API socket
 *
 * A Unix stream socket, mode 0660, group api.group. Each connection is
 * checked with SO_PEERCRED: root, xlbd's own user, or the configured
 * group. Requests are lines of JSON (userspace/lib/api.h), answered in
 * order; a command may answer later (pop drain --wait), and the connection
 * stops reading until it has. A connection idle for a minute, a message
 * over XLB_API_MAX_MSG, or more than API_MAX_CONNS clients are closed, so
 * a stuck or hostile client never holds xlbd.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "api.h"
#include "log.h"
#include "xlbd.h"

#define API_MAX_CONNS 64
#define API_IDLE_MS   60000

struct api_srv {
	uv_pipe_t pipe;
	struct xlbd *d;
	char path[XLB_SOCK_PATH_MAX];
	gid_t gid;
	bool have_gid;
	size_t nconn;
	struct api_conn *conns; /* list, for shutdown */
};

struct api_conn {
	struct api_conn *next, **pprev;
	uv_pipe_t h;
	uv_timer_t idle;
	struct api_srv *srv;
	struct xlb_api_buf buf;
	struct api_req *inflight;
	int closing;
	int handles; /* open libuv handles, freed at 0 */
};

struct api_req {
	struct api_conn *c; /* NULL once the client has gone */
};

struct wreq {
	uv_write_t w;
	char *data;
};

static void conn_process(struct api_conn *c);

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
	c->srv->nconn--;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	if (c->inflight)
		c->inflight->c = NULL;
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
	uv_close((uv_handle_t *)&c->h, conn_handle_closed);
}

static void on_written(uv_write_t *w, int status)
{
	struct wreq *r = (struct wreq *)w;

	(void)status;
	free(r->data);
	free(r);
}

static void conn_send(struct api_conn *c, char *line)
{
	struct wreq *r;
	uv_buf_t b;

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
	r->data = line;
	b = uv_buf_init(line, strlen(line));
	if (uv_write(&r->w, (uv_stream_t *)&c->h, &b, 1, on_written)) {
		free(line);
		free(r);
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
	if (c->closing)
		return;
	uv_timer_again(&c->idle);
	conn_process(c);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(sz);
	b->len = b->base ? sz : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct api_conn *c = s->data;

	if (n < 0) {
		free(b->base);
		conn_close(c);
		return;
	}
	if (n > 0 && xlb_api_buf_feed(&c->buf, b->base, n)) {
		free(b->base);
		conn_send(c,
			  xlb_api_response_err(EMSGSIZE, "request too large"));
		conn_close(c);
		return;
	}
	free(b->base);
	uv_timer_again(&c->idle);
	conn_process(c);
}

/* Handle buffered lines while no request is in flight. */
static void conn_process(struct api_conn *c)
{
	char err[XLB_API_ERRLEN], *line;
	const char *cmd;
	json_t *req, *args;
	struct api_req *r;
	int n;

	while (!c->closing && !c->inflight) {
		n = xlb_api_buf_line(&c->buf, &line);
		if (n < 0) {
			conn_send(c, xlb_api_response_err(EMSGSIZE,
							  "request too large"));
			conn_close(c);
			return;
		}
		if (!n)
			break;
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
		commands_dispatch(c->srv->d, r, cmd, args);
		json_decref(req);
	}
	if (!c->closing && !c->inflight)
		uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

static void on_idle(uv_timer_t *t)
{
	struct api_conn *c = t->data;

	if (!c->inflight)
		conn_close(c);
}

static bool peer_allowed(struct api_srv *srv, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	if (srv->have_gid && cr.gid == srv->gid)
		return true;
	pr_warn("api: refused client pid %d uid %u gid %u", cr.pid, cr.uid,
		cr.gid);
	return false;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct api_srv *srv = server->data;
	struct api_conn *c;
	uv_os_fd_t fd;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	uv_pipe_init(server->loop, &c->h, 0);
	uv_timer_init(server->loop, &c->idle);
	c->h.data = c;
	c->idle.data = c;
	c->handles = 2;
	srv->nconn++;
	c->next = srv->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &srv->conns;
	srv->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->h)) {
		conn_close(c);
		return;
	}
	if (srv->nconn > API_MAX_CONNS ||
	    uv_fileno((uv_handle_t *)&c->h, &fd) || !peer_allowed(srv, fd)) {
		conn_send(c, xlb_api_response_err(EACCES, "not allowed"));
		conn_close(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, API_IDLE_MS, API_IDLE_MS);
	uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
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

int api_start(struct xlbd *d, char *err, size_t errlen)
{
	const char *path = d->opts.socket ? d->opts.socket : d->cfg->api_socket;
	struct api_srv *srv;
	struct group *g;
	struct stat st;
	int r, fd;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->d = d;
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
