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
	struct hc_sock s;
};

/* h->data is only set once the handle is initialised; the early path of
 * tcp_start() calls in with an uninitialised handle. */
#define container_of_poll(h) \
	((struct hc_tcp *)((char *)(h)-offsetof(struct hc_tcp, s.poll)))

static void tcp_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hc_tcp *c = container_of_poll(h);
	socklen_t len = sizeof(int);
	int soerr = 0;

	(void)events;
	/* libuv reports POLLERR as UV_EBADF: the real error is SO_ERROR. */
	if (getsockopt(c->s.fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
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

	c->s.fd = hc_run_socket(r, SOCK_STREAM);
	if (c->s.fd < 0) {
		hc_run_done(r, false, NULL);
		return;
	}
	setsockopt(c->s.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	pfd = (struct pollfd){ .fd = c->s.fd, .events = POLLOUT };
	if (!connect(c->s.fd, (struct sockaddr *)&ss, sl)) {
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
		tcp_poll_cb(&c->s.poll, 0, UV_WRITABLE);
		return;
	}
	hc_sock_watch(r, &c->s, UV_WRITABLE, tcp_poll_cb);
}

static void tcp_stop(struct hc_run *r)
{
	hc_sock_close(&((struct hc_tcp *)r)->s);
}

const struct hc_check_ops hc_tcp_ops = {
	.size = sizeof(struct hc_tcp),
	.start = tcp_start,
	.stop = tcp_stop,
};
