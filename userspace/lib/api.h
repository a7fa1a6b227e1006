/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the xlbd API protocol
 *
 * xlbctl talks to xlbd over a Unix stream socket (/run/xlb/xlb.sock). Each
 * message is one JSON object on one line, at most XLB_API_MAX_MSG bytes:
 *
 *   request:  {"cmd": "backend.set", "args": {...}}
 *   response: {"ok": true, "result": ...}
 *             {"ok": false, "error": "one line", "errno": 2}
 *
 * A connection may carry several requests, answered in order. Arguments
 * are checked strictly: unknown keys, wrong types and out-of-range values
 * are errors that name the argument. docs/api.md lists every command.
 */
#ifndef XLB_API_H
#define XLB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <linux/types.h>

#include "addr.h"

#define XLB_API_MAX_MSG (1u << 20)
#define XLB_API_ERRLEN	256

/* --- framing ------------------------------------------------------------- */

/** struct xlb_api_buf - bytes received, split into lines */
struct xlb_api_buf {
	char *data;
	size_t len;
	size_t cap;
};

/** xlb_api_buf_feed() - append bytes; -EMSGSIZE past XLB_API_MAX_MSG */
int xlb_api_buf_feed(struct xlb_api_buf *b, const char *p, size_t n);
/**
 * xlb_api_buf_line() - take the next complete line out of @b
 * @line: out, malloc'd and NUL-terminated, without the newline
 * Return: 1 if a line was taken, 0 if none is complete, -errno.
 */
int xlb_api_buf_line(struct xlb_api_buf *b, char **line);
void xlb_api_buf_free(struct xlb_api_buf *b);

/* --- messages ------------------------------------------------------------ */

/**
 * xlb_api_request_parse() - split a request line
 * @cmd: out, points into @req (valid while @req lives)
 * @args: out, borrowed from @req; an empty object if absent
 * @req: out, the parsed request (caller json_decref()s)
 */
int xlb_api_request_parse(const char *line, json_t **req, const char **cmd,
			  json_t **args, char *err, size_t errlen);
/** xlb_api_request() - a request line (malloc'd, with newline) */
char *xlb_api_request(const char *cmd, json_t *args);
/** xlb_api_response_ok() - a response line; steals @result (may be NULL) */
char *xlb_api_response_ok(json_t *result);
/** xlb_api_response_err() - an error response line */
char *xlb_api_response_err(int err, const char *msg);

/* --- client -------------------------------------------------------------- */

/** xlb_api_connect() - connect to @path; returns an fd or -errno */
int xlb_api_connect(const char *path);
/**
 * xlb_api_call() - one request, one response
 * @args: stolen (may be NULL)
 * @result: out on success (caller json_decref()s; may be NULL json null)
 * @err: the server's message on -EREMOTEIO... see Return
 *
 * Return: 0; the server's negative errno when it answered with an error
 * (message in @err); or another -errno for a transport failure (message in
 * @err too).
 */
int xlb_api_call(int fd, const char *cmd, json_t *args, int timeout_ms,
		 json_t **result, char *err, size_t errlen);

/* --- argument helpers (server side) -------------------------------------- */

/** xlb_api_check_keys() - every key of @args is in NULL-terminated @keys */
int xlb_api_check_keys(json_t *args, const char *const *keys, char *err,
		       size_t errlen);
/** xlb_api_arg_str() - string argument; NULL if absent and !required */
int xlb_api_arg_str(json_t *args, const char *key, bool required,
		    const char **out, char *err, size_t errlen);
/**
 * xlb_api_arg_uint() - non-negative integer in [0, max]
 * @present: out, whether it was given (may be NULL when required)
 */
int xlb_api_arg_uint(json_t *args, const char *key, bool required,
		     unsigned long long max, unsigned long long *out,
		     bool *present, char *err, size_t errlen);
struct xlb_obj;
/**
 * xlb_api_args_obj() - the arguments of @args that are keys of config
 * object @o (fields.h), parsed by its table into @base; lists as JSON
 * lists of strings (or "a,b"). @extra: the other keys the command takes;
 * any other key is refused. Return: 0, -EINVAL or -ERANGE with @err set.
 */
int xlb_api_args_obj(json_t *args, const struct xlb_obj *o, void *base,
		     const char *const *extra, char *err, size_t errlen);
int xlb_api_arg_bool(json_t *args, const char *key, bool *out, bool *present,
		     char *err, size_t errlen);
/** xlb_api_arg_addr() - numeric IPv4/IPv6 address */
int xlb_api_arg_addr(json_t *args, const char *key, bool required,
		     struct xlb_addr *out, bool *present, char *err,
		     size_t errlen);
/**
 * xlb_api_arg_vip() - a VIP key: "address", "port" (1..65535 or "any",
 * default any) and "protocol" ("tcp"|"udp", default tcp)
 * @port: host order, 0 = any
 */
int xlb_api_arg_vip(json_t *args, struct xlb_addr *a, __u16 *port, __u8 *proto,
		    char *err, size_t errlen);

#endif /* XLB_API_H */
