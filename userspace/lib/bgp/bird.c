// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: BIRD control socket client
 *
 * See bird.h. One connection per command: BIRD serves each CLI connection
 * on its own, and a fresh connection never sees a reply left over from an
 * earlier command that timed out.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "bird.h"

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void text_add(struct xlb_bird_reply *r, const char *s, size_t n)
{
	size_t have = strlen(r->text);

	if (have + n + 2 > sizeof(r->text)) {
		r->truncated = true;
		return;
	}
	if (have)
		r->text[have++] = '\n';
	memcpy(r->text + have, s, n);
	r->text[have + n] = '\0';
}

int xlb_bird_parse(const char *buf, size_t len, struct xlb_bird_reply *r)
{
	size_t i = 0, eol;

	r->code = -1;
	r->text[0] = '\0';
	r->truncated = false;
	while (i < len) {
		const char *l = buf + i;
		const char *nl = memchr(l, '\n', len - i);

		if (!nl)
			return 0;
		eol = (size_t)(nl - l);
		i += eol + 1;
		if (eol && l[0] == '+') /* an asynchronous message */
			continue;
		if (eol && l[0] == ' ') {
			text_add(r, l + 1, eol - 1);
			continue;
		}
		if (eol < 4 || !isdigit((unsigned char)l[0]) ||
		    !isdigit((unsigned char)l[1]) ||
		    !isdigit((unsigned char)l[2]) ||
		    !isdigit((unsigned char)l[3]) ||
		    (eol > 4 && l[4] != '-' && l[4] != ' '))
			return -EPROTO;
		r->code = (l[0] - '0') * 1000 + (l[1] - '0') * 100 +
			  (l[2] - '0') * 10 + (l[3] - '0');
		text_add(r, l + (eol > 4 ? 5 : 4), eol > 4 ? eol - 5 : 0);
		if (eol == 4 || l[4] == ' ')
			return 1;
	}
	return 0;
}

/* Read until @r is complete or the deadline passes. */
static int read_reply(int fd, long long deadline, char *buf, size_t cap,
		      struct xlb_bird_reply *r, char *err, size_t errlen)
{
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int left, ret;

	for (;;) {
		left = (int)(deadline - mono_ms());
		if (left <= 0)
			return fail(err, errlen, -ETIMEDOUT,
				    "BIRD did not answer in time");
		ret = poll(&p, 1, left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return fail(err, errlen, -errno, "poll: %s",
				    strerror(errno));
		if (!ret)
			continue;
		if (len + 1 >= cap)
			return fail(err, errlen, -EMSGSIZE,
				    "BIRD's reply is too long");
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(err, errlen, -errno, "read: %s",
				    strerror(errno));
		if (!n)
			return fail(err, errlen, -ECONNRESET,
				    "BIRD closed the connection");
		len += (size_t)n;
		ret = xlb_bird_parse(buf, len, r);
		if (ret < 0)
			return fail(err, errlen, ret,
				    "not BIRD's protocol: '%.40s'", buf);
		if (ret)
			return 0;
	}
}

static int write_all(int fd, const char *s, size_t n, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n) {
		int left = (int)(deadline - mono_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -errno;
		w = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int xlb_bird_cmd(const char *sock, const char *cmd, int timeout_ms,
		 struct xlb_bird_reply *r, char *err, size_t errlen)
{
	long long deadline = mono_ms() + timeout_ms;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[512], *buf;
	int fd, ret;

	r->code = -1;
	r->text[0] = '\0';
	r->truncated = false;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return fail(err, errlen, -ENAMETOOLONG,
			    "%s: socket path too long", sock);
	if (strchr(cmd, '\n') || strlen(cmd) + 2 > sizeof(line))
		return fail(err, errlen, -EINVAL, "bad BIRD command");
	buf = malloc(XLB_BIRD_REPLY_MAX * 2);
	if (!buf)
		return fail(err, errlen, -ENOMEM, "no memory");
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = fail(err, errlen, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	/* a local stream socket connects at once or fails at once */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = fail(err, errlen, -errno, "%s: %s", sock,
			   strerror(errno));
		goto out;
	}
	ret = read_reply(fd, deadline, buf, XLB_BIRD_REPLY_MAX * 2, r, err,
			 errlen);
	if (ret)
		goto out;
	if (r->code != 1) {
		ret = fail(err, errlen, -EPROTO,
			   "%s: unexpected greeting %04d %.60s", sock, r->code,
			   r->text);
		goto out;
	}
	snprintf(line, sizeof(line), "%s\n", cmd);
	ret = write_all(fd, line, strlen(line), deadline);
	if (ret) {
		fail(err, errlen, ret, "send to BIRD: %s", strerror(-ret));
		goto out;
	}
	ret = read_reply(fd, deadline, buf, XLB_BIRD_REPLY_MAX * 2, r, err,
			 errlen);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

int xlb_bird_configure(const char *sock, int timeout_ms, char *err,
		       size_t errlen)
{
	struct xlb_bird_reply *r = malloc(sizeof(*r));
	int ret;

	if (!r)
		return fail(err, errlen, -ENOMEM, "no memory");
	ret = xlb_bird_cmd(sock, "configure", timeout_ms, r, err, errlen);
	if (ret)
		goto out;
	switch (r->code) {
	case 3: /* Reconfigured */
	case 4: /* Reconfiguration in progress */
	case 18: /* Reconfiguration confirmed */
	case 19: /* Nothing to do */
		ret = 0;
		break;
	default: {
		/* the last line says why */
		const char *last = strrchr(r->text, '\n');

		ret = fail(err, errlen, r->code >= 8000 ? -EINVAL : -EPROTO,
			   "BIRD refused the configuration: %04d %s", r->code,
			   last ? last + 1 : r->text);
	}
	}
out:
	free(r);
	return ret;
}

int xlb_bird_eval_prefixes(const char *text, struct xlb_addr *out, size_t max)
{
	const char *p = text;
	char a[XLB_ADDR_STRLEN];
	size_t n = 0, k;

	while (*p == ' ')
		p++;
	if (*p++ != '[')
		return -EPROTO;
	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ']')
			return (int)n;
		k = strcspn(p, "/");
		if (!p[k] || k >= sizeof(a))
			return -EPROTO;
		memcpy(a, p, k);
		a[k] = '\0';
		if (n == max || xlb_addr_parse(a, &out[n]))
			return -EPROTO;
		n++;
		/* past the length and any {range} */
		p += k;
		k = strcspn(p, ",]");
		if (!p[k])
			return -EPROTO;
		p += k;
	}
}
