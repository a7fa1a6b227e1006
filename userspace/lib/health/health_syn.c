// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: half-open TCP checks ("mode: syn")
 *
 * A tcp check in mode syn sends one SYN from a raw socket and judges the
 * answer: a SYN-ACK means the port is open (up), a reset means it is closed
 * (down), nothing within the timeout is down. No connection is made: our
 * kernel answers the SYN-ACK with a reset because no socket of ours matches
 * it, so the backend's application never sees the check and neither side
 * keeps state. This is far cheaper than a connect() (no socket, no
 * handshake, no close per check) and is what large load balancers use for
 * plain port checks.
 *
 * - **Source ports.** HC_SYN_PORTS ports per family are reserved with
 *   bound, non-listening TCP sockets: the kernel never picks them for its
 *   own connections, and since a bound socket that does not listen matches
 *   no incoming segment, the kernel's reset to every SYN-ACK is guaranteed.
 *   Checks use the ports in turn, so two checks of the same address and
 *   port at the same time still differ by port.
 * - **Matching.** Each check has a random sequence number; a reply counts
 *   only if it acknowledges it (ack = seq + 1) and comes from the address
 *   and port checked to the port the check used. Late replies, duplicates
 *   and forgeries that do not know the sequence number are ignored.
 * - **Filter.** The raw socket would see every TCP segment the host
 *   receives; a classic BPF socket filter (health_syn_pkt.c) lets through
 *   only RSTs and SYN-ACKs to the reserved ports.
 * - **Batching.** Checks started in one loop iteration are sent with one
 *   sendmmsg() from a prepare handle (just before the loop polls); replies
 *   are read with recvmmsg(), many per call.
 * - **Checksums.** IPv6: the kernel fills it (IPV6_CHECKSUM). IPv4: we do,
 *   which needs the source address the kernel will use: it is looked up
 *   per probe (connect() + getsockname() of a UDP socket, no packet sent),
 *   cached, renewed every HC_SYN_SRC_REUSE checks and after a failure, and
 *   pinned on the packet with IP_PKTINFO so the kernel cannot pick
 *   another.
 *
 * Needs CAP_NET_RAW. Without it (or if a family is unavailable) the engine
 * logs why and runs the probe as a connect check (health.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "health_internal.h"
#include "health_syn_pkt.h"
#include "log.h"

#define HC_SYN_HASH	 1024 /* buckets of checks in flight, by seq */
#define HC_SYN_BATCH	 64 /* messages per sendmmsg()/recvmmsg() */
#define HC_SYN_SRC_REUSE 64 /* IPv4: checks per source address lookup */
#define HC_SYN_RCVBUF	 (1 << 20)
#define HC_SYN_PKT_MAX	 256

struct hc_syn_run;

struct hc_syn;

struct hc_syn_fam {
	struct hc_syn *s;
	int af;
	int raw; /* -1: unavailable, see err */
	int err; /* errno of the failure */
	char what[32]; /* which step failed */
	int udp; /* IPv4 source lookups */
	int resv[HC_SYN_PORTS]; /* bound sockets that reserve the ports */
	__u16 ports[HC_SYN_PORTS];
	uv_poll_t poll;
	bool polling;
};

struct hc_syn {
	struct xlb_hc *hc;
	struct hc_syn_fam fam[2]; /* IPv4, IPv6 */
	uv_prepare_t flush;
	bool flush_init;
	bool flush_on;
	int handles; /* open handles; freed when the last closes */
	struct hc_syn_run *batch[HC_SYN_BATCH * 4];
	int n_batch;
	struct hc_syn_run *hash[HC_SYN_HASH];
	unsigned int rr;
	__u8 rbuf[HC_SYN_BATCH][HC_SYN_PKT_MAX];
};

struct hc_syn_run {
	struct hc_run r;
	struct hc_syn_run *hnext;
	struct hc_syn_fam *f;
	struct sockaddr_storage dst;
	socklen_t dlen;
	__be32 src4;
	__u32 seq;
	__u16 sport;
	__u16 dport;
	int bidx; /* index in the batch, -1: not there */
	bool hashed;
	__u8 pkt[HC_SYN_LEN];
};

static unsigned int hbucket(__u32 seq)
{
	return (seq * 2654435761u) >> 22; /* top 10 bits: HC_SYN_HASH */
}

static void hash_del(struct hc_syn *s, struct hc_syn_run *c)
{
	struct hc_syn_run **pp = &s->hash[hbucket(c->seq)];

	if (!c->hashed)
		return;
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	c->hashed = false;
}

/* --- sockets ------------------------------------------------------------ */

static int fam_fail(struct hc_syn_fam *f, const char *what)
{
	f->err = errno;
	snprintf(f->what, sizeof(f->what), "%s", what);
	return -f->err;
}

_Static_assert(offsetof(struct sockaddr_in, sin_port) == sizeof(sa_family_t) &&
		       offsetof(struct sockaddr_in6, sin6_port) ==
			       sizeof(sa_family_t),
	       "the port follows the family in both address types");

static int fam_open(struct hc_syn_fam *f)
{
	struct sock_filter prog[HC_SYN_FILTER_MAX];
	struct sock_fprog fp = { .filter = prog };
	struct sockaddr_storage ss = {};
	socklen_t sl = f->af == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
	int i, n, one = 1, rcv = HC_SYN_RCVBUF, csum = 16;
	__be16 port = 0;

	/* reserve the ports first: the filter names them */
	for (i = 0; i < HC_SYN_PORTS; i++) {
		f->resv[i] = socket(f->af, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (f->resv[i] < 0)
			return fam_fail(f, "socket");
		if (f->af == AF_INET6)
			setsockopt(f->resv[i], IPPROTO_IPV6, IPV6_V6ONLY, &one,
				   sizeof(one));
		ss.ss_family = f->af;
		sl = f->af == AF_INET ? sizeof(struct sockaddr_in) :
					sizeof(struct sockaddr_in6);
		if (bind(f->resv[i], (struct sockaddr *)&ss, sl))
			return fam_fail(f, "bind");
		if (getsockname(f->resv[i], (struct sockaddr *)&ss, &sl))
			return fam_fail(f, "getsockname");
		/* both sockaddr_in and sockaddr_in6 keep the port right after
		 * the family */
		memcpy(&port, (const char *)&ss + sizeof(sa_family_t),
		       sizeof(port));
		f->ports[i] = ntohs(port);
		memset(&ss, 0, sizeof(ss));
	}
	f->raw = socket(f->af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_TCP);
	if (f->raw < 0)
		return fam_fail(f, "raw socket");
	n = hc_syn_filter(prog, f->af == AF_INET, f->ports, HC_SYN_PORTS);
	fp.len = (unsigned short)n;
	if (setsockopt(f->raw, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)))
		return fam_fail(f, "SO_ATTACH_FILTER");
	setsockopt(f->raw, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (f->af == AF_INET6 && setsockopt(f->raw, IPPROTO_IPV6, IPV6_CHECKSUM,
					    &csum, sizeof(csum)))
		return fam_fail(f, "IPV6_CHECKSUM");
	if (f->af == AF_INET) {
		f->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (f->udp < 0)
			return fam_fail(f, "socket");
	}
	return 0;
}

static void fam_close_fds(struct hc_syn_fam *f)
{
	int i;

	for (i = 0; i < HC_SYN_PORTS; i++)
		if (f->resv[i] >= 0)
			close(f->resv[i]);
	if (f->udp >= 0)
		close(f->udp);
	if (f->raw >= 0 && !f->polling)
		close(f->raw);
	for (i = 0; i < HC_SYN_PORTS; i++)
		f->resv[i] = -1;
	f->udp = -1;
	if (!f->polling)
		f->raw = -1;
}

/* --- receiving ---------------------------------------------------------- */

static bool addr_match(const struct hc_syn_run *c, const __u8 *saddr)
{
	if (c->f->af == AF_INET)
		return !memcmp(saddr,
			       &((const struct sockaddr_in *)&c->dst)->sin_addr,
			       4);
	return !memcmp(saddr,
		       &((const struct sockaddr_in6 *)&c->dst)->sin6_addr, 16);
}

static void syn_reply(struct hc_syn *s, struct hc_syn_fam *f,
		      struct hc_syn_reply *rep)
{
	struct hc_syn_run *c;
	__u32 seq = rep->ack - 1;

	for (c = s->hash[hbucket(seq)]; c; c = c->hnext) {
		if (c->seq != seq || c->f != f || c->sport != rep->dport ||
		    c->dport != rep->sport || !addr_match(c, rep->saddr))
			continue;
		if (rep->flags & HC_TCP_RST)
			hc_run_done(&c->r, false,
				    "connect: Connection refused (RST to SYN)");
		else
			hc_run_done(&c->r, true, NULL);
		return;
	}
}

static void syn_poll_cb(uv_poll_t *h, int status, int events)
{
	struct hc_syn_fam *f = h->data;
	struct hc_syn *s = f->s;
	__u8(*bufs)[HC_SYN_PKT_MAX] = s->rbuf;
	struct sockaddr_in6 from[HC_SYN_BATCH];
	struct mmsghdr m[HC_SYN_BATCH];
	struct iovec iov[HC_SYN_BATCH];
	struct hc_syn_reply rep;
	int i, n;

	(void)status;
	(void)events;
	do {
		for (i = 0; i < HC_SYN_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], HC_SYN_PKT_MAX };
			m[i] = (struct mmsghdr){ .msg_hdr = {
							 .msg_name = &from[i],
							 .msg_namelen = sizeof(
								 from[i]),
							 .msg_iov = &iov[i],
							 .msg_iovlen = 1,
						 } };
		}
		n = recvmmsg(f->raw, m, HC_SYN_BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++) {
			if (hc_syn_parse(bufs[i], m[i].msg_len,
					 f->af == AF_INET, &rep))
				continue;
			if (f->af == AF_INET6)
				memcpy(rep.saddr, &from[i].sin6_addr, 16);
			syn_reply(s, f, &rep);
		}
		/* a callback may have closed the engine */
	} while (n == HC_SYN_BATCH && f->polling && !s->hc->closing);
}

/* --- sending ------------------------------------------------------------ */

static void flush_family(struct hc_syn *s, struct hc_syn_fam *f)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cm[HC_SYN_BATCH];
	struct hc_syn_run *runs[HC_SYN_BATCH] = { NULL };
	struct mmsghdr m[HC_SYN_BATCH];
	struct iovec iov[HC_SYN_BATCH];
	int i, n = 0, k, sent;

	for (i = 0; i <= s->n_batch; i++) {
		struct hc_syn_run *c = i < s->n_batch ? s->batch[i] : NULL;

		if (c && c->f == f) {
			struct msghdr *h = &m[n].msg_hdr;

			c->bidx = -1;
			s->batch[i] = NULL;
			runs[n] = c;
			iov[n] = (struct iovec){ c->pkt, sizeof(c->pkt) };
			*h = (struct msghdr){ .msg_name = &c->dst,
					      .msg_namelen = c->dlen,
					      .msg_iov = &iov[n],
					      .msg_iovlen = 1 };
			if (f->af == AF_INET) {
				struct in_pktinfo pi = { .ipi_spec_dst.s_addr =
								 c->src4 };
				struct cmsghdr *cmh;

				memset(&cm[n], 0, sizeof(cm[n]));
				h->msg_control = cm[n].buf;
				h->msg_controllen = sizeof(cm[n].buf);
				cmh = CMSG_FIRSTHDR(h);
				cmh->cmsg_level = IPPROTO_IP;
				cmh->cmsg_type = IP_PKTINFO;
				cmh->cmsg_len = CMSG_LEN(sizeof(pi));
				memcpy(CMSG_DATA(cmh), &pi, sizeof(pi));
			}
			n++;
		}
		if (n < HC_SYN_BATCH && i < s->n_batch)
			continue;
		/* send what we have; a message that fails fails its check */
		for (k = 0; k < n;) {
			sent = sendmmsg(f->raw, m + k, n - k, 0);
			if (sent > 0) {
				k += sent;
				continue;
			}
			if (sent < 0 && errno == EINTR)
				continue;
			hc_run_done(&runs[k]->r, false, "send SYN: %s",
				    strerror(sent < 0 ? errno : EIO));
			k++;
		}
		n = 0;
	}
}

static void flush_cb(uv_prepare_t *h)
{
	struct hc_syn *s = h->data;

	if (s->n_batch) {
		flush_family(s, &s->fam[0]);
		flush_family(s, &s->fam[1]);
	}
	s->n_batch = 0;
	uv_prepare_stop(&s->flush);
	s->flush_on = false;
}

/* IPv4: the source address the kernel routes @c's SYN from */
static int src4_lookup(struct hc_syn_fam *f, struct hc_syn_run *c)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);

	if (connect(f->udp, (struct sockaddr *)&c->dst, c->dlen) ||
	    getsockname(f->udp, (struct sockaddr *)&sa, &sl))
		return -errno;
	c->src4 = sa.sin_addr.s_addr;
	return 0;
}

static void syn_start(struct hc_run *r)
{
	struct hc_syn_run *c = (struct hc_syn_run *)r;
	struct xlb_hc_probe *p = r->p;
	struct hc_syn *s = p->hc->syn;
	int err;

	c->bidx = -1;
	c->dlen = hc_run_dest(r, &c->dst);
	c->f = &s->fam[c->dst.ss_family == AF_INET6];
	/* the port is in our TCP header; an IPv6 raw socket reads a port in
	 * the address as the protocol number and refuses any other */
	if (c->dst.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&c->dst)->sin6_port = 0;
	else
		((struct sockaddr_in *)&c->dst)->sin_port = 0;
	if (c->f->raw < 0) {
		hc_run_done(r, false, "tcp syn: %s: %s", c->f->what,
			    strerror(c->f->err));
		return;
	}
	if (s->n_batch == (int)(sizeof(s->batch) / sizeof(s->batch[0])))
		flush_cb(&s->flush);
	c->sport = c->f->ports[s->rr++ % HC_SYN_PORTS];
	c->dport = p->t.port;
	c->seq = (__u32)hc_rand(p->hc);
	hc_syn_build(c->pkt, c->sport, c->dport, c->seq,
		     c->f->af == AF_INET ? 1460 : 1440);
	if (c->f->af == AF_INET) {
		if (!p->syn_src4 || !p->syn_src_left ||
		    (p->st.checked && !p->st.last_ok)) {
			err = src4_lookup(c->f, c);
			if (err) {
				p->syn_src4 = 0;
				hc_run_done(r, false, "tcp syn: route: %s",
					    strerror(-err));
				return;
			}
			p->syn_src4 = c->src4;
			p->syn_src_left = HC_SYN_SRC_REUSE;
		}
		p->syn_src_left--;
		c->src4 = p->syn_src4;
		hc_syn_csum4(c->pkt, sizeof(c->pkt), c->src4,
			     ((struct sockaddr_in *)&c->dst)->sin_addr.s_addr);
	}
	c->hnext = s->hash[hbucket(c->seq)];
	s->hash[hbucket(c->seq)] = c;
	c->hashed = true;
	c->bidx = s->n_batch;
	s->batch[s->n_batch++] = c;
	if (!s->flush_on) {
		uv_prepare_start(&s->flush, flush_cb);
		s->flush_on = true;
	}
}

static void syn_stop(struct hc_run *r)
{
	struct hc_syn_run *c = (struct hc_syn_run *)r;
	struct hc_syn *s = r->p->hc->syn;

	if (!s)
		return;
	hash_del(s, c);
	if (c->bidx >= 0) {
		s->batch[c->bidx] = NULL;
		c->bidx = -1;
	}
}

static int hc_syn_init(struct xlb_hc *hc);
static int hc_syn_ready(const struct xlb_hc *hc, int af, char *err,
			size_t errlen);
static void hc_syn_close(struct xlb_hc *hc);

const struct hc_check_ops hc_syn_ops = {
	.size = sizeof(struct hc_syn_run),
	.start = syn_start,
	.stop = syn_stop,
	.prepare = hc_syn_init,
	.ready = hc_syn_ready,
	.close = hc_syn_close,
};

/* --- life cycle --------------------------------------------------------- */

static void syn_handle_closed(uv_handle_t *h)
{
	struct hc_syn *s;
	struct xlb_hc *hc;

	if (h->type == UV_POLL) {
		struct hc_syn_fam *f = h->data;

		s = f->s;
		close(f->raw);
		f->raw = -1;
	} else {
		s = h->data;
	}
	if (--s->handles)
		return;
	hc = s->hc;
	free(s);
	hc_unref(hc);
}

static int hc_syn_init(struct xlb_hc *hc)
{
	struct hc_syn *s;
	int i, k;

	if (hc->syn)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->hc = hc;
	for (i = 0; i < 2; i++) {
		struct hc_syn_fam *f = &s->fam[i];

		f->s = s;
		f->af = i ? AF_INET6 : AF_INET;
		f->raw = f->udp = -1;
		for (k = 0; k < HC_SYN_PORTS; k++)
			f->resv[k] = -1;
		if (fam_open(f)) {
			fam_close_fds(f);
			continue;
		}
		if (uv_poll_init_socket(hc->loop, &f->poll, f->raw) ||
		    uv_poll_start(&f->poll, UV_READABLE, syn_poll_cb)) {
			errno = EIO;
			fam_fail(f, "poll");
			fam_close_fds(f);
			continue;
		}
		f->poll.data = f;
		f->polling = true;
		s->handles++;
	}
	uv_prepare_init(hc->loop, &s->flush);
	s->flush.data = s;
	s->flush_init = true;
	s->handles++;
	hc_ref(hc);
	hc->syn = s;
	return 0;
}

static int hc_syn_ready(const struct xlb_hc *hc, int af, char *err,
			size_t errlen)
{
	const struct hc_syn_fam *f;

	if (!hc->syn) {
		snprintf(err, errlen, "not started");
		return -EINVAL;
	}
	f = &hc->syn->fam[af == AF_INET6];
	if (f->raw >= 0)
		return 0;
	snprintf(err, errlen, "%s: %s%s", f->what, strerror(f->err),
		 f->err == EPERM ? " (needs CAP_NET_RAW)" : "");
	return -f->err;
}

static void hc_syn_close(struct xlb_hc *hc)
{
	struct hc_syn *s = hc->syn;
	int i;

	if (!s)
		return;
	hc->syn = NULL;
	for (i = 0; i < 2; i++) {
		struct hc_syn_fam *f = &s->fam[i];

		fam_close_fds(f);
		if (f->polling) {
			f->polling = false;
			uv_close((uv_handle_t *)&f->poll, syn_handle_closed);
		}
	}
	uv_close((uv_handle_t *)&s->flush, syn_handle_closed);
}
