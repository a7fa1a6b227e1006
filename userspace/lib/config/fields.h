/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: config field tables
 *
 * One table per config object (interface, lb, tables, api, metrics,
 * notify, log, health check, bgp, vip, backend) says, per key: its type,
 * where it lives in struct xlb_cfg and friends, its range or enum names,
 * its default, which check types take it, and one line of help. One engine
 * reads them all: the YAML loader and dumper (config_yaml.c), the defaults
 * of xlb_*_cfg_init(), the range checks of validation (config.c), the
 * JSON API's arguments (xlbd) and xlbctl's options and help, and the man
 * page's option list (xlbctl --man-options).
 *
 * Adding an option is one row here plus the code that uses the value.
 * Modelled on xdp-tools' lib/util/params.h (DEFINE_OPTION).
 */
#ifndef XLB_FIELDS_H
#define XLB_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config_priv.h"

/**
 * enum xlb_ftype - what a key holds
 * @XLB_FT_OBJ: a mapping; its fields are relative to the parent plus @off
 * @XLB_FT_LIST: a list of @sub objects: pointer at @off, count at @n_off
 * @XLB_FT_STR: a string into char[@size]
 * @XLB_FT_UINT: an unsigned integer of @size bytes (decimal or 0x hex)
 * @XLB_FT_BOOL: true or false
 * @XLB_FT_ENUM: one of @names, stored as @vals[i] (or i) in @size bytes
 * @XLB_FT_FLAG: one of two @names: the second sets @bit in the __u16
 * @XLB_FT_ADDR: a numeric IPv4 or IPv6 address
 * @XLB_FT_PORT: 1..65535 or "any" (stored as 0)
 * @XLB_FT_DNSTYPE: a DNS type name or number
 * @XLB_FT_PREFIX: list of ADDRESS/LENGTH, count at @n_off, at most @max
 * @XLB_FT_STATUS: list of status codes or ranges, as @XLB_FT_PREFIX
 * @XLB_FT_ARGV: list of strings, as @XLB_FT_PREFIX
 */
enum xlb_ftype {
	XLB_FT_OBJ,
	XLB_FT_LIST,
	XLB_FT_STR,
	XLB_FT_UINT,
	XLB_FT_BOOL,
	XLB_FT_ENUM,
	XLB_FT_FLAG,
	XLB_FT_ADDR,
	XLB_FT_PORT,
	XLB_FT_DNSTYPE,
	XLB_FT_PREFIX,
	XLB_FT_STATUS,
	XLB_FT_ARGV,
};

/* field flags */
#define XLB_FF_REQ	 0x01 /* the key must be there */
#define XLB_FF_SEL	 0x02 /* read before the others (check name, type) */
#define XLB_FF_OMITDEF	 0x04 /* dump leaves it out at its default */
#define XLB_FF_LOADRANGE 0x08 /* the loader checks @min..@max already */
#define XLB_FF_RANGE	 0x10 /* validation checks @min..@max */
#define XLB_FF_ZERO_OK	 0x20 /* ... but 0 (off) is fine too */
#define XLB_FF_NOCLI	 0x40 /* not an option of the API nor of xlbctl */
#define XLB_FF_NOOPT	 0x80 /* not an option of xlbctl (a positional) */
#define XLB_FF_HAS	 0x100 /* optional: a bool at @has_off says it is set */
#define XLB_FF_HEX	 0x200 /* dumped as 0x... */

struct xlb_obj;

/**
 * struct xlb_field - one key of one config object
 * @key: as in the file, the API and (with '-' for '_') xlbctl
 * @type: enum xlb_ftype
 * @off: offset in the object's struct
 * @size: size of the member (strings: their buffer)
 * @flags: XLB_FF_*
 * @min: smallest valid value (numbers)
 * @max: largest valid value (numbers; lists: entries)
 * @names: enum and flag names, NULL-terminated
 * @vals: enum values for @names (NULL: the index)
 * @bit: the flag's bit (XLB_FT_FLAG)
 * @n_off: offset of the entry count (lists)
 * @has_off: offset of the bool that says the value is set (XLB_FF_HAS)
 * @def: default, as written in the file (NULL: zero)
 * @hc: check types that take it (1 << XLB_HC_*; 0: all)
 * @label: name in messages when not the key ("interface name")
 * @shown: the dump writes the key exactly when this says so (NULL: by
 *         @flags and type), e.g. gue_port for a GUE VIP only
 * @sub: the object of XLB_FT_OBJ and XLB_FT_LIST
 * @help: one line
 */
struct xlb_field {
	const char *key;
	enum xlb_ftype type;
	size_t off;
	size_t size;
	unsigned int flags;
	unsigned long long min;
	unsigned long long max;
	const char *const *names;
	const int *vals;
	unsigned int bit;
	size_t n_off;
	size_t has_off;
	const char *def;
	unsigned int hc;
	const char *label;
	bool (*shown)(const void *base);
	const struct xlb_obj *sub;
	const char *help;
};

/**
 * struct xlb_obj - a config object
 * @name: as in help and man page ("vip", "lb.tables")
 * @prefix: put before keys in messages ("lb.", "" in lists)
 * @fields: its keys, ending with a NULL @key
 * @size: size of one entry (lists)
 * @init: defaults of a new entry or section (NULL: the table's defaults)
 * @dump: should the dumper write this section (NULL: always)
 */
struct xlb_obj {
	const char *name;
	const char *prefix;
	const struct xlb_field *fields;
	size_t size;
	void (*init)(void *o, const struct xlb_cfg *c);
	bool (*dump)(const void *o);
};

extern const struct xlb_obj xlb_obj_root, xlb_obj_iface, xlb_obj_lb,
	xlb_obj_tables, xlb_obj_api, xlb_obj_metrics, xlb_obj_notify,
	xlb_obj_log, xlb_obj_check, xlb_obj_bgp, xlb_obj_vip, xlb_obj_backend;

/**
 * xlb_field_find() - the field @key of @o (NULL if none); '-' matches '_'
 */
const struct xlb_field *xlb_field_find(const struct xlb_obj *o,
				       const char *key);

/**
 * xlb_field_set() - parse @s into @f of the object at @base
 * @label: what messages start with
 * @err: one line without position on failure, e.g. "weight: 'x' is not
 *       a number"
 * @errlen: its size
 *
 * Lists (XLB_FT_PREFIX, _STATUS, _ARGV) take one entry per call, appended.
 * Return: 0 or -EINVAL.
 */
int xlb_field_set(const struct xlb_field *f, void *base, const char *label,
		  const char *s, char *err, size_t errlen);

/**
 * xlb_field_str() - the value of @f at @base as written in the file
 * @i: the entry of a list
 * @buf: room for it (XLB_STR_MAX + 64)
 * Return: @buf or a constant string.
 */
const char *xlb_field_str(const struct xlb_field *f, const void *base, size_t i,
			  char *buf, size_t len);

/** xlb_field_count() - entries of a list field (1 for the others) */
size_t xlb_field_count(const struct xlb_field *f, const void *base);

/** xlb_field_is_default() - @f at @base holds its default */
bool xlb_field_is_default(const struct xlb_field *f, const void *base);

/** xlb_field_is_set() - @f at @base is not zero, empty or off */
bool xlb_field_is_set(const struct xlb_field *f, const void *base);

/**
 * xlb_field_shown() - @f of the object @o at @base is written out: not a
 * key its check type does not take, an empty string or list that is not
 * required, an unset optional value, a section whose @dump says no, nor
 * (with @omit_defaults, as the dump does) an XLB_FF_OMITDEF value at its
 * default
 */
bool xlb_field_shown(const struct xlb_field *f, const struct xlb_obj *o,
		     const void *base, bool omit_defaults);

/** xlb_field_applies() - @f is a key of checks of @type */
bool xlb_field_applies(const struct xlb_field *f, int type);

/** xlb_field_hc_types() - "http and https", "all but exec", ... */
const char *xlb_field_hc_types(const struct xlb_field *f, char *buf,
			       size_t len);

/**
 * xlb_obj_defaults() - the table's defaults into @base (zeroed first)
 * @hc_type: for checks, only the keys of this type; -1 otherwise
 */
void xlb_obj_defaults(const struct xlb_obj *o, void *base, int hc_type);

/**
 * xlb_obj_equal() - every key of @o the same in @a and @b (lists in order;
 * a section with defaults of its own, bgp, may be absent from both)
 */
bool xlb_obj_equal(const struct xlb_obj *o, const void *a, const void *b);

/**
 * xlb_obj_check_ranges() - every XLB_FF_RANGE field of @o within range
 * @who: the element for the message ("health check 'a'"), or NULL to
 *       name the key with the object's prefix ("lb.tables.max_vips")
 * @e: the message, "WHO: KEY VALUE is out of range (MIN..MAX)", placed at
 *     @path/KEY
 */
int xlb_obj_check_ranges(const struct xlb_obj *o, const void *base,
			 const char *who, const char *path,
			 struct xlb_cfg_err *e);

/**
 * xlb_field_word() - what a value looks like: "N", "ipip|l2", "on|off"
 * @cli: as xlbctl takes it
 */
const char *xlb_field_word(const struct xlb_field *f, bool cli, char *buf,
			   size_t len);

/** xlb_field_is_opt() - @f is an xlbctl option */
bool xlb_field_is_opt(const struct xlb_field *f);

/** xlb_obj_usage() - " [--key VALUE] ..." of @o, wrapped, for a usage */
void xlb_obj_usage(const struct xlb_obj *o, FILE *out);

/**
 * xlb_obj_help() - the options of @o, one "  --key VALUE  help" a line
 * @cli: xlbctl's spelling ("--min-healthy N") or the file's ("min_healthy")
 */
void xlb_obj_help(const struct xlb_obj *o, FILE *out, bool cli);

/** xlb_fields_man() - the man page's option list (roff), every object */
void xlb_fields_man(FILE *out);

/** xlb_fields_man_opts() - xlbctl(8)'s options of vip, backend, check */
void xlb_fields_man_opts(FILE *out);

#endif /* XLB_FIELDS_H */
