// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: API arguments
 *
 * Strict accessors for the arguments of a request (xlbd), and
 * xlb_api_args_obj(), which reads a config object's keys (a VIP, a
 * backend, a check) by the field tables of fields.h: the same names,
 * parsers and ranges as the configuration file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "api.h"
#include "fields.h"

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
	if ((f->flags & XLB_FF_HAS) && json_is_null(v)) { /* unset it */
		memset((char *)base + f->off, 0, f->size);
		*(bool *)((char *)base + f->has_off) = false;
		return 0;
	}
	/* a string for the numbers a JSON integer cannot hold (2^63..) */
	if (f->type == XLB_FT_UINT && json_is_string(v))
		return xlb_field_set(f, base, label, json_string_value(v), err,
				     errlen);
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
