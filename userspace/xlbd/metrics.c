// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: Prometheus metrics
 *
 * libmicrohttpd serves GET /metrics from its own thread. The text is built
 * on xlbd's loop once a second (metrics_refresh()) and swapped under a
 * mutex, so the HTTP thread never touches xlbd's tables and a slow scraper
 * never touches the loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>

#include "log.h"
#include "xlbd.h"

struct metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *text;
	size_t len;
};

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *n;
	int r;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		r = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (r < 0) {
			b->err = 1;
			return;
		}
		need = b->len + (size_t)r + 1;
		if (b->p && need <= b->cap) {
			b->len += (size_t)r;
			return;
		}
		n = realloc(b->p, need * 2);
		if (!n) {
			b->err = 1;
			return;
		}
		b->p = n;
		b->cap = need * 2;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *copy;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)ctx;
	if (strcmp(method, "GET") || strcmp(url, "/metrics")) {
		resp = MHD_create_response_from_buffer(
			10, (void *)"not found\n", MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	pthread_mutex_lock(&m->lock);
	len = m->len;
	copy = malloc(len + 1);
	if (copy && m->text)
		memcpy(copy, m->text, len);
	pthread_mutex_unlock(&m->lock);
	if (!copy)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, copy,
					       MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type",
				"text/plain; version=0.0.4");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int metrics_start(struct xlbd *d, char *err, size_t errlen)
{
	const char *l = d->cfg->metrics_listen;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr *sa;
	char host[64], *colon;
	struct metrics *m;
	unsigned long port;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (!l[0])
		return 0;
	snprintf(host, sizeof(host), "%s", l);
	colon = strrchr(host, ':');
	if (!colon) {
		snprintf(err, errlen, "metrics: listen '%s' is not ADDR:PORT",
			 l);
		return -EINVAL;
	}
	*colon = '\0';
	port = strtoul(colon + 1, NULL, 10);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_port = htons((__u16)port);
		sa = (struct sockaddr *)&s4;
	} else if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		s6.sin6_port = htons((__u16)port);
		sa = (struct sockaddr *)&s6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "metrics: '%s' is not an address", host);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->mhd = MHD_start_daemon(
		flags, (__u16)port, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT, 16u,
		MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen, "metrics: cannot listen on %s", l);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -EADDRINUSE;
	}
	d->metrics = m;
	metrics_refresh(d);
	pr_info("metrics: http://%s/metrics", l);
	return 0;
}

void metrics_refresh(struct xlbd *d)
{
	struct metrics *m = d->metrics;
	struct xlb_global_stats g = {};
	struct xlb_vip_stats vs;
	struct xlb_be_stats bs;
	struct sbuf b = {};
	char as[XLB_ADDR_STRLEN];
	size_t i, j;

	if (!m)
		return;
	xlb_dp_stats_global(d->dp, &g);
	sb_printf(&b, "# HELP xlb_packets_total Packets by outcome.\n"
		      "# TYPE xlb_packets_total counter\n");
	for (i = 0; i < XLB_C_MAX; i++)
		sb_printf(&b, "xlb_packets_total{outcome=\"%s\"} %llu\n",
			  xlb_counter_name(i), (unsigned long long)g.c[i]);
	sb_printf(&b, "# TYPE xlb_vip_packets_total counter\n"
		      "# TYPE xlb_vip_bytes_total counter\n"
		      "# TYPE xlb_vip_new_flows_total counter\n"
		      "# TYPE xlb_vip_drops_total counter\n"
		      "# TYPE xlb_vip_servable gauge\n"
		      "# TYPE xlb_vip_healthy_backends gauge\n"
		      "# TYPE xlb_backend_packets_total counter\n"
		      "# TYPE xlb_backend_bytes_total counter\n"
		      "# TYPE xlb_backend_new_flows_total counter\n"
		      "# TYPE xlb_backend_up gauge\n");
	for (i = 0; i < d->n_vips; i++) {
		struct vip_rt *v = d->vips[i];

		memset(&vs, 0, sizeof(vs));
		xlb_dp_stats_vip(d->dp, v->id, &vs);
		sb_printf(&b,
			  "xlb_vip_packets_total{vip=\"%s\"} %llu\n"
			  "xlb_vip_bytes_total{vip=\"%s\"} %llu\n"
			  "xlb_vip_new_flows_total{vip=\"%s\"} %llu\n"
			  "xlb_vip_drops_total{vip=\"%s\"} %llu\n"
			  "xlb_vip_servable{vip=\"%s\"} %d\n"
			  "xlb_vip_healthy_backends{vip=\"%s\"} %zu\n",
			  v->name, (unsigned long long)vs.packets, v->name,
			  (unsigned long long)vs.bytes, v->name,
			  (unsigned long long)vs.new_flows, v->name,
			  (unsigned long long)vs.drops, v->name, v->servable,
			  v->name, core_healthy(v));
		for (j = 0; j < v->n_bes; j++) {
			struct be_rt *be = v->bes[j];

			memset(&bs, 0, sizeof(bs));
			xlb_dp_stats_backend(d->dp, be->id, &bs);
			xlb_addr_str(&be->cfg.addr, as);
			sb_printf(&b,
				  "xlb_backend_packets_total{vip=\"%s\","
				  "backend=\"%s\"} %llu\n"
				  "xlb_backend_bytes_total{vip=\"%s\","
				  "backend=\"%s\"} %llu\n"
				  "xlb_backend_new_flows_total{vip=\"%s\","
				  "backend=\"%s\"} %llu\n"
				  "xlb_backend_up{vip=\"%s\",backend=\"%s\"} "
				  "%d\n",
				  v->name, as, (unsigned long long)bs.packets,
				  v->name, as, (unsigned long long)bs.bytes,
				  v->name, as, (unsigned long long)bs.new_flows,
				  v->name, as, be->dp_state == XLB_BE_UP);
		}
	}
	if (b.err) {
		free(b.p);
		return;
	}
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = b.p;
	m->len = b.len;
	pthread_mutex_unlock(&m->lock);
}

void metrics_stop(struct xlbd *d)
{
	struct metrics *m = d->metrics;

	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
	d->metrics = NULL;
}
