/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: xlbctl's options and usage
 *
 * Shared by the commands (main.c) and the option parsing (opts.c): the
 * command table's type, the usage errors, and the parsers of VIPs,
 * numbers, addresses and the options of config objects, which come from
 * the field tables of fields.h.
 */
#ifndef XLBCTL_H
#define XLBCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>

#include "fields.h"

#define EXIT_USAGE 2

/*
 * How a command's parsing ends. Parsers return a value >= 0 to go on, or a
 * negated exit status to stop: -1 failed, -EXIT_USAGE after a usage error
 * was printed, or XLBCTL_HELP_SHOWN after --help printed the command's
 * help (the command is then done, and succeeded). exit_status() turns the
 * negative values into the process's exit status.
 */
#define XLBCTL_HELP_SHOWN (-100)

struct cmd {
	const char *object;
	const char *verb;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
	const struct xlb_obj *obj; /* its options come from this table */
};

enum {
	O_PORT = 1000,
	O_PROTO,
	O_WATCH,
	O_COUNT,
	O_IFACE,
	O_VIP,
	O_FLOWS,
	O_WAIT,
	O_TIMEOUT,
	O_GENERIC,
	O_PINDIR,
	O_THRESHOLD,
	O_ONCE,
	O_VIEW,
	O_DCID,
};

#define COMMON_VIP_OPTS                                        \
	{ "port", required_argument, NULL, O_PORT },           \
		{ "proto", required_argument, NULL, O_PROTO }, \
	{                                                      \
		"help", no_argument, NULL, 'h'                 \
	}

/*
 * getopt_long over a command's options; returns the first positional
 * index, or a negative exit code. Options and positionals may mix.
 */
typedef int (*opt_fn)(int opt, const char *val, void *ctx);

#define O_FIELD 3000 /* + the field's index in its table */

struct vip_opts {
	const char *port, *proto;
	json_t *args;
	const struct xlb_obj *obj; /* of the O_FIELD options */
};

struct be_opts {
	struct vip_opts v;
};

extern const struct cmd *cur; /* the command being run, for messages */
extern const struct option vip_key_opts[];

int exit_status(int r);
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_help(const struct cmd *c);
bool is_vip_name(const char *s);
int vip_arg(const char *s, const char *port, const char *proto, json_t *args,
	    bool name_ok);
int uint_arg(const char *name, const char *s, unsigned long lo,
	     unsigned long max, unsigned long *out);
int addr_arg(const char *name, const char *s, json_t *args, const char *key);
int parse_opts(int argc, char **argv, const struct option *opts, opt_fn fn,
	       void *ctx);
int split_args(int argc, char **argv, const struct option *opts, opt_fn fn,
	       void *ctx, char **pos, int maxpos, int *npos);
const struct option *obj_opts(const struct xlb_obj *o,
			      const struct option *extra, struct option *out,
			      size_t max);
int field_opt(const struct xlb_obj *o, int c, const char *v, json_t *args);
int ring_not_prime(__u32 n);
int vip_opt(int c, const char *v, void *ctx);
int be_opt(int c, const char *val, void *ctx);
int check_opt(int c, const char *v, void *ctx);

#endif /* XLBCTL_H */
