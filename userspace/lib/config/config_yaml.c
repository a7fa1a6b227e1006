// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the configuration file (YAML)
 *
 * Loading takes five steps, each stopping at the first problem, which is
 * reported as one line "FILE:LINE:COL: message":
 *
 * 1. libyaml reads the text as events: syntax errors, aliases (refused, so
 *    that what xlbd saves back looks like what was loaded) and extra
 *    documents are caught here.
 * 2. libyaml builds the node tree, which keeps the line and column of every
 *    key and value.
 * 3. The tree is walked against the libcyaml schema below: unknown,
 *    duplicate and missing keys, lists where a mapping belongs, empty
 *    values. libcyaml finds these too, but cannot say where they are.
 * 4. libcyaml loads the document into the schema structs (struct y_*), in
 *    which every leaf is a string: numbers, booleans and enums are parsed
 *    in step 5 with exact rules (decimal only, "true"/"false" only), where
 *    libcyaml would take "010" as octal and anything but a few words as
 *    true.
 * 5. The strings are converted into struct xlb_cfg, filling defaults, and
 *    the result goes through the same semantic checks as
 *    xlb_cfg_validate(). A problem found there comes with a path into the
 *    document ("vips/1/backends/0/weight"), which the tree turns into a
 *    position.
 *
 * Dumping goes the other way through the same schema, with libcyaml's
 * writer, so a dump always loads back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cyaml/cyaml.h>
#include <yaml.h>

#include "config.h"
#include "maps/xlb_quic.h"
#include "config_priv.h"
#include "maps/xlb_maps.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Larger than any sane configuration; a bound on what we read into memory */
#define XLB_CFG_FILE_MAX (16u << 20)
/*
 * Deeper than any valid document (vips/N/backends/N/key is 5): a bound
 * checked while reading events, because libyaml's scanner slows down with
 * the square of the nesting (100k '[' took over a minute).
 */
#define XLB_CFG_DEPTH_MAX 16

/* --- schema --------------------------------------------------------------- */

struct y_iface {
	char *name;
	char *mode;
	char *mtu;
};

struct y_tables {
	char *max_vips;
	char *max_backends;
	char *ring_max;
	char *conn_max;
	char *max_memory_percent;
};

struct y_lb {
	char *source4;
	char *source6;
	char *hash_seed;
	struct y_tables *tables;
	char *icmp_rate;
	char *new_flow_rate;
	char *second_chance;
};

struct y_api {
	char *socket;
	char *group;
};

struct y_metrics {
	char *listen;
};

struct y_notify {
	char *command;
	char *user;
};

struct y_log {
	char *level;
};

struct y_check {
	char *name;
	char *type;
	char *port;
	char *interval_ms;
	char *timeout_ms;
	char *rise;
	char *fall;
	char *via_vip;
	char *method;
	char *path;
	char *host;
	char *sni;
	char **expect_status;
	unsigned int expect_status_count;
	char *expect_body;
	char *tls_verify;
	char *payload;
	char *expect;
	char *query_name;
	char *query_type;
	char **command;
	unsigned int command_count;
	char *mode;
	char *user;
};

struct y_bgp {
	char *bird_socket;
	char *include_file;
	char **allowed;
	unsigned int allowed_count;
	char *hold_down_ms;
	char *drain_timeout_s;
	char *drain;
	char *prepend;
};

struct y_backend {
	char *address;
	char *weight;
	char *state;
	char *health_check;
	char *quic_id;
};

struct y_vip {
	char *name;
	char *address;
	char *port;
	char *protocol;
	char *forwarding;
	char *gue_port;
	char *ring_size;
	char *min_healthy;
	char *conn_table;
	char *hash;
	char *unserved;
	char *fragments;
	char *announce;
	char *health_check;
	char *notify;
	char *quic_id_length;
	char *quic_id_offset;
	char *quic_config_rotation;
	struct y_backend *backends;
	unsigned int backends_count;
};

struct y_root {
	struct y_iface *interfaces;
	unsigned int interfaces_count;
	struct y_lb *lb;
	struct y_api *api;
	struct y_metrics *metrics;
	struct y_notify *notify;
	struct y_log *log;
	struct y_check *health_checks;
	unsigned int health_checks_count;
	struct y_bgp *bgp;
	struct y_vip *vips;
	unsigned int vips_count;
};

#define OPT (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define REQ CYAML_FLAG_POINTER
#define STR(key, flags, st, m) \
	CYAML_FIELD_STRING_PTR(key, flags, st, m, 0, CYAML_UNLIMITED)
#define LIST(key, flags, st, m, entry) \
	CYAML_FIELD_SEQUENCE(key, flags, st, m, entry, 0, CYAML_UNLIMITED)

static const cyaml_schema_value_t str_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t iface_fields[] = {
	STR("name", REQ, struct y_iface, name),
	STR("mode", OPT, struct y_iface, mode),
	STR("mtu", OPT, struct y_iface, mtu),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t iface_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_iface, iface_fields),
};

static const cyaml_schema_field_t tables_fields[] = {
	STR("max_vips", OPT, struct y_tables, max_vips),
	STR("max_backends", OPT, struct y_tables, max_backends),
	STR("ring_max", OPT, struct y_tables, ring_max),
	STR("conn_max", OPT, struct y_tables, conn_max),
	STR("max_memory_percent", OPT, struct y_tables, max_memory_percent),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t lb_fields[] = {
	STR("source4", OPT, struct y_lb, source4),
	STR("source6", OPT, struct y_lb, source6),
	STR("hash_seed", OPT, struct y_lb, hash_seed),
	CYAML_FIELD_MAPPING_PTR("tables", OPT, struct y_lb, tables,
				tables_fields),
	STR("icmp_rate", OPT, struct y_lb, icmp_rate),
	STR("new_flow_rate", OPT, struct y_lb, new_flow_rate),
	STR("second_chance", OPT, struct y_lb, second_chance),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t api_fields[] = {
	STR("socket", OPT, struct y_api, socket),
	STR("group", OPT, struct y_api, group),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t notify_fields[] = {
	STR("command", REQ, struct y_notify, command),
	STR("user", OPT, struct y_notify, user), CYAML_FIELD_END
};

static const cyaml_schema_field_t metrics_fields[] = {
	STR("listen", OPT, struct y_metrics, listen),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t log_fields[] = {
	STR("level", OPT, struct y_log, level),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t check_fields[] = {
	STR("name", REQ, struct y_check, name),
	STR("type", REQ, struct y_check, type),
	STR("port", OPT, struct y_check, port),
	STR("interval_ms", OPT, struct y_check, interval_ms),
	STR("timeout_ms", OPT, struct y_check, timeout_ms),
	STR("rise", OPT, struct y_check, rise),
	STR("fall", OPT, struct y_check, fall),
	STR("via_vip", OPT, struct y_check, via_vip),
	STR("method", OPT, struct y_check, method),
	STR("path", OPT, struct y_check, path),
	STR("host", OPT, struct y_check, host),
	STR("sni", OPT, struct y_check, sni),
	LIST("expect_status", OPT | CYAML_FLAG_FLOW, struct y_check,
	     expect_status, &str_entry),
	STR("expect_body", OPT, struct y_check, expect_body),
	STR("tls_verify", OPT, struct y_check, tls_verify),
	STR("payload", OPT, struct y_check, payload),
	STR("expect", OPT, struct y_check, expect),
	STR("query_name", OPT, struct y_check, query_name),
	STR("query_type", OPT, struct y_check, query_type),
	LIST("command", OPT | CYAML_FLAG_FLOW, struct y_check, command,
	     &str_entry),
	STR("mode", OPT, struct y_check, mode),
	STR("user", OPT, struct y_check, user),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t check_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_check, check_fields),
};

static const cyaml_schema_field_t bgp_fields[] = {
	STR("bird_socket", OPT, struct y_bgp, bird_socket),
	STR("include_file", OPT, struct y_bgp, include_file),
	LIST("allowed", REQ | CYAML_FLAG_FLOW, struct y_bgp, allowed,
	     &str_entry),
	STR("hold_down_ms", OPT, struct y_bgp, hold_down_ms),
	STR("drain_timeout_s", OPT, struct y_bgp, drain_timeout_s),
	STR("drain", OPT, struct y_bgp, drain),
	STR("prepend", OPT, struct y_bgp, prepend),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t backend_fields[] = {
	STR("address", REQ, struct y_backend, address),
	STR("weight", OPT, struct y_backend, weight),
	STR("state", OPT, struct y_backend, state),
	STR("health_check", OPT, struct y_backend, health_check),
	STR("quic_id", OPT, struct y_backend, quic_id),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t backend_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_backend,
			    backend_fields),
};

static const cyaml_schema_field_t vip_fields[] = {
	STR("name", OPT, struct y_vip, name),
	STR("address", REQ, struct y_vip, address),
	STR("port", REQ, struct y_vip, port),
	STR("protocol", OPT, struct y_vip, protocol),
	STR("forwarding", OPT, struct y_vip, forwarding),
	STR("gue_port", OPT, struct y_vip, gue_port),
	STR("ring_size", OPT, struct y_vip, ring_size),
	STR("min_healthy", OPT, struct y_vip, min_healthy),
	STR("conn_table", OPT, struct y_vip, conn_table),
	STR("hash", OPT, struct y_vip, hash),
	STR("unserved", OPT, struct y_vip, unserved),
	STR("fragments", OPT, struct y_vip, fragments),
	STR("announce", OPT, struct y_vip, announce),
	STR("health_check", OPT, struct y_vip, health_check),
	STR("notify", OPT, struct y_vip, notify),
	STR("quic_id_length", OPT, struct y_vip, quic_id_length),
	STR("quic_id_offset", OPT, struct y_vip, quic_id_offset),
	STR("quic_config_rotation", OPT, struct y_vip, quic_config_rotation),
	LIST("backends", OPT, struct y_vip, backends, &backend_entry),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t vip_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_vip, vip_fields),
};

static const cyaml_schema_field_t root_fields[] = {
	LIST("interfaces", REQ, struct y_root, interfaces, &iface_entry),
	CYAML_FIELD_MAPPING_PTR("lb", OPT, struct y_root, lb, lb_fields),
	CYAML_FIELD_MAPPING_PTR("api", OPT, struct y_root, api, api_fields),
	CYAML_FIELD_MAPPING_PTR("metrics", OPT, struct y_root, metrics,
				metrics_fields),
	CYAML_FIELD_MAPPING_PTR("notify", OPT, struct y_root, notify,
				notify_fields),
	CYAML_FIELD_MAPPING_PTR("log", OPT, struct y_root, log, log_fields),
	LIST("health_checks", OPT, struct y_root, health_checks, &check_entry),
	CYAML_FIELD_MAPPING_PTR("bgp", OPT, struct y_root, bgp, bgp_fields),
	LIST("vips", OPT, struct y_root, vips, &vip_entry),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};

/* --- positions and errors ----------------------------------------------- */

/**
 * struct ld - one load
 * @name: file name for messages
 * @text: the document
 * @len: its length
 * @doc: libyaml's node tree (step 2)
 * @have_doc: @doc must be deleted
 * @err: where the message goes
 * @errlen: its size
 * @cyaml_msg: libcyaml's first error, should it disagree with step 3
 * @cyaml_line: position from libcyaml's backtrace (1-based, 0 = none)
 * @cyaml_col: column of the same
 */
struct ld {
	const char *name;
	const char *text;
	size_t len;
	yaml_document_t doc;
	bool have_doc;
	char *err;
	size_t errlen;
	char cyaml_msg[256];
	size_t cyaml_line;
	size_t cyaml_col;
};

static int ld_fail(struct ld *l, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "NAME:LINE:COL: message" with 0-based @line and @col */
static int ld_fail(struct ld *l, size_t line, size_t col, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->err && l->errlen) {
		snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->name, line + 1,
			 col + 1, msg);
		xlb_cfg_oneline(l->err);
	}
	return -EINVAL;
}

static int ld_fail_at(struct ld *l, const yaml_mark_t *m, const char *msg)
{
	return ld_fail(l, m->line, m->column, "%s", msg);
}

static yaml_node_t *node(struct ld *l, int id)
{
	return yaml_document_get_node(&l->doc, id);
}

/*
 * Where @path ("vips/1/backends/0/weight") is in the document: the key or
 * the value of its last element. A part that is not there (a default was
 * used) stops the walk at the element that holds it.
 */
static yaml_mark_t ld_mark(struct ld *l, const char *path, bool at_key)
{
	yaml_node_t *n = yaml_document_get_root_node(&l->doc);
	yaml_mark_t none = { 0 };
	const char *p = path, *end;
	char part[64];
	size_t len;

	if (!n)
		return none;
	while (*p) {
		yaml_node_pair_t *pr;
		yaml_node_t *k, *next = NULL;
		bool last;

		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(part))
			break;
		memcpy(part, p, len);
		part[len] = '\0';
		last = !end;
		if (n->type == YAML_MAPPING_NODE) {
			for (pr = n->data.mapping.pairs.start;
			     pr < n->data.mapping.pairs.top; pr++) {
				k = node(l, pr->key);
				if (k && k->type == YAML_SCALAR_NODE &&
				    !strcmp((char *)k->data.scalar.value, part))
					break;
			}
			if (pr == n->data.mapping.pairs.top)
				break;
			if (last && at_key)
				return node(l, pr->key)->start_mark;
			next = node(l, pr->value);
		} else if (n->type == YAML_SEQUENCE_NODE) {
			unsigned long i = strtoul(part, NULL, 10);
			size_t cnt = (size_t)(n->data.sequence.items.top -
					      n->data.sequence.items.start);

			if (i >= cnt)
				break;
			next = node(l, n->data.sequence.items.start[i]);
		}
		if (!next)
			break;
		n = next;
		if (last)
			break;
		p = end + 1;
	}
	return n->start_mark;
}

static int ld_fail_path(struct ld *l, const struct xlb_cfg_err *e)
{
	yaml_mark_t m = ld_mark(l, e->path, e->at_key);

	return ld_fail_at(l, &m, e->msg);
}

/* 0-based line and column of byte @off (for reader errors, which only
 * give an offset) */
static void ld_offset_pos(const struct ld *l, size_t off, size_t *line,
			  size_t *col)
{
	size_t i;

	*line = 0;
	*col = 0;
	for (i = 0; i < off && i < l->len; i++) {
		if (l->text[i] == '\n') {
			(*line)++;
			*col = 0;
		} else if (((unsigned char)l->text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int ld_syntax(struct ld *l, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse";
	size_t line, col;

	if (p->error == YAML_MEMORY_ERROR) {
		if (l->err && l->errlen)
			snprintf(l->err, l->errlen, "%s: out of memory",
				 l->name);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		ld_offset_pos(l, p->problem_offset, &line, &col);
		return ld_fail(l, line, col, "syntax error: %s", problem);
	}
	if (p->context)
		return ld_fail(l, p->problem_mark.line, p->problem_mark.column,
			       "syntax error: %s (%s)", problem, p->context);
	return ld_fail(l, p->problem_mark.line, p->problem_mark.column,
		       "syntax error: %s", problem);
}

/* --- steps 1 and 2: events, then the tree --------------------------------- */

static int ld_scan(struct ld *l)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int docs = 0, depth = 0, err = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)l->text,
				     l->len);
	while (!done && !err) {
		if (!yaml_parser_parse(&p, &ev)) {
			err = ld_syntax(l, &p);
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			err = ld_fail_at(
				l, &ev.start_mark,
				"aliases are not supported: write the value out");
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				err = ld_fail_at(
					l, &ev.start_mark,
					"only one YAML document is allowed");
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > XLB_CFG_DEPTH_MAX)
				err = ld_fail(l, ev.start_mark.line,
					      ev.start_mark.column,
					      "nested more than %d levels deep",
					      XLB_CFG_DEPTH_MAX);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return err;
}

static int ld_tree(struct ld *l)
{
	yaml_parser_t p;
	int err = 0;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)l->text,
				     l->len);
	if (!yaml_parser_load(&p, &l->doc))
		err = ld_syntax(l, &p);
	else
		l->have_doc = true;
	yaml_parser_delete(&p);
	return err;
}

/* --- step 3: the tree against the schema --------------------------------- */

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null") ||
		!strcmp(v, "Null") || !strcmp(v, "NULL"));
}

static int walk(struct ld *l, yaml_node_t *n, const cyaml_schema_value_t *s,
		const char *what);

static int walk_mapping(struct ld *l, yaml_node_t *n,
			const cyaml_schema_field_t *fields, const char *what)
{
	const char *sep = *what ? ": " : "";
	const cyaml_schema_field_t *f;
	yaml_node_pair_t *pr, *q;
	char msg[256];
	int err;

	/* A missing key is reported at the start of its mapping, which
	 * comes before anything inside it. */
	for (f = fields; f->key; f++) {
		if (f->value.flags & CYAML_FLAG_OPTIONAL)
			continue;
		for (pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = node(l, pr->key);

			if (k->type == YAML_SCALAR_NODE &&
			    !strcmp((char *)k->data.scalar.value, f->key))
				break;
		}
		if (pr == n->data.mapping.pairs.top) {
			snprintf(msg, sizeof(msg), "%s%smissing key '%s'", what,
				 sep, f->key);
			return ld_fail_at(l, &n->start_mark, msg);
		}
	}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(l, pr->key);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return ld_fail_at(l, &k->start_mark,
					  "keys must be plain names");
		key = (const char *)k->data.scalar.value;
		for (f = fields; f->key; f++)
			if (!strcmp(f->key, key))
				break;
		if (!f->key) {
			snprintf(msg, sizeof(msg), "%s%sunknown key '%.64s'",
				 what, sep, key);
			return ld_fail_at(l, &k->start_mark, msg);
		}
		for (q = n->data.mapping.pairs.start; q < pr; q++)
			if (!strcmp((char *)node(l, q->key)->data.scalar.value,
				    key)) {
				snprintf(msg, sizeof(msg),
					 "%s%sduplicate key '%s'", what, sep,
					 key);
				return ld_fail_at(l, &k->start_mark, msg);
			}
		err = walk(l, node(l, pr->value), &f->value, f->key);
		if (err)
			return err;
	}
	return 0;
}

static int walk(struct ld *l, yaml_node_t *n, const cyaml_schema_value_t *s,
		const char *what)
{
	yaml_node_item_t *it;
	char msg[256], sub[96];
	int err;

	switch (s->type) {
	case CYAML_MAPPING:
		if (n->type != YAML_MAPPING_NODE) {
			if (!*what)
				return ld_fail_at(
					l, &n->start_mark,
					"expected a mapping of sections at the top level");
			snprintf(msg, sizeof(msg), "%s: expected a mapping",
				 what);
			return ld_fail_at(l, &n->start_mark, msg);
		}
		return walk_mapping(l, n, s->mapping.fields, what);
	case CYAML_SEQUENCE:
		if (n->type != YAML_SEQUENCE_NODE) {
			snprintf(msg, sizeof(msg), "%s: expected a list", what);
			return ld_fail_at(l, &n->start_mark, msg);
		}
		snprintf(sub, sizeof(sub), "%s entry", what);
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			err = walk(l, node(l, *it), s->sequence.entry, sub);
			if (err)
				return err;
		}
		return 0;
	default:
		if (n->type != YAML_SCALAR_NODE) {
			snprintf(msg, sizeof(msg),
				 "%s: expected a single value", what);
			return ld_fail_at(l, &n->start_mark, msg);
		}
		if (is_null(n)) {
			snprintf(msg, sizeof(msg), "%s: missing value", what);
			return ld_fail_at(l, &n->start_mark, msg);
		}
		return 0;
	}
}

/* --- step 4: libcyaml ----------------------------------------------------- */

/* Keeps libcyaml's first error and the innermost position of its
 * backtrace; only used should libcyaml refuse what step 3 accepted. */
static void cyaml_log_cb(cyaml_log_t level, void *ctx, const char *fmt,
			 va_list ap)
{
	struct ld *l = ctx;
	char line[256];
	const char *p;
	size_t n;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	p = strstr(line, "(line: ");
	if (p && !l->cyaml_line &&
	    sscanf(p, "(line: %zu, column: %zu)", &l->cyaml_line,
		   &l->cyaml_col) != 2)
		l->cyaml_line = 0;
	if (!l->cyaml_msg[0] && !strncmp(line, "Load: ", 6) &&
	    strcmp(line, "Load: Backtrace:"))
		snprintf(l->cyaml_msg, sizeof(l->cyaml_msg), "%s", line + 6);
}

static const cyaml_config_t cyaml_base = {
	.log_fn = cyaml_log_cb,
	.mem_fn = cyaml_mem,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_STYLE_BLOCK | CYAML_CFG_NO_ALIAS,
};

/* --- step 5: conversion --------------------------------------------------- */

#define AT(...)	    xlb_cfg_at(e, false, __VA_ARGS__)
#define AT_KEY(...) xlb_cfg_at(e, true, __VA_ARGS__)

static int cv_str(struct xlb_cfg_err *e, const char *label, const char *s,
		  char *dst, size_t size)
{
	size_t n = strlen(s);

	if (n >= size)
		return xlb_cfg_fail(e, "%s: too long (at most %zu characters)",
				    label, size - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/*
 * Decimal, or hexadecimal with a 0x prefix (hash_seed: 0x5eed): "010" is
 * still ten, not eight.
 */
static int cv_uint(struct xlb_cfg_err *e, const char *label, const char *s,
		   unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned int base = 10, d;
	const char *p = s;

	if ((p[0] == '0') && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return xlb_cfg_fail(e, "%s: '%.64s' is not a number", label, s);
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			return xlb_cfg_fail(e, "%s: '%.64s' is not a number",
					    label, s);
		if (d > max || v > (max - d) / base)
			return xlb_cfg_fail(
				e, "%s: %.64s is out of range (0..%llu)", label,
				s, max);
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static int cv_u32(struct xlb_cfg_err *e, const char *label, const char *s,
		  __u32 *out)
{
	unsigned long long v = 0;
	int err = cv_uint(e, label, s, 0xffffffffull, &v);

	if (!err)
		*out = (__u32)v;
	return err;
}

static int cv_bool(struct xlb_cfg_err *e, const char *label, const char *s,
		   bool *out)
{
	if (!strcmp(s, "true"))
		*out = true;
	else if (!strcmp(s, "false"))
		*out = false;
	else
		return xlb_cfg_fail(e, "%s: '%.64s' is not true or false",
				    label, s);
	return 0;
}

/* Index of @s in the NULL-terminated @names, or an error listing them */
static int cv_enum(struct xlb_cfg_err *e, const char *label, const char *s,
		   const char *const *names, int *out)
{
	char list[200] = "";
	size_t n = 0;
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	for (i = 0; names[i]; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? ", " : "", names[i]);
	return xlb_cfg_fail(e, "%s: '%.64s' is not one of %s", label, s, list);
}

static int cv_addr(struct xlb_cfg_err *e, const char *label, const char *s,
		   struct xlb_addr *out)
{
	if (xlb_addr_parse(s, out))
		return xlb_cfg_fail(
			e, "%s: '%.64s' is not a numeric IP address", label, s);
	return 0;
}

static int cv_prefix(struct xlb_cfg_err *e, const char *s,
		     struct xlb_prefix *out)
{
	char a[XLB_ADDR_STRLEN];
	unsigned long long len;
	const char *slash = strchr(s, '/');
	struct xlb_cfg_err tmp;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		goto bad;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (xlb_addr_parse(a, &out->addr) ||
	    cv_uint(&tmp, "", slash + 1, 128, &len))
		goto bad;
	if (len > (out->addr.family == XLB_AF_INET ? 32u : 128u))
		return xlb_cfg_fail(
			e,
			"bgp.allowed: '%.64s': prefix length is out of range",
			s);
	out->len = (__u8)len;
	return 0;
bad:
	return xlb_cfg_fail(
		e, "bgp.allowed: '%.64s' is not a prefix (ADDRESS/LENGTH)", s);
}

/* "200" or "300-399" */
static int cv_status(struct xlb_cfg_err *e, const char *s,
		     struct xlb_status_range *r)
{
	unsigned long long lo = 0, hi = 0;
	const char *dash = strchr(s, '-');
	struct xlb_cfg_err tmp = { 0 };
	char a[8];

	if (!dash) {
		if (cv_uint(&tmp, "", s, 65535, &lo))
			goto bad;
		hi = lo;
	} else {
		if ((size_t)(dash - s) >= sizeof(a))
			goto bad;
		memcpy(a, s, (size_t)(dash - s));
		a[dash - s] = '\0';
		if (cv_uint(&tmp, "", a, 65535, &lo) ||
		    cv_uint(&tmp, "", dash + 1, 65535, &hi))
			goto bad;
	}
	r->lo = (__u16)lo;
	r->hi = (__u16)hi;
	return 0;
bad:
	return xlb_cfg_fail(
		e,
		"expect_status: '%.64s' is not a status code or range (e.g. 200 or 300-399)",
		s);
}

static int cv_ifaces(const struct y_root *y, struct xlb_cfg *c,
		     struct xlb_cfg_err *e)
{
	static const char *const modes[] = { "native", "generic", NULL };
	unsigned int i;
	int err, m = 0;

	c->ifaces = calloc(y->interfaces_count ? y->interfaces_count : 1,
			   sizeof(*c->ifaces));
	if (!c->ifaces)
		return -ENOMEM;
	for (i = 0; i < y->interfaces_count; i++) {
		const struct y_iface *yi = &y->interfaces[i];
		struct xlb_iface_cfg *ic = &c->ifaces[i];

		c->n_ifaces++;
		AT("interfaces/%u/name", i);
		err = cv_str(e, "interface name", yi->name, ic->name,
			     sizeof(ic->name));
		if (err)
			return err;
		if (yi->mode) {
			AT("interfaces/%u/mode", i);
			err = cv_enum(e, "mode", yi->mode, modes, &m);
			if (err)
				return err;
			ic->generic = m == 1;
		}
		if (yi->mtu) {
			AT("interfaces/%u/mtu", i);
			err = cv_u32(e, "mtu", yi->mtu, &ic->mtu);
			if (err)
				return err;
		}
	}
	return 0;
}

static int cv_lb(const struct y_lb *y, struct xlb_cfg *c, struct xlb_cfg_err *e)
{
	const struct y_tables *t = y->tables;
	int err = 0;

	if (y->source4) {
		AT("lb/source4");
		err = cv_addr(e, "lb.source4", y->source4, &c->src4);
	}
	if (!err && y->source6) {
		AT("lb/source6");
		err = cv_addr(e, "lb.source6", y->source6, &c->src6);
	}
	if (!err && y->hash_seed) {
		AT("lb/hash_seed");
		err = cv_u32(e, "lb.hash_seed", y->hash_seed, &c->hash_seed);
	}
	if (!err && y->icmp_rate) {
		AT("lb/icmp_rate");
		err = cv_u32(e, "lb.icmp_rate", y->icmp_rate, &c->icmp_rate);
	}
	if (!err && y->new_flow_rate) {
		AT("lb/new_flow_rate");
		err = cv_u32(e, "lb.new_flow_rate", y->new_flow_rate,
			     &c->new_flow_rate);
	}
	if (!err && y->second_chance) {
		AT("lb/second_chance");
		err = cv_u32(e, "lb.second_chance", y->second_chance,
			     &c->second_chance);
	}
	if (err || !t)
		return err;
	if (t->max_vips) {
		AT("lb/tables/max_vips");
		err = cv_u32(e, "max_vips", t->max_vips, &c->sizes.max_vips);
	}
	if (!err && t->max_backends) {
		AT("lb/tables/max_backends");
		err = cv_u32(e, "max_backends", t->max_backends,
			     &c->sizes.max_backends);
	}
	if (!err && t->ring_max) {
		AT("lb/tables/ring_max");
		err = cv_u32(e, "ring_max", t->ring_max, &c->sizes.ring_max);
	}
	if (!err && t->conn_max) {
		AT("lb/tables/conn_max");
		err = cv_u32(e, "conn_max", t->conn_max, &c->sizes.conn_max);
	}
	if (!err && t->max_memory_percent) {
		AT("lb/tables/max_memory_percent");
		err = cv_u32(e, "max_memory_percent", t->max_memory_percent,
			     &c->max_memory_percent);
	}
	return err;
}

static int cv_small(const struct y_root *y, struct xlb_cfg *c,
		    struct xlb_cfg_err *e)
{
	static const char *const levels[] = { "err", "warn", "info", "debug",
					      NULL };
	int err = 0, lv;

	if (y->api && y->api->socket) {
		AT("api/socket");
		err = cv_str(e, "api.socket", y->api->socket, c->api_socket,
			     sizeof(c->api_socket));
	}
	if (!err && y->api && y->api->group) {
		AT("api/group");
		err = cv_str(e, "api.group", y->api->group, c->api_group,
			     sizeof(c->api_group));
	}
	if (!err && y->metrics && y->metrics->listen) {
		AT("metrics/listen");
		err = cv_str(e, "metrics.listen", y->metrics->listen,
			     c->metrics_listen, sizeof(c->metrics_listen));
	}
	if (!err && y->notify && y->notify->command) {
		AT("notify/command");
		err = cv_str(e, "notify.command", y->notify->command,
			     c->notify_command, sizeof(c->notify_command));
	}
	if (!err && y->notify && y->notify->user) {
		AT("notify/user");
		err = cv_str(e, "notify.user", y->notify->user, c->notify_user,
			     sizeof(c->notify_user));
	}
	if (!err && y->log && y->log->level) {
		AT("log/level");
		err = cv_enum(e, "log.level", y->log->level, levels, &lv);
		if (!err)
			strcpy(c->log_level, levels[lv]);
	}
	return err;
}

/* Keys that belong to some check types only, in schema order */
static const struct {
	const char *key;
	size_t off;
	unsigned int types; /* 1 << XLB_HC_* */
} hc_typed[] = {
#define HT(k, t)                                   \
	{                                          \
#k, offsetof(struct y_check, k), t \
	}
#define HTTP ((1u << XLB_HC_HTTP) | (1u << XLB_HC_HTTPS))
	HT(via_vip, ~(1u << XLB_HC_EXEC)),
	HT(method, HTTP),
	HT(path, HTTP),
	HT(host, HTTP),
	HT(sni, 1u << XLB_HC_HTTPS),
	HT(expect_status, HTTP),
	HT(expect_body, HTTP),
	HT(tls_verify, 1u << XLB_HC_HTTPS),
	HT(payload, 1u << XLB_HC_UDP),
	HT(expect, 1u << XLB_HC_UDP),
	HT(query_name, 1u << XLB_HC_DNS),
	HT(query_type, 1u << XLB_HC_DNS),
	HT(command, 1u << XLB_HC_EXEC),
	HT(mode, 1u << XLB_HC_TCP),
	HT(user, 1u << XLB_HC_EXEC),
#undef HT
#undef HTTP
};

static int cv_check_lists(const struct y_check *y, struct xlb_hc_cfg *h,
			  unsigned int k, struct xlb_cfg_err *e)
{
	unsigned int i;
	int err;

	if (y->expect_status) {
		h->n_expect_status = 0;
		for (i = 0; i < y->expect_status_count; i++) {
			AT("health_checks/%u/expect_status/%u", k, i);
			if (i == XLB_EXPECT_MAX)
				return xlb_cfg_fail(
					e,
					"expect_status: more than %u entries",
					XLB_EXPECT_MAX);
			err = cv_status(e, y->expect_status[i],
					&h->expect_status[i]);
			if (err)
				return err;
			h->n_expect_status++;
		}
	}
	for (i = 0; y->command && i < y->command_count; i++) {
		AT("health_checks/%u/command/%u", k, i);
		if (i == XLB_ARGV_MAX)
			return xlb_cfg_fail(e,
					    "command: more than %u arguments",
					    XLB_ARGV_MAX);
		err = cv_str(e, "command", y->command[i], h->argv[i],
			     sizeof(h->argv[i]));
		if (err)
			return err;
		h->argc++;
	}
	return 0;
}

static int cv_check(const struct y_check *y, struct xlb_hc_cfg *h,
		    unsigned int k, struct xlb_cfg_err *e)
{
	static const char *const types[] = { "tcp", "http", "https", "udp",
					     "dns", "exec", NULL };
	unsigned long long port;
	unsigned int i;
	int err, t;

	AT("health_checks/%u/name", k);
	if (strlen(y->name) >= sizeof(h->name))
		return xlb_cfg_fail(
			e,
			"health check name: too long (at most %zu characters)",
			sizeof(h->name) - 1);
	AT("health_checks/%u/type", k);
	err = cv_enum(e, "type", y->type, types, &t);
	if (err)
		return err;
	xlb_hc_cfg_init(h, (enum xlb_hc_type)(t + XLB_HC_TCP));
	strcpy(h->name, y->name);
	for (i = 0; i < ARRAY_SIZE(hc_typed); i++) {
		const void *v =
			*(void *const *)((const char *)y + hc_typed[i].off);

		if (!v || (hc_typed[i].types & (1u << h->type)))
			continue;
		AT_KEY("health_checks/%u/%s", k, hc_typed[i].key);
		return xlb_cfg_fail(
			e, "health check '%s': %s is only for %s checks",
			h->name, hc_typed[i].key,
			xlb_hc_field_types(hc_typed[i].key));
	}
#define U32(f)                                            \
	do {                                              \
		if (y->f) {                               \
			AT("health_checks/%u/" #f, k);    \
			err = cv_u32(e, #f, y->f, &h->f); \
			if (err)                          \
				return err;               \
		}                                         \
	} while (0)
#define BOOL(f)                                            \
	do {                                               \
		if (y->f) {                                \
			AT("health_checks/%u/" #f, k);     \
			err = cv_bool(e, #f, y->f, &h->f); \
			if (err)                           \
				return err;                \
		}                                          \
	} while (0)
#define STRF(f)                                                        \
	do {                                                           \
		if (y->f) {                                            \
			AT("health_checks/%u/" #f, k);                 \
			err = cv_str(e, #f, y->f, h->f, sizeof(h->f)); \
			if (err)                                       \
				return err;                            \
		}                                                      \
	} while (0)
	if (y->port) {
		AT("health_checks/%u/port", k);
		err = cv_uint(e, "port", y->port, 65535, &port);
		if (err)
			return err;
		if (!port)
			return xlb_cfg_fail(
				e, "port: 0 is out of range (1..65535)");
		h->port = (__u16)port;
	}
	U32(interval_ms);
	U32(timeout_ms);
	U32(rise);
	U32(fall);
	BOOL(via_vip);
	STRF(method);
	STRF(path);
	STRF(host);
	STRF(sni);
	STRF(expect_body);
	BOOL(tls_verify);
	STRF(payload);
	STRF(expect);
	STRF(query_name);
	STRF(user);
#undef U32
#undef BOOL
#undef STRF
	if (y->query_type) {
		AT("health_checks/%u/query_type", k);
		t = xlb_dns_type_parse(y->query_type);
		if (t <= 0)
			return xlb_cfg_fail(
				e,
				"query_type: '%.64s' is not a DNS type (A, AAAA, NS, MX, TXT, SOA, CNAME or 1..65535)",
				y->query_type);
		h->query_type = (__u16)t;
	}
	if (y->mode) {
		static const char *const modes[] = { "connect", "syn", NULL };

		AT("health_checks/%u/mode", k);
		err = cv_enum(e, "mode", y->mode, modes, &t);
		if (err)
			return err;
		h->mode = (enum xlb_hc_tcp_mode)t;
	}
	return cv_check_lists(y, h, k, e);
}

static int cv_checks(const struct y_root *y, struct xlb_cfg *c,
		     struct xlb_cfg_err *e)
{
	unsigned int i;
	int err;

	if (!y->health_checks_count)
		return 0;
	c->checks = calloc(y->health_checks_count, sizeof(*c->checks));
	if (!c->checks)
		return -ENOMEM;
	for (i = 0; i < y->health_checks_count; i++) {
		c->n_checks++;
		err = cv_check(&y->health_checks[i], &c->checks[i], i, e);
		if (err)
			return err;
	}
	return 0;
}

static int cv_bgp(const struct y_bgp *y, struct xlb_cfg *c,
		  struct xlb_cfg_err *e)
{
	struct xlb_bgp_cfg *g = &c->bgp;
	unsigned int i;
	int err = 0;

	xlb_bgp_cfg_init(g);
	if (y->bird_socket) {
		AT("bgp/bird_socket");
		err = cv_str(e, "bgp.bird_socket", y->bird_socket,
			     g->bird_socket, sizeof(g->bird_socket));
	}
	if (!err && y->include_file) {
		AT("bgp/include_file");
		err = cv_str(e, "bgp.include_file", y->include_file,
			     g->include_file, sizeof(g->include_file));
	}
	for (i = 0; !err && i < y->allowed_count; i++) {
		AT("bgp/allowed/%u", i);
		if (i == XLB_ALLOWED_MAX)
			return xlb_cfg_fail(
				e, "bgp.allowed: more than %u prefixes",
				XLB_ALLOWED_MAX);
		err = cv_prefix(e, y->allowed[i], &g->allowed[i]);
		if (!err)
			g->n_allowed++;
	}
	if (!err && y->hold_down_ms) {
		AT("bgp/hold_down_ms");
		err = cv_u32(e, "bgp.hold_down_ms", y->hold_down_ms,
			     &g->hold_down_ms);
	}
	if (!err && y->drain_timeout_s) {
		AT("bgp/drain_timeout_s");
		err = cv_u32(e, "bgp.drain_timeout_s", y->drain_timeout_s,
			     &g->drain_timeout_s);
	}
	if (!err && y->drain) {
		static const char *const drains[] = { "off", "graceful",
						      "withdrawn", NULL };
		int t = 0;

		AT("bgp/drain");
		err = cv_enum(e, "bgp.drain", y->drain, drains, &t);
		if (!err)
			g->drain = (__u8)t;
	}
	if (!err && y->prepend) {
		unsigned long long p = 0;

		AT("bgp/prepend");
		err = cv_uint(e, "bgp.prepend", y->prepend, XLB_PREPEND_MAX,
			      &p);
		g->prepend = (__u8)p;
	}
	return err;
}

static int cv_backend(const struct y_backend *y, struct xlb_backend_cfg *b,
		      unsigned int vi, unsigned int bi, struct xlb_cfg_err *e)
{
	static const char *const states[] = { "up", "drain", "down", NULL };
	int err, s;

	xlb_backend_cfg_init(b);
	AT("vips/%u/backends/%u/address", vi, bi);
	err = cv_addr(e, "address", y->address, &b->addr);
	if (err)
		return err;
	if (y->weight) {
		AT("vips/%u/backends/%u/weight", vi, bi);
		err = cv_u32(e, "weight", y->weight, &b->weight);
		if (err)
			return err;
	}
	if (y->state) {
		AT("vips/%u/backends/%u/state", vi, bi);
		err = cv_enum(e, "state", y->state, states, &s);
		if (err)
			return err;
		b->state = (enum xlb_admin_state)s;
	}
	if (y->health_check) {
		AT("vips/%u/backends/%u/health_check", vi, bi);
		err = cv_str(e, "health_check", y->health_check,
			     b->health_check, sizeof(b->health_check));
	}
	if (!err && y->quic_id) {
		unsigned long long q = 0;

		AT("vips/%u/backends/%u/quic_id", vi, bi);
		err = cv_uint(e, "quic_id", y->quic_id, ~0ull, &q);
		b->quic_id = q;
		b->has_quic_id = !err;
	}
	return err;
}

static int cv_vip_opts(const struct y_vip *y, struct xlb_vip_cfg *v,
		       unsigned int vi, struct xlb_cfg_err *e)
{
	static const char *const protos[] = { "tcp", "udp", NULL };
	static const char *const fwds[] = { "ipip", "l2", "gue", NULL };
	static const char *const hashes[] = { "5tuple", "source", NULL };
	unsigned long long q = 0;
	bool b = true;
	int err = 0, x;

	if (y->protocol) {
		AT("vips/%u/protocol", vi);
		err = cv_enum(e, "protocol", y->protocol, protos, &x);
		if (err)
			return err;
		v->proto = x ? IPPROTO_UDP : IPPROTO_TCP;
	}
	if (y->forwarding) {
		AT("vips/%u/forwarding", vi);
		err = cv_enum(e, "forwarding", y->forwarding, fwds, &x);
		if (err)
			return err;
		v->fwd = x == 2 ? XLB_FWD_GUE : x ? XLB_FWD_L2 : XLB_FWD_IPIP;
	}
	if (y->gue_port) {
		unsigned long long port = 0;

		AT("vips/%u/gue_port", vi);
		err = cv_uint(e, "gue_port", y->gue_port, 65535, &port);
		if (err)
			return err;
		if (!port)
			return xlb_cfg_fail(
				e, "gue_port: 0 is out of range (1..65535)");
		v->gue_port = (__u16)port;
	}
	if (y->ring_size) {
		AT("vips/%u/ring_size", vi);
		err = cv_u32(e, "ring_size", y->ring_size, &v->ring_size);
		if (err)
			return err;
	}
	if (y->min_healthy) {
		AT("vips/%u/min_healthy", vi);
		err = cv_u32(e, "min_healthy", y->min_healthy, &v->min_healthy);
		if (err)
			return err;
	}
	if (y->conn_table) {
		AT("vips/%u/conn_table", vi);
		err = cv_bool(e, "conn_table", y->conn_table, &b);
		if (err)
			return err;
		if (!b)
			v->flags |= XLB_VIP_F_NO_CONN;
	}
	if (y->hash) {
		AT("vips/%u/hash", vi);
		err = cv_enum(e, "hash", y->hash, hashes, &x);
		if (err)
			return err;
		if (x)
			v->flags |= XLB_VIP_F_SRC_ONLY;
	}
	if (y->unserved) {
		static const char *const unserved[] = { "drop", "pass", NULL };

		AT("vips/%u/unserved", vi);
		err = cv_enum(e, "unserved", y->unserved, unserved, &x);
		if (err)
			return err;
		if (x)
			v->flags |= XLB_VIP_F_UNSERVED_PASS;
	}
	if (y->fragments) {
		static const char *const frags[] = { "drop", "balance", NULL };

		AT("vips/%u/fragments", vi);
		err = cv_enum(e, "fragments", y->fragments, frags, &x);
		if (err)
			return err;
		/* balance implies hash: source unless hash says otherwise
		 * (which validation then refuses) */
		if (x) {
			v->flags |= XLB_VIP_F_FRAG_BALANCE;
			if (!y->hash)
				v->flags |= XLB_VIP_F_SRC_ONLY;
		}
	}
	if (y->announce) {
		AT("vips/%u/announce", vi);
		err = cv_bool(e, "announce", y->announce, &v->announce);
		if (err)
			return err;
	}
	if (y->health_check) {
		AT("vips/%u/health_check", vi);
		err = cv_str(e, "health_check", y->health_check,
			     v->health_check, sizeof(v->health_check));
	}
	if (!err && y->notify) {
		AT("vips/%u/notify", vi);
		err = cv_str(e, "notify", y->notify, v->notify,
			     sizeof(v->notify));
	}
	if (!err && y->quic_id_length) {
		AT("vips/%u/quic_id_length", vi);
		err = cv_uint(e, "quic_id_length", y->quic_id_length,
			      XLB_QUIC_ID_MAX_LEN, &q);
		v->quic_id_len = (__u8)q;
	}
	if (!err && y->quic_id_offset) {
		AT("vips/%u/quic_id_offset", vi);
		err = cv_uint(e, "quic_id_offset", y->quic_id_offset,
			      XLB_QUIC_CID_MAX - 1, &q);
		v->quic_id_offset = (__u8)q;
	}
	if (!err && y->quic_config_rotation) {
		AT("vips/%u/quic_config_rotation", vi);
		err = cv_uint(e, "quic_config_rotation",
			      y->quic_config_rotation, 255, &q);
		v->quic_cr = (__u8)q;
		v->has_quic_cr = !err;
	}
	return err;
}

static int cv_vip(const struct y_vip *y, const struct xlb_cfg *c,
		  struct xlb_vip_cfg *v, unsigned int vi, struct xlb_cfg_err *e)
{
	unsigned int i;
	int err;

	xlb_vip_cfg_init(v, c);
	if (y->name) {
		AT("vips/%u/name", vi);
		err = cv_str(e, "name", y->name, v->name, sizeof(v->name));
		if (err)
			return err;
	}
	AT("vips/%u/address", vi);
	err = cv_addr(e, "address", y->address, &v->addr);
	if (err)
		return err;
	AT("vips/%u/port", vi);
	if (xlb_port_parse(y->port, &v->port) || !strcmp(y->port, "0"))
		return xlb_cfg_fail(
			e, "port: '%.64s' is not a port (1..65535 or any)",
			y->port);
	err = cv_vip_opts(y, v, vi, e);
	if (err)
		return err;
	if (!y->backends_count)
		return 0;
	v->backends = calloc(y->backends_count, sizeof(*v->backends));
	if (!v->backends)
		return -ENOMEM;
	for (i = 0; i < y->backends_count; i++) {
		v->n_backends++;
		err = cv_backend(&y->backends[i], &v->backends[i], vi, i, e);
		if (err)
			return err;
	}
	return 0;
}

static int cv_vips(const struct y_root *y, struct xlb_cfg *c,
		   struct xlb_cfg_err *e)
{
	unsigned int i;
	int err;

	if (!y->vips_count)
		return 0;
	c->vips = calloc(y->vips_count, sizeof(*c->vips));
	if (!c->vips)
		return -ENOMEM;
	for (i = 0; i < y->vips_count; i++) {
		c->n_vips++;
		err = cv_vip(&y->vips[i], c, &c->vips[i], i, e);
		if (err)
			return err;
	}
	return 0;
}

/* Tables first: the VIPs' default ring size depends on them. */
static int convert(const struct y_root *y, struct xlb_cfg *c,
		   struct xlb_cfg_err *e)
{
	int err;

	err = cv_ifaces(y, c, e);
	if (!err && y->lb)
		err = cv_lb(y->lb, c, e);
	if (!err)
		err = cv_small(y, c, e);
	if (!err)
		err = cv_checks(y, c, e);
	if (!err && y->bgp)
		err = cv_bgp(y->bgp, c, e);
	if (!err)
		err = cv_vips(y, c, e);
	return err;
}

#undef AT
#undef AT_KEY

/* --- loading --------------------------------------------------------------- */

/**
 * xlb_cfg_parse() - see config.h; the five steps of the DOC comment above
 *
 * @name is what errors start with (a file name); "<config>" when NULL.
 * The config's @path is left empty.
 */
int xlb_cfg_parse(const char *text, size_t len, const char *name,
		  struct xlb_cfg **out, char *err, size_t errlen)
{
	struct ld l = {
		.name = name ? name : "<config>",
		.text = text,
		.len = len,
		.err = err,
		.errlen = errlen,
	};
	cyaml_config_t ycfg = cyaml_base;
	struct y_root *y = NULL;
	struct xlb_cfg *c = NULL;
	struct xlb_cfg_err e;
	yaml_node_t *root;
	cyaml_err_t cerr;
	int ret;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!text || !out)
		return -EINVAL;
	if (len > XLB_CFG_FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than %u MiB", l.name,
				 XLB_CFG_FILE_MAX >> 20);
		return -EFBIG;
	}
	ret = ld_scan(&l);
	if (!ret)
		ret = ld_tree(&l);
	if (ret)
		goto out;
	root = yaml_document_get_root_node(&l.doc);
	if (!root) {
		ret = ld_fail(&l, 0, 0, "empty configuration");
		goto out;
	}
	ret = walk(&l, root, &root_schema, "");
	if (ret)
		goto out;
	ycfg.log_ctx = &l;
	cerr = cyaml_load_data((const uint8_t *)text, len, &ycfg, &root_schema,
			       (cyaml_data_t **)&y, NULL);
	if (cerr == CYAML_ERR_OOM) {
		ret = -ENOMEM;
		goto out;
	}
	if (cerr != CYAML_OK) {
		/* step 3 should have caught it; say what libcyaml saw */
		ret = ld_fail(&l, l.cyaml_line ? l.cyaml_line - 1 : 0,
			      l.cyaml_col ? l.cyaml_col - 1 : 0, "%s",
			      l.cyaml_msg[0] ? l.cyaml_msg :
					       cyaml_strerror(cerr));
		goto out;
	}
	c = xlb_cfg_new();
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	memset(&e, 0, sizeof(e));
	ret = convert(y, c, &e);
	if (ret == -EINVAL)
		ret = ld_fail_path(&l, &e);
	if (ret)
		goto out;
	ret = xlb_cfg_check(c, &e);
	if (ret) {
		ret = ld_fail_path(&l, &e);
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", l.name);
	xlb_cfg_free(c);
	if (y)
		cyaml_free(&ycfg, &root_schema, y, 0);
	if (l.have_doc)
		yaml_document_delete(&l.doc);
	return ret;
}

/**
 * xlb_cfg_load() - see config.h
 *
 * The whole file is read into memory (at most XLB_CFG_FILE_MAX bytes) and
 * handed to xlb_cfg_parse() under its own name.
 */
int xlb_cfg_load(const char *path, struct xlb_cfg **out, char *err,
		 size_t errlen)
{
	bool parsed = false;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (out)
		*out = NULL;
	if (!path || !out)
		return -EINVAL;
	if (strlen(path) >= sizeof(((struct xlb_cfg *)0)->path)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	ret = xlb_file_read(path, XLB_CFG_FILE_MAX, &text, &len);
	if (!ret) {
		ret = xlb_cfg_parse(text, len, path, out, err, errlen);
		parsed = true;
	}
	if (!ret)
		snprintf((*out)->path, sizeof((*out)->path), "%s", path);
out:
	/* parse errors carry their own message */
	if (ret && !parsed && err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(-ret));
	free(text);
	return ret;
}

/* --- dumping ------------------------------------------------------------- */

/**
 * struct pool - every string and array made for one dump, freed together
 * @p: the allocations
 * @n: how many
 * @cap: room in @p
 * @oom: an allocation failed (later ones return NULL too)
 */
struct pool {
	void **p;
	size_t n;
	size_t cap;
	bool oom;
};

static void *pool_add(struct pool *pl, void *x)
{
	void **np;

	if (!x) {
		pl->oom = true;
		return NULL;
	}
	if (pl->n == pl->cap) {
		np = realloc(pl->p, (pl->cap ? pl->cap * 2 : 64) * sizeof(*np));
		if (!np) {
			free(x);
			pl->oom = true;
			return NULL;
		}
		pl->p = np;
		pl->cap = pl->cap ? pl->cap * 2 : 64;
	}
	pl->p[pl->n++] = x;
	return x;
}

static void *pool_zalloc(struct pool *pl, size_t n, size_t size)
{
	return pool_add(pl, calloc(n ? n : 1, size));
}

static char *pool_fmt(struct pool *pl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *pool_fmt(struct pool *pl, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return pool_add(pl, r < 0 ? NULL : s);
}

static char *pool_str(struct pool *pl, const char *s)
{
	return pool_add(pl, strdup(s));
}

/* NULL (key left out) for an empty string */
static char *pool_opt(struct pool *pl, const char *s)
{
	return *s ? pool_str(pl, s) : NULL;
}

static void pool_free(struct pool *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->p[i]);
	free(pl->p);
}

static char *dump_bool(struct pool *pl, bool b)
{
	return pool_str(pl, b ? "true" : "false");
}

static char *dump_addr(struct pool *pl, const struct xlb_addr *a)
{
	char buf[XLB_ADDR_STRLEN];

	return pool_str(pl, xlb_addr_str(a, buf));
}

static void dump_check(struct pool *pl, const struct xlb_hc_cfg *h,
		       struct y_check *y)
{
	bool http = h->type == XLB_HC_HTTP || h->type == XLB_HC_HTTPS;
	char buf[8];
	size_t i;

	y->name = pool_str(pl, h->name);
	y->type = pool_str(pl, xlb_hc_type_str(h->type));
	if (h->port)
		y->port = pool_fmt(pl, "%u", h->port);
	y->interval_ms = pool_fmt(pl, "%u", h->interval_ms);
	y->timeout_ms = pool_fmt(pl, "%u", h->timeout_ms);
	y->rise = pool_fmt(pl, "%u", h->rise);
	y->fall = pool_fmt(pl, "%u", h->fall);
	if (h->type != XLB_HC_EXEC)
		y->via_vip = dump_bool(pl, h->via_vip);
	if (http) {
		y->method = pool_str(pl, h->method);
		y->path = pool_str(pl, h->path);
		y->host = pool_opt(pl, h->host);
		y->expect_status =
			pool_zalloc(pl, h->n_expect_status, sizeof(char *));
		for (i = 0; y->expect_status && i < h->n_expect_status; i++) {
			const struct xlb_status_range *r = &h->expect_status[i];

			y->expect_status[i] =
				r->lo == r->hi ?
					pool_fmt(pl, "%u", r->lo) :
					pool_fmt(pl, "%u-%u", r->lo, r->hi);
		}
		y->expect_status_count = (unsigned int)h->n_expect_status;
		y->expect_body = pool_opt(pl, h->expect_body);
	}
	if (h->type == XLB_HC_HTTPS) {
		y->sni = pool_opt(pl, h->sni);
		y->tls_verify = dump_bool(pl, h->tls_verify);
	}
	if (h->type == XLB_HC_TCP && h->mode == XLB_HC_TCP_SYN)
		y->mode = pool_str(pl, "syn");
	if (h->type == XLB_HC_UDP) {
		y->payload = pool_str(pl, h->payload);
		y->expect = pool_opt(pl, h->expect);
	}
	if (h->type == XLB_HC_DNS) {
		y->query_name = pool_str(pl, h->query_name);
		y->query_type =
			pool_str(pl, xlb_dns_type_str(h->query_type, buf));
	}
	if (h->type == XLB_HC_EXEC) {
		y->command = pool_zalloc(pl, h->argc, sizeof(char *));
		for (i = 0; y->command && i < h->argc; i++)
			y->command[i] = pool_str(pl, h->argv[i]);
		y->command_count = (unsigned int)h->argc;
		y->user = pool_opt(pl, h->user);
	}
}

static void dump_vip(struct pool *pl, const struct xlb_vip_cfg *v,
		     struct y_vip *y)
{
	size_t i;

	y->name = pool_opt(pl, v->name);
	y->address = dump_addr(pl, &v->addr);
	y->port = v->port ? pool_fmt(pl, "%u", v->port) : pool_str(pl, "any");
	y->protocol = pool_str(pl, v->proto == IPPROTO_UDP ? "udp" : "tcp");
	y->forwarding = pool_str(pl, xlb_fwd_str(v->fwd));
	if (v->fwd == XLB_FWD_GUE)
		y->gue_port = pool_fmt(pl, "%u", v->gue_port);
	y->ring_size = pool_fmt(pl, "%u", v->ring_size);
	y->min_healthy = pool_fmt(pl, "%u", v->min_healthy);
	y->conn_table = dump_bool(pl, !(v->flags & XLB_VIP_F_NO_CONN));
	y->hash = pool_str(pl,
			   v->flags & XLB_VIP_F_SRC_ONLY ? "source" : "5tuple");
	y->unserved = pool_str(pl, v->flags & XLB_VIP_F_UNSERVED_PASS ? "pass" :
									"drop");
	y->fragments = pool_str(
		pl, v->flags & XLB_VIP_F_FRAG_BALANCE ? "balance" : "drop");
	y->announce = dump_bool(pl, v->announce);
	y->health_check = pool_opt(pl, v->health_check);
	y->notify = pool_opt(pl, v->notify);
	if (v->quic_id_len) {
		y->quic_id_length = pool_fmt(pl, "%u", v->quic_id_len);
		y->quic_id_offset = pool_fmt(pl, "%u", v->quic_id_offset);
	}
	if (v->has_quic_cr)
		y->quic_config_rotation = pool_fmt(pl, "%u", v->quic_cr);
	if (!v->n_backends)
		return;
	y->backends = pool_zalloc(pl, v->n_backends, sizeof(*y->backends));
	if (!y->backends)
		return;
	y->backends_count = (unsigned int)v->n_backends;
	for (i = 0; i < v->n_backends; i++) {
		const struct xlb_backend_cfg *b = &v->backends[i];
		struct y_backend *yb = &y->backends[i];

		yb->address = dump_addr(pl, &b->addr);
		yb->weight = pool_fmt(pl, "%u", b->weight);
		yb->state = pool_str(pl, xlb_admin_state_str(b->state));
		yb->health_check = pool_opt(pl, b->health_check);
		if (b->has_quic_id)
			yb->quic_id = pool_fmt(pl, "0x%llx",
					       (unsigned long long)b->quic_id);
	}
}

static void dump_bgp(struct pool *pl, const struct xlb_bgp_cfg *g,
		     struct y_bgp *y)
{
	char buf[XLB_ADDR_STRLEN];
	size_t i;

	y->bird_socket = pool_str(pl, g->bird_socket);
	y->include_file = pool_str(pl, g->include_file);
	y->allowed = pool_zalloc(pl, g->n_allowed, sizeof(char *));
	for (i = 0; y->allowed && i < g->n_allowed; i++)
		y->allowed[i] = pool_fmt(pl, "%s/%u",
					 xlb_addr_str(&g->allowed[i].addr, buf),
					 g->allowed[i].len);
	y->allowed_count = (unsigned int)g->n_allowed;
	y->hold_down_ms = pool_fmt(pl, "%u", g->hold_down_ms);
	y->drain_timeout_s = pool_fmt(pl, "%u", g->drain_timeout_s);
	if (g->drain == XLB_DRAIN_GRACEFUL)
		y->drain = pool_str(pl, "graceful");
	else if (g->drain == XLB_DRAIN_WITHDRAWN)
		y->drain = pool_str(pl, "withdrawn");
	if (g->prepend)
		y->prepend = pool_fmt(pl, "%u", g->prepend);
}

static void dump_top(struct pool *pl, const struct xlb_cfg *c, struct y_root *y)
{
	struct y_tables *t;
	size_t i;

	y->interfaces = pool_zalloc(pl, c->n_ifaces, sizeof(*y->interfaces));
	for (i = 0; y->interfaces && i < c->n_ifaces; i++) {
		y->interfaces[i].name = pool_str(pl, c->ifaces[i].name);
		y->interfaces[i].mode = pool_str(
			pl, c->ifaces[i].generic ? "generic" : "native");
		if (c->ifaces[i].mtu)
			y->interfaces[i].mtu =
				pool_fmt(pl, "%u", c->ifaces[i].mtu);
	}
	y->interfaces_count = (unsigned int)c->n_ifaces;
	y->lb = pool_zalloc(pl, 1, sizeof(*y->lb));
	t = pool_zalloc(pl, 1, sizeof(*t));
	if (y->lb && t) {
		if (c->src4.family)
			y->lb->source4 = dump_addr(pl, &c->src4);
		if (c->src6.family)
			y->lb->source6 = dump_addr(pl, &c->src6);
		y->lb->hash_seed = pool_fmt(pl, "%u", c->hash_seed);
		if (c->icmp_rate)
			y->lb->icmp_rate = pool_fmt(pl, "%u", c->icmp_rate);
		if (c->new_flow_rate)
			y->lb->new_flow_rate =
				pool_fmt(pl, "%u", c->new_flow_rate);
		if (c->second_chance != XLB_DEFAULT_SECOND_CHANCE)
			y->lb->second_chance =
				pool_fmt(pl, "%u", c->second_chance);
		y->lb->tables = t;
		t->max_vips = pool_fmt(pl, "%u", c->sizes.max_vips);
		t->max_backends = pool_fmt(pl, "%u", c->sizes.max_backends);
		t->ring_max = pool_fmt(pl, "%u", c->sizes.ring_max);
		t->conn_max = pool_fmt(pl, "%u", c->sizes.conn_max);
		if (c->max_memory_percent != XLB_DEFAULT_MAX_MEM_PERCENT)
			t->max_memory_percent =
				pool_fmt(pl, "%u", c->max_memory_percent);
	}
	y->api = pool_zalloc(pl, 1, sizeof(*y->api));
	if (y->api) {
		y->api->socket = pool_str(pl, c->api_socket);
		y->api->group = pool_opt(pl, c->api_group);
	}
	if (c->metrics_listen[0]) {
		y->metrics = pool_zalloc(pl, 1, sizeof(*y->metrics));
		if (y->metrics)
			y->metrics->listen = pool_str(pl, c->metrics_listen);
	}
	if (c->notify_command[0]) {
		y->notify = pool_zalloc(pl, 1, sizeof(*y->notify));
		if (y->notify) {
			y->notify->command = pool_str(pl, c->notify_command);
			y->notify->user = pool_opt(pl, c->notify_user);
		}
	}
	y->log = pool_zalloc(pl, 1, sizeof(*y->log));
	if (y->log)
		y->log->level = pool_str(pl, c->log_level);
}

static const char dump_header[] =
	"# xlb configuration.\n"
	"#\n"
	"# The running configuration, as written by xlb_cfg_dump() (xlbctl\n"
	"# config dump): the configuration file with the runtime overrides\n"
	"# (xlbctl config diff) folded in. xlbd never writes the configuration\n"
	"# file itself. Every key: see xlb.yaml.example.\n";

/**
 * xlb_cfg_dump() - see config.h
 *
 * Every value is written out, defaults included, except keys a check type
 * does not take and empty optional strings, so the file shows what runs.
 * Return: 0, -EINVAL (e.g. a string that is not UTF-8), -ENOMEM.
 */
int xlb_cfg_dump(const struct xlb_cfg *c, char **text)
{
	cyaml_config_t ycfg = cyaml_base;
	struct pool pl = { 0 };
	struct y_root y = { 0 };
	char *body = NULL;
	size_t len = 0, i;
	cyaml_err_t cerr;
	struct ld l = { 0 };
	int err = 0;

	if (!c || !text)
		return -EINVAL;
	*text = NULL;
	ycfg.log_ctx = &l;
	dump_top(&pl, c, &y);
	if (c->n_checks) {
		y.health_checks =
			pool_zalloc(&pl, c->n_checks, sizeof(*y.health_checks));
		for (i = 0; y.health_checks && i < c->n_checks; i++)
			dump_check(&pl, &c->checks[i], &y.health_checks[i]);
		y.health_checks_count = (unsigned int)c->n_checks;
	}
	if (c->bgp.enabled) {
		y.bgp = pool_zalloc(&pl, 1, sizeof(*y.bgp));
		if (y.bgp)
			dump_bgp(&pl, &c->bgp, y.bgp);
	}
	if (c->n_vips) {
		y.vips = pool_zalloc(&pl, c->n_vips, sizeof(*y.vips));
		for (i = 0; y.vips && i < c->n_vips; i++)
			dump_vip(&pl, &c->vips[i], &y.vips[i]);
		y.vips_count = (unsigned int)c->n_vips;
	}
	if (pl.oom) {
		err = -ENOMEM;
		goto out;
	}
	cerr = cyaml_save_data(&body, &len, &ycfg, &root_schema, &y, 0);
	if (cerr == CYAML_ERR_OOM) {
		err = -ENOMEM;
		goto out;
	}
	if (cerr != CYAML_OK) {
		/* e.g. a string that is not UTF-8 */
		err = -EINVAL;
		goto out;
	}
	if (asprintf(text, "%s%.*s", dump_header, (int)len, body) < 0) {
		*text = NULL;
		err = -ENOMEM;
	}
out:
	if (body)
		cyaml_mem(NULL, body, 0);
	pool_free(&pl);
	return err;
}
