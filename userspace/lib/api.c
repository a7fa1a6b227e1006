// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: API protocol implementation
 *
 * Line framing, request/response encoding with jansson, a blocking client
 * with a deadline (xlbctl), and strict argument accessors for the server.
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
#include "fields.h"

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

int xlb_api_check_keys(json_t *args, const char *const *keys, char *err,
		       size_t errlen)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach (args, key, v) {
		for (i = 0; keys[i]; i++)
			if (!strcmp(key, keys[i]))
				break;
		if (!keys[i]) {
			snprintf(err, errlen, "unknown argument '%s'", key);
			return -EINVAL;
		}
	}
	return 0;
}

/* One JSON value as the text the field table parses; lists one by one */
static int arg_field(const struct xlb_field *f, void *base, json_t *v,
		     char *err, size_t errlen)
{
	char label[64], num[24], *tok, *save = NULL, *buf;
	unsigned long long lo = 0, hi;
	json_t *x;
	size_t i;
	int e = 0;

	snprintf(label, sizeof(label), "argument '%s'", f->key);
	if (f->type == XLB_FT_UINT) {
		hi = f->size >= 8 ? ~0ull : (1ull << (8 * f->size)) - 1;
		if (f->flags & (XLB_FF_RANGE | XLB_FF_LOADRANGE)) {
			lo = f->flags & XLB_FF_ZERO_OK ? 0 : f->min;
			hi = f->max;
		}
		if (!json_is_integer(v)) {
			snprintf(err, errlen, "%s must be an integer", label);
			return -EINVAL;
		}
		if (json_integer_value(v) < 0 ||
		    (unsigned long long)json_integer_value(v) < lo ||
		    (unsigned long long)json_integer_value(v) > hi) {
			snprintf(err, errlen, "%s out of range %llu..%llu",
				 label, lo, hi);
			return -ERANGE;
		}
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
		return xlb_field_set(f, base, label, num, err, errlen);
	}
	if (f->type == XLB_FT_BOOL ||
	    (f->type == XLB_FT_FLAG && !strcmp(f->names[0], "true"))) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "%s must be true or false",
				 label);
			return -EINVAL;
		}
		return xlb_field_set(f, base, label,
				     json_is_true(v) ? "true" : "false", err,
				     errlen);
	}
	if (f->type != XLB_FT_STATUS && f->type != XLB_FT_ARGV &&
	    f->type != XLB_FT_PREFIX) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s must be a string", label);
			return -EINVAL;
		}
		return xlb_field_set(f, base, label, json_string_value(v), err,
				     errlen);
	}
	/* a list replaces the old one: ["a", "b"], or "a,b" but a command */
	*(size_t *)((char *)base + f->n_off) = 0;
	if (json_is_array(v)) {
		json_array_foreach (v, i, x) {
			if (!json_is_string(x)) {
				snprintf(err, errlen,
					 "%s must be a list of strings", label);
				return -EINVAL;
			}
			e = e	  ?:
				    xlb_field_set(f, base, label,
						  json_string_value(x), err,
						  errlen);
		}
		return e;
	}
	if (!json_is_string(v) || f->type == XLB_FT_ARGV) {
		snprintf(err, errlen, "%s must be a list of strings", label);
		return -EINVAL;
	}
	buf = strdup(json_string_value(v));
	if (!buf)
		return -ENOMEM;
	for (tok = strtok_r(buf, ", ", &save); tok && !e;
	     tok = strtok_r(NULL, ", ", &save))
		e = xlb_field_set(f, base, label, tok, err, errlen);
	free(buf);
	return e;
}

/**
 * xlb_api_args_obj() - see api.h
 */
int xlb_api_args_obj(json_t *args, const struct xlb_obj *o, void *base,
		     const char *const *extra, char *err, size_t errlen)
{
	const struct xlb_field *f;
	const char *key;
	json_t *v;
	size_t i;
	int e;

	json_object_foreach (args, key, v) {
		for (i = 0; extra && extra[i] && strcmp(key, extra[i]); i++)
			;
		if (extra && extra[i])
			continue;
		f = xlb_field_find(o, key);
		if (!f || strcmp(f->key, key) || (f->flags & XLB_FF_NOCLI) ||
		    f->type == XLB_FT_OBJ || f->type == XLB_FT_LIST) {
			snprintf(err, errlen, "unknown argument '%s'", key);
			return -EINVAL;
		}
	}
	for (f = o->fields; f->key; f++) {
		v = json_object_get(args, f->key);
		if (!v || (f->flags & XLB_FF_NOCLI) || f->type == XLB_FT_OBJ ||
		    f->type == XLB_FT_LIST)
			continue;
		e = arg_field(f, base, v, err, errlen);
		if (e)
			return e;
	}
	return 0;
}

int xlb_api_arg_str(json_t *args, const char *key, bool required,
		    const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		snprintf(err, errlen, "missing argument '%s'", key);
		return -EINVAL;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "argument '%s' must be a string", key);
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

int xlb_api_arg_uint(json_t *args, const char *key, bool required,
		     unsigned long long max, unsigned long long *out,
		     bool *present, char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);
	json_int_t i;

	if (present)
		*present = false;
	if (!v) {
		if (!required)
			return 0;
		snprintf(err, errlen, "missing argument '%s'", key);
		return -EINVAL;
	}
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "argument '%s' must be an integer", key);
		return -EINVAL;
	}
	i = json_integer_value(v);
	if (i < 0 || (unsigned long long)i > max) {
		snprintf(err, errlen, "argument '%s' out of range 0..%llu", key,
			 max);
		return -ERANGE;
	}
	*out = (unsigned long long)i;
	if (present)
		*present = true;
	return 0;
}

int xlb_api_arg_bool(json_t *args, const char *key, bool *out, bool *present,
		     char *err, size_t errlen)
{
	json_t *v = json_object_get(args, key);

	if (present)
		*present = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "argument '%s' must be true or false",
			 key);
		return -EINVAL;
	}
	*out = json_is_true(v);
	if (present)
		*present = true;
	return 0;
}

int xlb_api_arg_addr(json_t *args, const char *key, bool required,
		     struct xlb_addr *out, bool *present, char *err,
		     size_t errlen)
{
	const char *s;
	int r;

	if (present)
		*present = false;
	r = xlb_api_arg_str(args, key, required, &s, err, errlen);
	if (r || !s)
		return r;
	if (xlb_addr_parse(s, out)) {
		snprintf(err, errlen,
			 "argument '%s': '%.64s' is not an IPv4 "
			 "or IPv6 address",
			 key, s);
		return -EINVAL;
	}
	if (present)
		*present = true;
	return 0;
}

int xlb_api_arg_vip(json_t *args, struct xlb_addr *a, __u16 *port, __u8 *proto,
		    char *err, size_t errlen)
{
	json_t *p = json_object_get(args, "port");
	const char *s;
	int r;

	r = xlb_api_arg_addr(args, "address", true, a, NULL, err, errlen);
	if (r)
		return r;
	*port = 0;
	if (json_is_integer(p)) {
		if (json_integer_value(p) < 1 ||
		    json_integer_value(p) > 65535) {
			snprintf(err, errlen,
				 "argument 'port' out of range "
				 "1..65535");
			return -ERANGE;
		}
		*port = (__u16)json_integer_value(p);
	} else if (json_is_string(p)) {
		if (xlb_port_parse(json_string_value(p), port) ||
		    (!*port && strcmp(json_string_value(p), "any"))) {
			snprintf(err, errlen,
				 "argument 'port' must be "
				 "1..65535 or \"any\"");
			return -EINVAL;
		}
	} else if (p) {
		snprintf(err, errlen,
			 "argument 'port' must be 1..65535 or "
			 "\"any\"");
		return -EINVAL;
	}
	r = xlb_api_arg_str(args, "protocol", false, &s, err, errlen);
	if (r)
		return r;
	r = xlb_proto_parse(s ? s : "tcp"); /* the configuration's default */
	if (r < 0) {
		snprintf(err, errlen, "argument 'protocol' must be tcp or udp");
		return -EINVAL;
	}
	*proto = (__u8)r;
	return 0;
}
