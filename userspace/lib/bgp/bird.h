/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: BIRD control socket client
 *
 * BIRD's CLI protocol, as birdc speaks it, over its Unix control socket:
 * BIRD greets with "0001 BIRD x.y.z ready."; each command gets reply lines
 * "NNNN-text" (more follow), " text" (continues the previous code) and a
 * last line "NNNN text". Codes 0xxx end a successful command (0003
 * reconfigured, 0004 reconfiguration in progress, 0023 the value of an
 * eval), 1xxx/2xxx carry table rows and headers, 8xxx are run-time errors
 * (8002: the configuration has an error) and 9xxx parse errors.
 *
 * The calls are blocking, with a deadline on every step; xlbd runs them on
 * libuv's thread pool so its loop never waits for BIRD.
 */
#ifndef XLB_BIRD_H
#define XLB_BIRD_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define XLB_BIRD_REPLY_MAX 16384

/**
 * struct xlb_bird_reply - one command's reply
 * @code: code of the last line
 * @text: every line's text without its code, newline-separated
 * @truncated: @text did not hold everything
 */
struct xlb_bird_reply {
	int code;
	char text[XLB_BIRD_REPLY_MAX];
	bool truncated;
};

/**
 * xlb_bird_cmd() - connect, run one command, disconnect
 * @sock: path of BIRD's control socket
 * @cmd: the command, without newline ("configure", "show protocols")
 * @timeout_ms: deadline for the whole exchange
 * @r: the reply
 * @err: why it failed (socket, greeting, timeout), @errlen bytes
 *
 * Return: 0 when a reply was read (whatever its code), or a negative errno.
 */
int xlb_bird_cmd(const char *sock, const char *cmd, int timeout_ms,
		 struct xlb_bird_reply *r, char *err, size_t errlen);

/**
 * xlb_bird_parse() - parse reply lines (exposed for tests)
 * @buf: bytes read so far (need not end at a line)
 * @len: their length
 * @r: filled as lines are complete
 *
 * Return: 1 when the last line was seen, 0 when more is needed, -EPROTO on
 * a line that is not BIRD's format.
 */
int xlb_bird_parse(const char *buf, size_t len, struct xlb_bird_reply *r);

/**
 * xlb_bird_configure() - "configure" and judge the reply
 *
 * Return: 0 if BIRD reconfigured (0003, 0004, or 0018/0019: nothing to
 * do), -EINVAL if it refused the configuration (@err holds BIRD's message,
 * e.g. "8002 /etc/bird/bird.conf:12:3 syntax error"), another negative
 * errno if BIRD could not be asked.
 */
int xlb_bird_configure(const char *sock, int timeout_ms, char *err,
		       size_t errlen);

/**
 * xlb_bird_eval_prefixes() - parse the reply of "eval SET" of prefixes
 * @text: e.g. "[192.0.2.10/32{0.0.0.1}, 0.0.0.0/32{0.0.0.1}]"
 * @out: addresses of the prefixes (their length is not kept)
 * @max: room in @out
 *
 * Return: number of prefixes, or -EPROTO.
 */
int xlb_bird_eval_prefixes(const char *text, struct xlb_addr *out, size_t max);

#endif
