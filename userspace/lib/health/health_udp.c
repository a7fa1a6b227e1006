// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: UDP and DNS checks
 *
 * Both send one datagram from a connected UDP socket and wait for a reply.
 * Connecting the socket matters: the kernel then hands back an ICMP port
 * unreachable as ECONNREFUSED, so a closed port fails at once with a clear
 * error instead of at the timeout, and datagrams from any other address
 * are dropped before they reach us.
 *
 * UDP: healthy when a reply arrives and, if `expect` is set, contains it.
 * DNS: the query is built here (health_dns.c) with a random id; datagrams
 * with another id are ignored (a late answer to an earlier check), and the
 * answer must be NOERROR.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "health_dns.h"
#include "health_internal.h"

#define UDP_REPLY_MAX 4096

struct hc_udp {
	struct hc_run r;
	struct hc_sock s;
	bool dns;
	__u8 query[HC_DNS_QUERY_MAX];
	int qlen;
};

/* Returns true when the run is finished. */
static bool udp_judge(struct hc_udp *c, const __u8 *buf, size_t n)
{
	const struct xlb_hc_cfg *cfg = &c->r.p->cfg;
	char q[96];
	int err;

	if (c->dns) {
		err = hc_dns_check_reply(buf, n, c->query, c->qlen, c->r.err,
					 sizeof(c->r.err));
		if (err == -EAGAIN)
			return false;
		hc_run_done(&c->r, !err, NULL);
		return true;
	}
	if (!cfg->expect[0] ||
	    memmem(buf, n, cfg->expect, strlen(cfg->expect))) {
		hc_run_done(&c->r, true, NULL);
		return true;
	}
	hc_quote(q, sizeof(q), cfg->expect, strlen(cfg->expect));
	hc_run_done(&c->r, false, "reply does not contain '%s'", q);
	return true;
}

static void udp_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hc_udp *c = h->data;
	__u8 buf[UDP_REPLY_MAX];
	ssize_t n;

	(void)events;
	/* libuv reports POLLERR (an ICMP error queued on the socket) as
	 * UV_EBADF and stops the handle; recv() returns the real error. */
	for (;;) {
		n = recv(c->s.fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    status < 0) {
				hc_run_done(&c->r, false, "poll: %s",
					    uv_strerror(status));
				return;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			hc_run_done(&c->r, false, "recv: %s", strerror(errno));
			return;
		}
		if (udp_judge(c, buf, n))
			return;
	}
}

static void udp_start(struct hc_run *r)
{
	struct hc_udp *c = (struct hc_udp *)r;
	const struct xlb_hc_cfg *cfg = &r->p->cfg;
	struct sockaddr_storage ss;
	socklen_t sl = hc_run_dest(r, &ss);
	const void *payload = cfg->payload;
	size_t plen = strlen(cfg->payload);
	__u16 id = 0;

	c->s.fd = hc_run_socket(r, SOCK_DGRAM);
	if (c->s.fd < 0) {
		hc_run_done(r, false, NULL);
		return;
	}
	if (c->dns) {
		if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
			id = (__u16)uv_hrtime();
		c->qlen = hc_dns_build_query(c->query, sizeof(c->query), id,
					     cfg->query_name,
					     cfg->query_type ?: 1);
		if (c->qlen < 0) {
			hc_run_done(r, false, "dns: cannot encode '%s'",
				    cfg->query_name);
			return;
		}
		payload = c->query;
		plen = c->qlen;
	}
	if (connect(c->s.fd, (struct sockaddr *)&ss, sl)) {
		hc_run_done(r, false, "connect: %s", strerror(errno));
		return;
	}
	if (hc_sock_watch(r, &c->s, UV_READABLE, udp_poll_cb))
		return;
	/* A datagram this small fits the socket buffer: send never blocks
	 * for long; EAGAIN would mean the host itself is in trouble. */
	if (send(c->s.fd, payload, plen, 0) < 0)
		hc_run_done(r, false, "send: %s", strerror(errno));
}

static void dns_start(struct hc_run *r)
{
	((struct hc_udp *)r)->dns = true;
	udp_start(r);
}

static void udp_stop(struct hc_run *r)
{
	hc_sock_close(&((struct hc_udp *)r)->s);
}

const struct hc_check_ops hc_udp_ops = {
	.size = sizeof(struct hc_udp),
	.start = udp_start,
	.stop = udp_stop,
};

const struct hc_check_ops hc_dns_ops = {
	.size = sizeof(struct hc_udp),
	.start = dns_start,
	.stop = udp_stop,
};
