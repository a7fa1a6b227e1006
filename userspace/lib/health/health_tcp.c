// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: TCP connect check
 *
 * Healthy when a non-blocking connect() completes. The socket is then
 * closed with SO_LINGER 0, which sends a reset instead of a FIN: at a
 * thousand checks a second an orderly close would leave as many TIME_WAIT
 * sockets a second on this host, and the backend's application never sees
 * the connection anyway (the kernel completed the handshake for it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>

#include "health_internal.h"

struct hc_tcp {
	struct hc_run r;
	uv_poll_t poll;
	int fd;
	bool polling;
};

/* h->data is only set once the handle is initialised; the early path of
 * tcp_start() calls in with an uninitialised handle. */
#define container_of_poll(h) \
	((struct hc_tcp *)((char *)(h)-offsetof(struct hc_tcp, poll)))

static void tcp_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hc_tcp *c = container_of_poll(h);
	socklen_t len = sizeof(int);
	int soerr = 0;

	(void)events;
	/* libuv reports POLLERR as UV_EBADF: the real error is SO_ERROR. */
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		soerr = errno;
	if (soerr) {
		hc_run_done(&c->r, false, "connect: %s", strerror(soerr));
		return;
	}
	if (status < 0) {
		hc_run_done(&c->r, false, "poll: %s", uv_strerror(status));
		return;
	}
	hc_run_done(&c->r, true, NULL);
}

static void tcp_start(struct hc_run *r)
{
	struct hc_tcp *c = (struct hc_tcp *)r;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_storage ss;
	socklen_t sl = hc_run_dest(r, &ss);
	struct pollfd pfd;
	int err;

	c->fd = hc_run_socket(r, SOCK_STREAM);
	if (c->fd < 0) {
		hc_run_done(r, false, NULL);
		return;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	pfd = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
	if (!connect(c->fd, (struct sockaddr *)&ss, sl)) {
		hc_run_done(r, true, NULL);
		return;
	}
	if (errno != EINPROGRESS) {
		hc_run_done(r, false, "connect: %s", strerror(errno));
		return;
	}
	/* Toward a backend on the same host or a very close one the
	 * handshake is often over by now: one poll() then saves registering
	 * the socket with the loop (an ioctl and three epoll_ctl calls). */
	if (poll(&pfd, 1, 0) == 1) {
		tcp_poll_cb(&c->poll, 0, UV_WRITABLE);
		return;
	}
	err = uv_poll_init_socket(r->p->hc->loop, &c->poll, c->fd);
	if (err) {
		hc_run_done(r, false, "poll: %s", uv_strerror(err));
		return;
	}
	c->poll.data = c;
	c->polling = true;
	hc_run_hold(r);
	err = uv_poll_start(&c->poll, UV_WRITABLE, tcp_poll_cb);
	if (err)
		hc_run_done(r, false, "poll: %s", uv_strerror(err));
}

static void tcp_poll_closed(uv_handle_t *h)
{
	struct hc_tcp *c = h->data;

	close(c->fd);
	hc_run_release(&c->r);
}

static void tcp_stop(struct hc_run *r)
{
	struct hc_tcp *c = (struct hc_tcp *)r;

	if (c->polling) {
		/* uv_close() takes the fd out of epoll; close it after */
		uv_close((uv_handle_t *)&c->poll, tcp_poll_closed);
		return;
	}
	if (c->fd >= 0)
		close(c->fd);
}

const struct hc_check_ops hc_tcp_ops = {
	.size = sizeof(struct hc_tcp),
	.start = tcp_start,
	.stop = tcp_stop,
};
