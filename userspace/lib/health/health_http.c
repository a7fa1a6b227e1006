// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: HTTP and HTTPS checks on libcurl's multi interface
 *
 * One CURLM per engine, driven by the engine's libuv loop with
 * curl_multi_socket_action(): curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> one uv_poll per socket) and when to call it
 * back (CURLMOPT_TIMERFUNCTION -> one uv_timer), so thousands of transfers
 * run without a thread and without a blocking call.
 *
 * Each check is a fresh connection (no reuse, no TLS session cache): the
 * check is meant to prove that the backend accepts connections now. The
 * URL names the Host (or SNI) name, and CURLOPT_CONNECT_TO sends the
 * connection to the backend (or VIP) address, so no name is ever resolved
 * and Host and SNI carry the configured names. The proxy environment
 * variables are ignored: a check must reach the backend itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_internal.h"
#include "log.h"

#define HTTP_BODY_MAX (64 * 1024)

struct hc_http {
	struct hc_run r;
	CURL *easy;
	struct curl_slist *hdrs;
	struct curl_slist *connect_to;
	char *body;
	size_t body_len;
	bool added;
	char errbuf[CURL_ERROR_SIZE];
};

/* One watched socket of the multi handle. */
struct curl_sock {
	uv_poll_t poll;
	struct xlb_hc *hc;
	curl_socket_t fd;
};

static void check_multi_info(struct xlb_hc *hc);
static void hc_curl_close(struct xlb_hc *hc);

static void socket_action(struct xlb_hc *hc, curl_socket_t fd, int mask)
{
	int running;

	hc->curl_depth++;
	curl_multi_socket_action(hc->multi, fd, mask, &running);
	check_multi_info(hc);
	hc->curl_depth--;
	if (!hc->curl_depth && hc->curl_cleanup_pending)
		hc_curl_close(hc);
}

static void curl_poll_cb(uv_poll_t *h, int status, int events)
{
	struct curl_sock *cs = h->data;
	int mask = 0;

	if (status < 0)
		mask = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		mask |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		mask |= CURL_CSELECT_OUT;
	socket_action(cs->hc, cs->fd, mask);
}

static void curl_sock_closed(uv_handle_t *h)
{
	struct curl_sock *cs = h->data;
	struct xlb_hc *hc = cs->hc;

	free(cs);
	hc_unref(hc);
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
			  void *socketp)
{
	struct xlb_hc *hc = userp;
	struct curl_sock *cs = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs) {
			/* stops epoll now; curl closes the fd after this */
			uv_close((uv_handle_t *)&cs->poll, curl_sock_closed);
			curl_multi_assign(hc->multi, fd, NULL);
		}
		return 0;
	}
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return -1;
		cs->hc = hc;
		cs->fd = fd;
		if (uv_poll_init_socket(hc->loop, &cs->poll, fd)) {
			free(cs);
			return -1;
		}
		cs->poll.data = cs;
		hc_ref(hc);
		curl_multi_assign(hc->multi, fd, cs);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&cs->poll, events, curl_poll_cb);
	return 0;
}

static void curl_timer_cb(uv_timer_t *t)
{
	socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int curl_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct xlb_hc *hc = userp;

	(void)multi;
	if (timeout_ms < 0)
		uv_timer_stop(&hc->curl_timer);
	else /* 0 too: never call socket_action from inside curl */
		uv_timer_start(&hc->curl_timer, curl_timer_cb, timeout_ms, 0);
	return 0;
}

static void curl_timer_closed(uv_handle_t *h)
{
	hc_unref(h->data);
}

static int hc_curl_init(struct xlb_hc *hc)
{
	static bool global_done;

	if (hc->multi)
		return 0;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return -ENOMEM;
		global_done = true;
	}
	hc->multi = curl_multi_init();
	if (!hc->multi)
		return -ENOMEM;
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETDATA, hc);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERFUNCTION, curl_timer_fn);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERDATA, hc);
	uv_timer_init(hc->loop, &hc->curl_timer);
	hc->curl_timer.data = hc;
	hc->curl_timer_init = true;
	hc_ref(hc);
	return 0;
}

static void hc_curl_close(struct xlb_hc *hc)
{
	hc->curl_cleanup_pending = false;
	if (hc->multi) {
		curl_multi_cleanup(hc->multi);
		hc->multi = NULL;
	}
	if (hc->curl_timer_init) {
		hc->curl_timer_init = false;
		uv_timer_stop(&hc->curl_timer);
		uv_close((uv_handle_t *)&hc->curl_timer, curl_timer_closed);
	}
}

/* --- one check ---------------------------------------------------------- */

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct hc_http *c = userp;
	size_t len = size * n, room;

	if (!c->r.p->cfg.expect_body[0])
		return len; /* body not needed: read and drop */
	room = HTTP_BODY_MAX - c->body_len;
	if (len > room)
		len = room; /* keep the first 64 KiB; the rest is dropped */
	if (!c->body) {
		c->body = malloc(HTTP_BODY_MAX);
		if (!c->body)
			return 0;
	}
	memcpy(c->body + c->body_len, data, len);
	c->body_len += len;
	return size * n;
}

static int sockopt_cb(void *userp, curl_socket_t fd, curlsocktype purpose)
{
	struct hc_http *c = userp;

	(void)purpose;
	return hc_run_sockopts(&c->r, fd) ? CURL_SOCKOPT_ERROR :
					    CURL_SOCKOPT_OK;
}

static bool status_ok(const struct xlb_hc_cfg *cfg, long code)
{
	size_t i;

	if (!cfg->n_expect_status)
		return code >= 200 && code <= 399;
	for (i = 0; i < cfg->n_expect_status && i < XLB_EXPECT_MAX; i++)
		if (code >= cfg->expect_status[i].lo &&
		    code <= cfg->expect_status[i].hi)
			return true;
	return false;
}

static void http_finish(struct hc_http *c, CURLcode res)
{
	const struct xlb_hc_cfg *cfg = &c->r.p->cfg;
	const char *msg = c->errbuf[0] ? c->errbuf : curl_easy_strerror(res);
	long code = 0, oserr = 0;
	char q[96];

	if (c->r.err[0]) { /* our socket option callback failed */
		hc_run_done(&c->r, false, NULL);
		return;
	}
	switch (res) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr)
			hc_run_done(&c->r, false, "connect: %s",
				    strerror(oserr));
		else
			hc_run_done(&c->r, false, "connect: %s", msg);
		return;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		hc_run_done(&c->r, false, "tls: %s", msg);
		return;
	default:
		hc_run_done(&c->r, false, "http: %s", msg);
		return;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
	if (!status_ok(cfg, code)) {
		hc_run_done(&c->r, false, "http status %ld", code);
		return;
	}
	if (cfg->expect_body[0] &&
	    !(c->body && memmem(c->body, c->body_len, cfg->expect_body,
				strlen(cfg->expect_body)))) {
		hc_quote(q, sizeof(q), cfg->expect_body,
			 strlen(cfg->expect_body));
		hc_run_done(&c->r, false, "body does not contain '%s'", q);
		return;
	}
	hc_run_done(&c->r, true, NULL);
}

static void check_multi_info(struct xlb_hc *hc)
{
	struct hc_http *c;
	CURLMsg *m;
	int left;

	while (hc->multi && (m = curl_multi_info_read(hc->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		c = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &c);
		if (c)
			http_finish(c, m->data.result);
	}
}

/* "[2001:db8::1]" or "192.0.2.1" */
static void url_host(const struct xlb_addr *a, char *buf, size_t len)
{
	char s[XLB_ADDR_STRLEN];

	xlb_addr_str(a, s);
	snprintf(buf, len, a->family == XLB_AF_INET6 ? "[%s]" : "%s", s);
}

static int http_setup(struct hc_http *c)
{
	const struct xlb_hc_cfg *cfg = &c->r.p->cfg;
	const struct xlb_hc_target *t = &c->r.p->t;
	const struct xlb_addr *dst = cfg->via_vip ? &t->vip : &t->backend;
	bool https = cfg->type == XLB_HC_HTTPS;
	char lit[XLB_ADDR_STRLEN + 2], url[XLB_STR_MAX * 2 + 64];
	char hdr[XLB_STR_MAX + 16], cto[XLB_ADDR_STRLEN + 16];
	const char *name, *path = cfg->path[0] ? cfg->path : "/";
	CURL *e;

	e = c->easy = curl_easy_init();
	if (!e)
		return -ENOMEM;
	url_host(dst, lit, sizeof(lit));
	/* The URL's host is what TLS sends as SNI and verifies; Host
	 * defaults to it too. */
	name = cfg->sni[0] ? cfg->sni : cfg->host[0] ? cfg->host : lit;
	snprintf(url, sizeof(url), "%s://%s:%u%s%s", https ? "https" : "http",
		 name, t->port, path[0] == '/' ? "" : "/", path);
	snprintf(cto, sizeof(cto), "::%s:%u", lit, t->port);
	c->connect_to = curl_slist_append(NULL, cto);
	if (!c->connect_to)
		return -ENOMEM;
	if (cfg->host[0] && strcmp(cfg->host, name)) {
		snprintf(hdr, sizeof(hdr), "Host: %s", cfg->host);
		c->hdrs = curl_slist_append(NULL, hdr);
	} else if (!cfg->host[0] && name != lit) {
		/* SNI set, Host not: Host is the address checked */
		snprintf(hdr, sizeof(hdr), "Host: %s", lit);
		c->hdrs = curl_slist_append(NULL, hdr);
	}

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
	if (c->hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	if (!strcmp(cfg->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (cfg->method[0] && strcmp(cfg->method, "GET"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, cfg->method);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, cfg->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, cfg->tls_verify ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "xlb-health/1");
	/* A backstop only: the engine's own timer ends the check first. */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 (long)(cfg->timeout_ms ? cfg->timeout_ms : 1000) +
				 1000);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	return 0;
}

static void http_start(struct hc_run *r)
{
	struct hc_http *c = (struct hc_http *)r;
	struct xlb_hc *hc = r->p->hc;
	CURLMcode mc;

	if (!hc->multi || http_setup(c)) {
		hc_run_done(r, false, "http: cannot set up the request");
		return;
	}
	mc = curl_multi_add_handle(hc->multi, c->easy);
	if (mc != CURLM_OK) {
		hc_run_done(r, false, "http: %s", curl_multi_strerror(mc));
		return;
	}
	c->added = true;
}

static void http_stop(struct hc_run *r)
{
	struct hc_http *c = (struct hc_http *)r;
	struct xlb_hc *hc = r->p->hc;

	/* Removing closes the connection (no reuse); curl's socket callback
	 * closes its poll handle. */
	if (c->added && hc->multi)
		curl_multi_remove_handle(hc->multi, c->easy);
	c->added = false;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	c->easy = NULL;
	curl_slist_free_all(c->hdrs);
	curl_slist_free_all(c->connect_to);
	c->hdrs = c->connect_to = NULL;
	free(c->body);
	c->body = NULL;
}

const struct hc_check_ops hc_http_ops = {
	.size = sizeof(struct hc_http),
	.start = http_start,
	.stop = http_stop,
	.prepare = hc_curl_init,
	.close = hc_curl_close,
};
