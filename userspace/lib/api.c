// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: API protocol implementation
 *
 * Line framing, request/response encoding with jansson, and a blocking
 * client with a deadline (xlbctl). The server's argument accessors are in
 * api_args.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "api.h"

int xlb_api_buf_feed(struct xlb_api_buf *b, const char *p, size_t n)
{
	size_t cap;
	char *d;

	if (b->len + n > XLB_API_MAX_MSG + 1)
		return -EMSGSIZE;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int xlb_api_buf_line(struct xlb_api_buf *b, char **line)
{
	char *nl, *l;
	size_t n;

	if (!b->len)
		return 0;
	nl = memchr(b->data, '\n', b->len);
	if (!nl)
		return b->len > XLB_API_MAX_MSG ? -EMSGSIZE : 0;
	n = nl - b->data;
	l = malloc(n + 1);
	if (!l)
		return -ENOMEM;
	memcpy(l, b->data, n);
	l[n] = '\0';
	memmove(b->data, nl + 1, b->len - n - 1);
	b->len -= n + 1;
	*line = l;
	return 1;
}

void xlb_api_buf_free(struct xlb_api_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int xlb_api_request_parse(const char *line, json_t **req, const char **cmd,
			  json_t **args, char *err, size_t errlen)
{
	json_error_t je;
	json_t *r, *c, *a;
	const char *key;
	json_t *v;

	*req = NULL;
	r = json_loads(line, JSON_REJECT_DUPLICATES, &je);
	if (!r) {
		snprintf(err, errlen, "malformed request: %s (column %d)",
			 je.text, je.column);
		return -EINVAL;
	}
	if (!json_is_object(r)) {
		snprintf(err, errlen, "malformed request: not a JSON object");
		goto bad;
	}
	json_object_foreach (r, key, v) {
		if (strcmp(key, "cmd") && strcmp(key, "args")) {
			snprintf(err, errlen,
				 "malformed request: unknown key '%s'", key);
			goto bad;
		}
	}
	c = json_object_get(r, "cmd");
	if (!json_is_string(c) || !json_string_length(c)) {
		snprintf(err, errlen,
			 "malformed request: 'cmd' must be a "
			 "non-empty string");
		goto bad;
	}
	a = json_object_get(r, "args");
	if (a && !json_is_object(a)) {
		snprintf(err, errlen,
			 "malformed request: 'args' must be an "
			 "object");
		goto bad;
	}
	if (!a) {
		a = json_object();
		if (!a || json_object_set_new(r, "args", a))
			goto bad;
	}
	*req = r;
	*cmd = json_string_value(c);
	*args = a;
	return 0;
bad:
	json_decref(r);
	return -EINVAL;
}

static char *dump_line(json_t *o)
{
	char *s, *l;
	size_t n;

	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return NULL;
	n = strlen(s);
	l = realloc(s, n + 2);
	if (!l) {
		free(s);
		return NULL;
	}
	l[n] = '\n';
	l[n + 1] = '\0';
	return l;
}

char *xlb_api_request(const char *cmd, json_t *args)
{
	json_t *o = json_object();

	if (!o) {
		json_decref(args);
		return NULL;
	}
	json_object_set_new(o, "cmd", json_string(cmd));
	json_object_set_new(o, "args", args ? args : json_object());
	return dump_line(o);
}

char *xlb_api_response_ok(json_t *result)
{
	json_t *o = json_object();

	if (!o) {
		json_decref(result);
		return NULL;
	}
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "result", result ? result : json_null());
	return dump_line(o);
}

char *xlb_api_response_err(int err, const char *msg)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", json_string(msg ? msg : "error"));
	json_object_set_new(o, "errno", json_integer(err < 0 ? -err : err));
	return dump_line(o);
}

int xlb_api_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long long left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int xlb_api_call(int fd, const char *cmd, json_t *args, int timeout_ms,
		 json_t **result, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	struct xlb_api_buf b = {};
	char *req, *line = NULL, chunk[65536];
	json_error_t je;
	json_t *resp = NULL, *ok, *e;
	size_t off = 0, len;
	int r, send_err = 0;
	ssize_t n;

	*result = NULL;
	req = xlb_api_request(cmd, args);
	if (!req) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	len = strlen(req);
	while (off < len) {
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			goto io_err;
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			/* xlbd may have answered (refused us) and closed */
			if (r == -EPIPE || r == -ECONNRESET) {
				send_err = r;
				break;
			}
			goto io_err;
		}
		off += n;
	}
	for (;;) {
		r = xlb_api_buf_line(&b, &line);
		if (r < 0)
			goto io_err;
		if (r > 0)
			break;
		r = wait_fd(fd, POLLIN, deadline);
		if (r)
			goto io_err;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = send_err ? send_err : -errno;
			goto io_err;
		}
		if (n == 0) {
			r = send_err ? send_err : -ECONNRESET;
			goto io_err;
		}
		r = xlb_api_buf_feed(&b, chunk, n);
		if (r)
			goto io_err;
	}
	resp = json_loads(line, 0, &je);
	if (!resp || !json_is_object(resp)) {
		snprintf(err, errlen, "malformed response from xlbd");
		r = -EPROTO;
		goto out;
	}
	ok = json_object_get(resp, "ok");
	if (json_is_true(ok)) {
		*result = json_incref(json_object_get(resp, "result"));
		if (!*result)
			*result = json_null();
		r = 0;
		goto out;
	}
	e = json_object_get(resp, "error");
	snprintf(err, errlen, "%s",
		 json_is_string(e) ? json_string_value(e) : "error");
	r = -(int)json_integer_value(json_object_get(resp, "errno"));
	if (r >= 0)
		r = -EIO;
	goto out;
io_err:
	snprintf(err, errlen, "talking to xlbd: %s", strerror(-r));
out:
	json_decref(resp);
	free(line);
	free(req);
	xlb_api_buf_free(&b);
	return r;
}
